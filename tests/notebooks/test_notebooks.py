"""Both notebooks, executed top to bottom by a real Jupyter kernel."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def execute(name: str) -> nbformat.NotebookNode:
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(
        notebook, timeout=900, kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS.parent)}},
    ).execute()
    return notebook


def outputs(notebook) -> str:
    return "\n".join(
        str(out.get("text", "")) + str(out.get("data", {}))
        for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs
    )


def test_walkthrough_runs_the_pipeline_and_releases(tmp_path, monkeypatch):
    monkeypatch.setenv("TOLLGATE_HOME", str(tmp_path / "home"))
    text = outputs(execute("walkthrough.ipynb"))
    assert "awaiting sign-off" in text
    assert "pushed to " + str(tmp_path / "home" / "serving") in text


def test_lineage_notebook_answers_from_a_real_store(first_run, monkeypatch):
    config, summary, _ = first_run
    monkeypatch.setenv("TOLLGATE_HOME", str(config.home_dir))
    text = outputs(execute("lineage.ipynb"))
    assert f"model        {summary.run.model_id}" in text
    assert "image/svg+xml" in text
    assert summary.run.pushed in text
