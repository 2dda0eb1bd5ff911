"""Proves the real vLLM test server is real: version, model, a streamed image turn, metrics."""

from __future__ import annotations

import base64

import httpx
import pytest
from openai import OpenAI
from prometheus_client.parser import text_string_to_metric_families

from tests.support.real_vllm import MAX_MODEL_LEN, RealVllmServer
from vlmconsole.sources.synthetic_images import synthetic_screenshot

pytestmark = pytest.mark.e2e


def prompt_tokens_total(base_url: str) -> float:
    """Returns vllm:prompt_tokens_total summed over engines, read from /metrics."""
    text = httpx.get(f"{base_url}/metrics", timeout=10).text
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "vllm:prompt_tokens_total":
                total += sample.value
    return total


def test_version_is_0_32_0(vllm_server: RealVllmServer) -> None:
    response = httpx.get(f"{vllm_server.base_url}/version", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"version": "0.32.0"}


def test_models_lists_the_served_model_with_its_max_model_len(
    vllm_server: RealVllmServer,
) -> None:
    headers = {"Authorization": f"Bearer {vllm_server.api_key}"}
    response = httpx.get(f"{vllm_server.base_url}/v1/models", headers=headers, timeout=10)
    models = response.json()["data"]
    assert [m["id"] for m in models] == [vllm_server.model]
    assert models[0]["max_model_len"] == MAX_MODEL_LEN
    assert models[0]["root"].endswith("tiny-idefics3")


def test_streamed_image_turn_returns_usage_and_metrics_count_its_prompt(
    vllm_server: RealVllmServer,
) -> None:
    png = synthetic_screenshot(1280, 720, seed=20261124)
    data_url = "data:image/png;base64," + base64.b64encode(png).decode()
    before = prompt_tokens_total(vllm_server.base_url)

    client = OpenAI(
        base_url=f"{vllm_server.base_url}/v1", api_key=vllm_server.api_key, max_retries=0
    )
    stream = client.chat.completions.create(
        model=vllm_server.model,
        messages=[
            {"role": "system", "content": "You describe screenshots."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is on this screen?"},
                    {"type": "image_url", "image_url": {"url": data_url}},
                ],
            },
        ],
        max_tokens=8,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    usage = chunks[-1].usage
    assert usage is not None, "the final chunk carries usage with include_usage"
    assert usage.prompt_tokens > 500, "a 1280x720 screenshot costs hundreds of tokens"
    assert usage.completion_tokens == 8
    assert any(c.choices and c.choices[0].delta.content for c in chunks)

    after = prompt_tokens_total(vllm_server.base_url)
    assert after - before == usage.prompt_tokens
