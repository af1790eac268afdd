"""Reliability (issue 15): every user mistake is a one-line error before any work, file-system
failures are reported as such with nothing half-written, a sweep never says "done" with runs
missing, lost runs are retried, and `cbec analyze` trusts nothing in the sweep folder.

Each failure has a fault-injection test: real read-only and full file systems (tmpfs mounted in
a user namespace, when ``unshare`` allows it), test doubles for a disk filling up mid-sweep,
executors that lose futures, worker processes that die, and a real Dask scheduler and worker
killed mid-sweep. They use the fast stand-ins of ``tests/fake_model.py``.
"""

from __future__ import annotations

import concurrent.futures as cf
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # worker processes import tests.fake_model from the project root
    sys.path.insert(0, str(ROOT))

from experiments import claims  # noqa: E402
from experiments import storage as storage_module  # noqa: E402
from experiments.calibrate import check as calibrate_check  # noqa: E402
from experiments.cli import main  # noqa: E402
from experiments.design import plan_sweep  # noqa: E402
from experiments.runner import (  # noqa: E402
    MAX_LOST,
    InProcess,
    ProcessPool,
    _DaskExecutor,
    run_sweep,
)
from experiments.spec import SpecError, fingerprint_of, parse_spec  # noqa: E402
from experiments.storage import StorageError, SweepStore, check_output_dir  # noqa: E402
from model.parameters import ParameterError  # noqa: E402
from tests.fake_model import CRASH_ONCE_DIR  # noqa: E402

ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}


def spec_text(*, function: str = "simulate", values: str = "[0.2, 0.6]", replications: int = 2,
              extra: str = "", design: str = 'kind = "grid"', seed: int = 3) -> str:
    return textwrap.dedent(f"""\
        name = "rel"
        replications = {replications}
        seed = {seed}
        {extra}
        [base]
        household_scale = 0.002
        months = 6
        [design]
        {design}
        [parameters.pickup_coverage]
        values = {values}
        [outputs]
        keep = ["adoption_share"]
        [run]
        function = "tests.fake_model:{function}"
        """)


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run `argv`: exit 2, and stderr is exactly one line `error: ...`, no traceback."""
    assert main(argv) == 2, argv
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def run_files(out: Path) -> dict[str, Path]:
    return {p.name[: -len(".parquet")]: p for p in (out / "runs").glob("*.parquet")}


# ------------------------------------------------------------- 1. one-line errors, no work


def bad_invocations(tmp: Path) -> list[tuple[list[str], str]]:
    """(argv, what the message says) for mistakes of every kind; run in `tmp`."""
    spec = write(tmp / "spec.toml", spec_text())
    afile = write(tmp / "afile", "x")
    out = str(tmp / "out")
    posterior = {
        "empty.csv": "",
        "header.csv": "awareness_initial,peer_effect\n",
        "other.csv": "a,b\n1,2\n",
        "text.csv": "awareness_initial\nlots\n",
        "range.csv": "peer_effect\n-3\n",
        "typo.csv": "point,awareness_initial,peer_efect,distance,fact_haul_km\n0,0.1,0.2,1,2\n",
    }
    for name, text in posterior.items():
        write(tmp / name, text)
    jsons = {"deep.json": '{"a":' * 50_000 + "1" + "}" * 50_000,
             "list.json": '{"months": [24]}', "m12.json": '{"months": 12}',
             "y2023.json": '{"start_year": 2023}', "scale.json": '{"household_scale": 0.002}'}
    for name, text in jsons.items():
        write(tmp / name, text)
    specs = {
        "builtin": spec_text().replace("tests.fake_model:simulate", "builtins:len"),
        "class": spec_text(function="NotAFunction"),
        "constant": spec_text(function="FAIL_ABOVE"),
        "signature": spec_text(function="takes_one_argument"),
        "sobol": spec_text(design='kind = "sobol"\nsamples = 67108864',
                           values="[0.2, 0.6]").replace("values = [0.2, 0.6]",
                                                        "range = [0.2, 0.6]"),
        "reps": spec_text(replications=100_000_000),
        "steps": spec_text().replace("values = [0.2, 0.6]",
                                     "range = [0.1, 0.9]\nsteps = 100000000"),
        "window": spec_text().replace('keep = ["adoption_share"]',
                                      'keep = ["adoption_share"]\nfinal = "mean"\nwindow = 1000'),
        "inf": spec_text(extra="timeout = inf"),
        "nested": 'name = "x"\nseed = ' + "[" * 5000 + "]" * 5000 + "\n",
        "keep": spec_text().replace("tests.fake_model:simulate", "model.run:simulate")
        .replace('keep = ["adoption_share"]', 'keep = ["adoption_share", "adoption_shares"]'),
    }
    path = {k: write(tmp / f"{k}.toml", v) for k, v in specs.items()}
    folder = tmp / "folder"
    folder.mkdir()
    latin = tmp / "latin1"  # not UTF-8 text
    latin.write_bytes("café".encode("latin-1"))
    small = ["--scale", "0.002"]
    values = "allowed: a JSON file of parameter values"
    return [
        (["calibrate", "--check", "--out", out, "--params", str(folder)],
         f"--params '{folder}' is a directory, not a file; {values}"),
        (["calibrate", "--check", "--out", out, "--params", str(tmp / "nope.json")],
         f"--params '{tmp / 'nope.json'}' not found; {values}"),
        (["calibrate", "--check", "--out", out, "--params", str(latin)],
         f"--params '{latin}' is not UTF-8 text (byte 0xe9 at position 3); {values}"),
        (["calibrate", "--check", "--out", out, "--params", afile],
         f"--params '{afile}' is not valid JSON (Expecting value"),
        (["calibrate", "--out", out, "--box", str(folder)],
         "is a directory, not a file; allowed: a JSON file of parameter ranges"),
        (["sweep", str(latin), "--out", out], f"spec file '{latin}' is not UTF-8 text (byte "
         "0xe9 at position 3); allowed: the path of a TOML spec file"),
        (["claims", "--out", out, "--posterior", str(folder)],
         "is a directory, not a file; allowed: a posterior.csv from `cbec calibrate`"),
        (["claims", "--out", out, "--posterior", str(latin)],
         "is not UTF-8 text (byte 0xe9 at position 3); allowed: a posterior.csv"),
        (["run", "baseline", "--out", afile, *small], "is a file, not a directory"),
        (["run", "baseline", "--out", f"{afile}/sub", *small], "is a file, so no directory"),
        (["sweep", spec, "--out", afile, "--workers", "0"], "is a file, not a directory"),
        (["claims", "--out", afile, "--months", "48"], "is a file, not a directory"),
        (["calibrate", "--check", "--out", afile], "is a file, not a directory"),
        (["run", "baseline", "--out", "/proc/cbec-test", *small], "pseudo file system (proc)"),
        (["sweep", spec, "--out", "/proc/cbec-test", "--workers", "0"], "pseudo file system"),
        (["run", "baseline", "--out", "", *small], "--out is empty"),
        (["sweep", spec, "--out", "", "--workers", "0"], "--out is empty"),
        (["claims", "--out", " ", "--months", "48"], "--out is empty"),
        (["analyze", ""], "DIR is empty"),
        (["calibrate", "--check", "--out", out, "--params", str(tmp / "deep.json")],
         "nested too deeply"),
        (["calibrate", "--check", "--out", out, "--params", str(tmp / "list.json")],
         "'months' = a JSON list is not allowed"),
        (["calibrate", "--check", "--out", out, "--params", str(tmp / "m12.json")],
         "months = 12 is too short for the calibration check"),
        (["calibrate", "--check", "--out", out, "--params", str(tmp / "y2023.json")],
         "start_year = 2023 is not allowed"),
        (["calibrate", "--check", "--out", out, "--scale", "0.003", "--params",
          str(tmp / "scale.json")], "both set 'household_scale'"),
        (["calibrate", "--out", out, "--params", str(tmp / "m12.json")],
         "--params is for --check"),
        (["calibrate", "--out", out, "--samples", "10000000"], "at most 1,000,000 runs"),
        (["calibrate", "--out", out, "--rounds", "1000000000"],
         "--rounds 1000000000 is not allowed; allowed: 1 to 20"),
        (["claims", "--out", out, "--months", "12"], "--months 12 is too short for the claims"),
        (["claims", "--out", out, "--replications", "1000000"], "at most 1,000,000 runs"),
        (["claims", "--out", out, "--posterior", str(tmp / "empty.csv")], "is empty"),
        (["claims", "--out", out, "--posterior", str(tmp / "header.csv")],
         "has a header but no rows"),
        (["claims", "--out", out, "--posterior", str(tmp / "other.csv")],
         "no fitted-parameter columns"),
        (["claims", "--out", out, "--posterior", str(tmp / "text.csv")],
         "awareness_initial = 'lots' (row 1) is not allowed"),
        (["claims", "--out", out, "--posterior", str(tmp / "range.csv")],
         "row 1: parameter 'peer_effect' = -3.0 is out of range"),
        (["claims", "--out", out, "--posterior", str(tmp / "nope.csv")], "nope.csv' not found"),
        (["claims", "--out", out, "--posterior", str(tmp / "typo.csv")],
         "column 'peer_efect' is not a fitted parameter (did you mean 'peer_effect'?)"),
        (["sweep", path["builtin"], "--out", out], "is a built-in function"),
        (["sweep", path["class"], "--out", out], "is a class, not a Python function"),
        (["sweep", path["constant"], "--out", out], "is not callable"),
        (["sweep", path["signature"], "--out", out], "cannot be called as function(params"),
        (["sweep", path["sobol"], "--out", out], "268,435,456 points x 2 replications"),
        (["sweep", path["reps"], "--out", out], "allowed: at most 1,000,000 runs"),
        (["sweep", path["steps"], "--out", out], "100,000,000 points"),
        (["sweep", spec, "--out", out, "--max-runs", "3"], "= 4 runs; allowed: at most 3"),
        (["sweep", path["window"], "--out", out], "window = 1000 is longer than the run"),
        (["sweep", path["inf"], "--out", out], "'timeout' = inf is not allowed"),
        (["sweep", spec, "--out", out, "--timeout", "inf"], "--timeout inf is not allowed"),
        (["sweep", spec, "--out", out, "--timeout", "1e9"], "at most 2,592,000 (30 days)"),
        (["sweep", path["nested"], "--out", out], "nested too deeply"),
        (["sweep", str(tmp), "--out", out], f"spec file '{tmp}' is a directory, not a spec"),
        (["sweep", "", "--out", out], "the spec file path is empty"),
        (["sweep", path["keep"], "--out", out],
         "keep names 'adoption_shares', which the model does not produce (did you mean"),
        (["run", "baseline", "--out", out, "--set", "months=12", "--months", "24"],
         "--months 24 and --set months=12 both set 'months'"),
        (["run", "baseline", "--out", out, "--set", "household_scale=0.002", "--scale", "0.003"],
         "both set 'household_scale'"),
        (["run", "baseline", "--out", out, "--set", "months=12", "--set", "months=24"],
         "both set 'months'"),
    ]


def test_every_mistake_is_one_line_and_nothing_runs(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    cases = bad_invocations(tmp_path)
    before = files_under(tmp_path)
    started = time.monotonic()
    for argv, message in cases:
        err = one_line_error(capsys, argv)
        assert message in err, (argv, err)
    assert time.monotonic() - started < 30  # oversized designs are refused, not sampled
    assert files_under(tmp_path) == before  # nothing written anywhere
    assert not Path("/proc/cbec-test").exists()


def test_the_python_api_refuses_the_same_mistakes(tmp_path: Path) -> None:
    spec = parse_spec(spec_text())
    with pytest.raises(StorageError, match="is empty"):
        run_sweep(spec, "", InProcess(), progress=False)
    with pytest.raises(SpecError, match="at most 3 runs"):
        plan_sweep(spec, "v", max_runs=3)
    with pytest.raises(SpecError, match=r"window = 7 is longer than the shortest run \(6"):
        parse_spec(spec_text().replace("months = 6\n", "").replace(
            "[parameters.pickup_coverage]", "[parameters.months]\nvalues = [6, 12]\n"
            "[parameters.pickup_coverage]").replace(
            'keep = ["adoption_share"]', 'keep = ["adoption_share"]\nfinal = "mean"\nwindow = 7'))
    with pytest.raises(ParameterError, match="too short for the calibration check"):
        calibrate_check(tmp_path / "c", {"months": 12}, seeds=1)
    from experiments.calibrate import fit
    from model.run import simulate

    with pytest.raises(SpecError, match=r"spec = 'x.toml' \(str\) is not allowed.*load_spec"):
        run_sweep("x.toml", tmp_path / "o", InProcess(), progress=False)  # type: ignore[arg-type]
    for params in ([1, 2], "household_scale=0.002", 3):
        with pytest.raises(ParameterError, match=rf"params = .* \({type(params).__name__}\) is "
                           "not allowed; allowed: a dict"):
            simulate(params)  # type: ignore[arg-type]

    for rounds in (0, 21):
        with pytest.raises(ParameterError, match=f"rounds = {rounds} is not allowed"):
            fit(tmp_path / "r", samples=1, seeds=1, rounds=rounds)
    with pytest.raises(ParameterError, match="too short for the claims"):
        claims.run_claims(tmp_path / "k", replications=1, months=47)
    with pytest.raises(StorageError, match="is a file"):
        check_output_dir(write(tmp_path / "f", "x"))
    assert claims.min_months() == 48
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


def test_the_python_api_names_the_output_folder_not_a_cli_option(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Called from code, the messages name `out` and `into` neutrally; the CLI names --out."""
    from experiments.analysis import analyze_sweep

    out = tmp_path / "out"
    run_sweep(parse_spec(spec_text()), out, InProcess(), progress=False, quiet=True)
    other = parse_spec(spec_text(replications=3))
    messages = []
    for call in (lambda: run_sweep(other, out, InProcess(), progress=False),
                 lambda: SweepStore(""),
                 lambda: check_output_dir(write(tmp_path / "f", "x")),
                 lambda: analyze_sweep(out, write=True, into=out),
                 lambda: analyze_sweep(out, write=True, into=" ")):
        with pytest.raises(StorageError) as caught:
            call()
        messages.append(str(caught.value))
    assert "different spec" in messages[0] and "Give another output folder" in messages[0]
    assert messages[1].startswith("output folder: the path is empty; allowed:")
    assert messages[2].startswith(f"output folder '{tmp_path / 'f'}' is a file")
    assert messages[3].startswith(f"analysis folder '{out}' is the sweep folder")
    assert messages[4].startswith("analysis folder is empty")
    assert not [m for m in messages if "--out" in m or "--analysis-out" in m], messages
    spec = write(tmp_path / "other.toml", spec_text(replications=3))
    err = one_line_error(capsys, ["sweep", spec, "--out", str(out), "--workers", "0"])
    assert "Give another --out" in err


# ------------------------------------------------------------------ 1. file-system failures

NAMESPACE_SCRIPT = textwrap.dedent("""\
    import contextlib, io, json, os, shutil, subprocess, sys
    sys.path.insert(0, sys.argv[2])
    from experiments.cli import main
    tmp, spec, big = sys.argv[1], sys.argv[3], sys.argv[4]

    def mount(name, options):
        path = os.path.join(tmp, name)
        os.makedirs(path, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", path], check=True)
        return path

    def cbec(*argv):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(list(argv))
        return [code, err.getvalue()]

    results = {}
    ro = mount("ro", "ro,size=4m")
    results["sweep_ro"] = cbec("sweep", spec, "--out", ro + "/out", "--workers", "0")
    results["run_ro"] = cbec("run", "baseline", "--out", ro + "/out", "--scale", "0.002")
    full = mount("full", "size=64k")
    with open(full + "/filler", "wb") as fh:
        fh.write(bytes(60 * 1024))
    results["sweep_full"] = cbec("sweep", spec, "--out", full + "/out", "--workers", "0")
    def fill(path, kilobytes):  # leave just over the 1 MiB an output directory needs
        with open(path + "/filler", "wb") as fh:
            fh.write(bytes(kilobytes * 1024))

    # a real disk that fills up while `cbec run` writes (300 KB a scenario)
    small = mount("small", "size=1200k")
    fill(small, 100)
    results["run_fills"] = cbec("run", "baseline", "pickup_80", "threshold_500k",
                                "full_package", "--out", small + "/out", "--scale", "0.002",
                                "--months", "3")
    results["run_fills_left"] = {name: sorted(os.listdir(small + "/out/" + name))
                                 for name in os.listdir(small + "/out")}
    # ... and while a sweep writes its runs (a 4 KB page each)
    sweep_disk = mount("sweepdisk", "size=1200k")
    fill(sweep_disk, 140)
    results["sweep_fills"] = cbec("sweep", big, "--out", sweep_disk + "/out", "--workers", "0",
                                  "--no-progress")
    runs = os.listdir(sweep_disk + "/out/runs")
    results["sweep_fills_runs"] = [len([r for r in runs if r.endswith(".parquet")]),
                                   [r for r in runs if not r.endswith(".parquet")]]
    # a finished sweep on a file system that became read-only
    done = mount("done", "size=4m")
    results["sweep_ok"] = cbec("sweep", spec, "--out", done + "/out", "--workers", "0",
                               "--no-progress")
    subprocess.run(["mount", "-o", "remount,ro", done], check=True)
    results["analyze_ro"] = cbec("analyze", done + "/out", "--no-figures")
    results["analyze_elsewhere"] = cbec("analyze", done + "/out", "--no-figures",
                                        "--analysis-out", os.path.join(tmp, "analysis"))
    print(json.dumps(results))
    """)


def test_real_read_only_and_full_file_systems(tmp_path: Path) -> None:
    """tmpfs mounts in a user namespace: read-only, full, and filling up mid-write."""
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-r", "-m", "true"],
                                         capture_output=True).returncode != 0:
        pytest.skip("needs unshare -r -m (user and mount namespaces) for real tmpfs mounts")
    spec = write(tmp_path / "spec.toml", spec_text())
    big = write(tmp_path / "big.toml", spec_text(
        replications=1, values="[" + ", ".join(f"{i / 400:.4f}" for i in range(400)) + "]"))
    script = write(tmp_path / "ns.py", NAMESPACE_SCRIPT)
    done = subprocess.run([unshare, "-r", "-m", sys.executable, script, str(tmp_path), str(ROOT),
                           spec, big], capture_output=True, text=True, timeout=120, env=ENV,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    r = json.loads(done.stdout.strip().splitlines()[-1])
    for key in ("sweep_ro", "run_ro"):
        code, err = r[key]
        assert code == 2 and "read-only file system" in err and err.count("\n") == 1, (key, err)
    code, err = r["sweep_full"]
    assert code == 2 and "no space left on the device" in err, err
    code, err = r["run_fills"]
    assert code == 2 and "no space left on the device" in err and "Traceback" not in err, err
    left = r["run_fills_left"]  # whole scenario folders only: no temporary or partial ones
    assert 1 <= len(left) < 4 and not [name for name in left if name.startswith(".")]
    # a scenario's 11 files: 3 tables, fiscal csv, budgets, the reality check (csv, text),
    # params and 3 plots
    assert all(len(files) == 11 for files in left.values()), left
    code, err = r["sweep_fills"]
    assert code == 1 and "no space left on the device" in err and "resume" in err, err
    written, others = r["sweep_fills_runs"]
    assert 10 < written < 400 and others == []  # stopped part-way, no temporary files
    assert r["sweep_ok"][0] == 0
    code, err = r["analyze_ro"]
    assert code == 2 and "read-only file system" in err and "--analysis-out" in err, err
    assert r["analyze_elsewhere"][0] == 0
    assert (tmp_path / "analysis" / "summary.csv").is_file()


def full_after(count: int) -> tuple[list[int], object]:
    """A stand-in for `storage._write_all` that fails with ENOSPC from the `count`-th run file
    on, like a disk filling up (manifest and design writes go through)."""
    calls = [0]
    real = storage_module._write_all

    def write_all(fh: object, data: bytes) -> None:
        if b"PAR1" == data[:4]:  # a Parquet file: the design, then run files
            calls[0] += 1
            if calls[0] > count:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(fh, data)

    return calls, write_all


def test_a_disk_filling_up_mid_sweep_stops_it_cleanly_and_it_resumes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    spec = write(tmp_path / "spec.toml", spec_text(values="[0.1, 0.2, 0.3, 0.4, 0.5]"))
    out = tmp_path / "out"
    _, write_all = full_after(4)  # the design and three runs fit
    monkeypatch.setattr(storage_module, "_write_all", write_all)
    assert main(["sweep", spec, "--out", str(out), "--workers", "0", "--no-progress"]) == 1
    captured = capsys.readouterr()
    assert "incomplete, 3 of 10 runs finished" in captured.out
    assert f"error: the sweep stopped: cannot write '{out / 'runs'}{os.sep}" in captured.err
    assert ".parquet': no space left on the device" in captured.err and "resume" in captured.err
    assert sorted(p.name for p in (out / "runs").iterdir() if not p.name.endswith(
        ".parquet")) == []  # no temporary or error files
    assert len(run_files(out)) == 3
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"]["state"] == "incomplete"
    assert manifest["invocations"][-1]["status"] == "aborted"
    monkeypatch.undo()  # space freed
    assert main(["sweep", spec, "--out", str(out), "--workers", "0", "--no-progress"]) == 0
    assert "done, 10 of 10 runs finished" in capsys.readouterr().out


def test_a_full_disk_while_writing_a_scenario_leaves_nothing_half_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from experiments import report

    def no_space(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp_path / "x.png"))

    monkeypatch.setattr(report, "plot_core_periphery", no_space)
    out = tmp_path / "out"
    assert main(["run", "baseline", "--out", str(out), "--scale", "0.002", "--months", "2"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("running baseline") and len(err) == 2, err  # progress, then error
    assert err[-1].startswith("error: cannot write") and "no space left on the device" in err[-1]
    assert list(out.iterdir()) == []
    # a write that fails without naming its file (os.write, pyarrow) is given the path
    monkeypatch.setattr(report, "plot_core_periphery",
                        lambda *a, **k: (_ for _ in ()).throw(OSError(errno.ENOSPC, "full")))
    assert main(["run", "baseline", "--out", str(out), "--scale", "0.002", "--months", "2"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith(f"error: cannot write '{out / 'baseline'}': no space left on the "
                              "device"), err
    assert list(out.iterdir()) == []


def test_statvfs_saying_the_disk_is_full_is_refused_before_work(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.statvfs

    class Full:
        def __init__(self, path: str) -> None:
            stat = real(path)
            self.f_frsize, self.f_files, self.f_favail = stat.f_frsize, stat.f_files, 1
            self.f_bavail = 0

    monkeypatch.setattr(storage_module.os, "statvfs", Full)
    spec = write(tmp_path / "spec.toml", spec_text())
    err = one_line_error(capsys, ["sweep", spec, "--out", str(tmp_path / "o"), "--workers", "0"])
    assert "no space left on the device" in err and "(0 bytes free)" in err
    assert not (tmp_path / "o").exists()


# ------------------------------------------------- 2. a sweep is done only when it is done


class LosingExecutor(cf.Executor):
    """Runs tasks in threads, but loses (cancels) the first `lose` attempts of every run, as a
    cluster that drops work would."""

    def __init__(self, lose: int) -> None:
        self.inner = cf.ThreadPoolExecutor(2)
        self.lose = lose
        self.attempts: dict[str, int] = {}

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
        run = args[0].run_id
        self.attempts[run] = self.attempts.get(run, 0) + 1
        if self.attempts[run] <= self.lose:
            future: cf.Future = cf.Future()
            future.cancel()
            return future
        return self.inner.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.inner.shutdown(wait=wait, cancel_futures=cancel_futures)


def test_lost_futures_are_counted_and_retried(tmp_path: Path) -> None:
    spec = parse_spec(spec_text(values="[0.2, 0.4, 0.6]"))
    executors: list[LosingExecutor] = []

    def factory() -> LosingExecutor:
        executors.append(LosingExecutor(lose=MAX_LOST - 1))
        return executors[-1]

    report = run_sweep(spec, tmp_path / "out", factory, progress=False)
    assert report.complete and report.state == "done, 6 of 6 runs finished"
    assert report.lost == 6 * (MAX_LOST - 1) and report.failed == 0
    assert set(executors[0].attempts.values()) == {MAX_LOST}


def test_a_sweep_that_loses_every_run_never_says_done(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import experiments.cli as cli

    monkeypatch.setattr(cli, "executor_factory", lambda args: lambda: LosingExecutor(lose=99))
    spec = write(tmp_path / "spec.toml", spec_text())
    out = tmp_path / "out"
    assert main(["sweep", spec, "--out", str(out), "--no-progress"]) == 1
    captured = capsys.readouterr()
    assert "incomplete, 0 of 4 runs finished (4 failed, 0 not run)" in captured.out
    assert "analyse with" not in captured.out and "4 runs failed" in captured.err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"]["state"] == "incomplete"
    assert manifest["status"]["summary"].startswith("incomplete, 0 of 4")
    error = SweepStore(out).read_error(next(iter(SweepStore(out).failed_ids())))
    assert error["type"] == "RunLost" and error["lost"] == MAX_LOST


class RefusingExecutor(cf.ThreadPoolExecutor):
    """An executor whose submit raises `error` (a broken pool, a closed client)."""

    def __init__(self, error: Exception) -> None:
        super().__init__(1)
        self.error = error

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise self.error


def test_a_pool_found_broken_on_submit_is_replaced_and_a_refusal_ends_the_sweep(
        tmp_path: Path) -> None:
    spec = parse_spec(spec_text())
    made: list[cf.Executor] = []

    def factory() -> cf.Executor:
        made.append(RefusingExecutor(cf.BrokenExecutor("dead")) if not made
                    else cf.ThreadPoolExecutor(2))
        return made[-1]

    report = run_sweep(spec, tmp_path / "a", factory, progress=False, quiet=True)
    assert report.complete and report.replaced_pools == 1 and report.lost == 0
    report = run_sweep(spec, tmp_path / "b", lambda: RefusingExecutor(RuntimeError("closed")),
                       progress=False, quiet=True)
    assert report.aborted and "the executor refused a run (RuntimeError: closed)" in (
        report.aborted)
    assert not report.complete and report.state.startswith("incomplete, 0 of 4")


def test_a_worker_that_dies_once_is_replaced_and_its_run_redone(tmp_path: Path) -> None:
    seed = time.time_ns() % 2**31  # fresh crash markers for this test
    spec = parse_spec(spec_text(function="simulate_crash_once", values="[0.2, 0.9, 0.4]",
                                replications=1, seed=seed))
    try:
        report = run_sweep(spec, tmp_path / "out", ProcessPool(2), progress=False)
    finally:
        for marker in CRASH_ONCE_DIR.glob("*"):
            marker.unlink(missing_ok=True)
    assert report.complete and report.replaced_pools >= 1 and report.lost >= 1
    assert (report.finished, report.failed) == (3, 0)


# ------------------------------------------ 2, 3. resume and analysis verify every run file


def test_damaged_and_swapped_run_files_are_refused_then_redone(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write(tmp_path / "spec.toml", spec_text(values="[0.2, 0.4, 0.6]"))
    out = tmp_path / "out"
    assert main(["sweep", spec, "--out", str(out), "--workers", "0", "--no-progress"]) == 0
    files = run_files(out)
    original = {rid: p.read_bytes() for rid, p in files.items()}
    a, b, c, d = sorted(files)[:4]
    files[a].write_bytes(original[a][: len(original[a]) // 2])  # truncated
    files[b].write_bytes(original[c])  # swapped by name
    files[c].write_bytes(original[b])
    files[d].write_bytes(os.urandom(2000))  # random bytes
    capsys.readouterr()
    err = one_line_error(capsys, ["analyze", str(out), "--no-figures"])
    assert "4 run files are damaged or do not match the design" in err
    assert "is not a readable Parquet file" in err and "and 1 more" in err  # 3 are named
    assert (f"holds run {c}, not {b} (renamed or swapped" in err
            or f"holds run {b}, not {c} (renamed or swapped" in err)
    assert not (out / "analysis").exists()

    assert main(["sweep", spec, "--out", str(out), "--workers", "0", "--no-progress"]) == 0
    captured = capsys.readouterr()
    assert "done, 6 of 6 runs finished" in captured.out
    assert "4 damaged or mismatched run files were set aside" in captured.err
    assert len(list((out / "rejected").iterdir())) == 4
    assert {rid: p.read_bytes() for rid, p in run_files(out).items()} == original
    assert main(["analyze", str(out), "--no-figures"]) == 0


def test_an_empty_run_file_and_edited_parameters_are_refused_then_redone(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write(tmp_path / "spec.toml", spec_text())
    out = tmp_path / "out"
    assert main(["sweep", spec, "--out", str(out), "--workers", "0", "--no-progress"]) == 0
    files = run_files(out)
    original = {rid: p.read_bytes() for rid, p in files.items()}
    empty, edited = sorted(files)[:2]
    files[empty].write_bytes(b"")  # zero bytes: a file created but never written
    table = pd.read_parquet(files[edited])
    table["param.pickup_coverage"] = 0.99  # its stored parameters changed
    table.to_parquet(files[edited], index=False)
    capsys.readouterr()
    err = one_line_error(capsys, ["analyze", str(out), "--no-figures"])
    assert "2 run files are damaged or do not match the design" in err
    assert f"runs/{empty}.parquet is not a readable Parquet file" in err
    assert f"runs/{edited}.parquet has pickup_coverage = [0.99], but the design says" in err
    assert not (out / "analysis").exists()
    assert main(["sweep", spec, "--out", str(out), "--workers", "0", "--no-progress"]) == 0
    captured = capsys.readouterr()
    assert "2 damaged or mismatched run files were set aside" in captured.err
    assert sorted(p.name for p in (out / "rejected").iterdir()) == sorted(
        f"{rid}.parquet" for rid in (empty, edited))
    assert (out / "rejected" / f"{empty}.parquet").stat().st_size == 0
    assert {rid: p.read_bytes() for rid, p in run_files(out).items()} == original
    assert main(["analyze", str(out), "--no-figures"]) == 0


def test_a_runs_path_that_is_a_file_or_missing_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write(tmp_path / "spec.toml", spec_text())
    out = tmp_path / "out"
    assert main(["sweep", spec, "--out", str(out), "--workers", "0", "--no-progress"]) == 0
    shutil.rmtree(out / "runs")
    write(out / "runs", "not a folder")
    before = files_under(out)
    capsys.readouterr()
    for argv in (["sweep", spec, "--out", str(out), "--workers", "0"],
                 ["analyze", str(out), "--no-figures"]):
        err = one_line_error(capsys, argv)
        assert f"'{out / 'runs'}' is a file, where a sweep needs a folder for its run files; " \
               "allowed: a folder" in err, err
    assert files_under(out) == before  # no analysis, no manifest update
    (out / "runs").unlink()
    err = one_line_error(capsys, ["analyze", str(out), "--no-figures"])
    assert f"'{out / 'runs'}' is missing" in err and "redo the runs" in err
    assert not (out / "analysis").exists()


def test_stray_files_in_runs_are_named_and_ignored(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write(tmp_path / "spec.toml", spec_text())
    out = tmp_path / "out"
    assert main(["sweep", spec, "--out", str(out), "--workers", "0", "--no-progress"]) == 0
    first = next(iter(run_files(out).values()))
    shutil.copy(first, out / "runs" / f"{'0' * 16}.parquet")  # not a run of this design
    write(out / "runs" / "notes.txt", "mine")
    capsys.readouterr()
    assert main(["analyze", str(out), "--no-figures"]) == 0
    err = capsys.readouterr().err
    assert (f"note: runs/ holds 2 files that are not runs of this design: {'0' * 16}.parquet, "
            "notes.txt (ignored)") in err, err
    summary = pd.read_csv(out / "analysis" / "summary.csv")
    assert set(summary["n"]) == {2}  # the stray run is not counted
    assert main(["sweep", spec, "--out", str(out), "--workers", "0", "--no-progress"]) == 0
    assert "holds 2 files that are not runs of this design" in capsys.readouterr().err
    assert (out / "runs" / "notes.txt").read_text() == "mine"


def test_a_manifest_without_status_counts_as_incomplete(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """After kill -9 or a full disk the final manifest write never happens: no `status`."""
    spec = write(tmp_path / "spec.toml", spec_text())
    out = tmp_path / "out"
    with monkeypatch.context() as patch:
        patch.setattr(SweepStore, "finish_invocation", lambda self, *a, **k: None)
        main(["sweep", spec, "--out", str(out), "--workers", "0", "--no-progress"])
    manifest = json.loads((out / "manifest.json").read_text())
    assert "status" not in manifest and "status" not in manifest["invocations"][-1]
    assert storage_module.recorded_status(manifest)[0] == "incomplete"
    next(iter(run_files(out).values())).unlink()  # and a run did not finish
    capsys.readouterr()
    assert main(["analyze", str(out), "--no-figures"]) == 0
    err = capsys.readouterr().err
    assert ("note: the manifest records no status: the sweep was stopped before it could "
            "record how it ended (kill -9, a power cut or a full disk), so it counts as "
            "incomplete") in err, err
    assert "1 of 4 runs have not run yet" in err
    assert main(["sweep", spec, "--out", str(out), "--workers", "0", "--no-progress"]) == 0
    captured = capsys.readouterr()
    assert "records no status" in captured.err and "done, 4 of 4 runs finished" in captured.out
    manifest = json.loads((out / "manifest.json").read_text())
    assert storage_module.recorded_status(manifest) == ("done", None)
    assert main(["analyze", str(out), "--no-figures"]) == 0
    assert "status" not in capsys.readouterr().err


def forge(out: Path, edit) -> None:  # type: ignore[no-untyped-def]
    """Edit the manifest and recompute its spec fingerprint, as a careful forger would."""
    manifest = json.loads((out / "manifest.json").read_text())
    edit(manifest)
    manifest["spec_fingerprint"] = fingerprint_of(manifest["spec"])
    (out / "manifest.json").write_text(json.dumps(manifest))


def test_analyze_trusts_neither_manifest_nor_design(tmp_path: Path) -> None:
    spec = parse_spec(spec_text(values="[0.2, 0.4, 0.6, 0.8]"))
    good = tmp_path / "good"
    run_sweep(spec, good, InProcess(), progress=False)

    def case(name: str):  # type: ignore[no-untyped-def]
        target = tmp_path / name
        shutil.copytree(good, target)
        return target

    def refused(out: Path, message: str) -> None:
        from experiments.analysis import analyze_sweep

        with pytest.raises(StorageError, match=message):
            analyze_sweep(out, write=False)

    out = case("empty")
    (out / "manifest.json").write_text("{}")
    refused(out, "not a valid sweep manifest: 'format' is missing")
    out = case("list")
    (out / "manifest.json").write_text("[]")
    refused(out, "expected a JSON object, got list")
    out = case("renamed")
    text = (out / "manifest.json").read_text().replace('"pickup_coverage"', '"pickup_cov"')
    (out / "manifest.json").write_text(text)
    refused(out, "its spec does not match its spec_fingerprint")
    out = case("sobol")
    (out / "manifest.json").write_text((out / "manifest.json").read_text().replace(
        '"kind": "grid"', '"kind": "sobol"'))
    refused(out, "does not match its spec_fingerprint")
    out = case("sobol-forged")

    def to_sobol(m: dict) -> None:
        m["spec"]["design"] = {"kind": "sobol", "samples": 1, "second_order": False}
        m["design"]["kind"] = "sobol"
        m["spec"]["parameters"][0] = {"name": "pickup_coverage", "kind": "float",
                                      "range": [0.2, 0.8], "dist": "uniform"}

    forge(out, to_sobol)
    refused(out, "lacks the columns u.pickup_coverage")
    out = case("bogus-final")
    forge(out, lambda m: m["spec"]["outputs"].update(final="bogus"))
    refused(out, "outputs final 'bogus' is not allowed")
    out = case("values")
    forge(out, lambda m: m["spec"]["parameters"][0].update(values=[0.2, 0.4, 0.6, 0.9]))
    refused(out, "holds other design points than the manifest's spec gives")
    out = case("seeds")
    forge(out, lambda m: m["seeds"].update(replications=[1, 2]))
    refused(out, "replication seeds are not the ones its master seed spawns")
    out = case("no-design")
    (out / "design.parquet").unlink()
    refused(out, "design.parquet' is missing")
    out = case("bad-design")
    (out / "design.parquet").write_bytes(b"PAR1 not really")
    refused(out, "is not a readable design table")
    out = case("edited-design")
    table = pd.read_parquet(out / "design.parquet")
    table.loc[0, "run_id"] = "0" * 16
    table.to_parquet(out / "design.parquet")
    refused(out, "lists other run ids than the manifest records")
    # resuming rewrites a missing or damaged design table from the spec
    for name in ("no-design", "bad-design", "edited-design"):
        report = run_sweep(spec, tmp_path / name, InProcess(), progress=False)
        assert report.complete and report.submitted == 0
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / name / "design.parquet"),
                                      pd.read_parquet(good / "design.parquet"))


def test_analysis_out_never_deletes_what_the_analysis_did_not_write(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sweep"
    run_sweep(parse_spec(spec_text()), out, InProcess(), progress=False)
    sweep_files = files_under(out)
    mine = tmp_path / "mine"
    mine.mkdir()
    write(mine / "thesis.txt", "years of work")
    (tmp_path / "emptydir").mkdir()
    capsys.readouterr()
    for target, message in [(out, "is the sweep folder or holds it"),
                            (tmp_path, "is the sweep folder or holds it"),
                            (out / "runs", "is inside the sweep folder"),
                            (out / "new", "is inside the sweep folder"),
                            (mine, "already holds files that are not an analysis"),
                            ("", "--analysis-out is empty"),
                            (" ", "--analysis-out is empty")]:
        err = one_line_error(capsys, ["analyze", str(out), "--no-figures",
                                      "--analysis-out", str(target)])
        assert message in err, (target, err)
    assert files_under(out) == sweep_files
    assert files_under(mine) == {"thesis.txt"}
    old = os.umask(0o022)
    try:
        for target in (tmp_path / "new" / "a", tmp_path / "emptydir"):
            for _ in range(2):  # a previous analysis is replaced
                assert main(["analyze", str(out), "--no-figures", "--analysis-out",
                             str(target)]) == 0
                assert (target / "summary.csv").is_file() and (target / ".cbec-analysis").is_file()
            assert target.stat().st_mode & 0o777 == 0o755, oct(target.stat().st_mode)
        for _ in range(2):  # the default folder, and naming it explicitly
            assert main(["analyze", str(out), "--no-figures"]) == 0
            assert main(["analyze", str(out), "--no-figures", "--analysis-out",
                         str(out / "analysis")]) == 0
        assert (out / "analysis").stat().st_mode & 0o777 == 0o755
    finally:
        os.umask(old)
    assert sweep_files <= files_under(out)
    assert not [p for p in tmp_path.rglob(".*tmp")]


# ------------------------------------------------------ 2. a Dask cluster that goes away


def test_a_dask_cluster_losing_its_workers_or_scheduler_ends_the_sweep(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("distributed")
    import experiments.runner as runner

    monkeypatch.setattr(runner, "POLL_SECONDS", 0.5)  # check the cluster more often
    dask = Path(sys.executable).with_name("dask")
    if not dask.exists():
        pytest.skip("the dask command is not installed")
    address_file = tmp_path / "scheduler.json"
    logs = tmp_path / "logs"
    logs.mkdir()
    scheduler = subprocess.Popen([str(dask), "scheduler", "--host", "127.0.0.1", "--port", "0",
                                  "--no-dashboard", "--scheduler-file", str(address_file)],
                                 env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 start_new_session=True)
    workers: list[subprocess.Popen] = []

    def start_worker() -> None:
        """Start a worker and wait until the scheduler has registered it."""
        address = json.loads(address_file.read_text())["address"]
        log = logs / f"worker-{len(workers)}.log"
        with open(log, "w") as fh:
            workers.append(subprocess.Popen(
                [str(dask), "worker", address, "--nthreads", "1", "--nworkers", "1",
                 "--no-dashboard", "--host", "127.0.0.1", "--no-nanny"],
                env=ENV, stdout=fh, stderr=fh, start_new_session=True, cwd=ROOT))
        deadline = time.monotonic() + 60
        while "Registered to" not in log.read_text():
            assert time.monotonic() < deadline and workers[-1].poll() is None, log.read_text()
            time.sleep(0.05)

    def kill(process: subprocess.Popen) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def when_runs(out: Path, count: int, action) -> threading.Thread:  # type: ignore
        def watch() -> None:
            deadline = time.monotonic() + 60
            while len(run_files(out)) < count and time.monotonic() < deadline:
                time.sleep(0.05)
            action()

        thread = threading.Thread(target=watch, daemon=True)
        thread.start()
        return thread

    spec = parse_spec(spec_text(function="simulate_slow", replications=1,
                                values="[" + ", ".join(f"0.{i}" for i in range(1, 10)) + "]"))
    out = tmp_path / "out"
    try:
        deadline = time.monotonic() + 30
        while not address_file.exists():
            assert time.monotonic() < deadline and scheduler.poll() is None
            time.sleep(0.1)
        address = json.loads(address_file.read_text())["address"]
        factory = _factory(address, lost_after=2.0)
        start_worker()
        # every worker dies: the sweep ends within lost_after (plus a poll), saying so
        watcher = when_runs(out, 2, lambda: kill(workers[0]))
        started = time.monotonic()
        report = run_sweep(spec, out, factory, progress=False, quiet=True)
        watcher.join()
        assert report.aborted and "has no workers for 2 s" in report.aborted
        assert not report.complete and 2 <= report.verified < 9
        assert time.monotonic() - started < 30
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["status"]["state"] == "incomplete"
        assert manifest["invocations"][-1]["status"] == "aborted"
        # the scheduler dies: the same, and the finished runs are kept
        start_worker()
        before = report.verified
        watcher = when_runs(out, before + 2, lambda: kill(scheduler))
        started = time.monotonic()
        report = run_sweep(spec, out, factory, progress=False, quiet=True)
        watcher.join()
        assert report.aborted and "Dask scheduler" in report.aborted
        assert time.monotonic() - started < 40
        assert not report.complete and report.verified >= before + 2
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["status"]["summary"].startswith(f"incomplete, {report.verified} of 9")
    finally:
        for process in (scheduler, *workers):
            kill(process)
    # every run file on disk is whole and verified
    assert not SweepStore(out).verify_results(
        {rid: (s, v) for rid, (s, v) in _expected(spec, out).items()})


def test_a_scheduler_killed_at_the_default_lost_after_ends_the_sweep_cleanly(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`cbec sweep --scheduler` with the default lost_after: the client gives up reconnecting
    (status "closed") and then every call on it raises ClosedClientError, as after a kill -9
    of the scheduler. The sweep ends with the "scheduler lost" message and its status."""
    distributed = pytest.importorskip("distributed")
    from distributed.client import ClosedClientError

    class Inner:
        def __init__(self, client: Client) -> None:
            self.client = client

        def submit(self, fn, *args):  # type: ignore[no-untyped-def]
            if self.client.status != "running":
                raise ClosedClientError("client closed")
            future: cf.Future = cf.Future()
            if self.client.submitted < 2:
                future.set_result(fn(*args))
            else:  # the scheduler dies here: this run never comes back
                self.client.status = "closed"
            self.client.submitted += 1
            return future

        def shutdown(self, wait: bool = True) -> None:
            raise ClosedClientError("Can't cancel futures: the client is closed")

    class Client:
        def __init__(self, address: str, timeout: str) -> None:
            self.status, self.submitted = "running", 0
            self.scheduler = type("S", (), {"identity": None})()

        def get_executor(self, pure: bool) -> Inner:
            return Inner(self)

        def sync(self, function, **kwargs):  # type: ignore[no-untyped-def]
            if self.status != "running":
                raise ClosedClientError("closed")
            return {"n_workers": 1}

        def __enter__(self) -> Client:
            return self

        def __exit__(self, *exc: object) -> None:
            raise ClosedClientError("closing a client whose scheduler is gone")

    monkeypatch.setattr(distributed, "Client", Client)
    spec = write(tmp_path / "spec.toml", spec_text(values="[0.2, 0.4, 0.6]"))
    out = tmp_path / "out"
    capsys.readouterr()
    code = main(["sweep", spec, "--out", str(out), "--scheduler", "tcp://127.0.0.1:9",
                 "--no-progress"])
    captured = capsys.readouterr()
    assert code == 1 and "Traceback" not in captured.err, captured.err
    assert "lost the connection to the Dask scheduler" in captured.err, captured.err
    assert "incomplete, 2 of 6 runs finished" in captured.out, captured.out
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"]["summary"].startswith("incomplete, 2 of 6")


def _factory(address: str, lost_after: float):  # type: ignore[no-untyped-def]
    from experiments.runner import DaskCluster

    return DaskCluster(address, lost_after=lost_after)


def _expected(spec, out: Path):  # type: ignore[no-untyped-def]
    from experiments.runner import _expected as expected
    from experiments.storage import model_version

    return expected(plan_sweep(spec, model_version(spec.function)))


def test_dask_executor_status_without_a_cluster() -> None:
    """The health rule on a stand-in client: reconnecting or workerless is 'wait' until
    lost_after has passed, then 'lost'; a closed client is 'lost' at once."""

    class Client:
        status = "running"
        workers = 1

        def get_executor(self, pure: bool) -> None:
            return None

        def sync(self, function, **kwargs):  # type: ignore[no-untyped-def]
            return {"n_workers": self.workers}

        scheduler = type("S", (), {"identity": None})()

    client = Client()
    executor = _DaskExecutor(client, "test", lost_after=0.2)
    assert executor.status() == ("ok", None)
    client.status = "connecting"
    assert executor.status()[0] == "wait"
    time.sleep(0.25)
    state, message = executor.status()
    assert state == "lost" and "unreachable" in message and "0.2 s" in message
    client.status = "running"
    client.workers = 0
    executor._checked = 0.0
    assert executor.status()[0] == "wait"
    client.status = "closed"
    assert executor.status()[0] == "lost"
