"""TabularGAN.sample_to_file: chunked CSV/Parquet output, reproducible, atomic."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

import data_gen_utils as dgu

ROOT = Path(__file__).resolve().parent.parent
SUFFIXES = [".csv", ".parquet"]


def read_back(path: Path) -> pd.DataFrame:
    """The file as the module reads it; an empty file through pandas directly."""
    try:
        return dgu.load_data(path)
    except dgu.EmptyDataError:
        return pd.read_csv(path) if path.suffix == ".csv" else pd.read_parquet(path)


def record_sizes(monkeypatch, gan) -> list[int]:
    """Wrap the one row-generation path; return the row counts it is asked for."""
    real_sample, sizes = gan._sample, []

    def sample(n, *args, **kwargs):
        sizes.append(n)
        return real_sample(n, *args, **kwargs)

    monkeypatch.setitem(vars(gan), "_sample", sample)
    return sizes


@pytest.fixture(scope="module")
def mixed_gan(screentime):
    """A barely trained model of the whole table: a date, a category and three counts."""
    return dgu.TabularGAN(
        nb_epochs=2,
        batch_size=64,
        generator_units=(16,),
        discriminator_units=(16,),
        seed=0,
        verbose=0,
        jit_compile=False,
    ).fit(screentime)


# -- content -------------------------------------------------------------------


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_writes_n_rows_in_chunks_with_sample_columns_and_dtypes(
    fitted_gan, tmp_path, monkeypatch, suffix
):
    sizes = record_sizes(monkeypatch, fitted_gan)
    path = tmp_path / f"synthetic{suffix}"

    result = fitted_gan.sample_to_file(2_500, path, chunk_size=1_000, seed=1)

    assert result == path
    assert sizes == [1_000, 1_000, 500]  # never more than chunk_size rows at once
    expected = fitted_gan.sample(5, seed=0)
    written = read_back(path)
    assert len(written) == 2_500
    assert list(written.columns) == list(expected.columns)
    assert written.dtypes.to_dict() == expected.dtypes.to_dict()
    assert sorted(os.listdir(tmp_path)) == [path.name]


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_mixed_table_keeps_dates_categories_and_counts(mixed_gan, screentime, tmp_path, suffix):
    path = tmp_path / f"mixed{suffix}"
    mixed_gan.sample_to_file(700, path, chunk_size=300, seed=2)

    expected = mixed_gan.sample(50, seed=2)
    written = read_back(path)
    assert len(written) == 700
    assert list(written.columns) == [
        "Date",
        "App",
        "Usage (minutes)",
        "Notifications",
        "Times Opened",
    ]
    assert written.dtypes.to_dict() == expected.dtypes.to_dict()
    assert set(written["App"]) <= set(screentime["App"])
    assert written["Date"].between(screentime["Date"].min(), screentime["Date"].max()).all()


def test_chunks_continue_one_random_stream(fitted_gan, tmp_path):
    path = tmp_path / "stream.csv"
    fitted_gan.sample_to_file(3_000, path, chunk_size=1_000, seed=4)
    written = read_back(path)
    first, second, third = (
        written.iloc[i : i + 1_000].reset_index(drop=True) for i in (0, 1_000, 2_000)
    )
    # Re-seeding every chunk would repeat the first chunk.
    assert not first.equals(second)
    assert not second.equals(third)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_zero_rows_gives_columns_only(fitted_gan, tmp_path, suffix):
    path = tmp_path / f"empty{suffix}"
    fitted_gan.sample_to_file(0, path, chunk_size=10, seed=0)

    expected = fitted_gan.sample(3, seed=0)
    written = read_back(path)
    assert len(written) == 0
    assert list(written.columns) == list(expected.columns)
    if suffix == ".csv":
        assert path.read_text() == ",".join(expected.columns) + "\n"
    else:
        assert written.dtypes.to_dict() == expected.dtypes.to_dict()


def test_n_equal_to_chunk_size_is_one_chunk(fitted_gan, tmp_path, monkeypatch):
    sizes = record_sizes(monkeypatch, fitted_gan)
    path = tmp_path / "one.csv"
    fitted_gan.sample_to_file(400, path, chunk_size=400)
    assert sizes == [400]
    assert len(read_back(path)) == 400


# -- reproducibility -------------------------------------------------------------


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_same_seed_gives_identical_file(fitted_gan, tmp_path, suffix):
    a, b, c = (tmp_path / f"{name}{suffix}" for name in "abc")
    fitted_gan.sample_to_file(1_500, a, chunk_size=600, seed=7)
    fitted_gan.sample(100)  # the model's own stream moves on in between
    fitted_gan.sample_to_file(1_500, b, chunk_size=600, seed=7)
    fitted_gan.sample_to_file(1_500, c, chunk_size=600, seed=8)

    pd.testing.assert_frame_equal(read_back(a), read_back(b))
    if suffix == ".csv":
        assert a.read_bytes() == b.read_bytes()
    assert not read_back(a).equals(read_back(c))


def twins(gan, folder):
    """Two copies of a model, in the same state: one to use, one to compare with."""
    path = gan.save(folder / "twin")
    return dgu.TabularGAN.load(path), dgu.TabularGAN.load(path)


def test_seeded_file_leaves_the_models_own_stream_alone(fitted_gan, tmp_path):
    used, untouched = twins(fitted_gan, tmp_path)
    used.sample_to_file(500, tmp_path / "seeded.csv", chunk_size=200, seed=3)
    pd.testing.assert_frame_equal(used.sample(50), untouched.sample(50))


def test_without_seed_continues_the_models_stream(fitted_gan, tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    fitted_gan.sample_to_file(500, a, chunk_size=200)
    fitted_gan.sample_to_file(500, b, chunk_size=200)
    assert a.read_bytes() != b.read_bytes()


# -- interrupted runs --------------------------------------------------------------


def fail_on_second_call(monkeypatch, gan, error: BaseException) -> None:
    real_sample, calls = gan._sample, []

    def sample(n, *args, **kwargs):
        calls.append(n)
        if len(calls) == 2:
            raise error
        return real_sample(n, *args, **kwargs)

    monkeypatch.setitem(vars(gan), "_sample", sample)


@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize("error", [KeyboardInterrupt(), RuntimeError("boom")])
def test_interrupted_run_leaves_no_file(fitted_gan, tmp_path, monkeypatch, suffix, error):
    used, untouched = twins(fitted_gan, tmp_path / "models")
    path = tmp_path / f"out{suffix}"
    fail_on_second_call(monkeypatch, used, error)

    with pytest.raises(type(error)):
        used.sample_to_file(3_000, path, chunk_size=1_000, seed=5)

    assert os.listdir(tmp_path) == ["models"]  # neither the target nor a temporary file
    pd.testing.assert_frame_equal(used.sample(50), untouched.sample(50))


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_interrupted_run_keeps_previous_file(fitted_gan, tmp_path, monkeypatch, suffix):
    path = tmp_path / f"out{suffix}"
    fitted_gan.sample_to_file(1_200, path, chunk_size=500, seed=6)
    before = path.read_bytes()
    fail_on_second_call(monkeypatch, fitted_gan, KeyboardInterrupt())

    with pytest.raises(KeyboardInterrupt):
        fitted_gan.sample_to_file(3_000, path, chunk_size=1_000, seed=9)

    assert os.listdir(tmp_path) == [path.name]
    assert path.read_bytes() == before


KILLED_SCRIPT = textwrap.dedent(
    """
    import sys

    import numpy as np
    import pandas as pd

    import data_gen_utils as dgu

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=256), "b": rng.integers(0, 50, 256)})
    gan = dgu.TabularGAN(
        nb_epochs=1, batch_size=64, generator_units=(8,), discriminator_units=(8,),
        seed=0, verbose=0, jit_compile=False,
    ).fit(df)
    gan.sample_to_file(10**9, sys.argv[1], chunk_size=500, seed=0)
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX only")
def test_killed_process_leaves_no_target(tmp_path):
    path = tmp_path / "killed.csv"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_SCRIPT, str(path)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 240
        temps: list[Path] = []
        # Wait until the temporary file exists and holds a few chunks.
        while not (temps and temps[0].stat().st_size > 50_000):
            if path.exists():
                pytest.fail(f"'{path}' appeared while the writer was still running")
            if proc.poll() is not None:
                pytest.fail(f"the writer exited early: {proc.stderr.read().decode()[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail("the writer did not start writing within 240 s")
            time.sleep(0.1)
            temps = list(tmp_path.glob(f".{path.name}.*.tmp"))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()

    assert proc.returncode == -signal.SIGKILL
    assert not path.exists()
    # Nothing can clean up after SIGKILL: the hidden temporary file stays, the target is absent.
    assert [p.name for p in tmp_path.iterdir()] == [temps[0].name]


# -- errors --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("out.txt", r"suffix '\.txt'; name the file with '\.csv' or '\.parquet'"),
        ("out.json", r"suffix '\.json'.*'\.csv' or '\.parquet'"),
        ("out", r"has no suffix; name the file with '\.csv' or '\.parquet'"),
    ],
)
def test_bad_suffix(fitted_gan, tmp_path, name, match):
    with pytest.raises(dgu.ConfigError, match=match):
        fitted_gan.sample_to_file(10, tmp_path / name)
    assert os.listdir(tmp_path) == []


def test_parquet_without_pyarrow_is_refused_before_writing(fitted_gan, tmp_path, monkeypatch):
    # A user without pyarrow: importing it fails (None in sys.modules makes import raise).
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(
        dgu.ConfigError,
        match=r"'.*out\.parquet' needs pyarrow: pip install pyarrow, or write a \.csv file",
    ):
        fitted_gan.sample_to_file(10, tmp_path / "out.parquet")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("n", [-1, 2.5, "10", True, None])
def test_bad_n(fitted_gan, tmp_path, n):
    with pytest.raises(dgu.ConfigError, match=r"n must be a non-negative integer \(the number"):
        fitted_gan.sample_to_file(n, tmp_path / "out.csv")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("chunk_size", [0, -10, 1.5, "100", False])
def test_bad_chunk_size(fitted_gan, tmp_path, chunk_size):
    with pytest.raises(dgu.ConfigError, match=r"chunk_size must be a positive integer \(rows per"):
        fitted_gan.sample_to_file(10, tmp_path / "out.parquet", chunk_size=chunk_size)
    assert os.listdir(tmp_path) == []


def test_bad_seed(fitted_gan, tmp_path):
    with pytest.raises(dgu.ConfigError, match="seed must be an integer or None"):
        fitted_gan.sample_to_file(10, tmp_path / "out.csv", seed=1.5)
    assert os.listdir(tmp_path) == []


def test_not_fitted(tmp_path):
    with pytest.raises(dgu.NotFittedError, match="not fitted yet"):
        dgu.TabularGAN().sample_to_file(10, tmp_path / "out.csv")
    assert os.listdir(tmp_path) == []


# -- paths that cannot be written: the user's path named, no hidden one ---------------


def test_a_folder_as_target_is_refused(fitted_gan, tmp_path):
    (tmp_path / "out.csv").mkdir()
    with pytest.raises(dgu.OutputFileError, match=r"cannot write '.*out\.csv': it is a folder"):
        fitted_gan.sample_to_file(10, tmp_path / "out.csv")
    assert os.listdir(tmp_path) == ["out.csv"] and os.listdir(tmp_path / "out.csv") == []


def test_a_file_in_the_way_of_the_folder_is_named(fitted_gan, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    target = tmp_path / "notes.txt" / "out.csv"
    with pytest.raises(dgu.OutputFileError, match=r"'.*notes\.txt' is a file, not a folder"):
        fitted_gan.sample_to_file(10, target)
    with pytest.raises(dgu.OutputFileError, match=r"notes\.txt' is a file"):
        dgu.save_csv(pd.DataFrame({"a": [1]}), target)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_a_folder_that_cannot_be_written_is_named(fitted_gan, tmp_path, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(dgu.Path, "mkdir", refuse)
    target = tmp_path / "locked" / "out.csv"
    with pytest.raises(dgu.OutputFileError, match=r"cannot write '.*locked/out\.csv': Permission"):
        fitted_gan.sample_to_file(10, target)
    with pytest.raises(dgu.OutputFileError, match="a folder you can write to"):
        dgu.save_csv(pd.DataFrame({"a": [1]}), target)
