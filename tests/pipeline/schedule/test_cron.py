import datetime

import pytest

from pipeline.schedule.cron import describe, next_runs, to_kfp
from pipeline.errors import TollgateError

MONDAY = datetime.datetime(2026, 11, 23, 0, 20, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize("cron, kfp", [
    ("30 2 * * *", "0 30 2 * * *"),
    ("*/15 * * * *", "0 */15 * * * *"),
    ("@daily", "0 0 0 * * *"),
    ("@hourly", "0 0 * * * *"),
    ("0 9 * * 1-5", "0 0 9 * * 1-5"),
    ("0 0 * * 7", "0 0 0 * * 0"),  # Sunday: cron allows 7, KFP's parser only 0
    ("0 0 * * 5-7", "0 0 0 * * 0,5,6"),
    ("0 0 * * */7", "0 0 0 * * */7"),  # a step of 7 is not Sunday
    ("0 6 1 JAN MON", "0 0 6 1 JAN MON"),
])
def test_five_fields_become_kfp_six(cron, kfp):
    assert to_kfp(cron) == kfp


@pytest.mark.parametrize("cron, message", [
    ("0 0 0 * * *", "six fields"),
    ("* * *", "needs five fields"),
    ("60 * * * *", "outside 0-59"),
    ("0 24 * * *", "outside 0-23"),
    ("0 0 0 * *", "outside 1-31"),
    ("*/0 * * * *", "step must be a positive number"),
    ("x * * * *", "not a number"),
])
def test_bad_cron_is_refused_with_the_field_named(cron, message):
    with pytest.raises(TollgateError, match=message):
        to_kfp(cron)


def test_next_runs_are_in_utc():
    runs = next_runs(to_kfp("30 2 * * *"), MONDAY)
    assert [r.isoformat() for r in runs] == [
        "2026-11-23T02:30:00+00:00", "2026-11-24T02:30:00+00:00", "2026-11-25T02:30:00+00:00",
    ]
    local = MONDAY.astimezone(datetime.timezone(datetime.timedelta(hours=-8)))
    assert next_runs(to_kfp("30 2 * * *"), local) == runs


def test_day_of_month_or_day_of_week_like_cron():
    runs = next_runs(to_kfp("0 0 1 * MON"), MONDAY)
    assert [r.date().isoformat() for r in runs] == ["2026-11-30", "2026-12-01", "2026-12-07"]


def test_describe_prints_the_kfp_form_and_says_utc():
    text = describe("30 2 * * *", MONDAY)
    assert "0 30 2 * * *" in text and "UTC" in text and "2026-11-23 02:30" in text
