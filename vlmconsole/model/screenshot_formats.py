"""What counts as a screenshot, and how large its preview may be."""

from __future__ import annotations

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp")
"""The files the images folder and the push bar's completion offer."""

PREVIEW_SIZE = (256, 144)
"""The largest preview kept: enough pixels for the chat's 24x6-cell preview in any
terminal graphics protocol; a 2880x1800 screenshot would otherwise stay decoded
(20 MB) for as long as its turn is on screen."""
