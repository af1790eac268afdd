"""Every model parameter in one typed, validated object.

Each field carries its unit, allowed range and source in its metadata: a section of the paper
(``§4.2``), a data file, or ``assumption: why``. :class:`Parameters` checks every value when it is
built; a bad value raises :class:`ParameterError` naming the parameter, the value and what is
allowed. ``Parameters.table()`` gives the full table as a DataFrame (it is what ``docs/ODD.md``
prints).

Money is in yuan (CNY), time in months unless the unit says otherwise, shares are in [0, 1].
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd


class ParameterError(ValueError):
    """A parameter value a user gave is not allowed. The message says which, what and why."""


def parameter(
    default: Any,
    unit: str,
    source: str,
    doc: str,
    lo: float | None = None,
    hi: float | None = None,
    group: str = "",
    choices: tuple | None = None,
    unlimited: bool = False,
) -> Any:
    """A ``Parameters`` field: its default, unit, source (a § of the paper, a data file or
    "assumption: why"), one-line description, allowed range and group (a lever is in group
    ``"policy"``). ``unlimited``: the field also takes ``inf`` (or the string
    ``"unlimited"``), meaning no limit."""
    meta = {"unit": unit, "source": source, "doc": doc, "lo": lo, "hi": hi, "group": group,
            "choices": choices, "unlimited": unlimited}
    return field(default=default, metadata=meta)


_p = parameter  # the short name used in the table below


# Groups, in the order the documentation lists them.
GROUPS = (
    "run", "world", "households", "firms", "economics", "logistics", "adoption", "poles",
    "gradient", "returnees", "cooperatives", "clusters", "stations", "subsidies", "policy",
)



#: where the growth of foreign demand comes from (the four demand_growth_* fields)
_DEMAND_GROWTH_SOURCE = (
    "assumption: foreign buyers' online purchases of Guizhou goods grow with the channel; "
    "China's CBEC trade grew 15.6% in 2023 (model/data/external_anchors.md), a young "
    "province's channel faster")


@dataclass(frozen=True)
class Parameters:
    """All parameters of :class:`model.CBECModel`, with defaults at the 2022 baseline."""

    # ----------------------------------------------------------------- run
    household_scale: float = _p(
        0.02, "agents per real household", "assumption: 1.0 is Guizhou 1:1 (about 5.96 million "
        "rural households); 0.02 (about 119,000 agents) keeps a run interactive",
        "Agents per real rural household.", 1e-4, 1.0, "run")
    months: int = _p(108, "months", "brief: January 2022 to December 2030",
                     "Horizon; one step is one month.", 1, 600, "run")
    start_year: int = _p(2022, "year", "brief", "Calendar year of the first step.", 2000, 2100,
                         "run")
    policy_start_month: int = _p(
        25, "model month", "assumption: the paper's proposals (§5) follow its 2022-2023 "
        "baseline; month 25 is January 2024", "Month the policy levers (group 'policy' and the "
        "subsidy thresholds) take effect; before it every run has the baseline levers, so "
        "scenarios share their 2022-2023 history. 1 applies them from the start.", 1, 600,
        "run")
    policy_end_month: int = _p(
        0, "model month", "assumption: a programme funded for a fixed period (ODD §7.16)",
        "Last month the policy levers are in force; from the next month the baseline levers "
        "apply again: running programmes stop, warehouses built stay without public running "
        "costs. 0: never withdrawn. At least policy_start_month when set.", 0, 600, "run")
    policy_counties: str = _p(
        "", "county names", "assumption: a pilot in some counties (ODD §7.16)",
        "Counties the policy levers act in, comma-separated: pinyin or Chinese county names, "
        "6-digit codes or prefecture names (e.g. 'Qiandongnan'); elsewhere the baseline levers "
        "apply. Province-wide levers (warehouses, flights, clearance hours, one-stop platform, "
        "market information, professional services) act everywhere. Empty: the whole "
        "province.", group="run")

    # --------------------------------------------------------------- world
    cell_km: float = _p(5.0, "km", "brief: a cell stands for a few villages",
                        "Edge length of a grid cell.", 1.0, 50.0, "world")
    road_circuity: float = _p(
        1.2, "road km per straight-line km", "calibrated: gives §4.2's 28 km mean haul from "
        "the 23.7 km mean straight-line distance at 5 km cells; within the 1.2-1.6 range of "
        "published rural circuity factors", "Road distance over straight distance.",
        1.0, 3.0, "world")
    villages_total: int = _p(
        21817, "administrative villages", "data/README.md: 21,817 建制村 in 2017 (province)",
        "Administrative villages in the province, spread over counties by rural households.",
        1000, 50000, "world")

    # ---------------------------------------------------------- households
    sales_median_yuan: float = _p(
        7252.13, "yuan/year", "assumption: the export-grade part of a farm or workshop "
        "household's own output of its line (Guizhou's tea output of 64 billion yuan over "
        "some 700,000 tea households is about 90,000 yuan each, a fifth of it export grade)",
        "Median annual CBEC sales potential of a household.", 1e3, 1e7, "households")
    sales_sigma: float = _p(0.728503, "log-units", "assumption: farm sizes vary less than firms'",
                            "Log-sd of sales potential.", 0.1, 3.0, "households")
    sales_growth_per_year_in_business: float = _p(
        0.0209945, "1/year", "assumption: learning-by-doing",
        "Growth of a seller's volume per year in business.", 0.0, 1.0, "households")
    digital_capable_share: float = _p(
        0.504009, "share of households", "assumption: households with a member able to run online "
        "sales; many rural households are elderly or left-behind (§2.3 out-migration)",
        "Households that can sell cross-border on their own; the others can sell only through "
        "a cooperative. Returnee entrepreneurs are always capable.", 0, 1, "households")
    capacity_multiple: float = _p(
        2.22939, "multiple of sales potential", "assumption: land, labour and workshop limits",
        "Most a household's volume can grow through learning by doing (at the calibrated "
        "2.2 and 2% a year the cap is not reached within the run).", 1, 100, "households")
    share_tea: float = _p(0.08, "share", "assumption: outside specialty counties",
                          "Base share of households whose main line is tea.", 0, 1, "households")
    share_chili: float = _p(0.08, "share", "assumption", "Base share of chili households.",
                            0, 1, "households")
    share_embroidery: float = _p(0.04, "share", "assumption",
                                 "Base share of Miao embroidery / silver households.", 0, 1,
                                 "households")
    specialty_share: float = _p(
        0.4, "share", "§1, §2.2.3: Meitan tea, Zunyi chili, Qiandongnan embroidery",
        "Share of the specialty line in its home counties (Meitan-area tea counties, Zunyi "
        "prefecture chili, Qiandongnan embroidery).", 0, 1, "households")

    # --------------------------------------------------------------- firms
    potential_firms: float = _p(
        10434, "firms (province, 1:1)", "assumption: rural enterprises, processors and "
        "registered individual businesses that could sell abroad; the paper's ~34,000 platform "
        "transactions a year (§4.2) and the fund's size (§4.1) imply a few thousand that do",
        "Potential CBEC firms in the province (every one an agent at every scale), spread "
        "over counties by rural households.", 0, 1_000_000, "firms")
    firm_median_yuan: float = _p(
        232929, "yuan/year (domestic value)", "assumption: §4.1: 80% of entities turn over less "
        "than 1M yuan a year, 12% qualify for a reward on over 2M",
        "Median goods a potential firm can source and sell a year.", 1e4, 1e8, "firms")
    firm_sigma: float = _p(1.28106, "log-units", "assumption: firm sizes are fat-tailed",
                           "Log-sd of the firms' sales potential.", 0.1, 3.0, "firms")

    # ----------------------------------------------------------- economics
    production_cost_share: float = _p(
        0.55, "share of domestic value", "assumption: farm/handicraft cost ratio",
        "Production cost per yuan of goods at domestic prices.", 0.0, 0.95, "economics")
    direct_sale_markup: float = _p(
        0.446235, "share over wholesale value", "assumption: selling online to foreign buyers "
        "instead of to a local wholesaler", "Price of a direct online sale over the domestic "
        "wholesale value of the same goods (before the export premium).", 0, 5, "economics")
    domestic_channel_cost_share: float = _p(
        0.05, "share of domestic value", "assumption: carrying goods to the local buyer",
        "Cost of the domestic sales channel, the alternative to CBEC.", 0.0, 0.5, "economics")
    premium_tea: float = _p(0.25, "share", "§2.3: Meitan green tea +20-30% in EU/US",
                            "Export price premium, tea.", 0, 2, "economics")
    premium_chili: float = _p(0.15, "share", "assumption: below tea (bulk condiment)",
                              "Export price premium, chili.", 0, 2, "economics")
    premium_embroidery: float = _p(0.5, "share", "assumption: §3.2 heritage goods' unit price "
                                   "jumps",
                                   "Export price premium, embroidery/silver.", 0, 2, "economics")
    premium_other: float = _p(0.10, "share", "assumption", "Export price premium, other lines.",
                              0, 2, "economics")
    demand_elasticity: float = _p(
        3.0, "dimensionless", "assumption: the median elasticity of substitution of "
        "differentiated imported goods, about 3 (Broda and Weinstein 2006, QJE)",
        "Price elasticity of foreign demand for each product line (constant elasticity).",
        1.05, 20, "economics")
    export_price_cap: float = _p(
        1.5, "multiple of the reference export price", "assumption: buyers pay other origins "
        "of the same goods (Fujian and Yunnan tea, Sichuan chili) at most about half more",
        "Highest export price a product line can clear at, however little Guizhou supplies.",
        1.0, 10, "economics")
    demand_tea_yuan: float = _p(
        1.3e8, "yuan of goods/year (domestic value, 1:1)",
        "data/external_anchors.md: Guizhou's tea "
        "exports through every channel were about USD 230 M (1.6 bn yuan) in 2020; assumption: "
        "cross-border e-commerce from rural sellers reaches buyers of a part of that; fitted "
        "within 50-500 M yuan at the reference price",
        "B2B foreign demand for Guizhou tea at the reference export price in January 2022.",
        0, 1e12, "economics")
    demand_chili_yuan: float = _p(
        4.5e7, "yuan of goods/year (domestic value, 1:1)",
        "data/external_anchors.md: Guizhou's chili "
        "exports were about 110 M yuan in the first half of 2020 (about 220 M a year); "
        "assumption: CBEC buyers of a part of that; fitted within 10-100 M yuan",
        "B2B foreign demand for Guizhou chili at the reference export price in January 2022.",
        0, 1e12, "economics")
    demand_embroidery_yuan: float = _p(
        9.196e6, "yuan of goods/year (domestic value, 1:1)", "§3.2: Miao embroidery and silver "
        "sell tens of millions of yuan a year, mostly by the piece through platforms (the "
        "retail demand below); assumption: boutiques and distributors take a few million "
        "yuan; fitted within 2-30 M yuan at the reference price",
        "B2B foreign demand for Miao embroidery and silver at the reference export price in "
        "January 2022.", 0, 1e12, "economics")
    demand_other_yuan: float = _p(
        4.2e8, "yuan of goods/year (domestic value, 1:1)",
        "assumption: the other lines (fruit, "
        "processed food, crafts) larger than the three specialties together, so "
        "rural CBEC is a few bn yuan a year, a few percent of Guizhou's 48.7 bn yuan of goods "
        "exports in 2021 (data/external_anchors.md); fitted within 0.1-1.5 bn yuan",
        "B2B foreign demand for the other product lines at the reference export price in "
        "January 2022.", 0, 1e12, "economics")
    platform_payment_fee_share: float = _p(
        0.02, "share of revenue", "assumption: cross-border payment services charge "
        "retail-platform sellers 1-2% (their receipts arrive converted, with no trip)",
        "What a household selling on its own through a platform pays to be paid.", 0, 0.2,
        "economics")
    retail_markup: float = _p(
        1.37484, "share over wholesale value", "assumption: a retail parcel to a foreign consumer "
        "sells at about two and a half times the local wholesale price of the goods (before "
        "the platform's fees and advertising, which are costs below)",
        "Price of a retail parcel over the domestic wholesale value of the same goods (before "
        "the export premium).", 0, 10, "economics")
    retail_demand_tea_yuan: float = _p(
        1.233e8, "yuan of goods/year (domestic value, 1:1)",
        "assumption: foreign consumers buying "
        "Guizhou tea by the parcel, about 100 M yuan a year at the reference retail price, a "
        "small part of Guizhou's 1.6 bn yuan of tea exports (data/external_anchors.md)",
        "Retail demand for Guizhou tea at the reference retail price in January 2022.",
        0, 1e12, "economics")
    retail_demand_chili_yuan: float = _p(
        2.669e7, "yuan of goods/year (domestic value, 1:1)",
        "assumption: about 30 M yuan a year "
        "at the reference retail price (chili sells mostly in bulk)",
        "Retail demand for Guizhou chili at the reference retail price in January 2022.",
        0, 1e12, "economics")
    retail_demand_embroidery_yuan: float = _p(
        7.883e6, "yuan of goods/year (domestic value, 1:1)", "§3.2: Miao embroidery and silver "
        "sell tens of millions of yuan a year through Etsy and similar platforms (about 40 M "
        "yuan at the reference retail price)",
        "Retail demand for Miao embroidery and silver at the reference retail price in "
        "January 2022.", 0, 1e12, "economics")
    retail_demand_other_yuan: float = _p(
        4.5e8, "yuan of goods/year (domestic value, 1:1)",
        "assumption: about 300 M yuan a year "
        "at the reference retail price for the other lines' parcels",
        "Retail demand for the other lines at the reference retail price in January 2022.",
        0, 1e12, "economics")
    migrant_wage_yuan_per_month: float = _p(
        4780.0, "yuan/month", "data/external_anchors.md: average monthly income of rural "
        "migrant workers in 2023 (NBS migrant worker monitoring report)",
        "Wage of migrant work: the opportunity cost of the labour a CBEC business takes.",
        0, 1e5, "economics")
    shop_hours_per_year: float = _p(
        100.0, "hours/year", "assumption: listing, messaging and bookkeeping, about two hours "
        "a week", "Labour a CBEC shop takes whatever its volume.", 0, 1e5,
        "economics")
    hours_per_order: float = _p(
        0.1, "hours/order", "assumption: picking, packing and labelling one order, about six "
        "minutes",
        "Labour each export order takes.", 0, 100, "economics")
    output_tea_yuan: float = _p(
        6.438e10, "yuan/year (1:1)", "data/external_anchors.md: Guizhou's tea output value, 2023 "
        "(mufakang.com)", "The province's tea output, shared among counties by their tea "
        "households.", 0, 1e13, "economics")
    output_chili_yuan: float = _p(
        2.6e10, "yuan/year (1:1)", "data/external_anchors.md: Guizhou's chili output value, "
        "about 26 billion yuan in 2022 (China Daily)", "The province's chili output, shared "
        "among counties by their chili households.", 0, 1e13, "economics")
    output_embroidery_yuan: float = _p(
        5e9, "yuan/year (1:1)", "assumption: Guizhou's ethnic handicraft (embroidery, batik, "
        "silver) output of a few billion yuan a year; no published figure found",
        "The province's embroidery and silver output, shared among counties by their "
        "embroidery households.", 0, 1e13, "economics")
    output_other_yuan: float = _p(
        1.5e11, "yuan/year (1:1)", "assumption: the rest of Guizhou's farm and rural "
        "handicraft output, about half of the primary sector's ~300 billion yuan",
        "The province's output of the other lines, shared among counties by their "
        "households of those lines.", 0, 1e13, "economics")
    export_grade_share: float = _p(
        0.2, "share of output", "assumption: the part of a harvest that meets export "
        "standards (residue limits, grading, packaging)",
        "Share of a county's output of a line that can be exported; as a county's exports "
        "approach it, goods cost more to source.", 0.001, 1, "economics")
    loss_tea: float = _p(0.05, "share of shipped value", "§4.1: tea 5%", "Loss/breakage, tea.",
                         0, 0.9, "economics")
    loss_chili: float = _p(0.06, "share of shipped value", "assumption: close to tea",
                           "Loss/breakage, chili.", 0, 0.9, "economics")
    loss_embroidery: float = _p(0.18, "share of shipped value", "§4.1: embroidery 18%",
                                "Loss/breakage, embroidery/silver (fragile).", 0, 0.9,
                                "economics")
    loss_other: float = _p(0.08, "share of shipped value", "assumption",
                           "Loss/breakage, other lines.", 0, 0.9, "economics")
    acquisition_cost_share: float = _p(
        0.08, "share of revenue", "assumption: platform ads and commissions",
        "Customer acquisition cost inside a cluster, for a seller of average skill.", 0, 0.5,
        "economics")
    outside_cluster_acquisition_premium: float = _p(
        0.30, "share", "§3.3.3: +30% acquisition cost outside clusters",
        "Extra acquisition cost outside a cluster.", 0, 2, "economics")
    unsold_probability_no_info: float = _p(
        0.885705, "1/year", "§4.2: 37% of sellers have unsold goods; fitted with "
        "market-information access",
        "Chance a seller without market information is left with unsold goods in a year.",
        0, 1, "economics")
    unsold_fraction: float = _p(0.25, "share of annual goods", "assumption",
                                "Share of a year's goods left unsold when it happens.", 0, 1,
                                "economics")
    certification_cost_yuan: float = _p(
        1500.0, "yuan/year", "assumption: organic/HACCP audit for food exports (§2.3 HACCP)",
        "Certification cost for tea and chili sellers (others pay a quarter).", 0, 1e6,
        "economics")
    trademark_cost_yuan: float = _p(
        5000.0, "yuan/mark", "assumption: §5.1.1 subsidy of 3,000-5,000 per mark",
        "Overseas trademark registration, one mark per business (or cooperative) selling over "
        "500,000 yuan a year, amortised over 5 years.", 0, 1e6,
        "economics")
    fixed_cost_yuan: float = _p(
        1000.0, "yuan/year", "assumption: storefront fees, packing equipment, devices",
        "Fixed yearly cost of running a CBEC business.", 0, 1e6, "economics")
    fx_trip_cost_yuan: float = _p(800.0, "yuan/settlement", "§4.2: a trip to Guiyang > 800",
                                  "Cost of settling FX by travelling to Guiyang.", 0, 1e5,
                                  "economics")
    fx_local_cost_yuan: float = _p(50.0, "yuan/settlement", "§5.2.1: < 50 with local help",
                                   "Cost of settling FX with local station help.", 0, 1e5,
                                   "economics")
    fx_settlements_per_year: float = _p(4.0, "1/year", "assumption: every quarter",
                                        "FX settlements a seller makes a year.", 0, 52,
                                        "economics")
    credit_risk_rate: float = _p(0.03, "share of revenue", "assumption: bad debt 2% + FX 1%",
                                 "Expected bad-debt and exchange-rate loss.", 0, 0.5, "economics")
    insurance_loading: float = _p(0.25, "share of expected loss", "assumption",
                                  "Insurer's loading over expected loss (credit and breakage).",
                                  0, 2, "economics")
    rcep_tariff_saving: float = _p(
        0.05, "share of ASEAN revenue", "assumption: average MFN tariff avoided with a "
        "certificate of origin (§5.1.3)", "Tariff saved on ASEAN sales with an RCEP "
        "certificate of origin.", 0, 0.5, "economics")
    origin_certificate_cost_yuan: float = _p(
        2400.0, "yuan/year", "assumption: 12 batches x 200 yuan", "Yearly cost of certificates "
        "of origin for an ASEAN seller.", 0, 1e5, "economics")
    demand_growth_asean: float = _p(
        0.178772, "1/year", _DEMAND_GROWTH_SOURCE + " (ASEAN: RCEP and the land-sea corridor)",
        "Growth of ASEAN demand for Guizhou products.", -0.5, 1, "economics")
    demand_growth_eu: float = _p(
        0.110908, "1/year", _DEMAND_GROWTH_SOURCE, "Growth of EU demand for Guizhou products.",
        -0.5, 1, "economics")
    demand_growth_us: float = _p(
        0.143037, "1/year", _DEMAND_GROWTH_SOURCE, "Growth of US demand for Guizhou products.",
        -0.5, 1, "economics")
    demand_growth_rest_of_world: float = _p(
        0.5, "1/year", _DEMAND_GROWTH_SOURCE,
        "Growth of demand for Guizhou products in the rest of the world.", -0.5, 1, "economics")
    demand_growth_long_run: float = _p(
        0.08, "1/year", "assumption: the growth foreign demand for Guizhou's goods online settles "
        "to once the channel is mature; China's CBEC trade grew 10-16% a year in 2021-2024 "
        "(+15.6% in 2023, model/data/external_anchors.md)",
        "Long-run growth of every market's demand; each market's growth "
        "(demand_growth_<market>, 2022) moves towards it.", -0.5, 1, "economics")
    demand_growth_halving_years: float = _p(
        4.0, "years", "assumption: a young channel's extra growth halves in a few years "
        "(1000: each market grows at its 2022 rate)",
        "Years in which a market's growth above (or below) the long-run rate halves.",
        0.25, 1000, "economics")
    sales_noise_sigma: float = _p(0.3, "log-units", "assumption",
                                  "Month-to-month noise in a seller's sales.", 0, 2, "economics")

    # ----------------------------------------------------------- logistics
    order_value_yuan: float = _p(
        1500.0, "yuan/order", "assumption: small parcels (§5.1.1 small orders < 5,000)",
        "Parcel value of a household selling alone through a platform whose own revenue is "
        "200,000 yuan a year; it grows with the square root of revenue.", 10, 1e6,
        "logistics")
    entity_order_value_yuan: float = _p(
        20285, "yuan/order", "assumption: an entity ships B2B consignments; §4.2's 34,000 "
        "transactions a year against rural CBEC of a few billion yuan mean tens of thousands "
        "of yuan an order",
        "Order (consignment) value of an entity whose own revenue is 200,000 yuan a year; it "
        "grows with the square root of revenue. Households selling alone ship parcels "
        "(order_value_yuan).", 100, 1e7, "logistics")
    first_mile_cost_per_km: float = _p(
        2.86423, "yuan per order per road km", "assumption: van or motorbike trip to the county "
        "seat, shared by few orders", "First-mile cost, village to pickup point or county seat.",
        0, 100, "logistics")
    pickup_point_haul_km: float = _p(3.0, "road km", "assumption: point in the own village",
                                     "Haul to a village pickup point.", 0, 50, "logistics")
    coastal_trunk_rate: float = _p(0.03, "share of value", "assumption: coastal domestic leg",
                                   "Domestic trunk freight to the port/airport on the coast.",
                                   0, 1, "logistics")
    inland_logistics_premium: float = _p(0.25, "share", "§3.3.1: inland +20-30% over the coast",
                                         "Extra trunk cost from Guizhou.", 0, 2, "logistics")
    no_partner_penalty: float = _p(
        0.04, "share of value", "assumption: retail express instead of consolidated county "
        "freight (§4.2)", "Extra trunk cost in a county whose hub has no logistics partner.",
        0, 1, "logistics")
    international_direct_rate: float = _p(
        0.0544608, "share of value", "assumption: cross-border parcel post", "International leg, "
        "direct mail.", 0, 1, "logistics")
    international_warehouse_rate: float = _p(
        0.05, "share of value", "assumption: bulk to warehouse plus local delivery",
        "International leg through an overseas warehouse.", 0, 1, "logistics")
    warehouse_use_share: float = _p(0.6, "share of orders", "assumption: stock a small seller "
                                    "can pre-position", "Share of a market's orders a seller "
                                    "routes through a public warehouse there.", 0, 1,
                                    "logistics")
    warehouse_speedup: float = _p(0.6, "share", "§4.2: warehouse delivery 60% faster",
                                  "Delivery time cut for warehouse orders.", 0, 0.95,
                                  "logistics")
    warehouse_return_cut: float = _p(0.22, "share", "§4.2: returns -22% via warehouses",
                                     "Cut in returns/loss for warehouse orders.", 0, 1,
                                     "logistics")
    hub_scale_elasticity: float = _p(
        0.15, "elasticity", "assumption: economies of scale in hub volume",
        "Unit trunk cost falls as (volume/reference)^-elasticity.", 0, 1, "logistics")
    hub_reference_orders: float = _p(10000.0, "orders/month (1:1)", "assumption",
                                     "County hub volume at which the trunk rate is nominal.",
                                     1, 1e7, "logistics")
    density_elasticity: float = _p(
        0.25, "elasticity", "assumption: consolidated pickup in dense cells",
        "First-mile cost per order falls as (cell orders/reference)^-elasticity.", 0, 1,
        "logistics")
    density_reference_orders: float = _p(150.0, "orders/month (1:1)", "assumption",
                                         "Cell volume at which first-mile cost is nominal.", 1,
                                         1e7, "logistics")
    time_value_yuan_per_hour: float = _p(
        25.0, "yuan/hour", "assumption: rural wage", "Value of a seller's time spent on "
        "customs clearance away from home (clearance hours at Guiyang, a quarter of them at "
        "the county).", 0, 1e4, "logistics")
    hub_use_without_point: float = _p(
        0.44, "probability", "assumption: share of sellers without a pickup point who still "
        "bring goods to the county hub", "Use of the county hub by sellers without a point.",
        0, 1, "logistics")

    # ------------------------------------------------------------ adoption
    awareness_initial: float = _p(0.134604, "share of households", "assumption: January 2022",
                                  "Households aware of CBEC at the start.", 0, 1, "adoption")
    awareness_base_rate: float = _p(0.000149458, "1/month", "assumption: media, platforms",
                                    "Background awareness hazard.", 0, 1, "adoption")
    peer_effect: float = _p(0.45229, "1/month per seller share", "assumption",
                            "Awareness hazard per unit share of sellers in the neighbourhood; "
                            "0 switches peer effects off.", 0, 100, "adoption")
    station_outreach: float = _p(0.001, "1/month", "assumption: §4.2 one station per county",
                                 "Awareness hazard from the county station at its seat "
                                 "(decays over 15 km).", 0, 1, "adoption")
    knowhow_awareness: float = _p(0.002, "1/month per know-how unit", "assumption",
                                  "Awareness hazard from the local know-how level.", 0, 1,
                                  "adoption")
    imitation_rate: float = _p(
        23.9602, "1/month per share of successful sellers around", "assumption: Taobao villages "
        "grow by copying a successful neighbour (§3.3.3); Bass diffusion's imitation term",
        "Extra chance a month that an aware household (or firm) weighs selling, per share of "
        "the households in its 3x3 block of cells that sell at a profit.", 0, 1000,
        "adoption")
    review_rate: float = _p(0.2, "1/month", "assumption: a decision about every 5 months",
                            "Chance an aware household reviews the CBEC option in a month.",
                            0, 1, "adoption")
    hurdle_base: float = _p(-0.00118083, "yuan gain per yuan of sales", "assumption",
                            "Gain over the domestic route needed to start selling.", -1, 1,
                            "adoption")
    hurdle_risk: float = _p(0.557759, "yuan per yuan of sales", "assumption",
                            "Extra gain a fully risk-averse household needs.", 0, 2, "adoption")
    exit_rate_when_losing: float = _p(0.353307, "1/month", "assumption",
                                      "Chance a seller with negative trailing profit stops.", 0,
                                      1, "adoption")
    closure_rate: float = _p(0.250648, "1/year", "assumption: small online shops also close for "
                             "reasons the model does not represent (migration, illness, family, "
                             "a platform account lost); no published Guizhou figure",
                             "Yearly rate (applied as rate / 12 a month) at which a seller "
                             "stops regardless of its economics.",
                             0, 1, "adoption")
    reentry_months: int = _p(24, "months", "assumption", "Months before an exited household "
                             "may consider CBEC again.", 0, 600, "adoption")
    initial_seller_share: float = _p(
        1.0, "share of profitable aware households", "assumption: not every aware household "
        "with a positive margin sold by January 2022", "Share of initially aware households "
        "with a positive margin who sell at the start.", 0, 1, "adoption")

    # --------------------------------------------------------------- poles
    spread_effect: bool = _p(True, "switch", "§2.2.1 growth poles (Perroux, Boudeville)",
                             "Poles raise awareness and know-how around them.", group="poles")
    backwash_effect: bool = _p(True, "switch", "§3.3.2 core-periphery (Friedmann)",
                               "Poles pull returnees and talent toward themselves.",
                               group="poles")
    secondary_poles: bool = _p(True, "switch", "§2.2.1", "Counties passing the activity "
                               "threshold become secondary poles.", group="poles")
    pole_reach_km: float = _p(60.0, "km", "assumption", "Distance decay length of a pole's "
                              "field.", 1, 1000, "poles")
    pole_growth_rate: float = _p(0.03, "1/month", "assumption: cumulative causation",
                                 "Strength gained per unit of activity in reach.", 0, 1, "poles")
    pole_decay_rate: float = _p(0.02, "1/month", "assumption",
                                "Strength lost per month without activity.", 0, 1, "poles")
    pole_activity_reference_yuan: float = _p(
        5e8, "yuan/year (1:1)", "assumption: a fifth of the province's rural CBEC (the "
        "calibration's 2023 target, about 2.5 billion yuan a year; the fitted model turns over "
        "about 3.5 billion) in a pole's reach sustains it", "CBEC turnover in reach "
        "that sustains a pole's strength.", 1, 1e13, "poles")
    pole_spread_awareness: float = _p(0.0015, "1/month", "assumption",
                                      "Awareness hazard at a pole of strength 1.", 0, 1,
                                      "poles")
    backwash_strength: float = _p(0.35, "share", "assumption",
                                  "Largest share of a county's returnees a pole draws away.", 0,
                                  1, "poles")
    backwash_reach_km: float = _p(150.0, "km", "assumption: migration toward a provincial "
                                  "centre works over longer distances than spread effects",
                                  "Distance decay length of a pole's pull on returnees.", 1,
                                  2000, "poles")
    secondary_pole_threshold_yuan: float = _p(
        1.5e8, "yuan/year (1:1)", "assumption: about 6% of the province's rural CBEC (the "
        "calibration's 2023 target, 2.5 billion yuan a year; about 4% of the fitted model's 3.5 "
        "billion) in one county", "County CBEC turnover that makes it a "
        "secondary pole.", 0, 1e13, "poles")
    tongren_start_month: int = _p(25, "model month", "§3.1: Tongren pilot zone from Jan 2024",
                                  "Month the Tongren pole switches on.", 1, 600, "poles")

    # ------------------------------------------------------------ gradient
    gradient_transfer: bool = _p(True, "switch", "§2.2.1 gradient transfer (Vernon)",
                                 "Know-how flows east -> poles -> counties -> villages.",
                                 group="gradient")
    east_to_pole_rate: float = _p(0.01, "1/month", "assumption: platforms, flights, talent",
                                  "Know-how gap closed per month at a pole of strength 1.", 0,
                                  1, "gradient")
    pole_to_county_rate: float = _p(0.03, "1/month", "assumption",
                                    "Gap to the pole closed per month at distance 0.", 0, 1,
                                    "gradient")
    county_to_village_rate: float = _p(0.05, "1/month", "assumption",
                                       "Gap to the county closed per month at the seat.", 0, 1,
                                       "gradient")
    village_decay_km: float = _p(20.0, "km", "assumption", "Decay length from seat to village.",
                                 1, 500, "gradient")
    knowhow_lag_months: int = _p(6, "months", "assumption", "Lag of the pole -> county flow.",
                                 0, 60, "gradient")
    outmigrant_refill_rate: float = _p(
        0.02, "1/month", "assumption: new out-migration replaces returns", "Rate at which a "
        "county's out-migrant pool moves back toward its initial size.", 0, 1, "returnees")
    returnee_knowhow: float = _p(0.5, "know-how per returnee share", "assumption",
                                 "County know-how gain per month per unit share of returnee "
                                 "households.", 0, 100, "gradient")

    # ----------------------------------------------------------- returnees
    returnees: bool = _p(True, "switch", "§2.3", "Out-migrants return and start businesses.",
                         group="returnees")
    outmigrant_share: float = _p(0.30, "share of rural households", "assumption: Guizhou is a "
                                 "large labour exporter", "Households with a member working "
                                 "away (the return pool).", 0, 1, "returnees")
    return_hazard_base: float = _p(0.00289537, "1/month",
                                   "§2.3: 50,000 returnee entrepreneurs in 2022",
                                   "Monthly return chance of an out-migrant.", 0, 1,
                                   "returnees")
    return_opportunity_weight: float = _p(0.05, "per seller per 100 households", "assumption",
                                          "Extra return hazard per seller per 100 households "
                                          "in the home county.", 0, 100, "returnees")
    return_pole_weight: float = _p(0.3, "per pole field unit", "assumption",
                                   "Return hazard multiplier from nearby poles.", 0, 100,
                                   "returnees")
    returnee_entrepreneur_share: float = _p(0.68633, "share", "assumption: §2.3 50,000 returnee "
                                            "e-commerce entrepreneurs in 2022", "Returnees who "
                                            "start an e-commerce business.", 0, 1, "returnees")
    returnee_skill_boost: float = _p(0.174667, "skill units", "assumption: eastern know-how",
                                     "Skill a returnee entrepreneur brings.", 0, 1, "returnees")
    entrepreneur_volume_multiple: float = _p(
        6.25544, "multiple of sales_median_yuan", "assumption: a returnee's business buys from "
        "neighbours instead of selling one farm's surplus", "A returnee entrepreneur's "
        "business adds (this - 1) x sales_median_yuan (about 38,000 yuan a year at the "
        "defaults) to the household's own potential, so a median household's business is this "
        "many times its own; changing sales_median_yuan resizes it too.", 1, 100,
        "returnees")
    startup_support_return_boost: float = _p(0.3, "share", "assumption",
                                             "Extra return hazard with start-up support.", 0,
                                             10, "returnees")

    # -------------------------------------------------------- cooperatives
    cooperatives: bool = _p(True, "switch", "§2.2.3, brief", "Cooperatives form and pool.",
                            group="cooperatives")
    coop_formation_rate: float = _p(0.02428, "1/month per capable leader", "assumption",
                                    "Chance a capable leader founds a cooperative in a month.",
                                    0, 1, "cooperatives")
    coop_leader_min_skill: float = _p(0.55, "skill", "assumption", "Skill needed to lead.", 0,
                                      1, "cooperatives")
    coop_min_members: int = _p(5, "households", "assumption: PRC co-op law, 5 founders",
                               "Members needed to found or keep a cooperative.", 2, 1000,
                               "cooperatives")
    coop_target_members: int = _p(15, "households", "assumption", "Typical size sought.", 2,
                                  1000, "cooperatives")
    coop_radius_km: float = _p(20.0, "km", "assumption: a township or two",
                               "Members come from within this distance of the leader.", 0, 500,
                               "cooperatives")
    coop_reference_scale: float = _p(
        0.05, "household_scale", "assumption: below this scale the recruitment radius widens "
        "as 1/sqrt(scale) so that candidate agents are in reach, and the candidates found are "
        "thinned back to the radius's area",
        "Scale at which coop_radius_km applies unchanged.", 1e-4, 1, "cooperatives")
    coop_fee_share: float = _p(0.02, "share of revenue", "assumption",
                               "Fee the cooperative keeps.", 0, 0.5, "cooperatives")
    coop_loss_reduction: float = _p(0.3, "share", "assumption: shared quality control",
                                    "Cut in losses for members.", 0, 1, "cooperatives")
    coop_consolidation: float = _p(0.5, "share", "assumption: consolidated first mile",
                                   "Cut in first-mile cost per order for members.", 0, 1,
                                   "cooperatives")
    coop_leave_rate: float = _p(0.01, "1/month", "assumption", "Background chance a member "
                                "leaves.", 0, 1, "cooperatives")
    coop_intake_per_month: int = _p(
        1, "households/month per cooperative", "assumption: a leader vets, contracts and trains "
        "about one new member household a month", "New members a cooperative takes in a "
        "month (real households, at every household_scale).", 1, 1000, "cooperatives")

    # ------------------------------------------------------------ clusters
    clusters: bool = _p(True, "switch", "§2.2.3 (Marshall, Porter)", "Clusters form and lower "
                        "members' costs.", group="clusters")
    cluster_min_sales_yuan: float = _p(1e7, "yuan/year per village's land (1:1)",
                                       "brief: Taobao village, >= 10 million yuan",
                                       "Sales density a cell needs to count as a cluster cell: "
                                       "this much per village's land it holds.", 0, 1e12,
                                       "clusters")
    cluster_min_shops: int = _p(100, "active shops per village's land (1:1)",
                                "brief: Taobao village, >= 100 shops", "Shop density a cell "
                                "needs (or the share below): this many per village's land it "
                                "holds.", 0, 1e7, "clusters")
    cluster_min_shop_share: float = _p(0.10, "share of households",
                                       "brief: Taobao village, >= 10% of households",
                                       "Alternative: share of households with a shop.", 0, 1,
                                       "clusters")
    industry_cluster_min_shops: float = _p(
        150, "sellers of one industry in a county (1:1)",
        "assumption: §3.3.3's 'industrial clusters' that 80% of county firms are outside are "
        "county industries (Meitan tea, Zunyi chili), looser than Taobao villages; fitted to "
        "that 80%, so that fact is not an independent check",
        "Sellers of one industry (tea, chili, embroidery; not 'other') in a county form a county "
        "industrial cluster when they number this many (firms and households). A household "
        "sample coarser than independent households at the reference scale 0.02 counts less by "
        "its extra sampling error. 0 switches county clusters off.", 0, 1e7, "clusters")
    belt_dominance: float = _p(0.6, "share of cluster sales", "assumption",
                               "One line's share that makes a cluster an industry belt.", 0, 1,
                               "clusters")
    belt_marketing_cut: float = _p(0.10, "share", "assumption: joint marketing the belt "
                                   "reward funds (§5.1.2)", "Cut in acquisition cost in an "
                                   "industry belt while the belt reward is paid.", 0, 1,
                                   "clusters")

    # ------------------------------------------------------------ stations
    station_staff: int = _p(1, "staff per station", "§4.2: one staff per station",
                            "Staff at each county station.", 0, 100, "stations")
    station_inexperienced_share: float = _p(0.45, "share of staff", "§4.2: 45% inexperienced",
                                            "Staff without CBEC experience.", 0, 1, "stations")
    station_capacity_per_staff: float = _p(
        3.61962, "services/month (1:1)", "assumption", "Seller services (FX, customs, "
        "applications) one experienced staff member handles a month; half if inexperienced.",
        0, 1e6, "stations")
    staff_learning_months: float = _p(36.0, "months", "assumption", "Mean time for an "
                                      "inexperienced staff member to gain experience.", 1, 1e4,
                                      "stations")
    trainees_per_county_month: float = _p(
        4.0, "people/month (1:1)", "§4.1: 3,800 trained in 120 sessions",
        "People a station with a working training function trains a month (consult-only "
        "stations host provincial sessions at half this rate).", 0, 1e5, "stations")
    training_skill_gain: float = _p(0.08, "skill units", "assumption: §3.3.3 theory-heavy "
                                    "training", "Skill gained in baseline training.", 0, 1,
                                    "stations")
    platform_use_base: float = _p(
        0.583205, "share of orders", "§4.2: 68% of orders go through the provincial platform",
        "Orders a seller files through the provincial platform without station "
        "help (+0.25 with a working full-service station).", 0, 1, "stations")
    market_info_access_station: float = _p(0.3, "share", "assumption",
                                           "Market-information access a full-service station "
                                           "gives.", 0, 1, "stations")

    # ----------------------------------------------------------- subsidies
    subsidies: bool = _p(True, "switch", "§4.1", "Turnover subsidies are paid.",
                         group="subsidies")
    subsidy_min_turnover_yuan: float = _p(2e6, "yuan/year", "§4.1 (proposal §5.1.1: 500,000)",
                                          "Minimum annual CBEC turnover for a subsidy.", 0,
                                          1e10, "subsidies")
    subsidy_min_years: float = _p(1.0, "years registered", "§4.1", "Minimum years registered.",
                                  0, 50, "subsidies")
    reward_rate_large: float = _p(0.065, "share of turnover", "§4.1: 5-8% above 5M",
                                  "Reward on turnover at or above the large threshold.", 0, 1,
                                  "subsidies")
    reward_large_threshold_yuan: float = _p(5e6, "yuan/year", "§4.1",
                                            "Turnover for the large reward rate.", 0, 1e11,
                                            "subsidies")
    reward_rate_standard: float = _p(
        0.03, "share of turnover", "assumption: the fund's other instruments for entities from "
        "the threshold to 5M", "Reward from 2M to the large threshold.", 0, 1, "subsidies")
    reward_rate_small: float = _p(0.03, "share of turnover", "§5.1.1: 3% for 0.5-2M",
                                  "Reward from the threshold to 2M (paid only when the "
                                  "threshold is below 2M).", 0, 1, "subsidies")
    takeup_base: float = _p(0.431627, "probability", "assumption: §4.1 65% report cumbersome "
                            "procedures", "Chance an eligible entity completes the application "
                            "without help.", 0, 1, "subsidies")
    takeup_with_help: float = _p(0.8, "probability", "assumption",
                                 "Take-up with a full-service experienced station.", 0, 1,
                                 "subsidies")
    takeup_one_stop: float = _p(0.95, "probability", "assumption: §4.1/§5.2.1 one-stop",
                                "Take-up with the one-stop platform.", 0, 1, "subsidies")
    special_fund_yuan_per_year: float = _p(
        5e7, "yuan/year", "§3.2, §4.1: a 200 million yuan special fund for 2022-2025; "
        "assumption: renewed at the same size after 2025",
        "Yearly appropriation of the CBEC special fund, which pays turnover rewards, training "
        "subsidies and the overseas-warehouse construction subsidy (model.budgets).", 0, 1e12,
        "subsidies", unlimited=True)
    budget_enterprise_support_yuan_per_year: float = _p(
        math.inf, "yuan/year", "assumption: a §5.1.1 proposal has no budget in the paper",
        "Yearly budget of the §5.1.1 enterprise support (certification, trademark, credit and "
        "breakage insurance, small-order freight); unlimited by default.", 0, 1e12,
        "subsidies", unlimited=True)
    budget_talent_yuan_per_year: float = _p(
        math.inf, "yuan/year", "assumption: a §5.1.2 proposal has no budget in the paper",
        "Yearly budget of the §5.1.2 talent and belt support (school grants, belt reward, "
        "talent secondment, returnee start-up support); unlimited by default.", 0, 1e12,
        "subsidies", unlimited=True)
    budget_trade_facilitation_yuan_per_year: float = _p(
        math.inf, "yuan/year", "assumption: a §5.1.3 proposal has no budget in the paper",
        "Yearly budget of §5.1.3 trade facilitation (RCEP origin fees, county clearance "
        "centres); unlimited by default.", 0, 1e12, "subsidies", unlimited=True)
    budget_services_yuan_per_year: float = _p(
        math.inf, "yuan/year", "assumption: a §5.2 proposal has no budget in the paper",
        "Yearly budget of public services (station upgrades, village service points, the "
        "one-stop platform, professional services, market information); unlimited by "
        "default.", 0, 1e12, "subsidies", unlimited=True)
    budget_logistics_yuan_per_year: float = _p(
        math.inf, "yuan/year", "assumption: a §5.2.2 proposal has no budget in the paper",
        "Yearly budget of logistics support (parcel subsidy, pickup points, hub partners, "
        "flights, warehouse operation); unlimited by default.", 0, 1e12, "subsidies",
        unlimited=True)

    # -------------------------------------------------------------- policy
    warehouse_subsidy_share: float = _p(0.30, "share of investment", "§4.1",
                                        "Construction subsidy for new overseas warehouses.", 0,
                                        1, "policy")
    warehouse_subsidy_cap_yuan: float = _p(5e6, "yuan/project", "§4.1", "Cap per warehouse.",
                                           0, 1e10, "policy")
    warehouse_investment_yuan: float = _p(2e7, "yuan/warehouse", "assumption",
                                          "Investment in one public overseas warehouse.", 0,
                                          1e11, "policy")
    training_subsidy_yuan: float = _p(1500.0, "yuan/person", "§4.1", "Training subsidy.", 0,
                                      1e6, "policy")
    school_training_grant_yuan: float = _p(
        0.0, "yuan/school/year", "§5.1.2 proposal: 5,000-10,000 per school",
        "Grant to one vocational school per county for practical training.", 0, 1e7, "policy")
    school_trainees_per_year: float = _p(
        30.0, "people/school/year (1:1)", "assumption", "Extra people a funded school trains.",
        0, 1e5, "policy")
    certification_subsidy_share: float = _p(0.0, "share", "§5.1.1 proposal: 50%",
                                            "Share of certification cost subsidised.", 0, 1,
                                            "policy")
    trademark_subsidy_yuan: float = _p(0.0, "yuan/mark", "§5.1.1 proposal: 3,000-5,000",
                                       "Trademark registration subsidy.", 0, 1e6, "policy")
    credit_insurance_subsidy_share: float = _p(0.0, "share of premium",
                                               "§5.1.1 proposal: 50%",
                                               "Export credit / FX insurance premium subsidy.",
                                               0, 1, "policy")
    bad_debt_compensation_share: float = _p(0.0, "share", "§5.1.1 proposal: 30%",
                                            "Share of bad debt compensated.", 0, 1, "policy")
    breakage_insurance_subsidy_share: float = _p(0.0, "share of premium",
                                                 "§5.1.1 proposal: 40%",
                                                 "Breakage insurance premium subsidy (fragile "
                                                 "goods).", 0, 1, "policy")
    small_order_freight_subsidy_share: float = _p(0.0, "share of freight",
                                                  "§5.1.1 proposal: 20% for orders < 5,000",
                                                  "Freight subsidy on small orders.", 0, 1,
                                                  "policy")
    small_order_limit_yuan: float = _p(5000.0, "yuan/order", "§5.1.1",
                                       "Largest order the small-order subsidy covers.", 0, 1e7,
                                       "policy")
    belt_reward_share: float = _p(0.0, "share of belt turnover", "§5.1.2 proposal: 10%",
                                  "Industry-belt reward; also funds a shipping centre.", 0, 1,
                                  "policy")
    talent_secondment_yuan: float = _p(0.0, "yuan/person", "§5.1.2 proposal: up to 50,000",
                                       "Settlement subsidy for eastern talent seconded to "
                                       "counties (on when > 0).", 0, 1e7, "policy")
    secondees_per_county_year: float = _p(1.0, "people/county/year", "assumption",
                                          "Seconded professionals per county a year when on.",
                                          0, 100, "policy")
    returnee_startup_support: bool = _p(False, "switch", "§5.1.2 proposal: rent waived 2 years,"
                                        " 50% utilities", "Start-up support for returnees.",
                                        group="policy")
    startup_rent_yuan: float = _p(
        1938.17, "yuan/year", "assumption: a returnee's business rents workspace (an "
        "e-commerce park or a shopfront; many sell from home, so the mean may be lower)",
        "Workspace rent a returnee entrepreneur's business pays (the start-up support of "
        "§5.1.2 waives it for two years).", 0, 1e6, "returnees")
    startup_utilities_yuan: float = _p(
        2400.0, "yuan/year", "assumption", "Utilities a returnee entrepreneur's business pays "
        "(the start-up support pays half for two years).", 0, 1e6, "returnees")
    registration_min_sales_yuan: float = _p(
        186235, "yuan/year of goods", "assumption: registering an individual business for "
        "export (customs and FX filings, tax books) pays only for a trade of some size; most "
        "returnee businesses sell parcels through the platforms unregistered",
        "Goods a year (domestic value) from which a returnee entrepreneur's business registers "
        "and counts as an entity (0: every one registers).", 0, 5e6, "returnees")
    customs_clearance_hours: float = _p(4.0, "hours", "§4.1: cut from 8 to 4 at Guiyang",
                                        "Clearance time.", 0.5, 240, "policy")
    county_clearance: bool = _p(False, "switch", "§5.1.3 proposal: 4 h at county centres",
                                "Clearance at county collection centres.", group="policy")
    rcep_origin_fee_subsidy: bool = _p(False, "switch", "§5.1.3 proposal",
                                       "Certificate-of-origin fees fully subsidised.",
                                       group="policy")
    one_stop_platform: bool = _p(False, "switch", "§4.1, §5.2.1 proposal",
                                 "One-stop cross-department platform.", group="policy")
    full_service_station_share: float = _p(0.38, "share of counties",
                                           "§4.2: 62% consult/print only",
                                           "County stations offering full service.", 0, 1,
                                           "policy")
    village_service_points: bool = _p(False, "switch", "§5.2.1 proposal: staff 2-3 days/week",
                                      "Service points in every village.", group="policy")
    pickup_coverage: float = _p(0.15, "share of villages", "§4.2 (proposal §5.2.2: 80%)",
                                "Villages with a CBEC pickup point.", 0, 1, "policy")
    parcel_subsidy_yuan: float = _p(0.0, "yuan/parcel", "§5.2.2 proposal: 1 yuan",
                                    "Subsidy per parcel at township/village points.", 0, 1000,
                                    "policy")
    hub_partner_counties: int = _p(35, "counties", "§4.2: 35 of 88",
                                   "County hubs with a logistics partner.", 0, 88, "policy")
    warehouse_hanoi: bool = _p(True, "switch", "§4.2", "Public warehouse in Hanoi (ASEAN).",
                               group="policy")
    warehouse_bangkok: bool = _p(True, "switch", "§4.2", "Public warehouse in Bangkok (ASEAN).",
                                 group="policy")
    warehouse_us: bool = _p(False, "switch", "§5.2.2 proposal", "Public warehouse in the US.",
                            group="policy")
    warehouse_germany: bool = _p(False, "switch", "§5.2.2 proposal",
                                 "Public warehouse in Germany (EU).", group="policy")
    flight_increase: float = _p(0.0, "share", "§5.2.2 proposal: +30% Guiyang-ASEAN flights",
                                "Extra Guiyang-ASEAN cargo flights.", 0, 5, "policy")
    market_info_share: float = _p(0.05, "share of reports", "§4.2 (proposal: targeted service)",
                                  "Share of market reports on rural products.", 0, 1, "policy")
    professional_services: bool = _p(False, "switch", "§5.2.3, §5.2.4 proposal",
                                     "Purchased professional services and mentors.",
                                     group="policy")
    flight_subsidy_yuan: float = _p(1e7, "yuan/year per +30% flights", "assumption: freight "
                                    "subsidy for the added flights (§5.2.2)", "Public cost of "
                                    "extra Guiyang-ASEAN flights.", 0, 1e10, "policy")
    county_clearance_cost_yuan: float = _p(5e5, "yuan/centre/year", "assumption: customs "
                                           "staff at a county collection centre (§5.1.3)",
                                           "Cost of clearance at a county centre (counties "
                                           "with a logistics partner).", 0, 1e9, "policy")
    warehouse_running_cost_yuan: float = _p(2e6, "yuan/warehouse/year", "assumption: public "
                                            "operation of a new warehouse", "Running cost of "
                                            "a new public overseas warehouse.", 0, 1e10,
                                            "policy")
    one_stop_platform_cost_yuan: float = _p(5e6, "yuan/year", "assumption: build and run",
                                            "Cost of the one-stop platform when on.", 0, 1e10,
                                            "policy")
    professional_services_yuan: float = _p(
        3000.0, "yuan/seller/year", "assumption", "Cost of purchased services per seller "
        "served.", 0, 1e6, "policy")
    pickup_point_cost_yuan: float = _p(2000.0, "yuan/point/month", "assumption: operator "
                                       "support", "Public cost of running a pickup point beyond "
                                       "the baseline network.", 0, 1e7, "policy")
    village_point_cost_yuan: float = _p(1500.0, "yuan/village/month", "assumption: staff 2-3 "
                                        "days a week", "Cost of a village service point.", 0,
                                        1e7, "policy")
    station_upgrade_cost_yuan: float = _p(15000.0, "yuan/station/month", "assumption: staff "
                                          "and functions", "Cost of a station upgraded to full "
                                          "service beyond the baseline.", 0, 1e8, "policy")
    hub_partner_cost_yuan: float = _p(20000.0, "yuan/county/month", "assumption",
                                      "Cost of a logistics partner beyond the baseline 35.", 0,
                                      1e8, "policy")
    market_info_cost_yuan: float = _p(1e6, "yuan/year per +10% share", "assumption",
                                      "Cost of targeted market information.", 0, 1e10, "policy")

    # ---------------------------------------------------------------------
    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            _check(f, getattr(self, f.name))
        shares = self.share_tea + self.share_chili + self.share_embroidery
        if shares > 1:
            raise ParameterError(
                f"product shares share_tea + share_chili + share_embroidery = {shares:g}; "
                "allowed: at most 1 (the rest is 'other')")
        if self.policy_end_month and self.policy_end_month < self.policy_start_month:
            raise ParameterError(
                f"parameter 'policy_end_month' = {self.policy_end_month} is before "
                f"policy_start_month = {self.policy_start_month}; allowed: 0 (never withdrawn) "
                "or a month >= policy_start_month")
        if self.policy_counties:
            from model.counties import canonical_counties  # reads the county table
            object.__setattr__(self, "policy_counties",
                               canonical_counties(self.policy_counties))
        if self.coop_target_members < self.coop_min_members:
            raise ParameterError(
                f"parameter 'coop_target_members' = {self.coop_target_members} is below "
                f"coop_min_members = {self.coop_min_members}; allowed: >= coop_min_members")

    @classmethod
    def from_dict(cls, values: Mapping[str, Any] | None = None, **more: Any) -> Parameters:
        """Build from a mapping, rejecting unknown names with a suggestion."""
        merged = {**(values or {}), **more}
        fields = _FIELDS if cls is Parameters else {f.name: f for f in dataclasses.fields(cls)}
        unknown = [k for k in merged if k not in fields]
        if unknown:
            name = unknown[0]
            close = difflib.get_close_matches(name, list(fields), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ParameterError(f"unknown parameter '{name}'{hint} "
                                 "(see `cbec params` or Parameters.table())")
        coerced = {k: _coerce(fields[k], v) for k, v in merged.items()}
        return cls(**coerced)

    def replace(self, **changes: Any) -> Parameters:
        """A copy with some values changed (validated)."""
        return type(self).from_dict({**self.to_dict(), **changes})

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def changed(self) -> dict[str, Any]:
        """The values that differ from the defaults."""
        base = type(self)()
        return {k: v for k, v in self.to_dict().items() if getattr(base, k) != v}

    @staticmethod
    def table() -> pd.DataFrame:
        """Every parameter: name, group, default, unit, allowed range, source, description."""
        rows = []
        for f in dataclasses.fields(Parameters):
            m = f.metadata
            if f.type in ("bool", bool):
                allowed = "true / false"
            elif f.type in ("str", str):
                allowed = "comma-separated names; empty: all"
            else:
                allowed = f"{_fmt(m['lo'])} to {_fmt(m['hi'])}"
                if m.get("unlimited"):
                    allowed += ", or unlimited"
            source = m["source"]
            if f.name in CALIBRATED:
                source = f"calibrated to the baseline facts (docs/calibration.md); {source}"
            rows.append({"name": f.name, "group": m["group"], "default": f.default,
                         "unit": m["unit"], "allowed": allowed, "source": source,
                         "description": m["doc"]})
        return pd.DataFrame(rows)


_FIELDS = {f.name: f for f in dataclasses.fields(Parameters)}

#: Parameters whose defaults were fitted to the baseline facts (docs/calibration.md).
CALIBRATED: frozenset[str] = frozenset({
    "awareness_initial", "awareness_base_rate", "peer_effect", "digital_capable_share",
    "sales_median_yuan", "sales_sigma", "direct_sale_markup", "unsold_probability_no_info",
    "hub_use_without_point", "platform_use_base", "takeup_base", "station_capacity_per_staff",
    "return_hazard_base", "returnee_entrepreneur_share", "returnee_skill_boost",
    "entrepreneur_volume_multiple", "coop_formation_rate", "hurdle_base",
    "exit_rate_when_losing", "international_direct_rate", "first_mile_cost_per_km",
    "sales_growth_per_year_in_business", "capacity_multiple", "closure_rate", "specialty_share",
    "industry_cluster_min_shops", "potential_firms", "firm_median_yuan", "firm_sigma",
    "entity_order_value_yuan", "imitation_rate", "hurdle_risk", "demand_tea_yuan",
    "demand_chili_yuan", "demand_embroidery_yuan", "demand_other_yuan", "retail_markup",
    "retail_demand_tea_yuan", "retail_demand_chili_yuan", "retail_demand_embroidery_yuan",
    "retail_demand_other_yuan", "startup_rent_yuan", "registration_min_sales_yuan",
    "demand_growth_asean", "demand_growth_eu", "demand_growth_us", "demand_growth_rest_of_world",
})

def lever_names(params: type[Parameters] | Parameters = Parameters) -> tuple[str, ...]:
    """The policy levers of a Parameters class (or of an instance's class): fields of group
    ``"policy"`` and the subsidy thresholds. They take effect at ``policy_start_month``
    (before it, defaults apply)."""
    return tuple(f.name for f in dataclasses.fields(params)
                 if f.metadata["group"] == "policy"
                 or f.name in ("subsidy_min_turnover_yuan", "subsidy_min_years"))


#: Policy levers: they take effect at ``policy_start_month`` (before it, defaults apply).
LEVERS: tuple[str, ...] = lever_names(Parameters)


def baseline_levers(p: Parameters) -> Parameters:
    """``p`` with every policy lever at its baseline (the default of ``p``'s class)."""
    defaults = type(p)()
    return dataclasses.replace(p, **{k: getattr(defaults, k) for k in lever_names(p)})


#: how an unlimited value (``inf``, e.g. a budget with no limit) is written in JSON, specs and
#: run ids; :meth:`Parameters.from_dict` reads it back
UNLIMITED = "unlimited"


def jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    """Parameter values with ``inf`` written as :data:`UNLIMITED` (JSON has no infinity)."""
    return {k: UNLIMITED if isinstance(v, float) and v == math.inf else v
            for k, v in values.items()}


def _fmt(x: float | None) -> str:
    if x is None:
        return "any"
    return f"{x:,.6g}"


def _kind(f: dataclasses.Field) -> str:
    return f.type if isinstance(f.type, str) else f.type.__name__


def _coerce(f: dataclasses.Field, value: Any) -> Any:
    """Turn strings and numpy scalars from specs and sweeps into the field's type."""
    kind = _kind(f)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if kind == "str":
        if isinstance(value, (list, tuple)):  # a JSON or TOML list of names
            return ",".join(str(v) for v in value)
        if isinstance(value, int) and not isinstance(value, bool):  # a county code as a number
            return str(value)
        return value
    if kind == "bool":
        if isinstance(value, str) and value.strip().lower() in ("true", "1", "yes", "on"):
            return True
        if isinstance(value, str) and value.strip().lower() in ("false", "0", "no", "off"):
            return False
        if isinstance(value, (int, float)) and value in (0, 1):
            return bool(value)
        return value
    if kind == "int":
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(float(value)) if float(value).is_integer() else value
            except ValueError:
                return value
        return value
    if kind == "float":
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return float(value)
        if isinstance(value, str) and f.metadata.get("unlimited") and (
                value.strip().lower() in ("unlimited", "inf", "infinity")):
            return math.inf
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                return value
    return value


def _check(f: dataclasses.Field, value: Any) -> None:
    kind = _kind(f)
    m = f.metadata
    name = f.name
    if kind == "str":
        if not isinstance(value, str):
            raise ParameterError(f"parameter '{name}' = {value!r} is not allowed; allowed: "
                                 f"text ({m['unit']}, comma-separated)")
        return
    if kind == "bool":
        if not isinstance(value, bool):
            raise ParameterError(f"parameter '{name}' = {value!r} is not allowed; "
                                 "allowed: true or false")
        return
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParameterError(f"parameter '{name}' = {value!r} is not allowed; allowed: a "
                                 f"whole number from {_fmt(m['lo'])} to {_fmt(m['hi'])} "
                                 f"({m['unit']})")
    elif kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParameterError(f"parameter '{name}' = {value!r} is not allowed; allowed: a "
                                 f"number from {_fmt(m['lo'])} to {_fmt(m['hi'])} ({m['unit']})")
        if m.get("unlimited") and value == math.inf:
            return
        if not math.isfinite(value):
            extra = ' or "unlimited"' if m.get("unlimited") else ""
            raise ParameterError(f"parameter '{name}' = {value!r} is not allowed; allowed: a "
                                 f"finite number from {_fmt(m['lo'])} to {_fmt(m['hi'])}"
                                 f"{extra}")
    lo, hi = m["lo"], m["hi"]
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ParameterError(f"parameter '{name}' = {value!r} is out of range; allowed: "
                             f"{_fmt(lo)} to {_fmt(hi)} ({m['unit']})")
