"""Console benchmarks: attach to first metrics, CPU share attached idle, memory growth.

    .venv/bin/python benchmarks/bench_console.py [--runs 5] [--idle-seconds 60]
        [--scrapes 10000] [--turns 1000] [--policy slide:4]
        [--scrape-budget 400] [--turn-budget 1200] [--only attach,idle,memory]

Against the demo server (vlmconsole.sim), no GPU needed. Needs tmux. About 20 minutes.

1. Attach to first metrics on screen: the demo server (speed 100) runs in this
   process; the real `vlmconsole attach URL` binary is started in a 160x50 tmux
   pane, as a person would, and the pane is read (`tmux capture-pane`, every
   20 ms) until the KV cache line shows the server's capacity ("of 2,097,152
   tok"), which only a parsed /metrics page puts there. The clock starts just
   before `tmux new-session`. Median and max over --runs, and when the first
   frame (the header) appeared. For reference, the start-up floor:
   `python -c "import textual"`, the console's own imports, `vlmconsole --help`.
   Target: under 1.5 s.
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
from collections.abc import Callable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from textual.message import Message  # noqa: E402

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

BIN = Path(sys.executable).parent
CONSOLE = BIN / "vlmconsole"
METRICS_MARK = "of 2,097,152 tok"
"""On the KV cache line once a /metrics page was parsed (the demo server's capacity)."""
FRAME_MARK = "vlmconsole http"
"""On the header from the first frame on."""
POLL_S = 0.02
ATTACH_TIMEOUT_S = 30.0
TARGET_ATTACH_S = 1.5
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
    return "n/a" if met is None else "met" if met else "MISSED"


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

    def start(self, name: str, command: list[str]) -> None:
        shell = "exec " + " ".join(_quote(part) for part in command)
        self.run("new-session", "-d", "-s", name, "-x", "160", "-y", "50", shell)

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
    return [str(CONSOLE), "attach", url, "--session-dir", str(session_dir)]


def wait_for_screen(tmux: Tmux, name: str, start: float) -> tuple[float | None, float | None]:
    """Returns seconds from `start` to the first frame and to the first metrics (None: never)."""
    frame_at: float | None = None
    deadline = start + ATTACH_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            text = tmux.screen(name)
        except RuntimeError:
            text = ""
        now = time.monotonic()
        if frame_at is None and FRAME_MARK in text:
            frame_at = now - start
        if METRICS_MARK in text:
            return frame_at if frame_at is not None else now - start, now - start
        time.sleep(POLL_S)
    return frame_at, None


# --- 1. attach -----------------------------------------------------------------------------


def command_time(command: list[str], rounds: int = 5) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, timeout=60)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def attach_times(tmux: Tmux, url: str, runs: int) -> Result:
    print(f"1. `vlmconsole attach` to first metrics on screen, tmux 160x50, {runs} runs")
    floor = [
        ("python -c 'import textual'", [sys.executable, "-c", "import textual"]),
        (
            "python -c 'import vlmconsole.ui.app'",
            [sys.executable, "-c", "import vlmconsole.ui.app"],
        ),
        ("vlmconsole --help", [str(CONSOLE), "--help"]),
    ]
    for label, command in floor:
        print(f"  start-up floor: {label:<38} median {command_time(command):5.2f} s (5 runs)")
    frames: list[float] = []
    firsts: list[float] = []
    for run in range(runs):
        session_dir = Path(tempfile.mkdtemp(prefix="vlmbench-attach-"))
        name = f"attach{run}"
        start = time.monotonic()
        tmux.start(name, attach_command(url, session_dir))
        frame, first = wait_for_screen(tmux, name, start)
        tmux.kill(name)
        shutil.rmtree(session_dir, ignore_errors=True)
        shown = "never" if first is None else f"{first:.2f} s"
        print(f"  run {run + 1}: first frame {frame or float('nan'):.2f} s, first metrics {shown}")
        if first is None:
            return Result("attach to first metrics", "timed out", f"< {TARGET_ATTACH_S} s", False)
        assert frame is not None
        frames.append(frame)
        firsts.append(first)
        time.sleep(0.5)
    median, worst = statistics.median(firsts), max(firsts)
    print(
        f"  first frame median {statistics.median(frames):.2f} s;"
        f" first metrics median {median:.2f} s, max {worst:.2f} s;"
        f" target < {TARGET_ATTACH_S} s (median): {verdict(median < TARGET_ATTACH_S)}"
    )
    return Result(
        "attach to first metrics",
        f"median {median:.2f} s, max {worst:.2f} s",
        f"< {TARGET_ATTACH_S} s",
        median < TARGET_ATTACH_S,
    )


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
    tmux.start(name, attach_command(url, session_dir))
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
    parser.add_argument("--runs", type=int, default=5, help="attach runs")
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    parser.add_argument("--scrapes", type=int, default=10_000)
    parser.add_argument("--turns", type=int, default=1_000)
    parser.add_argument("--policy", default="slide:4", help="window policy for the turns")
    parser.add_argument("--size", default="1280x720", help="screenshot size for the turns")
    parser.add_argument("--scrape-budget", type=float, default=400.0, help="seconds at most")
    parser.add_argument("--turn-budget", type=float, default=1200.0, help="seconds at most")
    parser.add_argument("--only", default="attach,idle,memory", help="which parts to run")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    if shutil.which("tmux") is None and parts & {"attach", "idle"}:
        sys.exit("bench_console: tmux is needed for the attach and idle parts")
    results: list[Result] = []
    began = time.monotonic()
    if parts & {"attach", "idle"}:
        tmux = Tmux()
        try:
            with run_in_thread(SimConfig(speed=100)) as server:
                if "attach" in parts:
                    results.append(attach_times(tmux, server.base_url, args.runs))
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
