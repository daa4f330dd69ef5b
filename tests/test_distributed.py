"""The tf.distribute path, for real: MirroredStrategy over two logical CPU devices.

Logical devices must be set before TensorFlow starts, so each test runs a script in
a fresh Python process.
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

import data_gen_utils as dgu

TWO_CPUS = """
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import keras, numpy as np, data_gen_utils as dgu
mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
assert mirrored.num_replicas_in_sync == 2
"""


def run(script, tmp_path):
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    code = TWO_CPUS + textwrap.dedent(script)
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=900, cwd=tmp_path)


def test_mirrored_training_samples_saves_and_loads_without_a_strategy(tmp_path):
    data = os.path.abspath("data/screentime_analysis.csv")
    run(
        f"""
        df = dgu.load_data({data!r})
        gan = dgu.TabularGAN(nb_epochs=60, check_every=20, seed=0, verbose=0, strategy=mirrored)
        gan.fit(df)
        gan.save("model")
        dgu.save_csv(gan.sample(300, seed=1, conditions={{"App": "Netflix"}}), "netflix.csv")
        gan.history.to_csv("history.csv")
        """,
        tmp_path,
    )
    history = pd.read_csv(tmp_path / "history.csv", index_col="epoch")
    assert len(history) == 60
    assert np.isfinite(history[["d_loss", "g_loss"]].to_numpy()).all()
    assert list(history.dropna().index) == [20, 40, 60]
    loaded = dgu.TabularGAN.load(tmp_path / "model")  # this process has no strategy
    assert loaded.strategy is None
    mirrored_rows = dgu.load_data(tmp_path / "netflix.csv")
    pd.testing.assert_frame_equal(
        loaded.sample(300, seed=1, conditions={"App": "Netflix"}), mirrored_rows
    )
    assert set(mirrored_rows["App"]) == {"Netflix"}


def test_a_step_does_not_depend_on_the_number_of_replicas(tmp_path):
    # A generator with zero kernels makes the same row whatever the noise, so the
    # discriminator's step depends only on the real batch. With plain SGD (Adam would
    # hide a scale error), its update must be the same on one device and on two.
    run(
        """
        batch = np.random.default_rng(0).uniform(-1, 1, (64, 3)).astype("float32")

        def discriminator_before_and_after_one_step(strategy):
            with strategy.scope():
                keras.utils.set_random_seed(0)
                generator = dgu.build_generator(4, 3, (8,))
                generator.set_weights([w * 0 for w in generator.get_weights()])
                discriminator = dgu.build_discriminator(3, (8,))
                model = dgu.GANModel(generator, discriminator, 4, seed=0, loss="bce")
                model.compile(keras.optimizers.SGD(0.5), keras.optimizers.SGD(0.5))
                model.build_optimizers()
            before = discriminator.get_weights()
            model.fit(tf.data.Dataset.from_tensors(batch), epochs=1, verbose=0)
            return before, discriminator.get_weights(), model.epoch_losses

        start_1, end_1, losses_1 = discriminator_before_and_after_one_step(
            tf.distribute.get_strategy()
        )
        start_2, end_2, losses_2 = discriminator_before_and_after_one_step(mirrored)
        for a, b in zip(start_1, start_2, strict=True):
            np.testing.assert_array_equal(a, b)
        assert max(float(np.abs(a - b).max()) for a, b in zip(start_1, end_1)) > 1e-3
        for a, b in zip(end_1, end_2, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(losses_1["d_loss"], losses_2["d_loss"], rtol=1e-4)
        """,
        tmp_path,
    )


def test_a_strategy_must_be_a_tf_distribute_strategy():
    with pytest.raises(dgu.ConfigError, match=r"strategy must be a tf\.distribute\.Strategy"):
        dgu.TabularGAN(strategy="mirrored")
