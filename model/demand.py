"""Foreign demand and its clearing (ODD §7.1; §2.3, §3.2, §5.1.3).

    Each product line ``l`` sells into four markets ``m`` (ASEAN, EU, US, rest of the world)
    through two channels ``c``: **B2B** consignments to importers and distributors (firms and
    cooperatives) and **retail** parcels to foreign consumers through platforms such as Etsy,
    Shopee or TikTok Shop (households selling on their own). Demand in a market has constant
    price elasticity ``ε = p.demand_elasticity``:
    ``Q[c, l, m] = S[c, l, m] × G[m](t) × x[c, l] ** −ε``, where ``Q`` is the goods a year at
    domestic wholesale value (yuan, 1:1), ``S[c, l, m]`` what the market takes through the
    channel at the reference price in January 2022 (``p.demand_<line>_yuan`` for B2B,
    ``p.retail_demand_<line>_yuan`` for retail, times ``REFERENCE_MIX[l, m]``), ``G[m](t)`` its
    growth since January 2022: a continuous rate ``ln(1 + g)`` that starts at
    ``p.demand_growth_<market>`` and moves towards
    ``p.demand_growth_long_run``, the gap halving every ``p.demand_growth_halving_years``
    (:func:`log_growth`), and ``x[c, l]`` the price relative to the channel's reference price,
    ``(1 + markup) × (1 + p.premium_<line>)`` times the domestic value, with markup
    ``p.direct_sale_markup`` (B2B) or ``p.retail_markup`` (retail). Sellers ship where it pays,
    so there is one price per channel and line: it clears the supply ``X[c, l]`` (the channel's
    exports of the line at the pace of the last three months, a year, 1:1) against the sum of
    the markets, ``x = (Σ_m S G / X) ** (1/ε)``, capped at ``p.export_price_cap`` (a line with
    almost no supply cannot charge more than buyers pay other origins for the same goods), and
    0 where no market buys the line through the channel (its demand set to 0).
    Exports by market are the clearing's quantities: market ``m`` takes ``S G / Σ_m S G`` of
    the line. More supply from Guizhou lowers the price; more demand in one market raises the
    price a little and the exports to that market most. The domestic wholesale channel stays
    the alternative in every seller's decision (§7.3).
"""

from __future__ import annotations

import math
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
#: the two channels: B2B consignments to importers and distributors (firms, cooperatives) and
#: retail parcels to foreign consumers through platforms (households selling on their own)
CHANNELS = ("b2b", "retail")
B2B, RETAIL = 0, 1
MONTHS_KEPT = 12


def reference_price(p: Parameters) -> np.ndarray:
    """The reference export price per channel and line (2 x 4), per yuan of goods at domestic
    wholesale value: the channel's markup over the local wholesaler times the line's export
    premium."""
    premium = np.array([getattr(p, f"premium_{line}") for line in LINES])
    markup = np.array([p.direct_sale_markup, p.retail_markup])
    return (1.0 + markup)[:, None] * (1.0 + premium)[None, :]


def market_demand(p: Parameters, month: int) -> np.ndarray:
    """``S[c, l, m] × G[m](t)``: what each market takes of each line through each channel a year
    at the reference price in ``month`` (yuan of goods at domestic value, 1:1), shape
    (2, 4, 4)."""
    years = (month - 1) / 12.0
    growth = np.exp([log_growth(getattr(p, f"demand_growth_{m}"), p.demand_growth_long_run,
                                p.demand_growth_halving_years, years)
                     for m in DEMAND_MARKETS])
    scale = np.array([[getattr(p, f"demand_{line}_yuan") for line in LINES],
                      [getattr(p, f"retail_demand_{line}_yuan") for line in LINES]])
    return scale[:, :, None] * REFERENCE_MIX[None, :, :] * growth[None, None, :]


def log_growth(first: float, long_run: float, halving_years: float, years: float) -> float:
    """``ln G(t)``: a market's demand growth since January 2022 after ``years``, when its
    continuous growth rate ``r = ln(1 + g)`` moves from ``first``'s towards ``long_run``'s,
    the gap halving every ``halving_years``:
    ``ln G = r_L t + (r_0 − r_L) (1 − e^{−λ t}) / λ`` with ``λ = ln 2 / halving_years``
    (``r_0 t`` when ``halving_years`` is infinite or the two rates are equal)."""
    r0, r_long = math.log1p(first), math.log1p(long_run)
    if not math.isfinite(halving_years) or r0 == r_long:
        return r0 * years
    rate = math.log(2.0) / halving_years
    return r_long * years + (r0 - r_long) * -math.expm1(-rate * years) / rate


@dataclass(frozen=True)
class Clearing:
    """One month's clearing: ``price`` per channel and line (2 x 4, relative to the reference
    price, 1 when supply meets demand at it), ``market_share`` (4 lines x 4 markets: where each
    line's goods go, the same in both channels) and ``demand`` (``market_demand``, yuan of
    goods a year at the reference price)."""

    price: np.ndarray
    market_share: np.ndarray
    demand: np.ndarray


def clear(p: Parameters, month: int, supply: np.ndarray) -> Clearing:
    """The export price of each channel and line at which the markets take ``supply`` (goods a
    year at domestic value per channel and line, 2 x 4, 1:1)."""
    demand = market_demand(p, month)
    total = demand.sum(axis=2)
    supply = np.asarray(supply, dtype=float)
    cap = p.export_price_cap
    # at the cap when supply is below what demand takes at the cap (no division by ~0)
    at_cap = supply <= total * cap ** (-p.demand_elasticity)
    price = np.full(total.shape, cap)
    price[~at_cap] = (total[~at_cap] / supply[~at_cap]) ** (1.0 / p.demand_elasticity)
    price[total <= 0] = 0.0  # no market buys the line through the channel
    mix = demand.sum(axis=0)
    line_total = mix.sum(axis=1, keepdims=True)
    # a line no market buys (its demand set to 0) keeps the reference mix: it sells nothing
    share = np.divide(mix, line_total, out=REFERENCE_MIX.copy(), where=line_total > 0)
    return Clearing(price, share, demand)


#: the markets clear against the goods of this many recent months, as a yearly rate: buyers
#: react to what is on offer now, and a short window keeps entry from overshooting for a year
SUPPLY_MONTHS = 3


@dataclass
class ExportSupply:
    """The goods each line exported in recent months (model units, domestic value): the supply
    the markets clear against. ``record(month, value)`` writes one month (every slot when
    ``month`` is None, the warm start's past year)."""

    monthly: np.ndarray  # (12, 2, 4): a ring indexed by month % 12, channel, line
    last: int = 0        # the last month recorded

    @classmethod
    def empty(cls) -> ExportSupply:
        return cls(np.zeros((MONTHS_KEPT, len(CHANNELS), len(LINES))))

    def record(self, month: int | None, value: np.ndarray) -> None:
        if month is None:
            self.monthly[:] = value
            self.last = 0
        else:
            self.monthly[month % MONTHS_KEPT] = value
            self.last = month

    def yearly_rate(self) -> np.ndarray:
        """Goods a year per channel and line at the pace of the last :data:`SUPPLY_MONTHS`
        months."""
        rows = [(self.last - k) % MONTHS_KEPT for k in range(SUPPLY_MONTHS)]
        return self.monthly[rows].mean(axis=0) * MONTHS_KEPT
