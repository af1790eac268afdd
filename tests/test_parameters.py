"""The parameters object: documented, validated, with clear errors."""

import dataclasses
import math
import re

import pytest

from model import CBECModel
from model.parameters import ParameterError, Parameters

SOURCE = re.compile(r"(§\d|brief|data/|assumption|calibrated)")


def test_every_parameter_has_unit_source_range_and_description():
    table = Parameters.table()
    assert len(table) == len(dataclasses.fields(Parameters)) > 150
    for row in table.itertuples():
        assert row.unit, row.name
        assert row.description, row.name
        assert SOURCE.search(row.source), f"{row.name}: source {row.source!r}"
    for f in dataclasses.fields(Parameters):
        if f.type not in ("bool", "str"):  # text (policy_counties) is checked by name
            lo, hi = f.metadata["lo"], f.metadata["hi"]
            unlimited = f.metadata.get("unlimited") and f.default == math.inf
            assert lo is not None and hi is not None and (unlimited or lo <= f.default <= hi), (
                f.name)


def test_policy_levers_have_the_brief_baselines():
    p = Parameters()
    assert p.subsidy_min_turnover_yuan == 2_000_000
    assert p.subsidy_min_years == 1
    assert p.pickup_coverage == 0.15
    assert p.hub_partner_counties == 35
    assert p.full_service_station_share == 0.38
    assert p.station_inexperienced_share == 0.45
    assert p.loss_embroidery == 0.18 and p.loss_tea == 0.05
    assert p.outside_cluster_acquisition_premium == 0.30
    assert p.fx_trip_cost_yuan == 800 and p.customs_clearance_hours == 4
    assert p.warehouse_hanoi and p.warehouse_bangkok
    assert not (p.warehouse_us or p.warehouse_germany)
    assert p.special_fund_yuan_per_year * 4 == 200_000_000  # 2022-2025 (§3.2)


@pytest.mark.parametrize(("values", "expected"), [
    ({"pickup_coverage": 1.5}, r"'pickup_coverage' = 1.5 is out of range; allowed: 0 to 1"),
    ({"months": 2.5}, r"'months' = 2.5 .*whole number from 1 to 600"),
    ({"spread_effect": "maybe"}, r"'spread_effect' = 'maybe' .*true or false"),
    ({"household_scale": float("nan")}, r"'household_scale' = nan .*finite number"),
    ({"pickup_coverag": 0.3}, r"unknown parameter 'pickup_coverag'; did you mean "
                              r"'pickup_coverage'"),
    ({"share_tea": 0.6, "share_chili": 0.6}, r"product shares .* at most 1"),
    ({"hub_partner_counties": 89}, r"'hub_partner_counties' = 89 is out of range; allowed: 0 "
                                   r"to 88"),
])
def test_bad_values_name_parameter_value_and_what_is_allowed(values, expected):
    with pytest.raises(ParameterError, match=expected):
        Parameters.from_dict(values)


def test_strings_from_specs_are_coerced_to_the_field_type():
    p = Parameters.from_dict({"months": "12", "spread_effect": "false", "pickup_coverage": "0.8"})
    assert (p.months, p.spread_effect, p.pickup_coverage) == (12, False, 0.8)
    assert p.changed() == {"months": 12, "spread_effect": False, "pickup_coverage": 0.8}


def test_model_rejects_bad_parameters_before_building_anything():
    with pytest.raises(ParameterError, match="pickup_coverage"):
        CBECModel(rng=1, pickup_coverage=-0.1)
