"""JSON bodies shaped as vLLM 0.32 sends them (copied from the real server's answers)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from vlmconsole.sim.template import Prompt


def sse(payload: dict[str, Any] | str) -> bytes:
    """Returns one server-sent event line, `data: ...` and a blank line."""
    text = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
    return f"data: {text}\n\n".encode()


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts of one request so far."""

    prompt: Prompt
    completion_tokens: int
    cached_tokens: int
    created_cache_tokens: int

    def body(self, details: bool = True) -> dict[str, Any]:
        """Returns the `usage` object; with `details`, vLLM's `prompt_tokens_details`."""
        prompt_tokens = len(self.prompt.token_ids)
        usage: dict[str, Any] = {
            "prompt_tokens": prompt_tokens,
            "total_tokens": prompt_tokens + self.completion_tokens,
            "completion_tokens": self.completion_tokens,
        }
        if details:
            found: dict[str, Any] = {
                "cached_tokens": self.cached_tokens,
                "created_cache_tokens": self.created_cache_tokens,
            }
            if self.prompt.mm_spans:
                found["multimodal_tokens"] = {"image": self.prompt.image_tokens}
            usage["prompt_tokens_details"] = found
        return usage


@dataclass(frozen=True, slots=True)
class ChunkMaker:
    """Builds the chunks of one streamed completion."""

    request_id: str
    created: int
    model: str
    fingerprint: str

    def _head(self) -> dict[str, Any]:
        return {
            "id": self.request_id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
        }

    def role(self) -> dict[str, Any]:
        """Returns the first chunk: the assistant role and empty content."""
        choice = {
            "index": 0,
            "delta": {"role": "assistant", "content": ""},
            "logprobs": None,
            "finish_reason": None,
        }
        return {**self._head(), "choices": [choice], "prompt_token_ids": None, "prompt_text": None}

    def content(
        self, text: str, finish_reason: str | None, usage: Usage | None = None
    ) -> dict[str, Any]:
        """Returns a chunk carrying one token's text (and the finish reason on the last)."""
        choice: dict[str, Any] = {
            "index": 0,
            "delta": {"content": text},
            "logprobs": None,
            "finish_reason": finish_reason,
        }
        if finish_reason is not None:
            choice["stop_reason"] = None
        choice["token_ids"] = None
        chunk = {**self._head(), "choices": [choice]}
        if usage is not None:
            chunk["usage"] = usage.body(details=False)
        return chunk

    def usage(self, usage: Usage) -> dict[str, Any]:
        """Returns the final usage chunk (`stream_options.include_usage`)."""
        return {
            **self._head(),
            "choices": [],
            "usage": usage.body(),
            "system_fingerprint": self.fingerprint,
        }

    def completion(self, text: str, finish_reason: str | None, usage: Usage) -> dict[str, Any]:
        """Returns the whole body of a completion that was not streamed."""
        message = {
            "role": "assistant",
            "content": text,
            "refusal": None,
            "annotations": None,
            "audio": None,
            "function_call": None,
            "reasoning": None,
        }
        choice = {
            "index": 0,
            "message": message,
            "logprobs": None,
            "finish_reason": finish_reason,
            "stop_reason": None,
            "token_ids": None,
            "routed_experts": None,
        }
        return {
            "id": self.request_id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [choice],
            "service_tier": None,
            "system_fingerprint": self.fingerprint,
            "usage": {**usage.body(), "completion_tokens_details": None},
            "prompt_logprobs": None,
            "prompt_token_ids": None,
            "prompt_text": None,
            "kv_transfer_params": None,
            "ec_transfer_params": None,
            "metrics": None,
        }


def models_body(
    model: str, root: str, max_model_len: int, created: int, permission_id: str
) -> dict[str, Any]:
    """Returns the `/v1/models` body for the one served model."""
    permission = {
        "id": permission_id,
        "object": "model_permission",
        "created": created,
        "allow_create_engine": False,
        "allow_sampling": True,
        "allow_logprobs": True,
        "allow_search_indices": False,
        "allow_view": True,
        "allow_fine_tuning": False,
        "organization": "*",
        "group": None,
        "is_blocking": False,
    }
    card = {
        "id": model,
        "object": "model",
        "created": created,
        "owned_by": "vllm",
        "root": root,
        "parent": None,
        "max_model_len": max_model_len,
        "permission": [permission],
    }
    return {"object": "list", "data": [card]}
