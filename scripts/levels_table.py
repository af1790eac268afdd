"""Levels of the baseline and ``full_package`` against published figures: the table of
docs/calibration.md, "Levels: the sector against published figures".

    python scripts/levels_table.py                  # 5 seeds at 0.02, 2 at 0.1 (~1 min)
    python scripts/levels_table.py --seeds 1 2 --scales 0.02

Prints, for each scenario and year, each scale's mean over its seeds: rural CBEC turnover and
tea (billion yuan a year), embroidery and silver (million yuan a year), export transactions a
year, the share of households selling and the entities (province-equivalent) in December, and
the public cost since January 2022 (billion yuan).
"""

from __future__ import annotations

import argparse

import pandas as pd

from model.run import simulate
from model.scenarios import get

ROWS = (("baseline", 2023), ("baseline", 2025), ("baseline", 2030),
        ("full_package", 2025), ("full_package", 2030))


def levels(scenario: str, scale: float, seed: int) -> pd.DataFrame:
    """One run's levels per calendar year (index: year)."""
    params = {**get(scenario), "household_scale": scale, "months": 108}
    o = simulate(params, seed=seed).outcomes
    year = 2022 + (o["month"] - 1) // 12
    sums = o.groupby(year)[["turnover_month_yuan", "turnover_tea_month_yuan",
                            "turnover_embroidery_month_yuan",
                            "export_transactions_month_real"]].sum()
    december = o[o["month"] % 12 == 0].set_index(year[o["month"] % 12 == 0])
    return pd.DataFrame({
        "turnover_bn": sums["turnover_month_yuan"] / 1e9,
        "tea_bn": sums["turnover_tea_month_yuan"] / 1e9,
        "embroidery_m": sums["turnover_embroidery_month_yuan"] / 1e6,
        "transactions": sums["export_transactions_month_real"],
        "households_selling": december["adoption_share"],
        "entities": december["entities_real"],
        "public_cost_bn": december["fiscal_cost_total_yuan"] / 1e9,
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[0.02, 0.1])
    parser.add_argument("--seeds", type=int, nargs="+", default=None,
                        help="seeds at every scale (default: 1-5 at 0.02, 1-2 otherwise)")
    args = parser.parse_args()
    pd.set_option("display.width", 160)
    for scale in args.scales:
        seeds = args.seeds or ([1, 2, 3, 4, 5] if scale == 0.02 else [1, 2])
        rows = []
        for scenario in sorted({s for s, _ in ROWS}):
            mean = sum(levels(scenario, scale, seed) for seed in seeds) / len(seeds)
            for s, y in ROWS:
                if s == scenario:
                    rows.append(mean.loc[y].rename(f"{scenario} {y}"))
        print(f"scale {scale}, seeds {seeds}")
        print(pd.DataFrame(rows).round(4).to_string())


if __name__ == "__main__":
    main()
