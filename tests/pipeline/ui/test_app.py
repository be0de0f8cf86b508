"""The desk's app in this process (Starlette's test client speaks HTTP to
it directly) over an empty store: what needs no trained model. The review
of real models, passkeys and every attack on both stores are in
tests/e2e/test_review_desk_e2e.py."""

import re

import pytest
from fastapi.testclient import TestClient

from pipeline.config_file import load_config
from pipeline.ui.app import create_app
from tests.pipeline.lineage.layout import Execution, Layout


def desk(tmp_path, **ui) -> TestClient:
    config = load_config(None, home=str(tmp_path / "home"), **{f"ui__{k}": v for k, v in ui.items()},
                         signoff__approvers=["alice@example.com"])
    return TestClient(create_app(config), follow_redirects=False)


def test_behind_kubeflows_proxy_the_person_is_the_header_and_nothing_else(tmp_path):
    client = desk(tmp_path, user_header="kubeflow-userid")
    page = client.get("/pending", headers={"kubeflow-userid": "alice@example.com"})
    assert page.status_code == 200 and "alice@example.com" in page.text and "(viewer)" not in page.text
    assert "Log out" not in page.text  # the proxy's session, not the desk's
    viewer = client.get("/pending", headers={"kubeflow-userid": "bob@example.com"})
    assert "bob@example.com (viewer)" in viewer.text
    refused = client.get("/pending")
    assert refused.status_code == 401 and "kubeflow-userid" in refused.text
    assert client.get("/login").status_code == 303  # no accounts, no login form


def test_behind_the_proxy_a_post_still_needs_the_persons_csrf_token(tmp_path):
    client = desk(tmp_path, user_header="kubeflow-userid", base_url="https://desk.example.com")
    alice, bob = ({"kubeflow-userid": name} for name in ("alice@example.com", "bob@example.com"))
    token = client.get("/passkey", headers=alice).text.split('data-csrf="', 1)[1].split('"', 1)[0]
    refused = client.post("/passkey/options", json={}, headers=alice)
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]
    forged = client.post("/passkey/options", json={}, headers={**bob, "X-CSRF-Token": token})
    assert forged.status_code == 403  # alice's token is not bob's
    options = client.post("/passkey/options", json={}, headers={**alice, "X-CSRF-Token": token})
    assert options.status_code == 200 and options.json()["rp"]["id"] == "desk.example.com"
    assert options.json()["authenticatorSelection"]["userVerification"] == "required"


def test_behind_the_proxy_a_header_that_is_not_a_name_is_refused(tmp_path):
    client = desk(tmp_path, user_header="kubeflow-userid")
    for name in ("mal lory", "alice#x", "../alice"):
        assert client.get("/pending", headers={"kubeflow-userid": name}).status_code == 401, name


def test_without_base_url_a_passkey_is_refused_unless_the_desk_is_reached_as_localhost(tmp_path):
    client = desk(tmp_path, user_header="kubeflow-userid")
    alice = {"kubeflow-userid": "alice@example.com"}
    token = client.get("/passkey", headers=alice).text.split('data-csrf="', 1)[1].split('"', 1)[0]
    refused = client.post("/passkey/options", json={}, headers={**alice, "X-CSRF-Token": token})
    assert refused.status_code == 400 and "set ui.base_url" in refused.json()["error"]


def test_bad_requests_are_one_readable_line(tmp_path):
    client = desk(tmp_path, user_header="kubeflow-userid", base_url="http://localhost:8765")
    alice = {"kubeflow-userid": "alice@example.com"}
    page = client.get("/passkey", headers=alice)
    token = page.text.split('data-csrf="', 1)[1].split('"', 1)[0]
    for path in ("/models/abc", "/models/99999999999999999999999", "/models/0"):
        answer = client.get(path, headers=alice)
        assert answer.status_code == 404 and "<p>" in answer.text, path
    asked = {**alice, "X-CSRF-Token": token}
    for path, body, words in (
            ("/passkey", {}, "expired or was never made"),
            ("/models/1/decision/options", {"decision": ["approve"]}, "decide approve or reject"),
            ("/models/1/decision/options", {"decision": "reject", "comment": "x" * 2001}, "at most 2000"),
            ("/models/1/decision", {"credential": None}, "expired or was never made")):
        answer = client.post(path, json=body, headers=asked)
        assert answer.status_code in (400, 403) and words in answer.json()["error"], (path, answer.text)
    client.post("/passkey/options", json={}, headers=asked)
    answer = client.post("/passkey", json={}, headers=asked)
    assert answer.status_code == 400 and "no passkey answer" in answer.json()["error"]


def test_every_page_carries_a_content_security_policy(tmp_path):
    client = desk(tmp_path, user_header="kubeflow-userid")
    page = client.get("/passkey", headers={"kubeflow-userid": "alice@example.com"})
    policy = page.headers["content-security-policy"]
    nonce = policy.split("'nonce-", 1)[1].split("'", 1)[0]
    assert "default-src 'self'" in policy and f'<script nonce="{nonce}">' in page.text
    assert "frame-ancestors 'none'" in policy


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\\\evil.example"])
def test_a_login_never_sends_the_browser_to_another_site(tmp_path, target):
    from pipeline.ui.accounts import Accounts

    client = desk(tmp_path)
    Accounts(tmp_path / "home" / "ui" / "accounts.json").add("alice", "a long enough secret")
    form = client.get("/login").text
    csrf = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    answer = client.post("/login", data={"name": "alice", "password": "a long enough secret", "csrf": csrf,
                                         "next": target})
    assert answer.status_code == 303 and answer.headers["location"] == "/"


def test_the_session_cookie_is_httponly_and_samesite(tmp_path):
    cookie = desk(tmp_path).get("/login").headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_the_runs_page_shows_fifty_runs_at_a_time_newest_first_and_a_new_run_at_once(tmp_path):
    client = desk(tmp_path, user_header="kubeflow-userid")
    layout = Layout(tmp_path / "home" / "metadata.sqlite", pipeline="tollgate")
    for number in range(120):
        layout.run(f"run-{number:03}", [("Trainer", Execution.COMPLETE, ["Model"])])
    alice = {"kubeflow-userid": "alice@example.com"}

    def shown(page: int) -> list[str]:
        text = client.get(f"/?page={page}", headers=alice).text
        return re.findall(r'href="/runs/(run-\d+)"', text)

    assert shown(1) == [f"run-{n:03}" for n in range(119, 69, -1)]
    assert shown(3) == [f"run-{n:03}" for n in range(19, -1, -1)]
    first = client.get("/", headers=alice).text
    assert "page 1 of 3 (120 runs, newest first)" in first and 'href="/?page=2"' in first
    assert client.get("/?page=4", headers=alice).status_code == 404
    layout.run("run-120", [("Trainer", Execution.RUNNING, [])])  # written by another process
    assert shown(1)[0] == "run-120" and shown(3)[0] == "run-020"  # every page moves on by one
