"""Running a sweep: tasks go out through a ``concurrent.futures.Executor``, results come back to
the parent, which writes each one to disk the moment it arrives.

The executor is pluggable (:func:`run_sweep` takes a factory): a local process pool (the
default), a Dask cluster (``distributed.Client(address).get_executor()``), a local Dask cluster,
or the calling process itself. Workers only compute; the parent alone writes, so remote Dask
workers need no shared disk. At most ``max_in_flight`` runs are submitted at a time, so memory
stays bounded however long the sweep.

Time limits are enforced inside the worker. In a thread that is the main thread of its process
(process-pool workers, in-process runs) a ``SIGALRM`` timer raises :class:`RunTimeout` in the
run; elsewhere (Dask worker threads) a timer thread raises it asynchronously in the running thread
(``PyThreadState_SetAsyncExc``). Either way the exception arrives between Python bytecodes, so a
run stuck inside one long C call is stopped only when that call returns.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import ctypes
import importlib
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.design import Plan, plan_sweep
from experiments.spec import Spec, SpecError
from experiments.storage import SweepStore, model_version, now

PARAM_PREFIX = "param."  # column prefix of the varied parameters in run files
META_COLUMNS = ("run_id", "point", "replication", "seed")

ExecutorFactory = Callable[[], AbstractContextManager[cf.Executor]]


class RunTimeout(BaseException):
    """A run passed its time limit (a BaseException, so model code cannot swallow it)."""


class OutcomeError(Exception):
    """A run's result lacks what the spec keeps: a spec mistake, so the sweep stops."""


class ExecutorError(ValueError):
    """The executor asked for cannot be started (bad scheduler address, no workers...)."""


# -------------------------------------------------------------------------------- worker


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs for one run (small and picklable)."""

    run_id: str
    point: int
    replication: int
    seed: int
    params: dict[str, Any]  # overrides: scenario | base | design point
    varied: dict[str, Any]  # the design point's values
    keep: tuple[str, ...] | None
    function: str
    timeout: float | None = None


@dataclass
class RunRecord:
    """What a worker sends back: the run's kept outcomes, or why it failed."""

    run_id: str
    ok: bool
    frame: pd.DataFrame | None = None
    error: dict[str, Any] | None = None
    elapsed: float = 0.0
    fatal: bool = False


_FUNCTIONS: dict[str, Callable[..., Any]] = {}


def resolve_function(path: str) -> Callable[..., Any]:
    """Import ``package.module:function`` (cached per process)."""
    if path not in _FUNCTIONS:
        module_name, _, attr = path.partition(":")
        function = getattr(importlib.import_module(module_name), attr)
        if not callable(function):
            raise TypeError(f"'{path}' is not callable")
        _FUNCTIONS[path] = function
    return _FUNCTIONS[path]


def execute_run(task: RunTask) -> RunRecord:
    """Run one simulation and return its kept outcomes; never raises (errors are returned)."""
    start = time.perf_counter()
    try:
        function = resolve_function(task.function)
        result = call_with_timeout(lambda: function(task.params, seed=task.seed), task.timeout)
        frame = outcome_frame(result, task)
    except (Exception, RunTimeout) as exc:
        elapsed = time.perf_counter() - start
        error = {"type": type(exc).__name__, "message": str(exc),
                 "traceback": traceback.format_exc(), "elapsed": elapsed,
                 "timeout": task.timeout if isinstance(exc, RunTimeout) else None,
                 "point": task.point, "replication": task.replication, "seed": task.seed,
                 "varied": task.varied, "function": task.function}
        return RunRecord(task.run_id, ok=False, error=error, elapsed=elapsed,
                         fatal=isinstance(exc, OutcomeError))
    return RunRecord(task.run_id, ok=True, frame=frame, elapsed=time.perf_counter() - start)


def outcome_frame(result: Any, task: RunTask) -> pd.DataFrame:
    """The run file's table: month (and date), the kept outcomes, ids, and varied parameters."""
    outcomes = result if isinstance(result, pd.DataFrame) else getattr(result, "outcomes", None)
    if not isinstance(outcomes, pd.DataFrame) or "month" not in outcomes.columns:
        raise OutcomeError(f"run function '{task.function}' returned no monthly outcomes "
                           "(a DataFrame with a 'month' column, or an object whose .outcomes "
                           "is one)")
    time_columns = [c for c in ("month", "date") if c in outcomes.columns]
    if task.keep is None:
        keep = [c for c in outcomes.columns if c not in time_columns
                and pd.api.types.is_numeric_dtype(outcomes[c])]
    else:
        missing = [c for c in task.keep if c not in outcomes.columns]
        if missing:
            available = ", ".join(c for c in outcomes.columns if c not in time_columns)
            raise OutcomeError(f"[outputs] keep names {', '.join(map(repr, missing))}, which "
                               f"the model does not produce; it produces: {available}")
        keep = list(task.keep)
    clash = sorted(set(keep) & set(META_COLUMNS))
    if clash:
        raise OutcomeError(f"outcome columns {clash} clash with the run file's id columns")
    frame = outcomes[time_columns + keep].reset_index(drop=True).copy()
    frame.insert(0, "run_id", task.run_id)
    frame.insert(1, "point", task.point)
    frame.insert(2, "replication", task.replication)
    frame.insert(3, "seed", pd.Series([task.seed] * len(frame), dtype="uint64"))
    for name, value in task.varied.items():
        frame[PARAM_PREFIX + name] = value
    return frame


# ------------------------------------------------------------------------------ time limit


def call_with_timeout(function: Callable[[], Any], seconds: float | None) -> Any:
    """Call `function`; raise RunTimeout in it once `seconds` have passed (None: no limit)."""
    if not seconds:
        return function()
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        return _with_alarm(function, seconds)
    return _with_async_exception(function, seconds)


def _with_alarm(function: Callable[[], Any], seconds: float) -> Any:
    def on_alarm(signum: int, frame: Any) -> None:
        raise RunTimeout(f"the run passed its time limit of {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return function()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _with_async_exception(function: Callable[[], Any], seconds: float) -> Any:
    target = threading.get_ident()
    lock = threading.Lock()
    state = {"done": False, "fired": False}

    def fire() -> None:
        with lock:
            if state["done"]:
                return
            state["fired"] = True
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target),
                                                       ctypes.py_object(RunTimeout))

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    try:
        try:
            return function()
        finally:
            with lock:
                state["done"] = True
            timer.cancel()
    except RunTimeout as exc:  # raised as a bare class: give it its message, keep the trace
        exc.args = (f"the run passed its time limit of {seconds:g} s",)
        raise


# ----------------------------------------------------------------------------- executors


class InProcessExecutor(cf.Executor):
    """Runs each task in the calling process when it is submitted (debugging, tiny sweeps)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:
            future.set_exception(exc)
        return future


@dataclass(frozen=True)
class InProcess:
    """Factory: run in the calling process (``--workers 0``)."""

    slots: int = 1

    def __call__(self) -> AbstractContextManager[cf.Executor]:
        return InProcessExecutor()

    def __str__(self) -> str:
        return "this process"


@dataclass(frozen=True)
class ProcessPool:
    """Factory: a local ``ProcessPoolExecutor`` (forkserver where available, else spawn; the
    global start method is left alone)."""

    workers: int | None = None

    @property
    def slots(self) -> int:
        return self.workers or os.cpu_count() or 1

    def __call__(self) -> AbstractContextManager[cf.Executor]:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("forkserver" if "forkserver" in methods
                                              else "spawn")
        return cf.ProcessPoolExecutor(max_workers=self.slots, mp_context=context)

    def __str__(self) -> str:
        return f"a local process pool of {self.slots} workers"


@dataclass(frozen=True)
class DaskCluster:
    """Factory: the Dask cluster whose scheduler is at `address` (``--scheduler``). Its
    workers need this project importable (installed, or on their PYTHONPATH)."""

    address: str
    slots: int = 64

    @contextlib.contextmanager
    def __call__(self) -> Iterator[cf.Executor]:
        from distributed import Client

        try:
            client = Client(self.address, timeout="20s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise ExecutorError(f"cannot reach the Dask scheduler at '{self.address}': "
                                f"{exc}") from None
        with client:
            yield client.get_executor(pure=False)

    def __str__(self) -> str:
        return f"the Dask cluster at {self.address}"


@dataclass(frozen=True)
class DaskLocal:
    """Factory: a local Dask cluster of `workers` single-threaded processes (``--dask-local``)."""

    workers: int = 2

    @property
    def slots(self) -> int:
        return self.workers

    @contextlib.contextmanager
    def __call__(self) -> Iterator[cf.Executor]:
        import logging
        import warnings

        from distributed import Client, LocalCluster

        warnings.filterwarnings("ignore", message="Port .* is already in use")
        with (LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=logging.ERROR) as cluster,
              Client(cluster) as client):
            yield client.get_executor(pure=False)

    def __str__(self) -> str:
        return f"a local Dask cluster of {self.workers} workers"


# -------------------------------------------------------------------------------- sweeps


@dataclass
class SweepReport:
    """How an invocation of :func:`run_sweep` went."""

    name: str
    out: Path
    runs: int  # distinct runs in the design
    already_finished: int  # found on disk at the start
    skipped_failed: int  # failed earlier and not retried
    submitted: int = 0
    finished: int = 0
    failed: int = 0
    elapsed: float = 0.0
    aborted: str | None = None
    failed_ids: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Every run of the design has a result."""
        return self.already_finished + self.finished == self.runs


def run_sweep(spec: Spec, out: str | Path, executor_factory: ExecutorFactory | None = None,
              *, retry_failed: bool = False, progress: bool = True, quiet: bool = False,
              max_in_flight: int | None = None) -> SweepReport:
    """Run every run of `spec` not yet in `out`, writing each result as it completes.

    Validation (spec, every design point, the run function, the output directory) happens
    before anything is written; problems raise SpecError / StorageError. Failed and timed-out
    runs are recorded (``runs/<id>.error.json``) and the sweep goes on; they are rerun only with
    `retry_failed`. If the executor breaks (a worker process died) the sweep stops and the report
    says so in ``aborted``; the same call again resumes. `progress` shows a progress bar on
    stderr; `quiet` also silences the lines saying what is run where.
    """
    factory = executor_factory or ProcessPool()
    try:
        resolve_function(spec.function)
    except Exception as exc:
        raise SpecError(f"the run function '{spec.function}' cannot be loaded: "
                        f"{type(exc).__name__}: {exc}") from None
    plan = plan_sweep(spec, model_version(spec.function))
    store = SweepStore(out)
    resumed = store.check_compatible(plan)
    started = time.perf_counter()
    fatal: str | None = None
    # Start the executor before writing anything: a bad scheduler address leaves DIR untouched.
    with factory() as executor, store.lock():
        store.initialise(plan, {"started": now(), "executor": str(factory),
                                "retry_failed": retry_failed, "timeout": spec.timeout,
                                "argv": sys.argv})
        finished = store.finished_ids()
        failed_before = store.failed_ids()
        ids = plan.unique_run_ids
        todo = [i for i in ids if i not in finished and (retry_failed or i not in failed_before)]
        report = SweepReport(name=spec.name, out=Path(out), runs=len(ids),
                             already_finished=len(finished & set(ids)),
                             skipped_failed=0 if retry_failed else len(failed_before & set(ids)))
        if not quiet:
            _announce(plan, report, len(todo), factory, resumed)
        status = "interrupted"
        try:
            fatal = _execute(plan, store, todo, executor, report, progress,
                             max_in_flight or max(4, 4 * getattr(factory, "slots", 16)))
            status = "aborted" if (fatal or report.aborted) else "done"
        finally:
            report.elapsed = time.perf_counter() - started
            store.finish_invocation({"finished": now(), "status": status,
                                     "runs_finished": report.finished,
                                     "runs_failed": report.failed,
                                     "aborted": fatal or report.aborted})
    if fatal:
        if not resumed and not store.finished_ids():
            store.discard()
        raise SpecError(fatal)
    return report


def _execute(plan: Plan, store: SweepStore, todo: list[str], executor: cf.Executor,
             report: SweepReport, progress: bool, max_in_flight: int) -> str | None:
    """Submit `todo` with at most `max_in_flight` pending; write each result. Returns a fatal
    spec problem found by a run, if any."""
    from tqdm import tqdm

    tasks = _tasks(plan, todo)
    bar = tqdm(total=len(todo), desc=plan.spec.name, unit="run", file=sys.stderr,
               disable=not progress or not todo, dynamic_ncols=True, smoothing=0.1)
    pending: dict[cf.Future, str] = {}
    with bar:
        try:
            while True:
                while len(pending) < max_in_flight:
                    task = next(tasks, None)
                    if task is None:
                        break
                    pending[executor.submit(execute_run, task)] = task.run_id
                    report.submitted += 1
                if not pending:
                    return None
                done, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
                for future in done:
                    run = pending.pop(future)
                    fatal = _record(store, run, future, report)
                    bar.update(1)
                    bar.set_postfix(done=report.finished, failed=report.failed, refresh=False)
                    if fatal or report.aborted:
                        _cancel(executor, pending)
                        return fatal
        except BaseException:
            _cancel(executor, pending)
            raise


def _record(store: SweepStore, run: str, future: cf.Future, report: SweepReport) -> str | None:
    """Write one completed future's result or error. Returns a fatal message, if any."""
    try:
        record: RunRecord = future.result()
    except cf.CancelledError:
        return None
    except cf.BrokenExecutor as exc:
        report.aborted = (f"a worker process died ({type(exc).__name__}: {exc}); runs in "
                          "flight were not recorded. Run the same command again to resume")
        return None
    except Exception as exc:  # lost in transit: a killed Dask worker, unpicklable data...
        record = RunRecord(run, ok=False, error={
            "type": type(exc).__name__, "message": str(exc),
            "traceback": "".join(traceback.format_exception(exc)), "elapsed": None})
    if record.fatal:
        return (record.error or {}).get("message", "the run function failed")
    if record.ok and record.frame is not None:
        store.write_result(run, record.frame)
        report.finished += 1
    else:
        store.write_error(run, record.error or {})
        report.failed += 1
        report.failed_ids.append(run)
    return None


def _cancel(executor: cf.Executor, pending: dict[cf.Future, str]) -> None:
    for future in pending:
        future.cancel()
    try:
        executor.shutdown(wait=False, cancel_futures=True)
    except TypeError:  # executors without cancel_futures (Dask's)
        executor.shutdown(wait=False)


def _tasks(plan: Plan, todo: list[str]) -> Iterator[RunTask]:
    """Tasks for the runs to do, in design order (replication by replication)."""
    wanted = set(todo)
    names = plan.design.names
    spec = plan.spec
    for row in plan.runs.itertuples(index=False):
        if row.run_id not in wanted:
            continue
        wanted.discard(row.run_id)
        point = int(row.point)
        yield RunTask(run_id=row.run_id, point=point, replication=int(row.replication),
                      seed=int(row.seed), params=plan.overrides[point],
                      varied={n: _native(getattr(row, n)) for n in names},
                      keep=spec.outputs.keep, function=spec.function, timeout=spec.timeout)


def _announce(plan: Plan, report: SweepReport, todo: int, factory: ExecutorFactory,
              resumed: bool) -> None:
    spec = plan.spec
    lines = [f"sweep '{spec.name}': {len(plan.design)} design points x {spec.replications} "
             f"replications = {report.runs} distinct runs ({spec.design.kind} design)"]
    if resumed:
        lines.append(f"resuming: {report.already_finished} runs already finished"
                     + (f", {report.skipped_failed} failed earlier (not rerun; add "
                        "--retry-failed to rerun them)" if report.skipped_failed else ""))
    lines.append(f"running {todo} runs on {factory}"
                 + (f", time limit {spec.timeout:g} s per run" if spec.timeout else ""))
    print("\n".join(lines), file=sys.stderr, flush=True)


def _native(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value
