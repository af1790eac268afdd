"""Logistics hubs (§4.2, §5.2.2): village pickup points, county collection hubs, the provincial
hub at Guiyang and public overseas warehouses.

Together they set each seller's first-mile haul, trunk rate, international rate, delivery time
and returns. County hubs show economies of scale: the unit trunk cost falls as
``(volume / reference) ** -hub_scale_elasticity``.
"""

from __future__ import annotations

import mesa
import numpy as np

from model.parameters import Parameters
from model.scaling import to_real

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
# assumption: consolidated provincial volume moves the international rate within -10% .. +10%
PROVINCIAL_FACTOR_MIN, PROVINCIAL_FACTOR_MAX = 0.9, 1.1
PROVINCIAL_SCALE_ELASTICITY = 0.1


def hub_factor(real_orders: np.ndarray | float, p: Parameters) -> np.ndarray:
    """Unit trunk cost relative to nominal at a county hub handling ``real_orders`` a month
    (1:1): ``(orders / hub_reference_orders) ** -hub_scale_elasticity``, clipped."""
    real = np.maximum(np.asarray(real_orders, dtype=float), 1.0)
    factor = (real / p.hub_reference_orders) ** (-p.hub_scale_elasticity)
    return np.clip(factor, HUB_FACTOR_MIN, HUB_FACTOR_MAX)


def hub_scale_factor(orders_month: np.ndarray | float, p: Parameters) -> np.ndarray:
    """:func:`hub_factor` of county hubs with ``orders_month`` last month (model units)."""
    return hub_factor(to_real(np.asarray(orders_month, dtype=float), p.household_scale), p)


class LogisticsHub(mesa.Agent):
    """Common base: a node with a kind and last month's volume (orders, model units)."""

    kind = "hub"

    def __init__(self, model: mesa.Model) -> None:
        super().__init__(model)
        self.orders_month = 0.0
        self.orders_total = 0.0

    def record(self, orders: float) -> None:
        self.orders_month = float(orders)
        self.orders_total += float(orders)


class PickupPoint(LogisticsHub):
    """A CBEC pickup point in one administrative village (15% of villages at baseline)."""

    kind = "pickup_point"

    def __init__(self, model: mesa.Model, network: LogisticsNetwork, village: int,
                 cell: int) -> None:
        super().__init__(model)
        self.network = network
        self.village = village
        self.cell = cell

    @property
    def parcels_month(self) -> float:
        """Parcels handed in here last month (model units); read from the network's array."""
        return float(self.network.village_orders[self.village])


class CountyHub(LogisticsHub):
    """A county collection hub; with a logistics partner it consolidates county freight."""

    kind = "county_hub"

    def __init__(self, model: mesa.Model, county: int, has_partner: bool) -> None:
        super().__init__(model)
        self.county = county
        self.has_partner = has_partner

    def scale_factor(self, p: Parameters) -> float:
        """Unit trunk cost relative to nominal, from last month's volume (1:1 orders)."""
        return float(hub_scale_factor(self.orders_month, p))


class ProvincialHub(LogisticsHub):
    """The Guiyang hub: customs clearance, air to ASEAN, the western land-sea corridor rail."""

    kind = "provincial_hub"

    def __init__(self, model: mesa.Model, cell: int, n_counties: int) -> None:
        super().__init__(model)
        self.cell = cell
        self.n_counties = n_counties

    def scale_factor(self, p: Parameters) -> float:
        """International freight rate relative to nominal from last month's provincial volume
        (consolidated air and land-sea corridor rail), within
        :data:`PROVINCIAL_FACTOR_MIN` .. :data:`PROVINCIAL_FACTOR_MAX`."""
        reference = p.hub_reference_orders * self.n_counties
        real = max(to_real(self.orders_month, p.household_scale), 1.0)
        return float(np.clip((real / reference) ** (-PROVINCIAL_SCALE_ELASTICITY),
                             PROVINCIAL_FACTOR_MIN, PROVINCIAL_FACTOR_MAX))


class OverseasWarehouse(LogisticsHub):
    """A public overseas warehouse serving one market."""

    kind = "overseas_warehouse"

    def __init__(self, model: mesa.Model, city: str, market: int, baseline: bool) -> None:
        super().__init__(model)
        self.city = city
        self.market = market
        self.baseline = baseline


class LogisticsNetwork:
    """All hubs, plus the per-village and per-county arrays the household engine reads."""

    def __init__(self, model: mesa.Model, rng: np.random.Generator, village_cell: np.ndarray,
                 n_counties: int, guiyang_cell: int,
                 village_county: np.ndarray | None = None) -> None:
        """An empty network: its draws are made now, :meth:`configure` builds it.
        ``village_county``: each village's county (needed to configure some counties only)."""
        self.model = model  # the Mesa model the hub agents register with
        self.village_cell = village_cell
        self.village_county = village_county
        # One draw per village and per county, kept for the whole run: a village gets a point
        # when its draw is below the coverage, and the counties with the lowest draws get
        # partners, so a larger coverage keeps every earlier point (nested scenarios).
        self.village_draw = rng.random(len(village_cell))
        self.partner_rank = np.argsort(rng.random(n_counties), kind="stable")
        self.pickup_points: list[PickupPoint] = []
        self.village_has_point = np.zeros(len(village_cell), dtype=bool)
        self.county_has_partner = np.zeros(n_counties, dtype=bool)
        self.county_hubs = [CountyHub(model, c, False) for c in range(n_counties)]
        self.provincial_hub = ProvincialHub(model, guiyang_cell, n_counties)
        self.warehouses: list[OverseasWarehouse] = []
        self.warehouses_per_market = np.zeros(len(MARKETS))
        self.village_orders = np.zeros(len(village_cell))

    def configure(self, p: Parameters, counties: np.ndarray | None = None,
                  exact: bool = False) -> list[OverseasWarehouse]:
        """Build or change the network to the parameters ``p`` (at the start, when the policy
        takes effect, and when it is withdrawn). In ``counties`` (bool per county; None: all)
        pickup points and partners are added to ``p``'s (the villages with the lowest draws,
        the counties first in the partner rank), or, with ``exact``, set to them (points and
        partners beyond them close); other counties keep theirs. Warehouses are only ever
        added. Returns the warehouses built now beyond the baseline ones (the policy pays their
        construction subsidy)."""
        model = self.model
        in_scope = (np.ones(len(self.village_cell), dtype=bool) if counties is None
                    else counties[self.village_county])
        wanted = self.village_draw < p.pickup_coverage
        if not exact:
            wanted = wanted | self.village_has_point
        has_point = np.where(in_scope, wanted, self.village_has_point)
        for v in np.flatnonzero(has_point & ~self.village_has_point):
            self.pickup_points.append(PickupPoint(model, self, int(v),
                                                  int(self.village_cell[v])))
        closed = ~has_point & self.village_has_point
        if closed.any():
            for point in self.pickup_points:
                if closed[point.village]:
                    point.remove()
            self.pickup_points = [pt for pt in self.pickup_points if not closed[pt.village]]
        self.village_has_point = has_point
        partner = np.zeros(len(self.county_hubs), dtype=bool)
        partner[self.partner_rank[:p.hub_partner_counties]] = True
        if not exact:
            partner |= self.county_has_partner
        self.county_has_partner = (partner if counties is None
                                   else np.where(counties, partner, self.county_has_partner))
        for hub in self.county_hubs:
            hub.has_partner = bool(self.county_has_partner[hub.county])
        cities = {w.city for w in self.warehouses}
        built = []
        for key, (city, market) in WAREHOUSES.items():
            if getattr(p, key) and city not in cities:
                w = OverseasWarehouse(model, city, market, key in BASELINE_WAREHOUSES)
                self.warehouses.append(w)
                self.warehouses_per_market[market] += 1
                if not w.baseline:
                    built.append(w)
        return built

    def villages_per_county(self) -> np.ndarray:
        """Villages in each county (all in county 0 when the network was built without
        ``village_county``)."""
        if self.village_county is None:
            return np.array([len(self.village_cell)] + [0] * (len(self.county_hubs) - 1))
        return np.bincount(self.village_county, minlength=len(self.county_hubs))

    def points_at(self, coverage: float) -> int:
        """Pickup points the network would have at ``coverage`` (its villages' own draws)."""
        return int((self.village_draw < coverage).sum())

    def county_orders(self) -> np.ndarray:
        """Orders each county hub handled last month (model units), in county order."""
        return np.array([hub.orders_month for hub in self.county_hubs], dtype=float)

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

    def record_nothing(self) -> None:
        """A month without sellers."""
        self.record_month(np.zeros(len(self.county_hubs)), np.zeros(len(self.village_cell)),
                          np.zeros(len(MARKETS)))
