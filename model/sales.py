"""Realised monthly sales and exits (ODD §7.5).

    For every seller, with the month's context: the accounts of §7.3 *without* the expected
    reward (rewards are paid in December, §7.14) and a noise factor ``f ~ lognormal(−σ²/2, σ)``,
    ``σ = p.sales_noise_sigma`` (mean 1): ``monthly profit = (variable × f − fixed terms) / 12 −
    unsold loss``; an unsold event happens with probability ``q/12`` and costs
    ``p.unsold_fraction × R × f × 0.5``. Trailing profit and revenue are smoothed as ``x ← x ×
    11/12 + monthly x``; ``sales_ytd`` and ``months_selling`` grow. Each per-household
    instrument's public cost is booked for the month (proportional to ``f`` for freight, parcel,
    breakage and credit insurance), plus ``p.professional_services_yuan / 12`` per seller when
    purchased services are on. Volumes (orders × ``f`` / 12) are recorded per cell, per county
    hub (collected share), at the provincial hub, per pickup point and per warehouse market, and
    revenue goes into the 12-month cell and cell×product sales history.

    **Exits** (the economic ones only after at least 6 months in business): a seller exits with
    probability ``p.exit_rate_when_losing`` if its trailing profit is negative, or, with
    probability ``p.review_rate / 2``, if its current gain rate (without expected reward) is
    below ``−hurdle``. At any age, a seller also closes with probability ``p.closure_rate / 12``
    a month. Exiting sets status *exited*, records the month and leaves any cooperative.

The household's own part (noise, books, the exit decision) is the agent set's
(:meth:`agents.farmers.Households.sell_month`, :meth:`agents.farmers.Households.judge`);
this module prices the month, pays the instruments and records the volumes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.farmers import MONTHS_PER_YEAR, PRODUCTS, SELLING, Households
from agents.logistics import LogisticsNetwork
from model import economics as econ
from model.accounts import Pricing
from model.clusters import SalesHistory
from model.cooperatives import CooperativeRegistry
from model.fiscal import FiscalLedger, pay_households
from model.parameters import Parameters
from model.randomness import RandomStreams

#: instruments whose cost scales with the month's realised sales (the noise factor ``f``)
PROPORTIONAL_TERMS = ("small_order_freight", "parcel", "breakage_insurance", "credit_insurance")


@dataclass
class SalesMonth:
    """What a month of sales leaves for the next month and the outcomes: the ``sellers``
    (household indices), their ``accounts`` (expected yearly terms plus ``f``,
    ``profit_month``, ``revenue_month``, ``coop_members``; None without sellers) and the orders
    per cell (model units), which set next month's density economies."""

    sellers: np.ndarray
    accounts: dict[str, np.ndarray] | None
    cell_orders: np.ndarray


def record_volumes(h: Households, idx: np.ndarray, orders: np.ndarray, collected: np.ndarray,
                   revenue: np.ndarray, n_cells: int, network: LogisticsNetwork,
                   history: SalesHistory, month: int | None,
                   village_orders: np.ndarray | None = None,
                   market_orders: np.ndarray | None = None) -> np.ndarray:
    """Record a month's volumes of sellers ``idx`` (model units): orders on the county hubs
    (the ``collected`` share), the provincial hub, pickup points and warehouses, and revenue in
    the sales history (every slot when ``month`` is None). Returns the orders per cell."""
    cell_orders = np.bincount(h.cell[idx], weights=orders, minlength=n_cells)
    h.orders_last[:] = 0.0  # each seller's own part of the volumes, for next month
    h.orders_last[idx] = orders
    county_orders = np.bincount(h.county[idx], weights=orders * collected,
                                minlength=len(network.county_hubs))
    if village_orders is None:
        village_orders = np.zeros(len(network.village_cell))
    if market_orders is None:
        market_orders = np.zeros(len(network.warehouses_per_market))
    network.record_month(county_orders, village_orders, market_orders)
    prod_cell = h.cell[idx] * len(PRODUCTS) + h.product[idx]
    history.record(month, np.bincount(h.cell[idx], weights=revenue, minlength=n_cells),
                   np.bincount(prod_cell, weights=revenue,
                               minlength=n_cells * len(PRODUCTS)).reshape(n_cells, -1))
    return cell_orders


def sell(month: int, p: Parameters, streams: RandomStreams, h: Households,
         pricing: Pricing, cooperatives: CooperativeRegistry, network: LogisticsNetwork,
         history: SalesHistory, ledger: FiscalLedger, n_cells: int) -> SalesMonth:
    """A month of realised sales, costs, unsold goods, subsidies and exits for every seller."""
    ctx = pricing.context
    idx = np.flatnonzero(h.status == SELLING)
    if len(idx) == 0:
        h.orders_last[:] = 0.0
        network.record_nothing()
        history.record(month, 0.0, 0.0)
        return SalesMonth(idx, None, np.zeros(n_cells))
    coop_members = cooperatives.sizes(idx)
    a = pricing.accounts(idx, coop_members, with_reward=False)
    f, profit, revenue = h.sell_month(idx, a, month, p, streams, econ.UNSOLD_WRITE_DOWN)
    # fiscal instruments used this month (model units, booked per household)
    for term in econ.FISCAL_TERMS:
        amount = (a[f"fiscal_{term}"] * (f if term in PROPORTIONAL_TERMS else 1.0)
                  / MONTHS_PER_YEAR)
        pay_households(ledger, h, term, idx, amount)
    if p.professional_services:
        pay_households(ledger, h, "professional_services", idx,
                       np.full(len(idx), p.professional_services_yuan / MONTHS_PER_YEAR))
    # volumes for hubs, pickup points, warehouses and the next month's density economies
    orders = a["orders"] * f / MONTHS_PER_YEAR
    has_point = ctx.has_point[h.village[idx]]
    village_orders = np.bincount(h.village[idx[has_point]], weights=orders[has_point],
                                 minlength=len(network.village_cell))
    # each market's orders through its own warehouses (none where it has none)
    market_orders = (orders[:, None] * econ.MARKET_MIX[h.product[idx]]).sum(axis=0) * (
        ctx.warehouse_share_market)
    cell_orders = record_volumes(h, idx, orders, a["collected"], revenue, n_cells, network,
                                 history, month, village_orders, market_orders)
    accounts = {**a, "f": f, "profit_month": profit, "revenue_month": revenue,
                "coop_members": coop_members}
    h.judge(idx, month, a["gain_rate"], pricing.hurdle(idx), p, streams)
    return SalesMonth(idx, accounts, cell_orders)
