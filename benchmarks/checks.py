"""The model selection's checks, each judged as ``quality.py`` judges the kept model.

For each table and seed, the default ``TabularGAN`` is fitted on the training half
of ``quality.py``'s split. At every model-selection check, besides the check's own
sample (scored by the selection: ``fidelity`` and ``protection``), the weights the
check scored draw ``quality.N_SAMPLES`` rows from another noise, kept aside. After
the fit, each kept sample is judged by ``quality.judge`` against the training half,
with the other half held out: quality, C2ST, TSTR, DCR. So one sees what the
selection could have kept, and how its scores follow the judge's.

One table per table-seed (every judged check; ``*`` marks the kept one), then a
summary: the kept check against the protected check (``protection >=
min_protection``) the judge scores best on C2ST.

Judging a check takes about as long as judging a model in ``quality.py`` (a few
seconds), so a fit of 30 to 40 checks takes minutes; ``--every N`` judges one
check in N.

Usage:
    .venv/bin/python benchmarks/checks.py --tables cars --seeds 1 2
    .venv/bin/python benchmarks/checks.py --tables screentime --seeds 1 --every 2
    .venv/bin/python benchmarks/checks.py --tables cars --set discriminator_steps=5
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import warnings
from pathlib import Path
from typing import ClassVar

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # quality.py

import numpy as np
import pandas as pd
from quality import ALL_TABLES, N_SAMPLES, add_set_option, judge, markdown, parse_set, split

import data_gen_utils as dgu

MEASURES = ("quality", "C2ST", "TSTR", "DCR")


class TracedSelection(dgu._ModelSelection):
    """The model selection, keeping a sample of the weights each check scored."""

    samples: ClassVar[dict[int, pd.DataFrame]] = {}

    def _check(self) -> tuple[dict[str, object], list[np.ndarray]]:
        """The check as the selection scores it, plus a sample from another noise."""
        record, weights = super()._check()
        with self.model.averaged() if record["averaged"] else contextlib.nullcontext():
            # The check's own sample comes from noise seed ``self.seed``; this one
            # from another, as the benchmark samples a kept model afresh.
            sample = self.sample(self.seed + 1000)
        TracedSelection.samples[self.model.epochs_done] = sample.head(N_SAMPLES)
        return record, weights


def trace(table: str, seed: int, every: int, **config: object) -> pd.DataFrame:
    """Fit on a table's training half; one row per judged check."""
    df, label, features = ALL_TABLES[table]()
    train, holdout = split(df, label)
    TracedSelection.samples = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gan = dgu.TabularGAN(seed=seed, verbose=0, **config).fit(train)
    history = gan.history
    rows = []
    for i, (epoch, sample) in enumerate(sorted(TracedSelection.samples.items())):
        if i % every and epoch != gan.best_epoch_:
            continue
        scores = judge(train, sample, holdout, label, features, seed)
        rows.append(
            {
                "table": table,
                "seed": seed,
                "epoch": epoch,
                "kept": "*" if epoch == gan.best_epoch_ else "",
                "fidelity": round(float(history.loc[epoch, "fidelity"]), 3),
                "protection": round(float(history.loc[epoch, "protection"]), 3),
                **{k: round(scores[k], 3) for k in MEASURES},
                "TRTR": round(scores["TRTR"], 3),
            }
        )
    return pd.DataFrame(rows)


def summary(frame: pd.DataFrame, min_protection: float) -> pd.DataFrame:
    """Per table-seed: the kept check, and the protected check with the lowest C2ST."""
    rows = []
    for (table, seed), checks in frame.groupby(["table", "seed"], sort=False):
        kept = checks[checks["kept"] == "*"].iloc[0]
        protected = checks[checks["protection"] >= min_protection]
        lowest = protected.loc[protected["C2ST"].idxmin()] if len(protected) else kept
        for name, row in (("kept", kept), ("lowest C2ST, protected", lowest)):
            rows.append(
                {"table": table, "seed": seed, "check": name, "epoch": row["epoch"]}
                | {k: row[k] for k in ("fidelity", "protection", *MEASURES, "TRTR")}
            )
    return pd.DataFrame(rows)


def main() -> None:
    """Parse the arguments, trace the fits, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", nargs="+", default=["cars"], choices=list(ALL_TABLES))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--every", type=int, default=1, help="judge one check in N")
    add_set_option(parser)
    parser.add_argument("--csv", help="also write every judged check to this CSV file")
    args = parser.parse_args()
    if args.every < 1:
        parser.error(f"--every must be at least 1, got {args.every}")
    config = parse_set(parser, args.set)
    dgu._ModelSelection, original = TracedSelection, dgu._ModelSelection
    try:
        frame = pd.concat(
            [trace(t, s, args.every, **config) for t in args.tables for s in args.seeds],
            ignore_index=True,
        )
    finally:
        dgu._ModelSelection = original
    if args.csv:
        frame.to_csv(args.csv, index=False)
    for (table, seed), checks in frame.groupby(["table", "seed"], sort=False):
        print(f"\n{table}, seed {seed}: every judged check (* kept)\n")
        print(markdown(checks.drop(columns=["table", "seed"])))
    min_protection = config.get("min_protection", dgu.GANConfig().min_protection)
    print(f"\nThe kept check, and the protected one with the lowest C2ST ({min_protection=:g})\n")
    print(markdown(summary(frame, min_protection)))


if __name__ == "__main__":
    main()
