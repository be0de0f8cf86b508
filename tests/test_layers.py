"""The layer contracts in .importlinter, checked on every test run."""

import configparser
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def test_every_layer_contract_is_kept():
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 broken" in result.stdout


def test_the_contracts_cover_what_the_house_promises():
    contracts = configparser.ConfigParser()
    contracts.read(REPO / ".importlinter")
    kinds = {contracts[s]["type"] for s in contracts.sections() if s.startswith("importlinter:contract:")}
    assert kinds == {"layers", "forbidden", "acyclic_siblings"}
    components = contracts["importlinter:contract:components"]
    assert components["source_modules"].split() == ["components"]
    assert set(components["forbidden_modules"].split()) == {"pipeline", "kubeflow", "trainer"}
    lineage = contracts["importlinter:contract:lineage-without-tensorflow"]
    assert {"tensorflow", "tfx"} <= set(lineage["forbidden_modules"].split())
    assert contracts["importlinter:contract:pipeline-knows-no-backend"]["forbidden_modules"] == "kubeflow"
    cycles = contracts["importlinter:contract:no-cycles"]
    assert set(cycles["ancestors"].split()) == {"pipeline", "components", "trainer", "kubeflow"}
    # Every package under pipeline/ is a room in the layers (exhaustive), so a new one must be placed.
    assert contracts["importlinter:contract:rooms"]["exhaustive"] == "True"
