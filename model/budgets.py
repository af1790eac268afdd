"""Budget lines: what each public instrument may spend a year, and how claims beyond it are
rationed (ODD §7.16; §3.2, §4.1, §5).

    Every fiscal instrument draws on one named budget line with a yearly appropriation (yuan a
    calendar year, province-equivalent). The CBEC special fund (§3.2, §4.1: 200 million yuan
    over 2022-2025, ``p.special_fund_yuan_per_year`` = 50 million a year) pays the three uses
    §4.1 names: turnover rewards, training subsidies and the overseas-warehouse construction
    subsidy. The paper gives no split among them, so they share the line (assumption); after
    2025 the fund is assumed renewed at the same size. Each group of §5 proposals has its own
    line (``p.budget_<line>_yuan_per_year``), unlimited by default: a scenario that wants a
    proposal to live within a budget sets it.

    **Rationing** (the stated rule): a line may pay, in a month, at most its *allowance*: what
    is left of the year's appropriation divided by the months left in the year (December:
    all that is left). Claims are paid in the order of the monthly schedule (ODD §3); claims
    beyond the allowance are paid pro rata (every claimant of that payment gets the same share
    of its claim). Running costs of built infrastructure (pickup points, partners, stations,
    platforms, flights, clearance centres, warehouse operation) are contracts: paid in full and
    counted against their line, so claims share what they leave. Households and firms expect
    the share of claims their instrument paid over the last 12 months (1 before any claim).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from model.parameters import Parameters

#: line -> (the ``Parameters`` field of its yearly appropriation, its instruments, section)
BUDGET_LINES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "special_fund": ("special_fund_yuan_per_year",
                     ("turnover_reward", "training", "warehouse_construction"), "§3.2, §4.1"),
    "enterprise_support": ("budget_enterprise_support_yuan_per_year",
                           ("certification", "trademark", "credit_insurance",
                            "breakage_insurance", "small_order_freight"), "§5.1.1"),
    "talent": ("budget_talent_yuan_per_year",
               ("school_training_grant", "belt_reward", "talent_secondment", "startup_support"),
               "§5.1.2"),
    "trade_facilitation": ("budget_trade_facilitation_yuan_per_year",
                           ("rcep_origin", "county_clearance"), "§5.1.3"),
    "services": ("budget_services_yuan_per_year",
                 ("station_upgrade", "village_service_points", "one_stop_platform",
                  "professional_services", "market_information"), "§4.2, §5.2.1, §5.2.3-4"),
    "logistics": ("budget_logistics_yuan_per_year",
                  ("parcel", "pickup_points", "hub_partners", "flights", "warehouse_operation"),
                  "§4.2, §5.2.2"),
}
MONTHS = 12


def line_of(instrument: str) -> str:
    """The budget line an instrument draws on: its line in :data:`BUDGET_LINES`, or a line of
    its own, unlimited, for an instrument added by an extension of the lever table (give it a
    line there to budget it)."""
    for line, (_, instruments, _) in BUDGET_LINES.items():
        if instrument in instruments:
            return line
    return instrument


def appropriations(p: Parameters) -> dict[str, float]:
    """Each line's yearly appropriation (yuan; ``math.inf`` = unlimited)."""
    return {line: float(getattr(p, field)) for line, (field, _, _) in BUDGET_LINES.items()}


@dataclass
class LineYear:
    """One line's year so far: appropriation, contracts and claims booked, paid."""

    appropriation: float
    paid: float = 0.0

    def allowance(self, month_of_year: int) -> float:
        """What the line may still pay this month (yuan)."""
        if math.isinf(self.appropriation):
            return math.inf
        left = max(self.appropriation - self.paid, 0.0)
        return left / (MONTHS - month_of_year + 1)
