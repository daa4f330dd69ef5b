"""Set-up of a fit on wide tables: the counted pairs and the independence tests.

Before its first training step, a fit finds the column pairs whose trend
SDMetrics' report counts (``dgu._QualityScore``, for model selection) and tests
every pair of columns for independence (``dgu._independent_columns``). Both
used to go one pair at a time, and pairs grow with the square of the columns.
Now one correlation matrix skips the pairs of numbers clearly under the
report's threshold (``_QualityScore._uncorrelated``), and one
``scipy.stats.spearmanr`` call gives the p-values of every two numbers that miss
no value (``dgu._rank_correlation_p_values``).

This script times, in one process and on the same rows, each part both ways:
one pair at a time (the two shortcuts switched off, the reference) and as the
module does it, and checks that both give the same pairs and the same
independent columns. The rows are each table's training half (``quality.py``'s
split), and ``--wide N`` adds a table of ``N`` random numbers and one category
(200 rows) for each ``N``.

Usage:
    .venv/bin/python benchmarks/setup_time.py                      # every table
    .venv/bin/python benchmarks/setup_time.py --tables digits cancer --wide 100 300
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # quality.py's tables

import numpy as np
import pandas as pd
from quality import ALL_TABLES, markdown, split

import data_gen_utils as dgu


@contextlib.contextmanager
def one_pair_at_a_time() -> Iterator[None]:
    """Both shortcuts switched off: every pair goes through SDMetrics and scipy alone."""
    uncorrelated, ranked = dgu._QualityScore._uncorrelated, dgu._rank_correlation_p_values
    dgu._QualityScore._uncorrelated = lambda self, real: set()
    dgu._rank_correlation_p_values = lambda variables: {}
    try:
        yield
    finally:
        dgu._QualityScore._uncorrelated = uncorrelated
        dgu._rank_correlation_p_values = ranked


def wide(columns: int, rows: int = 200, seed: int = 0) -> pd.DataFrame:
    """``columns`` numbers (a fifth of them linked to a common factor) and one category."""
    rng = np.random.default_rng(seed)
    factor = rng.normal(size=rows)
    numbers = rng.normal(size=(rows, columns))
    numbers[:, : columns // 5] += factor[:, None]
    table = pd.DataFrame(numbers.round(2), columns=[f"v{i}" for i in range(columns)])
    table["kind"] = np.where(factor > 0, "up", "down")
    return table


def parts(real: pd.DataFrame) -> tuple[float, float, list, list]:
    """Seconds of the counted pairs and of the independence tests, and what they found."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # constant columns, as in a fit
        transformer = dgu.TabularTransformer(
            precision=True, atom_share=0.05, seasonal=True, log_scale="auto"
        ).fit(real)
        columns = transformer.columns_
        metadata = dgu._sdmetrics_metadata(real[columns])
        start = time.perf_counter()
        pairs = dgu._QualityScore(real[columns], metadata).pairs
        pairs_s = time.perf_counter() - start
        start = time.perf_counter()
        independent = dgu._independent_columns(real, transformer, None)
        tests_s = time.perf_counter() - start
    return pairs_s, tests_s, pairs, independent


def measure(name: str, real: pd.DataFrame) -> dict[str, object]:
    """Both ways on one table: their seconds, their ratios, whether they agree."""
    with one_pair_at_a_time():
        pairs_ref, tests_ref, pairs_old, independent_old = parts(real)
    pairs_s, tests_s, pairs, independent = parts(real)
    columns = real.shape[1]
    return {
        "table": name,
        "columns": columns,
        "pairs": columns * (columns - 1) // 2,
        "counted pairs: one at a time s": f"{pairs_ref:.2f}",
        "from a matrix s": f"{pairs_s:.2f}",
        "ratio": f"{pairs_s / pairs_ref:.3f}",
        "independence: one at a time s": f"{tests_ref:.2f}",
        "at once s": f"{tests_s:.2f}",
        "ratio ": f"{tests_s / tests_ref:.3f}",
        "same pairs and columns": pairs == pairs_old and independent == independent_old,
    }


def main() -> None:
    """Parse the arguments, time every table, print one markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", nargs="*", default=list(ALL_TABLES), choices=list(ALL_TABLES))
    parser.add_argument("--wide", nargs="*", type=int, default=[], help="columns of random tables")
    args = parser.parse_args()
    if any(n < 2 for n in args.wide):
        parser.error(f"--wide takes numbers of columns of at least 2, got {args.wide}")
    parts(wide(3))  # imports and first calls, outside the timings
    rows = []
    for table in args.tables:
        df, label, _ = ALL_TABLES[table]()
        rows.append(measure(table, split(df, label)[0].reset_index(drop=True)))
    rows += [measure(f"random, {n} numbers", wide(n)) for n in args.wide]
    print("\nA fit's set-up, one pair at a time (reference) and as the module does it.\n")
    print(markdown(pd.DataFrame(rows)))


if __name__ == "__main__":
    main()
