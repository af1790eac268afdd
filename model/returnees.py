"""Returnee flows (§2.3, §5.1.2).

Each county has a pool of out-migrant households (``outmigrant_share`` of its households), which
new out-migration refills toward its initial size at ``outmigrant_refill_rate``. Each month a
binomial number returns; the hazard rises with home-county opportunity (sellers per 100
households), pole proximity (with spread effects on) and start-up support. With backwash on, a
share of returnees settles in the pole county with the strongest field instead of at home: the
pole's pull is ``backwash_strength * min(S, 1) * exp(-d / backwash_reach_km)``.

Every returnee adds eastern know-how to the home county (:mod:`model.poles`). With
``returnee_entrepreneur_share`` a returnee starts an e-commerce business: the entrepreneur
becomes aware of CBEC, brings ``returnee_skill_boost`` of skill, reviews the cross-border option
at once, and sells abroad only if it beats the hurdle (else it sells domestically).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from model.households import AWARE, UNAWARE, Households
from model.parameters import Parameters

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

    @classmethod
    def create(cls, county_households: np.ndarray, p: Parameters) -> ReturneeFlows:
        pool = county_households.astype(float) * p.outmigrant_share
        return cls(pool=pool, initial_pool=pool.copy(), returned_total=np.zeros(len(pool)))

    def step(self, rng: np.random.Generator, h: Households, p: Parameters,
             county_start: np.ndarray, county_stop: np.ndarray, sellers_per_100: np.ndarray,
             pole_field_at_seat: np.ndarray, backwash_pull: np.ndarray,
             nearest_pole_county: np.ndarray, county_pole_km: np.ndarray, month: int
             ) -> np.ndarray:
        """Draw this month's returns; mark the households. Returns new entrepreneur indices."""
        self.month_returns = self.month_entrepreneurs = self.month_to_poles = 0
        self.month_destination_pole_km = float("nan")
        if not p.returnees:
            return np.zeros(0, dtype=np.int64)
        hazard = p.return_hazard_base * (1.0 + p.return_opportunity_weight * sellers_per_100)
        if p.spread_effect:
            hazard = hazard * (1.0 + p.return_pole_weight * pole_field_at_seat)
        if p.returnee_startup_support:
            hazard = hazard * (1.0 + p.startup_support_return_boost)
        hazard = np.clip(hazard, 0.0, 1.0)
        returns = rng.binomial(np.floor(self.pool).astype(np.int64), hazard)
        self.pool = self.pool - returns
        self.pool = self.pool + p.outmigrant_refill_rate * (self.initial_pool - self.pool)
        self.returned_total = self.returned_total + returns
        dest_counts = returns.astype(np.int64).copy()
        if p.backwash_effect:
            moved = rng.binomial(returns, np.clip(backwash_pull, 0.0, 1.0))
            dest_counts -= moved
            np.add.at(dest_counts, nearest_pole_county, moved)
            self.month_to_poles = int(moved.sum())
            self.moved_to_pole_total += float(moved.sum())
        # households with no one to receive them (empty counties) are dropped from the flow
        sizes = county_stop - county_start
        dest_counts = np.where(sizes > 0, dest_counts, 0)
        total = int(dest_counts.sum())
        self.month_returns = total
        if total == 0:
            return np.zeros(0, dtype=np.int64)
        dest = np.repeat(np.arange(len(sizes)), dest_counts)
        self.month_destination_pole_km = float(county_pole_km[dest].mean())
        idx = county_start[dest] + (rng.random(total) * sizes[dest]).astype(np.int64)
        idx = np.unique(idx)
        h.returnee[idx] = True
        starts = idx[(rng.random(len(idx)) < p.returnee_entrepreneur_share)
                     & ~h.entrepreneur[idx]]
        h.entrepreneur[starts] = True
        h.entrepreneur_month[starts] = month
        h.risk_aversion[starts] *= ENTREPRENEUR_RISK_FACTOR
        h.sales_potential[starts] += (p.entrepreneur_volume_multiple - 1.0) * p.sales_median_yuan
        h.capable[starts] = True
        h.learned_skill[starts] = np.minimum(h.learned_skill[starts] + p.returnee_skill_boost,
                                             0.6)
        h.status[starts] = np.where(h.status[starts] == UNAWARE, AWARE, h.status[starts])
        self.month_entrepreneurs = len(starts)
        return starts
