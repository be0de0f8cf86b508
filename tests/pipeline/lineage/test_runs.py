"""Run records read back from a real MLMD store laid out as TFX lays out
runs (tests/pipeline/lineage/layout.py)."""

from components.artifact_types import RELEASE
from pipeline.lineage.runs import latest_run, list_runs, run_record, step_outputs
from tests.pipeline.lineage.layout import Event, Execution, Layout


def test_each_run_names_its_steps_by_node_and_finds_its_model_and_release(tmp_path):
    layout = Layout(tmp_path / "metadata.sqlite")
    first = layout.run("r1", [("CsvExampleGen", Execution.COMPLETE, ["Examples"]),
                              ("Trainer", Execution.COMPLETE, ["Model"]),
                              ("Pusher", Execution.COMPLETE, [RELEASE])])
    second = layout.run("r2", [("Trainer", Execution.CACHED, ["Model"]),
                               ("latest_model_resolver", Execution.COMPLETE, []),
                               ("Evaluator", Execution.RUNNING, [])])
    # The resolver hands on a model newer than the one r2's (cached) Trainer gave:
    # r2's model is still its Trainer's.
    newer = layout.run("r3", [("Trainer", Execution.COMPLETE, ["Model"])])["Model"]
    layout.store.put_events([Event(type=Event.OUTPUT, artifact_id=newer,
                                   execution_id=run_record(layout.store, "r2").steps[1].execution_id)])
    runs = list_runs(layout.store, "p")
    assert [r.run_id for r in runs] == ["r1", "r2", "r3"] and newer > second["Model"]
    assert [s.node for s in runs[0].steps] == ["CsvExampleGen", "Trainer", "Pusher"]
    assert (runs[0].status, runs[0].model_id, runs[0].pushed) == ("succeeded", first["Model"], "/serving/Pusher")
    assert (runs[1].status, runs[1].model_id, runs[1].pushed) == ("incomplete", second["Model"], None)
    assert [s.state for s in runs[1].steps] == ["cached", "done", "running"]
    assert runs == [run_record(layout.store, run) for run in ("r1", "r2", "r3")]


def test_the_newest_runs_and_the_latest_alone_read_the_same_records(tmp_path):
    layout = Layout(tmp_path / "metadata.sqlite")
    for number in range(4):
        layout.run(f"r{number}", [("Trainer", Execution.FAILED if number == 3 else Execution.COMPLETE, ["Model"])])
    every = list_runs(layout.store, "p")
    assert list_runs(layout.store, "p", newest=2) == every[-2:]
    assert latest_run(layout.store, "p") == every[-1] and every[-1].status == "failed"
    assert step_outputs(layout.store, every[0], "Trainer")["Model"].id == every[0].model_id
    assert list_runs(layout.store, "another pipeline") == [] and latest_run(layout.store, "q") is None
