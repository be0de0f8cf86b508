"""`tollgate kubeflow run-local` against `tollgate run`, on the same config, in one invocation.

Both run the same pipeline on the same CSV, each on an empty state folder:
`tollgate run` with LocalDagRunner in one process, `run-local` as the
compiled Kubeflow spec under kfp.local, one process per task. No target:
this says what a task costs and where it goes. Prints the wall times and
their ratio, each task's time, and a task's fixed start-up, measured apart
in fresh processes: the interpreter, kfp's executor, the IR slice and the
store connection, and the TFX imports a task that launches its node pays.

    .venv/bin/python bench/bench_kubeflow.py [--steps 1000] [--repeats 5] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TOLLGATE = [sys.executable, "-m", "pipeline.cli"]
_STEP = re.compile(r"^\[\s*\d+/\d+\] (\S+)\s+(\w+)\s+([\d.]+)s$")


def timed_run(home: Path, *args: str) -> tuple[float, list[tuple[str, str, float]]]:
    """(wall seconds, [(step, state, seconds)]) of one command on an empty home."""
    started = time.perf_counter()
    result = subprocess.run([*TOLLGATE, *args], capture_output=True, text=True, cwd=REPO,
                            env={**os.environ, "TOLLGATE_HOME": str(home)})
    wall = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{result.stderr[-3000:]}")
    steps = [m.groups() for m in map(_STEP.match, result.stderr.splitlines()) if m]
    return wall, [(name, state, float(seconds)) for name, state, seconds in steps]


_PARTS = {
    "interpreter": "pass",
    "kfp executor": "import kfp.dsl.executor_main",
    "IR slice and store": (
        "import sys; from kubeflow.node import NodeTask; "
        "NodeTask(open(sys.argv[1]).read(), 'bench', sys.argv[2], {})._unfinished_upstream()"
    ),
    "TFX launcher imports": "from tfx.orchestration.portable import launcher, runtime_parameter_utils",
}


def start_up(spec: Path, store: str, repeats: int) -> dict[str, float]:
    """Median seconds of each part of a task's start-up, each in a fresh process."""
    import yaml

    with open(spec) as handle:
        tasks = next(yaml.safe_load_all(handle))["root"]["dag"]["tasks"]
    node = tasks["trainer"]["inputs"]["parameters"]["node"]["runtimeValue"]["constant"]
    with tempfile.NamedTemporaryFile("w", suffix=".ir", delete=False) as handle:
        handle.write(node)
    figures = {}
    for part, code in _PARTS.items():
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", code, handle.name, store], check=True, cwd=REPO,
                           capture_output=True)
            times.append(time.perf_counter() - started)
        figures[part] = statistics.median(times)
    os.unlink(handle.name)
    return figures


def report(local: tuple, kubeflow: tuple, parts: dict, steps: int) -> None:
    (local_wall, local_steps), (kfp_wall, kfp_steps) = local, kubeflow
    print(f"\n`tollgate kubeflow run-local` vs `tollgate run`, {steps} training steps, taxi sample, first run\n")
    print(f"{'':28} {'tollgate run':>13} {'run-local':>10} {'ratio':>7}")
    print(f"{'wall s':28} {local_wall:13.1f} {kfp_wall:10.1f} {kfp_wall / local_wall:7.2f}")
    total = sum(s for *_, s in kfp_steps)
    print(f"{'sum of step times s':28} {sum(s for *_, s in local_steps):13.1f} {total:10.1f}")
    print("\nPer step (seconds; run-local counts each task's whole process):")
    by_name = {name: (state, seconds) for name, state, seconds in local_steps}
    for name, state, seconds in kfp_steps:
        mine = by_name.get(name)
        print(f"  {name:28} {'-' if mine is None else f'{mine[1]:.1f}':>8} {seconds:9.1f}  {state}")
    print("\nA task's fixed start-up, median of fresh processes (seconds):")
    for part, seconds in parts.items():
        print(f"  {part:28} {seconds:6.2f}")
    launching = [s for _, state, s in kfp_steps if state in ("done", "cached", "WAITS")]
    fixed = len(launching) * parts["TFX launcher imports"] + len(kfp_steps) * parts["kfp executor"]
    print(f"\n{len(launching)} of {len(kfp_steps)} tasks launched a node: about {fixed:.0f} s of start-up, "
          f"{100 * fixed / total:.0f}% of the tasks' {total:.0f} s.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", help="keep state here (default: a temporary folder)")
    args = parser.parse_args()
    out = Path(args.out or tempfile.mkdtemp(prefix="tollgate-bench-kfp-"))
    print("running `tollgate run` ...", file=sys.stderr)
    local = timed_run(out / "local", "run", "--train-steps", str(args.steps))
    print("running `tollgate kubeflow run-local` ...", file=sys.stderr)
    kubeflow = timed_run(out / "kfp", "kubeflow", "run-local", "--train-steps", str(args.steps))
    [spec] = (out / "kfp" / "kubeflow").glob("*.yaml")
    store = json.dumps({"backend": "sqlite", "path": str(out / "kfp" / "metadata.sqlite")})
    parts = start_up(spec, store, args.repeats)
    report(local, kubeflow, parts, args.steps)
    (out / "results.json").write_text(json.dumps({"local": local, "kubeflow": kubeflow, "parts": parts}, indent=2))
    print(f"\nraw figures: {out / 'results.json'}")


if __name__ == "__main__":
    main()
