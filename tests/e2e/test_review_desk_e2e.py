"""The review desk, `tollgate ui`, on tests/e2e/proof_story.py's story (alice
approved and released model A; B awaits; a team keyring; carol triggers
every run), on SQLite and on MariaDB: in headless Chromium with JavaScript on
and off, with Chromium's virtual authenticator for passkeys, and over plain
HTTP for the refusals. Each test starts its own server on a fresh copy."""

import html
import http.client
import json
import re
import time
import urllib.parse

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.virtual_authenticator import VirtualAuthenticatorOptions
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser import Browser

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900), pytest.mark.usefixtures("mysql_password")]
PASSWORD = "a long test password"  # the desk's accounts are made with it below
APPROVERS = ("alice", "bob", "carol")  # the story's signoff.approvers; dave is not one


class Desk:
    def __init__(self, story):
        port = story.project.config.ui.port
        self.url = f"http://127.0.0.1:{port}"
        self.site = story.project.config.ui.base_url  # http://localhost:PORT: a passkey's site is a domain
        self.story, self.project = story, story.project
        self.a, self.b = story.models["A"], story.models["B"]

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=30)

    def logged_in(self, name: str) -> httpx.Client:
        client = self.client()
        form = client.get("/login")
        response = client.post("/login", data={"name": name, "password": PASSWORD, "csrf": csrf_in(form.text)})
        assert response.status_code == 303, response.text
        return client

    def nothing_decided(self) -> bool:
        return self.story.request_and_decision(self.b)[1] is None


def csrf_in(page: str) -> str:
    return page.split('name="csrf" value="', 1)[1].split('"', 1)[0]


@pytest.fixture
def desk(proof_story, monkeypatch):
    proof_story.restore()
    monkeypatch.setenv("TOLLGATE_UI_PASSWORD", PASSWORD)
    for name in ("alice", "dave"):
        proof_story.project.tollgate("ui", "add-user", name)
    opened = Desk(proof_story)
    server = proof_story.project.start("ui")
    assert server.stdout.readline().startswith(f"the review desk: {opened.site}/  (listening on 127.0.0.1:")
    _wait_for(opened)
    yield opened
    server.terminate()
    server.communicate(timeout=30)


def _wait_for(desk: Desk) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if desk.client().get("/login").status_code == 200:
                return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.2)


@pytest.fixture(scope="module")
def browser():
    opened = Browser()
    yield opened
    opened.close()


def log_in(driver, base: str, name: str, then: str) -> None:
    driver.delete_all_cookies()
    driver.get(base + then)
    assert "/login" in driver.current_url
    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form.stack button").click()
    # click() may return before the form's answer has loaded.
    WebDriverWait(driver, 30).until(lambda d: urllib.parse.urlparse(d.current_url).path == then)


def seen(driver) -> tuple[str, set[str]]:
    """The page's text and ids, once it fits 1,280 px without scrolling sideways."""
    width, view, ids, text = driver.execute_script(
        "const d = document.documentElement; return [d.scrollWidth, window.innerWidth,"
        " [...document.querySelectorAll('[id]')].map(e => e.id), document.body.innerText];")
    assert width <= view, f"{driver.current_url} is {width}px wide"
    return text, set(ids)


def passkey_authenticator(driver) -> None:
    driver.add_virtual_authenticator(VirtualAuthenticatorOptions(
        transport=VirtualAuthenticatorOptions.Transport.INTERNAL, has_resident_key=True,
        has_user_verification=True, is_user_verified=True))


def text_of(driver, element_id: str, starts: str) -> str:
    WebDriverWait(driver, 30).until(lambda d: d.find_element(By.ID, element_id).text.startswith(starts))
    return driver.find_element(By.ID, element_id).text


def notified_link(desk: Desk) -> str:
    """The review page's address, as the sign-off notice in B's run log gives it."""
    logs = "".join(p.read_text() for p in (desk.project.home / "logs").glob("run-*.log"))
    [link] = re.findall(rf"Review and decide: (\S+/models/{desk.b}) ", logs)
    return link


def poke_with_a_row(driver, desk: Desk) -> None:
    """From the review page: B and the served A on one typed row, side by side."""
    driver.find_element(By.LINK_TEXT, f"Poke model {desk.b}").click()
    for column, value in (("trip_miles", "3.2"), ("fare", "12.5"), ("trip_start_hour", "7")):
        driver.find_element(By.NAME, f"c.{column}").send_keys(value)
    driver.find_element(By.CSS_SELECTOR, "button[value=predict]").click()
    WebDriverWait(driver, 120).until(lambda d: d.find_elements(By.ID, "answer"))
    text, _ = seen(driver)
    assert f"model {desk.b}" in text and f"served model {desk.a}" in text
    [mine, served] = [float(c.text) for c in driver.find_elements(By.CSS_SELECTOR, "#answer tbody tr:first-child td.num")]
    assert 0 <= mine <= 1 and 0 <= served <= 1
    assert "fare_xf" in driver.find_element(By.ID, "answer").text
    assert driver.find_element(By.NAME, "c.fare").get_attribute("value") == "12.5"  # the row stays to edit


def test_the_whole_review_signs_with_a_passkey_and_the_release_verifies(desk, browser):
    driver = browser.driver
    passkey_authenticator(driver)
    try:
        log_in(driver, desk.site, "alice", "/passkey")
        driver.find_element(By.CSS_SELECTOR, "#register button").click()
        said = text_of(driver, "register-result", "Registered.")
        line = said.split(": ", 1)[1]
        assert line.startswith("alice passkey ") and line.endswith(" localhost")
        with open(desk.project.root / "keyring", "a") as keyring:  # the team reviews it and adds it
            keyring.write(line + "\n")
        driver.get(notified_link(desk))
        text, ids = seen(driver)
        assert {"signoff", "comparison", "serving", "decision", "data", "lineage", "statistics"} <= ids
        assert f"Against model {desk.a}" in text and "awaiting" in text
        poke_with_a_row(driver, desk)
        driver.get(notified_link(desk))
        driver.find_element(By.ID, "comment").send_keys("slices hold, signed on the desk")
        driver.find_element(By.CSS_SELECTOR, "#decide button").click()
        WebDriverWait(driver, 30).until(lambda d: "approve by alice" in d.find_element(By.ID, "signoff").text)
        assert "verified: signed by alice" in driver.find_element(By.ID, "signoff").text
    finally:
        driver.remove_all_credentials()
        driver.remove_virtual_authenticator()
    request, decision = desk.story.request_and_decision(desk.b)
    assert decision.comment == "slices hold, signed on the desk" and decision.approver == "alice"
    assert "webauthn" in json.loads(decision.envelope)["signatures"][0]
    desk.project.tollgate("release", str(desk.b))
    checked = desk.project.tollgate("verify", "serving")
    assert "alice approved with a passkey" in checked and checked.endswith("verdict  VERIFIED\n"), checked


def test_the_pending_list_leads_to_each_waiting_models_review(desk, browser):
    driver = browser.driver
    log_in(driver, desk.url, "alice", "/pending")
    driver.find_element(By.LINK_TEXT, f"review model {desk.b}").click()
    assert urllib.parse.urlparse(driver.current_url).path == f"/models/{desk.b}"
    driver.get(f"{desk.url}/models/{desk.a}")
    text, _ = seen(driver)
    assert "approve by alice" in text and "verified: signed by alice" in text


def test_runs_link_to_their_reports_and_the_audit_shows_the_chain(desk, browser):
    driver = browser.driver
    log_in(driver, desk.url, "dave", "/")
    text, _ = seen(driver)
    reports = list((desk.project.home / "reports").glob("run-*.html"))
    assert len(reports) >= 2 and text.count("run report") == len(reports)
    driver.find_element(By.LINK_TEXT, "run report").click()
    assert "/files/run-" in driver.current_url and "Steps" in driver.find_element(By.TAG_NAME, "body").text
    driver.get(f"{desk.url}/audit")
    text, _ = seen(driver)
    assert "The chain holds:" in text and "alice" in text and f"{desk.a}" in text


def test_every_page_reads_with_javascript_off(desk):
    plain = Browser(javascript=False)
    try:
        log_in(plain.driver, desk.url, "alice", "/")
        runs = plain.driver.find_elements(By.CSS_SELECTOR, "#runs a[href^='/runs/']")
        pages = {"/": "Runs", "/pending": f"review model {desk.b}", f"/models/{desk.b}": "Against model", "/search": "Row",
                 "/audit": "The chain holds", "/passkey": "needs JavaScript", f"/models/{desk.b}/poke": "Predict",
                 runs[0].get_attribute("href")[len(desk.url):]: "Steps"}
        for path, words in pages.items():
            plain.driver.get(desk.url + path)
            text, _ = seen(plain.driver)
            assert words in text, (path, text[:300])
        plain.driver.get(f"{desk.url}/models/{desk.b}/poke?c.fare=12.5")
        plain.driver.find_element(By.CSS_SELECTOR, "button[value=predict]").click()
        WebDriverWait(plain.driver, 120).until(lambda d: d.find_elements(By.ID, "answer"))
        assert f"served model {desk.a}" in plain.driver.find_element(By.ID, "answer").text
    finally:
        plain.close()


def test_without_a_session_nothing_is_shown_and_nothing_is_decided(desk):
    client = desk.client()
    for path in ("/", "/pending", f"/models/{desk.b}", "/audit", "/passkey", "/files/audit.html"):
        response = client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/login"), path
    for path in (f"/models/{desk.b}/decision/options", f"/models/{desk.b}/decision", "/passkey/options"):
        assert client.post(path, json={"decision": "approve"}).status_code == 401, path
    assert client.get(f"/models/{desk.b}/poke").status_code == 303
    poked = client.post(f"/models/{desk.b}/poke", data={"action": "predict", "c.fare": "1"})
    assert poked.status_code == 401 and "Predictions" not in poked.text
    assert desk.nothing_decided()


def test_a_form_without_its_csrf_token_is_refused_and_nothing_is_decided(desk):
    client = desk.client()
    client.get("/login")  # a visitor's session, whose token the form below leaves out
    for data in ({"name": "alice", "password": PASSWORD}, {"name": "alice", "password": PASSWORD, "csrf": "0" * 64}):
        refused = client.post("/login", data=data)
        assert refused.status_code == 403 and "CSRF" in refused.text
    assert client.get("/").status_code == 303  # still not logged in
    alice = desk.logged_in("alice")
    assert alice.post("/logout", data={}).status_code == 403
    poked = alice.post(f"/models/{desk.b}/poke", data={"action": "predict", "c.fare": "1", "csrf": "0" * 64})
    assert poked.status_code == 403 and "Predictions" not in poked.text
    asked = f"/models/{desk.b}/decision/options"
    for headers in ({}, {"X-CSRF-Token": "0" * 64}):
        refused = alice.post(asked, json={"decision": "approve"}, headers=headers)
        assert refused.status_code == 403 and "CSRF" in refused.json()["error"]
    assert desk.nothing_decided() and alice.get("/").status_code == 200


def test_a_viewer_may_look_but_not_decide(desk):
    dave = desk.logged_in("dave")
    page = dave.get(f"/models/{desk.b}")
    assert page.status_code == 200 and "dave (viewer)" in page.text and 'id="decide"' not in page.text
    assert f"only {', '.join(APPROVERS)} may decide" in page.text
    csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    for path in (f"/models/{desk.b}/decision/options", f"/models/{desk.b}/decision"):
        refused = dave.post(path, json={"decision": "approve"}, headers={"X-CSRF-Token": csrf})
        assert refused.status_code == 403 and "may look but not decide" in refused.json()["error"]
    assert desk.nothing_decided()


def test_an_approver_without_a_listed_passkey_or_with_a_forged_answer_decides_nothing(desk):
    alice = desk.logged_in("alice")
    csrf = csrf_in(alice.get(f"/models/{desk.b}").text)
    asked = alice.post(f"/models/{desk.b}/decision/options", json={"decision": "approve"},
                       headers={"X-CSRF-Token": csrf})
    assert asked.status_code == 400 and "lists no passkey for alice" in asked.json()["error"]
    forged = alice.post(f"/models/{desk.b}/decision", headers={"X-CSRF-Token": csrf},
                        json={"credential": {"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {}}})
    assert forged.status_code == 400 and "expired or was never made" in forged.json()["error"]
    assert desk.nothing_decided()


def test_wrong_passwords_are_throttled(desk):
    client = desk.client()
    for _ in range(5):
        form = client.get("/login")
        wrong = client.post("/login", data={"name": "alice", "password": "not it at all", "csrf": csrf_in(form.text)})
        assert wrong.status_code == 401 and "Wrong name or password" in wrong.text
    form = client.get("/login")
    right = client.post("/login", data={"name": "alice", "password": PASSWORD, "csrf": csrf_in(form.text)})
    assert right.status_code == 429 and "Too many failed logins" in right.text
    assert client.get("/").status_code == 303


def test_no_path_leaves_the_reports_folder(desk):
    client = desk.logged_in("alice")
    home = desk.project.home
    (home / "reports" / "accounts.html").symlink_to(home / "ui" / "accounts.json")
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    for raw in ("/files/../metadata.sqlite", "/files/%2e%2e/metadata.sqlite", "/files/..%2Fui%2Faccounts.json",
                "/files/%2Fetc%2Fpasswd", "/files/accounts.html"):
        # http.client sends the path as written: no client tidies the dots away first.
        connection = http.client.HTTPConnection(urllib.parse.urlparse(desk.url).netloc, timeout=30)
        connection.request("GET", raw, headers={"Cookie": cookie})
        response = connection.getresponse()
        body = response.read().decode(errors="replace")
        assert response.status in (404, 303) and "argon2" not in body and "SQLite" not in body, (raw, body)
    report = next((home / "reports").glob("run-*.html"))
    assert client.get(f"/files/{report.name}").status_code == 200


def test_stored_markup_shows_as_text(desk, browser):
    script = '<script>document.title="pwned"</script><b>bold</b>'
    desk.story.as_("bob", "reject", str(desk.b), "--comment", script)
    driver = browser.driver
    log_in(driver, desk.url, "alice", f"/models/{desk.b}")
    text, _ = seen(driver)
    assert script in text and driver.title.startswith(f"Model {desk.b}")
    assert not driver.find_elements(By.CSS_SELECTOR, "#signoff b")
    driver.get(f"{desk.url}/models/{desk.b}/poke?" + urllib.parse.urlencode({"c.company": script}))
    assert driver.find_element(By.NAME, "c.company").get_attribute("value") == script
    assert driver.title.startswith(f"Poke model {desk.b}") and not driver.find_elements(By.CSS_SELECTOR, "main b")


def test_a_served_file_changed_after_release_shows_on_the_review_page_and_is_never_poked(desk):
    alice = desk.logged_in("alice")
    assert "verified: signed by alice" in alice.get(f"/models/{desk.a}").text
    [folder] = [r["serving_path"] for r in desk.project.tollgate("lineage", str(desk.a), "--json")["releases"]]
    with open(f"{folder}/variables/variables.index", "ab") as handle:
        handle.write(b"\0")
    page = alice.get(f"/models/{desk.a}").text
    assert "NOT VERIFIED" in page and "variables/variables.index" in page
    poke = html.unescape(alice.get(f"/models/{desk.b}/poke").text)
    assert f"the served model {desk.a} does not verify" in poke and 'value="disagree"' not in poke
    answer = html.unescape(alice.post(f"/models/{desk.b}/poke", data={
        "csrf": csrf_in(poke), "action": "predict", "c.fare": "12.5"}).text)
    [served] = re.findall(r'<tr><td>outputs</td><td class="num">[\d.]+</td><td class="num">([^<]*)</td>', answer)
    assert served == "-"  # the changed copy was never loaded
    similar = alice.post(f"/models/{desk.b}/poke", data={"csrf": csrf_in(poke), "action": "similar", "c.fare": "1"})
    searched = alice.post("/search", data={"csrf": csrf_in(poke), "row": "fare=1"})
    for refused in (similar, searched):  # a row is embedded by the served model: it would be loaded
        assert f"the served model {desk.a} does not verify" in html.unescape(refused.text)
        assert not _examples(refused.text)


def _examples(page: str) -> list[tuple[str, str]]:
    """(link, note) of each example a poke lists, as the page gives them (unescaped)."""
    return re.findall(r'<li><a href="([^"]+)">Poke [^<]*with this</a> <span class="muted">([^<]*)</span>',
                      html.unescape(page))


def test_poking_starts_from_a_slice_a_search_or_the_widest_disagreements(desk):
    alice = desk.logged_in("alice")
    page = alice.get(f"/models/{desk.b}/poke").text
    csrf = csrf_in(page)
    poke = lambda **data: alice.post(f"/models/{desk.b}/poke", data={"csrf": csrf, **data}).text
    picked = _examples(poke(action="slice", slice="trip_start_hour=7"))
    assert picked and all(note.startswith("eval example ") for _, note in picked)
    prefilled = alice.get(picked[0][0]).text
    assert 'name="c.trip_start_hour" value="7"' in prefilled
    widest = _examples(poke(action="disagree"))
    gaps = [re.fullmatch(r"eval example \d+: differs by ([\d.]+) \(model \d+: ([\d.]+); served: ([\d.]+)\)", note)
            for _, note in widest]
    assert len(gaps) == 10 and all(gaps), widest
    sizes = [float(g[1]) for g in gaps]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] > 0
    assert all(abs(float(g[1]) - abs(float(g[2]) - float(g[3]))) < 2e-4 for g in gaps)
    similar = _examples(poke(action="similar", **{"c.trip_miles": "3.2", "c.fare": "12.5"}))
    assert len(similar) == 10 and all(" example " in note and "distance" in note for _, note in similar)
    assert "fill in at least one column" in poke(action="similar")


def test_search_finds_neighbours_in_the_served_index_and_links_a_poke(desk):
    alice = desk.logged_in("alice")
    csrf = csrf_in(alice.get("/search").text)
    search = lambda **data: html.unescape(alice.post("/search", data={"csrf": csrf, **data}).text)
    by_row = _examples(search(row="trip_miles=3.2,fare=12.5"))
    assert len(by_row) == 10 and all(link.startswith(f"/models/{desk.a}/poke?") for link, _ in by_row)
    key = re.search(r"example (\d+),", by_row[0][1])[1]
    like = _examples(search(like=key))
    assert re.search(rf"example {key}, distance 0\.0000", like[0][1]), like[0]
    assert alice.get(like[0][0]).status_code == 200
    assert "is not 'column=value,column=value'" in search(row="no equals sign")
    assert "an example key is a number" in search(like="12; DROP")
