"""Tests for the ``cbec`` command line (experiments/cli.py): each subcommand, and that every
user mistake prints ``error: ...`` and exits 2 without a traceback or any output written."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # worker processes import tests.fake_model from the project root
    sys.path.insert(0, str(ROOT))

from experiments.cli import main  # noqa: E402

SPEC = textwrap.dedent("""\
    name = "cli"
    replications = 2
    seed = 3
    [base]
    household_scale = 0.002
    months = 6
    [design]
    kind = "grid"
    [parameters.pickup_coverage]
    values = [0.2, 0.6]
    [outputs]
    keep = ["adoption_share"]
    [run]
    function = "tests.fake_model:simulate"
    """)


def spec_file(tmp_path: Path, text: str = SPEC) -> Path:
    path = tmp_path / "spec.toml"
    path.write_text(text, encoding="utf-8")
    return path


def user_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run `argv`, check it is a clean user error, return the message."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err
    return err


def test_sweep_then_analyze(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["sweep", str(spec_file(tmp_path)), "--out", str(out), "--workers", "0"]) == 0
    captured = capsys.readouterr()
    assert "4 of 4 runs finished" in captured.out and f"cbec analyze {out}" in captured.out
    assert "running 4 runs on this process" in captured.err
    assert main(["analyze", str(out), "--no-figures"]) == 0
    assert "summary.csv" in capsys.readouterr().out
    assert (out / "analysis" / "summary.csv").is_file()
    # again: nothing left to run
    assert main(["sweep", str(spec_file(tmp_path)), "--out", str(out), "--workers", "0"]) == 0
    assert "resuming: 4 runs already finished" in capsys.readouterr().err


def test_sweep_with_failures_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = SPEC.replace("fake_model:simulate", "fake_model:simulate_failing").replace(
        "[0.2, 0.6]", "[0.2, 0.9]")
    out = tmp_path / "out"
    assert main(["sweep", str(spec_file(tmp_path, text)), "--out", str(out), "--workers", "0",
                 "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "2 runs failed" in err and "--retry-failed" in err
    assert main(["analyze", str(out), "--no-figures"]) == 0
    assert "note: 2 of 4 runs failed" in capsys.readouterr().err


@pytest.mark.parametrize(("text", "message"), [
    ('name = "x"\n[design\n', "malformed TOML"),
    (SPEC.replace("pickup_coverage", "pickup_coverag"), "did you mean 'pickup_coverage'"),
    (SPEC.replace("[0.2, 0.6]", "[0.2, 1.6]"), "value 1.6 is outside"),
    (SPEC.replace("[0.2, 0.6]", "[3, 15]").replace("pickup_coverage", "coop_target_members"),
     "design point 0"),
    (SPEC.replace("fake_model:simulate", "fake_model:simulate_no_outcomes"),
     "returned no monthly outcomes"),
])
def test_sweep_rejects_bad_specs_and_writes_nothing(tmp_path: Path, text: str, message: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    err = user_error(capsys, ["sweep", str(spec_file(tmp_path, text)), "--out", str(out),
                              "--workers", "0"])
    assert message in err
    assert not out.exists()


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = str(spec_file(tmp_path))
    out = str(tmp_path / "out")
    assert "not found" in user_error(capsys, ["sweep", str(tmp_path / "nope.toml"), "--out",
                                              out])
    assert "--timeout 0 is not allowed; allowed: a number of seconds above 0" in user_error(
        capsys, ["sweep", spec, "--out", out, "--timeout", "0"])
    assert "--workers must be 0 or more" in user_error(
        capsys, ["sweep", spec, "--out", out, "--workers", "-1"])
    user_error(capsys, ["sweep", spec, "--out", out, "--workers", "2", "--dask-local", "2"])
    user_error(capsys, ["sweep", spec])  # --out missing
    assert "holds no sweep" in user_error(capsys, ["analyze", str(tmp_path)])
    assert "does not exist" in user_error(capsys, ["analyze", str(tmp_path / "none")])
    assert "unknown group" in user_error(capsys, ["params", "--group", "nope"])
    not_an_object = tmp_path / "list.json"
    not_an_object.write_text("[1, 2]", encoding="utf-8")
    assert "expected a JSON object" in user_error(
        capsys, ["calibrate", "--check", "--out", out, "--params", str(not_an_object)])
    assert not (tmp_path / "out").exists()


def test_run_validates_then_delegates_to_report(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    fake = types.ModuleType("experiments.report")
    fake.run_scenarios = lambda names, out, seed, overrides: calls.append(  # type: ignore
        (names, out, seed, overrides))
    monkeypatch.setitem(sys.modules, "experiments.report", fake)
    out = tmp_path / "run"
    assert main(["run", "baseline", "--out", str(out), "--seed", "4", "--scale", "0.002",
                 "--months", "6", "--set", "pickup_coverage=0.5",
                 "--set", "one_stop_platform=true", "--set", "reentry_months=12"]) == 0
    assert calls == [(["baseline"], out, 4, {"pickup_coverage": 0.5, "one_stop_platform": True,
                                             "reentry_months": 12, "household_scale": 0.002,
                                             "months": 6})]
    assert "unknown scenario 'baselin'" in user_error(capsys, ["run", "baselin", "--out",
                                                               str(out)])
    assert "did you mean 'pickup_coverage'" in user_error(
        capsys, ["run", "baseline", "--out", str(out), "--set", "pickup_coverag=0.5"])
    assert "'pickup_coverage' = 2.0 is out of range" in user_error(
        capsys, ["run", "baseline", "--out", str(out), "--set", "pickup_coverage=2"])
    assert "--set expects NAME=VALUE" in user_error(
        capsys, ["run", "baseline", "--out", str(out), "--set", "pickup_coverage"])
    assert "seed = -3 is not allowed; allowed: a whole number >= 0" in user_error(
        capsys, ["run", "baseline", "--out", str(out), "--seed", "-3"])
    assert "household_scale" in user_error(capsys, ["run", "baseline", "--out", str(out),
                                                    "--scale", "5"])
    assert len(calls) == 1


def test_params_and_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["params"]) == 0
    text = capsys.readouterr().out
    assert "pickup_coverage" in text and "allowed" in text
    assert main(["params", "--markdown", "--group", "policy"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("| name | group | default |") and lines[1].startswith("|---|")
    assert all(line.count(" | ") >= 6 for line in lines[2:]) and "policy" in lines[2]
    assert main(["scenarios"]) == 0
    assert capsys.readouterr().out.startswith("baseline")


def test_python_dash_m_experiments(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    ok = subprocess.run([sys.executable, "-m", "experiments", "--help"], cwd=ROOT, env=env,
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and "sweep" in ok.stdout and "analyze" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "experiments", "sweep", "missing.toml", "--out",
                          str(tmp_path / "o")], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=60)
    assert bad.returncode == 2 and bad.stderr.startswith("error: spec file 'missing.toml'")
    assert "Traceback" not in bad.stderr
