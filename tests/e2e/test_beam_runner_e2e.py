"""The whole pipeline on Beam's portable runner, with the job service in the
`tollgate` process (`--runner=PortableRunner --job_endpoint=embed
--environment_type=LOOPBACK`): each Beam step goes through Beam's job API,
and every source, DoFn and sink is pickled and handed to an SDK worker, as
Dataflow, Flink and Spark hand them on.

What only a real cluster shows: workers on other machines, which need the
image or package that `--sdk_container_image` names, and storage that
every worker reaches (gs://, s3://), where here all is one local folder.
"""

from pathlib import Path

import pytest
import tensorflow as tf

from tests.e2e.project import Project

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]
PORTABLE = ('[beam]\nextra_args = ["--runner=PortableRunner", "--job_endpoint=embed", '
            '"--environment_type=LOOPBACK"]\n')
# The steps that run a Beam pipeline on this data (Transform takes its in-place path: no pass over the
# data; ExampleGen reads through Arrow in its own process, components/arrow_example_gen).
BEAM_JOBS = ("StatisticsGen", "EmbeddingExporter", "Evaluator")


def examples_written(home: Path) -> dict[str, int]:
    """The examples in each split ExampleGen wrote, counted in its TFRecords."""
    [output] = (home / "pipelines" / "tollgate" / "CsvExampleGen" / "examples").iterdir()
    return {split.name: sum(1 for _ in tf.data.TFRecordDataset([str(f) for f in split.iterdir()], "GZIP"))
            for split in sorted(output.iterdir())}


def test_the_whole_pipeline_runs_to_the_sign_off_on_the_portable_runner(tmp_path):
    project = Project(tmp_path, "[trainer]\ntrain_steps = 100\n" + PORTABLE)
    run = project.run()
    assert run["status"] == "awaiting sign-off" and run["blessed"], run
    log = Path(run["log"]).read_text()
    for step in BEAM_JOBS:
        during = log.split(f"Component {step} is running.", 1)[1].split("absl: Component ", 1)[0]
        assert "portable_runner: Job state changed to DONE" in during, step
    written = examples_written(project.home)
    assert set(written) == {"Split-train", "Split-eval"} and sum(written.values()) == project.rows
    lineage = project.tollgate("lineage", str(run["model_id"]), "--json")
    assert lineage["data"]["rows"] == {name.removeprefix("Split-"): n for name, n in written.items()}
    assert lineage["anomalies"]["found"] == [] and lineage["evaluation"]["blessed"]
