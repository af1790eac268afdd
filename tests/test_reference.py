"""The vectorised engine against its oracle, :class:`model.reference.ReferenceCBECModel`.

The oracle steps one Mesa agent per household with scalar Python. Its random draws come in a
different order, so the two models agree in distribution, not run by run. The statistical test
runs both over the same seeds and compares, outcome by outcome, the distributions across seeds:
Welch's t-test on the means, and a paired t-test on the per-seed differences (for a seed both
models start from the identical world and state, so pairing removes the between-world variance,
which is most of it). It also checks that the same comparison flags a real difference: the
oracle with ``peer_effect`` doubled. (Subtler changes, such as halving ``review_rate``, need more
seeds than this test can afford.) No timing is asserted here; the speed ratio is measured by
``benchmarks/run.py``.

The statistical runs (about 10,000 households, 24 months) use every mechanism switch (all on by
default) plus, from the first month, the levers whose branches live in the household rules
(village service points in the awareness hazard, professional services in the month's
payments), more market information and a higher cooperative formation rate, so that a world
this small has about a hundred sellers, cooperatives that members join, exits, and subsidies
within two years.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
import pytest
from scipy import stats

from agents.farmer_reference import FIELDS
from agents.farmers import AWARE, SELLING
from model.model import CBECModel
from model.parameters import Parameters
from model.reference import ReferenceCBECModel

SCALE = 0.0017  # about 10,000 households
MONTHS = 24
SEEDS = range(20)
# per test: 20 outcome-months, each with two tests (Welch and paired), so the chance that some
# test flags a difference that is not there is at most 40 * ALPHA = 0.8% for each change of
# the model; a lower ALPHA also makes a real difference harder to see, hence 20 seeds (with
# ALPHA = 0.001 and 10 seeds one such false alarm came up: embroidery adoption, p = 0.0003 on
# seeds 0-9 and p = 0.69 on seeds 0-29)
ALPHA = 0.0002
PARAMS: dict[str, Any] = {
    "household_scale": SCALE, "months": MONTHS, "policy_start_month": 1,
    "village_service_points": True, "professional_services": True, "market_info_share": 0.5,
    "coop_formation_rate": 0.1,
}
OUTCOMES = ("sellers", "aware_share", "adoption_share_tea", "adoption_share_chili",
            "adoption_share_embroidery", "adoption_share_other", "sellers_coop", "cooperatives",
            "share_entities_below_1m", "turnover_month_yuan")
CHECK_MONTHS = (12, MONTHS)
CHANGED_RULE = {"peer_effect": 2 * Parameters().peer_effect}  # twice the pull of neighbours


def run_outcomes(kind: str, seed: int, overrides: dict[str, Any]) -> np.ndarray:
    """Outcomes (rows: CHECK_MONTHS, columns: OUTCOMES) of one run (in a worker process)."""
    cls = ReferenceCBECModel if kind == "reference" else CBECModel
    model = cls(rng=seed, **{**PARAMS, **overrides}).run()
    table = model.outcomes().set_index("month")
    return table.loc[list(CHECK_MONTHS), list(OUTCOMES)].to_numpy(dtype=float)


def differing(a: np.ndarray, b: np.ndarray) -> list[str]:
    """Outcomes whose distributions across seeds differ: Welch's t-test on the means or a paired
    t-test on the per-seed differences gives p < ALPHA.

    ``a``, ``b``: (seeds, months, outcomes), row i of both from seed i. A constant difference
    (including none at all) counts as different only if it is not zero.
    """
    found = []
    for t, month in enumerate(CHECK_MONTHS):
        for k, name in enumerate(OUTCOMES):
            x, y = a[:, t, k], b[:, t, k]
            d = y - x
            if d.var() == 0:
                p_paired = 0.0 if d[0] != 0 else 1.0
            else:
                p_paired = stats.ttest_rel(y, x).pvalue
            p_welch = (stats.ttest_ind(x, y, equal_var=False).pvalue
                       if x.var() + y.var() > 0 else p_paired)
            if min(p_welch, p_paired) < ALPHA:
                found.append(f"{name}@{month}: {x.mean():.4g} vs {y.mean():.4g} "
                             f"(Welch p={p_welch:.2g}, paired p={p_paired:.2g})")
    return found


@pytest.fixture(scope="module")
def runs() -> dict[str, np.ndarray]:
    """Every run the statistical tests need, two at a time."""
    jobs = {"engine": ("engine", {}), "reference": ("reference", {}),
            "reference_changed": ("reference", CHANGED_RULE)}
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        futures = {name: [pool.submit(run_outcomes, kind, seed, over) for seed in SEEDS]
                   for name, (kind, over) in jobs.items()}
        return {name: np.array([f.result() for f in fs]) for name, fs in futures.items()}


def test_engine_matches_reference_in_distribution(runs: dict[str, np.ndarray]) -> None:
    assert runs["engine"][:, -1, OUTCOMES.index("cooperatives")].sum() > 0  # exercised
    assert runs["reference"][:, -1, OUTCOMES.index("cooperatives")].sum() > 0
    assert differing(runs["engine"], runs["reference"]) == []


def test_comparison_detects_a_changed_rule(runs: dict[str, np.ndarray]) -> None:
    found = differing(runs["engine"], runs["reference_changed"])
    assert any(f.startswith("aware_share@") for f in found), found


# ------------------------------------------------------------------ deterministic checks
@pytest.fixture(scope="module")
def stepped() -> ReferenceCBECModel:
    model = ReferenceCBECModel(rng=3, **PARAMS)
    for _ in range(13):
        model.step()
    return model


def test_same_start_state() -> None:
    engine = CBECModel(rng=5, **PARAMS)
    reference = ReferenceCBECModel(rng=5, **PARAMS)
    for name in FIELDS:
        np.testing.assert_array_equal(getattr(engine.households, name),
                                      getattr(reference.households, name), err_msg=name)
    assert engine.outcomes().equals(reference.outcomes())
    assert len(reference.farmers) == reference.households.n
    assert len(reference.agents_by_type[type(reference.farmers[0])]) == reference.households.n


def test_agents_and_arrays_agree_after_steps(stepped: ReferenceCBECModel) -> None:
    model = stepped
    model.observe()
    h = model.households
    for name in FIELDS:
        held = np.array([getattr(agent, name) for agent in model.farmers])
        np.testing.assert_allclose(held, getattr(h, name), rtol=1e-6, atol=1e-3, err_msg=name)


def test_agent_margin_inputs_match_engine(stepped: ReferenceCBECModel) -> None:
    """Each agent's scalar sales, skill, hurdle and gains equal the engine's vectorised ones."""
    model = stepped
    model.observe()
    h = model.households
    idx = np.flatnonzero((h.status == AWARE) | (h.status == SELLING))
    agents = [model.farmers[i] for i in idx]
    assert len(idx) > 100
    np.testing.assert_allclose([a.annual_sales() for a in agents], model.pricing.annual_sales(idx),
                               rtol=1e-6)
    np.testing.assert_allclose([a.skill() for a in agents],
                               h.skill(idx, model.knowhow.cell), rtol=1e-6)
    # the engine keeps risk aversion in float32: compare to float32 precision
    np.testing.assert_allclose([a.hurdle() for a in agents], model.pricing.hurdle(idx), rtol=1e-6,
                               atol=1e-7)
    np.testing.assert_allclose([a.gain() for a in agents],
                               model.pricing.gain(idx, np.zeros(len(idx))), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose([a.coop_gain(8) for a in agents], model.pricing.coop_gain(idx, 8),
                               rtol=1e-9, atol=1e-12)
