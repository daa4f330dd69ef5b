"""Speed of evaluate() and plot_report() on large tables (10 columns, up to 1 million rows).

The tables follow the screen-time schema, widened to 10 columns: Date, App, the
three counts, and Battery (continuous), Device (categorical), Weekend (boolean),
Brightness (continuous) and Pickups (integer). "Synthetic" is an independent draw
from the same generator, "holdout" a third one. evaluate() subsamples each table
to ``max_rows`` (20,000 by default) for the metrics that need it and reads the
whole table for validity; the notes of the report say so.

Usage:
    .venv/bin/python benchmarks/report_speed.py [--rows 10000 100000 1000000]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import data_gen_utils as dgu

APPS = ["Instagram", "X", "WhatsApp", "8 Ball Pool", "Safari", "Netflix", "Facebook", "LinkedIn"]


def screen_time_table(n_rows: int, seed: int) -> pd.DataFrame:
    """A 10-column table with the screen-time schema and per-app patterns."""
    rng = np.random.default_rng(seed)
    app = rng.integers(0, len(APPS), n_rows)
    usage = rng.gamma(2.0, 5.0 + 6.0 * app, n_rows).clip(1, 300).round()
    return pd.DataFrame(
        {
            "Date": pd.Timestamp("2024-08-01") + pd.to_timedelta(rng.integers(0, 30, n_rows), "D"),
            "App": np.array(APPS)[app],
            "Usage (minutes)": usage.astype(np.int64),
            "Notifications": rng.poisson(3 + 10 * (app % 3), n_rows),
            "Times Opened": rng.poisson(2 + usage / 5),
            "Battery": rng.normal(60, 15, n_rows).clip(0, 100),
            "Device": rng.choice(
                ["phone", "tablet", "laptop", "watch"], n_rows, p=[0.6, 0.2, 0.15, 0.05]
            ),
            "Weekend": rng.random(n_rows) < 2 / 7,
            "Brightness": rng.beta(2, 2, n_rows),
            "Pickups": rng.poisson(40, n_rows),
        }
    )


def main() -> None:
    """Time evaluate() and plot_report() for each size, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    args = parser.parse_args()

    print(f"# report_speed: {platform.node()} {os.cpu_count()} CPUs, 10 columns, max_rows 20,000")
    print("| rows per table | evaluate(), with holdout and target | plot_report() | notes |")
    print("|---:|---:|---:|---|")
    for n_rows in args.rows:
        real, synthetic, holdout = (screen_time_table(n_rows, seed) for seed in (0, 1, 2))
        start = time.perf_counter()
        report = dgu.evaluate(real, synthetic, holdout=holdout, target="App")
        evaluate_s = time.perf_counter() - start
        start = time.perf_counter()
        figures = dgu.plot_report(real, synthetic, by="App")
        plot_s = time.perf_counter() - start
        for fig in figures.values():
            plt.close(fig)
        notes = "; ".join(report.notes) or "none"
        print(f"| {n_rows:,} | {evaluate_s:.1f} s | {plot_s:.1f} s | {notes} |")
        print(f"  quality {report.quality:.3f}, detection AUC {report.detection_auc:.3f}")


if __name__ == "__main__":
    main()
