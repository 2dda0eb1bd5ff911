"""SIGTERM as a clean stop for the commands that print a line per tick (`status --watch`,
`fleet --json`): the line being printed is finished, the connections closed, exit 0."""

from __future__ import annotations

import asyncio
import signal


def cancel_on_terminate() -> None:
    """Makes SIGTERM cancel the running task at its next await (never mid-print)."""
    task = asyncio.current_task()
    if task is None:
        return
    try:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    except (NotImplementedError, RuntimeError):  # not the main thread, or no signals here
        pass
