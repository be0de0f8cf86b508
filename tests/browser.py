"""Tollgate's pages in a real browser: Debian's Chromium, headless, driven by
Selenium through Debian's chromedriver (nothing is downloaded).

`Browser.look(path)` opens a page at 1,280 px and reports what a check
needs: how wide the page is, every request it made, its section ids and its
links. `make screenshots` runs this file to write the README's pictures.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

WIDTH = 1280
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
# Chromium reaches for Google's services unless told not to; this machine has no network.
_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          "--hide-scrollbars", f"--window-size={WIDTH},900")


@dataclasses.dataclass(frozen=True)
class Look:
    scroll_width: int  # how wide the page wants to be
    view_width: int  # how wide the window is
    requests: list[str]  # every URL the page asked for, itself included
    ids: set[str]
    links: set[str]  # in-page links (#id) of anchors, SVG ones included
    text: str


class Browser:
    def __init__(self, javascript: bool = True):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in _FLAGS:
            options.add_argument(flag)
        if not javascript:  # as a person who turned it off: scripts never run, <noscript> shows
            options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)

    def look(self, path: Path) -> Look:
        self.driver.get_log("performance")  # forget the last page's requests
        self.driver.get(Path(path).resolve().as_uri())
        width, view, ids, links, text = self.driver.execute_script(
            "const d = document.documentElement;"
            "const links = [...document.querySelectorAll('a')].map(a => a.getAttribute('href')"
            " || a.getAttribute('xlink:href')).filter(h => h && h.startsWith('#'));"
            "return [d.scrollWidth, window.innerWidth, [...document.querySelectorAll('[id]')].map(e => e.id),"
            " links, document.body.innerText];"
        )
        events = [json.loads(entry["message"])["message"] for entry in self.driver.get_log("performance")]
        requests = [e["params"]["request"]["url"] for e in events if e["method"] == "Network.requestWillBeSent"]
        return Look(width, view, requests, set(ids), set(links), text)

    def screenshot(self, page: Path | str, png: Path, height: int, then=None) -> Path:
        """The top `height` px of the page (a file, or a URL) at 1,280 px, halved and cut to 256 colours: a small
        picture for the README. `then(driver)` may act on the page first."""
        from PIL import Image

        self.driver.set_window_size(WIDTH, height)
        self.driver.get(page if isinstance(page, str) else Path(page).resolve().as_uri())
        if then:
            then(self.driver)
        self.driver.save_screenshot(str(png))
        with Image.open(png) as shot:
            small = shot.convert("RGB").resize((WIDTH // 2, shot.height // 2), Image.LANCZOS)
            small.quantize(colors=256).save(png, optimize=True)
        self.driver.set_window_size(WIDTH, 900)
        return png

    def close(self) -> None:
        self.driver.quit()


def _story(home: Path) -> tuple[Path, Path, int]:
    """Two released models on the taxi sample, the second compared with the first,
    and a third awaiting sign-off: (the second release's run report, the second
    model's card, the third model)."""
    import os
    import subprocess

    env = {**os.environ, "TOLLGATE_HOME": str(home)}

    def tollgate(*args: str, user: str = "carol") -> str:
        done = subprocess.run([sys.executable, "-m", "pipeline.cli", *args], capture_output=True, text=True,
                              env={**env, "TOLLGATE_USER": user}, check=True)
        return done.stdout

    for steps in ("300", "600"):
        run = json.loads(tollgate("run", "--train-steps", steps, "--json"))
        tollgate("approve", str(run["model_id"]), "--by", "alice", "--comment", "slices look fine", user="alice")
        released = json.loads(tollgate("release", str(run["model_id"]), "--json"))
    card = tollgate("lineage", str(released["model_id"]), "--format", "html").strip()
    waiting = json.loads(tollgate("run", "--train-steps", "700", "--json"))["model_id"]
    return Path(released["report"]), Path(card), waiting


def _desk_page(browser: Browser, home: Path, model: int) -> str:
    """The review desk's page of `model`, logged in as alice: its URL, while the desk runs."""
    import atexit
    import os
    import socket
    import subprocess
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "TOLLGATE_HOME": str(home), "TOLLGATE_UI_PASSWORD": "screenshots only"}
    subprocess.run([sys.executable, "-m", "pipeline.cli", "ui", "add-user", "alice"], env=env, check=True)
    desk = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "ui", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, text=True)
    desk.stdout.readline()  # it prints its address once it is about to listen
    atexit.register(desk.terminate)
    driver = browser.driver
    for _ in range(100):
        try:
            driver.get(f"http://localhost:{port}/models/{model}")
            break
        except Exception:  # not listening yet
            time.sleep(0.2)
    driver.find_element("id", "name").send_keys("alice")
    driver.find_element("id", "password").send_keys(env["TOLLGATE_UI_PASSWORD"])
    driver.find_element("css selector", "form.stack button").click()
    return driver.current_url


def _poke_a_row(driver) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    for column, value in (("trip_miles", "3.2"), ("fare", "12.5"), ("trip_start_hour", "7"), ("payment_type", "Cash")):
        driver.find_element("name", f"c.{column}").send_keys(value)
    driver.find_element("css selector", "button[value=predict]").click()
    WebDriverWait(driver, 120).until(lambda d: d.find_elements("id", "answer"))


if __name__ == "__main__":
    import tempfile

    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="tollgate-screenshots-"))
    report, card, waiting = _story(home)
    browser = Browser()
    try:
        for page, name in ((report, "run-report.png"), (card, "model-card.png")):
            print(browser.screenshot(page, out / name, 1500))
        desk = _desk_page(browser, home, waiting)
        print(browser.screenshot(desk, out / "review-desk.png", 1100))
        print(browser.screenshot(f"{desk}/poke", out / "poke.png", 1250, then=_poke_a_row))
    finally:
        browser.close()
