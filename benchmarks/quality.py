"""Quality of the synthetic rows: a fixed protocol anyone can rerun.

Per table: split the real rows in two halves stratified by the class column (a
fixed seed, 0); fit each synthesizer on one half; sample 1,000 rows; judge them
against the training half, with the other half held out. Per configuration, 3
seeds (the synthesizer's seed and the sample's), mean and spread.

Measures (``dgu.evaluate`` and ``dgu.ml_efficacy``):

- quality: SDMetrics' ``QualityReport`` score, and its two parts (column shapes,
  column pair trends);
- detection: ROC AUC of gradient boosting telling the training rows from as many
  synthetic rows (5-fold cross-validation); 0.5 is ideal;
- TSTR: a random forest trained on the synthetic rows to predict the class
  (screen time: App from the three numbers; wine: the cultivar from the 13
  measures), accuracy on the held-out half; TRTR: the same trained on the real
  training half;
- DCR: SDMetrics' ``DCROverfittingProtection`` with the held-out half; copies: the
  share of synthetic rows equal to a training row;
- fit: seconds to fit (checks, preprocessing, tracing and training).

References in the same run: ``seed`` (the seed README's GAN,
``TabularGAN.seed_config``), ``independent`` (each column resampled on its own
from the training half) and ``holdout`` (the held-out real half judged as if it
were synthetic: the level of a perfect synthesizer; its TSTR trains on the
held-out half and tests on the training half; DCR is not defined for it).
Other configurations, by name with ``--configs`` (see ``CONFIGS``): one-change
variants of the default, and ``kde-<bandwidth>``, a Gaussian kernel density per
class (``ClassKDE``), a yardstick for what smoothing alone trades between quality
and DCR.

Usage:
    .venv/bin/python benchmarks/quality.py                       # default + references
    .venv/bin/python benchmarks/quality.py --configs default wgan-no-selection
    .venv/bin/python benchmarks/quality.py --tables screentime --seeds 0
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

import data_gen_utils as dgu

ROOT = Path(__file__).resolve().parent.parent
N_SAMPLES = 1000
TARGETS = {"quality": 0.85, "detection": 0.60, "TSTR": 0.65, "DCR": 0.85, "copies": 0.01}


def screentime() -> tuple[pd.DataFrame, str, list[str]]:
    """The screen-time table; the class is App, predicted from the three numbers."""
    df = dgu.load_data(ROOT / "data" / "screentime_analysis.csv")
    return df, "App", ["Usage (minutes)", "Notifications", "Times Opened"]


def wine() -> tuple[pd.DataFrame, str, list[str]]:
    """scikit-learn's wine table (178 rows, 13 measures); the class is the cultivar."""
    from sklearn.datasets import load_wine

    bunch = load_wine(as_frame=True)
    df = bunch.frame.drop(columns="target")
    df["cultivar"] = np.asarray(bunch.target_names)[bunch.target]
    return df, "cultivar", list(bunch.feature_names)


TABLES = {"screentime": screentime, "wine": wine}


class Independent:
    """Each column resampled on its own from the training rows (a reference)."""

    def __init__(self, seed: int):
        self.seed = seed

    def fit(self, df: pd.DataFrame) -> Independent:
        """Keep the training rows."""
        self.df = df.reset_index(drop=True)
        return self

    def sample(self, n: int, seed: int | None = None) -> pd.DataFrame:
        """Each column drawn with replacement, independently of the others."""
        rng = np.random.default_rng(self.seed if seed is None else seed)
        return pd.DataFrame(
            {c: self.df[c].to_numpy()[rng.integers(0, len(self.df), n)] for c in self.df}
        )


class ClassKDE:
    """A Gaussian kernel density per class, over the numbers and dates (a reference).

    The class is the table's one categorical column. Within each class, dates are
    days and non-negative numbers go through ``log1p``; ``bandwidth`` scales
    scipy's kernel (1.0: the kernel's covariance is the class's own). Its samples
    are drawn per class in the training proportions, rounded where the column is
    whole, and clipped to the training range. A smoothing knob: the larger the
    bandwidth, the farther the rows from the training ones.
    """

    def __init__(self, seed: int, bandwidth: float):
        self.seed, self.bandwidth = seed, bandwidth

    def fit(self, df: pd.DataFrame) -> ClassKDE:
        """One kernel density per class."""
        from scipy.stats import gaussian_kde

        (self.label,) = [c for c in df if df[c].dtype == object]
        self.columns = list(df.columns)
        self.numbers = [c for c in df if c != self.label]
        self.dates = [c for c in self.numbers if pd.api.types.is_datetime64_any_dtype(df[c])]
        self.origin = {c: df[c].min() for c in self.dates}
        self.logged = [c for c in self.numbers if c not in self.dates and df[c].min() >= 0]
        self.whole = [c for c in self.numbers if pd.api.types.is_integer_dtype(df[c])]
        self.bounds = {c: (df[c].min(), df[c].max()) for c in self.numbers}
        self.shares = df[self.label].value_counts(normalize=True)
        self.kernels = {
            value: gaussian_kde(self._encode(part).T, bw_method=self.bandwidth)
            for value, part in df.groupby(self.label)
        }
        return self

    def _encode(self, df: pd.DataFrame) -> np.ndarray:
        columns = []
        for c in self.numbers:
            if c in self.dates:
                columns.append((df[c] - self.origin[c]).dt.days.to_numpy(float))
            else:
                values = df[c].to_numpy(float)
                columns.append(np.log1p(values) if c in self.logged else values)
        return np.column_stack(columns)

    def sample(self, n: int, seed: int | None = None) -> pd.DataFrame:
        """Rows of each class in the training proportions."""
        rng = np.random.default_rng(self.seed if seed is None else seed)
        parts = []
        for value, share in self.shares.items():
            drawn = self.kernels[value].resample(round(share * n), seed=rng).T
            part = {self.label: value}
            for i, c in enumerate(self.numbers):
                values = drawn[:, i]
                if c in self.dates:
                    days = np.round(values).clip(0, (self.bounds[c][1] - self.origin[c]).days)
                    part[c] = self.origin[c] + pd.to_timedelta(days, "D")
                    continue
                values = np.expm1(values) if c in self.logged else values
                values = values.clip(*self.bounds[c])
                part[c] = np.round(values).astype(np.int64) if c in self.whole else values
            parts.append(pd.DataFrame(part))
        return pd.concat(parts, ignore_index=True)[self.columns]


def gan(**overrides: object) -> Callable[[int], object]:
    """A factory of ``TabularGAN(seed=seed, **overrides)``."""
    return lambda seed: dgu.TabularGAN(seed=seed, verbose=0, **overrides)


CONFIGS: dict[str, Callable[[int], object]] = {
    "default": gan(),
    "seed": lambda seed: dgu.TabularGAN.seed_config(seed=seed, verbose=0),
    "independent": Independent,
    # Variants tried while choosing the defaults (see BENCHMARKS.md; the dropout and
    # smoothing variants were removed with their options, which showed no gain).
    "bce": gan(loss="bce"),
    "no-pac": gan(pac=1),
    "no-condition": gan(condition_on=None),
    "no-log": gan(log_scale=False),
    "no-dequantize": gan(dequantize=False),
    "no-selection-2k": gan(validation_size=0.0, nb_epochs=2000),
    "no-selection-10k": gan(validation_size=0.0),
    "min-protection-0.9": gan(min_protection=0.9),
    "patience-20": gan(patience=20),
    "seed-sizes": gan(
        latent_dim=100,
        generator_units=(128, 256, 512),
        discriminator_units=(512, 256, 128),
        batch_size=128,
    ),
    "no-selection-5k": gan(validation_size=0.0, nb_epochs=5000),
    "latent100-batch128": gan(latent_dim=100, batch_size=128),
    "validation-0.3": gan(validation_size=0.3),
    "validation-0.4": gan(validation_size=0.4),
    # A smooth density model per class, as a reference for the DCR/quality trade-off.
    **{f"kde-{b}": (lambda seed, b=b: ClassKDE(seed, b)) for b in (0.5, 1.0, 1.5, 2.0)},
}
REFERENCES = ["seed", "independent", "holdout"]


def split(df: pd.DataFrame, label: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two halves stratified by ``label``, always the same (seed 0)."""
    train, holdout = train_test_split(df, test_size=0.5, stratify=df[label], random_state=0)
    return train.reset_index(drop=True), holdout.reset_index(drop=True)


def judge(
    train: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame,
    label: str,
    features: list[str],
    seed: int,
    as_reference: bool = False,
) -> dict[str, float]:
    """Every measure of one synthetic table (see the module docstring)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = dgu.evaluate(
            train, synthetic, holdout=None if as_reference else holdout, seed=seed
        )
        columns = [*features, label]
        if as_reference:  # train on the held-out half, test on the training half
            efficacy = dgu.ml_efficacy(holdout[columns], holdout[columns], train[columns], label)
        else:
            efficacy = dgu.ml_efficacy(
                train[columns], synthetic[columns], holdout[columns], label, seed
            )
    return {
        "quality": report.quality,
        "shapes": float(report.column_shapes["Score"].mean()),
        "pairs": float(report.pair_trends["Score"].mean()),
        "detection": report.detection_auc,
        "TSTR": float(efficacy.loc["TSTR", "score"]),
        "TRTR": float(efficacy.loc["TRTR", "score"]),
        "DCR": report.privacy.get("dcr_overfitting_protection", np.nan),
        "copies": report.privacy["exact_copy_share"],
    }


def run(table: str, configs: list[str], seeds: list[int]) -> pd.DataFrame:
    """Fit, sample and judge every configuration on one table, for each seed."""
    df, label, features = TABLES[table]()
    train, holdout = split(df, label)
    rows = []
    for name in configs:
        for seed in seeds:
            if name == "holdout":
                scores = judge(train, holdout, holdout, label, features, seed, as_reference=True)
                rows.append({"table": table, "config": name, "seed": seed, **scores, "fit s": 0.0})
                continue
            start = time.perf_counter()
            model = CONFIGS[name](seed).fit(train)
            fit_time = time.perf_counter() - start
            synthetic = model.sample(N_SAMPLES, seed=seed)
            scores = judge(train, synthetic, holdout, label, features, seed)
            extra = {"best epoch": getattr(model, "best_epoch_", np.nan)}
            rows.append(
                {"table": table, "config": name, "seed": seed, **scores, "fit s": fit_time, **extra}
            )
            print(
                f"  {table} {name} seed {seed}: "
                + ", ".join(f"{k} {v:.3f}" for k, v in scores.items())
                + f", fit {fit_time:.1f} s",
                flush=True,
            )
    return pd.DataFrame(rows)


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Mean ± standard deviation over seeds, and whether every seed meets the targets."""
    measures = ["quality", "shapes", "pairs", "detection", "TSTR", "TRTR", "DCR", "copies", "fit s"]
    lines = []
    for (table, config), group in results.groupby(["table", "config"], sort=False):
        line = {"table": table, "config": config}
        for m in measures:
            mean, std = group[m].mean(), group[m].std(ddof=0)
            line[m] = "n/a" if np.isnan(mean) else f"{mean:.3f} ± {std:.3f}"
        if "best epoch" in group and group["best epoch"].notna().any():
            line["best epoch"] = "/".join(str(int(v)) for v in group["best epoch"])
        every = (
            (group["quality"] >= TARGETS["quality"])
            & (group["detection"] <= TARGETS["detection"])
            & (group["TSTR"] >= TARGETS["TSTR"])
            & (group["DCR"] >= TARGETS["DCR"])
            & (group["copies"] <= TARGETS["copies"])
        )
        line["targets met (seeds)"] = f"{int(every.sum())}/{len(group)}"
        lines.append(line)
    return pd.DataFrame(lines).fillna("")


def markdown(frame: pd.DataFrame) -> str:
    """A markdown table of ``frame``'s cells as they are."""
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.to_numpy()]
    return "\n".join(lines)


def main() -> None:
    """Parse the arguments, run, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", nargs="+", default=list(TABLES), choices=list(TABLES))
    parser.add_argument("--configs", nargs="+", default=["default", *REFERENCES])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--csv", help="also write every run's scores to this CSV file")
    args = parser.parse_args()
    unknown = [c for c in args.configs if c not in CONFIGS and c != "holdout"]
    if unknown:
        parser.error(f"unknown configs {unknown}; known: {[*CONFIGS, 'holdout']}")
    results = pd.concat([run(t, args.configs, args.seeds) for t in args.tables])
    if args.csv:
        results.to_csv(args.csv, index=False)
    targets = ", ".join(
        f"{k} {'≤' if k in ('detection', 'copies') else '≥'} {v}" for k, v in TARGETS.items()
    )
    print(
        f"\nTrain on half the rows, sample {N_SAMPLES}, seeds {args.seeds}. Targets: {targets}.\n"
    )
    print(markdown(summarise(results)))


if __name__ == "__main__":
    main()
