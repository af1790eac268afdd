"""Run the model once and get its results as DataFrames: the entry point for notebooks, sweeps
and the command line.

>>> from model.run import simulate
>>> result = simulate({"household_scale": 0.005, "months": 24}, seed=1)
>>> result.outcomes.plot(x="date", y="adoption_share")
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from model.model import CBECModel
from model.outcomes import summarise_by
from model.parameters import ParameterError, Parameters


@dataclass
class RunResult:
    """Everything a run produces.

    Attributes:
        params: the full parameter set.
        seed: the seed of the run.
        outcomes: one row per month (month 0 is the start state), every model-level outcome.
        counties: the per-county panel, one row per county and month.
        fiscal: public cost by month and instrument (province-equivalent yuan).
        wall_seconds: time the run took.
    """

    params: Parameters
    seed: int
    outcomes: pd.DataFrame
    counties: pd.DataFrame
    fiscal: pd.DataFrame
    wall_seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def by(self, what: str) -> pd.DataFrame:
        """Adoption by ``prefecture``, ``distance_band`` (km to the nearest pilot-zone pole) or
        ``core`` (pole counties vs the rest), per month."""
        if what not in ("prefecture", "distance_band", "core", "county"):
            raise ValueError(f"by={what!r} is not allowed; allowed: 'prefecture', "
                             "'distance_band', 'core', 'county'")
        if what == "county":
            return self.counties
        table = summarise_by(self.counties, what)
        dates = self.outcomes.set_index("month")["date"]
        table.insert(1, "date", table["month"].map(dates))
        return table

    def fiscal_by_instrument(self, years: tuple[int, int] | None = None) -> pd.Series:
        """Total cost per instrument, optionally for calendar years ``(first, last)``, both
        included: ``(2022, 2025)`` is the special fund's period."""
        f = self.fiscal
        if years is not None:
            if not (isinstance(years, tuple) and len(years) == 2
                    and all(isinstance(y, int) for y in years) and years[0] <= years[1]):
                raise ParameterError(f"years = {years!r} is not allowed; allowed: a tuple "
                                     "(first, last) of calendar years, e.g. (2022, 2025)")
            if len(f):
                year = self.params.start_year + (f["month"] - 1) // 12
                f = f[(year >= years[0]) & (year <= years[1])]
        return f.groupby("instrument")["cost_yuan"].sum().sort_values(ascending=False)


def check_seed(seed: Any) -> int:
    """``seed`` as an int; a ParameterError unless it is a whole number >= 0."""
    try:
        whole = int(seed) == seed and not isinstance(seed, bool)
    except (TypeError, ValueError):
        whole = False
    if not whole or seed < 0:
        raise ParameterError(f"seed = {seed!r} is not allowed; allowed: a whole number >= 0")
    return int(seed)


def simulate(params: Mapping[str, Any] | Parameters | None = None, seed: int = 0) -> RunResult:
    """Build a model with ``params`` (defaults for anything not given), run it to its horizon
    (``params['months']``) and return the results."""
    p = params if isinstance(params, Parameters) else Parameters.from_dict(dict(params or {}))
    seed = check_seed(seed)
    start = time.perf_counter()
    model = CBECModel(rng=seed, params=p)  # same stream as CBECModel(rng=seed)
    model.run()
    return RunResult(params=p, seed=seed, outcomes=model.outcomes(),
                     counties=model.counties(), fiscal=model.fiscal_costs(),
                     wall_seconds=time.perf_counter() - start)
