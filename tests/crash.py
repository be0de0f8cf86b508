"""`python -m tests.crash NODE SECONDS -- TOLLGATE-ARGS`: runs `tollgate` and
SIGKILLs it while the step NODE is running, the way the OOM killer or an
evicted pod ends a run: no handler, no clean-up, nothing flushed.

Only the moment is arranged: the kill comes SECONDS after NODE's executor
starts or, for a step quicker than that, the instant its executor returns,
before TFX records the step as done. Either way TFX has registered the step
as running and has not yet published its outputs. Everything else, the
executor, TFX, Beam, MLMD and Milvus, is the real thing.
"""

import os
import signal
import sys
import threading

from pipeline.environment import prepare_process


def _kill() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def arm(node: str, seconds: float) -> None:
    from tfx.orchestration.portable import launcher

    run_executor = launcher.Launcher._run_executor

    def crashing(self, execution_info):
        if execution_info.pipeline_node.node_info.id != node:
            return run_executor(self, execution_info)
        sys.stderr.write(f"tests.crash: killing the run {seconds}s into {node}\n")
        threading.Timer(seconds, _kill).start()
        run_executor(self, execution_info)
        _kill()

    launcher.Launcher._run_executor = crashing


def main() -> int:
    node, seconds, separator, *args = sys.argv[1:]
    assert separator == "--", __doc__
    prepare_process()
    arm(node, float(seconds))
    from pipeline.cli.main import main as tollgate

    return tollgate(args)


if __name__ == "__main__":
    sys.exit(main())
