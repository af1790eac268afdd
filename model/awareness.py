"""Awareness (ODD §7.6; §2.3, §3.3.3, §4.2).

    Each cell ``c`` carries a cumulative hazard ``H_c``. Every month
    ``H_c += p.awareness_base_rate + p.peer_effect × peer_c + outreach_c + p.knowhow_awareness ×
    knowhow_c + p.pole_spread_awareness × field_c`` where ``peer_c`` = sellers / households in
    the 3×3 block of in-province cells around ``c``; ``outreach_c = p.station_outreach × (1 +
    full_service(county)) × exp(−d_seat / 15 km)``, plus ``p.station_outreach`` everywhere when
    village service points are on; the pole term only with spread effects on. An unaware
    household becomes aware when ``H_cell ≥ awareness_threshold``
    (:meth:`agents.farmers.Households.notice`). Since the threshold is ``Exp(1)/(0.5 +
    innate)``, more skilled households notice first. Training and returning as an entrepreneur
    also make a household aware directly.
"""

from __future__ import annotations

import numpy as np

from model.parameters import Parameters
from model.world import World

STATION_OUTREACH_DECAY_KM = 15.0  # assumption: a station's outreach fades over ~15 km


def initial_hazard(p: Parameters, pole_field: np.ndarray | None, n_cells: int) -> np.ndarray:
    """Cumulative hazard per cell in January 2022 (float32): ``-ln(1 - awareness_initial)``,
    times ``1 + field`` with spread effects on (``pole_field`` per cell, None when off)."""
    h0 = -np.log(1.0 - min(p.awareness_initial, 0.999))
    field0 = pole_field if pole_field is not None else np.zeros(n_cells)
    return (h0 * (1.0 + field0)).astype(np.float32)


def peer_share(world: World, seller_cells: np.ndarray, window_households: np.ndarray
               ) -> np.ndarray:
    """Per cell: sellers / households in its 3×3 window (``seller_cells``: each seller's cell;
    ``window_households``: households in each window)."""
    seller_cell = np.bincount(seller_cells, minlength=world.n_cells).astype(float)
    around_sellers = world.window_sum(seller_cell)
    return np.divide(around_sellers, window_households, out=np.zeros(world.n_cells),
                     where=window_households > 0)


def monthly_hazard(world: World, p: Parameters, peer: np.ndarray, full_service: np.ndarray,
                   knowhow_cell: np.ndarray, pole_field: np.ndarray | None) -> np.ndarray:
    """This month's awareness hazard per cell. ``full_service`` per county; ``pole_field`` per
    cell, or None with spread effects off."""
    full = full_service.astype(float)
    outreach = p.station_outreach * (1.0 + full[world.cell_county]) * np.exp(
        -world.dist_to_seat_km / STATION_OUTREACH_DECAY_KM)
    if p.village_service_points:
        outreach = outreach + p.station_outreach
    hazard = (p.awareness_base_rate + p.peer_effect * peer + outreach
              + p.knowhow_awareness * knowhow_cell)
    if pole_field is not None:
        hazard = hazard + p.pole_spread_awareness * pole_field
    return hazard
