"""The review desk under load: page times with 20 clients on a store of 200 runs.

The store is built here: a released model, then cached runs of it up to
--runs (each a real pipeline run whose steps come from the cache, as a
nightly schedule makes them), then a second model awaiting sign-off. The desk
(`tollgate ui`) serves it in its own process; --clients threads, each logged
in with its own session, ask for the runs, pending, review and audit pages
in turn, --rounds times, and the released model's review page, which also
verifies its served copy. Printed per page: the median and p95 of the times
the clients saw.

Baseline, in the same invocation: `tollgate lineage MODEL --format html` for
the model under review, the command that wrote a model's page before the
desk (fastest of 3, start-up included, as a person waits for it).

    .venv/bin/python bench/bench_ui.py [--runs 200] [--clients 20] [--rounds 10] [--home DIR]

With --home, the store is built there once and reused by later invocations
(building 200 runs takes minutes; the pages are what is measured).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.environment import prepare_process  # noqa: E402

prepare_process()
# As the `tollgate` command does: library logs stay in each run's log file, off the terminal.
logging.captureWarnings(True)
logging.getLogger().addHandler(logging.NullHandler())
TOLLGATE = [sys.executable, "-m", "pipeline.cli"]
PASSWORD = "bench password only"


def build(home: Path, runs: int) -> tuple[int, int]:
    """(the released model, the model awaiting sign-off), after `runs` runs."""
    from components.signoff import keys
    from components.signoff.records import APPROVE
    from pipeline.config_file import load_config
    from pipeline.lineage.signoff import decide
    from pipeline.local.release import release
    from pipeline.local.runner import run_pipeline

    os.environ.update(TOLLGATE_HOME=str(home), TOLLGATE_USER="carol")
    config = load_config(None, trainer__train_steps=100, embeddings__enabled=False)
    first = run_pipeline(config).run.model_id
    keys.generate(home.parent / "alice.pem", "alice")
    decide(config, first, APPROVE, "bench", key_path=home.parent / "alice.pem")
    release(config, first)
    for number in range(3, runs):
        run_pipeline(config)  # every step from the cache: one more run in the store
        print(f"\rbuilding the store: run {number} of {runs}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return first, run_pipeline(load_config(None, trainer__train_steps=120, embeddings__enabled=False)).run.model_id


def serve(home: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "TOLLGATE_HOME": str(home), "TOLLGATE_UI_PASSWORD": PASSWORD}
    subprocess.run([*TOLLGATE, "ui", "add-user", "alice"], env=env, check=True, capture_output=True)
    desk = subprocess.Popen([*TOLLGATE, "ui", "--port", str(port)], env=env, stdout=subprocess.PIPE, text=True)
    desk.stdout.readline()
    return desk, f"http://127.0.0.1:{port}"


def logged_in(url: str):
    import httpx

    for _ in range(300):
        try:
            client = httpx.Client(base_url=url, timeout=120)
            form = client.get("/login").text
            break
        except httpx.TransportError:
            time.sleep(0.1)
    csrf = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    client.post("/login", data={"name": "alice", "password": PASSWORD, "csrf": csrf})
    return client


def load(url: str, pages: dict, clients: int, rounds: int) -> dict[str, list[float]]:
    sessions = [logged_in(url) for _ in range(clients)]
    for path in pages.values():  # each page once, before the clock starts
        assert sessions[0].get(path).status_code == 200, path
    times = {name: [] for name in pages}
    start = threading.Barrier(clients)

    def client(session) -> None:
        start.wait()
        for _ in range(rounds):
            for name, path in pages.items():
                began = time.perf_counter()
                answer = session.get(path)
                times[name].append(time.perf_counter() - began)
                assert answer.status_code == 200, (path, answer.status_code)

    threads = [threading.Thread(target=client, args=(s,)) for s in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times


def baseline(home: Path, model: int) -> float:
    env = {**os.environ, "TOLLGATE_HOME": str(home)}
    best = float("inf")
    for _ in range(3):
        began = time.perf_counter()
        subprocess.run([*TOLLGATE, "lineage", str(model), "--format", "html"], env=env, check=True,
                       capture_output=True)
        best = min(best, time.perf_counter() - began)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--home", type=Path, help="build the store here once, and reuse it")
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="tollgate-bench-ui-")) / "home"
    built = home.parent / f"{home.name}-bench-ui-{args.runs}.json"
    if not built.is_file():
        built.write_text(json.dumps(build(home, args.runs)))
    released, waiting = json.loads(built.read_text())
    desk, url = serve(home)
    try:
        # The released model's page also runs `tollgate verify` on its served copy.
        pages = {"runs": "/", "pending": "/pending", "review": f"/models/{waiting}",
                 "released": f"/models/{released}", "audit": "/audit"}
        times = load(url, pages, args.clients, args.rounds)
    finally:
        desk.terminate()
    floor = baseline(home, waiting)
    print(f"store: {args.runs} runs ({home}); {args.clients} clients x {args.rounds} rounds; 2 cores")
    print(f"baseline `tollgate lineage {waiting} --format html`: {floor * 1000:.0f} ms (fastest of 3)")
    print(f"{'page':<8} {'median ms':>10} {'p95 ms':>8} {'p95 / baseline':>15}")
    for name, seen in times.items():
        p95 = statistics.quantiles(seen, n=20)[-1]
        print(f"{name:<8} {statistics.median(seen) * 1000:>10.0f} {p95 * 1000:>8.0f} {p95 / floor:>15.2f}")


if __name__ == "__main__":
    main()
