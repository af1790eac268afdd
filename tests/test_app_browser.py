"""The app in a real browser: Debian's Chromium, headless, driven by Playwright.

The server (``python -m app``, i.e. ``solara run app.app``) starts on a free 127.0.0.1 port in
its own process group and is polled until it answers; the page must then load with no request
leaving 127.0.0.1 and none failing (the front-end comes from the offline cache that
``make app-assets`` fills). The test presses Step and sees the date and the map change, hovers
a county, moves a slider, flips a switch, picks a scenario, presses Reset and sees the model
rebuilt from them, and Run to 2030. The server's process group is ended at the end.

Needs /usr/bin/chromium (``make chromium``), the Python ``playwright`` package (dev extra; its
own browser download is never used) and the offline assets (``make app-assets``); ``make
test`` provides all three. Without them the test skips, except under CI, where it fails.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
SERVER_START_S = 240  # bounded, and generous: a slow machine is not a failure
UI_TIMEOUT_MS = 90_000
SCALE = 0.005  # household_scale of the app's model here: fast steps


def _missing_requirement() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (make dev)"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (make chromium)"
    try:
        from app import offline_assets

        absent = offline_assets.missing()
    except ImportError as exc:
        return f"the app extra is not installed ({exc}; make dev)"
    if absent:
        return f"the offline front-end is missing {absent} (make app-assets)"
    return None


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    problem = _missing_requirement()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log_path = tmp_path_factory.mktemp("app") / "server.log"
    log = open(log_path, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    env = dict(os.environ, SOLARA_TELEMETRY_MIXPANEL_ENABLE="False", NO_PROXY="127.0.0.1",
               no_proxy="127.0.0.1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "--host", "127.0.0.1", "--port", str(port),
         "--no-browser", "--scale", str(SCALE)],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
        start_new_session=True, cwd=Path(__file__).resolve().parent.parent)
    url = f"http://127.0.0.1:{port}/"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the app server exited with {proc.returncode}:\n"
                            f"{log_path.read_text(encoding='utf-8')[-3000:]}")
            try:
                with opener.open(url, timeout=10) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the app server did not answer within {SERVER_START_S} s:\n"
                            f"{log_path.read_text(encoding='utf-8')[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        _end_group(proc)
        log.close()


def _end_group(proc: subprocess.Popen) -> None:
    """End the server's process group (the launcher and the solara server it started)."""
    try:
        pgid = os.getpgid(proc.pid)
    except ProcessLookupError:
        return
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            # the launcher is gone; make sure nothing of the group is left
            os.killpg(pgid, 0)
        except subprocess.TimeoutExpired:
            continue
        except ProcessLookupError:
            return


def _map_image(page) -> bytes | None:
    """The map's pixels below its title (the title holds the date, so leave it out).

    None while the map is being redrawn: Vega may swap its canvas out after a step, and a
    canvas that is not in the page has no box (CI saw this once, stop 16).
    """
    box = page.locator(".cbec-map canvas.marks").bounding_box()
    if box is None:
        return None
    return page.screenshot(clip={"x": box["x"], "y": box["y"] + 30, "width": box["width"],
                                 "height": box["height"] - 30})


def _first_found(produce, what: str):
    """The first value ``produce()`` returns that is not None (waiting as :func:`_wait_for`)."""
    found: list = []
    _wait_for(lambda: found.append(produce()) or found[-1] is not None, what)
    return found[-1]


def _wait_for(predicate, what: str, timeout_s: float = UI_TIMEOUT_MS / 1000) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.25)


def test_the_page_offline_step_hover_slider_reset(server):
    from playwright.sync_api import expect, sync_playwright

    host = server.split("/")[2]
    outside, failed, errors = [], [], []

    def route(r):
        if r.request.url.split("/")[2] == host:
            r.continue_()
        else:  # never let it out; record it
            outside.append(r.request.url)
            r.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.set_default_timeout(UI_TIMEOUT_MS)
            page.route("**/*", route)
            page.on("requestfailed", lambda r: failed.append(f"{r.url}: {r.failure}"))
            page.on("response", lambda r: r.status >= 400 and failed.append(
                f"{r.url}: HTTP {r.status}"))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(server)

            date = page.locator(".cbec-date")
            expect(date).to_have_text("December 2021 (start state)")
            expect(page.locator(".cbec-map canvas.marks")).to_be_visible()
            expect(page.locator(".cbec-plot canvas.marks")).to_have_count(5)
            time.sleep(1.5)  # let the first render settle
            before = _first_found(lambda: _map_image(page), "the map to be drawn")

            # Step: the date and the map change
            page.get_by_role("button", name="Step").click()
            expect(date).to_have_text("January 2022")
            _wait_for(lambda: _map_image(page) not in (None, before),
                      "the map to change after Step")

            # hover: a county's Chinese name and pinyin
            box = _first_found(page.locator(".cbec-map canvas.marks").bounding_box,
                               "the map to be drawn")
            tooltip = page.locator("#vg-tooltip-element")
            for fx, fy in ((0.45, 0.45), (0.5, 0.5), (0.55, 0.4), (0.4, 0.55)):
                page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy,
                                steps=4)
                time.sleep(0.5)
                if tooltip.count() and "pinyin" in tooltip.inner_text():
                    break
            text = tooltip.inner_text()
            assert "pinyin" in text and any("\u4e00" <= ch <= "\u9fff" for ch in text), text

            # a slider (pickup points, 0.15 -> 0.35), a switch, a scenario
            slider = page.locator(".v-input__slider", has_text="Pickup points").locator(
                "[role=slider]")
            slider.focus()
            for _ in range(4):
                slider.press("ArrowRight")
            expect(slider).to_have_attribute("aria-valuenow", "0.35")
            page.get_by_label("Backwash effect", exact=False).uncheck(force=True)
            page.get_by_label("Scenario").click(force=True)
            page.get_by_role("option", name="threshold_500k", exact=True).click()

            # Reset: the model is rebuilt from them, at the start again
            page.get_by_role("button", name="Reset").click()
            expect(date).to_have_text("December 2021 (start state)")
            running = page.locator(".v-card", has_text="Now running")
            expect(running).to_contain_text("threshold_500k")
            expect(running).to_contain_text("pickup_coverage = 0.35")
            expect(running).to_contain_text("backwash_effect = False")
            expect(running).to_contain_text("subsidy_min_turnover_yuan = 500000")

            # Run to 2030
            page.get_by_role("button", name="Run to 2030").click()
            expect(date).to_have_text("December 2030")
            expect(page.get_by_role("button", name="Run to 2030")).to_be_disabled()
        finally:
            browser.close()

    assert not outside, f"requests left 127.0.0.1: {outside}"
    assert not failed, f"failed requests: {failed}"
    assert not errors, f"errors in the page: {errors}"
