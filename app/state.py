"""What the app shows beyond the outcome table, from the model's views.

The per-county and per-cell state, the poles and the know-how ladder come from
:mod:`model.views` (the model package's one implementation, also behind
``RunResult.map_frame``, ``RunResult.pole_records`` and the ``knowhow_*`` outcome columns);
this module only shapes them for the app's charts (cells aggregated to map squares, the
county polygons in km) and reads nothing else of the model but:

* ``m.world`` -- the grid (``cell_km``, ``cell_row``, ``cell_col``, ``cell_x_km``,
  ``cell_y_km``, ``cell_county``) and ``project(lat, lon)``; ``model.world.DATA_DIR /
  "guizhou_counties.geojson"`` for the county polygons.
* ``m.recorder.latest`` -- the latest outcome row (``month``, ``date``).
* ``m.steps``, ``m.running``, ``m.params`` (public).
"""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from model import views

if TYPE_CHECKING:
    from model.model import CBECModel

#: Distance bands (km from the county seat to the nearest pilot-zone pole) of the ladder.
LADDER_BANDS = views.LADDER_BANDS
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
    return views.county_names(m.world).drop(columns=["x_km", "y_km"])


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
    frame = views.county_state(m)
    return frame[["county", "code", "name_zh", "name_pinyin", "prefecture_zh",
                  "prefecture_pinyin", "adoption", "returnee_share", "knowhow", "pole_km"]]


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
    return _cells(m, views.cell_state(m)["knowhow"].to_numpy())


def pole_field(m: CBECModel) -> pd.DataFrame:
    """The total field of the active poles (sum of strength x distance decay) per map
    square."""
    return _cells(m, views.cell_state(m)["pole_field"].to_numpy())


def cluster_cells(m: CBECModel) -> pd.DataFrame:
    """The cells in a cluster (Taobao-village rule), at full resolution: ``x``, ``y``,
    ``county``, ``value`` (1)."""
    cells = views.cell_state(m)
    inside = cells[cells["in_cluster"]]
    return pd.DataFrame({"x": inside["x_km"].to_numpy(), "y": inside["y_km"].to_numpy(),
                         "value": np.ones(len(inside)),
                         "county": inside["county"].to_numpy(dtype=int)})


def cell_km(m: CBECModel) -> float:
    return float(m.world.cell_km)


# ------------------------------------------------------------------------------- poles
def poles(m: CBECModel) -> pd.DataFrame:
    """Every pole that exists (active now): ``name``, ``county``, ``x``, ``y`` (its county
    seat, km), ``strength``, ``knowhow``, ``secondary``, ``since`` (model month it became
    active)."""
    return views.pole_state(m)


# ----------------------------------------------------------------- the monthly snapshot
def snapshot(m: CBECModel) -> dict[str, Any]:
    """What the app's time series need and the outcome table lacks, for the latest month:
    the know-how ladder (east, the active pilot-zone poles, counties by distance to them,
    villages) and every active pole's strength (``pole:<name>``)."""
    row: dict[str, Any] = {"month": month(m), "date": date(m)}
    row.update(views.knowhow_ladder(m))
    pl = poles(m)
    for name, strength in zip(pl["name"], pl["strength"], strict=True):
        row[f"pole:{name}"] = float(strength)
    return row


LADDER = tuple(views.LADDER)


# ------------------------------------------------------------------------ the map layers
def map_layer(m: CBECModel, layer: str) -> tuple[pd.DataFrame, pd.DataFrame | None, float]:
    """What the map shows for ``layer``: the county table (with ``value`` for the county
    layers ``adoption`` and ``returnees``), the cell table for the cell layers (``know-how``,
    ``pole field``, ``cluster cells``; None otherwise) and the side of one map square, km."""
    counties = county_values(m)
    cells = None
    square = cell_km(m) * DISPLAY_BLOCK
    if layer == "adoption":
        counties["value"] = counties["adoption"]
    elif layer == "returnees":
        counties["value"] = counties["returnee_share"]
    elif layer == "know-how":
        cells = cell_knowhow(m)
    elif layer == "pole field":
        cells = pole_field(m)
    else:
        cells = cluster_cells(m)
        square = cell_km(m)
    return counties, cells, square
