"""One renderer per output format. Only ``table`` imports rich; the others are plain text."""

from __future__ import annotations

FORMATS = ("table", "json", "csv", "markdown")
