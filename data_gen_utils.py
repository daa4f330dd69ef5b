"""Synthetic tabular data with a GAN, in TensorFlow/Keras.

One importable file, meant to be copied next to a notebook. It reads like the
notebook's table of contents:

- errors: ``DataGenError`` (a ``ValueError``) and subclasses naming the problem;
- loading: ``load_data``;
- schema: ``infer_schema``, ``numeric_columns``;
- transformer: ``TabularTransformer`` (scikit-learn style, reversible);
- networks: ``build_generator``, ``build_discriminator``;
- training: ``GANModel`` (a ``keras.Model`` driven by ``fit()``), callbacks;
- synthesizer: ``TabularGAN`` (``fit(df) -> self``, ``sample(n)``, ``save``, ``load``);
- evaluation: ``compare_stats``, ``ks_test``;
- plots: ``plot_distributions``, ``plot_history``, ``plot_gan_overview``;
- saving: ``save_csv``, ``save_figure`` (atomic writes).

Example:
    >>> import data_gen_utils as dgu
    >>> df = dgu.load_data("data/screentime_analysis.csv")
    >>> gan = dgu.TabularGAN(nb_epochs=2000, seed=0).fit(df)
    >>> synthetic = gan.sample(1000, seed=1)
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import shutil
import uuid
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.exceptions import NotFittedError as _SklearnNotFittedError
from sklearn.preprocessing import MinMaxScaler

logger = logging.getLogger(__name__)

__all__ = [
    "ColumnMismatchError",
    "ColumnsLeftOutWarning",
    "ConfigError",
    "DataFileError",
    "DataGenError",
    "EmptyDataError",
    "GANModel",
    "InvalidDataError",
    "ModelFileError",
    "NotFittedError",
    "SchemaError",
    "TabularGAN",
    "TabularTransformer",
    "build_discriminator",
    "build_generator",
    "compare_stats",
    "infer_schema",
    "ks_test",
    "load_data",
    "numeric_columns",
    "plot_distributions",
    "plot_gan_overview",
    "plot_history",
    "save_csv",
    "save_figure",
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


class ModelFileError(DataGenError):
    """A saved model folder is missing, incomplete, corrupted, unsafe or too new."""


class NotFittedError(DataGenError, _SklearnNotFittedError):
    """The object is used before ``fit`` (also a scikit-learn ``NotFittedError``)."""


class ColumnsLeftOutWarning(UserWarning):
    """Some columns of the table are not modelled; the message names them."""


# ---------------------------------------------------------------------------
# loading
# ---------------------------------------------------------------------------

_ISO_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?$")


def load_data(path: str | os.PathLike) -> pd.DataFrame:
    """Read a CSV or Parquet table and parse its ISO date columns.

    Args:
        path: a ``.csv`` or ``.parquet`` file.

    Returns:
        The table, with columns holding only ISO dates (``2024-08-07``) parsed
        as ``datetime64``.

    Raises:
        DataFileError: the file is missing, unreadable or not CSV/Parquet.
        EmptyDataError: the file holds no rows or no columns.
    """
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"no data file at '{path}': check the path (relative to {Path.cwd()})")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise DataFileError(f"'{path}' is neither .csv nor .parquet: convert it to one of those")
    try:
        df = pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)
    except pd.errors.EmptyDataError as exc:
        raise EmptyDataError(f"'{path}' is empty: it has no header and no rows") from exc
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, ValueError) as exc:
        # pyarrow's ArrowInvalid is a ValueError.
        raise DataFileError(f"cannot read '{path}': {exc}. Is it a valid {suffix} file?") from exc
    if df.empty:
        raise EmptyDataError(f"'{path}' has {len(df.columns)} columns but no rows")
    for column in df.columns:
        if df[column].dtype == object and _is_iso_date_column(df[column]):
            df[column] = pd.to_datetime(df[column], format="ISO8601")
    return df


def _is_iso_date_column(values: pd.Series) -> bool:
    present = values.dropna()
    return len(present) > 0 and all(isinstance(v, str) and _ISO_DATE.match(v) for v in present)


# ---------------------------------------------------------------------------
# schema
# ---------------------------------------------------------------------------


def infer_schema(df: pd.DataFrame) -> dict[str, str]:
    """Say what kind of values each column holds.

    Args:
        df: the table.

    Returns:
        ``{column: kind}`` with kind one of ``"integer"``, ``"continuous"``,
        ``"boolean"``, ``"datetime"``, ``"categorical"`` (strings and anything else).
    """
    schema = {}
    for column in df.columns:
        values = df[column]
        if pd.api.types.is_bool_dtype(values):
            kind = "boolean"
        elif pd.api.types.is_datetime64_any_dtype(values):
            kind = "datetime"
        elif pd.api.types.is_integer_dtype(values):
            kind = "integer"
        elif pd.api.types.is_float_dtype(values):
            kind = "continuous"
        else:
            kind = "categorical"
        schema[str(column)] = kind
    return schema


def numeric_columns(df: pd.DataFrame) -> list[str]:
    """Return the integer and continuous columns of ``df``, in table order."""
    return [c for c, kind in infer_schema(df).items() if kind in ("integer", "continuous")]


def _check_frame(df: Any, what: str = "the table") -> None:
    if not isinstance(df, pd.DataFrame):
        raise DataGenError(
            f"{what} must be a pandas DataFrame, got {type(df).__name__}: "
            "wrap it with pd.DataFrame(...) and name its columns"
        )
    if df.shape[0] == 0 or df.shape[1] == 0:
        raise EmptyDataError(
            f"{what} is empty ({df.shape[0]} rows, {df.shape[1]} columns): "
            "give it at least 2 rows and one numeric column"
        )
    duplicated = df.columns[df.columns.duplicated()].tolist()
    if duplicated:
        raise SchemaError(f"{what} has duplicated column names {duplicated}: rename them")


def _check_numeric_values(df: pd.DataFrame, columns: Sequence[str]) -> None:
    """Refuse missing and infinite values in the columns to learn."""
    for column in columns:
        values = df[column].to_numpy(dtype=float)
        missing = np.flatnonzero(np.isnan(values))
        if missing.size:
            raise InvalidDataError(
                f"column '{column}' has {missing.size} missing values (rows {_first(missing)}): "
                f"drop them (df.dropna(subset=['{column}'])) or impute them before fit"
            )
        infinite = np.flatnonzero(np.isinf(values))
        if infinite.size:
            raise InvalidDataError(
                f"column '{column}' has {infinite.size} infinite values (rows {_first(infinite)}): "
                "replace them (df.replace([np.inf, -np.inf], np.nan)) and drop or impute them"
            )


def _check_stray_strings(df: pd.DataFrame, columns: Sequence[str]) -> None:
    """Refuse text columns that are mostly numbers with a few stray strings."""
    for column in columns:
        values = df[column].dropna()
        if values.empty or not pd.api.types.is_object_dtype(values):
            continue
        as_numbers = pd.to_numeric(values, errors="coerce")
        bad = values[as_numbers.isna()]
        if 0 < len(bad) <= len(values) / 2:
            shown = ", ".join(repr(v) for v in bad.unique()[:3])
            raise InvalidDataError(
                f"column '{column}' has {len(bad)} non-numeric values ({shown}, ...): "
                f"clean them (pd.to_numeric(df['{column}'], errors='coerce')) "
                "or drop the column"
            )


def _first(rows: np.ndarray, k: int = 5) -> str:
    shown = ", ".join(str(int(r)) for r in rows[:k])
    return shown + (", ..." if rows.size > k else "")


# ---------------------------------------------------------------------------
# transformer
# ---------------------------------------------------------------------------


class TabularTransformer(TransformerMixin, BaseEstimator):
    """Reversible preprocessing of numeric columns, scikit-learn style.

    Each column is min-max scaled to [-1, 1], the range of the generator's
    ``tanh`` output. ``inverse_transform`` undoes the scaling, clips values to
    the range seen in ``fit`` and rounds integer columns back to integers.

    Args:
        columns: the columns to learn. ``None`` takes every numeric column and
            warns (``ColumnsLeftOutWarning``) about the others.
    """

    def __init__(self, columns: Sequence[str] | None = None):
        self.columns = columns

    def fit(self, df: pd.DataFrame, y: Any = None) -> TabularTransformer:
        """Check ``df`` and learn each column's range.

        Raises:
            DataGenError: a subclass naming what is wrong and what to do.
        """
        _check_frame(df)
        columns = self._select_columns(df)
        _check_numeric_values(df, columns)
        if len(df) < 2:
            raise InvalidDataError(
                f"the table has {len(df)} row: a GAN needs at least 2 rows to learn from"
            )
        self.columns_ = list(columns)
        self.dtypes_ = {c: str(df[c].dtype) for c in columns}
        self.scaler_ = MinMaxScaler(feature_range=(-1.0, 1.0))
        self.scaler_.fit(df[columns].to_numpy(dtype=float))
        return self

    def _select_columns(self, df: pd.DataFrame) -> list[str]:
        if self.columns is not None:
            columns = list(self.columns)
            unknown = [c for c in columns if c not in df.columns]
            if unknown:
                raise SchemaError(
                    f"columns {unknown} are not in the table; its columns are {list(df.columns)}"
                )
            if not columns:
                raise SchemaError("columns=[] selects nothing: name at least one numeric column")
            _check_stray_strings(df, columns)
            kinds = infer_schema(df[columns])
            not_numeric = {c: k for c, k in kinds.items() if k not in ("integer", "continuous")}
            if not_numeric:
                raise SchemaError(
                    f"columns {not_numeric} are not numeric: this GAN learns numeric columns "
                    "only; convert them or leave them out of columns="
                )
            return columns
        _check_stray_strings(df, list(df.columns))
        columns = numeric_columns(df)
        if not columns:
            raise SchemaError(
                f"the table has no numeric column (kinds: {infer_schema(df)}): "
                "this GAN learns integer and float columns; convert some with pd.to_numeric"
            )
        left_out = [str(c) for c in df.columns if c not in columns]
        if left_out:
            warnings.warn(
                f"columns {left_out} are not numeric and are not learnt; "
                f"the GAN learns {columns}. Pass columns=[...] to choose explicitly.",
                ColumnsLeftOutWarning,
                stacklevel=3,
            )
        return columns

    def _check_fitted(self) -> None:
        if not hasattr(self, "scaler_"):
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet: call fit(df) first"
            )

    @property
    def output_dim(self) -> int:
        """Width of the transformed matrix (one column per learnt feature)."""
        self._check_fitted()
        return len(self.columns_)

    def transform(self, df: pd.DataFrame) -> np.ndarray:
        """Scale the learnt columns of ``df`` to a float64 matrix in [-1, 1]."""
        self._check_fitted()
        _check_frame(df)
        missing = [c for c in self.columns_ if c not in df.columns]
        if missing:
            raise ColumnMismatchError(f"the table lacks the learnt columns {missing}")
        _check_numeric_values(df, self.columns_)
        scaled = self.scaler_.transform(df[self.columns_].to_numpy(dtype=float))
        return np.clip(scaled, -1.0, 1.0)

    def inverse_transform(self, x: np.ndarray) -> pd.DataFrame:
        """Map a matrix from the generator back to a table like the one fitted."""
        self._check_fitted()
        x = np.asarray(x, dtype=float)
        if x.ndim != 2 or x.shape[1] != len(self.columns_):
            raise DataGenError(
                f"expected a matrix with {len(self.columns_)} columns, got shape {x.shape}"
            )
        values = self.scaler_.inverse_transform(x) if len(x) else x
        values = np.clip(values, self.scaler_.data_min_, self.scaler_.data_max_)
        out = {}
        for i, column in enumerate(self.columns_):
            dtype = np.dtype(self.dtypes_[column])
            col = values[:, i]
            out[column] = np.rint(col).astype(dtype) if dtype.kind in "iu" else col.astype(dtype)
        return pd.DataFrame(out, columns=self.columns_)

    def to_dict(self) -> dict[str, Any]:
        """The fitted state as plain JSON-able values."""
        self._check_fitted()
        return {
            "columns": self.columns_,
            "dtypes": self.dtypes_,
            "data_min": self.scaler_.data_min_.tolist(),
            "data_max": self.scaler_.data_max_.tolist(),
        }

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> TabularTransformer:
        """Rebuild a fitted transformer from ``to_dict()``'s output."""
        self = cls(columns=state["columns"])
        self.columns_ = list(state["columns"])
        self.dtypes_ = dict(state["dtypes"])
        # Fitting the scaler on the two extreme rows gives back the same parameters.
        self.scaler_ = MinMaxScaler(feature_range=(-1.0, 1.0))
        self.scaler_.fit(np.array([state["data_min"], state["data_max"]], dtype=float))
        return self


# ---------------------------------------------------------------------------
# networks
# ---------------------------------------------------------------------------


def build_generator(
    latent_dim: int = 100,
    n_features: int = 3,
    hidden_units: Sequence[int] = (128, 256, 512),
    negative_slope: float = 0.2,
    bn_momentum: float = 0.8,
) -> keras.Model:
    """The seed's generator: Dense + LeakyReLU + BatchNormalization blocks, tanh output.

    Args:
        latent_dim: size of the noise vector.
        n_features: number of generated columns.
        hidden_units: width of each hidden Dense layer.
        negative_slope: LeakyReLU slope for negative inputs.
        bn_momentum: BatchNormalization momentum (the tutorial's 0.8).

    Returns:
        A ``keras.Model`` mapping ``(None, latent_dim)`` to ``(None, n_features)`` in [-1, 1].
    """
    _check_sizes(latent_dim=latent_dim, n_features=n_features, hidden_units=hidden_units)
    noise = keras.Input(shape=(latent_dim,), name="noise")
    x = noise
    for i, units in enumerate(hidden_units, start=1):
        x = keras.layers.Dense(units, name=f"dense_{i}")(x)
        x = keras.layers.LeakyReLU(negative_slope=negative_slope, name=f"leaky_relu_{i}")(x)
        x = keras.layers.BatchNormalization(momentum=bn_momentum, name=f"batch_norm_{i}")(x)
    rows = keras.layers.Dense(n_features, activation="tanh", name="features")(x)
    return keras.Model(noise, rows, name="generator")


def build_discriminator(
    n_features: int = 3,
    hidden_units: Sequence[int] = (512, 256, 128),
    negative_slope: float = 0.2,
) -> keras.Model:
    """The seed's discriminator: Dense + LeakyReLU blocks to one real/fake score.

    The output is a logit (apply a sigmoid for the probability that a row is real);
    the loss uses ``from_logits=True``, which is numerically safer.

    Args:
        n_features: number of columns of a row.
        hidden_units: width of each hidden Dense layer.
        negative_slope: LeakyReLU slope for negative inputs.

    Returns:
        A ``keras.Model`` mapping ``(None, n_features)`` to ``(None, 1)``.
    """
    _check_sizes(n_features=n_features, hidden_units=hidden_units)
    rows = keras.Input(shape=(n_features,), name="rows")
    x = rows
    for i, units in enumerate(hidden_units, start=1):
        x = keras.layers.Dense(units, name=f"dense_{i}")(x)
        x = keras.layers.LeakyReLU(negative_slope=negative_slope, name=f"leaky_relu_{i}")(x)
    score = keras.layers.Dense(1, name="real_logit")(x)
    return keras.Model(rows, score, name="discriminator")


def _check_sizes(hidden_units: Sequence[int] = (), **sizes: int) -> None:
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ConfigError(f"{name} must be a positive integer, got {value!r}")
    units = list(hidden_units)
    bad = [u for u in units if isinstance(u, bool) or not isinstance(u, (int, np.integer)) or u < 1]
    if not units or bad:
        raise ConfigError(
            f"hidden_units must be a non-empty list of positive integers, got {hidden_units!r}"
        )


# ---------------------------------------------------------------------------
# training
# ---------------------------------------------------------------------------


class GANModel(keras.Model):
    """A generator and a discriminator trained against each other by ``fit()``.

    Each training step updates the discriminator once on a real batch and a
    generated batch of the same size, then the generator once. The batch size is
    read from the data. Per-epoch mean losses are also accumulated in
    ``epoch_losses`` (one row per data epoch), so that several epochs can run in
    one Keras epoch without losing the per-epoch history.

    Args:
        generator: maps noise ``(None, latent_dim)`` to rows.
        discriminator: maps rows to a real/fake logit ``(None, 1)``.
        latent_dim: size of the noise vector.
        seed: seed of the noise ``SeedGenerator``.
        steps_per_epoch: training steps in one pass over the data.
        max_epochs: rows of ``epoch_losses``.
    """

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        latent_dim: int,
        seed: int | None = None,
        steps_per_epoch: int = 1,
        max_epochs: int = 1,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = latent_dim
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.steps_per_epoch = steps_per_epoch
        self.step_counter = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        self.loss_sums = tf.Variable(
            tf.zeros((max_epochs, 2)), trainable=False, name="epoch_loss_sums"
        )

    def compile(
        self,
        d_optimizer: keras.optimizers.Optimizer,
        g_optimizer: keras.optimizers.Optimizer,
        loss_fn: keras.losses.Loss | None = None,
        **kwargs: Any,
    ) -> None:
        """Set both optimizers and the adversarial loss (BCE on logits by default)."""
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn or keras.losses.BinaryCrossentropy(from_logits=True)

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        """The loss trackers, reset by ``fit()`` at each epoch."""
        return [self.d_loss_tracker, self.g_loss_tracker]

    @property
    def epoch_losses(self) -> pd.DataFrame:
        """Mean ``d_loss`` and ``g_loss`` of each completed data epoch."""
        done = min(int(self.step_counter.numpy()) // self.steps_per_epoch, self.loss_sums.shape[0])
        sums = self.loss_sums.numpy()[:done].astype(np.float64) / self.steps_per_epoch
        frame = pd.DataFrame(sums, columns=["d_loss", "g_loss"])
        frame.index = pd.RangeIndex(1, done + 1, name="epoch")
        return frame

    def train_step(self, data: tf.Tensor) -> dict[str, tf.Tensor]:
        """One discriminator update, then one generator update."""
        real = data
        batch_size = tf.shape(real)[0]
        ones = tf.ones((batch_size, 1))
        zeros = tf.zeros((batch_size, 1))

        noise = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        fake = self.generator(noise, training=True)
        with tf.GradientTape() as tape:
            real_logits = self.discriminator(real, training=True)
            fake_logits = self.discriminator(fake, training=True)
            d_loss = 0.5 * (self.loss_fn(ones, real_logits) + self.loss_fn(zeros, fake_logits))
        weights = self.discriminator.trainable_weights
        self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, weights), weights, strict=True))

        noise = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            fake = self.generator(noise, training=True)
            g_loss = self.loss_fn(ones, self.discriminator(fake, training=True))
        weights = self.generator.trainable_weights
        self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, weights), weights, strict=True))

        last_row = tf.shape(self.loss_sums, out_type=tf.int64)[0] - 1
        epoch = tf.minimum(self.step_counter // self.steps_per_epoch, last_row)
        self.loss_sums.scatter_nd_add([[epoch]], [[d_loss, g_loss]])
        self.step_counter.assign_add(1)
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {m.name: m.result() for m in self.metrics}


class RunProgress(keras.callbacks.Callback):
    """One progress bar for the whole run, counted in data epochs.

    Keras' own bar prints one line per Keras epoch; here a Keras epoch holds
    ``epochs_per_call`` data epochs, so this bar advances by that many.

    Args:
        nb_epochs: data epochs in the run.
        epochs_per_call: data epochs in one Keras epoch.
    """

    def __init__(self, nb_epochs: int, epochs_per_call: int):
        super().__init__()
        self.nb_epochs = nb_epochs
        self.epochs_per_call = epochs_per_call

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.bar = keras.utils.Progbar(self.nb_epochs, unit_name="epoch")

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        done = min((epoch + 1) * self.epochs_per_call, self.nb_epochs)
        values = [(k, float(v)) for k, v in (logs or {}).items() if k.endswith("loss")]
        self.bar.update(done, values=values, finalize=done >= self.nb_epochs)


def _epochs_per_call(nb_epochs: int, steps_per_epoch: int, target_steps: int = 256) -> int:
    """Largest divisor of ``nb_epochs`` whose steps fit in about ``target_steps``."""
    limit = max(1, target_steps // steps_per_epoch)
    return max(d for d in range(1, min(limit, nb_epochs) + 1) if nb_epochs % d == 0)


# ---------------------------------------------------------------------------
# synthesizer
# ---------------------------------------------------------------------------


class TabularGAN:
    """Learn a table's numeric columns with the seed's GAN and sample new rows.

    Args:
        latent_dim: size of the generator's noise vector.
        nb_epochs: passes over the training rows.
        batch_size: rows per training step (capped at the number of rows).
        generator_units: hidden widths of the generator.
        discriminator_units: hidden widths of the discriminator.
        learning_rate: Adam learning rate of both networks.
        beta_1: Adam's first-moment decay (0.5 is the usual GAN choice).
        columns: numeric columns to learn; ``None`` takes all numeric columns.
        seed: makes weights, batches, noise and samples reproducible.
        verbose: 1 shows one progress bar for the run, 0 nothing.
        jit_compile: compile the training step with XLA (a few seconds of
            compilation, then faster steps).
    """

    def __init__(
        self,
        latent_dim: int = 100,
        nb_epochs: int = 10000,
        batch_size: int = 128,
        generator_units: Sequence[int] = (128, 256, 512),
        discriminator_units: Sequence[int] = (512, 256, 128),
        learning_rate: float = 2e-4,
        beta_1: float = 0.5,
        columns: Sequence[str] | None = None,
        seed: int | None = None,
        verbose: int = 1,
        jit_compile: bool = True,
    ):
        self.latent_dim = latent_dim
        self.nb_epochs = nb_epochs
        self.batch_size = batch_size
        self.generator_units = tuple(generator_units)
        self.discriminator_units = tuple(discriminator_units)
        self.learning_rate = learning_rate
        self.beta_1 = beta_1
        self.columns = None if columns is None else list(columns)
        self.seed = seed
        self.verbose = verbose
        self.jit_compile = jit_compile
        self._check_config()

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, as JSON-able values."""
        return {
            "latent_dim": self.latent_dim,
            "nb_epochs": self.nb_epochs,
            "batch_size": self.batch_size,
            "generator_units": list(self.generator_units),
            "discriminator_units": list(self.discriminator_units),
            "learning_rate": self.learning_rate,
            "beta_1": self.beta_1,
            "columns": self.columns,
            "seed": self.seed,
            "verbose": self.verbose,
            "jit_compile": self.jit_compile,
        }

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"TabularGAN({args})"

    def _check_config(self) -> None:
        _check_sizes(
            latent_dim=self.latent_dim,
            nb_epochs=self.nb_epochs,
            batch_size=self.batch_size,
            hidden_units=self.generator_units,
        )
        _check_sizes(hidden_units=self.discriminator_units)
        if not (isinstance(self.learning_rate, (int, float)) and 0 < self.learning_rate < 1):
            raise ConfigError(f"learning_rate must be in (0, 1), got {self.learning_rate!r}")
        if not (isinstance(self.beta_1, (int, float)) and 0 <= self.beta_1 < 1):
            raise ConfigError(f"beta_1 must be in [0, 1), got {self.beta_1!r}")
        if self.seed is not None and (
            isinstance(self.seed, bool) or not isinstance(self.seed, int)
        ):
            raise ConfigError(f"seed must be an integer or None, got {self.seed!r}")
        if not isinstance(self.jit_compile, bool):
            raise ConfigError(f"jit_compile must be True or False, got {self.jit_compile!r}")

    # -- fit -----------------------------------------------------------------

    def fit(
        self, df: pd.DataFrame, callbacks: Sequence[keras.callbacks.Callback] | None = None
    ) -> TabularGAN:
        """Check the table, fit the preprocessing, then train the GAN.

        Args:
            df: the real table.
            callbacks: Keras callbacks, passed to ``keras.Model.fit``. One Keras
                epoch holds ``epochs_per_call_`` data epochs.

        Returns:
            self, trained; ``history`` holds one row of mean losses per epoch.

        Raises:
            DataGenError: a subclass naming what is wrong with the table, before
                any training starts.
        """
        self._check_config()
        if keras.backend.backend() != "tensorflow":
            raise ConfigError(
                f"TabularGAN needs the TensorFlow backend of Keras, not "
                f"'{keras.backend.backend()}': set KERAS_BACKEND=tensorflow before importing keras"
            )
        self.transformer_ = TabularTransformer(columns=self.columns).fit(df)
        data = self.transformer_.transform(df).astype(np.float32)
        if self.seed is not None:
            keras.utils.set_random_seed(self.seed)

        n_rows, n_features = data.shape
        batch_size = min(self.batch_size, n_rows)
        steps_per_epoch = math.ceil(n_rows / batch_size)
        self.epochs_per_call_ = _epochs_per_call(self.nb_epochs, steps_per_epoch)
        steps_per_call = self.epochs_per_call_ * steps_per_epoch

        self.generator_ = build_generator(self.latent_dim, n_features, self.generator_units)
        self.discriminator_ = build_discriminator(n_features, self.discriminator_units)
        model = GANModel(
            self.generator_,
            self.discriminator_,
            self.latent_dim,
            seed=self.seed,
            steps_per_epoch=steps_per_epoch,
            max_epochs=self.nb_epochs,
        )
        model.compile(
            d_optimizer=keras.optimizers.Adam(self.learning_rate, beta_1=self.beta_1),
            g_optimizer=keras.optimizers.Adam(self.learning_rate, beta_1=self.beta_1),
            steps_per_execution=steps_per_call,
            jit_compile=self.jit_compile,
        )
        dataset = (
            tf.data.Dataset.from_tensor_slices(data)
            .shuffle(n_rows, seed=self.seed, reshuffle_each_iteration=True)
            .batch(batch_size)
            .repeat()
            .prefetch(tf.data.AUTOTUNE)
        )
        run_callbacks = list(callbacks or [])
        if self.verbose:
            run_callbacks.append(RunProgress(self.nb_epochs, self.epochs_per_call_))
        self.keras_history_ = model.fit(
            dataset,
            epochs=self.nb_epochs // self.epochs_per_call_,
            steps_per_epoch=steps_per_call,
            callbacks=run_callbacks,
            shuffle=False,
            verbose=0,
        )
        self.model_ = model
        self.history = model.epoch_losses
        self._sample_seed = keras.random.SeedGenerator(self.seed)
        return self

    # -- sample --------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "generator_"):
            raise NotFittedError("this TabularGAN is not fitted yet: call fit(df) or load(path)")

    def sample(self, n: int, seed: int | None = None, chunk_size: int = 65536) -> pd.DataFrame:
        """Generate ``n`` new rows.

        Args:
            n: number of rows.
            seed: the same seed gives the same rows; ``None`` continues the
                model's own reproducible random stream.
            chunk_size: rows generated per call of the generator.

        Returns:
            A DataFrame with the learnt columns, in order, with their dtypes,
            every value inside the range seen in training.
        """
        self._check_fitted()
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ConfigError(f"n must be a non-negative integer, got {n!r}")
        seed_generator = self._sample_seed if seed is None else keras.random.SeedGenerator(seed)
        parts = [np.zeros((0, self.transformer_.output_dim), dtype=np.float32)]
        for start in range(0, n, chunk_size):
            size = min(chunk_size, n - start)
            noise = keras.random.normal((size, self.latent_dim), seed=seed_generator)
            parts.append(keras.ops.convert_to_numpy(self.generator_(noise, training=False)))
        return self.transformer_.inverse_transform(np.concatenate(parts))

    # -- save / load ---------------------------------------------------------

    def save(self, path: str | os.PathLike) -> Path:
        """Save to a folder: networks as ``.keras``, configuration and preprocessing as JSON.

        The folder is written under a temporary name and renamed at the end, so a
        crash never leaves a half-written model in place of a good one.

        Returns:
            The folder's path.
        """
        self._check_fitted()
        state = {
            "format_version": FORMAT_VERSION,
            "versions": _library_versions(),
            "config": self.get_config(),
            "transformer": self.transformer_.to_dict(),
            "epochs_per_call": self.epochs_per_call_,
        }
        with _atomic_dir(path) as tmp:
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
        if not folder.is_dir():
            raise ModelFileError(f"no saved model folder at '{folder}'")
        needed = ["model.json", "generator.keras", "discriminator.keras", "history.csv"]
        missing = [name for name in needed if not (folder / name).is_file()]
        if missing:
            raise ModelFileError(
                f"'{folder}' is incomplete: {missing} missing. Save the model again"
            )
        try:
            state = json.loads((folder / "model.json").read_text())
            version = state["format_version"]
            config, transformer_state = state["config"], state["transformer"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ModelFileError(f"'{folder / 'model.json'}' is corrupted: {exc}") from exc
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise ModelFileError(
                f"'{folder}' has format version {version!r}, newer than this module's "
                f"{FORMAT_VERSION}: update data_gen_utils.py"
            )
        self = cls(**config)
        self.transformer_ = TabularTransformer.from_dict(transformer_state)
        self.generator_ = _load_network(folder / "generator.keras")
        self.discriminator_ = _load_network(folder / "discriminator.keras")
        expected_in, expected_out = (None, self.latent_dim), (None, self.transformer_.output_dim)
        if (
            tuple(self.generator_.input_shape) != expected_in
            or tuple(self.generator_.output_shape) != expected_out
        ):
            raise ModelFileError(
                f"'{folder / 'generator.keras'}' maps {self.generator_.input_shape} to "
                f"{self.generator_.output_shape}, but model.json expects {expected_in} to "
                f"{expected_out}"
            )
        self.history = pd.read_csv(folder / "history.csv", index_col="epoch")
        self.epochs_per_call_ = state.get("epochs_per_call", 1)
        self._sample_seed = keras.random.SeedGenerator(self.seed)
        return self


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


def _common_numeric_columns(
    real: pd.DataFrame, synthetic: pd.DataFrame, columns: Sequence[str] | None
) -> list[str]:
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
        columns = numeric_columns(real)
    missing = [c for c in columns if c not in real.columns or c not in synthetic.columns]
    if missing:
        raise ColumnMismatchError(f"columns {missing} are not in both tables")
    if not columns:
        raise SchemaError("the tables have no numeric column to compare")
    return list(columns)


def compare_stats(
    real: pd.DataFrame, synthetic: pd.DataFrame, columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """Side-by-side ``describe()`` of the real and synthetic numeric columns.

    Returns:
        One row per column; columns ``(statistic, "real" | "synthetic")``.
    """
    columns = _common_numeric_columns(real, synthetic, columns)
    parts = {"real": real[columns].describe().T, "synthetic": synthetic[columns].describe().T}
    table = pd.concat(parts, axis=1).swaplevel(axis=1)
    stats = list(parts["real"].columns)
    return table.reindex(columns=pd.MultiIndex.from_product([stats, ["real", "synthetic"]]))


def ks_test(
    real: pd.DataFrame, synthetic: pd.DataFrame, columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """Two-sample Kolmogorov-Smirnov test per numeric column (scipy).

    Returns:
        One row per column: ``statistic`` (0 = same distribution, 1 = disjoint)
        and ``p_value``.
    """
    from scipy import stats

    columns = _common_numeric_columns(real, synthetic, columns)
    rows = {}
    for column in columns:
        result = stats.ks_2samp(real[column].dropna(), synthetic[column].dropna())
        rows[column] = {"statistic": result.statistic, "p_value": result.pvalue}
    return pd.DataFrame.from_dict(rows, orient="index")


# ---------------------------------------------------------------------------
# plots
# ---------------------------------------------------------------------------

REAL_COLOR, SYNTHETIC_COLOR = "#1f77b4", "#ff7f0e"


def plot_distributions(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    columns: Sequence[str] | None = None,
    path: str | os.PathLike | None = None,
) -> Any:
    """Histograms with density curves, real over synthetic, one panel per numeric column.

    Returns:
        The matplotlib Figure (also saved as PNG at ``path`` if given).
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    columns = _common_numeric_columns(real, synthetic, columns)
    fig, axes = plt.subplots(1, len(columns), figsize=(4.5 * len(columns), 3.6), squeeze=False)
    for ax, column in zip(axes[0], columns, strict=True):
        both = pd.concat(
            [real[[column]].assign(table="real"), synthetic[[column]].assign(table="synthetic")],
            ignore_index=True,
        )
        sns.histplot(
            both,
            x=column,
            hue="table",
            stat="density",
            common_norm=False,
            kde=True,
            element="step",
            palette={"real": REAL_COLOR, "synthetic": SYNTHETIC_COLOR},
            ax=ax,
        )
        ax.set_title(column)
    fig.suptitle("Real vs synthetic distributions")
    fig.tight_layout()
    return _finish(fig, path)


def plot_history(history: pd.DataFrame, path: str | os.PathLike | None = None) -> Any:
    """Loss curves per epoch, with a rolling mean over about 1 % of the run.

    Returns:
        The matplotlib Figure (also saved as PNG at ``path`` if given).
    """
    import matplotlib.pyplot as plt

    if not isinstance(history, pd.DataFrame) or history.empty:
        raise DataGenError("history is empty: fit the model first (gan.history)")
    fig, ax = plt.subplots(figsize=(9, 3.6))
    window = max(1, len(history) // 100)
    for column in history.columns:
        line = ax.plot(history.index, history[column], alpha=0.25, linewidth=0.8)[0]
        smooth = history[column].rolling(window, min_periods=1).mean()
        ax.plot(history.index, smooth, color=line.get_color(), label=f"{column} (mean of {window})")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title("Training losses")
    ax.legend()
    fig.tight_layout()
    return _finish(fig, path)


def _layer_rows(model: keras.Model) -> list[str]:
    rows = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            rows.append(f"Input ({layer.batch_shape[-1]})")
        elif isinstance(layer, keras.layers.Dense):
            activation = layer.activation.__name__
            suffix = "" if activation == "linear" else f", {activation}"
            rows.append(f"Dense {layer.units}{suffix}")
        elif isinstance(layer, keras.layers.LeakyReLU):
            rows[-1] += " + LeakyReLU"
        elif isinstance(layer, keras.layers.BatchNormalization):
            rows[-1] += " + BatchNorm"
        else:
            rows.append(type(layer).__name__)
    return rows


def plot_gan_overview(
    generator: keras.Model,
    discriminator: keras.Model,
    path: str | os.PathLike | None = None,
) -> Any:
    """Draw the GAN: noise -> generator -> rows -> discriminator <- real rows.

    The boxes list each network's layers, read from the models themselves.

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

    latent_dim = generator.input_shape[-1]
    n_features = generator.output_shape[-1]
    gen_rows, disc_rows = _layer_rows(generator), _layer_rows(discriminator)
    height = 1.0 + 0.33 * max(len(gen_rows), len(disc_rows))
    bottom = 2.55 - height / 2
    box(0.1, 1.9, 1.7, 1.3, "Noise z", [f"N(0, 1)^{latent_dim}"], "#eeeeee")
    box(2.4, bottom, 3.0, height, "Generator", gen_rows, "#ffe0b3")
    box(6.0, 1.9, 1.5, 1.3, "Synthetic", [f"{n_features} features"], "#ffe0b3")
    box(6.0, 3.7, 1.5, 1.3, "Real rows", [f"{n_features} features"], "#cfe2f3")
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


@contextmanager
def _atomic_file(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` on success."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def _atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; swap it in for ``path`` on success."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    old = target.with_name(f".{target.name}.{uuid.uuid4().hex}.old")
    tmp.mkdir()
    try:
        yield tmp
        if target.exists():
            os.replace(target, old)
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


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
