"""Growth poles (§2.2.1, §3.3) and gradient transfer of know-how (§2.2.1).

Poles: Guiyang, Zunyi and Tongren, the three CBEC comprehensive pilot zones (Tongren from
January 2024, §3.1). A pole's strength grows with the CBEC turnover within its reach (cumulative
causation) and decays without it. Its field ``S * exp(-d / pole_reach_km)`` spreads awareness
and know-how (spread effects); backwash (in :mod:`model.returnees`) pulls returnees toward it.
A county whose yearly CBEC turnover passes ``secondary_pole_threshold_yuan`` becomes a secondary
pole.

Know-how is a level in [0, 1] per place; the eastern coast is the frontier at 1. It flows east ->
poles (platforms, flights, seconded talent) -> counties (distance decay, with a lag) -> villages
(decay from the county seat), and directly through returnees.
"""

from __future__ import annotations

from collections import deque

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
EAST_KNOWHOW = 1.0
MAX_STRENGTH = 3.0  # assumption: a pole's field saturates at three times Guiyang's 2022 strength
SECONDARY_STRENGTH = 0.3  # assumption: a new pole starts at 30% of Guiyang's initial strength
COUNTY_KNOWHOW_BASE = 0.08  # assumption: know-how where no pole reaches
COUNTY_KNOWHOW_FIELD = 0.15  # assumption: extra know-how at a pole of strength 1 in 2022


class PoleSystem:
    """Growth poles and the know-how field.

    Arrays: ``strength`` and ``pole_knowhow`` per pole; ``county_knowhow`` per county;
    ``cell_knowhow`` per cell. ``dist`` is (n_poles, n_cells) in km.
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
        strengths, knowhows = [], []
        for name, code, s0, k0 in PRIMARY_POLES:
            c = codes.index(code)
            start = p.tongren_start_month if name == "Tongren" else 1
            self._add(name, c, start, False)
            strengths.append(s0)
            knowhows.append(k0)
        self.strength = np.array(strengths)
        self.pole_knowhow = np.array(knowhows)
        self.dist = np.stack([self._cell_dist(c) for c in self.cell])
        self._decay_key: tuple[int, float] | None = None  # (poles, reach) of the cache
        self._decay_cache: np.ndarray | None = None
        self._nearest_key: bytes | None = None  # active poles of the cache
        self._nearest: np.ndarray | None = None
        field0 = self.field(1) if p.spread_effect else np.zeros(world.n_cells)
        seat_cells = np.array([world.cell_of(lat, lon) for lat, lon in
                               zip(world.counties["lat"], world.counties["lon"], strict=True)])
        self.seat_cell = seat_cells
        self.county_knowhow = np.clip(
            COUNTY_KNOWHOW_BASE + COUNTY_KNOWHOW_FIELD * field0[seat_cells], 0, 1)
        decay = np.exp(-world.dist_to_seat_km / p.village_decay_km)
        self.cell_knowhow = self.county_knowhow[world.cell_county] * (0.5 + 0.5 * decay)
        self._lagged: deque[np.ndarray] = deque(maxlen=p.knowhow_lag_months + 1)

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

    # ------------------------------------------------------------------- step
    def step(self, month: int, cell_turnover_real: np.ndarray, county_turnover_real: np.ndarray,
             returnee_share: np.ndarray, secondees: np.ndarray, village_points: bool) -> None:
        """Advance one month.

        Args:
            cell_turnover_real: CBEC turnover of the last 12 months per cell, 1:1 yuan.
            county_turnover_real: the same per county.
            returnee_share: returnee households / households per county.
            secondees: seconded eastern professionals per county this month.
            village_points: village service points carry know-how to every village.
        """
        p = self.p
        active = self.active(month)
        decay = self.decay
        activity = decay @ cell_turnover_real / p.pole_activity_reference_yuan
        growth = p.pole_growth_rate * activity - p.pole_decay_rate * self.strength
        self.strength = np.clip(self.strength + np.where(active, growth, 0.0), 0.0, MAX_STRENGTH)
        if p.secondary_poles:
            self._emerge(month, county_turnover_real)
            active = self.active(month)
            decay = self.decay
        if not p.gradient_transfer:
            return
        # east -> poles: platforms, flights and seconded talent, stronger poles learn faster
        gap = EAST_KNOWHOW - self.pole_knowhow
        rate = p.east_to_pole_rate * (1.0 + p.flight_increase)  # flights carry people, platforms
        self.pole_knowhow = self.pole_knowhow + np.where(
            active, rate * np.minimum(self.strength, 2.0) * gap, 0.0)
        self._lagged.append(self.pole_knowhow.copy())
        lagged = self._lagged[0]
        # poles -> counties, with distance decay and a lag (spread effect)
        k = self.county_knowhow
        if p.spread_effect:
            w = (self.strength * active)[:, None] * decay[:, self.seat_cell]
            pull = (w * np.maximum(lagged[:, None] - k[None, :], 0.0)).sum(axis=0)
            k = k + p.pole_to_county_rate * np.minimum(pull, 1.0)
        # returnees and seconded talent bring eastern know-how straight to the county
        k = k + p.returnee_knowhow * returnee_share * (EAST_KNOWHOW - k) / 12.0
        k = k + 0.02 * secondees * (EAST_KNOWHOW - k)
        self.county_knowhow = np.clip(k, 0.0, 1.0)
        # counties -> villages, decaying with distance from the seat
        w = self.world
        reach = 1.0 if village_points else np.exp(-w.dist_to_seat_km / p.village_decay_km)
        gap_cell = np.maximum(self.county_knowhow[w.cell_county] - self.cell_knowhow, 0.0)
        self.cell_knowhow = self.cell_knowhow + p.county_to_village_rate * reach * gap_cell

    def _emerge(self, month: int, county_turnover_real: np.ndarray) -> None:
        taken = set(self.county)
        for c in np.flatnonzero(county_turnover_real >= self.p.secondary_pole_threshold_yuan):
            if int(c) in taken:
                continue
            name = str(self.world.counties["name_pinyin"].iloc[c])
            self._add(name, int(c), month, True)
            self.strength = np.append(self.strength, SECONDARY_STRENGTH)
            self.pole_knowhow = np.append(self.pole_knowhow, self.county_knowhow[c])
            self.dist = np.vstack([self.dist, self._cell_dist(self.cell[-1])])
            self._lagged = deque((np.append(a, self.county_knowhow[c]) for a in self._lagged),
                                 maxlen=self._lagged.maxlen)
            taken.add(int(c))
