"""Candidate against baseline: the ranking, the flags and the gate, on made-up slices."""

import re

from components.metrics import METRICS, SliceMetrics, overall_and_worst
from pipeline.lineage.records import Threshold
from pipeline.reports.comparison import comparison_section

LIMITS = [Threshold("AUC", [], lower_bound=0.7, change_absolute=-0.01, change_direction="HIGHER_IS_BETTER")]


def metrics(auc, examples=500, mean_label=0.3, accuracy=0.8):
    return {"auc": auc, "example_count": float(examples), "mean_label": mean_label, "binary_accuracy": accuracy}


CANDIDATE = [
    SliceMetrics("overall", metrics(0.90, 5000)),
    SliceMetrics("payment_type=Cash", metrics(0.0, 1900, mean_label=0.0)),  # every label one class
    SliceMetrics("payment_type=Credit Card", metrics(0.61, 1700)),
    SliceMetrics("trip_start_hour=3", metrics(0.99, 12)),  # too small to judge
    SliceMetrics("trip_start_hour=9", metrics(0.93, 400)),
]
BASELINE = [
    SliceMetrics("overall", metrics(0.88, 5000)),
    SliceMetrics("payment_type=Cash", metrics(0.0, 1900, mean_label=0.0)),
    SliceMetrics("payment_type=Credit Card", metrics(0.66, 1700)),
    SliceMetrics("trip_start_hour=9", metrics(0.92, 400)),
]


def slice_rows(page: str) -> list[str]:
    return re.findall(r"<tr(?: class=\"\w+\")?><td>([^<]+)</td>", page)


def test_worst_change_first_and_slices_that_cannot_be_judged_last():
    page = comparison_section(CANDIDATE, BASELINE, LIMITS, 8, METRICS["auc"])
    assert slice_rows(page) == ["overall", "payment_type=Credit Card", "trip_start_hour=9",
                                "payment_type=Cash", "trip_start_hour=3"]
    assert "one class only: AUC undefined" in page and "small: under 50 examples" in page
    assert '<tr class="worse"><td>payment_type=Credit Card</td>' in page  # worse than the baseline
    assert "Against <b>model 8</b>" in page and "+0.0200 AUC overall" in page
    assert page.count(">met<") == 2  # 0.90 >= 0.7, and +0.02 >= -0.01
    assert "<svg" in page


def test_a_first_model_says_there_is_no_baseline():
    page = comparison_section(CANDIDATE, [], LIMITS, None, METRICS["auc"])
    assert "No baseline:" in page and ">met<" in page and "change against" not in page


def test_a_one_class_slice_is_never_the_worst():
    _, worst = overall_and_worst(CANDIDATE, METRICS["auc"])
    assert worst.slice == "payment_type=Credit Card"  # not Cash, whose AUC of 0 means nothing


def errors(rmse, examples=500):
    return {"root_mean_squared_error": rmse, "example_count": float(examples)}


def test_an_error_metric_ranks_the_highest_value_worst_and_a_rise_as_worse():
    rmse = METRICS["rmse"]
    now = [SliceMetrics("overall", errors(2.0)), SliceMetrics("region=north", errors(3.5)),
           SliceMetrics("region=south", errors(1.5)), SliceMetrics("region=east", errors(9.0, examples=10))]
    then = [SliceMetrics("overall", errors(2.2)), SliceMetrics("region=north", errors(3.0)),
            SliceMetrics("region=south", errors(1.6))]
    limits = [Threshold("RootMeanSquaredError", [], upper_bound=2.5, change_absolute=0.1,
                        change_direction="LOWER_IS_BETTER")]
    _, worst = overall_and_worst(now, rmse)
    assert worst.slice == "region=north"  # the largest error; east is too small to judge
    page = comparison_section(now, then, limits, 8, rmse)
    assert slice_rows(page) == ["overall", "region=north", "region=south", "region=east"]
    assert '<tr class="worse"><td>region=north</td>' in page and '<tr class="worse"><td>region=south' not in page
    assert "-0.2000 RMSE overall" in page and "baseline RMSE" in page and "AUC" not in page
    assert "RootMeanSquaredError 2.0000 against at most 2.5" in page and page.count(">met<") == 2
