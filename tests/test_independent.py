"""Columns that no test links to another are drawn on their own (GANConfig.independent)."""

import json

import numpy as np
import pandas as pd
import pytest

import data_gen_utils as dgu


def linked_table(n=300, seed=0):
    """Three linked columns (a number, a second one, a category), two unlinked ones.

    ``noise`` (a number) and ``logged`` (a date) are drawn on their own; ``weekly``
    is a date whose day of the week moves ``spend``.
    """
    rng = np.random.default_rng(seed)
    size = rng.normal(50, 10, n).round(1)
    weight = (2 * size + rng.normal(0, 5, n)).round(1)
    kind = np.where(size + rng.normal(0, 5, n) > 50, "big", "small")
    noise = rng.integers(0, 100, n)
    logged = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 60, n), unit="D")
    weekly = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 140, n), unit="D")
    spend = (10 + 20 * (weekly.dayofweek >= 5) + rng.normal(0, 3, n)).round(1)
    return pd.DataFrame(
        {
            "size": size,
            "weight": weight,
            "kind": kind,
            "noise": noise,
            "logged": logged,
            "weekly": weekly,
            "spend": spend,
        }
    )


def independent(df, exclude=None):
    transformer = dgu.TabularTransformer(precision=True).fit(df)
    return dgu._independent_columns(df, transformer, exclude)


def test_only_the_columns_no_test_links_are_independent():
    assert independent(linked_table()) == ["noise", "logged"]


def test_a_date_is_linked_by_its_day_of_the_week():
    df = linked_table()
    # As days the weekly date is not linked to spend (a rank correlation near 0)...
    days = (df["weekly"] - df["weekly"].min()).dt.days
    assert abs(days.corr(df["spend"], method="spearman")) < 0.1
    # ...but its day of the week is, so it is not drawn on its own.
    assert "weekly" not in independent(df)
    shuffled = df["spend"].sample(frac=1, random_state=1).to_numpy()
    assert "weekly" in independent(df.assign(spend=shuffled))


def test_the_condition_is_never_drawn_on_its_own():
    df = linked_table().assign(kind=lambda d: d["kind"].sample(frac=1, random_state=2).values)
    assert "kind" in independent(df)
    assert "kind" not in independent(df, exclude="kind")


@pytest.fixture(scope="module")
def gan():
    df = linked_table(200)[["size", "weight", "kind", "noise"]]
    return dgu.TabularGAN(nb_epochs=20, validation_size=0.0, seed=0, verbose=0).fit(df)


def test_samples_permute_the_independent_column_and_keep_the_others(gan):
    assert gan.independent_columns_ == ["noise"]
    drawn = gan.sample(300, seed=1)
    gan.independent_columns_ = []
    try:
        together = gan.sample(300, seed=1)
    finally:
        gan.independent_columns_ = ["noise"]
    others = ["size", "weight", "kind"]
    pd.testing.assert_frame_equal(drawn[others], together[others])
    assert drawn["noise"].dtype == together["noise"].dtype
    np.testing.assert_array_equal(np.sort(drawn["noise"]), np.sort(together["noise"]))
    assert (drawn["noise"].to_numpy() != together["noise"].to_numpy()).mean() > 0.5
    pd.testing.assert_frame_equal(drawn, gan.sample(300, seed=1))  # seeded
    assert len(gan.sample(0)) == 0


def test_independent_false_and_the_seed_network_draw_every_column_with_the_others():
    df = linked_table(100)[["size", "weight", "noise"]]
    assert dgu.TabularGAN(independent=False, seed=0, verbose=0).build(df).independent_columns_ == []
    seed = dgu.TabularGAN.seed_config(seed=0, verbose=0)
    assert seed.build(df).independent_columns_ == []
    assert dgu.TabularGAN(seed=0, verbose=0).build(df).independent_columns_ == ["noise"]


def test_independent_must_be_a_flag():
    with pytest.raises(dgu.ConfigError, match="independent must be True or False"):
        dgu.TabularGAN(independent="yes")


def test_the_independent_columns_are_saved_and_checked_at_load(gan, tmp_path):
    folder = gan.save(tmp_path / "model")
    loaded = dgu.TabularGAN.load(folder)
    assert loaded.independent_columns_ == ["noise"]
    pd.testing.assert_frame_equal(loaded.sample(50, seed=3), gan.sample(50, seed=3))
    state = json.loads((folder / "model.json").read_text())
    state.pop("independent_columns")  # a model saved before: every column drawn together
    (folder / "model.json").write_text(json.dumps(state))
    assert dgu.TabularGAN.load(folder).independent_columns_ == []
    state["independent_columns"] = ["nope"]
    (folder / "model.json").write_text(json.dumps(state))
    with pytest.raises(
        dgu.ModelFileError,
        match=r"independent_columns is \['nope'\]: expected a list of the modelled columns",
    ):
        dgu.TabularGAN.load(folder)


def wide_table(n=120, seed=0):
    """Many numbers, some linked, with ties, a constant, missing values, a date and a category."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=n)
    columns = {f"x{i}": rng.normal(size=n) for i in range(12)}
    columns["linked"] = base + rng.normal(0, 0.5, n)
    columns["weakly"] = base + rng.normal(0, 4, n)  # near the test's threshold
    columns["base"] = base
    columns["ties"] = np.round(base + rng.normal(0, 1, n))
    columns["constant"] = np.full(n, 3.0)
    gaps = base + rng.normal(0, 1, n)
    gaps[rng.random(n) < 0.2] = np.nan
    columns["gaps"] = gaps
    columns["day"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 90, n), "D")
    columns["kind"] = np.where(base > 0, "up", "down")
    return pd.DataFrame(columns)


@pytest.mark.filterwarnings("ignore::data_gen_utils.ConstantColumnWarning")
def test_rank_correlations_at_once_give_the_pairwise_tests_p_values():
    df = wide_table()
    transformer = dgu.TabularTransformer(precision=True).fit(df)
    variables = {
        spec.name: [(False, pd.Series(transformer._numbers(df[spec.name], spec.kind, None)))]
        for spec in transformer.specs_
        if spec.kind in ("integer", "continuous")
    }
    at_once = dgu._rank_correlation_p_values(variables)
    complete = [name for name in variables if name not in ("constant", "gaps")]
    assert {pair for pair in at_once} == {
        ((a, 0), (b, 0)) for i, a in enumerate(complete) for b in complete[i + 1 :]
    }
    for ((a, _), (b, _)), p in at_once.items():
        assert p == pytest.approx(
            dgu._independence_p_value(variables[a][0], variables[b][0]), rel=1e-9, abs=1e-300
        )
    assert min(at_once.values()) < 1e-10 and max(at_once.values()) > 0.1  # both kinds


@pytest.mark.filterwarnings("ignore::data_gen_utils.ConstantColumnWarning")
def test_independent_columns_are_the_same_with_the_rank_correlations_at_once(monkeypatch):
    for seed in range(3):
        df = wide_table(seed=seed)
        found = independent(df)
        with monkeypatch.context() as patch:
            patch.setattr(dgu, "_rank_correlation_p_values", lambda variables: {})
            assert independent(df) == found
        assert "linked" not in found and "constant" in found
