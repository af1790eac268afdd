"""Small deterministic stand-ins for ``model.run.simulate``, used by the experiment tests.

Each takes (params, seed) like the real function and returns an object whose ``outcomes`` is a
monthly table. The outcome depends smoothly on two parameters (so Sobol indices are finite and
clearly ranked) plus seeded noise (so replications differ and common random numbers matter).
They are importable by worker processes as ``tests.fake_model:<name>``.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.parameters import Parameters

FAIL_ABOVE = 0.6  # simulate_failing raises when pickup_coverage is above this
HANG_ABOVE = 0.6  # simulate_hang runs (almost) forever when pickup_coverage is above this


@dataclass
class FakeResult:
    """Mimics model.run.RunResult (only what the experiment runner reads)."""

    params: Parameters
    seed: int
    outcomes: pd.DataFrame


def simulate(params: Mapping[str, Any] | None = None, seed: int = 0) -> FakeResult:
    """A fast, deterministic run."""
    p = Parameters.from_dict(params or {})
    rng = np.random.default_rng(seed)
    months = np.arange(1, p.months + 1)
    x1 = p.pickup_coverage
    x2 = p.subsidy_min_turnover_yuan / 1e6
    level = 0.05 + 0.3 * x1 + 0.05 * np.sin(3 * x2) + 0.1 * x1 * x2
    ramp = 1 - np.exp(-months / 12)
    noise = rng.normal(0, 0.01, size=len(months))
    adoption = level * ramp + noise
    outcomes = pd.DataFrame({
        "month": months,
        "date": pd.date_range(f"{p.start_year}-01-01", periods=len(months), freq="MS"),
        "adoption_share": adoption,
        "subsidy_coverage": np.clip(0.5 - 0.2 * x2 + rng.normal(0, 0.02, len(months)), 0, 1),
        "logistics_cost_share": 0.4 - 0.2 * x1 + rng.normal(0, 0.01, len(months)),
        "sellers": np.rint(1000 * adoption).astype(int),
    })
    return FakeResult(params=p, seed=seed, outcomes=outcomes)


def simulate_slow(params: Mapping[str, Any] | None = None, seed: int = 0) -> FakeResult:
    """Like :func:`simulate`, taking 0.25 s (for the kill-and-resume test)."""
    time.sleep(0.25)
    return simulate(params, seed)


def simulate_failing(params: Mapping[str, Any] | None = None, seed: int = 0) -> FakeResult:
    """Raises for pickup_coverage above FAIL_ABOVE."""
    p = Parameters.from_dict(params or {})
    if p.pickup_coverage > FAIL_ABOVE:
        raise ValueError(f"fake failure at pickup_coverage={p.pickup_coverage}")
    return simulate(params, seed)


def simulate_hang(params: Mapping[str, Any] | None = None, seed: int = 0) -> FakeResult:
    """Runs for a minute (in short sleeps) for pickup_coverage above HANG_ABOVE."""
    p = Parameters.from_dict(params or {})
    if p.pickup_coverage > HANG_ABOVE:
        for _ in range(6000):
            time.sleep(0.01)
    return simulate(params, seed)


def simulate_crash(params: Mapping[str, Any] | None = None, seed: int = 0) -> FakeResult:
    """Kills its own process (as a segfault or the OOM killer would) for pickup_coverage above
    FAIL_ABOVE."""
    p = Parameters.from_dict(params or {})
    if p.pickup_coverage > FAIL_ABOVE:
        os._exit(70)
    return simulate(params, seed)


def simulate_no_outcomes(params: Mapping[str, Any] | None = None, seed: int = 0) -> str:
    """Returns something that is not a run result."""
    return "not a result"


#: where simulate_crash_once leaves its markers (one per seed and point)
CRASH_ONCE_DIR = Path(tempfile.gettempdir()) / "cbec-crash-once"


def simulate_crash_once(params: Mapping[str, Any] | None = None, seed: int = 0) -> FakeResult:
    """Kills its own process the first time it runs a point with pickup_coverage above
    FAIL_ABOVE and `seed` (it leaves a marker in CRASH_ONCE_DIR), then runs normally."""
    p = Parameters.from_dict(params or {})
    if p.pickup_coverage > FAIL_ABOVE:
        marker = CRASH_ONCE_DIR / f"{seed}-{p.pickup_coverage}"
        if not marker.exists():
            CRASH_ONCE_DIR.mkdir(exist_ok=True)
            marker.touch()
            os._exit(70)
    return simulate(params, seed)


class NotAFunction:
    """A class where a spec wants a run function."""

    def __init__(self, params: Mapping[str, Any] | None = None, seed: int = 0) -> None:
        self.outcomes = simulate(params, seed).outcomes


def takes_one_argument(params: Mapping[str, Any]) -> FakeResult:
    """A function without the ``seed`` keyword."""
    return simulate(params, 0)
