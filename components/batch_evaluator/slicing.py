"""Which rows of a batch fall in which slice, asked of TFMA's own slicer.

TFMA's SliceKeyExtractor asks its slicer once per example. Rows that agree
on every feature a slicing spec names fall in the same slices, so this asks
once per distinct combination in the batch and spreads the answer over the
rows that share it. Where a column is not one plain value per row (a
variable-length feature, a missing value), each row is asked on its own,
as TFMA does.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import tensorflow_model_analysis as tfma
from tensorflow_model_analysis.extractors import unbatch_extractor
from tensorflow_model_analysis.slicer import slicer_lib
from tensorflow_model_analysis.utils import util


def slice_specs(eval_config: tfma.EvalConfig) -> list[slicer_lib.SingleSliceSpec]:
    specs = [slicer_lib.SingleSliceSpec(spec=spec) for spec in eval_config.slicing_specs]
    return specs or [slicer_lib.SingleSliceSpec()]


def slice_columns(eval_config: tfma.EvalConfig) -> set[str]:
    """The features any slicing spec names."""
    return {name for spec in eval_config.slicing_specs
            for name in [*spec.feature_keys, *spec.feature_values]}


def _feature_dicts(extract: dict, eval_config: tfma.EvalConfig) -> list[Mapping]:
    """The dicts TFMA's slicer searches, in its order: transformed features, then raw."""
    transformed = extract.get(tfma.constants.TRANSFORMED_FEATURES_KEY)
    dicts = []
    if transformed is not None:
        if len(eval_config.model_specs) == 1:
            dicts.append(transformed)
        else:
            dicts += [transformed[spec.name] for spec in eval_config.model_specs if spec.name in transformed]
    return dicts + [util.get_features_from_extracts(extract)]


def _row_codes(columns: list, rows: int) -> np.ndarray | None:
    """One integer per row, equal where every column agrees; None if a column isn't one value per row."""
    code = np.zeros(rows, dtype=np.int64)
    for column in columns:
        if not isinstance(column, np.ndarray) or column.ndim not in (1, 2) or column.shape[0] != rows \
                or column.size != rows:
            return None
        try:
            values, inverse = np.unique(column.reshape(rows), return_inverse=True)
        except TypeError:  # unorderable objects, such as None among strings
            return None
        # Renumbered after each column, so the codes stay below the row count and never overflow.
        _, code = np.unique(code * len(values) + inverse, return_inverse=True)
    return code


class BatchSlicer:
    def __init__(self, eval_config: tfma.EvalConfig):
        self._eval_config = eval_config
        self._specs = slice_specs(eval_config)
        self._columns = sorted(slice_columns(eval_config))  # the same grouping on every worker

    def rows_by_slice(self, extract: dict, rows: int) -> dict[tuple, np.ndarray]:
        found = _feature_dicts(extract, self._eval_config)
        dicts = [{name: d[name] for name in self._columns if name in d} for d in found]
        code = _row_codes([c for d in dicts for c in d.values()], rows)
        if code is None:
            groups, first = np.arange(rows), np.arange(rows)
        else:
            _, first, groups = np.unique(code, return_index=True, return_inverse=True)
            dicts = [{name: column[first] for name, column in d.items()} for d in dicts]
        keys_by_group = [self._slice_keys(row) for row in self._unbatch(dicts, len(first))]
        members: dict[tuple, list[int]] = {}
        for group, keys in enumerate(keys_by_group):
            for key in keys:
                members.setdefault(key, []).append(group)
        if code is None:
            return {key: np.asarray(found) for key, found in members.items()}
        return {key: np.flatnonzero(np.isin(groups, found)) for key, found in members.items()}

    @staticmethod
    def _unbatch(dicts: list[dict], rows: int) -> list[list[dict]]:
        """Each row's dicts, split as TFMA's UnbatchExtractor splits them."""
        if not any(dicts):
            return [[{} for _ in dicts] for _ in range(rows)]
        split = unbatch_extractor._extract_unbatched_inputs({str(i): d for i, d in enumerate(dicts) if d})
        return [[row.get(str(i), {}) for i in range(len(dicts))] for row in split]

    def _slice_keys(self, row_dicts: list[dict]) -> set:
        *transformed, raw = row_dicts
        return set(slicer_lib.get_slices_for_features_dicts(transformed, raw, self._specs))
