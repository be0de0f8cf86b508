"""Whole-batch versions of the two TFMA combiners a binary gate runs on.

TFMA's `_CalibrationHistogramCombiner` (behind the AUC, the ROC curve, the
example count and the mean label) and `_BinaryConfusionMatrixCombiner`
(behind BinaryAccuracy) take one example at a time, in Python. For plain
binary inputs (one prediction and a 0/1 label per example, no weights) the
same sums are a bincount over the batch. Each class here gives a batch's
sums, adds them up, and turns the total into the combiner's own
accumulator, so TFMA's `extract_output`, derived metrics, diffs and
thresholds read it as they would their own.

The attributes read here are TFMA 0.47's (pinned in requirements/lock.txt);
tests/components/test_batch_evaluator.py holds the results equal to TFMA's.
"""

from __future__ import annotations

import numpy as np
from tensorflow_model_analysis.contrib.aggregates import binary_confusion_matrices as bcm
from tensorflow_model_analysis.metrics import binary_confusion_matrices, calibration_histogram, metric_util


def _plain(combiner) -> bool:
    """Unweighted, whole-output, no class weights: the case a bincount reproduces."""
    key = combiner._key
    return (not key.example_weighted and key.sub_key is None and not key.output_name
            and combiner._aggregation_type is None and not combiner._class_weights)


class HistogramSums:
    """The calibration histogram: per bucket, the label, prediction and example sums.

    Sums stay sparse, (bucket ids, sums of the buckets used), as TFMA's dict
    does: a slice of a few rows costs a few buckets, not ten thousand.
    """

    def __init__(self, combiner):
        self.combiner = combiner
        self._buckets = combiner._num_buckets
        self._left, self._range = combiner._left, combiner._range

    @staticmethod
    def accepts(combiner) -> bool:
        return (type(combiner) is calibration_histogram._CalibrationHistogramCombiner and _plain(combiner)
                and combiner._prediction_based_bucketing and combiner._fractional_labels)

    def part(self, labels: np.ndarray, predictions: np.ndarray):
        # TFMA's _bucket_index, on the whole batch: the same float64 steps, then truncation.
        index = (predictions - self._left) / self._range * self._buckets + 1
        index = np.clip(index, 0, self._buckets + 1).astype(np.int64)
        return _by_id(index, np.stack([labels, predictions, np.ones_like(labels)]))

    def add(self, total, part):
        return _by_id(np.concatenate([total[0], part[0]]), np.concatenate([total[1], part[1]], axis=1))

    def to_tfma(self, total) -> dict:
        # TFMA holds a bucket once an example lands in it: every example weighs 1 here.
        return {int(i): calibration_histogram.Bucket(int(i), *map(float, sums))
                for i, sums in zip(total[0], total[1].T)}


def _by_id(ids: np.ndarray, values: np.ndarray):
    """(distinct ids, each row of `values` summed per id), summing in the given order."""
    distinct, position = np.unique(ids, return_inverse=True)
    return distinct, np.stack([np.bincount(position, weights=row, minlength=len(distinct)) for row in values])


class MatrixCounts:
    """Confusion matrices at a list of thresholds: tp, tn, fp, fn per threshold."""

    def __init__(self, combiner):
        self.combiner = combiner
        self._thresholds = np.asarray(combiner._binary_confusion_matrices._thresholds, dtype=np.float64)

    @staticmethod
    def accepts(combiner) -> bool:
        if type(combiner) is not binary_confusion_matrices._BinaryConfusionMatrixCombiner:
            return False
        thresholds = combiner._binary_confusion_matrices._thresholds
        # TFMA counts a repeated threshold once per entry; a dict by threshold holds it once.
        return (_plain(combiner) and combiner._example_id_key is None and combiner._enable_fractional_labels
                and combiner._extract_label_prediction_and_weight is metric_util.to_label_prediction_example_weight
                and len(set(thresholds)) == len(thresholds))

    def part(self, labels: np.ndarray, predictions: np.ndarray) -> np.ndarray:
        positive = labels == 1.0
        above = predictions[None, :] > self._thresholds[:, None]
        return np.stack([(above & positive).sum(1), (~above & ~positive).sum(1),
                         (above & ~positive).sum(1), (~above & positive).sum(1)], axis=1).astype(np.float64)

    def add(self, total: np.ndarray, part: np.ndarray) -> np.ndarray:
        return total + part

    def to_tfma(self, total: np.ndarray) -> dict:
        return {float(t): bcm._ThresholdEntry(bcm.Matrix(*map(float, row)), [], [], [], [])
                for t, row in zip(self._thresholds, total)}


KINDS = (HistogramSums, MatrixCounts)


def batch_form(combiner):
    """The whole-batch form of a TFMA combiner, or None where it has none."""
    return next((kind(combiner) for kind in KINDS if kind.accepts(combiner)), None)
