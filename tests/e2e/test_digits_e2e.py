"""The second built-in example, from `tollgate init` to search: a multiclass
model over scikit-learn's bundled digits, ranked by accuracy, through every
gate, the sign-off, the release, lineage and the vector index."""

import csv
import json
from pathlib import Path

import pytest

from tests.e2e.project import tollgate_in

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


def tollgate(home: Path, *args, user="dana"):
    done = tollgate_in(home, *args, user=user)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def first_image(data: Path, digit: str) -> str:
    """The pixels of the first image of `digit`, as `tollgate search --row` takes them."""
    with data.open(newline="") as handle:
        row = next(r for r in csv.DictReader(handle) if r["digit"] == digit)
    return ",".join(f"{name}={value}" for name, value in row.items() if name.startswith("pixel_"))


def test_the_digits_example_from_init_to_search(tmp_path):
    home, folder = tmp_path / "home", tmp_path / "digits"
    tollgate(home, "init", str(folder), "--example", "digits")
    config = ["--config", str(folder / "tollgate.toml")]
    run = json.loads(tollgate(home, "run", *config, "--train-steps", "200", "--json").stdout)
    metrics = run["metrics"]
    assert run["blessed"] is True and metrics["metric"] == "accuracy"
    assert metrics["overall"]["sparse_categorical_accuracy"] > 0.8, metrics
    assert metrics["worst_slice"]["slice"].startswith("digit=") and "auc" not in metrics["overall"]
    model = str(run["model_id"])
    accuracy = metrics["overall"]["sparse_categorical_accuracy"]
    assert f"accuracy {accuracy:.4f}" in tollgate(home, "pending", *config).stdout
    shown = tollgate(home, "show", model, *config).stdout
    assert f"metric    accuracy {accuracy:.4f} (worst {metrics['worst_slice']['slice']}: 0." in shown
    tollgate(home, "approve", model, "--by", "erin", *config, user="erin")
    served = Path(json.loads(tollgate(home, "release", model, *config, "--json").stdout)["pushed"])
    assert (served / "saved_model.pb").is_file()

    lineage = json.loads(tollgate(home, "lineage", model, *config, "--json").stdout)
    assert lineage["data"]["input_base"] == str(folder / "data") and lineage["data"]["rows"]["train"] > 1000
    assert {t["metric"] for t in lineage["evaluation"]["thresholds"]} == {"SparseCategoricalAccuracy"}
    assert lineage["signoff"]["approver"] == "erin" and lineage["embeddings"]["count"] == 1797
    audit = tollgate(home, "audit", *config).stdout
    assert f"model {model}  accuracy 0." in audit and "auc" not in audit

    # An image's nearest neighbours in the model's embedding are mostly the same digit.
    zero = first_image(folder / "data" / "digits.csv", "0")
    [itself, *near] = json.loads(tollgate(home, "search", *config, "--row", zero, "-k", "6", "--json").stdout)
    assert itself["distance"] == pytest.approx(0.0, abs=1e-4) and itself["source"]["digit"] == 0
    assert sum(n["source"]["digit"] == 0 for n in near) >= 3, near
    again = json.loads(tollgate(home, "search", *config, "--like", str(itself["key"]), "-k", "6", "--json").stdout)
    assert [r["key"] for r in again] == [itself["key"], *(n["key"] for n in near)]
