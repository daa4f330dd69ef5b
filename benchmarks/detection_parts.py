"""Where a classifier tells the default's rows from real ones: per column, per pair, probes.

For one table of ``quality.py`` (its protocol: fit the default on the training
half, sample 1,000 rows, the other half held out), per seed:

- the C2ST of ``quality.py`` (random forest, 5 seeds × 5 folds) on each column
  alone and on each pair of columns, for the synthetic rows and, as the
  reference, for the held-out half (about 0.5 where a fresh sample cannot be
  told apart);
- ``quality.py``'s measures of the whole rows (quality, C2ST, TSTR, DCR) for the
  sample as drawn and after each probe: a change of the sample after the fact
  that tests one explanation of what gives the rows away. Probes are
  diagnostics, not the module's design (``A+B`` applies probe A, then B):

  - ``heap``: each number column with a precision and without a grid or known values (see
    ``dgu.ColumnSpec``) gets the real column's rounding: the "level" of a value
    is the largest step of the 1-2-5 series (the column's precision times 1, 2,
    5, 10, 20, 50...) it is a multiple of; each synthetic value not an atom
    draws a level with the shares of the real values that are not atoms (the
    atoms have a block of their own) and is rounded to it (nudged by
    one step where that lands on a coarser level). Digit preference: people
    write round numbers.
  - ``heap-by:COLUMN``: the same, with the shares taken within each value of
    ``COLUMN`` (a date column: within each year).
  - ``shuffle:COLUMN``: the column's synthetic values permuted across the
    sample, which keeps its values and breaks its ties to the other columns.
  - ``shuffle-within:COLUMN,BY``: the column's synthetic values permuted among
    the rows with the same value of ``BY`` (a categorical column): it keeps the
    column's distribution within each ``BY`` value and breaks its ties to the
    other columns there.
  - ``critic:K``: ``K`` times as many rows sampled, each encoded as the
    transformer encodes real rows and scored by the kept model's critic (in
    each place of the critic's packs of ``pac`` rows in turn, beside random
    partners, 8 times; the mean score), and within each value of the condition
    column the best-scored 1 / ``K`` kept: a discriminator's rejection of the
    rows it finds least real (as in discriminator rejection sampling, Azadi et
    al., 2019). It replaces the sample, so it comes first in ``A+B``.
  - ``known-pair:A,B``: two number columns' values taken together as the
    column's known values are taken alone (``dgu.ColumnSpec.known``): a pair of
    values that occurs more than once in the training rows is a known pair (an
    engine's displacement and horsepower); a synthetic row moves to the nearest
    known pair (each column scaled by its range) with the chance a fresh row
    repeats one, one minus the share of training rows whose pair occurs once
    (Good-Turing's estimate of a new pair's chance).

Usage:
    .venv/bin/python benchmarks/detection_parts.py --table cars --seeds 0 1 2 \
        --probes heap heap-by:Year
    .venv/bin/python benchmarks/detection_parts.py --table screentime --probes shuffle:Date
    .venv/bin/python benchmarks/detection_parts.py --table cars --seeds 0 1 2 \
        --probes known-pair:Displacement,Horsepower --whole-rows-only
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # quality.py's tables

import numpy as np
import pandas as pd
from quality import ALL_TABLES, N_SAMPLES, c2st, judge, markdown, modelled_columns, split

import data_gen_utils as dgu

SHOWN = ["quality", "C2ST", "TSTR", "DCR", "copies"]


def levels(step: float, span: float) -> np.ndarray:
    """The 1-2-5 series of steps from ``step`` up to ``span``."""
    out, power = [], 0
    while True:
        for factor in (1, 2, 5):
            level = step * factor * 10**power
            if level > span and out:
                return np.array(out)
            out.append(level)
        power += 1


def level_of(values: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """The index in ``steps`` of the largest step each value is a multiple of."""
    units = np.rint(values / steps[0]).astype(np.int64)
    found = np.zeros(len(values), dtype=int)
    for i, level in enumerate(steps):
        found[units % round(level / steps[0]) == 0] = i
    return found


def heap(
    real: np.ndarray, synthetic: np.ndarray, spec: dgu.ColumnSpec, rng: np.random.Generator
) -> np.ndarray:
    """Synthetic numbers rounded to levels drawn with the real numbers' shares (see ``heap``)."""
    present = real[~np.isnan(real) & ~np.isin(real, spec.atoms or [])]  # atoms: their own block
    step = 1.0 if spec.kind == "integer" else 10.0 ** -(spec.decimals or 0)
    steps = levels(step, float(np.ptp(present)) if len(present) else step)
    out = synthetic.copy()
    todo = ~np.isnan(out) & ~np.isin(out, spec.atoms or [])
    if not len(present) or not todo.any():
        return out
    shares = np.bincount(level_of(present, steps), minlength=len(steps)) / len(present)
    drawn = rng.choice(len(steps), int(todo.sum()), p=shares)
    size = steps[drawn]
    rounded = np.rint(out[todo] / size) * size
    coarser = level_of(rounded, steps) > drawn
    nudged = np.where(out[todo] >= rounded, rounded + size, rounded - size)
    out[todo] = np.round(np.where(coarser, nudged, rounded), 10)
    return out


def probe(
    name: str,
    train: pd.DataFrame,
    synthetic: pd.DataFrame,
    specs: list[dgu.ColumnSpec],
    seed: int,
) -> pd.DataFrame:
    """The synthetic rows after one probe (see the module docstring)."""
    rng = np.random.default_rng(seed)
    out = synthetic.copy()
    kind, _, column = name.partition(":")
    if kind == "shuffle":
        out[column] = rng.permutation(out[column].to_numpy())
        return out
    if kind == "known-pair":
        return known_pair(train, out, column.split(","), rng)
    if kind == "shuffle-within":
        column, by = column.split(",")
        values = out[column].to_numpy().copy()
        for group in out[by].unique():
            mine = np.flatnonzero((out[by] == group).to_numpy())
            values[mine] = values[rng.permutation(mine)]
        out[column] = pd.Series(values, index=out.index, dtype=out[column].dtype)
        return out

    def groups(df: pd.DataFrame) -> np.ndarray:
        if kind == "heap":
            return np.zeros(len(df), dtype=int)
        values = df[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            return values.dt.year.to_numpy()
        return values.astype(str).to_numpy()

    real_groups, synthetic_groups = groups(train), groups(out)
    for spec in specs:
        if spec.kind not in ("continuous", "integer") or spec.grid or spec.known:
            continue
        if spec.kind == "continuous" and spec.decimals is None:  # full precision: no digits
            continue
        real = train[spec.name].to_numpy(dtype=float, na_value=np.nan)
        numbers = out[spec.name].to_numpy(dtype=float, na_value=np.nan)
        for group in np.unique(synthetic_groups):
            mine = synthetic_groups == group
            numbers[mine] = heap(real[real_groups == group], numbers[mine], spec, rng)
        out[spec.name] = numbers.astype(out[spec.name].dtype)
    return out


def critic_ranked(gan: dgu.TabularGAN, k: float, seed: int, partners: int = 8) -> pd.DataFrame:
    """``N_SAMPLES`` rows: the best-scored 1 / ``k`` of ``k`` times as many, by condition value.

    Each row takes every place of the critic's pack in turn, beside random
    partners; its score is the mean. Without a condition column, one group.
    """
    candidates = gan.sample(round(N_SAMPLES * k), seed=seed)
    rows = gan.transformer_.transform(candidates, dtype=np.float32)
    codes = np.zeros(len(rows), dtype=int)
    if gan.condition_column_ is not None:  # the critic sees each row's condition again
        start, width = gan.transformer_.block(gan.condition_column_)
        codes = rows[:, start : start + width].argmax(axis=1)
        rows = np.concatenate([rows, rows[:, start : start + width]], axis=1)
    rng = np.random.default_rng(seed)
    pac, scores = gan.config.pac, np.zeros(len(rows))
    for _ in range(partners):
        others = [rows[rng.integers(0, len(rows), len(rows))] for _ in range(pac - 1)]
        for place in range(pac):
            pack = np.concatenate([*others[:place], rows, *others[place:]], axis=1)
            scores += gan.discriminator_(pack, training=False).numpy()[:, 0]
    keep = []
    for code in np.unique(codes):
        mine = np.flatnonzero(codes == code)
        keep.extend(mine[np.argsort(-scores[mine])[: round(len(mine) / k)]])
    return candidates.iloc[np.sort(keep)].reset_index(drop=True)


def known_pair(
    train: pd.DataFrame, synthetic: pd.DataFrame, pair: list[str], rng: np.random.Generator
) -> pd.DataFrame:
    """Synthetic rows moved to the training rows' known pairs of values (see ``known-pair``)."""
    real = train[pair].dropna().to_numpy(dtype=float)
    values, counts = np.unique(real, axis=0, return_counts=True)
    known = values[counts > 1]
    repeat = 1 - counts[counts == 1].sum() / len(real)
    out = synthetic.copy()
    numbers = out[pair].to_numpy(dtype=float, na_value=np.nan)
    todo = ~np.isnan(numbers).any(axis=1) & (rng.random(len(out)) < repeat)
    if len(known) and todo.any():
        scale = np.ptp(real, axis=0)
        scale[scale == 0] = 1.0
        gaps = np.abs(numbers[todo][:, None, :] - known[None, :, :]) / scale
        numbers[todo] = known[gaps.sum(axis=2).argmin(axis=1)]
    for i, column in enumerate(pair):
        out[column] = numbers[:, i].astype(out[column].dtype)
    return out


def parts(train: pd.DataFrame, other: pd.DataFrame, columns: list[str]) -> dict[str, float]:
    """C2ST of ``other`` against ``train`` on each column and each pair of columns."""
    sets = [[c] for c in columns] + [list(p) for p in itertools.combinations(columns, 2)]
    return {" × ".join(s): c2st(train[s], other[s]) for s in sets}


def main() -> None:
    """Parse the arguments, fit, probe, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", default="cars", choices=list(ALL_TABLES))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--probes", nargs="*", default=[], metavar="PROBE")
    parser.add_argument("--top", type=int, default=10, help="pairs shown (the most told apart)")
    parser.add_argument(
        "--whole-rows-only", action="store_true", help="skip the C2ST per column and per pair"
    )
    args = parser.parse_args()

    df, label, features = ALL_TABLES[args.table]()
    train, holdout = split(df, label)
    modelled = modelled_columns(train)
    steps = [(i, step) for probes in args.probes for i, step in enumerate(probes.split("+"))]
    for index, name in steps:  # checked before any fit
        kind, _, column = name.partition(":")
        if kind == "critic":
            if index or not column.replace(".", "", 1).isdigit() or float(column) < 1:
                parser.error(f"probe {name!r}: critic:K needs a number K >= 1 and comes first")
            continue
        pair = kind in ("known-pair", "shuffle-within")
        columns = column.split(",") if pair else [column]
        wanted = 2 if pair else 1
        if name != "heap" and (
            kind not in ("heap-by", "shuffle", "shuffle-within", "known-pair")
            or len(columns) != wanted
            or any(c not in modelled for c in columns)
        ):
            parser.error(
                f"probe {name!r}: expected heap, heap-by:COLUMN, shuffle:COLUMN, "
                "shuffle-within:COLUMN,BY, known-pair:A,B or critic:K, each column one "
                f"of the modelled columns {modelled}"
            )
    warnings.simplefilter("ignore")
    wholes, columns_seen = [], {}
    for seed in args.seeds:
        gan = dgu.TabularGAN(seed=seed, verbose=0).fit(train)
        synthetic = gan.sample(N_SAMPLES, seed=seed)
        columns = [c for c in train.columns if c in synthetic.columns]
        for name in ["default", *args.probes]:
            rows = synthetic
            for step in [] if name == "default" else name.split("+"):
                if step.startswith("critic:"):
                    rows = critic_ranked(gan, float(step.partition(":")[2]), seed)
                    continue
                rows = probe(step, train, rows, gan.transformer_.specs_, seed)
            scores = judge(train, rows, holdout, label, features, seed)
            wholes.append({"seed": seed, "rows": name, **{k: scores[k] for k in SHOWN}})
            print(wholes[-1], flush=True)
        if not args.whole_rows_only:
            columns_seen[seed] = parts(train, synthetic[columns], columns)

    print(f"\n{args.table}: whole rows, seeds {args.seeds}\n")
    print(markdown(pd.DataFrame(wholes).round(3)))
    if args.whole_rows_only:
        return
    reference = parts(train, holdout[columns], columns)
    table = pd.DataFrame(columns_seen).round(3)
    table.columns = [f"seed {s}" for s in table.columns]
    table["mean"] = table.mean(axis=1).round(3)
    table["held-out half"] = pd.Series(reference).round(3)
    single = table[~table.index.str.contains(" × ")]
    pairs = table[table.index.str.contains(" × ")].sort_values("mean", ascending=False)
    print(f"\n{args.table}: C2ST of each column alone\n")
    print(markdown(single.rename_axis("column").reset_index()))
    print(f"\n{args.table}: C2ST of the {args.top} pairs told apart the most\n")
    print(markdown(pairs.head(args.top).rename_axis("pair").reset_index()))


if __name__ == "__main__":
    main()
