"""press_panel in a real browser: Debian's Chromium, driven by Selenium, watches a simulated
cell being pressed, sees the Nyquist plot of a sweep, and stops the goal with the token.
"""
import asyncio
import json
import pathlib
import shutil
import socket
import subprocess
import sys
import threading
import urllib.request

import aiohttp
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from press_control.ros.profile_client import OUTCOME_NAMES, ProfileClient
from press_control_interfaces.action import RunPressureProfile
from test_campaign_on_press import SHORT, _cells
from waiting import wait_for

CELL = "panel-cell"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def browser(tmp_path):
    assert shutil.which("chromium") and shutil.which("chromedriver"), \
        "scripts/setup.sh installs chromium and chromium-driver"
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1400,1300",
                 f"--user-data-dir={tmp_path / 'chromium'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    yield driver
    driver.quit()


def number(text: str):
    try:
        return float(text)
    except ValueError:
        return None


def post_without_token(url: str) -> int:
    async def go():
        async with aiohttp.ClientSession() as session:
            async with session.post(url) as reply:
                return reply.status
    return asyncio.run(go())


def test_watch_a_cell_see_its_nyquist_and_stop_it_with_the_token(started, browser, tmp_path):
    port = free_port()
    token_file = tmp_path / "panel_token"
    cell = started(record_dir=str(tmp_path / "runs"), arm_interlock=False,
                   panel_parameters={"port": port, "token_file": str(token_file)})
    assert cell.wait_ready(90.0) == ""
    wait_for(token_file.exists, message="the panel's token file")
    token = token_file.read_text().strip()
    browser.get(f"http://127.0.0.1:{port}/")

    def text(element_id):
        return browser.find_element(By.ID, element_id).text
    wait_for(lambda: text("link") == "live", 30, message="the page's live connection")
    wait_for(lambda: number(text("pressure")) is not None, 30, message="a pressure number")
    wait_for(lambda: text("handshake-state") == "READY_TO_LOAD", 30,
             message=lambda: f"READY_TO_LOAD on the page (shows {text('handshake-state')})")

    client = ProfileClient(cell.world_node)
    assert client.wait_for_server(30.0)
    outcome = {}
    runner = threading.Thread(target=lambda: outcome.update(result=client.run(
        RunPressureProfile.Goal(preset="demo_cell", cell_id=CELL))), daemon=True)
    runner.start()
    wait_for(lambda: text("handshake-state") == "PRESSING", 60,
             message=lambda: f"PRESSING on the page (shows {text('handshake-state')})")
    wait_for(lambda: (number(text("pressure")) or 0) > 20.0, 60,
             message=lambda: f"the pressure number to rise (shows {text('pressure')})")
    # The goal's fields come with its feedback, the pressure with `state`: either may be first.
    wait_for(lambda: text("goal-cell") == CELL and text("goal-preset") == "demo_cell", 30,
             message=lambda: f"the goal on the page (shows {text('goal-cell')!r}, "
                             f"{text('goal-preset')!r})")

    nyquist = browser.find_element(By.ID, "nyquist")
    wait_for(lambda: CELL in text("nyquist-caption"), 60,
             message=lambda: f"a sweep of {CELL} (caption: {text('nyquist-caption')})")
    assert int(nyquist.get_attribute("data-points")) >= 20
    assert nyquist.find_elements(By.TAG_NAME, "canvas")

    browser.find_element(By.ID, "token").clear()
    browser.find_element(By.ID, "stop").click()
    wait_for(lambda: text("control-result").startswith("401"), 20,
             message=lambda: f"the refusal (shows {text('control-result')!r})")
    assert post_without_token(f"http://127.0.0.1:{port}/api/stop") == 401
    assert runner.is_alive() and cell.sim.true_pressure_mpa() > 20.0   # still pressing

    browser.find_element(By.ID, "token").send_keys(token)
    browser.find_element(By.ID, "stop").click()
    wait_for(lambda: text("control-result").startswith("200"), 20,
             message=lambda: f"the stop (shows {text('control-result')!r})")
    runner.join(timeout=120)
    assert OUTCOME_NAMES[outcome["result"].outcome] == "CANCELED", outcome
    wait_for(lambda: cell.sim.true_pressure_mpa() < 1.0, 60, message="the press released")
    wait_for(lambda: "CANCELED" in text("goal-last"), 30,
             message=lambda: f"the outcome on the page (shows {text('goal-last')!r})")
    browser.save_screenshot(str(tmp_path / "panel.png"))


def _serves(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            return reply.status == 200
    except OSError:
        return False


@pytest.mark.minutes(130)
def test_a_campaign_runs_through_the_arm_learns_from_its_records_and_shows_on_the_panel(
        started, browser, tmp_path):
    port = free_port()
    cell = started(record_dir=str(tmp_path / "runs"),
                   panel_parameters={"port": port, "token_file": str(tmp_path / "token")},
                   campaign_parameters={"dwell_s": 0.3, "jitter_s": 0.1,
                                        "campaigns_dir": str(tmp_path / "campaigns")})
    assert cell.wait_ready(90.0, arm_needed=False) == ""
    wait_for(lambda: _serves(f"http://127.0.0.1:{port}/"), 60, message="the panel serving")
    browser.get(f"http://127.0.0.1:{port}/")

    def text(element_id):
        return browser.find_element(By.ID, element_id).text
    wait_for(lambda: text("link") == "live", 30, message="the page's live connection")
    run = subprocess.Popen([sys.executable, "-m", "press_control.app.cli", "campaign", "run",
                            SHORT, "--cells", "2", "--seed", "4"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    wait_for(lambda: text("campaign-next").startswith("short_campaign-000: densify_mpa"), 120,
             message=lambda: f"the next cell's parameters (shows {text('campaign-next')!r})")
    wait_for(lambda: text("campaign-progress") == "1 of 2 cells", 300,
             message=lambda: f"one cell told (shows {text('campaign-progress')!r})")
    objective = browser.find_element(By.ID, "campaign-objective")
    assert objective.find_elements(By.TAG_NAME, "canvas")
    out, err = run.communicate(timeout=600)
    assert run.returncode == 0, (out[-2000:], err[-3000:])
    assert "cell 1/2 short_campaign-000: pressing" in out and "best: short_campaign-" in out
    wait_for(lambda: text("campaign-progress") == "2 of 2 cells", 30,
             message=lambda: f"both cells (shows {text('campaign-progress')!r})")
    assert cell.sim.true_pressure_mpa() < 1.0                   # the simulator's truth
    cells = _cells(tmp_path / "campaigns" / "short_campaign" / "campaign.db")
    assert len(cells) == 2 and all(c["state"] == "COMPLETE" for c in cells.values())
    rows = browser.find_elements(By.CSS_SELECTOR, "#campaign-cells tbody tr")
    assert [r.find_element(By.TAG_NAME, "td").text for r in rows] == \
        [c["cell_id"] for c in cells.values()]
    assert int(objective.get_attribute("data-points")) == 2
    for told in cells.values():
        record = pathlib.Path(told["record_dir"])
        summary = json.loads((record / "summary.json").read_text())
        segments = summary["goal"]["segments"]                  # what the server ran
        assert segments[0]["target_mpa"] == pytest.approx(told["params"]["densify_mpa"])
        assert segments[4]["target_mpa"] == pytest.approx(told["params"]["stack_mpa"])
        assert summary["status"] == "SUCCEEDED"
        lines = (record / "samples.csv").read_text().splitlines()
        header = lines[0].split(",")
        column = header.index("interface_resistance_ohm")
        last = [row.split(",") for row in lines[1:]
                if row.split(",")[header.index("segment")] == "4" and row.split(",")[column]][-1]
        expected = float(last[column]) * summary["goal"]["die_area_mm2"] / 100.0
        assert told["metrics"]["interface_asr_ohm_cm2"] == pytest.approx(expected)
    browser.save_screenshot(str(tmp_path / "campaign_panel.png"))
