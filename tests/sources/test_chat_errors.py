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
