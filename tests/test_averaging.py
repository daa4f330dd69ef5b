"""The moving average of the generator's weights (``ema_momentum``)."""

import contextlib
import math

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

import data_gen_utils as dgu


class StepWeights(keras.callbacks.Callback):
    """The generator's trainable weights after every training step."""

    def on_train_begin(self, logs=None):
        self.steps = []

    def on_train_batch_end(self, batch, logs=None):
        self.steps.append([w.numpy() for w in self.model.generator.trainable_weights])


class EpochWeights(keras.callbacks.Callback):
    """At each Keras epoch's end: the generator's own weights and its averaged ones."""

    def on_train_begin(self, logs=None):
        self.raw, self.averaged = {}, {}

    def on_epoch_end(self, epoch, logs=None):
        done = self.model.epochs_done
        self.raw[done] = self.model.generator.get_weights()
        with self.model.averaged():
            self.averaged[done] = self.model.generator.get_weights()


def test_the_average_is_exponential_and_training_goes_on_from_the_own_weights():
    x = np.random.default_rng(0).uniform(-1, 1, (48, 2)).astype("float32")
    batch, epochs, momentum = 16, 3, 0.8
    model = dgu._GANModel(
        dgu.build_generator(4, 2, (8,)),
        dgu.build_discriminator(2, (8,)),
        latent_dim=4,
        seed=0,
        steps_per_epoch=math.ceil(48 / batch),
        max_epochs=epochs,
    )
    model.compile(
        keras.optimizers.Adam(1e-2),
        keras.optimizers.Adam(1e-2, use_ema=True, ema_momentum=momentum),
    )
    steps = StepWeights()
    ds = tf.data.Dataset.from_tensor_slices(x).batch(batch).repeat()
    model.fit(ds, epochs=epochs, steps_per_epoch=3, callbacks=[steps], verbose=0, shuffle=False)

    expected = steps.steps[0]
    for weights in steps.steps[1:]:
        expected = [
            momentum * e + (1 - momentum) * w for e, w in zip(expected, weights, strict=True)
        ]
    own = steps.steps[-1]
    with model.averaged():
        inside = [w.numpy() for w in model.generator.trainable_weights]
    after = [w.numpy() for w in model.generator.trainable_weights]
    for average, mine, last, back in zip(expected, inside, own, after, strict=True):
        np.testing.assert_allclose(mine, average, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(back, last)
    assert any(not np.allclose(a, b) for a, b in zip(inside, own, strict=True))


def _gan(**overrides):
    kwargs = {"nb_epochs": 40, "check_every": 10, "batch_size": 64, "seed": 0, "verbose": 0}
    return dgu.TabularGAN(**{**kwargs, **overrides})


@pytest.fixture(scope="module")
def averaged_run(numeric):
    record = EpochWeights()
    gan = _gan(ema_momentum=0.9, patience=0, min_protection=0.0)
    gan.fit(numeric, callbacks=[record])
    return gan, record


def test_model_selection_keeps_the_averaged_weights_of_its_best_check(averaged_run):
    gan, record = averaged_run
    best = gan.best_epoch_
    assert best in record.averaged
    kept = gan.generator_.get_weights()
    for mine, average in zip(kept, record.averaged[best], strict=True):
        np.testing.assert_allclose(mine, average, rtol=1e-6, atol=1e-7)
    assert any(not np.allclose(k, r) for k, r in zip(kept, record.raw[best], strict=True))


def test_averaging_leaves_the_training_itself_unchanged(numeric, averaged_run):
    gan, _ = averaged_run
    plain = _gan(patience=0, min_protection=0.0).fit(numeric)
    losses = ["d_loss", "g_loss"]
    pd.testing.assert_frame_equal(gan.history[losses], plain.history[losses], rtol=1e-5)
    assert not gan.history["fidelity"].dropna().equals(plain.history["fidelity"].dropna())


def test_without_selection_the_model_ends_with_the_averaged_weights(numeric):
    record = EpochWeights()
    gan = _gan(ema_momentum=0.9, validation_size=0.0).fit(numeric, callbacks=[record])
    last = max(record.averaged)
    assert last == 40
    for mine, average in zip(gan.generator_.get_weights(), record.averaged[last], strict=True):
        np.testing.assert_allclose(mine, average, rtol=1e-6, atol=1e-7)


def test_a_bad_momentum_is_refused():
    with pytest.raises(dgu.ConfigError, match=r"ema_momentum must be in \(0, 1\), got 1"):
        dgu.TabularGAN(ema_momentum=1)


class FakeModel:
    """What ``_ModelSelection`` reads of a ``_GANModel``, with a flag for the averaged weights."""

    averages_weights = True
    epochs_done = 10
    stop_training = False

    def __init__(self):
        self.inside = False

    @contextlib.contextmanager
    def averaged(self):
        self.inside = True
        try:
            yield
        finally:
            self.inside = False

    def snapshot(self):
        return ["averaged" if self.inside else "own"]


@pytest.mark.parametrize(
    ("averaged_copies", "kept", "samples"),
    [(True, "own", 2), (False, "averaged", 1)],
)
def test_a_check_falls_back_on_the_own_weights_when_the_average_copies(
    numeric, averaged_copies, kept, samples
):
    train, valid = numeric.iloc[:150], numeric.iloc[150:]
    model, drawn = FakeModel(), []

    def sample(seed):
        drawn.append(model.inside)
        copies = averaged_copies == model.inside
        return train.sample(60, random_state=0) if copies else valid

    selection = dgu._ModelSelection(sample, train, valid, check_every=10, min_protection=0.7)
    selection.set_model(model)
    selection.on_epoch_end(0)
    assert len(drawn) == samples and drawn[0] is True  # the average is scored first
    assert selection.best_weights == [kept]
    assert selection.records[0]["averaged"] is (kept == "averaged")
    assert selection.records[0]["protection"] > 0.9


def test_the_history_says_which_weights_each_check_scored(averaged_run, numeric):
    gan, _ = averaged_run
    checks = gan.history.dropna()
    assert list(checks.columns) == ["d_loss", "g_loss", "fidelity", "protection", "averaged"]
    assert set(checks["averaged"]) <= {0.0, 1.0}
    assert checks["averaged"].eq(1.0).all()  # min_protection=0: the average is always safe
    plain = _gan(ema_momentum=None, nb_epochs=20).fit(numeric)
    assert "averaged" not in plain.history
