"""Gradient transfer of know-how (ODD §7.11; §2.2.1).

    Know-how is a level in [0, 1]; the eastern coast is the frontier at 1. Each month, when
    ``p.gradient_transfer`` is on (else nothing below happens):

    1. **East → poles** (platforms, flights, seconded talent): ``K_p += p.east_to_pole_rate ×
       (1 + p.flight_increase) × min(S_p, 2) × (1 − K_p)`` for active poles.
    2. **Poles → counties**, with a lag of ``p.knowhow_lag_months`` and distance decay, only
       with spread effects on: ``k_c += p.pole_to_county_rate × min(1, Σ_p S_p
       exp(−d_p,seat(c) / p.pole_reach_km) × max(K_p^lagged − k_c, 0))``.
    3. **Returnees**: ``k_c += p.returnee_knowhow × (returnee households / households in c) ×
       (1 − k_c) / 12``.
    4. **Secondees**: ``k_c += 0.02 × secondees in c × (1 − k_c)`` (*assumption*).
    5. **Counties → villages** (cells): ``k_cell += p.county_to_village_rate × reach ×
       max(k_county − k_cell, 0)``, ``reach = exp(−d_seat / p.village_decay_km)``, or 1
       everywhere with village service points.

    Cell know-how enters effective skill (half weight), and the awareness hazard.

The tiers are :class:`KnowHow`'s arrays: ``pole`` (per pole, in the order of
:class:`model.poles.PoleSystem`), ``county`` and ``cell``; the east is :data:`EAST_KNOWHOW`.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from agents.farmers import MONTHS_PER_YEAR
from model.parameters import Parameters
from model.poles import PRIMARY_POLES, PoleSystem
from model.world import World

EAST_KNOWHOW = 1.0
COUNTY_KNOWHOW_BASE = 0.08  # assumption: know-how where no pole reaches
COUNTY_KNOWHOW_FIELD = 0.15  # assumption: extra know-how at a pole of strength 1 in 2022
#: assumption: a pole's strength counts up to this much in the east -> pole flow
MAX_LEARNING_STRENGTH = 2.0
#: assumption: know-how gap a seconded professional closes in a month
SECONDEE_KNOWHOW = 0.02


class KnowHow:
    """Know-how by tier: ``pole`` (per pole), ``county`` (per county), ``cell`` (per cell)."""

    def __init__(self, world: World, p: Parameters, poles: PoleSystem) -> None:
        self.world = world
        self.pole = np.array([k0 for *_, k0 in PRIMARY_POLES])
        field0 = poles.field(1) if p.spread_effect else np.zeros(world.n_cells)
        self.county = np.clip(
            COUNTY_KNOWHOW_BASE + COUNTY_KNOWHOW_FIELD * field0[poles.seat_cell], 0, 1)
        decay = np.exp(-world.dist_to_seat_km / p.village_decay_km)
        self.cell = self.county[world.cell_county] * (0.5 + 0.5 * decay)
        self._lagged: deque[np.ndarray] = deque(maxlen=p.knowhow_lag_months + 1)

    def add_poles(self, counties: list[int]) -> None:
        """New secondary poles in ``counties`` start with their county's know-how."""
        for c in counties:
            self.pole = np.append(self.pole, self.county[c])
            self._lagged = deque((np.append(a, self.county[c]) for a in self._lagged),
                                 maxlen=self._lagged.maxlen)

    def transfer(self, month: int, p: Parameters, poles: PoleSystem,
                 returnee_share: np.ndarray, secondees: np.ndarray,
                 village_points: np.ndarray | None = None) -> None:
        """One month of transfer (steps 1-5 above).

        Args:
            returnee_share: returnee households / households per county.
            secondees: seconded eastern professionals per county this month.
            village_points: per cell, whether its county runs village service points
                (default: ``p.village_service_points`` everywhere).
        """
        if not p.gradient_transfer:
            return
        active = poles.active(month)
        decay = poles.decay
        # east -> poles: platforms, flights and seconded talent, stronger poles learn faster
        gap = EAST_KNOWHOW - self.pole
        rate = p.east_to_pole_rate * (1.0 + p.flight_increase)  # flights carry people, platforms
        self.pole = self.pole + np.where(
            active, rate * np.minimum(poles.strength, MAX_LEARNING_STRENGTH) * gap, 0.0)
        self._lagged.append(self.pole.copy())
        lagged = self._lagged[0]
        # poles -> counties, with distance decay and a lag (spread effect)
        k = self.county
        if p.spread_effect:
            w = (poles.strength * active)[:, None] * decay[:, poles.seat_cell]
            pull = (w * np.maximum(lagged[:, None] - k[None, :], 0.0)).sum(axis=0)
            k = k + p.pole_to_county_rate * np.minimum(pull, 1.0)
        # returnees and seconded talent bring eastern know-how straight to the county
        k = k + p.returnee_knowhow * returnee_share * (EAST_KNOWHOW - k) / MONTHS_PER_YEAR
        k = k + SECONDEE_KNOWHOW * secondees * (EAST_KNOWHOW - k)
        self.county = np.clip(k, 0.0, 1.0)
        # counties -> villages, decaying with distance from the seat
        w = self.world
        points = p.village_service_points if village_points is None else village_points
        reach = np.where(points, 1.0, np.exp(-w.dist_to_seat_km / p.village_decay_km))
        gap_cell = np.maximum(self.county[w.cell_county] - self.cell, 0.0)
        self.cell = self.cell + p.county_to_village_rate * reach * gap_cell
