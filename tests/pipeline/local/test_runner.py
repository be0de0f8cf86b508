"""The local runner's logging: a file per run, and nothing else changed for good."""

import logging

from absl import logging as absl_logging

from pipeline.local.progress import Progress
from pipeline.local.runner import _logged_to


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
