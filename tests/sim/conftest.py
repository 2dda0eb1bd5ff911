"""Fixtures of the simulator's tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.sim.support import FAST, serving
from vlmconsole.sim import SimConfig, SimServer


@pytest.fixture()
async def sim() -> AsyncIterator[tuple[SimServer, httpx.AsyncClient]]:
    """A simulator with default settings at test speed, and a client for it."""
    async with serving(SimConfig(speed=FAST)) as pair:
        yield pair
