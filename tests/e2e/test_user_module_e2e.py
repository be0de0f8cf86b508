"""Another team's model through Tollgate's gates: a module written for stock
TFX (tests/e2e/stock/churn.py), on a CSV of its own, named by `[model]` and
run unchanged through every gate, the sign-off and the release."""

import json
from pathlib import Path

import pytest

from tests.e2e.project import tollgate_in
from tests.e2e.stock.churn_data import churn_csv

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]
MODULE = Path(__file__).parent / "stock" / "churn.py"
CONFIG = f"""
[model]
module = "{MODULE}"
label_key = "churned"
problem = "binary"
preprocessing_function_names = ["transform_features"]
[trainer]
train_steps = 150
eval_steps = 5
[evaluator]
slice_features = ["region"]
[serving]
repeats = 1
latency_calls = 20
examples = 50
"""


def tollgate(home: Path, *args, user="carol"):
    return tollgate_in(home, *args, user=user)


def test_a_stock_tfx_module_runs_unchanged_through_the_gates_to_release(tmp_path):
    from pipeline.config_file import load_config
    from pipeline.definition.user_module import load_user_module

    config = tmp_path / "tollgate.toml"
    config.write_text(CONFIG)
    source = MODULE.read_bytes()
    data = churn_csv(tmp_path / "data" / "churn.csv", 600)
    home = tmp_path / "home"
    done = tollgate(home, "run", "--config", str(config), "--data", str(data), "--json")
    assert done.returncode == 0, done.stderr[-3000:]
    run = json.loads(done.stdout)
    # It has no embedding signature, and says so once; every other step runs.
    assert done.stderr.count("embeddings are off: [model] names no embedding_signature") == 1
    assert "EmbeddingExporter" not in {step["node"] for step in run["steps"]}
    assert run["blessed"] is True and run["metrics"]["overall"]["auc"] > 0.7, run["metrics"]
    assert run["metrics"]["worst_slice"]["slice"].startswith("region=")
    assert tollgate(home, "approve", str(run["model_id"]), "--by", "alice", user="alice").returncode == 0
    released = tollgate(home, "release", str(run["model_id"]), "--json")
    assert released.returncode == 0, released.stderr
    served = Path(json.loads(released.stdout)["pushed"])
    assert (served / "saved_model.pb").is_file()
    lineage = json.loads(tollgate(home, "lineage", str(run["model_id"]), "--json").stdout)
    version = load_user_module(load_config(str(config), data_root=str(data)).model).code_version
    assert lineage["trainer"]["code_version"] == version
    # Its tft vocabulary does not answer in TFLite: a module's targets are
    # opt-in, so the default releases the SavedModel alone.
    assert [r["targets"] for r in lineage["releases"]] == ["saved_model"]
    assert MODULE.read_bytes() == source  # run as written
    refuses_what_the_model_lacks(tmp_path, home, data, served)
    # The next run's data is held to the columns this run's SchemaGen found.
    narrower = tmp_path / "narrower.csv"
    narrower.write_text("".join(",".join(line.split(",")[:1] + line.split(",")[2:])
                                for line in data.read_text().splitlines(keepends=True)))
    refused = tollgate(home, "run", "--config", str(config), "--data", str(narrower))
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1, refused.stderr
    assert "missing column(s) income, which the schema the pipeline's last run inferred" in refused.stderr


def refuses_what_the_model_lacks(tmp_path: Path, home: Path, data: Path, served: Path):
    """Names only the trained model can answer for: checked when a later step
    fails, and given as one line with exit 2; nothing more is released."""
    cases = {"signature": ("[model]\n", '[model]\nsignature_name = "predict"\n',
                           "has no signature 'predict', which [model] signature_name"),
             "label": ('label_key = "churned"', 'label_key = "churn_flag"',
                       "label_key 'churn_flag' is neither a column of the data")}
    for name, (old, new, words) in cases.items():
        bad = tmp_path / f"{name}.toml"
        bad.write_text(CONFIG.replace(old, new))
        failed = tollgate(home, "run", "--config", str(bad), "--data", str(data))
        last = failed.stderr.strip().splitlines()[-1]
        assert failed.returncode == 2 and last.startswith("tollgate: error: ") and words in last, failed.stderr[-2000:]
        assert "Traceback" not in failed.stderr
        assert [p for p in served.parent.iterdir() if p.name.isdigit()] == [served]
