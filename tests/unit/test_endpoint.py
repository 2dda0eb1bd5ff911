"""Server addresses in every form a user types them."""

from __future__ import annotations

import pytest

from vlmconsole.sources.endpoint import parse_endpoint
from vlmconsole.sources.source_errors import EndpointError


@pytest.mark.parametrize(
    ("given", "base"),
    [
        ("localhost:8000", "http://localhost:8000"),
        (":8000", "http://127.0.0.1:8000"),
        ("8000", "http://127.0.0.1:8000"),
        ("127.0.0.1:8000/v1", "http://127.0.0.1:8000"),
        ("http://gpu-box:8000", "http://gpu-box:8000"),
        ("http://gpu-box:8000/v1/", "http://gpu-box:8000"),
        ("https://llm.example/vllm/v1", "https://llm.example/vllm"),
        ("https://llm.example", "https://llm.example"),
        ("[::1]:8000", "http://[::1]:8000"),
        ("http://[::1]:8000/v1", "http://[::1]:8000"),
    ],
)
def test_accepted_forms(given: str, base: str) -> None:
    endpoint = parse_endpoint(given)
    assert endpoint.base_url == base
    assert endpoint.api_url == f"{base}/v1"


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("", "no server given"),
        ("localhost", "give the port"),
        ("localhost:http", "port must be a number"),
        (":70000", "port must be a number"),
        ("ftp://host:21", "only http"),
        ("http://:8000", "no host"),
        ("a b:80", "not HOST:PORT"),
    ],
)
def test_refused_forms_say_why(given: str, says: str) -> None:
    with pytest.raises(EndpointError, match=says):
        parse_endpoint(given)
