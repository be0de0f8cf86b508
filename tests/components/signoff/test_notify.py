"""The webhook notifier against a local HTTP server that checks the body."""

import http.server
import json
import threading

import pytest

from components.signoff import notify
from components.signoff.records import Request

REQUEST = Request(
    id=3, model_id=7, model_uri="/m", model_digest="sha256:x", pipeline="taxi", run_id="r1",
    triggered_by="carol", requested_at="t", eval_summary={"overall": {"auc": 0.91}},
    approve_command="tollgate approve 7 --by NAME", release_command="tollgate release 7", config="{}",
)


@pytest.fixture
def server():
    received = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, self.headers["Content-Type"], json.loads(body)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/hooks/T0KEN", received
    httpd.shutdown()


def test_webhook_posts_slack_compatible_json(server, monkeypatch):
    url, received = server
    monkeypatch.setenv(notify.WEBHOOK_ENV, url)
    notify.notify("webhook", REQUEST)
    [(path, content_type, body)] = received
    assert path == "/hooks/T0KEN" and content_type == "application/json"
    assert set(body) == {"text"}
    assert "model 7" in body["text"] and "tollgate approve 7 --by NAME" in body["text"]
    assert "AUC 0.9100" in body["text"]


def test_missing_webhook_url_is_logged_not_raised(monkeypatch, caplog):
    monkeypatch.delenv(notify.WEBHOOK_ENV, raising=False)
    notify.notify("webhook", REQUEST)
    assert "could not notify approvers" in caplog.text


def test_log_notifier_names_the_command(caplog):
    notify.notify("log", REQUEST)
    assert "tollgate approve 7 --by NAME" in caplog.text


def test_with_the_desks_address_the_message_links_the_review_page(caplog):
    notify.notify("log", REQUEST, "https://desk.example.com/")
    assert "Review and decide: https://desk.example.com/models/7 " in caplog.text
    assert "tollgate approve 7 --by NAME" in caplog.text  # the key file still works
    assert "Review" not in notify.message(REQUEST)  # no desk named, no link
