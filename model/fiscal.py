"""Fiscal ledger: the public cost of every policy instrument, month by month.

Amounts are booked in *province-equivalent* yuan: a payment to household agents is divided by
``household_scale`` (each agent stands for 1/scale real households), while infrastructure that
is not scaled (pickup points, stations, warehouses, hubs) is booked at its real cost. The CBEC
special fund (§3.2: 200 million yuan, 2022-2025) is the yardstick.
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

INSTRUMENTS = (
    "turnover_reward", "warehouse_construction", "training", "school_training_grant",
    "certification", "trademark", "credit_insurance", "breakage_insurance",
    "small_order_freight", "belt_reward", "talent_secondment", "startup_support",
    "rcep_origin", "one_stop_platform", "station_upgrade", "village_service_points",
    "pickup_points", "parcel", "hub_partners", "market_information", "professional_services",
    "flights", "county_clearance", "warehouse_operation",
)


class FiscalLedger:
    """Books payments by instrument; ``frame()`` gives one row per month and instrument."""

    def __init__(self, household_scale: float) -> None:
        self.scale = household_scale
        self.month = 0
        self._rows: dict[tuple[int, str], float] = defaultdict(float)
        self.paid_to_households = 0.0  # model units, for the invariant check

    def add(self, instrument: str, yuan: float) -> None:
        """Book a real (unscaled) cost."""
        if instrument not in INSTRUMENTS:
            raise KeyError(f"unknown fiscal instrument {instrument!r}")
        if yuan:
            self._rows[(self.month, instrument)] += float(yuan)

    def add_households(self, instrument: str, yuan_model_units: float) -> None:
        """Book payments to household agents (model units; rescaled to the province)."""
        self.paid_to_households += float(yuan_model_units)
        self.add(instrument, yuan_model_units / self.scale)

    def month_total(self, month: int | None = None) -> float:
        m = self.month if month is None else month
        return sum(v for (mm, _), v in self._rows.items() if mm == m)

    def total(self) -> float:
        return float(sum(self._rows.values()))

    def household_total(self) -> float:
        """Province-equivalent yuan paid to households (for the fiscal invariant)."""
        return self.paid_to_households / self.scale

    def frame(self) -> pd.DataFrame:
        rows = [{"month": m, "instrument": k, "cost_yuan": v} for (m, k), v in self._rows.items()]
        if not rows:
            return pd.DataFrame({"month": pd.Series(dtype=int), "instrument": pd.Series(dtype=str),
                                 "cost_yuan": pd.Series(dtype=float)})
        return pd.DataFrame(rows).sort_values(["month", "instrument"], ignore_index=True)
