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

import mesa
import numpy as np

from agents.farmers import MONTHS_PER_YEAR
from model.parameters import Parameters
from model.randomness import RandomStreams
from model.scaling import to_model

#: village service points: county staff in the villages 2-3 days a week double a station's
#: capacity (§5.2.1)
VILLAGE_POINTS_CAPACITY_FACTOR = 2.0
#: one-to-one mentors (professional services, §5.2.4) make inexperienced staff learn this much
#: faster
MENTOR_LEARNING_FACTOR = 3.0
#: inexperienced staff handle half the services of an experienced one (§4.2)
INEXPERIENCED_STAFF_WEIGHT = 0.5
#: a seconded eastern professional stays a year (§5.1.2)
SECONDMENT_MONTHS = 12
#: index space of one station's staff slots in the random streams
STAFF_SLOTS = 1024

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
        services_demanded: services sellers asked for last month (model units).
        village_points: whether the county runs village service points (§5.2.1).
    """

    def __init__(self, model: mesa.Model, county: int, full_service: bool,
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

    def capacity(self, p: Parameters) -> float:
        """Seller services (FX help, customs agency, applications) a month, in model units
        (real services times ``household_scale``). Inexperienced staff count half (§4.2)."""
        inexperienced = len(self.staff_experienced) - sum(self.staff_experienced)
        real = p.station_capacity_per_staff * (self.experienced_staff
                                               + INEXPERIENCED_STAFF_WEIGHT * inexperienced)
        if self.village_points:
            real *= VILLAGE_POINTS_CAPACITY_FACTOR
        return to_model(real, p.household_scale)

    def help_fraction(self, p: Parameters) -> float:
        """Share of last month's demand for professional services the station could meet."""
        if self.services_demanded <= 0:
            return 1.0
        return float(min(1.0, self.capacity(p) / self.services_demanded))

    # ------------------------------------------------------------------ rules
    def learn(self, p: Parameters, draws: np.ndarray) -> None:
        """Inexperienced staff gain experience (mean ``staff_learning_months``, faster with
        mentors); secondments run out. ``draws``: one uniform number per staff slot this
        month (:func:`staff_learn`). Arrivals come by :func:`second_talent`."""
        rate = 1.0 / p.staff_learning_months
        if p.professional_services:
            rate *= MENTOR_LEARNING_FACTOR
        for i, experienced in enumerate(self.staff_experienced):
            if not experienced and draws[i] < rate:
                self.staff_experienced[i] = True
        self.secondee_months_left = [m - 1 for m in self.secondee_months_left if m > 1]


STATION_ARRAY_FUNCTIONS = tuple(f for f in FULL_FUNCTIONS if f not in BASIC_FUNCTIONS)


def station_arrays(stations: list[ServiceStation], p: Parameters) -> dict[str, np.ndarray]:
    """This month's station state as arrays in county order: ``help_fraction``,
    ``full_service``, ``experienced_staff`` and, for each function in
    :data:`STATION_ARRAY_FUNCTIONS`, whether it is offered and works
    (:meth:`ServiceStation.offers`)."""
    out = {"help_fraction": np.array([s.help_fraction(p) for s in stations], dtype=float),
           "full_service": np.array([s.full_service for s in stations], dtype=bool),
           "experienced_staff": np.array([s.experienced_staff for s in stations], dtype=float)}
    for f in STATION_ARRAY_FUNCTIONS:
        out[f] = np.array([s.offers(f) for s in stations], dtype=bool)
    return out


def staff_learn(stations: list[ServiceStation], p: Parameters, streams: RandomStreams,
                month: int) -> None:
    """A month of learning at every station, each staff slot with its own draw."""
    slots = np.concatenate([s.county * STAFF_SLOTS + np.arange(len(s.staff_experienced))
                            for s in stations]) if stations else np.zeros(0, np.int64)
    draws = streams.uniform("staff_learning", month, slots)
    start = 0
    for station in stations:
        n = len(station.staff_experienced)
        station.learn(p, draws[start:start + n])
        start += n


def build_stations(model: mesa.Model, p: Parameters, streams: RandomStreams,
                   n_counties: int) -> tuple[list[ServiceStation], np.ndarray]:
    """One station per county, each staff member experienced unless its own draw says
    otherwise. Returns the stations and the counties' upgrade order (``rank``).

    Full service goes to the counties with the lowest draw of a per-county uniform number, so
    that with common random numbers a larger ``full_service_station_share`` keeps the same
    full-service counties and adds more (nested scenarios); :func:`configure_stations` reads the
    same ``rank`` to upgrade stations later.
    """
    rank = np.argsort(streams.generator("station_rank").random(n_counties), kind="stable")
    slot = np.arange(p.station_staff)
    stations = []
    for c in range(n_counties):
        draws = streams.uniform("staff_experience", 0, c * STAFF_SLOTS + slot)
        staff = [bool(u >= p.station_inexperienced_share) for u in draws]
        stations.append(ServiceStation(model, c, False, staff, False))
    configure_stations(stations, rank, p)
    return stations, rank


def configure_stations(stations: list[ServiceStation], rank: np.ndarray, p: Parameters,
                       counties: np.ndarray | None = None, exact: bool = False) -> None:
    """Configure stations to the parameters ``p``: full service for the first
    ``full_service_station_share`` of counties in ``rank``, village points on or off. Only the
    stations of ``counties`` (bool per county; None: all) are configured. Without ``exact``
    they are only ever upgraded; with it (at the start, and when the levers are withdrawn)
    stations beyond ``p``'s share go back to consulting and printing."""
    n_full = int(round(p.full_service_station_share * len(stations)))
    full = np.zeros(len(stations), dtype=bool)
    full[rank[:n_full]] = True
    for station in stations:
        if counties is not None and not counties[station.county]:
            continue
        if full[station.county]:
            station.functions = FULL_FUNCTIONS
        elif exact:
            station.functions = BASIC_FUNCTIONS
        station.village_points = p.village_service_points


def ask_for_services(stations: list[ServiceStation], county_sellers: np.ndarray,
                     p: Parameters) -> None:
    """Professional services the sellers of each county ask for a month (model units): their
    FX settlements and one application a year."""
    per_seller = p.fx_settlements_per_year / MONTHS_PER_YEAR + 1.0 / MONTHS_PER_YEAR
    for station, n in zip(stations, county_sellers, strict=True):
        station.services_demanded = float(n) * per_seller


def second_talent(stations: list[ServiceStation], p: Parameters, streams: RandomStreams,
                  month: int, weight: np.ndarray) -> int:
    """Seconded eastern professionals (§5.1.2) arrive: ``Poisson(secondees_per_county_year ×
    weight)`` per county (``weight``: mean 1, higher where poles pull talent), each for
    :data:`SECONDMENT_MONTHS` as an experienced staff member. Returns how many arrived."""
    arrivals = streams.poisson("secondees", month, np.arange(len(stations)),
                               p.secondees_per_county_year * weight)
    for station, k in zip(stations, arrivals, strict=True):
        station.secondee_months_left.extend([SECONDMENT_MONTHS] * int(k))
    return int(arrivals.sum())
