"""The tf.distribute path, for real: MirroredStrategy over two logical CPU devices,
and MultiWorkerMirroredStrategy over two local worker processes.

Logical devices and TF_CONFIG must be set before TensorFlow starts, so each test
runs its scripts in fresh Python processes.
"""

import json
import os
import socket
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


def test_a_full_step_on_two_replicas_equals_one_on_one_device(tmp_path):
    # One step of everything random and batch-wide: WGAN-GP (mixing weights per packed
    # sample), pac 2, a condition, Gumbel-softmax heads and the generator's
    # BatchNormalization. With plain SGD (Adam would hide a scale error), two replicas
    # must give the weights one device gives for the same global batch: each replica
    # draws its own noise, and BatchNormalization uses the global batch's statistics.
    run(
        """
        rng = np.random.default_rng(0)
        info = [(2, "tanh"), (3, "softmax")]
        batch = np.hstack(
            [rng.uniform(-1, 1, (64, 2)), np.eye(3)[rng.integers(0, 3, 64)]]
        ).astype("float32")

        def weights_before_and_after_one_step(strategy):
            with strategy.scope():
                keras.utils.set_random_seed(0)
                generator = dgu.build_generator(
                    4, 5, (8,), output_info=info, n_conditions=3, synchronized=True
                )
                discriminator = dgu.build_discriminator(8, (8,), pac=2)
                model = dgu._GANModel(
                    generator, discriminator, 4, seed=0, output_info=info,
                    loss="wgan-gp", pac=2, condition=(2, 3),
                )
                model.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1))
                model.build_optimizers()
            before = generator.get_weights() + discriminator.get_weights()
            model.fit(tf.data.Dataset.from_tensors(batch), epochs=1, verbose=0)
            after = generator.get_weights() + discriminator.get_weights()
            return before, after, model.epoch_losses

        start_1, end_1, losses_1 = weights_before_and_after_one_step(
            tf.distribute.get_strategy()
        )
        start_2, end_2, losses_2 = weights_before_and_after_one_step(mirrored)
        for a, b in zip(start_1, start_2, strict=True):
            np.testing.assert_array_equal(a, b)
        assert max(float(np.abs(a - b).max()) for a, b in zip(start_1, end_1)) > 1e-3
        for a, b in zip(end_1, end_2, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(losses_1, losses_2, rtol=1e-4)
        """,
        tmp_path,
    )


def test_replicas_draw_different_numbers_and_together_what_one_device_draws(tmp_path):
    run(
        """
        with mirrored.scope():
            generator = keras.random.SeedGenerator(3)

        @tf.function
        def draw():
            normal = lambda shape: keras.random.normal(shape, seed=generator)
            return dgu._replica_draw(normal, (4, 2))

        first, second = mirrored.experimental_local_results(mirrored.run(draw))
        assert not np.allclose(first, second)
        alone = keras.random.normal((8, 2), seed=keras.random.SeedGenerator(3))
        np.testing.assert_array_equal(np.vstack([first, second]), alone)
        """,
        tmp_path,
    )


WORKER = """
import json, os, sys
index, ports = int(sys.argv[1]), sys.argv[2].split(",")
os.environ["TF_CONFIG"] = json.dumps({
    "cluster": {"worker": [f"localhost:{port}" for port in ports]},
    "task": {"type": "worker", "index": index},
})
import tensorflow as tf
strategy = tf.distribute.MultiWorkerMirroredStrategy()
import data_gen_utils as dgu
df = dgu.load_data(sys.argv[3])
gan = dgu.TabularGAN(nb_epochs=20, check_every=10, seed=0, verbose=0, strategy=strategy)
gan.fit(df)
gan.save(f"worker{index}")
with open(f"worker{index}.json", "w") as file:
    json.dump({"replicas": strategy.num_replicas_in_sync, "best": gan.best_epoch_}, file)
"""


def free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for sock in sockets:
        sock.bind(("localhost", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def test_multi_worker_training_on_two_local_processes(tmp_path):
    # Two workers on this machine, joined by TF_CONFIG as two machines would be.
    data = os.path.abspath("data/screentime_analysis.csv")
    ports = ",".join(map(str, free_ports(2)))
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(index), ports, data], env=env, cwd=tmp_path
        )
        for index in (0, 1)
    ]
    assert [worker.wait(timeout=900) for worker in workers] == [0, 0]
    reports = [json.loads((tmp_path / f"worker{i}.json").read_text()) for i in (0, 1)]
    assert [report["replicas"] for report in reports] == [2, 2]
    models = [dgu.TabularGAN.load(tmp_path / f"worker{i}") for i in (0, 1)]
    assert len(models[0].history) == 20
    pd.testing.assert_frame_equal(
        models[0].history[["d_loss", "g_loss"]], models[1].history[["d_loss", "g_loss"]]
    )
    for net in ("generator_", "discriminator_"):  # BatchNormalization's statistics too
        pairs = zip(
            getattr(models[0], net).get_weights(),
            getattr(models[1], net).get_weights(),
            strict=True,
        )
        for a, b in pairs:
            np.testing.assert_array_equal(a, b)
    rows = models[0].sample(200, seed=1, conditions={"App": "Netflix"})  # no strategy here
    assert len(rows) == 200 and set(rows["App"]) == {"Netflix"}


def test_a_strategy_must_be_a_tf_distribute_strategy():
    with pytest.raises(dgu.ConfigError, match=r"strategy must be a tf\.distribute\.Strategy"):
        dgu.TabularGAN(strategy="mirrored")
