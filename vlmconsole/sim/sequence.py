"""One request inside the simulated engine: what was asked, and how far it got."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from vlmconsole.sim.template import Prompt


class Status(Enum):
    """Where a request is in the scheduler."""

    WAITING = "waiting"
    RUNNING = "running"
    FINISHED = "finished"


@dataclass(frozen=True, slots=True)
class EngineRequest:
    """A request as the frontend hands it to the engine."""

    request_id: str
    prompt: Prompt
    max_tokens: int
    """Tokens to generate at most, already capped by max_model_len."""
    max_tokens_param: int | None
    """`max_tokens` as the client sent it."""
    stop_after: int | None
    """The reply's natural length (its EOS included); None with `ignore_eos`."""
    seed: int
    arrival_s: float
    """When the server received the request (clock of the engine)."""


@dataclass(slots=True, eq=False)
class Seq:
    """A request's mutable state in the scheduler."""

    req: EngineRequest
    queued_s: float
    output: list[int] = field(default_factory=list)
    num_computed: int = 0
    """Tokens whose KV is computed (prompt first, then fed-back output)."""
    blocks: list[int] = field(default_factory=list)
    hashes: list[bytes] = field(default_factory=list)
    registered: int = 0
    """Leading blocks already entered in the prefix cache."""
    status: Status = Status.WAITING
    num_preemptions: int = 0
    cached_tokens: int | None = None
    """Prefix-cache hit at the first scheduling; None until then."""
    created_cache_tokens: int = 0
    encoded: set[int] = field(default_factory=set)
    """Images (span indexes) the encoder ran on in the current prefill pass."""
    scheduled_s: float | None = None
    first_token_s: float | None = None
    last_token_s: float | None = None
    finish_reason: str | None = None

    @property
    def request_id(self) -> str:
        """Returns the request's id."""
        return self.req.request_id

    @property
    def num_prompt(self) -> int:
        """Returns the prompt's length in tokens."""
        return len(self.req.prompt.token_ids)

    @property
    def num_tokens(self) -> int:
        """Returns prompt plus output tokens."""
        return self.num_prompt + len(self.output)

    def token_ids(self) -> list[int]:
        """Returns prompt and output token ids in order."""
        return [*self.req.prompt.token_ids, *self.output]
