"""The console's sources as a script: real captures and real turns, no network, no Docker.

`ScriptedSources` implements ConsoleSources (sources/console_sources.py) for tests and
snapshots: the metrics feed replays two real /metrics captures of the vLLM 0.32.0 test
server (and can be turned down), the chat engine replays the turns that server really
answered (tests/app/scripted_engine.py), the screenshot folder lists the very
screenshots those turns sent, and the container is a scripted one with a vLLM log.
Everything is deterministic: no wall clock reaches the screen but the container's
uptime, which is set relative to now.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from tests.app.scripted_engine import ScriptedEngine
from tests.support.fixtures import snapshot
from vlmconsole.model.container import ContainerInfo, ContainerStatus, GpuRequest, PortBinding
from vlmconsole.model.launch_config import LaunchConfig, launch_config
from vlmconsole.model.observation import Observation
from vlmconsole.model.run_settings import RunSettings
from vlmconsole.model.server_info import ModelCard, ServerInfo
from vlmconsole.model.snapshot import MetricsSnapshot
from vlmconsole.sources.image_transport import ImageTransport, make_transport
from vlmconsole.sources.screenshots import (
    ImageAsset,
    ImageError,
    decode_image,
    preview_image,
    synthetic_asset,
)
from vlmconsole.sources.source_errors import ServerUnreachable

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

URL = "http://127.0.0.1:8000"
MODEL = "vlmconsole-tiny-idefics3"
MAX_MODEL_LEN = 32768
"""The test server's --max-model-len (capture-log.json)."""
PROCESS_UP_S = 26 * 60 + 30
"""How long the server process had run at the first capture (its log says when it began)."""

FOLDER = Path("/srv/shots")
SHOTS = {
    "0001-login.png": 54400200001,
    "0002-dashboard.png": 54400200002,
    "0003-settings.png": 54400200003,
    "0004-report.png": 54400200004,
    "0005-logout.png": 54400200005,
}
"""The folder's screenshots and their seeds: the first three are the ones the recorded
turns sent (synthetic_asset of the seed gives the recorded sha256)."""
BROKEN = "broken.png"
"""A name whose bytes are a truncated PNG: load_image fails on it as on a real one."""

LOG_LINES = (
    "(APIServer pid=1) INFO 11-24 23:17:52 [api_server.py:1885] Starting vLLM API server 0"
    " on http://0.0.0.0:8000",
    "(APIServer pid=1) INFO:     Application startup complete.",
    "(APIServer pid=1) WARNING 11-24 23:17:52 [api_server.py:1045] Default sampling"
    " parameters have been overridden by the model's Hugging Face generation config.",
    '(APIServer pid=1) INFO:     172.17.0.1:40312 - "GET /metrics HTTP/1.1" 200 OK',
    '(APIServer pid=1) INFO:     172.17.0.1:40318 - "POST /v1/chat/completions HTTP/1.1" 200 OK',
    "(APIServer pid=1) INFO 11-24 23:44:21 [loggers.py:123] Engine 000: Avg prompt"
    " throughput: 558.9 tokens/s, Avg generation throughput: 4.8 tokens/s, Running: 1 reqs,"
    " Waiting: 0 reqs, GPU KV cache usage: 8.1%, Prefix cache hit rate: 48.4%",
    "(EngineCore_DP0 pid=212) WARNING 11-24 23:44:31 [scheduler.py:1754] Sequence group"
    " chatcmpl-7c1e is preempted by PreemptionMode.RECOMPUTE mode because there is not"
    " enough KV cache space. total_num_cumulative_preemption=1",
    '(APIServer pid=1) INFO:     172.17.0.1:40312 - "GET /metrics HTTP/1.1" 200 OK',
)
"""What the container's log holds: access-log polls (hidden by default), a warning, the
engine's stats line with the KV cache usage, a preemption."""


class ScriptedClock:
    """The console's clock: still, unless the story moves it."""

    def __init__(self, now_s: float = 50.0) -> None:
        self.now_s = now_s

    def __call__(self) -> float:
        return self.now_s

    def advance(self, seconds: float) -> None:
        """Moves the clock on."""
        self.now_s += seconds


def server_info(max_model_len: int = MAX_MODEL_LEN) -> ServerInfo:
    """Returns the test server as it says what it is."""
    card = ModelCard(MODEL, "/models/tiny-idefics3", max_model_len)
    return ServerInfo(URL, "0.32.0", True, "ok", (card,), 0)


def captures() -> tuple[MetricsSnapshot, ...]:
    """Returns the rest capture, then the after capture ten seconds later, with the Unix
    times of their scrapes (so that the header says how long the server has run)."""
    rest = snapshot("vllm-0.32.0-rest", 0.0)
    started = max(rest.values["process_start"].values())
    after = snapshot("vllm-0.32.0-after", 10.0)
    return (
        replace(rest, wall_s=started + PROCESS_UP_S),
        replace(after, wall_s=started + PROCESS_UP_S + 10.0),
    )


class ScriptedFeed:
    """The server's /metrics as captured: the rest page, then the after page; then the next
    scrape waits, as on a slow server (the console starts no other while one is out), so
    that every story sees exactly these two scrapes, however long it runs."""

    def __init__(self, info: ServerInfo) -> None:
        self.info = info
        self.pages = captures()
        self.calls = 0
        self.down = False
        """Set by go_down(): the server is unreachable (the connection is refused)."""
        self.early = False
        """When set, the first capture is in hand at start (as an early scrape's)."""
        self._woken = asyncio.Event()

    @property
    def served(self) -> bool:
        """Returns True once every capture was handed out."""
        return self.calls > len(self.pages)

    def go_down(self) -> None:
        """Makes the server unreachable: the waiting scrape and every later one fail."""
        self.down = True
        self._woken.set()

    def ready(self) -> Observation | None:
        """Hands over the first capture once, without waiting, when `early` is set."""
        if not self.early or self.calls:
            return None
        self.calls += 1
        return Observation(self.info, self.pages[0])

    async def observe(self) -> Observation:
        """Returns the next capture, or raises ServerUnreachable once down."""
        self.calls += 1
        if self.calls <= len(self.pages) and not self.down:
            return Observation(self.info, self.pages[self.calls - 1])
        await self._woken.wait()
        raise ServerUnreachable(
            f"{self.info.url}/health", "connection refused: is vLLM running, and on this port?"
        )

    async def aclose(self) -> None:
        """Nothing to close."""


class ScriptedLog:
    """A log stream: the given lines, then nothing until closed (as `docker logs -f`)."""

    def __init__(self, lines: tuple[str, ...]) -> None:
        self.lines = lines
        self._closed = threading.Event()

    def __iter__(self) -> Iterator[str]:
        yield from self.lines
        self._closed.wait(timeout=120)  # bounded: a test that forgets to close still ends

    def close(self) -> None:
        self._closed.set()


class ScriptedWatch:
    """The container behind the server: running, its log scripted."""

    def __init__(self, info: ContainerInfo) -> None:
        self.info = info
        self.logs: list[ScriptedLog] = []
        self.closed = False

    def check(self) -> ContainerStatus:
        """Returns the container, running as before."""
        return ContainerStatus(self.info)

    def follow_logs(self, info: ContainerInfo, tail: int) -> ScriptedLog:
        """Opens the scripted log."""
        log = ScriptedLog(LOG_LINES[-tail:])
        self.logs.append(log)
        return log

    def close(self) -> None:
        self.closed = True
        for log in self.logs:
            log.close()


def vllm_container(up_s: float = PROCESS_UP_S + 20) -> ContainerInfo:
    """Returns the vLLM container serving the test server, up for `up_s` seconds now."""
    return ContainerInfo(
        id="3f9c2a7d41e8" + "0" * 52,
        name="vllm",
        image="vllm/vllm-openai",
        tag="v0.32.0",
        image_id="8d3b0f2c9a11",
        state="running",
        exit_code=None,
        started_at=datetime.now(UTC) - timedelta(seconds=up_s),
        finished_at=None,
        restart_count=0,
        command=("vllm", "serve", "/models/tiny-idefics3", "--served-model-name", MODEL),
        host_network=False,
        vllm_port=8000,
        ports=(PortBinding(8000, "tcp", "0.0.0.0", 8000),),
        gpus=(GpuRequest("nvidia", -1, (), ("gpu",)),),
        is_vllm=True,
    )


class ScriptedFolder:
    """The --images folder: fixed names, stepped through in order."""

    def __init__(self, folder: Path = FOLDER, names: tuple[str, ...] = tuple(SHOTS)) -> None:
        self.folder = folder
        self.names = names
        self._position = 0

    def next_image(self) -> Path | None:
        """Returns the next image, or None after the last."""
        if self._position >= len(self.names):
            return None
        self._position += 1
        return self.folder / self.names[self._position - 1]

    def new_images(self) -> list[Path]:
        """Returns no new image: nothing lands in the folder."""
        return []


@cache
def _shot(seed: int) -> ImageAsset:
    return synthetic_asset(1280, 720, seed=seed)


@dataclass
class ScriptedSources:
    """ConsoleSources with no network and no Docker; each part kept for the test to drive."""

    session_dir: Path
    max_model_len: int = MAX_MODEL_LEN
    held: frozenset[int] = frozenset()
    """Turns that stay in flight until cancelled."""
    info: ServerInfo = field(init=False)
    metrics: ScriptedFeed = field(init=False)
    container: ContainerInfo = field(default_factory=vllm_container)
    engines: list[ScriptedEngine] = field(default_factory=list)
    watches: list[ScriptedWatch] = field(default_factory=list)
    loaded: list[Path] = field(default_factory=list)
    closed: bool = False

    def __post_init__(self) -> None:
        self.info = server_info(self.max_model_len)
        self.metrics = ScriptedFeed(self.info)

    @property
    def engine(self) -> ScriptedEngine:
        """The chat engine the console built."""
        return self.engines[-1]

    def chat_engine(self, run: RunSettings) -> ScriptedEngine:
        """Returns an engine replaying the recorded turns."""
        engine = ScriptedEngine(run, self.max_model_len, self.held)
        self.engines.append(engine)
        return engine

    def transport(self, name: str) -> ImageTransport:
        """Returns the real transport called `name` (never started: no socket)."""
        return make_transport(name, self.session_dir)

    def container_watch(self, info: ContainerInfo) -> ScriptedWatch:
        """Returns a watch of the scripted container."""
        watch = ScriptedWatch(info)
        self.watches.append(watch)
        return watch

    def find_container(self) -> ContainerInfo | None:
        """Returns the scripted container."""
        return self.container

    def screenshot_folder(self) -> ScriptedFolder:
        """Returns the scripted folder."""
        return ScriptedFolder()

    def load_image(self, path: Path) -> ImageAsset:
        """Returns the screenshot a known name holds; raises ImageError for the others."""
        self.loaded.append(path)
        label = str(path)
        if path.name == BROKEN:
            return decode_image(_shot(1).data[:4096], label, path=path)  # raises: truncated
        seed = SHOTS.get(path.name)
        if seed is None:
            raise ImageError(f"{label}: no such file")
        return replace(_shot(seed), label=label, path=path)

    def preview(self, asset: ImageAsset, pixels: tuple[int, int]) -> PILImage | None:
        """Returns the small copy the real sources make."""
        return preview_image(asset, pixels)

    async def launch(
        self,
        cache_labels: Mapping[str, str] | None,
        max_model_len: int | None,
        container: ContainerInfo | None,
    ) -> LaunchConfig:
        """Returns the launch settings the real model makes of the scripted container's
        command line (no /server_info: it is not served)."""
        return launch_config(
            cache_labels=cache_labels,
            max_model_len=max_model_len,
            command=container.command if container is not None else (),
            command_source=f"docker inspect {container.name}" if container is not None else None,
        )

    async def aclose(self) -> None:
        """Closes the feed."""
        await self.metrics.aclose()
        self.closed = True
