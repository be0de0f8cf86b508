"""The one-line answer to "is this decision proven?", for every reader of the store."""

from __future__ import annotations

from components.signoff import decisions, keys, records
from pipeline.config import TollgateConfig


def trust_of(config: TollgateConfig) -> decisions.Trust:
    """The keyring and policy of this config: a checker trusts its own, never the store's."""
    signoff = config.signoff
    return decisions.trust({"home": str(config.home_dir), "signoff": {
        "keyring": str(config.keyring_path) if signoff.keyring else "",
        "approvers": list(signoff.approvers), "allow_self_approval": signoff.allow_self_approval}})


def proof_of(request: records.Request, decision: records.Decision, trusted: decisions.Trust) -> str:
    """"verified: signed by NAME (keyring ...)", or NOT VERIFIED and the check that failed:
    a name from the store is never shown as fact on its own."""
    try:
        signed = decisions.prove(request, decision, trusted)
    except (decisions.ProofFailed, keys.KeyProblem, OSError) as failed:
        return f"NOT VERIFIED: {failed}"
    return f"verified: signed by {signed['predicate']['approver']} ({trusted.keyring.describe()})"


def model_proof(store, model_id: int, trusted: decisions.Trust | None) -> str | None:
    """The proof of the model's latest decision; None before anyone decided, or with nothing trusted."""
    found = records.requests_for_model(store, model_id)
    decision = records.decision_for(store, found[-1].id) if found and trusted else None
    return proof_of(found[-1], decision, trusted) if decision else None
