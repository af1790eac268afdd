"""Named scenarios: the 2022 baseline, one scenario per policy lever of the brief's table set to
the paper's proposal (§5), ``full_package`` with every §5 proposal at once, and two
interventions limited in time or to some counties (``policy_end_month``,
``policy_counties``).

A scenario is a dict of parameter overrides on top of the defaults (the baseline).
"""

from __future__ import annotations

import difflib
from typing import Any

# name -> (overrides, one-line description with the paper's section)
_SCENARIOS: dict[str, tuple[dict[str, Any], str]] = {
    "baseline": ({}, "2022 policies and services as the paper describes them (§4)"),
    "threshold_500k": ({"subsidy_min_turnover_yuan": 5e5},
                       "subsidy threshold 2M -> 0.5M yuan, 3% reward for 0.5-2M (§5.1.1)"),
    "years_relaxed": ({"subsidy_min_years": 0.0},
                      "no minimum years registered for subsidies (§4.1)"),
    "certification_subsidy": ({"certification_subsidy_share": 0.5},
                              "50% of certification costs subsidised (§5.1.1)"),
    "trademark_subsidy": ({"trademark_subsidy_yuan": 4000.0},
                          "4,000 yuan per overseas trademark (§5.1.1)"),
    "credit_insurance": ({"credit_insurance_subsidy_share": 0.5,
                          "bad_debt_compensation_share": 0.3},
                         "50% export-credit/FX insurance premium, 30% bad debt (§5.1.1)"),
    "breakage_insurance": ({"breakage_insurance_subsidy_share": 0.4},
                           "40% of breakage insurance premium for fragile goods (§5.1.1)"),
    "small_order_freight": ({"small_order_freight_subsidy_share": 0.2},
                            "20% freight subsidy on orders under 5,000 yuan (§5.1.1)"),
    "belt_reward": ({"belt_reward_share": 0.1},
                    "industry-belt reward, 10% of belt turnover (§5.1.2)"),
    "school_training": ({"school_training_grant_yuan": 7500.0},
                        "7,500 yuan per vocational school for practical training (§5.1.2)"),
    "talent_secondment": ({"talent_secondment_yuan": 50000.0},
                          "eastern talent seconded to counties, 50,000 yuan each (§5.1.2)"),
    "returnee_support": ({"returnee_startup_support": True},
                         "returnee start-up support: rent waived 2 years, 50% utilities "
                         "(§5.1.2)"),
    "county_clearance": ({"county_clearance": True},
                         "4-hour clearance at county collection centres (§5.1.3)"),
    "rcep_origin": ({"rcep_origin_fee_subsidy": True},
                    "RCEP certificate-of-origin fees fully subsidised (§5.1.3)"),
    "one_stop_platform": ({"one_stop_platform": True},
                          "one-stop cross-department platform (§4.1, §5.2.1)"),
    "full_service_stations": ({"full_service_station_share": 1.0},
                              "every county station offers full service (§5.2.1)"),
    "village_service_points": ({"village_service_points": True},
                               "service points in every village, staff 2-3 days a week "
                               "(§5.2.1)"),
    "pickup_80": ({"pickup_coverage": 0.8},
                  "village pickup-point coverage 15% -> 80% (§5.2.2)"),
    "parcel_subsidy": ({"parcel_subsidy_yuan": 1.0},
                       "1 yuan per parcel at township/village points (§5.2.2)"),
    "hub_partners_all": ({"hub_partner_counties": 88},
                         "a logistics partner at all 88 county hubs (§4.2)"),
    "warehouses_us_de": ({"warehouse_us": True, "warehouse_germany": True},
                         "public overseas warehouses in the US and Germany (§5.2.2)"),
    "flights_30": ({"flight_increase": 0.3}, "+30% Guiyang-ASEAN cargo flights (§5.2.2)"),
    "warehouses_flights": ({"warehouse_us": True, "warehouse_germany": True,
                            "flight_increase": 0.3},
                           "US and German warehouses plus +30% flights: the delivery-time "
                           "claim (§5.2.2)"),
    "market_information": ({"market_info_share": 0.5},
                           "targeted market information for rural products (§4.2)"),
    "talent_plan": ({"talent_secondment_yuan": 50000.0, "school_training_grant_yuan": 7500.0,
                     "returnee_startup_support": True},
                    "the §5.1.2 talent plan: school grants, eastern secondees and returnee "
                    "support together"),
    "professional_services": ({"professional_services": True},
                              "purchased professional services and mentors (§5.2.3, §5.2.4)"),
}


def _full_package() -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for name, (overrides, _) in _SCENARIOS.items():
        if name != "baseline":
            merged.update(overrides)
    return merged


_SCENARIOS["full_package"] = (_full_package(), "every §5 proposal at once")

# Interventions limited in time or place (ODD §7.16); not part of full_package
_SCENARIOS["pickup_80_2024_2026"] = (
    {"pickup_coverage": 0.8, "policy_end_month": 60},
    "pickup coverage 80% for 2024-2026 only, then back to the baseline 15% (§5.2.2)")
_SCENARIOS["qiandongnan_embroidery"] = (
    {"breakage_insurance_subsidy_share": 0.4, "pickup_coverage": 0.8,
     "policy_counties": "Qiandongnan"},
    "breakage insurance and 80% pickup points in the Qiandongnan embroidery counties only "
    "(§5.1.1, §5.2.2)")

SCENARIOS: dict[str, dict[str, Any]] = {k: v[0] for k, v in _SCENARIOS.items()}


def add(name: str, overrides: dict[str, Any], description: str) -> None:
    """Register a scenario at run time (an extension's lever; see "Extending the model" in
    docs/ODD.md). In the repository, add an entry to ``_SCENARIOS`` instead, which also puts
    the lever into ``full_package``."""
    if name in SCENARIOS:
        raise ValueError(f"scenario '{name}' exists already")
    _SCENARIOS[name] = (dict(overrides), description)
    SCENARIOS[name] = dict(overrides)


def describe(name: str) -> str:
    """One line: what the scenario changes and where the paper proposes it."""
    return _SCENARIOS[name][1]


def get(name: str) -> dict[str, Any]:
    """The overrides of a named scenario; a clear error for an unknown name."""
    if name not in SCENARIOS:
        close = difflib.get_close_matches(str(name), list(SCENARIOS), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ValueError(f"unknown scenario '{name}'{hint}; known scenarios: "
                         f"{', '.join(sorted(SCENARIOS))} (see `cbec scenarios`)")
    return dict(SCENARIOS[name])
