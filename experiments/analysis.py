"""Analysis of a sweep directory: per-point means with 95% confidence intervals, Sobol or Morris
sensitivity indices, and monthly curves — all as tidy tables, plus standard figures.

Run files are read one at a time; only each run's summary value per outcome (its last month, or
its mean over the last `window` months, as the spec's ``[outputs] final`` says) and running
monthly statistics are kept, so memory does not grow with the months stored.

Confidence intervals are Student-t intervals of the mean across replications. Sobol and Morris
indices are computed on each design point's mean across replications (SALib, bootstrap
confidence intervals); both need a result at every design point, so an outcome is skipped, with
a note, when a point has none.

Nothing in the sweep directory is taken on trust: the manifest is checked against its schema
and its own fingerprints, the design table against the manifest and the spec, and every run
file's run id, seed and parameter values against the design; anything that does not match is
refused (StorageError) with a message saying what and how to repair it.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.design import UNIT_PREFIX, build_design, design_seed
from experiments.runner import META_COLUMNS, PARAM_PREFIX
from experiments.spec import SpecError, spec_from_manifest
from experiments.storage import (
    StorageError,
    SweepStore,
    check_output_dir,
    check_run_frame,
    provenance,
    recorded_status,
    stray_text,
)

CONFIDENCE = 0.95
MAX_CURVE_POINTS = 8  # above this many points, monthly curves pool all runs
NUM_RESAMPLES = 200  # bootstrap resamples for the index confidence intervals
ANALYSIS = "analysis"
MARKER = ".cbec-analysis"  # written into every analysis folder: it may be replaced
ALL_RUNS = -1  # the `point` of pooled curves


@dataclass
class SweepAnalysis:
    """Everything :func:`analyze_sweep` computes."""

    summary: pd.DataFrame  # point, <parameters>, outcome, mean, sd, ci_low, ci_high, n
    indices: pd.DataFrame  # outcome, parameter, index, value, conf, ci_low, ci_high
    curves: pd.DataFrame  # point (-1: all runs), month, outcome, mean, sd, ci_low, ci_high, n
    run_values: pd.DataFrame  # one row per finished run: ids and a value per outcome
    design: pd.DataFrame  # one row per design point: point and parameter values
    kind: str
    names: tuple[str, ...]
    outcomes: tuple[str, ...]
    notes: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


def analyze(out: str | Path, *, write: bool = True, figures: bool = True) -> pd.DataFrame:
    """Analyse the sweep in `out` and return the tidy per-point table (point, parameters...,
    outcome, mean, sd, ci_low, ci_high, n). With `write`, also writes ``out/analysis/``
    (summary.csv, indices.csv, curves.csv, run_values.csv, notes.txt, figures/)."""
    return analyze_sweep(out, write=write, figures=figures).summary


def analyze_sweep(out: str | Path, *, write: bool = True, figures: bool = True,
                  into: str | Path | None = None,
                  into_name: str = "analysis folder") -> SweepAnalysis:
    """Analyse the sweep in `out`; see :func:`analyze`. `into` writes the analysis there
    instead of ``out/analysis`` (checked writable before anything is read); messages name it
    `into_name` (the CLI passes ``--analysis-out``)."""
    store = SweepStore(out)
    manifest = store.require_manifest()
    if not store.runs_dir.is_dir():  # a sweep makes it before its manifest
        raise StorageError(f"'{store.runs_dir}' is missing (deleted or moved?), so the sweep "
                           "holds no runs to analyse; restore it, or run the same `cbec sweep` "
                           "command to redo the runs")
    if into is not None and isinstance(into, str) and not into.strip():
        raise StorageError(f"{into_name} is empty; allowed: the path of a directory (created "
                           "if missing)")
    folder = Path(into).expanduser() if into is not None else store.out / ANALYSIS
    if write:
        try:
            check_output_dir(folder, "the analysis folder" if into is None else into_name)
        except StorageError as exc:
            other = "--analysis-out DIR2" if into_name.startswith("-") else "into=..."
            hint = f"; give {other} to write it elsewhere" if into is None else ""
            raise StorageError(f"{exc}{hint}") from None
        check_analysis_target(folder, store.out, into_name)
    notes: list[str] = []
    unrecorded = recorded_status(manifest)[1]
    if unrecorded:
        notes.append(f"{unrecorded}. Run the same `cbec sweep` command to verify and finish "
                     "it; the run files found were verified here.")
    spec = manifest["spec"]
    names = tuple(manifest["design"]["parameters"])
    kind = manifest["design"]["kind"]
    table = store.read_design(manifest)
    points = table.drop_duplicates("point").sort_values("point").reset_index(drop=True)
    _check_design_values(manifest, points, names, store, notes)
    design = points[["point", *names]]

    finished, failed = store.finished_ids(), store.failed_ids()
    ids = list(dict.fromkeys(table["run_id"]))
    stray = store.stray_files(set(ids))
    if stray:
        notes.append(f"runs/ holds {stray_text(stray)} (ignored).")
    n_failed = sum(i in failed for i in ids)
    n_missing = sum(i not in finished and i not in failed for i in ids)
    if n_failed:
        timed_out = sum(bool(_read_error(store, i).get("timeout")) for i in ids if i in failed)
        notes.append(f"{n_failed} of {len(ids)} runs failed ({timed_out} of them by the time "
                     f"limit); their errors are in runs/<run_id>.error.json. Rerun with "
                     f"`cbec sweep SPEC --out {out} --retry-failed` to try them again.")
    if n_missing:
        notes.append(f"{n_missing} of {len(ids)} runs have not run yet; the sweep is incomplete "
                     "(run the same `cbec sweep` command again to finish it).")

    group_of = _curve_groups(table, len(points))
    expected = _expected_runs(table, names)
    run_values, curves, outcomes = _read_runs(store, ids, finished, spec["outputs"], group_of,
                                              expected, notes)
    if not outcomes:
        notes.append("no finished runs: nothing to summarise.")
    summary = point_summary(table, run_values, design, outcomes)
    indices = pd.DataFrame(columns=["outcome", "parameter", "index", "value", "conf", "ci_low",
                                    "ci_high"])
    if kind in ("sobol", "morris") and outcomes:
        indices = sensitivity_indices(kind, spec, points, names, summary, outcomes, notes)

    result = SweepAnalysis(summary=summary, indices=indices, curves=curves,
                           run_values=run_values, design=design, kind=kind, names=names,
                           outcomes=tuple(outcomes), notes=notes)
    if write:
        default = into is None or folder.resolve() == (store.out / ANALYSIS).resolve()
        result.files = _write(result, folder, figures, default=default)
    return result


def _read_error(store: SweepStore, run: str) -> dict[str, Any]:
    try:
        error = store.read_error(run)
    except (OSError, ValueError, RecursionError):
        return {}
    return error if isinstance(error, dict) else {}


def _same_values(recorded: pd.Series, expected: pd.Series) -> bool:
    """A design column as recorded equals the regenerated one (numbers to 1e-12; text
    values such as county names exactly)."""
    if recorded.dtype.kind in "biuf" and expected.dtype.kind in "biuf":
        return bool(np.allclose(recorded.to_numpy(dtype="float64"),
                                expected.to_numpy(dtype="float64"), rtol=1e-12, atol=0.0))
    return [str(v) for v in recorded] == [str(v) for v in expected]


def _check_design_values(manifest: dict[str, Any], points: pd.DataFrame,
                         names: tuple[str, ...], store: SweepStore, notes: list[str]) -> None:
    """The design table's points must be the ones the manifest's spec gives (regenerated; for
    sampled designs only when the sampling libraries are the versions the sweep used)."""
    hint = ("; rerun the same `cbec sweep` command to rewrite it from the spec, or restore "
            "the file")
    try:
        spec = spec_from_manifest(manifest["spec"])
    except SpecError as exc:
        raise StorageError(f"{store.manifest_path}: {exc}") from None
    if len(points) != manifest["design"]["points"]:
        raise StorageError(f"'{store.design_path}' has {len(points)} design points, but the "
                           f"manifest records {manifest['design']['points']}{hint}")
    try:
        expected = build_design(spec, max_runs=max(manifest["design"]["runs"], 1))
    except (SpecError, KeyError, ValueError, TypeError) as exc:
        notes.append(f"the design could not be regenerated from the manifest to check it "
                     f"({exc}); design.parquet was checked against the manifest only.")
        return
    columns = list(names)
    if expected.unit is not None:
        columns += [UNIT_PREFIX + n for n in names]
        missing = [c for c in columns if c not in points.columns]
        if missing:
            raise StorageError(f"'{store.design_path}' lacks the columns {', '.join(missing)} "
                               f"a {spec.design.kind} design has{hint}")
        regenerated = expected.points.copy()
        for j, name in enumerate(names):
            regenerated[UNIT_PREFIX + name] = expected.unit[:, j]
    else:
        regenerated = expected.points
    same = len(regenerated) == len(points) and all(
        _same_values(points[c], regenerated[c]) for c in columns)
    if same:
        return
    recorded = manifest.get("versions", {}) or {}
    current = provenance()["versions"]
    changed = [k for k in ("SALib", "scipy", "numpy") if recorded.get(k) != current.get(k)]
    if spec.design.kind in ("lhs", "sobol", "morris") and changed:
        notes.append(f"the design could not be checked against the spec: {', '.join(changed)} "
                     "changed since the sweep, and they draw the sample.")
        return
    raise StorageError(f"'{store.design_path}' holds other design points than the manifest's "
                       f"spec gives (a {spec.design.kind} design over {', '.join(names)}){hint}")


def _expected_runs(table: pd.DataFrame, names: tuple[str, ...]
                   ) -> dict[str, tuple[int, dict[str, Any]]]:
    """Run id -> (seed, varied values) from the design table."""
    expected: dict[str, tuple[int, dict[str, Any]]] = {}
    first = table.drop_duplicates("run_id")
    for row in first.itertuples(index=False):
        expected[row.run_id] = (int(row.seed), {n: _native(getattr(row, n)) for n in names})
    return expected


def _native(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


# ------------------------------------------------------------------------------ reading


def _curve_groups(table: pd.DataFrame, n_points: int) -> dict[str, list[int]]:
    """Which curve groups each run feeds: its design points (few points) or all runs."""
    if n_points > MAX_CURVE_POINTS:
        return {}
    groups: dict[str, list[int]] = {}
    for run, point in zip(table["run_id"], table["point"], strict=True):
        if int(point) not in groups.setdefault(run, []):
            groups[run].append(int(point))
    return groups


def _read_runs(store: SweepStore, ids: list[str], finished: set[str], outputs: dict[str, Any],
               group_of: dict[str, list[int]],
               expected: dict[str, tuple[int, dict[str, Any]]] | None = None,
               notes: list[str] | None = None
               ) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Per-run summary values and streamed monthly statistics. Every run file is checked
    against `expected` (run id -> seed and varied values); StorageError listing the files that
    are unreadable or do not match."""
    rows: list[dict[str, Any]] = []
    outcomes: list[str] = []
    curves = _MonthlyStats()
    problems: list[str] = []
    short = 0
    window = int(outputs.get("window", 12))
    for run in ids:
        if run not in finished:
            continue
        try:
            frame = store.read_result(run)
        except Exception as exc:  # damaged: pyarrow's own error types
            text = str(exc).strip().splitlines()
            problems.append(f"runs/{run}.parquet is not a readable Parquet file "
                            f"({text[0] if text else type(exc).__name__})")
            continue
        if expected is not None:
            seed, varied = expected[run]
            problem = check_run_frame(frame, run, seed, varied)
            if problem:
                problems.append(f"runs/{run}.parquet {problem}")
                continue
        frame = frame.sort_values("month")
        columns = [c for c in frame.columns
                   if c not in (*META_COLUMNS, "month", "date")
                   and not c.startswith(PARAM_PREFIX)
                   and pd.api.types.is_numeric_dtype(frame[c])]
        if not outcomes:
            outcomes = columns
        elif columns != outcomes:
            problems.append(f"runs/{run}.parquet has the outcomes {columns[:3]}..., other runs "
                            f"{outcomes[:3]}...")
            continue
        values = frame[outcomes].astype("float64")
        if outputs.get("final", "last") == "mean":
            short += len(values) < window
            final = values.tail(window).mean()
        else:
            final = values.iloc[-1]
        rows.append({"run_id": run, **final.to_dict()})
        months = frame["month"].to_numpy(dtype="int64")
        for group in group_of.get(run, [ALL_RUNS]):
            curves.add(group, months, values.to_numpy())
    if problems:
        shown = "; ".join(problems[:3]) + (f"; and {len(problems) - 3} more"
                                           if len(problems) > 3 else "")
        raise StorageError(f"'{store.out}': {len(problems)} run file"
                           f"{'s are' if len(problems) != 1 else ' is'} damaged or do"
                           f"{'' if len(problems) != 1 else 'es'} not match the design: "
                           f"{shown}. Nothing was analysed. Run the same `cbec sweep` command "
                           "to redo them (it sets such files aside in rejected/), or restore "
                           "them")
    if short and notes is not None:
        notes.append(f"{short} runs have fewer than window = {window} months; their mean is "
                     "over all their months.")
    run_values = pd.DataFrame(rows, columns=["run_id", *outcomes])
    return run_values, curves.table(outcomes), outcomes


class _MonthlyStats:
    """Running mean and variance per (group, month, outcome) (Welford), grown as needed."""

    def __init__(self) -> None:
        self.n: dict[int, np.ndarray] = {}
        self.mean: dict[int, np.ndarray] = {}
        self.m2: dict[int, np.ndarray] = {}
        self.first: dict[int, int] = {}

    def add(self, group: int, months: np.ndarray, values: np.ndarray) -> None:
        lo, hi = int(months.min()), int(months.max())
        if group not in self.n:
            self.first[group] = lo
            shape = (hi - lo + 1, values.shape[1])
            self.n[group], self.mean[group], self.m2[group] = (np.zeros(shape) for _ in "abc")
        self._grow(group, lo, hi)
        rows = months - self.first[group]
        ok = ~np.isnan(values)
        n = self.n[group][rows] + ok
        delta = np.where(ok, values - self.mean[group][rows], 0.0)
        mean = self.mean[group][rows] + np.divide(delta, n, out=np.zeros_like(delta),
                                                  where=n > 0)
        m2 = self.m2[group][rows] + np.where(ok, delta * (values - mean), 0.0)
        self.n[group][rows], self.mean[group][rows], self.m2[group][rows] = n, mean, m2

    def _grow(self, group: int, lo: int, hi: int) -> None:
        first, size = self.first[group], len(self.n[group])
        before, after = max(0, first - lo), max(0, hi - (first + size - 1))
        if before or after:
            for store in (self.n, self.mean, self.m2):
                store[group] = np.pad(store[group], ((before, after), (0, 0)))
            self.first[group] = first - before

    def table(self, outcomes: list[str]) -> pd.DataFrame:
        frames = []
        for group in sorted(self.n):
            n, mean, m2 = self.n[group], self.mean[group], self.m2[group]
            months = np.arange(len(n)) + self.first[group]
            with np.errstate(invalid="ignore", divide="ignore"):
                sd = np.sqrt(np.where(n > 1, m2 / np.maximum(n - 1, 1), np.nan))
                half = _t_quantile(n) * sd / np.sqrt(n)
            for j, outcome in enumerate(outcomes):
                keep = n[:, j] > 0
                frames.append(pd.DataFrame({
                    "point": group, "month": months[keep], "outcome": outcome,
                    "mean": mean[keep, j], "sd": sd[keep, j],
                    "ci_low": mean[keep, j] - half[keep, j],
                    "ci_high": mean[keep, j] + half[keep, j], "n": n[keep, j].astype(int)}))
        columns = ["point", "month", "outcome", "mean", "sd", "ci_low", "ci_high", "n"]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


# --------------------------------------------------------------------------- statistics


def _t_quantile(n: np.ndarray | float) -> np.ndarray:
    from scipy import stats

    n = np.asarray(n, dtype="float64")
    with np.errstate(invalid="ignore"):
        return np.where(n > 1, stats.t.ppf(0.5 + CONFIDENCE / 2, np.maximum(n - 1, 1)), np.nan)


def mean_ci(values: Any) -> tuple[float, float, float, float, int]:
    """Mean, sd, and the 95% Student-t CI of the mean of `values` (NaN ignored), and n."""
    x = np.asarray(values, dtype="float64")
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return (math.nan,) * 4 + (0,)
    mean = float(x.mean())
    if n == 1:
        return mean, math.nan, math.nan, math.nan, 1
    sd = float(x.std(ddof=1))
    half = float(_t_quantile(n)) * sd / math.sqrt(n)
    return mean, sd, mean - half, mean + half, n


def point_summary(table: pd.DataFrame, run_values: pd.DataFrame, design: pd.DataFrame,
                  outcomes: list[str]) -> pd.DataFrame:
    """Tidy table: each design point's mean, sd, 95% CI and n per outcome."""
    columns = [*design.columns, "outcome", "mean", "sd", "ci_low", "ci_high", "n"]
    if not outcomes:
        return pd.DataFrame(columns=columns)
    merged = table[["point", "run_id"]].merge(run_values, on="run_id", how="left")
    long = merged.melt(id_vars=["point"], value_vars=outcomes, var_name="outcome")
    long["outcome"] = pd.Categorical(long["outcome"], categories=outcomes)
    stats = (long.groupby(["point", "outcome"], sort=True, observed=True)["value"]
             .agg(mean="mean", sd="std", n="count").reset_index())
    n = stats["n"].to_numpy(dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        half = _t_quantile(n) * stats["sd"].to_numpy() / np.sqrt(n)
    stats["ci_low"] = stats["mean"] - half
    stats["ci_high"] = stats["mean"] + half
    stats["outcome"] = stats["outcome"].astype(str)
    stats["n"] = stats["n"].astype(int)
    return design.merge(stats, on="point", how="right")[columns]


def sensitivity_indices(kind: str, spec: dict[str, Any], points: pd.DataFrame,
                        names: tuple[str, ...], summary: pd.DataFrame, outcomes: list[str],
                        notes: list[str]) -> pd.DataFrame:
    """Sobol (S1, ST, S2) or Morris (mu, mu_star, sigma) indices per outcome, tidy."""
    from SALib.analyze import morris, sobol

    problem = {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}
    means = summary.pivot(index="point", columns="outcome", values="mean")
    means = means.reindex(points["point"])
    seed = design_seed(int(spec["seed"]))
    rows: list[dict[str, Any]] = []
    for outcome in outcomes:
        y = means[outcome].to_numpy(dtype="float64")
        missing = int(np.isnan(y).sum())
        if missing:
            notes.append(f"{kind} indices for '{outcome}' skipped: {missing} of {len(y)} design "
                         f"points have no successful run, and {kind} analysis needs every "
                         "point. The per-point summary covers the points that ran.")
            continue
        if np.ptp(y) == 0:
            notes.append(f"{kind} indices for '{outcome}' skipped: it does not vary across the "
                         "design.")
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            if kind == "sobol":
                second = bool(spec["design"].get("second_order", True))
                si = sobol.analyze(problem, y, calc_second_order=second,
                                   num_resamples=NUM_RESAMPLES, conf_level=CONFIDENCE,
                                   seed=seed)
                rows += _sobol_rows(outcome, names, si, second)
            else:
                x = points[[UNIT_PREFIX + n for n in names]].to_numpy(dtype="float64")
                si = morris.analyze(problem, x, y, num_resamples=NUM_RESAMPLES,
                                    conf_level=CONFIDENCE,
                                    num_levels=int(spec["design"].get("levels", 4)), seed=seed)
                rows += _morris_rows(outcome, names, si)
    frame = pd.DataFrame(rows, columns=["outcome", "parameter", "index", "value", "conf"])
    frame["ci_low"] = frame["value"] - frame["conf"]
    frame["ci_high"] = frame["value"] + frame["conf"]
    return frame


def _sobol_rows(outcome: str, names: tuple[str, ...], si: Any,
                second: bool) -> list[dict[str, Any]]:
    rows = []
    for i, name in enumerate(names):
        for index in ("S1", "ST"):
            rows.append({"outcome": outcome, "parameter": name, "index": index,
                         "value": float(si[index][i]), "conf": float(si[f"{index}_conf"][i])})
    if second:
        for i, a in enumerate(names):
            for j in range(i + 1, len(names)):
                rows.append({"outcome": outcome, "parameter": f"{a}:{names[j]}", "index": "S2",
                             "value": float(si["S2"][i, j]),
                             "conf": float(si["S2_conf"][i, j])})
    return rows


def _morris_rows(outcome: str, names: tuple[str, ...], si: Any) -> list[dict[str, Any]]:
    rows = []
    for i, name in enumerate(names):
        for index, conf in (("mu", None), ("mu_star", "mu_star_conf"), ("sigma", None)):
            rows.append({"outcome": outcome, "parameter": name, "index": index,
                         "value": float(si[index][i]),
                         "conf": float(si[conf][i]) if conf else math.nan})
    return rows


# ------------------------------------------------------------------------------ writing


def check_analysis_target(folder: Path, sweep: Path, name: str = "analysis folder") -> None:
    """StorageError unless `folder` may be (re)placed by an analysis of the sweep in `sweep`:
    never the sweep folder, a folder holding it, or a folder inside it other than its default
    ``analysis/``; and, if it exists and holds anything, only a previous analysis (one with the
    :data:`MARKER` file an analysis writes; the default ``analysis/`` of the sweep counts as one).
    Nothing the analysis did not write is ever replaced. Messages name `folder` as `name`."""
    target, home = folder.expanduser().resolve(), sweep.expanduser().resolve()
    default = (home / ANALYSIS).resolve()
    allowed = ("allowed: a new or empty folder, a previous analysis, or the sweep's own "
               f"'{ANALYSIS}' folder")
    if target == home or target in home.parents:
        raise StorageError(f"{name} '{folder}' is the sweep folder or holds it, and "
                           f"writing the analysis there would replace the sweep; {allowed}")
    if home in target.parents and target != default:
        raise StorageError(f"{name} '{folder}' is inside the sweep folder '{sweep}'; "
                           f"{allowed}")
    if target == default or not target.is_dir():
        return
    if (target / MARKER).is_file():
        return
    try:
        empty = next(target.iterdir(), None) is None
    except OSError as exc:
        raise StorageError(f"{name} '{folder}' cannot be read: {exc.strerror}") from None
    if not empty:
        raise StorageError(f"{name} '{folder}' already holds files that are not an "
                           f"analysis (no {MARKER} file), which would be replaced; {allowed}")


def _write(result: SweepAnalysis, folder: Path, figures: bool, *, default: bool = False
           ) -> list[Path]:
    """Write the analysis into a temporary folder beside `folder`, then swap it in: an
    interrupted or failed write (a full disk) leaves the previous analysis, never half of
    one. Only an empty folder or a previous analysis is ever replaced
    (:func:`check_analysis_target`, checked by the caller; the swap checks the marker again)."""
    import shutil
    import uuid

    folder.parent.mkdir(parents=True, exist_ok=True)
    # mkdir (not mkdtemp, which makes it 0700) so the analysis folder gets the usual permissions
    tmp = folder.parent / f".{folder.name}-{uuid.uuid4().hex[:12]}.tmp"
    tmp.mkdir()
    try:
        written = _write_files(result, tmp, figures)
        (tmp / MARKER).write_text("written by `cbec analyze`; this folder may be replaced by "
                                  "the next analysis\n", encoding="utf-8")
        old = None
        if folder.exists():
            if (folder.is_dir() and not (folder / MARKER).is_file()
                    and not default and next(folder.iterdir(), None) is not None):
                raise StorageError(f"'{folder}' was filled by something else during the "
                                   "analysis; it is left as it is")
            old = folder.parent / f".{folder.name}-old-{tmp.name}"
            folder.rename(old)
        tmp.rename(folder)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return [folder / p.relative_to(tmp) for p in written]


def _write_files(result: SweepAnalysis, folder: Path, figures: bool) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for name, frame in (("summary", result.summary), ("curves", result.curves),
                        ("run_values", result.run_values)):
        path = folder / f"{name}.csv"
        frame.to_csv(path, index=False)
        files.append(path)
    if result.kind in ("sobol", "morris"):
        path = folder / "indices.csv"
        result.indices.to_csv(path, index=False)
        files.append(path)
    path = folder / "notes.txt"
    path.write_text("".join(f"{note}\n" for note in result.notes) or "no notes\n",
                    encoding="utf-8")
    files.append(path)
    if figures and result.outcomes:
        from experiments.plots_sweep import make_figures

        files += make_figures(result, folder / "figures")
    return files


def slug(text: str) -> str:
    """A file-name-safe version of an outcome name."""
    return re.sub(r"[^\w.-]+", "_", text).strip("_") or "outcome"
