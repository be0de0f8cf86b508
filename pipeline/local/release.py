"""`tollgate release`: push an approved model by replaying its run here.

The replay uses the config the run recorded with its sign-off request, so
every step up to SignOff comes from the cache and SignOff finds the approval.
"""

from __future__ import annotations

import dataclasses
import json
import os

from components.model_digest import folder_files
from components.signoff import decisions, keys, proof, records
from pipeline.config import TollgateConfig
from pipeline.config_file import from_json
from pipeline.errors import TollgateError
from pipeline.lineage.model import releases_of
from pipeline.lineage.proof import trust_of
from pipeline.lineage.signoff import latest_request
from pipeline.lineage.store import store_for
from pipeline.local.runner import run_pipeline
from pipeline.local.summary import RunFailed, RunSummary


def recorded_config(request: records.Request) -> TollgateConfig:
    """The config the model's run was made with, if this machine can replay it."""
    runner = json.loads(request.config).get("runner", "local")
    if runner != "local":
        # Its paths name the cluster's volume and image, not this machine.
        raise TollgateError(
            f"model {request.model_id} was made by a {runner} run, which `tollgate release` cannot "
            f"replay here; run it there again with the same data ({request.release_command}): "
            "its SignOff finds the approval and pushes"
        )
    return from_json(request.config, f"request {request.id}")


def _proven(config: TollgateConfig, request: records.Request, decision: records.Decision) -> dict:
    """Checked before the replay as well as by SignOff and Publish within it, so
    that a forged decision or a changed model is refused in one line with
    nothing run or written."""
    try:
        return decisions.prove(request, decision, trust_of(config))
    except (decisions.ProofFailed, keys.KeyProblem) as failed:
        raise TollgateError(f"model {request.model_id} will not be released: {failed}") from None
    except OSError as error:
        raise TollgateError(f"model {request.model_id} will not be released: its files cannot be read "
                            f"({error}); run the pipeline again and ask for a new sign-off") from None


def _served_untouched(store, model_id: int, signed: dict) -> None:
    """A replay of a released model is cached down to its push, so it would
    report as pushed a served copy that was changed since; each one still
    there must match the signed manifest."""
    for folder in [r.serving_path for r in releases_of(store, model_id)]:
        if not os.path.isdir(folder):  # a pruned old version serves nothing
            continue
        try:
            proof.check_files(signed, folder_files(folder), folder)
        except (decisions.ProofFailed, OSError) as failed:
            raise TollgateError(f"model {model_id} will not be released: its served copy was changed after "
                                f"its release ({failed}); take {folder} out of service and find who wrote to it") from None


def with_own_signoff(replay: TollgateConfig, config: TollgateConfig) -> TollgateConfig:
    """The replay, with this config's keyring and approvers: the recorded ones
    are in the store, where anyone who can write to it may have relaxed them."""
    own = config.signoff
    keyring = own.keyring and str(config.keyring_path)
    signoff = dataclasses.replace(replay.signoff, keyring=keyring, approvers=own.approvers,
                                  allow_self_approval=own.allow_self_approval)
    return dataclasses.replace(replay, signoff=signoff)


def release(config: TollgateConfig, model_id: int) -> RunSummary:
    """Replays the model's run: cached up to SignOff, which finds the approval."""
    store = store_for(config)
    request = latest_request(store, model_id)
    decision = records.decision_for(store, request.id)
    if decision is None:
        raise TollgateError(
            f"model {model_id} has no decision yet; approve it first: {request.approve_command}"
        )
    if decision.decision != records.APPROVE:
        raise TollgateError(
            f"model {model_id} was rejected by {decision.approver} at {decision.decided_at}; "
            "it will not be released"
        )
    replay = recorded_config(request)  # a cluster's model is not on this machine to check
    signed = _proven(config, request, decision)
    _served_untouched(store, model_id, signed)
    summary = run_pipeline(with_own_signoff(replay, config))
    if summary.run.model_id != model_id:
        raise RunFailed(
            f"the data or code changed since model {model_id} was trained, so the replay made "
            f"model {summary.run.model_id} instead; model {model_id} was not released"
        )
    return summary
