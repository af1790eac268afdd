"""Tests for the experiment framework: specs, designs, seeds, the runner (local pool, Dask,
resume after kill -9, failures, time limits) and the analysis.

Most tests use the fast deterministic stand-ins of ``tests/fake_model.py``; one uses the real
``model.run.simulate`` with tiny runs.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # worker processes import tests.fake_model from the project root
    sys.path.insert(0, str(ROOT))

from experiments.analysis import analyze, analyze_sweep  # noqa: E402
from experiments.design import (  # noqa: E402
    build_design,
    design_size,
    plan_sweep,
    replication_seeds,
    run_id,
)
from experiments.runner import (  # noqa: E402
    PARAM_PREFIX,
    DaskLocal,
    InProcess,
    ProcessPool,
    RunTimeout,
    call_with_timeout,
    run_sweep,
)
from experiments.spec import SpecError, load_spec, parse_spec  # noqa: E402
from experiments.storage import StorageError, SweepStore  # noqa: E402

EXAMPLES = sorted((ROOT / "experiments" / "examples").glob("*.toml"))


def make_spec(design: str, parameters: str, *, function: str = "simulate", replications: int = 2,
              seed: int = 5, extra: str = "", keep: str = '["adoption_share", "sellers"]',
              months: int = 12) -> str:
    """Spec text with the fake model."""
    return textwrap.dedent(f"""\
        name = "test"
        replications = {replications}
        seed = {seed}
        {extra}
        [base]
        household_scale = 0.002
        months = {months}
        [design]
        {design}
        [outputs]
        keep = {keep}
        final = "mean"
        window = 3
        [run]
        function = "tests.fake_model:{function}"
        """) + textwrap.dedent(parameters)


GRID_2x2 = """\
    [parameters.pickup_coverage]
    values = [0.2, 0.7]
    [parameters.subsidy_min_turnover_yuan]
    values = [5e5, 1.5e6]
    """
TWO_RANGES = """\
    [parameters.pickup_coverage]
    range = [0.15, 0.8]
    [parameters.subsidy_min_turnover_yuan]
    range = [5e5, 2e6]
    """


def run_files(out: Path) -> dict[str, Path]:
    return {p.name[: -len(".parquet")]: p for p in (out / "runs").glob("*.parquet")}


# --------------------------------------------------------------------------- validation

BAD_SPECS = [
    ('name = "x"\nreplications = [\n', "malformed TOML"),
    ('name = "x"\nseed = 1\nseed = 2\n', "line 3"),
    (make_spec('kind = "grid"', GRID_2x2).replace("replications", "replicatons"),
     "did you mean 'replications'"),
    (make_spec('kind = "grid"', GRID_2x2).replace('name = "test"\n', ""), "missing 'name'"),
    (make_spec('kind = "grid"', GRID_2x2).replace("[parameters.pickup_coverage]",
                                                   "[parameters.pickup_coverag]"),
     "unknown parameter 'pickup_coverag'; did you mean 'pickup_coverage'"),
    (make_spec('kind = "lhs"\nsamples = 4', "[parameters.pickup_coverage]\nrange = [0.1, 1.5]"),
     "range [0.1, 1.5] goes outside what 'pickup_coverage' allows: 0 to 1"),
    (make_spec('kind = "lhs"\nsamples = 4', "[parameters.pickup_coverage]\nrange = [0.8, 0.2]"),
     "is empty; lo must be below hi"),
    (make_spec('kind = "grid"', "[parameters.reentry_months]\nvalues = [12, 18.5]"),
     "'reentry_months' is a whole number; got 18.5"),
    (make_spec('kind = "grid"', "[parameters.pickup_coverage]\nvalues = [0.2, 0.2]"),
     "values repeat (0.2)"),
    (make_spec('kind = "grid"', "[parameters.pickup_coverage]\nvalues = [0.2, 1.2]"),
     "value 1.2 is outside what 'pickup_coverage' allows"),
    (make_spec('kind = "sobol"\nsamples = 8', "[parameters.one_stop_platform]\nrange = [0, 1]"),
     "true/false and cannot be sampled"),
    (make_spec('kind = "grid"', GRID_2x2, replications=0), "'replications' must be at least 1"),
    (make_spec('kind = "sobl"', GRID_2x2), "kind 'sobl' is unknown (did you mean 'sobol'?)"),
    (make_spec('kind = "sobol"\nsamples = 10', TWO_RANGES), "needs a power of 2; try 8 or 16"),
    (make_spec('kind = "sobol"', TWO_RANGES), "needs 'samples'"),
    (make_spec('kind = "grid"\nsamples = 4', GRID_2x2), "'samples' has no meaning"),
    (make_spec('kind = "grid"', "[parameters.pickup_coverage]\nrange = [0.1, 0.5]"),
     "needs 'values = [...]' or 'range = [lo, hi]' with 'steps = n'"),
    (make_spec('kind = "list"', "[parameters.pickup_coverage]\nvalues = [0.2, 0.3]\n"
               "[parameters.peer_effect]\nvalues = [0.5]"), "need as many values"),
    (make_spec('kind = "lhs"\nsamples = 4',
               '[parameters.pickup_coverage]\ndist = "normal"\nmean = 0.5'), "needs sd"),
    (make_spec('kind = "lhs"\nsamples = 4',
               '[parameters.pickup_coverage]\ndist = "cauchy"\nrange = [0, 1]'),
     "dist 'cauchy' is unknown"),
    (make_spec('kind = "grid"', GRID_2x2).replace("household_scale", "household_scal"),
     "[base]: unknown parameter 'household_scal'"),
    (make_spec('kind = "grid"', GRID_2x2, months=0), "parameter 'months' = 0 is out of range"),
    (make_spec('kind = "grid"', GRID_2x2, extra='scenario = "pickup80"'),
     "unknown scenario 'pickup80'"),
    (make_spec('kind = "grid"', GRID_2x2 + "[parameters.months]\nvalues = [6, 12]"),
     "'months' is both fixed in [base] and varied"),
    (make_spec('kind = "grid"', GRID_2x2).replace('final = "mean"', 'final = "first"'),
     "[outputs] final must be 'last'"),
    (make_spec('kind = "grid"', GRID_2x2, keep="[]"), "keep must be a non-empty list"),
    (make_spec('kind = "grid"', GRID_2x2, function="no colon").replace(
        "tests.fake_model:no colon", "tests.fake_model"), "[run] function must look like"),
    (make_spec('kind = "grid"', GRID_2x2, extra="timeout = -5"),
     "'timeout' = -5 is not allowed; allowed: a number of seconds above 0"),
]


@pytest.mark.parametrize(("text", "message"), BAD_SPECS)
def test_bad_specs_are_rejected_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_spec(text, source="bad.toml")
    assert message in str(info.value)
    assert str(info.value).startswith("bad.toml: ")


def test_a_design_point_the_parameters_forbid_is_rejected_before_running(tmp_path: Path) -> None:
    spec = parse_spec(make_spec('kind = "grid"', "[parameters.coop_target_members]\n"
                                "values = [3, 15]"))
    with pytest.raises(SpecError, match=r"design point 0 \(coop_target_members=3\)"):
        run_sweep(spec, tmp_path / "out", InProcess(), progress=False)
    assert not (tmp_path / "out").exists()


def test_missing_spec_file_and_unloadable_function(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="not found"):
        load_spec(tmp_path / "nope.toml")
    spec = parse_spec(make_spec('kind = "grid"', GRID_2x2, function="no_such_function"))
    with pytest.raises(SpecError, match="cannot be loaded"):
        run_sweep(spec, tmp_path / "out", InProcess(), progress=False)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_specs_are_valid(path: Path) -> None:
    spec = load_spec(path)
    plan = plan_sweep(spec, "test")
    assert len(plan.runs) == design_size(spec) * spec.replications


# ------------------------------------------------------------------------------- designs


def test_design_sizes() -> None:
    three = TWO_RANGES + "[parameters.hub_partner_counties]\nrange = [35, 88]\n"
    cases = {
        ('kind = "grid"', GRID_2x2 + "[parameters.one_stop_platform]\nvalues = [false, true]"): 8,
        ('kind = "grid"', "[parameters.pickup_coverage]\nrange = [0.1, 0.5]\nsteps = 5"): 5,
        ('kind = "list"', "[parameters.pickup_coverage]\nvalues = [0.2, 0.3, 0.4]\n"
                          "[parameters.peer_effect]\nvalues = [0.5, 0.5, 0.7]"): 3,
        ('kind = "lhs"\nsamples = 10', three): 10,
        ('kind = "sobol"\nsamples = 8', three): 8 * (2 * 3 + 2),
        ('kind = "sobol"\nsamples = 8\nsecond_order = false', three): 8 * (3 + 2),
        ('kind = "morris"\nsamples = 4\nlevels = 4', three): 4 * (3 + 1),
    }
    for (design, params), size in cases.items():
        spec = parse_spec(make_spec(design, params))
        built = build_design(spec)
        assert len(built) == design_size(spec) == size, design
        assert list(built.points["point"]) == list(range(size))


def test_sampled_designs_respect_ranges_types_and_strata() -> None:
    spec = parse_spec(make_spec('kind = "lhs"\nsamples = 20', TWO_RANGES
                                + "[parameters.hub_partner_counties]\nrange = [35, 88]\n"
                                + '[parameters.peer_effect]\ndist = "normal"\nmean = 0.6\n'
                                + "sd = 0.2\nrange = [0.2, 1.0]\n"))
    design = build_design(spec)
    pts = design.points
    assert pts["pickup_coverage"].between(0.15, 0.8).all()
    assert pts["peer_effect"].between(0.2, 1.0).all()
    assert pts["hub_partner_counties"].dtype == "int64"
    assert pts["hub_partner_counties"].between(35, 88).all()
    strata = np.floor(design.unit * 20).astype(int)  # one point per stratum in every column
    for j in range(strata.shape[1]):
        assert sorted(strata[:, j]) == list(range(20))
    assert build_design(spec).points.equals(pts)  # the design is reproducible


def test_seeds_are_spawned_and_shared_across_points() -> None:
    spec = parse_spec(make_spec('kind = "grid"', GRID_2x2, replications=3, seed=42))
    plan = plan_sweep(spec, "v1")
    expected = [int(c.generate_state(1, dtype=np.uint64)[0])
                for c in np.random.SeedSequence(42).spawn(3)]
    assert list(plan.seeds) == expected == replication_seeds(42, 3)
    for r, group in plan.runs.groupby("replication"):
        assert set(group["seed"]) == {expected[r]}  # common random numbers
    assert plan.runs["run_id"].is_unique
    again = plan_sweep(spec, "v1")
    assert list(again.runs["run_id"]) == list(plan.runs["run_id"])
    other = plan_sweep(spec, "v2")
    assert not set(other.runs["run_id"]) & set(plan.runs["run_id"])
    assert run_id({"a": 1.0}, 1, "v") == run_id({"a": 1.0}, 1, "v") != run_id({"a": 1.0}, 2, "v")


# -------------------------------------------------------------------------------- sweeps


def test_small_sobol_sweep_end_to_end(tmp_path: Path) -> None:
    spec = parse_spec(make_spec('kind = "sobol"\nsamples = 8', TWO_RANGES, replications=2))
    out = tmp_path / "sobol"
    report = run_sweep(spec, out, ProcessPool(2), progress=False)
    plan = plan_sweep(spec, json.loads((out / "manifest.json").read_text())["model_version"])
    assert report.complete and report.failed == 0
    assert set(run_files(out)) == set(plan.runs["run_id"])

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seeds"]["replications"] == list(plan.seeds)
    assert manifest["design"]["points"] == 48
    assert manifest["git"]["commit"]
    assert {"numpy", "pandas", "mesa", "SALib", "dask", "pyarrow", "python"} <= set(
        manifest["versions"])
    assert manifest["spec_text"] == spec.text

    frame = pd.read_parquet(next(iter(run_files(out).values())))
    assert {"run_id", "point", "replication", "seed", "month", "adoption_share", "sellers",
            PARAM_PREFIX + "pickup_coverage"} <= set(frame.columns)
    assert "subsidy_coverage" not in frame.columns  # only the kept outcomes

    result = analyze_sweep(out)
    summary = result.summary
    assert len(summary) == 48 * 2 and (summary["n"] == 2).all()
    assert (summary["ci_low"] <= summary["mean"]).all()
    assert (summary["mean"] <= summary["ci_high"]).all()
    indices = result.indices
    first_total = indices[indices["index"].isin(["S1", "ST"])]
    assert len(first_total) == 2 * 2 * 2
    assert np.isfinite(first_total[["value", "conf"]].to_numpy()).all()
    st = indices[(indices["outcome"] == "adoption_share") & (indices["index"] == "ST")]
    st = st.set_index("parameter")["value"]
    assert st["pickup_coverage"] > st["subsidy_min_turnover_yuan"]
    files = {p.name for p in (out / "analysis").rglob("*") if p.is_file()}
    assert {"summary.csv", "indices.csv", "curves.csv", "indices_adoption_share.png",
            "curves_adoption_share.png", "vs_adoption_share.png"} <= files
    assert pd.read_csv(out / "analysis" / "summary.csv").shape[0] == 96


def test_common_random_numbers_in_results(tmp_path: Path) -> None:
    spec = parse_spec(make_spec('kind = "grid"', "[parameters.subsidy_min_turnover_yuan]\n"
                                "values = [5e5, 1e6]", replications=2))
    out = tmp_path / "crn"
    run_sweep(spec, out, InProcess(), progress=False)
    runs = pd.concat(pd.read_parquet(p) for p in run_files(out).values())
    # the fake's adoption noise depends on the seed only: equal across points of a replication
    for _, group in runs.groupby("replication"):
        by_point = group.pivot(index="month", columns="point", values="seed")
        assert by_point.nunique(axis=1).eq(1).all()
    first = runs[runs["replication"] == 0]
    series = first.pivot(index="month", columns="point", values="adoption_share")
    assert not series[0].equals(series[1])  # the points differ ...
    assert len(set(runs.groupby("replication")["seed"].first())) == 2  # ... and so do the reps


def test_resume_after_kill_minus_9(tmp_path: Path) -> None:
    spec_path = tmp_path / "spec.toml"
    spec_path.write_text(make_spec(
        'kind = "grid"', "[parameters.pickup_coverage]\nrange = [0.15, 0.8]\nsteps = 8\n"
        "[parameters.subsidy_min_turnover_yuan]\nvalues = [5e5, 1.5e6]",
        function="simulate_slow", replications=1), encoding="utf-8")
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT),
                                                         os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-m", "experiments", "sweep", str(spec_path), "--out", str(out),
               "--workers", "2", "--no-progress"]
    child = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while len(run_files(out)) < 4:
            assert child.poll() is None, child.stderr.read().decode()
            assert time.monotonic() < deadline, "the sweep wrote nothing in 60 s"
            time.sleep(0.05)
    finally:
        os.killpg(child.pid, signal.SIGKILL)  # the sweep, its forkserver and its workers
        child.wait()
        child.stderr.close()
    before = {rid: (p.stat().st_mtime_ns, p.stat().st_ino) for rid, p in run_files(out).items()}
    assert 4 <= len(before) < 16
    (out / "runs" / ".deadbeef.parquet.x1.tmp").write_bytes(b"half a file")  # as if killed

    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"resuming: {len(before)} runs already finished" in done.stderr

    after = run_files(out)
    design = pd.read_parquet(out / "design.parquet")
    assert set(after) == set(design["run_id"]) and len(after) == 16
    assert sorted(os.listdir(out / "runs")) == sorted(f"{r}.parquet" for r in after)
    for rid, stamp in before.items():
        path = after[rid]
        assert (path.stat().st_mtime_ns, path.stat().st_ino) == stamp  # not rewritten
    frames = pd.concat(pd.read_parquet(p) for p in after.values())
    assert frames.groupby("run_id")["month"].count().eq(12).all()  # complete, no duplicates
    manifest = json.loads((out / "manifest.json").read_text())
    invocations = manifest["invocations"]
    assert len(invocations) == 2 and invocations[-1]["status"] == "done"
    assert manifest["status"]["state"] == "done" and manifest["status"]["finished"] == 16


def test_failing_runs_are_recorded_and_the_sweep_goes_on(tmp_path: Path) -> None:
    spec = parse_spec(make_spec('kind = "grid"', "[parameters.pickup_coverage]\n"
                                "values = [0.2, 0.4, 0.7, 0.9]", function="simulate_failing"))
    out = tmp_path / "fail"
    report = run_sweep(spec, out, InProcess(), progress=False)
    assert (report.finished, report.failed) == (4, 4) and not report.complete
    store = SweepStore(out)
    assert len(store.failed_ids()) == 4 and len(store.finished_ids()) == 4
    error = store.read_error(report.failed_ids[0])
    assert error["type"] == "ValueError" and "fake failure" in error["message"]
    assert "simulate_failing" in error["traceback"] and error["attempts"] == 1
    assert error["varied"]["pickup_coverage"] > 0.6

    again = run_sweep(spec, out, InProcess(), progress=False)
    assert again.submitted == 0 and again.skipped_failed == 4
    retried = run_sweep(spec, out, InProcess(), retry_failed=True, progress=False)
    assert retried.submitted == 4 and retried.failed == 4
    assert store.read_error(report.failed_ids[0])["attempts"] == 2

    result = analyze_sweep(out, figures=False)
    assert any("4 of 8 runs failed" in note for note in result.notes)
    summary = result.summary[result.summary["outcome"] == "adoption_share"]
    assert list(summary["n"]) == [2, 2, 0, 0]


def test_sobol_analysis_with_failed_points_says_so(tmp_path: Path) -> None:
    spec = parse_spec(make_spec('kind = "sobol"\nsamples = 4', TWO_RANGES,
                                function="simulate_failing", replications=1))
    out = tmp_path / "sobol-fail"
    run_sweep(spec, out, InProcess(), progress=False)
    result = analyze_sweep(out, figures=False)
    assert result.indices.empty
    assert any("sobol indices for 'adoption_share' skipped" in n for n in result.notes)
    assert result.summary["mean"].notna().any()


def test_a_run_past_its_time_limit_is_recorded_as_failed(tmp_path: Path) -> None:
    spec = parse_spec(make_spec('kind = "grid"', "[parameters.pickup_coverage]\n"
                                "values = [0.2, 0.9]", function="simulate_hang",
                                replications=1, extra="timeout = 1.0"))
    out = tmp_path / "timeout"
    started = time.monotonic()
    report = run_sweep(spec, out, ProcessPool(2), progress=False)
    assert time.monotonic() - started < 30
    assert (report.finished, report.failed) == (1, 1)
    error = SweepStore(out).read_error(report.failed_ids[0])
    assert error["type"] == "RunTimeout" and error["timeout"] == 1.0
    assert "time limit of 1 s" in error["message"]


def test_time_limit_in_a_thread_and_any_executor(tmp_path: Path) -> None:
    """The executor boundary: a ThreadPoolExecutor works, and its time limit is enforced with
    an asynchronous exception (the path Dask worker threads take)."""
    spec = parse_spec(make_spec('kind = "grid"', "[parameters.pickup_coverage]\n"
                                "values = [0.2, 0.9]", function="simulate_hang",
                                replications=1, extra="timeout = 0.5"))
    report = run_sweep(spec, tmp_path / "threads", lambda: cf.ThreadPoolExecutor(2),
                       progress=False)
    assert (report.finished, report.failed) == (1, 1)
    with pytest.raises(RunTimeout):
        call_with_timeout(lambda: time.sleep(5), 0.2)  # main thread: SIGALRM
    assert call_with_timeout(lambda: 7, 1.0) == 7


def test_a_dead_worker_process_is_replaced_and_the_sweep_goes_on(tmp_path: Path) -> None:
    spec = parse_spec(make_spec('kind = "grid"', "[parameters.pickup_coverage]\n"
                                "values = [0.2, 0.9, 0.4, 0.3]", function="simulate_crash",
                                replications=1))
    out = tmp_path / "crash"
    report = run_sweep(spec, out, ProcessPool(2), progress=False)
    assert report.aborted is None and report.replaced_pools >= 1
    assert (report.finished, report.failed, report.verified) == (3, 1, 3)
    assert not report.complete and report.state.startswith("incomplete, 3 of 4 runs finished")
    error = SweepStore(out).read_error(report.failed_ids[0])
    assert error["type"] == "RunLost" and error["varied"] == {"pickup_coverage": 0.9}
    assert error["lost"] == 3 and "ran alone" in error["message"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["invocations"][-1]["status"] == "incomplete"
    assert manifest["status"]["state"] == "incomplete"
    assert manifest["status"]["summary"].startswith("incomplete, 3 of 4")


def test_dask_local_cluster_gives_the_same_results_as_the_process_pool(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    spec = parse_spec(make_spec('kind = "grid"', GRID_2x2, replications=2))
    local, dask = tmp_path / "local", tmp_path / "dask"
    run_sweep(spec, local, ProcessPool(2), progress=False)
    report = run_sweep(spec, dask, DaskLocal(2), progress=False)
    assert report.complete
    a, b = run_files(local), run_files(dask)
    assert set(a) == set(b) and len(a) == 8
    for rid in a:
        pd.testing.assert_frame_equal(pd.read_parquet(a[rid]), pd.read_parquet(b[rid]))
    pd.testing.assert_frame_equal(analyze(local, write=False), analyze(dask, write=False))


def test_a_missing_outcome_stops_the_sweep_and_leaves_nothing(tmp_path: Path) -> None:
    spec = parse_spec(make_spec('kind = "grid"', GRID_2x2, keep='["adoption_share", "nope"]'))
    with pytest.raises(SpecError, match="keep names 'nope', which the model does not produce"):
        run_sweep(spec, tmp_path / "out", InProcess(), progress=False)
    assert not (tmp_path / "out").exists()


def test_output_directory_of_another_spec_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_sweep(parse_spec(make_spec('kind = "grid"', GRID_2x2)), out, InProcess(),
              progress=False)
    stamp = (out / "manifest.json").stat().st_mtime_ns
    other = parse_spec(make_spec('kind = "grid"', GRID_2x2, replications=3))
    with pytest.raises(StorageError, match="different spec.*another output folder"):
        run_sweep(other, out, InProcess(), progress=False)
    assert (out / "manifest.json").stat().st_mtime_ns == stamp
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    with pytest.raises(StorageError, match="not empty"):
        run_sweep(other, tmp_path / "busy", InProcess(), progress=False)
    # a longer time limit is not a different spec: resuming is allowed
    run_sweep(parse_spec(make_spec('kind = "grid"', GRID_2x2, extra="timeout = 60")), out,
              InProcess(), progress=False)


def test_grid_analysis_tables_and_figures(tmp_path: Path) -> None:
    spec = parse_spec(make_spec('kind = "grid"', GRID_2x2, replications=3))
    out = tmp_path / "grid"
    run_sweep(spec, out, InProcess(), progress=False)
    table = analyze(out)
    assert set(table.columns) == {"point", "pickup_coverage", "subsidy_min_turnover_yuan",
                                  "outcome", "mean", "sd", "ci_low", "ci_high", "n"}
    assert len(table) == 4 * 2 and (table["n"] == 3).all()
    figures = {p.name for p in (out / "analysis" / "figures").iterdir()}
    assert {"heatmap_adoption_share.png", "curves_sellers.png", "vs_sellers.png"} <= figures
    curves = pd.read_csv(out / "analysis" / "curves.csv")
    assert set(curves["point"]) == {0, 1, 2, 3} and curves["n"].eq(3).all()
    assert not (out / "analysis" / "indices.csv").exists()


def test_morris_analysis(tmp_path: Path) -> None:
    spec = parse_spec(make_spec('kind = "morris"\nsamples = 6', TWO_RANGES, replications=1))
    out = tmp_path / "morris"
    run_sweep(spec, out, InProcess(), progress=False)
    indices = analyze_sweep(out, figures=False).indices
    star = indices[indices["index"] == "mu_star"]
    assert len(star) == 2 * 2 and np.isfinite(star[["value", "conf"]].to_numpy()).all()
    assert set(indices["index"]) == {"mu", "mu_star", "sigma"}


def test_real_model_tiny_sweep(tmp_path: Path) -> None:
    pytest.importorskip("model.run")
    spec = parse_spec(textwrap.dedent("""\
        name = "real"
        replications = 1
        seed = 1
        [base]
        household_scale = 0.002
        months = 6
        [design]
        kind = "grid"
        [parameters.pickup_coverage]
        values = [0.15, 0.8]
        [outputs]
        keep = ["adoption_share"]
        """))
    out = tmp_path / "real"
    report = run_sweep(spec, out, InProcess(), progress=False)
    assert report.complete, [SweepStore(out).read_error(i) for i in report.failed_ids]
    table = analyze(out, figures=False)
    assert len(table) == 2 and table["mean"].between(0, 1).all()
