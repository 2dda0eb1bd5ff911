"""A folder of screenshots: the next one in name order, and the ones that just appeared."""

from __future__ import annotations

from pathlib import Path

from vlmconsole.model.screenshot_formats import IMAGE_SUFFIXES
from vlmconsole.sources.source_errors import ImageError


class ImageFolder:
    """Steps through a folder's images and notices new ones (polled, no OS watcher)."""

    def __init__(self, folder: Path) -> None:
        if not folder.is_dir():
            raise ImageError(f"{folder}: not a folder")
        self.folder = folder
        self._position = 0
        self._known = set(self._list())
        self._sizes: dict[Path, int] = {}

    def _list(self) -> list[Path]:
        try:
            return sorted(
                path
                for path in self.folder.iterdir()
                if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file()
            )
        except OSError:
            return []

    def next_image(self) -> Path | None:
        """Returns the next image in name order, or None after the last one."""
        images = self._list()
        if self._position >= len(images):
            return None
        self._position += 1
        return images[self._position - 1]

    def new_images(self) -> list[Path]:
        """Returns images that appeared since the last call (or since the folder was opened).

        A file still being written is picked up once its size stops changing
        between two calls.
        """
        found = self._list()
        fresh = [p for p in found if p not in self._known]
        ready = []
        for path in fresh:
            try:
                size = path.stat().st_size
            except OSError:
                continue
            if size > 0 and self._sizes.get(path) == size:
                ready.append(path)
                self._known.add(path)
            self._sizes[path] = size
        return ready
