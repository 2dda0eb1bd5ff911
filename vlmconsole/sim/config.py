"""The simulator's settings: one frozen value, checked when it is made."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SimConfig:
    """What the simulated vLLM server serves and how big its engine is.

    The defaults are those of the real CPU test server (`tests/support/real_vllm.py`),
    except `max_num_seqs`, which takes vLLM's GPU default.
    """

    model: str = "vlmconsole-demo-vlm"
    """The served model name (`--served-model-name`)."""
    max_model_len: int = 32768
    block_size: int = 128
    """Tokens per KV-cache block."""
    num_blocks: int = 16384
    """KV-cache blocks (`--num-gpu-blocks-override`)."""
    max_num_seqs: int = 256
    """Requests running at most; the rest wait."""
    speed: float = 1.0
    """Divides every simulated delay: 100 runs 100 times faster than the real server."""
    api_key: str | None = None
    """When set, `/v1/*` need `Authorization: Bearer <api_key>`."""
    limit_images: int = 64
    """Images a prompt may carry (`--limit-mm-per-prompt '{"image": N}'`)."""
    background_load: bool = False
    """Send scripted synthetic requests through the engine so the metrics move."""
    version: str = "0.32.0"
    """What /version says: 0.32.0 (the CPU test server's) or 0.33.0, whose page is the
    same name for name (read off both releases' vllm/v1/metrics)."""
    kv_cache_metrics: bool = False
    """`--kv-cache-metrics`: the kv_block_{lifetime,idle_before_evict,reuse_gap}_seconds
    histograms."""
    max_num_batched_tokens: int = 2048
    """Token budget of one engine step (chunked prefill); vLLM's CPU default."""
    mm_processor_cache_gb: float = 4.0
    """Size of the multimodal processor cache (`--mm-processor-cache-gb`)."""
    model_root: str = "/models/vlmconsole-demo-vlm"
    """What `/v1/models` reports as `root`."""

    def __post_init__(self) -> None:
        if self.block_size < 1 or self.num_blocks < 1 or self.max_num_seqs < 1:
            raise ValueError("block_size, num_blocks and max_num_seqs must be at least 1")
        if self.speed <= 0:
            raise ValueError(f"speed must be positive, not {self.speed}")
        if self.max_model_len < 1 or self.max_num_batched_tokens < 1:
            raise ValueError("max_model_len and max_num_batched_tokens must be at least 1")
        capacity = self.block_size * self.num_blocks
        if capacity < self.max_model_len:
            # vLLM refuses to start in this case too: one full-length request must fit.
            raise ValueError(
                f"the KV cache holds {capacity} tokens, fewer than max_model_len "
                f"({self.max_model_len}): raise num_blocks or lower max_model_len"
            )

    @property
    def kv_capacity_tokens(self) -> int:
        """Returns the KV cache's size in tokens."""
        return self.block_size * self.num_blocks
