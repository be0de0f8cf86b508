"""Where the default drift thresholds come from: the distances TFDV measures
between consecutive spans of the taxi sample, and for a span with one
payment type injected. Prints the largest per feature, against the config's
thresholds, and how many spans the curated schema (trainer/schemas/taxi.pbtxt)
finds anomalies in.

    .venv/bin/python bench/drift_thresholds.py [--count N]   # default: monthly spans
"""

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.environment import prepare_process  # noqa: E402

prepare_process()

import pandas as pd  # noqa: E402
import tensorflow_data_validation as tfdv  # noqa: E402

from components.drift_check import drift  # noqa: E402
from pipeline.config import TollgateConfig, default_data_root  # noqa: E402
from pipeline.data.spans import split_spans, spans_in  # noqa: E402

FEATURES = ("payment_type", "company", "trip_start_hour", "fare", "trip_miles")
CURATED = Path(__file__).resolve().parents[1] / "trainer" / "schemas" / "taxi.pbtxt"


def _stats(path: Path):
    return {"train": tfdv.generate_statistics_from_csv(str(path))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, help="equal spans instead of months")
    args = parser.parse_args()
    limits = TollgateConfig().validation
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        split_spans(Path(default_data_root()) / "data.csv", root / "spans", "trip_start_timestamp", args.count)
        folders = spans_in(root / "spans")
        stats = [_stats(folders[n] / "data.csv") for n in folders]
        schema = tfdv.infer_schema(stats[0]["train"])
        curated = tfdv.load_schema_text(str(CURATED))
        flagged = [n for n, s in zip(folders, stats) if tfdv.validate_statistics(s["train"], curated).anomaly_info]
        worst: dict[str, float] = {}
        for previous, current in zip(stats, stats[1:]):
            results = drift.compare(current, previous, schema, FEATURES, limits.max_linf, limits.max_jsd)
            for m in drift.measurements(results):
                worst[m["feature"]] = max(worst.get(m["feature"], 0.0), m["value"])
        injected = pd.read_csv(folders[max(folders)] / "data.csv").assign(payment_type="Credit Card")
        injected.to_csv(root / "injected.csv", index=False)
        results = drift.compare(_stats(root / "injected.csv"), stats[-1], schema, FEATURES,
                                limits.max_linf, limits.max_jsd)
    print(f"{len(stats)} spans; largest distance between consecutive spans:")
    for feature in FEATURES:
        kind = "max_jsd" if feature in ("trip_start_hour", "fare", "trip_miles") else "max_linf"
        used = "(checked)" if feature in limits.drift_features else "(not checked by default)"
        print(f"  {feature:<16} {worst.get(feature, 0.0):.3f}  {kind} {getattr(limits, kind)} {used}")
    injected_value = next(m["value"] for m in drift.measurements(results) if m["feature"] == "payment_type")
    print(f"one payment type injected into the last span: payment_type {injected_value:.3f}")
    print(f"spans with anomalies against {CURATED.name}: {len(flagged)} of {len(stats)} {flagged or ''}")


if __name__ == "__main__":
    main()
