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
from model.demand import B2B, CHANNELS, RETAIL, ExportSupply
from model.fiscal import FiscalLedger, pay_households
from model.parameters import Parameters
from model.randomness import RandomStreams

#: instruments whose cost scales with the month's realised sales (the noise factor ``f``)
PROPORTIONAL_TERMS = ("small_order_freight", "parcel", "breakage_insurance", "credit_insurance")


@dataclass
class Volumes:
    """A month's volumes of a set of sellers, in model units (an agent counts its set's
    ``weight``): orders per cell, on the county hubs (the collected share), at pickup points
    (per village) and through each market's warehouses; revenue per cell and per (cell, line);
    goods (domestic value) per line. Volumes of two sets add up with ``+``."""

    cell_orders: np.ndarray
    county_orders: np.ndarray
    village_orders: np.ndarray
    market_orders: np.ndarray
    cell_revenue: np.ndarray
    cell_line_revenue: np.ndarray
    line_goods: np.ndarray  # (channel, line): B2B and retail, model.demand.CHANNELS

    @classmethod
    def none(cls, n_cells: int, network: LogisticsNetwork) -> Volumes:
        return cls(np.zeros(n_cells), np.zeros(len(network.county_hubs)),
                   np.zeros(len(network.village_cell)),
                   np.zeros(len(network.warehouses_per_market)), np.zeros(n_cells),
                   np.zeros((n_cells, len(PRODUCTS))),
                   np.zeros((len(CHANNELS), len(PRODUCTS))))

    def __add__(self, other: Volumes) -> Volumes:
        return Volumes(*(getattr(self, f) + getattr(other, f)
                         for f in self.__dataclass_fields__))


@dataclass
class SalesMonth:
    """What a month of sales of one set of sellers leaves for the next month and the
    outcomes: the ``sellers`` (indices in the set), their ``accounts`` (expected yearly terms
    plus ``f``, ``profit_month``, ``revenue_month``, ``coop_members``; None without sellers)
    and their :class:`Volumes`."""

    sellers: np.ndarray
    accounts: dict[str, np.ndarray] | None
    volumes: Volumes


def volumes_of(h: Households, idx: np.ndarray, orders: np.ndarray, collected: np.ndarray,
               revenue: np.ndarray, goods: np.ndarray, b2b: np.ndarray, n_cells: int,
               network: LogisticsNetwork, has_point: np.ndarray | None = None,
               market_share: np.ndarray | None = None,
               warehouse_share_market: np.ndarray | None = None) -> Volumes:
    """The volumes of sellers ``idx`` of set ``h`` (orders, revenue and goods of a month, per
    seller, as that seller's own), weighted to model units; each seller's own weighted orders
    are kept as ``h.orders_last`` for next month's volume economies."""
    w = h.weight
    orders = orders * w
    h.orders_last[:] = 0.0
    h.orders_last[idx] = orders
    volumes = Volumes.none(n_cells, network)
    cell = h.cell[idx]
    volumes.cell_orders = np.bincount(cell, weights=orders, minlength=n_cells)
    volumes.county_orders = np.bincount(h.county[idx], weights=orders * collected,
                                        minlength=len(network.county_hubs))
    if has_point is not None:
        volumes.village_orders = np.bincount(h.village[idx[has_point]],
                                             weights=orders[has_point],
                                             minlength=len(network.village_cell))
    if market_share is not None:
        n_markets = len(warehouse_share_market)
        # each market's orders through its own warehouses (none where it has none)
        volumes.market_orders = (orders[:, None] * market_share[h.product[idx], :n_markets]
                                 ).sum(axis=0) * warehouse_share_market
    revenue = revenue * w
    volumes.cell_revenue = np.bincount(cell, weights=revenue, minlength=n_cells)
    prod_cell = cell * len(PRODUCTS) + h.product[idx]
    volumes.cell_line_revenue = np.bincount(
        prod_cell, weights=revenue, minlength=n_cells * len(PRODUCTS)).reshape(n_cells, -1)
    channel_line = np.where(b2b, B2B, RETAIL) * len(PRODUCTS) + h.product[idx]
    volumes.line_goods = np.bincount(channel_line, weights=goods * w,
                                     minlength=len(CHANNELS) * len(PRODUCTS)).reshape(
        len(CHANNELS), len(PRODUCTS))
    return volumes


def record(volumes: Volumes, network: LogisticsNetwork, history: SalesHistory,
           supply: ExportSupply, month: int | None) -> None:
    """Record a month's volumes (of every set of sellers together): orders on the county hubs,
    the provincial hub, pickup points and warehouses, revenue in the sales history and goods
    in the export supply the markets clear (every slot when ``month`` is None)."""
    network.record_month(volumes.county_orders, volumes.village_orders, volumes.market_orders)
    history.record(month, volumes.cell_revenue, volumes.cell_line_revenue)
    supply.record(month, volumes.line_goods)


def sell(month: int, p: Parameters, streams: RandomStreams, h: Households,
         pricing: Pricing, cooperatives: CooperativeRegistry | None,
         network: LogisticsNetwork, ledger: FiscalLedger, n_cells: int) -> SalesMonth:
    """A month of realised sales, costs, unsold goods, subsidies and exits for every seller of
    set ``h`` (``cooperatives`` None: a set whose agents never join one)."""
    ctx = pricing.context
    idx = np.flatnonzero(h.status == SELLING)
    if len(idx) == 0:
        h.orders_last[:] = 0.0
        return SalesMonth(idx, None, Volumes.none(n_cells, network))
    coop_members = (cooperatives.sizes(idx) if cooperatives is not None
                    else np.zeros(len(idx)))
    a = pricing.accounts(idx, coop_members, with_reward=False)
    f, profit, revenue = h.sell_month(idx, a, month, p, streams, econ.UNSOLD_WRITE_DOWN)
    # fiscal instruments used this month, claimed on their budget lines; what a line cannot
    # pay this month the seller bears (its accounts counted on the share expected)
    shortfall = np.zeros(len(idx))
    for term in econ.FISCAL_TERMS:
        amount = (a[f"fiscal_{term}"] * (f if term in PROPORTIONAL_TERMS else 1.0)
                  / MONTHS_PER_YEAR)
        shortfall += amount * (1.0 - pay_households(ledger, h, term, idx, amount))
    if p.professional_services:
        amount = np.full(len(idx), p.professional_services_yuan / MONTHS_PER_YEAR)
        shortfall += amount * (1.0 - pay_households(ledger, h, "professional_services", idx,
                                                    amount))
    if shortfall.any():
        profit = profit - shortfall
        h.profit_trailing[idx] -= shortfall.astype(np.float32)
    # volumes for hubs, pickup points, warehouses and the next month's density economies
    orders = a["orders"] * f / MONTHS_PER_YEAR
    volumes = volumes_of(h, idx, orders, a["collected"], revenue,
                         a["value"] * f / MONTHS_PER_YEAR, a["b2b"], n_cells, network,
                         ctx.has_point[h.village[idx]], ctx.market_share,
                         ctx.warehouse_share_market)
    accounts = {**a, "f": f, "profit_month": profit, "revenue_month": revenue,
                "coop_members": coop_members}
    h.judge(idx, month, a["gain_rate"], pricing.hurdle(idx), p, streams)
    return SalesMonth(idx, accounts, volumes)
