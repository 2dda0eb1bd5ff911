"""The built-in vLLM-compatible demo server.

`SimServer` speaks what vLLM 0.32.0 serving a vision-language model speaks
(`/version`, `/health`, `/load`, `/v1/models`, `/v1/chat/completions`, `/metrics`),
with a simulated engine behind it: Idefics3-style image token costs, a paged KV
cache with prefix caching by chained block hashes, a scheduler with preemption,
and timings calibrated on the real CPU test server (see `timing`). It listens on
loopback only.
"""

from __future__ import annotations

from vlmconsole.sim.config import SimConfig
from vlmconsole.sim.sim_server import SimServer, run_in_thread

__all__ = ["SimConfig", "SimServer", "run_in_thread"]
