"""Release targets of the default model, against its raw serving signature, in one invocation.

Trains the default model with the pipeline (or reuses --home), then on the
same eval examples:

  baseline  the SavedModel's `serving_default` called in process, directly:
            tf.constant of the serialized examples in, one call per batch
  targets   the ServingCheck's own measurement of saved_model, tflite and
            onnx (components/serving_check), as a run takes it

Latency is at batch 1 (p50 and p99 over --calls calls, the median of
--repeats repeats, with the p99's spread); throughput is the best batch of
the sweep 1..512. The baseline is measured before and after the targets, and
the ratios are against its better showing of the two: below
1.0 is faster for latency, above 1.0 more for throughput.

    .venv/bin/python bench/bench_serving.py [--home DIR] [--repeats 5] [--calls 500]
"""

from __future__ import annotations

import argparse
import glob
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipeline.environment import prepare_process  # noqa: E402

prepare_process()


def default_model(home: Path) -> tuple[str, str]:
    """(model folder, examples folder) of a default run in `home`, training one if needed."""
    from pipeline.config_file import load_config
    from pipeline.local.runner import run_pipeline

    config = load_config(None, home=str(home))
    pattern = str(config.pipeline_root / "Trainer" / "model" / "*" / "Format-Serving")
    if not glob.glob(pattern):
        run_pipeline(config)
    examples = sorted(glob.glob(str(config.pipeline_root / "CsvExampleGen" / "examples" / "*")))[-1]
    return sorted(glob.glob(pattern))[-1], examples


class RawSignature:
    """The baseline: the signature itself, with nothing around it."""

    def __init__(self, model: str):
        import tensorflow as tf

        self.tf, self.fn = tf, tf.saved_model.load(model).signatures["serving_default"]

    def prepare(self, rows):
        return self.tf.constant(rows)

    def predict(self, batch):
        return self.fn(examples=batch)["outputs"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, help="a Tollgate home with a trained model (else a temporary one)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--examples", type=int, default=500)
    args = parser.parse_args()
    from components.serving_check import measure
    from components.serving_check.executor import Budget, check, eval_rows

    home = args.home or Path(tempfile.mkdtemp(prefix="bench-serving-"))
    model, examples = default_model(home)
    rows = eval_rows(examples, ["train", "eval"], args.examples)
    raw = RawSignature(model)

    def baseline() -> dict:
        return {**measure.latency_ms(raw, rows, args.calls, args.repeats), **measure.throughput(raw, rows, args.repeats)}

    before = baseline()
    budget = Budget(("saved_model", "tflite", "onnx"), 0.0, 0.0, 1e-4, args.examples, args.repeats, args.calls)
    found = check(model, "serving_default", rows, tempfile.mkdtemp(prefix="targets-"), budget)
    after = baseline()
    # Measured before and after the targets, so warm-up and drift show; the
    # ratios are against the better of the two, the baseline's best showing.
    base = {**min(before, after, key=lambda b: b["p99_ms"]),
            "throughput": max(before["throughput"], after["throughput"])}
    host = found["host"]
    print(f"model {model}\nhost  {host['cpu']}, {host['cores']} cores, accelerator {host['accelerator']}")
    print(f"{len(rows)} eval examples; {args.calls} calls x {args.repeats} repeats\n")
    print(f"{'target':<25}{'p50 ms':>8}{'p99 ms':>8}{'p99 spread':>14}{'peak ex/s':>11}{'batch':>6}"
          f"{'size KB':>9}{'load s':>7}{'max diff':>10}{'p99 x':>7}{'peak x':>7}")
    print(_row("serving_default, before", before, base))
    print(_row("serving_default, after", after, base))
    for name, figures in found["targets"].items():
        print(_row(name, figures, base) if "error" not in figures else f"{name:<25}{figures['error']}")
    ok = {n: f for n, f in found["targets"].items() if "error" not in f and f["max_abs_diff"] <= 1e-4}
    if ok:
        print(f"\nlowest p99 at batch 1: {min(ok, key=lambda n: ok[n]['p99_ms'])}; "
              f"highest peak throughput: {max(ok, key=lambda n: ok[n]['throughput'])} (among targets within parity)")
    for problem in found["problems"]:
        print(f"not releasable: {problem}")
    return 0


def _row(name: str, figures: dict, base: dict) -> str:
    low, high = figures["p99_spread_ms"]
    size = f"{figures['size_bytes'] / 1024:>9,.0f}" if "size_bytes" in figures else f"{'-':>9}"
    load = f"{figures['load_seconds']:>7.2f}" if "load_seconds" in figures else f"{'-':>7}"
    diff = f"{figures['max_abs_diff']:>10.2g}" if "max_abs_diff" in figures else f"{'-':>10}"
    return (f"{name:<25}{figures['p50_ms']:>8.3f}{figures['p99_ms']:>8.3f}{f'{low:.3f}-{high:.3f}':>14}"
            f"{figures['throughput']:>11,.0f}{figures['best_batch']:>6}{size}{load}{diff}"
            f"{figures['p99_ms'] / base['p99_ms']:>7.2f}{figures['throughput'] / base['throughput']:>7.2f}")


if __name__ == "__main__":
    sys.exit(main())
