"""Matplotlib plots of a run, for notebooks and reports.

Every function takes a :class:`model.run.RunResult` and an optional matplotlib ``Axes``
(``ax=None`` draws on a new figure), draws on it, and returns the Axes, so plots combine::

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    plots.core_periphery(result, ax=left)
    plots.county_map(result, layer="adoption", ax=right)

Maps are drawn in the model's equal-area projection (km east and north of the province's
centre); county layers work for any run, cell layers need ``simulate(..., keep_model=True)``.
"""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from agents.farmers import PRODUCTS
from model import views
from model.world import DATA_DIR, build_world

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from model.run import RunResult

PRIMARY = ("Guiyang", "Zunyi", "Tongren")
PRIMARY_COLOURS = {"Guiyang": "#1f3b99", "Zunyi": "#2ca02c", "Tongren": "#ff7f0e"}
SECONDARY_COLOUR = "#e377c2"


def _axes(ax: Axes | None, size: tuple[float, float] = (7.0, 4.0)) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=size)[1]


def _finish(ax: Axes, title: str, ylabel: str) -> Axes:
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=8)
    return ax


def _after_start(result: RunResult) -> pd.DataFrame:
    return result.outcomes[result.outcomes["month"] >= 1]


# ----------------------------------------------------------------------- time series
def adoption_by_product(result: RunResult, ax: Axes | None = None) -> Axes:
    """Households selling cross-border (%) per product line and in all, by month."""
    ax = _axes(ax)
    out = _after_start(result)
    for name in PRODUCTS:
        ax.plot(out["date"], 100 * out[f"adoption_share_{name}"], label=name)
    ax.plot(out["date"], 100 * out["adoption_share"], color="black", lw=2, label="all")
    return _finish(ax, "Adoption by product line", "households selling cross-border (%)")


def core_periphery(result: RunResult, ax: Axes | None = None) -> Axes:
    """Adoption (%) in core counties (seat within 40 km of a pilot-zone pole), in the
    periphery, and the gap (core minus periphery, percentage points)."""
    ax = _axes(ax)
    out = _after_start(result)
    ax.plot(out["date"], 100 * out["adoption_share_core"], label="core (pole counties)")
    ax.plot(out["date"], 100 * out["adoption_share_periphery"], label="periphery")
    ax.plot(out["date"], 100 * out["core_periphery_gap"], "--", color="grey",
            label="gap (points)")
    return _finish(ax, "Core and periphery", "households selling cross-border (%)")


def knowhow_ladder(result: RunResult, ax: Axes | None = None) -> Axes:
    """Know-how (0-1) by tier: east, pilot-zone poles, counties by distance band, villages."""
    ax = _axes(ax)
    ladder = result.knowhow_ladder()
    ladder = ladder[ladder.index >= _after_start(result)["date"].min()]
    for label in ladder.columns:
        ax.plot(ladder.index, ladder[label], label=label,
                ls="--" if label == "east" else "-")
    ax.set_ylim(0, 1.05)
    return _finish(ax, "Know-how ladder", "know-how (east = 1)")


def pole_strengths(result: RunResult, ax: Axes | None = None) -> Axes:
    """Each pole's strength (Guiyang in January 2022 = 1) while it is active; the pilot-zone
    poles named, secondary poles in one colour."""
    ax = _axes(ax)
    poles = result.poles[result.poles["active"]]
    for name, rows in poles.groupby("pole", sort=False):
        primary = name in PRIMARY
        ax.plot(rows["date"], rows["strength"],
                color=PRIMARY_COLOURS.get(name, SECONDARY_COLOUR), lw=2 if primary else 0.8,
                alpha=1.0 if primary else 0.6, label=name if primary else None)
    n_secondary = int(poles.loc[poles["secondary"], "pole"].nunique())
    ax.plot([], [], color=SECONDARY_COLOUR, lw=0.8, label=f"secondary poles ({n_secondary})")
    return _finish(ax, "Pole strengths", "strength (Guiyang 2022 = 1)")


def returnee_destinations(result: RunResult, ax: Axes | None = None) -> Axes:
    """Share of the last 12 months' returns that settled in a county hosting a pole (at home
    or drawn there by backwash), and the part drawn by backwash."""
    ax = _axes(ax)
    out = _after_start(result)
    total = out["returns_month_real"].rolling(12, min_periods=1).sum()
    safe = total.where(total > 0)
    to_pole_counties = out["returns_to_pole_counties_month_real"].rolling(12, min_periods=1).sum()
    backwash = out["returns_to_poles_month_real"].rolling(12, min_periods=1).sum()
    ax.plot(out["date"], 100 * to_pole_counties / safe, label="settle in a pole county")
    ax.plot(out["date"], 100 * backwash / safe, "--", label="of which drawn by backwash")
    ax.set_ylim(0, 100)
    return _finish(ax, "Where returnees settle (last 12 months)", "share of returns (%)")


def clusters(result: RunResult, ax: Axes | None = None) -> Axes:
    """Cells in clusters (Taobao-village rule) and the largest cluster, by month."""
    ax = _axes(ax)
    out = _after_start(result)
    ax.plot(out["date"], out["cluster_cells"], label="cells in clusters")
    ax.plot(out["date"], out["largest_cluster_cells"], label="cells in the largest cluster")
    return _finish(ax, "Clusters", "cells")


# ------------------------------------------------------------------------------ maps
@functools.lru_cache(maxsize=1)
def _county_rings_km() -> dict[str, list[np.ndarray]]:
    """County code -> outer rings of its polygons, in the model's km."""
    project = build_world(5.0).project  # the projection does not depend on the cell size
    with open(DATA_DIR / "guizhou_counties.geojson", encoding="utf-8") as fh:
        features = json.load(fh)["features"]
    rings: dict[str, list[np.ndarray]] = {}
    for f in features:
        geom = f["geometry"]
        parts = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        out = []
        for part in parts:
            lonlat = np.asarray(part[0], dtype=float)
            x, y = project(lonlat[:, 1], lonlat[:, 0])
            out.append(np.column_stack([x, y]))
        rings[str(f["properties"]["code"])] = out
    return rings


def choropleth(values: pd.Series, ax: Axes | None = None, label: str = "",
               cmap: str = "viridis") -> Axes:
    """Counties coloured by ``values`` (a Series indexed by the 6-digit county code; a
    county missing from it is left blank), with a colour bar labelled ``label``."""
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Polygon

    ax = _axes(ax, (7.0, 6.0))
    value = {str(k): float(v) for k, v in values.items()}
    patches, colours = [], []
    for code, parts in _county_rings_km().items():
        for ring in parts:
            patches.append(Polygon(ring, closed=True))
            colours.append(value.get(code, np.nan))
    coll = PatchCollection(patches, cmap=cmap, edgecolor="white", linewidth=0.3)
    coll.set_array(np.asarray(colours, dtype=float))
    finite = np.asarray(colours, dtype=float)[np.isfinite(colours)]
    coll.set_clim(min(float(finite.min()), 0.0) if len(finite) else 0.0,
                  max(float(finite.max()), 1e-6) if len(finite) else 1.0)
    ax.add_collection(coll)
    ax.autoscale_view()
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.figure.colorbar(coll, ax=ax, shrink=0.7, label=label)
    return ax


def county_map(result: RunResult, layer: str = "adoption", month: int | None = None,
               ax: Axes | None = None, poles: bool = True) -> Axes:
    """A map of ``layer`` (:data:`model.views.LAYERS`) at model ``month`` (default: the last).
    County layers colour the counties; cell layers colour 5 km squares (they need
    ``simulate(..., keep_model=True)``). With ``poles``, the poles active that month are
    circles sized by strength (pilot-zone poles dark blue, secondary poles pink)."""
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Polygon, Rectangle

    ax = _axes(ax, (7.0, 6.0))
    last = int(result.outcomes["month"].max())
    month = last if month is None else int(month)
    frame = result.map_frame(month, layer)
    if layer in views.COUNTY_LAYERS:
        choropleth(frame.set_index("code")["value"], ax, views.LAYERS[layer])
    else:
        half = result.params.cell_km / 2
        patches = [Rectangle((x - half, y - half), 2 * half, 2 * half)
                   for x, y in zip(frame["x_km"], frame["y_km"], strict=True)]
        coll = PatchCollection(patches, cmap="YlOrRd", linewidth=0)
        coll.set_array(frame["value"].to_numpy(dtype=float))
        coll.set_clim(0.0, max(float(frame["value"].max()), 1e-6))
        ax.add_collection(coll)
        outlines = [Polygon(ring, closed=True) for parts in _county_rings_km().values()
                    for ring in parts]
        ax.add_collection(PatchCollection(outlines, facecolor="none", edgecolor="#444",
                                          linewidth=0.3, zorder=3))
        ax.autoscale_view()
        ax.set_aspect("equal")
        ax.set_axis_off()
        ax.figure.colorbar(coll, ax=ax, shrink=0.7, label=views.LAYERS[layer])
    if poles:
        _draw_poles(result, month, ax)
    date = result.outcomes.set_index("month")["date"].get(month)
    ax.set_title(f"{layer}, {date:%B %Y}" if date is not None else layer)
    return ax


def _draw_poles(result: RunResult, month: int, ax: Axes) -> None:
    p = result.poles
    here = p[(p["month"] == month) & p["active"]].sort_values("secondary", ascending=False,
                                                              kind="stable")  # primary on top
    if here.empty:
        return
    seats = views.county_names(build_world(result.params.cell_km)).set_index("county")
    x = seats.loc[here["county"], "x_km"].to_numpy()
    y = seats.loc[here["county"], "y_km"].to_numpy()
    colours = np.where(here["secondary"].to_numpy(), SECONDARY_COLOUR, "#1f3b99")
    ax.scatter(x, y, s=20 + 60 * here["strength"].to_numpy(), c=colours, edgecolors="black",
               linewidths=0.6, alpha=0.85, zorder=4)


def adoption_map(result: RunResult, month: int | None = None, ax: Axes | None = None) -> Axes:
    """Adoption (sellers / households) by county at ``month`` (default: the last), with the
    poles: :func:`county_map` with ``layer="adoption"``."""
    return county_map(result, "adoption", month, ax)
