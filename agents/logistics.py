"""Logistics hubs (§4.2, §5.2.2): village pickup points, county collection hubs, the provincial
hub at Guiyang and public overseas warehouses.

Together they set each seller's first-mile haul, trunk rate, international rate, delivery time
and returns. County hubs show economies of scale: the unit trunk cost falls as
``(volume / reference) ** -hub_scale_elasticity``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from model.model import CBECModel
    from model.parameters import Parameters

MARKETS = ("asean", "eu", "us")
WAREHOUSES = {  # parameter switch -> (city, market index)
    "warehouse_hanoi": ("Hanoi", 0),
    "warehouse_bangkok": ("Bangkok", 0),
    "warehouse_us": ("Los Angeles", 2),
    "warehouse_germany": ("Frankfurt", 1),
}
BASELINE_WAREHOUSES = ("warehouse_hanoi", "warehouse_bangkok")
# assumption: hub volume moves the unit trunk cost within -15% .. +15% of nominal
HUB_FACTOR_MIN, HUB_FACTOR_MAX = 0.85, 1.15


def hub_scale_factor(orders_month: np.ndarray | float, p: Parameters) -> np.ndarray:
    """Unit trunk cost relative to nominal for county hubs with ``orders_month`` last month
    (model units): ``(1:1 orders / hub_reference_orders) ** -hub_scale_elasticity``, clipped."""
    real = np.maximum(np.asarray(orders_month, dtype=float) / p.household_scale, 1.0)
    factor = (real / p.hub_reference_orders) ** (-p.hub_scale_elasticity)
    return np.clip(factor, HUB_FACTOR_MIN, HUB_FACTOR_MAX)


class LogisticsHub(mesa.Agent):
    """Common base: a node with a kind and last month's volume (orders, model units)."""

    kind = "hub"

    def __init__(self, model: CBECModel) -> None:
        super().__init__(model)
        self.orders_month = 0.0
        self.orders_total = 0.0

    def record(self, orders: float) -> None:
        self.orders_month = float(orders)
        self.orders_total += float(orders)


class PickupPoint(LogisticsHub):
    """A CBEC pickup point in one administrative village (15% of villages at baseline)."""

    kind = "pickup_point"

    def __init__(self, model: CBECModel, village: int, cell: int) -> None:
        super().__init__(model)
        self.village = village
        self.cell = cell

    @property
    def parcels_month(self) -> float:
        """Parcels handed in here last month (model units); read from the network's array."""
        return float(self.model.logistics.village_orders[self.village])


class CountyHub(LogisticsHub):
    """A county collection hub; with a logistics partner it consolidates county freight."""

    kind = "county_hub"

    def __init__(self, model: CBECModel, county: int, has_partner: bool) -> None:
        super().__init__(model)
        self.county = county
        self.has_partner = has_partner

    def scale_factor(self) -> float:
        """Unit trunk cost relative to nominal, from last month's volume (1:1 orders)."""
        return float(hub_scale_factor(self.orders_month, self.model.params))


class ProvincialHub(LogisticsHub):
    """The Guiyang hub: customs clearance, air to ASEAN, the western land-sea corridor rail."""

    kind = "provincial_hub"

    def __init__(self, model: CBECModel, cell: int) -> None:
        super().__init__(model)
        self.cell = cell

    def scale_factor(self) -> float:
        """International freight rate relative to nominal from last month's provincial volume
        (consolidated air and land-sea corridor rail; assumption: within -10% .. +10%)."""
        p = self.model.params
        reference = p.hub_reference_orders * len(self.model.stations)
        real = max(self.orders_month / p.household_scale, 1.0)
        return float(np.clip((real / reference) ** (-0.1), 0.9, 1.1))

    @property
    def clearance_days(self) -> float:
        """Clearance time in days (a working day is 8 hours)."""
        return self.model.params.customs_clearance_hours / 8.0


class OverseasWarehouse(LogisticsHub):
    """A public overseas warehouse serving one market."""

    kind = "overseas_warehouse"

    def __init__(self, model: CBECModel, city: str, market: int, baseline: bool) -> None:
        super().__init__(model)
        self.city = city
        self.market = market
        self.baseline = baseline


class LogisticsNetwork:
    """All hubs, plus the per-village and per-county arrays the household engine reads."""

    def __init__(self, model: CBECModel, village_cell: np.ndarray) -> None:
        rng = model.rng
        self.model = model
        self.village_cell = village_cell
        n_counties = len(model.world.counties)
        # One draw per village and per county, kept for the whole run: a village gets a point
        # when its draw is below the coverage, and the counties with the lowest draws get
        # partners, so a larger coverage keeps every earlier point (nested scenarios).
        self.village_draw = rng.random(len(village_cell))
        self.partner_rank = np.argsort(rng.random(n_counties), kind="stable")
        self.pickup_points: list[PickupPoint] = []
        self.village_has_point = np.zeros(len(village_cell), dtype=bool)
        self.county_has_partner = np.zeros(n_counties, dtype=bool)
        self.county_hubs = [CountyHub(model, c, False) for c in range(n_counties)]
        self.provincial_hub = ProvincialHub(model, model.guiyang_cell)
        self.warehouses: list[OverseasWarehouse] = []
        self.warehouses_per_market = np.zeros(len(MARKETS))
        self.village_orders = np.zeros(len(village_cell))
        self.configure()

    def configure(self) -> None:
        """Build or extend the network to the current parameters (at the start, and again when
        the policy takes effect). Points, partners and warehouses are only ever added."""
        model = self.model
        p = model.params
        has_point = self.village_has_point | (self.village_draw < p.pickup_coverage)
        for v in np.flatnonzero(has_point & ~self.village_has_point):
            self.pickup_points.append(PickupPoint(model, int(v), int(self.village_cell[v])))
        self.village_has_point = has_point
        self.county_has_partner[self.partner_rank[:p.hub_partner_counties]] = True
        for hub in self.county_hubs:
            hub.has_partner = bool(self.county_has_partner[hub.county])
        cities = {w.city for w in self.warehouses}
        for key, (city, market) in WAREHOUSES.items():
            if getattr(p, key) and city not in cities:
                w = OverseasWarehouse(model, city, market, key in BASELINE_WAREHOUSES)
                self.warehouses.append(w)
                self.warehouses_per_market[market] += 1
                if not w.baseline:  # built now with the §4.1 construction subsidy
                    model.fiscal.add("warehouse_construction",
                                     min(p.warehouse_subsidy_share * p.warehouse_investment_yuan,
                                         p.warehouse_subsidy_cap_yuan))
        # points and partners beyond the 2022 network (15%, 35 counties) are a public cost
        baseline_points = int((self.village_draw < 0.15).sum())
        self.n_extra_points = max(int(self.village_has_point.sum()) - baseline_points, 0)
        self.n_extra_partners = max(int(self.county_has_partner.sum()) - 35, 0)

    def county_scale_factors(self) -> np.ndarray:
        """:meth:`CountyHub.scale_factor` of every county hub, in county order."""
        orders = np.array([hub.orders_month for hub in self.county_hubs], dtype=float)
        return hub_scale_factor(orders, self.model.params)

    def record_month(self, county_orders: np.ndarray, village_orders: np.ndarray,
                     market_orders: np.ndarray) -> None:
        """Book last month's volumes on the hubs (model units)."""
        for hub, orders in zip(self.county_hubs, county_orders, strict=True):
            hub.record(orders)
        self.provincial_hub.record(float(county_orders.sum()))
        self.village_orders = village_orders  # pickup points read their volume from here
        for w in self.warehouses:
            sharing = sum(1 for o in self.warehouses if o.market == w.market)
            w.record(market_orders[w.market] / sharing)
