"""Images as the simulated server sees them: size, identity and token cost.

The token cost follows the Idefics3 processor of the real test model
(`size.longest_edge` 2048, `max_image_size.longest_edge` 512, 64 tokens a tile):
the image is resized so that its longest edge is 2048 (keeping the aspect ratio),
then each side is rounded up to a multiple of 512 and cut into 512x512 tiles, plus
one global tile. In the prompt every tile is `<fake_token_around_image>
<row_r_col_c>` and 64 `<image>` tokens, each row of tiles ends with a newline, and
the global tile is a newline, `<fake_token_around_image><global-img>`, 64
`<image>` and `<fake_token_around_image>`. Measured on the real server: 1280x720,
640x480 and 1920x1080 cost 863 tokens, 800x1280 864, 512x512 1,128, 300x100 598;
this module gives the same numbers.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import ipaddress
import math
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from PIL import Image, UnidentifiedImageError

LONGEST_EDGE_PX = 2048
TILE_PX = 512
TOKENS_PER_TILE = 64
ALLOWED_HOSTS = ("127.0.0.1", "localhost", "::1")

_DATA_URL = re.compile(
    r"^data:(?P<mime>[\w/+.-]*)(?P<params>(;[^;,]*)*?);base64,(?P<data>.*)$", re.S
)


class BadImage(ValueError):
    """The image cannot be used; the message is the one to send back."""


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """One decoded image: who it is, how big, and how it tiles."""

    identity: str
    """sha256 of its bytes, or the request part's `uuid` when it has one."""
    width_px: int
    height_px: int
    rows: int
    cols: int
    size_bytes: int

    @property
    def tiles(self) -> int:
        """Returns the tiles the vision encoder runs on, the global tile included."""
        return self.rows * self.cols + 1

    @property
    def num_tokens(self) -> int:
        """Returns the image's prompt tokens (placeholders and their markers)."""
        return image_token_count(self.rows, self.cols)


def _resize_longest_edge(width: int, height: int) -> tuple[int, int]:
    aspect = width / height
    if width >= height:
        width = LONGEST_EDGE_PX
        height = int(width / aspect)
        height += height % 2
    else:
        height = LONGEST_EDGE_PX
        width = int(height * aspect)
        width += width % 2
    return max(width, 1), max(height, 1)


def tile_grid(width_px: int, height_px: int) -> tuple[int, int]:
    """Returns (rows, cols) of 512x512 tiles an image of this size is cut into."""
    width, height = _resize_longest_edge(width_px, height_px)
    aspect = width / height
    if width >= height:
        width = math.ceil(width / TILE_PX) * TILE_PX
        height = math.ceil(int(width / aspect) / TILE_PX) * TILE_PX
    else:
        height = math.ceil(height / TILE_PX) * TILE_PX
        width = math.ceil(int(height * aspect) / TILE_PX) * TILE_PX
    if width <= TILE_PX and height <= TILE_PX:
        return 0, 0
    return math.ceil(height / TILE_PX), math.ceil(width / TILE_PX)


def image_token_count(rows: int, cols: int) -> int:
    """Returns the prompt tokens of an image cut into rows x cols tiles."""
    global_tile = 3 + TOKENS_PER_TILE
    if rows == 0 or cols == 0:
        return global_tile
    return rows * cols * (2 + TOKENS_PER_TILE) + rows + 1 + global_tile


def inspect_image(data: bytes, uuid: str | None = None) -> ImageInfo:
    """Returns the size, tiling and identity of encoded image bytes.

    Reads the header and checks the file's structure without decoding pixels.
    Raises BadImage, worded as vLLM words it, when pillow cannot read it.
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            image.verify()
    except UnidentifiedImageError as error:
        raise BadImage(
            "Failed to load image: cannot identify image file <_io.BytesIO object>"
        ) from error
    except (OSError, ValueError, SyntaxError) as error:
        raise BadImage(f"Failed to load image: {error}") from error
    if width < 1 or height < 1:
        raise BadImage(f"Failed to load image: empty image ({width}x{height})")
    rows, cols = tile_grid(width, height)
    identity = uuid if uuid else hashlib.sha256(data).hexdigest()
    return ImageInfo(identity, width, height, rows, cols, len(data))


def decode_data_url(url: str) -> bytes:
    """Returns the bytes of a `data:image/...;base64,` URL, or raises BadImage."""
    match = _DATA_URL.match(url)
    if match is None:
        raise BadImage("Failed to load image: not a base64 data URL")
    if match["mime"] and not match["mime"].startswith("image/"):
        raise BadImage(f"Failed to load image: a data URL of {match['mime']}, not an image")
    try:
        return base64.b64decode(re.sub(r"\s+", "", match["data"]), validate=True)
    except (binascii.Error, ValueError) as error:
        raise BadImage(f"Failed to load image: invalid base64 data ({error})") from error


def loopback_url(url: str) -> str:
    """Returns an http(s) URL on a loopback host, with `localhost` made 127.0.0.1.

    Raises BadImage for any other scheme or host, before any connection is made,
    with the message vLLM gives under `--allowed-media-domains`.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise BadImage(f"Failed to load image: bad URL {url!r} ({error})") from error
    if parts.scheme not in ("http", "https"):
        raise BadImage(f"Failed to load image: unsupported URL scheme {parts.scheme!r}")
    host = parts.hostname or ""
    loopback = host == "localhost"
    if not loopback:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
    if not loopback:
        raise BadImage(
            f"The URL must be from one of the allowed domains: {list(ALLOWED_HOSTS)}. "
            f"Input URL domain: {host}"
        )
    if host == "localhost":
        netloc = "127.0.0.1" + (f":{port}" if port else "")
        return parts._replace(netloc=netloc).geturl()
    return url
