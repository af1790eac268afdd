"""Market context: what stations, hubs and policy provide to each county (ODD §7.2).

    Computed at the start of every month: a station's ``help_fraction = min(1, capacity /
    services_demanded)``; FX help ``= 1[offers fx_help] × help_fraction``; local customs agency
    ``= 1[offers customs_agency] × help_fraction``, raised to 1 in partner counties when
    ``p.county_clearance`` is on; market information ``= p.market_info_access_station`` if the
    station offers it; take-up of a subsidy application ``= p.takeup_with_help × a +
    p.takeup_base × (1 − a)`` with ``a = 1[offers application_help] × help_fraction``
    (``p.takeup_one_stop`` everywhere with the one-stop platform); provincial-platform use ``=
    clip(p.platform_use_base + 0.25 × docking, 0, 1)`` (at least 0.95 with the one-stop platform);
    counties within 20 km of Guiyang's centre need no FX trip; hub, provincial-hub and first-
    mile density factors from last month's volumes (§7.9); clusters and belts from last month's
    detection; the export price of each channel and line, cleared against foreign demand from
    the exports of the last three months (:mod:`model.demand`); international rate, warehouse
    share and delivery days per product, weighted by where the clearing sends each line.
"""

from __future__ import annotations

import numpy as np

from agents.logistics import LogisticsNetwork
from model import demand
from model import economics as econ
from model.clusters import ClusterState
from model.demand import ExportSupply
from model.parameters import Parameters
from model.scaling import to_real

#: assumption: a station that docks sellers onto the provincial platform raises its use this much
DOCKING_PLATFORM_USE = 0.25
#: assumption: with the one-stop platform at least this share of orders is filed through it
ONE_STOP_PLATFORM_USE = 0.95


def market_context(month: int, p: Parameters, stations: dict[str, np.ndarray],
                   network: LogisticsNetwork, guiyang_local: np.ndarray, haul_km: np.ndarray,
                   local_orders: np.ndarray, window_cells: np.ndarray, clusters: ClusterState,
                   industry_clusters: np.ndarray, knowhow_cell: np.ndarray,
                   export_supply: ExportSupply, subsidy_ratio: dict[str, float],
                   county_line_revenue_12m: np.ndarray, county_output: np.ndarray
                   ) -> econ.MarketContext:
    """The month's context. ``stations`` is :func:`agents.station.station_arrays`;
    ``local_orders`` last month's orders per cell averaged over its 3x3 window (of
    ``window_cells`` cells) and ``export_supply`` the goods exported per line in recent months
    (model units); ``subsidy_ratio`` the share of claims each instrument's budget line has been
    paying (:meth:`model.fiscal.FiscalLedger.expected_ratios`); ``county_line_revenue_12m``
    the last 12 months' CBEC revenue per (county, line) (model units) and ``county_output`` the
    output per (county, line) (yuan a year, 1:1). First-mile density and
    county-hub economies are
    computed per household from these volumes (:func:`model.economics.annual_economics`)."""
    st = stations
    help_frac = st["help_fraction"]
    fx_help = st["fx_help"] * help_frac
    customs = st["customs_agency"] * help_frac
    partner = network.county_has_partner
    if p.county_clearance:
        customs = np.maximum(customs, partner.astype(float))
    info = st["market_information"] * p.market_info_access_station
    app_help = st["application_help"] * help_frac
    takeup = (p.takeup_with_help * app_help + p.takeup_base * (1 - app_help))
    if p.one_stop_platform:
        takeup = np.full(len(help_frac), p.takeup_one_stop)
    docking = st["logistics_docking"] & (st["experienced_staff"] > 0)
    platform = np.clip(p.platform_use_base + DOCKING_PLATFORM_USE * docking, 0, 1)
    if p.one_stop_platform:
        platform = np.maximum(platform, ONE_STOP_PLATFORM_USE)
    clearing = demand.clear(p, month, to_real(export_supply.yearly_rate(), p.household_scale))
    # goods from revenue at each line's average price over the channels (weighted by supply)
    supply = export_supply.yearly_rate()
    prices = demand.reference_price(p) * clearing.price
    weights = np.where(supply.sum(axis=0) > 0, supply, 1.0)
    line_price = (prices * weights).sum(axis=0) / weights.sum(axis=0)
    # (a line whose price has fallen to 0, no market buying it, counts no goods)
    county_goods = np.divide(to_real(county_line_revenue_12m, p.household_scale),
                             line_price[None, :],
                             out=np.zeros(np.shape(county_line_revenue_12m)),
                             where=line_price[None, :] > 0)
    intl_rate, wh_share, intl_days, wh_market = econ.product_logistics(
        p, network.warehouses_per_market, clearing.market_share,
        network.provincial_hub.scale_factor(p))
    return econ.MarketContext(
        fx_help=fx_help, customs_local=customs, guiyang_local=guiyang_local,
        info_station=info, takeup=takeup, partner=partner,
        county_orders=network.county_orders(), platform_use=platform,
        haul_km=haul_km, local_orders=local_orders, window_cells=window_cells,
        in_cluster=clusters.in_cluster, industry_cluster=industry_clusters,
        belt_centre=clusters.in_belt & (p.belt_reward_share > 0),
        knowhow=knowhow_cell, has_point=network.village_has_point,
        price=clearing.price, market_share=clearing.market_share,
        intl_rate=intl_rate, warehouse_share=wh_share,
        warehouse_share_market=wh_market,
        intl_days=intl_days, asean_share=clearing.market_share[:, 0],
        county_goods=county_goods, county_capacity=county_output * p.export_grade_share,
        subsidy_ratio=subsidy_ratio, month=month)
