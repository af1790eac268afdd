"""The reference (oracle) implementation of the household rules: one Mesa agent per household.

:class:`ReferenceCBECModel` is :class:`model.model.CBECModel` with its per-household sub-steps
rewritten the idiomatic Mesa way: every farmer household is a :class:`FarmerHousehold`
(``mesa.Agent``) that keeps its own state in plain Python attributes, and each rule is a loop
over those agents calling the agent's own methods with scalar arithmetic (``math`` and the
model's stdlib ``random``; no numpy arrays over households). It is meant to be read next to the
vectorised engine and to serve as its oracle: ``tests/test_reference.py`` checks that the two
models agree statistically, and ``benchmarks/run.py`` times them side by side. It is one to
two orders of magnitude slower (BENCHMARKS.md), so keep it to small worlds (about 10,000
households).

What is re-implemented per agent
    * ``_awareness`` -- the per-cell awareness hazard (seller share around the cell, station
      outreach, know-how, pole spread) is summed cell by cell in Python from the agents' own
      counts; each unaware household becomes aware once its cell's cumulative hazard passes its
      own threshold (:meth:`FarmerHousehold.notice`).
    * ``_review`` -- exited households come back after ``reentry_months``; each aware household
      reviews with probability ``review_rate`` (returnee entrepreneurs at once) and compares the
      gain of selling directly and through an open cooperative of its county and line with its
      hurdle (:meth:`FarmerHousehold.review`, :meth:`FarmerHousehold.start_selling`).
    * ``_sell`` -- each seller's month: lognormal revenue noise, costs, unsold events, trailing
      profit and revenue, year-to-date sales, subsidies it uses, and the exit decision
      (:meth:`FarmerHousehold.sell_month`, :meth:`FarmerHousehold.judge`). The month's volumes
      (per cell, county, village, market) are summed from the agents' records.

    The agent's inputs to its margin -- sales with learning and demand growth, effective skill,
    hurdle, expected turnover reward -- are scalar Python on the agent's attributes. The margin
    itself (every cost term of §2.3-§5) is :func:`model.economics.annual_economics`, called for
    the one agent on length-1 arrays: it is the shared definition of the cost terms, so the
    oracle checks the household rules, the bookkeeping and the random draws, not the cost
    formulae.

What is shared with the engine, unchanged
    The world, the initial households, initial awareness and initial sellers are built by
    ``CBECModel.__init__`` (so for the same seed both models start from the identical state);
    the agents are created afterwards from those arrays. Stations, poles, returnees, training,
    cooperative formation and upkeep, clusters, annual subsidies, the fiscal ledger and the
    outcomes :class:`model.outcomes.Recorder` are the parent's code and read and write the
    household arrays (``model.households``).

Keeping agents and arrays in sync
    The agents are authoritative inside the three sub-steps above. Each sub-step begins with
    :meth:`ReferenceCBECModel.observe`: the agents take whatever the parent's code changed in
    the household arrays since they last looked (training, returnees, cooperative formation and
    upkeep, the January reset of year-to-date sales, ...), found by comparing each array with a
    mirror of what the agents last saw. It ends with :meth:`ReferenceCBECModel.publish`: the
    agents that acted write the fields they changed back into the arrays, so everything else in
    the parent keeps working. The month's accounts the Recorder reads (``month_accounts``) are
    assembled from the sellers' records. This bookkeeping is the only numpy over households
    here; it moves state, it decides nothing.

Scheduling and random numbers
    Agents act in household order. Decisions within a sub-step are synchronous as in the engine:
    households reviewing this month all see the cooperatives as they were at the start of the
    review. Random draws come from ``model.random`` (Mesa's stdlib generator, one scalar draw per
    decision) instead of ``model.rng`` arrays, and draws that cannot matter are skipped, so the
    two models agree in distribution over seeds, never run by run. The parent's own sub-steps
    still draw from ``model.rng``.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

import mesa
import numpy as np

from model import economics as econ
from model.households import AWARE, EXITED, PRODUCTS, SELLING, UNAWARE, Households
from model.model import MAX_GROWTH_YEARS, STATION_OUTREACH_DECAY_KM, CBECModel
from model.parameters import Parameters

#: every household attribute: each agent holds all of them; any may be changed by the parent's
#: code (returnee entrepreneurs, for instance, get a larger ``sales_potential``)
FIELDS = tuple(Households.__dataclass_fields__)
#: fiscal instruments whose cost scales with the month's realised sales
PROPORTIONAL_TERMS = ("small_order_freight", "parcel", "breakage_insurance", "credit_insurance")


def reward_rate(turnover: float, p: Parameters) -> float:
    """Turnover reward rate of an entity with ``turnover`` yuan a year (§4.1, §5.1.1)."""
    if not p.subsidies or turnover < p.subsidy_min_turnover_yuan:
        return 0.0
    if turnover >= p.reward_large_threshold_yuan:
        return p.reward_rate_large
    if turnover >= 2e6:
        return p.reward_rate_standard
    return p.reward_rate_small


class FarmerHousehold(mesa.Agent):
    """One farmer household, its state held in plain attributes.

    ``index`` is its row in the model's household arrays. Where it is and what it sells:
    ``cell``, ``county``, ``village``, ``product``. Its traits: ``sales_potential``
    (yuan/year), ``innate_skill``, ``learned_skill``, ``risk_aversion``, ``capable`` (can sell
    online on its own, else only through a cooperative), ``awareness_threshold``. Its state:
    ``status`` (UNAWARE, AWARE, SELLING, EXITED), ``coop`` (cooperative id or -1),
    ``returnee``, ``entrepreneur``, ``entrepreneur_month``, ``start_month``,
    ``months_selling``, ``exit_month``, ``profit_trailing`` and ``revenue_trailing``
    (yuan/year, smoothed), ``sales_ytd``, ``subsidies_received``, ``last_unsold_month``,
    ``firm_month``. (Units as in :class:`model.households.Households`.)
    """

    model: ReferenceCBECModel

    def __init__(self, model: ReferenceCBECModel, index: int, state: Mapping[str, Any]) -> None:
        super().__init__(model)
        self.index = index
        self.cell: int = state["cell"]
        self.county: int = state["county"]
        self.village: int = state["village"]
        self.product: int = state["product"]
        self.sales_potential: float = state["sales_potential"]
        self.innate_skill: float = state["innate_skill"]
        self.learned_skill: float = state["learned_skill"]
        self.risk_aversion: float = state["risk_aversion"]
        self.capable: bool = state["capable"]
        self.awareness_threshold: float = state["awareness_threshold"]
        self.status: int = state["status"]
        self.coop: int = state["coop"]
        self.returnee: bool = state["returnee"]
        self.entrepreneur: bool = state["entrepreneur"]
        self.entrepreneur_month: int = state["entrepreneur_month"]
        self.start_month: int = state["start_month"]
        self.months_selling: int = state["months_selling"]
        self.exit_month: int = state["exit_month"]
        self.profit_trailing: float = state["profit_trailing"]
        self.revenue_trailing: float = state["revenue_trailing"]
        self.sales_ytd: float = state["sales_ytd"]
        self.subsidies_received: float = state["subsidies_received"]
        self.last_unsold_month: int = state["last_unsold_month"]
        self.firm_month: int = state["firm_month"]
        for name in FIELDS:  # any attribute added to Households since
            if not hasattr(self, name):
                setattr(self, name, state[name])

    # ------------------------------------------------------------ own quantities
    def skill(self) -> float:
        """Effective skill: half innate, half local know-how, plus what it learned; in [0, 1]."""
        knowhow = self.model.cell_knowhow[self.cell]
        s = 0.5 * self.innate_skill + 0.5 * knowhow + self.learned_skill
        return min(max(s, 0.0), 1.0)

    def hurdle(self) -> float:
        """Gain per yuan of goods this household needs before it sells cross-border."""
        p = self.model.params
        return p.hurdle_base + p.hurdle_risk * self.risk_aversion

    def annual_sales(self) -> float:
        """Goods it ships a year (yuan), grown with years in business and demand, capped."""
        p = self.model.params
        years = min(max(self.months_selling / 12.0, 0.0), MAX_GROWTH_YEARS)
        growth = (1.0 + p.sales_growth_per_year_in_business) ** years
        growth *= self.model.product_demand[self.product]
        return self.sales_potential * min(growth, p.capacity_multiple)

    def accounts(self, coop_members: int, reward_turnover: float | None = None,
                 full: bool = True) -> dict[str, np.ndarray]:
        """Expected yearly accounts selling with ``coop_members`` (0 = directly).

        ``reward_turnover``: the entity turnover its expected reward is judged on (default: its
        own revenue). The cost terms are :func:`model.economics.annual_economics` on a
        length-1 index (which reads this household's place, line and entrepreneur flag from
        the arrays, kept in sync); sales, skill, years and the expected reward are computed
        here from the agent's own attributes.
        """
        model = self.model
        p = model.params
        sales = self.annual_sales()
        years = self.months_selling / 12.0
        if reward_turnover is None:
            premium = model.premium[self.product]
            reward_turnover = sales * (1 + p.direct_sale_markup) * (1 + premium)
        if years >= p.subsidy_min_years:
            years_factor = 1.0
        else:
            years_factor = min(max(1.0 - p.subsidy_min_years / 3.0, 0.0), 1.0)
        reward = (reward_rate(reward_turnover, p) * model.takeup[self.county] * years_factor)
        return econ.annual_economics(
            model.households, np.array([self.index]), model.context, p,
            np.array([self.skill()]), np.array([float(coop_members)]), np.array([sales]),
            np.array([reward]), np.array([years]), full=full)

    def gain(self) -> float:
        """Gain per yuan of goods of selling directly rather than domestically."""
        return float(self.accounts(0, full=False)["gain_rate"][0])

    def coop_gain(self, members: int) -> float:
        """Gain per yuan of goods through a cooperative of ``members`` (pooled turnover)."""
        p = self.model.params
        sales = self.annual_sales()
        pooled = (members * sales * (1 + p.direct_sale_markup)
                  * (1 + self.model.premium[self.product]))
        return float(self.accounts(members, reward_turnover=pooled, full=False)["gain_rate"][0])

    # ------------------------------------------------------------------ rules
    def notice(self, cumulative_hazard: float) -> None:
        """Awareness: it learns of CBEC once its cell's cumulative hazard passes its threshold."""
        if self.status == UNAWARE and cumulative_hazard >= self.awareness_threshold:
            self.status = AWARE

    def come_back(self, month: int) -> None:
        """An exited household weighs CBEC again ``reentry_months`` after it left."""
        if (self.status == EXITED
                and self.exit_month + self.model.params.reentry_months <= month):
            self.status = AWARE

    def review(self, open_coops: Mapping[tuple[int, int], tuple[int, int]]) -> int | None:
        """Weigh selling directly (only if it can sell online on its own) and through the open
        cooperative of its county and line.

        Returns the cooperative id to join, -1 to sell directly, None to stay out.
        """
        p = self.model.params
        need = self.hurdle()
        direct = self.gain() if self.capable else -math.inf
        coop_id, size = open_coops.get((self.county, self.product), (-1, 0))
        if coop_id >= 0 and p.cooperatives:
            via_coop = self.coop_gain(size + 1)
            if via_coop > need and via_coop >= direct:
                return coop_id
        if direct > need:
            return -1
        return None

    def start_selling(self, month: int, coop_id: int) -> None:
        """Start selling cross-border (through ``coop_id`` if >= 0)."""
        self.status = SELLING
        self.coop = coop_id
        if self.start_month < 0 and self.months_selling == 0:
            self.start_month = month
        self.profit_trailing = max(self.profit_trailing, 0.0)

    def sell_month(self, month: int, coop_members: int) -> dict[str, Any]:
        """A month of realised sales. Updates its own books; returns the month's record
        (the accounts, the revenue factor ``f``, profit, revenue and subsidies of the month)."""
        model = self.model
        p = model.params
        rnd = model.random
        arrays = self.accounts(coop_members, reward_turnover=0.0)
        a = {k: float(v[0]) for k, v in arrays.items()}
        sigma = p.sales_noise_sigma
        f = rnd.lognormvariate(-0.5 * sigma * sigma, sigma)
        variable = (a["revenue"] + a["rcep_gain"] - a["production"] - a["logistics"]
                    + a["fiscal_small_order_freight"] + a["fiscal_parcel"] - a["loss"]
                    - a["acquisition"] - a["credit"] - a["coop_fee"])
        fixed = a["certification"] + a["fx"] + a["customs"] + a["fixed"]
        unsold_cost = 0.0
        if rnd.random() < a["unsold_prob"] / 12.0:
            unsold_cost = p.unsold_fraction * a["revenue"] * f * econ.UNSOLD_WRITE_DOWN
            self.last_unsold_month = month
        profit = (variable * f - fixed) / 12.0 - unsold_cost
        revenue = a["revenue"] * f / 12.0
        self.profit_trailing = self.profit_trailing * (11 / 12) + profit
        self.revenue_trailing = self.revenue_trailing * (11 / 12) + revenue
        self.sales_ytd += revenue
        self.months_selling += 1
        payments = {}
        for term in econ.FISCAL_TERMS:
            scale = f if term in PROPORTIONAL_TERMS else 1.0
            payments[term] = a[f"fiscal_{term}"] * scale / 12.0
        if p.professional_services:
            payments["professional_services"] = p.professional_services_yuan / 12.0
        self.subsidies_received += sum(payments.values())
        return {"arrays": arrays, "a": a, "f": f, "profit": profit, "revenue": revenue,
                "payments": payments}

    def judge(self, month: int, gain_rate: float) -> None:
        """Exit after sustained losses, or when clearly worse than the domestic route (a
        business gets half a year before it is judged), or close at any age at
        ``closure_rate`` a year."""
        p = self.model.params
        rnd = self.model.random
        closes = p.closure_rate > 0 and rnd.random() < p.closure_rate / 12.0
        judged = self.months_selling >= 6
        worse = judged and rnd.random() < p.review_rate / 2 and gain_rate < -self.hurdle()
        losing = (judged and self.profit_trailing < 0
                  and rnd.random() < p.exit_rate_when_losing)
        if closes or worse or losing:
            self.status = EXITED
            self.exit_month = month
            self.coop = -1


class ReferenceCBECModel(CBECModel):
    """:class:`model.model.CBECModel` with one :class:`FarmerHousehold` agent per household.

    Same constructor and outputs as the parent (``outcomes()``, ``counties()``, ...). The agents
    are ``model.farmers`` (in household order) and are also registered with Mesa
    (``model.agents_by_type[FarmerHousehold]``).
    """

    def __init__(self, rng: Any = None, params: Parameters | Mapping[str, Any] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(rng=rng, params=params, **kwargs)
        h = self.households
        columns = {name: getattr(h, name).tolist() for name in FIELDS}
        self.farmers: list[FarmerHousehold] = [
            FarmerHousehold(self, i, {name: values[i] for name, values in columns.items()})
            for i in range(h.n)]
        world = self.world
        self.cell_neighbours = [[int(c) for c in row if c >= 0]
                                for row in world.neighbours.tolist()]
        self.cell_county_list = world.cell_county.tolist()
        self.outreach_decay = [math.exp(-d / STATION_OUTREACH_DECAY_KM)
                               for d in world.dist_to_seat_km.tolist()]
        households_in_cell = Counter(a.cell for a in self.farmers)
        self.households_around = [
            households_in_cell[c] + sum(households_in_cell[n] for n in neighbours)
            for c, neighbours in enumerate(self.cell_neighbours)]
        self.market_mix = econ.MARKET_MIX.tolist()
        # what the agents last saw of each state array (see observe)
        self.mirror = {name: getattr(h, name).copy() for name in FIELDS}
        self.observe()

    # ------------------------------------------------------------------ sync
    def observe(self) -> None:
        """Agents take the changes the parent's code made to the household arrays since they
        last saw them (training, returnees, cooperative formation and upkeep, the January reset
        of year-to-date sales, ...); the model takes the month's cell and county conditions.

        Changes are found by comparing each state array with a mirror of what the agents last
        saw, so only the households that changed are touched.
        """
        h = self.households
        for name in FIELDS:
            values, seen = getattr(h, name), self.mirror[name]
            changed = np.flatnonzero(values != seen)
            if len(changed):
                seen[changed] = values[changed]
                for i, value in zip(changed.tolist(), values[changed].tolist(), strict=True):
                    setattr(self.farmers[i], name, value)
        ctx = self.context
        self.premium = econ.export_premium(self.params, ctx).tolist()
        self.cell_knowhow = self.poles.cell_knowhow.tolist()
        self.product_demand = ctx.demand.tolist()
        self.takeup = ctx.takeup.tolist()

    def publish(self, agents: list[FarmerHousehold], names: tuple[str, ...]) -> None:
        """Write attributes ``names`` of ``agents`` (the ones that acted) into the arrays."""
        if not agents:
            return
        h = self.households
        idx = np.array([agent.index for agent in agents], dtype=np.int64)
        for name in names:
            values = getattr(h, name)
            values[idx] = [getattr(agent, name) for agent in agents]
            self.mirror[name][idx] = values[idx]

    # ------------------------------------------------------------- sub-steps
    def _awareness(self) -> None:
        """Per-cell awareness hazard from the agents' counts; each household checks its cell."""
        self.observe()
        p = self.params
        # sellers around each cell: every seller counts in its own cell and the 8 around it
        sellers_around = [0] * self.world.n_cells
        for agent in self.farmers:
            if agent.status == SELLING:
                sellers_around[agent.cell] += 1
                for c in self.cell_neighbours[agent.cell]:
                    sellers_around[c] += 1
        full = [1.0 if s.full_service else 0.0 for s in self.stations]
        field = (self.poles.field(self.month).tolist() if p.spread_effect else None)
        cumulative = self.cumulative_hazard.tolist()
        for c, households in enumerate(self.households_around):
            peer = sellers_around[c] / households if households > 0 else 0.0
            outreach = (p.station_outreach * (1.0 + full[self.cell_county_list[c]])
                        * self.outreach_decay[c])
            if p.village_service_points:
                outreach += p.station_outreach
            hazard = (p.awareness_base_rate + p.peer_effect * peer + outreach
                      + p.knowhow_awareness * self.cell_knowhow[c])
            if field is not None:
                hazard += p.pole_spread_awareness * field[c]
            cumulative[c] += hazard
        self.cumulative_hazard[:] = cumulative  # stored in float32, as in the engine
        cumulative = self.cumulative_hazard.tolist()
        woke = []
        for agent in self.farmers:
            if agent.status == UNAWARE:
                agent.notice(cumulative[agent.cell])
                if agent.status == AWARE:
                    woke.append(agent)
        self.publish(woke, ("status",))

    def open_cooperatives(self) -> dict[tuple[int, int], tuple[int, int]]:
        """(county, product) -> (id, members) of the largest open cooperative there."""
        limit = self.params.coop_target_members * 2
        table: dict[tuple[int, int], tuple[int, int]] = {}
        for c in self.cooperatives.values():
            if c.active and c.n_members < limit:
                key = (c.county, c.product)
                if c.n_members > table.get(key, (-1, 0))[1]:
                    table[key] = (c.coop_id, c.n_members)
        return table

    def _review(self, m: int, entrepreneurs: np.ndarray) -> None:
        """Each aware household reviews CBEC with probability ``review_rate`` (returnee
        entrepreneurs of this month at once) and starts selling if it beats its hurdle."""
        self.observe()
        p = self.params
        acted = []
        for agent in self.farmers:
            if agent.status == EXITED:
                agent.come_back(m)
                if agent.status == AWARE:
                    acted.append(agent)
        fresh = set(entrepreneurs.tolist())
        open_coops = self.open_cooperatives()  # as at the start of the review, for everyone
        for agent in self.farmers:
            if agent.status != AWARE:
                continue
            if agent.index not in fresh and not self.random.random() < p.review_rate:
                continue
            choice = agent.review(open_coops)
            if choice is None:
                continue
            agent.start_selling(m, choice)
            acted.append(agent)
            if choice >= 0:
                self.cooperatives[choice].n_members += 1
        self.publish(acted, ("status", "coop", "start_month", "profit_trailing"))

    def _sell(self, m: int, ctx: econ.MarketContext) -> None:
        """Every seller's month of sales, costs, unsold goods, subsidies and exit decision;
        the month's volumes are summed from their records."""
        self.observe()
        n_cells = self.world.n_cells
        sellers = [a for a in self.farmers if a.status == SELLING]
        self.month_sellers = np.array([a.index for a in sellers], dtype=np.int64)
        if not sellers:
            self.month_accounts = None
            self.cell_orders_last = np.zeros(n_cells)
            self.cell_sales_history[m % 12] = 0.0
            self.cell_product_history[m % 12] = 0.0
            self.logistics.record_month(np.zeros(len(self.stations)),
                                        np.zeros(len(self.village_cell)), np.zeros(3))
            return
        coop_size = Counter(a.coop for a in sellers if a.coop >= 0)
        has_point = ctx.has_point.tolist()
        warehouse_share = ctx.warehouse_share.tolist()
        cell_orders = [0.0] * n_cells
        county_orders = [0.0] * len(self.stations)
        village_orders = [0.0] * len(self.village_cell)
        market_orders = [0.0, 0.0, 0.0]
        cell_sales = [0.0] * n_cells
        cell_product_sales = [[0.0] * len(PRODUCTS) for _ in range(n_cells)]
        paid: dict[str, float] = defaultdict(float)
        records = []
        for agent in sellers:
            members = coop_size[agent.coop] if agent.coop >= 0 else 0
            rec = agent.sell_month(m, members)
            a, f = rec["a"], rec["f"]
            rec["coop_members"] = float(members)
            records.append(rec)
            for term, amount in rec["payments"].items():
                paid[term] += amount
            orders = a["orders"] * f / 12.0
            cell_orders[agent.cell] += orders
            county_orders[agent.county] += orders * a["collected"]
            if has_point[agent.village]:
                village_orders[agent.village] += orders
            for k, share in enumerate(self.market_mix[agent.product]):
                market_orders[k] += orders * share * warehouse_share[agent.product]
            cell_sales[agent.cell] += rec["revenue"]
            cell_product_sales[agent.cell][agent.product] += rec["revenue"]
            agent.judge(m, a["gain_rate"])
        for term in (*econ.FISCAL_TERMS, "professional_services"):
            if paid.get(term):
                self.fiscal.add_households(term, paid[term])
        self.cell_orders_last = np.array(cell_orders)
        self.logistics.record_month(np.array(county_orders), np.array(village_orders),
                                    np.array(market_orders))
        self.cell_sales_history[m % 12] = cell_sales
        self.cell_product_history[m % 12] = cell_product_sales
        # the month's accounts, over this month's sellers, for the Recorder
        accounts = {k: np.concatenate([r["arrays"][k] for r in records])
                    for k in records[0]["arrays"]}
        self.month_accounts = {
            **accounts, "f": np.array([r["f"] for r in records]),
            "profit_month": np.array([r["profit"] for r in records]),
            "revenue_month": np.array([r["revenue"] for r in records]),
            "coop_members": np.array([r["coop_members"] for r in records])}
        self.publish(sellers, ("status", "exit_month", "coop", "last_unsold_month",
                               "profit_trailing", "revenue_trailing", "sales_ytd",
                               "months_selling", "subsidies_received"))
