"""Embedding export and index load, against the same export without Beam, in one invocation.

Trains one model with the pipeline (or reuses --home), then on the same
examples (every split of the run's CsvExampleGen output):

  direct  the export's output (keys, split, vectors, source columns, one
          Parquet file) in one process with no Beam: a thread reads and
          decompresses the next chunks while the model runs on the last;
          the baseline
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

Targets: export at least 0.8x the throughput of the direct export (issue
14; it replaced issue 5's comparison with raw inference, which did less
work); Milvus Lite load at least 20,000 vectors/s.
"""

from __future__ import annotations

import argparse
import glob
import queue
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipeline.environment import prepare_process  # noqa: E402

prepare_process()
COLUMNS = ["fare", "company"]  # source columns stored beside each vector


def trained_run(home: Path):
    """(examples folder, model folder) of a run in `home`, training one if needed."""
    from pipeline.config_file import load_config
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


def _read_ahead(files: list[str]) -> queue.Queue:
    """Chunks of the files, read and decompressed by a thread of their own."""
    from components.embedding_exporter.executor import read_chunks

    chunks: queue.Queue = queue.Queue(maxsize=8)

    def read():
        for chunk in read_chunks(files):
            chunks.put(chunk)
        chunks.put(None)

    threading.Thread(target=read, daemon=True).start()
    return chunks


def direct_export(examples: Path, model_dir: str, output: Path) -> tuple[float, int]:
    import numpy as np
    import pyarrow.parquet as pq
    from apache_beam.ml.inference.base import PredictionResult

    from components.embedding_exporter import executor
    from components.embedding_exporter.encoders import saved_model_encoder

    start = time.perf_counter()
    encode = saved_model_encoder(model_dir, "embed")
    splits = [(p.name[len("Split-"):], sorted(glob.glob(str(p / "*")))) for p in sorted(examples.glob("Split-*"))]
    kinds = executor.column_kinds(splits[0][1], COLUMNS)
    output.mkdir(parents=True)
    count = 0
    with pq.ParquetWriter(str(output / "embeddings.parquet"), executor.parquet_schema(kinds)) as out:
        for split, files in splits:
            chunks = _read_ahead(files)
            while (chunk := chunks.get()) is not None:
                vectors = np.asarray(encode(chunk), dtype=np.float32)
                out.write_table(executor.to_table(split, PredictionResult(chunk, vectors), kinds))
                count += len(vectors)
    return time.perf_counter() - start, count


def beam_export(examples: Path, model_dir: str, output: Path) -> tuple[float, int]:
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions

    from components.embedding_exporter.encoders import EmbedHandler
    from components.embedding_exporter.executor import export, summary
    from pipeline.config_file import load_config

    splits = [p.name[len("Split-"):] for p in sorted(examples.glob("Split-*"))]
    options = PipelineOptions(load_config(None).beam_args)
    start = time.perf_counter()
    with beam.Pipeline(options=options) as pipeline:
        export(pipeline, str(examples), splits, EmbedHandler(model_dir), str(output), COLUMNS)
    elapsed = time.perf_counter() - start
    return elapsed, summary(str(output))[0]


def milvus_load(output: Path, folder: Path) -> tuple[float, int]:
    from components.embedding_exporter.executor import read_embeddings
    from components.vector_index_pusher import index

    rows = index.rows_of(read_embeddings(str(output)), COLUMNS)
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
    kinds = executor.column_kinds(files, COLUMNS)
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
    direct, export, load = [], [], []
    for attempt in range(repeats):
        out = scratch / f"out{attempt}"
        direct.append(direct_export(examples, model_dir, scratch / f"direct{attempt}"))
        export.append(beam_export(examples, model_dir, out))
        load.append(milvus_load(out, scratch / f"milvus{attempt}"))
        shutil.rmtree(out)
        shutil.rmtree(scratch / f"direct{attempt}")
    (direct_s, n), (export_s, exported), (load_s, loaded) = (min(x) for x in (direct, export, load))
    assert n == exported == loaded, (n, exported, loaded)
    return {"n": n, "direct": direct_s, "export": export_s, "load": load_s}


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
    print(f"{'N':>3} {'examples':>9} {'direct s':>9} {'export s':>9} {'ratio':>6} {'load s':>7} {'load/s':>9}")
    for copies, m in sizes.items():
        print(f"{copies:>3} {m['n']:>9,} {m['direct']:9.2f} {m['export']:9.2f} "
              f"{m['direct'] / m['export']:5.2f}x {m['load']:7.2f} {m['n'] / m['load']:9,.0f}")
    small, large = sizes[args.copies], sizes[2 * args.copies]
    extra = large["n"] - small["n"]
    direct_rate = extra / (large["direct"] - small["direct"])
    export_rate = extra / (large["export"] - small["export"])
    print(f"\nsteady-state throughput (the added examples over the added time, so each side's")
    print(f"fixed start-up, model load and pipeline set-up, cancels out):")
    print(f"  direct {direct_rate:,.0f}/s, export {export_rate:,.0f}/s: {export_rate / direct_rate:.2f}x "
          "(target >= 0.8)")
    print(f"Milvus Lite load: {small['n'] / small['load']:,.0f} vectors/s at {small['n']:,} (target >= 20,000)")
    stages = stage_costs(scratch / f"examples{2 * args.copies}", model_dir, scratch)
    print(f"\nthe export's pieces alone, no Beam, at {large['n']:,} examples (direct: {large['direct']:.2f}s):")
    for name, seconds in stages.items():
        print(f"  {name:<27} {seconds:6.2f}s")


if __name__ == "__main__":
    main()
