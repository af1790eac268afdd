"""The "Extending the model" example of docs/ODD.md works as written: the test runs the very
code block of the ODD (a lever that exists only here) and checks what the ODD says of it."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from model import policy, scenarios

ODD = Path(__file__).parent.parent / "docs" / "ODD.md"


def _example_code() -> str:
    text = ODD.read_text(encoding="utf-8")
    block = re.search(r"<!-- extending-example: begin -->\n```python\n(.*?)```\n"
                      r"<!-- extending-example: end -->", text, re.S)
    assert block, "the worked example is missing from docs/ODD.md"
    return block.group(1)


@pytest.fixture
def example(monkeypatch):
    """Run the ODD's example with the lever table and the scenarios restored afterwards."""
    monkeypatch.setattr(policy, "LEVERS", policy.LEVERS)
    monkeypatch.setattr(scenarios, "_SCENARIOS", dict(scenarios._SCENARIOS))
    monkeypatch.setattr(scenarios, "SCENARIOS", dict(scenarios.SCENARIOS))
    namespace: dict = {}
    exec(compile(_example_code(), str(ODD), "exec"), namespace)
    return namespace


def test_the_example_lever_costs_what_its_row_says_from_the_policy_start(example):
    fairs = example["fairs"]
    start = fairs.params.policy_start_month
    cost = fairs.fiscal_costs()
    by_month = cost[cost["instrument"] == "county_fairs"].set_index("month")["cost_yuan"]
    assert list(by_month.index) == list(range(start, fairs.params.months + 1))
    assert by_month.to_numpy() == pytest.approx(4 * 50_000.0 * 88 / 12)
    assert "county_fairs" in policy.instruments(policy.LEVERS)
    assert "county_fairs" in scenarios.SCENARIOS


def test_the_example_lever_acts_only_once_in_force(example):
    fairs, baseline = example["fairs"], example["baseline"]
    start = fairs.params.policy_start_month
    before = fairs.outcomes()["month"] < start
    pd.testing.assert_frame_equal(fairs.outcomes()[before], baseline.outcomes()[before])
    assert fairs.params.awareness_base_rate > baseline.params.awareness_base_rate
    last = fairs.params.months
    aware = {name: run.outcomes().set_index("month").loc[last, "aware_share"]
             for name, run in (("fairs", fairs), ("baseline", baseline))}
    assert aware["fairs"] > aware["baseline"]


def test_the_lever_table_covers_every_lever_of_the_parameters():
    """Every policy lever is a row of the table or tunes one (its cost, size, ...)."""
    from model.parameters import LEVERS

    named = {lv.parameter for lv in policy.LEVERS} | {
        s for lv in policy.LEVERS for s in lv.settings}
    assert set(LEVERS) - named == set()
    assert len(policy.INSTRUMENTS) == len(set(policy.INSTRUMENTS))
    for lever in policy.LEVERS:
        assert lever.parameter in LEVERS
        assert (lever.monthly_cost is not None) == (lever.paid_in == "monthly")
        assert (lever.one_off_cost is not None) == (lever.paid_in == "on_build")
