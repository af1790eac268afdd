"""Monthly outcomes: the model-level time series and the per-county panel.

Every aggregate is computed here, in the engine, from the household arrays (never by copying
household data into Mesa's DataCollector). Counts and money are reported *province-equivalent*
(divided by ``household_scale``) where the column name ends in ``_real`` or ``_yuan``; shares are
scale-free. Column meanings are listed in :data:`COLUMNS` and in docs/ODD.md.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from agents.farmers import EXITED, MONTHS_PER_YEAR, PRODUCTS, SELLING, UNAWARE
from model import views
from model.clusters import in_a_cluster
from model.demand import B2B, DEMAND_MARKETS, RETAIL
from model.entities import registered_alone
from model.scaling import to_real

if TYPE_CHECKING:
    from model.model import CBECModel

CORE_RADIUS_KM = 40.0  # assumption: counties whose seat is within 40 km of a pilot-zone pole
PROFESSIONAL_SKILL = 0.6  # assumption: a seller at this skill counts as a CBEC professional
DISTANCE_BANDS = (0, 50, 100, 150, 1000)  # km to the nearest pilot-zone pole
#: their names in the county panel's ``distance_band`` (the last band is open-ended: Guizhou's
#: farthest county seat is about 250 km from a pole)
DISTANCE_BAND_LABELS = ("0-50 km", "50-100 km", "100-150 km", "150+ km")

COLUMNS = {
    "month": "model month (0 = start state, 1 = January of start_year)",
    "date": "first day of the month (month 0, the start state, is dated the December before)",
    "households": "household agents",
    "aware_share": "share of households aware of CBEC (aware, selling or exited)",
    "sellers": "households selling cross-border (agents)",
    "sellers_real": "sellers, province-equivalent",
    "adoption_share": "sellers / households",
    "sellers_direct": "sellers selling on their own (agents)",
    "sellers_coop": "sellers selling through a cooperative (agents)",
    "entities": "households selling on their own plus cooperatives (agents; the registered "
                "entities are ``entities_real``)",
    "cooperatives": "active cooperatives (agents; each stands for several at a small "
                    "``household_scale``)",
    "cooperatives_real": "active cooperatives, province-equivalent",
    "firms_active": "firms selling cross-border (real: every firm is an agent)",
    "firms_aware_share": "share of potential firms aware of CBEC",
    "practitioners_real": "people running a CBEC business: selling households and firms, "
                          "province-equivalent",
    "entities_real": "CBEC entities: selling firms, returnee entrepreneurs selling on their own "
                     "through a registered business and cooperatives, province-equivalent",
    "export_transactions_month_real": "export transactions this month: the B2B consignments of "
                                      "firms and cooperatives, province-equivalent",
    "turnover_month_yuan": "CBEC revenue this month, province-equivalent yuan",
    "entity_turnover_median_yuan": "median turnover of entities in the last completed calendar "
                                   "year (from each December on; month 0-11: the initial "
                                   "sellers' 2021)",
    "share_entities_below_1m": "entities whose turnover in the last completed calendar year "
                               "was below 1M yuan (as entity_turnover_median_yuan)",
    "subsidy_coverage": "entities that received a turnover subsidy last December",
    "subsidy_eligible_share": "entities that met last December's turnover-reward conditions "
                              "(turnover at or above the threshold, registered long enough; "
                              "§4.1's 12% who 'can benefit')",
    "fiscal_cost_month_yuan": "public cost this month, all instruments",
    "fiscal_cost_total_yuan": "cumulative public cost",
    "returns_month_real": "out-migrants returning this month, province-equivalent",
    "returnees_total_real": "returnee households so far",
    "returns_to_poles_month_real": "returnees drawn to a pole county this month (backwash)",
    "returnee_destination_pole_km": "mean km from returnees' destination county to a pole",
    "returnee_entrepreneurs_month_real": "returnees starting an e-commerce business this month",
    "returnee_entrepreneur_cbec_share": "of entrepreneurs of the last 12 months, share selling "
                                        "cross-border",
    "clusters": "clusters (connected sets of Taobao-village-like cells)",
    "towns": "clusters of 3 or more cells (Taobao-town-like)",
    "belts": "clusters dominated by one product line",
    "cluster_cells": "cells in clusters",
    "largest_cluster_cells": "cells in the largest cluster",
    "share_sellers_in_clusters": "sellers in a cluster: their cell is a cluster cell or their "
                                 "county's product line a county industrial cluster",
    "share_firms_in_clusters": "firms and cooperatives in a cluster (§3.3.3's county firms; "
                               "NaN without any)",
    "share_sellers_in_cell_clusters": "sellers whose cell is a cluster cell (Taobao-village "
                                      "rule)",
    "industry_clusters": "county industrial clusters (county and product line pairs)",
    "logistics_cost_share": "logistics / total export cost, over sellers",
    "logistics_cost_share_coastal": "the same for the same sellers at coastal rates",
    "logistics_cost_per_revenue": "logistics cost per yuan of revenue",
    "logistics_per_revenue_belt": "logistics cost per yuan of revenue, sellers in belts",
    "logistics_per_revenue_outside": "the same for sellers outside any cluster",
    "delivery_days": "order-weighted delivery time to the foreign buyer",
    "collection_rate": "share of CBEC volume collected through county hubs",
    "fx_travel_share": "entities (firms, cooperatives) that must travel to Guiyang to settle "
                       "FX",
    "fx_cost_per_settlement_yuan": "mean cost of one FX settlement over entities",
    "unsold_share": "sellers with unsold goods in the last 12 months",
    "platform_order_share": "orders filed through the provincial platform",
    "haul_km_households": "mean road km from a household's cell to its county seat",
    "haul_km_sellers": "mean first-mile road km of sellers (pickup point or seat)",
    "cbec_income_per_household_yuan": "CBEC income per rural household, yuan a year: this "
                                      "month's profit annualised plus the turnover rewards "
                                      "received last December",
    "cbec_profit_per_seller_yuan": "CBEC profit per seller, yuan a year: this month's profit "
                                   "annualised plus its turnover reward of last December",
    "adoption_share_core": "adoption in pole (core) counties",
    "adoption_share_periphery": "adoption elsewhere",
    "core_periphery_gap": "core minus periphery adoption share",
    "knowhow_core": "mean know-how in core counties",
    "knowhow_periphery": "mean know-how elsewhere",
    "secondary_poles": "secondary poles that have emerged",
    "knowhow_east": "know-how of the eastern coast, the frontier of the ladder (1)",
    "knowhow_poles": "mean know-how of the active pilot-zone poles (Guiyang, Zunyi, Tongren)",
    "knowhow_counties_0_50km": "mean county know-how, counties whose seat is under 50 km "
                               "from a pilot-zone pole",
    "knowhow_counties_50_100km": "the same, 50 to 100 km",
    "knowhow_counties_100km_plus": "the same, 100 km or more",
    "knowhow_villages": "mean village (cell) know-how over all cells",
    "returns_to_pole_counties_month_real": "returns this month that settle in a county hosting "
                                           "an active pole (pilot-zone or secondary), at home "
                                           "or drawn there by backwash",
    "returns_to_pole_counties_share": "their share of this month's returns (NaN without "
                                      "returns)",
    "professionals_per_county_real": "CBEC professionals per county (skilled sellers, "
                                     "experienced station staff, secondees)",
    "new_sellers_month_real": "households starting to sell this month",
    "sellers_growth_12m": "sellers now over sellers 12 months ago, minus 1",
    "firms_new_total_real": "new firms since the start: firms whose first cross-border sale "
                            "came after January 2022 (§4.1's 180 new rural CBEC firms)",
    "firms_new_tea_chili_share": "tea or chili share of those new firms (NaN before the first)",
    "trained_total_real": "people trained so far",
    "subsidy_recipients_real": "entities that received a turnover subsidy last December, "
                               "province-equivalent",
    "exited": "household agents that have stopped selling for good",
    **{f"sellers_{name}": f"seller agents in the {name} line" for name in PRODUCTS},
    **{f"adoption_share_{name}": f"sellers / households in the {name} line"
       for name in PRODUCTS},
    **{f"exports_{market}_month_yuan": f"exports to {market.replace('_', ' ')} this month "
       "(where the clearing of foreign demand sends each line), province-equivalent yuan"
       for market in DEMAND_MARKETS},
    **{f"export_price_{name}": f"B2B export price of the {name} line relative to its reference "
       "price (the clearing of foreign demand)" for name in PRODUCTS},
    **{f"retail_price_{name}": f"retail (platform parcel) price of the {name} line relative to "
       "its reference price (the clearing of foreign demand)" for name in PRODUCTS},
    **{f"turnover_{name}_month_yuan": f"CBEC revenue of the {name} line this month, "
       "province-equivalent yuan" for name in PRODUCTS},
    **{f"pole_strength_{pole}": f"strength of the {pole.capitalize()} growth pole (0 before it "
       "is active)" for pole in ("guiyang", "zunyi", "tongren")},
}


def month_sellers(model: CBECModel, keys: Collection[str] | None = None
                  ) -> dict[str, np.ndarray] | None:
    """This month's sellers of both sets (households, then firms) as one table: their
    accounts of the month and their ``cell``, ``county``, ``product``, ``coop`` (-1 for
    firms), ``last_unsold_month``, ``reward_last``, ``firm`` (bool) and ``w``, the real
    sellers each stands for (``1 / household_scale`` for a household, 1 for a firm); only the
    columns ``keys`` when given. None when nobody sold."""
    parts = []
    for agents, sold, is_firm in ((model.households, model.month_sales, False),
                                  (model.firms, model.firm_sales, True)):
        if sold.accounts is None or len(sold.sellers) == 0:
            continue
        idx = sold.sellers
        part = {key: np.asarray(value) for key, value in sold.accounts.items()
                if np.ndim(value) == 1 and len(value) == len(idx)}
        part.update(cell=agents.cell[idx].astype(np.intp),
                    county=agents.county[idx].astype(np.intp),
                    product=agents.product[idx].astype(np.intp), coop=agents.coop[idx],
                    last_unsold_month=agents.last_unsold_month[idx],
                    reward_last=agents.reward_last[idx].astype(np.float64),
                    firm=np.full(len(idx), is_firm),
                    w=np.full(len(idx), 1.0 / (agents.weight * model.params.household_scale)
                              if not is_firm else 1.0))
        parts.append(part)
    if not parts:
        return None
    common = set.intersection(*(set(part) for part in parts))
    if keys is not None:
        common &= set(keys)
    return {key: np.concatenate([part[key] for part in parts]) for key in common}


#: the columns of :func:`month_sellers` that :meth:`Recorder._accounts` reads
SOLD_COLUMNS = ("w", "f", "export_cost", "logistics", "coastal_logistics", "revenue", "cell",
                "county", "product", "orders", "b2b", "delivery_days", "collected", "platform",
                "haul_km", "coop", "fx_travel", "last_unsold_month", "profit_month",
                "reward_last", "firm", "revenue_month")


class Recorder:
    """Computes and stores one row of outcomes per month and the county panel."""

    def __init__(self, model: CBECModel) -> None:
        self.model = model
        world = model.world
        counties = world.counties
        poles = model.poles
        seat_cells = poles.seat_cell
        pole_km = poles.dist[:3][:, seat_cells].min(axis=0)
        self.county_pole_km = pole_km
        self.core_county = pole_km <= CORE_RADIUS_KM
        h = model.households
        self.hh_core = self.core_county[h.county]
        self.n_core = max(int(self.hh_core.sum()), 1)
        self.n_periphery = max(int((~self.hh_core).sum()), 1)
        self.households_by_product = np.bincount(h.product, minlength=len(PRODUCTS))
        self.mean_haul = float(model.haul_km[h.cell].mean()) if h.n else float("nan")
        self.core_cells = self.core_county[world.cell_county]
        self.start = pd.Timestamp(year=model.params.start_year, month=1, day=1)
        self.rows: list[dict] = []
        self.panel: list[dict[str, np.ndarray]] = []
        self.county_codes = counties["code"].to_numpy()
        self.latest: dict = {}
        #: one record per pole and month (model.views.pole_rows)
        self.pole_history: list[dict] = []
        #: called as listener(model, month) after each month is recorded (model.views.MapHistory)
        self.listeners: list[Callable[[CBECModel, int], None]] = []

    def record(self, m: int) -> None:
        model = self.model
        p = model.params
        h = model.households
        scale = p.household_scale
        n_counties = len(model.stations)
        status = h.status
        sellers = np.flatnonzero(status == SELLING)
        n = h.n
        coop_of = h.coop[sellers]
        direct = sellers[coop_of < 0]
        members = sellers[coop_of >= 0]
        active_coops = np.unique(coop_of[coop_of >= 0])
        row: dict = {"month": m, "date": self.start + pd.DateOffset(months=m - 1),
                     "households": n}
        row["aware_share"] = float((n - np.count_nonzero(status == UNAWARE)) / max(n, 1))
        row["sellers"] = len(sellers)
        row["sellers_real"] = to_real(len(sellers), scale)
        row["adoption_share"] = len(sellers) / max(n, 1)
        row["sellers_direct"] = len(direct)
        row["sellers_coop"] = len(members)
        by_product = np.bincount(h.product[sellers], minlength=len(PRODUCTS))
        for k, name in enumerate(PRODUCTS):
            row[f"sellers_{name}"] = int(by_product[k])
            row[f"adoption_share_{name}"] = float(
                by_product[k] / max(self.households_by_product[k], 1))
        firms = model.firms
        firm_status = firms.status
        n_firms = int((firm_status == SELLING).sum())
        row["firms_active"] = n_firms
        row["firms_aware_share"] = float((firm_status != UNAWARE).sum() / max(firms.n, 1))
        row["practitioners_real"] = row["sellers_real"] + n_firms
        row["entities"] = len(direct) + len(active_coops)
        row["cooperatives"] = len(active_coops)
        coops = model.cooperatives.selling()  # the agents with members, and the real ones
        coops_real = model.cooperatives.real_count(coops)
        row["cooperatives_real"] = coops_real
        entrepreneurs = np.flatnonzero(h.entrepreneur)
        registered = len(registered_alone(h, model.params, entrepreneurs))
        row["entities_real"] = n_firms + to_real(registered, scale) + coops_real
        # entity turnover: calendar years, counted each December (model.subsidies)
        row["entity_turnover_median_yuan"] = model.rewards.turnover_median_yuan
        row["share_entities_below_1m"] = model.rewards.share_below_1m
        row["subsidy_coverage"] = model.rewards.coverage
        row["subsidy_eligible_share"] = model.rewards.eligible_share
        row["subsidy_recipients_real"] = model.rewards.recipients
        row["fiscal_cost_month_yuan"] = model.fiscal.month_total(m)
        row["fiscal_cost_total_yuan"] = model.fiscal.total()
        # returnees
        flows = model.returnee_flows
        row["returns_month_real"] = to_real(flows.month_returns, scale)
        row["returnees_total_real"] = to_real(float(np.count_nonzero(h.returnee)), scale)
        row["returns_to_poles_month_real"] = to_real(flows.month_to_poles, scale)
        row["returnee_destination_pole_km"] = flows.month_destination_pole_km
        row["returnee_entrepreneurs_month_real"] = to_real(flows.month_entrepreneurs, scale)
        recent = entrepreneurs[h.entrepreneur_month[entrepreneurs] > m - 12]
        row["returnee_entrepreneur_cbec_share"] = (
            float((status[recent] == SELLING).mean()) if len(recent) else float("nan"))
        # clusters
        cl = model.clusters
        row["clusters"] = cl.n_clusters
        row["towns"] = cl.n_towns
        row["belts"] = cl.n_belts
        row["cluster_cells"] = int(cl.in_cluster.sum())
        row["largest_cluster_cells"] = cl.largest_cells
        # over every seller, households and firms, as real counts
        f_sellers = np.flatnonzero(firm_status == SELLING)
        weight = np.concatenate([np.full(len(sellers), to_real(1.0, scale)),
                                 np.ones(len(f_sellers))])
        cells = np.concatenate([h.cell[sellers], firms.cell[f_sellers]]).astype(np.intp)
        inside = in_a_cluster(cl.in_cluster, model.industry_clusters, cells,
                              np.concatenate([h.county[sellers], firms.county[f_sellers]]
                                             ).astype(np.intp),
                              np.concatenate([h.product[sellers], firms.product[f_sellers]]
                                             ).astype(np.intp))
        total = weight.sum()
        row["share_sellers_in_clusters"] = float((weight * inside).sum() / total) if total else 0.0
        # the paper's "county firms" (§3.3.3): firms and cooperatives
        coop_inside = model.cooperatives.real_count(
            [c for c in coops if cl.in_cluster[c.cell] or model.industry_clusters[c.county,
                                                                                  c.product]])
        firms_inside = float(inside[len(sellers):].sum()) + coop_inside
        firms_total = len(f_sellers) + coops_real
        row["share_firms_in_clusters"] = (firms_inside / firms_total if firms_total
                                          else float("nan"))
        row["share_sellers_in_cell_clusters"] = (
            float((weight * cl.in_cluster[cells]).sum() / total) if total else 0.0)
        row["industry_clusters"] = int(model.industry_clusters.sum())
        self._accounts(row, model, sellers)
        # core-periphery
        sel_core = int(self.hh_core[sellers].sum())
        row["adoption_share_core"] = sel_core / self.n_core
        row["adoption_share_periphery"] = (len(sellers) - sel_core) / self.n_periphery
        row["core_periphery_gap"] = row["adoption_share_core"] - row["adoption_share_periphery"]
        k = model.knowhow.cell
        row["knowhow_core"] = float(k[self.core_cells].mean())
        row["knowhow_periphery"] = float(k[~self.core_cells].mean())
        for i, name in enumerate(("guiyang", "zunyi", "tongren")):
            row[f"pole_strength_{name}"] = float(model.poles.strength[i]
                                                 * model.poles.active(max(m, 1))[i])
        row["secondary_poles"] = int(sum(model.poles.secondary))
        self._ladder_and_returns(row, m)
        # professionals, new sellers, firms, training
        skilled = sellers[h.skill(sellers, k) >= PROFESSIONAL_SKILL] if len(sellers) else sellers
        staff = float(model.station_state["experienced_staff"].sum())
        row["professionals_per_county_real"] = (to_real(len(skilled), scale) + staff) / n_counties
        row["new_sellers_month_real"] = to_real(float((h.start_month[sellers] == m).sum()), scale)
        year_ago = self.rows[m - 12]["sellers"] if m >= 12 else 0
        row["sellers_growth_12m"] = len(sellers) / year_ago - 1 if year_ago else float("nan")
        # new firms (§4.1): firms whose first cross-border sale came after the start (every
        # firm is an agent, so these are real counts)
        new_firms = firms.start_month > 0
        n_new = float(new_firms.sum())
        tc = float(np.isin(firms.product[new_firms], (0, 1)).sum())
        row["firms_new_total_real"] = n_new
        row["firms_new_tea_chili_share"] = tc / n_new if n_new else float("nan")
        row["trained_total_real"] = to_real(sum(s.trained_total for s in model.stations), scale)
        row["exited"] = np.count_nonzero(status == EXITED)
        self.rows.append(row)
        self.latest = row
        self._county_panel(m, sellers)
        for listener in self.listeners:
            listener(model, m)

    def _ladder_and_returns(self, row: dict, m: int) -> None:
        """The know-how ladder, where this month's returns settled, and the pole history."""
        model = self.model
        for label, value in views.knowhow_ladder(model, m).items():
            row[views.LADDER[label]] = value
        poles = model.poles
        hosts = np.array([c for c, start in zip(poles.county, poles.start_month, strict=True)
                          if start <= max(m, 1)], dtype=np.int64)
        dest = model.returnee_flows.month_destinations
        to_poles = float(dest[hosts].sum()) if len(dest) else 0.0
        returns = float(dest.sum()) if len(dest) else 0.0
        row["returns_to_pole_counties_month_real"] = to_real(to_poles, model.params.household_scale)
        row["returns_to_pole_counties_share"] = to_poles / returns if returns else float("nan")
        self.pole_history.extend(views.pole_rows(model, m))

    def _accounts(self, row: dict, model: CBECModel, sellers: np.ndarray) -> None:
        """Cost shares, delivery, collection, FX travel, unsold, income, exports, over the
        households and firms that sold this month (before the month's exits), each weighted by
        the real sellers it stands for."""
        row["haul_km_households"] = self.mean_haul
        keys = ("logistics_cost_share", "logistics_cost_share_coastal",
                "logistics_cost_per_revenue", "logistics_per_revenue_belt",
                "logistics_per_revenue_outside", "delivery_days", "collection_rate",
                "fx_travel_share", "fx_cost_per_settlement_yuan", "unsold_share",
                "platform_order_share", "haul_km_sellers", "cbec_profit_per_seller_yuan")
        sold = month_sellers(model, SOLD_COLUMNS)
        if sold is None:  # the start state, or a month without sellers
            for key in keys:
                row[key] = float("nan")
            row["cbec_income_per_household_yuan"] = 0.0
            row["export_transactions_month_real"] = 0.0
            row["turnover_month_yuan"] = 0.0
            for mk in DEMAND_MARKETS:
                row[f"exports_{mk}_month_yuan"] = 0.0
            for k, name in enumerate(PRODUCTS):
                row[f"turnover_{name}_month_yuan"] = 0.0
                row[f"export_price_{name}"] = float(model.context.price[B2B, k])
                row[f"retail_price_{name}"] = float(model.context.price[RETAIL, k])
            return
        w = sold["w"]
        f = sold["f"] * w  # each term below, realised and in real sellers
        cost = sold["export_cost"] * f
        logistics = sold["logistics"] * f
        coastal = sold["coastal_logistics"] * f
        rev = sold["revenue"] * f
        row["logistics_cost_share"] = float(logistics.sum() / cost.sum())
        row["logistics_cost_share_coastal"] = float(
            coastal.sum() / (cost - logistics + coastal).sum())
        row["logistics_cost_per_revenue"] = float(logistics.sum() / rev.sum())
        belt = model.clusters.in_belt[sold["cell"]]
        outside = ~in_a_cluster(model.clusters.in_cluster, model.industry_clusters,
                                sold["cell"], sold["county"], sold["product"])
        for key, mask in (("logistics_per_revenue_belt", belt),
                          ("logistics_per_revenue_outside", outside)):
            rev_m = rev[mask].sum()
            row[key] = float(logistics[mask].sum() / rev_m) if rev_m > 0 else float("nan")
        orders = sold["orders"] * f
        # export transactions: the B2B consignments of firms and cooperatives (§4.2)
        row["export_transactions_month_real"] = float(
            orders[sold["b2b"]].sum() / MONTHS_PER_YEAR)
        row["delivery_days"] = float((sold["delivery_days"] * orders).sum() / orders.sum())
        row["collection_rate"] = float((sold["collected"] * rev).sum() / rev.sum())
        row["platform_order_share"] = float((sold["platform"] * orders).sum() / orders.sum())
        row["haul_km_sellers"] = float((sold["haul_km"] * w).sum() / w.sum())
        # who settles FX: the B2B entities, each firm once, each cooperative once (retail
        # sellers are paid through their platform)
        in_coop = sold["coop"] >= 0
        _, first = np.unique(sold["coop"][in_coop], return_index=True)
        alone = sold["b2b"] & ~in_coop
        travel = np.concatenate([sold["fx_travel"][alone], sold["fx_travel"][in_coop][first]])
        settlers = np.concatenate([w[alone],  # a cooperative agent: the real ones it stands for
                                   model.cooperatives.copies[sold["coop"][in_coop][first]]])
        travel_share = (float((travel * settlers).sum() / settlers.sum()) if len(settlers)
                        else float("nan"))
        row["fx_travel_share"] = travel_share
        p = model.params
        row["fx_cost_per_settlement_yuan"] = float(
            travel_share * p.fx_trip_cost_yuan + (1 - travel_share) * p.fx_local_cost_yuan)
        unsold = sold["last_unsold_month"] > model.month - 12
        row["unsold_share"] = float((unsold * w).sum() / w.sum())
        profit = (sold["profit_month"] * 12.0 + sold["reward_last"]) * w
        row["cbec_profit_per_seller_yuan"] = float(profit.sum() / w.sum())
        households = ~sold["firm"]
        row["cbec_income_per_household_yuan"] = float(
            profit[households].sum() / to_real(max(model.households.n, 1),
                                                model.params.household_scale))
        revenue_month = sold["revenue_month"] * w
        row["turnover_month_yuan"] = float(revenue_month.sum())
        mix = model.context.market_share[sold["product"]]
        for k, mk in enumerate(DEMAND_MARKETS):
            row[f"exports_{mk}_month_yuan"] = float((revenue_month * mix[:, k]).sum())
        line_turnover = np.bincount(sold["product"], weights=revenue_month,
                                    minlength=len(PRODUCTS))
        for k, name in enumerate(PRODUCTS):
            row[f"turnover_{name}_month_yuan"] = float(line_turnover[k])
            row[f"export_price_{name}"] = float(model.context.price[B2B, k])
            row[f"retail_price_{name}"] = float(model.context.price[RETAIL, k])

    def _county_panel(self, m: int, sellers: np.ndarray) -> None:
        model = self.model
        h = model.households
        nc = len(model.stations)
        a = model.month_sales.accounts
        turnover = np.zeros(nc)
        logistics = np.full(nc, np.nan)
        if a is not None and len(model.month_sales.sellers):
            c = h.county[model.month_sales.sellers]
            turnover = np.bincount(c, weights=a["revenue_month"], minlength=nc)
            log_c = np.bincount(c, weights=a["logistics"] * a["f"], minlength=nc)
            cost_c = np.bincount(c, weights=a["export_cost"] * a["f"], minlength=nc)
            logistics = np.divide(log_c, cost_c, out=np.full(nc, np.nan), where=cost_c > 0)
        self.panel.append({
            "month": np.full(nc, m),
            "sellers": np.bincount(h.county[sellers], minlength=nc),
            "coop_members": np.bincount(h.county[sellers[h.coop[sellers] >= 0]], minlength=nc),
            "turnover_month": turnover,
            "logistics_cost_share": logistics,
            "returnees": self._per_county(h.returnee),
            "subsidies_received": self._per_county(h.subsidies_received),
            "knowhow": model.knowhow.county.copy(),
            "full_service_station": np.array([s.full_service for s in model.stations]),
            "station_experienced_staff": np.array([s.experienced_staff for s in model.stations]),
            "hub_partner": model.logistics.county_has_partner.copy(),
        })

    def _per_county(self, values: np.ndarray) -> np.ndarray:
        """Sum of a household array per county (households are sorted by county)."""
        model = self.model
        if values.dtype == bool:  # counted, not summed
            return np.array([np.count_nonzero(values[a:b]) for a, b in zip(
                model.county_start.tolist(), model.county_stop.tolist(), strict=True)],
                dtype=float)
        out = np.zeros(len(model.stations))
        filled = model.county_stop > model.county_start
        out[filled] = np.add.reduceat(values, model.county_start[filled])
        return out

    # ---------------------------------------------------------------- frames
    def outcomes(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)

    def poles(self) -> pd.DataFrame:
        """One row per pole and month: ``month``, ``date``, ``pole``, ``county`` (index),
        ``county_code``, ``secondary``, ``since``, ``active``, ``strength``, ``knowhow``."""
        frame = pd.DataFrame(self.pole_history, columns=[
            "month", "pole", "county", "secondary", "since", "active", "strength", "knowhow"])
        months = frame["month"].to_numpy(dtype=int)
        dates = {m: self.start + pd.DateOffset(months=int(m) - 1) for m in np.unique(months)}
        frame.insert(1, "date", pd.to_datetime([dates[m] for m in months]))
        frame.insert(4, "county_code", self.county_codes[frame["county"].to_numpy(dtype=int)])
        return frame

    def counties(self) -> pd.DataFrame:
        """One row per county and month, with scale-free shares and province-equivalent sums."""
        model = self.model
        scale = model.params.household_scale
        h = model.households
        nc = len(model.stations)
        households = np.bincount(h.county, minlength=nc)
        # one column at a time: as pd.concat of one frame a month, in a fraction of the time
        frame = pd.DataFrame({key: np.concatenate([d[key] for d in self.panel])
                              for key in self.panel[0]})
        counties = model.world.counties
        reps = len(self.panel)
        frame.insert(1, "code", np.tile(self.county_codes, reps))
        frame.insert(2, "county", np.tile(counties["name_pinyin"].to_numpy(), reps))
        frame.insert(3, "prefecture", np.tile(counties["prefecture_pinyin"].to_numpy(), reps))
        frame["households"] = np.tile(households, reps)
        frame["adoption_share"] = np.divide(
            frame["sellers"], frame["households"],
            out=np.zeros(len(frame)), where=frame["households"].to_numpy() > 0)
        frame["sellers_real"] = to_real(frame["sellers"], scale)
        frame["turnover_month_yuan"] = to_real(frame.pop("turnover_month"), scale)
        frame["returnees_real"] = to_real(frame.pop("returnees"), scale)
        frame["subsidies_received_yuan"] = to_real(frame.pop("subsidies_received"), scale)
        frame["pole_km"] = np.tile(self.county_pole_km, reps)
        frame["core"] = np.tile(self.core_county, reps)
        frame["distance_band"] = pd.cut(frame["pole_km"], DISTANCE_BANDS, right=False,
                                        labels=DISTANCE_BAND_LABELS)
        return frame


def summarise_by(counties: pd.DataFrame, by: str) -> pd.DataFrame:
    """Aggregate the county panel by ``prefecture``, ``distance_band`` or ``core`` per month."""
    g = counties.groupby(["month", by], observed=True)
    out = g[["sellers", "households", "sellers_real", "turnover_month_yuan"]].sum()
    out["adoption_share"] = out["sellers"] / out["households"].where(out["households"] > 0)
    return out.reset_index()

