"""Scaling with the number of rows: preprocessing, training, memory and sampling to a file.

The tables follow the screen-time schema (data/screentime_analysis.csv) widened to
10 columns: Date (daily, over 2024), App (the file's 8 apps, with its per-app
means of Usage, Notifications and Times Opened), Usage (minutes), Notifications,
Times Opened, and Device (3 categories), Country (10 categories), Battery (%)
(continuous), Screen Unlocks (integer) and Weekend (boolean, from Date). They are
drawn with a fixed seed, so every run sees the same tables.

Each size runs in a fresh subprocess, so that peak memory and caches of one size
do not carry over to the next. In it, after a small warm-up fit (one-off costs of
the process: TensorFlow's runtime, first XLA compilation):

- preprocess s: ``TabularTransformer().fit(df)`` and ``.transform(df)``;
- s/epoch: ``TabularGAN.seed_config(nb_epochs=E, batch_size=B, verbose=0, seed=0).fit(df)``
  (the seed's networks and loss, whose cost per row the limit below counts) with
  a callback that reads the clock at the start and end of every Keras epoch. A
  Keras epoch holds ``gan.epochs_per_call_`` data epochs; the first one also
  traces and compiles the step, so it is left out, and s/epoch is the median of
  the others' durations over the data epochs they hold: the steady-state time of
  one pass over the table. E is ``--epochs``, raised where needed so that at
  least two Keras epochs are timed and they hold at least ``--min-timed-steps``
  steps (at small sizes one epoch is a few steps);
- rows/s: rows trained per epoch (``n_rows // B * B``: the incomplete last batch
  is dropped) over s/epoch;
- peak RSS MB: ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` at the end of the
  subprocess (the table, preprocessing, both fits and the sampling below);
- sample ... to CSV s: ``gan.sample_to_file(--sample-rows, "x.csv", seed=0)`` with
  the E-epoch model, at its default chunk size.

The limit is what the arithmetic of the step would allow at this machine's float32
matrix-product rate R, measured in the parent process, before and after the sizes:
``tf.matmul`` of two ``--matmul-size`` square matrices, repeated; R = 2 n^3 per
product over the time, best of 3 rounds, the larger of the two measurements. The
floating-point operations of one training row are counted from the Dense layers of
the built networks: a Dense layer of ``in`` inputs and ``out`` units costs
``2 * in * out`` per row forward (multiply-add). With F_G and F_D the forward
costs of one row through the generator and the discriminator, one training step
over a batch of B real rows does:

- discriminator update: one generator forward for B fake rows (B * F_G) and one
  discriminator pass over the 2B real + fake rows, forward and backward
  (3 * 2B * F_D: the backward pass is about twice the forward, gradients with
  respect to both the inputs and the weights);
- generator update: generator and discriminator forward and backward over B new
  fake rows (3 * B * F_G + 3 * B * F_D);

so per real training row::

    flops_per_row = F_G + 6 F_D + 3 F_G + 3 F_D = 4 F_G + 9 F_D

and the limit is ``R / flops_per_row`` rows/s; "x of limit" is measured rows/s
over that limit. Not counted: biases, activations, BatchNormalization,
Gumbel-softmax, the loss and the Adam updates (per step, not per row: about 10
operations per weight, under 1 % at B = 512); and the discriminator's weight
gradients in the generator update, which the step does not need, are counted
(at most F_D per row too many, a few %). The limit assumes every operation runs
at the rate of one large matrix product, which small layers do not reach, so it
is an upper bound, and "x of limit" shows how far below it the step is.

The last line gives linearity: s/epoch at the largest size over s/epoch at the
previous size, divided by the ratio of their rows (1.0: time grows in proportion
to the rows).

Usage:
    .venv/bin/python benchmarks/scale.py [--sizes 10000 100000 1000000] [--epochs 3]
        [--batch-size 512] [--sample-rows 1000000]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keras
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent

APPS = ["Instagram", "X", "WhatsApp", "8 Ball Pool", "Safari", "Netflix", "Facebook", "LinkedIn"]
# Per-app (mean, std) in data/screentime_analysis.csv: Usage (minutes), Notifications,
# Times Opened.
USAGE = [(75.9, 30.3), (27.0, 8.9), (48.2, 18.5), (18.1, 7.5), (10.8, 6.2), (72.8, 29.9),
         (33.7, 15.6), (15.6, 5.9)]  # fmt: skip
NOTIFICATIONS = [49.8, 25.8, 99.9, 4.5, 0.7, 0.4, 39.7, 8.9]
TIMES_OPENED = [41.6, 13.2, 68.2, 7.3, 5.3, 2.6, 30.2, 4.8]
DEVICES, DEVICE_P = ["Phone", "Tablet", "Laptop"], [0.7, 0.2, 0.1]
COUNTRIES = ["US", "IN", "GB", "DE", "FR", "BR", "JP", "CA", "AU", "ES"]
RESULT = "RESULT "


def screen_time_table(n_rows: int, seed: int = 0) -> pd.DataFrame:
    """The 10-column screen-time table: per-app usage patterns, weekends a little busier."""
    rng = np.random.default_rng(seed)
    app = rng.integers(0, len(APPS), n_rows)
    date = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 366, n_rows), "D")
    weekend = np.asarray(date.dayofweek >= 5)
    lift = np.where(weekend, 1.15, 0.96)  # about 1 on average
    mean, std = np.array(USAGE)[app].T
    shape = (mean / std) ** 2  # a gamma with the app's mean and standard deviation
    usage = rng.gamma(shape, mean * lift / shape).clip(1, 480).round().astype(np.int64)
    busy = usage / mean  # more use, more opening and notifications
    country_p = 1 / np.arange(1, len(COUNTRIES) + 1)
    return pd.DataFrame(
        {
            "Date": date,
            "App": np.array(APPS)[app],
            "Usage (minutes)": usage,
            "Notifications": rng.poisson(np.array(NOTIFICATIONS)[app] * busy.clip(0.5, 2)),
            "Times Opened": rng.poisson(np.array(TIMES_OPENED)[app] * busy.clip(0.3, 3)),
            "Device": rng.choice(DEVICES, n_rows, p=DEVICE_P),
            "Country": rng.choice(COUNTRIES, n_rows, p=country_p / country_p.sum()),
            "Battery (%)": (95 - 0.25 * usage + rng.normal(0, 12, n_rows)).clip(1, 100),
            "Screen Unlocks": rng.poisson(55 * lift + usage / 10),
            "Weekend": weekend,
        }
    )


def dense_flops(model) -> int:
    """Forward floating-point operations of one row through the model's Dense layers."""
    return sum(
        2 * int(layer.kernel.shape[0]) * int(layer.kernel.shape[1])
        for layer in model.layers
        if isinstance(layer, keras.layers.Dense)
    )


def matmul_rate(size: int, repeats: int, rounds: int = 3) -> float:
    """Float32 GFLOP/s of ``tf.matmul`` on two ``size`` x ``size`` matrices, best round."""
    import tensorflow as tf

    a = tf.random.normal((size, size), dtype=tf.float32, seed=1)
    b = tf.random.normal((size, size), dtype=tf.float32, seed=2)
    tf.matmul(a, b).numpy()  # warm-up
    best = math.inf
    for _ in range(rounds):
        start = time.perf_counter()
        total = tf.zeros(())
        for _ in range(repeats):
            total += tf.matmul(a, b)[0, 0]
        total.numpy()
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 * repeats / best / 1e9


class EpochClock(keras.callbacks.Callback):
    """Wall-clock (start, end) of every Keras epoch of a fit."""

    def __init__(self) -> None:
        super().__init__()
        self.spans: list[list[float]] = []

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Start a span."""
        self.spans.append([time.perf_counter(), math.nan])

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """End the span."""
        self.spans[-1][1] = time.perf_counter()


def timed_fit(df: pd.DataFrame, epochs: int, batch_size: int):
    """(seconds, steady-state seconds per data epoch, fitted TabularGAN) of one fit."""
    import data_gen_utils as dgu

    clock = EpochClock()
    start = time.perf_counter()
    gan = dgu.TabularGAN.seed_config(
        nb_epochs=epochs, batch_size=batch_size, verbose=0, seed=0
    ).fit(df, callbacks=[clock])
    total = time.perf_counter() - start
    spans = [end - begin for begin, end in clock.spans[1:]]  # the first one compiles
    per_epoch = float(np.median(spans)) / gan.epochs_per_call_ if spans else math.nan
    return total, per_epoch, gan


def timed_epochs(n_rows: int, batch: int, args: argparse.Namespace) -> int:
    """E: at least ``--epochs``, two timed Keras epochs and ``--min-timed-steps`` steps."""
    import data_gen_utils as dgu

    steps = n_rows // batch
    epochs = args.epochs
    while True:
        per_call = dgu._epochs_per_call(epochs, steps)
        timed = epochs - per_call  # data epochs after the first Keras epoch
        if timed >= 2 * per_call and timed * steps >= args.min_timed_steps:
            return epochs
        epochs += 1


def measure(n_rows: int, args: argparse.Namespace) -> dict:
    """Everything measured for one size; run in its own process."""
    import data_gen_utils as dgu

    timed_fit(screen_time_table(256, seed=1), 2, 64)  # process warm-up, not timed
    df = screen_time_table(n_rows, seed=args.seed)

    start = time.perf_counter()
    transformer = dgu.TabularTransformer().fit(df)
    transformer.transform(df)
    preprocess = time.perf_counter() - start

    batch = min(args.batch_size, n_rows)
    steps_per_epoch = n_rows // batch
    epochs = timed_epochs(n_rows, batch, args)
    # Best of --repeats: this machine is shared, and a fit only gets slower from noise.
    fit_s, per_epoch, gan = min(
        (timed_fit(df, epochs, args.batch_size) for _ in range(args.repeats)),
        key=lambda result: result[1],
    )

    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        gan.sample_to_file(args.sample_rows, Path(folder) / "sample.csv", seed=0)
        sample = time.perf_counter() - start

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_mb = rss / 2**20 if sys.platform == "darwin" else rss / 2**10  # bytes vs KiB
    return {
        "rows": n_rows,
        "features": transformer.output_dim,
        "epochs": epochs,
        "epochs_per_call": gan.epochs_per_call_,
        "steps_per_epoch": steps_per_epoch,
        "preprocess_s": preprocess,
        "fit_s": fit_s,
        "s_per_epoch": per_epoch,
        "rows_per_s": steps_per_epoch * batch / per_epoch,
        "flops_g": dense_flops(gan.generator_),
        "flops_d": dense_flops(gan.discriminator_),
        "sample_s": sample,
        "peak_rss_mb": rss_mb,
    }


def one_run_memory(n_rows: int, args: argparse.Namespace) -> dict:
    """Peak RSS of one run as a user does it: a table, one fit, 1M rows to a file."""
    df = screen_time_table(n_rows, seed=args.seed)
    _, _, gan = timed_fit(df, args.epochs, args.batch_size)
    with tempfile.TemporaryDirectory() as folder:
        gan.sample_to_file(args.sample_rows, Path(folder) / "sample.csv", seed=0)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"run_rss_mb": rss / 2**20 if sys.platform == "darwin" else rss / 2**10}


def run_child(n_rows: int, args: argparse.Namespace, mode: str = "--child") -> dict:
    """Measure one size in a fresh Python process; return its result."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        mode,
        str(n_rows),
        "--repeats",
        str(args.repeats),
        "--epochs",
        str(args.epochs),
        "--batch-size",
        str(args.batch_size),
        "--sample-rows",
        str(args.sample_rows),
        "--min-timed-steps",
        str(args.min_timed_steps),
        "--seed",
        str(args.seed),
    ]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT)]
    if done.returncode != 0 or not lines:
        raise RuntimeError(
            f"the run at {n_rows:,} rows failed (exit {done.returncode}):\n{done.stderr[-3000:]}"
        )
    return json.loads(lines[-1][len(RESULT) :])


def main() -> None:
    """Measure every size in its own process, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument(
        "--epochs", type=int, default=3, help="E, at least 2 (see --min-timed-steps)"
    )
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--sample-rows", type=int, default=1_000_000)
    parser.add_argument(
        "--min-timed-steps",
        type=int,
        default=600,
        help="raise E until the timed epochs hold this many steps",
    )
    parser.add_argument("--matmul-size", type=int, default=2048)
    parser.add_argument("--matmul-repeats", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated tables")
    parser.add_argument("--repeats", type=int, default=2, help="best of this many fits")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.epochs < 2:
        parser.error("--epochs must be at least 2: the first Keras epoch is not timed")

    if args.child is not None:
        print(RESULT + json.dumps(measure(args.child, args)), flush=True)
        return
    if args.memory_child is not None:
        print(RESULT + json.dumps(one_run_memory(args.memory_child, args)), flush=True)
        return

    import tensorflow as tf

    rate_before = matmul_rate(args.matmul_size, args.matmul_repeats)
    results = [
        {**run_child(n_rows, args), **run_child(n_rows, args, "--memory-child")}
        for n_rows in args.sizes
    ]
    rate_after = matmul_rate(args.matmul_size, args.matmul_repeats)
    rate = max(rate_before, rate_after) * 1e9

    sample_label = f"sample {args.sample_rows:,} to CSV s"
    print(
        f"# scale: {platform.node()} {os.cpu_count()} CPUs, TensorFlow {tf.__version__}, "
        f"Keras {keras.__version__}, batch {args.batch_size}, 10 columns "
        f"({results[0]['features']} encoded features)"
    )
    print(
        f"float32 matmul {args.matmul_size}x{args.matmul_size}: {rate_before:.1f} GFLOP/s before, "
        f"{rate_after:.1f} after; the limit uses {rate / 1e9:.1f}"
    )
    first = results[0]
    flops_row = 4 * first["flops_g"] + 9 * first["flops_d"]
    print(
        f"FLOPs per training row = 4 F_G + 9 F_D = 4 x {first['flops_g']:,} + "
        f"9 x {first['flops_d']:,} = {flops_row:,}"
    )
    print()
    print(
        f"| rows | preprocess s | s/epoch | rows/s | limit rows/s | limit / rows/s | "
        f"peak RSS MB, one run | peak RSS MB, timing process | {sample_label} |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        limit = rate / (4 * r["flops_g"] + 9 * r["flops_d"])
        print(
            f"| {r['rows']:,} | {r['preprocess_s']:.2f} | {r['s_per_epoch']:.3f} | "
            f"{r['rows_per_s']:,.0f} | {limit:,.0f} | {limit / r['rows_per_s']:.2f}x | "
            f"{r['run_rss_mb']:,.0f} | {r['peak_rss_mb']:,.0f} | {r['sample_s']:.1f} |"
        )
    print()
    for r in results:
        print(
            f"{r['rows']:,} rows: E = {r['epochs']} epochs of {r['steps_per_epoch']} steps, "
            f"{r['epochs_per_call']} per Keras epoch; the whole fit took {r['fit_s']:.1f} s"
        )
    if len(results) >= 2:
        prev, last = results[-2], results[-1]
        ratio = last["s_per_epoch"] / prev["s_per_epoch"]
        rows_ratio = last["rows"] / prev["rows"]
        print(
            f"linearity: s/epoch grows {ratio:.2f}x from {prev['rows']:,} to {last['rows']:,} rows "
            f"({rows_ratio:.1f}x the rows): {ratio / rows_ratio:.2f} (1.00 = linear)"
        )
    else:
        print("linearity: needs at least two sizes")


if __name__ == "__main__":
    main()
