"""The SolaraViz page: ``solara run app.app`` (or ``cbec app`` / ``python -m app``).

Sidebar (Mesa's SolaraViz): Reset, play/pause and Step; the scenario menu, seed, policy start,
one switch per theory mechanism and the lever sliders (:func:`app.classroom.model_params`);
above them the date, "Run to 2030" and what is running. Main area, page 0: the county map with
its layer selector and the live plots; page 1: every control explained from the Parameters
metadata. Each browser session gets its own model.
"""

from __future__ import annotations

import os

os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")

import mesa.visualization.solara_viz as _solara_viz  # noqa: E402
import pandas as pd  # noqa: E402
import solara  # noqa: E402
import solara.checks  # noqa: E402
from mesa.visualization import SolaraViz  # noqa: E402
from mesa.visualization.utils import force_update, update_counter  # noqa: E402
from solara.server import settings as _solara_settings  # noqa: E402

from app import charts, state  # noqa: E402
from app.classroom import (  # noqa: E402
    SLIDERS,
    SWITCHES,
    ClassroomModel,
    meta,
    model_params,
    slider_label,
    switch_label,
)
from model.scenarios import SCENARIOS, describe  # noqa: E402

# `solara run app.app` imports solara before this module: switch telemetry off here as well
# (the server sends its start event after the app is loaded).
_solara_settings.telemetry.mixpanel_enable = False


def _no_call_home() -> bool:
    return False


# In development mode (`solara run` without --production, `cbec app --dev`) Solara's page
# loads a check page from solara.dev once per machine; the app makes no request off 127.0.0.1.
solara.checks.should_perform_solara_check = _no_call_home



def grid_layout(n: int) -> list[dict]:
    """Initial positions of a page's components on Mesa's 12-column draggable grid (rows of
    30 px): the map tall on the left, plots in two columns; a page with one component (the
    help) full width. Mesa gives every component the same 6 x 10 box, too small for the map."""
    if n == 1:
        return [{"i": 0, "x": 0, "y": 0, "w": 12, "h": 40, "moved": False}]
    heights = [18] + [11] * (n - 1)
    columns = [0, 0]  # filled height of the left and right column
    layout = []
    for i, h in enumerate(heights):
        col = 0 if i == 0 else int(columns[1] < columns[0])
        layout.append({"i": i, "x": 6 * col, "y": columns[col], "w": 6, "h": h, "moved": False})
        columns[col] += h
    return layout


# SolaraViz lays out each page with this module-level function (mesa 3.5); see grid_layout.
_solara_viz.make_initial_grid_layout = grid_layout

# Mesa's sliders show their value only while dragged: print it above the thumb all the time
# (Vuetify 2 keeps it in the thumb's aria-valuenow).
CSS = """
.v-slider__thumb-container::after {
    content: attr(aria-valuenow);
    position: absolute; top: -18px; left: 50%; transform: translateX(-50%);
    font-size: 11px; line-height: 1; color: rgba(0, 0, 0, 0.75); white-space: nowrap;
}
.v-input__slider { padding-top: 10px; }
"""

TITLE = "Rural cross-border e-commerce in Guizhou: growth poles, spread and backwash"


def _span(model: ClassroomModel) -> tuple[pd.Timestamp, pd.Timestamp]:
    start = pd.Timestamp(year=model.params.start_year, month=1, day=1) - pd.DateOffset(months=1)
    return start, start + pd.DateOffset(months=model.params.months)


@solara.component
def MapView(model: ClassroomModel):
    """The county map with a layer selector; poles sized by strength."""
    update_counter.get()
    layer, set_layer = solara.use_state("adoption")
    solara.Select(label="Map layer", value=layer, values=list(charts.LAYERS),
                  on_value=set_layer)
    counties, cells, square = state.map_layer(model, layer)
    where = charts.LAYERS[layer][2]
    chart = charts.map_chart(layer, counties if where == "county" else state.counties(model),
                             state.county_shapes(1.0), cells, state.poles(model),
                             state.extent_km(model), square, state.date(model))
    with solara.Column(classes=["cbec-map"]):
        solara.FigureAltair(chart)


def _outcome_plot(build):
    @solara.component
    def Plot(model: ClassroomModel):
        update_counter.get()
        start, end = _span(model)
        with solara.Column(classes=["cbec-plot"]):
            solara.FigureAltair(build(model, start, end))

    Plot.__name__ = build.__name__
    return Plot


CorePeriphery = _outcome_plot(lambda m, s, e: charts.core_periphery(m.outcomes(), s, e))
KnowhowLadder = _outcome_plot(lambda m, s, e: charts.knowhow_ladder(
    pd.DataFrame(m.history), state.LADDER, s, e))
Returnees = _outcome_plot(lambda m, s, e: charts.returnees(m.outcomes(), s, e))
Clusters = _outcome_plot(lambda m, s, e: charts.clusters(m.outcomes(), s, e))
PoleStrengths = _outcome_plot(lambda m, s, e: charts.pole_strengths(
    pd.DataFrame(m.history), s, e))


def _range(name: str) -> str:
    m = meta(name)
    if m["lo"] is None and m["hi"] is None:
        return "true / false"
    return f"{m['lo']:,.6g} to {m['hi']:,.6g}"


@solara.component
def Help(model: ClassroomModel):
    """Every control: what it is, its unit, allowed range and source (Parameters metadata)."""
    lines = ["## The controls", "",
             "Choose, then press **Reset**: the model is rebuilt from the scenario, then the "
             "switches, then every slider you moved away from its default (a slider left at "
             "its default keeps the scenario's value). **Step** is one month; **Run to 2030** "
             "runs to the horizon.", "",
             "### Switches: the theory mechanisms", ""]
    for name, _ in SWITCHES:
        m = meta(name)
        lines.append(f"* **{switch_label(name)}** (`{name}`): {m['doc']}")
    lines += ["", "### Sliders", ""]
    for s in SLIDERS:
        m = meta(name := s.name)
        lines.append(f"* **{slider_label(name)}** (`{name}`, {s.group}; {m['unit']}): "
                     f"{m['doc']} Slider {s.lo:,.6g} to {s.hi:,.6g} (allowed {_range(name)}). "
                     f"Source: {m['source']}.")
    lines += ["", "### When and where the levers act", ""]
    for name in ("policy_start_month", "policy_end_month", "policy_counties"):
        lines.append(f"* `{name}` ({meta(name)['unit']}): {meta(name)['doc']}")
    lines += ["", "### Scenarios", ""]
    lines += [f"* `{name}`: {describe(name)}" for name in SCENARIOS]
    lines += ["", "### Map layers", ""]
    lines += [f"* **{key}**: {title}" for key, (title, _, _) in charts.LAYERS.items()]
    lines += ["", "Hover over a county for its Chinese name and pinyin; circles are growth "
              "poles, sized by strength (secondary poles appear when a county's CBEC turnover "
              "passes the threshold)."]
    solara.Markdown("\n".join(lines))


@solara.component
def RunPanel(model: solara.Reactive[ClassroomModel]):
    """The date, Run to 2030, and what is running."""
    update_counter.get()
    m = model.value
    date = state.date(m)
    month = state.month(m)
    label = f"{date:%B %Y}" + (" (start state)" if month == 0 else "")

    def run_to_end():
        m.run_to_end()
        force_update()

    with solara.Card("Now running"):
        with solara.Column(gap="0px"):
            solara.Text(label, classes=["cbec-date"], style={"font-size": "1.3em",
                                                             "font-weight": "bold"})
            solara.Text(f"month {month} of {m.params.months}", classes=["cbec-month"])
        solara.Button("Run to 2030", color="primary", on_click=run_to_end,
                      disabled=not m.running, classes=["cbec-run-to-end"])
        s = m.summary()
        changed = ", ".join(f"{k} = {v:g}" if isinstance(v, float) and not isinstance(v, bool)
                            else f"{k} = {v}" for k, v in s["changed"].items()) or "none"
        solara.Markdown(f"**{s['scenario']}**: {s['description']}  \nseed {s['seed']}; "
                        f"levers {s['levers']}; changed from the defaults: {changed}")
        for note in s["notes"]:
            solara.Warning(note)


COMPONENTS = [(MapView, 0), (CorePeriphery, 0), (KnowhowLadder, 0), (Returnees, 0),
              (Clusters, 0), (PoleStrengths, 0), (Help, 1)]


@solara.component
def Page():
    initial = solara.use_memo(ClassroomModel, [])
    model = solara.use_reactive(initial)
    solara.Style(CSS)
    with solara.Sidebar():
        RunPanel(model)
    SolaraViz(model, components=COMPONENTS, model_params=model_params(), name=TITLE,
              play_interval=150)
