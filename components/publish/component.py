"""Publish: makes a pushed model visible to servers in one atomic step.

Pusher copies the model file by file into a staging folder beside the
serving folder. Publish then checks the copy and renames it into
`<serving_dir>/<version>`: a rename on one filesystem is atomic, so a server
watching the serving folder sees either no new version or a whole one.

The check: the staged files, with the runtime targets beside them, must be
those of the signed decision's manifest, or the copy is deleted and the step
fails. The signed decision and the approver's OpenSSF model-signing bundle
go beside the version, as `<version>.decision.json` and `<version>.sig`.
Each version served is recorded in the audit trail (a
`TollgateReleaseRecord` in the store named by `metadata`, chained to the
record before it). The decision is opened with `keyring` (the pipeline's; `keyring_first_use`
for a local one), never with anything the blessing names, and the digest
checked is the one signed. A model identical to the newest version
already being served is not published twice, even by two releases racing:
the check and the rename hold an exclusive lock on the serving folder.

Each other runtime's file that the serving check made (`model.tflite`,
`model.onnx`) goes beside the SavedModel, in the same rename; the Release's
`targets` says which runtimes it holds.
"""

import json
import os
from pathlib import Path

from tfx.dsl.component.experimental.annotations import InputArtifact, OutputArtifact, Parameter
from tfx.dsl.component.experimental.decorators import component
from tfx.types import standard_artifacts
from tfx.types.artifact import Artifact

from components import artifact_types
from components.publish.executor import release_model
from components.serving_check.component import ServingTargets
from components.serving_check.targets import FILE_NAMES
from components.signoff import keys, records
from components.signoff.proof import ProofFailed, open_envelope
from components.store import open_store

STAGING = ".staging"


def _target_files(blessing) -> list[str]:
    """The other runtimes' files that were signed off: those of the ServingCheck
    the request was made from (a later run may convert again, to other bytes).
    Their digests are checked against the signed manifest before anything is served."""
    names = blessing.get_string_custom_property("targets").split(",")
    folder = blessing.get_string_custom_property("serving_uri")
    return [os.path.join(folder, FILE_NAMES[n]) for n in names if n in FILE_NAMES]


class Release(Artifact):
    """A model made visible in the serving folder, or the record that it was not."""

    TYPE_NAME = artifact_types.RELEASE


@component
def Publish(
    pushed_model: InputArtifact[standard_artifacts.PushedModel],
    blessing: InputArtifact[standard_artifacts.ModelBlessing],
    serving: InputArtifact[ServingTargets],
    release: OutputArtifact[Release],
    serving_dir: Parameter[str],
    keyring: Parameter[str],
    keyring_first_use: Parameter[int],
    metadata: Parameter[str],
) -> None:
    if not pushed_model.get_int_custom_property("pushed"):
        release.set_int_custom_property("released", 0)
        return
    envelope = blessing.get_string_custom_property("envelope")
    # Checked again here, against the pipeline's own keyring, on the copy about to be
    # served: what was signed decides, not what the blessing in the store says.
    signed, name = open_envelope(envelope, keys.load_keyring(Path(keyring), bool(keyring_first_use)))
    if signed["predicate"].get("decision") != records.APPROVE:
        raise ProofFailed(f"the decision {name} signed is not an approval; nothing was published")
    final = release_model(
        pushed_model.get_string_custom_property("pushed_destination"),
        pushed_model.get_string_custom_property("pushed_version"),
        serving_dir,
        signed["predicate"]["model_digest"],
        signed,
        (envelope, blessing.get_string_custom_property("model_signature")),
        beside=_target_files(blessing),
    )
    said = signed["predicate"]
    records.record_release(open_store(json.loads(metadata)), said["pipeline"], {
        "model_id": said["model_id"], "request_id": said["request_id"], "model_digest": said["model_digest"],
        "serving_path": final,
    })
    release.set_int_custom_property("released", 1)
    release.set_string_custom_property("targets", blessing.get_string_custom_property("targets"))
    # Which model: so a warm start can find it without walking the lineage.
    release.set_int_custom_property("model_id", blessing.get_int_custom_property("current_model_id"))
    release.set_string_custom_property("serving_path", final)
    release.set_string_custom_property("version", os.path.basename(final))
