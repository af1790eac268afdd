"""Returnees (ODD §7.12; §2.3, §5.1.2).

    Each county has a pool of out-migrant households, ``p.outmigrant_share`` of its households
    at the start. Each month, after the returns are drawn, new out-migration refills it toward
    that size at ``p.outmigrant_refill_rate``. Monthly return hazard ``h_c = clip(
    p.return_hazard_base × (1 + p.return_opportunity_weight × sellers per 100 households) ×
    (1 + p.return_pole_weight × field at seat) × (1 + p.startup_support_return_boost), 0, 1)``
    (the pole factor only with spread effects on; the support factor only with
    ``p.returnee_startup_support``). Returns ``~ Binomial(pool, h_c)``. **Backwash**: of those,
    ``Binomial(returns, pull)`` settle in the county of the pole whose field is strongest at the
    home seat (:meth:`model.poles.PoleSystem.backwash_pull`). Each return marks a household of
    the destination county, drawn at random, as a returnee. With probability
    ``p.returnee_entrepreneur_share`` a new returnee becomes an e-commerce entrepreneur: risk
    aversion × 0.25, sales potential + ``(p.entrepreneur_volume_multiple − 1) ×
    p.sales_median_yuan``, learned skill + ``p.returnee_skill_boost`` (cap 0.6), digitally
    capable, aware, and reviews the CBEC option at once; it sells cross-border only if that
    beats its hurdle. Returnees raise county know-how (:mod:`model.gradient`) and are twice as
    likely to found a cooperative (:mod:`model.cooperatives`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from agents.farmers import AWARE, MAX_LEARNED_SKILL, UNAWARE, Households
from model.parameters import Parameters
from model.poles import PoleSystem
from model.randomness import RandomStreams

# assumption: people who return to start a business are selected for risk tolerance
ENTREPRENEUR_RISK_FACTOR = 0.25


@dataclass
class ReturneeFlows:
    """Out-migrant pools per county (model units) and this month's flows."""

    pool: np.ndarray
    initial_pool: np.ndarray
    returned_total: np.ndarray = field(default_factory=lambda: np.zeros(0))
    moved_to_pole_total: float = 0.0
    month_returns: int = 0
    month_entrepreneurs: int = 0
    month_to_poles: int = 0
    month_destination_pole_km: float = float("nan")
    #: this month's returns by destination county (agents; backwash moves included)
    month_destinations: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @classmethod
    def create(cls, county_households: np.ndarray, p: Parameters) -> ReturneeFlows:
        pool = county_households.astype(float) * p.outmigrant_share
        return cls(pool=pool, initial_pool=pool.copy(), returned_total=np.zeros(len(pool)))

    def step(self, month: int, p: Parameters, streams: RandomStreams, h: Households,
             poles: PoleSystem, county_sellers: np.ndarray, county_households: np.ndarray,
             county_start: np.ndarray, county_stop: np.ndarray,
             startup_support: np.ndarray | None = None) -> np.ndarray:
        """Draw this month's returns; mark the households. Returns new entrepreneur indices.

        ``county_sellers`` and ``county_households`` are agents per county; households of
        county ``c`` are ``county_start[c]:county_stop[c]``. ``startup_support``: per county,
        whether returnee start-up support is on (default: ``p``'s switch everywhere)."""
        seats = poles.seat_cell
        pole_field_at_seat = poles.field_by_pole(month).sum(axis=0)[seats]
        sellers_per_100 = np.divide(100.0 * county_sellers, county_households,
                                    out=np.zeros(len(county_sellers)),
                                    where=county_households > 0)
        backwash_pull, nearest_pole_county = poles.backwash_pull(month, p)
        county_pole_km = poles.nearest_pole_km(month)[seats]
        self.month_returns = self.month_entrepreneurs = self.month_to_poles = 0
        self.month_destination_pole_km = float("nan")
        self.month_destinations = np.zeros(len(self.pool), dtype=np.int64)
        if not p.returnees:
            return np.zeros(0, dtype=np.int64)
        hazard = p.return_hazard_base * (1.0 + p.return_opportunity_weight * sellers_per_100)
        if p.spread_effect:
            hazard = hazard * (1.0 + p.return_pole_weight * pole_field_at_seat)
        support = p.returnee_startup_support if startup_support is None else startup_support
        hazard = hazard * np.where(support, 1.0 + p.startup_support_return_boost, 1.0)
        hazard = np.clip(hazard, 0.0, 1.0)
        counties = np.arange(len(self.pool))
        returns = streams.binomial("returns", month, counties,
                                   np.floor(self.pool).astype(np.int64), hazard)
        self.pool = self.pool - returns
        self.pool = self.pool + p.outmigrant_refill_rate * (self.initial_pool - self.pool)
        self.returned_total = self.returned_total + returns
        dest_counts = returns.astype(np.int64).copy()
        if p.backwash_effect:
            moved = streams.binomial("backwash", month, counties, returns,
                                     np.clip(backwash_pull, 0.0, 1.0))
            dest_counts -= moved
            np.add.at(dest_counts, nearest_pole_county, moved)
            self.month_to_poles = int(moved.sum())
            self.moved_to_pole_total += float(moved.sum())
        # households with no one to receive them (empty counties) are dropped from the flow
        sizes = county_stop - county_start
        dest_counts = np.where(sizes > 0, dest_counts, 0)
        self.month_destinations = dest_counts
        total = int(dest_counts.sum())
        self.month_returns = total
        if total == 0:
            return np.zeros(0, dtype=np.int64)
        picks, dest = streams.picks("return_pick", month, dest_counts, sizes)
        self.month_destination_pole_km = float(county_pole_km[dest].mean())
        idx = np.unique(county_start[dest] + picks)
        h.returnee[idx] = True
        starts = idx[(streams.uniform("entrepreneur", month, idx)
                      < p.returnee_entrepreneur_share)
                     & ~h.entrepreneur[idx]]
        h.entrepreneur[starts] = True
        h.entrepreneur_month[starts] = month
        h.risk_aversion[starts] *= ENTREPRENEUR_RISK_FACTOR
        h.sales_potential[starts] += (p.entrepreneur_volume_multiple - 1.0) * p.sales_median_yuan
        h.capable[starts] = True
        h.learned_skill[starts] = np.minimum(h.learned_skill[starts] + p.returnee_skill_boost,
                                             MAX_LEARNED_SKILL)
        h.status[starts] = np.where(h.status[starts] == UNAWARE, AWARE, h.status[starts])
        self.month_entrepreneurs = len(starts)
        return starts
