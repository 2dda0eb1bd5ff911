"""A turn's status, the word its record and journal line carry."""

from __future__ import annotations

OK, FAILED, CANCELLED, ABANDONED = "ok", "failed", "cancelled", "abandoned"
"""A turn's status: it finished; the server failed it or went away; the user cancelled
it; the program ended with it in flight."""
