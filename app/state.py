"""Every read of the model's internals that the app makes, in this one module.

The app shows maps and series that :meth:`CBECModel.outcomes` does not (yet) provide: per-cell
know-how, the pole field, cluster cells, each pole's strength, the latest county panel. Those
live in attributes that may be renamed when the model package is restructured; this module is
the only place that touches them, so re-pointing the app is a change here and nowhere else.
Everything returned is plain numpy/pandas, copied, never a live model array.

Attributes read (``m`` is a :class:`model.CBECModel`):

* ``m.world.counties`` -- columns ``code``, ``name_zh``, ``name_pinyin``, ``prefecture_zh``,
  ``prefecture_pinyin``; row ``c`` is county index ``c``.
* ``m.world.project(lat, lon)`` -- degrees to the model's km (x east, y north); and
  ``model.world.DATA_DIR / "guizhou_counties.geojson"`` for the county polygons.
* ``m.world.cell_x_km``, ``m.world.cell_y_km``, ``m.world.cell_row``, ``m.world.cell_col``,
  ``m.world.cell_county``, ``m.world.cell_km`` -- the cell grid.
* ``m.county_agents`` -- household agents per county.
* ``m.poles.names``, ``m.poles.county``, ``m.poles.secondary``, ``m.poles.start_month``,
  ``m.poles.strength``, ``m.poles.active(month)``, ``m.poles.field(month)``;
  ``m.knowhow.pole``, ``m.knowhow.county``, ``m.knowhow.cell`` (:mod:`model.gradient`).
* ``m.clusters.in_cluster`` -- bool per cell.
* ``m.recorder.panel[-1]`` -- the latest county panel: ``sellers``, ``returnees`` (agents).
* ``m.recorder.county_pole_km`` -- km from each county seat to the nearest pilot-zone pole.
* ``m.recorder.latest`` -- the latest outcome row (``month``, ``date``); public.
* ``m.steps``, ``m.running``, ``m.params`` (public).
"""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from model.gradient import EAST_KNOWHOW  # the eastern frontier's know-how

if TYPE_CHECKING:
    from model.model import CBECModel

#: Distance bands (km from the county seat to the nearest pilot-zone pole) of the ladder.
LADDER_BANDS = ((0.0, 50.0, "counties < 50 km"), (50.0, 100.0, "counties 50-100 km"),
                (100.0, np.inf, "counties >= 100 km"))
DISPLAY_BLOCK = 2  # cells per side of one map square for cell layers (5 km cells -> 10 km)


# ------------------------------------------------------------------------------ the date
def month(m: CBECModel) -> int:
    """The model month of the latest record (0 = the start state)."""
    return int(m.recorder.latest["month"])


def date(m: CBECModel) -> pd.Timestamp:
    """First day of the latest recorded month (month 0 is dated the December before)."""
    return pd.Timestamp(m.recorder.latest["date"])


# ------------------------------------------------------------------------- geometry
def counties(m: CBECModel) -> pd.DataFrame:
    """One row per county: ``county`` (index), ``code``, ``name_zh``, ``name_pinyin``,
    ``prefecture_zh``, ``prefecture_pinyin``."""
    c = m.world.counties
    frame = c[["code", "name_zh", "name_pinyin", "prefecture_zh", "prefecture_pinyin"]].copy()
    frame.insert(0, "county", np.arange(len(frame)))
    return frame.reset_index(drop=True)


@functools.lru_cache(maxsize=4)
def _county_features(tolerance_km: float) -> str:
    from model.world import DATA_DIR, build_world

    project = build_world(5.0).project  # the projection does not depend on the cell size
    with open(DATA_DIR / "guizhou_counties.geojson", encoding="utf-8") as fh:
        features = json.load(fh)["features"]

    def to_km(coords: np.ndarray) -> np.ndarray:
        x, y = project(coords[:, 1], coords[:, 0])
        return np.column_stack([x, y])

    out = []
    for f in features:
        geom = shapely.transform(shapely.geometry.shape(f["geometry"]), to_km)
        geom = shapely.simplify(geom, tolerance_km, preserve_topology=True)
        geom = shapely.set_precision(geom, 0.1)
        out.append({"type": "Feature", "properties": {"code": str(f["properties"]["code"])},
                    "geometry": shapely.geometry.mapping(geom)})
    return json.dumps(out)


def county_shapes(tolerance_km: float = 0.8) -> list[dict[str, Any]]:
    """GeoJSON features of the 88 counties in the model's km (x east, y north), simplified to
    ``tolerance_km``; each has ``properties.code``."""
    return json.loads(_county_features(float(tolerance_km)))


def extent_km(m: CBECModel) -> tuple[float, float, float, float]:
    """(x_min, x_max, y_min, y_max) of the grid, km."""
    w = m.world
    h = w.cell_km / 2
    return (float(w.cell_x_km.min() - h), float(w.cell_x_km.max() + h),
            float(w.cell_y_km.min() - h), float(w.cell_y_km.max() + h))


# ----------------------------------------------------------------------- county layers
def county_values(m: CBECModel) -> pd.DataFrame:
    """The latest state per county: ``adoption`` (sellers / households), ``returnee_share``
    (returnee households / households), ``knowhow`` (county know-how, 0-1), ``pole_km``."""
    panel = m.recorder.panel[-1]
    households = np.maximum(np.asarray(m.county_agents, dtype=float), 1.0)
    frame = counties(m)
    frame["adoption"] = np.asarray(panel["sellers"], dtype=float) / households
    frame["returnee_share"] = np.asarray(panel["returnees"], dtype=float) / households
    frame["knowhow"] = np.array(m.knowhow.county, dtype=float)
    frame["pole_km"] = np.array(m.recorder.county_pole_km, dtype=float)
    return frame


# ------------------------------------------------------------------------- cell layers
def _cells(m: CBECModel, values: np.ndarray, how: str = "mean") -> pd.DataFrame:
    """Cell values aggregated to squares of DISPLAY_BLOCK x DISPLAY_BLOCK cells: ``x``, ``y``
    (centre, km), ``value``, ``county`` (the county of the square's first cell)."""
    w = m.world
    b = DISPLAY_BLOCK
    key = (np.asarray(w.cell_row) // b) * 100_000 + np.asarray(w.cell_col) // b
    frame = pd.DataFrame({"key": key, "x": w.cell_x_km, "y": w.cell_y_km,
                          "value": np.asarray(values, dtype=float),
                          "county": np.asarray(w.cell_county, dtype=int)})
    g = frame.groupby("key", sort=True)
    out = pd.DataFrame({"x": g["x"].mean(), "y": g["y"].mean(), "value": g["value"].agg(how),
                        "county": g["county"].first()})
    return out.reset_index(drop=True)


def cell_knowhow(m: CBECModel) -> pd.DataFrame:
    """Village (cell) know-how, 0-1, per map square."""
    return _cells(m, m.knowhow.cell)


def pole_field(m: CBECModel) -> pd.DataFrame:
    """The total field of the active poles (sum of strength x distance decay) per map
    square."""
    return _cells(m, m.poles.field(max(month(m), 1)))


def cluster_cells(m: CBECModel) -> pd.DataFrame:
    """The cells in a cluster (Taobao-village rule), at full resolution: ``x``, ``y``,
    ``county``, ``value`` (1)."""
    w = m.world
    inside = np.flatnonzero(np.asarray(m.clusters.in_cluster))
    return pd.DataFrame({"x": np.asarray(w.cell_x_km)[inside],
                         "y": np.asarray(w.cell_y_km)[inside],
                         "value": np.ones(len(inside)),
                         "county": np.asarray(w.cell_county)[inside].astype(int)})


def cell_km(m: CBECModel) -> float:
    return float(m.world.cell_km)


# ------------------------------------------------------------------------------- poles
def poles(m: CBECModel) -> pd.DataFrame:
    """Every pole that exists (active now): ``name``, ``county``, ``x``, ``y`` (its county
    seat, km), ``strength``, ``knowhow``, ``secondary``, ``since`` (model month it became
    active)."""
    p = m.poles
    active = np.asarray(p.active(max(month(m), 1)), dtype=bool)
    c = m.world.counties
    county = np.asarray(p.county, dtype=int)
    x, y = m.world.project(c["lat"].to_numpy()[county], c["lon"].to_numpy()[county])
    frame = pd.DataFrame({
        "name": list(p.names), "county": county, "x": np.atleast_1d(x),
        "y": np.atleast_1d(y), "strength": np.array(p.strength, dtype=float),
        "knowhow": np.array(m.knowhow.pole, dtype=float),
        "secondary": np.array(p.secondary, dtype=bool),
        "since": np.array(p.start_month, dtype=int)})
    return frame[active].reset_index(drop=True)


# ----------------------------------------------------------------- the monthly snapshot
def snapshot(m: CBECModel) -> dict[str, Any]:
    """What the app's time series need and the outcome table lacks, for the latest month:
    the know-how ladder (east, the active pilot-zone poles, counties by distance to them,
    villages) and every active pole's strength (``pole:<name>``)."""
    row: dict[str, Any] = {"month": month(m), "date": date(m)}
    pl = poles(m)
    row["east"] = EAST_KNOWHOW
    primary = pl[~pl["secondary"]]
    row["pilot-zone poles"] = float(primary["knowhow"].mean()) if len(primary) else float("nan")
    k = np.asarray(m.knowhow.county, dtype=float)
    km = np.asarray(m.recorder.county_pole_km, dtype=float)
    for lo, hi, label in LADDER_BANDS:
        sel = (km >= lo) & (km < hi)
        row[label] = float(k[sel].mean()) if sel.any() else float("nan")
    row["villages"] = float(np.mean(m.knowhow.cell))
    for name, strength in zip(pl["name"], pl["strength"], strict=True):
        row[f"pole:{name}"] = float(strength)
    return row


LADDER = ("east", "pilot-zone poles", *(label for _, _, label in LADDER_BANDS), "villages")
