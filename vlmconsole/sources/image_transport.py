"""How images reach the server: data URLs, a loopback URL server, or file:// paths.

- `base64` (default): a data URL, built once per image and reused as is.
- `url`: an HTTP server on 127.0.0.1 that the console starts, serving only the
  images it was given, each under an unguessable path; the request carries a
  short URL and vLLM fetches the bytes (it must run on this machine).
- `file`: a file:// URL, for servers started with --allowed-local-media-path;
  converted images are written once into the session folder.
- `uuid`: a data URL with a stable id (the image's hash and the run's salt) the
  first time; once a turn with it finished, the id alone (`"image_url": null`),
  which vLLM (>= 0.11) answers from its multimodal processor cache: ~200 bytes
  instead of the image, every later turn. A server that lost the image (restarted,
  evicted) answers "Cache miss ...": the turn engine sends the turn again with
  every image's bytes (`send_bytes_again`).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from aiohttp import web

from vlmconsole.model.run_settings import TRANSPORTS
from vlmconsole.sources.screenshots import ImageAsset
from vlmconsole.sources.source_errors import SourceError


class TransportError(SourceError):
    """A transport that cannot be used as asked."""


class ImageTransport(Protocol):
    """Turns an image into the URL a chat request carries."""

    name: str

    async def start(self) -> None:
        """Gets ready (the url transport starts its server)."""

    async def aclose(self) -> None:
        """Releases what start() took."""

    def url_for(self, asset: ImageAsset) -> str:
        """Returns the image's URL; the same URL every time for the same image."""
        ...

    def forget(self, image_id: str) -> None:
        """Lets go of an image that will not be sent again (its URL, its bytes)."""
        ...

    def part_for(self, asset: ImageAsset) -> dict[str, Any]:
        """Returns the image's content part for a chat request."""
        ...

    def settle(self, image_ids: Iterable[str], ok: bool) -> None:
        """Hears how the request carrying these images ended."""
        ...

    def send_bytes_again(self) -> None:
        """The server lost images it had: the next parts carry their bytes again."""
        ...


def url_part(url: str) -> dict[str, Any]:
    """Returns the chat API's image part for `url`."""
    return {"type": "image_url", "image_url": {"url": url}}


class UrlParts:
    """The part of transports that send a URL every time (base64, url, file)."""

    def url_for(self, asset: ImageAsset) -> str:
        raise NotImplementedError  # each transport's own

    def part_for(self, asset: ImageAsset) -> dict[str, Any]:
        """Returns the image's URL as a content part."""
        return url_part(self.url_for(asset))

    def settle(self, image_ids: Iterable[str], ok: bool) -> None:
        """Nothing to remember: every request carries every URL."""

    def send_bytes_again(self) -> None:
        """Every part carries its bytes (or where to fetch them) anyway."""


class DataUrlTransport(UrlParts):
    """base64 data URLs, each built once."""

    name = "base64"

    def __init__(self) -> None:
        self._urls: dict[str, str] = {}

    async def start(self) -> None:
        """Nothing to start."""

    async def aclose(self) -> None:
        """Forgets the built URLs."""
        self._urls.clear()

    def url_for(self, asset: ImageAsset) -> str:
        """Returns the image as a data URL (built on first use, then reused)."""
        url = self._urls.get(asset.sha256)
        if url is None:
            url = f"data:{asset.mime};base64,{base64.b64encode(asset.data).decode('ascii')}"
            self._urls[asset.sha256] = url
        return url

    def forget(self, image_id: str) -> None:
        """Drops the image's data URL (a third larger than the image)."""
        self._urls.pop(image_id, None)


class LoopbackUrlTransport(UrlParts):
    """Serves the session's images on 127.0.0.1 under unguessable paths."""

    name = "url"

    def __init__(self) -> None:
        self._by_path: dict[str, ImageAsset] = {}
        self._paths: dict[str, str] = {}
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        asset = self._by_path.get(request.path)
        if asset is None:
            return web.Response(status=404)
        return web.Response(body=asset.data, content_type=asset.mime)

    async def start(self) -> None:
        """Starts the server on a free loopback port."""
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._serve)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def aclose(self) -> None:
        """Stops the server."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def url_for(self, asset: ImageAsset) -> str:
        """Returns http://127.0.0.1:PORT/<random>/<sha256><suffix>."""
        if self._runner is None:
            raise TransportError("the url transport's server is not running: start() it first")
        path = self._paths.get(asset.sha256)
        if path is None:
            path = f"/{secrets.token_urlsafe(18)}/{asset.sha256}{asset.suffix}"
            self._paths[asset.sha256] = path
            self._by_path[path] = asset
        return f"http://127.0.0.1:{self.port}{path}"

    def forget(self, image_id: str) -> None:
        """Stops serving the image (its path answers 404 from now on)."""
        path = self._paths.pop(image_id, None)
        if path is not None:
            self._by_path.pop(path, None)


class FileUrlTransport(UrlParts):
    """file:// URLs; images that were converted are written once into `folder`."""

    name = "file"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._urls: dict[str, str] = {}

    async def start(self) -> None:
        """Creates the folder for converted images."""
        self.folder.mkdir(parents=True, exist_ok=True)

    async def aclose(self) -> None:
        """Nothing to release; the written files stay with the session."""

    def url_for(self, asset: ImageAsset) -> str:
        """Returns file:///... of the image's exact bytes."""
        url = self._urls.get(asset.sha256)
        if url is None:
            path = asset.path
            if path is None or not path.exists() or path.read_bytes() != asset.data:
                path = self.folder / f"{asset.sha256}{asset.suffix}"
                if not path.exists():
                    path.write_bytes(asset.data)
            url = path.resolve().as_uri()
            self._urls[asset.sha256] = url
        return url

    def forget(self, image_id: str) -> None:
        """Drops the image's URL; a file written for it stays with the session."""
        self._urls.pop(image_id, None)


class UuidTransport:
    """Each image's bytes once, with its id; then the id alone."""

    name = "uuid"

    def __init__(self, salt: str | None = None) -> None:
        self.salt = salt or secrets.token_hex(8)
        """Per run: another run's ids never name this run's images."""
        self._data = DataUrlTransport()
        self._held: set[str] = set()
        """Images (by hash) a finished turn carried: the server has them."""

    async def start(self) -> None:
        """Nothing to start."""

    async def aclose(self) -> None:
        """Forgets the built URLs and what the server holds."""
        await self._data.aclose()
        self._held.clear()

    def uuid_of(self, asset: ImageAsset) -> str:
        """Returns the image's id: stable for its bytes within this run."""
        return hashlib.sha256(f"{self.salt}:{asset.sha256}".encode()).hexdigest()[:32]

    def url_for(self, asset: ImageAsset) -> str:
        """Returns the image as a data URL (what goes with its first part)."""
        return self._data.url_for(asset)

    def part_for(self, asset: ImageAsset) -> dict[str, Any]:
        """Returns the id alone for an image the server holds, else its bytes and id."""
        uuid = self.uuid_of(asset)
        if asset.sha256 in self._held:
            return {"type": "image_url", "image_url": None, "uuid": uuid}
        return {**url_part(self.url_for(asset)), "uuid": uuid}

    def settle(self, image_ids: Iterable[str], ok: bool) -> None:
        """A finished turn: the server now holds its images (a failed one may not)."""
        if ok:
            self._held.update(image_ids)

    def send_bytes_again(self) -> None:
        """The server lost images: every image's next part carries its bytes."""
        self._held.clear()

    def forget(self, image_id: str) -> None:
        """Drops the image's data URL and that the server held it."""
        self._data.forget(image_id)
        self._held.discard(image_id)


def saved_bytes(part: dict[str, Any], asset: ImageAsset) -> int:
    """Returns the bytes a part saved against the data URL base64 would have sent."""
    if part.get("image_url") is not None:
        return 0
    return len(f"data:{asset.mime};base64,") + 4 * ((len(asset.data) + 2) // 3)


def make_transport(name: str, session_folder: Path) -> ImageTransport:
    """Returns the transport called `name`; raises TransportError for an unknown one."""
    if name == "base64":
        return DataUrlTransport()
    if name == "uuid":
        return UuidTransport()
    if name == "url":
        return LoopbackUrlTransport()
    if name == "file":
        return FileUrlTransport(session_folder / "images")
    raise TransportError(f"{name!r} is not a transport: use one of {', '.join(TRANSPORTS)}")
