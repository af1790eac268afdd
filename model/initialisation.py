"""Initialisation (ODD §5): households, firms and villages per county, initial sellers.

    **Households per county** = largest-remainder integers proportional to rural households with
    total ``round(5.96 M × scale)``; **potential firms** likewise with total
    ``p.potential_firms`` at every scale; **villages** likewise from ``p.villages_total``, at
    least one per cell, spread evenly over the county's cells; each county's **output** of each
    line is the province's shared by its households of that line. **Initial sellers**, in a
    market that clears: aware agents able to sell online (households and firms), drawn
    "willing" with probability ``p.initial_seller_share``, each priced as the business it would
    be (its registration date 0–35 months before January 2022, uniform, drawn first, sets its
    months in business and volume); in each of :data:`PRICE_ROUNDS` rounds the export prices
    are cleared (each candidate's break-even price interpolated between two probe prices; per
    channel and line, the supply curve of break-even prices meets foreign demand), the sellers
    are those whose gain beats their hurdle at those prices, and their past year is written
    into hub, density, cell sales and export supply ("warm start"), which moves the next round's
    costs; agents chosen in an earlier round but not kept have their accounts reset. The
    initial sellers' trailing revenue and profit are set to one year of expected accounts
    (profit floored at zero), and all 12 months of cell sales history to their monthly revenue.
    Clusters are then detected.

The households themselves are drawn by :meth:`agents.farmers.Households.create`, the firms by
:meth:`agents.firms.Firms.create`; initial awareness is :func:`model.awareness.initial_hazard`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from agents.farmers import AWARE, MONTHS_PER_YEAR, Households
from agents.logistics import LogisticsNetwork
from model import demand
from model import economics as econ
from model.accounts import Pricing
from model.clusters import SalesHistory
from model.demand import ExportSupply
from model.parameters import Parameters
from model.randomness import RandomStreams
from model.sales import record, volumes_of
from model.scaling import to_model, to_real
from model.world import GUIYANG_LAT, GUIYANG_LON, World

#: initial sellers registered up to this many months before January 2022
MAX_MONTHS_REGISTERED = 36
#: the random streams of the initial sellers, per set (households, firms)
WILLING_KEYS = ("initial_willing", "initial_willing_firms")
REGISTRATION_KEYS = ("registration", "registration_firms")


def largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to ``weights`` that add up to ``total`` exactly."""
    w = np.asarray(weights, dtype=float)
    if w.sum() <= 0 or total <= 0:
        return np.zeros(len(w), dtype=np.int64)
    exact = w / w.sum() * total
    base = np.floor(exact).astype(np.int64)
    rest = total - base.sum()
    base[np.argsort(-(exact - base), kind="stable")[:rest]] += 1
    return base


def guiyang_local(world: World, within_km: float) -> np.ndarray:
    """1.0 for counties whose seat is within ``within_km`` of Guiyang's centre (its urban
    districts: sellers there settle FX without a trip), else 0.0."""
    seat_x, seat_y = world.project(world.counties["lat"].to_numpy(),
                                   world.counties["lon"].to_numpy())
    gx, gy = world.project(GUIYANG_LAT, GUIYANG_LON)
    return (np.hypot(seat_x - gx, seat_y - gy) <= within_km).astype(float)


def firms_per_county(counties: pd.DataFrame, potential_firms: float) -> np.ndarray:
    """Potential firms per county (one agent per firm, at every scale): ``potential_firms``
    (rounded) spread by rural households."""
    return largest_remainder(counties["rural_households"].to_numpy(),
                             int(round(potential_firms)))


def county_output(h: Households, p: Parameters, n_counties: int) -> np.ndarray:
    """Output per (county, line), yuan a year (1:1): the province's output of each line
    (``p.output_<line>_yuan``) shared among counties by their households of that line."""
    lines = ("tea", "chili", "embroidery", "other")
    counts = np.zeros((n_counties, len(lines)))
    np.add.at(counts, (h.county.astype(np.intp), h.product.astype(np.intp)), 1.0)
    share = counts / np.maximum(counts.sum(axis=0, keepdims=True), 1.0)
    return share * np.array([getattr(p, f"output_{line}_yuan") for line in lines])


def households_per_county(counties: pd.DataFrame, scale: float) -> np.ndarray:
    """Household agents per county: rural households at ``scale``, summing exactly to the
    rounded province total."""
    rural = counties["rural_households"].to_numpy()
    return largest_remainder(rural, int(round(to_model(rural.sum(), scale))))


def place_villages(world: World, villages_total: int) -> tuple[np.ndarray, np.ndarray]:
    """Villages per cell: each county's share of ``villages_total`` (at least one per cell),
    spread evenly over its cells. Returns (first village id, number of villages) per cell."""
    counties = world.counties
    villages = largest_remainder(counties["rural_households"].to_numpy(), villages_total)
    cells_per_county = (world.county_cell_stop - world.county_cell_start).astype(np.int64)
    villages = np.maximum(villages, cells_per_county)  # every cell holds a village
    n_villages_cell = np.zeros(world.n_cells, dtype=np.int64)
    for c in range(len(counties)):
        a, b = world.county_cell_start[c], world.county_cell_stop[c]
        k = b - a
        n_villages_cell[a:b] = villages[c] // k + (np.arange(k) < villages[c] % k)
    first_village = np.concatenate([[0], np.cumsum(n_villages_cell)[:-1]])
    return first_village, n_villages_cell


def warm_start(sellers: Sequence[np.ndarray], sets: Sequence[Households],
               pricings: Sequence[Pricing], n_cells: int, network: LogisticsNetwork,
               history: SalesHistory, supply: ExportSupply) -> np.ndarray:
    """Give the start state the volumes and history of the ``sellers`` of each set's past
    year, so hubs, density economies, clusters and trailing accounts do not start from zero.
    Returns last month's orders per cell."""
    volumes = None
    for idx, h, pricing in zip(sellers, sets, pricings, strict=True):
        a = pricing.accounts(idx, np.zeros(len(idx)))
        h.revenue_trailing[idx] = a["revenue"]
        h.profit_trailing[idx] = np.maximum(a["profit"], 0.0)
        v = volumes_of(h, idx, a["orders"] / MONTHS_PER_YEAR, a["collected"],
                       a["revenue"] / MONTHS_PER_YEAR, a["value"] / MONTHS_PER_YEAR, a["b2b"],
                       n_cells, network)
        volumes = v if volumes is None else volumes + v
    record(volumes, network, history, supply, None)
    return volumes.cell_orders


#: the start's clearing prices: probe prices (relative to the reference price) bracketing the
#: first search, and the half-width of the second bracket around its result
FIRST_PROBES = (0.6, 1.4)
#: warm-start rounds in which the prices are cleared again under the new volumes
PRICE_ROUNDS = 2
SECOND_PROBE_WIDTH = 0.1


def clear_start_prices(p: Parameters, sets: Sequence[Households], aware: list[np.ndarray],
                       candidates: list[np.ndarray], pricings: list[Pricing]) -> np.ndarray:
    """The export prices (per channel and line) at which the goods of those who would sell at
    them clear foreign demand in January 2022. Sets them into the pricings' market context and
    returns them.

    Each candidate's gain is priced at two export prices and its break-even price (gain =
    hurdle) interpolated between them; per channel and line, candidates sorted by break-even
    price give the supply curve, and the price is where it meets demand (at a step of the
    curve, the marginal seller's break-even). Done twice, the second time with probes close to
    the first result, so the interpolation is nearly exact. Each set sells through its own
    channel (``Households.channel``: households retail, firms B2B)."""
    contexts = [c for pr in pricings for c in _contexts(pr)]
    reference = demand.market_demand(p, 1).sum(axis=2)  # (channel, line)
    lo = np.full(reference.shape, FIRST_PROBES[0])
    hi = np.full(reference.shape, FIRST_PROBES[1])
    price = np.ones(reference.shape)
    for _ in range(2):
        found: dict[int, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
        for h, a, ok, pr in zip(sets, aware, candidates, pricings, strict=True):
            idx = a[ok]
            prod = h.product[idx].astype(np.intp)
            c = h.channel
            _set_price(contexts, lo)
            gain_lo = pr.gain(idx, np.zeros(len(idx)))
            _set_price(contexts, hi)
            gain_hi = pr.gain(idx, np.zeros(len(idx)))
            need = pr.hurdle(idx)
            slope = (gain_hi - gain_lo) / (hi - lo)[c, prod]
            with np.errstate(divide="ignore", invalid="ignore"):
                b = np.where(slope > 0, lo[c, prod] + (need - gain_lo) / slope, np.inf)
            goods = to_real(pr.annual_sales(idx), p.household_scale) * h.weight
            found.setdefault(c, []).append((b, goods, prod))
        for c, parts in found.items():
            b = np.concatenate([part[0] for part in parts])
            g = np.concatenate([part[1] for part in parts])
            ln = np.concatenate([part[2] for part in parts])
            for k in range(reference.shape[1]):
                price[c, k] = supply_meets_demand(b[ln == k], g[ln == k], reference[c, k],
                                                  p.demand_elasticity, p.export_price_cap)
        lo, hi = price * (1 - SECOND_PROBE_WIDTH), price * (1 + SECOND_PROBE_WIDTH)
    _set_price(contexts, price)
    return price


def _contexts(pricing: Pricing) -> list:
    """The market contexts a pricing reads (two when counties are priced apart)."""
    parts = [getattr(pricing, "inside", None), getattr(pricing, "outside", None)]
    return [part.context for part in parts if part is not None] or [pricing.context]


def _set_price(contexts: list, price: np.ndarray) -> None:
    for context in contexts:
        context.price = price


def supply_meets_demand(breakeven: np.ndarray, goods: np.ndarray, demand_at_reference: float,
                        elasticity: float, cap: float) -> float:
    """The price where a supply curve (sellers with a ``breakeven`` price each, selling
    ``goods`` at any price above it) meets demand ``D × price ** -elasticity``: below the
    cheapest seller's break-even demand would pay more than the cap or than that break-even."""
    order = np.argsort(breakeven, kind="stable")
    b = breakeven[order]
    cumulative = np.cumsum(goods[order])
    with np.errstate(divide="ignore"):
        pays = (demand_at_reference / cumulative) ** (1.0 / elasticity)
    next_b = np.append(b[1:], np.inf)
    stop = np.flatnonzero(pays < next_b)  # more sellers would not enter at what demand pays
    if len(b) == 0 or not np.isfinite(b[0]) or b[0] >= cap:
        return cap
    k = stop[0] if len(stop) else len(b) - 1
    return float(min(max(pays[k], b[k]), cap))


def start_initial_sellers(p: Parameters, streams: RandomStreams, sets: Sequence[Households],
                          settle: Callable[[list[np.ndarray]], list[Pricing]],
                          pricings: list[Pricing]) -> int:
    """Find the initial sellers of every set (households, firms) in a market that clears, and
    give them a past. Returns the rounds it took.

    Every candidate is priced as the business it would be: its registration date (0-35 months
    before January 2022) is drawn first and sets its months in business. Each round clears the
    export prices (:func:`clear_start_prices`) under the volumes of the
    round before, takes as sellers the willing aware agents whose gain beats their hurdle at
    those prices, and writes their past year into the volumes: ``settle(sellers)``
    (:func:`warm_start`) does that, detects clusters and returns the pricings of January 2022
    under those volumes (``pricings`` are the pricings before any volume). The first round has
    no volumes; :data:`PRICE_ROUNDS` rounds bring in the volume economies (a third changes
    almost nothing: at the cleared price the sellers are those who would sell)."""
    aware = [np.flatnonzero((h.status == AWARE) & h.capable) for h in sets]
    willing = [streams.uniform(WILLING_KEYS[k], 0, a) < p.initial_seller_share
               for k, a in enumerate(aware)]
    # each candidate is priced as the business it would be: registered 0-35 months before
    # January 2022 (its volume has grown with its years in business)
    ages = [(streams.uniform(REGISTRATION_KEYS[k], 0, a) * MAX_MONTHS_REGISTERED)
            .astype(np.int64) for k, a in enumerate(aware)]
    for h, a, age in zip(sets, aware, ages, strict=True):
        h.months_selling[a] = age
    chosen = [np.zeros(len(a), dtype=bool) for a in aware]
    ever = [c.copy() for c in chosen]
    for _ in range(PRICE_ROUNDS):
        clear_start_prices(p, sets, aware, willing, pricings)
        chosen = [(pr.gain(a, np.zeros(len(a))) > pr.hurdle(a)) & w
                  for pr, a, w in zip(pricings, aware, willing, strict=True)]
        for k in range(len(sets)):
            ever[k] |= chosen[k]
        pricings = settle([a[c] for a, c in zip(aware, chosen, strict=True)])
    starts = []
    for k, h in enumerate(sets):
        start = aware[k][chosen[k]]
        dropped = aware[k][ever[k] & ~chosen[k]]  # chosen in an earlier round only
        h.revenue_trailing[dropped] = 0.0
        h.profit_trailing[dropped] = 0.0
        h.months_selling[aware[k][~chosen[k]]] = 0  # they never sold
        h.start_selling(start, 0, -1)
        h.start_month[start] = -ages[k][chosen[k]]
        h.months_selling[start] = ages[k][chosen[k]]
        starts.append(start)
    settle(starts)
    for h, start in zip(sets, starts, strict=True):
        # sellers past the enterprise threshold at the start are firms already, not new ones
        past = start[h.revenue_trailing[start] >= econ.FIRM_TURNOVER_YUAN]
        h.firm_month[past] = 0
    return PRICE_ROUNDS
