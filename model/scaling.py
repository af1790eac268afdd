"""Unit conversion for ``household_scale`` (ODD §10), in one place.

A model run has ``household_scale`` agents per real rural household. Counts and sums over
agents (sellers, orders, turnover, payments to households) are *model units*; divided by the
scale they are *real* (1:1, province-equivalent) numbers. Per-household quantities (a
household's sales, its margin, its skill) are the same in both and never convert.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: share outcomes (and the number of cooperatives) that must not depend on ``household_scale``
#: (issue 13, item 6; ``tests/test_economy.py``, ``scripts/scale_table.py``)
SCALE_FREE_OUTCOMES = ("adoption_share", "share_sellers_in_clusters", "subsidy_eligible_share",
                       "subsidy_coverage", "logistics_cost_share", "unsold_share",
                       "fx_travel_share", "share_entities_below_1m", "cooperatives_real")


def scales_differ(a: pd.Series, b: pd.Series) -> bool:
    """Whether one outcome over seeds at two scales (``a``, ``b``: a value per seed) differs
    by more than three standard errors of the difference or 10% of the mean value, whichever
    is wider."""
    noise = np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    return bool(abs(a.mean() - b.mean()) > max(3 * noise, 0.1 * (a.mean() + b.mean()) / 2))


def to_real(model_units: np.ndarray | float, scale: float) -> np.ndarray | float:
    """A count or sum over household agents (model units) as the 1:1 province number."""
    return model_units / scale


def to_model(real: np.ndarray | float, scale: float) -> np.ndarray | float:
    """A 1:1 province count or sum (real) in model units, for ``scale`` agents per household."""
    return real * scale
