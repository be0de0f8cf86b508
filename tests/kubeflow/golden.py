"""The golden compiled spec: made from golden.toml, compared by test_runner.py.

Regenerate after a deliberate change with `make golden`, then review the diff.
Values that differ between machines (the checkout's path, the user, the
trainer code hash) are replaced by placeholders before comparing.
"""

import json
import os
import re
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CONFIG = HERE / "golden.toml"
GOLDEN = HERE / "golden" / "pipeline.json"
USER = "golden-user"


def compile_golden(folder: str) -> dict:
    from kubeflow.runner import compile_pipeline
    from pipeline.config import load_config

    # The sign-off step records who compiled; pin it, and put back what was there.
    before = os.environ.get("TOLLGATE_USER")
    os.environ["TOLLGATE_USER"] = USER
    try:
        return compile_pipeline(load_config(CONFIG), os.path.join(folder, "pipeline.json"))
    finally:
        if before is None:
            del os.environ["TOLLGATE_USER"]
        else:
            os.environ["TOLLGATE_USER"] = before


def normalized(job: dict) -> str:
    text = json.dumps(job, indent=2, sort_keys=True)
    text = text.replace(str(REPO), "<repo>")
    return re.sub(r"sha256:[0-9a-f]{16}", "sha256:<trainer code>", text) + "\n"


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    with tempfile.TemporaryDirectory() as scratch:
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(normalized(compile_golden(scratch)))
    print(f"wrote {GOLDEN.relative_to(REPO)}; review it with `git diff`")
