"""What the config asks of a trained model, checked when a step after the
Trainer fails: a signature the model lacks, or a label nobody computes.

The names live in the SavedModel, which only exists once `run_fn` has run,
so they can't be checked when the pipeline is defined. Checking them only
on a failure costs a successful run nothing, and turns TFMA's or the
exporter's traceback into the one line that names the config key.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from pipeline.config import TollgateConfig

_SERVING = "Format-Serving"  # where the Trainer writes the SavedModel under the model's URI


def _wanted(config: TollgateConfig) -> list[tuple[str, str]]:
    """(config key, signature name) for every signature a step calls."""
    model = config.model
    wanted = [("signature_name", model.signature_name)]
    wanted += [("preprocessing_function_names", name) for name in model.preprocessing_function_names]
    if config.makes_embeddings and not config.embeddings.encoder:
        wanted.append(("embedding_signature", model.embedding_signature))
    return wanted


def _outputs(signature) -> set[str]:
    return set(signature.structured_outputs)


def _columns(data_file: Path) -> list[str]:
    with data_file.open(newline="") as handle:
        return next(csv.reader(handle), [])


def model_problem(config: TollgateConfig, model_uri: str, data_file: Path) -> str | None:
    """One line naming what the model trained on `data_file` (a CSV) lacks, or None."""
    import tensorflow as tf

    path = os.path.join(model_uri, _SERVING)
    if not tf.io.gfile.exists(path):
        return None
    signatures = tf.saved_model.load(path).signatures
    have = ", ".join(sorted(signatures.keys())) or "none"
    for key, name in _wanted(config):
        if name not in signatures:
            return (f"the trained model has no signature {name!r}, which [model] {key} names (it has {have}); "
                    "name one of those, or save it in run_fn's signatures")
    names = config.model.preprocessing_function_names
    produced = set().union(*(_outputs(signatures[name]) for name in names))
    if names and config.model.label_key not in produced | set(_columns(data_file)):
        return (f"[model] label_key {config.model.label_key!r} is neither a column of the data nor an output of "
                f"{', '.join(names)} (it gives {', '.join(sorted(produced)) or 'nothing'}); "
                "name the label column, or the output that computes it")
    return None
