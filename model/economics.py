"""The CBEC margin: every cost and price term of §2.3, §3.3, §4.1, §4.2 and §5, vectorised.

:func:`annual_economics` returns, for a set of households, the expected yearly accounts of
selling cross-border (revenue, each cost, subsidies) and of the domestic alternative. The same
function prices a decision (expected values) and books a month of realised sales (scaled by the
realised revenue), so decisions and outcomes can never disagree about a term.

All money is yuan per year for the household (model agents are real households; only counts
scale with ``household_scale``). Products are indexed as in :data:`agents.farmers.PRODUCTS`;
markets as in :data:`model.demand.DEMAND_MARKETS` (ASEAN, EU, US, rest of the world; the
first three are the overseas-warehouse markets of :data:`agents.logistics.MARKETS`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from agents.farmers import CHILI, EMBROIDERY, MONTHS_PER_YEAR, SELLING, TEA, Households
from agents.logistics import HUB_FACTOR_MIN, hub_factor
from model.clusters import in_a_cluster
from model.demand import B2B, RETAIL, reference_price
from model.parameters import Parameters
from model.scaling import to_real

# assumption: parcel delivery days and international rate factor by market (ASEAN, EU, US,
# rest of the world): ASEAN closer, the US and the rest of the world farther
DIRECT_DAYS = np.array([7.0, 12.0, 12.0, 14.0])
DIRECT_RATE_FACTOR = np.array([0.9, 1.0, 1.05, 1.1])
BAD_DEBT_PART = 2.0 / 3.0  # share of credit_risk_rate that is bad debt (rest is FX loss)
CUSTOMS_BATCHES_PER_YEAR = 4.0  # assumption: quarterly consolidated declarations
TRADEMARK_MIN_REVENUE = 5e5  # assumption: only entities past 500,000 yuan register a mark
#: years of learning by doing after which a seller's volume stops growing (assumption: the
#: growth of ``p.sales_growth_per_year_in_business`` is capped by ``p.capacity_multiple`` anyway)
MAX_GROWTH_YEARS = 10.0
CUSTOMS_REMOTE_COST = 150.0  # assumption: broker at Guiyang, yuan per batch
CUSTOMS_LOCAL_COST = 30.0  # assumption: online filing or county agency, yuan per batch
#: assumption: a full-time job is 250 days of 8 hours
WORK_HOURS_PER_YEAR = 2000.0
#: a county's exports of a line count at most this share of what it can export in the sourcing
#: cost (the cost is 1 / (1 - share): at most 20 times the farm-gate cost)
MAX_SOURCING_USE = 0.95
#: :func:`may_reach` lets a household through unless its bound is this far below its hurdle
#: (per yuan of goods): room for the rounding of two computations, so no decision changes
CEILING_SLACK = 1e-9
UNSOLD_WRITE_DOWN = 0.5  # assumption: unsold goods are dumped at half value
ORDER_REFERENCE_REVENUE = 2e5  # own revenue (yuan/year) at which orders are order_value_yuan
# assumption: consolidation can cut first-mile cost per order by at most 25%, and a cell with
# almost no volume pays at most 25% more than nominal
DENSITY_FACTOR_MIN, DENSITY_FACTOR_MAX = 0.75, 1.25


def density_factor(real_orders: np.ndarray, p: Parameters) -> np.ndarray:
    """First-mile cost factor where ``real_orders`` (1:1, a month) leave a cell:
    ``(orders / density_reference_orders) ** -density_elasticity``, clipped."""
    return np.clip((np.maximum(real_orders, 1.0) / p.density_reference_orders)
                   ** (-p.density_elasticity), DENSITY_FACTOR_MIN, DENSITY_FACTOR_MAX)


def others_orders(total_model: np.ndarray, own_last: np.ndarray, scale: float) -> np.ndarray:
    """Everyone else's orders (1:1) in a place whose total last month was ``total_model``
    (model units) of which ``own_last`` were the household's own: the others are a sample of
    agents, each standing for ``1/scale`` households; the household itself counts once, at
    every scale."""
    return to_real(np.maximum(total_model - own_last, 0.0), scale)


@dataclass
class MarketContext:
    """Per-month conditions the margin depends on, from stations, hubs, clusters and policy.

    County arrays have one entry per county, cell arrays one per cell, village arrays one per
    village; product arrays have 4 entries.
    """

    fx_help: np.ndarray          # county: probability a seller gets local FX help
    customs_local: np.ndarray    # county: probability customs is handled locally
    guiyang_local: np.ndarray    # county: in Guiyang's urban districts, so FX needs no trip
    info_station: np.ndarray     # county: market-information access from the station
    takeup: np.ndarray           # county: chance an eligible entity completes an application
    partner: np.ndarray          # county: hub has a logistics partner
    county_orders: np.ndarray    # county: orders its hub handled last month (model units)
    platform_use: np.ndarray     # county: share of orders filed through the provincial platform
    haul_km: np.ndarray          # cell: road km from the cell to the county seat
    local_orders: np.ndarray     # cell: orders a cell sent last month, averaged over its 3x3
                                 # window (model units)
    window_cells: np.ndarray     # cell: in-province cells in its 3x3 window
    in_cluster: np.ndarray       # cell: bool
    industry_cluster: np.ndarray  # (county, product): bool, a county industrial cluster
    belt_centre: np.ndarray      # cell: bool, a funded belt shipping centre is in reach
    knowhow: np.ndarray          # cell: know-how level
    has_point: np.ndarray        # village: bool, pickup point
    price: np.ndarray            # (channel, product): export price relative to the reference
                                 # (the clearing of foreign demand, model.demand)
    market_share: np.ndarray     # (product, market): where each line's goods go
    intl_rate: np.ndarray        # product: international freight share of value
    warehouse_share: np.ndarray  # product: share of orders through an overseas warehouse
    warehouse_share_market: np.ndarray  # market: share of its orders through its warehouses
    intl_days: np.ndarray        # product: international delivery days
    asean_share: np.ndarray      # product: ASEAN share of sales
    county_goods: np.ndarray     # (county, product): CBEC goods of the last 12 months (1:1)
    county_capacity: np.ndarray  # (county, product): what the county can export a year (1:1)
    subsidy_ratio: dict[str, float]  # instrument: share of claims its budget line pays
                                     # (what claimants expect, model.budgets)
    month: int
    # (Parameters, tables) of :func:`market_tables`, kept for the month. Setting a field anew
    # drops them; change a context by replacing fields, never by editing its arrays (or the
    # subsidy_ratio dict) in place.
    tables: tuple[Parameters, dict[str, np.ndarray]] | None = field(
        default=None, init=False, repr=False, compare=False)

    def __setattr__(self, name: str, value: object) -> None:
        if name != "tables":
            object.__setattr__(self, "tables", None)
        object.__setattr__(self, name, value)


def product_logistics(p: Parameters, warehouses_per_market: np.ndarray,
                      market_share: np.ndarray, provincial_factor: float = 1.0
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """International rate, warehouse share and delivery days per product line, and the
    warehouse share per market.

    A market with two public warehouses (ASEAN at baseline) takes ``warehouse_use_share`` of
    its orders through them; a market with one, three quarters of that (assumption: one city
    covers less of the market); the rest of the world has none. ``market_share`` (line x
    market) weighs the markets; ``provincial_factor`` is the Guiyang hub's volume economy.
    """
    n = np.zeros(len(DIRECT_DAYS))
    n[:len(warehouses_per_market)] = warehouses_per_market
    w = p.warehouse_use_share * np.minimum(1.5 * n / (n + 1.0), 1.0)  # per market
    flights = 1.0 - np.array([min(0.5, 0.33 * p.flight_increase), 0.0, 0.0, 0.0])
    direct_rate = p.international_direct_rate * DIRECT_RATE_FACTOR * flights * provincial_factor
    rate_m = (w * p.international_warehouse_rate * provincial_factor
              + (1 - w) * direct_rate)
    direct_days = DIRECT_DAYS * (1.0 - np.array([min(0.5, 0.5 * p.flight_increase), 0, 0, 0]))
    days_m = w * direct_days * (1 - p.warehouse_speedup) + (1 - w) * direct_days
    return (market_share @ rate_m, market_share @ w, market_share @ days_m,
            w[:len(warehouses_per_market)])


def export_price(p: Parameters, ctx: MarketContext) -> np.ndarray:
    """Export price per product line, per yuan of goods at domestic wholesale value: the
    reference price times the clearing price of foreign demand (:mod:`model.demand`)."""
    return reference_price(p) * ctx.price


def sourcing_factor(county_goods: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Cost of goods relative to the farm-gate cost: ``1 / (1 - u)`` with ``u`` = a county's
    CBEC goods of a line (a year, 1:1, domestic value) over what it can export of it
    (``capacity``: ``p.export_grade_share`` of its output), at most :data:`MAX_SOURCING_USE`."""
    with np.errstate(over="ignore"):  # a tiny capacity gives inf, which the cap takes
        use = np.divide(county_goods, capacity, out=np.full(np.shape(county_goods),
                                                             MAX_SOURCING_USE),
                        where=capacity > 0)
    return 1.0 / (1.0 - np.minimum(use, MAX_SOURCING_USE))


def product_table(p: Parameters, name: str) -> np.ndarray:
    """Per-product values of a parameter family, e.g. ``premium`` or ``loss``."""
    return np.array([getattr(p, f"{name}_{k}") for k in ("tea", "chili", "embroidery", "other")])


def market_tables(p: Parameters, ctx: MarketContext) -> dict[str, np.ndarray]:
    """The parts of the margin that depend only on a household's product line, county or cell,
    computed once per month (kept on ``ctx`` for ``p``) so that :func:`annual_economics` does
    one look-up per term instead of the arithmetic per household.

    Product arrays (4): ``revenue_factor`` (sale price per yuan of goods), ``loss_rate`` (before
    co-op quality control), ``certification`` (yuan/year for the entity). County arrays (88):
    ``fx_help``, ``fx`` (yuan/year), ``info``; ``platform`` and ``customs``
    (yuan/year for the entity) are (2, 88): row 0 direct sellers, row 1 co-op members. Cell
    arrays: ``haul_km`` without a pickup point, first-mile cost per order (yuan, before the
    density economy) without (``first_mile``) and with (``first_mile_point``, one number) a
    pickup point, ``acquisition_inside``
    (cost share factor in a cluster; ``acquisition_outside`` is one number). The floors of
    :func:`may_reach`'s screen are added by :func:`_screen_tables`.
    """
    if ctx.tables is not None and ctx.tables[0] is p:
        return ctx.tables[1]
    t: dict[str, np.ndarray] = {}
    # product lines
    t["revenue_factor"] = export_price(p, ctx)
    t["loss_rate"] = product_table(p, "loss") * (1.0 - p.warehouse_return_cut
                                                 * ctx.warehouse_share)
    specialty = np.zeros(4, dtype=bool)
    specialty[[TEA, CHILI]] = True
    t["certification"] = np.where(specialty, p.certification_cost_yuan,
                                  0.25 * p.certification_cost_yuan)
    # counties (the trunk rate before the hub's volume economy is one number)
    t["wage_per_hour"] = np.asarray(p.migrant_wage_yuan_per_month * MONTHS_PER_YEAR
                                    / WORK_HOURS_PER_YEAR)
    t["trunk_rate"] = np.asarray(p.coastal_trunk_rate * (1.0 + p.inland_logistics_premium))
    fx_help = np.maximum(ctx.fx_help, ctx.guiyang_local)
    t["fx_help"] = fx_help
    t["fx"] = p.fx_settlements_per_year * (fx_help * p.fx_local_cost_yuan
                                           + (1 - fx_help) * p.fx_trip_cost_yuan)
    platform = np.clip(ctx.platform_use[None, :] + np.array([[0.0], [0.2]]), 0.0, 1.0)
    t["platform"] = platform
    local_customs = np.maximum(ctx.customs_local[None, :], platform)
    waiting = p.customs_clearance_hours * p.time_value_yuan_per_hour
    t["customs"] = CUSTOMS_BATCHES_PER_YEAR * (
        local_customs * (CUSTOMS_LOCAL_COST + 0.25 * waiting)
        + (1 - local_customs) * (CUSTOMS_REMOTE_COST + waiting))
    t["info"] = p.market_info_share + ctx.info_station + 0.3 * p.professional_services
    # cells: a funded belt shipping centre brings the haul down to a pickup point's
    haul = np.where(ctx.belt_centre, np.minimum(ctx.haul_km, p.pickup_point_haul_km),
                    ctx.haul_km)
    t["haul_km"] = haul
    t["first_mile"] = p.first_mile_cost_per_km * haul
    t["first_mile_point"] = np.asarray(p.first_mile_cost_per_km * p.pickup_point_haul_km)
    services = 0.85 if p.professional_services else 1.0
    t["acquisition_inside"] = (1.0 - p.belt_marketing_cut * ctx.belt_centre) * services
    t["acquisition_outside"] = np.asarray((1.0 + p.outside_cluster_acquisition_premium)
                                          * services)
    _screen_tables(p, ctx, t)
    ctx.tables = (p, t)
    return t


def _breakage_insurance(p: Parameters, ration: dict[str, float]) -> tuple[float, float]:
    """The share of the breakage premium the budget pays and what an insured yuan of losses
    costs, ``(1 + loading) x (1 - that share)``: fragile goods are insured when it is below 1."""
    breakage_share = p.breakage_insurance_subsidy_share * ration["breakage_insurance"]
    return breakage_share, (1.0 + p.insurance_loading) * (1.0 - breakage_share)


def _credit_rates(p: Parameters, ration: dict[str, float]
                  ) -> tuple[float, float, float, float]:
    """Export credit and FX risk (§5.1.1): the share of bad debt compensated, the share of the
    premium subsidised, and the cost per yuan of risk uninsured and insured."""
    compensation = p.bad_debt_compensation_share * ration["credit_insurance"]
    credit_share = p.credit_insurance_subsidy_share * ration["credit_insurance"]
    return (compensation, credit_share, 1.0 - compensation * BAD_DEBT_PART,
            (1 + p.insurance_loading) * (1 - credit_share))


def _origin_cost(p: Parameters, ration: dict[str, float]) -> float:
    """What an RCEP certificate of origin costs the seller (yuan), net of the fee subsidy."""
    return p.origin_certificate_cost_yuan * (
        1.0 - ration["rcep_origin"] if p.rcep_origin_fee_subsidy else 1.0)


def _order_value(revenue: np.ndarray, b2b: np.ndarray, p: Parameters) -> np.ndarray:
    """Yuan per order: a B2B consignment or a retail parcel, larger for larger sellers."""
    return np.where(b2b, p.entity_order_value_yuan, p.order_value_yuan) * np.clip(
        np.sqrt(revenue / ORDER_REFERENCE_REVENUE), 0.5, 20.0)


def _first_mile_per_order(p: Parameters, t: dict[str, np.ndarray], cell: np.ndarray,
                          has_point: np.ndarray, in_coop: np.ndarray | bool,
                          density: np.ndarray | float) -> np.ndarray:
    """First-mile cost of an order (yuan): the haul to a pickup point or the county seat, times
    the cell's ``density`` factor, less what a cooperative saves by consolidating."""
    per_order = np.where(has_point, t["first_mile_point"], t["first_mile"][cell]) * density
    if np.any(in_coop):
        per_order = per_order * np.where(in_coop, 1.0 - p.coop_consolidation, 1.0)
    return per_order


def _unsold_probability(p: Parameters, t: dict[str, np.ndarray], county: np.ndarray,
                        in_cluster: np.ndarray, in_coop: np.ndarray | bool,
                        skill: np.ndarray) -> np.ndarray:
    """Chance a year of goods left unsold for lack of market information (§4.2): the county's
    information, more in a cluster and in a cooperative, and the seller's skill."""
    info = t["info"][county] + 0.1 * in_cluster
    if np.any(in_coop):
        info = info + 0.25 * in_coop
    info = np.clip(info, 0.0, 0.95)
    return np.clip(p.unsold_probability_no_info * (1 - info) * (1.2 - 0.4 * skill), 0, 1)


def _sourcing(h: Households, idx: np.ndarray, ctx: MarketContext, p: Parameters,
              county: np.ndarray, prod: np.ndarray, value: np.ndarray) -> np.ndarray:
    """:func:`sourcing_factor` of agents ``idx`` shipping ``value`` a year: a newcomer counts
    its own goods on top of those its county already exports of the line."""
    county_goods = ctx.county_goods[county, prod] + np.where(
        h.status[idx] == SELLING, 0.0, to_real(value * h.weight, p.household_scale))
    return sourcing_factor(county_goods, ctx.county_capacity[county, prod])


def _screen_tables(p: Parameters, ctx: MarketContext, t: dict[str, np.ndarray]) -> None:
    """The floors :func:`may_reach` prices with: ``per_revenue_floor`` (3 kinds of seller x 4
    lines: 0 retail on its own, 1 B2B on its own, 2 cooperative member), ``per_entity_floor``
    (4 lines x 2: selling retail, selling B2B or in a cooperative; yuan a year, before the
    cooperative's members share it), ``acquisition_floor`` (the cheapest acquisition factor
    anywhere), ``value_floor`` (per yuan of goods), ``sourcing_floor`` (county x line: the
    sourcing factor less 1 at the county's exports so far), ``rcep_rate`` and ``origin_cost``.
    They read
    ``ctx.subsidy_ratio``, so a context's budgets are replaced, never edited in place."""
    ration = ctx.subsidy_ratio
    t["rcep_rate"] = ctx.asean_share * p.rcep_tariff_saving
    t["origin_cost"] = np.asarray(_origin_cost(p, ration))
    # freight (trunk at the hub economy's floor, international), net of the freight subsidy
    freight = ((t["trunk_rate"] * HUB_FACTOR_MIN + ctx.intl_rate)
               * max(1.0 - p.small_order_freight_subsidy_share * ration["small_order_freight"],
                     0.0))
    loss = t["loss_rate"] * min(_breakage_insurance(p, ration)[1], 1.0)
    credit = p.credit_risk_rate * min(_credit_rates(p, ration)[2:])
    t["per_revenue_floor"] = np.stack([
        freight + loss + credit + p.platform_payment_fee_share,
        freight + loss + credit,
        freight + loss * (1.0 - p.coop_loss_reduction) + credit + p.coop_fee_share])
    t["acquisition_floor"] = np.asarray(min(float(t["acquisition_inside"].min(initial=np.inf)),
                                            float(t["acquisition_outside"])))
    # per entity, shared in a cooperative: certification net of its subsidy, the shop's
    # hours, FX and customs at the cheapest county for B2B sellers
    entity = (t["certification"] * (1.0 - p.certification_subsidy_share
                                    * ration["certification"])
              + t["wage_per_hour"] * p.shop_hours_per_year)
    t["per_entity_floor"] = np.stack([entity, entity + t["fx"].min() + t["customs"].min()],
                                     axis=1)
    # per yuan of goods: production at the farm-gate cost plus the domestic channel's gain
    # forgone, (1 - production) - (1 - production - domestic channel costs)
    t["value_floor"] = np.asarray(1.0 - p.domestic_channel_cost_share)
    # (county, line): what sourcing costs over the farm-gate cost, before a newcomer's own goods
    t["sourcing_floor"] = sourcing_factor(ctx.county_goods, ctx.county_capacity) - 1.0


def annual_economics(h: Households, idx: np.ndarray, ctx: MarketContext, p: Parameters,
                     skill: np.ndarray, coop_members: np.ndarray, annual_sales: np.ndarray,
                     expected_reward_rate: np.ndarray, years_in_business: np.ndarray,
                     full: bool = True, registered: np.ndarray | bool = False,
                     b2b: np.ndarray | bool = False
                     ) -> dict[str, np.ndarray]:
    """Yearly accounts of households ``idx`` if they sell cross-border.

    Args:
        skill: effective skill of each household in ``idx``.
        coop_members: members of the household's cooperative (0 = sells directly).
        annual_sales: goods shipped, yuan/year at domestic wholesale value.
        expected_reward_rate: turnover subsidy the household expects, share of revenue.
        years_in_business: years since registration (for returnee start-up support).
        registered: per agent (or for all), a registered entity (a firm, a returnee's
            registered business) that can claim the turnover reward when selling alone.
        b2b: per agent (or for all), selling B2B consignments (a firm; a cooperative member is
            B2B anyway): it settles FX and declares exports itself; the others sell retail
            parcels through platforms.
        full: False for a decision, which needs only ``revenue``, ``profit`` and ``gain_rate``
            (the terms that only report -- delivery days, the coastal comparison, the cost
            base, fiscal terms that do not change the household's profit -- are skipped).

    Returns a dict of arrays in yuan/year (``gain_rate`` per yuan of goods; ``delivery_days``
    in days; ``collected`` and ``platform`` as shares), including the fiscal cost of each
    instrument the household uses (``fiscal_*``).
    """
    t = market_tables(p, ctx)
    # the share of each instrument's claims its budget line has been paying (model.budgets)
    ration = ctx.subsidy_ratio
    # look-up indices as intp once (numpy would convert int8/int16/int32 at every look-up)
    prod = h.product[idx].astype(np.intp)
    cell = h.cell[idx].astype(np.intp)
    county = h.county[idx].astype(np.intp)
    coop_members = np.asarray(coop_members, dtype=float)
    in_coop = coop_members > 0
    any_coop = bool(in_coop.any())
    n_share = np.maximum(coop_members, 1.0)
    value = np.asarray(annual_sales, dtype=float)
    # Firms and cooperatives sell B2B: they ship consignments, settle FX and file export
    # declarations themselves; a household selling on its own sells retail parcels through a
    # platform, is paid through the platform's payment service and its parcels clear under the
    # platform's consolidated declarations. Entities (B2B sellers and registered returnee
    # businesses) can claim the turnover reward.
    b2b = in_coop | b2b
    entity = b2b | registered
    channel = np.where(b2b, B2B, RETAIL)
    revenue = value * t["revenue_factor"][channel, prod]
    order_value = _order_value(revenue, b2b, p)
    orders = revenue / order_value

    # --- logistics: first mile, trunk, international (§3.3.1, §4.2, §5.2.2)
    # volume economies see the household's own orders this month plus everyone else's last
    # month, so a lone seller is a lone seller at every household_scale
    own = orders / 12.0
    own_last = h.orders_last[idx]
    density = density_factor(own + others_orders(ctx.local_orders[cell],
                                                  own_last / ctx.window_cells[cell],
                                                  p.household_scale), p)
    has_point = ctx.has_point[h.village[idx].astype(np.intp)]
    fm_per_order = _first_mile_per_order(p, t, cell, has_point, in_coop, density)
    first_mile = orders * fm_per_order
    partner = ctx.partner[county]
    collected = np.where(partner, np.where(has_point | in_coop, 1.0, p.hub_use_without_point),
                         0.0)
    hub = hub_factor(own * collected + others_orders(ctx.county_orders[county],
                                                     own_last * collected, p.household_scale), p)
    trunk = revenue * (t["trunk_rate"] * hub + p.no_partner_penalty * (1.0 - collected))
    international = revenue * ctx.intl_rate[prod]
    logistics = first_mile + trunk + international
    small = order_value < p.small_order_limit_yuan
    fiscal_freight = np.where(small, p.small_order_freight_subsidy_share
                              * ration["small_order_freight"] * (trunk + international), 0.0)
    fiscal_parcel = np.where(has_point, np.minimum(p.parcel_subsidy_yuan, fm_per_order)
                             * ration["parcel"], 0.0)
    fiscal_parcel = fiscal_parcel * orders

    # --- losses and breakage (§4.1), with co-op quality control and warehouse returns (§4.2)
    loss_rate = t["loss_rate"][prod]
    if any_coop:
        loss_rate = loss_rate * np.where(in_coop, 1 - p.coop_loss_reduction, 1)
    loss = revenue * loss_rate
    breakage_share, insured = _breakage_insurance(p, ration)
    if insured < 1.0:
        insure = prod == EMBROIDERY
        loss_cost = np.where(insure, loss * insured, loss)
    else:
        insure = np.zeros(len(prod), dtype=bool)
        loss_cost = loss

    # --- unsold risk without market information (§4.2)
    in_cluster = in_a_cluster(ctx.in_cluster, ctx.industry_cluster, cell, county, prod)
    unsold_prob = _unsold_probability(p, t, county, in_cluster, in_coop, skill)
    unsold = unsold_prob * (p.unsold_fraction * UNSOLD_WRITE_DOWN) * revenue

    # --- customer acquisition (+30% outside clusters, §3.3.3)
    acquisition_factor = np.where(in_cluster, t["acquisition_inside"][cell],
                                  t["acquisition_outside"])
    acquisition = revenue * (p.acquisition_cost_share * (1.5 - skill) * acquisition_factor)

    # --- certification and trademark (§5.1.1), shared inside a cooperative
    cert_full = t["certification"][prod] / n_share
    fiscal_cert = cert_full * p.certification_subsidy_share * ration["certification"]
    registers = revenue * n_share >= TRADEMARK_MIN_REVENUE  # the entity's revenue
    tm_full = np.where(registers, p.trademark_cost_yuan / 5.0 / n_share, 0.0)
    fiscal_tm = np.minimum(p.trademark_subsidy_yuan / 5.0 / n_share, tm_full) * ration[
        "trademark"]
    certification = cert_full - fiscal_cert + tm_full - fiscal_tm

    # --- FX settlement (§4.2, §5.2.1) and customs; a co-op's leader settles for all members
    coop_row = in_coop.astype(np.intp)
    if b2b.all():
        fx = t["fx"][county] / n_share
        customs = t["customs"][coop_row, county] / n_share
        payment_fee = np.zeros(len(revenue))
    else:
        fx = np.where(b2b, t["fx"][county] / n_share, 0.0)
        customs = np.where(b2b, t["customs"][coop_row, county] / n_share, 0.0)
        payment_fee = np.where(b2b, 0.0, p.platform_payment_fee_share * revenue)

    # --- export credit and FX risk (§5.1.1): insure when the subsidised premium is cheaper
    risk = revenue * p.credit_risk_rate
    compensation, credit_share, uninsured_rate, premium_rate = _credit_rates(p, ration)
    insure_credit = premium_rate < uninsured_rate
    credit = risk * min(uninsured_rate, premium_rate)

    # --- RCEP certificate of origin (§5.1.3)
    asean_revenue = revenue * ctx.asean_share[prod]
    origin_cost = _origin_cost(p, ration)
    tariff_saved = asean_revenue * p.rcep_tariff_saving
    use_origin = tariff_saved > origin_cost
    rcep_gain = np.where(use_origin, tariff_saved - origin_cost, 0.0)

    # --- fixed costs; returnee start-up support (§5.1.2): rent waived 2 years, 50% utilities
    is_entrepreneur = h.entrepreneur[idx]
    if is_entrepreneur.any():
        start_costs = np.where(is_entrepreneur, p.startup_rent_yuan + p.startup_utilities_yuan,
                               0.0)
        supported = is_entrepreneur & (years_in_business < 2.0) & p.returnee_startup_support
        fiscal_startup = np.where(supported, (p.startup_rent_yuan
                                              + 0.5 * p.startup_utilities_yuan)
                                  * ration["startup_support"], 0.0)
        fixed = p.fixed_cost_yuan + start_costs - fiscal_startup
    else:
        fiscal_startup = np.zeros(len(revenue))
        fixed = np.full(len(revenue), float(p.fixed_cost_yuan))

    coop_fee = (np.where(in_coop, p.coop_fee_share * revenue, 0.0) if any_coop
                else np.zeros(len(revenue)))
    # goods cost more to source as a county's exports of a line approach what it can export;
    # a newcomer counts its own goods on top of those already exported there
    production = value * p.production_cost_share * _sourcing(h, idx, ctx, p, county, prod,
                                                              value)
    # the labour the business takes, valued at the wage of migrant work (§2.3): an
    # opportunity cost, in the profit and the decision, not in the export cost base
    labour = t["wage_per_hour"] * (p.shop_hours_per_year / n_share + orders * p.hours_per_order)
    reward = revenue * expected_reward_rate

    profit = (revenue + rcep_gain + reward - production - (logistics - fiscal_freight
              - fiscal_parcel) - loss_cost - unsold - acquisition - certification - fx - customs
              - credit - fixed - coop_fee - labour - payment_fee)
    domestic = value * (1.0 - p.production_cost_share - p.domestic_channel_cost_share)
    gain_rate = (profit - domestic) / np.maximum(value, 1.0)
    if not full:
        return {"revenue": revenue, "profit": profit, "gain_rate": gain_rate}

    # --- reporting only
    # the same seller on the coast: coastal trunk, a short first mile, no retail-express
    # penalty, and an international leg without the inland premium (§3.3.1, §4.2)
    coastal_logistics = revenue * (p.coastal_trunk_rate + ctx.intl_rate[prod]
                                   / (1.0 + p.inland_logistics_premium)) + orders * (
        p.first_mile_cost_per_km * p.pickup_point_haul_km)
    fiscal_breakage = np.where(insure, loss * (1 + p.insurance_loading)
                               * breakage_share, 0.0)
    fiscal_credit = risk * (
        (1 + p.insurance_loading) * credit_share if insure_credit
        else compensation * BAD_DEBT_PART)
    fiscal_rcep = np.where(use_origin & p.rcep_origin_fee_subsidy,
                           p.origin_certificate_cost_yuan * ration["rcep_origin"], 0.0)
    export_cost = (production + logistics + loss + acquisition + cert_full + tm_full + fx
                   + customs + risk + fixed + coop_fee + payment_fee)
    haul = np.where(has_point, p.pickup_point_haul_km, t["haul_km"][cell])
    # delivery time (days): first mile, trunk to Guiyang, clearance, international
    first_mile_days = np.where(has_point, 0.5, 1.0 + haul / 60.0)
    trunk_days = np.where(partner, 1.0, 2.0)
    clearance = p.customs_clearance_hours / 8.0
    clearance_days = np.where(p.county_clearance & partner, clearance, clearance + 0.5)
    delivery_days = first_mile_days + trunk_days + clearance_days + ctx.intl_days[prod]

    return {
        "revenue": revenue, "value": value, "orders": orders, "production": production,
        "first_mile": first_mile, "trunk": trunk, "international": international,
        "logistics": logistics, "coastal_logistics": coastal_logistics, "loss": loss_cost,
        "unsold": unsold, "unsold_prob": unsold_prob, "acquisition": acquisition,
        "certification": certification, "fx": fx, "fx_travel": 1.0 - t["fx_help"][county],
        "customs": customs, "credit": credit, "fixed": fixed, "coop_fee": coop_fee,
        "labour": labour, "payment_fee": payment_fee, "entity": entity, "b2b": b2b,
        "rcep_gain": rcep_gain, "reward": reward, "export_cost": export_cost, "profit": profit,
        "domestic": domestic, "gain_rate": gain_rate,
        "collected": collected, "platform": t["platform"][coop_row, county],
        "delivery_days": delivery_days, "haul_km": haul, "asean_revenue": asean_revenue,
        "fiscal_small_order_freight": fiscal_freight, "fiscal_parcel": fiscal_parcel,
        "fiscal_breakage_insurance": fiscal_breakage, "fiscal_certification": fiscal_cert,
        "fiscal_trademark": fiscal_tm, "fiscal_credit_insurance": fiscal_credit,
        "fiscal_rcep_origin": fiscal_rcep, "fiscal_startup_support": fiscal_startup,
    }


def may_reach(h: Households, idx: np.ndarray, ctx: MarketContext, p: Parameters,
              skill: np.ndarray, coop_members: np.ndarray, annual_sales: np.ndarray,
              expected_reward_rate: np.ndarray, need: np.ndarray,
              b2b: np.ndarray | bool = False) -> np.ndarray:
    """Positions of households ``idx`` whose :func:`annual_economics` ``gain_rate`` (same
    arguments) may exceed ``need``: a cheap screen for decisions. It never drops a household
    whose gain exceeds ``need``; it keeps some whose gain does not (the caller prices those in
    full). It bounds the gain from above in two passes, each on the households the last one
    kept: first with income exactly (revenue, RCEP gain, reward) and the costs that are
    proportional to revenue, shared per entity or fixed, at their floor
    (:func:`_screen_tables`); then adding the costs that need a household's cell, village or
    county (its cluster's acquisition cost and market information, the first mile, the hours
    per order, sourcing at what its county exports already). The floors are generous: every
    seller gets the small-order freight subsidy, the breakage-insurance discount and (on the
    first mile, at the densest consolidation) the parcel subsidy whether or not it qualifies,
    the trunk at the hub economy's floor without the remote-county penalty, FX and customs at
    the cheapest county, sourcing without a newcomer's own goods, no trademark and no start-up
    costs. A household whose bound is :data:`CEILING_SLACK` below its hurdle would not sell
    whatever the rest comes to; the slack covers the rounding of the two computations."""
    t = market_tables(p, ctx)
    ration = ctx.subsidy_ratio
    prod = h.product[idx].astype(np.intp)
    coop_members = np.asarray(coop_members, dtype=float)
    # one kind of seller for all (a decision prices one way of selling): one row of each table
    in_coop = _same(coop_members > 0)
    b2b = _same(in_coop | np.asarray(b2b))
    kind = np.where(in_coop, 2, np.where(b2b, 1, 0))  # retail, B2B alone, cooperative
    value = np.asarray(annual_sales, dtype=float)
    revenue = value * _rows(t["revenue_factor"], np.where(b2b, B2B, RETAIL), prod)
    rcep_gain = np.maximum(revenue * t["rcep_rate"][prod] - t["origin_cost"], 0.0)
    n_share = np.maximum(coop_members, 1.0)
    acquisition_rate = p.acquisition_cost_share * (1.5 - skill)
    cost_floor = (revenue * (_rows(t["per_revenue_floor"], kind, prod) + acquisition_rate
                             * t["acquisition_floor"])
                  + _rows(t["per_entity_floor"].T, np.minimum(kind, 1), prod) / n_share
                  + value * t["value_floor"] + p.fixed_cost_yuan)
    profit = revenue * (1.0 + expected_reward_rate) + rcep_gain - cost_floor
    # the hurdle less the slack, per yuan of goods, as a profit over the domestic route
    threshold = (need - CEILING_SLACK) * np.maximum(value, 1.0)
    left = np.flatnonzero(profit > threshold)
    if len(left) == 0:
        return left
    # second pass: what the household's cell, village and county add to the floor
    i = idx[left]
    prod, revenue, value = prod[left], revenue[left], value[left]
    if np.ndim(in_coop):
        in_coop = in_coop[left]
    if np.ndim(b2b):
        b2b = b2b[left]
    cell = h.cell[i].astype(np.intp)
    county = h.county[i].astype(np.intp)
    in_cluster = in_a_cluster(ctx.in_cluster, ctx.industry_cluster, cell, county, prod)
    acquisition = acquisition_rate[left] * (np.where(
        in_cluster, t["acquisition_inside"][cell], t["acquisition_outside"])
        - t["acquisition_floor"])
    unsold = (_unsold_probability(p, t, county, in_cluster, in_coop, skill[left])
              * (p.unsold_fraction * UNSOLD_WRITE_DOWN))
    has_point = ctx.has_point[h.village[i].astype(np.intp)]
    first_mile = _first_mile_per_order(p, t, cell, has_point, in_coop, DENSITY_FACTOR_MIN)
    per_order = (np.maximum(first_mile - p.parcel_subsidy_yuan * ration["parcel"], 0.0)
                 + t["wage_per_hour"] * p.hours_per_order)
    sourcing = value * p.production_cost_share * t["sourcing_floor"][county, prod]
    profit = profit[left] - (revenue * (acquisition + unsold)
                             + revenue / _order_value(revenue, b2b, p) * per_order + sourcing)
    return left[profit > threshold[left]]


def _same(mask: np.ndarray) -> np.ndarray | bool:
    """``mask`` as one bool when all its entries agree, else as it is."""
    if mask.all():
        return True
    return mask if mask.any() else False


def _rows(table: np.ndarray, row: np.ndarray | int, col: np.ndarray) -> np.ndarray:
    """``table[row, col]``; one row taken first when ``row`` is one number (cheaper)."""
    if np.ndim(row) == 0:
        return table[int(row)][col]
    return table[row, col]


FISCAL_TERMS = ("small_order_freight", "parcel", "breakage_insurance", "certification",
                "trademark", "credit_insurance", "rcep_origin", "startup_support")


def hurdle(h: Households, idx: np.ndarray, p: Parameters) -> np.ndarray:
    """Gain per yuan of goods a household needs before it sells cross-border."""
    return p.hurdle_base + p.hurdle_risk * h.risk_aversion[idx]


# §4.1: the special fund rewards *enterprises* with a yearly CBEC turnover above 5M yuan; an
# entity's first turnover reward at or above this turnover marks it as an enterprise
# (``firm_month``, :func:`model.subsidies.pay_turnover_rewards`). The new-firm fact counts firms
# whose first sale came after January 2022 (:mod:`model.outcomes`).
FIRM_TURNOVER_YUAN = 5e6


def reward_rate(turnover: np.ndarray, p: Parameters) -> np.ndarray:
    """Turnover reward rate for entities at or above the subsidy threshold (§4.1, §5.1.1)."""
    t = np.asarray(turnover, dtype=float)
    rate = np.where(t >= p.reward_large_threshold_yuan, p.reward_rate_large,
                    np.where(t >= 2e6, p.reward_rate_standard, p.reward_rate_small))
    return np.where((t >= p.subsidy_min_turnover_yuan) & p.subsidies, rate, 0.0)


def annual_sales(h: Households, idx: np.ndarray, p: Parameters) -> np.ndarray:
    """Goods agents ``idx`` ship a year (yuan, domestic value), with learning by doing:
    ``sales_potential × min((1 + g)^years, capacity_multiple)``, ``years`` in business capped
    at :data:`MAX_GROWTH_YEARS`."""
    table = _volume_multiple(p.sales_growth_per_year_in_business, p.capacity_multiple)
    months = np.minimum(h.months_selling[idx], len(table) - 1)
    return h.sales_potential[idx] * table[months]


@functools.lru_cache(maxsize=8)
def _volume_multiple(growth_per_year: float, capacity_multiple: float) -> np.ndarray:
    """:func:`annual_sales`' multiple of the sales potential after 0, 1, ... months in
    business, up to :data:`MAX_GROWTH_YEARS` (a look-up instead of a power per household)."""
    months = np.arange(int(MAX_GROWTH_YEARS * MONTHS_PER_YEAR) + 1)
    years = np.clip(months / MONTHS_PER_YEAR, 0.0, MAX_GROWTH_YEARS)
    table = np.minimum((1.0 + growth_per_year) ** years, capacity_multiple)
    table.flags.writeable = False
    return table


def registered_business(h: Households, idx: np.ndarray, p: Parameters) -> np.ndarray:
    """Whether households ``idx`` run a registered business (an individual business,
    个体工商户, ODD §7.4): a returnee entrepreneur whose goods a year reach
    ``p.registration_min_sales_yuan``. Smaller returnee businesses, like other households,
    sell retail parcels through the platforms without registering; they are people, not
    entities."""
    registered = h.entrepreneur[idx]
    if registered.any():  # the sales of the few entrepreneurs only
        ent = np.flatnonzero(registered)
        registered[ent] = annual_sales(h, idx[ent], p) >= p.registration_min_sales_yuan
    return registered
