import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.pandas import column, data_frames, range_indexes
from sklearn.exceptions import NotFittedError as SklearnNotFittedError

import data_gen_utils as dgu

frames = data_frames(
    columns=[
        column("count", dtype=np.int64, elements=st.integers(-(10**9), 10**9)),
        column(
            "amount",
            dtype=float,
            elements=st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
        ),
    ],
    index=range_indexes(min_size=2, max_size=40),
)


@settings(max_examples=60, deadline=None)
@given(frames)
def test_round_trip_gives_back_any_valid_frame(df):
    transformer = dgu.TabularTransformer().fit(df)
    x = transformer.transform(df)
    assert x.shape == (len(df), 2)
    assert np.all((x >= -1) & (x <= 1))
    back = transformer.inverse_transform(x)
    assert list(back.columns) == ["count", "amount"]
    assert back["count"].dtype == np.int64
    np.testing.assert_array_equal(back["count"].to_numpy(), df["count"].to_numpy())
    spread = df["amount"].max() - df["amount"].min()
    np.testing.assert_allclose(back["amount"], df["amount"], rtol=0, atol=1e-9 * spread + 1e-9)


def test_inverse_clips_to_training_range_and_rounds_integers(numeric):
    transformer = dgu.TabularTransformer().fit(numeric)
    x = np.array([[-5.0, 0.0, 5.0], [0.123, -0.456, 0.789]])
    back = transformer.inverse_transform(x)
    assert back.iloc[0, 0] == numeric.iloc[:, 0].min()
    assert back.iloc[0, 2] == numeric.iloc[:, 2].max()
    assert all(back[c].dtype == np.int64 for c in back.columns)


def test_to_dict_from_dict_is_the_same_transformer(numeric):
    import json

    transformer = dgu.TabularTransformer().fit(numeric)
    state = json.loads(json.dumps(transformer.to_dict()))
    copy = dgu.TabularTransformer.from_dict(state)
    x = np.random.default_rng(0).uniform(-1, 1, (50, 3))
    pd.testing.assert_frame_equal(copy.inverse_transform(x), transformer.inverse_transform(x))
    np.testing.assert_array_equal(copy.transform(numeric), transformer.transform(numeric))


def test_non_numeric_columns_are_left_out_with_a_warning(screentime):
    with pytest.warns(dgu.ColumnsLeftOutWarning, match=r"\['Date', 'App'\]"):
        transformer = dgu.TabularTransformer().fit(screentime)
    assert transformer.columns_ == ["Usage (minutes)", "Notifications", "Times Opened"]


def test_explicit_columns_give_no_warning(screentime):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        transformer = dgu.TabularTransformer(columns=["Notifications"]).fit(screentime)
    assert transformer.output_dim == 1


def test_not_fitted():
    transformer = dgu.TabularTransformer()
    with pytest.raises(dgu.NotFittedError, match="call fit"):
        transformer.transform(pd.DataFrame({"a": [1, 2]}))
    with pytest.raises(SklearnNotFittedError):
        transformer.inverse_transform(np.zeros((1, 1)))


@pytest.mark.parametrize(
    ("df", "error", "message"),
    [
        (pd.DataFrame(), dgu.EmptyDataError, "empty"),
        (pd.DataFrame({"a": []}), dgu.EmptyDataError, "0 rows"),
        (pd.DataFrame({"a": [1]}), dgu.InvalidDataError, "at least 2 rows"),
        (pd.DataFrame({"a": ["x", "y"]}), dgu.SchemaError, "no numeric column"),
        (pd.DataFrame({"a": [1.0, np.nan, 3.0]}), dgu.InvalidDataError, "'a' has 1 missing"),
        (pd.DataFrame({"a": [1.0, np.inf, 3.0]}), dgu.InvalidDataError, "'a' has 1 infinite"),
        (
            pd.DataFrame({"Usage": ["12", "n/a", "13", "14"]}),
            dgu.InvalidDataError,
            r"'Usage' has 1 non-numeric values \('n/a'",
        ),
        (np.zeros((3, 2)), dgu.DataGenError, "must be a pandas DataFrame"),
    ],
)
def test_bad_tables_get_a_clear_error(df, error, message):
    with pytest.raises(error, match=message):
        dgu.TabularTransformer().fit(df)


def test_duplicated_column_names():
    df = pd.DataFrame([[1, 2], [3, 4]], columns=["a", "a"])
    with pytest.raises(dgu.SchemaError, match=r"duplicated column names \['a'\]"):
        dgu.TabularTransformer().fit(df)


def test_unknown_and_non_numeric_explicit_columns(screentime):
    with pytest.raises(dgu.SchemaError, match=r"\['Battery'\] are not in the table"):
        dgu.TabularTransformer(columns=["Battery"]).fit(screentime)
    with pytest.raises(dgu.SchemaError, match="'App': 'categorical'"):
        dgu.TabularTransformer(columns=["App", "Notifications"]).fit(screentime)
    with pytest.raises(dgu.SchemaError, match="selects nothing"):
        dgu.TabularTransformer(columns=[]).fit(screentime)


def test_transform_checks_its_input(numeric):
    transformer = dgu.TabularTransformer().fit(numeric)
    with pytest.raises(dgu.ColumnMismatchError, match="Notifications"):
        transformer.transform(numeric.drop(columns="Notifications"))
    with pytest.raises(dgu.DataGenError, match="expected a matrix with 3 columns"):
        transformer.inverse_transform(np.zeros((4, 2)))
