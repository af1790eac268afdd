"""Run named scenarios and write their tables, plots and a summary (``cbec run``).

For each scenario NAME, ``OUT/NAME/`` gets ``outcomes.parquet`` (one row per month),
``counties.parquet`` (county panel), ``fiscal.parquet`` (cost by month and instrument),
``fiscal_2022_2025.csv`` (cost per instrument over the special fund's period and its share of
the 200-million fund),
``params.json`` and three plots: adoption by product line over time, a map of adoption share by
county at the end, and the core-periphery gap. ``OUT/summary.csv`` compares the scenarios,
including the public cost per additional seller over the baseline when it is run too. A
scenario's folder is written in a temporary folder and renamed when complete, so an interrupted
run never leaves a half-written result.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from experiments.storage import atomic_write_with, name_path  # noqa: E402
from model import budgets, plots, reality, scenarios  # noqa: E402
from model.parameters import Parameters, jsonable  # noqa: E402
from model.run import RunResult, simulate  # noqa: E402
from model.targeting import describe as describe_levers  # noqa: E402

FUND_END_MONTH = 48  # December 2025: the end of the special fund's period (§3.2)
FUND_YEARS = 4  # 2022-2025: the special fund of §3.2 is 200 M yuan over these years
SELLERS_2025 = "sellers (province) [2025-12]"
COST_2025 = "fiscal cost 2022-2025 (yuan)"
PER_SELLER = "fiscal cost 2022-2025 per additional seller [2025-12] over the baseline (yuan)"
FUND_MULTIPLE = "fiscal cost 2022-2025 / the 200M-yuan fund (times)"

SUMMARY_COLUMNS = {
    "sellers_real": "sellers (province)",
    "adoption_share": "adoption (share of rural households)",
    "subsidy_eligible_share": "entities qualifying for a subsidy (share of entities)",
    "subsidy_coverage": "entities paid a subsidy (share of entities)",
    "share_entities_below_1m": "entities under 1M yuan a year (share of entities)",
    "logistics_cost_share": "logistics (share of export cost)",
    "fx_travel_share": "entities that travel to Guiyang to settle FX (share)",
    "unsold_share": "sellers with unsold goods (share of sellers)",
    "share_sellers_in_clusters": "sellers in clusters (share of sellers)",
    "delivery_days": "delivery time (days)",
    "collection_rate": "volume collected through county hubs (share)",
    "core_periphery_gap": "core-periphery gap (core minus periphery adoption share)",
    "cbec_income_per_household_yuan": "CBEC income per rural household, sellers or not (yuan/yr)",
    "turnover_month_yuan": "CBEC turnover (yuan/month)",
    "firms_active": "firms selling",
    "entities_real": "CBEC entities (firms, registered returnee businesses, co-ops)",
    "fiscal_cost_total_yuan": "fiscal cost to date (yuan)",
}


def resolve(name: str, overrides: Mapping[str, Any] | None = None) -> Parameters:
    """Parameters of a named scenario with user overrides on top (validated)."""
    return Parameters.from_dict({**scenarios.get(name), **dict(overrides or {})})


def summary_row(name: str, result: RunResult) -> dict[str, Any]:
    """Key outcomes at the end of 2023 (the paper's baseline year) and at the horizon."""
    out = result.outcomes
    row: dict[str, Any] = {"scenario": name, "seed": result.seed,
                           "levers in force": describe_levers(result.params)}
    end_2023 = out[out["month"] == min(24, int(out["month"].max()))].iloc[0]
    last = out.iloc[-1]
    for col, label in SUMMARY_COLUMNS.items():
        row[f"{label} [{end_2023['date']:%Y-%m}]"] = end_2023[col]
        row[f"{label} [{last['date']:%Y-%m}]"] = last[col]
    end_2025 = out.loc[out["month"] == FUND_END_MONTH, "sellers_real"]
    row[SELLERS_2025] = float(end_2025.iloc[0]) if len(end_2025) else float("nan")
    fund = FUND_YEARS * result.params.special_fund_yuan_per_year
    spent = result.fiscal_by_instrument((2022, 2025)).sum()
    row[COST_2025] = spent
    row[FUND_MULTIPLE] = spent / fund if fund else float("nan")
    # the budgets the scenario ran with, and the year's levels against published figures
    for line, (field_name, _, _) in budgets.BUDGET_LINES.items():
        row[f"budget: {line.replace('_', ' ')} (yuan/yr)"] = getattr(result.params, field_name)
    check = result.reality_check()
    for item in check[check["check"].str.contains("/")].itertuples():
        row[f"reality {item.year}: {item.check} (ratio)"] = item.ratio
    return row


#: assumption: one seed cannot price fewer additional sellers than this share of the baseline's
#: (a scenario shares the baseline's random draws, but its own entries and exits move the count
#: by about this much; threshold_500k's 0.2% is 2 agents at the default scale)
MIN_EXTRA_SELLERS_SHARE = 0.01


def add_cost_per_seller(summary: pd.DataFrame) -> pd.DataFrame:
    """Public cost 2022-2025 per additional seller (end of 2025) over the baseline, for each
    scenario, when the baseline is among the scenarios; blank (NaN) when the scenario has fewer
    than :data:`MIN_EXTRA_SELLERS_SHARE` more sellers than the baseline."""
    if "baseline" not in set(summary["scenario"]):
        return summary
    base = summary.set_index("scenario").loc["baseline"]
    extra_sellers = summary[SELLERS_2025] - base[SELLERS_2025]
    extra_cost = summary[COST_2025] - base[COST_2025]
    enough = extra_sellers >= MIN_EXTRA_SELLERS_SHARE * base[SELLERS_2025]
    summary[PER_SELLER] = np.where(enough & (extra_sellers > 0),
                                   extra_cost / extra_sellers.where(extra_sellers > 0), np.nan)
    return summary


def _save(ax: plt.Axes, path: Path, title: str) -> Path:
    ax.set_title(title)
    fig = ax.figure
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_adoption_by_product(result: RunResult, path: Path, title: str) -> Path:
    """Write :func:`model.plots.adoption_by_product` to ``path``."""
    ax = plots.adoption_by_product(result, ax=plt.subplots(figsize=(7, 4))[1])
    return _save(ax, path, f"Adoption by product line — {title}")


def plot_adoption_map(result: RunResult, path: Path, title: str) -> Path:
    """Write :func:`model.plots.adoption_map` (the last month) to ``path``; draw it on your
    own Axes with ``model.plots.adoption_map(result, ax=ax)``."""
    ax = plots.adoption_map(result, ax=plt.subplots(figsize=(7, 6))[1])
    end = result.outcomes["date"].iloc[-1]
    return _save(ax, path, f"Adoption by county, {end:%B %Y} — {title}")


def plot_core_periphery(result: RunResult, path: Path, title: str) -> Path:
    """Write :func:`model.plots.core_periphery` to ``path``."""
    ax = plots.core_periphery(result, ax=plt.subplots(figsize=(7, 4))[1])
    return _save(ax, path, f"Core and periphery — {title}")


COMPARISON_PANELS = (
    ("adoption_share", "households selling cross-border", 100, "%"),
    ("subsidy_eligible_share", "entities qualifying for a turnover subsidy", 100, "%"),
    ("logistics_cost_share", "logistics / total export cost", 100, "%"),
    ("delivery_days", "delivery time", 1, "days"),
)


def plot_comparison(curves: Mapping[str, pd.DataFrame], path: Path) -> None:
    """Key outcomes over time, one line per scenario."""
    fig, axes = plt.subplots(2, 2, figsize=(11, 7), sharex=True)
    for ax, (column, label, factor, unit) in zip(axes.flat, COMPARISON_PANELS, strict=True):
        for name, out in curves.items():
            rows = out[out["month"] >= 1]
            ax.plot(rows["date"], factor * rows[column], label=name.replace("_", " "))
        ax.set_title(label)
        ax.set_ylabel(unit)
        ax.grid(alpha=0.3)
    axes.flat[0].legend(frameon=False, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_result(name: str, result: RunResult, out: Path) -> Path:
    """Write one scenario's tables and plots atomically to ``out/name``."""
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=out))
    try:
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes it private (0700); results are not
        result.outcomes.to_parquet(tmp / "outcomes.parquet", index=False)
        counties = result.counties.copy()
        counties["distance_band"] = counties["distance_band"].astype(str)
        counties.to_parquet(tmp / "counties.parquet", index=False)
        result.fiscal.to_parquet(tmp / "fiscal.parquet", index=False)
        by_instrument = result.fiscal_by_instrument((2022, 2025)).rename("cost_yuan").to_frame()
        fund = FUND_YEARS * result.params.special_fund_yuan_per_year
        by_instrument.loc["total"] = by_instrument["cost_yuan"].sum()
        by_instrument["multiple_of_fund"] = by_instrument["cost_yuan"] / fund
        by_instrument.to_csv(tmp / "fiscal_2022_2025.csv")
        result.budgets.to_csv(tmp / "budgets.csv", index=False)
        check = result.reality_check()
        check.to_csv(tmp / "reality_check.csv", index=False)
        (tmp / "reality_check.txt").write_text(
            f"Reality check of {name} (seed {result.seed})\n"
            + reality.format_reality_check(check) + "\n", encoding="utf-8")
        (tmp / "params.json").write_text(json.dumps(
            {"scenario": name, "seed": result.seed,
             "levers_in_force": describe_levers(result.params),
             "params": jsonable(result.params.to_dict())},
            indent=2), encoding="utf-8")
        title = name.replace("_", " ")
        plot_adoption_by_product(result, tmp / "adoption_by_product.png", title)
        plot_adoption_map(result, tmp / "adoption_map.png", title)
        plot_core_periphery(result, tmp / "core_periphery.png", title)
        final = out / name
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
        return final
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        name_path(exc, out / name)  # an error naming no file (a full disk) says which folder
        raise


def run_scenarios(names: Sequence[str], out: Path, seed: int = 0,
                  overrides: Mapping[str, Any] | None = None, quiet: bool = False
                  ) -> pd.DataFrame:
    """Run each named scenario once with ``seed`` and write its results under ``out``.

    All names and overrides are validated before anything runs. Returns the summary table
    (also written to ``out/summary.csv`` and printed unless ``quiet``).
    """
    out = Path(out)
    resolved = {name: resolve(name, overrides) for name in names}  # validate first
    rows = []
    curves: dict[str, pd.DataFrame] = {}
    for name, params in resolved.items():
        if not quiet:
            print(f"running {name} ({params.months} months, household_scale "
                  f"{params.household_scale:g}, seed {seed}) ...", file=sys.stderr, flush=True)
        result = simulate(params, seed=seed)
        folder = write_result(name, result, out)
        rows.append(summary_row(name, result))
        curves[name] = result.outcomes
        if not quiet:
            print(f"  wrote {folder} in {result.wall_seconds:.1f} s", file=sys.stderr)
    summary = add_cost_per_seller(pd.DataFrame(rows))
    atomic_write_with(out / "summary.csv", lambda path: summary.to_csv(path, index=False))
    if len(curves) > 1:
        atomic_write_with(out / "comparison.png", lambda path: plot_comparison(curves, path))
    if not quiet:
        print(format_summary(summary))
        for name in resolved:
            check = pd.read_csv(out / name / "reality_check.csv")
            print(f"\nreality check, {name}:\n{reality.format_reality_check(check)}")
    return summary


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def format_summary(summary: pd.DataFrame) -> str:
    """The summary as a readable text table: one column per scenario."""
    table = summary.set_index("scenario").drop(columns=["seed"]).T

    def fmt(x: Any) -> str:
        if isinstance(x, (float, np.floating)):
            if np.isnan(x):
                return "-"
            if np.isinf(x):
                return "unlimited"
            if abs(x) >= 100:  # yuan, counts: whole numbers
                return f"{x:,.0f}"
            if abs(x) >= 1:
                return f"{x:.2f}"
            return f"{x:.3g}"  # shares and gaps: three significant digits
        return str(x)

    return table.map(fmt).to_string()
