"""`vlmconsole status --watch` keeps going when the server goes away, and picks up again."""

from __future__ import annotations

import asyncio
import json
import sys

from tests.support.fake_http import FakeHttp, json_body, text
from tests.support.fixtures import metrics_page


async def test_watch_reports_the_outage_and_recovers() -> None:
    server = FakeHttp(
        {
            "/version": json_body({"version": "0.32.0"}),
            "/health": text(""),
            "/v1/models": json_body({"data": [{"id": "m", "max_model_len": 4096}]}),
            "/metrics": text(metrics_page("vllm-0.32.0-after")),
        }
    )
    await server.start()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "vlmconsole",
        "status",
        server.base_url,
        "--json",
        "--watch",
        "0.25",
        "--count",
        "16",
        "--timeout",
        "1",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
    )
    assert process.stdout is not None
    lines: list[dict[str, object]] = []

    async def read_until(predicate: str) -> None:
        assert process.stdout is not None
        while True:
            line = await asyncio.wait_for(process.stdout.readline(), timeout=20)
            assert line, "status --watch ended early"
            lines.append(json.loads(line))
            if predicate == "ok" and lines[-1].get("error") is None:
                return
            if predicate == "error" and lines[-1].get("error"):
                return

    await read_until("ok")
    await server.stop()
    await read_until("error")
    await server.start()
    await read_until("ok")
    out, _err = await asyncio.wait_for(process.communicate(), timeout=20)
    lines.extend(json.loads(line) for line in out.decode().splitlines())
    errors = [line for line in lines if line.get("error")]
    assert errors and "connection refused" in str(errors[0]["error"])
    assert lines[-1].get("error") is None and lines[-1]["scopes"]
    assert len(lines) == 16
    assert process.returncode == 0
