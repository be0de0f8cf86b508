"""Timing one target: latency at batch 1, throughput over a batch sweep, the host.

Every figure is taken `repeats` times. What a budget is checked against is
the median over repeats (of each repeat's p99, or of its throughput): one
repeat slowed by a noisy neighbour moves the median little, where the worst
repeat would flip the gate. The spread (lowest and highest repeat) is kept
beside it, so a reader sees how much the figure moved.
"""

from __future__ import annotations

import os
import platform
import statistics
import time

import numpy as np

# Batch sizes the throughput sweep tries.
SWEEP = (1, 8, 32, 128, 512)
# How long each throughput point runs, at least.
POINT_SECONDS = 0.05
WARM_UP_CALLS = 10


def _cycled(rows: list[bytes], count: int) -> list[bytes]:
    return [rows[i % len(rows)] for i in range(count)]


def latency_ms(loaded, rows: list[bytes], calls: int, repeats: int) -> dict:
    """p50/p95/p99 of single-example calls: each the median over repeats, with the p99's spread."""
    inputs = [loaded.prepare([row]) for row in _cycled(rows, calls)]
    for batch in inputs[:WARM_UP_CALLS]:
        loaded.predict(batch)
    runs = []
    for _ in range(repeats):
        times = []
        for batch in inputs:
            start = time.perf_counter()
            loaded.predict(batch)
            times.append((time.perf_counter() - start) * 1000.0)
        runs.append(np.percentile(times, [50, 95, 99]))
    p50, p95, p99 = (statistics.median(r[i] for r in runs) for i in range(3))
    spread = [min(r[2] for r in runs), max(r[2] for r in runs)]
    return {"p50_ms": p50, "p95_ms": p95, "p99_ms": p99, "p99_spread_ms": spread}


def _examples_per_second(loaded, batch) -> float:
    size, calls, start = 0, 0, time.perf_counter()
    while True:
        size += len(loaded.predict(batch))
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= POINT_SECONDS and calls >= 3:
            return size / elapsed


def throughput(loaded, rows: list[bytes], repeats: int) -> dict:
    """Examples per second at each batch size (median over repeats); the best batch."""
    by_batch, spreads = {}, {}
    for size in SWEEP:
        batch = loaded.prepare(_cycled(rows, size))
        loaded.predict(batch)
        runs = [_examples_per_second(loaded, batch) for _ in range(repeats)]
        by_batch[str(size)], spreads[str(size)] = statistics.median(runs), [min(runs), max(runs)]
    best = max(by_batch, key=by_batch.get)
    return {"throughput": by_batch[best], "best_batch": int(best),
            "throughput_spread": spreads[best], "throughput_by_batch": by_batch}


def size_bytes(path: str) -> int:
    if os.path.isfile(path):
        return os.path.getsize(path)
    return sum(os.path.getsize(os.path.join(root, f)) for root, _, files in os.walk(path) for f in files)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def host() -> dict:
    """What the figures were measured on."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return {
        "cpu": _cpu_model(),
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "accelerator": ", ".join(g.name for g in gpus) or "none",
        "hostname": platform.node(),
    }
