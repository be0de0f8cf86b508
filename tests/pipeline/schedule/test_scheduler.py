"""The local scheduler's timetable, missed runs, state file and lock (no pipeline runs here;
tests/e2e/test_continuous_e2e.py runs real ones)."""

import datetime

import pytest

from pipeline.errors import TollgateError
from pipeline.schedule.scheduler import Scheduler, StateFile, Timetable, due

T0 = datetime.datetime(2026, 11, 23, 2, 0, 0, tzinfo=datetime.timezone.utc)


def test_cron_is_read_in_utc():
    timetable = Timetable(cron="30 2 * * *")
    assert timetable.after(T0) == T0.replace(minute=30)
    assert timetable.after(T0.replace(minute=30)) == T0.replace(day=24, minute=30)


def test_interval_in_seconds():
    assert Timetable(every=2.5).after(T0) == T0 + datetime.timedelta(seconds=2.5)


@pytest.mark.parametrize("kwargs, message", [
    ({}, "exactly one"), ({"cron": "* * * * *", "every": 5}, "exactly one"),
    ({"every": 0}, "positive"), ({"cron": "61 * * * *"}, "outside 0-59"),
])
def test_bad_timetables_are_refused(kwargs, message):
    with pytest.raises(TollgateError, match=message):
        Timetable(**kwargs)


def test_missed_runs_are_skipped_unless_caught_up():
    timetable = Timetable(every=60)
    now = T0 + datetime.timedelta(seconds=250)  # T0, +60, +120, +180, +240 are due
    times, skipped = due(timetable, T0, now, catch_up=False)
    assert times == [T0 + datetime.timedelta(seconds=240)] and skipped == 4
    times, skipped = due(timetable, T0, now, catch_up=True)
    assert len(times) == 5 and times[0] == T0 and skipped == 0


def test_state_file_remembers_the_last_scheduled_time(tmp_path):
    state = StateFile(tmp_path / "schedule.json")
    assert state.last() is None
    state.record(T0)
    assert StateFile(tmp_path / "schedule.json").last() == T0


def test_catch_up_starts_after_the_last_recorded_run(tmp_path):
    Scheduler(Timetable(every=60), [], tmp_path, "p").state.record(T0)
    caught_up = Scheduler(Timetable(every=60), [], tmp_path, "p", catch_up=True)
    assert caught_up._first() == T0 + datetime.timedelta(seconds=60)
    fresh = Scheduler(Timetable(every=60), [], tmp_path, "p")
    assert fresh._first() > datetime.datetime.now(datetime.timezone.utc)


def test_a_second_scheduler_on_the_same_pipeline_is_refused(tmp_path):
    import fcntl

    first = Scheduler(Timetable(every=60), [], tmp_path, "p")
    with open(first.lock_path, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        second = Scheduler(Timetable(every=60), [], tmp_path, "p", say=lambda line: None)
        with pytest.raises(TollgateError, match="another scheduler"):
            second.serve()
