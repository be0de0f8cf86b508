"""Per-step progress on this machine: one line per step, with its state and time.

LocalDagRunner runs the steps one after another and logs when each starts,
finishes, or is served from the cache; as a logging handler, this turns
those records into the lines. `tollgate kubeflow run-local` calls start()
and finish() itself, from what kfp.local's tasks print. Everything else
goes to the run's log file only.
"""

import logging
import sys
import time

_RUNNING = "Component %s is running."
_FINISHED = "Component %s is finished."
_CACHED = "A cached execution %d is used."


class Progress(logging.Handler):
    def __init__(self, total: int = 0, stream=None):
        super().__init__(level=logging.INFO)
        self.total = total  # set once the pipeline is defined
        self.stream = stream or sys.stderr
        self.index = 0
        self.current: str | None = None
        self._cached = False
        self._started = 0.0

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == _RUNNING:
            self.start(str(record.args[0]))
        elif record.msg == _CACHED:
            self._cached = True
        elif record.msg == _FINISHED and self.current:
            self.finish("cached" if self._cached else "done")

    def start(self, step: str) -> None:
        self.index += 1
        self.current = step
        self._cached = False
        self._started = time.monotonic()
        self._write(f"[{self.index:>2}/{self.total}] {self.current:<28}")

    def finish(self, state: str) -> None:
        """Ends the open line with the step's state and time."""
        if self.current:
            self._write(f" {state:<6} {time.monotonic() - self._started:6.1f}s\n")
            self.current = None

    def fail(self, state: str = "FAILED") -> None:
        """Ends the open line when a step raised instead of finishing; `current`
        still names the step, for the error message."""
        step = self.current
        self.finish(state)
        self.current = step

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()
