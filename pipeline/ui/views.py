"""What each page of the review desk shows, read from the store and the
state folder: plain values for the templates, which escape every one of them
(the model card's sections come already escaped from pipeline/reports/)."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import HTTPException

from components.metrics import summary_metric
from components.signoff import decisions, keys, records
from pipeline.config import TollgateConfig
from pipeline.errors import TollgateError
from pipeline.lineage.chain import check_chain
from pipeline.lineage.graph import model_graph
from pipeline.lineage.model import audit, model_lineage, resolve_model
from pipeline.lineage.proof import proof_of, trust_of
from pipeline.lineage.runs import list_runs, run_record
from pipeline.lineage.signoff import latest_request, run_policy
from pipeline.lineage.store import store_for
from pipeline.lineage.verify import verify
from pipeline.reports.model_card import model_card, to_svg
from pipeline.reports.page import STYLE
from pipeline.ui.cache import PageCache, folders_version

RUNNING_REFRESH = 3  # seconds between reloads of a run still going
RUNS_PER_PAGE = 50
LARGEST_ID = 2**63 - 1  # MLMD's ids are 64-bit


def model_in_range(model_id: int) -> int:
    if not 0 < model_id <= LARGEST_ID:
        raise HTTPException(404, f"no model {model_id}")
    return model_id


class Views:
    """Each page's values, kept until what they were read from changes (pipeline/ui/cache.py)."""

    def __init__(self, config: TollgateConfig):
        self.config = config
        self.cache = PageCache(config)

    def shell(self) -> dict:
        backend = self.config.metadata.backend
        where = self.config.sqlite_path if backend == "sqlite" else f"{backend} {self.config.metadata.database}"
        return {"style": STYLE, "pipeline": self.config.pipeline_name, "store": f"the {where} store"}

    def may_decide(self, name: str) -> bool:
        approvers = self.config.signoff.approvers
        return not approvers or name in approvers

    def _report(self, run_id: str) -> str | None:
        path = self.config.run_report(run_id)
        return path.name if path.is_file() else None

    def _reports(self, shown: list) -> dict[str, str | None]:
        """Each shown run's report, from one listing of the folder rather than a look per run."""
        folder = self.config.reports_dir
        written = {p.name for p in os.scandir(folder) if p.is_file()} if folder.is_dir() else set()
        names = {r.run_id: self.config.run_report_name(r.run_id) for r in shown}
        return {run_id: name if name in written else None for run_id, name in names.items()}

    def runs(self, page: int = 1) -> dict:
        """One page of runs, newest first."""
        every = self.cache.get(("runs",), lambda: list_runs(store_for(self.config), self.config.pipeline_name))
        pages = max(1, -(-len(every) // RUNS_PER_PAGE))
        if not 0 < page <= pages:
            raise HTTPException(404, f"no page {page} of runs: there are {pages}")
        newest = len(every) - (page - 1) * RUNS_PER_PAGE
        shown = every[max(0, newest - RUNS_PER_PAGE):newest][::-1]
        return {"runs": shown, "reports": self._reports(shown),
                "page": page, "pages": pages, "total": len(every)}

    def run(self, run_id: str) -> dict:
        record = self.cache.get(("run", run_id), lambda: run_record(store_for(self.config), run_id))
        if record is None:
            raise HTTPException(404, f"no run {run_id} of {self.config.pipeline_name} in the store")
        going = any(s.state == "running" for s in record.steps) or record.status == "incomplete"
        return {"run": record, "report": self._report(run_id), "refresh": RUNNING_REFRESH if going else 0,
                "lede": f"{record.status}; started {record.started}"}

    def pending(self) -> dict:
        found = self.cache.get(("pending",), lambda: records.pending_requests(store_for(self.config)))
        return {"requests": found, "metric_of": _metric_of}

    def review(self, model_id: int) -> dict:
        # A proof hashes the model's files, which change without the store knowing: the page
        # is kept only while they, the served copies and the proofs beside them stand still.
        files = self._files_read(model_id)
        card = self.cache.get(("review", model_id, files), lambda: self._review(model_id))
        # What `tollgate verify MODEL` says, served copies included, once a decision exists.
        checked = self.cache.get(("verify", model_id, files), lambda: verify(self.config, str(model_id))) \
            if any(h["decision"] for h in card["history"]) else None
        return {**card, "checked": checked}

    def _files_read(self, model_id: int | None) -> tuple:
        """The version of the files a proof of the model (None: of every model) reads."""
        folders = self.cache.get(("folders", model_id), lambda: self._folders(model_id))
        return folders_version(self.config.serving_dir, *folders)

    def _folders(self, model_id: int | None) -> list[str]:
        """Each model's folder and the serving targets its requests name."""
        store = store_for(self.config)
        requests = records.requests_for_model(store, model_id) if model_id else records.all_requests(store)
        ids = {r.model_id for r in requests} | ({model_id} if model_id else set())
        models = store.get_artifacts_by_id(sorted(ids)) if ids else []
        return sorted({m.uri for m in models} | {r.serving_uri for r in requests if r.serving_uri})

    def _review(self, model_id: int) -> dict:
        store, trusted = store_for(self.config), trust_of(self.config)
        resolve_model(store, str(model_id))  # one line naming what is wrong with the id
        lineage = model_lineage(store, model_id, trusted)
        nodes, edges = model_graph(store, lineage)
        lede, badges, sections = model_card(lineage, nodes, to_svg(nodes, edges))
        history = []
        for request in records.requests_for_model(store, model_id):
            decision = records.decision_for(store, request.id)
            proof = proof_of(request, decision, trusted) if decision else None
            history.append({"request": request, "decision": decision, "proof": proof})
        # Only the newest request can be decided: an older one was superseded by a rerun.
        awaiting = history[-1]["request"] if history and history[-1]["decision"] is None else None
        approvers = ", ".join(self.config.signoff.approvers) or "the approvers"
        return {"model_id": model_id, "lede": lede, "badges": badges, "sections": sections, "history": history,
                "awaiting": awaiting, "approvers": approvers, "passkeys": trusted.keyring.passkeys}

    def audit(self) -> dict:
        return self.cache.get(("audit", self._files_read(None)), self._audit)

    def _audit(self) -> dict:
        store, trusted = store_for(self.config), trust_of(self.config)
        return {"entries": audit(store, None, trusted),
                "chain": check_chain(store, self.config.pipeline_name, trusted.keyring)}

    def keyring(self) -> keys.Keyring:
        return trust_of(self.config).keyring

    def passkeys_of(self, name: str) -> list[keys.Passkey]:
        return self.keyring().passkeys_of(name)

    def passkey(self, name: str) -> dict:
        keyring = self.keyring()
        return {"passkeys": keyring.passkeys_of(name), "keyring": keyring.describe(),
                "local": keyring.trusted_on_first_use}

    def add_passkey(self, passkey: keys.Passkey, may_write: bool) -> dict:
        """A local keyring takes a person's first key of any kind from one of the
        desk's own accounts; a team adds the line to its reviewed keyring."""
        keyring = self.keyring()
        if not (keyring.trusted_on_first_use and may_write):
            return {"added": False, "keyring": str(keyring.path)}
        try:
            keys.save(keys.with_passkey(keyring, passkey))
        except keys.KeyProblem as problem:
            raise TollgateError(f"{problem}; if this passkey is {passkey.name}'s, add this line to "
                                f"{keyring.path} by hand: {passkey.line()}") from None
        return {"added": True, "keyring": str(keyring.path)}

    def passkey_statement(self, model_id: int, name: str, verdict: str, comment: str):
        """The statement `name`'s passkey is asked to sign, and that passkey;
        refused, as `tollgate approve` refuses, unless both policies allow it:
        this desk's and the run's (an approver cannot pick a laxer config)."""
        store, trusted = store_for(self.config), trust_of(self.config)
        [passkey, *_] = trusted.keyring.passkeys_of(name) or [None]
        if passkey is None:
            raise TollgateError(f"{trusted.keyring.describe()} lists no passkey for {name}: register one on "
                                "the passkey page, and have its line added to the keyring")
        request = latest_request(store, model_id)
        try:
            if verdict == records.APPROVE:
                run_policy(request).check(name, request)
            return decisions.passkey_statement(store, request, verdict, passkey, comment, trusted), passkey
        except records.SignOffRefused as refused:
            raise TollgateError(str(refused)) from None

    def record(self, model_id: int, statement: dict, envelope: str) -> records.Decision:
        store = store_for(self.config)
        request = latest_request(store, model_id)
        if request.id != statement["predicate"]["request_id"]:
            raise TollgateError(f"model {model_id} was asked about again (request {request.id}) while the passkey "
                                "signed for the request before it; decide again")
        try:
            return decisions.record_passkey_decision(store, request, statement, envelope, trust_of(self.config))
        except (records.SignOffRefused, decisions.ProofFailed) as refused:
            raise TollgateError(str(refused)) from None

    def report_path(self, name: str) -> Path:
        """A page under the state folder's reports; nothing outside it (no `..`, no link out)."""
        root = self.config.reports_dir.resolve()
        path = (root / name).resolve()
        if not path.is_relative_to(root) or not path.is_file() or path.suffix != ".html" or os.sep in name:
            raise HTTPException(404, f"no report {name!r} in the state folder's reports")
        return path


def _metric_of(request: records.Request) -> str:
    summary = request.eval_summary or {}
    metric = summary_metric(summary)
    value = (summary.get("overall") or {}).get(metric.key)
    return f"{metric.name} {'n/a' if value is None else f'{value:.4f}'}"
