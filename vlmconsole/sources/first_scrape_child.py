"""The console's first scrape, in a child process (`python -m` this module).

The first scrape costs ~90 ms of CPU (prometheus-client's package, the page's parse,
http.client). In a thread of the console it held the interpreter lock for most of that
while the console was importing Textual and drawing its first frame, which came ~0.12 s
later for it (bench_console.py --only startup). A child process does it on another core.

The parent writes one JSON request to the child's stdin (the server's root URL, the API
key, the timeout: never on the command line, where `ps` shows it) and reads one pickled
Observation from its stdout; the child prints nothing else, and exits 3 when the scrape
failed (the console's first regular scrape then says why, in its own words).
"""

from __future__ import annotations

import asyncio
import copyreg
import io
import json
import pickle
import sys
from types import MappingProxyType
from typing import Any

from vlmconsole.model.observation import Observation
from vlmconsole.settings_checks import ApiKey
from vlmconsole.sources.endpoint import Endpoint

MODULE = "vlmconsole.sources.first_scrape_child"
"""The child's module, run with `python -m`."""
SCRAPE_FAILED = 3
"""The child's exit code when the scrape itself failed (Python itself exits 1 or 2)."""


def request_bytes(base_url: str, api_key: ApiKey | None, timeout_s: float) -> bytes:
    """Returns what the parent writes to the child's stdin."""
    key = api_key.reveal() if api_key is not None else None
    return json.dumps({"base_url": base_url, "api_key": key, "timeout_s": timeout_s}).encode()


def read_pickle(data: bytes) -> Observation:
    """Returns the Observation the child wrote; raises ValueError when it is not one."""
    try:
        found = pickle.load(io.BytesIO(data))
    except Exception as error:  # noqa: BLE001 - any broken pickle is one kind of failure
        raise ValueError(f"the first scrape's child wrote no observation: {error}") from None
    if not isinstance(found, Observation):
        raise ValueError("the first scrape's child wrote no observation")
    return found


def mapping_proxy(items: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    """Returns a read-only view of `items` (how a pickled snapshot's mappings load)."""
    return MappingProxyType(items)


def _reduce_proxy(proxy: MappingProxyType[Any, Any]) -> tuple[Any, tuple[dict[Any, Any]]]:
    # by its importable name: run with -m, this module is __main__ to the child
    from vlmconsole.sources.first_scrape_child import mapping_proxy as importable

    return importable, (dict(proxy),)


async def _observe(endpoint: Endpoint, api_key: ApiKey | None, timeout_s: float) -> Observation:
    from vlmconsole.sources.observer import first_scrape_observer

    observer = first_scrape_observer(endpoint, api_key, timeout_s)
    try:
        return await observer.observe()
    finally:
        await observer.aclose()


def main() -> int:
    """Reads the request from stdin, scrapes once, writes the pickled Observation."""
    try:
        request = json.loads(sys.stdin.buffer.read())
        key = request["api_key"]
        endpoint = Endpoint(str(request["base_url"]))
        api_key = ApiKey(key) if key else None
        observation = asyncio.run(_observe(endpoint, api_key, float(request["timeout_s"])))
    except Exception:  # noqa: BLE001 - the parent's first regular scrape says what is wrong
        return SCRAPE_FAILED
    copyreg.pickle(MappingProxyType, _reduce_proxy)
    sys.stdout.buffer.write(pickle.dumps(observation, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
