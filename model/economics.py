"""The CBEC margin: every cost and price term of §2.3, §3.3, §4.1, §4.2 and §5, vectorised.

:func:`annual_economics` returns, for a set of households, the expected yearly accounts of
selling cross-border (revenue, each cost, subsidies) and of the domestic alternative. The same
function prices a decision (expected values) and books a month of realised sales (scaled by the
realised revenue), so decisions and outcomes can never disagree about a term.

All money is yuan per year for the household (model agents are real households; only counts
scale with ``household_scale``). Products are indexed as in :data:`agents.farmers.PRODUCTS`;
markets as in :data:`agents.logistics.MARKETS` (ASEAN, EU, US).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from agents.farmers import CHILI, EMBROIDERY, TEA, Households
from agents.logistics import hub_factor
from model.clusters import in_a_cluster
from model.parameters import Parameters
from model.scaling import to_real

# Market mix of each product line (rows: tea, chili, embroidery, other; columns: ASEAN, EU, US).
# Assumption: Meitan tea goes to the EU/US (§2.3), chili mostly to ASEAN, embroidery through
# Etsy/Shopee to the US/EU (§2.3, §3.2).
MARKET_MIX = np.array([
    [0.30, 0.40, 0.30],
    [0.60, 0.20, 0.20],
    [0.15, 0.40, 0.45],
    [0.60, 0.20, 0.20],
])
DIRECT_DAYS = np.array([7.0, 12.0, 12.0])  # assumption: parcel delivery days by market
DIRECT_RATE_FACTOR = np.array([0.9, 1.0, 1.05])  # assumption: ASEAN closer, US farther
BAD_DEBT_PART = 2.0 / 3.0  # share of credit_risk_rate that is bad debt (rest is FX loss)
CUSTOMS_BATCHES_PER_YEAR = 4.0  # assumption: quarterly consolidated declarations
TRADEMARK_MIN_REVENUE = 5e5  # assumption: only entities past 500,000 yuan register a mark
CUSTOMS_REMOTE_COST = 150.0  # assumption: broker at Guiyang, yuan per batch
CUSTOMS_LOCAL_COST = 30.0  # assumption: online filing or county agency, yuan per batch
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
    demand: np.ndarray           # product: demand index (1 at start)
    intl_rate: np.ndarray        # product: international freight share of value
    warehouse_share: np.ndarray  # product: share of orders through an overseas warehouse
    warehouse_share_market: np.ndarray  # market: share of its orders through its warehouses
    intl_days: np.ndarray        # product: international delivery days
    asean_share: np.ndarray      # product: ASEAN share of sales
    premium_factor: np.ndarray   # product: share of the export premium foreign demand still pays
    month: int
    # (Parameters, tables) of :func:`market_tables`, kept for the month. Setting a field anew
    # drops them; change a context by replacing fields, never by editing its arrays in place.
    tables: tuple[Parameters, dict[str, np.ndarray]] | None = field(
        default=None, init=False, repr=False, compare=False)

    def __setattr__(self, name: str, value: object) -> None:
        if name != "tables":
            object.__setattr__(self, "tables", None)
        object.__setattr__(self, name, value)


def product_logistics(p: Parameters, warehouses_per_market: np.ndarray,
                      provincial_factor: float = 1.0
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """International rate, warehouse share and delivery days per product line, and the
    warehouse share per market.

    A market with two public warehouses (ASEAN at baseline) takes ``warehouse_use_share`` of
    its orders through them; a market with one, three quarters of that (assumption: one city
    covers less of the market). ``provincial_factor`` is the Guiyang hub's volume economy.
    """
    n = np.asarray(warehouses_per_market, dtype=float)
    w = p.warehouse_use_share * np.minimum(1.5 * n / (n + 1.0), 1.0)  # per market
    flights = 1.0 - np.array([min(0.5, 0.33 * p.flight_increase), 0.0, 0.0])
    direct_rate = p.international_direct_rate * DIRECT_RATE_FACTOR * flights * provincial_factor
    rate_m = (w * p.international_warehouse_rate * provincial_factor
              + (1 - w) * direct_rate)
    direct_days = DIRECT_DAYS * (1.0 - np.array([min(0.5, 0.5 * p.flight_increase), 0, 0]))
    days_m = w * direct_days * (1 - p.warehouse_speedup) + (1 - w) * direct_days
    return MARKET_MIX @ rate_m, MARKET_MIX @ w, MARKET_MIX @ days_m, w


def export_premium(p: Parameters, ctx: MarketContext) -> np.ndarray:
    """Export premium per product line after saturation of foreign demand."""
    return product_table(p, "premium") * ctx.premium_factor


def premium_factor(p: Parameters, exports_real: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """Share of the export premium left when a product line's yearly exports (1:1 yuan) meet a
    foreign demand that grows with ``demand``: ``1 / (1 + exports / (saturation * demand))``;
    1 everywhere when ``export_saturation_yuan`` is 0 (saturation off).

    A level so small (a subnormal saturation, which may even underflow to 0 at low demand)
    that ``exports / level`` exceeds the largest float means the premium is gone: the ratio
    is infinite and the factor 0, the formula's limit, without an overflow warning. A line
    without exports keeps its whole premium (factor 1, never 0 / 0). Every finite ratio is
    computed as before, bit for bit."""
    if p.export_saturation_yuan <= 0:
        return np.ones(len(demand))
    exports = np.asarray(exports_real, dtype=float)
    level = p.export_saturation_yuan * demand
    with np.errstate(over="ignore", divide="ignore"):  # an infinite ratio is the right answer
        ratio = np.divide(exports, level, out=np.zeros(np.broadcast(exports, level).shape),
                          where=exports != 0)
    return 1.0 / (1.0 + ratio)


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
    (cost share factor in a cluster; ``acquisition_outside`` is one number).
    """
    if ctx.tables is not None and ctx.tables[0] is p:
        return ctx.tables[1]
    t: dict[str, np.ndarray] = {}
    # product lines
    premium = export_premium(p, ctx)
    t["revenue_factor"] = (1.0 + p.direct_sale_markup) * (1.0 + premium)
    t["loss_rate"] = product_table(p, "loss") * (1.0 - p.warehouse_return_cut
                                                 * ctx.warehouse_share)
    specialty = np.zeros(4, dtype=bool)
    specialty[[TEA, CHILI]] = True
    t["certification"] = np.where(specialty, p.certification_cost_yuan,
                                  0.25 * p.certification_cost_yuan)
    # counties (the trunk rate before the hub's volume economy is one number)
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
    ctx.tables = (p, t)
    return t


def annual_economics(h: Households, idx: np.ndarray, ctx: MarketContext, p: Parameters,
                     skill: np.ndarray, coop_members: np.ndarray, annual_sales: np.ndarray,
                     expected_reward_rate: np.ndarray, years_in_business: np.ndarray,
                     full: bool = True) -> dict[str, np.ndarray]:
    """Yearly accounts of households ``idx`` if they sell cross-border.

    Args:
        skill: effective skill of each household in ``idx``.
        coop_members: members of the household's cooperative (0 = sells directly).
        annual_sales: goods shipped, yuan/year at domestic wholesale value.
        expected_reward_rate: turnover subsidy the household expects, share of revenue.
        years_in_business: years since registration (for returnee start-up support).
        full: False for a decision, which needs only ``revenue``, ``profit`` and ``gain_rate``
            (the terms that only report -- delivery days, the coastal comparison, the cost
            base, fiscal terms that do not change the household's profit -- are skipped).

    Returns a dict of arrays in yuan/year (``gain_rate`` per yuan of goods; ``delivery_days``
    in days; ``collected`` and ``platform`` as shares), including the fiscal cost of each
    instrument the household uses (``fiscal_*``).
    """
    t = market_tables(p, ctx)
    # look-up indices as intp once (numpy would convert int8/int16/int32 at every look-up)
    prod = h.product[idx].astype(np.intp)
    cell = h.cell[idx].astype(np.intp)
    county = h.county[idx].astype(np.intp)
    coop_members = np.asarray(coop_members, dtype=float)
    in_coop = coop_members > 0
    any_coop = bool(in_coop.any())
    n_share = np.maximum(coop_members, 1.0)
    value = np.asarray(annual_sales, dtype=float)
    revenue = value * t["revenue_factor"][prod]
    order_value = p.order_value_yuan * np.clip(
        np.sqrt(revenue / ORDER_REFERENCE_REVENUE), 0.5, 20.0)
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
    fm_per_order = np.where(has_point, t["first_mile_point"], t["first_mile"][cell]) * density
    if any_coop:
        fm_per_order = fm_per_order * np.where(in_coop, 1.0 - p.coop_consolidation, 1.0)
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
    fiscal_freight = np.where(small, p.small_order_freight_subsidy_share * (trunk + international),
                              0.0)
    fiscal_parcel = np.where(has_point, np.minimum(p.parcel_subsidy_yuan, fm_per_order), 0.0)
    fiscal_parcel = fiscal_parcel * orders

    # --- losses and breakage (§4.1), with co-op quality control and warehouse returns (§4.2)
    loss_rate = t["loss_rate"][prod]
    if any_coop:
        loss_rate = loss_rate * np.where(in_coop, 1 - p.coop_loss_reduction, 1)
    loss = revenue * loss_rate
    insured = (1.0 + p.insurance_loading) * (1.0 - p.breakage_insurance_subsidy_share)
    if insured < 1.0:
        insure = prod == EMBROIDERY
        loss_cost = np.where(insure, loss * insured, loss)
    else:
        insure = np.zeros(len(prod), dtype=bool)
        loss_cost = loss

    # --- unsold risk without market information (§4.2)
    in_cluster = in_a_cluster(ctx.in_cluster, ctx.industry_cluster, cell, county, prod)
    info = t["info"][county] + 0.1 * in_cluster
    if any_coop:
        info = info + 0.25 * in_coop
    info = np.clip(info, 0.0, 0.95)
    unsold_prob = np.clip(p.unsold_probability_no_info * (1 - info) * (1.2 - 0.4 * skill), 0, 1)
    unsold = unsold_prob * (p.unsold_fraction * UNSOLD_WRITE_DOWN) * revenue

    # --- customer acquisition (+30% outside clusters, §3.3.3)
    acquisition_factor = np.where(in_cluster, t["acquisition_inside"][cell],
                                  t["acquisition_outside"])
    acquisition = revenue * (p.acquisition_cost_share * (1.5 - skill) * acquisition_factor)

    # --- certification and trademark (§5.1.1), shared inside a cooperative
    cert_full = t["certification"][prod] / n_share
    fiscal_cert = cert_full * p.certification_subsidy_share
    registers = revenue * n_share >= TRADEMARK_MIN_REVENUE  # the entity's revenue
    tm_full = np.where(registers, p.trademark_cost_yuan / 5.0 / n_share, 0.0)
    fiscal_tm = np.minimum(p.trademark_subsidy_yuan / 5.0 / n_share, tm_full)
    certification = cert_full - fiscal_cert + tm_full - fiscal_tm

    # --- FX settlement (§4.2, §5.2.1) and customs; a co-op's leader settles for all members
    fx = t["fx"][county] / n_share
    coop_row = in_coop.astype(np.intp)
    customs = t["customs"][coop_row, county] / n_share

    # --- export credit and FX risk (§5.1.1): insure when the subsidised premium is cheaper
    risk = revenue * p.credit_risk_rate
    uninsured_rate = 1.0 - p.bad_debt_compensation_share * BAD_DEBT_PART
    premium_rate = (1 + p.insurance_loading) * (1 - p.credit_insurance_subsidy_share)
    insure_credit = premium_rate < uninsured_rate
    credit = risk * min(uninsured_rate, premium_rate)

    # --- RCEP certificate of origin (§5.1.3)
    asean_revenue = revenue * ctx.asean_share[prod]
    origin_cost = 0.0 if p.rcep_origin_fee_subsidy else p.origin_certificate_cost_yuan
    tariff_saved = asean_revenue * p.rcep_tariff_saving
    use_origin = tariff_saved > origin_cost
    rcep_gain = np.where(use_origin, tariff_saved - origin_cost, 0.0)

    # --- fixed costs; returnee start-up support (§5.1.2): rent waived 2 years, 50% utilities
    is_entrepreneur = h.entrepreneur[idx]
    if is_entrepreneur.any():
        start_costs = np.where(is_entrepreneur, p.startup_rent_yuan + p.startup_utilities_yuan,
                               0.0)
        supported = is_entrepreneur & (years_in_business < 2.0) & p.returnee_startup_support
        fiscal_startup = np.where(supported,
                                  p.startup_rent_yuan + 0.5 * p.startup_utilities_yuan, 0.0)
        fixed = p.fixed_cost_yuan + start_costs - fiscal_startup
    else:
        fiscal_startup = np.zeros(len(revenue))
        fixed = np.full(len(revenue), float(p.fixed_cost_yuan))

    coop_fee = (np.where(in_coop, p.coop_fee_share * revenue, 0.0) if any_coop
                else np.zeros(len(revenue)))
    production = value * p.production_cost_share
    reward = revenue * expected_reward_rate

    profit = (revenue + rcep_gain + reward - production - (logistics - fiscal_freight
              - fiscal_parcel) - loss_cost - unsold - acquisition - certification - fx - customs
              - credit - fixed - coop_fee)
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
                               * p.breakage_insurance_subsidy_share, 0.0)
    fiscal_credit = risk * (
        (1 + p.insurance_loading) * p.credit_insurance_subsidy_share if insure_credit
        else p.bad_debt_compensation_share * BAD_DEBT_PART)
    fiscal_rcep = np.where(use_origin & p.rcep_origin_fee_subsidy,
                           p.origin_certificate_cost_yuan, 0.0)
    export_cost = (production + logistics + loss + acquisition + cert_full + tm_full + fx
                   + customs + risk + fixed + coop_fee)
    haul = np.where(has_point, p.pickup_point_haul_km, t["haul_km"][cell])
    # delivery time (days): first mile, trunk to Guiyang, clearance, international
    first_mile_days = np.where(has_point, 0.5, 1.0 + haul / 60.0)
    trunk_days = np.where(partner, 1.0, 2.0)
    clearance = p.customs_clearance_hours / 8.0
    clearance_days = np.where(p.county_clearance & partner, clearance, clearance + 0.5)
    delivery_days = first_mile_days + trunk_days + clearance_days + ctx.intl_days[prod]

    return {
        "revenue": revenue, "orders": orders, "production": production,
        "first_mile": first_mile, "trunk": trunk, "international": international,
        "logistics": logistics, "coastal_logistics": coastal_logistics, "loss": loss_cost,
        "unsold": unsold, "unsold_prob": unsold_prob, "acquisition": acquisition,
        "certification": certification, "fx": fx, "fx_travel": 1.0 - t["fx_help"][county],
        "customs": customs, "credit": credit, "fixed": fixed, "coop_fee": coop_fee,
        "rcep_gain": rcep_gain, "reward": reward, "export_cost": export_cost, "profit": profit,
        "domestic": domestic, "gain_rate": gain_rate,
        "collected": collected, "platform": t["platform"][coop_row, county],
        "delivery_days": delivery_days, "haul_km": haul, "asean_revenue": asean_revenue,
        "fiscal_small_order_freight": fiscal_freight, "fiscal_parcel": fiscal_parcel,
        "fiscal_breakage_insurance": fiscal_breakage, "fiscal_certification": fiscal_cert,
        "fiscal_trademark": fiscal_tm, "fiscal_credit_insurance": fiscal_credit,
        "fiscal_rcep_origin": fiscal_rcep, "fiscal_startup_support": fiscal_startup,
    }


FISCAL_TERMS = ("small_order_freight", "parcel", "breakage_insurance", "certification",
                "trademark", "credit_insurance", "rcep_origin", "startup_support")


def hurdle(h: Households, idx: np.ndarray, p: Parameters) -> np.ndarray:
    """Gain per yuan of goods a household needs before it sells cross-border."""
    return p.hurdle_base + p.hurdle_risk * h.risk_aversion[idx]


# §4.1: the special fund rewards *enterprises* with a yearly CBEC turnover above 5M yuan; an entity
# (direct seller or cooperative) counts as a new rural CBEC firm when it first receives a turnover
# reward at or above this turnover (see :func:`model.subsidies.pay_turnover_rewards`)
FIRM_TURNOVER_YUAN = 5e6


def reward_rate(turnover: np.ndarray, p: Parameters) -> np.ndarray:
    """Turnover reward rate for entities at or above the subsidy threshold (§4.1, §5.1.1)."""
    t = np.asarray(turnover, dtype=float)
    rate = np.where(t >= p.reward_large_threshold_yuan, p.reward_rate_large,
                    np.where(t >= 2e6, p.reward_rate_standard, p.reward_rate_small))
    return np.where((t >= p.subsidy_min_turnover_yuan) & p.subsidies, rate, 0.0)
