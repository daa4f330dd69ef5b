"""Date columns over several years: the year and the day of the year on a circle."""

import json

import numpy as np
import pandas as pd
import pytest

import data_gen_utils as dgu


def seasonal_table(n=400, seed=0):
    """Daily rows over four years (a leap year among them) with a yearly temperature cycle."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2012-01-01", "2015-12-31", freq="D")
    date = pd.Series(rng.choice(days, n, replace=False)).sort_values(ignore_index=True)
    date.iloc[:3] = pd.to_datetime(["2012-01-01", "2012-02-29", "2015-12-31"])
    turn = 2 * np.pi * (date.dt.dayofyear - 1) / 365.25
    temp = np.round(12 - 9 * np.cos(turn) + rng.normal(0, 2, n), 1)
    return pd.DataFrame({"date": date, "temp": temp})


def seasonal(**overrides):
    options = {"precision": True, "atom_share": 0.05, "seasonal": True, **overrides}
    return dgu.TabularTransformer(**options)


def test_a_date_column_over_years_is_a_point_on_the_circle_and_the_year():
    df = seasonal_table()
    transformer = seasonal().fit(df)
    spec = transformer.spec("date")
    # Four years, fewer than 1 / atom_share: the year is a category.
    assert spec.seasonal and spec.years == [2012, 2013, 2014, 2015]
    assert spec.blocks() == [(2, "tanh"), (4, "softmax")]
    x = transformer.transform(df)
    sine, cosine, years = x[:, 0], x[:, 1], x[:, 2:6]
    np.testing.assert_allclose(sine**2 + cosine**2, 1.0)
    np.testing.assert_array_equal(np.argmax(years, axis=1), df["date"].dt.year - 2012)
    # Without atoms the year is a number: 2012 is -1 and 2015 is 1.
    numeric = seasonal(atom_share=None).fit(df)
    assert numeric.spec("date").years is None
    assert numeric.spec("date").blocks() == [(2, "tanh"), (1, "tanh")]
    year = numeric.transform(df)[:, 2]
    np.testing.assert_allclose(year[df["date"].dt.year == 2012], -1.0)
    np.testing.assert_allclose(year[df["date"].dt.year == 2015], 1.0)
    # The first of January is the angle 0.
    new_year = (df["date"].dt.dayofyear == 1).to_numpy()
    np.testing.assert_allclose(sine[new_year], 0.0, atol=1e-12)
    # 31 December and 1 January are neighbours on the circle, as 1 and 2 January are.
    ends = pd.DataFrame({"date": pd.to_datetime(["2013-12-31", "2014-01-01", "2014-01-02"])})
    ends["temp"] = 3.0
    points = transformer.transform(ends)[:, 0:2]
    gap_over_new_year = np.linalg.norm(points[0] - points[1])
    assert gap_over_new_year == pytest.approx(np.linalg.norm(points[1] - points[2]), rel=1e-6)
    assert gap_over_new_year < 0.02


@pytest.mark.parametrize("atom_share", [0.05, None])
def test_the_seasonal_round_trip_is_exact_with_strings_missing_values_and_leap_days(atom_share):
    df = seasonal_table()
    df["text"] = df["date"].dt.strftime("%d/%m/%Y")
    df.loc[5, "date"] = pd.NaT
    df.loc[7, "text"] = None
    transformer = seasonal(atom_share=atom_share).fit(df)
    assert transformer.spec("text").seasonal and transformer.spec("date").missing
    pd.testing.assert_frame_equal(
        transformer.inverse_transform(transformer.transform(df)), df, check_exact=True
    )
    low, high = transformer.dequantization_bounds(df)
    draws = low + (high - low) * np.random.default_rng(0).uniform(size=low.shape)
    pd.testing.assert_frame_equal(transformer.inverse_transform(draws), df, check_exact=True)


def test_any_output_decodes_to_a_date_of_the_range_and_the_state_is_saved():
    df = seasonal_table()
    transformer = seasonal().fit(df)
    x = np.random.default_rng(1).normal(0.0, 2.0, (3000, transformer.output_dim))
    dates = transformer.inverse_transform(x)["date"]
    assert dates.dtype == df["date"].dtype
    assert dates.min() >= df["date"].min() and dates.max() <= df["date"].max()
    assert dates.dt.year.nunique() == 4 and dates.dt.dayofyear.nunique() > 300
    state = json.loads(json.dumps(transformer.to_dict()))
    assert state["seasonal"] is True and state["specs"][0]["seasonal"] is True
    loaded = dgu.TabularTransformer.from_dict(state)
    pd.testing.assert_frame_equal(loaded.inverse_transform(x), transformer.inverse_transform(x))


@pytest.mark.parametrize(
    ("dates", "why"),
    [
        (pd.date_range("2024-01-01", periods=300, freq="D"), "less than a year"),
        (pd.date_range("2012-01-01", periods=400, freq="D") + pd.Timedelta("6h"), "times"),
        (pd.to_datetime([f"{y}-01-01" for y in range(1970, 1983)] * 20), "a yearly column"),
        (pd.date_range("2012-01-01", periods=400, freq="D", tz="Europe/Paris"), "a time zone"),
    ],
)
def test_other_date_columns_stay_days_since_the_first(dates, why):
    df = pd.DataFrame({"date": dates, "x": np.arange(len(dates), dtype=float)})
    transformer = seasonal().fit(df)
    assert not transformer.spec("date").seasonal, why
    assert transformer.spec("date").blocks()[:1] == [(1, "tanh")]
    pd.testing.assert_frame_equal(
        transformer.inverse_transform(transformer.transform(df)), df, check_exact=True
    )


def test_seasonal_is_the_gans_default_and_not_the_transformers_or_the_seeds(screentime):
    df = seasonal_table()
    assert not dgu.TabularTransformer().fit(df).spec("date").seasonal
    assert "seasonal" not in dgu.TabularTransformer().fit(df).to_dict()
    assert dgu.TabularGAN().seasonal is True
    assert dgu.TabularGAN.seed_config().seasonal is False
    # The screen-time table covers weeks, not years: its encoding does not change.
    gan = dgu.TabularGAN(nb_epochs=1, seed=0, verbose=0).build(screentime)
    assert not gan.transformer_.spec("Date").seasonal


def test_a_gan_learns_the_seasons(tmp_path):
    df = seasonal_table(n=600)
    gan = dgu.TabularGAN(nb_epochs=600, validation_size=0.0, seed=0, verbose=0).fit(df)
    synthetic = gan.sample(2000, seed=0)
    summer = synthetic["date"].dt.month.isin([6, 7, 8])
    winter = synthetic["date"].dt.month.isin([12, 1, 2])
    # Real means: about 19 and 4 degrees.
    assert synthetic.loc[summer, "temp"].mean() - synthetic.loc[winter, "temp"].mean() > 10
    loaded = dgu.TabularGAN.load(gan.save(tmp_path / "model"))
    pd.testing.assert_frame_equal(loaded.sample(50, seed=3), gan.sample(50, seed=3))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"seasonal": "yes"}, r"non-finite or non-numeric \['seasonal'\]"),
        ({"seasonal": True, "unit": "s"}, r"non-finite or non-numeric \['seasonal'\]"),
        ({"years": [2012, 2014]}, r"non-finite or non-numeric \['years'\]"),
        ({"years": [2012]}, r"non-finite or non-numeric \['years'\]"),
        ({"seasonal": False}, r"non-finite or non-numeric \['years'\]"),
    ],
)
def test_a_broken_seasonal_spec_is_refused(change, message):
    state = json.loads(json.dumps(seasonal().fit(seasonal_table()).to_dict()))
    state["specs"][0].update(change)
    with pytest.raises(dgu.ModelFileError, match=message):
        dgu.TabularTransformer.from_dict(state)


def test_the_seasonal_option_is_checked():
    with pytest.raises(dgu.ConfigError, match="seasonal must be True or False"):
        seasonal(seasonal=1).fit(seasonal_table())
    with pytest.raises(dgu.ConfigError, match="seasonal must be True or False"):
        dgu.TabularGAN(seasonal="auto")
