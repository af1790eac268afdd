"""Test the paper's policy claims against the baseline, with common random numbers,
replications and parameter uncertainty.

Each claim names a scenario, the outcome the paper speaks about, the paper's value and a
tolerance. Replication ``r`` runs the baseline and every claim's scenario with the same seed
and, when a posterior from ``cbec calibrate`` is given, the same posterior draw ``r`` of the
free parameters: the spread across replications then carries both stochastic and parameter
uncertainty. Each replication gives one estimate; the table reports their mean and 95%
interval (t-based over replications) and a verdict:

* **supported**: the interval overlaps the paper's value plus or minus the tolerance and the
  baseline's interval does not (the proposal, not the baseline, gets there);
* **partly supported**: the scenario moves the outcome in the claimed direction, clearly
  (the interval of the paired difference from the baseline excludes 0), but not as far, or
  the baseline is already within the paper's range without the proposal;
* **not supported**: no clear effect in the claimed direction;
* **not testable**: the outcome never exists in the runs (for example, no industry belt forms).

Nothing here is tuned to make a claim pass: the model's answer is a finding.
"""

from __future__ import annotations

import difflib
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy import stats  # noqa: E402

from experiments.batch import run_points  # noqa: E402
from experiments.runner import ExecutorFactory  # noqa: E402
from experiments.storage import atomic_write_with, read_input_text  # noqa: E402
from model import scenarios  # noqa: E402
from model.parameters import ParameterError, Parameters  # noqa: E402

Measure = Callable[[pd.DataFrame, pd.DataFrame, Parameters], float]


def _after(out: pd.DataFrame, p: Parameters) -> pd.DataFrame:
    """Months from a year after the policy starts to the horizon (the policy's full effect)."""
    return out[out["month"] >= p.policy_start_month + 12]


def _decembers_after(out: pd.DataFrame, p: Parameters) -> pd.DataFrame:
    rows = _after(out, p)
    return rows[rows["month"] % 12 == 0]


def _annual(out: pd.DataFrame, column: str) -> pd.Series:
    rows = out[out["month"] >= 1]
    year = (rows["month"] - 1) // 12
    full = rows.groupby(year)["month"].count() == 12
    return rows.groupby(year)[column].sum()[full]


def coverage_after(scen: pd.DataFrame, base: pd.DataFrame, p: Parameters) -> float:
    return float(_decembers_after(scen, p)["subsidy_eligible_share"].mean())


def belt_logistics_cut(scen: pd.DataFrame, base: pd.DataFrame, p: Parameters) -> float:
    rows = _after(scen, p)
    belt = rows["logistics_per_revenue_belt"].mean()
    outside = rows["logistics_per_revenue_outside"].mean()
    return float(1.0 - belt / outside) if np.isfinite(belt) and outside > 0 else float("nan")


def fx_cost_after(scen: pd.DataFrame, base: pd.DataFrame, p: Parameters) -> float:
    return float(_after(scen, p)["fx_cost_per_settlement_yuan"].mean())


def logistics_share_after(scen: pd.DataFrame, base: pd.DataFrame, p: Parameters) -> float:
    return float(_after(scen, p)["logistics_cost_share"].mean())


def delivery_change(scen: pd.DataFrame, base: pd.DataFrame, p: Parameters) -> float:
    return float(_after(scen, p)["delivery_days"].mean() / _after(base, p)["delivery_days"].mean()
                 - 1.0)


def asean_growth(scen: pd.DataFrame, base: pd.DataFrame, p: Parameters) -> float:
    """Yearly growth of ASEAN exports from the last year before the policy to the last full
    year (compound annual rate)."""
    years = _annual(scen, "exports_asean_month_yuan")
    first = (p.policy_start_month - 1) // 12 - 1
    if first not in years.index or years.index.max() <= first or years[first] <= 0:
        return float("nan")
    last = years.index.max()
    return float((years[last] / years[first]) ** (1.0 / (last - first)) - 1.0)


def professionals_ratio(scen: pd.DataFrame, base: pd.DataFrame, p: Parameters) -> float:
    """Professionals per county two years into the policy over the level when it starts."""
    start = p.policy_start_month - 1
    later = min(start + 24, int(scen["month"].max()))
    col = scen.set_index("month")["professionals_per_county_real"]
    return float(col[later] / col[start])


@dataclass(frozen=True)
class Claim:
    """A claim of the paper, the scenario that tests it, and how to read the answer."""

    name: str
    text: str
    section: str
    scenario: str
    measure: Measure
    paper_value: float
    tolerance: float
    direction: int  # +1: the policy should raise the measure; -1: lower it
    unit: str


CLAIMS: tuple[Claim, ...] = (
    Claim("threshold_coverage", "lowering the threshold to 0.5M lifts coverage from 12% to 60%",
          "§5.1.1", "threshold_500k", coverage_after, 0.60, 0.05, +1, "share of entities"),
    Claim("belt_logistics", "industry belts cut members' logistics cost 15-20%", "§5.1.2",
          "belt_reward", belt_logistics_cut, 0.175, 0.025, +1, "cut vs sellers outside"),
    Claim("fx_cost", "county service centres cut an FX settlement from 800 to under 50 yuan",
          "§5.2.1", "full_service_stations", fx_cost_after, 50.0, 0.0, -1, "yuan"),
    Claim("pickup_logistics_share", "80% pickup coverage cuts the logistics share from 23% to "
          "15%", "§5.2.2", "pickup_80", logistics_share_after, 0.15, 0.02, -1, "share"),
    Claim("delivery_time", "overseas warehouses plus flights cut delivery time 40%", "§5.2.2",
          "warehouses_flights", delivery_change, -0.40, 0.05, -1, "relative change"),
    Claim("asean_exports", "RCEP measures grow ASEAN exports 25% a year", "§5.1.3",
          "rcep_origin", asean_growth, 0.25, 0.05, +1, "yearly growth"),
    Claim("talent_doubles", "the talent plan doubles CBEC professionals per county", "§5.1.2",
          "talent_plan", professionals_ratio, 2.0, 0.2, +1, "ratio after 2 years"),
)

KEEP = ("subsidy_eligible_share", "subsidy_coverage", "logistics_per_revenue_belt",
        "logistics_per_revenue_outside", "fx_cost_per_settlement_yuan", "logistics_cost_share",
        "delivery_days", "exports_asean_month_yuan", "professionals_per_county_real",
        "sellers_real", "adoption_share")


def _interval(values: np.ndarray) -> tuple[float, float, float]:
    v = values[np.isfinite(values)]
    if len(v) == 0:
        return float("nan"), float("nan"), float("nan")
    mean = float(v.mean())
    if len(v) < 2:
        return mean, float("nan"), float("nan")
    half = float(stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v)))
    return mean, mean - half, mean + half


def verdict(claim: Claim, estimates: np.ndarray, differences: np.ndarray) -> str:
    """The verdict rule of the module docstring."""
    if not np.isfinite(_interval(estimates)[0]):
        return "not testable"
    target_lo = claim.paper_value - claim.tolerance
    target_hi = claim.paper_value + claim.tolerance
    if claim.tolerance == 0:  # an upper or lower bound ("under 50 yuan")
        target_lo, target_hi = (-np.inf, claim.paper_value) if claim.direction < 0 else (
            claim.paper_value, np.inf)

    def within(values: np.ndarray) -> bool:
        m, low, high = _interval(values)
        lo, hi = (low, high) if np.isfinite(low) else (m, m)
        return bool(hi >= target_lo and lo <= target_hi)

    if within(estimates) and not within(estimates - differences):
        return "supported"
    d_mean, d_low, d_high = _interval(differences)
    if np.isfinite(d_low) and ((claim.direction > 0 and d_low > 0)
                               or (claim.direction < 0 and d_high < 0)):
        return "partly supported"
    return "not supported"


def scenario_names(claims: tuple[Claim, ...] | None = None) -> list[str]:
    """The scenarios a claims run needs: the baseline and each claim's, once each."""
    return list(dict.fromkeys(["baseline"] + [c.scenario for c in (claims or CLAIMS)]))


def min_months(params: Parameters | None = None) -> int:
    """The shortest horizon every claim can be read from: the first December at least a year
    after the policy starts (the claims read the policy's full effect from then; with the
    defaults, month 48, December 2025)."""
    start = (params or Parameters()).policy_start_month
    return -(-(start + 12) // 12) * 12


def check_months(months: int, what: str = "months") -> int:
    """ParameterError unless `months` reaches :func:`min_months`."""
    needed = min_months()
    if months < needed:
        raise ParameterError(f"{what} {months} is too short for the claims: they read each "
                             f"policy's effect from a year after it starts (month "
                             f"{Parameters().policy_start_month + 12}) to the first December "
                             f"after that (month {needed}); allowed: {needed} or more")
    return months


POSTERIOR_EXTRA = ("point", "round", "distance")  # posterior.csv columns besides parameters


def read_posterior(path: str | Path, what: str = "posterior") -> pd.DataFrame:
    """The fitted-parameter columns of a ``posterior.csv`` from ``cbec calibrate``, checked:
    a readable CSV with at least one row and one column named after a free parameter
    (:data:`experiments.calibrate.FREE_PARAMETERS`), every value a number the parameter
    allows. ParameterError (a ValueError) naming the file and the problem otherwise."""
    from experiments.calibrate import FREE_PARAMETERS

    shape = ("a posterior.csv from `cbec calibrate`: a header with fitted parameters (e.g. "
             f"{', '.join(list(FREE_PARAMETERS)[:3])}) and one row per accepted point")
    text = read_input_text(path, what, shape, ParameterError)
    try:
        frame = pd.read_csv(io.StringIO(text))
    except pd.errors.EmptyDataError:
        raise ParameterError(f"{what} {path} is empty; expected {shape}") from None
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ParameterError(f"{what} {path} cannot be read as CSV ({first}); expected "
                             f"{shape}") from None
    names = [c for c in frame.columns if c in FREE_PARAMETERS]
    if not names:
        shown = ", ".join(map(str, frame.columns[:5])) or "none"
        raise ParameterError(f"{what} {path} has no fitted-parameter columns (its columns: "
                             f"{shown}); expected {shape}")
    other = [str(c) for c in frame.columns if c not in FREE_PARAMETERS
             and c not in POSTERIOR_EXTRA and not str(c).startswith("fact_")]
    if other:
        close = difflib.get_close_matches(other[0], list(FREE_PARAMETERS), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ParameterError(f"{what} {path}: column '{other[0]}' is not a fitted parameter"
                             f"{hint}; allowed: the fitted parameters "
                             f"({', '.join(FREE_PARAMETERS)}), and {', '.join(POSTERIOR_EXTRA)} "
                             "and fact_* as `cbec calibrate` writes them")
    if frame.empty:
        raise ParameterError(f"{what} {path} has a header but no rows; expected {shape}")
    frame = frame[names]
    for name in names:
        values = pd.to_numeric(frame[name], errors="coerce")
        bad = frame[name][values.isna() | ~np.isfinite(values.fillna(0.0))]
        if len(bad):
            raise ParameterError(f"{what} {path}: {name} = {bad.iloc[0]!r} (row "
                                 f"{int(bad.index[0]) + 1}) is not allowed; allowed: a number")
        frame[name] = values.astype(float)
    for i, row in enumerate(frame.itertuples(index=False)):
        try:
            Parameters.from_dict(dict(zip(names, row, strict=True)))
        except ParameterError as exc:
            raise ParameterError(f"{what} {path}, row {i + 1}: {exc}") from None
    return frame


def posterior_draws(path: str | Path | None, n: int, seed: int) -> list[dict[str, float]]:
    """``n`` draws of the free parameters from a ``posterior.csv`` (empty dicts if None);
    the file is checked first (:func:`read_posterior`)."""
    if path is None:
        return [{} for _ in range(n)]
    frame = read_posterior(path)
    rows = np.random.default_rng(seed).integers(0, len(frame), n)
    return [{k: float(frame.iloc[r][k]) for k in frame.columns} for r in rows]


def run_claims(out: str | Path, replications: int = 10, scale: float | None = None,
               months: int = 108, seed: int = 2030, posterior: str | Path | None = None,
               claims: tuple[Claim, ...] = CLAIMS, executor_factory: ExecutorFactory | None = None,
               progress: bool = True) -> pd.DataFrame:
    """Run the baseline and each claim's scenario ``replications`` times and write
    ``out/claims.csv`` (claim, paper_value, estimate, ci_low, ci_high, verdict, ...) and
    ``out/claims.png``."""
    out = Path(out)
    base: dict[str, Any] = {"months": months}
    if scale is not None:
        base["household_scale"] = scale
    names = scenario_names(claims)
    points = [{**scenarios.get(name), **base} for name in names]
    for point in points:
        Parameters.from_dict(point)  # clear errors first
    check_months(months)
    if replications < 1:
        raise ParameterError(f"replications = {replications} is not allowed; allowed: 1 or "
                             "more")
    index = {name: i for i, name in enumerate(names)}
    draws = posterior_draws(posterior, replications, seed)
    frames = []
    for r, draw in enumerate(draws):
        runs = run_points(f"claims-rep-{r}", [{**pt, **draw} for pt in points], 1, seed + r,
                          {}, KEEP, out / "runs" / f"rep-{r}", executor_factory, progress)
        runs["replication"] = r
        frames.append(runs)
    runs = pd.concat(frames, ignore_index=True)
    rows = []
    for claim in claims:
        p = Parameters.from_dict(points[index[claim.scenario]])
        est, diff = [], []
        for r in range(len(draws)):
            rep = runs[runs["replication"] == r]
            scen = rep[rep["point"] == index[claim.scenario]]
            basel = rep[rep["point"] == index["baseline"]]
            e = claim.measure(scen, basel, p)
            b = claim.measure(basel, basel, p)
            est.append(e)
            diff.append(e - b)
        est_a, diff_a = np.array(est, float), np.array(diff, float)
        mean, low, high = _interval(est_a)
        d_mean, d_low, d_high = _interval(diff_a)
        rows.append({"claim": claim.name, "text": claim.text, "section": claim.section,
                     "scenario": claim.scenario, "unit": claim.unit,
                     "paper_value": claim.paper_value, "tolerance": claim.tolerance,
                     "estimate": mean, "ci_low": low, "ci_high": high,
                     "baseline_value": mean - d_mean if np.isfinite(d_mean) else float("nan"),
                     "effect": d_mean, "effect_ci_low": d_low, "effect_ci_high": d_high,
                     "replications": int(np.isfinite(est_a).sum()),
                     "verdict": verdict(claim, est_a, diff_a)})
    table = pd.DataFrame(rows)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_with(out / "claims.csv", lambda p: table.to_csv(p, index=False))
    atomic_write_with(out / "claims.png", lambda p: plot_claims(table, p))
    return table


def plot_claims(table: pd.DataFrame, path: Path) -> None:
    """One panel per claim: the model's estimate with its interval against the paper."""
    n = len(table)
    fig, axes = plt.subplots(1, n, figsize=(2.3 * n, 3.6))
    axes = np.atleast_1d(axes)
    colours = {"supported": "tab:green", "partly supported": "tab:orange",
               "not supported": "tab:red", "not testable": "tab:grey"}
    for ax, row in zip(axes, table.itertuples(), strict=True):
        colour = colours[row.verdict]
        if np.isfinite(row.estimate):
            err = [[row.estimate - row.ci_low], [row.ci_high - row.estimate]] if np.isfinite(
                row.ci_low) else None
            ax.errorbar([0], [row.estimate], yerr=err, fmt="o", color=colour, capsize=4,
                        label="model")
        if np.isfinite(row.baseline_value):
            ax.plot([0], [row.baseline_value], "s", color="black", alpha=0.5, label="baseline")
        ax.axhline(row.paper_value, color="tab:blue", ls="--", label="paper")
        if row.tolerance > 0:
            ax.axhspan(row.paper_value - row.tolerance, row.paper_value + row.tolerance,
                       color="tab:blue", alpha=0.1)
        ax.set_xticks([])
        ax.set_title(f"{row.claim.replace('_', ' ')}\n{row.verdict}", fontsize=8, color=colour)
        ax.set_ylabel(row.unit, fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0].legend(fontsize=7, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
