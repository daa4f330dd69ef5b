"""Time of a model-selection check's quality score: SDMetrics' report against the counted pairs.

At each check, ``_ModelSelection`` scores a sample of 1,000 rows with SDMetrics'
quality score (``dgu._QualityScore``). SDMetrics' report counts a column pair's
trend only where the real rows hold one (a correlation above 0.5, an association
above 0.3), so the score computes those pairs only. This script times, in one
process and on the same rows, the score computed by SDMetrics' whole report
(``dgu._quality``, every pair) and by ``dgu._QualityScore`` (the counted pairs),
and checks that the two scores are equal. The real rows are a table's training
half (``quality.py``'s split, its modelled columns); the sample is 1,000 rows drawn
with replacement from the held-out half, each number moved by a tenth of its
standard deviation, so that it is real-looking and no copy. Median of
``--repeats`` runs each.

Usage:
    .venv/bin/python benchmarks/check_score.py                   # every table
    .venv/bin/python benchmarks/check_score.py --tables cancer mroz --repeats 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # quality.py's tables

import numpy as np
import pandas as pd
from quality import ALL_TABLES, N_SAMPLES, markdown, modelled_columns, split

import data_gen_utils as dgu


def sample_like(holdout: pd.DataFrame, seed: int) -> pd.DataFrame:
    """``N_SAMPLES`` rows drawn from ``holdout``, each number moved by a tenth of its spread."""
    rng = np.random.default_rng(seed)
    rows = holdout.sample(N_SAMPLES, replace=True, random_state=seed).reset_index(drop=True)
    for column in rows.select_dtypes("number"):
        noise = rng.normal(0.0, 0.1 * np.nan_to_num(rows[column].std()), len(rows))
        rows[column] = rows[column] + noise
    return rows


def seconds(score: object, sample: pd.DataFrame, repeats: int) -> tuple[float, float]:
    """The median seconds of ``score(sample)`` over ``repeats`` runs, and the score."""
    times, value = [], float("nan")
    for _ in range(repeats):
        start = time.perf_counter()
        value = score(sample)
        times.append(time.perf_counter() - start)
    return statistics.median(times), value


def measure(table: str, repeats: int) -> dict[str, object]:
    """Both scores of one table's sample: their seconds, their ratio, whether they agree."""
    df, label, _ = ALL_TABLES[table]()
    train, holdout = split(df, label)
    columns = modelled_columns(train)
    real, sample = train[columns], sample_like(holdout[columns], seed=0)
    metadata = dgu._sdmetrics_metadata(real)
    start = time.perf_counter()
    counted = dgu._QualityScore(real, metadata)
    setup = time.perf_counter() - start
    report_s, report = seconds(
        lambda rows: dgu._quality(real, rows, metadata, notes=[])[0], sample, repeats
    )
    counted_s, score = seconds(counted, sample, repeats)
    return {
        "table": table,
        "columns": len(columns),
        "pairs": counted.all_pairs,
        "pairs counted": len(counted.pairs),
        "report s": f"{report_s:.3f}",
        "counted pairs s": f"{counted_s:.3f}",
        "report / counted": f"{report_s / counted_s:.1f}",
        "set-up s (once)": f"{setup:.2f}",
        "same score": score == report,
    }


def main() -> None:
    """Parse the arguments, time every table, print one markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", nargs="+", default=list(ALL_TABLES), choices=list(ALL_TABLES))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    rows = [measure(table, args.repeats) for table in args.tables]
    print(f"\nA check's quality score of {N_SAMPLES:,} rows, median of {args.repeats} runs.\n")
    print(markdown(pd.DataFrame(rows)))


if __name__ == "__main__":
    main()
