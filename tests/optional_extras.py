"""Tests of the optional extras (app, notebooks) skip when the extra is not installed, except
under CI, where a missing package is a failure of the set-up."""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest


def require_extra(module: str, extra: str) -> ModuleType:
    """Import ``module`` from the install extra ``extra``, or skip the test (fail under CI)."""
    try:
        return importlib.import_module(module)
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"{module} is not installed (pip install -e '.[{extra}]', or make dev)")
