"""SignOff: no model is released until a permitted person approves it.

Inputs are the model, the Evaluator's blessing and its evaluation, and the
ServingCheck's figures: a model that missed a serving budget is not put to a
person, and the figures go on the request for the approver. The output
is a ModelBlessing for Pusher: `blessed` is 1 only after an approval, and it
carries `current_model_id` (so LatestBlessedModelStrategy takes the signed-off
model as the next baseline), `decision`, `approver`, `decided_at`, `comment`,
`model_digest` and `request_id`.

`triggered_by`, `command_prefix` (how a person reaches the store) and
`release_command` (a template with {prefix} and {model}) belong to the run:
the runner binds them as each run starts.

When the Evaluator blessed the model, SignOff records a request in MLMD and
polls for a decision for up to `timeout_seconds`. A decision counts only once
its proof holds (components/signoff/decisions.py): signed by a key in the
keyring that `run_config` names, the store's record as signed, the policy of
`run_config` met, and the files as signed. The blessing then carries the
signed decision, the model-signing bundle and the keyring, for Publish. Without one it raises
SignOffPending, so the run stops before Pusher; since a failed step is never
served from the cache, the next run (or `tollgate release`) asks again and
finds the decision, while Trainer and Evaluator come from the cache.
"""

from tfx.dsl.component.experimental.annotations import InputArtifact, OutputArtifact, Parameter
from tfx.dsl.component.experimental.decorators import component
from tfx.types import standard_artifacts as Artifacts

from components.serving_check.component import ServingTargets
from components.signoff.executor import sign_off


@component
def SignOff(
    model: InputArtifact[Artifacts.Model],
    model_blessing: InputArtifact[Artifacts.ModelBlessing],
    evaluation: InputArtifact[Artifacts.ModelEvaluation],
    serving: InputArtifact[ServingTargets],
    blessing: OutputArtifact[Artifacts.ModelBlessing],
    pipeline: Parameter[str],
    metadata: Parameter[str],
    timeout_seconds: Parameter[int],
    poll_seconds: Parameter[float],
    notifier: Parameter[str],
    triggered_by: Parameter[str],
    command_prefix: Parameter[str],
    release_command: Parameter[str],
    run_config: Parameter[str],
) -> None:
    sign_off(
        model,
        model_blessing,
        evaluation,
        serving,
        blessing,
        {
            "pipeline": pipeline,
            "metadata": metadata,
            "timeout_seconds": timeout_seconds,
            "poll_seconds": poll_seconds,
            "notifier": notifier,
            "triggered_by": triggered_by,
            "command_prefix": command_prefix,
            "release_command": release_command,
            "run_config": run_config,
        },
    )
