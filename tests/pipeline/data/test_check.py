import pytest

from pipeline.config_file import load_config
from pipeline.data.check import check_data, expected_columns
from pipeline.errors import TollgateError
from tests.conftest import TAXI_CSV, taxi_rows, write_csv


def test_taxi_sample_passes():
    summary = check_data(TAXI_CSV.parent)
    assert summary.files == (TAXI_CSV,)
    assert summary.rows == 15002


def test_single_file_and_folder(small_csv):
    assert check_data(small_csv).rows == 50
    assert check_data(small_csv.parent).rows == 50


def test_missing_path(tmp_path):
    with pytest.raises(TollgateError, match="does not exist"):
        check_data(tmp_path / "nowhere")


def test_folder_without_csv(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(TollgateError, match="no .csv files"):
        check_data(tmp_path)


def test_empty_file(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(TollgateError, match="is empty"):
        check_data(tmp_path / "empty.csv")


def test_header_only(tmp_path):
    header, _ = taxi_rows(0)
    path = write_csv(tmp_path / "h.csv", header, [])
    with pytest.raises(TollgateError, match="header but no rows"):
        check_data(path)


def test_missing_column(tmp_path):
    header, rows = taxi_rows(5)
    drop = header.index("fare")
    path = write_csv(
        tmp_path / "m.csv",
        [c for i, c in enumerate(header) if i != drop],
        [[v for i, v in enumerate(r) if i != drop] for r in rows],
    )
    with pytest.raises(TollgateError, match="missing column\\(s\\) fare"):
        check_data(path)


@pytest.mark.parametrize("column, value", [("fare", "twelve"), ("trip_start_hour", "7.5")])
def test_wrong_type_names_line_and_column(tmp_path, column, value):
    header, rows = taxi_rows(5)
    rows[3][header.index(column)] = value
    path = write_csv(tmp_path / "t.csv", header, rows)
    with pytest.raises(TollgateError, match=f"line 5, column '{column}': '{value}'"):
        check_data(path)


def test_ragged_row(tmp_path):
    header, rows = taxi_rows(5)
    rows[1] = rows[1][:3]
    path = write_csv(tmp_path / "r.csv", header, rows)
    with pytest.raises(TollgateError, match="line 3 has 3 fields"):
        check_data(path)


def _churn(tmp_path, header="age,region,churned\n"):
    path = tmp_path / "churn.csv"
    path.write_text(header + "40,east,1\n22,west,0\n")
    return path


def _module_config(path, **overrides):
    return load_config(None, model__module="churn.py", model__label_key="churned", model__problem="binary",
                       data_root=str(path), **overrides)


def test_another_modules_csv_is_checked_for_its_shape_not_the_taxi_columns(tmp_path):
    path = _churn(tmp_path)
    assert check_data(path, expected_columns(_module_config(path))).rows == 2
    with pytest.raises(TollgateError, match="missing column"):
        check_data(path, expected_columns(load_config(None)))


@pytest.mark.parametrize("key, value", [
    ("evaluator__slice_features", ["colour"]),
    ("validation__drift_features", ["colour"]),
    ("embeddings__columns", ["colour"]),
])
def test_a_column_the_config_names_and_the_data_lacks_is_one_line(tmp_path, key, value):
    path = _churn(tmp_path)
    config = _module_config(path, model__embedding_signature="embed", **{key: value})
    with pytest.raises(TollgateError) as error:
        check_data(path, expected_columns(config))
    message = str(error.value)
    assert "no column 'colour'" in message and key.replace("__", ".") in message and "\n" not in message


SCHEMA = """
feature { name: "age" type: INT }
feature { name: "region" type: BYTES }
feature { name: "churned" type: INT }
feature { name: "spend" type: FLOAT }
"""


def test_a_curated_schema_names_the_columns_and_their_kinds(tmp_path):
    (tmp_path / "schema.pbtxt").write_text(SCHEMA)
    config = _module_config(tmp_path, validation__schema_file=str(tmp_path / "schema.pbtxt"))
    with pytest.raises(TollgateError, match=r"missing column\(s\) spend, which the schema .*schema.pbtxt lists"):
        check_data(_churn(tmp_path), expected_columns(config))
    typo = tmp_path / "typo.csv"
    typo.write_text("age,region,churned,spend\n40,east,1,12.5\n22,west,0,lots\n")
    with pytest.raises(TollgateError, match=r"line 3, column 'spend': 'lots' is not a number"):
        check_data(typo, expected_columns(config))


def test_without_a_curated_schema_the_last_runs_inferred_one_decides(tmp_path):
    (tmp_path / "inferred.pbtxt").write_text(SCHEMA)
    config = _module_config(tmp_path)
    with pytest.raises(TollgateError, match="which the schema the pipeline's last run inferred"):
        check_data(_churn(tmp_path), expected_columns(config, tmp_path / "inferred.pbtxt"))
    assert check_data(_churn(tmp_path), expected_columns(config)).rows == 2  # the first run: any columns
