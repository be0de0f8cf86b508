"""A stand-in for the Kubeflow Pipelines REST API (v2beta1), for client tests.

No cluster exists on the machines that run these tests. This server answers
the few endpoints `kfp.Client` calls for upload, run and recurring runs, and
keeps every request (method, path, query, body) so tests can check exactly
what Tollgate sent. It implements no scheduling, caching or execution.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeKfp:
    def __init__(self):
        self.requests: list[dict] = []
        self.recurring: dict[str, dict] = {}
        self.pipelines: dict[str, str] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.host = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self):
        self._server.shutdown()

    def bodies(self, method: str, path_end: str) -> list:
        return [r["body"] for r in self.requests if r["method"] == method and r["path"].endswith(path_end)]

    def answer(self, method: str, path: str, query: dict, body):
        if path.endswith("/healthz"):
            return {"multi_user": False}
        if path == "/apis/v2beta1/pipelines" and method == "GET":
            name = json.loads(query.get("filter", ["{}"])[0] or "{}")
            wanted = [p.get("stringValue") for p in name.get("predicates", [])]
            found = [{"pipeline_id": i, "display_name": n} for n, i in self.pipelines.items() if n in wanted]
            return {"pipelines": found, "total_size": len(found)}
        if path == "/apis/v2beta1/pipelines/upload":
            name = query.get("name", ["pipeline"])[0]
            self.pipelines[name] = f"p-{len(self.pipelines) + 1}"
            return {"pipeline_id": self.pipelines[name], "display_name": name}
        if path == "/apis/v2beta1/pipelines/upload_version":
            return {"pipeline_id": query.get("pipelineid", [""])[0], "pipeline_version_id": "v-2"}
        if path.endswith("/versions") and method == "GET":
            return {"pipeline_versions": [{"pipeline_version_id": "v-1"}], "total_size": 1}
        if path == "/apis/v2beta1/experiments":
            if method == "POST":
                return {"experiment_id": "e-1", "display_name": body["display_name"]}
            return {"experiments": [{"experiment_id": "e-1", "display_name": "tollgate"}], "total_size": 1}
        if path == "/apis/v2beta1/runs" and method == "POST":
            return {**body, "run_id": "r-1"}
        if path == "/apis/v2beta1/recurringruns":
            if method == "POST":
                run_id = f"rr-{len(self.recurring) + 1}"
                self.recurring[run_id] = {**body, "recurring_run_id": run_id, "status": "ENABLED"}
                return self.recurring[run_id]
            return {"recurringRuns": list(self.recurring.values()), "total_size": len(self.recurring)}
        if path.startswith("/apis/v2beta1/recurringruns/"):
            run_id, _, verb = path.rsplit("/", 1)[-1].partition(":")
            if method == "DELETE":
                self.recurring.pop(run_id, None)
            elif verb:
                self.recurring[run_id]["status"] = "DISABLED" if verb == "disable" else "ENABLED"
            return {}
        return None

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self):
                url = urllib.parse.urlparse(self.path)
                query = urllib.parse.parse_qs(url.query)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = json.loads(raw) if raw and self.headers.get("Content-Type", "").startswith("application/json") else raw
                fake.requests.append({"method": self.command, "path": url.path, "query": query, "body": body})
                reply = fake.answer(self.command, url.path, query, body)
                data = json.dumps(reply if reply is not None else {"error": "not faked"}).encode()
                self.send_response(200 if reply is not None else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = do_PUT = _serve

            def log_message(self, *args):
                pass

        return Handler
