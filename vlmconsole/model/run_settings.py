"""What the next turns use: the model, the window policy, the image transport, the reply
length. Changed from the settings screen or the palette."""

from __future__ import annotations

from dataclasses import dataclass, field

from vlmconsole.model.window_policy import WindowPolicy

TRANSPORTS = ("base64", "url", "file", "uuid")
"""How images reach the server (see sources/image_transport.py)."""


@dataclass(frozen=True, slots=True)
class RunSettings:
    """What the next turns use; changed from the settings screen or the palette."""

    model: str
    policy: WindowPolicy = field(default_factory=WindowPolicy)
    transport: str = "base64"
    max_tokens: int = 64

    def describe(self) -> str:
        """Returns a short line for the footer, such as `policy none · base64 · 64 tok`."""
        return f"policy {self.policy} · {self.transport} · max {self.max_tokens} tok"
