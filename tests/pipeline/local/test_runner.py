"""The local runner: a log file per run, nothing else changed for good, and a lean start-up."""

import logging
import subprocess
import sys

from absl import logging as absl_logging

from pipeline.local.progress import Progress
from pipeline.local.runner import _logged_to
from tests.conftest import REPO


def test_a_run_logs_to_its_file_and_leaves_other_handlers_alone(tmp_path, caplog):
    root = logging.getLogger()
    theirs = logging.NullHandler()  # say, a notebook's
    root.addHandler(theirs)
    level, verbosity = root.level, absl_logging.get_verbosity()
    log = tmp_path / "logs" / "run.log"
    try:
        with caplog.at_level(logging.INFO), _logged_to(log, Progress()):
            assert theirs in root.handlers
            assert any(getattr(h, "baseFilename", "") == str(log) for h in root.handlers)
            logging.getLogger("tfx.test").info("Component %s is running.", "Trainer")
        assert theirs in root.handlers
        assert not any(isinstance(h, Progress) or getattr(h, "baseFilename", "") == str(log) for h in root.handlers)
    finally:
        root.removeHandler(theirs)
    assert (root.level, absl_logging.get_verbosity()) == (level, verbosity)
    assert "Component Trainer is running." in log.read_text()
    assert "Component Trainer is running." in caplog.text  # pytest's own handler saw it too


# The pipeline compiled and every executor it names imported, as a run's
# process does before its steps run.
_RUN_IMPORTS = """
import importlib, sys
from pipeline.environment import prepare_process
prepare_process()
from tfx.proto.orchestration import executable_spec_pb2, pipeline_pb2
from pipeline.config_file import load_config
from pipeline.definition.pipeline import create_pipeline
from pipeline.local.runner import _compiled
ir = _compiled(create_pipeline(load_config(None, home=sys.argv[1])), "a-run")
deployment = pipeline_pb2.IntermediateDeploymentConfig()
ir.deployment_config.Unpack(deployment)
for packed in deployment.executor_specs.values():
    spec = executable_spec_pb2.BeamExecutableSpec()
    if not packed.Unpack(spec):
        spec = executable_spec_pb2.PythonClassExecutableSpec()
        packed.Unpack(spec)
    class_path = getattr(spec, "python_executor_spec", spec).class_path
    module, _ = class_path.rsplit(".", 1)
    importlib.import_module(module)
print(sorted(m for m in sys.modules if m == "tfx.v1" or m.startswith(("tfx.v1.", "google.cloud.aiplatform"))))
"""


def test_a_runs_process_imports_none_of_tfxs_cloud_extensions(tmp_path):
    """`tfx.v1` imports every Google Cloud extension (seconds of start-up in each
    process, and a screen of warnings); Tollgate's code imports TFX's own modules."""
    result = subprocess.run([sys.executable, "-c", _RUN_IMPORTS, str(tmp_path)], cwd=REPO,
                            capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "[]"
