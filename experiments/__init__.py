"""Experiments with the Guizhou CBEC model: named scenario runs, parameter sweeps, analysis.

The public API is imported lazily (``import experiments`` stays cheap for worker processes)::

    from experiments import load_spec, run_sweep, analyze
    spec = load_spec("experiments/examples/grid_pickup_threshold.toml")
    run_sweep(spec, "out/grid")          # local process pool; resumable
    table = analyze("out/grid")          # tidy per-point means with 95% CIs

See docs/experiments.md.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Spec": "experiments.spec",
    "SpecError": "experiments.spec",
    "load_spec": "experiments.spec",
    "parse_spec": "experiments.spec",
    "Design": "experiments.design",
    "Plan": "experiments.design",
    "build_design": "experiments.design",
    "plan_sweep": "experiments.design",
    "replication_seeds": "experiments.design",
    "run_id": "experiments.design",
    "StorageError": "experiments.storage",
    "SweepStore": "experiments.storage",
    "model_version": "experiments.storage",
    "run_sweep": "experiments.runner",
    "SweepReport": "experiments.runner",
    "ProcessPool": "experiments.runner",
    "InProcess": "experiments.runner",
    "DaskCluster": "experiments.runner",
    "DaskLocal": "experiments.runner",
    "analyze": "experiments.analysis",
    "analyze_sweep": "experiments.analysis",
    "SweepAnalysis": "experiments.analysis",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'experiments' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
