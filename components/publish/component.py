"""Publish: makes a pushed model visible to servers in one atomic step.

Pusher copies the model file by file into a staging folder beside the
serving folder. Publish then checks the copy and renames it into
`<serving_dir>/<version>`: a rename on one filesystem is atomic, so a server
watching the serving folder sees either no new version or a whole one.

The check: the staged files must have the digest that was signed off, or the
copy is deleted and the step fails. A model identical to the newest version
already being served is not published twice.
"""

import os
import shutil

from tfx import v1 as tfx

from components import artifact_types
from components.model_digest import ModelChanged, folder_digest

STAGING = ".staging"


class Release(tfx.dsl.Artifact):
    """A model made visible in the serving folder, or the record that it was not."""

    TYPE_NAME = artifact_types.RELEASE


def served_versions(serving_dir: str) -> list[str]:
    if not os.path.isdir(serving_dir):
        return []
    return sorted((v for v in os.listdir(serving_dir) if v.isdigit()), key=int)


def publish_staged(staged_path: str, serving_dir: str, version: str) -> str:
    """Renames the staged model into the serving folder; returns its path."""
    os.makedirs(serving_dir, exist_ok=True)
    number = int(version)
    # Two pushes in one second share a timestamp version: take the next free one.
    while os.path.exists(os.path.join(serving_dir, str(number))):
        number += 1
    final = os.path.join(serving_dir, str(number))
    os.rename(staged_path, final)
    return final


def release_model(staged: str, version: str, serving_dir: str, approved_digest: str) -> str:
    """Checks the staged copy, then publishes it; returns the serving path."""
    digest = folder_digest(staged)
    if approved_digest and digest != approved_digest:
        shutil.rmtree(staged, ignore_errors=True)
        raise ModelChanged(
            f"the model being pushed ({digest}) is not the one signed off "
            f"({approved_digest}); it was not published"
        )
    versions = served_versions(serving_dir)
    if versions and folder_digest(os.path.join(serving_dir, versions[-1])) == digest:
        shutil.rmtree(staged, ignore_errors=True)
        return os.path.join(serving_dir, versions[-1])
    return publish_staged(staged, serving_dir, version)


@tfx.dsl.components.component
def Publish(
    pushed_model: tfx.dsl.components.InputArtifact[tfx.types.standard_artifacts.PushedModel],
    blessing: tfx.dsl.components.InputArtifact[tfx.types.standard_artifacts.ModelBlessing],
    release: tfx.dsl.components.OutputArtifact[Release],
    serving_dir: tfx.dsl.components.Parameter[str],
) -> None:
    if not pushed_model.get_int_custom_property("pushed"):
        release.set_int_custom_property("released", 0)
        return
    final = release_model(
        pushed_model.get_string_custom_property("pushed_destination"),
        pushed_model.get_string_custom_property("pushed_version"),
        serving_dir,
        blessing.get_string_custom_property("model_digest"),
    )
    release.set_int_custom_property("released", 1)
    # Which model: so a warm start can find it without walking the lineage.
    release.set_int_custom_property("model_id", blessing.get_int_custom_property("current_model_id"))
    release.set_string_custom_property("serving_path", final)
    release.set_string_custom_property("version", os.path.basename(final))
