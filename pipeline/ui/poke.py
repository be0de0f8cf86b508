"""Poking a model on the review desk: a row of the model's raw columns in,
the candidate's and the served model's predictions side by side out, with
the candidate's transform outputs; and the eval examples where the two
disagree most.

TensorFlow is imported here only, when someone first pokes, so the desk's
other pages stay light. A loaded model is kept for the desk's lifetime,
keyed by its folder: a model's folder is never rewritten (the served copy is
checked against its signed manifest on the review page).
"""

from __future__ import annotations

import dataclasses
import functools
import threading

import numpy as np

from pipeline.errors import TollgateError
from pipeline.search.rows import example_from_row

# A disagreement scan reads at most this many eval examples (the page says
# how many it read): it answers a click, and the taxi eval split is ~5,000.
SCAN_LIMIT = 50_000
BATCH = 1024
SHOWN_VALUES = 8  # of a long output (an image's pixels), the page shows the first few

_loading = threading.Lock()


@dataclasses.dataclass(frozen=True)
class Example:
    index: int  # its place in the eval split
    values: dict[str, str]  # raw columns as text, "" for an empty cell
    serialized: bytes


@dataclasses.dataclass(frozen=True)
class Gap:
    example: Example
    gap: float  # the largest absolute difference between the two models' outputs
    candidate: str
    served: str


def column_names(schema) -> list[str]:
    return [feature.name for feature in schema.feature]


def field(name: str) -> str:
    """A column's name in a form or a link: prefixed, so that no column can be
    taken for the form's own fields (csrf, action)."""
    return f"c.{name}"


def row_from(values, names: list[str]) -> dict[str, str]:
    """The filled-in columns of a form or a link; anything that is not a column is ignored."""
    given = {name: str(values.get(field(name)) or "").strip() for name in names}
    return {name: value for name, value in given.items() if value}


def serialize(row: dict[str, str], schema) -> bytes:
    return example_from_row(row, schema)[0]


@functools.lru_cache(maxsize=2)  # up to SCAN_LIMIT examples each: the model under review and maybe one more
def eval_examples(examples_uri: str) -> tuple[Example, ...]:
    """The first SCAN_LIMIT examples of the eval split ExampleGen wrote, read
    as the serving check reads them."""
    from components.serving_check.executor import eval_rows

    records = eval_rows(examples_uri, ["eval"], SCAN_LIMIT)
    if not records:
        raise TollgateError(f"no eval examples under {examples_uri}; was this model's data removed?")
    return tuple(Example(i, _values(r), r) for i, r in enumerate(records))


def _values(serialized: bytes) -> dict[str, str]:
    from tensorflow.core.example import example_pb2

    features = example_pb2.Example.FromString(serialized).features.feature
    values = {}
    for name, feature in sorted(features.items()):
        kind = feature.WhichOneof("kind")
        found = list(getattr(feature, kind).value) if kind else []
        values[name] = text(found[0]) if found else ""
    return values


def text(value) -> str:
    """A raw column's value as a person reads it."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    # Raw floats are float32s (a tf.Example's float_list, the embeddings'
    # source columns): 16.05, not 16.049999237060547.
    return str(np.float32(value)) if isinstance(value, float) else str(value)


def in_slice(example: Example, slice_name: str) -> bool:
    """Whether the example falls in a slice named as the evaluation names it: "a=1,b=x"."""
    for part in slice_name.split(","):
        name, _, wanted = part.partition("=")
        if not _same(example.values.get(name.strip(), ""), wanted.strip()):
            return False
    return True


def _same(value: str, wanted: str) -> bool:
    try:
        return float(value) == float(wanted)
    except ValueError:
        return value == wanted


def _loaded(model_dir: str):
    with _loading:  # two clicks must not load one model twice at once
        return _load(model_dir)


@functools.lru_cache(maxsize=8)
def _load(model_dir: str):
    import tensorflow as tf

    return tf.saved_model.load(model_dir)


def _call(model_dir: str, signature: str, serialized: list[bytes]) -> dict[str, np.ndarray]:
    import tensorflow as tf

    model = _loaded(model_dir)
    if signature not in model.signatures:
        raise TollgateError(f"the model at {model_dir} has no '{signature}' signature (it has "
                            f"{', '.join(sorted(model.signatures))})")
    outputs = model.signatures[signature](examples=tf.constant(serialized))
    return {name: value.numpy() for name, value in sorted(outputs.items())}


def shown(values: np.ndarray) -> str:
    """One example's output as text: numbers to 4 places, the first few of a long one."""
    flat = np.asarray(values).reshape(-1)
    text = [v.decode(errors="replace") if isinstance(v, bytes) else f"{float(v):.4f}" for v in flat[:SHOWN_VALUES]]
    more = f" … ({flat.size} values)" if flat.size > SHOWN_VALUES else ""
    return ", ".join(text) + more


def predict(candidate_dir: str, served_dir: str | None, serialized: bytes) -> dict:
    """{"predictions": [(output, candidate, served)], "transformed": [(name, values)]}."""
    candidate = _call(candidate_dir, "serving_default", [serialized])
    served = _call(served_dir, "serving_default", [serialized]) if served_dir else {}
    rows = [(name, shown(value[0]), shown(served[name][0]) if name in served else "-")
            for name, value in candidate.items()]
    transformed = _call(candidate_dir, "transform_features", [serialized])
    return {"predictions": rows, "transformed": [(name, shown(v[0])) for name, v in transformed.items()]}


def disagreements(candidate_dir: str, served_dir: str, examples: tuple[Example, ...], top: int) -> list[Gap]:
    """The `top` examples whose predictions differ most between the two models."""
    gaps: list[Gap] = []
    for start in range(0, len(examples), BATCH):
        batch = examples[start:start + BATCH]
        serialized = [e.serialized for e in batch]
        candidate = _first_output(_call(candidate_dir, "serving_default", serialized))
        served = _first_output(_call(served_dir, "serving_default", serialized))
        widest = np.abs(candidate - served).reshape(len(batch), -1).max(axis=1)
        gaps.extend(Gap(e, float(g), shown(c), shown(s)) for e, g, c, s in zip(batch, widest, candidate, served))
        gaps = sorted(gaps, key=lambda g: -g.gap)[:top]
    return gaps


def _first_output(outputs: dict[str, np.ndarray]) -> np.ndarray:
    return np.asarray(next(iter(outputs.values())), dtype=np.float64)
