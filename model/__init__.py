"""Agent-based model of rural cross-border e-commerce in Guizhou (Mesa).

>>> from model import CBECModel
>>> df = CBECModel(rng=1, household_scale=0.005, months=24).run().outcomes()
"""

from typing import Any

from model.parameters import ParameterError, Parameters

__all__ = ["CBECModel", "ParameterError", "Parameters"]


def __getattr__(name: str) -> Any:
    # CBECModel is imported lazily: agents/ and model/ import each other's submodules.
    if name == "CBECModel":
        from model.model import CBECModel

        return CBECModel
    raise AttributeError(f"module 'model' has no attribute {name!r}")
