"""Foreign demand and its clearing (ODD §7.2; §2.3, §3.2, §5.1.3).

    Each product line ``l`` sells into four markets ``m`` (ASEAN, EU, US, rest of the world).
    Demand in a market has constant price elasticity ``ε = p.demand_elasticity``:
    ``Q[l, m] = S[l, m] × G[m](t) × x[l] ** −ε``, where ``Q`` is the goods a year at domestic
    wholesale value (yuan, 1:1), ``S[l, m] = p.demand_<line>_yuan × REFERENCE_MIX[l, m]`` the
    quantity the market takes at the reference export price in January 2022, ``G[m](t) = (1 +
    p.demand_growth_<market>) ** years`` its growth, and ``x[l]`` the export price of the line
    relative to that reference price, ``(1 + p.direct_sale_markup) × (1 + p.premium_<line>)``
    times the domestic value. The price is one per line (sellers ship where it pays, so a
    market paying more draws goods until it does not): it clears the line's supply ``X[l]``
    (its exports at the pace of the last three months, a year, 1:1) against the sum of the markets,
    ``x[l] = (Σ_m S[l, m] G[m](t) / X[l]) ** (1/ε)``, capped at ``p.export_price_cap`` (a line
    with almost no supply cannot charge more than buyers pay other origins for the same goods).
    Exports by market are the clearing's quantities: market ``m`` takes ``S[l, m] G[m](t) /
    Σ_m S[l, m] G[m](t)`` of the line at that price. More supply from Guizhou lowers the price;
    more demand in one market raises the price a little and the exports to that market most.
    The domestic wholesale channel stays the alternative in every household's decision (§7.3).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.parameters import Parameters

#: the export markets; the first three are also the markets of the overseas warehouses
#: (:data:`agents.logistics.MARKETS`)
DEMAND_MARKETS = ("asean", "eu", "us", "rest_of_world")
#: Where each line's buyers are at the reference price (rows: tea, chili, embroidery, other;
#: columns: ASEAN, EU, US, rest of the world). Assumption: Meitan tea goes mostly to the EU
#: and the US (§2.3) and to Central Asia and Africa through the rest of the world; chili mostly
#: to ASEAN (§2.3: Southeast Asian cuisines); embroidery and silver through Etsy and Shopee to
#: the US and EU (§2.3, §3.2); other lines like chili. Exports by market are results of the
#: clearing (these shares times market growth), not this table.
REFERENCE_MIX = np.array([
    [0.25, 0.35, 0.25, 0.15],
    [0.55, 0.15, 0.15, 0.15],
    [0.15, 0.35, 0.40, 0.10],
    [0.55, 0.15, 0.15, 0.15],
])
LINES = ("tea", "chili", "embroidery", "other")
MONTHS_KEPT = 12


def reference_price(p: Parameters) -> np.ndarray:
    """The reference export price per line, per yuan of goods at domestic wholesale value."""
    premium = np.array([getattr(p, f"premium_{line}") for line in LINES])
    return (1.0 + p.direct_sale_markup) * (1.0 + premium)


def market_demand(p: Parameters, month: int) -> np.ndarray:
    """``S[l, m] × G[m](t)``: what each market takes of each line a year at the reference
    price in ``month`` (yuan of goods at domestic value, 1:1), shape (4, 4)."""
    years = (month - 1) / 12.0
    growth = np.array([(1.0 + getattr(p, f"demand_growth_{m}")) ** years
                       for m in DEMAND_MARKETS])
    scale = np.array([getattr(p, f"demand_{line}_yuan") for line in LINES])
    return scale[:, None] * REFERENCE_MIX * growth[None, :]


@dataclass(frozen=True)
class Clearing:
    """One month's clearing: ``price`` per line (relative to the reference price, 1 when
    supply meets demand at it), ``market_share`` (4 lines x 4 markets: where each line's goods
    go) and ``demand`` (``market_demand``, yuan of goods a year at the reference price)."""

    price: np.ndarray
    market_share: np.ndarray
    demand: np.ndarray


def clear(p: Parameters, month: int, supply: np.ndarray) -> Clearing:
    """The export price of each line at which the markets take ``supply`` (goods a year at
    domestic value per line, 1:1)."""
    demand = market_demand(p, month)
    total = demand.sum(axis=1)
    supply = np.asarray(supply, dtype=float)
    cap = p.export_price_cap
    # at the cap when supply is below what demand takes at the cap (no division by ~0)
    at_cap = supply <= total * cap ** (-p.demand_elasticity)
    price = np.full(len(total), cap)
    price[~at_cap] = (total[~at_cap] / supply[~at_cap]) ** (1.0 / p.demand_elasticity)
    return Clearing(price, demand / total[:, None], demand)


def exports_by_market(goods_value: np.ndarray, revenue: np.ndarray, clearing: Clearing
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Split per-line goods value and revenue (4) over the markets by the clearing's shares:
    (goods, revenue), each shape (4 markets,)."""
    share = clearing.market_share
    return goods_value @ share, revenue @ share


#: the markets clear against the goods of this many recent months, as a yearly rate: buyers
#: react to what is on offer now, and a short window keeps entry from overshooting for a year
SUPPLY_MONTHS = 3


@dataclass
class ExportSupply:
    """The goods each line exported in recent months (model units, domestic value): the supply
    the markets clear against. ``record(month, value)`` writes one month (every slot when
    ``month`` is None, the warm start's past year)."""

    monthly: np.ndarray  # (12, 4), a ring indexed by month % 12
    last: int = 0        # the last month recorded

    @classmethod
    def empty(cls) -> ExportSupply:
        return cls(np.zeros((MONTHS_KEPT, len(LINES))))

    def record(self, month: int | None, value: np.ndarray) -> None:
        if month is None:
            self.monthly[:] = value
            self.last = 0
        else:
            self.monthly[month % MONTHS_KEPT] = value
            self.last = month

    def yearly_rate(self) -> np.ndarray:
        """Goods a year per line at the pace of the last :data:`SUPPLY_MONTHS` months."""
        rows = [(self.last - k) % MONTHS_KEPT for k in range(SUPPLY_MONTHS)]
        return self.monthly[rows].mean(axis=0) * MONTHS_KEPT
