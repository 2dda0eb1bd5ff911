"""The multimodal processor cache: processed images kept by identity, LRU by size.

vLLM keeps each image's processor output (here: its pixel tiles, 3 x 512 x 512
float32 each) keyed by the image's hash or `uuid`, up to `--mm-processor-cache-gb`.
Byte-identical images hit; `vllm:mm_cache_queries`/`_hits` count one per image.
"""

from __future__ import annotations

from collections import OrderedDict

from vlmconsole.sim.images import TILE_PX, ImageInfo

BYTES_PER_TILE = 3 * TILE_PX * TILE_PX * 4


class ProcessorCache:
    """An LRU of processed images, bounded in bytes."""

    def __init__(self, capacity_bytes: int) -> None:
        self.capacity_bytes = capacity_bytes
        self._items: OrderedDict[str, int] = OrderedDict()
        self._used = 0

    def query(self, image: ImageInfo) -> bool:
        """Returns True on a hit; on a miss stores the image, evicting the oldest."""
        if image.identity in self._items:
            self._items.move_to_end(image.identity)
            return True
        size = image.tiles * BYTES_PER_TILE
        if size > self.capacity_bytes:
            return False
        while self._used + size > self.capacity_bytes:
            _identity, freed = self._items.popitem(last=False)
            self._used -= freed
        self._items[image.identity] = size
        self._used += size
        return False

    def __contains__(self, identity: object) -> bool:
        return identity in self._items

    def clear(self) -> None:
        """Empties the cache (`/reset_mm_cache`)."""
        self._items.clear()
        self._used = 0
