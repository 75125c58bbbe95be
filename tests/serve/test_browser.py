"""The app in a real headless Chromium (Debian's ``chromium`` + ``chromium-driver``, driven by
selenium) against ``alpick serve`` started for real on 127.0.0.1 with port 0.

Screenshots go to ``$ALPICK_ARTIFACTS/serve`` (default ``build/test-artifacts/serve``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("uvicorn", reason="the serve extra (uvicorn) is not installed")
pytest.importorskip("selenium", reason="selenium is not installed (pip install selenium)")

from serve_project import Server, make_project

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or DRIVER is None,
    reason="no Chromium here: apt-get install chromium chromium-driver (.ci/run does)",
)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,1000",
)
WAIT = 30


def artifacts() -> Path:
    folder = Path(os.environ.get("ALPICK_ARTIFACTS", REPO / "build" / "test-artifacts")) / "serve"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for flag in (*FLAGS, f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    options.binary_location = str(CHROMIUM)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(str(DRIVER)))
    driver.set_page_load_timeout(WAIT)
    driver.set_script_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


def _until(driver: Any, script: str, what: str) -> Any:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, WAIT, poll_frequency=0.2).until(
            lambda d: d.execute_script(script)
        )
    except TimeoutException:
        shot = artifacts() / "failure.png"
        driver.save_screenshot(str(shot))
        text = driver.execute_script("return document.body.innerText.slice(0, 500)")
        raise AssertionError(f"timed out waiting for {what}; page: {text!r}; see {shot}") from None


IMAGES_LOADED = """
const imgs = [...document.querySelectorAll(SEL)];
return imgs.length >= N && imgs.every((i) => i.complete && i.naturalWidth > 0) ? imgs.length : 0;
"""


def _images(selector: str, n: int) -> str:
    return IMAGES_LOADED.replace("SEL", json.dumps(selector)).replace("N", str(n))


def test_grid_sample_map_tag_in_chromium(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    root = make_project(tmp_path)
    out = artifacts()
    with Server(root) as server:
        d = browser
        # overview: counts and the tag tree
        d.get(server.url)
        _until(d, "return document.querySelector('#overview li[data-tag=\"coral-1\"]')", "tags")
        text = d.find_element(By.ID, "overview").text
        assert "12" in text and "CORESET" in text and "CORAL" in text and "simulation" in text
        d.save_screenshot(str(out / "overview.png"))

        # grid: 12 thumbnails made by the server, boxes drawn over them
        d.get(server.base + "/#/grid")
        assert _until(d, _images("#grid .cell img", 12), "12 thumbnails") == 12
        counts = d.execute_script(
            "return [document.querySelectorAll('#grid rect.gt').length,"
            " document.querySelectorAll('#grid rect.pred').length]"
        )
        assert counts[0] > 12 and counts[1] == counts[0]
        src = d.find_element(By.CSS_SELECTOR, "#grid .cell img").get_attribute("src")
        assert "/api/samples/1/thumb" in src
        d.save_screenshot(str(out / "grid.png"))
        # toggles and the confidence slider hide boxes without new requests
        d.find_element(By.ID, "show-gt").click()
        hidden = "return getComputedStyle(document.querySelector('#grid rect.gt')).display"
        assert d.execute_script(hidden) == "none"
        shown = d.execute_script(
            "const s = document.getElementById('conf'); s.value = 0.9;"
            "s.dispatchEvent(new Event('input'));"
            "return [...document.querySelectorAll('#grid rect.pred')]"
            ".filter((r) => r.style.display !== 'none').map((r) => Number(r.dataset.conf));"
        )
        assert shown and min(shown) >= 0.9

        # sample page: full image, predicted boxes with class probabilities, neighbours
        d.find_element(By.CSS_SELECTOR, "#grid .cell[data-id='3'] a.frame").click()
        _until(d, _images("#full img", 1), "the full image")
        rows = d.find_elements(By.CSS_SELECTOR, "#boxes tr")
        assert len(rows) > 2 and "apple" in rows[1].text
        _until(d, _images("#neighbours img", 8), "8 neighbour thumbnails")
        assert "initial" in d.find_element(By.ID, "tags").text
        d.save_screenshot(str(out / "sample.png"))

        # map: draw a box around every point, save it as a tag
        d.get(server.base + "/#/map?color=tag:initial")
        _until(d, "return document.getElementById('points')?.dataset.drawn === '12'", "the map")
        overlay = d.find_element(By.ID, "overlay")
        w, h = overlay.size["width"], overlay.size["height"]
        # hover a point: its thumbnail shows
        x, y = d.execute_script("return window.alpickMap.point(4)")
        sid = d.execute_script("return window.alpickMap.id(4)")
        ActionChains(d).move_to_element_with_offset(
            overlay, int(x - w / 2), int(y - h / 2)
        ).perform()
        _until(d, _images("#tooltip:not([hidden]) img", 1), "the hover thumbnail")
        assert f"sample #{sid}" in d.find_element(By.ID, "tooltip").text
        ActionChains(d).move_to_element_with_offset(
            overlay, -w // 2 + 2, -h // 2 + 2
        ).click_and_hold().move_by_offset(w - 4, h - 4).release().perform()
        status = d.find_element(By.ID, "map-status")
        _until(
            d,
            "return document.getElementById('map-status').textContent.includes('12 selected')",
            "12 selected points",
        )
        # a lasso around one point selects just it
        Select(d.find_element(By.ID, "mode")).select_by_value("lasso")
        ActionChains(d).move_to_element_with_offset(
            overlay, int(x - w / 2 - 6), int(y - h / 2 - 6)
        ).click_and_hold().move_by_offset(12, 0).move_by_offset(0, 12).move_by_offset(
            -12, 0
        ).release().perform()
        _until(
            d,
            "return document.getElementById('map-status').textContent === '1 selected'",
            "1 point in the lasso",
        )
        Select(d.find_element(By.ID, "mode")).select_by_value("box")
        ActionChains(d).move_to_element_with_offset(
            overlay, -w // 2 + 2, -h // 2 + 2
        ).click_and_hold().move_by_offset(w - 4, h - 4).release().perform()
        _until(
            d,
            "return document.getElementById('map-status').textContent.includes('12 selected')",
            "12 selected again",
        )
        d.find_element(By.ID, "tag-name").send_keys("from-browser")
        d.find_element(By.ID, "save-tag").click()
        _until(
            d,
            "return document.getElementById('map-status').textContent.includes('created')",
            "the new tag",
        )
        assert "created tag from-browser with 12 samples" in status.text
        d.save_screenshot(str(out / "map.png"))

        # selection page of the CORAL tag, and the learning curves
        d.get(server.base + "/#/selection/coral-1")
        _until(d, "return document.querySelectorAll('#picks tr').length === 4", "3 picks")
        _until(d, _images("#picks img", 3), "the picks' thumbnails")
        d.save_screenshot(str(out / "selection.png"))
        d.get(server.base + "/#/curves")
        _until(d, "return document.querySelector('canvas.curve[data-sim=\"simulation\"]')", "curve")
        d.save_screenshot(str(out / "curves.png"))

        severe = [e for e in d.get_log("browser") if e.get("level") == "SEVERE"]
        assert severe == [], severe

    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    shown_tag = subprocess.run(
        [
            sys.executable,
            "-m",
            "alpick",
            "--project",
            str(root),
            "tag",
            "show",
            "from-browser",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    record = json.loads(shown_tag.stdout)
    assert record["method"] == "manual" and len(record["samples"]) == 12
    assert record["config"]["source"] == "alpick serve" and record["config"]["embeddings"] == "emb"
