"""How fast lineage questions are answered from a store with many runs.

Builds a real store: one full run of the pipeline (approved and released),
then unchanged re-runs until the store holds --runs runs, each adding its own
executions and events, as a scheduled pipeline would. Times the lineage of
the serving model and the audit in-process (p50, p95), and the CLI's wall
time, first on the store after one run (the baseline), then on the full one.
The in-process figures come from a fresh Python process that only queries.

    .venv/bin/python bench/bench_lineage.py [--runs 200] [--out DIR]

Targets (issue 4): p95 at most 50 ms per lineage query in-process; CLI wall
time at most 1.5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipeline.environment import prepare_process  # noqa: E402

prepare_process()


def build_first_run(home: Path):
    from components.signoff import keys, records
    from pipeline.config_file import load_config
    from pipeline.lineage.signoff import decide
    from pipeline.local.runner import run_pipeline
    from pipeline.lineage.store import store_for
    from pipeline.local.release import release

    config = load_config(None, home=str(home), trainer__train_steps=100)
    awaiting = run_pipeline(config)
    store = store_for(config)
    [request] = records.pending_requests(store)
    key = home / "bench-key.pem"
    keys.generate(key, "bench")
    decide(config, request.model_id, records.APPROVE, "", key_path=key)
    release(config, awaiting.run.model_id)
    return config


def add_cached_runs(config, total: int) -> None:
    from tfx import v1 as tfx

    from pipeline.definition.pipeline import create_pipeline
    from pipeline.lineage.runs import list_runs
    from pipeline.lineage.store import store_for

    have = len(list_runs(store_for(config), config.pipeline_name))
    for done in range(have, total):
        tfx.orchestration.LocalDagRunner().run(create_pipeline(config))
        if done % 25 == 0:
            print(f"  {done + 1}/{total} runs", file=sys.stderr)


def query_times(home: str, repeats: int) -> dict:
    """Run in a fresh process (see time_queries): ms per lineage and audit call."""
    from pipeline.config_file import load_config
    from pipeline.lineage.model import audit, model_lineage, resolve_model
    from pipeline.lineage.store import store_for

    store = store_for(load_config(None, home=home))
    model_lineage(store, resolve_model(store, "serving"))  # the first call opens the store
    lineage_ms, audit_ms = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        model_lineage(store, resolve_model(store, "serving"))
        lineage_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        audit(store)
        audit_ms.append((time.perf_counter() - t0) * 1000)
    return {"lineage": lineage_ms, "audit": audit_ms}


def time_queries(config, repeats: int) -> dict:
    # A fresh process, like a user's script or notebook: the builder process
    # holds 200 runs' worth of objects, whose garbage collection would be
    # timed along with the queries.
    result = subprocess.run(
        [sys.executable, __file__, "--query-times", str(config.home_dir), "--repeats", str(repeats)],
        check=True, capture_output=True, text=True,
    )
    times = json.loads(result.stdout.strip().splitlines()[-1])
    lineage_ms, audit_ms = times["lineage"], times["audit"]
    cli = {}
    for command in (["lineage", "serving"], ["audit"]):
        walls = []
        for _ in range(5):
            t0 = time.perf_counter()
            subprocess.run(
                [str(REPO / ".venv" / "bin" / "tollgate"), *command], check=True,
                capture_output=True, env={**os.environ, "TOLLGATE_HOME": str(config.home_dir)},
            )
            walls.append(time.perf_counter() - t0)
        cli[" ".join(command)] = statistics.median(walls)
    return {
        "lineage_p50": statistics.median(lineage_ms),
        "lineage_p95": statistics.quantiles(lineage_ms, n=20)[18],
        "audit_p95": statistics.quantiles(audit_ms, n=20)[18],
        "cli": cli,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=100)
    parser.add_argument("--out", help="keep the store here (default: a temporary folder)")
    parser.add_argument("--query-times", metavar="HOME", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.query_times:
        print(json.dumps(query_times(args.query_times, args.repeats)))
        return
    home = Path(args.out or tempfile.mkdtemp(prefix="tollgate-lineage-bench-"))
    print("building the store: one full run ...", file=sys.stderr)
    config = build_first_run(home)
    from pipeline.lineage.runs import list_runs
    from pipeline.lineage.store import store_for

    base_runs = len(list_runs(store_for(config), config.pipeline_name))
    baseline = time_queries(config, args.repeats)
    print(f"adding re-runs up to {args.runs} ...", file=sys.stderr)
    add_cached_runs(config, args.runs)
    store = store_for(config)
    runs = len(list_runs(store, config.pipeline_name))
    full = time_queries(config, args.repeats)
    executions = len(store.get_executions())
    print(f"\nLineage queries: {base_runs} runs (baseline) vs {runs} runs ({executions} executions)\n")
    print(f"{'':28} {'baseline':>10} {'full':>10} {'ratio':>7} {'target':>8}")
    for key, label, target in (
        ("lineage_p50", "lineage p50, ms", ""),
        ("lineage_p95", "lineage p95, ms", "50"),
        ("audit_p95", "audit p95, ms", ""),
    ):
        a, b = baseline[key], full[key]
        print(f"{label:28} {a:10.1f} {b:10.1f} {b / a:7.2f} {target:>8}")
    for command in full["cli"]:
        a, b = baseline["cli"][command], full["cli"][command]
        print(f"{'CLI ' + command + ', s':28} {a:10.2f} {b:10.2f} {b / a:7.2f} {'1.5':>8}")
    print(f"\nstore: {home}")


if __name__ == "__main__":
    main()
