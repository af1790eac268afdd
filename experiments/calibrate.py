"""Calibrate the free parameters to the brief's baseline facts, and check the fit.

Method: approximate Bayesian computation by rejection on a Latin hypercube, in rounds. Round 1
draws ``samples`` points in the prior box of :data:`FREE_PARAMETERS`; each point is run with
``seeds`` common seeds (January 2022 to December 2023: every fact is read by then); the
distance of a point is the root-mean-square of (mean simulated fact - target) / tolerance
(:func:`experiments.facts.distance`). The best ``accept`` share of points is the round's
posterior; the next round draws a new hypercube in the box they span (widened by 10%). The
final posterior is kept in ``posterior.csv`` (the claims draw parameter uncertainty from it) and
its best point in ``best_params.json``.

``check`` runs a parameter set (the defaults unless given) at the default scale with 100 seeds
by default (with the fitted economy about 50 would make every fact's 95% interval narrower
than its tolerance: FX trips, with a per-seed spread of 0.05 against a tolerance of 0.03, need
the most; 100 leaves a margin for other parameter sets), and writes ``calibration.csv``: fact,
target, simulated, ci_low, ci_high, tolerance, ok.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import qmc

from experiments.batch import run_points
from experiments.facts import FACT_COLUMNS, FACTS, compare, distance, facts_table
from experiments.runner import ExecutorFactory
from experiments.storage import atomic_write_with
from model.parameters import ParameterError, Parameters

CALIBRATION_MONTHS = 24  # every fact is read by December 2023
CALIBRATION_START_YEAR = 2022  # the facts are dated 2022-2023

#: Free parameters with their prior range. Everything else is a paper value, a data value or
#: a stated assumption (docs/calibration.md).
FREE_PARAMETERS: dict[str, tuple[float, float]] = {
    "awareness_initial": (0.05, 0.65),
    "awareness_base_rate": (0.0, 0.002),
    "peer_effect": (0.0, 0.5),
    "digital_capable_share": (0.15, 0.6),
    "sales_median_yuan": (4_000.0, 40_000.0),
    "sales_sigma": (0.4, 1.3),
    "sales_growth_per_year_in_business": (0.0, 0.2),
    "capacity_multiple": (1.1, 2.5),
    "direct_sale_markup": (0.3, 0.8),
    "unsold_probability_no_info": (0.3, 0.9),
    "hub_use_without_point": (0.1, 0.9),
    "platform_use_base": (0.4, 0.85),
    "takeup_base": (0.3, 0.8),  # at most takeup_with_help: a station's help never lowers it
    "station_capacity_per_staff": (2.0, 300.0),
    "return_hazard_base": (0.001, 0.02),
    "returnee_entrepreneur_share": (0.2, 0.7),
    "returnee_skill_boost": (0.1, 0.6),
    "entrepreneur_volume_multiple": (1.0, 30.0),
    "coop_formation_rate": (0.0005, 0.03),
    "hurdle_base": (-0.05, 0.15),
    "hurdle_risk": (0.05, 0.6),
    "exit_rate_when_losing": (0.02, 0.4),
    "closure_rate": (0.0, 0.3),
    "international_direct_rate": (0.04, 0.12),
    "first_mile_cost_per_km": (0.5, 4.0),
    "specialty_share": (0.2, 0.7),
    "industry_cluster_min_shops": (5.0, 300.0),
    "potential_firms": (5_000.0, 60_000.0),
    "firm_median_yuan": (50_000.0, 1_000_000.0),
    "firm_sigma": (0.5, 2.0),
    "entity_order_value_yuan": (5_000.0, 150_000.0),
    "imitation_rate": (0.0, 50.0),
    # the demand scales, within the ranges their anchors allow (model/data/external_anchors.md)
    "demand_tea_yuan": (5e7, 5e8),
    "demand_chili_yuan": (1e7, 1e8),
    "demand_embroidery_yuan": (2e6, 3e7),
    "demand_other_yuan": (1e8, 1.5e9),
    "retail_markup": (0.8, 3.0),
    "retail_demand_tea_yuan": (5e6, 2e8),
    "retail_demand_chili_yuan": (2e6, 5e7),
    "retail_demand_embroidery_yuan": (2e6, 3e7),
    "retail_demand_other_yuan": (2e7, 6e8),
    "startup_rent_yuan": (0.0, 6000.0),
    "registration_min_sales_yuan": (0.0, 1_000_000.0),
    # 2022 growth of foreign demand for Guizhou goods, tapering (China's CBEC trade: +15.6% in
    # 2023)
    "demand_growth_asean": (0.0, 0.6),
    "demand_growth_eu": (0.0, 0.6),
    "demand_growth_us": (0.0, 0.6),
    "demand_growth_rest_of_world": (0.0, 0.6),
}


@dataclass
class FitResult:
    """The outcome of :func:`fit`."""

    samples: pd.DataFrame     # every point of every round: parameters, distance, fact means
    posterior: pd.DataFrame   # accepted points of the last round
    best: dict[str, float]    # the accepted point with the smallest distance
    best_distance: float


def _hypercube(box: Mapping[str, tuple[float, float]], n: int, seed: int) -> list[dict]:
    names = list(box)
    unit = qmc.LatinHypercube(d=len(names), seed=seed).random(n)
    lo = np.array([box[k][0] for k in names])
    hi = np.array([box[k][1] for k in names])
    values = lo + unit * (hi - lo)
    return [{k: float(f"{v:.6g}") for k, v in zip(names, row, strict=True)} for row in values]


def check_box(box: Mapping[str, tuple[float, float]]) -> None:
    """Each range must be a free parameter's and lie within its prior (:data:`FREE_PARAMETERS`):
    the posterior the claims draw from stays inside the documented priors. ParameterError (a
    ValueError) naming the range otherwise."""
    for name, (lo, hi) in box.items():
        Parameters.from_dict({name: lo})
        Parameters.from_dict({name: hi})
        if not lo < hi:
            raise ParameterError(f"prior range of '{name}' is empty: [{lo}, {hi}]")
        if name not in FREE_PARAMETERS:
            raise ParameterError(f"'{name}' is not a free parameter; allowed: "
                                 f"{', '.join(FREE_PARAMETERS)}")
        prior_lo, prior_hi = FREE_PARAMETERS[name]
        if lo < prior_lo or hi > prior_hi:
            raise ParameterError(f"range of '{name}' = [{lo}, {hi}] is not allowed; allowed: "
                                 f"within its prior [{prior_lo}, {prior_hi}]")


def check_params(params: Mapping[str, Any] | None, scale: float | None = None) -> Parameters:
    """The parameters :func:`check` would run, validated: known names and allowed values, a
    horizon reaching December 2023 (month :data:`CALIBRATION_MONTHS`, where the facts are
    read) and the facts' calendar (start year 2022). ParameterError otherwise."""
    base: dict[str, Any] = {"months": CALIBRATION_MONTHS, **dict(params or {})}
    if scale is not None:
        base["household_scale"] = scale
    p = Parameters.from_dict(base)
    if p.months < CALIBRATION_MONTHS:
        raise ParameterError(f"months = {p.months} is too short for the calibration check: the "
                             f"facts are read up to December 2023 (month {CALIBRATION_MONTHS}); "
                             f"allowed: {CALIBRATION_MONTHS} or more")
    if p.start_year != CALIBRATION_START_YEAR:
        raise ParameterError(f"start_year = {p.start_year} is not allowed for the calibration "
                             f"check: the facts are dated 2022-2023; allowed: "
                             f"{CALIBRATION_START_YEAR}")
    return p


MAX_ROUNDS = 20  # ceiling of fit(rounds=...) and `cbec calibrate --rounds`


def fit(out: str | Path, samples: int = 200, seeds: int = 3, rounds: int = 2,
        accept: float = 0.1, scale: float = 0.01, seed: int = 2022,
        box: Mapping[str, tuple[float, float]] | None = None,
        executor_factory: ExecutorFactory | None = None, progress: bool = True) -> FitResult:
    """ABC rejection on Latin hypercubes; writes ``fit_samples.csv``, ``posterior.csv``,
    ``best_params.json`` and ``fit_report.txt`` under ``out`` (each round's runs are in
    ``out/round-K`` and resume after an interruption)."""
    if isinstance(rounds, bool) or not isinstance(rounds, int) or not 1 <= rounds <= MAX_ROUNDS:
        raise ParameterError(f"rounds = {rounds!r} is not allowed; allowed: 1 to {MAX_ROUNDS} "
                             "(each round narrows the box; more rounds rarely move the fit)")
    out = Path(out)
    box = dict(box or FREE_PARAMETERS)
    check_box(box)
    if not 0 < accept <= 1:
        raise ParameterError(f"accept = {accept} is not allowed; allowed: a share in (0, 1]")
    base = {"household_scale": scale, "months": CALIBRATION_MONTHS}
    all_rows = []
    accepted = pd.DataFrame()
    for k in range(1, rounds + 1):
        points = _hypercube(box, samples, seed + k)
        runs = run_points(f"calibrate-round-{k}", points, seeds, seed, base, FACT_COLUMNS,
                          out / f"round-{k}", executor_factory, progress)
        values = facts_table(runs)
        d = distance(values)
        means = values.groupby("point")[[f.name for f in FACTS]].mean()
        table = pd.DataFrame(points)
        table.index.name = "point"
        table = table.join(d.rename("distance")).join(means.add_prefix("fact_"))
        table.insert(0, "round", k)
        all_rows.append(table.reset_index())
        keep = max(1, int(round(accept * len(table))))
        accepted = table.nsmallest(keep, "distance")
        spans = {name: (accepted[name].min(), accepted[name].max()) for name in box}
        box = {name: _widen(lo, hi, box[name]) for name, (lo, hi) in spans.items()}
    samples_frame = pd.concat(all_rows, ignore_index=True)
    best_row = accepted.iloc[0]
    best = {name: float(best_row[name]) for name in FREE_PARAMETERS if name in best_row}
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_with(out / "fit_samples.csv", lambda p: samples_frame.to_csv(p, index=False))
    atomic_write_with(out / "posterior.csv",
                      lambda p: accepted.reset_index().to_csv(p, index=False))
    atomic_write_with(out / "best_params.json",
                      lambda p: p.write_text(json.dumps(best, indent=2), encoding="utf-8"))
    result = FitResult(samples_frame, accepted.reset_index(), best,
                       float(best_row["distance"]))
    atomic_write_with(out / "fit_report.txt",
                      lambda p: p.write_text(fit_report(result), encoding="utf-8"))
    return result


def _widen(lo: float, hi: float, prior: tuple[float, float]) -> tuple[float, float]:
    pad = 0.1 * (hi - lo) if hi > lo else 0.05 * max(abs(lo), 1e-9)
    return max(prior[0], lo - pad), min(prior[1], hi + pad)


def fit_report(result: FitResult) -> str:
    """How good the fit is: the best distance, each fact at the best point, posterior ranges."""
    best = result.posterior.iloc[0]
    lines = [f"best distance (RMS of errors in tolerances): {result.best_distance:.3f}",
             f"accepted points: {len(result.posterior)}", "", "facts at the best point:"]
    for f in FACTS:
        sim = best.get(f"fact_{f.name}", float("nan"))
        lines.append(f"  {f.name:32s} target {f.target:>10.4g}  simulated {sim:>10.4g}  "
                     f"({(sim - f.target) / f.tolerance:+.1f} tolerances)")
    lines += ["", "posterior (accepted points): min / best / max"]
    for name in FREE_PARAMETERS:
        if name in result.posterior:
            col = result.posterior[name]
            lines.append(f"  {name:32s} {col.min():>10.4g} {best[name]:>10.4g} "
                         f"{col.max():>10.4g}")
    return "\n".join(lines) + "\n"


def check(out: str | Path, params: Mapping[str, Any] | None = None, seeds: int = 100,
          scale: float | None = None, seed: int = 2023,
          executor_factory: ExecutorFactory | None = None, progress: bool = True
          ) -> pd.DataFrame:
    """Run ``params`` (defaults if None) with ``seeds`` common seeds and compare with the facts;
    writes ``out/calibration.csv`` and returns it."""
    out = Path(out)
    base: dict[str, Any] = {"months": CALIBRATION_MONTHS, **dict(params or {})}
    if scale is not None:
        base["household_scale"] = scale
    check_params(base)  # a clear error before anything runs
    runs = run_points("calibration-check", [{}], seeds, seed, base, FACT_COLUMNS,
                      out / "check-runs", executor_factory, progress)
    table = compare(facts_table(runs))
    out.mkdir(parents=True, exist_ok=True)
    shown = table[["fact", "target", "simulated", "ci_low", "ci_high", "tolerance", "ok",
                   "description", "section", "n"]]
    atomic_write_with(out / "calibration.csv", lambda p: shown.to_csv(p, index=False))
    return table
