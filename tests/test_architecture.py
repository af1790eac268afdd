"""The package's structure: no import cycles, agents that never import the model module, one
module per submodel, each opening with the ODD paragraph it implements."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PACKAGES = ("model", "agents", "experiments", "app")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).glob("*.py")):
            name = package if path.stem == "__init__" else f"{package}.{path.stem}"
            found[name] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(path: Path, modules: dict[str, Path], runtime_only: bool = True) -> set[str]:
    """Package modules that ``path`` imports at module level (when it is imported), resolved
    to modules: ``from model import economics`` is ``model.economics``. Imports inside
    functions and ``if TYPE_CHECKING:`` blocks do not run at import time; with
    ``runtime_only=False`` they are included too."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and _is_type_checking(node):
                if not runtime_only:
                    visit(node.body)
                continue
            if isinstance(node, ast.Import):
                out.update(a.name for a in node.names if a.name in modules)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    if full in modules:
                        out.add(full)
                    elif node.module in modules:
                        out.add(node.module)
            elif not runtime_only and isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.If,
                                                        ast.Try, ast.With)):
                visit([n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))])
            elif isinstance(node, (ast.If, ast.Try)):
                visit(node.body)
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)
                visit(node.orelse)
    visit(tree.body)
    return out


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle found by a depth-first search (one per back edge)."""
    found, state, stack = [], {}, []

    def walk(node: str) -> None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                found.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                walk(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            walk(node)
    return found


def _with_packages(importer: str, imported: set[str]) -> set[str]:
    """Importing ``a.b`` from another package first runs the package ``a`` (its
    ``__init__``); within its own package a module's parent is already running."""
    own = importer.split(".")[0]
    return imported | {name.split(".")[0] for name in imported} - {own}


def test_no_import_cycles_in_the_package():
    modules = _modules()
    graph = {name: _with_packages(name, _imports(path, modules)) - {name}
             for name, path in modules.items()}
    assert not _cycles(graph), _cycles(graph)


def test_any_module_imports_first():
    """Whichever module a user imports first, the package imports (no partial-init error)."""
    import subprocess
    import sys

    for name in _modules():
        if name.endswith("__main__"):
            continue  # running it is starting the program
        run = subprocess.run([sys.executable, "-c", f"import {name}"], cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, f"import {name}: {run.stderr[-500:]}"


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_agents_never_import_the_model_module():
    """Agents hold state and their own behaviour; the model wires them."""
    modules = _modules()
    for name, path in modules.items():
        if name.split(".")[0] == "agents":
            imported = _imports(path, modules, runtime_only=False)
            assert "model.model" not in imported, name
            # the reference farmer names its driver only for type checking
            assert not imported & {"model.reference"} or name == "agents.farmer_reference", name


SUBMODELS = {  # ODD §7 submodel -> its module and a phrase of the ODD paragraph it opens with
    "model.awareness": "Each cell ``c`` carries a cumulative hazard",
    "model.training": "Every county trains",
    "model.adoption": "``hurdle = p.hurdle_base + p.hurdle_risk × risk_aversion``",
    "model.sales": "For every seller, with the month's context",
    "model.cooperatives": "**Formation** (switch ``p.cooperatives``)",
    "model.subsidies": "**Payment** (December)",
    "model.poles": "Field of pole ``p`` at a cell",
    "model.gradient": "Know-how is a level in [0, 1]",
    "model.returnees": "Each county has a pool of out-migrant households",
    "model.clusters": "The rule is modelled on the Taobao-village criteria",
    "model.policy": "Every public cost is booked by month and instrument",
    "model.initialisation": "**Households per county**",
    "model.market": "Computed at the start of every month",
    "model.accounts": "A household's goods shipped per year",
    "model.targeting": "**When.** The levers take the scenario's values",
    "model.demand": "Each product line ``l`` sells into four markets",
    "model.budgets": "Every fiscal instrument draws on one named budget line",
    "model.entities": "The model has two populations of sellers",
}


@pytest.mark.parametrize("module", sorted(SUBMODELS))
def test_each_submodel_module_opens_with_its_odd_paragraph(module):
    path = ROOT / (module.replace(".", "/") + ".py")
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")), clean=False)
    assert doc and SUBMODELS[module] in doc
    odd = (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8")
    assert f"`{path.relative_to(ROOT).as_posix()}`" in odd  # the ODD names the module


def test_the_step_reads_as_the_schedule():
    """Every submodel module is called from CBECModel, and the class stays a short schedule."""
    source = (ROOT / "model" / "model.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "CBECModel")
    lines = cls.end_lineno - cls.lineno + 1
    # (280 before the firms: a second population acting each month took the rest)
    assert lines <= 305, f"CBECModel is {lines} lines; keep it the schedule and the wiring"
    for module in SUBMODELS:
        short = module.split(".")[1]
        assert short in source, f"{module} is not wired into CBECModel"
