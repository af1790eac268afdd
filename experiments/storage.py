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

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from experiments.design import Plan
from experiments.spec import DEFAULT_FUNCTION

MANIFEST = "manifest.json"
DESIGN = "design.parquet"
RUNS = "runs"
LOCK = ".lock"
FORMAT = 1
PACKAGE = "guizhou-cbec"
MODEL_PACKAGES = ("model", "agents")  # the source the default run function depends on
VERSIONED = ("numpy", "pandas", "mesa", "SALib", "scipy", "dask", "distributed", "pyarrow",
             "matplotlib", "tqdm")
_PROJECT_ROOT = Path(__file__).resolve().parent.parent


class StorageError(ValueError):
    """An output directory cannot be used as asked (another sweep's, not a sweep, locked...)."""


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


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that the file appears whole or not at all."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


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


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (Path, dt.datetime)):
        return str(value)
    raise TypeError(f"not JSON serialisable: {value!r}")


# ------------------------------------------------------------------------------ the store


class SweepStore:
    """A sweep's output directory: manifest, design, one file per finished or failed run."""

    def __init__(self, out: str | Path) -> None:
        self.out = Path(out)
        self.runs_dir = self.out / RUNS
        self.manifest_path = self.out / MANIFEST
        self.design_path = self.out / DESIGN

    # -- reading
    def read_manifest(self) -> dict[str, Any] | None:
        """The manifest, or None if DIR holds none."""
        if not self.manifest_path.is_file():
            return None
        try:
            return json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise StorageError(f"{self.manifest_path} is unreadable: {exc}") from None

    def require_manifest(self) -> dict[str, Any]:
        """The manifest; StorageError if DIR is not a sweep directory."""
        if not self.out.is_dir():
            raise StorageError(f"'{self.out}' does not exist")
        manifest = self.read_manifest()
        if manifest is None:
            raise StorageError(f"'{self.out}' holds no sweep ({MANIFEST} missing); give the "
                               "--out directory of a `cbec sweep`")
        return manifest

    def read_design(self) -> pd.DataFrame:
        """The design table (one row per run)."""
        return pd.read_parquet(self.design_path)

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
        if it holds another sweep, other files, or results of another model version."""
        if self.out.exists() and not self.out.is_dir():
            raise StorageError(f"--out '{self.out}' is a file, not a directory")
        manifest = self.read_manifest()
        if manifest is None:
            if self.out.is_dir() and any(p.name != LOCK for p in self.out.iterdir()):
                raise StorageError(f"'{self.out}' is not empty and holds no sweep manifest; "
                                   "choose another --out")
            return False
        spec = plan.spec
        if manifest.get("spec_fingerprint") != spec.fingerprint():
            raise StorageError(
                f"'{self.out}' holds the sweep '{manifest.get('name')}' run from a different "
                f"spec; results of two specs are never mixed. Give another --out (or restore "
                f"the spec it was run with: see {MANIFEST})")
        if manifest.get("model_version") != plan.model_version:
            raise StorageError(
                f"'{self.out}' holds runs of model version {manifest.get('model_version')}, "
                f"but the model is now {plan.model_version} (its source changed). Give another "
                "--out, or restore the model those runs came from")
        if manifest.get("runs_fingerprint") != runs_fingerprint(plan):
            raise StorageError(
                f"'{self.out}' holds the sweep '{manifest.get('name')}' with the same spec, but "
                "its runs now resolve to other parameter values (a parameter default or the "
                f"scenario '{spec.scenario}' changed since). Give another --out")
        return True

    def initialise(self, plan: Plan, invocation: dict[str, Any]) -> None:
        """Create DIR with manifest and design (new sweep), or log a new invocation (resume)."""
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.remove_stale_temporaries()
        manifest = self.read_manifest()
        if manifest is None:
            atomic_write_parquet(self.design_path, plan.runs)
            manifest = new_manifest(plan)
        manifest.setdefault("invocations", []).append(invocation)
        manifest["updated"] = now()
        atomic_write_json(self.manifest_path, manifest)

    def finish_invocation(self, status: dict[str, Any]) -> None:
        """Record how the latest invocation ended and the counts now on disk."""
        manifest = self.read_manifest() or {}
        if manifest.get("invocations"):
            manifest["invocations"][-1].update(status)
        manifest["updated"] = now()
        manifest["status"] = {"finished": len(self.finished_ids()),
                              "failed": len(self.failed_ids()),
                              "runs": manifest.get("design", {}).get("unique_runs")}
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
        """Store a finished run (and drop an older failure record of it)."""
        atomic_write_parquet(self.result_path(run_id), frame)
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
                                   "or choose another --out") from None
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            yield
        finally:
            os.close(fd)


def runs_fingerprint(plan: Plan) -> str:
    """Hash of the ordered run ids: changes if any run's parameters, seed or model change."""
    return hashlib.sha256("\n".join(plan.runs["run_id"]).encode()).hexdigest()[:16]


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
