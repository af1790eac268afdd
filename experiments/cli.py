"""The ``cbec`` command line: run scenarios, run and analyse sweeps, list parameters and scenarios.

Every user mistake (a bad path, spec, parameter name or value) prints ``error: <message>`` on
stderr and exits with status 2, without a traceback. ``cbec sweep`` exits 0 when every run of
the design has a result, 1 when some failed or the sweep stopped early (rerun to resume).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from model.parameters import ParameterError, Parameters

EXIT_OK, EXIT_INCOMPLETE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class UsageError(ValueError):
    """A command-line argument is wrong."""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``cbec`` and ``python -m experiments``; returns the exit status."""
    from experiments.batch import RunsIncomplete
    from experiments.runner import ExecutorError
    from experiments.spec import SpecError
    from experiments.storage import StorageError, describe_os_error

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed its message (or --help)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        return args.handler(args)
    except (UsageError, SpecError, StorageError, ParameterError, ExecutorError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except RunsIncomplete as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INCOMPLETE
    except KeyboardInterrupt:
        print("\ninterrupted; finished runs are saved, and the same command resumes",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # output piped into e.g. `head`, which has exited
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_INCOMPLETE
    except OSError as exc:  # a file-system error mid-way: say so, without a traceback
        where = describe_os_error(exc)
        print(f"error: cannot write{' ' if exc.filename else ': '}{where}; nothing "
              "half-written was kept", file=sys.stderr)
        return EXIT_USAGE


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with its subcommands."""
    parser = argparse.ArgumentParser(
        prog="cbec", description="Agent-based model of rural cross-border e-commerce in "
        "Guizhou: run scenarios, run and analyse parameter sweeps.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run named scenarios and write tables and plots",
                         description="Run named scenarios (see `cbec scenarios`).")
    run.add_argument("names", nargs="+", metavar="NAME", help="scenario name(s)")
    run.add_argument("--out", required=True, metavar="DIR", help="output directory")
    run.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    run.add_argument("--scale", type=float, metavar="X",
                     help="household_scale: agents per real household")
    run.add_argument("--months", type=int, metavar="M", help="horizon in months")
    run.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                     dest="settings", help="set a parameter (repeatable)")
    run.set_defaults(handler=cmd_run)

    sweep = sub.add_parser("sweep", help="run a parameter sweep from a TOML spec",
                           description="Run the experiment SPEC, writing each run to DIR as it "
                           "finishes; the same command after an interruption runs only what "
                           "is missing.")
    sweep.add_argument("spec", metavar="SPEC", help="experiment spec (TOML)")
    sweep.add_argument("--out", required=True, metavar="DIR", help="output directory")
    _add_executor_options(sweep)
    sweep.add_argument("--timeout", type=float, metavar="S",
                       help="per-run time limit in seconds (overrides the spec's)")
    sweep.add_argument("--retry-failed", action="store_true",
                       help="rerun runs recorded as failed")
    sweep.add_argument("--max-runs", type=int, metavar="N", dest="max_runs",
                       help="allow designs of up to N runs (default 1,000,000: a larger design "
                       "is refused before anything is sampled)")
    sweep.add_argument("--no-progress", action="store_true", help="no progress bar")
    sweep.set_defaults(handler=cmd_sweep)

    analyze = sub.add_parser("analyze", help="summarise a sweep: means, CIs, indices, figures",
                             description="Analyse the sweep in DIR; writes DIR/analysis/.")
    analyze.add_argument("out", metavar="DIR", help="the sweep's --out directory")
    analyze.add_argument("--no-figures", action="store_true", help="tables only")
    analyze.add_argument("--analysis-out", metavar="DIR2", dest="analysis_out",
                         help="write the analysis to DIR2 instead of DIR/analysis (e.g. when "
                         "DIR is read-only)")
    analyze.set_defaults(handler=cmd_analyze)

    params = sub.add_parser("params", help="list every model parameter")
    params.add_argument("--markdown", action="store_true", help="as a Markdown table")
    params.add_argument("--group", help="only this group")
    params.set_defaults(handler=cmd_params)

    scenarios = sub.add_parser("scenarios", help="list the named scenarios")
    scenarios.set_defaults(handler=cmd_scenarios)

    cal = sub.add_parser("calibrate", help="fit the free parameters to the baseline facts, or "
                         "check a parameter set against them (--check)",
                         description="ABC rejection on Latin hypercubes (see "
                         "docs/calibration.md); --check writes DIR/calibration.csv and exits 1 "
                         "when a fact misses its tolerance.")
    cal.add_argument("--out", required=True, metavar="DIR", help="output directory")
    cal.add_argument("--check", action="store_true", help="compare with the facts only")
    cal.add_argument("--params", metavar="FILE", help="with --check: a JSON file of parameter "
                     "values to check (e.g. best_params.json; default: the model defaults)")
    cal.add_argument("--box", metavar="FILE", help="fit only these parameters: a JSON file "
                     '{"name": [low, high], ...} (default: every free parameter over its prior)')
    cal.add_argument("--seeds", type=int, help="common seeds per point (fit 3, check 100)")
    cal.add_argument("--seed", type=int, help="base seed of the hypercubes and runs (fit 2022, "
                     "check 2023)")
    cal.add_argument("--samples", type=int, help="points per round (default 200)")
    cal.add_argument("--rounds", type=int, help="rounds (default 2, at most 20)")
    cal.add_argument("--accept", type=float, default=0.1, help="share of points accepted")
    cal.add_argument("--scale", type=float, metavar="X", help="household_scale (fit: 0.01; "
                     "check: the default scale)")
    cal.add_argument("--no-progress", action="store_true", help="no progress bar")
    _add_executor_options(cal)
    cal.set_defaults(handler=cmd_calibrate)

    cl = sub.add_parser("claims", help="test the paper's policy claims against the baseline",
                        description="Each claim's scenario against the baseline with common "
                        "random numbers; writes DIR/claims.csv and DIR/claims.png.")
    cl.add_argument("--out", required=True, metavar="DIR", help="output directory")
    cl.add_argument("--replications", type=int, default=10, help="replications (default 10)")
    cl.add_argument("--scale", type=float, metavar="X", help="household_scale")
    cl.add_argument("--months", type=int, default=108, help="horizon (default 108)")
    cl.add_argument("--posterior", metavar="FILE", help="posterior.csv from `cbec "
                    "calibrate`: replication r uses posterior draw r (parameter uncertainty)")
    cl.add_argument("--no-progress", action="store_true", help="no progress bar")
    _add_executor_options(cl)
    cl.set_defaults(handler=cmd_claims)

    from app.launch import add_arguments as add_app_arguments

    app_cmd = sub.add_parser("app", help="the interactive map app for class "
                             "(http://127.0.0.1:8765)", description="See docs/app.md.")
    add_app_arguments(app_cmd)
    app_cmd.set_defaults(handler=cmd_app)
    return parser


# -------------------------------------------------------------------------------- commands


def cmd_app(args: argparse.Namespace) -> int:
    from app.launch import run

    return run(args)


def cmd_run(args: argparse.Namespace) -> int:
    """``cbec run``: validate names and overrides, then hand over to experiments.report."""
    from experiments.spec import scenario_overrides
    from model.run import check_seed

    check_seed(args.seed)  # a clear error before anything runs
    overrides: dict[str, Any] = parse_settings(args.settings)
    for option, name in (("scale", "household_scale"), ("months", "months")):
        value = getattr(args, option)
        if value is None:
            continue
        if name in overrides:
            raise UsageError(f"--{option} {value} and --set {name}={overrides[name]} both set "
                             f"'{name}'; allowed: one of them")
        overrides[name] = value
    typed: dict[str, Any] = {}
    for name in args.names:
        start = scenario_overrides(name)
        try:
            params = Parameters.from_dict({**start, **overrides})
        except ParameterError as exc:
            raise UsageError(f"scenario '{name}': {exc}") from None
        typed = {k: getattr(params, k) for k in overrides}
    out = _out_dir(args.out)
    from experiments.report import run_scenarios

    run_scenarios(list(args.names), out, seed=args.seed, overrides=typed)
    return EXIT_OK


def _out_dir(path: str, option: str = "--out") -> Path:
    """``path`` checked as an output directory (:func:`experiments.storage.check_output_dir`)."""
    from experiments.storage import check_output_dir

    return check_output_dir(path, option)


def executor_factory(args: argparse.Namespace) -> Any:
    """The executor the options ask for: --scheduler, --dask-local or --workers (default)."""
    from experiments.runner import DaskCluster, DaskLocal, InProcess, ProcessPool

    workers = getattr(args, "workers", None)
    dask_local = getattr(args, "dask_local", None)
    scheduler = getattr(args, "scheduler", None)
    if workers is not None and workers < 0:
        raise UsageError(f"--workers must be 0 or more, got {workers}")
    if dask_local is not None and dask_local < 1:
        raise UsageError(f"--dask-local must be 1 or more, got {dask_local}")
    if scheduler:
        return DaskCluster(scheduler)
    if dask_local:
        return DaskLocal(dask_local)
    if workers == 0:
        return InProcess()
    return ProcessPool(workers)


def _add_executor_options(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, metavar="N",
                       help="local worker processes (default: one per CPU; 0: in this process)")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="run on the Dask cluster at ADDRESS (e.g. tcp://host:8786)")
    where.add_argument("--dask-local", type=int, metavar="N", dest="dask_local",
                       help="run on a local Dask cluster of N worker processes")


def cmd_calibrate(args: argparse.Namespace) -> int:
    """``cbec calibrate``: fit the free parameters, or (--check) compare a set with the facts."""
    from experiments import calibrate
    from model.run import check_seed

    factory = executor_factory(args)
    _positive(args, "seeds", "samples", "rounds")
    seed = {} if args.seed is None else {"seed": check_seed(args.seed)}
    if args.scale is not None:
        Parameters.from_dict({"household_scale": args.scale})
    if args.check:
        params: dict[str, Any] = {}
        if args.params:
            params = _read_json_object(args.params, "--params", '{"name": value, ...}',
                                       "a JSON file of parameter values")
            for name, value in params.items():
                if not isinstance(value, (bool, int, float, str)):
                    raise UsageError(f"--params {args.params}: '{name}' = a JSON "
                                     f"{type(value).__name__} is not allowed; allowed: a "
                                     "number, true/false or a string")
            if args.scale is not None and "household_scale" in params:
                raise UsageError(f"--scale {args.scale} and household_scale = "
                                 f"{params['household_scale']!r} in --params {args.params} "
                                 "both set 'household_scale'; allowed: one of them")
        seeds = args.seeds or 100
        _at_most(seeds, "--seeds")
        calibrate.check_params(params, scale=args.scale)
        out = _out_dir(args.out)
        table = calibrate.check(out, params, seeds=seeds, scale=args.scale,
                                executor_factory=factory, progress=not args.no_progress, **seed)
        shown = table[["fact", "target", "simulated", "ci_low", "ci_high", "tolerance", "ok"]]
        print(shown.to_string(index=False, float_format=lambda x: f"{x:.4g}"))
        missed = int((~table["ok"]).sum())
        print(f"{len(table) - missed} of {len(table)} facts within tolerance; "
              f"table in {out / 'calibration.csv'}")
        if missed:
            print("missed: " + ", ".join(table.loc[~table["ok"], "description"])
                  + "; docs/calibration.md says why each one misses (exit code 1)")
        return EXIT_INCOMPLETE if missed else EXIT_OK
    if not 0 < args.accept <= 1:
        raise UsageError(f"--accept must be a share in (0, 1], got {args.accept}")
    if args.params:
        raise UsageError("--params is for --check; a fit draws the parameters itself (use "
                         "--box to choose which)")
    if args.rounds is not None and args.rounds > calibrate.MAX_ROUNDS:
        raise UsageError(f"--rounds {args.rounds} is not allowed; allowed: 1 to "
                         f"{calibrate.MAX_ROUNDS}")
    box = _read_box(args.box) if args.box else None
    if box is not None:
        calibrate.check_box(box)
    _at_most((args.samples or 200) * (args.seeds or 3), "--samples x --seeds")
    out = _out_dir(args.out)
    result = calibrate.fit(out, samples=args.samples or 200, seeds=args.seeds or 3,
                           rounds=args.rounds or 2, accept=args.accept,
                           scale=args.scale or 0.01, box=box, executor_factory=factory,
                           progress=not args.no_progress, **seed)
    print(calibrate.fit_report(result))
    print(f"posterior in {out / 'posterior.csv'}, best point in {out / 'best_params.json'}")
    return EXIT_OK


def cmd_claims(args: argparse.Namespace) -> int:
    """``cbec claims``: run the paper's claims against the baseline."""
    from experiments import claims

    factory = executor_factory(args)
    _positive(args, "replications", "months")
    _at_most(args.replications * len(claims.scenario_names()), "--replications x scenarios")
    overrides = {"months": args.months}
    if args.scale is not None:
        overrides["household_scale"] = args.scale
    Parameters.from_dict(overrides)
    claims.check_months(args.months, "--months")
    if args.posterior is not None:
        claims.read_posterior(args.posterior, "--posterior")
    out = _out_dir(args.out)
    table = claims.run_claims(out, replications=args.replications, scale=args.scale,
                              months=args.months, posterior=args.posterior,
                              executor_factory=factory, progress=not args.no_progress)
    shown = table[["claim", "paper_value", "estimate", "ci_low", "ci_high", "verdict"]]
    print(shown.to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    print(f"table in {out / 'claims.csv'}, figure in {out / 'claims.png'}")
    return EXIT_OK


def _read_json_object(path: str, option: str, shape: str,
                      what: str = "a JSON object") -> dict[str, Any]:
    """The JSON object in the file ``path`` given with ``option``; a one-line UsageError for a
    missing, unreadable or non-UTF-8 file, bad JSON or anything but an object (``shape`` shows
    one, ``what`` says what it holds)."""
    import json

    from experiments.storage import read_input_text

    allowed = f"{what} {shape}"
    text = read_input_text(path, option, allowed, UsageError)
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{option} '{path}' is not valid JSON ({exc}); allowed: "
                         f"{allowed}") from None
    except RecursionError:
        raise UsageError(f"{option} {path}: JSON nested too deeply; expected a JSON object "
                         f"{shape}") from None
    if not isinstance(raw, dict):
        raise UsageError(f"{option} {path}: expected a JSON object {shape}, got "
                         f"{type(raw).__name__}")
    return raw


def _read_box(path: str) -> dict[str, tuple[float, float]]:
    """A search box from a JSON file ``{"name": [low, high], ...}``; the names and values are
    checked against the parameters by :func:`experiments.calibrate.fit` before any run."""
    import math

    shape = '{"name": [low, high], ...}'
    raw = _read_json_object(path, "--box", shape, "a JSON file of parameter ranges")
    if not raw:
        raise UsageError(f"--box {path}: expected a JSON object {shape}, got an empty one")
    box: dict[str, tuple[float, float]] = {}
    for name, bounds in raw.items():
        ok = (isinstance(bounds, list) and len(bounds) == 2
              and all(isinstance(b, (int, float)) and not isinstance(b, bool)
                      and math.isfinite(b) for b in bounds))
        if not ok or not bounds[0] < bounds[1]:
            raise UsageError(f"--box {path}: '{name}' = {bounds!r} is not allowed; allowed: "
                             "[low, high] with low < high")
        box[name] = (float(bounds[0]), float(bounds[1]))
    return box


def _positive(args: argparse.Namespace, *names: str) -> None:
    for name in names:
        value = getattr(args, name, None)
        if value is not None and value < 1:
            raise UsageError(f"--{name} must be 1 or more, got {value}")


def _at_most(runs: int, what: str) -> None:
    """Refuse more runs than a sweep's ceiling (:data:`experiments.design.MAX_RUNS`)."""
    from experiments.design import MAX_RUNS

    if runs > MAX_RUNS:
        raise UsageError(f"{what} = {runs:,} runs is not allowed; allowed: at most "
                         f"{MAX_RUNS:,} runs")


def cmd_sweep(args: argparse.Namespace) -> int:
    """``cbec sweep``: run (or resume) a sweep."""
    from experiments.runner import run_sweep
    from experiments.spec import MAX_TIMEOUT, load_spec

    factory = executor_factory(args)
    out = _out_dir(args.out)
    if args.max_runs is not None and args.max_runs < 1:
        raise UsageError(f"--max-runs must be 1 or more, got {args.max_runs}")
    if args.timeout is not None and not 0 < args.timeout <= MAX_TIMEOUT:
        raise UsageError(f"--timeout {args.timeout:g} is not allowed; allowed: a number of "
                         f"seconds above 0 and at most {MAX_TIMEOUT:,.0f} (30 days)")
    spec = load_spec(args.spec)
    if args.timeout is not None:
        spec = spec.with_timeout(args.timeout)
    report = run_sweep(spec, out, factory, retry_failed=args.retry_failed,
                       progress=not args.no_progress, max_runs=args.max_runs,
                       out_name="--out")
    print(f"{spec.name}: {report.state}; {report.finished} now, {report.failed} failed now, "
          f"{report.elapsed:.1f} s; results in {out}")
    if report.rejected:
        print(f"{report.rejected} damaged or mismatched run files were set aside in "
              f"{out / 'rejected'} and redone", file=sys.stderr)
    if report.aborted:
        print(f"error: the sweep stopped: {report.aborted}", file=sys.stderr)
        return EXIT_INCOMPLETE
    if report.failed or report.skipped_failed:
        failed = report.failed + report.skipped_failed
        print(f"{failed} run{'s' if failed != 1 else ''} failed; their errors are in "
              f"{out / 'runs'}/*.error.json "
              "(rerun with --retry-failed to try them again)", file=sys.stderr)
        return EXIT_INCOMPLETE
    if not report.complete:
        print("error: the sweep is incomplete; run the same command again to finish it",
              file=sys.stderr)
        return EXIT_INCOMPLETE
    print(f"analyse with: cbec analyze {out}")
    return EXIT_OK


def cmd_analyze(args: argparse.Namespace) -> int:
    """``cbec analyze``: tables and figures in DIR/analysis."""
    from experiments.analysis import analyze_sweep

    if not args.out.strip():
        raise UsageError("DIR is empty; allowed: the --out directory of a `cbec sweep`")
    result = analyze_sweep(args.out, write=True, figures=not args.no_figures,
                           into=args.analysis_out, into_name="--analysis-out")
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    tables = [p for p in result.files if p.suffix != ".png"]
    figures = [p for p in result.files if p.suffix == ".png"]
    for path in tables:
        print(f"wrote {path}")
    if figures:
        print(f"wrote {len(figures)} figures in {figures[0].parent}")
    if not result.indices.empty:
        main_index = "ST" if result.kind == "sobol" else "mu_star"
        top = result.indices[result.indices["index"] == main_index]
        print(f"\n{main_index} by outcome (95% CI half-width in 'conf'):")
        print(top.pivot(index="parameter", columns="outcome", values="value")
              .to_string(float_format=lambda v: f"{v:.3g}"))
    return EXIT_OK


def cmd_params(args: argparse.Namespace) -> int:
    """``cbec params``: the parameter table."""
    table = Parameters.table()
    if args.group:
        groups = sorted(set(table["group"]))
        if args.group not in groups:
            raise UsageError(f"unknown group '{args.group}'; groups: {', '.join(groups)}")
        table = table[table["group"] == args.group]
    if args.markdown:
        print(markdown_table(table))
    else:
        print(table[["name", "group", "default", "unit", "allowed"]].to_string(index=False))
    return EXIT_OK


def cmd_scenarios(args: argparse.Namespace) -> int:
    """``cbec scenarios``: one line per scenario."""
    from model.scenarios import SCENARIOS, describe

    names = list(SCENARIOS)
    width = max(len(n) for n in names)
    for name in names:
        print(f"{name:<{width}}  {describe(name)}")
    return EXIT_OK


# --------------------------------------------------------------------------------- helpers


def parse_settings(settings: Sequence[str]) -> dict[str, str]:
    """``NAME=VALUE`` strings to a dict (values are typed later, by Parameters); a name set
    twice is refused."""
    out: dict[str, str] = {}
    for item in settings:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise UsageError(f"--set expects NAME=VALUE, got '{item}'")
        name = name.strip()
        if name in out:
            raise UsageError(f"--set {name}={out[name]} and --set {item.strip()} both set "
                             f"'{name}'; allowed: once")
        out[name] = value.strip()
    return out


def markdown_table(frame: Any) -> str:
    """A DataFrame as a GitHub Markdown table."""
    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(c) for c in frame.columns) + " |",
             "|" + "|".join("---" for _ in frame.columns) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |"
              for row in frame.itertuples(index=False)]
    return "\n".join(lines)
