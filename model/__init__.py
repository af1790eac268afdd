"""Agent-based model of rural cross-border e-commerce in Guizhou (Mesa).

>>> from model import CBECModel
>>> df = CBECModel(rng=1, household_scale=0.005, months=24).run().outcomes()
>>> from model import simulate  # one run, its results as DataFrames (model.run)

Layout: ``model.model`` is the schedule (``CBECModel``); one module per ODD §7 submodel
(``awareness``, ``training``, ``adoption``, ``sales``, ``cooperatives``, ``subsidies``,
``poles``, ``gradient``, ``returnees``, ``clusters``, ``policy``, ``initialisation``,
``market``, ``accounts``); ``randomness`` holds the random streams keyed by purpose; the
agents are in the ``agents`` package. For exploring a run:
``model.run`` (``simulate``, ``RunResult``), ``model.views`` (county and cell state, poles,
the know-how ladder, maps of any month) and ``model.plots`` (matplotlib, on your Axes).
"""

from typing import Any

from model.parameters import ParameterError, Parameters

__all__ = ["AWARE", "CBECModel", "EXITED", "PRODUCTS", "ParameterError", "Parameters",
           "RunResult", "SELLING", "STATUS_NAMES", "UNAWARE", "simulate"]


def __getattr__(name: str) -> Any:
    # CBECModel and the status codes are imported lazily: the agents read model.parameters
    # (which runs this file), so this file must not import the agents or model.model.
    if name == "CBECModel":
        from model.model import CBECModel

        return CBECModel
    if name in ("RunResult", "simulate"):
        import model.run

        return getattr(model.run, name)
    if name in ("AWARE", "EXITED", "PRODUCTS", "SELLING", "STATUS_NAMES", "UNAWARE"):
        import agents.farmers

        return getattr(agents.farmers, name)
    raise AttributeError(f"module 'model' has no attribute {name!r}")
