"""What the server runs with, as text: one line a setting with where it was read, then
the command line (secrets redacted) and where it came from."""

from __future__ import annotations

from rich.text import Text

from vlmconsole.model.launch_config import LaunchConfig
from vlmconsole.views.safe_text import plain

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
