"""Fingerprint the model's outputs, to show that a refactoring leaves outcomes identical.

    python scripts/fingerprint.py save FILE      # before the change
    python scripts/fingerprint.py check FILE     # after: exit 1 on the first difference

Runs several scenarios and seeds at the default scale and at a smaller one (plus the per-agent
reference model on a small world), and compares the outcomes, the county panel and the fiscal
table *exactly* (bit for bit, no tolerance). A refactoring that keeps this check green changed
no number the model produces.
"""

from __future__ import annotations

import pickle
import sys
import time
from pathlib import Path

import pandas as pd

#: (scenario, seed, household_scale, months)
CASES = (
    ("baseline", 1, 0.02, 108),
    ("baseline", 2, 0.02, 48),
    ("full_package", 1, 0.02, 108),
    ("pickup_80", 3, 0.02, 36),
    ("threshold_500k", 4, 0.02, 36),
    ("talent_secondment", 5, 0.02, 30),
    ("qiandongnan_embroidery", 6, 0.02, 36),  # levers in some counties only (CountyPricing)
    ("baseline", 7, 0.005, 108),
    ("full_package", 8, 0.005, 108),
)
REFERENCE_CASES = (("baseline", 11, 0.002, 30),)


def run_all() -> dict[str, pd.DataFrame]:
    from model import CBECModel
    from model.reference import ReferenceCBECModel
    from model.scenarios import get

    out: dict[str, pd.DataFrame] = {}
    for cls, cases in ((CBECModel, CASES), (ReferenceCBECModel, REFERENCE_CASES)):
        for scenario, seed, scale, months in cases:
            t0 = time.perf_counter()
            params = {**get(scenario), "household_scale": scale, "months": months}
            model = cls(rng=seed, **params).run()
            key = f"{cls.__name__}/{scenario}/{seed}/{scale}/{months}"
            out[f"{key}/outcomes"] = model.outcomes()
            out[f"{key}/counties"] = model.counties()
            out[f"{key}/fiscal"] = model.fiscal_costs()
            print(f"{key}: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("save", "check"):
        print(__doc__, file=sys.stderr)
        return 2
    action, path = argv[0], Path(argv[1])
    tables = run_all()
    if action == "save":
        path.write_bytes(pickle.dumps(tables))
        print(f"saved {len(tables)} tables to {path}")
        return 0
    before = pickle.loads(path.read_bytes())
    if set(before) != set(tables):
        print(f"different tables: {sorted(set(before) ^ set(tables))}")
        return 1
    for key, table in tables.items():
        try:
            pd.testing.assert_frame_equal(before[key], table, check_exact=True)
        except AssertionError as err:
            print(f"DIFFERENT: {key}\n{err}")
            return 1
    print(f"identical: {len(tables)} tables (outcomes, counties, fiscal) of "
          f"{len(CASES) + len(REFERENCE_CASES)} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
