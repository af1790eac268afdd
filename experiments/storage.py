"""The on-disk layout of a sweep, written so that an interruption (even kill -9) loses nothing.

::

    DIR/manifest.json          spec (text and parsed), design summary, seeds, versions, git commit
    DIR/design.parquet         one row per run: point, replication, seed, run_id, parameters
    DIR/runs/<run_id>.parquet  a finished run: kept outcomes per month, ids and parameters
    DIR/runs/<run_id>.error.json  a failed run: error type, message, traceback, elapsed
    DIR/.lock                  held (flock) while a sweep writes to DIR

Every file is written to a temporary name in the same directory, flushed, fsync'ed and renamed
into place (``os.replace``), so a file either exists whole or not at all. Resuming lists
``DIR/runs`` and runs only the ids that are missing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import importlib.metadata
import importlib.util
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from experiments.design import Plan, replication_seeds
from experiments.spec import DEFAULT_FUNCTION, DESIGN_KINDS, fingerprint_of

MANIFEST = "manifest.json"
DESIGN = "design.parquet"
RUNS = "runs"
REJECTED = "rejected"  # run files that failed verification on resume are moved here
LOCK = ".lock"
PARAM_PREFIX = "param."  # column prefix of the varied parameters in run files
FORMAT = 1
PACKAGE = "guizhou-cbec"
MODEL_PACKAGES = ("model", "agents")  # the source the default run function depends on
VERSIONED = ("numpy", "pandas", "mesa", "SALib", "scipy", "dask", "distributed", "pyarrow",
             "matplotlib", "tqdm")
_PROJECT_ROOT = Path(__file__).resolve().parent.parent


class StorageError(ValueError):
    """An output directory cannot be used as asked (another sweep's, not a sweep, locked,
    not writable...), or a sweep directory does not hold what its manifest says."""


# ------------------------------------------------------------------------- file systems

#: file systems that hold no files of ours (kernel interfaces); an output folder there is
#: refused
PSEUDO_FILESYSTEMS = frozenset({
    "proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "securityfs", "debugfs",
    "tracefs", "pstore", "bpf", "configfs", "fusectl", "mqueue", "efivarfs", "binfmt_misc",
    "autofs", "rpc_pipefs", "nsfs", "selinuxfs", "hugetlbfs"})
#: an output directory needs at least this much free space to be accepted
MIN_FREE_BYTES = 1 << 20

_ERRNO_TEXT = {
    errno.ENOSPC: "no space left on the device",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOTDIR: "a part of the path is a file, not a directory",
    errno.ENOENT: "no such file or directory",
    errno.EISDIR: "is a directory, not a file",
    errno.ENAMETOOLONG: "file name too long",
    errno.EIO: "input/output error (a failing disk or a lost network mount?)",
    errno.EMFILE: "too many open files",
    errno.EEXIST: "already exists",
}
if hasattr(errno, "EDQUOT"):
    _ERRNO_TEXT[errno.EDQUOT] = "disk quota exceeded"


def describe_os_error(exc: OSError, path: str | Path | None = None) -> str:
    """A file-system error in words, with the path it concerns: "'x': read-only file system"."""
    where = path if path is not None else exc.filename
    text = _ERRNO_TEXT.get(exc.errno or -1) or exc.strerror or str(exc) or type(exc).__name__
    return f"'{where}': {text}" if where not in (None, "") else text


def _empty(what: str) -> str:
    """ "--out is empty", "output folder: the path is empty" (not a folder without files)."""
    return f"{what} is empty" if what.startswith("-") else f"{what}: the path is empty"


def read_input_text(path: str | Path, what: str, allowed: str,
                    error: type[ValueError] = ValueError) -> str:
    """The text of the input file `path` given as `what` (an option such as ``--params``, or
    "spec file"), read as UTF-8. A one-line `error` naming the input, the value and what is
    `allowed` when the path is empty, missing, a directory, unreadable or not UTF-8 text."""
    if isinstance(path, str) and not path.strip():
        raise error(f"{what} is empty; allowed: {allowed}")
    file = Path(path)
    if file.is_dir():
        raise error(f"{what} '{path}' is a directory, not a file; allowed: {allowed}")
    if not file.exists():
        raise error(f"{what} '{path}' not found; allowed: {allowed}")
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        byte = exc.object[exc.start:exc.start + 1].hex()
        raise error(f"{what} '{path}' is not UTF-8 text (byte 0x{byte} at position "
                    f"{exc.start}); allowed: {allowed}") from None
    except OSError as exc:
        raise error(f"{what} '{path}' cannot be read: {describe_os_error(exc, '')}; allowed: "
                    f"{allowed}") from None


def filesystem_type(path: str | Path) -> str | None:
    """The type of the file system holding `path` (from /proc/self/mounts; None if unknown)."""
    try:
        lines = Path("/proc/self/mounts").read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    target = os.path.realpath(path)
    best, kind = "", None
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        mount = parts[1].replace("\\040", " ").replace("\\011", "\t")
        inside = target == mount or target.startswith(mount.rstrip("/") + "/")
        if inside and len(mount) >= len(best):
            best, kind = mount, parts[2]
    return kind


def check_output_dir(path: str | Path, what: str = "output folder") -> Path:
    """`path` as a directory this process can write a sweep (or any output) into, checked
    before any work: not empty, not a file, not under a file, not on a pseudo file system,
    writable (a probe file is created and removed) and with free space. StorageError saying
    which and what is allowed otherwise, naming the path as `what` (the CLI passes its option,
    ``--out``). Nothing is left behind."""
    if isinstance(path, str) and not path.strip():
        raise StorageError(f"{_empty(what)}; allowed: the path of a directory (created if "
                           "missing)")
    out = Path(path).expanduser()
    if out.exists() and not out.is_dir():
        raise StorageError(f"{what} '{out}' is a file, not a directory; allowed: a directory "
                           "(created if missing)")
    existing = out.absolute()
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise StorageError(f"{what} '{out}': '{existing}' is a file, so no directory can be "
                           "made inside it; allowed: a directory path")
    kind = filesystem_type(existing)
    if kind in PSEUDO_FILESYSTEMS:
        raise StorageError(f"{what} '{out}' is on a pseudo file system ({kind}), which holds no "
                           "ordinary files; allowed: a directory on a disk")
    try:
        fd, probe = tempfile.mkstemp(prefix=".cbec-probe-", dir=existing)
        try:
            os.write(fd, b"probe")
            os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(probe)
    except OSError as exc:
        raise StorageError(f"{what} '{out}' cannot be written: "
                           f"{describe_os_error(exc, existing)}") from None
    try:
        stat = os.statvfs(existing)
    except (OSError, AttributeError):
        return out
    free = stat.f_bavail * stat.f_frsize
    if free < MIN_FREE_BYTES:
        raise StorageError(f"{what} '{out}' cannot be written: no space left on the device "
                           f"holding '{existing}' ({free:,} bytes free); free some space or "
                           f"choose another {what}")
    if stat.f_files and not stat.f_favail:
        raise StorageError(f"{what} '{out}' cannot be written: no free inodes on the device "
                           f"holding '{existing}'; delete files or choose another {what}")
    return out


# ---------------------------------------------------------------------------- provenance


def model_version(function: str = DEFAULT_FUNCTION) -> str:
    """Version string of the code a run function executes: ``<package version>+<source hash>``.

    For the default ``model.run:simulate`` the hash covers every file of the ``model`` and
    ``agents`` packages (code and data); for another function, the file of its module, and the
    function's import path is appended. Any edit to the model thus changes every run id.
    """
    module = function.split(":", 1)[0]
    try:
        package = importlib.metadata.version(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        package = "0+unknown"
    if module.split(".")[0] == "model":
        roots = [_package_dir(name) for name in MODEL_PACKAGES]
        suffix = ""
    else:
        roots = [_module_file(module)]
        suffix = f"@{function}"
    digest = hashlib.sha256()
    for root in roots:
        if root is None:
            continue
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for path in files:
            if "__pycache__" in path.parts or path.suffix in (".pyc", ".pyo"):
                continue
            digest.update(str(path.relative_to(root.parent)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return f"{package}+{digest.hexdigest()[:12]}{suffix}"


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _module_file(module: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    return Path(spec.origin) if spec is not None and spec.origin else None


def provenance() -> dict[str, Any]:
    """Python and package versions, platform, and the git commit of the project."""
    versions = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return {"versions": versions, "platform": platform.platform(), "git": git_state()}


def git_state() -> dict[str, Any]:
    """``git rev-parse HEAD`` of the project ("unknown" outside git) and whether it is dirty."""
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=_PROJECT_ROOT, capture_output=True,
                                  text=True, timeout=10, check=True)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip()

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no") if commit else None
    return {"commit": commit or "unknown", "dirty": None if status is None else bool(status)}


def now() -> str:
    """The current time, UTC, ISO 8601."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


# ------------------------------------------------------------------------- atomic writes


def name_path(exc: BaseException, path: str | Path) -> None:
    """Give an OSError that names no file (os.write, fsync, pyarrow) the path being written,
    so its message can say where: "cannot write '<path>': no space left on the device"."""
    if isinstance(exc, OSError) and not exc.filename:
        with contextlib.suppress(AttributeError, TypeError):
            exc.filename = str(path)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that the file appears whole or not at all."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        name_path(exc, path)
        raise
    try:
        with os.fdopen(fd, "wb") as fh:
            _write_all(fh, data)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        name_path(exc, path)
        raise
    _fsync_dir(path.parent)


def _write_all(fh: Any, data: bytes) -> None:
    """Write, flush and fsync (the one place data reaches the disk: tests put a full disk
    here)."""
    fh.write(data)
    fh.flush()
    os.fsync(fh.fileno())


def atomic_write_with(path: Path, write: Any) -> None:
    """``write(tmp)`` to a temporary file beside `path` (same suffix, so writers that go by
    it work), then rename it into place with the umask's permissions: a failed write (a full
    disk) leaves the old file or none, never half of one."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{path.suffix}",
                                   dir=path.parent)
    except OSError as exc:
        name_path(exc, path)
        raise
    os.close(fd)
    try:
        write(Path(tmp))
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # mkstemp makes it private (0600)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        name_path(exc, path)
        raise


def atomic_write_json(path: Path, content: Any) -> None:
    """Atomically write JSON (indented, UTF-8)."""
    text = json.dumps(content, indent=2, ensure_ascii=False, default=_json_default)
    atomic_write_bytes(path, (text + "\n").encode())


def atomic_write_parquet(path: Path, frame: pd.DataFrame) -> None:
    """Atomically write a DataFrame as Parquet."""
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), buffer)
    atomic_write_bytes(path, buffer.getvalue())


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (Path, dt.datetime)):
        return str(value)
    raise TypeError(f"not JSON serialisable: {value!r}")


# ------------------------------------------------------------------------------ the store


class SweepStore:
    """A sweep's output directory: manifest, design, one file per finished or failed run.
    Messages name it as `name` ("output folder"; the CLI passes its option, ``--out``)."""

    def __init__(self, out: str | Path, name: str = "output folder") -> None:
        self.name = name
        if isinstance(out, str) and not out.strip():  # Path("") would be the current directory
            raise StorageError(f"{_empty(name)}; allowed: the path of a directory")
        self.out = Path(out)
        self.runs_dir = self.out / RUNS
        self.manifest_path = self.out / MANIFEST
        self.design_path = self.out / DESIGN

    # -- reading
    def read_manifest(self) -> dict[str, Any] | None:
        """The manifest, or None if DIR holds none (StorageError if it is unreadable or not a
        JSON object)."""
        if not self.manifest_path.is_file():
            return None
        try:
            manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError) as exc:
            raise StorageError(f"{self.manifest_path} is unreadable: {exc}") from None
        if not isinstance(manifest, dict):
            raise StorageError(f"{self.manifest_path} is not a sweep manifest: expected a JSON "
                               f"object, got {type(manifest).__name__}. Restore it, or rerun "
                               f"the sweep into another {self.name}")
        return manifest

    def require_manifest(self) -> dict[str, Any]:
        """The manifest, validated (:func:`validate_manifest`); StorageError if DIR is not a
        sweep directory or its manifest is damaged."""
        if not self.out.exists():
            raise StorageError(f"'{self.out}' does not exist")
        if not self.out.is_dir():
            raise StorageError(f"'{self.out}' is a file, not a sweep directory")
        self.check_layout()
        manifest = self.read_manifest()
        if manifest is None:
            raise StorageError(f"'{self.out}' holds no sweep ({MANIFEST} missing); give the "
                               "output folder of a `cbec sweep` (its --out)")
        return validate_manifest(manifest, self.manifest_path, self.name)

    def check_layout(self) -> None:
        """StorageError if a folder a sweep keeps in DIR (``runs/``, ``rejected/``) is a file,
        or a file it keeps (the manifest, the design table) is a folder: resuming would fail
        half-way and an analysis would see no runs."""
        hint = "; move or remove it, then run the same `cbec sweep` command"
        for folder, holds in ((self.runs_dir, "its run files"),
                              (self.out / REJECTED, "the run files it sets aside")):
            if folder.exists() and not folder.is_dir():
                raise StorageError(f"'{folder}' is a file, where a sweep needs a folder for "
                                   f"{holds}; allowed: a folder{hint}")
        for file in (self.manifest_path, self.design_path):
            if file.is_dir():
                raise StorageError(f"'{file}' is a folder, where a sweep keeps a file; "
                                   f"allowed: a file{hint}")

    def stray_files(self, run_ids: set[str]) -> list[str]:
        """Names in ``runs/`` that are neither the result nor the error record of a run in
        `run_ids` (another design's run file, notes...), sorted; hidden temporaries of a
        killed sweep are not listed (a resume removes them)."""
        if not self.runs_dir.is_dir():
            return []
        known = {f"{run}{suffix}" for run in run_ids for suffix in (".parquet", ".error.json")}
        return sorted(e.name for e in os.scandir(self.runs_dir)
                      if e.name not in known and not e.name.startswith("."))

    def read_design(self, manifest: dict[str, Any] | None = None) -> pd.DataFrame:
        """The design table (one row per run). With the sweep's `manifest`, checked against
        it: readable, the columns, rows and run ids (their fingerprint) it records, every
        replication's seed. StorageError otherwise."""
        hint = "; rerun the same `cbec sweep` command to rewrite it from the spec"
        if not self.design_path.is_file():
            raise StorageError(f"'{self.design_path}' is missing{hint}")
        try:
            table = pd.read_parquet(self.design_path)
        except Exception as exc:  # pyarrow raises its own types for damaged files
            raise StorageError(f"'{self.design_path}' is not a readable design table "
                               f"({_first_line(exc)}){hint}") from None
        if manifest is None:
            return table
        design = manifest["design"]
        names = list(design["parameters"])
        missing = [c for c in ("point", "replication", "seed", "run_id", *names)
                   if c not in table.columns]
        if missing:
            raise StorageError(f"'{self.design_path}' lacks the columns {', '.join(missing)} "
                               f"its manifest's design needs{hint}")
        if len(table) != design["runs"]:
            raise StorageError(f"'{self.design_path}' has {len(table)} rows, but the manifest "
                               f"records {design['runs']} runs{hint}")
        if runs_fingerprint(table) != manifest["runs_fingerprint"]:
            raise StorageError(f"'{self.design_path}' lists other run ids than the manifest "
                               f"records (edited or from another sweep?){hint}")
        seeds = manifest["seeds"]["replications"]
        expected = [int(seeds[r]) if 0 <= r < len(seeds) else None
                    for r in table["replication"].astype("int64")]
        if [int(v) for v in table["seed"]] != expected:
            raise StorageError(f"'{self.design_path}' gives runs other seeds than the "
                               f"manifest's replication seeds{hint}")
        points = table["point"].astype("int64")
        if points.min() < 0 or points.max() >= design["points"]:
            raise StorageError(f"'{self.design_path}' has points outside 0 to "
                               f"{design['points'] - 1}{hint}")
        return table

    def result_path(self, run_id: str) -> Path:
        return self.runs_dir / f"{run_id}.parquet"

    def error_path(self, run_id: str) -> Path:
        return self.runs_dir / f"{run_id}.error.json"

    def finished_ids(self) -> set[str]:
        """Ids of runs with a result file."""
        return self._ids(".parquet")

    def failed_ids(self) -> set[str]:
        """Ids of runs recorded as failed (and not finished since)."""
        return self._ids(".error.json") - self.finished_ids()

    def _ids(self, suffix: str) -> set[str]:
        if not self.runs_dir.is_dir():
            return set()
        return {e.name[: -len(suffix)] for e in os.scandir(self.runs_dir)
                if e.name.endswith(suffix) and not e.name.startswith(".")}

    def read_result(self, run_id: str, columns: list[str] | None = None) -> pd.DataFrame:
        return pd.read_parquet(self.result_path(run_id), columns=columns)

    def read_error(self, run_id: str) -> dict[str, Any]:
        return json.loads(self.error_path(run_id).read_text(encoding="utf-8"))

    # -- checking and creating
    def check_compatible(self, plan: Plan) -> bool:
        """Whether DIR already holds this sweep (True), is new or empty (False); StorageError
        if it cannot be written (:func:`check_output_dir`), holds another sweep, other files,
        a damaged manifest, or results of another model version."""
        check_output_dir(self.out, self.name)
        self.check_layout()
        manifest = self.read_manifest()
        if manifest is None:
            if self.out.is_dir() and any(p.name != LOCK for p in self.out.iterdir()):
                raise StorageError(f"'{self.out}' is not empty and holds no sweep manifest; "
                                   f"choose another {self.name}")
            return False
        validate_manifest(manifest, self.manifest_path, self.name)
        spec = plan.spec
        if manifest.get("spec_fingerprint") != spec.fingerprint():
            raise StorageError(
                f"'{self.out}' holds the sweep '{manifest.get('name')}' run from a different "
                f"spec; results of two specs are never mixed. Give another {self.name} (or "
                f"restore the spec it was run with: see {MANIFEST})")
        if manifest.get("model_version") != plan.model_version:
            raise StorageError(
                f"'{self.out}' holds runs of model version {manifest.get('model_version')}, "
                f"but the model is now {plan.model_version} (its source changed). Give another "
                f"{self.name}, or restore the model those runs came from")
        if manifest.get("runs_fingerprint") != runs_fingerprint(plan):
            raise StorageError(
                f"'{self.out}' holds the sweep '{manifest.get('name')}' with the same spec, but "
                "its runs now resolve to other parameter values (a parameter default or the "
                f"scenario '{spec.scenario}' changed since). Give another {self.name}")
        return True

    def initialise(self, plan: Plan, invocation: dict[str, Any]) -> None:
        """Create DIR with manifest and design (new sweep), or log a new invocation (resume;
        a missing or damaged design table is rewritten from the plan, which the manifest's
        fingerprints have matched)."""
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.remove_stale_temporaries()
        manifest = self.read_manifest()
        if manifest is None:
            atomic_write_parquet(self.design_path, plan.runs)
            manifest = new_manifest(plan)
        elif not self._design_intact(plan):
            atomic_write_parquet(self.design_path, plan.runs)
            invocation = {**invocation, "design_rewritten": True}
        manifest.setdefault("invocations", []).append(invocation)
        manifest["updated"] = now()
        atomic_write_json(self.manifest_path, manifest)

    def _design_intact(self, plan: Plan) -> bool:
        try:
            table = pd.read_parquet(self.design_path)
            return table.equals(plan.runs)
        except Exception:  # missing or damaged: rewritten
            return False

    def verify_results(self, expected: dict[str, tuple[int, dict[str, Any]]],
                       workers: int = 8) -> dict[str, str]:
        """Check the result file of every run in `expected` (run id -> (seed, varied values))
        that exists: a readable Parquet table of that run id, seed and parameter values.
        Returns {run id: what is wrong} for the files that fail."""
        present = self.finished_ids() & set(expected)

        def check(run: str) -> tuple[str, str | None]:
            try:
                frame = pd.read_parquet(self.result_path(run))
            except Exception as exc:  # damaged: pyarrow's own error types
                return run, f"is not a readable Parquet file ({_first_line(exc)})"
            seed, varied = expected[run]
            return run, check_run_frame(frame, run, seed, varied)

        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max(1, workers)) as pool:
            results = list(pool.map(check, sorted(present)))
        return {run: problem for run, problem in results if problem}

    def set_aside(self, run_id: str) -> Path:
        """Move a run file that failed verification to DIR/rejected/ (kept, never deleted), so
        the run is redone; returns its new path."""
        folder = self.out / REJECTED
        folder.mkdir(exist_ok=True)
        target = folder / f"{run_id}.parquet"
        k = 1
        while target.exists():
            target = folder / f"{run_id}.{k}.parquet"
            k += 1
        os.replace(self.result_path(run_id), target)
        return target

    def finish_invocation(self, status: dict[str, Any],
                          counts: dict[str, Any] | None = None) -> None:
        """Record how the latest invocation ended and the state of the sweep: `counts` (state
        "done" or "incomplete", finished and verified, failed, runs, summary) when the caller
        verified them, else the files now on disk."""
        manifest = self.read_manifest() or {}
        if manifest.get("invocations"):
            manifest["invocations"][-1].update(status)
        manifest["updated"] = now()
        if counts is None:
            runs = manifest.get("design", {}).get("unique_runs")
            finished = len(self.finished_ids())
            counts = {"state": "incomplete", "finished": finished,
                      "failed": len(self.failed_ids()), "runs": runs,
                      "summary": f"incomplete, {finished} of {runs} runs finished (not "
                                 "verified: the sweep was interrupted)"}
        manifest["status"] = counts
        atomic_write_json(self.manifest_path, manifest)

    def remove_stale_temporaries(self) -> None:
        """Delete temporary files a killed sweep left behind (never complete results)."""
        for folder in (self.out, self.runs_dir):
            if folder.is_dir():
                for entry in folder.glob(".*.tmp"):
                    with contextlib.suppress(OSError):
                        entry.unlink()

    def discard(self) -> None:
        """Remove a sweep directory this invocation created and wrote no result into."""
        errors = list(self.runs_dir.glob("*.error.json")) if self.runs_dir.is_dir() else []
        for path in (self.manifest_path, self.design_path, self.out / LOCK, *errors):
            with contextlib.suppress(OSError):
                path.unlink()
        for folder in (self.runs_dir, self.out):
            with contextlib.suppress(OSError):
                folder.rmdir()

    # -- writing runs
    def write_result(self, run_id: str, frame: pd.DataFrame) -> None:
        """Store a finished run (and drop an older failure record of it). The file's footer is
        read back: a file that does not hold the rows written raises StorageError."""
        path = self.result_path(run_id)
        atomic_write_parquet(path, frame)
        try:
            rows = pq.read_metadata(path).num_rows
        except Exception as exc:  # pyarrow's own error types
            rows, reason = -1, _first_line(exc)
        else:
            reason = f"{rows} rows instead of {len(frame)}"
        if rows != len(frame):
            with contextlib.suppress(OSError):
                path.unlink()
            raise StorageError(f"'{path}' did not read back after writing ({reason}); the disk "
                               "may be failing")
        with contextlib.suppress(FileNotFoundError):
            self.error_path(run_id).unlink()

    def write_error(self, run_id: str, error: dict[str, Any]) -> None:
        """Store a failed run's error; counts the attempts."""
        path = self.error_path(run_id)
        attempts = 1
        if path.is_file():
            with contextlib.suppress(OSError, json.JSONDecodeError, AttributeError):
                attempts = int(json.loads(path.read_text(encoding="utf-8")).get("attempts", 0)) + 1
        atomic_write_json(path, {**error, "run_id": run_id, "attempts": attempts,
                                 "recorded": now()})

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold DIR's lock so two sweeps never write to it at once (released by the OS even
        after kill -9). A no-op where ``fcntl`` is missing."""
        try:
            import fcntl
        except ImportError:
            yield
            return
        self.out.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.out / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StorageError(f"another sweep is writing to '{self.out}'; wait for it "
                                   f"or choose another {self.name}") from None
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            yield
        finally:
            os.close(fd)


def runs_fingerprint(plan: Plan | pd.DataFrame) -> str:
    """Hash of the ordered run ids (of a plan or a design table): changes if any run's
    parameters, seed or model change."""
    runs = plan.runs if isinstance(plan, Plan) else plan
    return hashlib.sha256("\n".join(runs["run_id"]).encode()).hexdigest()[:16]


def validate_manifest(manifest: Any, where: str | Path,
                      name: str = "output folder") -> dict[str, Any]:
    """Check a manifest against its schema and itself: the keys and types :func:`new_manifest`
    writes, its spec against its fingerprint, the design summary and seeds against the spec.
    Returns it; StorageError naming the first problem otherwise (an edited or damaged file).
    A missing ``status`` is allowed: :func:`recorded_status` reads it as incomplete."""
    def bad(problem: str) -> StorageError:
        return StorageError(f"{where} is not a valid sweep manifest: {problem}. It was edited "
                            f"or damaged; restore it, or rerun the sweep into another {name}")

    if not isinstance(manifest, dict):
        raise bad(f"expected a JSON object, got {type(manifest).__name__}")
    schema = {"format": int, "name": str, "spec": dict, "spec_fingerprint": str,
              "run_function": str, "model_version": str, "runs_fingerprint": str,
              "design": dict, "seeds": dict}
    for key, kind in schema.items():
        if key not in manifest:
            raise bad(f"'{key}' is missing")
        if not isinstance(manifest[key], kind) or isinstance(manifest[key], bool):
            raise bad(f"'{key}' should be a {kind.__name__}, got {manifest[key]!r:.60}")
    if manifest["format"] != FORMAT:
        raise bad(f"format {manifest['format']} is not {FORMAT}")
    spec = manifest["spec"]
    if fingerprint_of(spec) != manifest["spec_fingerprint"]:
        raise bad("its spec does not match its spec_fingerprint")
    design, seeds = manifest["design"], manifest["seeds"]

    def whole(value: Any, minimum: int) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and value >= minimum

    if design.get("kind") not in DESIGN_KINDS:
        raise bad(f"design kind {design.get('kind')!r} is not one of {', '.join(DESIGN_KINDS)}")
    names = design.get("parameters")
    if (not isinstance(names, list) or not names or len(set(map(str, names))) != len(names)
            or not all(isinstance(n, str) for n in names)):
        raise bad(f"design parameters {names!r:.60} is not a list of distinct names")
    for key, minimum in (("points", 1), ("replications", 1), ("runs", 1), ("unique_runs", 1)):
        if not whole(design.get(key), minimum):
            raise bad(f"design {key} {design.get(key)!r} is not a whole number >= {minimum}")
    if design["runs"] != design["points"] * design["replications"]:
        raise bad("design runs is not points x replications")
    if design["unique_runs"] > design["runs"]:
        raise bad("design unique_runs exceeds its runs")
    try:
        recorded = (spec["design"]["kind"], [p["name"] for p in spec["parameters"]],
                    spec["replications"], spec["seed"], spec["function"])
    except (KeyError, TypeError) as exc:
        raise bad(f"its spec lacks {exc}") from None
    if recorded != (design["kind"], names, design["replications"], seeds.get("master"),
                    manifest["run_function"]):
        raise bad("its design summary, seeds or run function disagree with its spec")
    listed = seeds.get("replications")
    if not whole(seeds.get("master"), 0) or not isinstance(listed, list):
        raise bad("seeds are malformed")
    if listed != replication_seeds(seeds["master"], design["replications"]):
        raise bad("its replication seeds are not the ones its master seed spawns")
    return manifest


def stray_text(stray: list[str]) -> str:
    """ "2 files that are not runs of this design: a, b" (at most three named)."""
    shown = ", ".join(stray[:3]) + (f" and {len(stray) - 3} more" if len(stray) > 3 else "")
    if len(stray) == 1:
        return f"1 file that is not a run of this design: {shown}"
    return f"{len(stray)} files that are not runs of this design: {shown}"


def recorded_status(manifest: dict[str, Any]) -> tuple[str, str | None]:
    """The sweep's state as its manifest records it: ("done" or "incomplete", None), or
    ("incomplete", why) when the manifest records none (or a malformed one). That happens when
    a sweep was stopped before its last write (kill -9, a power cut, a full disk): it counts
    as incomplete until the same ``cbec sweep`` command finishes it."""
    status = manifest.get("status")
    state = status.get("state") if isinstance(status, dict) else None
    if state in ("done", "incomplete"):
        return state, None
    what = "no status" if status is None else f"a malformed status ({status!r:.40})"
    return "incomplete", (f"the manifest records {what}: the sweep was stopped before it could "
                          "record how it ended (kill -9, a power cut or a full disk), so it "
                          "counts as incomplete")


def check_run_frame(frame: pd.DataFrame, run_id: str, seed: int,
                    varied: dict[str, Any]) -> str | None:
    """Why a run file's table is not run `run_id` with `seed` and the `varied` parameter
    values the design gives it (None if it is)."""
    if "run_id" not in frame.columns or frame.empty:
        return "holds no run (no rows, or no run_id column)"
    ids = sorted(set(map(str, frame["run_id"])))
    if ids != [run_id]:
        return (f"holds run {', '.join(ids[:2])}, not {run_id} (renamed or swapped with "
                "another file?)")
    if "month" not in frame.columns:
        return "has no month column"
    if "seed" not in frame.columns or {int(v) for v in frame["seed"]} != {int(seed)}:
        found = sorted({int(v) for v in frame["seed"]}) if "seed" in frame.columns else "none"
        return f"has seed {found}, but the design gives this run seed {seed}"
    for name, value in varied.items():
        column = PARAM_PREFIX + name
        if column not in frame.columns:
            return f"lacks the column {column}"
        values = set(frame[column].tolist())
        if len(values) != 1 or not _same(next(iter(values)), value):
            return f"has {name} = {sorted(values, key=str)[:2]}, but the design says {value!r}"
    return None


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (bool, np.bool_)) or isinstance(b, (bool, np.bool_)):
        return bool(a) == bool(b) and type(a) is not str
    try:
        return float(a) == float(b) or abs(float(a) - float(b)) <= 1e-12 * abs(float(b))
    except (TypeError, ValueError):
        return a == b


def new_manifest(plan: Plan) -> dict[str, Any]:
    """The manifest of a new sweep."""
    spec = plan.spec
    info = provenance()
    stamp = now()
    return {
        "format": FORMAT,
        "name": spec.name,
        "created": stamp,
        "updated": stamp,
        "spec_source": spec.source,
        "spec_text": spec.text,
        "spec": spec.to_dict(),
        "spec_fingerprint": spec.fingerprint(),
        "run_function": spec.function,
        "model_version": plan.model_version,
        "runs_fingerprint": runs_fingerprint(plan),
        "design": {
            "kind": spec.design.kind,
            "parameters": list(spec.names),
            "points": len(plan.design),
            "replications": spec.replications,
            "runs": len(plan.runs),
            "unique_runs": len(plan.unique_run_ids),
            "file": DESIGN,
        },
        "seeds": {"master": spec.seed, "method": "numpy SeedSequence(master).spawn(replications)",
                  "replications": list(plan.seeds)},
        "run_id": "sha256 of canonical JSON of (all parameters, seed, model_version), 16 hex",
        **info,
        "argv": sys.argv,
    }
