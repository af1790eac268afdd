"""The exploration API (issue 14): simulate(keep_model=True), maps of any month, pole records,
the know-how ladder and returns to pole counties as outcomes, plot helpers on Axes, the
exported status codes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model import views
from model.model import CBECModel
from model.parameters import ParameterError
from model.run import RunResult, simulate

SMALL = {"household_scale": 0.004, "months": 40}


@pytest.fixture(scope="module")
def kept() -> RunResult:
    return simulate(SMALL, seed=2, keep_model=True)


def test_keep_model_keeps_the_model_and_every_month_of_the_cell_layers(kept):
    m = kept.model
    assert isinstance(m, CBECModel) and m.steps == 40 and not m.running
    assert kept.maps is not None and kept.maps.months == list(range(41))
    pd.testing.assert_frame_equal(kept.outcomes, m.outcomes())
    # the last month's layers are the model's own state
    last = kept.map_frame(40, "know-how")
    np.testing.assert_allclose(last["value"], m.knowhow.cell, rtol=1e-6)
    np.testing.assert_allclose(kept.map_frame(40, "pole field")["value"], m.poles.field(40),
                               rtol=1e-6)
    # every month's cluster map holds that month's count of cluster cells
    counts = [int(kept.map_frame(month, "cluster cells")["value"].sum()) for month in range(41)]
    assert counts == kept.outcomes["cluster_cells"].tolist()
    assert len(last) == m.world.n_cells and {"x_km", "y_km", "county"} <= set(last)
    # know-how grows, so an early month differs from the last
    assert kept.map_frame(1, "know-how")["value"].mean() < last["value"].mean()


def test_without_keep_model_nothing_extra_is_kept():
    r = simulate({"household_scale": 0.004, "months": 3}, seed=1)
    assert r.model is None and r.maps is None
    assert len(r.map_frame(3, "adoption")) == 88  # county layers come from the panel
    with pytest.raises(ValueError, match="keep_model=True"):
        r.map_frame(3, "know-how")
    with pytest.raises(ParameterError, match="keep_model"):
        simulate({"household_scale": 0.004, "months": 3}, seed=1, keep_model="yes")


def test_county_layers_of_any_month_match_the_models_county_state(kept):
    m = kept.model
    for month in (0, 12, 40):
        state = views.county_state(m, month)
        for layer, column in (("adoption", "adoption"), ("returnees", "returnee_share"),
                              ("county know-how", "knowhow")):
            frame = kept.map_frame(month, layer)
            assert list(frame["code"]) == list(state["code"])
            np.testing.assert_allclose(frame["value"], state[column], rtol=1e-9, atol=1e-12)
    latest = views.county_state(m)
    assert latest["sellers"].sum() == kept.outcomes["sellers"].iloc[-1]
    assert set(latest.loc[latest["pole"], "county"]) == set(
        kept.poles.loc[(kept.poles["month"] == 40) & kept.poles["active"], "county"])


def test_bad_layer_or_month_is_refused(kept):
    with pytest.raises(ValueError, match="allowed"):
        kept.map_frame(5, "nonsense")
    with pytest.raises(ValueError, match="allowed"):
        kept.map_frame(41, "adoption")
    with pytest.raises(ValueError, match="allowed"):
        kept.map_frame(41, "know-how")
    with pytest.raises(ValueError, match="allowed"):
        views.county_state(kept.model, 99)


def test_cell_state_now(kept):
    cells = views.cell_state(kept.model)
    h = kept.model.households
    assert cells["households"].sum() == h.n
    assert cells["sellers"].sum() == kept.outcomes["sellers"].iloc[-1]
    assert cells["in_cluster"].sum() == kept.outcomes["cluster_cells"].iloc[-1]
    assert cells["knowhow"].between(0, 1).all()


def test_map_history_follows_a_model_stepped_by_hand():
    m = CBECModel(rng=3, household_scale=0.004, months=5)
    history = views.MapHistory.attach(m)
    m.step()
    m.step()
    assert history.months == [0, 1, 2]
    assert int(history.frame(2, "cluster cells")["value"].sum()) == \
        m.outcomes()["cluster_cells"].iloc[-1]


def test_pole_records(kept):
    o = kept.outcomes
    records = kept.pole_records()
    primary = records[records["kind"] == "primary"].set_index("pole")
    assert list(primary.index) == ["Guiyang", "Zunyi", "Tongren"]
    assert primary.loc["Tongren", "since"] == kept.params.tongren_start_month
    assert primary.loc["Guiyang", "county"] == "Nanming"
    assert primary.loc["Guiyang", "strength_at_start"] == pytest.approx(1.0, abs=0.05)
    secondary = records[records["kind"] == "secondary"]
    assert len(secondary) == o["secondary_poles"].iloc[-1]
    # each secondary pole is active from the month the count of secondary poles rises
    for since, n in secondary.groupby("since").size().items():
        before = o.loc[o["month"] == since - 1, "secondary_poles"].item()
        assert o.loc[o["month"] == since, "secondary_poles"].item() - before == n
    # the history's strengths are the outcome columns of the pilot-zone poles
    h = kept.poles
    for name in ("Guiyang", "Zunyi", "Tongren"):
        series = h[h["pole"] == name].set_index("month")["strength"]
        np.testing.assert_allclose(series.to_numpy(),
                                   o.set_index("month")[f"pole_strength_{name.lower()}"]
                                   .loc[series.index].to_numpy())
    assert (h["knowhow"].between(0, 1)).all()
    assert (records["strength_max"] >= records["strength_last"]).all()


def test_knowhow_ladder_outcomes(kept):
    ladder = kept.knowhow_ladder()
    assert list(ladder.columns) == list(views.LADDER)
    assert (ladder["east"] == 1.0).all()
    first = ladder.iloc[0].to_numpy()
    assert (np.diff(first) < 0).all()  # at the start it descends from the east to villages
    k = kept.model.knowhow
    last = ladder.iloc[-1]
    assert last["villages"] == pytest.approx(float(k.cell.mean()))
    km = kept.model.recorder.county_pole_km
    assert last["counties >= 100 km"] == pytest.approx(float(k.county[km >= 100].mean()))


def test_knowhow_frozen_without_gradient_transfer():
    o = simulate({"household_scale": 0.004, "months": 12, "gradient_transfer": False},
                 seed=1).outcomes
    for column in ("knowhow_counties_0_50km", "knowhow_counties_100km_plus",
                   "knowhow_villages", "knowhow_poles"):
        assert o[column].nunique() == 1, column


def test_returns_to_pole_counties(kept):
    o = kept.outcomes[kept.outcomes["month"] >= 1]
    share = o["returns_to_pole_counties_share"]
    assert share.dropna().between(0, 1).all()
    with_returns = o["returns_month_real"] > 0
    np.testing.assert_allclose(
        share[with_returns],
        (o["returns_to_pole_counties_month_real"] / o["returns_month_real"])[with_returns])
    # every return drawn by backwash settles in a pole county; some settle there at home
    assert (o["returns_to_pole_counties_month_real"] >= o["returns_to_poles_month_real"]).all()
    assert o["returns_to_pole_counties_month_real"].sum() > o["returns_to_poles_month_real"].sum()
    off = simulate({"household_scale": 0.004, "months": 3, "returnees": False}, seed=1).outcomes
    assert off["returns_to_pole_counties_share"].isna().all()
    assert (off["returns_to_pole_counties_month_real"] == 0).all()


def test_plot_helpers_draw_on_the_given_axes_and_return_it(kept):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from model import plots

    fig, axes = plt.subplots(3, 4, figsize=(20, 12))
    calls = [plots.adoption_by_product, plots.core_periphery, plots.knowhow_ladder,
             plots.pole_strengths, plots.returnee_destinations, plots.clusters,
             plots.adoption_map,
             lambda r, ax: plots.county_map(r, "know-how", month=12, ax=ax),
             lambda r, ax: plots.county_map(r, "pole field", ax=ax),
             lambda r, ax: plots.county_map(r, "county know-how", month=0, ax=ax),
             lambda r, ax: plots.choropleth(r.map_frame(0, "adoption").set_index("code")[
                 "pole_km"], ax=ax, label="km")]
    for ax, draw in zip(axes.flat[:len(calls)], calls, strict=True):
        assert draw(kept, ax=ax) is ax
        assert ax.has_data()
    assert "December 2022" in axes.flat[7].get_title()
    plt.close(fig)
    ax = plots.core_periphery(kept)  # no Axes: a new figure
    assert ax.figure is not fig
    plt.close(ax.figure)


def test_report_writes_the_adoption_map(tmp_path, kept):
    from experiments import report

    path = report.plot_adoption_map(kept, tmp_path / "map.png", "test")
    assert path.stat().st_size > 1000


def test_status_codes_and_simulate_are_exported():
    import agents.farmers as farmers
    from model import AWARE, EXITED, PRODUCTS, SELLING, STATUS_NAMES, UNAWARE
    from model import simulate as exported

    assert (UNAWARE, AWARE, SELLING, EXITED) == (farmers.UNAWARE, farmers.AWARE,
                                                 farmers.SELLING, farmers.EXITED)
    assert STATUS_NAMES[SELLING] == "selling" and PRODUCTS[0] == "tea"
    assert exported is simulate
