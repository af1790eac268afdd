"""Policy levers and their public cost (ODD §7.16, §9): one declarative table.

    Every public cost is booked by month and instrument in province-equivalent yuan. Monthly
    costs beyond the baseline network: pickup points beyond those the same draws give at the
    baseline coverage; partners beyond the baseline partner counties; full-service stations
    beyond the baseline share; all villages with village service points; market information
    above the baseline share; the one-stop platform; flights (the parameter is the yearly cost
    per +30% of flights); county clearance centres in the partner counties; the operation of
    non-baseline warehouses, whose construction subsidy is booked once, when they are built.
    The baseline network (Hanoi and Bangkok warehouses, the 2022 pickup points and partners,
    the baseline full-service stations) and the clearance time carry no cost. All lever costs
    follow the parameters in effect, so they start at ``p.policy_start_month`` and stop after
    ``p.policy_end_month`` (:mod:`model.targeting`); with ``p.policy_counties`` the networks,
    stations, village points and clearance centres counted are those of the named counties.

Each :class:`Lever` row says which ``Parameters`` field a scenario sets, which fiscal
instrument it is paid through, how (a monthly cost over the baseline computed here, a one-off
when something is built, or payments to the households that use it, booked by the submodel
named in ``paid_in``), which parameters tune it, and optionally which other parameters it moves
while in force (``effect``). Baselines are the ``Parameters`` defaults. The fiscal ledger's
instruments are derived from this table (:data:`INSTRUMENTS`).

Adding a lever is a ``Parameters`` field (group ``"policy"``), a scenario entry
(:mod:`model.scenarios`) and a row here: see "Extending the model" in ``docs/ODD.md``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from agents.farmers import MONTHS_PER_YEAR
from agents.logistics import WAREHOUSES, LogisticsNetwork
from agents.station import ServiceStation, configure_stations
from model.fiscal import FiscalLedger
from model.parameters import Parameters, baseline_levers

#: ``market_info_cost_yuan`` is the yearly cost per this much extra share of reports
MARKET_INFO_COST_STEP = 0.1
#: ``flight_subsidy_yuan`` is the yearly cost per this much extra flights
FLIGHT_COST_STEP = 0.3


@dataclass(frozen=True)
class Provision:
    """What the public provides this month, as counts the cost rules read."""

    pickup_points: int           # villages with a pickup point
    pickup_points_at_baseline: int  # the points the same draws give at the baseline coverage
    partner_counties: int        # county hubs with a logistics partner
    full_service_stations: int
    stations: int
    villages: int
    warehouses_built: frozenset[str]  # WAREHOUSES keys of the warehouses that exist
    villages_with_service_points: int  # villages of the counties running village points
    clearance_counties: int      # partner counties where the levers are in force

    @classmethod
    def of(cls, network: LogisticsNetwork, stations: list[ServiceStation],
           baseline: Parameters, counties: np.ndarray | None = None) -> Provision:
        """What exists now; ``counties`` (bool per county, None: all) are those where the
        levers are in force."""
        cities = {w.city for w in network.warehouses}
        villages = network.villages_per_county()
        partners = network.county_has_partner
        return cls(
            pickup_points=int(network.village_has_point.sum()),
            pickup_points_at_baseline=network.points_at(baseline.pickup_coverage),
            partner_counties=int(partners.sum()),
            full_service_stations=sum(s.full_service for s in stations),
            stations=len(stations), villages=len(network.village_cell),
            warehouses_built=frozenset(k for k, (city, _) in WAREHOUSES.items()
                                       if city in cities),
            villages_with_service_points=int(sum(villages[s.county] for s in stations
                                                 if s.village_points)),
            clearance_counties=int(partners.sum() if counties is None
                                   else (partners & counties).sum()))


#: a monthly cost rule: (parameters in effect, baseline parameters, provision) -> yuan/month
MonthlyCost = Callable[[Parameters, Parameters, Provision], float]


@dataclass(frozen=True)
class Lever:
    """One row of the lever table.

    Attributes:
        parameter: the ``Parameters`` field a scenario sets.
        instrument: the fiscal instrument it is paid through, or None if it costs nothing.
        paid_in: how it is paid: ``"monthly"`` (``monthly_cost`` below, booked after sales),
            ``"on_build"`` (``one_off_cost`` when the network builds it), or the submodel that
            pays the households (or schools, stations) using it.
        monthly_cost: yuan a month over the baseline, for ``paid_in == "monthly"``.
        one_off_cost: yuan once, for ``paid_in == "on_build"``.
        settings: the parameters that tune the lever (its unit costs, sizes).
        effect: the other parameters it moves while in force, as a function of the parameters
            (applied by :func:`in_force`); None for levers that act in the code directly.
        section: where the paper proposes it.
        scope: ``"county"`` (with ``p.policy_counties`` it acts only in the named counties) or
            ``"province"`` (one provincial service or facility: it acts everywhere, and its
            settings with it; :mod:`model.targeting`).
    """

    parameter: str
    instrument: str | None
    paid_in: str
    monthly_cost: MonthlyCost | None = None
    one_off_cost: Callable[[Parameters], float] | None = None
    settings: tuple[str, ...] = ()
    effect: Callable[[Parameters], Mapping[str, Any]] | None = None
    section: str = ""
    scope: str = "county"


def _per_month(yearly: float) -> float:
    return yearly / 12.0


def _extra_points(p: Parameters, base: Parameters, now: Provision) -> float:
    extra = max(now.pickup_points - now.pickup_points_at_baseline, 0)
    return extra * p.pickup_point_cost_yuan


def _extra_partners(p: Parameters, base: Parameters, now: Provision) -> float:
    extra = max(now.partner_counties - base.hub_partner_counties, 0)
    return extra * p.hub_partner_cost_yuan


def _upgraded_stations(p: Parameters, base: Parameters, now: Provision) -> float:
    upgraded = now.full_service_stations - round(base.full_service_station_share
                                                 * now.stations)
    return max(upgraded, 0) * p.station_upgrade_cost_yuan


def _village_points(p: Parameters, base: Parameters, now: Provision) -> float:
    if not p.village_service_points:
        return 0.0
    return now.villages_with_service_points * p.village_point_cost_yuan


def _market_information(p: Parameters, base: Parameters, now: Provision) -> float:
    if p.market_info_share <= base.market_info_share:
        return 0.0
    return (p.market_info_cost_yuan * (p.market_info_share - base.market_info_share)
            / MARKET_INFO_COST_STEP / MONTHS_PER_YEAR)


def _one_stop(p: Parameters, base: Parameters, now: Provision) -> float:
    return _per_month(p.one_stop_platform_cost_yuan) if p.one_stop_platform else 0.0


def _flights(p: Parameters, base: Parameters, now: Provision) -> float:
    if p.flight_increase <= base.flight_increase:
        return 0.0
    return p.flight_subsidy_yuan * p.flight_increase / FLIGHT_COST_STEP / 12.0


def _clearance_centres(p: Parameters, base: Parameters, now: Provision) -> float:
    if not p.county_clearance:
        return 0.0
    return p.county_clearance_cost_yuan / 12.0 * float(now.clearance_counties)


def _warehouse_running(key: str) -> MonthlyCost:
    def cost(p: Parameters, base: Parameters, now: Provision) -> float:
        # a built warehouse's public running cost stops when the lever is withdrawn
        built = getattr(p, key) and key in now.warehouses_built and not getattr(base, key)
        return _per_month(p.warehouse_running_cost_yuan) if built else 0.0
    return cost


def _warehouse_construction(p: Parameters) -> float:
    return min(p.warehouse_subsidy_share * p.warehouse_investment_yuan,
               p.warehouse_subsidy_cap_yuan)


_WAREHOUSE_BUILD = ("warehouse_subsidy_share", "warehouse_investment_yuan",
                    "warehouse_subsidy_cap_yuan")

#: The lever table, in the order monthly costs are booked.
LEVERS: tuple[Lever, ...] = (
    # --- paid to entities and households by the submodel that uses them
    Lever("subsidy_min_turnover_yuan", "turnover_reward", "subsidies", section="4.1, 5.1.1"),
    Lever("subsidy_min_years", "turnover_reward", "subsidies", section="4.1"),
    Lever("training_subsidy_yuan", "training", "training", section="4.1"),
    Lever("school_training_grant_yuan", "school_training_grant", "training",
          settings=("school_trainees_per_year",), section="5.1.2"),
    Lever("certification_subsidy_share", "certification", "sales", section="5.1.1"),
    Lever("trademark_subsidy_yuan", "trademark", "sales", section="5.1.1"),
    Lever("credit_insurance_subsidy_share", "credit_insurance", "sales", section="5.1.1"),
    Lever("bad_debt_compensation_share", "credit_insurance", "sales", section="5.1.1"),
    Lever("breakage_insurance_subsidy_share", "breakage_insurance", "sales", section="5.1.1"),
    Lever("small_order_freight_subsidy_share", "small_order_freight", "sales",
          settings=("small_order_limit_yuan",), section="5.1.1"),
    Lever("belt_reward_share", "belt_reward", "subsidies", section="5.1.2"),
    Lever("talent_secondment_yuan", "talent_secondment", "stations",
          settings=("secondees_per_county_year",), section="5.1.2"),
    Lever("returnee_startup_support", "startup_support", "sales",
          settings=("startup_rent_yuan", "startup_utilities_yuan"), section="5.1.2"),
    Lever("rcep_origin_fee_subsidy", "rcep_origin", "sales", section="5.1.3"),
    Lever("parcel_subsidy_yuan", "parcel", "sales", section="5.2.2"),
    Lever("professional_services", "professional_services", "sales",
          settings=("professional_services_yuan",), section="5.2.3, 5.2.4", scope="province"),
    # --- built once
    Lever("warehouse_us", "warehouse_construction", "on_build",
          one_off_cost=_warehouse_construction, settings=_WAREHOUSE_BUILD, section="5.2.2",
          scope="province"),
    Lever("warehouse_germany", "warehouse_construction", "on_build",
          one_off_cost=_warehouse_construction, settings=_WAREHOUSE_BUILD, section="5.2.2",
          scope="province"),
    # --- monthly costs over the baseline, booked after sales in this order
    Lever("pickup_coverage", "pickup_points", "monthly", _extra_points,
          settings=("pickup_point_cost_yuan",), section="5.2.2"),
    Lever("hub_partner_counties", "hub_partners", "monthly", _extra_partners,
          settings=("hub_partner_cost_yuan",), section="4.2"),
    Lever("full_service_station_share", "station_upgrade", "monthly", _upgraded_stations,
          settings=("station_upgrade_cost_yuan",), section="5.2.1"),
    Lever("village_service_points", "village_service_points", "monthly", _village_points,
          settings=("village_point_cost_yuan",), section="5.2.1"),
    Lever("market_info_share", "market_information", "monthly", _market_information,
          settings=("market_info_cost_yuan",), section="4.2", scope="province"),
    Lever("one_stop_platform", "one_stop_platform", "monthly", _one_stop,
          settings=("one_stop_platform_cost_yuan",), section="4.1, 5.2.1", scope="province"),
    Lever("flight_increase", "flights", "monthly", _flights,
          settings=("flight_subsidy_yuan",), section="5.2.2", scope="province"),
    Lever("county_clearance", "county_clearance", "monthly", _clearance_centres,
          settings=("county_clearance_cost_yuan",), section="5.1.3"),
    Lever("warehouse_us", "warehouse_operation", "monthly", _warehouse_running("warehouse_us"),
          settings=("warehouse_running_cost_yuan",), section="5.2.2", scope="province"),
    Lever("warehouse_germany", "warehouse_operation", "monthly",
          _warehouse_running("warehouse_germany"), settings=("warehouse_running_cost_yuan",),
          section="5.2.2", scope="province"),
    # --- levers that cost nothing beyond the baseline
    Lever("customs_clearance_hours", None, "free", section="5.1.3", scope="province"),
    Lever("warehouse_hanoi", None, "free", section="4.2 (baseline)", scope="province"),
    Lever("warehouse_bangkok", None, "free", section="4.2 (baseline)", scope="province"),
)


def instruments(levers: tuple[Lever, ...]) -> tuple[str, ...]:
    """The fiscal instruments of ``levers``, each once, in table order."""
    return tuple(dict.fromkeys(lv.instrument for lv in levers if lv.instrument))


#: every instrument of the lever table
INSTRUMENTS: tuple[str, ...] = instruments(LEVERS)


def in_force(p: Parameters, levers: tuple[Lever, ...]) -> Parameters:
    """The parameters the model runs with while ``p``'s levers are in force: ``p`` moved by the
    levers' ``effect`` (``p`` itself when no lever has one)."""
    changes: dict[str, Any] = {}
    for lever in levers:
        if lever.effect is not None:
            changes.update(lever.effect(p))
    return p.replace(**changes) if changes else p


def province_wide(levers: tuple[Lever, ...]) -> frozenset[str]:
    """The parameters of the ``"province"``-scope levers and their settings: with
    ``p.policy_counties`` they still act everywhere."""
    return frozenset(name for lv in levers if lv.scope == "province"
                     for name in (lv.parameter, *lv.settings))


def take_effect(p: Parameters, stations: list[ServiceStation], station_rank: np.ndarray,
                network: LogisticsNetwork, ledger: FiscalLedger,
                levers: tuple[Lever, ...], counties: np.ndarray | None = None,
                exact: bool = False) -> None:
    """Build or change stations and networks to ``p`` and book the one-off cost of what is
    built. ``counties`` (bool per county; None: all) are the counties configured to ``p``; the
    others keep what they have. Without ``exact`` they are only added to (the policy start);
    with it they are set to ``p`` (at the start of a run, and to the baseline when the levers
    are withdrawn: points, partners, full service and village points beyond it go; warehouses
    built stay)."""
    configure_stations(stations, station_rank, p, counties, exact)
    built = network.configure(p, counties, exact)
    keys = {city: key for key, (city, _) in WAREHOUSES.items()}
    for w in built:
        for lever in levers:
            if lever.paid_in == "on_build" and lever.parameter == keys[w.city]:
                ledger.claim(lever.instrument, lever.one_off_cost(p))


@functools.lru_cache(maxsize=8)
def _baseline(p: Parameters) -> Parameters:
    """:func:`model.parameters.baseline_levers`, once per parameter set (it builds and
    validates a whole ``Parameters``; the monthly costs ask for it every month)."""
    return baseline_levers(p)


def book_monthly_costs(p: Parameters, network: LogisticsNetwork,
                       stations: list[ServiceStation], ledger: FiscalLedger,
                       levers: tuple[Lever, ...], counties: np.ndarray | None = None) -> None:
    """Book this month's running costs over the baseline, lever by lever, in table order.
    ``p``: the parameters in force where the levers act; ``counties``: where that is (bool
    per county; None: everywhere)."""
    base = _baseline(p)
    provision = Provision.of(network, stations, base, counties)
    for lever in levers:
        if lever.paid_in == "monthly":
            ledger.add(lever.instrument, lever.monthly_cost(p, base, provision))
