"""The ``cbec`` command line: run scenarios, run and analyse sweeps, list parameters and scenarios.

Every user mistake (a bad path, spec, parameter name or value) prints ``error: <message>`` on
stderr and exits with status 2, without a traceback. ``cbec sweep`` exits 0 when every run of
the design has a result, 1 when some failed or the sweep stopped early (rerun to resume).
"""

from __future__ import annotations

import argparse
import importlib
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
    from experiments.runner import ExecutorError
    from experiments.spec import SpecError
    from experiments.storage import StorageError

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
    except KeyboardInterrupt:
        print("\ninterrupted; finished runs are saved, and the same command resumes",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # output piped into e.g. `head`, which has exited
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_INCOMPLETE


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with its subcommands."""
    parser = argparse.ArgumentParser(
        prog="cbec", description="Agent-based model of rural cross-border e-commerce in "
        "Guizhou: run scenarios, run and analyse parameter sweeps.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run named scenarios and write tables and plots",
                         description="Run named scenarios (see `cbec scenarios`).")
    run.add_argument("names", nargs="+", metavar="NAME", help="scenario name(s)")
    run.add_argument("--out", required=True, type=Path, metavar="DIR", help="output directory")
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
    sweep.add_argument("spec", type=Path, metavar="SPEC", help="experiment spec (TOML)")
    sweep.add_argument("--out", required=True, type=Path, metavar="DIR",
                       help="output directory")
    where = sweep.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, metavar="N",
                       help="local worker processes (default: one per CPU; 0: in this process)")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="run on the Dask cluster at ADDRESS (e.g. tcp://host:8786)")
    where.add_argument("--dask-local", type=int, metavar="N",
                       help="run on a local Dask cluster of N worker processes")
    sweep.add_argument("--timeout", type=float, metavar="S",
                       help="per-run time limit in seconds (overrides the spec's)")
    sweep.add_argument("--retry-failed", action="store_true",
                       help="rerun runs recorded as failed")
    sweep.add_argument("--no-progress", action="store_true", help="no progress bar")
    sweep.set_defaults(handler=cmd_sweep)

    analyze = sub.add_parser("analyze", help="summarise a sweep: means, CIs, indices, figures",
                             description="Analyse the sweep in DIR; writes DIR/analysis/.")
    analyze.add_argument("out", type=Path, metavar="DIR", help="the sweep's --out directory")
    analyze.add_argument("--no-figures", action="store_true", help="tables only")
    analyze.set_defaults(handler=cmd_analyze)

    params = sub.add_parser("params", help="list every model parameter")
    params.add_argument("--markdown", action="store_true", help="as a Markdown table")
    params.add_argument("--group", help="only this group")
    params.set_defaults(handler=cmd_params)

    scenarios = sub.add_parser("scenarios", help="list the named scenarios")
    scenarios.set_defaults(handler=cmd_scenarios)
    return parser


# -------------------------------------------------------------------------------- commands


def cmd_run(args: argparse.Namespace) -> int:
    """``cbec run``: validate names and overrides, then hand over to experiments.report."""
    from experiments.spec import scenario_overrides

    overrides: dict[str, Any] = parse_settings(args.settings)
    if args.scale is not None:
        overrides["household_scale"] = args.scale
    if args.months is not None:
        overrides["months"] = args.months
    typed: dict[str, Any] = {}
    for name in args.names:
        start = scenario_overrides(name)
        try:
            params = Parameters.from_dict({**start, **overrides})
        except ParameterError as exc:
            raise UsageError(f"scenario '{name}': {exc}") from None
        typed = {k: getattr(params, k) for k in overrides}
    try:
        report = importlib.import_module("experiments.report")
    except ModuleNotFoundError as exc:
        if exc.name != "experiments.report":
            raise
        print("error: `cbec run` needs experiments/report.py, which is not installed",
              file=sys.stderr)
        return EXIT_INCOMPLETE
    report.run_scenarios(list(args.names), args.out, seed=args.seed, overrides=typed)
    return EXIT_OK


def cmd_sweep(args: argparse.Namespace) -> int:
    """``cbec sweep``: run (or resume) a sweep."""
    from experiments.runner import DaskCluster, DaskLocal, InProcess, ProcessPool, run_sweep
    from experiments.spec import load_spec

    if args.workers is not None and args.workers < 0:
        raise UsageError(f"--workers must be 0 or more, got {args.workers}")
    if args.dask_local is not None and args.dask_local < 1:
        raise UsageError(f"--dask-local must be 1 or more, got {args.dask_local}")
    spec = load_spec(args.spec)
    if args.timeout is not None:
        if not args.timeout > 0:
            raise UsageError(f"--timeout must be a positive number of seconds, got "
                             f"{args.timeout:g}")
        spec = spec.with_timeout(args.timeout)
    if args.scheduler:
        factory: Any = DaskCluster(args.scheduler)
    elif args.dask_local:
        factory = DaskLocal(args.dask_local)
    elif args.workers == 0:
        factory = InProcess()
    else:
        factory = ProcessPool(args.workers)
    report = run_sweep(spec, args.out, factory, retry_failed=args.retry_failed,
                       progress=not args.no_progress)
    done = report.already_finished + report.finished
    print(f"{spec.name}: {done} of {report.runs} runs finished ({report.finished} now, "
          f"{report.failed} failed now, {report.elapsed:.1f} s); results in {args.out}")
    if report.aborted:
        print(f"error: the sweep stopped: {report.aborted}", file=sys.stderr)
        return EXIT_INCOMPLETE
    if report.failed or report.skipped_failed:
        failed = report.failed + report.skipped_failed
        print(f"{failed} run{'s' if failed != 1 else ''} failed; their errors are in "
              f"{args.out / 'runs'}/*.error.json "
              "(rerun with --retry-failed to try them again)", file=sys.stderr)
        return EXIT_INCOMPLETE
    print(f"analyse with: cbec analyze {args.out}")
    return EXIT_OK


def cmd_analyze(args: argparse.Namespace) -> int:
    """``cbec analyze``: tables and figures in DIR/analysis."""
    from experiments.analysis import analyze_sweep

    result = analyze_sweep(args.out, write=True, figures=not args.no_figures)
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
    from experiments.spec import known_scenarios

    names = known_scenarios()
    try:
        describe = importlib.import_module("model.scenarios").describe
    except ModuleNotFoundError as exc:
        if exc.name != "model.scenarios":
            raise

        def describe(name: str) -> str:
            return "the 2022 baseline (model.scenarios is not available)"
    width = max(len(n) for n in names)
    for name in names:
        print(f"{name:<{width}}  {describe(name)}")
    return EXIT_OK


# --------------------------------------------------------------------------------- helpers


def parse_settings(settings: Sequence[str]) -> dict[str, str]:
    """``NAME=VALUE`` strings to a dict (values are typed later, by Parameters)."""
    out: dict[str, str] = {}
    for item in settings:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise UsageError(f"--set expects NAME=VALUE, got '{item}'")
        out[name.strip()] = value.strip()
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
