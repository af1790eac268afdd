"""Initialisation (ODD §5): households and villages per county, initial sellers.

    **Households per county** = largest-remainder integers proportional to rural households with
    total ``round(5.96 M × scale)``; **villages** likewise from ``p.villages_total``, at least one
    per cell, spread evenly over the county's cells. **Initial sellers**, found as a fixed point
    in 3 rounds: aware, digitally capable households whose direct gain rate beats their hurdle,
    among those drawn "willing" with probability ``p.initial_seller_share``; after each round the
    volumes of the sellers found are written into hub, density and cell sales ("warm start"),
    which lowers costs for the next round; the rounds go on until the set of sellers stops
    changing; a household whose choice changes more than three times (its own volume decides
    its own margin) stays out, so the search always ends; households found in an earlier round
    but not kept have their accounts reset. The initial sellers are given a registration date
    0–35 months before January 2022 (uniform), which sets their ``months_selling``, volume
    growth and subsidy eligibility; their trailing revenue and profit are set to one year of
    expected accounts (profit floored at zero), and all 12 months of cell sales history to their
    monthly revenue. Clusters are then detected. Initial sellers whose trailing revenue is 5 M
    yuan or more are firms already (``firm_month`` 0): they never count as new firms.

The households themselves are drawn by :meth:`agents.farmers.Households.create`; initial
awareness is :func:`model.awareness.initial_hazard`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from agents.farmers import AWARE, MONTHS_PER_YEAR, Households
from agents.logistics import LogisticsNetwork
from model import economics as econ
from model.accounts import Pricing
from model.clusters import SalesHistory
from model.demand import ExportSupply
from model.parameters import Parameters
from model.randomness import RandomStreams
from model.sales import record, volumes_of
from model.scaling import to_model
from model.world import World

MAX_WARM_START_ROUNDS = 50  # a safety cap: the flip limit ends the search well before it
#: a household whose choice changes more often than this has no choice that is stable
#: (selling, its own exports cut the premium it needs; not selling, it would gain): it stays out
MAX_FLIPS = 3
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


def firms_per_county(counties: pd.DataFrame, potential_firms: int) -> np.ndarray:
    """Potential firms per county (one agent per firm, at every scale): ``potential_firms``
    spread by rural households."""
    return largest_remainder(counties["rural_households"].to_numpy(), potential_firms)


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
                       a["revenue"] / MONTHS_PER_YEAR, a["value"] / MONTHS_PER_YEAR, n_cells,
                       network)
        volumes = v if volumes is None else volumes + v
    record(volumes, network, history, supply, None)
    return volumes.cell_orders


def start_initial_sellers(p: Parameters, streams: RandomStreams, sets: Sequence[Households],
                          settle: Callable[[list[np.ndarray]], list[Pricing]],
                          pricings: list[Pricing]) -> int:
    """Find the initial sellers of every set (households, firms) as one fixed point and give
    them a past. Returns the rounds it took (the last one confirms the set).

    ``settle(sellers)`` writes each set's sellers' past year into the volumes
    (:func:`warm_start`), detects clusters and returns the pricings of January 2022 under those
    volumes; ``pricings`` are the pricings before any volume."""
    aware = [np.flatnonzero((h.status == AWARE) & h.capable) for h in sets]
    willing = [streams.uniform(WILLING_KEYS[k], 0, a) < p.initial_seller_share
               for k, a in enumerate(aware)]
    chosen = [np.zeros(len(a), dtype=bool) for a in aware]
    ever = [c.copy() for c in chosen]
    flips = [np.zeros(len(a), dtype=np.int64) for a in aware]
    rounds = 0
    while rounds < MAX_WARM_START_ROUNDS:
        rounds += 1
        now = [(pr.gain(a, np.zeros(len(a))) > pr.hurdle(a)) & w & (fl <= MAX_FLIPS)
               for pr, a, w, fl in zip(pricings, aware, willing, flips, strict=True)]
        if rounds > 1 and all(np.array_equal(n, c) for n, c in zip(now, chosen, strict=True)):
            break  # a fixed point: every initial seller beats its hurdle, no one else does
        if rounds > 1:
            for k in range(len(sets)):
                flips[k] += now[k] != chosen[k]
                now[k] &= flips[k] <= MAX_FLIPS  # no choice of its own is stable: it stays out
        chosen = now
        for k in range(len(sets)):
            ever[k] |= chosen[k]
        pricings = settle([a[c] for a, c in zip(aware, chosen, strict=True)])
    starts = []
    for k, h in enumerate(sets):
        start = aware[k][chosen[k]]
        dropped = aware[k][ever[k] & ~chosen[k]]  # chosen in an earlier round only
        h.revenue_trailing[dropped] = 0.0
        h.profit_trailing[dropped] = 0.0
        registered = -(streams.uniform(REGISTRATION_KEYS[k], 0, start)
                       * MAX_MONTHS_REGISTERED).astype(np.int64)
        h.start_selling(start, 0, -1)
        h.start_month[start] = registered
        h.months_selling[start] = -registered
        starts.append(start)
    settle(starts)
    for h, start in zip(sets, starts, strict=True):
        # sellers past the enterprise threshold at the start are firms already, not new ones
        past = start[h.revenue_trailing[start] >= econ.FIRM_TURNOVER_YUAN]
        h.firm_month[past] = 0
    return rounds
