"""The golden compiled spec: made from golden.toml, compared by test_compiler.py.

Regenerate after a deliberate change with `make golden`, then review the diff.
Each task's slice of the TFX IR is decoded into readable JSON first, so the
diff shows what changed inside the nodes too. Values that differ between
machines (the user, the trainer code hash) are replaced by placeholders.
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
GOLDEN = HERE / "golden" / "pipeline.yaml"
USER = "golden-user"


def compile_golden(folder: str) -> str:
    from kubeflow.compiler import compile_pipeline
    from pipeline.config_file import load_config

    # The definition's default for who triggered a run is whoever compiles; pin it.
    before = os.environ.get("TOLLGATE_USER")
    os.environ["TOLLGATE_USER"] = USER
    try:
        return compile_pipeline(load_config(CONFIG), os.path.join(folder, "pipeline.yaml"))
    finally:
        if before is None:
            del os.environ["TOLLGATE_USER"]
        else:
            os.environ["TOLLGATE_USER"] = before


def load(path: str) -> list:
    import yaml

    with open(path) as handle:
        return list(yaml.safe_load_all(handle))


def readable(spec: dict) -> dict:
    """The spec with every task's IR slice decoded to JSON."""
    from google.protobuf import json_format

    from kubeflow.node import decode_node

    for task in spec["root"]["dag"]["tasks"].values():
        node = task["inputs"]["parameters"]["node"]["runtimeValue"]
        # Through JSON text: MessageToDict leaves ordered dicts that YAML cannot write.
        node["constant"] = json.loads(json_format.MessageToJson(decode_node(node["constant"])))
    return spec


def normalized(path: str) -> str:
    import yaml

    pipeline, *platform = load(path)
    text = yaml.safe_dump_all([readable(pipeline), *platform], sort_keys=True, width=120)
    return re.sub(r"sha256:[0-9a-f]{16}", "sha256:<trainer code>", text)


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    import warnings

    from pipeline.environment import prepare_process

    prepare_process()
    warnings.simplefilter("ignore", FutureWarning)  # google.api_core's, about Python 3.11
    with tempfile.TemporaryDirectory() as scratch:
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(normalized(compile_golden(scratch)))
    print(f"wrote {GOLDEN.relative_to(REPO)}; review it with `git diff`")
