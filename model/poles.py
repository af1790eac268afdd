"""Growth poles, spread and backwash (ODD §7.10; §2.2.1, §3.1, §3.3).

    Field of pole ``p`` at a cell at distance ``d``: ``S_p × exp(−d / p.pole_reach_km)`` while
    the pole is active (Tongren from ``p.tongren_start_month``); the total field is the sum over
    poles. **Cumulative causation.** Each month, for active poles, ``S_p ← clip(S_p +
    p.pole_growth_rate × A_p − p.pole_decay_rate × S_p, 0, 3)``, where ``A_p`` is the
    distance-weighted real CBEC turnover of the last 12 months around the pole over
    ``p.pole_activity_reference_yuan``. **Spread effects** (``p.spread_effect``): the field adds
    to the awareness hazard, the initial awareness, the return hazard, and drives the pole →
    county know-how flow (:mod:`model.gradient`). **Backwash** (``p.backwash_effect``): a share
    of each county's returnees settles in a pole county instead, with its own distance decay
    ``p.backwash_reach_km`` (:meth:`PoleSystem.backwash_pull`); seconded eastern talent is
    placed preferentially in counties with a strong pole field
    (:meth:`PoleSystem.talent_pull`). **Secondary poles** (``p.secondary_poles``): a county
    whose real 12-month CBEC turnover reaches ``p.secondary_pole_threshold_yuan`` becomes a pole
    at its seat with strength 0.3 and the county's know-how, active from that month.
"""

from __future__ import annotations

import numpy as np

from model.parameters import Parameters
from model.world import World

# (name, county code of the pole's seat, initial strength, initial know-how)
# Assumption: Guiyang, the first pilot zone, is strongest; Zunyi second; Tongren newest.
PRIMARY_POLES = (
    ("Guiyang", "520102", 1.0, 0.35),
    ("Zunyi", "520302", 0.7, 0.30),
    ("Tongren", "520602", 0.5, 0.25),
)
MAX_STRENGTH = 3.0  # assumption: a pole's field saturates at three times Guiyang's 2022 strength
SECONDARY_STRENGTH = 0.3  # assumption: a new pole starts at 30% of Guiyang's initial strength
#: assumption: a pole's field counts up to this strength in the backwash pull
MAX_PULL_STRENGTH = 1.0
#: assumption: with backwash, a county's weight for seconded talent is this plus its field
TALENT_BASE_WEIGHT = 0.5


class PoleSystem:
    """Growth poles and their fields.

    Per pole: ``names``, ``county``, ``cell`` (its seat), ``start_month``, ``secondary`` and
    the array ``strength``. ``dist`` is (n_poles, n_cells) in km; ``seat_cell`` the cell of
    each county's seat. Know-how lives in :class:`model.gradient.KnowHow`.
    """

    def __init__(self, world: World, p: Parameters) -> None:
        self.world = world
        self.p = p
        codes = list(world.counties["code"])
        self.names: list[str] = []
        self.county: list[int] = []
        self.cell: list[int] = []
        self.start_month: list[int] = []
        self.secondary: list[bool] = []
        strengths = []
        for name, code, s0, _ in PRIMARY_POLES:
            c = codes.index(code)
            start = p.tongren_start_month if name == "Tongren" else 1
            self._add(name, c, start, False)
            strengths.append(s0)
        self.strength = np.array(strengths)
        self.dist = np.stack([self._cell_dist(c) for c in self.cell])
        self._decay_key: tuple[int, float] | None = None  # (poles, reach) of the cache
        self._decay_cache: np.ndarray | None = None
        self._nearest_key: bytes | None = None  # active poles of the cache
        self._nearest: np.ndarray | None = None
        self.seat_cell = np.array([world.cell_of(lat, lon) for lat, lon in
                                   zip(world.counties["lat"], world.counties["lon"],
                                       strict=True)])

    def _add(self, name: str, county: int, start: int, secondary: bool) -> None:
        w = self.world
        seat = w.cell_of(float(w.counties["lat"].iloc[county]),
                         float(w.counties["lon"].iloc[county]))
        self.names.append(name)
        self.county.append(county)
        self.cell.append(seat)
        self.start_month.append(start)
        self.secondary.append(secondary)

    def _cell_dist(self, cell: int) -> np.ndarray:
        w = self.world
        return np.hypot(w.cell_x_km - w.cell_x_km[cell], w.cell_y_km - w.cell_y_km[cell])

    # ----------------------------------------------------------------- fields
    def active(self, month: int) -> np.ndarray:
        return np.array(self.start_month) <= month

    @property
    def decay(self) -> np.ndarray:
        """(n_poles, n_cells): ``exp(-distance / pole_reach_km)``, kept until a pole is added."""
        key = (len(self.dist), self.p.pole_reach_km)
        if key != self._decay_key:
            self._decay_cache = np.exp(-self.dist / self.p.pole_reach_km)
            self._decay_key = key
        return self._decay_cache

    def field_by_pole(self, month: int) -> np.ndarray:
        """(n_poles, n_cells): each active pole's strength times distance decay."""
        s = self.strength * self.active(month)
        return s[:, None] * self.decay

    def field(self, month: int) -> np.ndarray:
        """Total pole field per cell (sum over active poles)."""
        return self.field_by_pole(month).sum(axis=0)

    def nearest_pole_km(self, month: int) -> np.ndarray:
        """Straight-line km from each cell to the nearest active pole (kept until the set of
        active poles changes)."""
        active = self.active(month)
        key = active.tobytes()
        if key != self._nearest_key:
            self._nearest = self.dist[active].min(axis=0)
            self._nearest_key = key
        return self._nearest

    # ---------------------------------------------------------------- backwash
    def backwash_pull(self, month: int, p: Parameters) -> tuple[np.ndarray, np.ndarray]:
        """Per county: the share of returnees the strongest pole at its seat pulls away,
        ``p.backwash_strength × min(S, 1) × exp(−d / p.backwash_reach_km)`` (0 in the pole's
        own county), and that pole's county."""
        field = self.field_by_pole(month)
        seats = self.seat_cell
        nearest = field[:, seats].argmax(axis=0)
        pole_county = np.array(self.county)[nearest]
        strength = self.strength * self.active(month)
        reach = np.exp(-self.dist[nearest, seats] / p.backwash_reach_km)
        pull = p.backwash_strength * np.minimum(strength[nearest], MAX_PULL_STRENGTH) * reach
        pull = np.where(pole_county == np.arange(len(seats)), 0.0, pull)
        return pull, pole_county

    def talent_pull(self, month: int) -> np.ndarray:
        """Per county: relative weight for placing seconded talent with backwash on (mean 1),
        higher where the poles' field at the seat is strong (talent is pulled to the core)."""
        weight = TALENT_BASE_WEIGHT + self.field(max(month, 1))[self.seat_cell]
        return weight * len(weight) / weight.sum()

    # ------------------------------------------------------------------- step
    def step(self, month: int, cell_turnover_real: np.ndarray,
             county_turnover_real: np.ndarray) -> list[int]:
        """Advance one month: cumulative causation, then emergence of secondary poles.
        Returns the counties that became poles this month.

        Args:
            cell_turnover_real: CBEC turnover of the last 12 months per cell, 1:1 yuan.
            county_turnover_real: the same per county.
        """
        p = self.p
        active = self.active(month)
        decay = self.decay
        activity = decay @ cell_turnover_real / p.pole_activity_reference_yuan
        growth = p.pole_growth_rate * activity - p.pole_decay_rate * self.strength
        self.strength = np.clip(self.strength + np.where(active, growth, 0.0), 0.0, MAX_STRENGTH)
        if not p.secondary_poles:
            return []
        return self._emerge(month, county_turnover_real)

    def _emerge(self, month: int, county_turnover_real: np.ndarray) -> list[int]:
        taken = set(self.county)
        new = []
        for c in np.flatnonzero(county_turnover_real >= self.p.secondary_pole_threshold_yuan):
            if int(c) in taken:
                continue
            name = str(self.world.counties["name_pinyin"].iloc[c])
            self._add(name, int(c), month, True)
            self.strength = np.append(self.strength, SECONDARY_STRENGTH)
            self.dist = np.vstack([self.dist, self._cell_dist(self.cell[-1])])
            taken.add(int(c))
            new.append(int(c))
        return new
