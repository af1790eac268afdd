"""Share outcomes at several household scales: the table of docs/calibration.md, "What depends
on the scale", and the agreement check of issue 13, item 6.

    python scripts/scale_table.py                    # 0.02, 0.1 and 1:1, seeds 1-3 (~5 min)
    python scripts/scale_table.py --scales 0.02 0.1 --seeds 1 2 3 4

Prints, for December 2023, 2025 and 2030, each share's mean and standard deviation over the
seeds at each scale, and flags a pair of scales that differ by more than three standard errors
of the difference or 10% of the value, whichever is wider (``model.scaling.scales_differ``, the
criterion of ``tests/test_economy.py::test_shares_do_not_depend_on_the_household_scale``,
which runs 0.02 against 0.1; a 1:1 run takes about 50 s, too long for the suite).
"""

from __future__ import annotations

import argparse
import itertools

import pandas as pd

from model.run import simulate
from model.scaling import SCALE_FREE_OUTCOMES as SHARES
from model.scaling import scales_differ

MONTHS = (24, 48, 108)  # December 2023, 2025, 2030


def outcomes(scale: float, seeds: list[int]) -> pd.DataFrame:
    """The shares in ``MONTHS`` for each seed (rows indexed by month)."""
    return pd.concat([simulate({"household_scale": scale, "months": max(MONTHS)}, seed=seed)
                      .outcomes.set_index("month").loc[list(MONTHS), list(SHARES)]
                      .assign(seed=seed) for seed in seeds])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[0.02, 0.1, 1.0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    values = {scale: outcomes(scale, args.seeds) for scale in args.scales}
    gaps = []
    for month, name in itertools.product(MONTHS, SHARES):
        cells = [f"{values[s].loc[month, name].mean():.4g} ±{values[s].loc[month, name].std():.2g}"
                 for s in args.scales]
        print(f"{month:4d} {name:28s} " + "  ".join(f"{c:>20s}" for c in cells))
        for s, t in itertools.combinations(args.scales, 2):
            if scales_differ(values[s].loc[month, name], values[t].loc[month, name]):
                gaps.append(f"month {month}, {name}: {s} against {t}")
    print("scales " + ", ".join(map(str, args.scales)) + f"; seeds {args.seeds}")
    print("differ: " + ("; ".join(gaps) if gaps else "none"))


if __name__ == "__main__":
    main()
