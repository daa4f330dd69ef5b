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
