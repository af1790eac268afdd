"""The model as a whole: structure, invariants every step, reproducibility, Mesa integration."""

import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from agents import (
    Cooperative,
    CountyHub,
    OverseasWarehouse,
    PickupPoint,
    ProvincialHub,
    ServiceStation,
)
from agents.farmers import AWARE, SELLING, UNAWARE
from model import CBECModel
from model.run import simulate

SMALL = {"household_scale": 0.004, "months": 24}
SHARE_COLUMNS = ("aware_share", "adoption_share", "subsidy_coverage", "subsidy_eligible_share",
                 "share_entities_below_1m",
                 "logistics_cost_share", "logistics_cost_share_coastal", "collection_rate",
                 "fx_travel_share", "unsold_share", "platform_order_share",
                 "share_sellers_in_clusters", "returnee_entrepreneur_cbec_share")


@pytest.fixture(scope="module")
def stepped():
    """A model stepped month by month, with the invariants checked after every step."""
    model = CBECModel(rng=7, household_scale=0.005, months=36, cooperatives=True)
    h = model.households
    n = h.n
    for _ in range(36):
        model.step()
        row = model.recorder.latest
        assert h.n == n and len(h.status) == n  # households conserved
        counts = np.bincount(h.status, minlength=4)
        assert counts.sum() == n
        for col in SHARE_COLUMNS:
            v = row[col]
            assert np.isnan(v) or 0.0 <= v <= 1.0, (col, v)
        assert row["subsidy_coverage"] <= row["subsidy_eligible_share"]  # recipients qualify
        numeric = {k: v for k, v in row.items() if isinstance(v, (int, float, np.number))}
        allowed_nan = {"returnee_destination_pole_km", "returnee_entrepreneur_cbec_share",
                       "firms_new_tea_chili_share", "logistics_per_revenue_belt",
                       "logistics_per_revenue_outside", "sellers_growth_12m",
                       "returns_to_pole_counties_share", "share_firms_in_clusters"}
        assert not [k for k, v in numeric.items() if np.isnan(v) and k not in allowed_nan]
        # fiscal cost paid to agents equals what households and firms (each counting its
        # set's weight) received
        received = (h.subsidies_received.sum()
                    + model.firms.subsidies_received.sum() * model.firms.weight)
        assert received == pytest.approx(model.fiscal.paid_to_households, rel=1e-9)
        assert np.isfinite(h.profit_trailing).all() and np.isfinite(h.sales_ytd).all()
        assert (h.coop[h.status != SELLING] < 0).all()  # members are sellers
    return model


def test_four_agent_types_exist_with_their_state(stepped):
    m = stepped
    assert len(m.agents_by_type[ServiceStation]) == 88
    assert len(m.agents_by_type[CountyHub]) == 88
    assert len(m.agents_by_type[ProvincialHub]) == 1
    warehouses = m.agents_by_type[OverseasWarehouse]
    assert sorted(w.city for w in warehouses) == ["Bangkok", "Hanoi"]
    points = m.agents_by_type[PickupPoint]
    assert 0.12 < len(points) / len(m.village_cell) < 0.18
    assert sum(h.has_partner for h in m.agents_by_type[CountyHub]) == 35
    full = sum(s.full_service for s in m.agents_by_type[ServiceStation])
    assert full == round(0.38 * 88)
    if Cooperative in m.agents_by_type:
        coop = next(iter(m.agents_by_type[Cooperative]))
        assert coop.product in range(4) and coop.founded_month >= 1


def test_household_view_and_frame(stepped):
    m = stepped
    seller = int(np.flatnonzero(m.households.status == SELLING)[0])
    view = m.household(seller)
    assert view.status == "selling"
    assert 0 <= view.skill <= 1
    with pytest.raises(AttributeError, match="read-only"):
        view.status = "aware"
    frame = m.households_frame(np.array([seller]))
    assert frame.loc[0, "household"] == seller and frame.loc[0, "status"] == "selling"
    with pytest.raises(IndexError):
        m.household(m.households.n)


def test_households_follow_the_2020_census():
    m = CBECModel(rng=1, household_scale=0.01, months=1)
    assert m.households.n == round(5_958_812 * 0.01)
    counties = m.world.counties
    per_county = np.bincount(m.households.county, minlength=88)
    expected = counties["rural_households"].to_numpy() * 0.01
    assert np.abs(per_county - expected).max() <= 1
    assert per_county[list(counties["code"]).index("520103")] == 0  # Yunyan is all urban


def test_outcomes_cover_the_brief(stepped):
    out = stepped.outcomes()
    assert list(out["month"]) == list(range(37))
    assert out["date"].iloc[1] == pd.Timestamp("2022-01-01")
    assert out["date"].iloc[0] == pd.Timestamp("2021-12-01")  # the start state
    needed = ["adoption_share", "sellers_tea", "sellers_chili", "sellers_embroidery",
              "entities", "share_entities_below_1m", "subsidy_coverage", "returns_month_real",
              "returnee_entrepreneurs_month_real", "clusters", "belts",
              "share_sellers_in_clusters", "logistics_cost_share", "delivery_days",
              "collection_rate", "fx_travel_share", "unsold_share",
              "cbec_income_per_household_yuan", "core_periphery_gap", "exports_asean_month_yuan",
              "exports_eu_month_yuan", "exports_us_month_yuan", "fiscal_cost_total_yuan",
              "pole_strength_tongren", "haul_km_households"]
    assert not [c for c in needed if c not in out.columns]
    from model.outcomes import COLUMNS  # every column is described, and only those exist
    assert sorted(out.columns) == sorted(COLUMNS)
    # Tongren's pole switches on in January 2024 (month 25)
    assert out.loc[out["month"] == 24, "pole_strength_tongren"].item() == 0
    assert out.loc[out["month"] == 25, "pole_strength_tongren"].item() > 0
    counties = stepped.counties()
    assert len(counties) == 88 * 37
    assert {"code", "prefecture", "adoption_share", "distance_band"} <= set(counties.columns)


def test_mean_haul_to_county_seat_is_the_papers_28_km():
    out = simulate({"household_scale": 0.005, "months": 1}, seed=1).outcomes
    assert out["haul_km_households"].iloc[0] == pytest.approx(28, abs=2)


@pytest.mark.parametrize("seed", [-1, 1.5, "3", None, True])
def test_a_bad_seed_is_refused_with_a_clear_error(seed):
    from model.parameters import ParameterError

    with pytest.raises(ParameterError, match="not allowed; allowed: a whole number >= 0"):
        simulate(SMALL, seed=seed)


def test_same_seed_same_results_other_seed_different():
    a = simulate(SMALL, seed=3)
    b = simulate(SMALL, seed=3)
    c = simulate(SMALL, seed=4)
    pd.testing.assert_frame_equal(a.outcomes, b.outcomes)
    pd.testing.assert_frame_equal(a.counties, b.counties)
    pd.testing.assert_frame_equal(a.fiscal, b.fiscal)
    assert not a.outcomes["sellers"].equals(c.outcomes["sellers"])


def test_same_seed_same_results_in_another_process():
    code = textwrap.dedent("""
        from model.run import simulate
        r = simulate({"household_scale": 0.004, "months": 24}, seed=3)
        print(r.outcomes["sellers"].tolist())
    """)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    here = simulate(SMALL, seed=3).outcomes["sellers"].tolist()
    assert run.stdout.strip() == str(here)


def test_status_moves_only_forward_from_unaware():
    m = CBECModel(rng=2, household_scale=0.004, months=12)
    before = m.households.status.copy()
    m.run()
    after = m.households.status
    assert not ((before != UNAWARE) & (after == UNAWARE)).any()
    assert (after == AWARE).sum() > 0 and (after == SELLING).sum() > 0


def test_works_with_mesa_batch_run():
    # batch_run switches multiprocessing to 'spawn' for the whole program: keep it apart
    code = textwrap.dedent("""
        import mesa
        from model import CBECModel
        rows = mesa.batch_run(CBECModel, parameters={"household_scale": 0.002, "months": 3,
                              "pickup_coverage": [0.15, 0.8]}, rng=[1], max_steps=3,
                              number_processes=1, display_progress=False)
        print(len(rows), sorted({r["pickup_coverage"] for r in rows}), rows[-1]["Step"],
              "sellers" in rows[-1])
    """)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert run.stdout.split() == ["2", "[0.15,", "0.8]", "3.0", "True"]


def test_run_result_groupings():
    r = simulate(SMALL, seed=1)
    pref = r.by("prefecture")
    assert pref["prefecture"].nunique() == 9
    assert (pref.loc[pref["month"] == 24, "date"] == pd.Timestamp("2023-12-01")).all()
    bands = r.by("distance_band")
    last = bands[bands["month"] == 24]
    assert last["households"].sum() == r.outcomes["households"].iloc[0]
    with pytest.raises(ValueError, match="allowed"):
        r.by("village")
    fiscal = r.fiscal_by_instrument((2022, 2025))
    assert "training" in fiscal.index and (fiscal >= 0).all()
    assert r.fiscal_by_instrument((2022, 2022)).sum() < fiscal.sum()  # 2022 only
    with pytest.raises(ValueError, match="a tuple"):
        r.fiscal_by_instrument(range(2022, 2026))  # would silently mean 2022-2023


def test_pricing_in_blocks_gives_the_same_accounts_and_run(stepped, monkeypatch):
    import model.accounts as engine

    h = stepped.households
    idx = np.flatnonzero(h.status != UNAWARE)
    members = np.where(h.coop[idx] >= 0, 12.0, 0.0)
    assert len(idx) > 2500
    whole = stepped.pricing.accounts(idx, members)
    monkeypatch.setattr(engine, "ECONOMICS_BLOCK", 1000)
    blocks = stepped.pricing.accounts(idx, members)
    assert whole.keys() == blocks.keys()
    for key in whole:
        np.testing.assert_array_equal(whole[key], blocks[key], err_msg=key)
    small_blocks = simulate(SMALL, seed=3)  # every pricing of more than 1,000 in blocks
    monkeypatch.undo()
    pd.testing.assert_frame_equal(small_blocks.outcomes, simulate(SMALL, seed=3).outcomes,
                                  check_exact=True)
