"""Common random numbers that hold (ODD §11): random streams keyed by purpose, month and index."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from model import CBECModel
from model.randomness import RandomStreams

SMALL = {"household_scale": 0.004, "months": 48}


def test_a_draw_is_fixed_by_purpose_month_and_index():
    streams = RandomStreams(2024)
    everyone = streams.uniform("review", 7, np.arange(100_000))
    some = np.array([3, 99_999, 512])
    assert np.array_equal(streams.uniform("review", 7, some), everyone[some])
    assert not np.array_equal(streams.uniform("review", 8, some), everyone[some])
    assert not np.array_equal(streams.uniform("unsold", 7, some), everyone[some])
    assert not np.array_equal(RandomStreams(2025).uniform("review", 7, some), everyone[some])
    assert np.array_equal(streams.uniform("coop_recruit", 7, some, 11),
                          streams.uniform("coop_recruit", 7, some, 11))
    assert not np.array_equal(streams.uniform("coop_recruit", 7, some, 11),
                              streams.uniform("coop_recruit", 7, some, 12))


def test_a_key_is_the_same_hash_as_the_array_draws_use():
    # keys are hashed in Python integers, the draws in uint64 arrays: the same SplitMix64
    from model.randomness import _mix, _mix_int
    values = np.random.default_rng(0).integers(0, 2**64 - 1, 2000, dtype=np.uint64,
                                               endpoint=True)
    values = np.concatenate([values, np.array([0, 1, 2**63, 2**64 - 1], dtype=np.uint64)])
    assert [_mix_int(int(v)) for v in values] == [int(x) for x in _mix(values.copy())]
    assert _mix_int(-1) == _mix_int(2**64 - 1)  # parts are taken modulo 2**64


def test_draws_are_uniform_normal_and_independent():
    streams = RandomStreams(7)
    u = streams.uniform("review", 1, np.arange(200_000))
    assert 0 < u.min() and u.max() < 1
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    z = streams.normal("sales_noise", 1, np.arange(200_000))
    assert stats.kstest(z, "norm").pvalue > 1e-3
    v = streams.uniform("review", 2, np.arange(200_000))
    assert abs(np.corrcoef(u, v)[0, 1]) < 0.01  # next month
    w = streams.uniform("review", 1, np.arange(1, 200_001))
    assert abs(np.corrcoef(u, w)[0, 1]) < 0.01  # neighbouring households


def test_counts_are_coupled_monotone_and_right_in_distribution():
    streams = RandomStreams(3)
    county = np.arange(20_000)
    low = streams.binomial("returns", 5, county, np.full(len(county), 400), 0.01)
    high = streams.binomial("returns", 5, county, np.full(len(county), 400), 0.012)
    assert np.all(high >= low)  # a higher rate never gives fewer events for the same seed
    assert low.mean() == pytest.approx(4.0, rel=0.03)
    assert low.var() == pytest.approx(400 * 0.01 * 0.99, rel=0.06)
    pois = streams.poisson("trainees", 5, county, np.full(len(county), 2.5))
    assert pois.mean() == pytest.approx(2.5, rel=0.03)
    assert pois.var() == pytest.approx(2.5, rel=0.06)
    picks, group = streams.picks("return_pick", 5, np.array([3, 0, 5]), np.array([10, 4, 7]))
    more, _ = streams.picks("return_pick", 5, np.array([4, 0, 5]), np.array([10, 4, 7]))
    assert list(group) == [0, 0, 0, 2, 2, 2, 2, 2]
    assert np.all(picks[group == 0] < 10) and np.all(picks[group == 2] < 7)
    assert np.array_equal(more[:3], picks[:3]) and np.array_equal(more[4:], picks[3:])


def test_a_lever_leaves_the_processes_it_cannot_affect_identical():
    """A parcel subsidy changes sellers' margins; it cannot change who is trained, how station
    staff learn or where the networks are."""
    base = CBECModel(rng=5, **SMALL).run()
    parcel = CBECModel(rng=5, parcel_subsidy_yuan=1.0, **SMALL).run()
    start = base.params.policy_start_month
    income = "cbec_income_per_household_yuan"
    assert not base.outcomes()[income].equals(parcel.outcomes()[income])  # it acts
    assert "parcel" in set(parcel.fiscal_costs()["instrument"])
    assert base.outcomes()["trained_total_real"].equals(parcel.outcomes()["trained_total_real"])
    b, s = base.counties(), parcel.counties()
    assert b["station_experienced_staff"].equals(s["station_experienced_staff"])
    assert b["hub_partner"].equals(s["hub_partner"])
    # the 2022-2023 history is shared bit for bit
    before = base.outcomes()["month"] < start
    assert base.outcomes()[before].equals(parcel.outcomes()[before])


def test_station_staff_leaves_the_networks_identical():
    """``station_staff`` (not a lever) changes how many staff draws there are, nothing else."""
    one = CBECModel(rng=9, household_scale=0.004, months=1, station_staff=1)
    two = CBECModel(rng=9, household_scale=0.004, months=1, station_staff=2)
    assert np.array_equal(one.logistics.village_has_point, two.logistics.village_has_point)
    assert np.array_equal(one.logistics.county_has_partner, two.logistics.county_has_partner)
    assert np.array_equal(one.station_rank, two.station_rank)
    assert np.array_equal(one.households.cell, two.households.cell)
    first_staff = [s.staff_experienced[0] for s in one.stations]
    assert first_staff == [s.staff_experienced[0] for s in two.stations]


def test_pairing_by_seed_removes_most_of_the_noise_of_a_difference():
    """Over 20 seeds the variance of (scenario - baseline) for a small lever is at most a third
    of the variance with seeds paired at random."""
    base, scen = [], []
    for seed in range(20):
        base.append(CBECModel(rng=seed, **SMALL).run().outcomes()["sellers"].iloc[-1])
        scen.append(CBECModel(rng=seed, parcel_subsidy_yuan=1.0, **SMALL).run()
                    .outcomes()["sellers"].iloc[-1])
    base, scen = np.array(base, float), np.array(scen, float)
    paired = np.var(scen - base, ddof=1)
    shuffle = np.random.default_rng(0)
    random_pairs = np.mean([np.var(scen - base[shuffle.permutation(20)], ddof=1)
                            for _ in range(200)])
    assert paired <= random_pairs / 3
