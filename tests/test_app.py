"""The interactive app (app/): controls from the Parameters metadata, the model it rebuilds,
the state it reads, its charts, the launcher and the offline front-end. No browser here
(tests/test_app_browser.py drives the page in Chromium).

Needs the ``app`` extra (solara, altair), which ``make dev`` installs; skips without it,
except under CI, where it fails.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from optional_extras import require_extra

require_extra("solara", "app")
require_extra("altair", "app")

from app import charts, classroom, launch, offline_assets, state  # noqa: E402
from app.classroom import (  # noqa: E402
    SLIDERS,
    SWITCHES,
    WHOLE_PROVINCE,
    ClassroomModel,
    model_params,
    resolve,
)
from model.parameters import ParameterError, Parameters  # noqa: E402
from model.scenarios import SCENARIOS  # noqa: E402

SMALL = 0.004  # household_scale for fast tests


@pytest.fixture(scope="module")
def finished():
    """A small model run to December 2030."""
    return ClassroomModel(household_scale=SMALL).run_to_end()


# ------------------------------------------------------------------------ controls
def test_every_theory_mechanism_has_a_switch():
    names = {n for n, _ in SWITCHES}
    assert names == {"spread_effect", "backwash_effect", "gradient_transfer", "secondary_poles",
                     "clusters", "returnees"}
    params = model_params()
    for name in names:
        assert params[name]["type"] == "Checkbox"
        assert params[name]["value"] is getattr(Parameters(), name)
        assert classroom.meta(name)["source"] in params[name]["label"]


def test_sliders_come_from_the_parameters_metadata():
    params = model_params()
    defaults = Parameters()
    for s in SLIDERS:
        m = classroom.meta(s.name)
        p = params[s.name]
        assert p["type"] == ("SliderInt" if classroom.is_int(s.name) else "SliderFloat")
        assert m["lo"] <= s.lo < s.hi <= m["hi"], s.name  # within the allowed range
        default = getattr(defaults, s.name)
        assert p["value"] == default and s.lo <= default <= s.hi, s.name
        # the default lies on the slider's grid, so the slider shows it exactly
        k = (default - s.lo) / s.step
        assert math.isclose(k, round(k), abs_tol=1e-6), s.name
        assert p["label"].startswith(s.title) and "(" in p["label"], s.name
    assert any(s.name == "pickup_coverage" for s in SLIDERS)
    assert any(s.name == "subsidy_min_turnover_yuan" for s in SLIDERS)


def test_scenario_menu_seed_and_policy_start():
    params = model_params()
    assert params["scenario_name"]["type"] == "Select"
    assert params["scenario_name"]["values"] == list(SCENARIOS)
    assert params["seed"]["type"] == "InputText"
    start = params["policy_start_month"]
    assert start["type"] == "SliderInt" and start["value"] == Parameters().policy_start_month
    assert params["household_scale"] == Parameters().household_scale  # fixed, not a control


def test_policy_end_month_and_counties_controls():
    """The app sets when the levers stop and where they act (ODD §7.16)."""
    params = model_params()
    end = params["policy_end_month"]
    assert end["type"] == "SliderInt" and end["value"] == 0 and end["min"] == 0
    where = params["policy_counties"]
    assert where["type"] == "Select" and where["value"] == WHOLE_PROVINCE
    assert len(where["values"]) == 10  # the province and its nine prefectures
    for prefecture in where["values"][1:]:
        assert Parameters(policy_counties=prefecture).policy_counties  # every entry is valid
    # left at their defaults they keep a scenario's window and counties; moved, they win
    p = resolve("qiandongnan_embroidery", {"policy_counties": WHOLE_PROVINCE,
                                           "policy_end_month": 0})
    assert p.policy_counties == Parameters(policy_counties="Qiandongnan").policy_counties
    p = resolve("pickup_80_2024_2026", {"policy_counties": "Zunyi", "policy_end_month": 0})
    assert p.policy_end_month == 60 and "Meitan" in p.policy_counties
    assert resolve("baseline", {"policy_counties": WHOLE_PROVINCE}).policy_counties == ""
    m = ClassroomModel("pickup_80", "1", policy_end_month=30, policy_counties="Tongren",
                       household_scale=0.002)
    assert m.summary()["levers"] == "months 25-30, in Tongren"
    assert m.summary()["changed"]["policy_counties"] == "Tongren"


def test_every_control_is_a_model_argument():
    allowed = set(Parameters().to_dict()) | {"scenario_name", "seed"}
    assert set(model_params()) <= allowed


def test_scenario_then_switches_then_moved_sliders():
    p = resolve("pickup_80", {"pickup_coverage": Parameters().pickup_coverage,
                              "spread_effect": False})
    assert p.pickup_coverage == 0.8  # a slider left at its default keeps the scenario's value
    assert p.spread_effect is False
    p = resolve("pickup_80", {"pickup_coverage": 0.5})
    assert p.pickup_coverage == 0.5  # a moved slider wins
    p = resolve("baseline", {"full_service_station_share": 0.38000000000000006})
    assert p.full_service_station_share == pytest.approx(0.38)
    with pytest.raises(ValueError, match="unknown scenario"):
        resolve("no_such_scenario", {})
    with pytest.raises(ParameterError):
        resolve("baseline", {"pickup_coverage": 2.0})


def test_seed_text():
    assert classroom.parse_seed("7") == (7, None)
    assert classroom.parse_seed(" 12 ") == (12, None)
    seed, note = classroom.parse_seed("seven")
    assert seed == 0 and "seven" in note
    assert classroom.parse_seed("-3")[0] == 0


def test_scale_from_the_launcher(monkeypatch):
    monkeypatch.setenv(classroom.SCALE_ENV, "0.005")
    assert model_params()["household_scale"] == 0.005
    assert ClassroomModel(months=2).params.household_scale == 0.005


# --------------------------------------------------------------------------- model
def test_model_is_rebuilt_the_way_solaraviz_resets_it():
    """SolaraViz's Reset calls type(model)(**model_parameters, scenario=<mesa Scenario>)."""
    from mesa.experimental.scenarios import Scenario
    from mesa.visualization.solara_viz import _build_model_init_kwargs

    params = {k: (v["value"] if isinstance(v, dict) else v) for k, v in model_params().items()}
    params.update(household_scale=SMALL, scenario_name="pickup_80", seed="3",
                  backwash_effect=False)
    first = ClassroomModel(household_scale=SMALL)
    kwargs = _build_model_init_kwargs(first, params, add_scenario_when_empty=True,
                                      require_model_accepts_scenario=True)
    assert isinstance(kwargs.get("scenario"), Scenario)
    m = type(first)(**kwargs)
    assert m.scenario_name == "pickup_80" and m.seed == 3
    assert m.app_params.pickup_coverage == 0.8 and m.app_params.backwash_effect is False
    assert m.summary()["changed"]["pickup_coverage"] == 0.8


def test_steps_record_snapshots_and_stop_at_the_horizon():
    m = ClassroomModel(household_scale=SMALL, months=3)
    assert [h["month"] for h in m.history] == [0]
    m.step()
    assert state.month(m) == 1 and state.date(m) == pd.Timestamp("2022-01-01")
    m.run_to_end()
    assert [h["month"] for h in m.history] == [0, 1, 2, 3] and not m.running
    m.step()  # past the horizon: nothing
    assert state.month(m) == 3 and len(m.history) == 4


def test_same_seed_same_run():
    a = ClassroomModel(household_scale=SMALL, months=6, seed="5").run_to_end()
    b = ClassroomModel(household_scale=SMALL, months=6, seed="5").run_to_end()
    pd.testing.assert_frame_equal(a.outcomes(), b.outcomes())


# --------------------------------------------------------------------------- state
def test_state_tables(finished):
    m = finished
    c = state.county_values(m)
    assert len(c) == 88 and c["code"].is_unique
    assert {"name_zh", "name_pinyin", "adoption", "returnee_share", "knowhow"} <= set(c)
    assert c["adoption"].between(0, 1).all() and c["adoption"].max() > 0
    assert c["knowhow"].between(0, 1).all()
    for cells in (state.cell_knowhow(m), state.pole_field(m)):
        assert 0 < len(cells) < 5000  # Altair's row limit
        assert cells["county"].between(0, 87).all() and np.isfinite(cells["value"]).all()
    clusters = state.cluster_cells(m)
    assert len(clusters) == m.outcomes()["cluster_cells"].iloc[-1]
    poles = state.poles(m)
    assert list(poles["name"][:3]) == ["Guiyang", "Zunyi", "Tongren"]
    assert not poles["secondary"][:3].any()
    shapes = state.county_shapes()
    assert len(shapes) == 88
    assert {f["properties"]["code"] for f in shapes} == set(c["code"])


def test_secondary_poles_appear_on_the_map_and_in_the_history(finished):
    m = finished
    n_secondary = int(m.outcomes()["secondary_poles"].iloc[-1])
    poles = state.poles(m)
    assert int(poles["secondary"].sum()) == n_secondary
    history = pd.DataFrame(m.history)
    assert history["pole:Tongren"].iloc[:25].isna().all()  # Tongren from January 2024
    if n_secondary:
        name = poles.loc[poles["secondary"], "name"].iloc[0]
        since = int(poles.loc[poles["name"] == name, "since"].iloc[0])
        assert history[f"pole:{name}"].iloc[:since].isna().all()
        assert history[f"pole:{name}"].iloc[since:].notna().all()


def test_knowhow_ladder(finished):
    h = pd.DataFrame(finished.history)
    assert list(state.LADDER) == ["east", "pilot-zone poles", "counties < 50 km",
                                  "counties 50-100 km", "counties >= 100 km", "villages"]
    assert (h["east"] == 1.0).all()
    first = h.iloc[0]
    # at the start the ladder descends from east to the villages
    values = [first[k] for k in state.LADDER]
    assert values == sorted(values, reverse=True)
    assert (h[list(state.LADDER)].to_numpy() <= 1.0).all()


# --------------------------------------------------------------------------- charts
def _datasets(spec: dict) -> list:
    return list(spec.get("datasets", {}).values())


@pytest.mark.parametrize("layer", list(charts.LAYERS))
def test_map_layers(finished, layer):
    m = finished
    counties, cells, square = state.map_layer(m, layer)
    assert (cells is None) == (charts.LAYERS[layer][2] == "county")
    assert "value" in counties or cells is not None
    chart = charts.map_chart(layer, counties, state.county_shapes(1.0), cells, state.poles(m),
                             state.extent_km(m), square, state.date(m))
    spec = chart.to_dict()  # validates against the Vega-Lite schema
    text = json.dumps(spec, ensure_ascii=False)
    assert "December 2030" in text
    assert "name_zh" in text and "name_pinyin" in text  # the hover shows both names
    assert "贵阳" in text or "南明区" in text
    assert all(len(d) < 5000 for d in _datasets(spec))
    # the poles are drawn, sized by strength, secondary ones as such
    assert "strength" in text and "secondary pole" in text


def test_time_series_charts(finished):
    o = finished.outcomes()
    h = pd.DataFrame(finished.history)
    start, end = pd.Timestamp("2021-12-01"), pd.Timestamp("2030-12-01")
    for chart in (charts.core_periphery(o, start, end),
                  charts.knowhow_ladder(h, state.LADDER, start, end),
                  charts.returnees(o, start, end), charts.clusters(o, start, end),
                  charts.pole_strengths(h, start, end)):
        spec = chart.to_dict()
        assert _datasets(spec) and all(len(d) > 0 for d in _datasets(spec))
    assert "gap: core minus periphery" in json.dumps(charts.core_periphery(o, start, end)
                                                     .to_dict())


def test_outcome_columns_the_app_plots_exist(finished):
    o = finished.outcomes()
    for col in ("adoption_share_core", "adoption_share_periphery", "core_periphery_gap",
                "returns_month_real", "returns_to_pole_counties_month_real",
                "returnee_destination_pole_km", "clusters", "towns", "belts", "cluster_cells",
                "industry_clusters", "share_sellers_in_clusters", "secondary_poles"):
        assert col in o, col


# ------------------------------------------------------------------------ the page
def _walk(widget):
    import ipywidgets

    yield widget
    # children, and the items of Mesa's draggable grid
    for child in [*(getattr(widget, "children", None) or []),
                  *(getattr(widget, "items", None) or [])]:
        if isinstance(child, ipywidgets.Widget):
            yield from _walk(child)


def _by_class(box, name):
    return [w for w in _walk(box) if name in (getattr(w, "class_", None) or "").split()]


def test_page_renders_and_the_buttons_work(monkeypatch):
    import ipyvuetify as v
    import solara

    monkeypatch.setenv(classroom.SCALE_ENV, str(SMALL))
    from app.app import Page

    @solara.component
    def Root():
        with solara.AppLayout():
            Page()

    box, rc = solara.render(Root(), handle_error=False)
    try:
        def date():
            return _by_class(box, "cbec-date")[0].children[0]

        assert date() == "December 2021 (start state)"
        assert _by_class(box, "cbec-map") and len(_by_class(box, "cbec-plot")) == 5
        buttons = {w.children[0]: w for w in _walk(box) if isinstance(w, v.Btn) and w.children}
        assert {"Reset", "Step", "Run to 2030"} <= set(buttons)
        buttons["Step"].click()
        assert date() == "January 2022"
        buttons["Run to 2030"].click()
        assert date() == "December 2030"
        buttons["Reset"].click()
        assert date() == "December 2021 (start state)"
    finally:
        rc.close()


def test_grid_layout_does_not_overlap():
    from app.app import grid_layout

    for n in (1, 2, 6, 7):
        items = grid_layout(n)
        assert [i["i"] for i in items] == list(range(n))
        cells = set()
        for it in items:
            assert 0 <= it["x"] and it["x"] + it["w"] <= 12
            for x in range(it["x"], it["x"] + it["w"]):
                for y in range(it["y"], it["y"] + it["h"]):
                    assert (x, y) not in cells
                    cells.add((x, y))


def test_mesa_still_lays_out_pages_with_the_function_the_app_replaces():
    import mesa.visualization.solara_viz as sv

    import app.app  # noqa: F401

    assert sv.make_initial_grid_layout is app.app.grid_layout


def test_telemetry_and_the_call_home_are_off():
    import solara.checks
    from solara.server import settings

    import app.app

    assert settings.telemetry.mixpanel_enable is False
    # the server asks this, at every page, in development mode (solara/server/server.py)
    assert solara.checks.should_perform_solara_check is app.app._no_call_home


# ------------------------------------------------------------------------ launcher
def _parse(argv):
    return launch.add_arguments(argparse.ArgumentParser()).parse_args(argv)


def test_launcher_defaults_to_this_machine_only():
    args = _parse([])
    assert args.host == "127.0.0.1" and args.port == 8765
    cmd = launch.command(args)
    assert cmd[1:5] == ["-m", "solara", "run", "app.app"]
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    assert "--production" in cmd and "--open" in cmd
    assert "--no-open" in launch.command(_parse(["--no-browser"]))
    env = launch.environment(_parse(["--scale", "0.01"]))
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assert float(env[classroom.SCALE_ENV]) == 0.01


def test_launcher_rejects_bad_options(capsys):
    assert launch.check(_parse(["--port", "70000"]))
    assert "household_scale" in launch.check(_parse(["--scale", "7"]))
    assert launch.main(["--scale", "7"]) == 2
    assert "household_scale" in capsys.readouterr().err
    assert launch.main(["--bogus"]) == 2


def test_launcher_without_the_app_extra(monkeypatch, capsys):
    import sys

    monkeypatch.setitem(sys.modules, "solara", None)  # import solara now raises ImportError
    assert launch.run(_parse(["--no-browser"])) == 2
    assert "pip install -e '.[app]'" in capsys.readouterr().err


def test_cbec_app_hook():
    """What experiments/cli.py adds for `cbec app` parses as the launcher does."""
    parser = argparse.ArgumentParser(prog="cbec")
    sub = parser.add_subparsers(dest="command", required=True)
    launch.add_arguments(sub.add_parser("app"))
    args = parser.parse_args(["app", "--port", "9000", "--no-browser"])
    assert args.port == 9000 and args.no_browser and args.host == "127.0.0.1"
    assert callable(launch.run)


# -------------------------------------------------------------------- offline assets
def test_offline_package_list_matches_what_solara_requests():
    assert offline_assets.referenced_specs() == {p.spec for p in offline_assets.PACKAGES}


def test_cache_dir_is_the_one_the_server_reads():
    from solara.server import settings

    assert offline_assets.cache_dir() == Path(settings.assets.proxy_cache_dir)


def _fake_tarball(path: Path, files: dict[str, str], version: str = "1.2.3") -> None:
    with tarfile.open(path, "w:gz") as tar:
        for name, text in {**files, "package.json": json.dumps({"version": version})}.items():
            data = text.encode()
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_fill_is_idempotent_and_offline_once_done(tmp_path, monkeypatch):
    pkg = offline_assets.Package("demo@1", ("dist/demo.min.js", "dist/demo.css"), "test",
                                 copies=(("dist/demo.min.js", "dist/demo.js"),))
    monkeypatch.setattr(offline_assets, "PACKAGES", (pkg,))
    calls = []

    def fake_pack(spec, into):
        calls.append(spec)
        tarball = into / "demo-1.2.3.tgz"
        _fake_tarball(tarball, {"dist/demo.js": "var demo;", "dist/demo.css": "a{}"})
        return tarball

    monkeypatch.setattr(offline_assets, "_pack", fake_pack)
    cache = tmp_path / "cdn"
    assert offline_assets.missing(cache) == ["demo@1"]
    assert offline_assets.fill(cache, log=lambda _: None) == 1
    assert (cache / "demo@1" / "dist" / "demo.min.js").read_text() == "var demo;"
    marker = json.loads((cache / "demo@1" / offline_assets.MARKER).read_text())
    assert marker["version"] == "1.2.3"
    assert offline_assets.missing(cache) == []
    assert offline_assets.fill(cache, log=lambda _: None) == 0 and calls == ["demo@1"]
    assert offline_assets.main(["--check", "--cache", str(cache)]) == 0
    (cache / "demo@1" / "dist" / "demo.css").unlink()  # a damaged cache is refilled
    assert offline_assets.main(["--check", "--cache", str(cache)]) == 1
    assert offline_assets.fill(cache, log=lambda _: None) == 1


def test_a_package_without_the_needed_file_is_an_error(tmp_path, monkeypatch):
    pkg = offline_assets.Package("demo@1", ("dist/missing.js",), "test")

    def fake_pack(spec, into):
        tarball = into / "demo.tgz"
        _fake_tarball(tarball, {"dist/other.js": ""})
        return tarball

    monkeypatch.setattr(offline_assets, "_pack", fake_pack)
    with pytest.raises(RuntimeError, match="missing.js"):
        offline_assets.install(pkg, tmp_path)
    assert not (tmp_path / "demo@1" / offline_assets.MARKER).exists()


def test_launcher_refuses_hosts_ports_and_scales_it_cannot_serve(monkeypatch, capsys):
    """Checked before the server starts: one line, exit 2 (not uvicorn's ERROR and exit 3)."""
    import socket

    def no_server(*args, **kwargs):
        raise AssertionError("the server was started")

    monkeypatch.setattr(launch.subprocess, "call", no_server)
    monkeypatch.delenv(classroom.SCALE_ENV, raising=False)
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    try:
        port = str(busy.getsockname()[1])
        for argv, message in [
                (["--host", ""], "--host is empty"),
                (["--host", " "], "--host is empty"),
                (["--host", "x!"], "--host 'x!' is not allowed"),
                (["--host", "192.0.2.1"], "is not an address of this machine"),
                (["--port", "70000"], "--port 70000 is not allowed"),
                (["--port", "-1"], "--port -1 is not allowed"),
                (["--host", "127.0.0.1", "--port", port], f"port {port} is in use")]:
            assert launch.main([*argv, "--no-browser"]) == 2, argv
            err = capsys.readouterr().err
            assert err.startswith("error: ") and err.count("\n") == 1, err
            assert message in err, (argv, err)
    finally:
        busy.close()
    for raw in ("lots", "nan", "7", "-1"):
        monkeypatch.setenv(classroom.SCALE_ENV, raw)
        assert launch.main(["--no-browser", "--port", "0"]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"error: {classroom.SCALE_ENV}={raw!r}") and err.count("\n") == 1
        with pytest.raises(ValueError, match=classroom.SCALE_ENV):
            classroom.household_scale()
