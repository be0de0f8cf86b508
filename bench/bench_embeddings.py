"""Embedding export and index load, against raw batch inference, in one invocation.

Trains one model with the pipeline (or reuses --home), then on the same
examples (every split of the run's CsvExampleGen output):

  raw     tf.data over the TFRecords in batches of 4096 -> the `embed`
          signature (one tf.function call per batch); the baseline
  export  the EmbeddingExporter's Beam pipeline (RunInference, adaptive
          batches, Parquet out) on in-memory Beam, as the pipeline runs it
  load    the exported vectors into a fresh Milvus Lite collection behind
          an alias, as the VectorIndexPusher does

Both inference paths include loading the SavedModel; each figure is the
best of --repeats. Everything runs at two sizes, N and 2N copies of the
run's examples: the wall-clock ratio at each size, and the steady-state
throughput (added examples over added time), where fixed start-up costs
cancel out.

    .venv/bin/python bench/bench_embeddings.py [--home DIR] [--repeats 3] [--copies 4]

Targets (issue 5): export at least 0.8x the throughput of raw batch
inference; Milvus Lite load at least 20,000 vectors/s.
"""

from __future__ import annotations

import argparse
import glob
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipeline.environment import prepare_process  # noqa: E402

prepare_process()


def trained_run(home: Path):
    """(examples folder, model folder) of a run in `home`, training one if needed."""
    from pipeline.config import load_config
    from pipeline.local.runner import run_pipeline

    config = load_config(None, home=str(home), trainer__train_steps=200)
    models = sorted(glob.glob(str(config.pipeline_root / "Trainer" / "model" / "*" / "Format-Serving")))
    if not models:
        run_pipeline(config)
        models = sorted(glob.glob(str(config.pipeline_root / "Trainer" / "model" / "*" / "Format-Serving")))
    examples = sorted(glob.glob(str(config.pipeline_root / "CsvExampleGen" / "examples" / "*")))[-1]
    return Path(examples), models[-1]


def replicate(examples: Path, copies: int, folder: Path) -> Path:
    """The examples with each split's files repeated `copies` times."""
    for split_dir in examples.glob("Split-*"):
        target = folder / split_dir.name
        target.mkdir(parents=True)
        for source in split_dir.iterdir():
            for i in range(copies):
                shutil.copy(source, target / f"{i}-{source.name}")
    return folder


def raw_inference(examples: Path, model_dir: str) -> tuple[float, int]:
    import tensorflow as tf

    start = time.perf_counter()
    embed = tf.saved_model.load(model_dir).signatures["embed"]
    files = sorted(glob.glob(str(examples / "Split-*" / "*")))
    count = 0
    for batch in tf.data.TFRecordDataset(files, compression_type="GZIP").batch(4096):
        count += int(embed(examples=batch)["embedding"].shape[0])
    return time.perf_counter() - start, count


def beam_export(examples: Path, model_dir: str, output: Path) -> tuple[float, int]:
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions

    from components.embedding_exporter.encoders import EmbedHandler
    from components.embedding_exporter.executor import export, summary
    from pipeline.config import load_config

    splits = [p.name[len("Split-"):] for p in sorted(examples.glob("Split-*"))]
    options = PipelineOptions(load_config(None).beam_args)
    start = time.perf_counter()
    with beam.Pipeline(options=options) as pipeline:
        export(pipeline, str(examples), splits, EmbedHandler(model_dir), str(output), ["fare", "company"])
    elapsed = time.perf_counter() - start
    return elapsed, summary(str(output))[0]


def milvus_load(output: Path, folder: Path) -> tuple[float, int]:
    from components.embedding_exporter.executor import read_embeddings
    from components.vector_index_pusher import index

    rows = index.rows_of(read_embeddings(str(output)), ["fare", "company"])
    uri = str(folder / "bench.db")
    dimension = len(rows[0]["vector"])
    with index.opened(uri) as client:
        start = time.perf_counter()
        index.load(client, uri, "bench_m1", "bench_serving", rows, dimension)
        return time.perf_counter() - start, index.count(client, "bench_m1")


def stage_costs(examples: Path, model_dir: str, scratch: Path) -> dict:
    """Each piece of the export's work, alone and without Beam, best of two:
    the floor under the export's time, whatever runs the pieces."""
    import pyarrow.parquet as pq
    import tensorflow as tf
    from apache_beam.ml.inference.base import PredictionResult

    from components.embedding_exporter import executor

    embed = tf.saved_model.load(model_dir).signatures["embed"]
    files = sorted(glob.glob(str(examples / "Split-*" / "*")))
    kinds = executor.column_kinds(files, ["fare", "company"])
    parse = executor._parser(tuple(kinds.items()))
    best: dict[str, float] = {}

    def timed(name, work):
        start = time.perf_counter()
        result = work()
        best[name] = min(best.get(name, float("inf")), time.perf_counter() - start)
        return result

    for _ in range(2):
        chunks = timed("read", lambda: list(executor.read_chunks(files)))
        vectors = timed("model", lambda: [embed(examples=c)["embedding"].numpy() for c in chunks])
        timed("keys+columns", lambda: [{k: v.numpy() for k, v in parse(c).items()} for c in chunks])
        tables = timed("arrow (with keys+columns)", lambda: [
            executor.to_table("train", PredictionResult(c, v), kinds) for c, v in zip(chunks, vectors)])

        def write():
            with pq.ParquetWriter(str(scratch / "stages.parquet"), executor.parquet_schema(kinds)) as out:
                for table in tables:
                    out.write_table(table)

        timed("parquet", write)
    return best


def measure(examples: Path, model_dir: str, scratch: Path, repeats: int) -> dict:
    raw, export, load = [], [], []
    for attempt in range(repeats):
        out = scratch / f"out{attempt}"
        raw.append(raw_inference(examples, model_dir))
        export.append(beam_export(examples, model_dir, out))
        load.append(milvus_load(out, scratch / f"milvus{attempt}"))
        shutil.rmtree(out)
    (raw_s, n), (export_s, exported), (load_s, loaded) = (min(x) for x in (raw, export, load))
    assert n == exported == loaded, (n, exported, loaded)
    return {"n": n, "raw": raw_s, "export": export_s, "load": load_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", help="a Tollgate home with a run in it (default: train one in a temp dir)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--copies", type=int, default=4)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="tollgate-embed-bench-"))
    examples, model_dir = trained_run(Path(args.home) if args.home else scratch / "home")
    sizes = {}
    for copies in (args.copies, 2 * args.copies):
        folder = replicate(examples, copies, scratch / f"examples{copies}")
        sizes[copies] = measure(folder, model_dir, scratch / f"run{copies}", args.repeats)
    print(f"\nbest of {args.repeats}; the run's examples repeated N times\n")
    print(f"{'N':>3} {'examples':>9} {'raw s':>7} {'export s':>9} {'export/raw':>11} {'load s':>7} {'load/s':>9}")
    for copies, m in sizes.items():
        print(f"{copies:>3} {m['n']:>9,} {m['raw']:7.2f} {m['export']:9.2f} "
              f"{m['raw'] / m['export']:10.2f}x {m['load']:7.2f} {m['n'] / m['load']:9,.0f}")
    small, large = sizes[args.copies], sizes[2 * args.copies]
    extra = large["n"] - small["n"]
    raw_rate = extra / (large["raw"] - small["raw"])
    export_rate = extra / (large["export"] - small["export"])
    print(f"\nsteady-state throughput (the added examples over the added time, so each side's")
    print(f"fixed start-up, model load and pipeline set-up, cancels out):")
    print(f"  raw {raw_rate:,.0f}/s, export {export_rate:,.0f}/s: {export_rate / raw_rate:.2f}x (target >= 0.8)")
    print(f"Milvus Lite load: {small['n'] / small['load']:,.0f} vectors/s at {small['n']:,} (target >= 20,000)")
    stages = stage_costs(scratch / f"examples{2 * args.copies}", model_dir, scratch)
    print(f"\nthe export's pieces alone, no Beam, at {large['n']:,} examples (raw inference: {large['raw']:.2f}s):")
    for name, seconds in stages.items():
        print(f"  {name:<27} {seconds:6.2f}s")


if __name__ == "__main__":
    main()
