"""Which customers to explain when there are more than the page can afford (pure)."""

from __future__ import annotations

import numpy as np
import pandas as pd

MAX_ROWS = 10_000  # SHAP of the uplift for this many customers fits the 5-second budget


def sample_positions(n: int, max_rows: int = MAX_ROWS, seed: int = 0) -> np.ndarray:
    """Sorted row positions: all ``n`` rows, or a seeded random ``max_rows`` of them."""
    if max_rows < 1:
        raise ValueError(f"max_rows must be at least 1, got {max_rows}")
    if n <= max_rows:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=max_rows, replace=False))


def sample_frame(frame: pd.DataFrame, max_rows: int = MAX_ROWS, seed: int = 0
                 ) -> tuple[pd.DataFrame, bool]:
    """``(rows, sampled)``: the frame itself, or a seeded sample of ``max_rows`` rows."""
    pos = sample_positions(len(frame), max_rows, seed)
    sampled = len(pos) < len(frame)
    return (frame.iloc[pos].reset_index(drop=True) if sampled
            else frame.reset_index(drop=True)), sampled
