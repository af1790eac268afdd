"""Running a sweep: tasks go out through a ``concurrent.futures.Executor``, results come back to
the parent, which writes each one to disk the moment it arrives.

The executor is pluggable (:func:`run_sweep` takes a factory): a local process pool (the
default), a Dask cluster (``distributed.Client(address).get_executor()``), a local Dask cluster,
or the calling process itself. Workers only compute; the parent alone writes, so remote Dask
workers need no shared disk. At most ``max_in_flight`` runs are submitted at a time, so memory
stays bounded however long the sweep.

Nothing is taken on trust: a run is done only when its file is on disk and verified (on resume,
every existing run file is read back and checked against the design; the ones that fail are
set aside in ``DIR/rejected`` and redone). A run whose future is lost (its worker process died,
the Dask scheduler dropped it) is retried, at most :data:`MAX_LOST` times, the last time alone
so a run that kills its worker is found; a broken local pool is replaced and the sweep goes on.
A Dask cluster that loses its scheduler, or has no workers for ``lost_after`` seconds, ends the
sweep with a message saying so. The report (and the manifest) say "done" only when every run of
the design is on disk and verified, "incomplete, N of M" otherwise.

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
import inspect
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.design import Plan, plan_sweep
from experiments.spec import Spec, SpecError
from experiments.storage import (
    PARAM_PREFIX,
    StorageError,
    SweepStore,
    describe_os_error,
    model_version,
    now,
    recorded_status,
    stray_text,
)

META_COLUMNS = ("run_id", "point", "replication", "seed")
MAX_LOST = 3  # a run lost this many times (worker died, future cancelled) is recorded as failed
SOLO_AFTER = 2  # a run lost this many times is retried alone, to tell what kills the workers
POLL_SECONDS = 2.0  # how often a waiting sweep checks that its executor is alive
LOST_AFTER = 60.0  # Dask: seconds without a scheduler connection or any worker before giving up

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


def check_function(path: str) -> Callable[..., Any]:
    """Import the run function and check it can serve a sweep: a Python function defined in a
    source file (run ids hash that file) that takes ``(params, seed=...)``. SpecError naming
    the function and what is allowed otherwise."""
    allowed = ("allowed: a Python function in a .py file taking (params, seed=...), e.g. "
               "'model.run:simulate'")
    try:
        function = resolve_function(path)
    except Exception as exc:
        raise SpecError(f"[run] function '{path}' cannot be loaded: {type(exc).__name__}: "
                        f"{exc}") from None
    if not inspect.isfunction(function):
        what = ("a class" if inspect.isclass(function) else "a built-in function"
                if inspect.isbuiltin(function) else f"a {type(function).__name__}")
        raise SpecError(f"[run] function '{path}' is {what}, not a Python function; {allowed}")
    module = sys.modules.get(function.__module__)
    source = getattr(module, "__file__", None)
    if not source or not source.endswith(".py") or not os.path.isfile(source):
        raise SpecError(f"[run] function '{path}' is not defined in a Python source file "
                        f"(its module has {source or 'no file'}); {allowed}")
    try:
        inspect.signature(function).bind({}, seed=0)
    except TypeError:
        raise SpecError(f"[run] function '{path}' cannot be called as function(params, "
                        f"seed=...): its signature is {inspect.signature(function)}; "
                        f"{allowed}") from None
    return function


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


class _DaskExecutor(cf.Executor):
    """A Dask client's executor that can tell whether its cluster is still there."""

    def __init__(self, client: Any, where: str, lost_after: float) -> None:
        self._inner = client.get_executor(pure=False)
        self._client = client
        self._where = where
        self._lost_after = lost_after
        self._since: dict[str, float] = {}
        self._checked = 0.0
        self._workers: int | None = None

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
        return self._inner.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._inner.shutdown(wait=wait)

    def status(self) -> tuple[str, str | None]:
        """("ok", None); ("wait", why) while the scheduler is reconnecting or no worker is
        there; ("lost", message) once that has lasted ``lost_after`` seconds or the client
        has given up."""
        now_ = time.monotonic()
        state = str(getattr(self._client, "status", "running"))
        if state in ("closing", "closed", "failed"):
            return "lost", (f"lost the connection to the Dask scheduler of {self._where} "
                            "(the client gave up reconnecting); runs in flight were not "
                            "recorded")
        if state != "running":
            return self._waiting("scheduler", now_, f"the Dask scheduler of {self._where} is "
                                 "unreachable (reconnecting)")
        self._since.pop("scheduler", None)
        if now_ - self._checked >= POLL_SECONDS or self._workers is None:
            self._checked = now_
            try:
                info = self._client.sync(self._client.scheduler.identity, n_workers=0,
                                         callback_timeout=max(1.0, POLL_SECONDS))
                self._workers = int(info.get("n_workers", 0))
            except Exception:  # no answer this time: judge by the connection state
                self._workers = self._workers if self._workers is not None else 1
        if not self._workers:
            return self._waiting("workers", now_, f"{self._where} has no workers")
        self._since.pop("workers", None)
        return "ok", None

    def _waiting(self, what: str, now_: float, why: str) -> tuple[str, str | None]:
        since = self._since.setdefault(what, now_)
        if now_ - since >= self._lost_after:
            return "lost", f"{why} for {self._lost_after:g} s; runs in flight were not recorded"
        return "wait", why


@dataclass(frozen=True)
class DaskCluster:
    """Factory: the Dask cluster whose scheduler is at `address` (``--scheduler``). Its
    workers need this project importable (installed, or on their PYTHONPATH). The sweep ends,
    saying so, when the scheduler is unreachable or no worker is connected for `lost_after`
    seconds."""

    address: str
    slots: int = 64
    lost_after: float = LOST_AFTER

    @contextlib.contextmanager
    def __call__(self) -> Iterator[cf.Executor]:
        from distributed import Client

        timeout = f"{max(5.0, min(self.lost_after, 20.0)):g}s"
        try:
            client = Client(self.address, timeout=timeout)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ExecutorError(f"cannot reach the Dask scheduler at '{self.address}': "
                                f"{exc}") from None
        try:
            yield _DaskExecutor(client, f"the Dask cluster at {self.address}", self.lost_after)
        finally:
            _close_client(client)

    def __str__(self) -> str:
        return f"the Dask cluster at {self.address}"


def _close_client(client: Any) -> None:
    """Close a Dask client; one whose scheduler is gone (killed) may raise on closing, which
    must not hide why the sweep ended."""
    with contextlib.suppress(Exception):
        client.__exit__(None, None, None)


@dataclass(frozen=True)
class DaskLocal:
    """Factory: a local Dask cluster of `workers` single-threaded processes (``--dask-local``)."""

    workers: int = 2
    lost_after: float = LOST_AFTER

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
            yield _DaskExecutor(client, "the local Dask cluster", self.lost_after)

    def __str__(self) -> str:
        return f"a local Dask cluster of {self.workers} workers"


class _Pool:
    """The executor of a sweep, opened from the factory and replaced when it breaks (a local
    worker process died: ``BrokenProcessPool``)."""

    def __init__(self, factory: ExecutorFactory) -> None:
        self.factory = factory
        self.replaced = 0
        self._stack = contextlib.ExitStack()
        self.executor: cf.Executor = self._stack.enter_context(factory())

    def __enter__(self) -> _Pool:
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stack.close()

    def replace(self) -> None:
        old, self._stack = self._stack, contextlib.ExitStack()
        with contextlib.suppress(Exception):
            old.close()
        self.executor = self._stack.enter_context(self.factory())
        self.replaced += 1

    def status(self) -> tuple[str, str | None]:
        check = getattr(self.executor, "status", None)
        return check() if callable(check) else ("ok", None)


# -------------------------------------------------------------------------------- sweeps


@dataclass
class SweepReport:
    """How an invocation of :func:`run_sweep` went."""

    name: str
    out: Path
    runs: int  # distinct runs in the design
    already_finished: int  # found on disk at the start, and verified
    skipped_failed: int  # failed earlier and not retried
    submitted: int = 0
    finished: int = 0
    failed: int = 0
    elapsed: float = 0.0
    aborted: str | None = None
    failed_ids: list[str] = field(default_factory=list)
    rejected: int = 0  # run files set aside on resume (unreadable or not matching the design)
    lost: int = 0  # futures lost (worker died, cancelled by the cluster) and retried or failed
    replaced_pools: int = 0  # times a broken local pool was replaced
    verified: int = 0  # runs of the design on disk and verified at the end

    @property
    def complete(self) -> bool:
        """Every run of the design is on disk and verified."""
        return self.verified == self.runs

    @property
    def state(self) -> str:
        """ "done: M of M runs finished" or "incomplete, N of M runs finished (...)"."""
        if self.complete:
            return f"done, {self.runs} of {self.runs} runs finished"
        failed = self.failed + self.skipped_failed
        missing = self.runs - self.verified - failed
        return (f"incomplete, {self.verified} of {self.runs} runs finished ({failed} failed, "
                f"{max(missing, 0)} not run)")


def run_sweep(spec: Spec, out: str | Path, executor_factory: ExecutorFactory | None = None,
              *, retry_failed: bool = False, progress: bool = True, quiet: bool = False,
              max_in_flight: int | None = None, max_runs: int | None = None,
              out_name: str = "output folder") -> SweepReport:
    """Run every run of `spec` not yet in `out`, writing each result as it completes.

    Validation (spec, design size against `max_runs`, every design point, the run function,
    the output directory) happens before anything is written; problems raise SpecError /
    StorageError. Run files already in `out` are verified first; those that fail are set aside
    (``out/rejected``) and redone. Failed and timed-out runs are recorded
    (``runs/<id>.error.json``) and the sweep goes on; they are rerun only with `retry_failed`.
    Lost runs are retried (:data:`MAX_LOST`), a broken local pool is replaced; a lost Dask
    cluster or a full disk ends the sweep, and the report says why in ``aborted``. The report
    is :attr:`SweepReport.complete` only when every run is on disk and verified; the same call
    again resumes. `progress` shows a progress bar on stderr; `quiet` also silences the lines
    saying what is run where. Messages name `out` as `out_name` (the CLI passes ``--out``).
    """
    if not isinstance(spec, Spec):
        hint = (f"; load it with experiments.spec.load_spec({str(spec)!r})"
                if isinstance(spec, (str, Path)) else "")
        raise SpecError(f"spec = {str(spec)[:60]!r} ({type(spec).__name__}) is not allowed; "
                        f"allowed: a Spec (load_spec(path) or parse_spec(text)){hint}")
    factory = executor_factory or ProcessPool()
    check_function(spec.function)
    plan = plan_sweep(spec, model_version(spec.function), max_runs)
    store = SweepStore(out, out_name)
    resumed = store.check_compatible(plan)
    unrecorded = recorded_status(store.read_manifest() or {})[1] if resumed else None
    started = time.perf_counter()
    fatal: str | None = None
    expected = _expected(plan)
    # Start the executor before writing anything: a bad scheduler address leaves DIR untouched.
    with _Pool(factory) as pool, store.lock():
        try:
            store.initialise(plan, {"started": now(), "executor": str(factory),
                                    "retry_failed": retry_failed, "timeout": spec.timeout,
                                    "argv": sys.argv})
        except OSError as exc:
            if not resumed:
                store.discard()
            raise StorageError(f"cannot write the sweep to '{out}': "
                               f"{describe_os_error(exc)}") from None
        ids = plan.unique_run_ids
        rejected = store.verify_results(expected) if resumed else {}
        for run, problem in rejected.items():
            target = store.set_aside(run)
            if not quiet:
                print(f"run file {run}.parquet {problem}; moved to {target} and will be redone",
                      file=sys.stderr)
        finished = store.finished_ids()
        failed_before = store.failed_ids()
        todo = [i for i in ids if i not in finished and (retry_failed or i not in failed_before)]
        report = SweepReport(name=spec.name, out=Path(out), runs=len(ids),
                             already_finished=len(finished & set(ids)),
                             skipped_failed=0 if retry_failed else len(failed_before & set(ids)),
                             rejected=len(rejected))
        if not quiet:
            _announce(plan, report, len(todo), factory, resumed, unrecorded)
            stray = store.stray_files(set(ids))
            if stray:
                print(f"note: {store.runs_dir} holds {stray_text(stray)} (left as they are)",
                      file=sys.stderr)
        status = "interrupted"
        counts = None
        try:
            fatal = _execute(plan, store, todo, pool, report, progress,
                             max_in_flight or max(4, 4 * getattr(factory, "slots", 16)))
            report.replaced_pools = pool.replaced
            on_disk = store.finished_ids()
            report.verified = sum(i in on_disk for i in ids)
            status = "aborted" if (fatal or report.aborted) else (
                "done" if report.complete else "incomplete")
            counts = {"state": "done" if report.complete else "incomplete",
                      "finished": report.verified, "failed": len(store.failed_ids()),
                      "runs": report.runs, "summary": report.state}
        finally:
            report.elapsed = time.perf_counter() - started
            with contextlib.suppress(OSError):  # a full disk must not hide the real message
                store.finish_invocation({"finished": now(), "status": status,
                                         "runs_finished": report.finished,
                                         "runs_failed": report.failed,
                                         "runs_lost": report.lost,
                                         "runs_rejected": report.rejected,
                                         "pools_replaced": pool.replaced,
                                         "aborted": fatal or report.aborted}, counts)
    if fatal:
        if not resumed and not store.finished_ids():
            store.discard()
        raise SpecError(fatal)
    return report


def _expected(plan: Plan) -> dict[str, tuple[int, dict[str, Any]]]:
    """Run id -> (seed, varied values), what each run file must hold."""
    expected: dict[str, tuple[int, dict[str, Any]]] = {}
    names = plan.design.names
    for row in plan.runs.itertuples(index=False):
        if row.run_id not in expected:
            expected[row.run_id] = (int(row.seed),
                                    {n: _native(getattr(row, n)) for n in names})
    return expected


def _execute(plan: Plan, store: SweepStore, todo: list[str], pool: _Pool,
             report: SweepReport, progress: bool, max_in_flight: int) -> str | None:
    """Submit `todo` with at most `max_in_flight` pending; write each result. Lost runs are
    resubmitted (those lost :data:`SOLO_AFTER` times alone), a broken pool replaced, the
    executor's health checked while waiting. Returns a fatal spec problem found by a run, if
    any; an infrastructure failure that ends the sweep goes to ``report.aborted``."""
    from tqdm import tqdm

    tasks = _tasks(plan, todo)
    retry: deque[RunTask] = deque()
    lost: dict[str, int] = {}
    pending: dict[cf.Future, RunTask] = {}
    solo: str | None = None  # a run retried alone: nothing else is submitted meanwhile
    bar = tqdm(total=len(todo), desc=plan.spec.name, unit="run", file=sys.stderr,
               disable=not progress or not todo, dynamic_ncols=True, smoothing=0.1)
    def settle(future: cf.Future, task: RunTask) -> str:
        """Record a completed future: "ok", "failed", "lost", "broken" or a fatal message."""
        nonlocal solo
        if task.run_id == solo:
            solo = None
        outcome = _record(store, task, future, report) if future.done() else "lost"
        if outcome in ("lost", "broken"):
            _lost(store, task, lost, retry, report, bar)
        else:
            bar.update(1)
            bar.set_postfix(done=report.finished, failed=report.failed, refresh=False)
        return outcome

    def replace_pool() -> str | None:
        """Every future of a broken pool fails: collect them, then start a new pool."""
        finished, stuck = cf.wait(pending, timeout=30)
        fatal = None
        for future in (*finished, *stuck):
            task = pending.pop(future)
            future.cancel()
            outcome = settle(future, task)
            if outcome not in ("ok", "failed", "lost", "broken"):
                fatal = fatal or outcome
        if fatal or report.aborted:
            return fatal
        try:
            pool.replace()
        except Exception as exc:
            report.aborted = (f"a worker process died and a new pool could not be started "
                              f"({type(exc).__name__}: {exc})")
        return None

    def salvage() -> None:
        """Record the runs that have already come back before the rest is given up."""
        for future in [f for f in pending if f.done() and not f.cancelled()]:
            task = pending.pop(future)
            with contextlib.suppress(Exception):
                if settle(future, task) not in ("ok", "failed"):
                    pending[future] = task

    with bar:
        try:
            while True:
                state, why = pool.status()
                if state == "lost":
                    report.aborted = why
                    salvage()
                    _cancel(pool.executor, pending)
                    return None
                broken = False
                while state == "ok" and solo is None and len(pending) < max_in_flight:
                    task = retry.popleft() if retry else next(tasks, None)
                    if task is None:
                        break
                    if lost.get(task.run_id, 0) >= SOLO_AFTER:
                        if pending:  # wait until it can run alone
                            retry.appendleft(task)
                            break
                        solo = task.run_id
                    try:
                        future = pool.executor.submit(execute_run, task)
                    except cf.BrokenExecutor:  # broke since its last result: replace it
                        retry.appendleft(task)
                        solo = None if solo == task.run_id else solo
                        broken = True
                        break
                    except Exception as exc:  # e.g. a Dask client that has just closed
                        state, why = pool.status()
                        report.aborted = why if state == "lost" else (
                            f"the executor refused a run ({type(exc).__name__}: {exc}); runs "
                            "in flight were not recorded")
                        salvage()
                        _cancel(pool.executor, pending)
                        return None
                    pending[future] = task
                    report.submitted += 1
                if not pending and not broken:
                    if state == "ok" and not retry:
                        return None
                    time.sleep(POLL_SECONDS)  # waiting for the cluster to come back
                    continue
                # a future cancelled by its executor without notice never wakes cf.wait up
                done = {f for f in pending if f.done()} or cf.wait(
                    pending, timeout=POLL_SECONDS, return_when=cf.FIRST_COMPLETED).done
                for future in done:
                    outcome = settle(future, pending.pop(future))
                    broken |= outcome == "broken"
                    if outcome not in ("ok", "failed", "lost", "broken"):  # a spec problem
                        _cancel(pool.executor, pending)
                        return outcome
                    if report.aborted:
                        _cancel(pool.executor, pending)
                        return None
                if broken:
                    fatal = replace_pool()
                    if fatal or report.aborted:
                        _cancel(pool.executor, pending)
                        return fatal
        except BaseException:
            _cancel(pool.executor, pending)
            raise


def _lost(store: SweepStore, task: RunTask, lost: dict[str, int], retry: deque[RunTask],
          report: SweepReport, bar: Any) -> None:
    """Count a lost run; retry it, or record it as failed once lost :data:`MAX_LOST` times."""
    report.lost += 1
    count = lost[task.run_id] = lost.get(task.run_id, 0) + 1
    if count < MAX_LOST:
        (retry.appendleft if count >= SOLO_AFTER else retry.append)(task)
        return
    message = (f"the run was lost {count} times: the worker process running it died (a crash, "
               "or the OOM killer) or the cluster dropped it; the last time it ran alone, so "
               "it most likely kills its worker itself")
    try:
        store.write_error(task.run_id, {
            "type": "RunLost", "message": message, "traceback": None, "elapsed": None,
            "timeout": None, "point": task.point, "replication": task.replication,
            "seed": task.seed, "varied": task.varied, "function": task.function,
            "lost": count})
    except OSError as exc:
        report.aborted = _disk_message(store, exc)
        return
    report.failed += 1
    report.failed_ids.append(task.run_id)
    bar.update(1)


def _record(store: SweepStore, task: RunTask, future: cf.Future, report: SweepReport) -> str:
    """Write one completed future's result or error. Returns "ok", "failed", "lost" (the
    future was cancelled or its worker vanished), "broken" (the pool broke), or a fatal spec
    problem's message. A result that cannot be written sets ``report.aborted``."""
    run = task.run_id
    try:
        record: RunRecord = future.result()
    except cf.CancelledError:
        return "lost"
    except cf.BrokenExecutor:
        return "broken"
    except Exception as exc:  # lost in transit: a killed Dask worker, unpicklable data...
        record = RunRecord(run, ok=False, error={
            "type": type(exc).__name__, "message": str(exc),
            "traceback": "".join(traceback.format_exception(exc)), "elapsed": None,
            "point": task.point, "replication": task.replication, "seed": task.seed,
            "varied": task.varied, "function": task.function})
    if record.fatal:
        return (record.error or {}).get("message", "the run function failed")
    try:
        if record.ok and record.frame is not None:
            store.write_result(run, record.frame)
            report.finished += 1
            return "ok"
        store.write_error(run, record.error or {})
    except OSError as exc:
        report.aborted = _disk_message(store, exc)
        return "failed"
    except StorageError as exc:
        report.aborted = str(exc)
        return "failed"
    report.failed += 1
    report.failed_ids.append(run)
    return "failed"


def _disk_message(store: SweepStore, exc: OSError) -> str:
    return (f"cannot write {describe_os_error(exc, exc.filename or store.out)}; nothing "
            "half-written was kept and "
            f"the finished runs are safe. Fix that (free space, permissions) and run the same "
            f"command to resume")


def _cancel(executor: cf.Executor, pending: dict[cf.Future, Any]) -> None:
    """Cancel what is in flight. Best effort: an executor whose cluster has gone (a Dask
    client raising ClosedClientError after its scheduler was killed) has nothing left to
    cancel, and its error must not hide why the sweep ended."""
    for future in pending:
        with contextlib.suppress(Exception):
            future.cancel()
    try:
        executor.shutdown(wait=False, cancel_futures=True)
    except TypeError:  # executors without cancel_futures (Dask's)
        with contextlib.suppress(Exception):
            executor.shutdown(wait=False)
    except Exception:  # the cluster is gone: nothing to cancel
        pass


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
              resumed: bool, unrecorded: str | None = None) -> None:
    spec = plan.spec
    lines = [f"sweep '{spec.name}': {len(plan.design)} design points x {spec.replications} "
             f"replications = {report.runs} distinct runs ({spec.design.kind} design)"]
    if unrecorded:  # the previous invocation was killed before its last write
        lines.append(f"{unrecorded}; every run file on disk was verified")
    if resumed:
        lines.append(f"resuming: {report.already_finished} runs already finished"
                     + (f", {report.skipped_failed} failed earlier (not rerun; add "
                        "--retry-failed to rerun them)" if report.skipped_failed else ""))
    lines.append(f"running {todo} runs on {factory}"
                 + (f", time limit {spec.timeout:g} s per run" if spec.timeout else ""))
    print("\n".join(lines), file=sys.stderr, flush=True)


def _native(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value
