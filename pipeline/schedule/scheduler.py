"""`tollgate schedule`: runs the pipeline on a cron schedule, in the foreground.

Made to sit under systemd, a container or tmux:
- one run at a time: each run is a child process (`tollgate run`), started
  only after the previous one ended, and a lock file keeps a second
  scheduler off the same state folder and pipeline;
- each run writes its own log file, as `tollgate run` always does; this
  process prints one line as each run starts and ends;
- a run missed while another ran (or while the scheduler was down) is
  skipped, and the newest missed time runs once, as KFP's no-catch-up does;
  `--catch-up` runs every missed time in order instead;
- SIGTERM or Ctrl-C stops it after the current run ends; a second one stops
  that run too. It exits 0 when stopped.

A child process per run keeps a scheduler that lives for months from
growing with every TensorFlow graph a run builds.
"""

from __future__ import annotations

import datetime
import fcntl
import json
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Callable

from pipeline.errors import TollgateError
from pipeline.schedule.cron import next_runs, to_kfp

UTC = datetime.timezone.utc
# Catching up after a long outage with a seconds-long interval could mean
# thousands of runs; past this many, the oldest are dropped with a warning.
MAX_CATCH_UP = 100


def now_utc() -> datetime.datetime:
    return datetime.datetime.now(UTC)


class Timetable:
    """When runs are due: a five-field cron (UTC) or a fixed interval in seconds."""

    def __init__(self, cron: str | None = None, every: float | None = None):
        if (cron is None) == (every is None):
            raise TollgateError("give exactly one of --cron and --every")
        if every is not None and every <= 0:
            raise TollgateError("--every must be a positive number of seconds")
        self.kfp_cron = to_kfp(cron) if cron is not None else None
        self.every = every
        self.text = f"cron '{cron}' (UTC)" if cron is not None else f"every {every:g}s"

    def after(self, moment: datetime.datetime) -> datetime.datetime:
        if self.every is not None:
            return moment + datetime.timedelta(seconds=self.every)
        found = next_runs(self.kfp_cron, moment, 1)
        if not found:
            raise TollgateError(f"{self.text} never fires")
        return found[0]


def due(timetable: Timetable, first: datetime.datetime, now: datetime.datetime,
        catch_up: bool) -> tuple[list[datetime.datetime], int]:
    """The scheduled times to run now, oldest first, and how many were skipped."""
    times = []
    moment = first
    while moment <= now:
        times.append(moment)
        moment = timetable.after(moment)
    kept = times[-MAX_CATCH_UP:] if catch_up else times[-1:]
    return kept, len(times) - len(kept)


class StateFile:
    """The last scheduled time that ran, so a restart knows what it missed."""

    def __init__(self, path: Path):
        self.path = path

    def last(self) -> datetime.datetime | None:
        try:
            return datetime.datetime.fromisoformat(json.loads(self.path.read_text())["last_scheduled"])
        except (FileNotFoundError, KeyError, ValueError):
            return None

    def record(self, moment: datetime.datetime) -> None:
        scratch = self.path.with_suffix(".tmp")
        scratch.write_text(json.dumps({"last_scheduled": moment.isoformat()}))
        scratch.replace(self.path)


class Scheduler:
    def __init__(self, timetable: Timetable, run_args: list[str], state_dir: Path, name: str,
                 catch_up: bool = False, say: Callable[[str], None] | None = None):
        self.timetable = timetable
        self.run_args = run_args
        self.catch_up = catch_up
        self.say = say or (lambda line: print(line, flush=True))
        state_dir.mkdir(parents=True, exist_ok=True)
        self.state = StateFile(state_dir / f"schedule-{name}.json")
        self.lock_path = state_dir / f"schedule-{name}.lock"
        self.stop = threading.Event()
        self.child: subprocess.Popen | None = None

    def on_signal(self, signum, _frame) -> None:
        if self.stop.is_set() and self.child is not None and self.child.poll() is None:
            self.say("second stop signal: ending the current run now")
            self.child.terminate()
        elif not self.stop.is_set():
            running = self.child is not None and self.child.poll() is None
            self.say(f"{signal.Signals(signum).name}: stopping" + (" after the current run" if running else ""))
            self.stop.set()

    def _first(self) -> datetime.datetime:
        last = self.state.last() if self.catch_up else None
        return self.timetable.after(last or now_utc())

    def run_once(self, scheduled: datetime.datetime) -> int:
        started = now_utc()
        self.say(f"run for {scheduled:%Y-%m-%d %H:%M:%S} UTC: starting")
        # A session of its own: Ctrl-C in the terminal reaches only this
        # process, which lets the run finish.
        self.child = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "run", *self.run_args],
                                      start_new_session=True)
        code = self.child.wait()
        self.child = None
        seconds = (now_utc() - started).total_seconds()
        outcome = {0: "finished", 1: "failed", 2: "refused its input"}.get(code, f"ended with code {code}")
        self.say(f"run for {scheduled:%Y-%m-%d %H:%M:%S} UTC: {outcome} in {seconds:.1f}s")
        self.state.record(scheduled)
        return code

    def serve(self) -> int:
        with open(self.lock_path, "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise TollgateError(
                    f"another scheduler already runs this pipeline ({self.lock_path} is locked); stop it first"
                ) from None
            self._loop()
        self.say("scheduler stopped")
        return 0

    def _loop(self) -> None:
        upcoming = self._first()
        self.say(f"scheduled {self.timetable.text}; next run at {upcoming:%Y-%m-%d %H:%M:%S} UTC")
        while not self.stop.is_set():
            wait = (upcoming - now_utc()).total_seconds()
            if wait > 0:
                self.stop.wait(wait)
                continue
            times, skipped = due(self.timetable, upcoming, now_utc(), self.catch_up)
            if skipped:
                self.say(f"skipped {skipped} missed run(s); --catch-up replays them")
            for moment in times:
                if self.stop.is_set():
                    return
                self.run_once(moment)
            upcoming = self.timetable.after(times[-1])


def install_signal_handlers(scheduler: Scheduler) -> None:
    signal.signal(signal.SIGTERM, scheduler.on_signal)
    signal.signal(signal.SIGINT, scheduler.on_signal)
