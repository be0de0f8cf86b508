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
    def __init__(self):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in _FLAGS:
            options.add_argument(flag)
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

    def screenshot(self, page: Path, png: Path, height: int) -> Path:
        """The top `height` px of the page at 1,280 px, halved and cut to 256 colours: a small
        picture for the README."""
        from PIL import Image

        self.driver.set_window_size(WIDTH, height)
        self.driver.get(Path(page).resolve().as_uri())
        self.driver.save_screenshot(str(png))
        with Image.open(png) as shot:
            small = shot.convert("RGB").resize((WIDTH // 2, shot.height // 2), Image.LANCZOS)
            small.quantize(colors=256).save(png, optimize=True)
        self.driver.set_window_size(WIDTH, 900)
        return png

    def close(self) -> None:
        self.driver.quit()


def _story(home: Path) -> tuple[Path, Path]:
    """Two released models on the taxi sample, the second compared with the first:
    (the second release's run report, the second model's card)."""
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
    return Path(released["report"]), Path(card)


if __name__ == "__main__":
    import tempfile

    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    report, card = _story(Path(tempfile.mkdtemp(prefix="tollgate-screenshots-")))
    browser = Browser()
    try:
        for page, name in ((report, "run-report.png"), (card, "model-card.png")):
            print(browser.screenshot(page, out / name, 1500))
    finally:
        browser.close()
