"""The serving figures as rows, lines and Markdown, for a target that failed."""

from pipeline.lineage import serving

REASON = ("tflite: the converted model does not answer: hashtable need to be initialized before using"
          "Node number 2 (HASHTABLE_FIND) failed to invoke.")
FIGURES = {
    "passed": False, "problems": [REASON], "examples": 50,
    "host": {"cpu": "AMD EPYC", "cores": 2, "accelerator": "none"},
    "budgets": {"max_p99_ms": 50.0, "min_throughput": 100.0, "max_abs_diff": 1e-4, "repeats": 1},
    "targets": {
        "saved_model": {"p50_ms": 0.3, "p95_ms": 0.35, "p99_ms": 0.4, "p99_spread_ms": [0.4, 0.4],
                        "throughput": 1000.0, "best_batch": 512, "max_abs_diff": 0.0, "size_bytes": 2048,
                        "load_seconds": 0.2},
        "tflite": {"error": REASON},
    },
}


def test_a_failed_target_keeps_its_row_short_and_its_reason_beneath():
    [_, failed] = serving.rows(FIGURES)
    assert failed[:2] == ["tflite", "failed"] and len(failed) == len(serving.HEADER)
    assert max(len(cell) for cell in failed) < 10
    markdown = serving.markdown(FIGURES)
    assert f"- {REASON}" in markdown
    assert "| tflite | failed |" in markdown
    assert serving.lines(FIGURES)[1] == "tflite: " + REASON.split(": ", 1)[1]
