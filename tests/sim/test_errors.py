"""Errors in vLLM's shape and wording, with its status codes; images from loopback only."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.sim.support import FAST, MODEL, SYSTEM, png, serving, user
from vlmconsole.sim import SimConfig, SimServer

ChatBody = dict[str, Any]


def body(messages: list[dict[str, Any]], model: str = MODEL) -> ChatBody:
    """Returns a chat request body."""
    return {"model": model, "messages": messages, "max_tokens": 4}


def image_url_turn(url: str) -> list[dict[str, Any]]:
    """Returns messages with one image given by URL."""
    part = {"type": "image_url", "image_url": {"url": url}}
    return [{"role": "user", "content": [{"type": "text", "text": "Look."}, part]}]


def error_of(response_json: Any, status: int, err_type: str = "BadRequestError") -> str:
    """Returns the message of a vLLM error body after checking its shape."""
    error = response_json["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert (error["code"], error["type"]) == (status, err_type)
    message: str = error["message"]
    return message


async def test_a_wrong_or_missing_api_key_gets_401_on_v1_only() -> None:
    async with serving(SimConfig(speed=FAST, api_key="sesame")) as (_server, client):
        missing = await client.get("/v1/models")
        wrong = await client.get("/v1/models", headers={"Authorization": "Bearer nope"})
        right = await client.get("/v1/models", headers={"Authorization": "Bearer sesame"})
        chat = await client.post("/v1/chat/completions", json=body([user("Hi.")]))
        assert (missing.status_code, wrong.status_code, right.status_code) == (401, 401, 200)
        assert chat.status_code == 401
        assert missing.json() == {"error": "Unauthorized"}
        for path in ("/health", "/version", "/metrics", "/load"):
            assert (await client.get(path)).status_code == 200, path


async def test_too_many_images_is_a_400_like_vllms() -> None:
    async with serving(SimConfig(speed=FAST, limit_images=2)) as (_server, client):
        response = await client.post(
            "/v1/chat/completions", json=body([user("Three.", png(1), png(2), png(3))])
        )
        assert response.status_code == 400
        message = error_of(response.json(), 400)
        assert message == "At most 2 image(s) may be provided in one prompt. (parameter=image)"
        assert response.json()["error"]["param"] == "image"


async def test_a_prompt_longer_than_the_context_is_a_400_like_vllms() -> None:
    config = SimConfig(speed=FAST, max_model_len=2048)
    async with serving(config) as (_server, client):
        response = await client.post(
            "/v1/chat/completions", json=body([SYSTEM, user("Many.", png(1), png(2), png(3))])
        )
        assert response.status_code == 400
        message = error_of(response.json(), 400)
        assert message.startswith(
            "This model's maximum context length is 2048 tokens. However, your prompt contains "
        )
        tokens = int(message.split("contains ")[1].split(" ")[0])
        assert tokens > 3 * 863
        assert message.endswith(f"(parameter=input_tokens, value={tokens})")


async def test_a_broken_image_and_an_unknown_model(
    sim: tuple[SimServer, Any],
) -> None:
    _server, client = sim
    broken = "data:image/png;base64," + base64.b64encode(b"hello world").decode()
    response = await client.post("/v1/chat/completions", json=body(image_url_turn(broken)))
    assert response.status_code == 400
    assert error_of(response.json(), 400) == (
        "Failed to load image: cannot identify image file <_io.BytesIO object>"
    )
    response = await client.post("/v1/chat/completions", json=body([user("Hi.")], model="nope"))
    assert response.status_code == 404
    message = error_of(response.json(), 404, "NotFoundError")
    assert message == f"The model `nope` does not exist. Valid aliases: {MODEL}."


@pytest.mark.parametrize(
    "url", ["http://192.0.2.1/shot.png", "http://example.com/shot.png", "https://10.1.1.1/x.png"]
)
async def test_an_image_url_off_loopback_is_refused_without_connecting(
    sim: tuple[SimServer, Any], monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    _server, client = sim
    attempts: list[str] = []

    def forbidden(*args: object, **kwargs: object) -> None:
        attempts.append(repr(args))
        raise AssertionError("the simulator tried to open a connection")

    monkeypatch.setattr(aiohttp.ClientSession, "__init__", forbidden)
    monkeypatch.setattr(aiohttp.TCPConnector, "connect", forbidden)
    response = await client.post("/v1/chat/completions", json=body(image_url_turn(url)))
    assert response.status_code == 400
    message = error_of(response.json(), 400)
    assert message.startswith("The URL must be from one of the allowed domains")
    assert attempts == []


@pytest.fixture()
async def image_site() -> AsyncIterator[str]:
    """A loopback HTTP server with /shot.png; yields its root URL."""

    async def shot(_request: web.Request) -> web.Response:
        return web.Response(body=png(31), content_type="image/png")

    app = web.Application()
    app.router.add_get("/shot.png", shot)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_an_image_url_on_loopback_is_fetched(
    sim: tuple[SimServer, Any], image_site: str
) -> None:
    _server, client = sim
    for url in (
        f"{image_site}/shot.png",
        image_site.replace("127.0.0.1", "localhost") + "/shot.png",
    ):
        response = await client.post("/v1/chat/completions", json=body(image_url_turn(url)))
        assert response.status_code == 200, response.text
        assert response.json()["usage"]["prompt_tokens_details"]["multimodal_tokens"] == {
            "image": 863
        }
    missing = await client.post(
        "/v1/chat/completions", json=body(image_url_turn(f"{image_site}/none.png"))
    )
    assert missing.status_code == 400
    assert "404" in error_of(missing.json(), 400)


async def test_malformed_requests_are_400s(sim: tuple[SimServer, Any]) -> None:
    _server, client = sim
    for payload in (
        {"model": MODEL},
        {"model": MODEL, "messages": []},
        {"model": MODEL, "messages": [{"role": "user", "content": [{"type": "audio"}]}]},
        {"model": MODEL, "messages": [{"role": "user", "content": "x"}], "max_tokens": 0},
    ):
        response = await client.post("/v1/chat/completions", json=payload)
        assert response.status_code == 400, payload
        error_of(response.json(), 400)
    response = await client.post("/v1/chat/completions", content=b"{not json")
    assert response.status_code == 400
