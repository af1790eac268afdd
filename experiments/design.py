"""Designs: from a spec to design points, replication seeds and stable run ids.

Sampled designs (``lhs``, ``sobol``, ``morris``) are drawn in the unit cube and mapped to each
parameter through the inverse CDF of its distribution, so one code path serves every design and
the unit-cube sample is kept for the sensitivity analysis. Whole-number parameters are rounded.

Seeds follow NumPy's ``SeedSequence``: replication *r* gets the *r*-th child spawned from the
master seed and uses it at every design point (common random numbers). The design's own
randomness (scrambling, Latin hypercube permutations) comes from a separate stream,
``SeedSequence([master_seed, DESIGN_STREAM])``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from experiments.spec import ParameterSpec, Spec, SpecError, scenario_overrides
from model.parameters import ParameterError, Parameters, jsonable

DESIGN_STREAM = 0x5EED_DE51  # mixed with the master seed for the design's own randomness
UNIT_PREFIX = "u."  # column prefix of the unit-cube sample in the design table
SIGNIFICANT_DIGITS = 12  # sampled values are rounded so run ids are stable across platforms
#: the most runs (design points x replications) a sweep may have unless the caller raises the
#: ceiling (``cbec sweep --max-runs``): checked before anything is sampled, so an oversized
#: design is refused at once instead of exhausting memory minutes later.
MAX_RUNS = 1_000_000


@dataclass(frozen=True)
class Design:
    """Design points: one row per point, one column per varied parameter."""

    kind: str
    names: tuple[str, ...]
    points: pd.DataFrame  # column 'point' (0..n-1) and one column per varied parameter
    unit: np.ndarray | None = None  # (points x parameters) unit-cube sample, sampled designs

    def __len__(self) -> int:
        return len(self.points)

    def problem(self) -> dict[str, Any]:
        """The SALib problem over the unit cube (the space the sample was drawn in)."""
        return {"num_vars": len(self.names), "names": list(self.names),
                "bounds": [[0.0, 1.0]] * len(self.names)}


@dataclass(frozen=True)
class Plan:
    """Everything to run: the design, the seeds, and one row per run with its id."""

    spec: Spec
    design: Design
    seeds: tuple[int, ...]
    model_version: str
    runs: pd.DataFrame  # point, replication, seed, run_id, varied parameters, u.* columns
    overrides: tuple[dict[str, Any], ...]  # per point: scenario | base | point values

    @property
    def unique_run_ids(self) -> list[str]:
        """Run ids in submission order, each once (equal points share their runs)."""
        return list(dict.fromkeys(self.runs["run_id"]))


def design_size(spec: Spec) -> int:
    """How many design points the spec gives (before replications); computed without building
    the design."""
    d = len(spec.parameters)
    kind = spec.design.kind
    if kind == "grid":
        return math.prod(len(p.values) if p.values is not None else (p.steps or 2)
                         for p in spec.parameters)
    if kind == "list":
        return len(spec.parameters[0].values or ())
    n = spec.design.samples or 0
    if kind == "lhs":
        return n
    if kind == "sobol":
        return n * (2 * d + 2 if spec.design.second_order else d + 2)
    return n * (d + 1)  # morris


def check_size(spec: Spec, max_runs: int | None = None) -> int:
    """The number of runs (points x replications) of `spec`; SpecError, naming the ceiling and
    how to lower the count or raise the ceiling, when it exceeds `max_runs` (default
    :data:`MAX_RUNS`). Nothing is sampled."""
    ceiling = MAX_RUNS if max_runs is None else max_runs
    points = design_size(spec)
    runs = points * spec.replications
    if runs > ceiling:
        what = {"grid": "values (or steps)", "list": "values",
                "lhs": "samples", "sobol": "samples (N)", "morris": "samples"}[spec.design.kind]
        raise SpecError(f"the design has {points:,} points x {spec.replications:,} replications "
                        f"= {runs:,} runs; allowed: at most {ceiling:,} runs. Use fewer "
                        f"{what} or replications, or raise the ceiling (cbec sweep --max-runs "
                        "N) if you mean it")
    return runs


def build_design(spec: Spec, max_runs: int | None = None) -> Design:
    """The design points of a spec (values typed as the parameters are); SpecError first if the
    design is larger than the ceiling (:func:`check_size`)."""
    check_size(spec, max_runs)
    kind = spec.design.kind
    names = spec.names
    unit = None
    if kind == "grid":
        rows = list(itertools.product(*(_grid_values(p) for p in spec.parameters)))
    elif kind == "list":
        rows = list(zip(*(p.values or () for p in spec.parameters), strict=True))
    else:
        unit = _unit_sample(spec)
        columns = [_from_unit(p, unit[:, j]) for j, p in enumerate(spec.parameters)]
        rows = list(zip(*columns, strict=True))
    points = pd.DataFrame(rows, columns=list(names))
    for p in spec.parameters:
        points[p.name] = points[p.name].astype({"int": "int64", "float": "float64",
                                                "bool": "bool", "str": "object"}[p.kind])
    points.insert(0, "point", np.arange(len(points), dtype="int64"))
    return Design(kind=kind, names=names, points=points, unit=unit)


def replication_seeds(master_seed: int, replications: int) -> list[int]:
    """One 64-bit seed per replication, spawned from the master seed."""
    children = np.random.SeedSequence(master_seed).spawn(replications)
    return [int(c.generate_state(1, dtype=np.uint64)[0]) for c in children]


def design_seed(master_seed: int) -> int:
    """The seed of the design's own randomness (a stream apart from the replications')."""
    seq = np.random.SeedSequence([master_seed, DESIGN_STREAM])
    return int(seq.generate_state(1, dtype=np.uint32)[0])


def run_id(params: Mapping[str, Any], seed: int, model_version: str) -> str:
    """Stable id of one run: sha256 of canonical JSON of (all parameters, seed, model version),
    first 16 hex digits."""
    blob = json.dumps({"params": jsonable(params), "seed": int(seed), "model": model_version},
                      sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def plan_sweep(spec: Spec, model_version: str, max_runs: int | None = None) -> Plan:
    """Build the design, check every point against the parameter rules, and give each run its
    seed and id. Raises SpecError before anything runs if a point is not allowed, or before
    anything is sampled if the design has more than `max_runs` runs (:data:`MAX_RUNS`)."""
    design = build_design(spec, max_runs)
    seeds = replication_seeds(spec.seed, spec.replications)
    start = {**scenario_overrides(spec.scenario), **spec.base}
    overrides: list[dict[str, Any]] = []
    full: list[dict[str, Any]] = []
    for row in design.points.itertuples(index=False):
        values = {name: _native(getattr(row, name)) for name in design.names}
        merged = {**start, **values}
        try:
            params = Parameters.from_dict(merged)
        except ParameterError as exc:
            shown = ", ".join(f"{k}={v!r}" for k, v in values.items())
            raise SpecError(f"design point {row.point} ({shown}) is not allowed on scenario "
                            f"'{spec.scenario}': {exc}") from None
        overrides.append(merged)
        full.append(params.to_dict())

    table = design.points.copy()
    if design.unit is not None:
        for j, name in enumerate(design.names):
            table[UNIT_PREFIX + name] = design.unit[:, j]
    parts = []
    for r, seed in enumerate(seeds):
        ids = [run_id(params, seed, model_version) for params in full]
        part = table.copy()
        part.insert(1, "replication", r)
        part.insert(2, "seed", np.uint64(seed))
        part.insert(3, "run_id", ids)
        parts.append(part)
    runs = pd.concat(parts, ignore_index=True)
    runs["replication"] = runs["replication"].astype("int64")
    runs["seed"] = runs["seed"].astype("uint64")
    return Plan(spec=spec, design=design, seeds=tuple(seeds), model_version=model_version,
                runs=runs, overrides=tuple(overrides))


# ------------------------------------------------------------------------------ sampling


def _grid_values(p: ParameterSpec) -> tuple[Any, ...]:
    if p.values is not None:
        return p.values
    lo, hi = p.range or (0.0, 0.0)
    values = np.linspace(lo, hi, p.steps or 2)
    if p.kind == "int":
        return tuple(int(v) for v in np.rint(values))
    return tuple(_tidy(v) for v in values)


def _unit_sample(spec: Spec) -> np.ndarray:
    """Points in [0, 1]^D: Latin hypercube, Saltelli-Sobol, or Morris trajectories."""
    d = len(spec.parameters)
    n = spec.design.samples or 1
    seed = design_seed(spec.seed)
    if spec.design.kind == "lhs":
        rng = np.random.default_rng(seed)
        strata = np.stack([rng.permutation(n) for _ in range(d)], axis=1)
        return (strata + rng.random((n, d))) / n
    problem = {"num_vars": d, "names": list(spec.names), "bounds": [[0.0, 1.0]] * d}
    if spec.design.kind == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, n, calc_second_order=spec.design.second_order,
                            scramble=True, seed=seed)
    from SALib.sample import morris

    return morris.sample(problem, n, num_levels=spec.design.levels, seed=seed)


def _from_unit(p: ParameterSpec, u: np.ndarray) -> list[Any]:
    """Map unit-cube coordinates to parameter values through the inverse CDF."""
    lo, hi = p.bounds()
    u = np.clip(u, 0.0, 1.0)
    if p.dist == "uniform":
        x = lo + u * (hi - lo)
    elif p.dist == "loguniform":
        x = np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo)))
    elif p.dist == "triangular":
        from scipy import stats

        x = stats.triang(c=((p.mode or lo) - lo) / (hi - lo), loc=lo, scale=hi - lo).ppf(u)
    else:  # normal, truncated to the range (or to the parameter's allowed bounds)
        from scipy import stats

        mean, sd = p.mean or 0.0, p.sd or 1.0
        x = stats.truncnorm((lo - mean) / sd, (hi - mean) / sd, loc=mean, scale=sd).ppf(u)
    x = np.clip(x, lo, hi)
    if p.kind == "int":
        return [int(v) for v in np.clip(np.rint(x), math.ceil(lo), math.floor(hi))]
    return [min(max(_tidy(v), lo), hi) for v in x]


def _tidy(value: float) -> float:
    return float(f"{float(value):.{SIGNIFICANT_DIGITS}g}")


def _native(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value
