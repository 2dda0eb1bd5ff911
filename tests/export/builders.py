"""Turn records for the export tests, built by hand so every number can be checked."""

from __future__ import annotations

from vlmconsole.model.turn_record import ImageInfo, TurnRecord
from vlmconsole.model.turn_timing import ServerTiming, TtftBreakdown

SHA_A = "a" * 64
SHA_B = "b" * 64
SHA_C = "c" * 64


def ok_turn(run_id: str, policy: str, turn: int, **fields: object) -> TurnRecord:
    """Returns a finished turn; `fields` override the defaults."""
    values: dict[str, object] = {
        "run_id": run_id,
        "policy": policy,
        "turn": turn,
        "started_at": f"2025-05-01T10:00:0{turn}+00:00",
        "status": "ok",
        "model": "Qwen/Qwen2.5-VL-3B-Instruct",
        "transport": "base64",
        "reply": "A terminal with a build log.",
    }
    values.update(fields)
    return TurnRecord(**values)  # type: ignore[arg-type]


def failed_turn(run_id: str, policy: str, turn: int, error: str) -> TurnRecord:
    """Returns a failed turn: no measurements, only the error."""
    return TurnRecord(
        run_id=run_id,
        policy=policy,
        turn=turn,
        started_at=f"2025-05-01T11:00:0{turn}+00:00",
        status="failed",
        model="Qwen/Qwen2.5-VL-3B-Instruct",
        transport="base64",
        error=error,
    )


BREAKDOWN = TtftBreakdown(
    client_ttft_s=0.7, client_transport_s=0.1, preprocessing_s=0.2, queue_s=0.05, prefill_s=0.35
)


def session() -> list[TurnRecord]:
    """Returns three runs: `none` (two ok, one failed), `slide:4` (ok), `chunk:4` (all failed)."""
    return [
        ok_turn(
            "r1",
            "none",
            1,
            new_images=(ImageInfo("shot-1.png", SHA_A, 1280, 720, 50_000, tokens=800),),
            images_in_request=1,
            request_bytes=67_000,
            prep_s=0.01,
            ttft_s=0.5,
            decode_tok_s=20.0,
            server_decode_tok_s=25.0,
            e2e_s=1.5,
            prompt_tokens=1000,
            cached_tokens=0,
            new_tokens=1000,
            completion_tokens=26,
            new_image_tokens=800,
        ),
        ok_turn(
            "r1",
            "none",
            2,
            new_images=(
                ImageInfo("shot-2.png", SHA_B, 1280, 720, 40_000),
                ImageInfo("shot-3.png", SHA_C, 1280, 720, 45_000),
            ),
            images_in_request=3,
            ttft_s=0.7,
            decode_tok_s=18.0,
            e2e_s=2.0,
            prompt_tokens=2000,
            cached_tokens=1000,
            new_tokens=1000,
            completion_tokens=24,
            new_image_tokens=1700,
            server=ServerTiming(0.6, 0.05, 0.35, 1.2, "histogram deltas"),
            breakdown=BREAKDOWN,
        ),
        failed_turn("r1", "none", 3, "server closed the stream"),
        ok_turn(
            "r2", "slide:4", 1, ttft_s=0.4, decode_tok_s=30.0, prompt_tokens=900, cached_tokens=0
        ),
        failed_turn("r3", "chunk:4", 1, "timed out after 60 s"),
        failed_turn("r3", "chunk:4", 2, "timed out after 60 s"),
    ]
