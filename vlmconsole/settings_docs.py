"""The README's table of settings, made from the schema (a test keeps the README in step)."""

from __future__ import annotations

from vlmconsole.settings import Settings, default_text, flag_of, variables_of
from vlmconsole.settings import _extra as said_in_words


def settings_table() -> str:
    """Returns the README's Markdown table of every setting: key, variables, flag, default."""
    rows = [
        "| key | environment | flag | default | what |",
        "| --- | --- | --- | --- | --- |",
    ]
    for key, field in Settings.model_fields.items():
        variables = ", ".join(f"`{name}`" for name in variables_of(key))
        # a value in code type; a default said in words (`the server's first`) as words
        default = default_text(key) if said_in_words(key, "said") else f"`{default_text(key)}`"
        rows.append(
            f"| `{key}` | {variables} | `{flag_of(key)}` | {default} | {field.description} |"
        )
    return "\n".join(rows) + "\n"
