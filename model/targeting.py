"""When and where the policy levers act (ODD §7.16, "Time-limited and county-specific
interventions").

    **When.** The levers take the scenario's values in month ``p.policy_start_month`` and keep
    them to month ``p.policy_end_month`` (0: to the end of the run); from the month after it the
    baseline levers apply again. Withdrawal ends the running programmes: pickup points and
    logistics partners beyond the baseline close (the baseline ones, the same draws, stay),
    stations upgraded beyond the baseline share go back to consulting and printing, village
    points stop, subsidies and rewards return to the baseline rules, no new secondees come
    (those in post finish their year), and every monthly cost over the baseline stops. Built
    infrastructure stays: an overseas warehouse built by the policy goes on serving its market,
    but its public running cost stops with the lever (*assumption*: it is handed to a
    commercial operator). What households learned, the cooperatives, clusters and poles the
    policy helped form stay too: they are the state of the run, not levers.

    **Where.** With ``p.policy_counties`` (a selection of counties, :mod:`model.counties`) the
    county-scope levers (:class:`model.policy.Lever` ``scope``) take the scenario's values only
    in the named counties: households there are priced, paid and rewarded with the scenario's
    parameters, households elsewhere with the baseline's; pickup points, partners, full-service
    stations, village points, county clearance centres, training, secondees, belt rewards and
    the returnee start-up support are configured or paid only there, and cost only there. The
    province-scope levers (one provincial facility or service: overseas warehouses, flights,
    clearance hours at Guiyang, the one-stop platform, market information, purchased
    professional services) act everywhere. A lever's ``effect`` on other parameters reaches the
    named counties only through the submodels that read parameters per county (pricing,
    awareness, training, returns); the others read the named counties' parameters everywhere.

:class:`Intervention` owns the three phases of a run's levers (before, during, after) as
:class:`Levers`; :class:`CountyPricing` prices each household with its county's parameters.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from agents.farmers import Households
from agents.logistics import LogisticsNetwork
from agents.station import ServiceStation
from model import economics as econ
from model.accounts import KnowHowField, Pricing
from model.counties import county_mask, short_name
from model.fiscal import FiscalLedger
from model.parameters import Parameters, baseline_levers, lever_names
from model.policy import Lever, in_force, province_wide, take_effect


@dataclass(frozen=True, eq=False)
class Levers:
    """The parameters in force in one phase of a run.

    Attributes:
        inside: the parameters where the levers act (everywhere when ``counties`` is None);
            the model's ``params``.
        outside: the parameters elsewhere (``inside`` when ``counties`` is None).
        counties: bool per county, where ``inside`` applies; None: everywhere.
    """

    inside: Parameters
    outside: Parameters
    counties: np.ndarray | None = None

    def county_params(self) -> list[Parameters] | None:
        """Each county's parameters, or None when they are the same everywhere."""
        if self.counties is None:
            return None
        return [self.inside if c else self.outside for c in self.counties]

    def only_here(self, values: np.ndarray) -> np.ndarray:
        """Per-county ``values`` where the levers act, 0 elsewhere."""
        return values if self.counties is None else values * self.counties

    def by_county(self, name: str) -> np.ndarray | None:
        """A parameter's value in each county, or None when it is the same everywhere."""
        if self.counties is None:
            return None
        return np.where(self.counties, getattr(self.inside, name), getattr(self.outside, name))

    def by_cell(self, name: str, cell_county: np.ndarray) -> np.ndarray | None:
        """A parameter's value in each cell, or None when it is the same everywhere."""
        values = self.by_county(name)
        return None if values is None else values[cell_county]


class Intervention:
    """The levers of a run in each month: the baseline before ``policy_start_month``, the
    scenario's (in the named counties) up to ``policy_end_month``, the baseline after it."""

    def __init__(self, requested: Parameters, levers: tuple[Lever, ...], n_counties: int) -> None:
        self.start = requested.policy_start_month
        self.end = requested.policy_end_month
        policy = in_force(requested, levers)
        self.baseline = Levers(*(2 * (in_force(baseline_levers(requested), levers),)))
        counties = county_mask(requested.policy_counties, n_counties)
        elsewhere = in_force(local_baseline(requested, levers), levers)
        if counties is None or elsewhere == policy:  # nothing that differs by county
            self.policy = Levers(policy, policy)
        else:
            self.policy = Levers(policy, elsewhere, counties)
        self.differs = policy != self.baseline.inside

    def first(self) -> Levers:
        """The levers of month 1 (the policy's when it starts in month 1)."""
        return self.policy if self.start <= 1 else self.baseline

    def change(self, month: int) -> tuple[Levers, bool] | None:
        """The levers that take over in ``month``, and whether networks and stations are set
        to them exactly (withdrawal) rather than added to (start); None if nothing changes."""
        if not self.differs:
            return None
        if month == self.start and self.start > 1:
            return self.policy, False
        if self.end and month == self.end + 1:
            return self.baseline, True
        return None


def set_inside(model: Any, value: Parameters) -> None:
    """Set ``model.params`` by hand: the parameters where the levers act (everywhere when they
    act province-wide), for the rest of the run or until the levers next change."""
    levers = model.in_force
    other = value if levers.counties is None else levers.outside
    model.in_force = Levers(value, other, levers.counties)


def build(levers: Levers, stations: list[ServiceStation], rank: np.ndarray,
          network: LogisticsNetwork, ledger: FiscalLedger, table: tuple[Lever, ...]) -> None:
    """Build stations and networks to the levers of month 1: to ``outside`` everywhere, then
    to ``inside`` in the named counties (:func:`model.policy.take_effect`)."""
    take_effect(levers.outside, stations, rank, network, ledger, table, exact=True)
    if levers.counties is not None:
        take_effect(levers.inside, stations, rank, network, ledger, table, levers.counties,
                    exact=True)


def local_baseline(p: Parameters, levers: tuple[Lever, ...]) -> Parameters:
    """``p`` outside the named counties: its county-scope levers at their baseline, its
    province-scope levers (:func:`model.policy.province_wide`) as ``p`` sets them."""
    defaults = type(p)()
    keep = province_wide(levers)
    return dataclasses.replace(p, **{k: getattr(defaults, k) for k in lever_names(p)
                                     if k not in keep})


def describe(p: Parameters) -> str:
    """One line: when and where the levers act, e.g. ``months 25-60, in Qiandongnan``; ``none
    (every lever at the baseline)`` when no lever is moved."""
    if baseline_levers(p) == p:
        return "none (every lever at the baseline)"
    start = p.policy_start_month
    window = f"from month {start}" if not p.policy_end_month else \
        f"months {start}-{p.policy_end_month}"
    where = f"in {short_name(p.policy_counties)}" if p.policy_counties else "province-wide"
    return f"{window}, {where}"


def per_cell(levers: Levers, cell_county: np.ndarray,
             compute: Callable[[Parameters], np.ndarray]) -> np.ndarray:
    """A per-cell quantity computed with each cell's county's parameters."""
    inside = compute(levers.inside)
    if levers.counties is None:
        return inside
    return np.where(levers.counties[cell_county], inside, compute(levers.outside))


def belts_and_rates(levers: Levers, in_belt: np.ndarray, cell_county: np.ndarray
                    ) -> tuple[np.ndarray, Callable[..., np.ndarray] | None]:
    """What December's turnover rewards need beyond the parameters where the levers act
    (:func:`model.subsidies.pay_turnover_rewards`): the belt cells whose turnover earns the
    belt reward (those of the named counties) and each county's reward rates."""
    if levers.counties is None:
        return in_belt, None
    return in_belt & levers.counties[cell_county], reward_rates(levers)


def price(levers: Levers, context_of: Callable[[Parameters], econ.MarketContext],
          sets: Sequence[tuple[Households, bool]], knowhow: KnowHowField,
          cell_county: np.ndarray, village_county: np.ndarray
          ) -> tuple[econ.MarketContext, list[Pricing | CountyPricing]]:
    """The month's market context and a pricing for each set of agents (``(agents,
    registered)``: households, firms): ``context_of(p)`` is the context under parameters
    ``p``; with named counties each county gets its own parameters' context and pricing."""
    context = context_of(levers.inside)
    if levers.counties is None:
        return context, [Pricing(agents, levers.inside, context, knowhow, registered)
                         for agents, registered in sets]
    context = merge_contexts(context, context_of(levers.outside), levers.counties,
                             cell_county, village_county)
    # each Pricing keeps its own copy: the margin's tables are cached per context
    return context, [CountyPricing(
        Pricing(agents, levers.inside, dataclasses.replace(context), knowhow, registered),
        Pricing(agents, levers.outside, dataclasses.replace(context), knowhow, registered),
        levers.counties) for agents, registered in sets]


# ------------------------------------------------------------------ per-county pricing
#: MarketContext fields indexed by county, by cell, by village (others must not differ)
_CONTEXT_INDEX = {
    "county": ("fx_help", "customs_local", "guiyang_local", "info_station", "takeup", "partner",
               "county_orders", "platform_use", "industry_cluster"),
    "cell": ("haul_km", "local_orders", "window_cells", "in_cluster", "belt_centre", "knowhow"),
    "village": ("has_point",),
}


def merge_contexts(inside: econ.MarketContext, outside: econ.MarketContext,
                   counties: np.ndarray, cell_county: np.ndarray,
                   village_county: np.ndarray) -> econ.MarketContext:
    """One month's context: ``inside``'s in the named ``counties`` (and their cells and
    villages), ``outside``'s elsewhere."""
    masks = {"county": counties, "cell": counties[cell_county],
             "village": counties[village_county]}
    kind = {name: k for k, names in _CONTEXT_INDEX.items() for name in names}
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(inside):
        if not f.init:
            continue
        a, b = getattr(inside, f.name), getattr(outside, f.name)
        if a is b or np.array_equal(a, b):
            continue
        index = kind.get(f.name)
        if index is None:
            raise ValueError(f"market context field '{f.name}' differs between the named "
                             "counties and the rest but is not per county, cell or village")
        mask = masks[index].reshape((-1,) + (1,) * (np.ndim(a) - 1))
        changes[f.name] = np.where(mask, a, b)
    return dataclasses.replace(inside, **changes)


def _take(value: Any, pos: np.ndarray, n: int) -> Any:
    """The part of a per-household argument at ``pos`` (scalars and None as they are)."""
    if isinstance(value, np.ndarray) and value.ndim == 1 and len(value) == n:
        return value[pos]
    return value


def _merge(parts: list[tuple[np.ndarray, Any]], n: int) -> Any:
    first = parts[0][1]
    if isinstance(first, dict):
        return {k: _merge([(pos, r[k]) for pos, r in parts], n) for k in first}
    out = np.empty(n, dtype=np.result_type(*(r for _, r in parts)))
    for pos, r in parts:
        out[pos] = r
    return out


class CountyPricing:
    """:class:`model.accounts.Pricing` with households in the named counties priced by
    ``inside`` and the others by ``outside`` (same methods, same results per household)."""

    def __init__(self, inside: Pricing, outside: Pricing, counties: np.ndarray) -> None:
        self.inside, self.outside, self.counties = inside, outside, counties
        self.households = inside.households
        self.params = inside.params
        self.context = inside.context
        self.knowhow = inside.knowhow

    def _call(self, method: str, idx: np.ndarray, *args: Any, **kwargs: Any) -> Any:
        here = self.counties[self.households.county[idx]]
        if here.all() or not here.any():
            pricing = self.inside if here.all() else self.outside
            return getattr(pricing, method)(idx, *args, **kwargs)
        n = len(idx)
        parts = []
        for pricing, mask in ((self.inside, here), (self.outside, ~here)):
            pos = np.flatnonzero(mask)
            result = getattr(pricing, method)(
                idx[pos], *(_take(a, pos, n) for a in args),
                **{k: _take(v, pos, n) for k, v in kwargs.items()})
            parts.append((pos, result))
        return _merge(parts, n)

    def hurdle(self, idx: np.ndarray) -> np.ndarray:
        return self._call("hurdle", idx)

    def annual_sales(self, idx: np.ndarray) -> np.ndarray:
        return self._call("annual_sales", idx)

    def skill(self, idx: np.ndarray) -> np.ndarray:
        return self._call("skill", idx)

    def accounts(self, idx: np.ndarray, coop_members: np.ndarray | float,
                 reward_turnover: np.ndarray | None = None, full: bool = True,
                 with_reward: bool = True, need: np.ndarray | None = None,
                 sales: np.ndarray | None = None, skill: np.ndarray | None = None
                 ) -> dict[str, np.ndarray]:
        return self._call("accounts", idx, coop_members, reward_turnover=reward_turnover,
                          full=full, with_reward=with_reward, need=need, sales=sales,
                          skill=skill)

    def gain(self, idx: np.ndarray, coop_members: np.ndarray,
             need: np.ndarray | None = None, sales: np.ndarray | None = None,
             skill: np.ndarray | None = None) -> np.ndarray:
        return self._call("gain", idx, coop_members, need=need, sales=sales, skill=skill)

    def coop_gain(self, idx: np.ndarray, members: int | np.ndarray,
                  need: np.ndarray | None = None, sales: np.ndarray | None = None,
                  skill: np.ndarray | None = None) -> np.ndarray:
        return self._call("coop_gain", idx, members, need=need, sales=sales, skill=skill)


def reward_rates(levers: Levers) -> Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
    """The turnover reward rate of entities (turnover yuan, years registered, county) under
    each county's parameters (:func:`model.economics.reward_rate`)."""
    def rate(turnover: np.ndarray, years: np.ndarray, county: np.ndarray) -> np.ndarray:
        out = []
        for p in (levers.inside, levers.outside):
            out.append(econ.reward_rate(turnover, p) * (years >= p.subsidy_min_years))
        return np.where(levers.counties[county], out[0], out[1])
    return rate
