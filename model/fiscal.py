"""Fiscal ledger: the public cost of every policy instrument, month by month.

Amounts are booked in *province-equivalent* yuan: a payment to household agents is divided by
``household_scale`` (each agent stands for 1/scale real households), while infrastructure that
is not scaled (pickup points, stations, warehouses, hubs) is booked at its real cost. The CBEC
special fund (§3.2: 200 million yuan, 2022-2025) is the yardstick.

The instruments are those of the lever table (:data:`model.policy.INSTRUMENTS`).
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from model.scaling import to_real

if TYPE_CHECKING:
    from agents.farmers import Households


class FiscalLedger:
    """Books payments by instrument; ``frame()`` gives one row per month and instrument.

    ``instruments``: the names it accepts (a typo in an instrument is an error, not a new
    line of spending)."""

    def __init__(self, household_scale: float, instruments: tuple[str, ...]) -> None:
        self.scale = household_scale
        self.instruments = frozenset(instruments)
        self.month = 0
        self._rows: dict[tuple[int, str], float] = defaultdict(float)
        self.paid_to_households = 0.0  # model units, for the invariant check

    def add(self, instrument: str, yuan: float) -> None:
        """Book a real (unscaled) cost."""
        if instrument not in self.instruments:
            raise KeyError(f"unknown fiscal instrument {instrument!r}")
        if yuan:
            self._rows[(self.month, instrument)] += float(yuan)

    def add_households(self, instrument: str, yuan_model_units: float) -> None:
        """Book payments to household agents (model units; rescaled to the province)."""
        self.paid_to_households += float(yuan_model_units)
        self.add(instrument, to_real(yuan_model_units, self.scale))

    def month_total(self, month: int | None = None) -> float:
        m = self.month if month is None else month
        return sum(v for (mm, _), v in self._rows.items() if mm == m)

    def total(self) -> float:
        return float(sum(self._rows.values()))

    def frame(self) -> pd.DataFrame:
        rows = [{"month": m, "instrument": k, "cost_yuan": v} for (m, k), v in self._rows.items()]
        if not rows:
            return pd.DataFrame({"month": pd.Series(dtype=int), "instrument": pd.Series(dtype=str),
                                 "cost_yuan": pd.Series(dtype=float)})
        return pd.DataFrame(rows).sort_values(["month", "instrument"], ignore_index=True)


def pay_households(ledger: FiscalLedger, households: Households, instrument: str,
                   idx: np.ndarray, amount: np.ndarray) -> None:
    """Pay (or provide in kind) ``amount`` yuan to agents ``idx`` of a set (households or
    firms) and book it under ``instrument`` (in model units: times the set's weight)."""
    amount = np.asarray(amount, dtype=float)
    if len(idx) == 0 or not amount.any():
        return
    np.add.at(households.subsidies_received, idx, amount)
    ledger.add_households(instrument, float(amount.sum()) * households.weight)
