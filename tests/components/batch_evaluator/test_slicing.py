"""BatchSlicer against TFMA's per-example slicing, on batched extracts.

TFMA's way is its UnbatchExtractor, then its slicer on each row's
transformed features (per model, when there are two) before the raw ones.
"""

import numpy as np
import pytest
import tensorflow_model_analysis as tfma
from tensorflow_model_analysis.extractors import unbatch_extractor
from tensorflow_model_analysis.slicer import slicer_lib

from components.batch_evaluator.slicing import BatchSlicer, slice_specs

ROWS = 4096
TRANSFORMED = tfma.constants.TRANSFORMED_FEATURES_KEY


def _config(columns: list[str]) -> tfma.EvalConfig:
    return tfma.EvalConfig(
        model_specs=[tfma.ModelSpec(name="candidate"), tfma.ModelSpec(name="baseline", is_baseline=True)],
        slicing_specs=[tfma.SlicingSpec(), *[tfma.SlicingSpec(feature_keys=[c]) for c in columns],
                       tfma.SlicingSpec(feature_keys=columns[:2])],
    )


def _tfma_rows_by_slice(extract: dict, config: tfma.EvalConfig) -> dict:
    expected: dict = {}
    for row, single in enumerate(unbatch_extractor._extract_unbatched_inputs(extract)):
        # Empty dicts are dropped in the split; TFMA's slicer then has none to search.
        transformed = [single[TRANSFORMED][spec.name] for spec in config.model_specs
                       if spec.name in single.get(TRANSFORMED, {})]
        for key in set(slicer_lib.get_slices_for_features_dicts(transformed, single[tfma.FEATURES_KEY],
                                                                slice_specs(config))):
            expected.setdefault(key, []).append(row)
    return expected


def _ours(extract: dict, config: tfma.EvalConfig) -> dict:
    return {key: list(rows) for key, rows in BatchSlicer(config).rows_by_slice(extract, ROWS).items()}


def test_many_distinct_values_in_many_columns_keep_their_own_slices():
    # Five columns of 2,048 values and one of 4,096 (plus the shadowing one):
    # a grouping code built by multiplying their value counts passes 2**64,
    # and rows 2,048 apart would wrap onto the same code and share slices.
    rng = np.random.default_rng(5)
    columns = [f"c{i}" for i in range(6)]
    row = np.arange(ROWS)
    raw = {"c0": (row * 7).reshape(ROWS, 1),
           **{c: ((row % 2048) * 13 + i).reshape(ROWS, 1) for i, c in enumerate(columns[1:])}}
    # The candidate's transformed c0 shadows the raw one: TFMA looks there first.
    transformed = {"candidate": {"c0": rng.integers(0, 3, ROWS)}, "baseline": {"other": np.zeros(ROWS)}}
    extract = {tfma.FEATURES_KEY: raw, TRANSFORMED: transformed}
    config = _config(columns)
    ours, theirs = _ours(extract, config), _tfma_rows_by_slice(extract, config)
    assert ours == theirs
    assert {key for key in ours if len(key) == 1 and key[0][0] == "c0"} == {(("c0", v),) for v in (0, 1, 2)}


@pytest.mark.parametrize("kind", ["text", "missing values"])
def test_text_and_missing_values_slice_as_tfma(kind):
    rng = np.random.default_rng(6)
    words = np.array([b"cash", b"card", b"", "caf\u00e9".encode()], dtype=object)
    raw = {"payment": words[rng.integers(0, 4, ROWS)].reshape(ROWS, 1), "hour": rng.integers(0, 24, (ROWS, 1))}
    if kind == "missing values":
        raw["payment"] = tfma.types.VarLenTensorValue(
            values=words[rng.integers(0, 4, ROWS // 2)], indices=np.array([[2 * i, 0] for i in range(ROWS // 2)]),
            dense_shape=np.array([ROWS, 1]))
    extract = {tfma.FEATURES_KEY: raw, TRANSFORMED: {"candidate": {}, "baseline": {}}}
    config = _config(["payment", "hour"])
    assert _ours(extract, config) == _tfma_rows_by_slice(extract, config)
