"""Altair charts of the app: the county map with its layers, and the live time series.

Pure functions from tables (built by :mod:`app.state` and ``model.outcomes()``) to Altair
charts; no Solara, so they can be tested and reused in a notebook.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import numpy as np
import pandas as pd

#: Map layers: key -> (title, value format, where the value lives)
LAYERS: dict[str, tuple[str, str, str]] = {
    "adoption": ("Adoption: sellers / households", ".1%", "county"),
    "know-how": ("Know-how of villages (0-1)", ".2f", "cell"),
    "returnees": ("Returnee households / households", ".2%", "county"),
    "pole field": ("Pole field (strength x distance decay)", ".2f", "cell"),
    "cluster cells": ("Cluster cells (Taobao-village rule)", "d", "cell"),
}
MAP_WIDTH = 460
PLOT_WIDTH = 400
PLOT_HEIGHT = 190
PRIMARY_POLES = ("Guiyang", "Zunyi", "Tongren")


def _month_label(date: pd.Timestamp) -> str:
    return f"{date:%B %Y}"


def map_chart(layer: str, counties: pd.DataFrame, shapes: list[dict[str, Any]],
              cells: pd.DataFrame | None, poles: pd.DataFrame,
              extent: tuple[float, float, float, float], square_km: float,
              date: pd.Timestamp, width: int = MAP_WIDTH) -> alt.LayerChart:
    """The county map of ``layer`` (a key of :data:`LAYERS`).

    ``counties``: one row per county with ``code``, ``county``, ``name_zh``, ``name_pinyin``,
    ``prefecture_zh`` and, for county layers, ``value``. ``shapes``: GeoJSON features in km
    with ``properties.code``. ``cells``: for cell layers, ``x``, ``y`` (km), ``value``,
    ``county``. ``poles``: ``name``, ``county``, ``x``, ``y``, ``strength``, ``secondary``,
    ``since``. ``square_km``: edge of one cell square on the map.
    """
    title, fmt, where = LAYERS[layer]
    x0, x1, y0, y1 = extent
    scale = width / (x1 - x0)
    height = int(round((y1 - y0) * scale))
    projection = alt.Projection(type="identity", reflectY=True, scale=scale,
                                translate=[-x0 * scale, y1 * scale])
    names = counties[["code", "county", "name_zh", "name_pinyin", "prefecture_zh"]]
    tooltip_names = [alt.Tooltip("name_zh:N", title="county"),
                     alt.Tooltip("name_pinyin:N", title="pinyin"),
                     alt.Tooltip("prefecture_zh:N", title="prefecture")]
    base = alt.Chart(alt.Data(values=shapes)).properties(width=width, height=height,
                                                         projection=projection)
    layers: list[alt.Chart] = []
    if where == "county":
        values = counties.assign(value=counties["value"].astype(float))
        top = float(values["value"].max()) if len(values) else 0.0
        domain = [0.0, max(top, 1e-3)]
        layers.append(base.mark_geoshape(stroke="#444", strokeWidth=0.4).encode(
            color=alt.Color("value:Q", title=None, scale=alt.Scale(scheme="yellowgreenblue",
                                                                   domain=domain),
                            legend=alt.Legend(format=fmt, orient="bottom", gradientLength=200)),
            tooltip=[*tooltip_names, alt.Tooltip("value:Q", title=layer, format=fmt)],
        ).transform_lookup(lookup="properties.code", from_=alt.LookupData(
            data=values[["code", "name_zh", "name_pinyin", "prefecture_zh", "value"]],
            key="code", fields=["name_zh", "name_pinyin", "prefecture_zh", "value"])))
    else:
        layers.append(base.mark_geoshape(fill="#f4f1ea", stroke="#444", strokeWidth=0.4).encode(
            tooltip=tooltip_names,
        ).transform_lookup(lookup="properties.code", from_=alt.LookupData(
            data=names, key="code", fields=["name_zh", "name_pinyin", "prefecture_zh"])))
        cells = cells if cells is not None else pd.DataFrame(
            columns=["x", "y", "value", "county"])
        cells = cells.merge(names, on="county", how="left")
        size = (square_km * scale) ** 2
        if layer == "cluster cells":
            color = alt.value("#d62728")
            tip = [*tooltip_names]
        else:
            domain = [0.0, 1.0] if layer == "know-how" else [
                0.0, max(float(cells["value"].max()) if len(cells) else 0.0, 1e-3)]
            color = alt.Color("value:Q", title=None,
                              scale=alt.Scale(scheme="yelloworangered", domain=domain),
                              legend=alt.Legend(format=fmt, orient="bottom",
                                                gradientLength=200))
            tip = [*tooltip_names, alt.Tooltip("value:Q", title=layer, format=fmt)]
        layers.append(alt.Chart(cells[["x", "y", "value", "name_zh", "name_pinyin",
                                       "prefecture_zh"]]).mark_square(
            size=size, opacity=0.85, strokeWidth=0).encode(
            longitude="x:Q", latitude="y:Q", color=color, tooltip=tip)
            .properties(projection=projection))
        layers.append(base.mark_geoshape(filled=False, stroke="#444", strokeWidth=0.4))
    if len(poles):
        p = poles.merge(names, on="county", how="left").assign(
            kind=np.where(poles["secondary"].to_numpy(), "secondary pole", "pilot-zone pole"),
            since_label=[f"month {int(s)}" for s in poles["since"]])
        layers.append(alt.Chart(p[["name", "x", "y", "strength", "kind", "since_label",
                                   "name_zh", "name_pinyin"]]).mark_circle(
            stroke="black", strokeWidth=1, opacity=0.8).encode(
            longitude="x:Q", latitude="y:Q",
            size=alt.Size("strength:Q", title="pole strength",
                          scale=alt.Scale(domain=[0, 3], range=[15, 500]), legend=None),
            color=alt.Color("kind:N", title=None,
                            scale=alt.Scale(domain=["pilot-zone pole", "secondary pole"],
                                            range=["#1f3b99", "#e377c2"]),
                            legend=alt.Legend(orient="bottom")),
            tooltip=[alt.Tooltip("name:N", title="pole"),
                     alt.Tooltip("name_zh:N", title="county"),
                     alt.Tooltip("name_pinyin:N", title="pinyin"),
                     alt.Tooltip("strength:Q", format=".2f"),
                     alt.Tooltip("since_label:N", title="active since"), "kind:N"],
        ).properties(projection=projection))
    return alt.layer(*layers).properties(
        title=f"{title} · {_month_label(date)}").resolve_scale(color="independent",
                                                               size="independent")


def _time_axis(start: pd.Timestamp, end: pd.Timestamp) -> alt.X:
    return alt.X("date:T", title=None, scale=alt.Scale(domain=[start.isoformat(),
                                                               end.isoformat()]))


def _lines(long: pd.DataFrame, title: str, start: pd.Timestamp, end: pd.Timestamp,
           y_title: str, fmt: str, order: list[str] | None = None,
           domain: list[float] | None = None, dashed: str | None = None) -> alt.Chart:
    y_scale = alt.Scale(domain=domain) if domain else alt.Scale(zero=True)
    enc: dict[str, Any] = {
        "x": _time_axis(start, end),
        "y": alt.Y("value:Q", title=y_title, axis=alt.Axis(format=fmt), scale=y_scale),
        "color": alt.Color("series:N", title=None, sort=order,
                           legend=alt.Legend(orient="bottom", columns=2, labelLimit=220)),
        "tooltip": [alt.Tooltip("date:T", format="%b %Y"), "series:N",
                    alt.Tooltip("value:Q", format=fmt)],
    }
    if dashed:
        enc["strokeDash"] = alt.condition(alt.datum.series == dashed, alt.value([5, 3]),
                                          alt.value([1, 0]))
    return alt.Chart(long).mark_line().encode(**enc).properties(
        title=title, width=PLOT_WIDTH, height=PLOT_HEIGHT)


def _long(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    out = frame[["date", *columns]].rename(columns=columns)
    return out.melt(id_vars="date", var_name="series", value_name="value").dropna()


def core_periphery(outcomes: pd.DataFrame, start: pd.Timestamp,
                   end: pd.Timestamp) -> alt.Chart:
    """Adoption in core (pole) counties and elsewhere, and the gap between them."""
    cols = {"adoption_share_core": "core: counties within 40 km of a pilot-zone pole",
            "adoption_share_periphery": "periphery: the other counties",
            "core_periphery_gap": "gap: core minus periphery"}
    return _lines(_long(outcomes, cols), "Core vs periphery: adoption share", start, end,
                  "sellers / households", ".1%", list(cols.values()),
                  dashed=cols["core_periphery_gap"])


def knowhow_ladder(history: pd.DataFrame, ladder: tuple[str, ...], start: pd.Timestamp,
                   end: pd.Timestamp) -> alt.Chart:
    """Know-how down the gradient: east, poles, counties by distance, villages."""
    cols = {name: name for name in ladder}
    return _lines(_long(history, cols), "Know-how ladder (east -> poles -> counties -> "
                  "villages)", start, end, "know-how (east = 1)", ".2f", list(ladder),
                  domain=[0.0, 1.0])


def returnees(outcomes: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> alt.VConcatChart:
    """Share of returns that settle in a county hosting a pole, at home or drawn there by
    backwash (12-month sums), and the mean distance from returnees' destination county to a
    pole."""
    o = outcomes[["date", "returns_month_real", "returns_to_pole_counties_month_real",
                  "returnee_destination_pole_km"]].copy()
    to_poles = o["returns_to_pole_counties_month_real"].rolling(12, min_periods=1).sum()
    total = o["returns_month_real"].rolling(12, min_periods=1).sum()
    o["share of returns settling in a pole county (last 12 months)"] = np.where(
        total > 0, to_poles / total.where(total > 0, 1.0), np.nan)
    o["km from destination county to a pole (mean)"] = o["returnee_destination_pole_km"]
    share = _lines(_long(o, {"share of returns settling in a pole county (last 12 months)":
                             "share of returns settling in a pole county (last 12 months)"}),
                   "Where returnees settle", start, end, "share", ".0%", domain=[0.0, 1.0])
    km = _lines(_long(o, {"km from destination county to a pole (mean)":
                          "km from destination county to a pole (mean)"}),
                "", start, end, "km", ".0f")
    return alt.vconcat(share.properties(height=PLOT_HEIGHT // 2),
                       km.properties(height=PLOT_HEIGHT // 2)).resolve_scale(color="independent")


def clusters(outcomes: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> alt.VConcatChart:
    """Cluster counts, cells in clusters, and the share of sellers in a cluster."""
    counts = {"clusters": "clusters", "towns": "towns (3+ cells)", "belts": "industry belts",
              "industry_clusters": "county industrial clusters"}
    cells = {"cluster_cells": "cells in clusters"}
    share = {"share_sellers_in_clusters": "sellers in a cluster (cell or county industry)"}
    top = _lines(_long(outcomes, counts), "Clusters", start, end, "count", "d",
                 list(counts.values()))
    middle = _lines(_long(outcomes, cells), "", start, end, "cells", "d")
    bottom = _lines(_long(outcomes, share), "", start, end, "share", ".0%", domain=[0.0, 1.0])
    return alt.vconcat(top.properties(height=PLOT_HEIGHT // 2 - 10),
                       middle.properties(height=PLOT_HEIGHT // 3),
                       bottom.properties(height=PLOT_HEIGHT // 3),
                       ).resolve_scale(color="independent")


def pole_strengths(history: pd.DataFrame, start: pd.Timestamp,
                   end: pd.Timestamp) -> alt.Chart:
    """Every pole's strength since it became active (secondary poles in one colour)."""
    cols = [c for c in history.columns if c.startswith("pole:")]
    long = history[["date", *cols]].melt(id_vars="date", var_name="pole",
                                         value_name="value").dropna()
    long["pole"] = long["pole"].str.removeprefix("pole:")
    long["series"] = np.where(long["pole"].isin(PRIMARY_POLES), long["pole"],
                              "secondary poles")
    n_secondary = int(long.loc[long["series"] == "secondary poles", "pole"].nunique())
    order = [*PRIMARY_POLES, "secondary poles"]
    return alt.Chart(long).mark_line().encode(
        x=_time_axis(start, end),
        y=alt.Y("value:Q", title="strength (Guiyang 2022 = 1)", scale=alt.Scale(domain=[0, 3])),
        color=alt.Color("series:N", title=None, sort=order,
                        scale=alt.Scale(domain=order,
                                        range=["#1f3b99", "#2ca02c", "#ff7f0e", "#e377c2"]),
                        legend=alt.Legend(orient="bottom", columns=4)),
        detail="pole:N",
        tooltip=["pole:N", alt.Tooltip("date:T", format="%b %Y"),
                 alt.Tooltip("value:Q", format=".2f")],
    ).properties(title=f"Pole strengths ({n_secondary} secondary poles so far)",
                 width=PLOT_WIDTH, height=PLOT_HEIGHT)
