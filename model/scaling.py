"""Unit conversion for ``household_scale`` (ODD §10), in one place.

A model run has ``household_scale`` agents per real rural household. Counts and sums over
agents (sellers, orders, turnover, payments to households) are *model units*; divided by the
scale they are *real* (1:1, province-equivalent) numbers. Per-household quantities (a
household's sales, its margin, its skill) are the same in both and never convert.
"""

from __future__ import annotations

import numpy as np


def to_real(model_units: np.ndarray | float, scale: float) -> np.ndarray | float:
    """A count or sum over household agents (model units) as the 1:1 province number."""
    return model_units / scale


def to_model(real: np.ndarray | float, scale: float) -> np.ndarray | float:
    """A 1:1 province count or sum (real) in model units, for ``scale`` agents per household."""
    return real * scale
