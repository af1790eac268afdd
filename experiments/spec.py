"""Experiment specs: a TOML file saying what to run, parsed and checked before anything runs.

A spec names the scenario to start from, fixed overrides (``[base]``), the parameters that vary
(``[parameters.NAME]``), the design (``[design]``), replications, the master seed, the outcomes
to keep (``[outputs]``) and optionally the function that runs one simulation (``[run]``).
Every mistake — a malformed file, an unknown key or parameter, a range outside what a parameter
allows, a wrong type — raises :class:`SpecError` with a message naming the thing at fault.
``docs/experiments.md`` describes the format.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model.parameters import ParameterError, Parameters

DESIGN_KINDS = ("grid", "lhs", "sobol", "morris", "list")
SAMPLED_KINDS = ("lhs", "sobol", "morris")
DISTRIBUTIONS = ("uniform", "loguniform", "normal", "triangular")
FINAL_MODES = ("last", "mean")
DEFAULT_FUNCTION = "model.run:simulate"
#: the longest per-run time limit (seconds): 30 days. Longer ones (or ``inf``) are refused, as
#: the OS timers that enforce the limit cannot hold them.
MAX_TIMEOUT = 30 * 24 * 3600.0

_TOP_KEYS = ("name", "description", "scenario", "replications", "seed", "timeout", "base",
             "design", "parameters", "outputs", "run")
_DESIGN_KEYS = ("kind", "samples", "second_order", "levels")
_PARAM_KEYS = ("values", "range", "steps", "dist", "mean", "sd", "mode")
_OUTPUT_KEYS = ("keep", "final", "window")
_RUN_KEYS = ("function",)
_FUNCTION_RE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
_FIELDS = {f.name: f for f in dataclasses.fields(Parameters)}


class SpecError(ValueError):
    """An experiment spec (or a value given for one) is wrong. The message says what and where."""


@dataclass(frozen=True)
class ParameterSpec:
    """How one parameter varies: listed ``values``, or a ``range`` (with ``steps`` for a grid,
    or a distribution ``dist`` for sampled designs)."""

    name: str
    kind: str  # "float" | "int" | "bool" | "str", the field's type
    values: tuple[Any, ...] | None = None
    range: tuple[float, float] | None = None
    steps: int | None = None
    dist: str = "uniform"
    mean: float | None = None
    sd: float | None = None
    mode: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The settings the user gave (canonical form, for the manifest)."""
        out: dict[str, Any] = {"name": self.name, "kind": self.kind}
        for key in ("values", "range", "steps", "mean", "sd", "mode"):
            value = getattr(self, key)
            if value is not None:
                out[key] = list(value) if isinstance(value, tuple) else value
        if self.values is None and self.steps is None:
            out["dist"] = self.dist
        return out

    def bounds(self) -> tuple[float, float]:
        """The support a sampled value lies in (normal: its truncation bounds)."""
        if self.range is not None:
            return self.range
        meta = _FIELDS[self.name].metadata
        lo = -math.inf if meta["lo"] is None else float(meta["lo"])
        hi = math.inf if meta["hi"] is None else float(meta["hi"])
        return lo, hi


@dataclass(frozen=True)
class DesignSpec:
    """The design: its kind, and ``samples`` (lhs points, Sobol N, Morris trajectories)."""

    kind: str
    samples: int | None = None
    second_order: bool = True  # Sobol: also second-order indices (N * (2D + 2) points)
    levels: int = 4  # Morris: grid levels

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.samples is not None:
            out["samples"] = self.samples
        if self.kind == "sobol":
            out["second_order"] = self.second_order
        if self.kind == "morris":
            out["levels"] = self.levels
        return out


@dataclass(frozen=True)
class OutputSpec:
    """Which outcome columns each run keeps, and how a run is summarised for analysis."""

    keep: tuple[str, ...] | None = None  # None: every numeric column
    final: str = "last"  # "last" month, or "mean" over the last `window` months
    window: int = 12

    def to_dict(self) -> dict[str, Any]:
        return {"keep": None if self.keep is None else list(self.keep), "final": self.final,
                "window": self.window}


@dataclass(frozen=True)
class Spec:
    """A parsed, validated experiment spec."""

    name: str
    scenario: str
    replications: int
    seed: int
    base: Mapping[str, Any]
    design: DesignSpec
    parameters: tuple[ParameterSpec, ...]
    outputs: OutputSpec = field(default_factory=OutputSpec)
    function: str = DEFAULT_FUNCTION
    timeout: float | None = None
    description: str = ""
    text: str = ""
    source: str = "<string>"

    @property
    def names(self) -> tuple[str, ...]:
        """The varied parameters, in spec order."""
        return tuple(p.name for p in self.parameters)

    def to_dict(self) -> dict[str, Any]:
        """Canonical content (JSON-able), as recorded in the manifest."""
        return {
            "name": self.name, "description": self.description, "scenario": self.scenario,
            "replications": self.replications, "seed": self.seed, "timeout": self.timeout,
            "base": dict(self.base), "design": self.design.to_dict(),
            "parameters": [p.to_dict() for p in self.parameters],
            "outputs": self.outputs.to_dict(), "function": self.function,
        }

    def fingerprint(self) -> str:
        """Hash of everything that decides the results (not the description or time limit)."""
        return fingerprint_of(self.to_dict())

    def with_timeout(self, seconds: float | None) -> Spec:
        """A copy with another per-run time limit (None: none)."""
        if seconds is not None:
            _check_timeout(seconds, "timeout")
        return dataclasses.replace(self, timeout=None if seconds is None else float(seconds))


def fingerprint_of(content: Mapping[str, Any]) -> str:
    """The fingerprint of a spec's canonical content (:meth:`Spec.to_dict`, or the ``spec`` a
    manifest recorded): sha256 of its JSON without the description and time limit."""
    content = {k: v for k, v in content.items() if k not in ("description", "timeout")}
    blob = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _check_timeout(value: Any, what: str) -> None:
    if not (_is_number(value) and math.isfinite(value) and 0 < value <= MAX_TIMEOUT):
        raise SpecError(f"'{what}' = {value!r} is not allowed; allowed: a number of seconds "
                        f"above 0 and at most {MAX_TIMEOUT:,.0f} (30 days)")


# --------------------------------------------------------------------------- scenarios


def scenario_overrides(name: str) -> dict[str, Any]:
    """The parameter overrides of scenario `name` (:func:`model.scenarios.get`), as a SpecError
    naming the known ones if unknown."""
    from model import scenarios

    try:
        return scenarios.get(name)
    except ValueError as exc:
        raise SpecError(str(exc)) from None


# ----------------------------------------------------------------------------- parsing


def load_spec(path: str | Path) -> Spec:
    """Read and validate a spec file."""
    from experiments.storage import read_input_text  # storage imports this module

    if isinstance(path, str) and not path.strip():
        raise SpecError("the spec file path is empty; allowed: the path of a TOML spec file "
                        "(see experiments/examples/)")
    path = Path(path)
    if path.is_dir():
        raise SpecError(f"spec file '{path}' is a directory, not a spec file; allowed: the path "
                        "of a TOML spec file (see experiments/examples/). To resume a sweep, "
                        "give its spec file again with --out DIR")
    text = read_input_text(path, "spec file", "the path of a TOML spec file (see "
                           "experiments/examples/)", SpecError)
    return parse_spec(text, source=str(path))


def parse_spec(text: str, source: str = "<string>") -> Spec:
    """Parse and validate spec text (TOML)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{source}: malformed TOML: {exc}") from None
    except RecursionError:
        raise SpecError(f"{source}: malformed TOML: arrays or tables nested too deeply") from None
    try:
        return spec_from_dict(data, text=text, source=source)
    except SpecError as exc:
        raise SpecError(f"{source}: {exc}") from None


def spec_from_dict(data: Mapping[str, Any], text: str = "", source: str = "<string>") -> Spec:
    """Validate a spec given as a mapping (the parsed TOML)."""
    _check_keys(data, _TOP_KEYS, "the spec")
    name = _required(data, "name", "the spec")
    if not isinstance(name, str) or not name.strip():
        raise SpecError(f"'name' must be a non-empty string, got {name!r}")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise SpecError(f"'description' must be a string, got {description!r}")
    scenario = data.get("scenario", "baseline")
    if not isinstance(scenario, str):
        raise SpecError(f"'scenario' must be a scenario name, got {scenario!r}")
    replications = _integer(data.get("replications", 1), "replications", minimum=1)
    seed = _integer(data.get("seed", 0), "seed", minimum=0)
    timeout = data.get("timeout")
    if timeout is not None:
        _check_timeout(timeout, "timeout")

    start = scenario_overrides(scenario)
    base = _table(data.get("base", {}), "[base]")
    for key in base:
        if key not in _FIELDS:
            _raise_unknown_parameter(key, "[base]")
    try:
        resolved = Parameters.from_dict({**start, **base})
    except ParameterError as exc:
        raise SpecError(f"[base] on scenario '{scenario}': {exc}") from None
    base = {k: getattr(resolved, k) for k in base}

    design = _design(_table(_required(data, "design", "the spec"), "[design]"))
    parameters = _parameters(_table(_required(data, "parameters", "the spec"), "[parameters]"),
                             design, base)
    outputs = _outputs(_table(data.get("outputs", {}), "[outputs]"))
    _check_window(outputs, parameters, resolved.months)
    run = _table(data.get("run", {}), "[run]")
    _check_keys(run, _RUN_KEYS, "[run]")
    function = run.get("function", DEFAULT_FUNCTION)
    if not isinstance(function, str) or not _FUNCTION_RE.match(function):
        raise SpecError(f"[run] function must look like 'package.module:function', "
                        f"got {function!r}")
    if function == DEFAULT_FUNCTION and outputs.keep is not None:
        _check_keep(outputs.keep)
    return Spec(name=name.strip(), scenario=scenario, replications=replications, seed=seed,
                base=base, design=design, parameters=parameters, outputs=outputs,
                function=function, timeout=None if timeout is None else float(timeout),
                description=description, text=text, source=source)


def _design(table: Mapping[str, Any]) -> DesignSpec:
    _check_keys(table, _DESIGN_KEYS, "[design]")
    kind = _required(table, "kind", "[design]")
    if kind not in DESIGN_KINDS:
        raise SpecError(f"[design] kind {kind!r} is unknown{_hint(str(kind), DESIGN_KINDS)}; "
                        f"allowed: {', '.join(DESIGN_KINDS)}")
    samples = table.get("samples")
    if kind in SAMPLED_KINDS:
        if samples is None:
            what = {"lhs": "points", "sobol": "base samples N", "morris": "trajectories"}[kind]
            raise SpecError(f"[design] kind = '{kind}' needs 'samples' (the number of {what})")
        samples = _integer(samples, "[design] samples", minimum=2 if kind == "morris" else 1)
        if kind == "sobol" and samples & (samples - 1):
            lower = 1 << (samples.bit_length() - 1)
            raise SpecError(f"[design] samples = {samples}: Sobol sampling needs a power of 2; "
                            f"try {lower} or {lower * 2}")
    elif samples is not None:
        raise SpecError(f"[design] 'samples' has no meaning for kind = '{kind}' (its points "
                        "come from the parameters' values)")
    second_order = table.get("second_order", True)
    if "second_order" in table and kind != "sobol":
        raise SpecError("[design] 'second_order' is only for kind = 'sobol'")
    if not isinstance(second_order, bool):
        raise SpecError(f"[design] second_order must be true or false, got {second_order!r}")
    if "levels" in table and kind != "morris":
        raise SpecError("[design] 'levels' is only for kind = 'morris'")
    levels = _integer(table.get("levels", 4), "[design] levels", minimum=2)
    return DesignSpec(kind=kind, samples=samples, second_order=second_order, levels=levels)


def _parameters(table: Mapping[str, Any], design: DesignSpec,
                base: Mapping[str, Any]) -> tuple[ParameterSpec, ...]:
    if not table:
        raise SpecError("[parameters] is empty; name at least one parameter to vary, e.g. "
                        "[parameters.pickup_coverage] range = [0.15, 0.8]")
    specs = []
    for name, settings in table.items():
        where = f"[parameters.{name}]"
        if name not in _FIELDS:
            _raise_unknown_parameter(name, where)
        if name in base:
            raise SpecError(f"{where}: '{name}' is both fixed in [base] and varied; "
                            "remove one of them")
        specs.append(_parameter(name, _table(settings, where), design, where))
    if design.kind == "list":
        lengths = {p.name: len(p.values or ()) for p in specs}
        if len(set(lengths.values())) > 1:
            listed = ", ".join(f"{k}: {v}" for k, v in lengths.items())
            raise SpecError(f"kind = 'list' pairs the i-th values of every parameter, so all "
                            f"need as many values; got {listed}")
    return tuple(specs)


def _parameter(name: str, settings: Mapping[str, Any], design: DesignSpec,
               where: str) -> ParameterSpec:
    _check_keys(settings, _PARAM_KEYS, where)
    kind = _field_kind(name)
    allowed = _allowed(name)
    given = set(settings)
    if design.kind in ("grid", "list"):
        extra = given & {"dist", "mean", "sd", "mode"}
        if extra:
            raise SpecError(f"{where}: {', '.join(sorted(extra))} only apply to sampled designs "
                            f"(lhs, sobol, morris), not kind = '{design.kind}'")
        if design.kind == "list" and given != {"values"}:
            raise SpecError(f"{where}: kind = 'list' takes 'values' only")
        if "values" in given:
            if given & {"range", "steps"}:
                raise SpecError(f"{where}: give either 'values' or 'range' with 'steps'")
            values = _values(settings["values"], name, kind, where,
                             unique=design.kind == "grid")
            return ParameterSpec(name, kind, values=values)
        if given != {"range", "steps"}:
            raise SpecError(f"{where}: a grid parameter needs 'values = [...]' or "
                            "'range = [lo, hi]' with 'steps = n'")
        if kind == "bool":
            raise SpecError(f"{where}: '{name}' is true/false; use values = [false, true]")
        if kind == "str":
            raise SpecError(f"{where}: '{name}' takes names; use values = [\"...\", ...]")
        lo, hi = _range(settings["range"], name, kind, where, allowed)
        steps = _integer(settings["steps"], f"{where} steps", minimum=2)
        if kind == "int" and steps > hi - lo + 1:
            raise SpecError(f"{where}: {steps} steps between {lo:g} and {hi:g} would repeat "
                            f"whole numbers; use at most {int(hi - lo + 1)}")
        return ParameterSpec(name, kind, range=(lo, hi), steps=steps)

    # lhs, sobol, morris: a distribution over a continuous support
    if kind in ("bool", "str"):
        what = "true/false" if kind == "bool" else "a list of names"
        raise SpecError(f"{where}: '{name}' is {what} and cannot be sampled by "
                        f"kind = '{design.kind}'; vary it in a grid or list design, or "
                        "fix it in [base]")
    if given & {"values", "steps"}:
        raise SpecError(f"{where}: 'values' and 'steps' are for grid and list designs; "
                        f"kind = '{design.kind}' samples from 'range = [lo, hi]' "
                        "(or 'dist' with its arguments)")
    dist = settings.get("dist", "uniform")
    if dist not in DISTRIBUTIONS:
        raise SpecError(f"{where}: dist {dist!r} is unknown{_hint(str(dist), DISTRIBUTIONS)}; "
                        f"allowed: {', '.join(DISTRIBUTIONS)}")
    needs = {"uniform": {"range"}, "loguniform": {"range"}, "triangular": {"range", "mode"},
             "normal": {"mean", "sd"}}[dist]
    optional = {"dist"} | ({"range"} if dist == "normal" else set())
    missing = needs - given
    if missing:
        raise SpecError(f"{where}: dist = '{dist}' needs {', '.join(sorted(missing))}")
    unused = given - needs - optional
    if unused:
        raise SpecError(f"{where}: {', '.join(sorted(unused))} not used by dist = '{dist}'")
    rng = _range(settings["range"], name, kind, where, allowed) if "range" in given else None
    out = ParameterSpec(name, kind, range=rng, dist=dist)
    if dist == "loguniform" and rng[0] <= 0:
        raise SpecError(f"{where}: dist = 'loguniform' needs a range above 0, got "
                        f"[{rng[0]:g}, {rng[1]:g}]")
    if dist == "triangular":
        mode = _number(settings["mode"], f"{where} mode")
        if not rng[0] <= mode <= rng[1]:
            raise SpecError(f"{where}: mode = {mode:g} lies outside range "
                            f"[{rng[0]:g}, {rng[1]:g}]")
        out = dataclasses.replace(out, mode=mode)
    if dist == "normal":
        mean = _number(settings["mean"], f"{where} mean")
        sd = _number(settings["sd"], f"{where} sd")
        if sd <= 0:
            raise SpecError(f"{where}: sd must be above 0, got {sd:g}")
        out = dataclasses.replace(out, mean=mean, sd=sd)
        lo, hi = out.bounds()
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise SpecError(f"{where}: '{name}' has no allowed bounds; give range = [lo, hi] "
                            "to truncate the normal distribution")
        if not lo <= mean <= hi:
            raise SpecError(f"{where}: mean = {mean:g} lies outside the truncation bounds "
                            f"[{lo:g}, {hi:g}] ({'the range' if rng else 'what it allows'})")
    return out


def _values(values: Any, name: str, kind: str, where: str, unique: bool) -> tuple[Any, ...]:
    if not isinstance(values, list) or not values:
        raise SpecError(f"{where}: values must be a non-empty list, got {values!r}")
    out = []
    for value in values:
        if kind == "bool":
            if not isinstance(value, bool):
                raise SpecError(f"{where}: '{name}' is true/false; got {value!r}")
        elif kind == "str":
            if not isinstance(value, str):
                raise SpecError(f"{where}: '{name}' takes text (comma-separated names); "
                                f"got {value!r}")
        elif kind == "int":
            value = _whole(value, name, where)
        elif not _is_number(value):
            raise SpecError(f"{where}: '{name}' takes numbers; got {value!r}")
        else:
            value = float(value)
        lo, hi = _allowed(name)
        if kind not in ("bool", "str") and ((lo is not None and value < lo)
                                            or (hi is not None and value > hi)):
            unit = _FIELDS[name].metadata["unit"]
            raise SpecError(f"{where}: value {value:g} is outside what '{name}' allows: "
                            f"{_fmt(lo)} to {_fmt(hi)} ({unit})")
        out.append(value)
    repeated = sorted({str(v) for v in out if out.count(v) > 1})
    if unique and repeated:
        raise SpecError(f"{where}: values repeat ({', '.join(repeated)})")
    return tuple(out)


def _range(value: Any, name: str, kind: str, where: str,
           allowed: tuple[float | None, float | None]) -> tuple[float, float]:
    if (not isinstance(value, list) or len(value) != 2
            or not all(_is_number(v) for v in value)):
        raise SpecError(f"{where}: range must be [lo, hi] (two numbers), got {value!r}")
    lo, hi = (float(v) for v in value)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise SpecError(f"{where}: range must be finite, got [{lo:g}, {hi:g}]")
    if lo >= hi:
        raise SpecError(f"{where}: range [{lo:g}, {hi:g}] is empty; lo must be below hi")
    if kind == "int":
        lo, hi = float(_whole(value[0], name, where)), float(_whole(value[1], name, where))
    a_lo, a_hi = allowed
    if (a_lo is not None and lo < a_lo) or (a_hi is not None and hi > a_hi):
        unit = _FIELDS[name].metadata["unit"]
        raise SpecError(f"{where}: range [{lo:g}, {hi:g}] goes outside what '{name}' allows: "
                        f"{_fmt(a_lo)} to {_fmt(a_hi)} ({unit})")
    return lo, hi


def _outputs(table: Mapping[str, Any]) -> OutputSpec:
    _check_keys(table, _OUTPUT_KEYS, "[outputs]")
    keep = table.get("keep")
    if keep is not None:
        if (not isinstance(keep, list) or not keep
                or not all(isinstance(k, str) and k for k in keep)):
            raise SpecError(f"[outputs] keep must be a non-empty list of outcome column names, "
                            f"got {keep!r}")
        repeated = sorted({k for k in keep if keep.count(k) > 1})
        if repeated:
            raise SpecError(f"[outputs] keep lists {', '.join(repeated)} more than once")
        reserved = sorted(set(keep) & {"month", "date", "run_id", "point", "replication", "seed"})
        if reserved:
            raise SpecError(f"[outputs] keep: {', '.join(reserved)} are always stored; list "
                            "outcome columns only")
        keep = tuple(keep)
    final = table.get("final", "last")
    if final not in FINAL_MODES:
        raise SpecError(f"[outputs] final must be 'last' (the last month) or 'mean' (the mean "
                        f"over the last `window` months), got {final!r}")
    window = _integer(table.get("window", 12), "[outputs] window", minimum=1)
    return OutputSpec(keep=keep, final=final, window=window)


def _check_keep(keep: tuple[str, ...]) -> None:
    """The model's own run function produces exactly :data:`model.outcomes.COLUMNS`: a kept
    name it does not produce is refused before any run (another function is checked on its
    first result)."""
    from model.outcomes import COLUMNS

    produced = [c for c in COLUMNS if c not in ("month", "date")]
    unknown = [k for k in keep if k not in produced]
    if unknown:
        raise SpecError(f"[outputs] keep names {', '.join(map(repr, unknown))}, which the model "
                        f"does not produce{_hint(unknown[0], produced)}; the outcome columns "
                        "are listed in docs/ODD.md and model.outcomes.COLUMNS")


def _check_window(outputs: OutputSpec, parameters: tuple[ParameterSpec, ...],
                  months: int) -> None:
    """``window`` months of a run are averaged: no run may be shorter (``final = "mean"``)."""
    if outputs.final != "mean":
        return
    varied = next((p for p in parameters if p.name == "months"), None)
    if varied is not None:
        months = int(min(varied.values) if varied.values is not None
                     else (varied.range or (months, months))[0])
    if outputs.window > months:
        raise SpecError(f"[outputs] window = {outputs.window} is longer than the "
                        f"{'shortest ' if varied is not None else ''}run ({months} months); "
                        f"allowed: 1 to {months}")


def spec_from_manifest(content: Mapping[str, Any]) -> Spec:
    """The :class:`Spec` a manifest recorded (its ``spec``: :meth:`Spec.to_dict`), rebuilt
    without consulting the model (its scenarios and parameters may have changed since the
    sweep). Checks the structure and the values the analysis relies on; SpecError otherwise."""
    try:
        design = content["design"]
        kind = design["kind"]
        if kind not in DESIGN_KINDS:
            raise SpecError(f"design kind {kind!r} is unknown; allowed: "
                            f"{', '.join(DESIGN_KINDS)}")
        samples = design.get("samples")
        if kind in SAMPLED_KINDS:
            _integer(samples, "design samples", minimum=1)
        parameters = []
        for p in content["parameters"]:
            unknown = set(p) - {"name", "kind", "dist", *_PARAM_KEYS}
            if unknown or not isinstance(p["name"], str) or p["kind"] not in ("float", "int",
                                                                             "bool", "str"):
                raise SpecError(f"parameter entry {p!r} is malformed")
            values = p.get("values")
            rng = p.get("range")
            parameters.append(ParameterSpec(
                name=p["name"], kind=p["kind"],
                values=None if values is None else tuple(values),
                range=None if rng is None else (float(rng[0]), float(rng[1])),
                steps=p.get("steps"), dist=p.get("dist", "uniform"), mean=p.get("mean"),
                sd=p.get("sd"), mode=p.get("mode")))
            if kind in SAMPLED_KINDS and parameters[-1].dist not in DISTRIBUTIONS:
                raise SpecError(f"parameter '{p['name']}' has an unknown dist")
            if kind in ("grid", "list") and values is None and (
                    rng is None or not isinstance(p.get("steps"), int)):
                raise SpecError(f"grid parameter '{p['name']}' has neither values nor steps")
        if not parameters:
            raise SpecError("no varied parameters")
        outputs = content["outputs"]
        keep = outputs["keep"]
        if keep is not None and not (isinstance(keep, list)
                                     and all(isinstance(k, str) for k in keep)):
            raise SpecError(f"outputs keep {keep!r} is not a list of names")
        if outputs["final"] not in FINAL_MODES:
            raise SpecError(f"outputs final {outputs['final']!r} is not allowed; allowed: "
                            f"{', '.join(FINAL_MODES)}")
        window = _integer(outputs["window"], "outputs window", minimum=1)
        timeout = content.get("timeout")
        return Spec(
            name=str(content["name"]), scenario=str(content["scenario"]),
            replications=_integer(content["replications"], "replications", minimum=1),
            seed=_integer(content["seed"], "seed", minimum=0),
            base=dict(_table(content["base"], "base")),
            design=DesignSpec(kind=kind, samples=samples,
                              second_order=bool(design.get("second_order", True)),
                              levels=_integer(design.get("levels", 4), "levels", minimum=2)),
            parameters=tuple(parameters),
            outputs=OutputSpec(keep=None if keep is None else tuple(keep),
                               final=outputs["final"], window=window),
            function=str(content["function"]),
            timeout=None if timeout is None else float(timeout),
            description=str(content.get("description", "")))
    except SpecError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise SpecError(f"malformed spec ({type(exc).__name__}: {exc})") from None


# ----------------------------------------------------------------------------- helpers


def _field_kind(name: str) -> str:
    kind = _FIELDS[name].type
    return kind if isinstance(kind, str) else kind.__name__


def _allowed(name: str) -> tuple[float | None, float | None]:
    meta = _FIELDS[name].metadata
    return meta["lo"], meta["hi"]


def _fmt(x: float | None) -> str:
    return "any" if x is None else f"{x:,.6g}"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number(value: Any, what: str) -> float:
    if not _is_number(value) or not math.isfinite(value):
        raise SpecError(f"{what} must be a number, got {value!r}")
    return float(value)


def _integer(value: Any, what: str, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(f"'{what}' must be a whole number, got {value!r}")
    if minimum is not None and value < minimum:
        raise SpecError(f"'{what}' must be at least {minimum}, got {value}")
    return value


def _whole(value: Any, name: str, where: str) -> int:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(f"{where}: '{name}' is a whole number; got {value!r}")
    return value


def _table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise SpecError(f"{where} must be a table, got {value!r}")
    return dict(value)


def _required(table: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in table:
        raise SpecError(f"{where} is missing '{key}'")
    return table[key]


def _check_keys(table: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    for key in table:
        if key not in allowed:
            raise SpecError(f"unknown key '{key}' in {where}{_hint(key, allowed)}; "
                            f"allowed: {', '.join(allowed)}")


def _hint(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _raise_unknown_parameter(name: str, where: str) -> None:
    try:
        Parameters.from_dict({name: 0})
    except ParameterError as exc:
        raise SpecError(f"{where}: {exc}") from None
