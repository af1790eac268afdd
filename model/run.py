"""Run the model once and get its results as DataFrames: the entry point for notebooks, sweeps
and the command line.

>>> from model.run import simulate
>>> result = simulate({"household_scale": 0.005, "months": 24}, seed=1)
>>> result.outcomes.plot(x="date", y="adoption_share")

``simulate(..., keep_model=True)`` also keeps the model and the cell layers of every month, for
maps of any month (:meth:`RunResult.map_frame`) and for looking inside the model afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from model import reality, views
from model.model import CBECModel
from model.outcomes import summarise_by
from model.parameters import ParameterError, Parameters

if TYPE_CHECKING:
    from model.views import MapHistory


@dataclass
class RunResult:
    """Everything a run produces.

    Attributes:
        params: the full parameter set.
        seed: the seed of the run.
        outcomes: one row per month (month 0 is the start state), every model-level outcome.
        counties: the per-county panel, one row per county and month.
        fiscal: public cost by month and instrument (province-equivalent yuan).
        budgets: per year and instrument, the budget line's appropriation, the claims, what
            was paid, the rationing ratio and what the line left unspent
            (:meth:`model.fiscal.FiscalLedger.budget_frame`).
        wall_seconds: time the run took.
        poles: every pole each month (:meth:`model.outcomes.Recorder.poles`): strength
            (Guiyang in January 2022 = 1; 0 before the pole is active) and know-how (0-1).
        model: the model at the horizon, with ``simulate(..., keep_model=True)``; else None.
        maps: the cell layers of every month (:class:`model.views.MapHistory`), with
            ``keep_model=True``; else None.
    """

    params: Parameters
    seed: int
    outcomes: pd.DataFrame
    counties: pd.DataFrame
    fiscal: pd.DataFrame
    wall_seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
    poles: pd.DataFrame = field(default_factory=pd.DataFrame)
    model: CBECModel | None = None
    maps: MapHistory | None = None
    budgets: pd.DataFrame = field(default_factory=pd.DataFrame)

    def reality_check(self) -> pd.DataFrame:
        """The run's levels against published figures (:func:`model.reality.reality_check`)."""
        return reality.reality_check(self.outcomes, self.budgets, self.params)

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


    def pole_records(self) -> pd.DataFrame:
        """One row per pole, pilot-zone and secondary: where (county and prefecture), when it
        became active (``since``, ``since_date``), and its strength and know-how when it did,
        at their peak and at the end (:func:`model.views.pole_records`)."""
        from model.world import build_world

        names = views.county_names(build_world(self.params.cell_km))
        start = pd.Timestamp(year=self.params.start_year, month=1, day=1)
        return views.pole_records(self.poles, names, start)

    def knowhow_ladder(self) -> pd.DataFrame:
        """Know-how by tier per month (east, pilot-zone poles, counties by distance band,
        villages; 0-1), indexed by date, columns the labels of :data:`model.views.LADDER`."""
        ladder = self.outcomes.set_index("date")[list(views.LADDER.values())]
        return ladder.rename(columns={v: k for k, v in views.LADDER.items()})

    def map_frame(self, month: int, layer: str) -> pd.DataFrame:
        """The map of ``layer`` at model ``month`` (0 = start state, 1 = January 2022).

        County layers (:data:`model.views.COUNTY_LAYERS`: ``adoption``, ``returnees``,
        ``county know-how``), from the county panel of any run: one row per county with
        ``county`` (index), ``code``, ``name``, ``prefecture`` (pinyin), ``households``
        (agents), ``pole_km``, ``core`` and ``value``. Cell layers
        (:data:`model.views.CELL_LAYERS`: ``know-how``, ``pole field``, ``cluster cells``),
        only from ``simulate(..., keep_model=True)``: one row per cell with ``cell``,
        ``x_km``, ``y_km``, ``row``, ``col``, ``county`` and ``value``."""
        if layer in views.CELL_LAYERS:
            if self.maps is None:
                raise ValueError(f"layer {layer!r} is a cell layer, kept only by "
                                 "simulate(..., keep_model=True)")
            return self.maps.frame(month, layer)
        if layer not in views.COUNTY_LAYERS:
            raise ValueError(f"layer {layer!r} is not allowed; allowed: "
                             f"{', '.join(repr(k) for k in views.LAYERS)}")
        panel = self.counties[self.counties["month"] == month]
        if panel.empty:
            raise ValueError(f"month = {month!r} is not allowed; allowed: 0 to "
                             f"{int(self.counties['month'].max())}")
        households = panel["households"].to_numpy(dtype=float)
        safe = np.maximum(households, 1.0)
        value = {"adoption": panel["adoption_share"].to_numpy(dtype=float),
                 "returnees": panel["returnees_real"].to_numpy(dtype=float)
                 * self.params.household_scale / safe,
                 "county know-how": panel["knowhow"].to_numpy(dtype=float)}[layer]
        return pd.DataFrame({"county": np.arange(len(panel)), "code": panel["code"].to_numpy(),
                             "name": panel["county"].to_numpy(),
                             "prefecture": panel["prefecture"].to_numpy(),
                             "households": households.astype(np.int64),
                             "pole_km": panel["pole_km"].to_numpy(dtype=float),
                             "core": panel["core"].to_numpy(dtype=bool), "value": value})


def check_seed(seed: Any) -> int:
    """``seed`` as an int; a ParameterError unless it is a whole number >= 0."""
    try:
        whole = int(seed) == seed and not isinstance(seed, bool)
    except (TypeError, ValueError):
        whole = False
    if not whole or seed < 0:
        raise ParameterError(f"seed = {seed!r} is not allowed; allowed: a whole number >= 0")
    return int(seed)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def simulate(params: Mapping[str, Any] | Parameters | None = None, seed: int = 0,
             keep_model: bool = False) -> RunResult:
    """Build a model with ``params`` (defaults for anything not given), run it to its horizon
    (``params['months']``) and return the results. With ``keep_model=True`` the result also
    holds the model (``result.model``) and the cell layers of every month (``result.maps``,
    about 80 kB a month): maps of any month with :meth:`RunResult.map_frame`."""
    if params is not None and not isinstance(params, (Parameters, Mapping)):
        raise ParameterError(f"params = {_short(params)} ({type(params).__name__}) is not "
                             "allowed; allowed: a dict of parameter names and values, a "
                             "Parameters, or None for the defaults")
    p = params if isinstance(params, Parameters) else Parameters.from_dict(dict(params or {}))
    seed = check_seed(seed)
    if not isinstance(keep_model, bool):
        raise ParameterError(f"keep_model = {keep_model!r} is not allowed; allowed: True or "
                             "False")
    start = time.perf_counter()
    model = CBECModel(rng=seed, params=p)  # same stream as CBECModel(rng=seed)
    maps = views.MapHistory.attach(model) if keep_model else None
    model.run()
    return RunResult(params=p, seed=seed, outcomes=model.outcomes(),
                     counties=model.counties(), fiscal=model.fiscal_costs(),
                     wall_seconds=time.perf_counter() - start, poles=model.recorder.poles(),
                     model=model if keep_model else None, maps=maps,
                     budgets=model.fiscal.budget_frame())
