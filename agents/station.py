"""County e-commerce service stations (§4.2, §5.2.1).

One station per county. At baseline 38% offer full service (customs agency, FX settlement help,
logistics docking, market information, practical training, help with subsidy applications) and
62% only consulting and printing. A station has one staff member, inexperienced with probability
0.45; an inexperienced member cannot answer professional questions (§4.2), so the professional
functions work only while the station has at least one experienced staff member. Inexperienced
staff gain experience over time (faster with mentors, §5.2.4); seconded eastern talent (§5.1.2)
adds experienced staff for a year.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from model.model import CBECModel

BASIC_FUNCTIONS = ("consulting", "printing")
FULL_FUNCTIONS = BASIC_FUNCTIONS + (
    "customs_agency", "fx_help", "logistics_docking", "market_information", "training",
    "application_help",
)
# Functions that need at least one experienced staff member to work (§4.2).
PROFESSIONAL_FUNCTIONS = frozenset(
    {"customs_agency", "fx_help", "market_information", "application_help"})


class ServiceStation(mesa.Agent):
    """A county e-commerce service station.

    Attributes:
        county: row index of the county in ``model.world.counties``.
        functions: the service functions offered.
        staff_experienced: one bool per staff member.
        secondee_months_left: months left for each seconded staff member (they are experienced).
        capacity: seller services (FX help, customs agency, applications) per month, in model
            units (real services times ``household_scale``).
        services_demanded: services sellers asked for last month (model units).
        village_points: whether the county runs village service points (§5.2.1).
    """

    def __init__(self, model: CBECModel, county: int, full_service: bool,
                 staff_experienced: list[bool], village_points: bool) -> None:
        super().__init__(model)
        self.county = county
        self.functions: tuple[str, ...] = FULL_FUNCTIONS if full_service else BASIC_FUNCTIONS
        self.staff_experienced = list(staff_experienced)
        self.secondee_months_left: list[int] = []
        self.village_points = village_points
        self.services_demanded = 0.0
        self.trained_total = 0

    # ------------------------------------------------------------------ state
    @property
    def full_service(self) -> bool:
        return "fx_help" in self.functions

    @property
    def experienced_staff(self) -> int:
        return int(sum(self.staff_experienced)) + len(self.secondee_months_left)

    @property
    def staff_count(self) -> int:
        return len(self.staff_experienced) + len(self.secondee_months_left)

    def offers(self, function: str) -> bool:
        """Whether the function is offered *and* works (professional ones need experience)."""
        if function not in self.functions:
            return False
        if function in PROFESSIONAL_FUNCTIONS:
            return self.experienced_staff > 0
        return True

    @property
    def capacity(self) -> float:
        """Seller services a month, model units. Inexperienced staff count half (§4.2)."""
        p = self.model.params
        inexperienced = len(self.staff_experienced) - sum(self.staff_experienced)
        real = p.station_capacity_per_staff * (self.experienced_staff + 0.5 * inexperienced)
        if self.village_points:
            real *= 2.0  # county staff stationed in villages 2-3 days a week (§5.2.1)
        return real * p.household_scale

    def help_fraction(self) -> float:
        """Share of last month's demand for professional services the station could meet."""
        if self.services_demanded <= 0:
            return 1.0
        return float(min(1.0, self.capacity / self.services_demanded))

    # ------------------------------------------------------------------- step
    def step(self) -> None:
        """Staff learn; secondments run out (arrivals are placed by the model, which knows
        where the poles pull talent)."""
        p = self.model.params
        rng = self.model.rng
        rate = 1.0 / p.staff_learning_months
        if p.professional_services:
            rate *= 3.0  # one-to-one mentors (§5.2.4)
        for i, experienced in enumerate(self.staff_experienced):
            if not experienced and rng.random() < rate:
                self.staff_experienced[i] = True
        self.secondee_months_left = [m - 1 for m in self.secondee_months_left if m > 1]


STATION_ARRAY_FUNCTIONS = tuple(f for f in FULL_FUNCTIONS if f not in BASIC_FUNCTIONS)


def station_arrays(stations: list[ServiceStation]) -> dict[str, np.ndarray]:
    """This month's station state as arrays in county order: ``help_fraction``,
    ``full_service``, ``experienced_staff`` and, for each function in
    :data:`STATION_ARRAY_FUNCTIONS`, whether it is offered and works
    (:meth:`ServiceStation.offers`)."""
    out = {"help_fraction": np.array([s.help_fraction() for s in stations], dtype=float),
           "full_service": np.array([s.full_service for s in stations], dtype=bool),
           "experienced_staff": np.array([s.experienced_staff for s in stations], dtype=float)}
    for f in STATION_ARRAY_FUNCTIONS:
        out[f] = np.array([s.offers(f) for s in stations], dtype=bool)
    return out


def build_stations(model: CBECModel, n_counties: int) -> list[ServiceStation]:
    """One station per county; full service and experienced staff drawn from the model rng.

    Full service goes to the counties with the lowest draw of a per-county uniform number, so
    that with common random numbers a larger ``full_service_station_share`` keeps the same
    full-service counties and adds more (nested scenarios). The draws are kept on the model
    (``station_rank``) so that :func:`configure_stations` can upgrade stations later.
    """
    p = model.params
    rng = model.rng
    model.station_rank = np.argsort(rng.random(n_counties), kind="stable")
    experience_draws = rng.random((n_counties, max(p.station_staff, 1)))
    stations = []
    for c in range(n_counties):
        staff = [bool(experience_draws[c, s] >= p.station_inexperienced_share)
                 for s in range(p.station_staff)]
        stations.append(ServiceStation(model, c, False, staff, False))
    configure_stations(model, stations)
    return stations


def configure_stations(model: CBECModel, stations: list[ServiceStation]) -> None:
    """Upgrade stations to the current parameters: full service for the first
    ``full_service_station_share`` of counties in ``model.station_rank``, village points on or
    off. Stations are only ever upgraded."""
    p = model.params
    n_full = int(round(p.full_service_station_share * len(stations)))
    for c in model.station_rank[:n_full]:
        stations[c].functions = FULL_FUNCTIONS
    for station in stations:
        station.village_points = p.village_service_points
