"""Agent-based model of rural cross-border e-commerce in Guizhou (Mesa).

>>> from model import CBECModel
>>> df = CBECModel(rng=1, household_scale=0.005, months=24).run().outcomes()
"""

from model.model import CBECModel
from model.parameters import ParameterError, Parameters

__all__ = ["CBECModel", "ParameterError", "Parameters"]
