"""Publish: makes a pushed model visible to servers in one atomic step.

Pusher copies the model file by file into a staging folder beside the
serving folder. Publish then renames it into `<serving_dir>/<version>`: a
rename on one filesystem is atomic, so a server watching the serving folder
sees either no new version or a whole one, never a half-written model.
"""

import os

from tfx import v1 as tfx

STAGING = ".staging"


class Release(tfx.dsl.Artifact):
    """A model made visible in the serving folder, or the record that it was not."""

    TYPE_NAME = "TollgateRelease"


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


@tfx.dsl.components.component
def Publish(
    pushed_model: tfx.dsl.components.InputArtifact[tfx.types.standard_artifacts.PushedModel],
    release: tfx.dsl.components.OutputArtifact[Release],
    serving_dir: tfx.dsl.components.Parameter[str],
) -> None:
    if not pushed_model.get_int_custom_property("pushed"):
        release.set_int_custom_property("released", 0)
        return
    staged = pushed_model.get_string_custom_property("pushed_destination")
    final = publish_staged(staged, serving_dir, pushed_model.get_string_custom_property("pushed_version"))
    release.set_int_custom_property("released", 1)
    release.set_string_custom_property("serving_path", final)
    release.set_string_custom_property("version", os.path.basename(final))
