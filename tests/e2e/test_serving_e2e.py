"""The serving check in a project's runs: the approver sees each target's
figures before deciding, a passing release serves every target, and a model
over its budget is never put to a person nor released."""

import re
from pathlib import Path

import pytest

from tests.e2e.project import Project

pytestmark = pytest.mark.e2e


def test_the_figures_reach_the_approver_and_every_target_is_released(tmp_path):
    project = Project(tmp_path)
    summary = project.run()
    model = summary["model_id"]
    assert summary["serving"]["passed"] and set(summary["serving"]["targets"]) == {"saved_model", "tflite"}
    [request] = project.tollgate("pending", "--json")
    assert request["eval_summary"]["serving"]["targets"]["tflite"]["p99_ms"] > 0
    shown = project.tollgate("show", str(model))
    assert re.search(r"^serving   tflite: p99 [\d.]+ ms, [\d,]+ examples/s at batch \d+, max diff ", shown, re.M)
    page = Path(summary["report"]).read_text()
    assert "Serving targets" in page and "model.tflite" not in page and ">tflite<" in page

    project.tollgate("approve", str(model), "--by", "dana", user="dana")
    released = project.tollgate("release", str(model), "--json")
    served = Path(released["pushed"])
    assert (served / "model.tflite").stat().st_size == summary["serving"]["targets"]["tflite"]["size_bytes"]
    assert (served / "saved_model.pb").is_file()
    lineage = project.tollgate("lineage", str(model), "--json")
    assert [r["targets"] for r in lineage["releases"]] == ["saved_model,tflite"]
    assert lineage["serving"] == summary["serving"]
    # The copy beside the SavedModel is not part of what was signed off.
    assert set(project.served().values()) <= project.approved_digests()


def test_a_model_over_its_latency_budget_is_not_released(tmp_path):
    """No model answers in a nanosecond: every target misses, each in one line."""
    project = Project(tmp_path, config_text="[trainer]\ntrain_steps = 100\n[serving]\nmax_p99_ms = 0.000001\n")
    summary = project.run()
    model = summary["model_id"]
    assert summary["blessed"] is True and summary["serving"]["passed"] is False
    problems = summary["serving"]["problems"]
    assert [p.split(":")[0] for p in problems] == ["saved_model", "tflite"]
    assert all(re.fullmatch(r"\w+: p99 latency [\d.]+ ms is over the budget of 1e-06 ms \(\[serving\] max_p99_ms\)", p)
               for p in problems)
    assert summary["signoff"] is None and summary["pushed"] is None
    assert project.tollgate("pending", "--json") == []
    refused = project.start("release", str(model))
    _, stderr = refused.communicate(timeout=600)
    assert refused.returncode != 0 and len(stderr.strip().splitlines()) == 1
    assert project.served() == {}
    text = project.tollgate("lineage", str(model))
    assert "serving      OVER BUDGET: tflite: p99 latency" in text
    assert project.tollgate("lineage", str(model), "--json")["releases"] == []
