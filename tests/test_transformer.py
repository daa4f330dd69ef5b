import datetime as dt
import json
import warnings
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError as SklearnNotFittedError

import data_gen_utils as dgu


@st.composite
def tables(draw):
    """Valid mixed tables: integers, floats, categories, booleans, dates, with gaps."""
    n = draw(st.integers(2, 30))

    def column(elements, missing):
        values = draw(st.lists(elements, min_size=n, max_size=n))
        if missing:
            holes = draw(st.lists(st.booleans(), min_size=n, max_size=n))
            holes[0] = False  # an entirely missing column is refused, on purpose
            values = [None if hole else v for v, hole in zip(values, holes, strict=True)]
        return values

    missing = draw(st.booleans())
    df = pd.DataFrame(
        {
            "count": column(st.integers(-(10**9), 10**9), False),
            "amount": column(st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False), missing),
            "app": column(st.sampled_from(["Netflix", "X", "8 Ball Pool", "Safari"]), missing),
            "flag": column(st.booleans(), False),
            "day": pd.to_datetime(
                column(
                    st.dates(pd.Timestamp("2000-01-01").date(), pd.Timestamp("2030-12-31").date()),
                    False,
                )
            ),
        }
    )
    df["amount"] = df["amount"].astype(float)
    return df


@settings(max_examples=60, deadline=None)
@given(tables())
def test_round_trip_gives_back_any_valid_frame(df):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dgu.ConstantColumnWarning)
        # A float column of whole numbers is modelled as an integer: declare it.
        transformer = dgu.TabularTransformer(schema={"amount": "continuous"}).fit(df)
    x = transformer.transform(df)
    assert x.shape == (len(df), transformer.output_dim)
    back = transformer.inverse_transform(x)
    assert list(back.columns) == list(df.columns)
    assert back.dtypes.to_dict() == df.dtypes.to_dict()
    for column in ["count", "app", "flag", "day"]:
        pd.testing.assert_series_equal(back[column], df[column])
    assert back["amount"].isna().tolist() == df["amount"].isna().tolist()
    spread = df["amount"].max() - df["amount"].min() if df["amount"].notna().any() else 0
    np.testing.assert_allclose(back["amount"], df["amount"], rtol=0, atol=1e-9 * spread + 1e-9)


def test_screentime_round_trip_and_layout(screentime):
    transformer = dgu.TabularTransformer().fit(screentime)
    assert transformer.schema_ == {
        "Date": "datetime",
        "App": "categorical",
        "Usage (minutes)": "integer",
        "Notifications": "integer",
        "Times Opened": "integer",
    }
    assert transformer.output_info_ == [
        (1, "tanh"),
        (8, "softmax"),
        (1, "tanh"),
        (1, "tanh"),
        (1, "tanh"),
    ]
    back = transformer.inverse_transform(transformer.transform(screentime))
    pd.testing.assert_frame_equal(back, screentime)


def test_date_strings_come_back_in_their_format():
    df = pd.DataFrame({"d": ["01/08/2024", "15/08/2024", "30/08/2024"], "n": [1, 2, 3]})
    transformer = dgu.TabularTransformer().fit(df)
    assert transformer.schema_["d"] == "datetime"
    back = transformer.inverse_transform(transformer.transform(df))
    assert back["d"].tolist() == df["d"].tolist()


def test_inverse_clips_to_training_range_rounds_integers_and_picks_known_categories(screentime):
    transformer = dgu.TabularTransformer().fit(screentime)
    x = np.zeros((2, transformer.output_dim))
    x[0, 0], x[1, 0] = -5.0, 5.0  # Date, far outside [-1, 1]
    x[:, 1 + 3] = 10.0  # the 4th App wins
    x[0, 9:] = [-5.0, 0.123, 5.0]
    back = transformer.inverse_transform(x)
    assert back["Date"].tolist() == [screentime["Date"].min(), screentime["Date"].max()]
    assert back["App"].tolist() == [sorted(screentime["App"].unique())[3]] * 2
    assert back.loc[0, "Usage (minutes)"] == screentime["Usage (minutes)"].min()
    assert back.loc[0, "Times Opened"] == screentime["Times Opened"].max()
    assert back["Notifications"].dtype == np.int64


def test_missing_values_are_modelled_with_an_indicator():
    df = pd.DataFrame({"a": [1.5, np.nan, 3.5, np.nan], "c": ["x", None, "y", "x"]})
    transformer = dgu.TabularTransformer().fit(df)
    assert transformer.output_info_ == [(1, "tanh"), (2, "softmax"), (3, "softmax")]
    x = transformer.transform(df)
    np.testing.assert_array_equal(x[:, 1:3], [[1, 0], [0, 1], [1, 0], [0, 1]])
    back = transformer.inverse_transform(x)
    assert back["a"].isna().tolist() == [False, True, False, True]
    assert back["c"].isna().tolist() == [False, True, False, False]


def test_to_dict_from_dict_is_the_same_transformer(screentime):
    transformer = dgu.TabularTransformer().fit(screentime)
    state = json.loads(json.dumps(transformer.to_dict()))
    copy = dgu.TabularTransformer.from_dict(state)
    x = np.random.default_rng(0).uniform(-1, 1, (50, transformer.output_dim))
    pd.testing.assert_frame_equal(copy.inverse_transform(x), transformer.inverse_transform(x))
    np.testing.assert_array_equal(copy.transform(screentime), transformer.transform(screentime))


def test_id_like_and_high_cardinality_columns_are_left_out_with_the_reason():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "user_id": [f"u{i}" for i in range(1200)],
            "city": [f"c{i % 600}" for i in range(1200)],  # each twice
            # A car's name: most occur once, a few models many times.
            "name": [f"car{i}" if i < 700 else f"model{i % 5}" for i in range(1200)],
            "brand": [f"b{i % 300}" if i < 500 else "ford" for i in range(1200)],
            "n": rng.integers(0, 9, 1200),
        }
    )
    with pytest.warns(dgu.ColumnsLeftOutWarning) as caught:
        transformer = dgu.TabularTransformer(max_categories=500).fit(df)
    message = str(caught[0].message)
    assert "'user_id': every value is distinct (an ID or free text)" in message
    assert "'city': 600 distinct values, more than max_categories=500" in message
    assert (
        "'name': 700 of its 1200 values occur once (names, IDs or free text): as categories, "
        "each would tie a synthetic row to the one training row that has it"
    ) in message
    assert transformer.columns_ == ["brand", "n"]  # 100 of 1200 values occur once: kept
    forced = dgu.TabularTransformer(schema={"name": "categorical"}).fit(df[["name"]])
    assert forced.schema_ == {"name": "categorical"}  # a declared kind is the user's choice


def test_schema_overrides_a_kind(screentime):
    transformer = dgu.TabularTransformer(schema={"Notifications": "continuous"}).fit(screentime)
    assert transformer.schema_["Notifications"] == "continuous"
    back = transformer.inverse_transform(transformer.transform(screentime))
    assert back["Notifications"].dtype == float


def test_explicit_columns(screentime):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        transformer = dgu.TabularTransformer(columns=["Notifications", "App"]).fit(screentime)
    assert transformer.columns_ == ["Notifications", "App"]


def test_constant_column_and_single_category_are_kept_with_a_note():
    df = pd.DataFrame({"k": [7, 7, 7], "c": ["only", "only", "only"], "n": [1, 2, 3]})
    # The value as a user wrote it: 7, not numpy's repr np.int64(7).
    with pytest.warns(dgu.ConstantColumnWarning, match=r"'k' holds one value \(7\): it is kept"):
        transformer = dgu.TabularTransformer().fit(df)
    back = transformer.inverse_transform(np.random.default_rng(0).normal(size=(5, 3)))
    assert (back["k"] == 7).all()
    assert (back["c"] == "only").all()


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
        (
            pd.DataFrame({"a": [1, 2], "gone": [np.nan, np.nan]}),
            dgu.InvalidDataError,
            r"'gone' is entirely missing: drop it",
        ),
        (pd.DataFrame({"a": [1.0, np.inf, 3.0]}), dgu.InvalidDataError, "'a' has 1 infinite"),
        (
            pd.DataFrame({"Usage": ["12", "n/a", "13", "14"]}),
            dgu.InvalidDataError,
            r"'Usage' has 1 non-numeric values \('n/a'",
        ),
        (
            pd.DataFrame({"d": ["2024-08-01", "02/08/2024", "2024-08-03", "2024-08-04"]}),
            dgu.InvalidDataError,
            "'d' mixes date formats",
        ),
        (
            pd.DataFrame({"d": ["2024-08-01", "n/a", "2024-08-03", "2024-02-31"]}),
            dgu.InvalidDataError,
            r"'d' holds dates and values that are not \('n/a', '2024-02-31', \.\.\.\): make "
            r"those missing first, e\.g\. .*format='mixed', errors='coerce'\)",
        ),
        (
            pd.DataFrame({"id": [f"row {i}" for i in range(30)]}),
            dgu.SchemaError,
            "no column of the table can be modelled",
        ),
        (np.zeros((3, 2)), dgu.DataGenError, "must be a pandas DataFrame"),
    ],
)
def test_bad_tables_get_a_clear_error(df, error, message):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dgu.ColumnsLeftOutWarning)
        with pytest.raises(error, match=message):
            dgu.TabularTransformer().fit(df)


def test_duplicated_column_names():
    df = pd.DataFrame([[1, 2], [3, 4]], columns=["a", "a"])
    with pytest.raises(dgu.SchemaError, match=r"duplicated column names \['a'\]"):
        dgu.TabularTransformer().fit(df)


def test_bad_columns_and_schema(screentime):
    with pytest.raises(dgu.SchemaError, match=r"\['Battery'\] are not in the table"):
        dgu.TabularTransformer(columns=["Battery"]).fit(screentime)
    with pytest.raises(dgu.SchemaError, match="selects nothing"):
        dgu.TabularTransformer(columns=[]).fit(screentime)
    with pytest.raises(dgu.SchemaError, match=r"schema names columns \['Battery'\]"):
        dgu.TabularTransformer(schema={"Battery": "integer"}).fit(screentime)
    with pytest.raises(dgu.SchemaError, match=r"unknown kinds \{'App': 'text'\}"):
        dgu.TabularTransformer(schema={"App": "text"}).fit(screentime)
    with pytest.raises(dgu.SchemaError, match="'App' is declared datetime"):
        dgu.TabularTransformer(schema={"App": "datetime"}).fit(screentime)
    with pytest.raises(dgu.SchemaError, match="'App' is declared integer but its values are not"):
        dgu.TabularTransformer(schema={"App": "integer"}).fit(screentime)


def test_too_many_categories_when_declared():
    df = pd.DataFrame({"c": [str(i % 5) for i in range(20)]})
    with pytest.raises(dgu.SchemaError, match="5 categories, more than max_categories=3"):
        dgu.TabularTransformer(schema={"c": "categorical"}, max_categories=3).fit(df)


def test_transform_checks_its_input(screentime):
    transformer = dgu.TabularTransformer().fit(screentime)
    with pytest.raises(dgu.ColumnMismatchError, match="Notifications"):
        transformer.transform(screentime.drop(columns="Notifications"))
    with pytest.raises(dgu.DataGenError, match="expected a matrix with 12 columns"):
        transformer.inverse_transform(np.zeros((4, 2)))
    unseen = screentime.assign(App="TikTok")
    with pytest.raises(dgu.InvalidDataError, match="'App' has values not seen in fit"):
        transformer.transform(unseen)


def _bimodal(n=400, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "minutes": np.concatenate([rng.normal(10, 2, n // 2), rng.normal(90, 5, n // 2)]),
            "count": rng.integers(0, 50, n),
        }
    )


def test_mode_specific_normalisation_finds_the_modes_and_round_trips():
    df = _bimodal()
    transformer = dgu.TabularTransformer(mode_specific=["minutes"]).fit(df)
    modes = transformer.specs_[0].modes
    means = np.array(modes["means"])
    for true_mean in (10, 90):
        assert np.abs(means - true_mean).min() < 3
    assert all(min(abs(m - 10), abs(m - 90)) < 10 for m in means)
    n_modes = len(modes["means"])
    assert transformer.output_info_ == [(1, "tanh"), (n_modes, "softmax"), (1, "tanh")]
    x = transformer.transform(df)
    # Each row's mode block is one-hot, and its mode is the nearest of the two groups.
    np.testing.assert_array_equal(x[:, 1 : 1 + n_modes].sum(axis=1), 1)
    chosen = np.array(modes["means"])[x[:, 1 : 1 + n_modes].argmax(axis=1)]
    assert (np.abs(chosen - df["minutes"]) < 30).all()
    back = transformer.inverse_transform(x)
    np.testing.assert_allclose(back["minutes"], df["minutes"], atol=1e-9)
    pd.testing.assert_series_equal(back["count"], df["count"])
    copy = dgu.TabularTransformer.from_dict(json.loads(json.dumps(transformer.to_dict())))
    np.testing.assert_array_equal(copy.transform(df), x)


def test_mode_specific_true_covers_every_numeric_column(screentime):
    transformer = dgu.TabularTransformer(mode_specific=True).fit(screentime)
    with_modes = [spec.name for spec in transformer.specs_ if spec.modes is not None]
    assert with_modes == ["Usage (minutes)", "Notifications", "Times Opened"]
    back = transformer.inverse_transform(transformer.transform(screentime))
    pd.testing.assert_frame_equal(back, screentime)


def test_mode_specific_names_must_be_numeric_columns(screentime):
    with pytest.raises(dgu.SchemaError, match=r"mode_specific names \['App'\]"):
        dgu.TabularTransformer(mode_specific=["App"]).fit(screentime)


def test_transform_in_chunks_equals_transform_at_once(screentime):
    whole = dgu.TabularTransformer().fit(screentime)
    chunked = dgu.TabularTransformer(chunk_rows=7).fit(screentime)
    np.testing.assert_array_equal(chunked.transform(screentime), whole.transform(screentime))
    assert chunked.transform(screentime, dtype=np.float32).dtype == np.float32


def test_fit_on_a_bounded_sample_of_rows(screentime):
    transformer = dgu.TabularTransformer(max_fit_rows=50).fit(screentime)
    usage = next(s for s in transformer.specs_ if s.name == "Usage (minutes)")
    sample = screentime.sample(50, random_state=0)["Usage (minutes)"]
    assert (usage.min, usage.max) == (sample.min(), sample.max())
    back = transformer.inverse_transform(transformer.transform(screentime))
    assert back["Usage (minutes)"].between(sample.min(), sample.max()).all()  # clipped


@pytest.mark.parametrize("name", ["max_fit_rows", "chunk_rows"])
def test_row_limits_are_checked(screentime, name):
    with pytest.raises(dgu.ConfigError, match=f"{name} must be an integer of at least 2"):
        dgu.TabularTransformer(**{name: 1}).fit(screentime)


# A transformer state as the dict-based specs wrote it (before ColumnSpec), for the table below.
LEGACY_STATE = {
    "max_categories": 1000,
    "mode_specific": ["n"],
    "max_modes": 10,
    "log_scale": ["k"],
    "max_fit_rows": None,
    "chunk_rows": 100000,
    "specs": [
        {
            "name": "n",
            "kind": "continuous",
            "dtype": "float64",
            "missing": True,
            "min": 1.5,
            "max": 4.0,
            "fill": 3.0,
            "modes": {"weights": [1.0], "means": [2.833333333333332], "stds": [1.0897250800087146]},
        },
        {"name": "c", "kind": "categorical", "dtype": "object", "categories": ["a", "b", None]},
        {
            "name": "d",
            "kind": "datetime",
            "dtype": "object",
            "format": "%Y-%m-%d",
            "origin": "2024-01-01T00:00:00",
            "unit": "D",
            "missing": True,
            "min": 0.0,
            "max": 31.0,
            "fill": 2.0,
        },
        {"name": "b", "kind": "boolean", "dtype": "bool", "categories": [False, True]},
        {
            "name": "k",
            "kind": "integer",
            "dtype": "int64",
            "log": True,
            "missing": False,
            "min": 0.6931471805599453,
            "max": 4.61512051684126,
            "fill": 1.4451858789480823,
        },
        {
            "name": "t",
            "kind": "datetime",
            "dtype": "datetime64[ns]",
            "format": None,
            "origin": "2024-01-01T00:00:00",
            "unit": "s",
            "missing": False,
            "min": 0.0,
            "max": 172800.0,
            "fill": 61200.0,
        },
    ],
}


def _legacy_table():
    return pd.DataFrame(
        {
            "n": [1.5, None, 3.0, 4.0],
            "c": ["a", None, "b", "a"],
            "d": ["2024-01-01", "2024-01-03", np.nan, "2024-02-01"],
            "b": [True, False, True, True],
            "k": [1, 5, 100, 2],
            "t": pd.to_datetime(
                ["2024-01-01 10:00:00", "2024-01-02", "2024-01-03", "2024-01-01"], format="ISO8601"
            ),
        }
    )


def test_spec_dicts_of_saved_models_load_and_are_written_back_the_same():
    loaded = dgu.TabularTransformer.from_dict(json.loads(json.dumps(LEGACY_STATE)))
    assert all(isinstance(spec, dgu.ColumnSpec) for spec in loaded.specs_)
    assert json.dumps(loaded.to_dict()) == json.dumps(LEGACY_STATE)  # same keys, same order
    df = _legacy_table()
    fitted = dgu.TabularTransformer(mode_specific=["n"], log_scale=["k"]).fit(df)
    # Dates with a time were counted in seconds then; now in their coarsest whole
    # unit (hours here). The saved seconds still decode the table exactly.
    assert fitted.specs_[:-1] == loaded.specs_[:-1]
    assert (loaded.spec("t").unit, fitted.spec("t").unit) == ("s", "h")
    assert fitted.spec("t").max * 3600 == loaded.spec("t").max
    np.testing.assert_array_equal(loaded.transform(df)[:, :-1], fitted.transform(df)[:, :-1])
    pd.testing.assert_frame_equal(loaded.inverse_transform(loaded.transform(df)), df)


@pytest.mark.parametrize(
    ("index", "change", "message"),
    [
        (2, {"foo": 1}, r"the transformer's column spec #2 has unknown keys \['foo'\]"),
        (0, {"name": None}, r"the transformer's column spec #0 lacks the keys \['name'\]"),
        (1, {"kind": None}, r"the transformer's column spec #1 lacks the keys \['kind'\]"),
        (4, {"min": None}, r"the transformer's column spec #4 lacks the keys \['min'\]"),
        (3, {"kind": "text"}, r"the transformer's column spec #3 has unknown kind 'text'"),
    ],
)
def test_a_spec_dict_with_unknown_or_missing_keys_is_refused(index, change, message):
    state = json.loads(json.dumps(LEGACY_STATE))
    spec = state["specs"][index]
    for key, value in change.items():
        if value is None:
            del spec[key]
        else:
            spec[key] = value
    with pytest.raises(dgu.ModelFileError, match=message):
        dgu.TabularTransformer.from_dict(state)


def test_spec_looks_a_column_up_by_name(screentime):
    transformer = dgu.TabularTransformer().fit(screentime)
    app = transformer.spec("App")
    assert (app.name, app.kind, app.is_categorical) == ("App", "categorical", True)
    assert app.blocks() == [(len(app.categories), "softmax")]
    assert transformer.block("App") == (1, len(app.categories))  # after Date's tanh block
    usage = transformer.spec("Usage (minutes)")
    assert not usage.is_categorical and usage.blocks() == [(1, "tanh")]
    assert dgu.ColumnSpec.from_dict(usage.to_dict()) == usage
    with pytest.raises(dgu.SchemaError, match="'Device' is not modelled; the columns are"):
        transformer.spec("Device")
    with pytest.raises(dgu.SchemaError, match="'Usage \\(minutes\\)' is integer"):
        transformer.block("Usage (minutes)")


# -- values that cannot be modelled or saved: refused at fit, saying what to do ----------


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([1 + 2j, 3 - 1j, 0j], r"'v' holds complex numbers.*np\.imag\(df\['v'\]\)"),
        (
            pd.Series(list(pd.to_timedelta([1, 2, 3], unit="h")), dtype=object),
            r"'v' holds Timedelta values.*df\['v'\] = pd\.to_timedelta\(df\['v'\]\)",
        ),
        ([Decimal("1.5"), Decimal("2"), None], r"'v' holds Decimal values.*astype\(float\)"),
        (  # dates alone are modelled (test_value_structure); mixed with datetimes, not
            [dt.date(2024, 1, 1), dt.datetime(2024, 1, 2, 8, 30)],
            r"holds date values.*pd\.to_datetime",
        ),
        (
            [dt.datetime(2300, 1, 1), dt.datetime(2301, 6, 1)],
            r"holds datetime values.*\.astype\(str\) after the year 2262",
        ),
        ([[1, 2], [3], [4, 5]], r"'v' holds list values.*df\['v'\]\.astype\(str\)"),
    ],
)
def test_values_a_model_cannot_hold_are_refused_at_fit(values, message):
    table = pd.DataFrame({"v": values, "w": np.arange(len(values))})
    with pytest.raises(dgu.SchemaError, match=message):
        dgu.TabularTransformer().fit(table)
    with pytest.raises(dgu.SchemaError, match=message):
        dgu.TabularTransformer(schema={"v": "categorical"}).fit(table)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([np.iinfo(np.int64).max, 0, 1], r"integers beyond ±2\*\*53 \(9223372036854775807"),
        (np.array([np.iinfo(np.uint64).max, 0], dtype=np.uint64), r"integers beyond ±2\*\*53"),
        ([2**60, 1, 2], r"'v' has integers beyond ±2\*\*53.*declare the column categorical"),
        ([-1e308, 1e308, 0.5], r"'v' spans -1e\+308 to 1e\+308, too wide a range to scale"),
    ],
)
def test_numbers_a_float_scaling_would_change_are_refused_at_fit(values, message):
    table = pd.DataFrame({"v": values, "w": np.arange(len(values))})
    with pytest.raises(dgu.InvalidDataError, match=message):
        dgu.TabularTransformer().fit(table)
    # The advice works: as categories, the values come back exactly.
    transformer = dgu.TabularTransformer(schema={"v": "categorical"}).fit(table)
    pd.testing.assert_frame_equal(
        transformer.inverse_transform(transformer.transform(table)), table
    )


def test_the_advice_for_durations_held_as_objects_works():
    spans = pd.Series(list(pd.to_timedelta([90, 30, 45], unit="min")), dtype=object)
    table = pd.DataFrame({"v": spans, "w": [1, 2, 3]})
    table["v"] = pd.to_timedelta(table["v"])
    transformer = dgu.TabularTransformer().fit(table)
    assert (transformer.spec("v").kind, transformer.spec("v").unit) == ("integer", "min")
    pd.testing.assert_frame_equal(
        transformer.inverse_transform(transformer.transform(table)), table
    )


def test_the_advice_for_times_of_day_with_a_time_zone_works():
    zone = dt.timezone(dt.timedelta(hours=2))
    times = [dt.time(8, 30, tzinfo=zone), dt.time(12, 15, tzinfo=zone), dt.time(17, 45), None]
    table = pd.DataFrame({"v": times, "w": [1, 2, 3, 4]})
    message = (
        r"'v' holds time values \(datetime\.time\(8, 30.*"
        r"df\['v'\] = df\['v'\]\.map\(lambda t: t\.replace\(tzinfo=None\), na_action='ignore'\)"
    )
    with pytest.raises(dgu.SchemaError, match=message):
        dgu.TabularTransformer().fit(table)
    table["v"] = table["v"].map(lambda t: t.replace(tzinfo=None), na_action="ignore")
    transformer = dgu.TabularTransformer().fit(table)
    assert (transformer.spec("v").kind, transformer.spec("v").format) == ("datetime", None)
    back = transformer.inverse_transform(transformer.transform(table))
    pd.testing.assert_frame_equal(back, table)  # datetime.time objects, None kept
    assert back["v"].tolist() == [dt.time(8, 30), dt.time(12, 15), dt.time(17, 45), None]


def test_the_advice_for_decimals_works():
    table = pd.DataFrame({"v": [Decimal("1.5"), Decimal("2.25"), Decimal("3")], "w": [1, 2, 3]})
    table["v"] = table["v"].astype(float)
    transformer = dgu.TabularTransformer().fit(table)
    pd.testing.assert_frame_equal(
        transformer.inverse_transform(transformer.transform(table)), table
    )


# -- nullable, categorical and tz-aware dtypes come back as they went in ------------------


@st.composite
def typed_tables(draw):
    """Columns of nullable, categorical, tz-aware and duration dtypes, with missing values."""
    n = draw(st.integers(3, 25))

    def cells(elements):
        values = draw(st.lists(elements, min_size=n, max_size=n))
        holes = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        holes[0] = True  # every column holds a missing value: the case that lost the dtype
        holes[1] = False  # and a present one
        return [None if hole else value for value, hole in zip(values, holes, strict=True)]

    levels = ["low", "mid", "high", "unused"]
    times = st.datetimes(pd.Timestamp("2001-01-01"), pd.Timestamp("2030-12-31"))
    return pd.DataFrame(
        {
            "count": pd.array(cells(st.integers(-1000, 1000)), dtype="Int64"),
            "share": pd.array(cells(st.floats(-1e3, 1e3, allow_nan=False)), dtype="Float64"),
            "flag": pd.array(cells(st.booleans()), dtype="boolean"),
            "label": pd.array(cells(st.sampled_from(["a", "b", "c"])), dtype="string"),
            "level": pd.Categorical(
                cells(st.sampled_from(levels[:3])),
                categories=levels,
                ordered=draw(st.booleans()),
            ),
            "when": pd.to_datetime(cells(times.map(lambda t: t.replace(microsecond=0))))
            .tz_localize("UTC")
            .tz_convert("Europe/Paris"),
            "spent": pd.to_timedelta(cells(st.integers(0, 10**6)), unit="s"),
        }
    )


@settings(max_examples=40, deadline=None)
@given(typed_tables())
def test_nullable_categorical_and_tz_aware_dtypes_round_trip(table):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # constant columns are fine here
        transformer = dgu.TabularTransformer(schema={"label": "categorical"}).fit(table)
    back = transformer.inverse_transform(transformer.transform(table))
    pd.testing.assert_frame_equal(back, table)
    reloaded = dgu.TabularTransformer.from_dict(json.loads(json.dumps(transformer.to_dict())))
    pd.testing.assert_frame_equal(reloaded.inverse_transform(reloaded.transform(table)), table)


@pytest.mark.parametrize(
    "values",
    [
        [1, "1", "a", 1, "1"] * 5,
        [True, 1, "a", True, 1] * 5,
        [1, "1", None, 2.5, "x"] * 5,
    ],
)
def test_categories_of_mixed_types_stay_apart_and_come_back(values):
    table = pd.DataFrame({"m": values, "x": np.arange(len(values))})
    # The advice the module gives for such a column (declare it categorical) works.
    transformer = dgu.TabularTransformer(schema={"m": "categorical"}).fit(table)
    back = transformer.inverse_transform(transformer.transform(table))
    pd.testing.assert_frame_equal(back, table)
    assert [type(v) for v in back["m"]] == [type(v) for v in table["m"]]
    assert len(transformer.spec("m").categories) == len({(type(v), v) for v in values})


def test_days_with_a_time_zone_come_back_across_daylight_saving_time():
    # Local midnights of Paris over 400 days: two changes of the clocks. Whole days
    # count on the wall clock, so none comes back an hour off.
    days = pd.date_range("2023-01-01", periods=400, freq="D", tz="Europe/Paris")
    df = pd.DataFrame({"day": days, "x": np.arange(400.0)})
    transformer = dgu.TabularTransformer().fit(df)
    assert transformer.spec("day").unit == "D"
    back = transformer.inverse_transform(transformer.transform(df))
    pd.testing.assert_frame_equal(back, df, check_exact=True)
    x = np.random.default_rng(0).uniform(-1, 1, (500, transformer.output_dim))
    decoded = transformer.inverse_transform(x)["day"]
    assert (decoded == decoded.dt.normalize()).all() and str(decoded.dtype) == str(days.dtype)


@pytest.mark.parametrize("kind", ["categorical", "boolean", "integer", "continuous"])
@pytest.mark.parametrize(
    "values",
    [
        pd.Series(pd.to_datetime(["2024-01-01", "2024-01-02", None, "2024-01-01"])),
        pd.Series([dt.time(8, 30), dt.time(9), None, dt.time(8, 30)], dtype=object),
    ],
    ids=["datetime64", "times"],
)
def test_dates_declared_another_kind_are_refused_with_the_fix(values, kind):
    # Before: categories of Timestamps failed in to_dict (JSON), and integer dates came
    # back shifted (2024-01-02 as 2024-01-01 23:59:59.999999744).
    table = pd.DataFrame({"v": values, "w": [1, 2, 3, 4]})
    message = rf"'v' holds dates or times of day \(.*\), which cannot be modelled as {kind}: "
    message += r"declare it 'datetime'"
    with pytest.raises(dgu.SchemaError, match=message):
        dgu.TabularTransformer(schema={"v": kind}).fit(table)
    if kind == "categorical":  # the advice works
        table["v"] = table["v"].astype("string")
        transformer = dgu.TabularTransformer(schema={"v": kind}).fit(table)
        pd.testing.assert_frame_equal(
            transformer.inverse_transform(transformer.transform(table)), table
        )
