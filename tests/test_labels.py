"""Column labels: integers (``pd.DataFrame(array)``) kept everywhere, other labels refused."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import data_gen_utils as dgu


@pytest.fixture(scope="module")
def int_table():
    """A ``pd.DataFrame(ndarray)``-style table: labels 0..4, one categorical column."""
    rng = np.random.default_rng(0)
    n = 80
    table = pd.DataFrame(rng.normal(size=(n, 2)))
    table[2] = rng.choice(["a", "b", "c"], n)
    table[3] = rng.integers(0, 10, n)
    table[4] = rng.random(n) < 0.3
    return table


@pytest.fixture(scope="module")
def int_gan(int_table):
    # 80 rows x validation_size 0.2: 16 validation rows, so _ModelSelection runs.
    gan = dgu.TabularGAN(nb_epochs=2, batch_size=16, check_every=1, verbose=0, seed=0)
    return gan.fit(int_table, schema={3: "integer"})


# -- integer labels ----------------------------------------------------------


def test_infer_schema_and_numeric_columns_keep_integer_labels(int_table):
    schema = dgu.infer_schema(int_table)
    assert schema == {
        0: "continuous",
        1: "continuous",
        2: "categorical",
        3: "integer",
        4: "boolean",
    }
    assert dgu.numeric_columns(int_table) == [0, 1, 3]


def test_transformer_round_trip_keeps_labels_and_dtypes(int_table):
    transformer = dgu.TabularTransformer().fit(int_table)
    assert transformer.columns_ == [0, 1, 2, 3, 4]
    assert transformer.schema_[2] == "categorical"
    assert transformer.spec(2).name == 2
    assert transformer.block(2) == (2, 3)
    back = transformer.inverse_transform(transformer.transform(int_table))
    assert list(back.columns) == [0, 1, 2, 3, 4]
    pd.testing.assert_series_equal(back.dtypes, int_table.dtypes)
    pd.testing.assert_frame_equal(back[[2, 3, 4]], int_table[[2, 3, 4]])
    np.testing.assert_allclose(back[[0, 1]], int_table[[0, 1]])
    with pytest.raises(dgu.SchemaError, match=r"column '2' is not modelled"):
        transformer.spec("2")


def test_numpy_integer_labels_are_normalised_to_int(int_table):
    table = int_table.set_axis(pd.Index([np.int64(c) for c in range(5)], dtype=object), axis=1)
    transformer = dgu.TabularTransformer(
        columns=[np.int64(0), np.int64(2)], schema={np.int64(0): "continuous"}
    ).fit(table)
    assert transformer.columns_ == [0, 2]
    assert all(type(c) is int for c in transformer.columns_)
    spec = transformer.to_dict()["specs"][0]
    assert dgu.ColumnSpec.from_dict(json.loads(json.dumps(spec))).name == 0


def test_gan_selection_samples_conditions_and_saves_with_integer_labels(
    int_table, int_gan, tmp_path
):
    assert int_gan.condition_column_ == 2
    assert int_gan.history["fidelity"].notna().any()  # _ModelSelection scored checks
    sample = int_gan.sample(40, seed=1)
    assert list(sample.columns) == [0, 1, 2, 3, 4]
    pd.testing.assert_series_equal(sample.dtypes, int_table.dtypes)
    assert set(int_gan.sample(20, seed=2, conditions={2: "b"})[2]) == {"b"}
    with pytest.raises(dgu.ConfigError, match=r"conditions must be \{2: value\}"):
        int_gan.sample(5, conditions={"2": "b"})

    loaded = dgu.TabularGAN.load(int_gan.save(tmp_path / "model"))
    assert loaded.condition_column_ == 2
    assert loaded.transformer_.columns_ == [0, 1, 2, 3, 4]
    pd.testing.assert_frame_equal(loaded.sample(40, seed=1), sample)


def test_gan_columns_and_condition_on_take_integer_labels(int_table):
    gan = dgu.TabularGAN(
        nb_epochs=2,
        batch_size=16,
        validation_size=0.0,
        columns=[np.int64(0), 2],
        condition_on=np.int64(2),
        verbose=0,
        seed=0,
    )
    assert gan.get_config()["columns"] == [0, 2]
    assert gan.get_config()["condition_on"] == 2
    gan.fit(int_table)
    assert list(gan.sample(10, seed=0, conditions={2: "a"}).columns) == [0, 2]


def test_config_refuses_labels_of_other_types():
    with pytest.raises(dgu.ConfigError, match=r"condition_on must be a column's label"):
        dgu.TabularGAN(condition_on=1.5)
    with pytest.raises(dgu.ConfigError, match=r"columns must list column labels.*\('a', 1\)"):
        dgu.TabularGAN(columns=[("a", 1)])


def test_evaluate_on_integer_labelled_tables(int_table, int_gan):
    synthetic = int_gan.sample(80, seed=3)
    report = dgu.evaluate(int_table, synthetic, holdout=int_table.iloc[:20], target=2)
    assert 0 <= report.quality <= 1
    assert report.column_shapes["Column"].tolist() == [0, 1, 2, 3, 4]
    assert set(report.pair_trends["Column 1"]) <= {0, 1, 2, 3, 4}
    assert list(report.validity.index) == [0, 1, 2, 3, 4]
    assert "dcr_overfitting_protection" in report.privacy
    assert len(report.to_frame()) > 10


def test_plot_report_on_integer_labelled_tables(int_table, int_gan):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figures = dgu.plot_report(int_table, int_gan.sample(80, seed=4), int_gan.history, by=2)
    assert {"distributions", "correlations", "pairs", "boxes", "pca", "history"} <= set(figures)
    plt.close("all")


# -- labels refused ----------------------------------------------------------


@pytest.fixture
def small():
    return pd.DataFrame(np.random.default_rng(1).normal(size=(30, 2)))


def test_multiindex_columns_are_refused_with_the_fix(small):
    table = small.set_axis(pd.MultiIndex.from_tuples([("a", 1), ("a", 2)]), axis=1)
    fix = r'df\.columns = \["_"\.join\(map\(str, c\)\) for c in df\.columns\]'
    with pytest.raises(dgu.SchemaError, match=rf"MultiIndex columns \(\[\('a', 1\).*{fix}"):
        dgu.TabularTransformer().fit(table)
    with pytest.raises(dgu.SchemaError, match=rf"the real table has MultiIndex.*{fix}"):
        dgu.evaluate(table, table)


@pytest.mark.parametrize(
    "labels", [[0.5, 1.5], [None, "x"], list(pd.to_datetime(["2024-01-01", "2024-01-02"]))]
)
def test_other_labels_are_refused_with_the_fix(small, labels):
    table = small.set_axis(labels, axis=1)
    message = r"neither strings nor integers.*df\.columns = df\.columns\.astype\(str\)"
    with pytest.raises(dgu.SchemaError, match=message):
        dgu.TabularGAN(nb_epochs=2, verbose=0).fit(table)
    with pytest.raises(dgu.SchemaError, match=message):
        dgu.evaluate(table, table)


def test_float_labels_are_named(small):
    with pytest.raises(dgu.SchemaError, match=r"\[0\.5, 1\.5\]"):
        dgu.infer_schema(small.set_axis([0.5, 1.5], axis=1))


def test_labels_equal_as_text_are_refused(small):
    table = small.set_axis([1, "1"], axis=1)
    with pytest.raises(dgu.SchemaError, match=r"same once written as text \(1 and '1'\)"):
        dgu.TabularTransformer().fit(table)
    with pytest.raises(dgu.SchemaError, match=r"1 and '1'"):
        dgu.evaluate(table, table)
    with pytest.raises(dgu.SchemaError, match=r"1 and '1'"):
        dgu._for_sdmetrics(table)


def test_saved_spec_name_must_be_a_label():
    state = {"name": 1.5, "kind": "categorical", "dtype": "object", "categories": ["a"]}
    with pytest.raises(dgu.ModelFileError, match=r"has name 1\.5"):
        dgu.ColumnSpec.from_dict(state)
    assert dgu.ColumnSpec.from_dict(dict(state, name=3)).name == 3


def test_string_labels_are_untouched(small):
    table = small.set_axis(["x", "y"], axis=1)
    assert dgu._for_sdmetrics(table) is table
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert dgu.TabularTransformer().fit(table).columns_ == ["x", "y"]
