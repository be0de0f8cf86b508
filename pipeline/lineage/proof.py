"""The one-line answer to "is this decision proven?", for every reader of the store."""

from __future__ import annotations

import json

from components.signoff import decisions, keys, records


def proof_of(request: records.Request, decision: records.Decision) -> str:
    """"verified: signed by NAME (keyring ...)", or NOT VERIFIED and the check that failed:
    a name from the store is never shown as fact on its own."""
    try:
        keyring = decisions.run_keyring(json.loads(request.config))
        signed = decisions.prove(request, decision, keyring)
    except (decisions.ProofFailed, keys.KeyProblem, OSError) as failed:
        return f"NOT VERIFIED: {failed}"
    return f"verified: signed by {signed['predicate']['approver']} ({keyring.describe()})"


def model_proof(store, model_id: int) -> str | None:
    """The proof of the model's latest decision; None before anyone decided."""
    found = records.requests_for_model(store, model_id)
    decision = records.decision_for(store, found[-1].id) if found else None
    return proof_of(found[-1], decision) if decision else None
