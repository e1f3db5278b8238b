"""axe-core (4.x, vendored in tests/vendor) in a real headless Chromium over the pages
people use most: no violation of impact serious or critical. Skipped, saying why, on a
machine without Chromium, its driver or selenium."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from kmrepo.db import session as db_session
from kmrepo.library.loader import load_paths

from .helpers import PASSWORD

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
DRIVER = shutil.which("chromedriver")


@pytest.fixture
def browser():
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    if not CHROMIUM or not DRIVER:
        pytest.skip("no Chromium and chromedriver on this machine (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--window-size=1280,900"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=DRIVER))
    yield driver
    driver.quit()


@pytest.fixture
def live(app, users, km_plans):
    from kmrepo.cli import demo_content_path

    with app.app_context():
        assert not load_paths(db_session(), [demo_content_path(), str(km_plans)]).errors
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _violations(driver, url: str) -> list[str]:
    driver.get(url)
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
        ".then(r => done(r.violations.map(v => [v.id, v.impact, v.nodes.length,"
        " v.nodes.slice(0, 2).map(n => n.target.join(' '))])));")
    return [v for v in result if v[1] in ("serious", "critical")]


def test_the_main_pages_have_no_serious_accessibility_violations(browser, live):
    from selenium.webdriver.common.by import By

    browser.set_script_timeout(60)
    plan = "pathumthani-pao-2566-plan2-training"
    found = {path: _violations(browser, live + path) for path in
             ("/", "/search?q=%E0%B8%A0%E0%B8%B2%E0%B8%A9%E0%B8%B5%E0%B8%9B%E0%B9%89%E0%B8%B2%E0%B8%A2",
              f"/entries/{plan}", "/account/login")}
    browser.get(live + "/account/login")
    browser.find_element(By.NAME, "username").send_keys("km_team")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    for path in ("/stats", "/kpi", "/entries/new", f"/entries/{plan}"):
        found[path + " (signed in)"] = _violations(browser, live + path)
    bad = {path: v for path, v in found.items() if v}
    assert not bad, "\n".join(f"{path}: {v}" for path, v in bad.items())
