"""What the trend charts draw: TTFT and decode rate against context, one point a turn.

The console's trend chart and the report's charts both draw these points, so a
turn that is on one is on the other. Only finished turns that carry a context size
(their prompt tokens) give points.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vlmconsole.model.turn_record import TurnRecord

Points = list[tuple[float, float]]
"""(x, y) pairs: context tokens, then seconds or tokens per second."""


@dataclass(frozen=True, slots=True)
class ChartPoints:
    """What the two plots draw, each list of (x, y) sorted by context."""

    client_ttft: Points
    server_ttft: Points
    decode: Points
    decode_source: str
    """Whose decode rates: `server`, `client` or `server/client` (the server's when it has one)."""

    @property
    def empty(self) -> bool:
        """Returns True when neither plot has a point."""
        return not (self.client_ttft or self.server_ttft or self.decode)


def chart_points(records: Sequence[TurnRecord]) -> ChartPoints:
    """Returns the points of the finished turns that carry a context size; failed ones skipped."""
    client: Points = []
    server: Points = []
    decode: Points = []
    sources: set[str] = set()
    for record in records:
        if not record.ok or record.prompt_tokens is None:
            continue
        x = float(record.prompt_tokens)
        if record.ttft_s is not None:
            client.append((x, record.ttft_s))
        if record.server is not None:
            server.append((x, record.server.ttft_s))
        rate = record.decode_rate_tok_s
        if rate is not None:
            decode.append((x, rate))
            sources.add("server" if record.server_decode_tok_s is not None else "client")
    source = "/".join(sorted(sources, reverse=True))
    return ChartPoints(sorted(client), sorted(server), sorted(decode), source)
