"""A dropped stream always says what happened: never `lost the server: ` and nothing."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest

from vlmconsole.sources.chat import _error_message


@pytest.mark.parametrize(
    ("cause", "expected"),
    [
        (
            httpx.RemoteProtocolError(""),
            "lost the server: the connection broke: RemoteProtocolError",
        ),
        (httpx.ReadError(""), "lost the server: ReadError"),
        (OSError(), "lost the server: OSError"),
        (None, "lost the server: the connection dropped"),
        (
            httpx.ConnectError("[Errno 111] Connection refused"),
            "lost the server: connection refused: is vLLM running, and on this port?",
        ),
    ],
)
def test_a_connection_error_names_its_cause(cause: BaseException | None, expected: str) -> None:
    request: Any = httpx.Request("POST", "http://127.0.0.1:1")  # the SDK types its own httpx
    error = openai.APIConnectionError(request=request)
    error.__cause__ = cause
    assert _error_message(error, had_key=False, stall_timeout_s=5) == expected


def sse(*events: str) -> str:
    """Returns an event-stream body: each event's lines, a blank line after each."""
    return "".join(f"{event}\n\n" for event in events)


ROLE = 'data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}'
HI = 'data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]}'
USAGE = 'data: {"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}'


async def stream_from(body: str) -> Any:
    from tests.support.fake_http import FakeHttp, text
    from vlmconsole.sources.chat import ChatSource
    from vlmconsole.sources.endpoint import parse_endpoint

    server = FakeHttp({"/v1/chat/completions": text(body, content_type="text/event-stream")})
    await server.start()
    chat = ChatSource(parse_endpoint(server.base_url), None, stall_timeout_s=5)
    try:
        return await chat.stream("m", [{"role": "user", "content": "hello"}], 8)
    finally:
        await chat.aclose()
        await server.stop()


async def test_keep_alive_comments_are_skipped() -> None:
    outcome = await stream_from(
        sse(": keep-alive", ROLE, ": keep-alive", HI, USAGE, "data: [DONE]")
    )
    assert outcome.error is None and outcome.reply == "Hi"
    assert outcome.usage is not None and outcome.usage.completion_tokens == 2


async def test_an_error_event_mid_stream_fails_the_turn_with_the_servers_message() -> None:
    failed = 'event: error\ndata: {"error":{"message":"engine died","code":500}}'
    outcome = await stream_from(sse(ROLE, HI, failed))
    assert outcome.error == "the server failed the turn mid-stream: engine died"
    assert outcome.reply == "Hi"
    inline = await stream_from(sse(ROLE, 'data: {"error":{"message":"out of KV cache"}}'))
    assert inline.error == "the server failed the turn mid-stream: out of KV cache"


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (httpx.ReadTimeout, "the server stalled: no data for 5 s"),
        (httpx.ConnectTimeout, "could not connect to the server in time (it may be overloaded)"),
        (httpx.PoolTimeout, "no free connection to the server in time"),
    ],
)
def test_a_timeout_says_what_timed_out(kind: type[httpx.TimeoutException], expected: str) -> None:
    from vlmconsole.sources.chat import timeout_message

    assert timeout_message(kind("timed out"), 5) == expected
