"""Console benchmarks: start-up against a bare Textual app, CPU share attached idle, memory.

    .venv/bin/python benchmarks/bench_console.py [--runs 5] [--idle-seconds 60]
        [--scrapes 10000] [--turns 1000] [--policy slide:4]
        [--scrape-budget 400] [--turn-budget 1200] [--only startup,idle,memory]

Against the demo server (vlmconsole.sim), no GPU needed. Needs tmux. About 20 minutes.
The console is always the checkout this file is in: `python -m vlmconsole` (this
python) with PYTHONPATH set to it, never the `vlmconsole` an editable install points at.
The programs the benchmark starts cache their bytecode (PYTHONPYCACHEPREFIX, a folder
under the temporary directory kept between runs), as an installed console has it,
even where PYTHONDONTWRITEBYTECODE is set; an import of everything they load fills
that cache first.

1. Start-up, side by side (`--only startup`; `attach` is another name for it):
   - Import cost: `python -X importtime -c "import M"` in a fresh interpreter,
     for M = textual.app and vlmconsole.ui.app, --runs times each; the total is
     the sum of the statement's top-level imports (the interpreter's own start-up,
     what `-c pass` imports, left out); medians printed. Where this environment
     sets PYTHONDONTWRITEBYTECODE and the checkout holds no bytecode, also
     vlmconsole.ui.app as it runs here: its own modules compiled on every start.
     Then, in the console's median run, the modules under vlmconsole.ui.app that
     textual.app's import does not load: their self time summed by package, and
     the 12 largest by cumulative time, each with the module that imported it
     first. (What `attach` imports besides, before `App.run()`, is not in it:
     textual-image, imported by ui/terminal_probe.py.)
   - Then, in each of --runs rounds (after one not counted: it warms the caches),
     two programs in a 160x50 tmux pane, one after the other, each as a person
     would start it, the pane read (`tmux capture-pane`, every 20 ms), the clock
     started just before `tmux new-session`: a bare Textual app (a Static and a
     Footer, a script written to a temporary folder and run by this python) until
     its Static's text is on the pane (its first frame); then `python -m
     vlmconsole attach URL` against the demo server (speed 100), run in this
     process, until the header is drawn (the first frame, "vlmconsole http") and
     until the KV cache line shows the server's capacity ("of 2,097,152 tok",
     which only a parsed /metrics page puts there: the first metrics).
   - Median and max of each; the console's first frame over the bare app's
     (medians), target within 2x; the console's first metrics, target under
     0.6 s; and the same figure against the older target, attach under 1.5 s.
2. CPU share attached idle: one console attached in tmux to the idle demo
   server (no background load, the default scrape interval), its utime + stime
   read from /proc after 5 s of start-up and again --idle-seconds later.
   Nothing polls the pane meanwhile. Target: under 3% of a core.
3. Memory growth: the console built in this process as the tests build it
   (tests/app/console_host.console_for) inside `app.run_test(size=(160, 50))`,
   against the demo server at speed 1000 in a child process (so that the
   server's own memory is not counted). RSS is VmRSS after gc.
   - Scrapes are driven one after the other: `app.console_screen._scrape_tick()` (what the
     timer calls), then wait until the app handled its MetricsScraped (counted
     with a run_test message hook). The observer's metrics clock advances 1 s
     per scrape, so the history (kept for 120 s) holds what it holds at the
     default interval of 1 s, not 120 s of back-to-back scrapes.
   - Warm-up: 200 scrapes and 20 turns; then --scrapes scrapes; then --turns
     turns, each a new synthetic screenshot (--size, 1280x720 by default, as
     screenshots are; the chat column's `_send`, awaited through its `records`),
     each followed by one scrape. The turns use window policy slide:4 by default (under `none`
     the demo server's 32,768-token context is full after about 36 images).
     Policies drop images, never words, so the chat still outgrows the context
     after a few hundred turns: the turn fails with a 400 and the console says
     "press c for a new conversation", which the benchmark then does, as a
     person would (counted).
   - Each stage stops at its time budget (--scrape-budget, --turn-budget);
     the counts reached are printed, with a linear projection for the turns.
   Target: growth after warm-up under 30 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import gc
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from textual.message import Message  # noqa: E402

from benchmarks.import_tree import (  # noqa: E402
    ImportLine,
    import_report,
    self_by_package,
    statement_lines,
    total_us,
    under,
)
from tests.app.console_host import console_for  # noqa: E402
from vlmconsole.model.observation import Observation  # noqa: E402
from vlmconsole.model.turn_record import TurnRecord  # noqa: E402
from vlmconsole.settings import load_settings  # noqa: E402
from vlmconsole.sim.config import SimConfig  # noqa: E402
from vlmconsole.sim.sim_server import run_in_thread  # noqa: E402
from vlmconsole.sources.endpoint import parse_endpoint  # noqa: E402
from vlmconsole.sources.observer import Observer  # noqa: E402
from vlmconsole.sources.screenshots import synthetic_asset  # noqa: E402
from vlmconsole.ui.app import VlmConsoleApp  # noqa: E402
from vlmconsole.ui.messages import MetricsScraped  # noqa: E402

PYCACHE = Path(tempfile.gettempdir()) / f"vlmbench-pycache-{sys.implementation.cache_tag}"
"""Where the programs started here cache their bytecode (kept between runs: the sources'
mtimes tell Python when to compile again)."""
START_ENV = {
    "PYTHONPATH": str(REPO),
    "PYTHONPYCACHEPREFIX": str(PYCACHE),
    "PYTHONDONTWRITEBYTECODE": "",
}
"""For every program started here: the console is `python -m vlmconsole` from this
checkout (not whatever `vlmconsole` an editable install points at), and bytecode is
cached, as it is for an installed console (pip compiles it) or a checkout run without
PYTHONDONTWRITEBYTECODE, but outside the checkout."""
CONSOLE_APP = "vlmconsole.ui.app"
METRICS_MARK = "of 2,097,152 tok"
"""On the KV cache line once a /metrics page was parsed (the demo server's capacity)."""
FRAME_MARK = "vlmconsole http"
"""On the header from the first frame on."""
POLL_S = 0.02
ATTACH_TIMEOUT_S = 30.0
TARGET_ATTACH_S = 1.5
TARGET_METRICS_S = 0.6
TARGET_FRAME_RATIO = 2.0
"""The console's first frame within this many times the bare Textual app's."""
TOP_IMPORTS = 12
TARGET_IDLE_PCT = 3.0
TARGET_GROWTH_MB = 30.0
WARM_SCRAPES = 200
WARM_TURNS = 20
TURN_TEXT = "What changed on this screen?"

SIM_CHILD = """
import sys
sys.path.insert(0, {repo!r})
from vlmconsole.sim.config import SimConfig
from vlmconsole.sim.sim_server import run_in_thread
with run_in_thread(SimConfig(speed={speed!r})) as server:
    print(server.base_url, flush=True)
    sys.stdin.read()
"""


@dataclasses.dataclass
class Result:
    """One line of the summary."""

    name: str
    value: str
    target: str
    met: bool | None
    """None when the measurement did not complete."""


def verdict(met: bool | None) -> str:
    return "n/a" if met is None else "PASS" if met else "MISS"


def seconds(value: float | None) -> str:
    return "never" if value is None else f"{value:.2f} s"


# --- tmux ----------------------------------------------------------------------------------


class Tmux:
    """A private tmux server (its own socket), kept alive by a holder session."""

    def __init__(self) -> None:
        self.socket = f"vlmbench-{os.getpid()}"
        self.run("new-session", "-d", "-s", "holder", "-x", "80", "-y", "24", "sleep 3600")

    def run(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=10
        )
        if done.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def start(self, name: str, command: list[str], env: Mapping[str, str] | None = None) -> None:
        """Starts `command` (exec'd by the pane's shell) in a new 160x50 session."""
        shell = "exec " + " ".join(_quote(part) for part in command)
        options = [f"-e{key}={value}" for key, value in (env or {}).items()]
        self.run("new-session", "-d", "-s", name, "-x", "160", "-y", "50", *options, shell)

    def screen(self, name: str) -> str:
        return self.run("capture-pane", "-p", "-t", name)

    def pane_pid(self, name: str) -> int:
        return int(self.run("list-panes", "-t", name, "-F", "#{pane_pid}").split()[0])

    def kill(self, name: str) -> None:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            pid = self.pane_pid(name)
            self.run("kill-session", "-t", name)
            _wait_gone(pid, 10.0)

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            self.run("kill-server")


def _quote(part: str) -> str:
    return "'" + part.replace("'", "'\"'\"'") + "'"


def _wait_gone(pid: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def console_pid(tmux: Tmux, name: str) -> int:
    """Returns the console's pid: the pane's process (it is exec'd), else its child."""
    pid = tmux.pane_pid(name)
    if b"vlmconsole" in Path(f"/proc/{pid}/cmdline").read_bytes():
        return pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for child in children:
        if b"vlmconsole" in Path(f"/proc/{child}/cmdline").read_bytes():
            return int(child)
    raise RuntimeError(f"no vlmconsole process under pane pid {pid}")


def attach_command(url: str, session_dir: Path) -> list[str]:
    """Returns the console's command line (run it with START_ENV)."""
    return [sys.executable, "-m", "vlmconsole", "attach", url, "--session-dir", str(session_dir)]


def wait_for_marks(tmux: Tmux, name: str, start: float, marks: Sequence[str]) -> list[float | None]:
    """Returns seconds from `start` until each mark was first on the pane (None: never)."""
    seen: list[float | None] = [None] * len(marks)
    deadline = start + ATTACH_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            text = tmux.screen(name)
        except RuntimeError:
            text = ""
        now = time.monotonic()
        for index, mark in enumerate(marks):
            if seen[index] is None and mark in text:
                seen[index] = now - start
        if all(at is not None for at in seen):
            break
        time.sleep(POLL_S)
    return seen


def wait_for_screen(tmux: Tmux, name: str, start: float) -> tuple[float | None, float | None]:
    """Returns seconds from `start` to the first frame and to the first metrics (None: never)."""
    frame_at, metrics_at = wait_for_marks(tmux, name, start, (FRAME_MARK, METRICS_MARK))
    return frame_at, metrics_at


# --- 1. start-up ---------------------------------------------------------------------------


BARE_APP = '''\
"""The start-up floor: a bare Textual app, a Static and a Footer (bench_console.py)."""

from textual.app import App, ComposeResult
from textual.widgets import Footer, Static


class Bare(App[None]):
    BINDINGS = [("q", "quit", "quit")]

    def compose(self) -> ComposeResult:
        yield Static({mark!r})
        yield Footer()


Bare().run()
'''
BARE_MARK = "a bare Textual app, its first frame"
"""The bare app's Static: on its first frame."""


@dataclasses.dataclass
class StartupTimes:
    """Seconds from just before `tmux new-session` to each mark, one entry a run."""

    bare_frame: list[float] = dataclasses.field(default_factory=list)
    frame: list[float] = dataclasses.field(default_factory=list)
    metrics: list[float] = dataclasses.field(default_factory=list)


def spread(samples: list[float]) -> str:
    return f"median {statistics.median(samples):.2f} s, max {max(samples):.2f} s"


def child_env() -> dict[str, str]:
    """Returns the environment of the programs started here (see START_ENV)."""
    return dict(os.environ) | START_ENV


def warm_up() -> None:
    """Fills the bytecode cache for what the bare app and the console import (the turn
    engine's openai SDK and the Docker SDK in the console's first second, in threads)."""
    statement = (
        "import textual.app, textual.widgets._footer, vlmconsole.cli, vlmconsole.ui.app,"
        " vlmconsole.sources.turn_engine, docker"
    )
    subprocess.run([sys.executable, "-c", statement], env=child_env(), check=True, timeout=300)


def import_costs(runs: int) -> None:
    """Prints what importing the console's app costs against textual.app (-X importtime)."""
    env = child_env()
    startup = {line.name for line in import_report("pass", env)}
    reports: dict[str, list[list[ImportLine]]] = {}
    for module in ("textual.app", CONSOLE_APP):
        reports[module] = [
            statement_lines(import_report(f"import {module}", env), startup) for _ in range(runs)
        ]
    totals = {
        module: sorted(total_us(lines) for lines in samples) for module, samples in reports.items()
    }
    textual_ms = statistics.median(totals["textual.app"]) / 1000
    console_ms = statistics.median(totals[CONSOLE_APP]) / 1000
    print(
        f"  import cost (python -X importtime -c 'import M', a fresh interpreter each,"
        f" median of {runs}):"
    )
    print(f"    {'textual.app':<20} {textual_ms:6.0f} ms")
    print(
        f"    {CONSOLE_APP:<20} {console_ms:6.0f} ms"
        f"  ({console_ms / textual_ms:.1f}x, {console_ms - textual_ms:+.0f} ms)"
    )
    from_source = os.environ.get("PYTHONDONTWRITEBYTECODE") and not (
        os.environ.get("PYTHONPYCACHEPREFIX") or (REPO / "vlmconsole" / "__pycache__").exists()
    )
    if from_source:
        # as this environment runs a checkout: the checkout's modules compiled on each start
        plain = dict(os.environ, PYTHONPATH=str(REPO))
        source = [
            total_us(statement_lines(import_report(f"import {CONSOLE_APP}", plain), startup))
            for _ in range(runs)
        ]
        source_ms = statistics.median(source) / 1000
        print(
            f"    {CONSOLE_APP:<20} {source_ms:6.0f} ms  as this environment runs it"
            f" (PYTHONDONTWRITEBYTECODE=1: vlmconsole compiled from source,"
            f" {source_ms - console_ms:+.0f} ms)"
        )
    # the module tree of the run with the median total, against everything textual.app imports
    console_lines = sorted(reports[CONSOLE_APP], key=total_us)[runs // 2]
    in_textual = {line.name for lines in reports["textual.app"] for line in lines}
    extra = [line for line in under(console_lines, CONSOLE_APP) if line.name not in in_textual]
    extra_ms = sum(line.self_us for line in extra) / 1000
    print(
        f"  modules under {CONSOLE_APP} that textual.app does not import: {len(extra)},"
        f" {extra_ms:.0f} ms of their own (self) time; by package:"
    )
    packages = self_by_package(extra)
    print(
        "    "
        + ", ".join(f"{name} {us / 1000:.0f}" for name, us in list(packages.items())[:10])
        + " (ms)"
    )
    print(f"  top {TOP_IMPORTS} cumulative among them:")
    print(f"    {'cumul ms':>8} {'self ms':>8}  module (imported first by)")
    for line in sorted(extra, key=lambda line: -line.cumulative_us)[:TOP_IMPORTS]:
        print(
            f"    {line.cumulative_us / 1000:8.1f} {line.self_us / 1000:8.1f}"
            f"  {line.name} ({line.parent})"
        )


def time_start(
    tmux: Tmux, name: str, command: list[str], marks: Sequence[str]
) -> list[float | None]:
    """Starts `command` in a 160x50 pane; returns seconds until each mark was on it."""
    start = time.monotonic()
    tmux.start(name, command, START_ENV)
    seen = wait_for_marks(tmux, name, start, marks)
    tmux.kill(name)
    return seen


def startup_times(tmux: Tmux, url: str, runs: int) -> list[Result]:
    print(
        f"1. start-up side by side, tmux 160x50, {runs} runs: a bare Textual app, then"
        f" `python -m vlmconsole attach` (from {REPO}); bytecode cached in {PYCACHE}"
    )
    import_costs(runs)
    work_dir = Path(tempfile.mkdtemp(prefix="vlmbench-startup-"))
    bare_app = [sys.executable, str(work_dir / "bare_app.py")]
    Path(bare_app[1]).write_text(BARE_APP.format(mark=BARE_MARK))
    times = StartupTimes()
    try:
        for run in range(runs + 1):  # the first round, untimed, warms the caches
            (bare,) = time_start(tmux, f"bare{run}", bare_app, (BARE_MARK,))
            time.sleep(0.3)
            console = attach_command(url, work_dir / f"session{run}")
            frame, first = time_start(tmux, f"attach{run}", console, (FRAME_MARK, METRICS_MARK))
            time.sleep(0.5)
            label = f"run {run}" if run else "warm-up (not counted)"
            print(
                f"  {label}: bare app first frame {seconds(bare)};"
                f" console first frame {seconds(frame)}, first metrics {seconds(first)}"
            )
            if bare is None or frame is None or first is None:
                never = "timed out"
                return [
                    Result("console / bare first frame", never, "<= 2x", False),
                    Result("console first metrics", never, f"< {TARGET_METRICS_S} s", False),
                    Result("attach to first metrics", never, f"< {TARGET_ATTACH_S} s", False),
                ]
            if run:
                times.bare_frame.append(bare)
                times.frame.append(frame)
                times.metrics.append(first)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    print(f"  bare app first frame   {spread(times.bare_frame)}")
    print(f"  console first frame    {spread(times.frame)}")
    print(f"  console first metrics  {spread(times.metrics)}")
    bare_s = statistics.median(times.bare_frame)
    frame_s = statistics.median(times.frame)
    metrics_s = statistics.median(times.metrics)
    ratio = frame_s / bare_s
    ratio_met = ratio <= TARGET_FRAME_RATIO
    metrics_met = metrics_s < TARGET_METRICS_S
    attach_met = metrics_s < TARGET_ATTACH_S
    print(
        f"  console first frame / bare app first frame: {ratio:.2f}x (medians);"
        f" target within {TARGET_FRAME_RATIO:g}x: {verdict(ratio_met)}"
    )
    print(
        f"  console first metrics: median {metrics_s:.2f} s"
        f" ({metrics_s / bare_s:.2f}x the bare app's first frame);"
        f" target < {TARGET_METRICS_S} s: {verdict(metrics_met)}"
    )
    print(
        f"  attach to first metrics: median {metrics_s:.2f} s;"
        f" target < {TARGET_ATTACH_S} s: {verdict(attach_met)}"
    )
    return [
        Result(
            "console / bare first frame",
            f"{ratio:.2f}x ({frame_s:.2f} s / {bare_s:.2f} s, medians)",
            f"<= {TARGET_FRAME_RATIO:g}x",
            ratio_met,
        ),
        Result(
            "console first metrics",
            spread(times.metrics),
            f"< {TARGET_METRICS_S} s",
            metrics_met,
        ),
        Result(
            "attach to first metrics",
            spread(times.metrics),
            f"< {TARGET_ATTACH_S} s",
            attach_met,
        ),
    ]


# --- 2. idle CPU ---------------------------------------------------------------------------


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def idle_share(tmux: Tmux, url: str, seconds: float) -> Result:
    interval = load_settings().scrape_interval_s
    print(f"2. CPU share attached idle for {seconds:.0f} s (scrape interval {interval:g} s)")
    session_dir = Path(tempfile.mkdtemp(prefix="vlmbench-idle-"))
    name = "idle"
    start = time.monotonic()
    tmux.start(name, attach_command(url, session_dir), START_ENV)
    try:
        _, first = wait_for_screen(tmux, name, start)
        if first is None:
            return Result("CPU attached idle", "no metrics", f"< {TARGET_IDLE_PCT}%", None)
        pid = console_pid(tmux, name)
        time.sleep(max(0.0, 5.0 - (time.monotonic() - start)))
        startup_s = cpu_ticks(pid) / os.sysconf("SC_CLK_TCK")
        start_ticks, begin = cpu_ticks(pid), time.monotonic()
        time.sleep(seconds)
        used_s = (cpu_ticks(pid) - start_ticks) / os.sysconf("SC_CLK_TCK")
        elapsed = time.monotonic() - begin
        still = METRICS_MARK in tmux.screen(name)
    finally:
        tmux.kill(name)
        shutil.rmtree(session_dir, ignore_errors=True)
    share = used_s / elapsed * 100
    print(f"  CPU during the first 5 s (start-up): {startup_s:.2f} s")
    print(
        f"  CPU {used_s:.2f} s in {elapsed:.0f} s = {share:.2f}% of a core"
        f" (metrics still on screen: {still}); target < {TARGET_IDLE_PCT}%:"
        f" {verdict(share < TARGET_IDLE_PCT)}"
    )
    return Result(
        "CPU attached idle",
        f"{share:.2f}% of a core",
        f"< {TARGET_IDLE_PCT}%",
        share < TARGET_IDLE_PCT,
    )


# --- 3. memory -----------------------------------------------------------------------------


def rss_mb() -> float:
    gc.collect()
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


@contextlib.contextmanager
def sim_child(speed: float) -> Iterator[str]:
    """Runs the demo server in a child process; yields its URL."""
    code = SIM_CHILD.format(repo=str(REPO), speed=speed)
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        if not url.startswith("http"):
            raise RuntimeError("the demo server did not start")
        yield url
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class CountingObserver(Observer):
    """The console's observer, counting the ticks it starts.

    Its metrics clock advances `step_s` per scrape, so that the console's
    time-bounded history (MetricsHistory keeps 120 s) holds what it would hold
    at one scrape every `step_s`, however fast the benchmark scrapes.
    """

    def __init__(self, url: str, step_s: float | None) -> None:
        self.now_s = 0.0
        self.step_s = step_s
        self.calls = 0
        super().__init__(parse_endpoint(url), None, 2.0, clock=self._clock)

    def _clock(self) -> float:
        if self.step_s is None:
            return time.monotonic()
        self.now_s += self.step_s
        return self.now_s

    async def observe(self) -> Observation:
        self.calls += 1
        return await super().observe()


class Deadline(Exception):
    """A time budget ran out."""


async def wait_until(check: Callable[[], bool], until_s: float, step_s: float = 0.002) -> None:
    """Lets the app run until `check()` holds; raises Deadline past `until_s` (monotonic)."""
    while not check():
        if time.monotonic() > until_s:
            raise Deadline
        await asyncio.sleep(step_s)


class Scraped:
    """Counts the MetricsScraped messages the app handles (a run_test message hook)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, message: Message) -> None:
        if isinstance(message, MetricsScraped):
            self.count += 1


def build_console(
    url: str, session_dir: Path, interval_s: float, step_s: float | None
) -> tuple[VlmConsoleApp, CountingObserver]:
    """Returns the console as the tests build it, scraping every `interval_s` seconds."""
    observer = CountingObserver(url, step_s)
    app = console_for(url, session_dir, observer=observer, images=None)
    app.config = dataclasses.replace(app.config, scrape_interval_s=interval_s)
    return app, observer


class MemoryRun:
    """Drives one console: scrapes back to back, then screenshot turns; samples RSS."""

    def __init__(self, app: VlmConsoleApp, scraped: Scraped, size: tuple[int, int]) -> None:
        self.app = app
        self.scraped = scraped
        self.size = size
        self.new_conversations = 0
        self.rss: dict[str, tuple[float, int, int]] = {}
        """label: (RSS MB, scrapes handled, turns recorded)."""
        self.seed = 0

    def sample(self, label: str) -> float:
        mb = rss_mb()
        self.rss[label] = (mb, self.scraped.count, len(self.app.console_screen.chat.records))
        return mb

    def _scraped_at_least(self, want: int) -> Callable[[], bool]:
        return lambda: self.scraped.count >= want

    def _recorded_at_least(self, want: int) -> Callable[[], bool]:
        return lambda: (
            len(self.app.console_screen.chat.records) >= want
            and not self.app.console_screen.chat.turn_busy
        )

    async def scrape(self, until_s: float) -> None:
        """Runs one scrape as the timer runs it (`_scrape_tick`) and waits until it is shown."""
        want = self.scraped.count + 1
        self.app.console_screen._scrape_tick()
        await wait_until(self._scraped_at_least(want), until_s, step_s=0.001)

    async def turn(self, until_s: float) -> None:
        """Pushes a new screenshot and waits for its receipt; once the chat outgrew the
        context, starts a new conversation as the console tells a person to (`c`)."""
        self.seed += 1
        want = len(self.app.console_screen.chat.records) + 1
        width, height = self.size
        self.app.console_screen.chat._send(
            synthetic_asset(width, height, self.seed), TURN_TEXT, None
        )
        if not self.app.console_screen.chat.turn_busy:
            raise RuntimeError("the console refused the turn")
        await wait_until(self._recorded_at_least(want), until_s)
        if self.app.console_screen.chat.records[-1].context_full:
            await self.app.console_screen.action_new_conversation()
            self.new_conversations += 1

    async def scrapes(self, count: int, label: str, budget_s: float) -> int:
        """Runs up to `count` scrapes back to back within `budget_s`; returns how many."""
        start = time.monotonic()
        done = 0
        try:
            while done < count:
                await self.scrape(start + budget_s)
                done += 1
                if done % 1000 == 0:
                    elapsed = time.monotonic() - start
                    print(
                        f"  {label}: {done:,} scrapes in {elapsed:.0f} s"
                        f" ({elapsed / done * 1000:.0f} ms each), RSS {rss_mb():.1f} MB",
                        flush=True,
                    )
        except Deadline:
            print(f"  {label}: the time budget ({budget_s:.0f} s) ran out after {done:,} scrapes")
        return done

    async def turns(self, count: int, label: str, budget_s: float) -> int:
        """Pushes up to `count` turns within `budget_s`, one scrape after each; returns how
        many turns were recorded."""
        start = last = time.monotonic()
        start_records = len(self.app.console_screen.chat.records)
        done = 0
        try:
            while done < count:
                await self.turn(start + budget_s)
                done += 1
                await self.scrape(start + budget_s)
                if done % 50 == 0:
                    now = time.monotonic()
                    print(
                        f"  {label}: {done:,} turns in {now - start:.0f} s"
                        f" (last 50: {(now - last) / 50:.2f} s each), RSS {rss_mb():.1f} MB",
                        flush=True,
                    )
                    last = now
        except Deadline:
            print(f"  {label}: the time budget ({budget_s:.0f} s) ran out after {done:,} turns")
            with contextlib.suppress(Deadline):  # let the turn in flight finish
                await wait_until(
                    lambda: not self.app.console_screen.chat.turn_busy, time.monotonic() + 60
                )
            done = len(self.app.console_screen.chat.records) - start_records
        return done


async def memory_growth(args: argparse.Namespace) -> Result:
    print(
        f"3. memory: {args.scrapes:,} scrapes then {args.turns:,} turns (a new {args.size}"
        f" screenshot each, policy {args.policy}), demo server at speed 1000 in a child process"
    )
    target = f"< {TARGET_GROWTH_MB:.0f} MB"
    session_dir = Path(tempfile.mkdtemp(prefix="vlmbench-memory-"))
    with sim_child(1000.0) as url:
        # scrapes are driven below (one at a time, each as the timer's tick runs it),
        # so the timer itself is set never to fire after the first scrape
        app, _ = build_console(url, session_dir, 3600.0, 1.0)
        scraped = Scraped()
        width, _, height = args.size.partition("x")
        run = MemoryRun(app, scraped, (int(width), int(height)))
        run.sample("before the app")
        scrapes = turns = widgets = kept = assets = 0
        failed: list[TurnRecord] = []
        try:
            async with app.run_test(size=(160, 50), message_hook=scraped):
                await wait_until(
                    lambda: app.console_screen.chat.engine is not None, time.monotonic() + 30
                )
                if args.policy != "none":
                    app.console_screen.action_set_policy(args.policy)
                start = time.monotonic()
                await run.scrapes(WARM_SCRAPES, "warm-up", 120.0)
                await run.turns(WARM_TURNS, "warm-up", 120.0)
                run.sample("after warm-up")
                print(f"  warm-up took {time.monotonic() - start:.0f} s")
                start = time.monotonic()
                scrapes = await run.scrapes(args.scrapes, "scrapes", args.scrape_budget)
                run.sample(f"after {scrapes:,} scrapes")
                print(f"  {scrapes:,} scrapes took {time.monotonic() - start:.0f} s")
                start = time.monotonic()
                turns = await run.turns(args.turns, "turns", args.turn_budget)
                run.sample(f"after {turns:,} turns")
                print(f"  {turns:,} turns took {time.monotonic() - start:.0f} s")
                failed = [record for record in app.console_screen.chat.records if not record.ok]
                widgets = len(app.query("*"))
                kept = len(app.console_screen.history)
                engine = app.console_screen.chat.engine
                assets = len(getattr(engine, "_assets", ()))
        except Exception as error:  # reported: the console failed, not the benchmark
            print(f"  the console raised: {type(error).__name__}: {error}")
    shutil.rmtree(session_dir, ignore_errors=True)
    for label, (mb, handled, recorded) in run.rss.items():
        print(f"  RSS {label:<22} {mb:7.1f} MB   ({handled:,} scrapes, {recorded:,} turns in all)")
    print(
        f"  at the end: {widgets:,} widgets in the DOM, {kept} snapshots in the history,"
        f" {assets:,} images held by the turn engine, {len(failed)} failed turns"
        + (f" (first: {failed[0].error})" if failed else "")
    )
    print(f"  new conversations started when the chat outgrew the context: {run.new_conversations}")
    labels = ("after warm-up", f"after {scrapes:,} scrapes", f"after {turns:,} turns")
    if any(label not in run.rss for label in labels):
        return Result("memory growth", "did not complete", target, None)
    base = run.rss[labels[0]][0]
    after_scrapes = run.rss[labels[1]][0] - base
    growth = run.rss[labels[2]][0] - base
    after_turns = growth - after_scrapes
    complete = scrapes == args.scrapes and turns == args.turns
    what = f"{growth:+.1f} MB ({scrapes:,} scrapes {after_scrapes:+.1f}"
    what += f", {turns:,} turns {after_turns:+.1f})"
    if turns and turns < args.turns:
        per_turn = after_turns / turns
        print(
            f"  {per_turn * 1000:.0f} KB per turn: {args.turns:,} turns would add about"
            f" {per_turn * args.turns:+.0f} MB (linear)"
        )
    met: bool | None = growth < TARGET_GROWTH_MB if complete else None
    if growth >= TARGET_GROWTH_MB:
        met = False  # already over, whatever was left to run
    print(f"  growth after warm-up: {what}; target {target}: {verdict(met)}")
    return Result("memory growth", what, target, met)


# --- main ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="start-up runs")
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    parser.add_argument("--scrapes", type=int, default=10_000)
    parser.add_argument("--turns", type=int, default=1_000)
    parser.add_argument("--policy", default="slide:4", help="window policy for the turns")
    parser.add_argument("--size", default="1280x720", help="screenshot size for the turns")
    parser.add_argument("--scrape-budget", type=float, default=400.0, help="seconds at most")
    parser.add_argument("--turn-budget", type=float, default=1200.0, help="seconds at most")
    parser.add_argument(
        "--only", default="startup,idle,memory", help="which parts to run (attach: startup)"
    )
    args = parser.parse_args()
    parts = {"startup" if part == "attach" else part for part in args.only.split(",")}
    if shutil.which("tmux") is None and parts & {"startup", "idle"}:
        sys.exit("bench_console: tmux is needed for the startup and idle parts")
    results: list[Result] = []
    began = time.monotonic()
    if parts & {"startup", "idle"}:
        warm_up()
        tmux = Tmux()
        try:
            with run_in_thread(SimConfig(speed=100)) as server:
                if "startup" in parts:
                    results.extend(startup_times(tmux, server.base_url, args.runs))
                if "idle" in parts:
                    results.append(idle_share(tmux, server.base_url, args.idle_seconds))
        finally:
            tmux.close()
    if "memory" in parts:
        results.append(asyncio.run(memory_growth(args)))
    print(f"\nsummary ({time.monotonic() - began:.0f} s in all)")
    print(f"  {'measure':<26} {'value':<46} {'target':<10} result")
    for result in results:
        print(f"  {result.name:<26} {result.value:<46} {result.target:<10} {verdict(result.met)}")


if __name__ == "__main__":
    main()
