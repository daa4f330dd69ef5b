import warnings

import numpy as np
import pandas as pd
import pytest

import data_gen_utils as dgu


def test_identical_tables_have_ks_zero(numeric):
    result = dgu.ks_test(numeric, numeric.copy())
    assert list(result.index) == list(numeric.columns)
    assert (result["statistic"] == 0).all()
    assert (result["p_value"] == 1).all()


def test_disjoint_shifted_column_has_ks_one(numeric):
    shifted = numeric.copy()
    shifted["Usage (minutes)"] += 1000
    result = dgu.ks_test(numeric, shifted)
    assert result.loc["Usage (minutes)", "statistic"] == 1
    assert result.loc["Usage (minutes)", "p_value"] < 1e-10
    assert result.loc["Notifications", "statistic"] == 0


def test_compare_stats_is_describe_side_by_side(numeric):
    other = numeric * 2
    table = dgu.compare_stats(numeric, other)
    assert list(table.index) == list(numeric.columns)
    assert table[("mean", "real")].tolist() == pytest.approx(numeric.mean().tolist())
    assert table[("mean", "synthetic")].tolist() == pytest.approx((2 * numeric.mean()).tolist())
    assert table.columns.get_level_values(0)[:4].tolist() == ["count", "count", "mean", "mean"]


def test_columns_must_match(numeric):
    other = numeric.rename(columns={"Notifications": "Alerts"})
    with pytest.raises(dgu.ColumnMismatchError, match=r"only in real \['Notifications'\]"):
        dgu.ks_test(numeric, other)
    with pytest.raises(dgu.ColumnMismatchError, match=r"only in synthetic \['Alerts'\]"):
        dgu.compare_stats(numeric, other)
    with pytest.raises(dgu.ColumnMismatchError, match="not in both tables"):
        dgu.ks_test(numeric, other, columns=["Alerts"])


def test_subset_of_columns(numeric):
    result = dgu.ks_test(numeric, numeric.iloc[:50], columns=["Notifications"])
    assert list(result.index) == ["Notifications"]


def test_no_numeric_column():
    df = pd.DataFrame({"a": ["x", "y"]})
    with pytest.raises(dgu.SchemaError, match="no numeric column"):
        dgu.ks_test(df, df)


def test_empty_synthetic_table(numeric):
    with pytest.raises(dgu.EmptyDataError, match="the synthetic table is empty"):
        dgu.ks_test(numeric, numeric.iloc[:0])


def test_ks_detects_a_real_difference():
    rng = np.random.default_rng(0)
    a = pd.DataFrame({"x": rng.normal(size=2000)})
    b = pd.DataFrame({"x": rng.normal(0.3, size=2000)})
    assert dgu.ks_test(a, b).loc["x", "p_value"] < 1e-6


def _mixed_table(n, seed):
    rng = np.random.default_rng(seed)
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 60, n), "D")
    df = pd.DataFrame(
        {
            "amount": rng.gamma(2.0, 10.0, n),
            "count": rng.integers(0, 20, n),
            "constant": np.full(n, 5.0),
            "kind": rng.choice(["a", "b", "c"], n).astype(object),
            "flag": (rng.random(n) < 0.3).astype(object),
            "day": days,
            "date_text": days.strftime("%Y-%m-%d").astype(object),
        }
    )
    for column, share in (("amount", 0.2), ("kind", 0.1), ("flag", 0.1), ("day", 0.1)):
        df.loc[rng.random(n) < share, column] = None
    df.loc[rng.random(n) < 0.1, "date_text"] = None
    return df


def test_dcr_space_distance_is_sdmetrics_dcr():
    from sdmetrics.single_table.privacy.dcr_utils import calculate_dcr

    real, synthetic = _mixed_table(60, 0), _mixed_table(40, 1)
    # Values SDMetrics would cap at a difference of 1 are kept inside the real range.
    for column in ("amount", "count", "day"):
        synthetic[column] = synthetic[column].clip(real[column].min(), real[column].max())
    real_dates = pd.to_datetime(real["date_text"])
    dates = pd.to_datetime(synthetic["date_text"]).clip(real_dates.min(), real_dates.max())
    synthetic["date_text"] = dates.dt.strftime("%Y-%m-%d").astype(object).where(dates.notna())
    synthetic.loc[:4, "kind"] = "unseen"
    synthetic.loc[5:9, "constant"] = 7.0
    metadata = dgu._sdmetrics_metadata(real)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = calculate_dcr(synthetic, real, metadata).to_numpy()
    space = dgu._DcrSpace(real)
    distances = space.nearest(space.encode(real), space.encode(synthetic))
    np.testing.assert_allclose(distances, expected, atol=1e-12)
    assert len(set(np.round(expected, 6))) > 10  # a test of many different distances


def _trend_table(n, seed):
    """``_mixed_table`` with two pairs whose trends SDMetrics' report counts."""
    rng = np.random.default_rng(seed)
    table = _mixed_table(n, seed)
    table["twice"] = 2 * table["amount"] + rng.normal(0, 2, n)  # correlated with amount
    table["grade"] = np.where(table["count"] > 9, "high", "low").astype(object)  # with count
    return table


def test_quality_score_computes_only_the_counted_pairs_and_gives_the_report_score():
    real = _trend_table(200, 0)
    metadata = dgu._sdmetrics_metadata(real)
    score = dgu._QualityScore(real, metadata)
    assert score.all_pairs == 36
    assert {("amount", "twice"), ("count", "grade")} <= set(score.pairs)
    assert ("amount", "count") not in score.pairs
    assert len(score.pairs) < 10
    rng = np.random.default_rng(1)
    samples = []
    for seed, spread in enumerate((0.1, 0.5, 2.0)):
        sample = real.sample(300, replace=True, random_state=seed).reset_index(drop=True)
        for column in ("amount", "twice", "count"):
            sample[column] = sample[column] + rng.normal(0, spread * sample[column].std(), 300)
        samples.append(sample)
    shuffled = samples[0].copy()
    shuffled["twice"] = shuffled["twice"].sample(frac=1, random_state=2).to_numpy()
    constant, empty, unseen = samples[0].copy(), samples[1].copy(), samples[2].copy()
    constant["amount"] = 3.0
    empty["twice"] = np.nan
    unseen.loc[:50, "grade"] = "unseen"
    scores = []
    for sample in [*samples, shuffled, constant, empty, unseen]:
        expected = dgu._quality(real, sample, metadata, notes=[])[0]
        assert score(sample) == expected
        scores.append(expected)
    assert len(set(scores)) == len(scores)  # every sample scores differently


def test_quality_score_of_a_table_without_counted_pairs_is_its_column_shapes():
    real = _mixed_table(100, 0)[["amount"]]
    metadata = dgu._sdmetrics_metadata(real)
    score = dgu._QualityScore(real, metadata)
    assert score.pairs == [] and score.all_pairs == 0
    sample = _mixed_table(100, 1)[["amount"]]
    assert score(sample) == dgu._quality(real, sample, metadata, notes=[])[0]


def test_dcr_space_puts_unseen_categories_and_missing_numbers_one_apart():
    space = dgu._DcrSpace(pd.DataFrame({"c": ["a", "b", None]}))
    known, other = (
        space.encode(pd.DataFrame({"c": ["a", "b", None]})),
        space.encode(pd.DataFrame({"c": ["z"]})),
    )
    np.testing.assert_allclose(np.abs(known - other).sum(axis=1), 1.0)
    space = dgu._DcrSpace(pd.DataFrame({"n": [0.0, 4.0]}))
    values = space.encode(pd.DataFrame({"n": [0.0, 1.0, 4.0]}))
    missing = space.encode(pd.DataFrame({"n": [np.nan]}))
    np.testing.assert_allclose(np.abs(values - missing).sum(axis=1), 1.0)
    np.testing.assert_allclose(np.abs(values - values[0]).sum(axis=1), [0.0, 0.25, 1.0])


def test_quality_score_finds_the_counted_pairs_the_report_finds_on_a_wide_table():
    rng = np.random.default_rng(0)
    n = 300
    base = rng.normal(size=n)
    real = pd.DataFrame({f"x{i}": rng.normal(size=n) for i in range(20)})
    for i, noise in enumerate((0.5, 1.7, 1.73, 1.75, 3.0)):  # correlations around 0.5
        real[f"near{i}"] = base + rng.normal(0, noise, n)
    real["base"] = base
    real["constant"] = 1.0
    real.loc[rng.random(n) < 0.2, "near1"] = np.nan
    real["kind"] = np.where(base > 0, "up", "down").astype(object)
    metadata = dgu._sdmetrics_metadata(real)
    score = dgu._QualityScore(real, metadata)
    details = score._trends()._generate_details(*score._tables(real), metadata)  # every pair
    counted = details["Meets Threshold?"].astype("boolean").fillna(False).to_numpy(bool)
    expected = list(details.loc[counted, ["Column 1", "Column 2"]].itertuples(index=False))
    assert score.pairs == [tuple(pair) for pair in expected]
    assert score.all_pairs == len(details) == 28 * 27 // 2
    correlations = real.corr(numeric_only=True)["base"].abs()
    assert ((correlations > 0.45) & (correlations < 0.55)).sum() >= 2  # pairs near the threshold
    assert len(score._uncorrelated(score._tables(real)[0])) > 300  # most pairs skipped
