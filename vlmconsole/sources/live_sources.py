"""The console's sources on a live server: what `attach` and `demo` hand the console."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from vlmconsole.model.container import ContainerInfo
from vlmconsole.model.launch_config import LaunchConfig
from vlmconsole.model.run_settings import RunSettings
from vlmconsole.settings import ApiKey
from vlmconsole.sources.endpoint import Endpoint
from vlmconsole.sources.image_folder import ImageFolder
from vlmconsole.sources.observer import Observer, first_scrape_observer

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

    from vlmconsole.sources.console_sources import MetricsFeed
    from vlmconsole.sources.container_watcher import ContainerWatcher
    from vlmconsole.sources.image_transport import ImageTransport
    from vlmconsole.sources.journal import Journal
    from vlmconsole.sources.screenshots import ImageAsset
    from vlmconsole.sources.turn_engine import TurnEngine


@dataclass
class LiveSources:
    """Real I/O: the server's endpoints, Docker, the images folder, the session folder."""

    endpoint: Endpoint
    api_key: ApiKey | None
    session_dir: Path
    run_id: str
    timeout_s: float = 5.0
    images_dir: Path | None = None
    metrics: MetricsFeed = field(init=False)
    _journals: list[Journal] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self.metrics = self._observer()

    def _observer(self) -> Observer:
        return Observer(self.endpoint, self.api_key, self.timeout_s)

    def scrape_ahead(self) -> None:
        """Starts the first scrape now (in a child process, or a thread for https), while the
        console is still loading."""
        from vlmconsole.sources.early_scrape import ScrapeAhead
        from vlmconsole.sources.first_scrape_child import request_bytes

        request = None
        if self.endpoint.base_url.startswith("http://"):  # the child reads plain http only
            request = request_bytes(self.endpoint.base_url, self.api_key, self.timeout_s)
        endpoint, key, timeout_s = self.endpoint, self.api_key, self.timeout_s
        self.metrics = ScrapeAhead(
            self._observer(),
            lambda: first_scrape_observer(endpoint, key, timeout_s),
            request,
            child_timeout_s=4 * timeout_s + 5,
        )

    def chat_engine(self, run: RunSettings) -> TurnEngine:
        """Returns the turn engine for `run`, journaling into the session folder."""
        from vlmconsole.sources.journal import JOURNAL_NAME, Journal
        from vlmconsole.sources.turn_engine import RunConfig, TurnEngine

        journal = Journal(self.session_dir / JOURNAL_NAME)
        self._journals.append(journal)
        return TurnEngine(
            self.endpoint,
            self.api_key,
            RunConfig(self.run_id, run),
            self.transport(run.transport),
            journal,
        )

    def transport(self, name: str) -> ImageTransport:
        """Returns the image transport called `name` (files go to the session folder)."""
        from vlmconsole.sources.image_transport import make_transport

        return make_transport(name, self.session_dir)

    def container_watch(self, info: ContainerInfo) -> ContainerWatcher:
        """Returns a watcher of the container `info`."""
        from vlmconsole.sources.container_watcher import ContainerWatcher

        return ContainerWatcher(info)

    def find_container(self) -> ContainerInfo | None:
        """Returns the local container publishing the server's port, if any."""
        from vlmconsole.sources.docker_source import container_behind

        return container_behind(self.endpoint)

    def screenshot_folder(self) -> ImageFolder | None:
        """Returns the images folder; raises ImageError when it is not a folder."""
        return None if self.images_dir is None else ImageFolder(self.images_dir)

    def load_image(self, path: Path) -> ImageAsset:
        """Returns the checked image at `path`; raises ImageError."""
        from vlmconsole.sources.screenshots import load_image

        return load_image(path)

    def preview(self, asset: ImageAsset, pixels: tuple[int, int]) -> PILImage | None:
        """Returns a small copy of the image for the chat's preview."""
        from vlmconsole.sources.screenshots import preview_image

        return preview_image(asset, pixels)

    async def launch(
        self,
        cache_labels: Mapping[str, str] | None,
        max_model_len: int | None,
        container: ContainerInfo | None,
    ) -> LaunchConfig:
        """Returns what the server runs with (/server_info, the container's or the local
        process's command line, and what the caller read from /metrics and /v1/models)."""
        from vlmconsole.sources.launch_source import read_launch

        return await read_launch(
            self.endpoint,
            self.api_key,
            self.timeout_s,
            cache_labels=cache_labels,
            max_model_len=max_model_len,
            container=container,
        )

    async def aclose(self) -> None:
        """Closes the metrics feed and every journal it opened."""
        await self.metrics.aclose()
        for journal in self._journals:
            journal.close()
