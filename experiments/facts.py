"""The brief's baseline facts (end of 2023 unless stated), each with a target, a tolerance
and the rule that reads it from a run's monthly outcomes.

Tolerances: 3 percentage points for shares from the paper's surveys; 5 points where the paper
says "about"; the paper's own sampling error where it gives the sample (the tea/chili share of
180 firms: 1.96 * sqrt(0.42 * 0.58 / 180) = 7 points); 20% for counts and growth rates; 10% for
the haul. Counts are province-equivalent (``*_real`` outcomes are already divided by
``household_scale``). Flow shares (logistics, FX, collection, platform) are 2023 averages;
stocks are read at December 2023 (month 24).

Level facts (issue 13; ``../shared/data/external_anchors.md``, copied with sources into
``docs/calibration.md``): about 34,000 export transactions in 2023 (§4.2: over 23,000 through
the platform, 68% of the total), 20% as for every count; embroidery and silver "tens of
millions of yuan" a year (§3.2): 10-90 million; tea CBEC below Guizhou's tea exports through
every channel (about 1.6 billion yuan in 2020): 0.1-0.9 billion; all rural CBEC 1-4 billion
yuan, enough for the entity figures (the 12% of a few thousand entities over 2 million yuan
alone turn over about a billion) and a few percent of Guizhou's 48.7 billion yuan of goods
exports (2021), far below Guangxi's whole CBEC (45 billion in 2025).

The subsidy fact is the share of entities that *meet* the turnover reward's conditions, not
the share that collect it: §4.1 says the conditions (turnover over 2M yuan, registered a year)
"lead to only 12% of rural entities being able to enjoy subsidies" (导致仅 12% 的乡村主体能享受
补贴). The share that complete an application (``subsidy_coverage``, lower by the take-up) is
reported next to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

YEAR_2022 = range(1, 13)
YEAR_2023 = range(13, 25)
DECEMBER_2022, DECEMBER_2023 = 12, 24
#: a fact further off than this many tolerances counts as this far off in :func:`distance`
DISTANCE_CLIP = 10.0


def _at(out: pd.DataFrame, column: str, month: int) -> float:
    rows = out.loc[out["month"] == month, column]
    return float(rows.iloc[0]) if len(rows) else float("nan")


def _mean(out: pd.DataFrame, column: str, months: range) -> float:
    return float(out.loc[out["month"].isin(months), column].mean())


def _growth(out: pd.DataFrame, column: str, start: int, end: int) -> float:
    before = _at(out, column, start)
    return _at(out, column, end) / before - 1.0 if before > 0 else float("nan")


def _sum(out: pd.DataFrame, column: str, months: range) -> float:
    return float(out.loc[out["month"].isin(months), column].sum())


@dataclass(frozen=True)
class Fact:
    """A baseline fact: ``value(out)`` reads it from one run's monthly outcomes."""

    name: str
    description: str
    section: str
    target: float
    tolerance: float
    value: Callable[[pd.DataFrame], float]
    columns: tuple[str, ...]


FACTS: tuple[Fact, ...] = (
    Fact("subsidy_eligible", "rural CBEC entities that qualify for a subsidy", "§4.1", 0.12,
         0.03, lambda o: _at(o, "subsidy_eligible_share", DECEMBER_2023),
         ("subsidy_eligible_share",)),
    Fact("entities_below_1m", "entities with annual turnover below 1M yuan", "§4.1", 0.80, 0.03,
         lambda o: _at(o, "share_entities_below_1m", DECEMBER_2023),
         ("share_entities_below_1m",)),
    Fact("logistics_cost_share", "logistics share of total export cost", "§4.2", 0.23, 0.03,
         lambda o: _mean(o, "logistics_cost_share", YEAR_2023), ("logistics_cost_share",)),
    Fact("logistics_cost_share_coastal", "the same on the eastern coast", "§4.2", 0.12, 0.03,
         lambda o: _mean(o, "logistics_cost_share_coastal", YEAR_2023),
         ("logistics_cost_share_coastal",)),
    Fact("fx_travel_share", "sellers who must travel to Guiyang to settle FX", "§4.2", 0.78,
         0.03, lambda o: _mean(o, "fx_travel_share", YEAR_2023), ("fx_travel_share",)),
    Fact("unsold_share", "sellers with unsold goods for lack of market information", "§4.2",
         0.37, 0.03, lambda o: _at(o, "unsold_share", DECEMBER_2023), ("unsold_share",)),
    Fact("outside_clusters", "county firms outside any cluster", "§3.3.3", 0.80, 0.05,
         lambda o: 1.0 - _at(o, "share_firms_in_clusters", DECEMBER_2023),
         ("share_firms_in_clusters",)),
    Fact("practitioner_growth_2023", "growth of rural CBEC practitioners in 2023", "§4.1", 0.28,
         0.056, lambda o: _growth(o, "practitioners_real", DECEMBER_2022, DECEMBER_2023),
         ("practitioners_real",)),
    Fact("new_firms_2022_2023", "new rural CBEC firms 2022-2023", "§4.1", 180.0, 36.0,
         lambda o: _at(o, "firms_new_total_real", DECEMBER_2023), ("firms_new_total_real",)),
    Fact("new_firms_tea_chili_share", "share of those firms in tea or chili", "§4.1", 0.42, 0.07,
         lambda o: _at(o, "firms_new_tea_chili_share", DECEMBER_2023),
         ("firms_new_tea_chili_share",)),
    Fact("returnee_entrepreneurs_2022", "returnee e-commerce entrepreneurs in 2022", "§2.3",
         50_000.0, 10_000.0, lambda o: _sum(o, "returnee_entrepreneurs_month_real", YEAR_2022),
         ("returnee_entrepreneurs_month_real",)),
    Fact("returnee_cbec_share", "share of those entrepreneurs in CBEC", "§2.3", 0.30, 0.03,
         lambda o: _at(o, "returnee_entrepreneur_cbec_share", DECEMBER_2022),
         ("returnee_entrepreneur_cbec_share",)),
    Fact("collection_rate", "county collection rate", "§4.2", 0.32, 0.03,
         lambda o: _mean(o, "collection_rate", YEAR_2023), ("collection_rate",)),
    Fact("haul_km", "average haul from village to county town (km)", "§4.2", 28.0, 2.8,
         lambda o: _at(o, "haul_km_households", 1), ("haul_km_households",)),
    Fact("platform_order_share", "orders through the provincial platform", "§4.2", 0.68, 0.03,
         lambda o: _mean(o, "platform_order_share", YEAR_2023), ("platform_order_share",)),
    # --- levels (issue 13): the paper's one count of the business, and published bounds
    Fact("export_transactions_2023", "rural CBEC export transactions in 2023", "§4.2",
         34_000.0, 6_800.0, lambda o: _sum(o, "export_transactions_month_real", YEAR_2023),
         ("export_transactions_month_real",)),
    Fact("embroidery_turnover_2023", "Miao embroidery and silver CBEC sales, yuan (2023)",
         "§3.2", 5.0e7, 4.0e7,
         lambda o: _sum(o, "turnover_embroidery_month_yuan", YEAR_2023),
         ("turnover_embroidery_month_yuan",)),
    Fact("tea_turnover_2023", "tea CBEC sales, yuan (2023)", "external", 5.0e8, 4.0e8,
         lambda o: _sum(o, "turnover_tea_month_yuan", YEAR_2023),
         ("turnover_tea_month_yuan",)),
    Fact("cbec_turnover_2023", "rural CBEC turnover, yuan (2023)", "external", 2.5e9, 1.5e9,
         lambda o: _sum(o, "turnover_month_yuan", YEAR_2023), ("turnover_month_yuan",)),
)

FACT_COLUMNS: tuple[str, ...] = tuple(sorted({c for f in FACTS for c in f.columns}))


def run_facts(out: pd.DataFrame) -> dict[str, float]:
    """Every fact's value in one run (monthly outcomes with a ``month`` column)."""
    return {f.name: f.value(out) for f in FACTS}


def facts_table(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per run (``point``, ``replication``) and one column per fact."""
    rows = []
    for (point, rep), out in runs.groupby(["point", "replication"], sort=True):
        rows.append({"point": point, "replication": rep, **run_facts(out)})
    return pd.DataFrame(rows)


def compare(values: pd.DataFrame) -> pd.DataFrame:
    """Mean over replications against each target: fact, target, simulated, ci_low, ci_high,
    tolerance, ok (the mean is within the tolerance of the target)."""
    rows = []
    for f in FACTS:
        v = values[f.name].to_numpy(dtype=float)
        v = v[np.isfinite(v)]
        n = len(v)
        mean = float(v.mean()) if n else float("nan")
        half = 1.96 * float(v.std(ddof=1)) / np.sqrt(n) if n > 1 else float("nan")
        rows.append({"fact": f.name, "description": f.description, "section": f.section,
                     "target": f.target, "simulated": mean, "ci_low": mean - half,
                     "ci_high": mean + half, "tolerance": f.tolerance, "n": n,
                     "ok": bool(n and abs(mean - f.target) <= f.tolerance)})
    return pd.DataFrame(rows)


def distance(values: pd.DataFrame) -> pd.Series:
    """Root-mean-square of (simulated mean - target) / tolerance per point: 1 means every fact
    is, on average, one tolerance off. A fact further off than :data:`DISTANCE_CLIP` tolerances,
    or missing, counts as that far off (the first five fits clipped at 5, which hid how far a
    count such as the new firms was off)."""
    means = values.groupby("point")[[f.name for f in FACTS]].mean()
    z = pd.DataFrame({f.name: (means[f.name] - f.target) / f.tolerance for f in FACTS})
    z = z.fillna(DISTANCE_CLIP).clip(-DISTANCE_CLIP, DISTANCE_CLIP)
    return np.sqrt((z**2).mean(axis=1))
