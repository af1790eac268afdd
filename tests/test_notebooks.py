"""The notebooks run top to bottom in a real Jupyter kernel, and are committed without outputs.

Each notebook in notebooks/ is executed by nbclient in an ipykernel started with this
interpreter (so it sees the installed model), from the notebooks/ folder, with
``MPLBACKEND=Agg`` and ``CBEC_NOTEBOOK_SMALL=1`` in the kernel's environment: a notebook may
read that variable to choose small settings (fewer seeds, a smaller ``household_scale``) in
the suite. Any cell error fails the test (with the cell and the traceback). The executed copy
is thrown away; the committed file must have no outputs and no execution counts.

Needs the ``notebooks`` extra (nbclient, nbformat, ipykernel), which ``make dev`` installs; the
tests skip without it, except under CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import pytest
from optional_extras import require_extra

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
CELL_TIMEOUT_S = 900  # generous: a slow machine is not a failure
KERNEL_NAME = "cbec-test-python"


def _require(module: str):
    return require_extra(module, "notebooks")


@pytest.fixture(scope="module")
def kernel_specs(tmp_path_factory):
    """A kernel spec that starts ipykernel with this interpreter, whatever kernels the
    machine's Jupyter paths hold."""
    _require("ipykernel")
    from jupyter_client.kernelspec import KernelSpecManager

    root = tmp_path_factory.mktemp("kernels")
    spec_dir = root / KERNEL_NAME
    spec_dir.mkdir()
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "guizhou-cbec tests", "language": "python",
            "env": {"MPLBACKEND": "Agg", "CBEC_NOTEBOOK_SMALL": "1",
                    "PYDEVD_DISABLE_FILE_VALIDATION": "1"}}
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    return KernelSpecManager(kernel_dirs=[str(root)], ensure_native_kernel=False)


def test_there_are_notebooks():
    assert NOTEBOOKS, f"no notebooks in {NOTEBOOK_DIR}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_committed_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    dirty = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
             and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not dirty, (f"{path.name}: code cells {dirty} have outputs or execution counts; "
                       "clear them before committing (Jupyter: Edit > Clear Outputs of All Cells)")


def _read(path: Path):
    nbformat = _require("nbformat")
    from nbformat.validator import normalize

    with warnings.catch_warnings():  # normalize warns about the missing ids it adds
        warnings.simplefilter("ignore")
        _, raw = normalize(json.loads(path.read_text(encoding="utf-8")))
    return nbformat.reads(json.dumps(raw), as_version=4)


def _execute(nb, kernel_specs) -> None:
    _require("nbclient")
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    km = KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=kernel_specs)
    client = NotebookClient(nb, km=km, timeout=CELL_TIMEOUT_S, allow_errors=False,
                            startup_timeout=300, kernel_name=KERNEL_NAME,
                            resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    client.execute()  # raises CellExecutionError, naming the cell, on any error


def test_the_kernel_runs_magics_and_display_and_reports_errors(kernel_specs, tmp_path):
    """What exec() could not do: magics and display() run; an error in a cell fails."""
    nbformat = _require("nbformat")
    from nbclient.exceptions import CellExecutionError

    v4 = nbformat.v4
    nb = v4.new_notebook(cells=[
        v4.new_code_cell("%matplotlib inline\nimport model\ndisplay(model.Parameters())"),
        v4.new_code_cell("import os\nprint(os.environ['CBEC_NOTEBOOK_SMALL'])"),
    ])
    _execute(nb, kernel_specs)
    assert nb.cells[0].outputs and nb.cells[1].outputs[0]["text"].strip() == "1"
    broken = v4.new_notebook(cells=[v4.new_code_cell("x = 1"),
                                    v4.new_code_cell("raise ValueError('boom')")])
    with pytest.raises(CellExecutionError, match="boom"):
        _execute(broken, kernel_specs)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_in_a_kernel(path, kernel_specs):
    nb = _read(path)
    assert any(c.cell_type == "code" for c in nb.cells), f"{path.name} has no code"
    _execute(nb, kernel_specs)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    ran = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in ran), "a code cell did not run"
