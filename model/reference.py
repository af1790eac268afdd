"""The reference (oracle) implementation of the household rules: one Mesa agent per household.

:class:`ReferenceCBECModel` is :class:`model.model.CBECModel` with its per-household sub-steps
rewritten the idiomatic Mesa way: every farmer household is a
:class:`agents.farmer_reference.FarmerHousehold`
(``mesa.Agent``) that keeps its own state in plain Python attributes, and each rule is a loop
over those agents calling the agent's own methods with scalar arithmetic (``math`` and the
model's stdlib ``random``; no numpy arrays over households). It is meant to be read next to the
vectorised engine and to serve as its oracle: ``tests/test_reference.py`` checks that the two
models agree statistically, and ``benchmarks/run.py`` times them side by side. It is one to
two orders of magnitude slower (BENCHMARKS.md), so keep it to small worlds (about 10,000
households).

What is re-implemented per agent (the model's household seam: ``notice``, ``review``, ``sell``)
    * ``notice`` -- the per-cell awareness hazard (seller share around the cell, station
      outreach, know-how, pole spread) is summed cell by cell in Python from the agents' own
      counts; each unaware household becomes aware once its cell's cumulative hazard passes its
      own threshold (:meth:`FarmerHousehold.notice`).
    * ``review`` -- exited households come back after ``reentry_months``; each aware household
      reviews with probability ``review_rate`` plus ``imitation_rate`` times the share of
      successful sellers around it (returnee entrepreneurs at once) and compares the
      gain of selling directly and through an open cooperative of its county and line with its
      hurdle (:meth:`FarmerHousehold.review`, :meth:`FarmerHousehold.start_selling`).
    * ``sell`` -- each seller's month: lognormal revenue noise, costs, unsold events, trailing
      profit and revenue, year-to-date sales, subsidies it uses, and the exit decision
      (:meth:`FarmerHousehold.sell_month`, :meth:`FarmerHousehold.judge`). The month's volumes
      (per cell, county, village, market) are summed from the agents' records.

    The agent's inputs to its margin -- sales with learning by doing, effective skill,
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
    decision) instead of the engine's keyed streams, and draws that cannot matter are skipped,
    so the two models agree in distribution over seeds, never run by run. The parent's own sub-steps
    (stations, returnees, cooperatives, ...) draw from the keyed streams of
    :mod:`model.randomness` as in the engine.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

import numpy as np

from agents.farmer_reference import FIELDS, FarmerHousehold
from agents.farmers import AWARE, EXITED, PRODUCTS, SELLING, UNAWARE
from model import economics as econ
from model.awareness import STATION_OUTREACH_DECAY_KM
from model.demand import B2B, CHANNELS, RETAIL
from model.model import CBECModel
from model.parameters import ParameterError, Parameters
from model.sales import SalesMonth, Volumes


class ReferenceCBECModel(CBECModel):
    """:class:`model.model.CBECModel` with one :class:`FarmerHousehold` agent per household.

    Same constructor and outputs as the parent (``outcomes()``, ``counties()``, ...). The agents
    are ``model.farmers`` (in household order) and are also registered with Mesa
    (``model.agents_by_type[FarmerHousehold]``).
    """

    def __init__(self, rng: Any = None, params: Parameters | Mapping[str, Any] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(rng=rng, params=params, **kwargs)
        if self.requested_params.policy_counties:
            raise ParameterError(
                f"parameter 'policy_counties' = {self.requested_params.policy_counties!r} is "
                "not supported by the per-agent reference model; allowed: '' (province-wide)")
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
        self.export_price = econ.export_price(self.params, ctx).tolist()
        self.market_mix = ctx.market_share.tolist()
        self.cell_knowhow = self.knowhow.cell.tolist()
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
    def notice(self) -> None:
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

    def open_cooperatives(self) -> dict[tuple[int, int], list[list]]:
        """(county, product) -> the open cooperatives there, the largest first, each as
        ``[id, size in households, places]``: its places in agents
        (:meth:`model.cooperatives.CooperativeRegistry.places`)."""
        registry = self.cooperatives
        return {key: [[c.coop_id, c.size, registry.places(c)] for c in coops]
                for key, coops in registry.open_by_line(self.params).items()}

    def review(self, m: int, entrepreneurs: np.ndarray) -> None:
        """Each aware household reviews CBEC with probability ``review_rate`` plus
        ``imitation_rate`` times the share of successful sellers around it (returnee
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
        peers = self.peers.tolist()  # successful sellers around each cell, whom they copy
        # the cooperative offered in each county and line is the largest open one, with its
        # size at the start of the review; joiners take the places of the county and line's
        # open cooperatives, the largest first; once they are taken the county and line offers
        # none, so later reviewers weigh only selling directly, as a household turned away
        # does in the engine
        offers = self.open_cooperatives()
        open_coops = {key: (line[0][0], line[0][1]) for key, line in offers.items()
                      if any(offer[2] > 0 for offer in line)}
        for agent in self.farmers:
            if agent.status != AWARE:
                continue
            chance = min(p.review_rate + p.imitation_rate * peers[agent.cell], 1.0)
            if agent.index not in fresh and not self.random.random() < chance:
                continue
            choice = agent.review(open_coops)
            if choice is None:
                continue
            agent.start_selling(m, choice)
            acted.append(agent)
            if choice >= 0:
                line = offers[agent.county, agent.product]
                offer = next(offer for offer in line if offer[2] > 0)
                agent.coop = offer[0]
                self.cooperatives.take(self.cooperatives[offer[0]], 1, p)
                offer[2] -= 1
                if not any(offer[2] > 0 for offer in line):
                    del open_coops[agent.county, agent.product]
        self.publish(acted, ("status", "coop", "start_month", "profit_trailing"))

    def sell(self, m: int) -> None:
        """Every seller's month of sales, costs, unsold goods, subsidies and exit decision;
        the month's volumes are summed from their records."""
        self.observe()
        ctx = self.context
        n_cells = self.world.n_cells
        sellers = [a for a in self.farmers if a.status == SELLING]
        seller_idx = np.array([a.index for a in sellers], dtype=np.int64)
        if not sellers:
            self.households.orders_last[:] = 0.0
            self.month_sales = SalesMonth(seller_idx, None, Volumes.none(n_cells,
                                                                         self.logistics))
            return
        coop_agents = Counter(a.coop for a in sellers if a.coop >= 0)
        scale = self.params.household_scale
        coop_size = {cid: float(self.cooperatives.real_members(n, cid, scale))
                     for cid, n in coop_agents.items()}
        has_point = ctx.has_point.tolist()
        warehouse_share = ctx.warehouse_share_market.tolist()
        cell_orders = [0.0] * n_cells
        county_orders = [0.0] * len(self.stations)
        village_orders = [0.0] * len(self.village_cell)
        market_orders = [0.0] * len(warehouse_share)
        line_goods = [[0.0] * len(PRODUCTS) for _ in CHANNELS]
        cell_sales = [0.0] * n_cells
        cell_product_sales = [[0.0] * len(PRODUCTS) for _ in range(n_cells)]
        paid: dict[str, float] = defaultdict(float)
        records = []
        for agent in sellers:
            members = coop_size[agent.coop] if agent.coop >= 0 else 0.0
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
            for k, share in enumerate(self.market_mix[agent.product][:len(warehouse_share)]):
                market_orders[k] += orders * share * warehouse_share[k]
            line_goods[B2B if a["b2b"] else RETAIL][agent.product] += a["value"] * f / 12.0
            cell_sales[agent.cell] += rec["revenue"]
            cell_product_sales[agent.cell][agent.product] += rec["revenue"]
            agent.judge(m, a["gain_rate"])
        for term in (*econ.FISCAL_TERMS, "professional_services"):
            if paid.get(term):
                ratio = self.fiscal.claim_households(term, paid[term])
                if ratio < 1.0:
                    raise NotImplementedError(
                        "the per-agent reference does not ration the sellers' instruments; "
                        f"give the budget line of {term!r} no limit")
        # each seller's own orders, which its volume economies discount next month (the
        # agents take them at the next observe)
        self.households.orders_last[:] = 0.0
        self.households.orders_last[seller_idx] = [
            r["a"]["orders"] * r["f"] / 12.0 for r in records]
        # the month's accounts, over this month's sellers, for the Recorder
        accounts = {k: np.concatenate([r["arrays"][k] for r in records])
                    for k in records[0]["arrays"]}
        self.month_sales = SalesMonth(seller_idx, {
            **accounts, "f": np.array([r["f"] for r in records]),
            "profit_month": np.array([r["profit"] for r in records]),
            "revenue_month": np.array([r["revenue"] for r in records]),
            "coop_members": np.array([r["coop_members"] for r in records])},
            Volumes(np.array(cell_orders), np.array(county_orders), np.array(village_orders),
                    np.array(market_orders), np.array(cell_sales),
                    np.array(cell_product_sales), np.array(line_goods)))
        self.publish(sellers, ("status", "exit_month", "coop", "last_unsold_month",
                               "profit_trailing", "revenue_trailing", "sales_ytd",
                               "months_selling", "subsidies_received"))
