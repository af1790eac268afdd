"""The app's model and its controls: what a teacher can set, built from the Parameters
metadata, and the model class the SolaraViz page rebuilds on Reset.

:class:`ClassroomModel` is :class:`model.CBECModel` with the app's way of choosing parameters
(a named scenario, a seed typed as text, the mechanism switches and lever sliders) and a
monthly snapshot of what the app plots beyond the outcome table (:func:`app.state.snapshot`).
It only uses the model's public API; every read of internals is in :mod:`app.state`.

How the controls combine on Reset: start from the defaults, apply the chosen scenario's
overrides (:mod:`model.scenarios`), then every switch, and every slider whose value differs
from the parameter's default. A slider left at its default therefore keeps the scenario's value
(pick ``pickup_80`` and the pickup slider at 0.15 still gives 80% coverage); move it and it wins.
The "Now running" card shows the result.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass
from typing import Any

from app import state
from app.launch import SCALE_ENV, scale_from_env
from model.counties import short_name
from model.model import CBECModel
from model.parameters import Parameters
from model.run import check_seed
from model.scenarios import SCENARIOS, describe, get
from model.targeting import describe as describe_levers

_FIELDS = {f.name: f for f in dataclasses.fields(Parameters)}
_DEFAULTS = Parameters()

#: The theory mechanisms a teacher switches on and off: (parameter, short title).
SWITCHES: tuple[tuple[str, str], ...] = (
    ("spread_effect", "Spread effect"),
    ("backwash_effect", "Backwash effect"),
    ("gradient_transfer", "Gradient transfer of know-how"),
    ("secondary_poles", "Secondary poles"),
    ("clusters", "Clusters"),
    ("returnees", "Returnees"),
)


@dataclass(frozen=True)
class SliderSpec:
    """A slider over part of a parameter's allowed range (the full range of, say, the subsidy
    threshold, 0 to 10 billion yuan, is no use on a slider)."""

    name: str
    title: str  # short, for the slider's label (the parameter's doc is on the help page)
    lo: float
    hi: float
    step: float
    group: str  # "policy lever" or "mechanism strength"


#: Sliders: the main policy levers of the paper's §5, then mechanism strengths the README's
#: "things to try" vary.
SLIDERS: tuple[SliderSpec, ...] = (
    SliderSpec("subsidy_min_turnover_yuan", "Subsidy threshold", 0, 5e6, 1e5, "policy lever"),
    SliderSpec("pickup_coverage", "Pickup points", 0, 1, 0.05, "policy lever"),
    SliderSpec("full_service_station_share", "Full-service stations", 0, 1, 0.02, "policy lever"),
    SliderSpec("hub_partner_counties", "Hub partners", 0, 88, 1, "policy lever"),
    SliderSpec("market_info_share", "Market information", 0, 1, 0.05, "policy lever"),
    SliderSpec("flight_increase", "Extra ASEAN flights", 0, 1, 0.05, "policy lever"),
    SliderSpec("talent_secondment_yuan", "Talent secondment", 0, 100_000, 5_000, "policy lever"),
    SliderSpec("belt_reward_share", "Industry-belt reward", 0, 0.3, 0.01, "policy lever"),
    SliderSpec("peer_effect", "Peer effect", 0, 0.5, 1e-6, "mechanism strength"),
    SliderSpec("backwash_strength", "Backwash strength", 0, 1, 0.05, "mechanism strength"),
    SliderSpec("pole_reach_km", "Pole reach", 10, 200, 5, "mechanism strength"),
    SliderSpec("outside_cluster_acquisition_premium", "Outside-cluster premium", 0, 1, 0.05,
               "mechanism strength"),
)

DEFAULT_SCENARIO = "baseline"
DEFAULT_SEED = "1"
#: the county menu: the whole province, or one prefecture (``policy_counties``)
WHOLE_PROVINCE = "Whole province"
PREFECTURES = ("Guiyang", "Liupanshui", "Zunyi", "Anshun", "Bijie", "Tongren", "Qianxinan",
               "Qiandongnan", "Qiannan")


def meta(name: str) -> dict[str, Any]:
    """A parameter's metadata: unit, source, doc, lo, hi, group (model/parameters.py)."""
    return dict(_FIELDS[name].metadata)


def is_int(name: str) -> bool:
    kind = _FIELDS[name].type
    return (kind if isinstance(kind, str) else kind.__name__) == "int"


def switch_label(name: str) -> str:
    title = dict(SWITCHES)[name]
    return f"{title} ({meta(name)['source']})"


SHORT_UNITS = {"yuan/year": "yuan/yr", "share of villages": "share", "share of counties": "share",
               "share of reports": "share", "share of belt turnover": "share",
               "1/month per seller share": "1/month", "yuan/person": "yuan"}


def slider_label(name: str) -> str:
    """``Title (unit)``, the unit shortened to fit the sidebar (the help page has it whole)."""
    title = {s.name: s.title for s in SLIDERS}[name]
    unit = meta(name)["unit"]
    return f"{title} ({SHORT_UNITS.get(unit, unit)})"


def household_scale() -> float:
    """Agents per real household: the model default unless the launcher's --scale set
    ``CBEC_APP_HOUSEHOLD_SCALE``."""
    raw = os.environ.get(SCALE_ENV, "")
    return scale_from_env(raw) if raw.strip() else float(_DEFAULTS.household_scale)


def model_params() -> dict[str, Any]:
    """SolaraViz ``model_params``: scenario menu, seed, when and where the levers act (policy
    start and end month, the whole province or one prefecture), switches, sliders; the
    household scale is fixed."""
    params: dict[str, Any] = {
        "scenario_name": {"type": "Select", "value": DEFAULT_SCENARIO,
                          "values": list(SCENARIOS), "label": "Scenario"},
        "seed": {"type": "InputText", "value": DEFAULT_SEED,
                 "label": "Seed (a whole number >= 0)"},
        "policy_start_month": {
            "type": "SliderInt", "value": _DEFAULTS.policy_start_month, "min": 1,
            "max": _DEFAULTS.months, "step": 1,
            "label": "Policy start (month; 25 = Jan 2024)"},
        "policy_end_month": {
            "type": "SliderInt", "value": _DEFAULTS.policy_end_month, "min": 0,
            "max": _DEFAULTS.months, "step": 1,
            "label": "Policy end (last month; 0 = never, 60 = Dec 2026)"},
        "policy_counties": {"type": "Select", "value": WHOLE_PROVINCE,
                            "values": [WHOLE_PROVINCE, *PREFECTURES],
                            "label": "Levers act in"},
    }
    for name, _ in SWITCHES:
        params[name] = {"type": "Checkbox", "value": bool(getattr(_DEFAULTS, name)),
                        "label": switch_label(name)}
    for s in SLIDERS:
        params[s.name] = {"type": "SliderInt" if is_int(s.name) else "SliderFloat",
                          "value": getattr(_DEFAULTS, s.name), "min": s.lo, "max": s.hi,
                          "step": s.step, "label": slider_label(s.name)}
    params["household_scale"] = household_scale()
    return params


def parse_seed(seed: Any) -> tuple[int, str | None]:
    """The seed as an int, and a note when the text was not a seed (then 0 is used)."""
    try:
        value = int(str(seed).strip())
        return check_seed(value), None
    except (ValueError, TypeError):
        return 0, f"seed {seed!r} is not a whole number >= 0; using 0"


def resolve(scenario_name: str, settings: dict[str, Any]) -> Parameters:
    """The parameters of a run: defaults, then the scenario, then switches and moved
    sliders (see the module docstring). Raises ValueError/ParameterError for unknown names or
    values out of range."""
    overrides = get(scenario_name)
    values = dict(overrides)
    settings = dict(settings)
    if settings.get("policy_counties") == WHOLE_PROVINCE:
        settings["policy_counties"] = ""  # the default: a scenario's own counties stay
    for name, value in settings.items():
        if name in overrides and _same(value, getattr(_DEFAULTS, name, None)):
            continue  # a slider left at its default keeps the scenario's value
        values[name] = value
    return Parameters.from_dict(values)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return a == b
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    except (TypeError, ValueError):
        return a == b


class ClassroomModel(CBECModel):
    """:class:`CBECModel` built from the app's controls, recording :func:`app.state.snapshot`
    every month in ``history``. Stepping past the horizon does nothing."""

    def __init__(self, scenario_name: str = DEFAULT_SCENARIO, seed: Any = DEFAULT_SEED,
                 scenario: Any = None, **settings: Any) -> None:
        # ``scenario`` is the mesa.experimental Scenario that SolaraViz's Reset passes to
        # models taking **kwargs; the app's scenarios are the named ones (scenario_name).
        del scenario
        settings.setdefault("household_scale", household_scale())
        self.seed, note = parse_seed(seed)
        self.scenario_name = scenario_name
        self.app_params = resolve(scenario_name, settings)
        self.notes = [note] if note else []
        super().__init__(rng=self.seed, params=self.app_params)
        self.history: list[dict[str, Any]] = [state.snapshot(self)]

    def step(self) -> None:
        if not self.running:
            return
        super().step()
        self.history.append(state.snapshot(self))

    def run_to_end(self) -> ClassroomModel:
        """Step to the horizon (December 2030 by default)."""
        while self.running:
            self.step()
        return self

    def summary(self) -> dict[str, Any]:
        """What is running: scenario and its description, seed, when and where the levers act,
        and every parameter that differs from the defaults (the counties in short)."""
        changed = self.app_params.changed()
        if "policy_counties" in changed:
            changed["policy_counties"] = short_name(changed["policy_counties"])
        return {"scenario": self.scenario_name, "description": describe(self.scenario_name),
                "seed": self.seed, "levers": describe_levers(self.app_params),
                "changed": changed, "notes": self.notes}
