"""Time-limited and county-specific interventions (ODD §7.16; ``policy_end_month``,
``policy_counties``, model/targeting.py): a push is the baseline before it starts, costs
nothing beyond the baseline after it ends and leaves the baseline network behind; a push in
named counties builds, pays and prices only there; bad inputs are one clear error; specs,
sweeps and ``simulate`` carry both."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from agents.station import FULL_FUNCTIONS
from experiments.analysis import analyze
from experiments.cli import main
from experiments.design import plan_sweep
from experiments.runner import InProcess, run_sweep
from experiments.spec import SpecError, parse_spec
from model import CBECModel
from model.accounts import Pricing
from model.counties import canonical_counties, county_rows
from model.parameters import ParameterError, Parameters, baseline_levers
from model.policy import LEVERS
from model.reference import ReferenceCBECModel
from model.run import simulate
from model.scenarios import SCENARIOS, get
from model.targeting import Levers, describe, reward_rates

SCALE = 0.005
MONTHLY = sorted({lv.instrument for lv in LEVERS if lv.paid_in == "monthly"})
QIANDONGNAN = "Qiandongnan"


def _cost(model: CBECModel, instrument: str, first: int, last: int) -> float:
    f = model.fiscal_costs()
    rows = f[(f["instrument"] == instrument) & f["month"].between(first, last)]
    return float(rows["cost_yuan"].sum())


# ------------------------------------------------------------------- a time-limited push
@pytest.fixture(scope="module")
def window() -> dict[str, CBECModel]:
    """Every §5 proposal for 2024 (months 25-36) only, and the baseline, same seed."""
    params = {"household_scale": SCALE, "months": 45}
    return {"base": CBECModel(rng=3, **params).run(),
            "push": CBECModel(rng=3, **get("full_package"), policy_end_month=36,
                              **params).run()}


def test_before_it_starts_a_push_is_the_baseline_exactly(window):
    base, push = window["base"], window["push"]
    pd.testing.assert_frame_equal(base.outcomes().iloc[:25], push.outcomes().iloc[:25])
    fb, fp = base.fiscal_costs(), push.fiscal_costs()
    pd.testing.assert_frame_equal(fb[fb["month"] <= 24].reset_index(drop=True),
                                  fp[fp["month"] <= 24].reset_index(drop=True))


def test_after_it_ends_a_push_costs_nothing_beyond_the_baseline(window):
    base, push = window["base"], window["push"]
    for instrument in MONTHLY:  # the running costs: paid while in force, none after
        assert _cost(push, instrument, 25, 36) > 0, instrument
        assert _cost(push, instrument, 37, 45) == 0 == _cost(base, instrument, 37, 45), \
            instrument
    # the instruments the baseline does not pay are not paid after the end either
    paid_after = set(push.fiscal_costs().query("month > 36")["instrument"])
    paid_by_base = set(base.fiscal_costs()["instrument"])
    assert paid_after <= paid_by_base, paid_after - paid_by_base
    # warehouses were built once, when the push started
    built = push.fiscal_costs().query("instrument == 'warehouse_construction'")
    assert list(built["month"]) == [25]
    out = push.outcomes().set_index("month")["fiscal_cost_month_yuan"]
    assert out.loc[37:45].max() < 0.5 * out.loc[26:36].min()


def test_withdrawal_restores_the_baseline_network_and_keeps_built_warehouses(window):
    base, push = window["base"], window["push"]
    assert push.params == baseline_levers(push.requested_params)  # the baseline levers again
    np.testing.assert_array_equal(push.logistics.village_has_point,
                                  base.logistics.village_has_point)
    assert len(push.logistics.pickup_points) == len(base.logistics.pickup_points)
    np.testing.assert_array_equal(push.logistics.county_has_partner,
                                  base.logistics.county_has_partner)
    assert [s.functions for s in push.stations] == [s.functions for s in base.stations]
    assert not any(s.village_points for s in push.stations)
    cities = {w.city for w in push.logistics.warehouses}
    assert {"Los Angeles", "Frankfurt"} <= cities  # built infrastructure stays
    assert {w.city for w in base.logistics.warehouses} < cities


def test_a_withdrawn_lever_is_the_lever_set_back_by_hand():
    """The parameter does what notebook 5 used to emulate: from the month after the end, the
    baseline levers; results identical to setting the lever back in model.params."""
    params = {"household_scale": SCALE, "months": 40, "market_info_share": 0.5}
    withdrawn = CBECModel(rng=2, policy_end_month=30, **params).run()
    by_hand = CBECModel(rng=2, **params)
    while by_hand.running:
        if by_hand.steps == 30:
            by_hand.params = by_hand.params.replace(market_info_share=0.05)
        by_hand.step()
    pd.testing.assert_frame_equal(withdrawn.outcomes(), by_hand.outcomes())
    pd.testing.assert_frame_equal(withdrawn.fiscal_costs(), by_hand.fiscal_costs())


def test_a_push_from_month_one_is_withdrawn_too():
    m = CBECModel(rng=1, household_scale=0.002, months=14, policy_start_month=1,
                  policy_end_month=6, pickup_coverage=0.8).run()
    assert _cost(m, "pickup_points", 1, 6) > 0 and _cost(m, "pickup_points", 7, 14) == 0
    assert m.logistics.village_has_point.sum() == m.logistics.points_at(0.15)


# ----------------------------------------------------------------- named counties
def _inside(model: CBECModel) -> np.ndarray:
    return model.intervention.policy.counties


@pytest.fixture(scope="module")
def pickup_in_qiandongnan() -> list[tuple[CBECModel, CBECModel]]:
    """(baseline, pickup_coverage 0.8 in Qiandongnan) to the end of 2027, three seeds."""
    params = {"household_scale": 0.01, "months": 72}
    return [(CBECModel(rng=s, **params).run(),
             CBECModel(rng=s, pickup_coverage=0.8, policy_counties=QIANDONGNAN, **params).run())
            for s in (1, 2, 3)]


def test_a_county_push_builds_points_only_in_the_named_counties(pickup_in_qiandongnan):
    for base, push in pickup_in_qiandongnan:
        here = _inside(push)[push.logistics.village_county]
        assert here.sum() > 0 and (~here).sum() > 0
        np.testing.assert_array_equal(push.logistics.village_has_point[~here],
                                      base.logistics.village_has_point[~here])
        assert push.logistics.village_has_point[here].mean() > 0.75
        assert base.logistics.village_has_point[here].mean() < 0.25
        extra = int(push.logistics.village_has_point.sum() - base.logistics.village_has_point.sum())
        month = push.fiscal_costs().query("instrument == 'pickup_points' and month == 72")
        assert month["cost_yuan"].iloc[0] == extra * push.params.pickup_point_cost_yuan


def test_a_county_push_gains_concentrate_in_the_named_counties(pickup_in_qiandongnan):
    """Adoption and logistics cost move where the points are; elsewhere (only spillovers
    through peers, hubs and poles) by a fraction of that."""
    gain_in, gain_out, cut_in, cut_out, base_in = [], [], [], [], []
    for base, push in pickup_in_qiandongnan:
        inside = _inside(push)
        adoption, logistics = {}, {}
        for name, m in (("base", base), ("push", push)):
            here = inside[m.households.county]
            sellers = m.sellers()
            adoption[name] = (sellers[here].mean(), sellers[~here].mean())
            a, idx = m.month_sales.accounts, m.month_sales.sellers
            share = a["logistics"] / a["revenue"]
            at = inside[m.households.county[idx]]
            logistics[name] = (share[at].mean(), share[~at].mean())
        base_in.append(adoption["base"][0])
        gain_in.append(adoption["push"][0] - adoption["base"][0])
        gain_out.append(adoption["push"][1] - adoption["base"][1])
        cut_in.append(logistics["base"][0] - logistics["push"][0])
        cut_out.append(logistics["base"][1] - logistics["push"][1])
    # adoption there rises by a good part of its level (the push's sellers), elsewhere hardly
    assert np.mean(gain_in) > 0.25 * np.mean(base_in), (gain_in, base_in)
    assert np.mean(gain_in) > 5 * abs(np.mean(gain_out)), (gain_in, gain_out)
    assert np.mean(cut_in) > 0.01 and np.mean(cut_in) > 5 * abs(np.mean(cut_out)), \
        (cut_in, cut_out)


@pytest.fixture(scope="module")
def insured_in_qiandongnan() -> CBECModel:
    """Breakage insurance and the 0.5 M subsidy threshold in Qiandongnan, from month 1."""
    return CBECModel(rng=4, household_scale=SCALE, months=13, policy_start_month=1,
                     breakage_insurance_subsidy_share=0.4, subsidy_min_turnover_yuan=5e5,
                     policy_counties=QIANDONGNAN).run()


def test_households_are_priced_with_their_countys_parameters(insured_in_qiandongnan):
    m = insured_in_qiandongnan
    inside = _inside(m)
    a, idx = m.month_sales.accounts, m.month_sales.sellers
    here = inside[m.households.county[idx]]
    paid = a["fiscal_breakage_insurance"] > 0
    assert paid[here].any() and not paid[~here].any()
    # the dispatch gives exactly what a Pricing with each side's parameters gives
    zeros = np.zeros(len(idx))
    merged = m.pricing.accounts(idx, zeros)
    for params, side in ((m.in_force.inside, here), (m.in_force.outside, ~here)):
        alone = Pricing(m.households, params, m.context, m.knowhow).accounts(idx[side],
                                                                           zeros[side])
        for key, values in alone.items():
            np.testing.assert_array_equal(merged[key][side], values, err_msg=key)
    assert m.in_force.outside.breakage_insurance_subsidy_share == 0.0
    assert m.fiscal_costs().query("instrument == 'breakage_insurance'")["cost_yuan"].sum() > 0


def test_turnover_rewards_follow_each_countys_threshold(insured_in_qiandongnan):
    m = insured_in_qiandongnan
    inside = _inside(m)
    here, there = int(np.flatnonzero(inside)[0]), int(np.flatnonzero(~inside)[0])
    rate = reward_rates(m.in_force)(np.array([1e6, 1e6, 3e6, 3e6]), np.full(4, 5.0),
                                    np.array([here, there, here, there]))
    assert rate[0] > 0 and rate[1] == 0  # 1 M yuan: above the targeted 0.5 M threshold only
    assert rate[2] == rate[3] > 0  # above both


def test_province_wide_levers_act_everywhere_and_county_levers_only_there():
    p = Parameters(policy_counties="Leishan", flight_increase=0.3, pickup_coverage=0.8)
    m = CBECModel(rng=1, params=p.replace(household_scale=0.002, months=2,
                                          policy_start_month=1))
    levers: Levers = m.in_force
    assert levers.outside.flight_increase == 0.3 and levers.outside.pickup_coverage == 0.15
    assert levers.counties.sum() == 1 and levers.inside.pickup_coverage == 0.8


def test_levers_that_do_not_differ_by_county_need_no_county_split():
    m = CBECModel(rng=1, household_scale=0.002, months=2, policy_counties="Leishan",
                  flight_increase=0.3)
    assert m.intervention.policy.counties is None  # flights are province-wide


# --------------------------------------------------------------------- user input
def test_county_names_codes_and_prefectures_are_one_canonical_selection():
    assert canonical_counties("leishan, 522632 ,台江县") == "Taijiang,Rongjiang,Leishan"
    assert len(county_rows(QIANDONGNAN)) == 16 == len(county_rows("黔东南州"))
    assert Parameters.from_dict({"policy_counties": ["Leishan", "Taijiang"]}).policy_counties == \
        "Taijiang,Leishan"
    assert describe(Parameters(pickup_coverage=0.8, policy_counties="Qiandongnan,Meitan",
                               policy_end_month=60)) == "months 25-60, in Qiandongnan, Meitan"
    # where and when, but no lever moved: nothing acts
    assert describe(Parameters(policy_counties="Qiandongnan", policy_end_month=60)) == \
        describe(Parameters()) == "none (every lever at the baseline)"
    assert describe(Parameters(pickup_coverage=0.8)) == "from month 25, province-wide"


@pytest.mark.parametrize(("values", "words"), [
    ({"policy_end_month": 12}, ["'policy_end_month' = 12", "policy_start_month = 25",
                                "0 (never withdrawn)"]),
    ({"policy_counties": "Leishen"}, ["'policy_counties'", "'Leishen'",
                                      "did you mean 'Leishan'", "Qiandongnan"]),
    ({"policy_counties": 3.5}, ["'policy_counties' = 3.5", "text"]),
    ({"policy_end_month": -1}, ["'policy_end_month' = -1", "0 to 600"]),
])
def test_bad_windows_and_counties_are_one_clear_error(values, words):
    with pytest.raises(ParameterError) as info:
        Parameters.from_dict(values)
    message = str(info.value)
    assert "\n" not in message
    for word in words:
        assert word in message, (word, message)


def test_the_cli_stops_a_bad_county_with_one_line(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["run", "baseline", "--out", str(out), "--scale", "0.002",
                 "--set", "policy_counties=Leishan,Nowhere"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and err.count("\n") == 1 and "'Nowhere'" in err
    assert not out.exists()
    assert main(["run", "baseline", "--out", str(out), "--scale", "0.002",
                 "--set", "policy_end_month=3"]) == 2
    assert "policy_end_month" in capsys.readouterr().err


def test_the_reference_model_refuses_named_counties():
    with pytest.raises(ParameterError, match="policy_counties"):
        ReferenceCBECModel(rng=1, household_scale=0.001, months=1, policy_counties="Leishan")


# ---------------------------------------------------------- specs, sweeps, simulate
SPEC = textwrap.dedent("""\
    name = "where"
    replications = 1
    seed = 1
    [base]
    household_scale = 0.002
    months = 8
    policy_start_month = 3
    policy_end_month = 5
    pickup_coverage = 0.8
    [design]
    kind = "grid"
    [parameters.policy_counties]
    values = ["", "Qiandongnan"]
    [outputs]
    keep = ["adoption_share", "fiscal_cost_month_yuan"]
    """)


def test_a_sweep_over_counties_with_a_window(tmp_path: Path) -> None:
    spec = parse_spec(SPEC)
    assert spec.base["policy_end_month"] == 5
    plan = plan_sweep(spec, "test")
    assert list(plan.runs["policy_counties"]) == ["", QIANDONGNAN]
    out = tmp_path / "sweep"
    report = run_sweep(spec, out, InProcess(), progress=False)
    assert report.complete
    table = analyze(out, figures=True)
    assert set(table["policy_counties"]) == {"", QIANDONGNAN}
    assert (out / "analysis" / "figures" / "vs_adoption_share.png").is_file()


@pytest.mark.parametrize(("text", "message"), [
    (SPEC.replace('values = ["", "Qiandongnan"]', 'values = ["Nowhere"]'), "Nowhere"),
    (SPEC.replace('values = ["", "Qiandongnan"]', "values = [1.5]"), "takes text"),
    (SPEC.replace("policy_end_month = 5", "policy_end_month = 2"), "policy_end_month"),
])
def test_bad_windows_and_counties_in_a_spec_stop_it_before_it_runs(text, message):
    with pytest.raises(SpecError, match=message):
        plan_sweep(parse_spec(text), "test")


def test_simulate_carries_the_window_and_the_counties():
    result = simulate({"household_scale": 0.002, "months": 30, "pickup_coverage": 0.8,
                       "policy_end_month": 26, "policy_counties": "Leishan"}, seed=1)
    assert result.params.policy_counties == "Leishan" and result.params.policy_end_month == 26
    cost = result.fiscal[result.fiscal["instrument"] == "pickup_points"]
    assert set(cost["month"]) == {25, 26}


def test_the_scenarios_with_a_window_or_counties_stay_out_of_the_full_package():
    assert get("pickup_80_2024_2026") == {"pickup_coverage": 0.8, "policy_end_month": 60}
    assert get("qiandongnan_embroidery")["policy_counties"] == QIANDONGNAN
    assert "policy_end_month" not in SCENARIOS["full_package"]
    assert "policy_counties" not in SCENARIOS["full_package"]
    for name in ("pickup_80_2024_2026", "qiandongnan_embroidery"):
        Parameters.from_dict(get(name))


def test_full_service_stations_in_named_counties_only():
    m = CBECModel(rng=1, household_scale=0.002, months=1, policy_start_month=1,
                  full_service_station_share=1.0, village_service_points=True,
                  policy_counties="Qiandongnan")
    inside = _inside(m)
    full = np.array([s.functions == FULL_FUNCTIONS for s in m.stations])
    points = np.array([s.village_points for s in m.stations])
    assert full[inside].all() and points[inside].all() and not points[~inside].any()
    base = CBECModel(rng=1, household_scale=0.002, months=1)
    np.testing.assert_array_equal(full[~inside],
                                  [s.full_service for s in np.array(base.stations)[~inside]])


def test_county_programmes_run_and_cost_only_in_the_named_counties():
    """Secondees, school grants, training subsidies and village points in Qiandongnan only."""
    m = CBECModel(rng=5, household_scale=SCALE, months=13, policy_start_month=1,
                  talent_secondment_yuan=50_000.0, secondees_per_county_year=3.0,
                  school_training_grant_yuan=7_500.0, training_subsidy_yuan=3_000.0,
                  village_service_points=True, policy_counties=QIANDONGNAN).run()
    inside = _inside(m)
    secondees = np.array([len(s.secondee_months_left) for s in m.stations])
    assert secondees[inside].sum() > 0 and secondees[~inside].sum() == 0
    assert _cost(m, "school_training_grant", 1, 1) == pytest.approx(7_500.0 * inside.sum() / 12)
    villages = m.logistics.villages_per_county()[inside].sum()
    assert _cost(m, "village_service_points", 5, 5) == villages * m.params.village_point_cost_yuan
    # trainees are paid each county's subsidy: 3,000 yuan there, the baseline 1,500 elsewhere
    trained = np.array([s.trained_total for s in m.stations], dtype=float)
    base = Parameters().training_subsidy_yuan
    expected = (trained[inside].sum() * 3_000.0 + trained[~inside].sum() * base) / SCALE
    assert _cost(m, "training", 1, 13) == pytest.approx(expected)
    assert trained[inside].sum() > 0 and trained[~inside].sum() > 0
