"""Tollgate against the stock TFX taxi example, in one invocation.

Both pipelines run on the same CSV with the same number of training steps,
each in its own process, each first on an empty state directory and then
again unchanged. The stock example runs in its fastest honest local setup:
LocalDagRunner with in-memory Beam on one worker (its own default is
multi-processing Beam, which is slower on two cores).

Prints wall times and ratios, per-component times read from MLMD, peak
memory, and accuracy and AUC of both trained models on the same eval split.

    .venv/bin/python bench/bench_pipeline.py [--steps 1000] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(REPO))
STOCK_EVAL_STEPS = 150  # what the stock example hard-codes


def _stock_pipeline(root: Path, data_root: str, steps: int):
    from google.protobuf import json_format
    from tfx import v1 as tfx
    from tfx.examples.chicago_taxi_pipeline import taxi_pipeline_native_keras as stock

    pipeline = stock._create_pipeline(
        pipeline_name="stock_taxi",
        pipeline_root=str(root / "pipeline"),
        data_root=data_root,
        module_file=str(Path(stock.__file__).with_name("taxi_utils_native_keras.py")),
        serving_model_dir=str(root / "serving"),
        metadata_path=str(root / "metadata.sqlite"),
        beam_pipeline_args=["--direct_running_mode=in_memory", "--direct_num_workers=1"],
    )
    # The stock example hard-codes 1,000 steps; honour --steps for both.
    for component in pipeline.components:
        if component.id == "Trainer":
            train_args = tfx.proto.TrainArgs(num_steps=steps)
            component.exec_properties["train_args"] = json_format.MessageToJson(train_args)
    return pipeline


def _tollgate_pipeline(root: Path, data_root: str, steps: int):
    from pipeline.config_file import load_config
    from pipeline.definition.pipeline import create_pipeline
    from pipeline.lineage.store import store_for

    config = load_config(None, home=str(root), data_root=data_root, trainer__train_steps=steps)
    store_for(config)  # as the local runner does: the store exists before TFX connects to it
    return create_pipeline(config)


def child(which: str, root: Path, data_root: str, steps: int) -> None:
    """Runs one pipeline in this process and prints its figures as JSON."""
    started = time.perf_counter()
    if which == "tollgate":
        from pipeline.environment import prepare_process

        prepare_process()  # as `tollgate run` does; the stock example runs as it ships
    from tfx import v1 as tfx

    from components.signoff.executor import SignOffPending

    build = _stock_pipeline if which == "stock" else _tollgate_pipeline
    pipeline = build(root, data_root, steps)
    t0 = time.perf_counter()
    try:
        tfx.orchestration.LocalDagRunner().run(pipeline)
    except SignOffPending:
        # Tollgate's run ends at the human gate (nobody approves in a bench);
        # only Pusher and Publish, a fraction of a second, are left out.
        pass
    pipeline_seconds = time.perf_counter() - t0
    print(json.dumps({
        "pipeline_s": pipeline_seconds,
        "process_s": time.perf_counter() - started,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


def _peak_tree_mb(process: subprocess.Popen, peak: list) -> None:
    """Samples the summed RSS of a process and its descendants (Beam's
    multi-processing workers among them) until it exits; the peak in peak[0]."""
    import psutil

    root = psutil.Process(process.pid)
    while process.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            total = sum(p.memory_info().rss for p in tree if p.is_running())
        except psutil.Error:
            continue
        peak[0] = max(peak[0], total / 2**20)
        time.sleep(0.2)


def run_child(which: str, root: Path, data_root: str, steps: int, script: str = __file__) -> dict:
    """Runs `script --child which` in its own process; its figures, with the
    wall time and the peak memory of its whole process tree."""
    import threading

    cmd = [sys.executable, script, "--child", which, "--root", str(root),
           "--data", str(data_root), "--steps", str(steps)]
    started = time.perf_counter()
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    peak = [0.0]
    sampler = threading.Thread(target=_peak_tree_mb, args=(process, peak), daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    sampler.join()
    if process.returncode != 0:
        sys.exit(f"{which} run failed:\n{stderr[-3000:]}")
    figures = json.loads(stdout.strip().splitlines()[-1])
    figures["wall_s"] = time.perf_counter() - started
    figures["peak_tree_mb"] = peak[0]
    return figures


def component_times(metadata_path: Path, run_index: int) -> dict[str, tuple[float, str]]:
    """Seconds and state per component for the run_index-th run, from MLMD."""
    from components.store import open_store
    from pipeline.lineage.runs import list_runs

    store = open_store({"backend": "sqlite", "path": str(metadata_path)})
    [name] = [c.name for c in store.get_contexts_by_type("pipeline")]
    run = list_runs(store, name)[run_index]
    return {s.node: (s.seconds, s.state) for s in run.steps}


def model_quality(metadata_path: Path) -> dict:
    """Accuracy and AUC of the run's trained model on the shared eval split."""
    import numpy as np
    import tensorflow as tf
    from sklearn.metrics import roc_auc_score

    from components.store import open_store

    store = open_store({"backend": "sqlite", "path": str(metadata_path)})
    [model] = store.get_artifacts_by_type("Model")
    # The stock example also has Transform's transformed Examples.
    [examples] = [
        a for a in store.get_artifacts_by_type("Examples") if "/CsvExampleGen/" in a.uri
    ]
    files = tf.io.gfile.glob(f"{examples.uri}/Split-eval/*")
    records = list(tf.data.TFRecordDataset(files, compression_type="GZIP").as_numpy_iterator())
    labels = []
    for record in records:
        feature = tf.train.Example.FromString(record).features.feature
        fare = (feature["fare"].float_list.value or [0.0])[0]
        tips = (feature["tips"].float_list.value or [0.0])[0]
        labels.append(float(tips > 0.2 * fare))
    serve = tf.saved_model.load(f"{model.uri}/Format-Serving").signatures["serving_default"]
    scores = np.concatenate([
        serve(examples=tf.constant(records[i:i + 1024]))["outputs"].numpy().reshape(-1)
        for i in range(0, len(records), 1024)
    ])
    labels = np.array(labels)
    return {
        "examples": len(labels),
        "accuracy": float(((scores > 0.5) == labels).mean()),
        "auc": float(roc_auc_score(labels, scores)),
    }


def report(results: dict, steps: int) -> None:
    s, t = results["stock"], results["tollgate"]
    print(f"\nTollgate vs stock TFX taxi example, {steps} training steps, same CSV\n")
    print(f"{'':24} {'stock':>10} {'tollgate':>10} {'ratio':>7}")
    for label, key in (("first run, pipeline s", "first"), ("re-run, pipeline s", "rerun")):
        a, b = s[key]["pipeline_s"], t[key]["pipeline_s"]
        print(f"{label:24} {a:10.1f} {b:10.1f} {b / a:7.2f}")
    a, b = s["first"]["wall_s"], t["first"]["wall_s"]
    print(f"{'first run, process s':24} {a:10.1f} {b:10.1f} {b / a:7.2f}")
    ratio = t["rerun"]["pipeline_s"] / s["first"]["pipeline_s"]
    print(f"{'re-run vs stock first':24} {'':10} {'':10} {ratio:7.2f}")
    a, b = s["first"]["peak_rss_mb"], t["first"]["peak_rss_mb"]
    print(f"{'peak memory, MB':24} {a:10.0f} {b:10.0f} {b / a:7.2f}")
    for metric in ("accuracy", "auc"):
        a, b = s["quality"][metric], t["quality"][metric]
        print(f"{'eval ' + metric:24} {a:10.4f} {b:10.4f} {b - a:+7.4f} (diff)")
    print(f"\nPer component, first run (seconds, from MLMD):")
    names = list(dict.fromkeys([*s["components"], *t["components"]]))
    for name in names:
        a = s["components"].get(name, (None, ""))[0]
        b = t["components"].get(name, (None, ""))[0]
        fa = "-" if a is None else f"{a:.1f}"
        fb = "-" if b is None else f"{b:.1f}"
        print(f"  {name:28} {fa:>8} {fb:>8}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--out", help="keep state here (default: a temporary folder)")
    parser.add_argument("--child", choices=("stock", "tollgate"), help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, Path(args.root), args.data, args.steps)
        return

    from pipeline.config import default_data_root

    data_root = default_data_root()
    out = Path(args.out or tempfile.mkdtemp(prefix="tollgate-bench-"))
    results = {}
    for which in ("stock", "tollgate"):
        root = out / which
        print(f"running {which} (first run, then unchanged re-run) ...", file=sys.stderr)
        first = run_child(which, root, data_root, args.steps)
        rerun = run_child(which, root, data_root, args.steps)
        results[which] = {
            "first": first,
            "rerun": rerun,
            "components": component_times(root / "metadata.sqlite", 0),
            "quality": model_quality(root / "metadata.sqlite"),
        }
    report(results, args.steps)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    print(f"\nraw figures: {out / 'results.json'}")


if __name__ == "__main__":
    main()
