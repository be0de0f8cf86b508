"""What the KFP UI reads from the Evaluator's ClassificationMetrics, made from TFMA's own matrices."""

from kfp import dsl
from tensorflow_model_analysis.proto import metrics_for_slice_pb2

from kubeflow.ui import CLASSES, _curves


def _matrix(threshold, tp, fp, tn, fn):
    matrix = metrics_for_slice_pb2.ConfusionMatrixAtThresholds.ConfusionMatrixAtThreshold(
        threshold=threshold, true_positives=tp, false_positives=fp, true_negatives=tn, false_negatives=fn,
    )
    matrix.recall = tp / (tp + fn)
    matrix.false_positive_rate = fp / (fp + tn)
    return matrix


def test_roc_points_and_the_confusion_matrix_have_the_shapes_the_frontend_reads():
    matrices = [_matrix(0.0, 40, 60, 0, 0), _matrix(0.5, 30, 6, 54, 10), _matrix(1.0, 0, 0, 60, 40)]
    curves = dsl.ClassificationMetrics(name="curves", uri="/tmp/curves")
    _curves(curves, matrices)
    points = curves.metadata["confidenceMetrics"]
    assert [set(p) for p in points] == [{"confidenceThreshold", "falsePositiveRate", "recall"}] * 3
    assert points[1] == {"confidenceThreshold": 0.5, "falsePositiveRate": 0.1, "recall": 0.75}
    confusion = curves.metadata["confusionMatrix"]
    assert confusion["annotationSpecs"] == [{"displayName": name} for name in CLASSES]
    # Rows are the true class, columns the predicted one, at the 0.5 threshold.
    assert confusion["rows"] == [{"row": [54, 6]}, {"row": [10, 30]}]


def test_no_curve_is_drawn_without_matrices():
    curves = dsl.ClassificationMetrics(name="curves", uri="/tmp/curves")
    _curves(curves, [])
    assert curves.metadata == {}
