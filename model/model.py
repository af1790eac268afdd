"""CBECModel: rural cross-border e-commerce on Guizhou's real county grid.

One step is one month. The farmer households are numpy arrays (:mod:`model.households`) stepped
without any Python loop over households; cooperatives, service stations and logistics hubs are
Mesa agents. See ``docs/ODD.md`` for the full description and the order of a step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import mesa
import numpy as np
import pandas as pd

from agents.cooperative import Cooperative, form_cooperatives
from agents.logistics import LogisticsNetwork
from agents.station import build_stations, configure_stations, station_arrays
from model import economics as econ
from model.clusters import ClusterState, county_industry_clusters, detect, in_a_cluster
from model.fiscal import FiscalLedger
from model.households import (
    AWARE,
    EXITED,
    PRODUCTS,
    SELLING,
    UNAWARE,
    Households,
    HouseholdView,
)
from model.outcomes import Recorder
from model.parameters import Parameters, baseline_levers
from model.poles import PoleSystem
from model.returnees import ReturneeFlows
from model.world import GUIYANG_LAT, GUIYANG_LON, build_world

STATION_OUTREACH_DECAY_KM = 15.0  # assumption: a station's outreach fades over ~15 km
MAX_GROWTH_YEARS = 10.0
GUIYANG_LOCAL_KM = 20.0  # assumption: county seats this close to Guiyang's centre are urban
WARM_START_ROUNDS = 3  # fixed-point rounds for the initial sellers and their volumes
# assumption: consolidation can cut first-mile cost per order by at most 25%, and a cell with
# almost no volume pays at most 25% more than nominal
DENSITY_FACTOR_MIN, DENSITY_FACTOR_MAX = 0.75, 1.25
ECONOMICS_BLOCK = 65_536  # households priced at once (measured: fastest of 4k-256k at 1:1)


def _largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to ``weights`` that add up to ``total`` exactly."""
    w = np.asarray(weights, dtype=float)
    if w.sum() <= 0 or total <= 0:
        return np.zeros(len(w), dtype=np.int64)
    exact = w / w.sum() * total
    base = np.floor(exact).astype(np.int64)
    rest = total - base.sum()
    base[np.argsort(-(exact - base), kind="stable")[:rest]] += 1
    return base


class CBECModel(mesa.Model):
    """The Guizhou CBEC model.

    ``CBECModel(rng=seed, **params)``: any field of :class:`model.parameters.Parameters` can be
    passed by name (or as ``params=``, a mapping or a Parameters object). Invalid values raise
    :class:`model.parameters.ParameterError`. Works with ``mesa.batch_run``.

    After ``run()`` (or stepping ``params.months`` times): :meth:`outcomes` is one row per month
    with every model-level outcome, :meth:`counties` the per-county panel, :meth:`fiscal` the
    public cost by instrument and month.
    """

    def __init__(self, rng: Any = None, params: Parameters | Mapping[str, Any] | None = None,
                 **kwargs: Any) -> None:
        if isinstance(params, Parameters):
            p = params.replace(**kwargs) if kwargs else params
        else:
            p = Parameters.from_dict(dict(params or {}), **kwargs)
        super().__init__(rng=rng)
        self.requested_params = p
        # levers wait for policy_start_month; until then every scenario runs the baseline
        self.params = p if p.policy_start_month <= 1 else baseline_levers(p)
        self.world = world = build_world(p.cell_km)
        counties = world.counties
        n_counties = len(counties)
        p = self.params
        self.fiscal = FiscalLedger(p.household_scale)
        self.month = 0
        self.month_of_year = 12
        # --- households and villages
        county_agents = _largest_remainder(
            counties["rural_households"].to_numpy(),
            int(round(counties["rural_households"].sum() * p.household_scale)))
        self.county_agents = county_agents
        villages = _largest_remainder(counties["rural_households"].to_numpy(), p.villages_total)
        cells_per_county = (world.county_cell_stop - world.county_cell_start).astype(np.int64)
        villages = np.maximum(villages, cells_per_county)  # every cell holds a village
        n_villages_cell = np.zeros(world.n_cells, dtype=np.int64)
        for c in range(n_counties):
            a, b = world.county_cell_start[c], world.county_cell_stop[c]
            k = b - a
            n_villages_cell[a:b] = villages[c] // k + (np.arange(k) < villages[c] % k)
        first_village = np.concatenate([[0], np.cumsum(n_villages_cell)[:-1]])
        self.village_cell = np.repeat(np.arange(world.n_cells), n_villages_cell)
        self.households = h = Households.create(world, p, self.rng, county_agents,
                                                (first_village, n_villages_cell))
        self.county_start = np.searchsorted(h.county, np.arange(n_counties)).astype(np.int64)
        self.county_stop = np.searchsorted(h.county, np.arange(n_counties),
                                           side="right").astype(np.int64)
        self.cell_households = np.bincount(h.cell, minlength=world.n_cells).astype(float)
        self.window_households = world.window_sum(self.cell_households)  # 3x3 window sums
        self.county_households = county_agents.astype(float)
        # --- places and agents
        self.guiyang_cell = world.cell_of(GUIYANG_LAT, GUIYANG_LON)
        # sellers in Guiyang's urban districts settle FX without a trip
        seat_x, seat_y = world.project(counties["lat"].to_numpy(), counties["lon"].to_numpy())
        gx, gy = world.project(GUIYANG_LAT, GUIYANG_LON)
        self.guiyang_local = (np.hypot(seat_x - gx, seat_y - gy) <= GUIYANG_LOCAL_KM).astype(float)
        self.stations = build_stations(self, n_counties)
        self.logistics = LogisticsNetwork(self, self.village_cell)
        self.poles = PoleSystem(world, p)
        self.returnee_flows = ReturneeFlows.create(county_agents, p)
        self.cooperatives: dict[int, Cooperative] = {}
        self._next_coop = 0
        self.clusters = ClusterState.empty(world.n_cells)
        # county industrial clusters: (county, product line) -> bool
        self.industry_clusters = np.zeros((n_counties, len(PRODUCTS)), dtype=bool)
        self.haul_km = world.dist_to_seat_km * p.road_circuity
        self.cell_sales_history = np.zeros((12, world.n_cells))
        self.cell_product_history = np.zeros((12, world.n_cells, len(PRODUCTS)))
        # sums of the two histories over the last 12 months, updated by _detect_clusters
        self.cell_sales_12m = np.zeros(world.n_cells)
        self.cell_product_sales_12m = np.zeros((world.n_cells, len(PRODUCTS)))
        self.cell_orders_last = np.zeros(world.n_cells)
        self.subsidy_coverage = 0.0
        self.subsidy_eligible_share = 0.0
        self.subsidy_recipients = 0
        # --- initial awareness and sellers (January 2022)
        h0 = -np.log(1.0 - min(p.awareness_initial, 0.999))
        field0 = self.poles.field(1) if p.spread_effect else np.zeros(world.n_cells)
        self.cumulative_hazard = (h0 * (1.0 + field0)).astype(np.float32)
        h.status[self.cumulative_hazard[h.cell] >= h.awareness_threshold] = AWARE
        self.context = self._market_context(1)
        # Initial sellers: aware households for whom selling beats the hurdle, found as a fixed
        # point (their volumes lower hub and first-mile costs, which lets more of them sell).
        aware = np.flatnonzero((h.status == AWARE) & h.capable)
        willing = self.rng.random(len(aware)) < p.initial_seller_share
        start = aware[:0]
        for _ in range(WARM_START_ROUNDS):
            gain = self._gain(aware, np.zeros(len(aware)))
            start = aware[(gain > self.hurdle(aware)) & willing]
            self._warm_start(start)
        registered = -self.rng.integers(0, 36, len(start))  # up to 3 years before 2022
        self.start_selling(start, 0, -1)
        h.start_month[start] = registered
        h.months_selling[start] = -registered
        self._warm_start(start)
        # sellers past the enterprise threshold at the start are firms already, not new ones
        past = start[h.revenue_trailing[start] >= econ.FIRM_TURNOVER_YUAN]
        h.firm_month[past] = 0
        self.recorder = Recorder(self)
        self.recorder.record(0)
        self.datacollector = mesa.DataCollector(model_reporters={
            name: (lambda m, name=name: m.recorder.latest[name])
            for name in ("sellers", "adoption_share", "subsidy_coverage",
                         "logistics_cost_share", "clusters", "returnees_total_real",
                         "core_periphery_gap", "fiscal_cost_total_yuan")})
        self.datacollector.collect(self)

    def _warm_start(self, sellers: np.ndarray) -> None:
        """Give the start state the volumes and history of its sellers' past year, so hubs,
        density economies, clusters and trailing accounts do not start from zero."""
        h = self.households
        n_cells = self.world.n_cells
        a = self._economics(sellers, np.zeros(len(sellers)))
        monthly = a["revenue"] / 12.0
        h.revenue_trailing[sellers] = a["revenue"]
        h.profit_trailing[sellers] = np.maximum(a["profit"], 0.0)
        self.cell_sales_history[:] = np.bincount(h.cell[sellers], weights=monthly,
                                                 minlength=n_cells)
        prod_cell = h.cell[sellers] * len(PRODUCTS) + h.product[sellers]
        self.cell_product_history[:] = np.bincount(
            prod_cell, weights=monthly, minlength=n_cells * len(PRODUCTS)).reshape(n_cells, -1)
        orders = a["orders"] / 12.0
        self.cell_orders_last = np.bincount(h.cell[sellers], weights=orders, minlength=n_cells)
        county_orders = np.bincount(h.county[sellers], weights=orders * a["collected"],
                                    minlength=len(self.stations))
        self.logistics.record_month(county_orders, np.zeros(len(self.village_cell)),
                                    np.zeros(3))
        self._detect_clusters()
        self.context = self._market_context(1)

    # ================================================================= helpers
    def next_coop_id(self) -> int:
        self._next_coop += 1
        return self._next_coop - 1

    def hurdle(self, idx: np.ndarray) -> np.ndarray:
        return econ.hurdle(self.households, idx, self.params)

    def household(self, index: int) -> HouseholdView:
        """A read-only view of one household (state and effective skill)."""
        idx = np.array([index])
        if not 0 <= index < self.households.n:
            return HouseholdView(self.households, index, 0.0)  # raises IndexError
        skill = float(self.households.skill(idx, self.poles.cell_knowhow)[0])
        return HouseholdView(self.households, index, skill)

    def households_frame(self, idx: np.ndarray | None = None) -> pd.DataFrame:
        """Household state as a DataFrame (a copy), with county names and effective skill."""
        h = self.households
        df = h.frame(idx)
        all_idx = df["household"].to_numpy()
        df["skill"] = h.skill(all_idx, self.poles.cell_knowhow)
        names = self.world.counties["name_pinyin"].to_numpy()
        df.insert(2, "county_name", names[df["county"].to_numpy()])
        return df

    def annual_sales(self, idx: np.ndarray) -> np.ndarray:
        """Goods a household ships a year (yuan, domestic value), with learning and demand."""
        h = self.households
        years = np.clip(h.months_selling[idx] / 12.0, 0.0, MAX_GROWTH_YEARS)
        growth = (1.0 + self.params.sales_growth_per_year_in_business) ** years
        growth = growth * self.context.demand[h.product[idx]]
        return h.sales_potential[idx] * np.minimum(growth, self.params.capacity_multiple)

    def _economics(self, idx: np.ndarray, coop_members: np.ndarray,
                   reward_turnover: np.ndarray | None = None, full: bool = True
                   ) -> dict[str, np.ndarray]:
        """Expected yearly accounts of households ``idx`` selling with ``coop_members``
        (0 = directly). ``reward_turnover``: the entity turnover the reward is judged on
        (defaults to the household's own revenue). ``full=False``: only what a decision needs
        (``revenue``, ``profit``, ``gain_rate``).

        Large sets are priced in blocks of :data:`ECONOMICS_BLOCK` households, so that the
        many temporary arrays stay in the CPU cache (about twice as fast at 1:1)."""
        n = len(idx)
        if n <= ECONOMICS_BLOCK:
            return self._economics_block(idx, coop_members, reward_turnover, full)
        coop_members = np.broadcast_to(coop_members, (n,))
        if reward_turnover is not None:
            reward_turnover = np.broadcast_to(reward_turnover, (n,))
        parts = [self._economics_block(
            idx[i:i + ECONOMICS_BLOCK], coop_members[i:i + ECONOMICS_BLOCK],
            None if reward_turnover is None else reward_turnover[i:i + ECONOMICS_BLOCK], full)
            for i in range(0, n, ECONOMICS_BLOCK)]
        return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}

    def _economics_block(self, idx: np.ndarray, coop_members: np.ndarray,
                         reward_turnover: np.ndarray | None, full: bool
                         ) -> dict[str, np.ndarray]:
        p = self.params
        h = self.households
        sales = self.annual_sales(idx)
        years = h.months_selling[idx] / 12.0
        if reward_turnover is None:
            premium = econ.export_premium(p, self.context)[h.product[idx]]
            reward_turnover = sales * (1 + p.direct_sale_markup) * (1 + premium)
        years_factor = np.clip(1.0 - p.subsidy_min_years / 3.0, 0.0, 1.0)
        reward = (econ.reward_rate(reward_turnover, p) * self.context.takeup[h.county[idx]]
                  * np.where(years >= p.subsidy_min_years, 1.0, years_factor))
        skill = h.skill(idx, self.poles.cell_knowhow)
        return econ.annual_economics(h, idx, self.context, p, skill, coop_members, sales,
                                     reward, years, full=full)

    def _gain(self, idx: np.ndarray, coop_members: np.ndarray) -> np.ndarray:
        return self._economics(idx, coop_members, full=False)["gain_rate"]

    def coop_gain(self, idx: np.ndarray, members: int | np.ndarray) -> np.ndarray:
        """Gain rate of households ``idx`` selling through a cooperative of ``members``."""
        members = np.broadcast_to(np.asarray(members, dtype=float), idx.shape)
        sales = self.annual_sales(idx)
        premium = econ.export_premium(self.params, self.context)[self.households.product[idx]]
        pooled = members * sales * (1 + self.params.direct_sale_markup) * (1 + premium)
        return self._economics(idx, members, reward_turnover=pooled, full=False)["gain_rate"]

    def start_selling(self, idx: np.ndarray, month: int, coop_id: int) -> None:
        """Households ``idx`` start selling cross-border (through ``coop_id`` if >= 0)."""
        h = self.households
        if len(idx) == 0:
            return
        h.status[idx] = SELLING
        h.coop[idx] = coop_id
        first = idx[h.start_month[idx] < 0]
        first = first[h.months_selling[first] == 0]
        h.start_month[first] = month
        h.profit_trailing[idx] = np.maximum(h.profit_trailing[idx], 0.0)

    # ========================================================= market context
    def _market_context(self, month: int) -> econ.MarketContext:
        p = self.params
        self.station_state = st = station_arrays(self.stations)
        help_frac = st["help_fraction"]
        fx_help = st["fx_help"] * help_frac
        customs = st["customs_agency"] * help_frac
        partner = self.logistics.county_has_partner
        if p.county_clearance:
            customs = np.maximum(customs, partner.astype(float))
        info = st["market_information"] * p.market_info_access_station
        app_help = st["application_help"] * help_frac
        takeup = (p.takeup_with_help * app_help + p.takeup_base * (1 - app_help))
        if p.one_stop_platform:
            takeup = np.full(len(self.stations), p.takeup_one_stop)
        docking = st["logistics_docking"] & (st["experienced_staff"] > 0)
        platform = np.clip(p.platform_use_base + 0.25 * docking, 0, 1)
        if p.one_stop_platform:
            platform = np.maximum(platform, 0.95)
        real_orders = self.cell_orders_last / p.household_scale
        density = np.clip((np.maximum(real_orders, 1.0) / p.density_reference_orders)
                          ** (-p.density_elasticity), DENSITY_FACTOR_MIN, DENSITY_FACTOR_MAX)
        years = (month - 1) / 12.0
        demand_m = np.array([(1 + p.demand_growth_asean) ** years, (1 + p.demand_growth_eu)
                             ** years, (1 + p.demand_growth_us) ** years])
        demand = econ.MARKET_MIX @ demand_m
        exports_real = self.cell_product_sales_12m.sum(axis=0) / p.household_scale
        intl_rate, wh_share, intl_days = econ.product_logistics(
            p, self.logistics.warehouses_per_market,
            self.logistics.provincial_hub.scale_factor())
        return econ.MarketContext(
            fx_help=fx_help, customs_local=customs, guiyang_local=self.guiyang_local,
            info_station=info, takeup=takeup, partner=partner,
            hub_factor=self.logistics.county_scale_factors(), platform_use=platform,
            haul_km=self.haul_km, density_factor=density, in_cluster=self.clusters.in_cluster,
            industry_cluster=self.industry_clusters,
            belt_centre=self.clusters.in_belt & (p.belt_reward_share > 0),
            knowhow=self.poles.cell_knowhow, has_point=self.logistics.village_has_point,
            demand=demand, intl_rate=intl_rate, warehouse_share=wh_share,
            intl_days=intl_days, asean_share=econ.MARKET_MIX[:, 0],
            premium_factor=econ.premium_factor(p, exports_real, demand), month=month)

    # =================================================================== step
    def step(self) -> None:
        """Advance one month (see docs/ODD.md, 'Process overview and scheduling')."""
        m = self.steps
        self.month = m
        self.month_of_year = (m - 1) % 12 + 1
        self.fiscal.month = m
        if m == self.requested_params.policy_start_month and self.params != self.requested_params:
            self._start_policy()
        p = self.params
        h = self.households
        if self.month_of_year == 1:
            h.sales_ytd[:] = 0.0
        for station in self.stations:
            station.step()
        if p.talent_secondment_yuan > 0 and self.month_of_year == 1:
            self._second_talent()
        sellers = h.status == SELLING
        county_sellers = np.bincount(h.county[sellers], minlength=len(self.stations))
        self._station_demand(county_sellers)
        self.context = ctx = self._market_context(m)
        # growth poles and know-how
        cell_turnover = self.cell_sales_12m / p.household_scale
        county_turnover = np.bincount(self.world.cell_county, weights=cell_turnover,
                                      minlength=len(self.stations))
        returnee_share = np.divide(
            np.bincount(h.county[h.returnee], minlength=len(self.stations)),
            self.county_households, out=np.zeros(len(self.stations)),
            where=self.county_households > 0)
        secondees = np.array([len(s.secondee_months_left) for s in self.stations], dtype=float)
        self.poles.step(m, cell_turnover, county_turnover, returnee_share, secondees,
                        p.village_service_points)
        # returnees
        entrepreneurs = self._returnees(m, county_sellers)
        # training, awareness
        self._training(m)
        self._awareness()
        # cooperatives: formation, membership
        form_cooperatives(self, m)
        # adoption decisions, including this month's returnee entrepreneurs
        self._review(m, entrepreneurs)
        # a month of sales for every seller
        self._sell(m, ctx)
        self._coop_upkeep(m)
        if self.month_of_year == 12:
            self._annual_subsidies(m)
        self._infrastructure_costs()
        self._detect_clusters()
        self.recorder.record(m)
        self.datacollector.collect(self)
        if m >= p.months:
            self.running = False

    def run(self) -> CBECModel:
        """Step to the horizon; returns self (so ``CBECModel(rng=1).run().outcomes()``)."""
        while self.running:
            self.step()
        return self

    # ------------------------------------------------------------ sub-steps
    def _start_policy(self) -> None:
        """The scenario's levers take effect: switch parameters, extend networks, upgrade
        stations (points, partners, warehouses and full service are only ever added)."""
        self.params = self.requested_params
        self.fiscal.scale = self.params.household_scale
        self.poles.p = self.params  # flights speed up east -> pole know-how (§5.2.2)
        configure_stations(self, self.stations)
        self.logistics.configure()

    def _second_talent(self) -> None:
        """Each January seconded eastern professionals arrive (§5.1.2). With backwash on they
        go where the poles' fields are strongest (talent is pulled to the core)."""
        p = self.params
        weight = np.ones(len(self.stations))
        if p.backwash_effect:
            weight = 0.5 + self.poles.field(max(self.month, 1))[self.poles.seat_cell]
            weight = weight * len(weight) / weight.sum()
        arrivals = self.rng.poisson(p.secondees_per_county_year * weight)
        for station, k in zip(self.stations, arrivals, strict=True):
            station.secondee_months_left.extend([12] * int(k))
        self.fiscal.add("talent_secondment", float(arrivals.sum()) * p.talent_secondment_yuan)

    def _station_demand(self, county_sellers: np.ndarray) -> None:
        """Professional services sellers ask for a month: FX settlements and applications."""
        per_seller = self.params.fx_settlements_per_year / 12.0 + 1.0 / 12.0
        for station, n in zip(self.stations, county_sellers, strict=True):
            station.services_demanded = float(n) * per_seller

    def _returnees(self, m: int, county_sellers: np.ndarray) -> np.ndarray:
        p = self.params
        field = self.poles.field_by_pole(m)
        seats = self.poles.seat_cell
        field_at_seat = field.sum(axis=0)[seats]
        per_100 = np.divide(100.0 * county_sellers, self.county_households,
                            out=np.zeros(len(county_sellers)), where=self.county_households > 0)
        nearest = field[:, seats].argmax(axis=0)
        pole_county = np.array(self.poles.county)[nearest]
        strength = self.poles.strength * self.poles.active(m)
        reach = np.exp(-self.poles.dist[nearest, seats] / p.backwash_reach_km)
        pull = p.backwash_strength * np.minimum(strength[nearest], 1.0) * reach
        pull = np.where(pole_county == np.arange(len(seats)), 0.0, pull)
        pole_km = self.poles.nearest_pole_km(m)[seats]
        return self.returnee_flows.step(
            self.rng, self.households, p, self.county_start, self.county_stop, per_100,
            field_at_seat, pull, pole_county, pole_km, m)

    def _training(self, m: int) -> None:
        """Stations train people (§4.1); school grants add practical training (§5.1.2).

        A station whose training function works trains ``trainees_per_county_month``; a
        consult-only station hosts provincial sessions at half that rate. Training is practical
        (twice the skill gain) with purchased professional services or school grants.
        """
        p = self.params
        h = self.households
        trains = self.station_state["training"].astype(float)
        rate = p.trainees_per_county_month * (0.5 + 0.5 * trains)
        practical = p.professional_services
        if p.school_training_grant_yuan > 0:
            rate = rate + p.school_trainees_per_year / 12.0
            practical = True
            self.fiscal.add("school_training_grant",
                            p.school_training_grant_yuan * len(self.stations) / 12.0)
        sizes = self.county_stop - self.county_start
        n = self.rng.poisson(rate * p.household_scale)
        n = np.where(sizes > 0, n, 0)
        total = int(n.sum())
        if total == 0:
            return
        county = np.repeat(np.arange(len(sizes)), n)
        idx = self.county_start[county] + (self.rng.random(total) * sizes[county]).astype(int)
        gain = p.training_skill_gain * (2.0 if practical else 1.0)
        h.learned_skill[idx] = np.minimum(h.learned_skill[idx] + gain, 0.6)
        h.status[idx] = np.where(h.status[idx] == UNAWARE, AWARE, h.status[idx])
        for s, k in zip(self.stations, n, strict=True):
            s.trained_total += int(k)
        self._pay_households("training", idx, np.full(total, p.training_subsidy_yuan))

    def _awareness(self) -> None:
        """Cumulative awareness hazard per cell; a household wakes when it passes its draw."""
        p = self.params
        h = self.households
        world = self.world
        sellers = h.status == SELLING
        seller_cell = np.bincount(h.cell[sellers], minlength=world.n_cells).astype(float)
        around_sellers = world.window_sum(seller_cell)
        around_hh = self.window_households
        peer = np.divide(around_sellers, around_hh, out=np.zeros(world.n_cells),
                         where=around_hh > 0)
        full = self.station_state["full_service"].astype(float)
        outreach = p.station_outreach * (1.0 + full[world.cell_county]) * np.exp(
            -world.dist_to_seat_km / STATION_OUTREACH_DECAY_KM)
        if p.village_service_points:
            outreach = outreach + p.station_outreach
        hazard = (p.awareness_base_rate + p.peer_effect * peer + outreach
                  + p.knowhow_awareness * self.poles.cell_knowhow)
        if p.spread_effect:
            hazard = hazard + p.pole_spread_awareness * self.poles.field(self.month)
        self.cumulative_hazard += hazard.astype(np.float32)
        newly = (h.status == UNAWARE) & (self.cumulative_hazard[h.cell] >= h.awareness_threshold)
        h.status[newly] = AWARE

    def _open_coop_for(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For households ``idx``: an open cooperative of their county and line (id, size)."""
        h = self.households
        open_coops = [c for c in self.cooperatives.values()
                      if c.active and c.n_members < self.params.coop_target_members * 2]
        table = np.full((len(self.stations), len(PRODUCTS)), -1, dtype=np.int64)
        size = np.zeros((len(self.stations), len(PRODUCTS)))
        for c in open_coops:
            if c.n_members > size[c.county, c.product]:
                table[c.county, c.product] = c.coop_id
                size[c.county, c.product] = c.n_members
        return table[h.county[idx], h.product[idx]], size[h.county[idx], h.product[idx]]

    def _review(self, m: int, entrepreneurs: np.ndarray) -> None:
        """Aware households weigh selling cross-border, directly or through a cooperative."""
        p = self.params
        h = self.households
        back = np.flatnonzero((h.status == EXITED) & (h.exit_month + p.reentry_months <= m))
        h.status[back] = AWARE
        aware = np.flatnonzero(h.status == AWARE)
        chosen = self.rng.random(len(aware)) < p.review_rate
        fresh = entrepreneurs[h.status[entrepreneurs] == AWARE]  # review at once
        chosen[np.searchsorted(aware, fresh)] = True
        review = aware[chosen]
        if len(review) == 0:
            return
        need = self.hurdle(review)
        direct = np.full(len(review), -np.inf)  # only capable households can sell alone
        able = h.capable[review]
        direct[able] = self._gain(review[able], np.zeros(int(able.sum())))
        coop_id, coop_size = self._open_coop_for(review)
        has_coop = (coop_id >= 0) & p.cooperatives
        via_coop = np.full(len(review), -np.inf)
        if has_coop.any():
            via_coop[has_coop] = self.coop_gain(review[has_coop], coop_size[has_coop] + 1)
        join = has_coop & (via_coop > need) & (via_coop >= direct)
        # a cooperative takes members only up to its size limit (twice the target size), in a
        # random order of the households that want to join
        limit = 2 * p.coop_target_members
        wanting = self.rng.permutation(np.flatnonzero(join))
        wanting = wanting[np.argsort(coop_id[wanting], kind="stable")]  # random within a coop
        ids, first, counts = np.unique(coop_id[wanting], return_index=True, return_counts=True)
        for cid, start, n in zip(ids.tolist(), first.tolist(), counts.tolist(), strict=True):
            coop = self.cooperatives[cid]
            places = max(limit - coop.n_members, 0)
            join[wanting[start + places:start + n]] = False
            members = review[wanting[start:start + min(places, n)]]
            self.start_selling(members, m, cid)
            coop.n_members += len(members)
        alone = ~join & (direct > need)
        self.start_selling(review[alone], m, -1)

    def _sell(self, m: int, ctx: econ.MarketContext) -> None:
        """A month of realised sales, costs, unsold goods, subsidies and exits for sellers."""
        p = self.params
        h = self.households
        rng = self.rng
        idx = np.flatnonzero(h.status == SELLING)
        self.month_sellers = idx
        if len(idx) == 0:
            self.month_accounts = None
            self.cell_orders_last = np.zeros(self.world.n_cells)
            self.cell_sales_history[m % 12] = 0.0
            self.cell_product_history[m % 12] = 0.0
            self.logistics.record_month(np.zeros(len(self.stations)),
                                        np.zeros(len(self.village_cell)), np.zeros(3))
            return
        coop_members = self._coop_sizes(idx)
        a = self._economics(idx, coop_members, reward_turnover=np.zeros(len(idx)))
        f = rng.lognormal(-0.5 * p.sales_noise_sigma ** 2, p.sales_noise_sigma, len(idx))
        variable = (a["revenue"] + a["rcep_gain"] - a["production"] - a["logistics"]
                    + a["fiscal_small_order_freight"] + a["fiscal_parcel"] - a["loss"]
                    - a["acquisition"] - a["credit"] - a["coop_fee"])
        fixed = a["certification"] + a["fx"] + a["customs"] + a["fixed"]
        unsold_event = rng.random(len(idx)) < a["unsold_prob"] / 12.0
        unsold_cost = np.where(unsold_event, p.unsold_fraction * a["revenue"] * f
                               * econ.UNSOLD_WRITE_DOWN, 0.0)
        h.last_unsold_month[idx[unsold_event]] = m
        profit = (variable * f - fixed) / 12.0 - unsold_cost
        revenue = a["revenue"] * f / 12.0
        h.profit_trailing[idx] = h.profit_trailing[idx] * (11 / 12) + profit
        h.revenue_trailing[idx] = h.revenue_trailing[idx] * (11 / 12) + revenue
        h.sales_ytd[idx] += revenue
        h.months_selling[idx] += 1
        # fiscal instruments used this month (model units, booked per household)
        proportional = ("small_order_freight", "parcel", "breakage_insurance",
                        "credit_insurance")
        for term in econ.FISCAL_TERMS:
            amount = a[f"fiscal_{term}"] * (f if term in proportional else 1.0) / 12.0
            self._pay_households(term, idx, amount)
        if p.professional_services:
            self._pay_households("professional_services", idx,
                                 np.full(len(idx), p.professional_services_yuan / 12.0))
        # volumes for hubs, pickup points, warehouses and the next month's density economies
        orders = a["orders"] * f / 12.0
        n_cells = self.world.n_cells
        self.cell_orders_last = np.bincount(h.cell[idx], weights=orders, minlength=n_cells)
        county_orders = np.bincount(h.county[idx], weights=orders * a["collected"],
                                    minlength=len(self.stations))
        has_point = ctx.has_point[h.village[idx]]
        village_orders = np.bincount(h.village[idx[has_point]], weights=orders[has_point],
                                     minlength=len(self.village_cell))
        market_orders = (orders[:, None] * econ.MARKET_MIX[h.product[idx]]
                         * ctx.warehouse_share[h.product[idx]][:, None]).sum(axis=0)
        self.logistics.record_month(county_orders, village_orders, market_orders)
        self.cell_sales_history[m % 12] = np.bincount(h.cell[idx], weights=revenue,
                                                      minlength=n_cells)
        prod_cell = h.cell[idx] * len(PRODUCTS) + h.product[idx]
        self.cell_product_history[m % 12] = np.bincount(
            prod_cell, weights=revenue, minlength=n_cells * len(PRODUCTS)).reshape(n_cells, -1)
        self.month_accounts = {**a, "f": f, "profit_month": profit, "revenue_month": revenue,
                               "coop_members": coop_members}
        # exits: sustained losses, or clearly worse than the domestic route
        losing = h.profit_trailing[idx] < 0
        worse = (rng.random(len(idx)) < p.review_rate / 2) & (
            a["gain_rate"] < -self.hurdle(idx))
        leave = (losing & (rng.random(len(idx)) < p.exit_rate_when_losing)) | worse
        leave &= h.months_selling[idx] >= 6  # a business gets half a year before it is judged
        if p.closure_rate > 0:  # closures for reasons outside the model, at any age
            leave |= rng.random(len(idx)) < p.closure_rate / 12.0
        gone = idx[leave]
        h.status[gone] = EXITED
        h.exit_month[gone] = m
        h.coop[gone] = -1

    def _coop_sizes(self, idx: np.ndarray) -> np.ndarray:
        """Members of each household's cooperative (0 for direct sellers)."""
        coop = self.households.coop[idx]
        sizes = np.bincount(coop[coop >= 0], minlength=max(self._next_coop, 1))
        return np.where(coop >= 0, sizes[np.maximum(coop, 0)], 0).astype(float)

    def _coop_upkeep(self, m: int) -> None:
        """Recount members, let unhappy members leave, dissolve cooperatives that shrink."""
        p = self.params
        h = self.households
        if not self.cooperatives:
            return
        members_idx = np.flatnonzero(h.coop >= 0)
        if len(members_idx):
            sizes = self._coop_sizes(members_idx)  # members are all sellers
            reviewing = self.rng.random(len(members_idx)) < p.review_rate
            gain = np.full(len(members_idx), np.inf)
            if reviewing.any():
                r = members_idx[reviewing]
                gain[reviewing] = self.coop_gain(r, sizes[reviewing])
            unhappy = reviewing & (gain < self.hurdle(members_idx))
            churn = self.rng.random(len(members_idx)) < p.coop_leave_rate
            self._leave_coop(members_idx[unhappy | churn])
        counts = np.bincount(h.coop[h.coop >= 0], minlength=self._next_coop)
        for c in self.cooperatives.values():
            if not c.active:
                continue
            c.n_members = int(counts[c.coop_id])
            if c.n_members < p.coop_min_members:
                c.dissolve()

    def _leave_coop(self, idx: np.ndarray) -> None:
        """Members leave their cooperative; those who cannot sell alone stop selling."""
        h = self.households
        h.coop[idx] = -1
        stop = idx[~h.capable[idx]]
        h.status[stop] = AWARE

    def _annual_subsidies(self, m: int) -> None:
        """December: turnover rewards to eligible entities that complete their application.

        Entities are direct sellers and cooperatives (a cooperative's turnover is its members'
        pooled calendar-year sales; its reward is shared among members in proportion to sales).
        """
        p = self.params
        h = self.households
        sellers = np.flatnonzero(h.status == SELLING)
        coop_of = h.coop[sellers]
        direct = sellers[coop_of < 0]
        members = sellers[coop_of >= 0]
        n_ids = max(self._next_coop, 1)
        coop_turnover = np.bincount(h.coop[members], weights=h.sales_ytd[members],
                                    minlength=n_ids)
        coops = [c for c in self.cooperatives.values() if c.active and c.n_members > 0]
        coop_ids = np.array([c.coop_id for c in coops], dtype=np.int64)
        turnover = np.concatenate([h.sales_ytd[direct].astype(float), coop_turnover[coop_ids]])
        years = np.concatenate([(m - h.start_month[direct] + 1) / 12.0,
                                [c.years_registered(m) for c in coops]])
        county = np.concatenate([h.county[direct], [c.county for c in coops]]).astype(int)
        rate = econ.reward_rate(turnover, p) * (years >= p.subsidy_min_years)
        eligible = rate > 0
        takes = eligible & (self.rng.random(len(rate)) < self.context.takeup[county])
        paid = np.where(takes, rate * turnover, 0.0)
        self.subsidy_recipients = int(takes.sum())
        self.subsidy_eligible_share = float(eligible.mean()) if len(eligible) else 0.0
        self.subsidy_coverage = float(takes.mean()) if len(takes) else 0.0
        nd = len(direct)
        # the first reward as an enterprise past 5M yuan makes a new firm (§4.1)
        enterprise = takes & (turnover >= econ.FIRM_TURNOVER_YUAN)
        first = direct[enterprise[:nd] & (h.firm_month[direct] < 0)]
        h.firm_month[first] = m
        for c, is_firm in zip(coops, enterprise[nd:], strict=True):
            if is_firm and c.firm_month < 0:
                c.firm_month = m
        self._pay_households("turnover_reward", direct, paid[:nd])
        coop_paid = np.zeros(n_ids)
        coop_paid[coop_ids] = paid[nd:]
        share = np.divide(h.sales_ytd[members], coop_turnover[h.coop[members]],
                          out=np.zeros(len(members)), where=coop_turnover[h.coop[members]] > 0)
        self._pay_households("turnover_reward", members, coop_paid[h.coop[members]] * share)
        for c in coops:
            c.subsidies_received += float(coop_paid[c.coop_id])
            c.turnover_last_year = float(coop_turnover[c.coop_id])
        if p.belt_reward_share > 0:
            belt_sales = h.sales_ytd[sellers][self.clusters.in_belt[h.cell[sellers]]].sum()
            self.fiscal.add("belt_reward", p.belt_reward_share * belt_sales / p.household_scale)

    def _pay_households(self, instrument: str, idx: np.ndarray, amount: np.ndarray) -> None:
        """Pay (or provide in kind) ``amount`` yuan to households ``idx`` and book it."""
        amount = np.asarray(amount, dtype=float)
        if len(idx) == 0 or not amount.any():
            return
        np.add.at(self.households.subsidies_received, idx, amount)
        self.fiscal.add_households(instrument, float(amount.sum()))

    def _infrastructure_costs(self) -> None:
        """Monthly running costs of networks beyond the baseline (real yuan)."""
        p = self.params
        net = self.logistics
        self.fiscal.add("pickup_points", net.n_extra_points * p.pickup_point_cost_yuan)
        self.fiscal.add("hub_partners", net.n_extra_partners * p.hub_partner_cost_yuan)
        upgraded = sum(s.full_service for s in self.stations) - round(0.38 * len(self.stations))
        self.fiscal.add("station_upgrade", max(upgraded, 0) * p.station_upgrade_cost_yuan)
        if p.village_service_points:
            self.fiscal.add("village_service_points",
                            len(self.village_cell) * p.village_point_cost_yuan)
        if p.market_info_share > 0.05:
            self.fiscal.add("market_information",
                            p.market_info_cost_yuan * (p.market_info_share - 0.05) / 0.1 / 12)
        if p.one_stop_platform:
            self.fiscal.add("one_stop_platform", p.one_stop_platform_cost_yuan / 12.0)
        if p.flight_increase > 0:
            self.fiscal.add("flights", p.flight_subsidy_yuan * p.flight_increase / 0.3 / 12.0)
        if p.county_clearance:
            self.fiscal.add("county_clearance", p.county_clearance_cost_yuan / 12.0
                            * float(net.county_has_partner.sum()))
        new_warehouses = sum(not w.baseline for w in net.warehouses)
        self.fiscal.add("warehouse_operation",
                        new_warehouses * p.warehouse_running_cost_yuan / 12.0)

    def _detect_clusters(self) -> None:
        """Sum the last 12 months of sales per cell (and product line), then find clusters:
        cells (Taobao-village rule) and county industrial clusters (sellers of one line)."""
        h = self.households
        self.cell_sales_12m = self.cell_sales_history.sum(axis=0)
        self.cell_product_sales_12m = self.cell_product_history.sum(axis=0)
        sellers = h.status == SELLING
        shops = np.bincount(h.cell[sellers], minlength=self.world.n_cells)
        self.clusters = detect(self.world, self.params, self.cell_sales_12m, shops,
                               self.cell_households, self.cell_product_sales_12m)
        n_lines = len(PRODUCTS)
        line = h.county[sellers].astype(np.int64) * n_lines + h.product[sellers]
        line_shops = np.bincount(line, minlength=len(self.stations) * n_lines)
        self.industry_clusters = county_industry_clusters(
            self.params, line_shops.reshape(len(self.stations), n_lines))

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
