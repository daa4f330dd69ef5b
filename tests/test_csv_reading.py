"""load_data on CSVs pandas would read wrongly without a word: each case warns, refuses or reads."""

import logging
import warnings

import numpy as np
import pandas as pd
import pytest

import data_gen_utils as dgu


def write(tmp_path, text, name="t.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load_quietly(path, **options):
    """Load and fail on any warning at all."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return dgu.load_data(path, **options)


def load_warned(path, match, **options):
    """Load expecting one ReadWarning whose message matches; return the table and the message."""
    with pytest.warns(dgu.ReadWarning, match=match) as record:
        df = dgu.load_data(path, **options)
    assert len(record) == 1
    return df, str(record[0].message)


# -- what works keeps working -------------------------------------------------------


def test_screentime_loads_as_before_without_warning_or_log(caplog):
    with caplog.at_level(logging.INFO, logger="data_gen_utils"):
        df = load_quietly(dgu.Path(__file__).parent.parent / "data" / "screentime_analysis.csv")
    assert caplog.records == []
    assert df.dtypes.astype(str).to_dict() == {
        "Date": "datetime64[ns]",
        "App": "object",
        "Usage (minutes)": "int64",
        "Notifications": "int64",
        "Times Opened": "int64",
    }


# -- separator ------------------------------------------------------------------------


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_separator_is_detected_and_logged(tmp_path, caplog, sep):
    path = write(
        tmp_path,
        sep.join(["n", "app", "x"]) + "\n" + f"1{sep}Netflix{sep}0.5\n2{sep}Maps{sep}1.5\n",
    )
    with caplog.at_level(logging.INFO, logger="data_gen_utils"):
        df = load_quietly(path)
    assert list(df.columns) == ["n", "app", "x"]
    assert df.dtypes.astype(str).tolist() == ["int64", "object", "float64"]
    assert f"separated by {sep!r}" in caplog.text


def test_comma_is_not_logged_and_one_column_falls_back_to_comma(tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="data_gen_utils"):
        df = load_quietly(write(tmp_path, "a,b\n1,2\n3,4\n"))
        one = load_quietly(write(tmp_path, "word\nhello\nworld\n", "one.csv"))
    assert caplog.records == []
    assert df.shape == (2, 2)
    assert list(one.columns) == ["word"]


def test_separator_seen_in_the_rows_but_not_the_header_is_not_taken(tmp_path):
    rows = "".join(f"x|{i}\n" for i in range(20))
    df = load_quietly(write(tmp_path, "text\n" + rows))
    assert df.shape == (20, 1)
    assert df["text"].iloc[0] == "x|0"


def test_given_separator_is_not_second_guessed(tmp_path):
    df = load_quietly(write(tmp_path, "a;b\n1;x\n2;y\n"), sep=",")
    assert list(df.columns) == ["a;b"]


def test_separator_after_skipped_title_lines(tmp_path):
    df = load_quietly(write(tmp_path, "Export of 2024\na;b\n1;2\n3;4\n"), skiprows=1)
    assert list(df.columns) == ["a", "b"]
    assert df["b"].dtype == np.int64


# -- duplicate headers -----------------------------------------------------------------


def test_duplicate_header_is_refused_with_advice(tmp_path):
    path = write(tmp_path, "a;b;a;b;c\n1;2;3;4;5\n")
    with pytest.raises(dgu.SchemaError, match=r"more than once: 'a', 'b'") as info:
        dgu.load_data(path)
    message = str(info.value)
    assert "'a.1'" in message
    assert "Rename them in the file" in message
    assert "names=[...]" in message
    assert "header=0" in message


def test_duplicate_header_with_names_given_is_read(tmp_path):
    path = write(tmp_path, "a,b,a\n1,2,3\n")
    df = load_quietly(path, names=["a", "b", "a2"], header=0)
    assert list(df.columns) == ["a", "b", "a2"]
    assert df["a2"].tolist() == [3]


def test_empty_header_cells_are_not_duplicates(tmp_path):
    df = load_quietly(write(tmp_path, "a,,\n1,2,3\n"))
    assert list(df.columns) == ["a", "Unnamed: 1", "Unnamed: 2"]


# -- text NA markers --------------------------------------------------------------------

NA_TEXT = "code,n,note\nNA,1,ok\nnull,,None\nFR,3,N/A\n"


def test_text_na_markers_are_read_as_missing_with_a_warning(tmp_path):
    df, message = load_warned(write(tmp_path, NA_TEXT), "text NA marker read as missing")
    assert df["code"].isna().tolist() == [True, True, False]
    assert df["n"].dtype == np.float64  # an empty cell: no warning for it
    assert "'code' 2 ('NA': 1, 'null': 1)" in message
    assert "'note' 2 (" in message
    assert "'n'" not in message
    assert "keep_default_na=False, na_values=['']" in message


def test_keeping_na_markers_as_text(tmp_path):
    df = load_quietly(write(tmp_path, NA_TEXT), keep_default_na=False, na_values=[""])
    assert df["code"].tolist() == ["NA", "null", "FR"]
    assert df["note"].tolist() == ["ok", "None", "N/A"]
    assert df["n"].isna().tolist() == [False, True, False]


def test_markers_the_user_asked_for_are_not_warned_about(tmp_path):
    path = write(tmp_path, "code,n\nNA,1\nnull,2\nFR,3\n")
    df, message = load_warned(path, "text NA marker", na_values=["NA"])
    assert "'null': 1" in message
    assert "'NA'" not in message
    assert df["code"].isna().sum() == 2


def test_na_markers_are_counted_in_the_first_rows_only(tmp_path, monkeypatch):
    monkeypatch.setattr(dgu, "_NA_SCAN_ROWS", 2)
    path = write(tmp_path, "code,n\nNA,1\nFR,2\nNA,3\nNA,4\n")
    df, _ = load_warned(path, r"in the first 2 rows: 'code' 1 \('NA': 1\)")
    assert df["code"].isna().sum() == 3


def test_na_count_that_cannot_be_made_is_logged(tmp_path, monkeypatch, caplog):
    real = dgu._raw_cells

    def failing(path, options, **overrides):
        if "usecols" in overrides:
            raise ValueError("boom")
        return real(path, options, **overrides)

    monkeypatch.setattr(dgu, "_raw_cells", failing)
    with caplog.at_level(logging.WARNING, logger="data_gen_utils"):
        df = load_quietly(write(tmp_path, NA_TEXT))
    assert "could not count the text NA markers read as missing: boom" in caplog.text
    assert df["code"].isna().sum() == 2


# -- numbers written as text --------------------------------------------------------------


def test_thousands_separators_in_a_comma_file(tmp_path):
    path = write(tmp_path, 'amount,n\n"1,234",1\n"12,500.5",2\n7,3\n')
    df, message = load_warned(path, r"'amount' \('1,234', '12,500.5', '7'\)")
    assert df["amount"].dtype == object
    assert "stay text" in message
    assert "pass thousands=',' to load_data" in message
    read = load_quietly(path, thousands=",")
    assert read["amount"].tolist() == [1234.0, 12500.5, 7.0]


def test_thousands_separators_in_a_semicolon_file(tmp_path):
    path = write(tmp_path, "amount;n\n1,234,567;1\n12,500;2\n")
    df, message = load_warned(path, "numbers written as text")
    assert df["amount"].dtype == object
    assert "thousands=','" in message
    assert "decimal=','" not in message
    assert load_quietly(path, thousands=",")["amount"].dtype == np.int64


def test_a_comma_that_may_be_a_decimal_mark_is_named_both_ways(tmp_path):
    path = write(tmp_path, "amount;n\n1,234;1\n12,500;2\n")
    _, message = load_warned(path, "numbers written as text")
    assert "thousands=',' (or decimal=',' if the comma is the decimal mark)" in message


def test_decimal_commas(tmp_path):
    path = write(tmp_path, "x;n\n2,5;1\n3,25;2\n4;3\n")
    df, message = load_warned(path, r"'x' \('2,5', '3,25', '4'\)")
    assert df["x"].dtype == object
    assert "pass decimal=','" in message
    assert load_quietly(path, decimal=",")["x"].tolist() == [2.5, 3.25, 4.0]


def test_text_with_commas_is_not_taken_for_numbers(tmp_path):
    df = load_quietly(write(tmp_path, 'city,n\n"Paris, FR",1\n"1,2,3",2\n'))
    assert df["city"].dtype == object


# -- timestamps -----------------------------------------------------------------------------


def test_timestamps_with_one_utc_offset_keep_it(tmp_path):
    path = write(tmp_path, "t,n\n2024-08-07T10:00:00+02:00,1\n2024-08-08T11:30:00+0200,2\n")
    df = load_quietly(path)
    assert str(df["t"].dtype) == "datetime64[ns, UTC+02:00]"
    assert df["t"].iloc[0] == pd.Timestamp("2024-08-07T08:00:00Z")
    assert df["t"].iloc[0].hour == 10


def test_utc_timestamps(tmp_path):
    df = load_quietly(write(tmp_path, "t,n\n2024-08-07T10:00:00Z,1\n2024-08-08 11:30+00:00,2\n"))
    assert str(df["t"].dtype) == "datetime64[ns, UTC]"


def test_timestamps_with_several_offsets_become_utc_with_a_warning(tmp_path):
    path = write(tmp_path, "t,n\n2024-03-30 10:00:00+01:00,1\n2024-04-01 10:00:00+02:00,2\n")
    df, message = load_warned(path, r"column\(s\) 't' \('2024-03-30 10:00:00\+01:00'")
    assert str(df["t"].dtype) == "datetime64[ns, UTC]"
    assert df["t"].dt.hour.tolist() == [9, 8]
    assert "several UTC offsets" in message
    assert "tz_convert" in message


def test_timestamps_with_and_without_offsets_stay_text(tmp_path):
    path = write(tmp_path, "t,n\n2024-08-07T10:00:00Z,1\n2024-08-08T11:30:00,2\n")
    df, message = load_warned(path, "with and without a UTC offset")
    assert df["t"].dtype == object
    assert "stays text" in message


def test_dates_after_2262_stay_text_with_a_warning(tmp_path):
    path = write(tmp_path, "d,n\n2024-01-01,1\n2300-05-05,2\n2400-01-01T00:00:00+01:00,3\n")
    df, message = load_warned(path, r"'d' \('2300-05-05', '2400-01-01T00:00:00\+01:00'\)")
    assert df["d"].tolist() == ["2024-01-01", "2300-05-05", "2400-01-01T00:00:00+01:00"]
    assert "2262-04-11" in message
    assert "stays text" in message


def test_parquet_text_timestamps_with_an_offset_are_parsed(tmp_path):
    path = tmp_path / "t.parquet"
    pd.DataFrame({"t": ["2024-08-07T10:00:00+02:00", None], "n": [1, 2]}).to_parquet(path)
    df = load_quietly(path)
    assert str(df["t"].dtype) == "datetime64[ns, UTC+02:00]"
    assert df["t"].isna().tolist() == [False, True]


def test_durations_written_by_pandas_come_back_as_durations(tmp_path):
    spans = pd.to_timedelta([256, 3600, None, 86400 * 3 + 0.5], unit="s")
    table = pd.DataFrame({"t": spans, "n": [1, 2, 3, 4]})
    path = dgu.save_csv(table, tmp_path / "t.csv")
    assert "0 days 00:04:16" in path.read_text()  # pandas' own way of writing them
    pd.testing.assert_frame_equal(load_quietly(path), table)
    # Times of day and other text with colons stay text.
    df = load_quietly(write(tmp_path, "t,n\n08:30:00,1\n1 day later,2\n", "other.csv"))
    assert df["t"].tolist() == ["08:30:00", "1 day later"]


# -- options ----------------------------------------------------------------------------------


def test_options_pass_through_to_read_csv(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes("ville;n;x\nMâcon;1;a\nSète;2;b\nAlès;3;c\n".encode("latin-1"))
    df = load_quietly(path, encoding="latin-1", usecols=["ville", "n"], nrows=2)
    assert df.to_dict("list") == {"ville": ["Mâcon", "Sète"], "n": [1, 2]}


def test_options_pass_through_to_read_parquet(tmp_path):
    path = tmp_path / "t.parquet"
    pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}).to_parquet(path)
    assert list(load_quietly(path, columns=["b"]).columns) == ["b"]


@pytest.mark.parametrize("option", ["bogus", "filepath_or_buffer"])
def test_unknown_csv_option_is_named(tmp_path, option):
    with pytest.raises(dgu.ConfigError, match=rf"pd\.read_csv, which does not take '{option}'"):
        dgu.load_data(write(tmp_path, "a\n1\n"), **{option: 1})


def test_csv_option_for_a_parquet_file_is_named(tmp_path):
    path = tmp_path / "t.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(path)
    with pytest.raises(dgu.ConfigError, match=r"Parquet file\), which does not take 'sep'"):
        dgu.load_data(path, sep=";")


def test_option_refused_by_pyarrow_is_named(tmp_path):
    path = tmp_path / "t.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(path)
    with pytest.raises(dgu.ConfigError, match=r"with bogus_kw=1: .*bogus_kw.*Check these options"):
        dgu.load_data(path, bogus_kw=1)


@pytest.mark.parametrize("option", [{"chunksize": 10}, {"iterator": True}])
def test_reading_in_parts_is_refused(tmp_path, option):
    with pytest.raises(dgu.ConfigError, match="drop iterator/chunksize"):
        dgu.load_data(write(tmp_path, "a\n1\n"), **option)


def test_bad_option_value_is_named(tmp_path):
    with pytest.raises(dgu.DataFileError, match=r"with nrows='ten': .*Check these options"):
        dgu.load_data(write(tmp_path, "a\n1\n"), nrows="ten")


def test_bad_encoding_is_named(tmp_path):
    with pytest.raises(dgu.ConfigError, match="unknown encoding='nope'"):
        dgu.load_data(write(tmp_path, "a\n1\n"), encoding="nope")


def test_bad_option_type_is_our_error_not_a_type_error(tmp_path):
    path = write(tmp_path, "a,b\n1,2\n")
    with pytest.raises(dgu.ConfigError, match=r"with sep=5: .*Check these options"):
        dgu.load_data(path, sep=5)


def test_path_that_is_not_a_path(tmp_path):
    with pytest.raises(dgu.DataFileError, match=r"must be a file path .* got NoneType"):
        dgu.load_data(None)


def test_text_that_is_not_utf8_says_so(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"a;b\n\xe9t\xe9;1\n")
    with pytest.raises(dgu.DataFileError, match=r"cannot read .*codec.*Is it a valid \.csv file\?"):
        dgu.load_data(path)
    assert load_quietly(path, encoding="latin-1")["a"].tolist() == ["été"]
