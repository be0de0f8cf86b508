"""Span folders: splitting the taxi sample, choosing a span, reading span lists."""

import csv
import datetime

import pytest

from pipeline.data.check import check_run_data
from pipeline.errors import TollgateError
from pipeline.config import LATEST
from pipeline.data.spans import chosen_span, parse_spans, split_spans, spans_in
from tests.conftest import taxi_rows, write_csv

TIME = "trip_start_timestamp"  # the taxi example's [data] time_column


def _times(path):
    with open(path, newline="") as handle:
        return [int(row[TIME]) for row in csv.DictReader(handle)]


@pytest.fixture
def sample(tmp_path):
    header, rows = taxi_rows(600)
    return write_csv(tmp_path / "sample.csv", header, rows)


def test_monthly_spans_keep_every_row_in_time_order(sample, tmp_path):
    made = split_spans(sample, tmp_path / "spans", TIME)
    folders = spans_in(tmp_path / "spans")
    assert list(folders) == list(range(1, len(made) + 1))
    per_span = [_times(folders[n] / "data.csv") for n in folders]
    assert sum(len(t) for t in per_span) == 600
    months = [{datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m") for t in times}
              for times in per_span]
    assert all(len(m) == 1 for m in months)  # one month per span
    assert [m.pop() for m in months] == [label for _, label, _ in made]
    assert all(max(a) <= min(b) for a, b in zip(per_span, per_span[1:]))


def test_count_makes_equal_spans(sample, tmp_path):
    made = split_spans(sample, tmp_path / "spans", TIME, count=3)
    assert [rows for _, _, rows in made] == [200, 200, 200]


def test_existing_spans_are_not_overwritten(sample, tmp_path):
    split_spans(sample, tmp_path / "spans", TIME, count=2)
    before = (tmp_path / "spans" / "span-1" / "data.csv").read_bytes()
    with pytest.raises(TollgateError, match="already holds span folders"):
        split_spans(sample, tmp_path / "spans", TIME, count=3)
    assert (tmp_path / "spans" / "span-1" / "data.csv").read_bytes() == before
    assert sorted(p.name for p in (tmp_path / "spans").iterdir()) == ["span-1", "span-2"]


def test_a_bad_timestamp_names_the_line_and_writes_nothing(tmp_path):
    header, rows = taxi_rows(5)
    rows[3][header.index("trip_start_timestamp")] = "yesterday"
    source = write_csv(tmp_path / "bad.csv", header, rows)
    with pytest.raises(TollgateError, match="line 5: trip_start_timestamp"):
        split_spans(source, tmp_path / "spans", TIME)
    assert not spans_in(tmp_path / "spans")


def test_latest_or_chosen_span(sample, tmp_path):
    split_spans(sample, tmp_path / "spans", TIME, count=3)
    assert chosen_span(tmp_path / "spans", LATEST)[0] == 3
    assert chosen_span(tmp_path / "spans", 2)[1].name == "span-2"
    with pytest.raises(TollgateError, match=r"no span 7 .*spans 1-3"):
        chosen_span(tmp_path / "spans", 7)
    assert check_run_data(tmp_path / "spans", 1).span == 1
    assert check_run_data(tmp_path / "spans").rows == 200


def test_span_flag_needs_span_folders(small_csv):
    with pytest.raises(TollgateError, match="needs span-N folders"):
        check_run_data(small_csv.parent, 2)


@pytest.mark.parametrize("text, spans", [("1-4", [1, 2, 3, 4]), ("3", [3]), ("1,3,5-6", [1, 3, 5, 6])])
def test_span_lists(text, spans):
    assert parse_spans(text) == spans


@pytest.mark.parametrize("text", ["", "a-b", "6-1", "1-"])
def test_bad_span_lists_are_refused(text):
    with pytest.raises(TollgateError, match="spans"):
        parse_spans(text)


def test_any_csv_splits_by_the_configured_time_column(tmp_path):
    rows = [[str(1_600_000_000 + 40 * 86_400 * (i % 3)), str(i)] for i in range(9)]
    source = write_csv(tmp_path / "events.csv", ["seen_at", "value"], rows)
    made = split_spans(source, tmp_path / "spans", "seen_at")
    assert [rows for _, _, rows in made] == [3, 3, 3]
    with pytest.raises(TollgateError, match="no trip_start_timestamp column to split by; set \\[data\\] time_column"):
        split_spans(source, tmp_path / "other", TIME)
    with pytest.raises(TollgateError, match="set \\[data\\] time_column"):
        split_spans(source, tmp_path / "other", "")
