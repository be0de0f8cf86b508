"""The serving check's work: convert, compare, time, and hold each target to its budget."""

from __future__ import annotations

import dataclasses
import glob
import logging
import os
import time

import numpy as np

from components.serving_check import measure, targets

log = logging.getLogger("tollgate.serving_check")

PREDICT_BATCH = 256


@dataclasses.dataclass(frozen=True)
class Budget:
    targets: tuple[str, ...]
    max_p99_ms: float
    min_throughput: float
    max_abs_diff: float
    examples: int
    repeats: int
    latency_calls: int

    def problems(self, name: str, figures: dict) -> list[str]:
        """One line per budget this target misses, naming the figure and the budget."""
        if "error" in figures:
            return [figures["error"]]
        found = []
        if figures["max_abs_diff"] > self.max_abs_diff:
            found.append(f"{name}: predictions differ from the SavedModel's by up to {figures['max_abs_diff']:.3g}, "
                         f"over the budget of {self.max_abs_diff:g} ([serving] max_abs_diff)")
        if self.max_p99_ms and figures["p99_ms"] > self.max_p99_ms:
            found.append(f"{name}: p99 latency {figures['p99_ms']:.2f} ms is over the budget of "
                         f"{self.max_p99_ms:g} ms ([serving] max_p99_ms)")
        if figures["throughput"] < self.min_throughput:
            found.append(f"{name}: throughput {figures['throughput']:.0f} examples/s is under the budget of "
                         f"{self.min_throughput:g} ([serving] min_throughput)")
        return found


def eval_rows(examples_uri: str, split_names: list[str], count: int) -> list[bytes]:
    """The first `count` serialized examples of the eval split (else the last split)."""
    import tensorflow as tf

    split = "eval" if "eval" in split_names else split_names[-1]
    files = sorted(glob.glob(os.path.join(examples_uri, f"Split-{split}", "*")))
    compression = "GZIP" if files and files[0].endswith(".gz") else None
    dataset = tf.data.TFRecordDataset(files, compression_type=compression).take(count)
    return [r.numpy() for r in dataset]


def predict_all(loaded: targets.Loaded, rows: list[bytes]) -> np.ndarray:
    parts = [loaded.predict(loaded.prepare(rows[i:i + PREDICT_BATCH])) for i in range(0, len(rows), PREDICT_BATCH)]
    return np.concatenate(parts)


def _converted(name: str, saved_model: str, signature: str, out_dir: str):
    """(path, loaded target, export seconds, load seconds)."""
    start = time.perf_counter()
    path = targets.export(name, saved_model, signature, out_dir)
    exported = time.perf_counter() - start
    loaded = targets.load(name, path, signature)
    return path, loaded, exported, time.perf_counter() - start - exported


def _figures(converted, rows: list[bytes], reference: np.ndarray, budget: Budget) -> dict:
    path, loaded, exported, load_seconds = converted
    figures = {"file": os.path.basename(path) if os.path.isfile(path) else "",
               "export_seconds": exported, "load_seconds": load_seconds, "size_bytes": measure.size_bytes(path)}
    predicted = predict_all(loaded, rows)
    figures["max_abs_diff"] = float(np.max(np.abs(predicted - reference))) if len(rows) else 0.0
    figures.update(measure.latency_ms(loaded, rows, budget.latency_calls, budget.repeats))
    figures.update(measure.throughput(loaded, rows, budget.repeats))
    return figures


def _every_target(saved_model: str, signature: str, rows: list[bytes], out_dir: str, budget: Budget) -> dict:
    # The SavedModel is the reference and a target: loaded once, for both.
    base = _converted(targets.SAVED_MODEL, saved_model, signature, out_dir)
    reference = predict_all(base[1], rows)
    found: dict[str, dict] = {}
    for name in budget.targets:
        log.info("serving check: %s (%d examples, %d repeats)", name, len(rows), budget.repeats)
        try:
            converted = base if name == targets.SAVED_MODEL else _converted(name, saved_model, signature, out_dir)
        except targets.ConversionFailed as err:
            found[name] = {"error": str(err)}
            continue
        try:
            found[name] = _figures(converted, rows, reference, budget)
        except Exception as err:  # a runtime that loads but cannot answer fails its target, not the run
            found[name] = {"error": f"{name}: the converted model does not answer: {targets.first_line(err)}"}
    return found


def check(saved_model: str, signature: str, rows: list[bytes], out_dir: str, budget: Budget) -> dict:
    """Every target's figures, the host, the budgets, and what missed them."""
    with targets.native_output_to_log():
        found = _every_target(saved_model, signature, rows, out_dir, budget)
    problems = [p for name, figures in found.items() for p in budget.problems(name, figures)]
    return {
        "targets": found,
        "host": measure.host(),
        "budgets": {k: v for k, v in dataclasses.asdict(budget).items() if k != "targets"},
        "examples": len(rows),
        "problems": problems,
        "passed": not problems,
    }
