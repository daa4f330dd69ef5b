"""Training speed: the project's compiled GAN against the tutorial's loop, same process.

The reference is the tutorial's way of training: per step ``generator.predict``,
two ``discriminator.train_on_batch`` (real, then fake) and one
``gan.train_on_batch`` on the combined model. Both sides use the identical
networks (``build_generator`` / ``build_discriminator`` at the seed's sizes),
batch size 128 and number of steps; every step sees a full batch of 128 rows
(the screen-time rows resampled to 1,280, i.e. 10 steps an epoch).

Rows of the table:
- tutorial loop: the reference;
- fit(), 1 epoch per Keras epoch: ``GANModel`` driven by ``fit()`` the plain way;
- TabularGAN.fit: the project's way (many epochs per compiled Keras call), with
  and without XLA (``jit_compile``, the default).

Each is timed after a warm-up (tracing excluded), best of ``--repeats`` runs.
``TabularGAN.fit`` is also timed end to end (checks, preprocessing, tracing).

Usage:
    .venv/bin/python benchmarks/train_speed.py [--steps 3000] [--reference-steps 500]
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

import data_gen_utils as dgu

LATENT_DIM, BATCH = 100, 128
ROOT = Path(__file__).resolve().parent.parent


def make_table(n_rows: int, seed: int = 0) -> pd.DataFrame:
    """The screen-time numeric columns, resampled with replacement to ``n_rows``."""
    df = dgu.load_data(ROOT / "data" / "screentime_analysis.csv")
    numeric = df[dgu.numeric_columns(df)]
    return numeric.sample(n_rows, replace=True, random_state=seed).reset_index(drop=True)


def tutorial_loop(data: np.ndarray, steps: int) -> float:
    """Seconds per step of the tutorial's loop, after 20 warm-up steps."""
    keras.utils.set_random_seed(0)
    generator = dgu.build_generator(LATENT_DIM, data.shape[1])
    discriminator = dgu.build_discriminator(data.shape[1])
    discriminator.compile(
        optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
    )
    # The combined model trains the generator through a frozen discriminator. In
    # Keras 3 `trainable` is read when a train function is first traced: freezing
    # the discriminator once, before everything, would also freeze its own
    # train_on_batch. So the first step traces each function with the right
    # setting, and later steps reuse the traced functions without toggling.
    noise_in = keras.Input((LATENT_DIM,))
    gan = keras.Model(noise_in, discriminator(generator(noise_in)))
    gan.compile(
        optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
    )
    rng = np.random.default_rng(0)
    ones, zeros = np.ones((BATCH, 1)), np.zeros((BATCH, 1))

    def step(first: bool = False) -> None:
        real = data[rng.integers(0, len(data), BATCH)]
        noise = rng.normal(0, 1, (BATCH, LATENT_DIM))
        fake = generator.predict(noise, verbose=0)
        if first:
            discriminator.trainable = True
        discriminator.train_on_batch(real, ones)
        discriminator.train_on_batch(fake, zeros)
        if first:
            discriminator.trainable = False
        gan.train_on_batch(noise, ones)

    step(first=True)
    for _ in range(20):
        step()
    check_reference(generator, discriminator, gan, data)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps


def check_reference(generator, discriminator, gan, data: np.ndarray) -> None:
    """Fail unless the reference trains what it should: D alone, then G alone."""
    noise = np.random.default_rng(1).normal(0, 1, (BATCH, LATENT_DIM))
    before = [w.copy() for w in discriminator.get_weights()]
    gan.train_on_batch(noise, np.ones((BATCH, 1)))
    if not all(
        np.array_equal(a, b) for a, b in zip(before, discriminator.get_weights(), strict=True)
    ):
        raise RuntimeError("the combined model changed the discriminator's weights")
    discriminator.train_on_batch(data[:BATCH], np.ones((BATCH, 1)))
    if all(np.array_equal(a, b) for a, b in zip(before, discriminator.get_weights(), strict=True)):
        raise RuntimeError("discriminator.train_on_batch left its weights unchanged (frozen)")


def plain_fit(data: np.ndarray, steps: int) -> float:
    """Seconds per step of GANModel.fit with one data epoch per Keras epoch."""
    keras.utils.set_random_seed(0)
    steps_per_epoch = math.ceil(len(data) / BATCH)
    epochs = steps // steps_per_epoch
    model = dgu._GANModel(
        dgu.build_generator(LATENT_DIM, data.shape[1]),
        dgu.build_discriminator(data.shape[1]),
        LATENT_DIM,
        seed=0,
        steps_per_epoch=steps_per_epoch,
        max_epochs=epochs + 2,
    )
    model.compile(keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5))
    dataset = (
        tf.data.Dataset.from_tensor_slices(data.astype(np.float32))
        .shuffle(len(data), seed=0)
        .batch(BATCH)
        .repeat()
        .prefetch(tf.data.AUTOTUNE)
    )
    model.fit(dataset, epochs=2, steps_per_epoch=steps_per_epoch, verbose=0, shuffle=False)
    start = time.perf_counter()
    model.fit(dataset, epochs=epochs, steps_per_epoch=steps_per_epoch, verbose=0, shuffle=False)
    return (time.perf_counter() - start) / (epochs * steps_per_epoch)


def tabular_gan(table: pd.DataFrame, steps: int, jit_compile: bool) -> tuple[float, float]:
    """(seconds per step after tracing, end-to-end seconds) of TabularGAN.fit."""
    steps_per_epoch = math.ceil(len(table) / BATCH)
    epochs = steps // steps_per_epoch
    # The seed's GAN (same networks and loss as the tutorial loop), and TabularGAN's
    # training machinery.
    warm = dgu.TabularGAN.seed_config(
        nb_epochs=10, batch_size=BATCH, seed=0, verbose=0, jit_compile=jit_compile
    )
    start = time.perf_counter()
    warm.fit(table)
    short = time.perf_counter() - start
    start = time.perf_counter()
    dgu.TabularGAN.seed_config(
        nb_epochs=epochs, batch_size=BATCH, seed=0, verbose=0, jit_compile=jit_compile
    ).fit(table)
    full = time.perf_counter() - start
    per_step = (full - short) / ((epochs - 10) * steps_per_epoch)
    return per_step, full


def main() -> None:
    """Run every method, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000, help="steps for the compiled runs")
    parser.add_argument("--reference-steps", type=int, default=500, help="tutorial loop steps")
    parser.add_argument("--repeats", type=int, default=2, help="best of this many runs")
    args = parser.parse_args()

    table = make_table(1280)
    data = dgu.TabularTransformer().fit(table).transform(table).astype(np.float32)
    runs = {
        "tutorial loop": lambda: tutorial_loop(data, args.reference_steps),
        "fit(), 1 epoch per Keras epoch": lambda: plain_fit(data, args.steps),
        "TabularGAN.fit, jit_compile=False": lambda: tabular_gan(table, args.steps, False),
        "TabularGAN.fit (default, XLA)": lambda: tabular_gan(table, args.steps, True),
    }
    best: dict[str, float] = dict.fromkeys(runs, math.inf)
    end_to_end: dict[str, float] = {}
    for _ in range(args.repeats):
        for name, run in runs.items():
            result = run()
            per_step, full = result if isinstance(result, tuple) else (result, None)
            best[name] = min(best[name], per_step)
            if full is not None:
                end_to_end[name] = min(end_to_end.get(name, math.inf), full)

    reference = best["tutorial loop"]
    print(
        f"# train_speed: {platform.node()} {os.cpu_count()} CPUs, TensorFlow {tf.__version__}, "
        f"Keras {keras.__version__}, batch {BATCH}, 1,280 rows, best of {args.repeats}"
    )
    print("| method | steps timed | ms/step | steps/s | speed-up vs tutorial |")
    print("|---|---:|---:|---:|---:|")
    for name, seconds in best.items():
        steps = args.reference_steps if name == "tutorial loop" else args.steps
        print(
            f"| {name} | {steps} | {seconds * 1000:.2f} | {1 / seconds:.0f} | "
            f"{reference / seconds:.1f}x |"
        )
    for name, seconds in end_to_end.items():
        print(f"{name}: {seconds:.1f} s end to end for {args.steps} steps (tracing included)")


if __name__ == "__main__":
    main()
