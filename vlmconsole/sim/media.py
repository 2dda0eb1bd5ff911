"""Fetches the images of a request: data URLs in place, http(s) URLs from loopback only.

A URL on any other host is refused before a connection is attempted; redirects are
not followed, so a loopback server cannot send the simulator elsewhere.
"""

from __future__ import annotations

from collections import OrderedDict

import aiohttp

from vlmconsole.sim.image_cost import (
    BadImage,
    ImageInfo,
    decode_data_url,
    inspect_image,
    loopback_url,
)
from vlmconsole.sim.protocol import ImageRef

MAX_IMAGE_BYTES = 64 * 1024 * 1024
FETCH_TIMEOUT_S = 10.0


KNOWN_UUIDS = 4096
"""Images kept by uuid for parts that send the uuid alone (vLLM's processor cache)."""


class MediaLoader:
    """Turns image parts into decoded ImageInfo values; owns its HTTP client."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None
        self._by_uuid: OrderedDict[str, ImageInfo] = OrderedDict()

    async def load(self, ref: ImageRef, index: int = 0) -> ImageInfo:
        """Returns the image a part refers to; raises BadImage with vLLM's wording.

        A part with a uuid and no URL is the image an earlier part sent with that uuid;
        unknown (never sent, or forgotten), it fails as vLLM 0.32 fails it.
        """
        if ref.url is None:
            known = self._by_uuid.get(ref.uuid or "")
            if known is None:
                raise BadImage(f"Cache miss for image at index {index} but data is not provided.")
            self._by_uuid.move_to_end(ref.uuid or "")
            return known
        if ref.url.startswith("data:"):
            data = decode_data_url(ref.url)
        else:
            data = await self._fetch(loopback_url(ref.url))
        info = inspect_image(data, ref.uuid)
        if ref.uuid is not None:
            self._by_uuid[ref.uuid] = info
            self._by_uuid.move_to_end(ref.uuid)
            while len(self._by_uuid) > KNOWN_UUIDS:
                self._by_uuid.popitem(last=False)
        return info

    async def _fetch(self, url: str) -> bytes:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=FETCH_TIMEOUT_S), trust_env=False
            )
        chunks: list[bytes] = []
        size = 0
        try:
            async with self._session.get(url, allow_redirects=False) as response:
                if response.status != 200:
                    raise BadImage(f"Failed to load image: {url} answered {response.status}")
                async for chunk in response.content.iter_chunked(1 << 16):
                    size += len(chunk)
                    if size > MAX_IMAGE_BYTES:
                        raise BadImage(
                            f"Failed to load image: {url} is larger than {MAX_IMAGE_BYTES} bytes"
                        )
                    chunks.append(chunk)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise BadImage(
                f"Failed to load image: {url}: {error or type(error).__name__}"
            ) from error
        return b"".join(chunks)

    async def close(self) -> None:
        """Closes the HTTP client, if one was opened."""
        if self._session is not None:
            await self._session.close()
            self._session = None
