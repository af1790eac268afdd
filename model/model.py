"""CBECModel: rural cross-border e-commerce on Guizhou's real county grid.

One step is one month. The model wires the agents (:mod:`agents`: the vectorised farmer
households, cooperatives, service stations, logistics hubs) to the environment-level submodels
(one module each, named after its ODD §7 section) and runs them in the order of ODD §3;
``step()`` reads as that schedule. See ``docs/ODD.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import mesa
import numpy as np
import pandas as pd

from agents.farmers import PRODUCTS, SELLING, Households, HouseholdView
from agents.firms import Firms
from agents.logistics import LogisticsNetwork
from agents.station import (
    ask_for_services,
    build_stations,
    second_talent,
    staff_learn,
    station_arrays,
)
from model import (
    adoption,
    awareness,
    budgets,
    entities,
    initialisation,
    policy,
    sales,
    subsidies,
    targeting,
    training,
)
from model.accounts import Pricing
from model.clusters import ClusterState, SalesHistory, find_clusters, in_a_cluster
from model.cooperatives import CooperativeRegistry
from model.demand import ExportSupply
from model.fiscal import FiscalLedger
from model.gradient import KnowHow
from model.market import market_context
from model.outcomes import Recorder
from model.parameters import Parameters
from model.poles import PoleSystem
from model.randomness import RandomStreams
from model.returnees import ReturneeFlows
from model.scaling import to_real
from model.world import GUIYANG_LAT, GUIYANG_LON, build_world

GUIYANG_LOCAL_KM = 20.0  # assumption: county seats this close to Guiyang's centre are urban
#: outcomes Mesa's DataCollector collects each month (the full table is ``outcomes()``)
COLLECTED = ("sellers", "adoption_share", "subsidy_coverage", "logistics_cost_share",
             "clusters", "returnees_total_real", "core_periphery_gap", "fiscal_cost_total_yuan")


class CBECModel(mesa.Model):
    """The Guizhou CBEC model.

    ``CBECModel(rng=seed, **params)``: any field of :class:`model.parameters.Parameters` can be
    passed by name (or as ``params=``, a mapping or a Parameters object). Invalid values raise
    :class:`model.parameters.ParameterError`. Works with ``mesa.batch_run``.

    After ``run()`` (or stepping ``params.months`` times): :meth:`outcomes` is one row per month
    with every model-level outcome, :meth:`counties` the per-county panel, :meth:`fiscal_costs`
    the public cost by instrument and month.

    The household seam: the three sub-steps in which households act -- :meth:`notice`,
    :meth:`review` and :meth:`sell` -- are methods, so that
    :class:`model.reference.ReferenceCBECModel` can swap in the per-agent farmer
    (:class:`agents.farmer_reference.FarmerHousehold`) for exactly these and nothing else.
    """

    def __init__(self, rng: Any = None, params: Parameters | Mapping[str, Any] | None = None,
                 **kwargs: Any) -> None:
        if isinstance(params, Parameters):
            p = params.replace(**kwargs) if kwargs else params
        else:
            p = Parameters.from_dict(dict(params or {}), **kwargs)
        super().__init__(rng=rng)
        # every random number of the run comes from streams keyed by purpose (ODD §11)
        self.streams = RandomStreams(int(self.rng.integers(2 ** 63)))
        self.requested_params = p
        self.levers = policy.LEVERS  # the lever table, read once (extensions add rows there)
        self.world = world = build_world(p.cell_km)
        n_counties = world.n_counties
        # levers act from policy_start_month to policy_end_month in policy_counties
        self.intervention = targeting.Intervention(p, self.levers, n_counties)
        self.in_force = self.intervention.first()  # outside the window: the baseline
        p = self.params
        self.fiscal = FiscalLedger(p.household_scale, policy.instruments(self.levers),
                                   budgets.appropriations(p), p.start_year)
        self.month = 0
        self.month_of_year = 12
        # --- households and villages (ODD §5)
        self.county_agents = initialisation.households_per_county(world.counties,
                                                                  p.household_scale)
        first_village, n_villages = initialisation.place_villages(world, p.villages_total)
        self.village_cell = np.repeat(np.arange(world.n_cells), n_villages)
        self.households = h = Households.create(world, p, self.streams.generator("households"),
                                                self.county_agents,
                                                (first_village, n_villages))
        self.firms = Firms.create(world, p, self.streams.generator("firms"),  # every firm
                                  initialisation.firms_per_county(world.counties,
                                                                  p.potential_firms),
                                  (first_village, n_villages))
        self.firm_streams = RandomStreams(  # draws of their own (ODD §11)
            int(self.streams.generator("firm_streams").integers(2 ** 63)))
        self.county_start = np.searchsorted(h.county, np.arange(n_counties)).astype(np.int64)
        self.county_stop = np.searchsorted(h.county, np.arange(n_counties),
                                           side="right").astype(np.int64)
        self.cell_households = np.bincount(h.cell, minlength=world.n_cells).astype(float)
        self.window_households = world.window_sum(self.cell_households)  # 3x3 window sums
        self.county_households = self.county_agents.astype(float)
        self.county_output = initialisation.county_output(h, p, n_counties)
        # --- places and agents
        self.guiyang_cell = world.cell_of(GUIYANG_LAT, GUIYANG_LON)
        self.guiyang_local = initialisation.guiyang_local(world, GUIYANG_LOCAL_KM)
        self.stations, self.station_rank = build_stations(self, self.in_force.outside,
                                                          self.streams, n_counties)
        self.logistics = LogisticsNetwork(self, self.streams.generator("network"),
                                          self.village_cell, n_counties, self.guiyang_cell,
                                          world.cell_county[self.village_cell])
        targeting.build(self.in_force, self.stations, self.station_rank, self.logistics,
                        self.fiscal, self.levers)
        self.poles = PoleSystem(world, p)
        self.knowhow = KnowHow(world, p, self.poles)
        self.returnee_flows = ReturneeFlows.create(self.county_agents, p)
        self.cooperatives = CooperativeRegistry(self, h, world, self.county_start,
                                                self.county_stop)
        self.clusters = ClusterState.empty(world.n_cells)
        self.industry_clusters = np.zeros((n_counties, len(PRODUCTS)), dtype=bool)
        self.haul_km = world.dist_to_seat_km * p.road_circuity
        self.sales_history = SalesHistory.empty(world.n_cells)
        self.export_supply = ExportSupply.empty()
        self.month_sales = sales.SalesMonth(np.zeros(0, np.int64), None,
                                            sales.Volumes.none(world.n_cells, self.logistics))
        self.firm_sales = self.month_sales
        self.cell_orders = np.zeros(world.n_cells)
        self.peers = np.zeros(world.n_cells)  # successful sellers around, set each month
        # --- initial awareness and sellers (January 2022)
        self.cumulative_hazard = awareness.initial_hazard(p, self._pole_field(1), world.n_cells)
        h.notice(self.cumulative_hazard)
        self.firms.notice(self.cumulative_hazard)
        self._price_month(1)
        self.warm_start_rounds = initialisation.start_initial_sellers(
            p, self.streams, (h, self.firms), self._settle_start,
            [self.pricing, self.firm_pricing])
        self.rewards = subsidies.RewardRound.before_any(  # the initial firms' 2021
            self.firms.revenue_trailing[self.firms.status == SELLING].astype(float))
        self.recorder = Recorder(self)
        self.recorder.record(0)
        self.datacollector = mesa.DataCollector(model_reporters={
            name: (lambda m, name=name: m.recorder.latest[name]) for name in COLLECTED})
        self.datacollector.collect(self)

    # =================================================================== step
    def step(self) -> None:
        """Advance one month: the sub-steps of docs/ODD.md §3, numbered as there."""
        m = self.steps
        self.month, self.month_of_year = m, (m - 1) % 12 + 1  # 1. calendar
        self.fiscal.start_month(m)
        change = self.intervention.change(m)
        if change is not None:  # 2. the scenario's levers take effect, or are withdrawn
            self.apply_levers(*change)
        levers = self.in_force
        p = self.params
        h = self.households
        if self.month_of_year == 1:
            h.sales_ytd[:] = 0.0
        staff_learn(self.stations, p, self.streams, m)  # 3. station staff learn
        if p.talent_secondment_yuan > 0 and self.month_of_year == 1:  # 4. talent secondment
            weight = levers.only_here(self.poles.talent_pull(m) if p.backwash_effect
                                      else np.ones(len(self.stations)))
            arrived = second_talent(self.stations, p, self.streams, m, weight)
            self.fiscal.add("talent_secondment", float(arrived) * p.talent_secondment_yuan)
        county_sellers = self.sellers_per_county()
        ask_for_services(self.stations, entities.entities_per_county(  # 5. station demand
            h, self.firms, self.cooperatives, self.world.n_counties, p), p)
        pricing = self._price_month(m)  # 6. market context
        self.grow_poles(m)  # 7. growth poles, gradient transfer
        entrepreneurs = self.returnee_flows.step(  # 8. returnees
            m, p, self.streams, h, self.poles, county_sellers, self.county_households,
            self.county_start, self.county_stop, levers.by_county("returnee_startup_support"))
        training.train(m, p, self.streams, h, self.stations, self.station_state["training"],
                       self.county_start, self.county_stop, self.fiscal,
                       levers.county_params())  # 9. training
        self.notice()  # 10. awareness
        self.firms.notice(self.cumulative_hazard)
        self.cooperatives.form(m, p, self.streams, pricing, self.knowhow.cell)  # 11. co-ops form
        self.peers = entities.successful_peers(self.world, h, self.window_households)
        self.review(m, entrepreneurs)  # 12. adoption review
        adoption.review(m, p, self.firm_streams, self.firms, None, self.firm_pricing,
                        np.zeros(0, np.int64), self.peers)
        self.sell(m)  # 13. sales and exits
        self.firm_sales = sales.sell(m, p, self.firm_streams, self.firms, self.firm_pricing,
                                     None, self.logistics, self.fiscal, self.world.n_cells)
        self.record_volumes(m)
        self.cooperatives.upkeep(m, p, self.streams, pricing)  # 14. co-op upkeep
        if self.month_of_year == 12:  # 15. turnover subsidies
            belts, rates = targeting.belts_and_rates(levers, self.clusters.in_belt,
                                                     self.world.cell_county)
            self.rewards = subsidies.pay_turnover_rewards(
                m, p, self.streams, h, self.firms, self.cooperatives, pricing.context.takeup,
                belts, self.fiscal, rates)
        policy.book_monthly_costs(  # 16. running costs of the levers
            p, self.logistics, self.stations, self.fiscal, self.levers, levers.counties)
        self.detect_clusters()  # 17. clusters
        self.recorder.record(m)  # 18. observation
        self.datacollector.collect(self)
        if m >= p.months:  # 19. horizon
            self.running = False

    def run(self) -> CBECModel:
        """Step to the horizon; returns self (so ``CBECModel(rng=1).run().outcomes()``)."""
        while self.running:
            self.step()
        return self

    #: the parameters in force (where the levers act, with ``policy_counties``); settable
    params = property(lambda self: self.in_force.inside, targeting.set_inside)

    # ------------------------------------------------------ household seam
    def notice(self) -> None:
        """Awareness (ODD §7.6): this month's hazard per cell; households past their
        threshold become aware."""
        peer = awareness.peer_share(self.world, self.households.cell[self.sellers()],
                                    self.window_households)
        hazard = targeting.per_cell(self.in_force, self.world.cell_county, lambda q: (
            awareness.monthly_hazard(self.world, q, peer, self.station_state["full_service"],
                                     self.knowhow.cell, self._pole_field(self.month))))
        self.cumulative_hazard += hazard.astype(np.float32)
        self.households.notice(self.cumulative_hazard)

    def review(self, month: int, entrepreneurs: np.ndarray) -> None:
        """Adoption review (ODD §7.4)."""
        adoption.review(month, self.params, self.streams, self.households, self.cooperatives,
                        self.pricing, entrepreneurs, self.peers)

    def sell(self, month: int) -> None:
        """A month of sales and exits (ODD §7.5)."""
        self.month_sales = sales.sell(month, self.params, self.streams, self.households,
                                      self.pricing, self.cooperatives, self.logistics,
                                      self.fiscal, self.world.n_cells)

    def record_volumes(self, month: int) -> None:
        """The month's volumes of households and firms together go to the hubs, pickup points,
        warehouses, the sales history and the export supply (ODD §7.5)."""
        volumes = self.month_sales.volumes + self.firm_sales.volumes
        sales.record(volumes, self.logistics, self.sales_history, self.export_supply, month)
        self.cell_orders = volumes.cell_orders

    # ------------------------------------------------------- other sub-steps
    def apply_levers(self, levers: targeting.Levers, exact: bool) -> None:
        """The levers take effect or are withdrawn (ODD §3 step 2): switch parameters, change
        stations and networks (added to, or set exactly), book what is built."""
        self.in_force = levers
        self.poles.p = self.params  # flights speed up east -> pole know-how (§5.2.2)
        policy.take_effect(self.params, self.stations, self.station_rank, self.logistics,
                           self.fiscal, self.levers, levers.counties, exact)

    def grow_poles(self, month: int) -> None:
        """Growth poles (ODD §7.10) and the gradient transfer of know-how (§7.11)."""
        h = self.households
        n_counties = self.world.n_counties
        cell_turnover = to_real(self.sales_history.cell_12m, self.params.household_scale)
        county_turnover = np.bincount(self.world.cell_county, weights=cell_turnover,
                                      minlength=n_counties)
        returnee_share = np.divide(
            np.bincount(h.county[h.returnee], minlength=n_counties), self.county_households,
            out=np.zeros(n_counties), where=self.county_households > 0)
        secondees = np.array([len(s.secondee_months_left) for s in self.stations], dtype=float)
        self.knowhow.add_poles(self.poles.step(month, cell_turnover, county_turnover))
        self.knowhow.transfer(month, self.params, self.poles, returnee_share, secondees,
                              self.in_force.by_cell("village_service_points",
                                                    self.world.cell_county))

    def detect_clusters(self) -> None:
        """Clusters and county industrial clusters from the last 12 months (ODD §7.15)."""
        self.clusters, self.industry_clusters = find_clusters(
            self.world, self.params, self.sales_history, (self.households, self.firms),
            self.cell_households, self.world.n_counties, self.cooperatives.copies)

    # ---------------------------------------------------------------- wiring
    def _pole_field(self, month: int) -> np.ndarray | None:
        """The poles' field per cell, or None with spread effects off."""
        return self.poles.field(month) if self.params.spread_effect else None

    def _price_month(self, month: int) -> Pricing | targeting.CountyPricing:
        """The month's station state, market context and pricing (ODD §7.2)."""
        self.station_state = station_arrays(self.stations, self.params)
        local_orders = self.world.window_sum(self.cell_orders) / self.world.window_cells
        ratios = self.fiscal.expected_ratios()
        county_revenue = self.sales_history.county_line_12m(self.world.cell_county,
                                                            self.world.n_counties)
        self.context, (self.pricing, self.firm_pricing) = targeting.price(
            self.in_force, lambda q: market_context(
                month, q, self.station_state, self.logistics, self.guiyang_local, self.haul_km,
                local_orders, self.world.window_cells, self.clusters, self.industry_clusters,
                self.knowhow.cell, self.export_supply, ratios, county_revenue,
                self.county_output),
            ((self.households, False), (self.firms, True)), self.knowhow,
            self.world.cell_county, self.logistics.village_county)
        return self.pricing

    def _settle_start(self, sellers: list[np.ndarray]) -> list[Pricing | targeting.CountyPricing]:
        """Warm start: write the past year of ``sellers`` (households, firms) into the
        volumes, detect clusters, and price January 2022 again (ODD §5 step 10)."""
        self.cell_orders = initialisation.warm_start(
            sellers, (self.households, self.firms), (self.pricing, self.firm_pricing),
            self.world.n_cells, self.logistics, self.sales_history, self.export_supply)
        self.detect_clusters()
        self._price_month(1)
        return [self.pricing, self.firm_pricing]

    # ================================================================ queries
    def sellers(self) -> np.ndarray:
        """Whether each household sells cross-border now (bool per household)."""
        return self.households.status == SELLING

    def sellers_per_county(self) -> np.ndarray:
        """Sellers per county now, households and firms (model units)."""
        return entities.sellers_per_county(self.households, self.firms, self.world.n_counties)

    def household(self, index: int) -> HouseholdView:
        """A read-only view of one household (state and effective skill)."""
        if not 0 <= index < self.households.n:
            return HouseholdView(self.households, index, 0.0)  # raises IndexError
        skill = float(self.households.skill(np.array([index]), self.knowhow.cell)[0])
        return HouseholdView(self.households, index, skill)

    def households_frame(self, idx: np.ndarray | None = None) -> pd.DataFrame:
        """Household state as a DataFrame (a copy), with county names and effective skill."""
        h = self.households
        df = h.frame(idx)
        df["skill"] = h.skill(df["household"].to_numpy(), self.knowhow.cell)
        names = self.world.counties["name_pinyin"].to_numpy()
        df.insert(2, "county_name", names[df["county"].to_numpy()])
        return df

    def in_any_cluster(self, idx: np.ndarray) -> np.ndarray:
        """Whether households ``idx`` are in a cluster: their cell is a cluster cell or their
        county's product line a county industrial cluster."""
        h = self.households
        return in_a_cluster(self.clusters.in_cluster, self.industry_clusters, h.cell[idx],
                            h.county[idx], h.product[idx])

    # ================================================================ results
    def outcomes(self) -> pd.DataFrame:
        """One row per month (month 0 = the start state) with every model-level outcome."""
        return self.recorder.outcomes()

    def counties(self) -> pd.DataFrame:
        """Per-county panel: one row per county and month."""
        return self.recorder.counties()

    def fiscal_costs(self) -> pd.DataFrame:
        """Public cost by instrument and month (province-equivalent yuan)."""
        return self.fiscal.frame()
