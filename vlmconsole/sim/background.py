"""Scripted background load, so a demo's metrics move without a client.

A few synthetic "agents" each hold a growing screenshot conversation: every turn
adds one 1280x720 screenshot and the reply, so their prompts hit the prefix cache
turn after turn; after `turns` turns an agent starts over with new screenshots.
Requests go straight to the frontend (no HTTP), through the processor cache, the
preprocessing cost and the engine like any other.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from vlmconsole.sim.error_replies import ApiError
from vlmconsole.sim.frontend import Frontend, new_request_id
from vlmconsole.sim.image_cost import ImageInfo, tile_grid
from vlmconsole.sim.template import ImagePart, Message, TextPart


@dataclass(frozen=True, slots=True)
class LoadScript:
    """How much background load to make."""

    agents: int = 3
    turns: int = 8
    max_tokens: int = 64
    pause_s: float = 2.0
    """Pause between an agent's turns, before `speed` divides it."""


def _screenshot(agent: int, serial: int) -> ImageInfo:
    rows, cols = tile_grid(1280, 720)
    return ImageInfo(f"background-{agent}-{serial}", 1280, 720, rows, cols, 180_000)


async def _agent(frontend: Frontend, script: LoadScript, agent: int) -> None:
    serial = 0
    speed = frontend.config.speed
    await asyncio.sleep(script.pause_s * agent / max(script.agents, 1) / speed)
    while True:
        messages: list[Message] = [Message("system", "You watch a screen and describe it.")]
        for turn in range(script.turns):
            serial += 1
            image = ImagePart(_screenshot(agent, serial))
            messages.append(Message("user", parts=(TextPart(f"Step {turn}: what changed?"), image)))
            try:
                handle, _prompt = await frontend.submit(
                    messages, script.max_tokens, False, new_request_id()
                )
            except ApiError:
                break  # the conversation outgrew the context: start over
            reply = "".join([out.text async for out in handle.tokens()])
            messages.append(Message("assistant", reply))
            await asyncio.sleep(script.pause_s / speed)


async def background_load(frontend: Frontend, script: LoadScript | None = None) -> None:
    """Runs the agents until cancelled; returns only by cancellation."""
    script = script or LoadScript()
    await asyncio.gather(*(_agent(frontend, script, agent) for agent in range(script.agents)))
