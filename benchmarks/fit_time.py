"""Fit time of the default GAN on real tables, against its training steps alone.

For each table of ``quality.py`` (the training half of its split, the rows a
user would fit), the default ``TabularGAN`` is fitted and timed end to end:
checks of the table, preprocessing, tracing, training and model selection. Then,
in the same process, the same number of training steps is timed alone: a
``TabularGAN`` with the same configuration but no validation slice (so no
checks), for as many data epochs as give the same number of steps. The ratio
``fit / steps alone`` is what everything but the training steps costs.

The time spent in the model-selection checks (sampling, SDMetrics' quality,
distances) is measured inside the same fit by wrapping the callback.

Usage:
    .venv/bin/python benchmarks/fit_time.py                    # every table, seed 0
    .venv/bin/python benchmarks/fit_time.py --tables weather --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # quality.py's tables

import pandas as pd
from quality import TABLES, markdown, split

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
        """Time the check (the callback does nothing between checks)."""
        start = time.perf_counter()
        super().on_epoch_end(epoch, logs)
        TimedSelection.seconds += time.perf_counter() - start


def steps_per_epoch(rows: int, gan: dgu.TabularGAN) -> int:
    """Training steps in one data epoch of ``rows`` rows (see ``TabularGAN._prepare``)."""
    batch = min(gan.batch_size, rows) // gan.pac * gan.pac
    return rows // batch


def measure(table: str, seed: int) -> dict[str, object]:
    """Fit the default on a table's training half, then its steps alone."""
    df, label, _ = TABLES[table]()
    train, _ = split(df, label)
    TimedSelection.seconds = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        gan = dgu.TabularGAN(seed=seed, verbose=0).fit(train)
        fit_s = time.perf_counter() - start
        epochs = len(gan.history)
        steps = epochs * steps_per_epoch(TimedSelection.training_rows, gan)
        # The same steps with no validation slice: every row trains, so fewer epochs.
        alone_epochs = max(1, round(steps / steps_per_epoch(len(train), gan)))
        start = time.perf_counter()
        dgu.TabularGAN(seed=seed, verbose=0, validation_size=0.0, nb_epochs=alone_epochs).fit(train)
        alone_s = time.perf_counter() - start
    return {
        "table": table,
        "rows fitted": len(train),
        "seed": seed,
        "epochs": epochs,
        "steps": steps,
        "fit s": round(fit_s, 1),
        "checks s": round(TimedSelection.seconds, 1),
        "steps alone s": round(alone_s, 1),
        "fit / steps alone": round(fit_s / alone_s, 2),
        f"≤ {TARGET_S:g} s": "yes" if fit_s <= TARGET_S else "no",
    }


def main() -> None:
    """Parse the arguments, measure, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", nargs="+", default=list(TABLES), choices=list(TABLES))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    args = parser.parse_args()
    dgu._ModelSelection, original = TimedSelection, dgu._ModelSelection
    try:
        rows = [measure(t, s) for t in args.tables for s in args.seeds]
    finally:
        dgu._ModelSelection = original
    print(f"\nDefault fit, end to end, against its training steps alone (target {TARGET_S:g} s).\n")
    print(markdown(pd.DataFrame(rows)))


if __name__ == "__main__":
    main()
