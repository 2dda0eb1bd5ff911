"""Server identity and /metrics scrapes against misbehaving HTTP servers on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.fake_http import FakeHttp, Handler, json_body, never_answers, text
from tests.support.fixtures import metrics_page
from vlmconsole.settings import ApiKey
from vlmconsole.sources.endpoint import Endpoint
from vlmconsole.sources.metrics_scrape import MetricsSource
from vlmconsole.sources.observer import Observer
from vlmconsole.sources.server_identity import ServerSource
from vlmconsole.sources.source_errors import AuthFailed, BadResponse, NotFound, ServerUnreachable

MODELS = {"object": "list", "data": [{"id": "m", "root": "/models/m", "max_model_len": 4096}]}


def vllm_routes(**overrides: Handler) -> dict[str, Handler]:
    routes: dict[str, Handler] = {
        "/version": json_body({"version": "0.32.0"}),
        "/health": text(""),
        "/v1/models": json_body(MODELS),
        "/load": json_body({"server_load": 2}),
        "/metrics": text(metrics_page("vllm-0.32.0-after")),
    }
    routes.update(overrides)
    return routes


@pytest.fixture()
async def fake() -> AsyncIterator[FakeHttp]:
    server = FakeHttp(vllm_routes())
    await server.start()
    yield server
    await server.stop()


async def test_identity_of_a_healthy_server(fake: FakeHttp) -> None:
    source = ServerSource(Endpoint(fake.base_url), None, 2.0)
    info = await source.info()
    await source.aclose()
    assert info.version == "0.32.0" and info.healthy and info.load == 2
    assert info.models[0].id == "m" and info.max_model_len == 4096


async def test_503_health_is_unhealthy_with_a_reason(fake: FakeHttp) -> None:
    fake.routes["/health"] = text("", status=503)
    source = ServerSource(Endpoint(fake.base_url), None, 2.0)
    healthy, detail = await source.health()
    await source.aclose()
    assert not healthy and "503" in detail


async def test_missing_version_and_load_are_none_not_errors(fake: FakeHttp) -> None:
    del fake.routes["/version"], fake.routes["/load"]
    source = ServerSource(Endpoint(fake.base_url), None, 2.0)
    info = await source.info()
    await source.aclose()
    assert info.version is None and info.load is None


async def test_401_without_a_key_says_to_pass_one(fake: FakeHttp) -> None:
    fake.routes["/v1/models"] = json_body({"error": "Unauthorized"}, status=401)
    source = ServerSource(Endpoint(fake.base_url), None, 2.0)
    with pytest.raises(AuthFailed, match="VLLM_API_KEY"):
        await source.models()
    await source.aclose()


async def test_key_is_sent_as_bearer_and_a_refused_key_says_so(fake: FakeHttp) -> None:
    fake.routes["/v1/models"] = json_body({"error": "Unauthorized"}, status=401)
    source = ServerSource(Endpoint(fake.base_url), ApiKey("sk-secret-123"), 2.0)
    with pytest.raises(AuthFailed, match="refused") as raised:
        await source.models()
    await source.aclose()
    assert "sk-secret-123" not in str(raised.value)
    assert fake.requests[-1][1]["Authorization"] == "Bearer sk-secret-123"


async def test_403_is_forbidden(fake: FakeHttp) -> None:
    fake.routes["/v1/models"] = json_body({"error": "Forbidden"}, status=403)
    source = ServerSource(Endpoint(fake.base_url), ApiKey("k"), 2.0)
    with pytest.raises(AuthFailed, match="403"):
        await source.models()
    await source.aclose()


async def test_404_on_metrics_means_no_metrics(fake: FakeHttp) -> None:
    del fake.routes["/metrics"]
    source = MetricsSource(Endpoint(fake.base_url), None, 2.0)
    with pytest.raises(NotFound, match="no /metrics"):
        await source.scrape()
    await source.aclose()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("<html><body>hello</body></html>", "not Prometheus text"),
        ("process_open_fds 3\n", "no vllm: metrics"),
    ],
)
async def test_a_metrics_page_that_is_not_vllm_is_named(
    fake: FakeHttp, body: str, expected: str
) -> None:
    fake.routes["/metrics"] = text(body, content_type="text/html")
    source = MetricsSource(Endpoint(fake.base_url), None, 2.0)
    with pytest.raises(BadResponse, match=expected):
        await source.scrape()
    await source.aclose()


async def test_models_that_is_not_json_is_a_bad_response(fake: FakeHttp) -> None:
    fake.routes["/v1/models"] = text("<html>proxy error</html>", content_type="text/html")
    source = ServerSource(Endpoint(fake.base_url), None, 2.0)
    with pytest.raises(BadResponse, match="not JSON"):
        await source.models()
    await source.aclose()


async def test_a_server_that_never_answers_times_out(fake: FakeHttp) -> None:
    fake.routes["/metrics"] = never_answers()
    source = MetricsSource(Endpoint(fake.base_url), None, 0.3)
    with pytest.raises(ServerUnreachable, match="no answer within 0.3 s"):
        await source.scrape()
    await source.aclose()


async def test_observer_survives_the_server_going_away_and_coming_back(fake: FakeHttp) -> None:
    times = iter(float(t) for t in range(100))
    observer = Observer(Endpoint(fake.base_url), None, 1.0, clock=lambda: next(times))
    first = await observer.observe()
    assert first.info.version == "0.32.0"
    await fake.stop()
    with pytest.raises(ServerUnreachable, match="refused"):
        await observer.observe()
    fake.routes["/version"] = json_body({"version": "0.33.0"})
    await fake.start()
    back = await observer.observe()
    await observer.aclose()
    assert back.info.version == "0.33.0", "identity is read again after a failure"
    assert back.snapshot.scraped_at_s > first.snapshot.scraped_at_s
