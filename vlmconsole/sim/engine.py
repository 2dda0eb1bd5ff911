"""The engine loop: one asyncio task steps the scheduler and sleeps each step's cost.

Each step: plan (admissions, preemptions), sleep the cost model's duration divided
by `speed`, apply the step at the clock's new reading, record metrics and hand
every generated token to its request's queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable

from vlmconsole.sim import tokens
from vlmconsole.sim.config import SimConfig
from vlmconsole.sim.cost_model import Calibration, step_seconds
from vlmconsole.sim.metric_recorder import SimMetrics
from vlmconsole.sim.scheduler import Scheduler, StepPlan, TokenOut
from vlmconsole.sim.sequence import EngineRequest, Seq

_log = logging.getLogger(__name__)
_IDLE_POLL_S = 0.05
_CATCH_UP_S = 0.01
"""Oversleeping up to this much is made up in the following steps."""


class RequestHandle:
    """A submitted request: its tokens as they come, and its cache figures."""

    def __init__(self, seq: Seq, engine: Engine) -> None:
        self.seq = seq
        self._engine = engine
        self._queue: asyncio.Queue[TokenOut] = asyncio.Queue()

    @property
    def cached_tokens(self) -> int:
        """Returns the prompt tokens served from the prefix cache (0 before scheduling)."""
        return self.seq.cached_tokens or 0

    @property
    def created_cache_tokens(self) -> int:
        """Returns the prompt tokens this request newly wrote to the prefix cache."""
        return self.seq.created_cache_tokens

    def deliver(self, out: TokenOut) -> None:
        """Queues one generated token (called by the engine)."""
        self._queue.put_nowait(out)

    async def tokens(self) -> AsyncIterator[TokenOut]:
        """Yields the request's tokens until the one that finishes it."""
        while True:
            out = await self._queue.get()
            yield out
            if out.finish_reason is not None:
                return

    def abort(self) -> None:
        """Stops the request (the client went away); no more tokens come."""
        self._engine.abort(self)


class Engine:
    """The simulated engine core of one server."""

    def __init__(
        self,
        config: SimConfig,
        metrics: SimMetrics,
        calibration: Calibration | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.metrics = metrics
        self.calibration = calibration or Calibration()
        self.clock = clock
        self.scheduler = Scheduler(config, clock)
        self._handles: dict[str, RequestHandle] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._deadline_s = 0.0

    async def start(self) -> None:
        """Starts the engine loop on the running event loop."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="sim-engine")

    async def stop(self) -> None:
        """Stops the loop and aborts every request still in it."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for handle in list(self._handles.values()):
            self.abort(handle)

    @property
    def alive(self) -> bool:
        """Returns True while the engine loop runs."""
        return self._task is not None and not self._task.done()

    def submit(self, req: EngineRequest) -> RequestHandle:
        """Queues a request; returns its handle. Raises RuntimeError if the loop is not running."""
        if not self.alive:
            raise RuntimeError("the simulated engine is not running")
        handle = RequestHandle(self.scheduler.add(req, self.clock()), self)
        self._handles[req.request_id] = handle
        self._wake.set()
        return handle

    def abort(self, handle: RequestHandle) -> None:
        """Drops a request wherever it is."""
        if self._handles.pop(handle.seq.request_id, None) is None:
            return
        if self.scheduler.abort(handle.seq):
            self.metrics.aborted()

    def refresh_gauges(self) -> None:
        """Sets the running / waiting / KV-usage gauges from the scheduler's state."""
        s = self.scheduler
        self.metrics.set_state(len(s.running), len(s.waiting), s.cache.usage)
        self.metrics.residency(s.cache.drain_residency())

    def _seconds(self, plan: StepPlan) -> float:
        prefill = [(s.start, s.num_tokens) for s in plan.scheduled if s.is_prefill]
        decode = [s.start + 1 for s in plan.scheduled if not s.is_prefill]
        tiles = sum(s.encoder_tiles for s in plan.scheduled)
        return step_seconds(self.calibration, prefill, decode, tiles)

    async def _idle(self) -> None:
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), _IDLE_POLL_S)

    async def _sleep_step(self, seconds: float) -> None:
        # Sleep until a deadline, not for a duration: timer overshoot of one step is
        # taken off the next, so long decodes keep the modelled rate.
        now = self.clock()
        start = self._deadline_s if self._deadline_s > now - _CATCH_UP_S else now
        self._deadline_s = start + seconds
        await asyncio.sleep(max(0.0, self._deadline_s - now))

    async def _run(self) -> None:
        try:
            await self._loop()
        except Exception:
            # A bug in the simulator must not leave clients waiting forever.
            _log.exception("the simulated engine failed; ending every request with an error")
            for handle in list(self._handles.values()):
                seq = handle.seq
                handle.deliver(TokenOut(seq, tokens.END_OF_UTTERANCE, "", False, None, "error"))
            self._handles.clear()
            raise

    async def _loop(self) -> None:
        while True:
            if not self.scheduler.has_work():
                await self._idle()
                continue
            plan = self.scheduler.schedule(self.clock())
            self.metrics.admitted(plan.admitted)
            if not plan.scheduled:
                self.metrics.step([], len(plan.preempted))
                if not plan.preempted:
                    await self._idle()
                continue
            await self._sleep_step(self._seconds(plan) / self.config.speed)
            outputs = self.scheduler.complete(plan, self.clock())
            self.metrics.step(outputs, len(plan.preempted))
            for out in outputs:
                handle = self._handles.get(out.seq.request_id)
                if handle is None:
                    continue
                handle.deliver(out)
                if out.finish_reason is not None:
                    del self._handles[out.seq.request_id]
