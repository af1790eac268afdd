"""Run a list of parameter points with replications through the sweep runner, and read the
results back as one DataFrame. Calibration and the claims use this, so they get the sweep
runner's common random numbers, parallel workers, streamed results and resume for free.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.runner import ExecutorFactory, run_sweep
from experiments.spec import Spec, spec_from_dict
from experiments.storage import SweepStore
from model.parameters import Parameters


class RunsIncomplete(RuntimeError):
    """Some runs of a batch failed or could not be run: the results would be partial."""


def list_spec(name: str, points: Sequence[Mapping[str, Any]], replications: int, seed: int,
              base: Mapping[str, Any], keep: Sequence[str]) -> Spec:
    """A ``list`` design over ``points`` (parameter overrides, possibly with different keys:
    a key missing from a point takes the value in ``base`` or the default)."""
    if not points:
        raise ValueError("no points to run")
    defaults = Parameters.from_dict(dict(base))
    varied = sorted({k for point in points for k in point})
    parameters = {}
    for key in varied:
        values = [point.get(key, getattr(defaults, key)) for point in points]
        parameters[key] = {"values": values}
    if not parameters:  # one point with no overrides: vary a parameter at its own value
        parameters = {"months": {"values": [defaults.months]}}
    data = {"name": name, "replications": replications, "seed": seed,
            "base": {k: v for k, v in base.items() if k not in parameters},
            "design": {"kind": "list"}, "parameters": parameters,
            "outputs": {"keep": list(keep)}}
    return spec_from_dict(data)


def run_points(name: str, points: Sequence[Mapping[str, Any]], replications: int, seed: int,
               base: Mapping[str, Any], keep: Sequence[str], out: str | Path,
               executor_factory: ExecutorFactory | None = None, progress: bool = True
               ) -> pd.DataFrame:
    """Run every point ``replications`` times (replication r has the same seed at every point)
    into ``out`` (resumable) and return all monthly rows with ``point`` and ``replication``."""
    spec = list_spec(name, points, replications, seed, base, keep)
    report = run_sweep(spec, out, executor_factory, progress=progress, quiet=not progress)
    if report.aborted:
        raise RunsIncomplete(f"the runs of '{name}' stopped: {report.aborted}")
    if report.failed or report.skipped_failed or not report.complete:
        raise RunsIncomplete(f"'{name}' is {report.state} (see {out}/runs/*.error.json); "
                             "fix the cause and rerun into the same output folder to finish it")
    store = SweepStore(out)
    frames = [store.read_result(run_id) for run_id in sorted(store.finished_ids())]
    frame = pd.concat(frames, ignore_index=True)
    return frame.sort_values(["point", "replication", "month"], ignore_index=True)

