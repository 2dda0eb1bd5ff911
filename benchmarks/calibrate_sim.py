"""Simulator calibration: the real vLLM CPU test server and the simulator, same requests.

    .venv/bin/python benchmarks/calibrate_sim.py [--out FILE]

Starts the real server (tests/support/real_vllm.py) on a free loopback port, sends
it one request at a time, and reads each request's server-side view from the deltas
of the /metrics histogram sums around it: time to first token, prefill time and
inter-token latency. Then stops it, sends the same requests to the simulator
(vlmconsole.sim, speed 1.0 so its delays are real seconds) and prints both side by
side with the ratio sim / real. The requests, after an unreported warm-up:

- text-only prefill: prompts of 50, 1,500, 4,000 and 8,000 words (the last is about
  32,000 real tokens), 2 tokens out;
- one fresh 1280x720 screenshot turn, then the byte-identical request again
  (prefix and processor caches hit);
- a growing conversation: 4 turns, one new screenshot each, the replies kept;
- decode: 200 tokens (ignore_eos) after one screenshot, 150 after about 32,000
  tokens of text.

The figures behind vlmconsole/sim/cost_model.py's constants. Prompt token counts differ
(the simulator's stand-in tokenizer is not the model's), so the table ends with the
cost model's text prefill at the real token counts. Needs the vLLM venv and test
model (./scripts/test builds them) and a few minutes of 2 CPU cores; other load on
the machine inflates the real figures. --out FILE writes every measurement as JSON.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

from tests.support.real_vllm import SERVED_MODEL_NAME, RealVllmServer, free_port  # noqa: E402
from vlmconsole.sim.config import SimConfig  # noqa: E402
from vlmconsole.sim.cost_model import Calibration, prefill_seconds  # noqa: E402
from vlmconsole.sim.sim_server import run_in_thread  # noqa: E402
from vlmconsole.sources.synthetic_images import synthetic_screenshot  # noqa: E402

WORDS = (
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho"
    " sigma tau upsilon phi chi psi omega"
).split()
SYSTEM = {"role": "system", "content": "You describe screenshots."}
HISTOGRAMS = ("time_to_first_token", "request_prefill_time", "inter_token_latency")
REQUEST_TIMEOUT_S = 300.0
MAX_STREAM_LINES = 10_000  # more than any reply here streams (a line a token, plus a few)


@dataclass
class Measured:
    """One request as the client and the server's /metrics saw it."""

    label: str
    status: int
    prompt_tokens: int | None
    cached_tokens: int | None
    completion_tokens: int | None
    client_ttft_s: float | None
    server_ttft_s: float | None
    prefill_s: float | None
    itl_s: float | None  # mean inter-token latency (histogram sum / count)
    reply: str


def text_of(n_words: int, seed: int) -> str:
    rng = random.Random(seed)
    return f"run {seed}: " + " ".join(rng.choice(WORDS) for _ in range(n_words))


def image_part(seed: int) -> dict[str, Any]:
    png = synthetic_screenshot(1280, 720, seed=seed)
    url = "data:image/png;base64," + base64.b64encode(png).decode()
    return {"type": "image_url", "image_url": {"url": url}}


def screenshot_turn(text: str, seed: int) -> list[dict[str, Any]]:
    return [SYSTEM, {"role": "user", "content": [{"type": "text", "text": text}, image_part(seed)]}]


def histogram_totals(client: httpx.Client, base: str) -> dict[str, float]:
    """Returns the _sum and _count of HISTOGRAMS, summed over their label sets."""
    totals: dict[str, float] = {}
    for family in text_string_to_metric_families(client.get(f"{base}/metrics").text):
        for sample in family.samples:
            name = str(sample.name).removeprefix("vllm:")
            base_name = name.removesuffix("_seconds_sum").removesuffix("_seconds_count")
            if base_name in HISTOGRAMS and name != base_name:
                totals[name] = totals.get(name, 0.0) + float(sample.value)
    return totals


class Target:
    """A server under test: its URL, its model name and the measurements so far."""

    def __init__(self, client: httpx.Client, base: str, model: str) -> None:
        self.client, self.base, self.model = client, base, model
        self.runs: list[Measured] = []

    def send(
        self, label: str, messages: list[dict[str, Any]], max_tokens: int, ignore_eos: bool = False
    ) -> Measured:
        """Streams one chat request; records and returns what it cost."""
        before = histogram_totals(self.client, self.base)
        body = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "ignore_eos": ignore_eos,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        start = time.perf_counter()
        first: float | None = None
        usage: dict[str, Any] = {}
        pieces: list[str] = []
        path = f"{self.base}/v1/chat/completions"
        with self.client.stream("POST", path, json=body) as response:
            for count, line in enumerate(response.iter_lines()):
                if count >= MAX_STREAM_LINES or line == "data: [DONE]":
                    break
                if not line.startswith("data: "):
                    continue
                chunk = json.loads(line.removeprefix("data: "))
                usage = chunk.get("usage") or usage
                for choice in chunk.get("choices", []):
                    if content := choice.get("delta", {}).get("content"):
                        first = first or time.perf_counter()
                        pieces.append(content)
        after = histogram_totals(self.client, self.base)

        def delta(key: str) -> float:
            return after.get(key, 0.0) - before.get(key, 0.0)

        itl_count = delta("inter_token_latency_seconds_count")
        details = usage.get("prompt_tokens_details") or {}
        ok = response.status_code == 200
        measured = Measured(
            label=label,
            status=response.status_code,
            prompt_tokens=usage.get("prompt_tokens"),
            cached_tokens=details.get("cached_tokens"),
            completion_tokens=usage.get("completion_tokens"),
            client_ttft_s=None if first is None else first - start,
            server_ttft_s=delta("time_to_first_token_seconds_sum") if ok else None,
            prefill_s=delta("request_prefill_time_seconds_sum") if ok else None,
            itl_s=delta("inter_token_latency_seconds_sum") / itl_count if itl_count else None,
            reply="".join(pieces),
        )
        self.runs.append(measured)
        print(f"  {label:<22} {measured.status} {measured.prompt_tokens} tokens", flush=True)
        return measured


def run_requests(target: Target) -> None:
    """Sends the calibration requests in order; the warm-up ones are dropped after."""
    target.send("warm_text", [{"role": "user", "content": "Hello there."}], 4)
    target.send("warm_image", screenshot_turn("Warm up.", 1), 4)
    target.runs.clear()
    for words, seed in ((50, 11), (1500, 12), (4000, 13), (8000, 14)):
        target.send(f"text_{words}w", [{"role": "user", "content": text_of(words, seed)}], 2)
    one = screenshot_turn("What is on this screen?", 3)
    target.send("image_fresh", one, 16)
    target.send("image_identical_resend", one, 16)
    conversation: list[dict[str, Any]] = [SYSTEM]
    for turn in range(4):
        content = [{"type": "text", "text": f"Turn {turn}."}, image_part(1000 + turn)]
        conversation.append({"role": "user", "content": content})
        reply = target.send(f"grow_turn_{turn}", conversation, 24).reply
        conversation.append({"role": "assistant", "content": reply})
    target.send("decode_200_after_image", screenshot_turn("Talk.", 900), 200, ignore_eos=True)
    long_text = [{"role": "user", "content": text_of(8000, 901)}]
    target.send("decode_150_at_32k", long_text, 150, ignore_eos=True)


def measure_real(client: httpx.Client) -> tuple[float, list[Measured]]:
    """Returns the real server's start-up seconds and its measurements."""
    log = Path(tempfile.mkdtemp(prefix="calibrate-sim-")) / "server.log"
    server = RealVllmServer(port=free_port(), log_path=log)
    print(f"real vLLM on {server.base_url} (log {log})", flush=True)
    server.start()
    try:
        startup_s = server.wait_healthy()
        print(f"  healthy after {startup_s:.0f} s", flush=True)
        target = Target(client, server.base_url, server.model)
        run_requests(target)
        return startup_s, target.runs
    finally:
        server.stop()


def measure_sim(client: httpx.Client) -> list[Measured]:
    with run_in_thread(SimConfig(model=SERVED_MODEL_NAME, speed=1.0)) as sim:
        print(f"simulator on {sim.base_url}", flush=True)
        target = Target(client, sim.base_url, SERVED_MODEL_NAME)
        run_requests(target)
        return target.runs


def cell(value: float | None, scale: float = 1.0) -> str:
    return "-" if value is None else f"{value * scale:.3f}"


def ratio(sim: float | None, real: float | None) -> str:
    return "-" if sim is None or not real else f"{sim / real:.2f}"


def print_table(real: list[Measured], sim: list[Measured]) -> None:
    head = f"{'':<23}{'prompt tokens':>15}"
    for name in ("server TTFT s", "prefill s", "ITL ms"):
        head += f"  {name:^22}"
    print(f"\n{head}\n{'request':<23}{'real':>8}{'sim':>7}" + "  real    sim   sim/real" * 3)
    for r, s in zip(real, sim, strict=True):
        row = f"{r.label:<23}{r.prompt_tokens or '-':>8}{s.prompt_tokens or '-':>7}"
        for real_v, sim_v, scale in (
            (r.server_ttft_s, s.server_ttft_s, 1.0),
            (r.prefill_s, s.prefill_s, 1.0),
            (r.itl_s, s.itl_s, 1000.0),
        ):
            row += f"  {cell(real_v, scale):>6} {cell(sim_v, scale):>6} {ratio(sim_v, real_v):>8}"
        print(row)
    print("\ntext-only prefill, the cost model at the real server's token count:")
    for r in real:
        if r.label.startswith("text_") and r.prompt_tokens:
            model_s = prefill_seconds(Calibration(), 0, r.prompt_tokens)
            print(f"  {r.label:<21}{r.prompt_tokens:>7} tokens  real {cell(r.prefill_s)} s", end="")
            print(f"  model {model_s:.3f} s  model/real {ratio(model_s, r.prefill_s)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write the raw measurements here as JSON")
    args = parser.parse_args()
    with httpx.Client(timeout=REQUEST_TIMEOUT_S, trust_env=False) as client:
        startup_s, real = measure_real(client)
        sim = measure_sim(client)
    print_table(real, sim)
    if args.out is not None:
        runs = {"real": [asdict(m) for m in real], "sim": [asdict(m) for m in sim]}
        args.out.write_text(json.dumps({"real_startup_s": startup_s, **runs}, indent=1) + "\n")


if __name__ == "__main__":
    main()
