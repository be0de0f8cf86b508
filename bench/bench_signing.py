"""Signing and verifying what a release serves, against `sha256sum` over the same files.

Two folders: the taxi model as the Trainer saves it (a SavedModel built from
trainer/taxi/model.py, with a TFLite-sized file beside it) and a folder of
about 1 GB (--gigabytes) of random files the sizes of a large model's shards.
For each, in one invocation, with the page cache warm for all three, the
fastest of 30 runs (the taxi model) or of 3 (the large folder):

- floor: `sha256sum` over every file (what an auditor's standard tool costs);
- sign: the manifest, the signed decision and the OpenSSF model-signing
  bundle, as `tollgate approve` makes them (components/signoff);
- verify: the manifest check and OpenSSF model signing's own check, as
  `tollgate verify PATH` runs them.

    .venv/bin/python bench/bench_signing.py [--gigabytes 1.0]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.environment import prepare_process  # noqa: E402

prepare_process()


def taxi_model(root: Path) -> Path:
    import tf_keras as keras  # noqa: F401  (the module saves with tf_keras)

    from trainer.taxi.model import build_model

    folder = root / "taxi"
    build_model((64, 32)).save(folder, save_format="tf")
    (folder / "model.tflite").write_bytes(os.urandom(200_000))
    return folder


def big_folder(root: Path, gigabytes: float) -> Path:
    folder = root / "big" / "variables"
    folder.mkdir(parents=True)
    shard = 256 << 20
    left = int(gigabytes * (1 << 30))
    index = 0
    while left > 0:
        size = min(shard, left)
        with open(folder / f"variables.data-{index:05d}", "wb") as handle:
            for _ in range(size >> 20):
                handle.write(os.urandom(1 << 20))
        left -= size
        index += 1
    (folder.parent / "saved_model.pb").write_bytes(os.urandom(1 << 20))
    return folder.parent


def timed(step, repeats: int) -> float:
    """The fastest of `repeats` runs: a run of a few milliseconds is mostly noise
    from whatever else the machine does, and each side gets the same chance."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        best = min(best, time.perf_counter() - start)
    return best


def measure(folder: Path, key: Path, public, repeats: int) -> dict:
    from components.model_digest import folder_files, manifest
    from components.signoff import keys, proof

    files = folder_files(str(folder))
    size = sum(os.path.getsize(p) for p in files.values())
    names = sorted(files)
    floor = timed(lambda: subprocess.run(["sha256sum", *names], cwd=folder, check=True, capture_output=True), repeats)
    bundle = folder.parent / f"{folder.name}.sig"
    private = keys.load_private(key)

    def sign():
        signed = proof.statement({"model_id": 1}, manifest(files), {})
        proof.envelope(signed, private)
        bundle.write_text(proof.sign_folder(files, key, 1))

    signing = timed(sign, repeats)
    signed = proof.statement({"model_id": 1}, manifest(files), {})

    def verify():
        found = proof.check_files(signed, folder_files(str(folder)), str(folder))
        proof.verify_folder(folder, bundle, public, found)

    verifying = timed(verify, repeats)
    return {"bytes": size, "floor": floor, "sign": signing, "verify": verifying}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gigabytes", type=float, default=1.0)
    args = parser.parse_args()
    from components.signoff import keys

    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        keys.generate(root / "key.pem", "bench")
        public = keys.load_private(root / "key.pem").public_key()
        folders = {"taxi model": taxi_model(root), f"{args.gigabytes:g} GB folder": big_folder(root, args.gigabytes)}
        print(f"{'':18}{'MB':>9}{'sha256sum s':>13}{'sign s':>9}{'verify s':>10}{'verify MB/s':>13}{'vs floor':>10}")
        for name, folder in folders.items():
            measure(folder, root / "key.pem", public, 1)  # warms the page cache and the imports
            # Small folders take milliseconds: the best of many. A large one: of three.
            found = measure(folder, root / "key.pem", public, 30 if name == "taxi model" else 3)
            mb = found["bytes"] / 1e6
            ratio = found["floor"] / found["verify"]
            print(f"{name:18}{mb:9.1f}{found['floor']:13.3f}{found['sign']:9.3f}{found['verify']:10.3f}"
                  f"{mb / found['verify']:13.1f}{ratio:9.2f}x")
    print("vs floor: verify's throughput over sha256sum's on the same files (target: at least 0.8x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
