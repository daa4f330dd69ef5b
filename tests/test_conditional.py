"""WGAN-GP, PacGAN, conditional generation, log1p scaling and model selection."""

import contextlib
import warnings

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

import data_gen_utils as dgu


@pytest.fixture(scope="module")
def conditional_gan(screentime):
    return dgu.TabularGAN(nb_epochs=40, batch_size=64, validation_size=0.0, seed=0, verbose=0).fit(
        screentime
    )


# -- gradient penalty --------------------------------------------------------


def quadratic_critic(x, training=False):
    """critic(x) = |x|^2 / 2, whose gradient at x is x itself."""
    return 0.5 * tf.reduce_sum(tf.square(x), axis=1, keepdims=True)


def test_gradient_penalty_matches_a_hand_computed_case():
    real = tf.constant([[3.0, 4.0], [0.0, 0.0]])
    fake = tf.constant([[0.0, 0.0], [1.0, 0.0]])
    alpha = tf.constant([[1.0], [0.5]])
    # Mixed rows: [3, 4] and [0.5, 0]; gradients are the rows; norms 5 and 0.5.
    # Per sample: ((5 - 1)^2 + (0.5 - 1)^2) / 2 = (16 + 0.25) / 2 = 8.125.
    # One norm over the whole batch would give (sqrt(25.25) - 1)^2 = 16.2...
    penalty = dgu._gradient_penalty(quadratic_critic, real, fake, alpha)
    assert float(penalty) == pytest.approx(8.125, rel=1e-5)


def test_gradient_penalty_of_a_linear_critic_is_per_sample():
    critic = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, use_bias=False)])
    critic.set_weights([np.array([[2.0], [0.0], [0.0]], dtype=np.float32)])
    real, fake = tf.random.normal((8, 3), seed=1), tf.random.normal((8, 3), seed=2)
    alpha = tf.random.uniform((8, 1), seed=3)
    # Every sample's gradient is (2, 0, 0): norm 2, penalty (2 - 1)^2 = 1 whatever the
    # batch size (a batch-wide norm would give (2 * sqrt(8) - 1)^2).
    assert float(dgu._gradient_penalty(critic, real, fake, alpha)) == pytest.approx(1.0, rel=1e-5)


def test_training_step_draws_one_uniform_mixing_weight_per_sample(monkeypatch, numeric):
    seen = []
    original = dgu._gradient_penalty

    def recording(critic, real, fake, alpha):
        seen.append((alpha.numpy(), real.shape))
        return original(critic, real, fake, alpha)

    monkeypatch.setattr(dgu, "_gradient_penalty", recording)
    data = dgu.TabularTransformer().fit(numeric).transform(numeric).astype(np.float32)
    generator = dgu.build_generator(8, 3, (16,))
    discriminator = dgu.build_discriminator(3, (16,), pac=2)
    model = dgu._GANModel(generator, discriminator, 8, seed=0, loss="wgan-gp", pac=2)
    model.compile(keras.optimizers.Adam(), keras.optimizers.Adam(), run_eagerly=True)
    model.fit(data[:64], batch_size=32, epochs=3, verbose=0, shuffle=False)
    alphas = np.concatenate([a for a, _ in seen])
    assert all(a.shape == (16, 1) and shape == (16, 6) for a, shape in seen)  # 32 rows / pac 2
    assert ((alphas > 0) & (alphas < 1)).all()
    assert alphas.std() > 0.2  # U(0, 1) has std 0.29; a constant weight has 0
    assert 0.3 < alphas.mean() < 0.7


def test_discriminator_steps_update_the_critic_that_many_times_on_fresh_rows(monkeypatch, numeric):
    fakes = []
    original = dgu._gradient_penalty

    def recording(critic, real, fake, alpha):
        fakes.append(fake.numpy())
        return original(critic, real, fake, alpha)

    monkeypatch.setattr(dgu, "_gradient_penalty", recording)
    data = dgu.TabularTransformer().fit(numeric).transform(numeric).astype(np.float32)
    generator = dgu.build_generator(8, 3, (16,))
    discriminator = dgu.build_discriminator(3, (16,), pac=2)
    model = dgu._GANModel(
        generator, discriminator, 8, seed=0, loss="wgan-gp", pac=2, discriminator_steps=3
    )
    model.compile(keras.optimizers.Adam(), keras.optimizers.Adam(), run_eagerly=True)
    model.fit(data[:64], batch_size=32, epochs=2, verbose=0, shuffle=False)
    # 2 epochs of 2 batches: 4 training steps, 3 critic updates each.
    assert int(model.g_optimizer.iterations) == 4
    assert int(model.d_optimizer.iterations) == 12
    assert len(fakes) == 12
    # Each critic update judges rows generated for it, not the same ones three times.
    for step in range(4):
        first, second, third = fakes[3 * step : 3 * step + 3]
        assert not np.allclose(first, second) and not np.allclose(second, third)


def test_discriminator_steps_must_be_a_positive_integer():
    with pytest.raises(
        dgu.ConfigError, match="discriminator_steps must be a positive integer, got 0"
    ):
        dgu.TabularGAN(discriminator_steps=0)
    generator, discriminator = dgu.build_generator(8, 3, (16,)), dgu.build_discriminator(3, (16,))
    with pytest.raises(dgu.ConfigError, match="discriminator_steps must be a positive integer"):
        dgu._GANModel(generator, discriminator, 8, discriminator_steps=1.5)


def test_unknown_loss_is_refused():
    with pytest.raises(dgu.ConfigError, match=r"loss must be one of \['bce', 'wgan-gp'\]"):
        dgu.TabularGAN(loss="hinge")


def test_batch_smaller_than_pac_is_refused():
    with pytest.raises(dgu.ConfigError, match=r"batch_size \(2\) must be at least pac \(4\)"):
        dgu.TabularGAN(batch_size=2, pac=4)


# -- conditional generation --------------------------------------------------


def test_auto_condition_is_the_categorical_column(conditional_gan):
    assert conditional_gan.condition_column_ == "App"
    assert conditional_gan.generator_.input_shape == (None, conditional_gan.latent_dim + 8)


def _staff_table(n=300, seed=0):
    """Rank sets the salary; sex (2 values) and team (4 values) tell nothing."""
    rng = np.random.default_rng(seed)
    rank = rng.choice(["assistant", "associate", "full"], n)
    base = pd.Series(rank).map({"assistant": 80.0, "associate": 95.0, "full": 130.0})
    return pd.DataFrame(
        {
            "sex": rng.choice(["F", "M"], n),
            "team": rng.choice(list("abcd"), n),
            "rank": rank,
            "salary": (base + rng.normal(0, 8, n)).round(1),
            "years": rng.integers(1, 40, n),
        }
    )


def test_auto_condition_is_the_column_that_tells_most_not_the_one_with_fewest_values():
    gan = dgu.TabularGAN(seed=0, verbose=0).build(_staff_table())
    assert gan.condition_column_ == "rank"
    assert gan.generator_.input_shape == (None, gan.latent_dim + 3)


def test_auto_condition_tie_goes_to_the_fewest_values():
    # Two categories whose cross-table is exactly balanced: neither tells anything.
    wide = pd.DataFrame({"four": list("abcd") * 30, "two": ["x"] * 60 + ["y"] * 60})
    transformer = dgu.TabularTransformer().fit(wide)
    assert dgu._condition_column(transformer, "auto", wide) == "two"
    assert dgu._condition_column(transformer, "four", wide) == "four"
    assert dgu._condition_column(transformer, None, wide) is None


def test_association_with_numbers_is_the_adjusted_correlation_ratio():
    from sklearn.feature_selection import f_classif

    rng = np.random.default_rng(1)
    groups = rng.integers(0, 5, 200)
    values = groups * 0.5 + rng.normal(size=200)
    values[:7] = np.nan  # left out
    present = ~np.isnan(values)
    f = f_classif(values[present, None], groups[present])[0][0]
    n, k = present.sum(), 5
    expected = (f - 1) * (k - 1) / (f * (k - 1) + n - k)  # epsilon squared from the F statistic
    assert dgu._association(groups, values, False) == pytest.approx(expected, rel=1e-9)


def test_association_of_two_categories_is_bias_corrected_cramers_v():
    from scipy.stats.contingency import association

    rng = np.random.default_rng(2)
    first = rng.integers(0, 3, 150)
    second = (first + rng.integers(0, 2, 150)) % 4
    table = pd.crosstab(first, second).to_numpy()
    n, (r, c) = 150, table.shape
    phi2 = association(table, method="cramer") ** 2 * min(r - 1, c - 1)
    corrected = max(0.0, phi2 - (r - 1) * (c - 1) / (n - 1))
    r_, c_ = r - (r - 1) ** 2 / (n - 1), c - (c - 1) ** 2 / (n - 1)
    expected = corrected / min(r_ - 1, c_ - 1)
    assert dgu._association(first, second, True) == pytest.approx(expected, rel=1e-9)


def test_association_with_a_value_on_every_row_is_zero_not_a_division_by_zero():
    groups = np.array([0, 0, 1, 1, 2, 2])
    assert dgu._association(groups, np.arange(6), True) == 0.0
    assert dgu._association(np.arange(6), groups, True) == 0.0
    assert dgu._association(np.arange(6), np.linspace(0, 1, 6), False) == 0.0


def test_association_is_near_zero_on_average_for_many_small_unrelated_groups():
    from scipy.stats.contingency import association

    # 30 groups of 2 rows: the plain measures are about 0.5 by chance alone.
    rng = np.random.default_rng(3)
    groups = np.repeat(np.arange(30), 2)
    numbers, categories, plain_numbers, plain_categories = [], [], [], []
    for _ in range(40):
        values, labels = rng.normal(size=60), rng.integers(0, 2, 60)
        numbers.append(dgu._association(groups, values, False))
        categories.append(dgu._association(groups, labels, True))
        means = pd.Series(values).groupby(groups).transform("mean")
        plain_numbers.append(
            np.sum((means - values.mean()) ** 2) / np.sum((values - values.mean()) ** 2)
        )
        plain_categories.append(
            association(pd.crosstab(groups, labels).to_numpy(), method="cramer") ** 2
        )
    # The adjusted measures are clipped at 0, so their mean stays a little above it.
    assert np.mean(plain_numbers) > 0.4 and np.mean(plain_categories) > 0.4
    assert np.mean(numbers) < 0.15 and np.mean(categories) < 0.15


@pytest.mark.parametrize("app", ["Netflix", "WhatsApp", "8 Ball Pool"])
def test_conditional_sampling_returns_only_the_requested_category(conditional_gan, app):
    rows = conditional_gan.sample(500, seed=1, conditions={"App": app})
    assert len(rows) == 500
    assert set(rows["App"]) == {app}


def test_unconditional_sampling_keeps_the_training_proportions(conditional_gan):
    rows = conditional_gan.sample(4000, seed=2)
    shares = rows["App"].value_counts(normalize=True)
    assert set(shares.index) == set(conditional_gan.transformer_.specs_[1].categories)
    assert shares.between(1 / 8 - 0.03, 1 / 8 + 0.03).all()  # 25 rows of each app


def test_unknown_condition_value_lists_the_known_ones(conditional_gan):
    with pytest.raises(dgu.ConfigError, match=r"unknown value 'TikTok' for 'App'.*'Netflix'"):
        conditional_gan.sample(5, conditions={"App": "TikTok"})


def test_condition_on_another_column_is_refused(conditional_gan):
    with pytest.raises(dgu.ConfigError, match=r"conditions must be \{'App': value\}"):
        conditional_gan.sample(5, conditions={"Notifications": 3})


def test_conditions_need_a_conditional_model(fitted_gan):
    with pytest.raises(dgu.ConfigError, match="not conditioned on a column: fit it with"):
        fitted_gan.sample(5, conditions={"App": "Netflix"})


def test_condition_on_a_numeric_column_is_refused(screentime):
    gan = dgu.TabularGAN(condition_on="Notifications", nb_epochs=2, verbose=0)
    with pytest.raises(dgu.SchemaError, match="'Notifications' is integer: only a categorical"):
        gan.fit(screentime)


def test_condition_on_an_unknown_column_is_refused(screentime):
    gan = dgu.TabularGAN(condition_on="Device", nb_epochs=2, verbose=0)
    with pytest.raises(dgu.SchemaError, match="'Device' is not modelled; the columns are"):
        gan.fit(screentime)


def test_conditional_model_samples_the_same_after_save_and_load(conditional_gan, tmp_path):
    before = conditional_gan.sample(50, seed=3, conditions={"App": "X"})
    loaded = dgu.TabularGAN.load(conditional_gan.save(tmp_path / "model"))
    pd.testing.assert_frame_equal(loaded.sample(50, seed=3, conditions={"App": "X"}), before)


def test_training_by_sampling_weighs_rare_categories_up():
    table = pd.DataFrame({"c": ["a"] * 90 + ["b"] * 10})
    transformer = dgu.TabularTransformer().fit(table)
    data = transformer.transform(table)
    weights = dgu._ConditionSampler.fit(transformer, "c", data).row_weights(data)
    # CTGAN's log-frequency: each category weighs log(1 + count), shared by its rows.
    share_b = weights[90:].sum() / weights.sum()
    assert share_b == pytest.approx(np.log(11) / (np.log(11) + np.log(91)))


# -- log1p scaling -----------------------------------------------------------


def test_log_scale_round_trips_and_picks_skewed_columns():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"skewed": rng.geometric(0.05, 300), "flat": rng.integers(0, 10, 300)})
    transformer = dgu.TabularTransformer(log_scale="auto").fit(df)
    assert [spec.log for spec in transformer.specs_] == [True, False]
    back = transformer.inverse_transform(transformer.transform(df))
    pd.testing.assert_frame_equal(back, df)


def test_log_scale_refuses_negative_columns():
    df = pd.DataFrame({"x": [-1.0, 2.0, 3.0], "y": [1, 2, 3]})
    with pytest.raises(dgu.SchemaError, match=r"log_scale names \['x'\].*log1p needs numbers"):
        dgu.TabularTransformer(log_scale=["x"]).fit(df)


def test_log_scale_refuses_an_unknown_mode():
    with pytest.raises(dgu.ConfigError, match="log_scale must be True, False, 'auto'"):
        dgu.TabularTransformer(log_scale="sqrt").fit(pd.DataFrame({"x": [1, 2, 3]}))


# -- model selection ---------------------------------------------------------


class ScriptedSelection(dgu._ModelSelection):
    """Scores from a script instead of a sample, to test the rule alone.

    ``damped=False``: the rule compares each check's own fidelity (``_score`` is
    the identity), to test protection, patience and ``min_delta`` apart from the
    damping, which has tests of its own.
    """

    def __init__(self, script, damped=True, **kwargs):
        super().__init__(**kwargs)
        self.script = list(script)
        self.damped = damped

    def _check(self):
        fidelity, protection = self.script.pop(0)
        record = {"fidelity": fidelity, "protection": protection, "averaged": False}
        return record, self.model.snapshot()

    def _score(self, fidelity):
        return super()._score(fidelity) if self.damped else fidelity


class WeightLog(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.generator.get_weights())


def run_selection(numeric, script, patience=0, damped=False, **options):
    data = dgu.TabularTransformer().fit(numeric).transform(numeric).astype(np.float32)
    generator, discriminator = dgu.build_generator(8, 3, (16,)), dgu.build_discriminator(3, (16,))
    model = dgu._GANModel(generator, discriminator, 8, steps_per_epoch=4, max_epochs=len(script))
    model.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2))
    log = WeightLog()  # runs before the selection callback at each epoch's end
    selection = ScriptedSelection(
        script,
        damped=damped,
        sample=lambda seed: numeric.head(5),
        train=numeric.iloc[:150],
        valid=numeric.iloc[150:],
        check_every=1,
        min_protection=0.9,
        patience=patience,
        **options,
    )
    model.fit(data, batch_size=50, epochs=len(script), callbacks=[log, selection], verbose=0)
    return model, log, selection


def test_selection_restores_the_best_qualified_epoch(numeric):
    # Epoch 4 has the highest fidelity but copies (protection 0.5): it must not win.
    script = [(0.5, 1.0), (0.8, 0.95), (0.7, 1.0), (0.99, 0.5), (0.6, 0.92)]
    with pytest.warns(dgu.ProtectionWarning, match="epoch 4 reached fidelity 0.990"):
        model, log, selection = run_selection(numeric, script)
    assert selection.best["epoch"] == 2
    for restored, kept in zip(model.generator.get_weights(), log.weights[1], strict=True):
        np.testing.assert_array_equal(restored, kept)
    assert not np.array_equal(model.generator.get_weights()[0], log.weights[-1][0])
    assert list(selection.log["fidelity"]) == [s[0] for s in script]


def test_selection_stops_after_patience_checks_without_a_better_model(numeric):
    script = [(0.5, 1.0), (0.9, 1.0), (0.8, 1.0), (0.7, 1.0), (0.95, 1.0), (0.99, 1.0)]
    _, log, selection = run_selection(numeric, script, patience=2)
    assert len(log.weights) == 4  # best at epoch 2, then 2 checks without better: stop
    assert selection.best["epoch"] == 2


def test_gains_below_min_delta_are_not_a_new_best(numeric):
    # Epochs 3 and 4 gain 0.004 and 0.008 on epoch 2: only the second counts with 0.005.
    script = [(0.5, 1.0), (0.8, 1.0), (0.804, 1.0), (0.808, 1.0), (0.812, 1.0), (0.81, 1.0)]
    _, log, selection = run_selection(numeric, script, patience=2, min_delta=0.005)
    assert selection.best["epoch"] == 4
    assert len(log.weights) == 6  # no gain of 0.005 on epoch 4 at epochs 5 and 6: stop
    _, _, plain = run_selection(numeric, script, patience=2)
    assert plain.best["epoch"] == 5


def test_a_lucky_check_is_damped_by_the_last_one(numeric):
    # Epoch 2 jumps to 0.90 from 0.80: it scores 0.85, and epoch 5 (0.87 after
    # 0.86) beats it with 0.865. Compared alone, epoch 2's 0.90 would stay the best.
    script = [(0.80, 1.0), (0.90, 1.0), (0.84, 1.0), (0.86, 1.0), (0.87, 1.0)]
    model, log, selection = run_selection(numeric, script, damped=True)
    assert [r["score"] for r in selection.records] == pytest.approx([0.80, 0.85, 0.84, 0.85, 0.865])
    assert selection.best["epoch"] == 5
    for restored, kept in zip(model.generator.get_weights(), log.weights[4], strict=True):
        np.testing.assert_array_equal(restored, kept)
    assert list(selection.log["fidelity"]) == [s[0] for s in script]  # the history: raw
    _, _, undamped = run_selection(numeric, script)
    assert undamped.best["epoch"] == 2


def test_a_check_never_scores_above_its_own_fidelity(numeric):
    # Epoch 3 (0.6) follows a copying 0.99: the mean, 0.795, would beat epoch 1's
    # 0.7; its own 0.6 does not.
    script = [(0.7, 1.0), (0.99, 0.5), (0.6, 1.0)]
    with pytest.warns(dgu.ProtectionWarning, match="epoch 2 reached fidelity 0.990"):
        _, _, selection = run_selection(numeric, script, damped=True)
    assert selection.records[-1]["score"] == pytest.approx(0.6)
    assert selection.best["epoch"] == 1


def test_fit_logs_selection_scores_in_history(screentime):
    gan = dgu.TabularGAN(nb_epochs=60, check_every=20, batch_size=64, seed=0, verbose=0)
    gan.fit(screentime)
    checks = gan.history.dropna()
    assert list(checks.index) == [20, 40, 60]
    assert ((checks["fidelity"] > 0) & (checks["fidelity"] <= 1)).all()
    assert ((checks["protection"] >= 0) & (checks["protection"] <= 1)).all()
    assert gan.best_epoch_ in (20, 40, 60)
    assert len(gan.history) == 60


# -- checks scored in the background ----------------------------------------

BACKGROUND_RUN = {
    "nb_epochs": 400,
    "check_every": 20,
    "patience": 3,
    "min_delta": 0.05,
    "batch_size": 64,
}


def scoring_in_line(monkeypatch):
    """Make ``fit`` score every check before training goes on, as before the worker."""
    monkeypatch.setattr(dgu._ModelSelection, "in_background", lambda self: contextlib.nullcontext())


def test_checks_scored_in_the_background_keep_what_in_line_scoring_keeps(screentime, monkeypatch):
    background = dgu.TabularGAN(**BACKGROUND_RUN, seed=0, verbose=0).fit(screentime)
    scoring_in_line(monkeypatch)
    in_line = dgu.TabularGAN(**BACKGROUND_RUN, seed=0, verbose=0).fit(screentime)
    assert len(in_line.history) < BACKGROUND_RUN["nb_epochs"]  # it stopped early
    checks = [gan.history[["fidelity", "protection"]].dropna() for gan in (background, in_line)]
    pd.testing.assert_frame_equal(*checks)
    assert background.best_epoch_ == in_line.best_epoch_
    pd.testing.assert_frame_equal(background.sample(50, seed=1), in_line.sample(50, seed=1))
    # A check's verdict is taken at the next check: the early stop comes one check later.
    assert len(background.history) == len(in_line.history) + BACKGROUND_RUN["check_every"]


def test_an_error_while_scoring_in_the_background_reaches_the_caller(numeric, monkeypatch):
    def fail(self, synthetic):
        raise RuntimeError("scoring failed")

    monkeypatch.setattr(dgu._ModelSelection, "_fidelity", fail)
    filters = list(warnings.filters)
    gan = dgu.TabularGAN(nb_epochs=60, check_every=20, batch_size=64, seed=0, verbose=0)
    with pytest.raises(RuntimeError, match="scoring failed"):
        gan.fit(numeric)
    assert warnings.filters == filters  # the worker's filter is gone with it


def test_only_sdmetrics_warnings_from_the_background_are_silenced(numeric, monkeypatch):
    scored = dgu._ModelSelection._fidelity

    def noisy(self, synthetic):
        for module in ("sdmetrics.reports.fake", "somewhere.else"):
            warnings.warn_explicit(f"from {module}", UserWarning, "fake.py", 1, module=module)
        return scored(self, synthetic)

    monkeypatch.setattr(dgu._ModelSelection, "_fidelity", noisy)
    gan = dgu.TabularGAN(nb_epochs=40, check_every=20, batch_size=64, seed=0, verbose=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gan.fit(numeric)
    messages = {str(w.message) for w in caught}
    assert "from somewhere.else" in messages
    assert "from sdmetrics.reports.fake" not in messages
    assert gan.history["fidelity"].notna().sum() == 2


def test_selection_is_off_with_too_few_validation_rows(numeric):
    gan = dgu.TabularGAN(nb_epochs=4, validation_size=0.1, seed=0, verbose=0)
    with pytest.warns(UserWarning, match="model selection is off: 40 rows x validation_size=0.1"):
        gan.fit(numeric.head(40))
    assert "fidelity" not in gan.history


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"validation_size": 1.5}, r"validation_size must be in \[0, 1\)"),
        ({"patience": -1}, "patience must be a non-negative integer"),
        ({"min_protection": 2}, r"min_protection must be in \[0, 1\]"),
        ({"min_delta": -0.01}, r"min_delta must be in \[0, 1\), got -0.01"),
        ({"check_every": 0}, "check_every must be a positive integer"),
        ({"check_every": "often"}, r"check_every must be a positive integer \(or 'auto'\)"),
        ({"beta_2": 1.0}, r"beta_2 must be in \[0, 1\)"),
        ({"condition_on": 3.5}, "condition_on must be a column.s label"),
    ],
)
def test_selection_settings_are_checked(kwargs, message):
    with pytest.raises(dgu.ConfigError, match=message):
        dgu.TabularGAN(**kwargs)


def test_fewer_training_rows_than_pac_is_refused(numeric):
    gan = dgu.TabularGAN(pac=4, batch_size=4, validation_size=0.0, nb_epochs=1, verbose=0)
    with pytest.raises(dgu.InvalidDataError, match="3 training rows are fewer than pac=4"):
        gan.fit(numeric.head(3))


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: dgu.build_generator(8, 3, (16,), n_conditions=-1), "n_conditions must be a"),
        (lambda: dgu.build_discriminator(3, (16,), pac=0), "pac must be a positive integer"),
        (lambda: dgu.TabularGAN(dequantize="yes"), "dequantize must be True or False"),
    ],
)
def test_network_and_training_switches_are_checked(build, message):
    with pytest.raises(dgu.ConfigError, match=message):
        build()


def test_conditional_discriminator_judges_packs_of_rows():
    discriminator = dgu.build_discriminator(12 + 8, (16,), pac=2)
    assert discriminator.input_shape == (None, 40)


def test_a_rare_condition_value_is_always_trained_on():
    # One row in 1,000: with a 20 % validation slice it would fall out of training on
    # about one seed in five, and then never be generated.
    table = pd.DataFrame({"c": ["rare"] + ["a", "b", "c"] * 333, "x": np.arange(1000.0)})
    for seed in range(10):
        train, valid = dgu._split(table, 0.2, "c", seed)
        assert "rare" in set(train["c"]) and "rare" not in set(valid["c"])
        assert len(train) + len(valid) == 1000 and not set(train.index) & set(valid.index)


def test_a_condition_column_renamed_in_the_specs_only_is_refused_at_load(conditional_gan, tmp_path):
    import json

    folder = conditional_gan.save(tmp_path / "model")
    state = json.loads((folder / "model.json").read_text())
    specs = state["transformer"]["specs"]
    next(spec for spec in specs if spec["name"] == "App")["name"] = "Application"
    (folder / "model.json").write_text(json.dumps(state))
    with pytest.raises(dgu.ModelFileError, match=r"model\.json' is corrupted: column 'App'"):
        dgu.TabularGAN.load(folder)


def test_condition_shares_that_do_not_match_the_values_are_refused_at_load(
    conditional_gan, tmp_path
):
    import json

    folder = conditional_gan.save(tmp_path / "model")
    state = json.loads((folder / "model.json").read_text())
    state["condition_freqs"] = state["condition_freqs"][:3]
    (folder / "model.json").write_text(json.dumps(state))
    with pytest.raises(dgu.ModelFileError, match=r"condition_freqs .* do not match the 8 values"):
        dgu.TabularGAN.load(folder)


# -- calibrated protection ---------------------------------------------------


def population(n, seed):
    """Rows of one population: two numbers, a category and a whole count."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "y": rng.gamma(2.0, 1.0, n),
            "c": rng.choice(list("abcd"), n),
            "k": rng.integers(0, 1000, n),
        }
    )


@pytest.mark.parametrize("n_valid", [80, 200])
def test_protection_ranks_a_memoriser_near_0_and_a_fresh_sample_near_1(n_valid):
    train, valid = population(800, 0), population(n_valid, 1)
    selection = dgu._ModelSelection(
        sample=None, train=train, valid=valid, check_every=1, min_protection=0.8
    )
    memoriser = train.sample(1000, replace=True, random_state=2)
    fresh = population(1000, 3)
    assert selection.protection(memoriser) < 0.05
    assert selection.protection(fresh) > 0.9
    # A copy of a training row that a subset of the training rows would miss counts.
    half_copies = pd.concat([train.sample(500, random_state=4), population(500, 5)])
    assert 0.4 < selection.protection(half_copies) < 0.6


def test_when_no_check_is_protected_enough_the_safest_is_kept_with_a_warning(numeric):
    script = [(0.9, 0.5), (0.95, 0.7), (0.99, 0.6)]
    with pytest.warns(
        dgu.ProtectionWarning,
        match=r"no model-selection check reached "
        r"min_protection=0.9: the model keeps the safest check, epoch 2 "
        r"\(protection 0.70\)",
    ):
        model, log, selection = run_selection(numeric, script)
    assert selection.best["epoch"] == 2
    for restored, kept in zip(model.generator.get_weights(), log.weights[1], strict=True):
        np.testing.assert_array_equal(restored, kept)


def test_a_protected_check_beats_any_unprotected_one(numeric):
    # Protections 0.6 and 0.65: under min_protection (0.9) by more than the fallback's
    # margin, so no fallback either.
    script = [(0.99, 0.6), (0.5, 0.95), (0.99, 0.65)]
    with pytest.warns(dgu.ProtectionWarning, match="reached fidelity 0.990"):
        _, _, selection = run_selection(numeric, script)
    assert selection.best["epoch"] == 2


def test_passing_over_a_much_more_faithful_check_is_said(numeric):
    # Epoch 3 gains 0.1 of fidelity but falls short of min_protection (0.9): the
    # model keeps epoch 2, and says what it passed over and what to do.
    script = [(0.5, 1.0), (0.8, 1.0), (0.9, 0.5)]
    with pytest.warns(dgu.ProtectionWarning) as caught:
        _, _, selection = run_selection(numeric, script)
    assert selection.best["epoch"] == 2
    message = str(caught[0].message)
    assert "keeps epoch 2 (fidelity 0.800): epoch 3 reached fidelity 0.900" in message
    assert "its protection, 0.50, is under min_protection=0.9" in message
    assert "measured on 50 validation rows" in message
    assert "lower min_protection (e.g. 0.5) or another seed" in message


def test_passing_over_a_check_within_the_checks_noise_is_not_said(numeric):
    script = [(0.5, 1.0), (0.8, 1.0), (0.84, 0.5)]  # 0.04: within _PASSED_OVER_FIDELITY
    with warnings.catch_warnings():
        warnings.simplefilter("error", dgu.ProtectionWarning)
        _, _, selection = run_selection(numeric, script)
    assert selection.best["epoch"] == 2


def test_a_nearly_protected_check_far_more_faithful_is_kept(numeric):
    # min_protection 0.9: epoch 3 (0.75) is within _FALLBACK_MARGIN of it and 0.1 more
    # faithful than the protected epoch 2: an unlucky slice, not copying. It is kept.
    script = [(0.5, 1.0), (0.8, 1.0), (0.9, 0.75), (0.6, 1.0)]
    with pytest.warns(dgu.ProtectionWarning) as caught:
        model, log, selection = run_selection(numeric, script)
    assert selection.best["epoch"] == 3
    for restored, kept in zip(model.generator.get_weights(), log.weights[2], strict=True):
        np.testing.assert_array_equal(restored, kept)
    assert len(caught) == 1  # neither the passed-over nor the unprotected warning
    message = str(caught[0].message)
    assert "keeps epoch 3 (fidelity 0.900, protection 0.75, under min_protection=0.9)" in message
    assert "in place of epoch 2 (fidelity 0.800)" in message
    assert "measured on 50 validation rows" in message
    assert "fit again with another seed to compare" in message


def test_a_nearly_protected_check_within_the_noise_is_not_kept(numeric):
    script = [(0.5, 1.0), (0.8, 1.0), (0.84, 0.75), (0.6, 1.0)]  # 0.04
    with warnings.catch_warnings():
        warnings.simplefilter("error", dgu.ProtectionWarning)
        _, _, selection = run_selection(numeric, script)
    assert selection.best["epoch"] == 2
    assert selection.fallback["epoch"] == 3


def test_checks_come_every_hundred_training_steps_by_default(screentime):
    table = pd.concat([screentime] * 3, ignore_index=True)  # 480 training rows: 3 steps
    gan = dgu.TabularGAN(nb_epochs=100, seed=0, verbose=0).fit(table)
    checks = gan.history.dropna().index
    assert list(checks) == [25, 50, 75, 100]  # 100's divisor nearest to 100 steps / 3 = 33
    assert dgu.CHECK_STEPS == 100
    assert dgu._nearest_divisor(10000, 100 / 3) == 40  # log(40 / 33) < log(33 / 25)
    assert dgu._nearest_divisor(10000, 100) == 100
    assert dgu._nearest_divisor(10000, 0.2) == 1
    assert dgu._nearest_divisor(7, 3) == 7  # a prime: 1 or 7, 7 nearer on a log scale


def test_checks_that_compute_more_scores_come_further_apart_with_the_same_patience_span():
    # 1 step an epoch: the base interval is 100 epochs (a divisor of 9,000).
    assert dgu._check_schedule(9000, 1, dgu.CHECK_SCORES, 10) == (100, 10)
    assert dgu._check_schedule(9000, 1, 0, 10) == (100, 10)
    # Three times the scores: 300 epochs (3 x 100 divides 9,000), and a patience of
    # 10 x 100 / 300 = 3.3 checks, rounded: the same thousand steps or so.
    assert dgu._check_schedule(9000, 1, 3 * dgu.CHECK_SCORES, 10) == (300, 3)
    # Never stopping stays never stopping; any patience keeps at least one check.
    assert dgu._check_schedule(9000, 1, 3 * dgu.CHECK_SCORES, 0) == (300, 0)
    assert dgu._check_schedule(9000, 1, 3 * dgu.CHECK_SCORES, 1) == (300, 1)


def test_a_check_computes_a_shape_per_column_and_a_trend_per_counted_pair():
    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    real = pd.DataFrame(
        {
            "x": x,
            "twice": 2 * x + rng.normal(scale=0.1, size=300),
            "minus": -x + rng.normal(scale=0.1, size=300),
            "noise": rng.normal(size=300),
        }
    )
    score = dgu._QualityScore(real, dgu._sdmetrics_metadata(real))
    # Four shapes, and the three pairs among x, twice and minus (|r| > 0.5); the
    # pairs with the independent column hold no trend, so SDMetrics does not count them.
    assert set(score.pairs) == {("x", "twice"), ("x", "minus"), ("twice", "minus")}
    assert score.scores == 4 + 3


def test_a_fit_spaces_its_checks_by_what_they_compute(screentime, monkeypatch):
    table = pd.concat([screentime] * 3, ignore_index=True)  # 480 training rows: 3 steps
    # Screen time's checks compute 5 shapes and a few pair trends: with a budget of 2
    # scores per 100 steps, they come at least 3 times further apart, at the divisor
    # of 100 epochs nearest 3 x 33 or more: 100, one check.
    monkeypatch.setattr(dgu, "CHECK_SCORES", 2)
    gan = dgu.TabularGAN(nb_epochs=100, seed=0, verbose=0).fit(table)
    assert list(gan.history.dropna().index) == [100]
