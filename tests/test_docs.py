"""The documentation stays in step with the code."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_odd_parameter_table_matches_the_code():
    run = subprocess.run([sys.executable, "scripts/param_table.py", "--check", "docs/ODD.md"],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_readme_shows_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
