"""The README's table of settings, made from the schema (a test keeps the README in step)."""

from __future__ import annotations

from vlmconsole.settings import (
    KEYS,
    default_text,
    description,
    flag_of,
    said_in_words,
    variables_of,
)


def settings_table() -> str:
    """Returns the README's Markdown table of every setting: key, variables, flag, default."""
    rows = [
        "| key | environment | flag | default | what |",
        "| --- | --- | --- | --- | --- |",
    ]
    for key in KEYS:
        variables = ", ".join(f"`{name}`" for name in variables_of(key))
        # a value in code type; a default said in words (`the server's first`) as words
        default = default_text(key) if said_in_words(key) else f"`{default_text(key)}`"
        rows.append(
            f"| `{key}` | {variables} | `{flag_of(key)}` | {default} | {description(key)} |"
        )
    return "\n".join(rows) + "\n"
