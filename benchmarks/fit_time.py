"""Fit time of the default GAN on real tables, against its training steps alone.

For each table of ``quality.py`` (the training half of its split, the rows a
user would fit), the default ``TabularGAN`` is fitted and timed end to end:
checks of the table, preprocessing, tracing, training and model selection. Then,
in the same process, the same number of training steps is timed alone: a
``TabularGAN`` with the same configuration but no validation slice (so no
checks), for as many data epochs as give the same number of steps. The ratio
``fit / steps alone`` is what everything but the training steps costs.

The time the model-selection checks hold training up is measured inside the
same fit by wrapping the callback: sampling and distances at each check, and
waiting for the previous check's SDMetrics report, which a worker thread scores
while training goes on (``_ModelSelection.in_background``). The same fit is
timed again with every check scored in line (training waits for each report,
as before the worker): ``fit / in line`` is what the worker saves.

Usage:
    .venv/bin/python benchmarks/fit_time.py                    # every table, seed 0
    .venv/bin/python benchmarks/fit_time.py --tables weather --seeds 0 1 2
    .venv/bin/python benchmarks/fit_time.py --tables cars --set discriminator_steps=5
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # quality.py's tables

import pandas as pd
from quality import ALL_TABLES, TABLES, add_set_option, markdown, parse_set, split

import data_gen_utils as dgu

TARGET_S, STRETCH_S = 30.0, 10.0


class TimedSelection(dgu._ModelSelection):
    """The model selection, with the seconds its checks take."""

    seconds = 0.0
    training_rows = 0

    def __init__(self, *args: object, **kwargs: object):
        super().__init__(*args, **kwargs)
        TimedSelection.training_rows = len(self.train)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Time what the check holds training up (the callback does nothing between checks)."""
        start = time.perf_counter()
        super().on_epoch_end(epoch, logs)
        TimedSelection.seconds += time.perf_counter() - start


def steps_per_epoch(rows: int, gan: dgu.TabularGAN) -> int:
    """Training steps in one data epoch of ``rows`` rows (see ``TabularGAN._prepare``)."""
    batch = min(gan.batch_size, rows) // gan.pac * gan.pac
    return rows // batch


def timed_fit(
    train: pd.DataFrame, seed: int, in_line: bool = False, **config: object
) -> tuple[dgu.TabularGAN, float, float]:
    """The default (``config`` changes it) fitted on ``train``: the model, its seconds, its checks'.

    ``in_line``: every check is scored before training goes on (no worker thread).
    """
    TimedSelection.seconds = 0.0
    background = TimedSelection.in_background
    if in_line:
        TimedSelection.in_background = lambda self: contextlib.nullcontext()
    try:
        start = time.perf_counter()
        gan = dgu.TabularGAN(seed=seed, verbose=0, **config).fit(train)
        return gan, time.perf_counter() - start, TimedSelection.seconds
    finally:
        TimedSelection.in_background = background


def measure(table: str, seed: int, **config: object) -> dict[str, object]:
    """Fit the default (``config`` changes it) on a table's training half, then its steps alone."""
    df, label, _ = ALL_TABLES[table]()
    train, _ = split(df, label)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gan, fit_s, checks_s = timed_fit(train, seed, **config)  # first: any warm-up is its cost
        in_line_s, in_line_checks_s = timed_fit(train, seed, in_line=True, **config)[1:]
        epochs = len(gan.history)
        steps = epochs * steps_per_epoch(TimedSelection.training_rows, gan)
        # The same steps with no validation slice: every row trains, so fewer epochs.
        alone_epochs = max(1, round(steps / steps_per_epoch(len(train), gan)))
        start = time.perf_counter()
        dgu.TabularGAN(
            seed=seed, verbose=0, **{**config, "validation_size": 0.0, "nb_epochs": alone_epochs}
        ).fit(train)
        alone_s = time.perf_counter() - start
    return {
        "table": table,
        "rows fitted": len(train),
        "seed": seed,
        "epochs": epochs,
        "steps": steps,
        "fit s": round(fit_s, 1),
        "checks s": round(checks_s, 1),
        "in line: fit s": round(in_line_s, 1),
        "in line: checks s": round(in_line_checks_s, 1),
        "fit / in line": round(fit_s / in_line_s, 2),
        "steps alone s": round(alone_s, 1),
        "fit / steps alone": round(fit_s / alone_s, 2),
        f"≤ {TARGET_S:g} s": "yes" if fit_s <= TARGET_S else "no",
    }


def main() -> None:
    """Parse the arguments, measure, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", nargs="+", default=list(TABLES), choices=list(ALL_TABLES))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    add_set_option(parser)
    args = parser.parse_args()
    config = parse_set(parser, args.set)
    dgu._ModelSelection, original = TimedSelection, dgu._ModelSelection
    try:
        rows = [measure(t, s, **config) for t in args.tables for s in args.seeds]
    finally:
        dgu._ModelSelection = original
    what = f"The default with {config}" if config else "Default"
    print(f"\n{what} fit, end to end, against its training steps alone (target {TARGET_S:g} s).\n")
    print(markdown(pd.DataFrame(rows)))


if __name__ == "__main__":
    main()
