"""Session-state keys, defined once. Keys of the shared frame start with ``app.``;
a page's own keys start with its name (``segments.``, ``experiments.`` …)."""

from __future__ import annotations

ACTIVE_DATASET = "app.active_dataset"  # str path of the active DuckDB file
AS_OF = "app.as_of"  # datetime.date: analysis as-of date (nothing after it is used)
FLASH = "app.flash"  # one message to show after a rerun, e.g. "Imported 4,372 customers"
