"""Read-only views of a model's state for maps, tables and teaching: per-county and per-cell
state, the growth poles, the know-how ladder, and the monthly map history.

The one place outside the submodels that reads their state (the app's :mod:`app.state` and
the outcome recorder call these functions); everything returned is plain numpy/pandas, copied,
never a live model array.

* :func:`county_state` -- one row per county at a recorded month (from the county panel).
* :func:`cell_state` -- one row per 5 km cell now: village know-how, the pole field, cluster
  cells, households and sellers.
* :func:`pole_state` -- the poles that exist now; :func:`pole_rows` and :func:`pole_records`
  the same over time (every pole's strength and know-how each month, when it emerged).
* :func:`knowhow_ladder` -- know-how by tier: east, pilot-zone poles, counties by distance
  to them, villages (outcome columns ``knowhow_*``, :data:`LADDER`).
* :class:`MapHistory` -- cell layers recorded every month, for maps of any past month
  (``simulate(..., keep_model=True)`` attaches one).

Units: know-how is a level in [0, 1] (the eastern coast is 1); distances are km (straight
line between county seats or cell centres, the model's equal-area projection); pole strength
is relative to Guiyang's in January 2022 (1); counts are agents (model units, not
province-equivalent).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from model.gradient import EAST_KNOWHOW

if TYPE_CHECKING:
    from model.model import CBECModel
    from model.world import World

#: Distance bands (km from the county seat to the nearest pilot-zone pole) of the ladder:
#: (lower bound, upper bound, label).
LADDER_BANDS: tuple[tuple[float, float, str], ...] = (
    (0.0, 50.0, "counties < 50 km"), (50.0, 100.0, "counties 50-100 km"),
    (100.0, np.inf, "counties >= 100 km"))
#: The know-how ladder, top to bottom: label -> outcome column of ``model.outcomes()``.
LADDER: dict[str, str] = {
    "east": "knowhow_east",
    "pilot-zone poles": "knowhow_poles",
    "counties < 50 km": "knowhow_counties_0_50km",
    "counties 50-100 km": "knowhow_counties_50_100km",
    "counties >= 100 km": "knowhow_counties_100km_plus",
    "villages": "knowhow_villages",
}
#: Map layers per county (values from the county panel, any recorded month).
COUNTY_LAYERS: dict[str, str] = {
    "adoption": "sellers / households (share)",
    "returnees": "returnee households / households (share)",
    "county know-how": "county know-how (0-1)",
}
#: Map layers per cell (need a :class:`MapHistory` for past months).
CELL_LAYERS: dict[str, str] = {
    "know-how": "village (cell) know-how (0-1)",
    "pole field": "sum over active poles of strength x exp(-km / pole_reach_km)",
    "cluster cells": "1 if the cell is in a cluster (Taobao-village rule), else 0",
}
LAYERS: dict[str, str] = {**COUNTY_LAYERS, **CELL_LAYERS}


def _check_layer(layer: str, allowed: dict[str, str]) -> None:
    if layer not in allowed:
        raise ValueError(f"layer {layer!r} is not allowed; allowed: "
                         f"{', '.join(repr(k) for k in allowed)}")


# --------------------------------------------------------------------------- counties
def county_names(world: World) -> pd.DataFrame:
    """One row per county: ``county`` (index), ``code``, ``name_zh``, ``name_pinyin``,
    ``prefecture_zh``, ``prefecture_pinyin``, ``x_km``, ``y_km`` (the seat)."""
    c = world.counties
    frame = c[["code", "name_zh", "name_pinyin", "prefecture_zh", "prefecture_pinyin"]].copy()
    frame.insert(0, "county", np.arange(len(frame)))
    frame["x_km"] = c["seat_x_km"].to_numpy(dtype=float)
    frame["y_km"] = c["seat_y_km"].to_numpy(dtype=float)
    return frame.reset_index(drop=True)


def _month_index(model: CBECModel, month: int | None) -> int:
    recorded = len(model.recorder.panel)
    m = recorded - 1 if month is None else int(month)
    if not 0 <= m < recorded:
        raise ValueError(f"month = {month!r} is not allowed; allowed: a recorded month, "
                         f"0 to {recorded - 1}")
    return m


def county_state(model: CBECModel, month: int | None = None) -> pd.DataFrame:
    """One row per county at a recorded ``month`` (default: the latest): the names (see
    :func:`county_names`), ``households`` and ``sellers`` (agents), ``adoption`` (sellers /
    households), ``returnee_share`` (returnee households / households), ``knowhow`` (county
    know-how, 0-1), ``pole_km`` (km from the seat to the nearest pilot-zone pole), ``core``
    (within the core radius of a pilot-zone pole), ``pole`` (the county hosts a pole active
    that month)."""
    m = _month_index(model, month)
    panel = model.recorder.panel[m]
    households = np.asarray(model.county_agents, dtype=float)
    safe = np.maximum(households, 1.0)
    frame = county_names(model.world)
    frame["households"] = households.astype(np.int64)
    frame["sellers"] = np.asarray(panel["sellers"], dtype=np.int64)
    frame["adoption"] = frame["sellers"].to_numpy() / safe
    frame["returnee_share"] = np.asarray(panel["returnees"], dtype=float) / safe
    frame["knowhow"] = np.array(panel["knowhow"], dtype=float)
    frame["pole_km"] = np.array(model.recorder.county_pole_km, dtype=float)
    frame["core"] = np.array(model.recorder.core_county, dtype=bool)
    poles = model.poles
    hosts = [c for c, start in zip(poles.county, poles.start_month, strict=True)
             if start <= max(m, 1)]
    frame["pole"] = np.isin(frame["county"].to_numpy(), hosts)
    return frame


# ------------------------------------------------------------------------------ cells
def _latest_month(model: CBECModel) -> int:
    return int(model.recorder.latest.get("month", 0))


def _cell_values(model: CBECModel, month: int) -> dict[str, np.ndarray]:
    """The cell layers now (copies); ``month`` is the model month they belong to."""
    return {"know-how": np.array(model.knowhow.cell, dtype=float),
            "pole field": np.array(model.poles.field(max(month, 1)), dtype=float),
            "cluster cells": np.array(model.clusters.in_cluster, dtype=float)}


def cell_grid(world: World) -> pd.DataFrame:
    """One row per cell: ``cell`` (id), ``x_km``, ``y_km`` (centre), ``row``, ``col``,
    ``county`` (index)."""
    return pd.DataFrame({"cell": np.arange(world.n_cells),
                         "x_km": np.asarray(world.cell_x_km, dtype=float),
                         "y_km": np.asarray(world.cell_y_km, dtype=float),
                         "row": np.asarray(world.cell_row, dtype=np.int64),
                         "col": np.asarray(world.cell_col, dtype=np.int64),
                         "county": np.asarray(world.cell_county, dtype=np.int64)})


def cell_state(model: CBECModel) -> pd.DataFrame:
    """One row per cell now (see :func:`cell_grid`), with ``households`` and ``sellers``
    (agents), ``knowhow`` (village know-how, 0-1), ``pole_field`` (see :data:`CELL_LAYERS`)
    and ``in_cluster`` (bool)."""
    frame = cell_grid(model.world)
    h = model.households
    n = model.world.n_cells
    frame["households"] = np.bincount(h.cell, minlength=n)
    frame["sellers"] = np.bincount(h.cell[model.sellers()], minlength=n)
    values = _cell_values(model, _latest_month(model))
    frame["knowhow"] = values["know-how"]
    frame["pole_field"] = values["pole field"]
    frame["in_cluster"] = values["cluster cells"] > 0
    return frame


@dataclass
class MapHistory:
    """The cell layers (:data:`CELL_LAYERS`) of every month since it was attached, as float32.

    ``MapHistory.attach(model)`` records the model's current month at once and then every
    month the model records (however it is stepped: ``run()``, ``step()`` or ``simulate``).
    About 80 kB a month at 5 km cells.
    """

    world: World
    months: list[int] = field(default_factory=list)
    layers: dict[str, list[np.ndarray]] = field(
        default_factory=lambda: {key: [] for key in CELL_LAYERS})

    @classmethod
    def attach(cls, model: CBECModel) -> MapHistory:
        history = cls(world=model.world)
        history.record(model, _latest_month(model))
        model.recorder.listeners.append(history.record)
        return history

    def record(self, model: CBECModel, month: int) -> None:
        """Keep the cell layers of ``month`` (a month already kept is replaced)."""
        values = _cell_values(model, month)
        if month in self.months:
            i = self.months.index(month)
            for key in CELL_LAYERS:
                self.layers[key][i] = values[key].astype(np.float32)
            return
        self.months.append(month)
        for key in CELL_LAYERS:
            self.layers[key].append(values[key].astype(np.float32))

    def frame(self, month: int, layer: str) -> pd.DataFrame:
        """One row per cell at ``month``: :func:`cell_grid` plus ``value`` of ``layer``."""
        _check_layer(layer, CELL_LAYERS)
        if month not in self.months:
            raise ValueError(f"month = {month!r} is not allowed; allowed: a month this history "
                             f"kept, {min(self.months)} to {max(self.months)}")
        frame = cell_grid(self.world)
        frame["value"] = self.layers[layer][self.months.index(month)].astype(float)
        return frame


# ------------------------------------------------------------------------------ poles
def pole_state(model: CBECModel) -> pd.DataFrame:
    """Every pole active at the latest recorded month: ``name``, ``county`` (index), ``x``,
    ``y`` (its county seat, km), ``strength``, ``knowhow``, ``secondary``, ``since`` (model
    month it became active)."""
    p = model.poles
    active = np.asarray(p.active(max(_latest_month(model), 1)), dtype=bool)
    seats = model.world.counties
    county = np.asarray(p.county, dtype=int)
    frame = pd.DataFrame({
        "name": list(p.names), "county": county,
        "x": seats["seat_x_km"].to_numpy(dtype=float)[county],
        "y": seats["seat_y_km"].to_numpy(dtype=float)[county],
        "strength": np.array(p.strength, dtype=float),
        "knowhow": np.array(model.knowhow.pole, dtype=float),
        "secondary": np.array(p.secondary, dtype=bool),
        "since": np.array(p.start_month, dtype=int)})
    return frame[active].reset_index(drop=True)


def pole_rows(model: CBECModel, month: int) -> list[dict[str, Any]]:
    """One record per pole that exists at ``month`` (active or not yet active): ``month``,
    ``pole`` (name), ``county`` (index), ``secondary``, ``since`` (month it became active),
    ``active``, ``strength`` (0 while inactive), ``knowhow``."""
    p = model.poles
    active = np.asarray(p.active(max(month, 1)), dtype=bool)
    strength = np.asarray(p.strength, dtype=float) * active
    knowhow = np.asarray(model.knowhow.pole, dtype=float)
    return [{"month": month, "pole": p.names[i], "county": int(p.county[i]),
             "secondary": bool(p.secondary[i]), "since": int(p.start_month[i]),
             "active": bool(active[i]), "strength": float(strength[i]),
             "knowhow": float(knowhow[i])} for i in range(len(p.names))]


def pole_records(history: pd.DataFrame, counties: pd.DataFrame,
                 start: pd.Timestamp) -> pd.DataFrame:
    """One row per pole from the monthly pole history (rows of :func:`pole_rows`):
    ``pole``, ``county_code``, ``county``, ``prefecture`` (pinyin), ``kind`` ("primary" or
    "secondary"), ``since`` (model month it became active), ``since_date``,
    ``strength_at_start``, ``strength_max``, ``strength_last``, ``knowhow_at_start``,
    ``knowhow_last``. ``counties`` is :func:`county_names`; ``start`` the first day of month 1.
    """
    columns = ["pole", "county_code", "county", "prefecture", "kind", "since", "since_date",
               "strength_at_start", "strength_max", "strength_last", "knowhow_at_start",
               "knowhow_last"]
    if history.empty:
        return pd.DataFrame(columns=columns)
    live = history[history["active"]]
    g = live.sort_values("month").groupby("pole", sort=False)
    first, last = g.first(), g.last()
    out = pd.DataFrame({"pole": first.index, "since": first["since"].to_numpy()})
    idx = first["county"].to_numpy()
    out["county_code"] = counties["code"].to_numpy()[idx]
    out["county"] = counties["name_pinyin"].to_numpy()[idx]
    out["prefecture"] = counties["prefecture_pinyin"].to_numpy()[idx]
    out["kind"] = np.where(first["secondary"].to_numpy(), "secondary", "primary")
    out["since_date"] = [start + pd.DateOffset(months=int(s) - 1) for s in out["since"]]
    out["strength_at_start"] = first["strength"].to_numpy()
    out["strength_max"] = g["strength"].max().to_numpy()
    out["strength_last"] = last["strength"].to_numpy()
    out["knowhow_at_start"] = first["knowhow"].to_numpy()
    out["knowhow_last"] = last["knowhow"].to_numpy()
    return out[columns].sort_values(["since", "pole"], kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------------------- know-how
def knowhow_ladder(model: CBECModel, month: int | None = None) -> dict[str, float]:
    """Know-how now (the state of model month ``month``, default the latest recorded) by tier
    (labels of :data:`LADDER`): the east (the frontier, 1); the mean of the active pilot-zone
    poles; the mean county know-how of counties whose seat is in each
    band of :data:`LADDER_BANDS` from the nearest pilot-zone pole (NaN for an empty band); the
    mean village (cell) know-how over all cells."""
    p = model.poles
    month = _latest_month(model) if month is None else month
    primary = np.asarray(p.active(max(month, 1)), dtype=bool) & ~np.asarray(p.secondary, dtype=bool)
    pole_k = np.asarray(model.knowhow.pole, dtype=float)
    out = {"east": float(EAST_KNOWHOW),
           "pilot-zone poles": float(pole_k[primary].mean()) if primary.any() else float("nan")}
    k = np.asarray(model.knowhow.county, dtype=float)
    km = np.asarray(model.recorder.county_pole_km, dtype=float)
    for lo, hi, label in LADDER_BANDS:
        sel = (km >= lo) & (km < hi)
        out[label] = float(k[sel].mean()) if sel.any() else float("nan")
    out["villages"] = float(np.mean(model.knowhow.cell))
    return out


def pole_history(model: CBECModel) -> pd.DataFrame:
    """Every pole each month so far (:meth:`model.outcomes.Recorder.poles`): ``month``,
    ``date``, ``pole``, ``county``, ``county_code``, ``secondary``, ``since``, ``active``,
    ``strength`` (0 while inactive), ``knowhow``."""
    return model.recorder.poles()
