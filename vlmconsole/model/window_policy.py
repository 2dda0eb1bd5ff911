"""Window policies: how many past screenshots stay in a conversation (`none`, `slide:N`,
`chunk:N`), read from the words a person types (a flag, a setting, the settings screen).

What each policy does to the prefix cache is told in model/session.py, which applies it.
"""

from __future__ import annotations

from dataclasses import dataclass


class PolicyError(ValueError):
    """A window policy that cannot be read; the message shows the accepted forms."""


@dataclass(frozen=True, slots=True)
class WindowPolicy:
    """How many past images stay in the conversation: `none`, `slide:N` or `chunk:N`."""

    kind: str = "none"
    size: int = 0

    def __str__(self) -> str:
        return self.kind if self.kind == "none" else f"{self.kind}:{self.size}"

    @classmethod
    def parse(cls, text: str) -> WindowPolicy:
        """Returns the policy `text` names, or raises PolicyError."""
        text = text.strip().lower()
        if text == "none":
            return cls()
        kind, _, size = text.partition(":")
        if kind not in ("slide", "chunk") or not size.isdigit() or int(size) < 1:
            raise PolicyError(f"{text!r} is not a window policy: use none, slide:N or chunk:N")
        if kind == "chunk" and int(size) < 2:
            raise PolicyError("chunk:N needs N of 2 or more (it drops half the window at once)")
        return cls(kind, int(size))

    def window_start(self, image_turns: int) -> int:
        """Returns the index of the oldest image turn kept when there are `image_turns`."""
        if self.kind == "none":
            return 0
        if self.kind == "slide":
            return max(0, image_turns - self.size)
        start = 0
        for count in range(1, image_turns + 1):
            if count - start > self.size:
                start += max(1, self.size // 2)
        return start
