"""What the server runs with, as text: one line a setting with where it was read, then
the command line (secrets redacted) and where it came from."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from vlmconsole.views.safe_text import plain

if TYPE_CHECKING:
    from vlmconsole.model.launch_config import LaunchConfig

LABEL_WIDTH = 22


def launch_text(launch: LaunchConfig, heading: str = "runs with:") -> Text:
    """Returns the known settings, aligned, each with its flag and source."""
    out = Text(heading, style="bold")
    known = launch.known
    if not known:
        out.append(
            "\n  not known: no /server_info (VLLM_SERVER_DEV_MODE=1), no cache_config_info, "
            "no command line this machine can read",
            style="dim",
        )
        return out
    for setting in known:
        out.append("\n  ")
        out.append(setting.label.ljust(LABEL_WIDTH))
        out.append_text(plain(setting.value or "", "bold"))
        source = (
            f"  {setting.flag}, from {setting.source}"
            if setting.flag.startswith("--")
            else (f"  from {setting.source}")
        )
        out.append(source, style="dim")
    if launch.command:
        out.append("\n  command line".ljust(LABEL_WIDTH + 3))
        out.append_text(plain(" ".join(launch.command), "dim"))
        out.append_text(plain(f"  ({launch.command_source})", "dim"))
    return out


def launch_dict(launch: LaunchConfig) -> dict[str, object]:
    """Returns the launch settings as JSON-ready data (outside text cleaned by the caller)."""
    return {
        "settings": {
            s.flag if s.flag.startswith("--") else s.label: {
                "label": s.label,
                "value": s.value,
                "source": s.source,
            }
            for s in launch.known
        },
        "command": list(launch.command),
        "command_source": launch.command_source,
    }


def launch_table(launch: LaunchConfig) -> RenderableType:
    """Returns the known settings as a table (setting, value, flag, where it was read),
    then the command line, for the console's screen."""
    known = launch.known
    if not known:
        return launch_text(launch, "")
    table = Table(box=box.SIMPLE_HEAD, expand=True, pad_edge=False)
    table.add_column("setting", no_wrap=True)
    table.add_column("value", style="bold", overflow="fold")
    table.add_column("flag", style="dim", no_wrap=True)
    table.add_column("read from", style="dim", no_wrap=True)
    for setting in known:
        flag = setting.flag if setting.flag.startswith("--") else ""
        table.add_row(setting.label, plain(setting.value or ""), flag, setting.source or "")
    if not launch.command:
        return table
    command = Text("command line ", style="bold")
    command.append_text(plain(" ".join(launch.command), "dim"))
    command.append_text(plain(f"  ({launch.command_source})", "dim"))
    return Group(table, command)
