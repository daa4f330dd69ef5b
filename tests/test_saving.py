import decimal
import json
import os
import signal
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pandas as pd
import pytest

import data_gen_utils as dgu


@pytest.fixture(scope="module")
def saved(tmp_path_factory, fitted_gan):
    return fitted_gan.save(tmp_path_factory.mktemp("m") / "screentime")


def test_save_load_round_trip(saved, fitted_gan):
    assert sorted(p.name for p in saved.iterdir()) == [
        "discriminator.keras",
        "generator.keras",
        "history.csv",
        "model.json",
    ]
    state = json.loads((saved / "model.json").read_text())
    assert state["format_version"] == dgu.FORMAT_VERSION
    assert "tensorflow" in state["versions"]
    loaded = dgu.TabularGAN.load(saved)
    pd.testing.assert_frame_equal(loaded.sample(300, seed=4), fitted_gan.sample(300, seed=4))
    pd.testing.assert_frame_equal(loaded.history, fitted_gan.history, check_exact=False)
    assert loaded.get_config() == fitted_gan.get_config()


def test_no_pickle_anywhere(saved):
    for path in saved.iterdir():
        assert b"pickle" not in path.read_bytes().lower()


def test_save_replaces_a_model_folder_atomically_when_asked(tmp_path, fitted_gan):
    target = tmp_path / "model"
    fitted_gan.save(target)
    (target / "history.csv").write_text("epoch\n")  # anything a save writes is replaced
    fitted_gan.save(target, overwrite=True)
    pd.testing.assert_frame_equal(dgu.TabularGAN.load(target).history, fitted_gan.history)
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


def _copy(saved, tmp_path):
    import shutil

    return shutil.copytree(saved, tmp_path / "copy")


def test_missing_folder(tmp_path):
    with pytest.raises(dgu.ModelFileError, match=r"no saved model folder at"):
        dgu.TabularGAN.load(tmp_path / "nothing")


def test_incomplete_folder(saved, tmp_path):
    folder = _copy(saved, tmp_path)
    (folder / "generator.keras").unlink()
    with pytest.raises(dgu.ModelFileError, match=r"incomplete: \['generator.keras'\]"):
        dgu.TabularGAN.load(folder)


def test_corrupted_json(saved, tmp_path):
    folder = _copy(saved, tmp_path)
    (folder / "model.json").write_text("{not json")
    with pytest.raises(dgu.ModelFileError, match=r"model\.json' is corrupted"):
        dgu.TabularGAN.load(folder)


def test_future_format_version(saved, tmp_path):
    folder = _copy(saved, tmp_path)
    state = json.loads((folder / "model.json").read_text())
    state["format_version"] = dgu.FORMAT_VERSION + 1
    (folder / "model.json").write_text(json.dumps(state))
    with pytest.raises(dgu.ModelFileError, match="newer than this module"):
        dgu.TabularGAN.load(folder)


def test_truncated_keras_file(saved, tmp_path):
    folder = _copy(saved, tmp_path)
    data = (folder / "generator.keras").read_bytes()
    (folder / "generator.keras").write_bytes(data[: len(data) // 2])
    with pytest.raises(dgu.ModelFileError, match=r"cannot load .*generator\.keras"):
        dgu.TabularGAN.load(folder)


def test_lambda_layer_is_refused_and_not_run(saved, tmp_path):
    folder = _copy(saved, tmp_path)
    marker = tmp_path / "ran.txt"

    def leave_a_mark(t):
        marker.write_text("the file's code ran")
        return t[:, :3]

    inputs = keras.Input((100,))
    keras.Model(inputs, keras.layers.Lambda(leave_a_mark)(inputs)).save(folder / "generator.keras")
    marker.unlink()  # building the model ran the function once; loading must not
    with pytest.raises(dgu.ModelFileError, match="Lambda"):
        dgu.TabularGAN.load(folder)
    assert not marker.exists()


def test_network_of_the_wrong_shape(saved, tmp_path):
    folder = _copy(saved, tmp_path)
    dgu.build_generator(latent_dim=100, n_features=2).save(folder / "generator.keras")
    with pytest.raises(dgu.ModelFileError, match=r"model\.json expects"):
        dgu.TabularGAN.load(folder)


def test_save_csv_and_figure_leave_no_temporary_file(tmp_path):
    import matplotlib.pyplot as plt

    dgu.save_csv(pd.DataFrame({"a": [1, 2]}), tmp_path / "out" / "t.csv")
    fig = plt.figure()
    dgu.save_figure(fig, tmp_path / "out" / "f.png")
    plt.close(fig)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["f.png", "t.csv"]
    assert (tmp_path / "out" / "f.png").read_bytes()[:4] == b"\x89PNG"


def test_a_write_killed_halfway_keeps_the_old_file(tmp_path):
    target = tmp_path / "t.csv"
    target.write_text("a\n1\n")
    script = textwrap.dedent(
        f"""
        import os, signal, pandas as pd, data_gen_utils as dgu
        class Bomb:
            def to_csv(self, path, index):
                open(path, "w").write("half")
                os.kill(os.getpid(), signal.SIGKILL)
        dgu.save_csv(Bomb(), {str(target)!r})
        """
    )
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    proc = subprocess.run([sys.executable, "-c", script], env=env, check=False)
    assert proc.returncode == -signal.SIGKILL
    assert target.read_text() == "a\n1\n"


def _edit_config(folder, **changes):
    state = json.loads((folder / "model.json").read_text())
    state["config"].update(changes)
    (folder / "model.json").write_text(json.dumps(state))


def test_a_model_saved_with_a_removed_option_at_its_no_op_value_loads(saved, tmp_path):
    folder = _copy(saved, tmp_path)
    _edit_config(folder, smoothing=0.0, discriminator_dropout=0.0)
    loaded = dgu.TabularGAN.load(folder)
    pd.testing.assert_frame_equal(
        loaded.sample(20, seed=0), dgu.TabularGAN.load(saved).sample(20, seed=0)
    )


def test_a_model_saved_with_a_removed_option_in_use_is_refused(saved, tmp_path):
    folder = _copy(saved, tmp_path)
    _edit_config(folder, smoothing=0.1)
    with pytest.raises(dgu.ModelFileError, match=r"smoothing=0.1, an option this module no longer"):
        dgu.TabularGAN.load(folder)


def test_a_configuration_edited_by_hand_is_a_model_file_error(saved, tmp_path):
    folder = _copy(saved, tmp_path)
    _edit_config(folder, latent_dim=-3)
    with pytest.raises(dgu.ModelFileError, match=r"model\.json' is corrupted: latent_dim must be"):
        dgu.TabularGAN.load(folder)
    _edit_config(folder, latent_dim=32, colour="blue")
    with pytest.raises(dgu.ModelFileError, match=r"unknown arguments \['colour'\]"):
        dgu.TabularGAN.load(folder)


def _edit_state(folder, edit):
    state = json.loads((folder / "model.json").read_text())
    edit(state)
    (folder / "model.json").write_text(json.dumps(state))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda s: s["config"].pop("latent_dim"), r"config lacks \['latent_dim'\]"),
        (lambda s: s.update(transformer={}), r"model\.json' is corrupted"),
        (lambda s: s["transformer"]["specs"][0].pop("kind"), r"spec #0 lacks the keys \['kind'\]"),
        (
            lambda s: s["transformer"]["specs"][0].update(max=float("inf")),
            r"spec #0 has non-finite or non-numeric \['max'\]",
        ),
        (lambda s: s.update(config=[1, 2]), "its config is not a mapping"),
    ],
)
def test_a_model_json_edited_by_hand_is_refused_at_load(saved, tmp_path, edit, message):
    folder = _copy(saved, tmp_path)
    _edit_state(folder, edit)
    with pytest.raises(dgu.ModelFileError, match=message):
        dgu.TabularGAN.load(folder)


def test_a_history_without_its_epochs_is_refused_at_load(saved, tmp_path):
    folder = _copy(saved, tmp_path)
    history = pd.read_csv(folder / "history.csv").drop(columns="epoch")
    history.to_csv(folder / "history.csv", index=False)
    with pytest.raises(dgu.ModelFileError, match=r"history\.csv' is corrupted"):
        dgu.TabularGAN.load(folder)


def test_sampled_rows_keep_nullable_categorical_and_tz_aware_dtypes(tmp_path):
    n = 40
    rng = np.random.default_rng(0)
    table = pd.DataFrame(
        {
            "count": pd.array([None if i % 7 == 0 else int(i) for i in range(n)], dtype="Int64"),
            "flag": pd.array([None if i % 5 == 0 else bool(i % 2) for i in range(n)], "boolean"),
            "label": pd.array([None if i % 6 == 0 else "ab"[i % 2] for i in range(n)], "string"),
            "level": pd.Categorical(
                rng.choice(["low", "high"], n), categories=["low", "mid", "high"], ordered=True
            ),
            "when": pd.date_range("2024-03-30", periods=n, freq="7h", tz="Europe/Paris"),
        }
    )
    gan = dgu.TabularGAN(nb_epochs=2, batch_size=16, validation_size=0.0, seed=0, verbose=0)
    gan.fit(table, schema={"label": "categorical"})
    rows = gan.sample(200, seed=0)
    assert rows.dtypes.to_dict() == table.dtypes.to_dict()
    assert rows.isna().any()[["count", "flag", "label"]].all()
    loaded = dgu.TabularGAN.load(gan.save(tmp_path / "m"))
    pd.testing.assert_frame_equal(loaded.sample(200, seed=0), rows)


def test_a_history_whose_epochs_are_not_whole_numbers_is_refused_at_load(saved, tmp_path):
    folder = _copy(saved, tmp_path)
    history = pd.read_csv(folder / "history.csv")
    history["epoch"] = history["epoch"] + 0.5
    history.to_csv(folder / "history.csv", index=False)
    with pytest.raises(dgu.ModelFileError, match="its epochs are not whole numbers"):
        dgu.TabularGAN.load(folder)


def test_a_model_saved_before_the_value_structure_options_loads_with_them_off(saved, tmp_path):
    folder = _copy(saved, tmp_path)
    _edit_state(folder, lambda s: [s["config"].pop(k) for k in ("precision", "atom_share")])
    loaded = dgu.TabularGAN.load(folder)
    assert (loaded.precision, loaded.atom_share) == (False, None)
    pd.testing.assert_frame_equal(
        loaded.sample(20, seed=0), dgu.TabularGAN.load(saved).sample(20, seed=0)
    )


def test_a_model_saved_before_discriminator_steps_loads_with_one_step(saved, tmp_path):
    folder = _copy(saved, tmp_path)
    assert dgu.TabularGAN.load(saved).discriminator_steps == 1
    _edit_state(folder, lambda s: s["config"].pop("discriminator_steps"))
    assert dgu.TabularGAN.load(folder).discriminator_steps == 1
    _edit_state(folder, lambda s: s["config"].update(discriminator_steps=0))
    with pytest.raises(dgu.ModelFileError, match="discriminator_steps must be a positive integer"):
        dgu.TabularGAN.load(folder)


def _pandas_categories_table(n: int = 40) -> pd.DataFrame:
    """Categories of pandas' scalars, as users make them (pd.cut, astype('category'))."""
    rng = np.random.default_rng(0)
    days = pd.Series(pd.date_range("2024-01-01", periods=n, freq="D"))
    return pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "bins": pd.cut(rng.normal(size=n), 4),
            "weeks": pd.cut(days, 3),
            "day": days.iloc[rng.integers(0, 3, n)].reset_index(drop=True).astype("category"),
            "zoned": pd.Series(
                pd.date_range("2024-03-30", periods=3, freq="D", tz="Europe/Paris")[
                    rng.integers(0, 3, n)
                ]
            ).astype("category"),
            "month": pd.Series(
                pd.period_range("2024-01", periods=3, freq="M")[rng.integers(0, 3, n)]
            ).astype("category"),
            "wait": pd.Series(pd.to_timedelta(rng.integers(0, 3, n), unit="h")).astype("category"),
            "span": pd.arrays.IntervalArray.from_breaks([0, 1, 2, 3])[rng.integers(0, 3, n)],
        }
    )


@pytest.fixture(scope="module")
def categories_gan():
    table = _pandas_categories_table()
    gan = dgu.TabularGAN(nb_epochs=2, batch_size=16, validation_size=0.0, seed=0, verbose=0)
    return table, gan.fit(table)


def test_categories_of_intervals_dates_durations_and_periods_are_saved(categories_gan, tmp_path):
    table, gan = categories_gan
    assert gan.transformer_.columns_ == list(table.columns)
    rows = gan.sample(100, seed=0)
    for column in table.columns.drop("x"):  # the same categories, order and dtype
        assert rows[column].dtype == table[column].dtype, column
        assert set(rows[column]) <= set(table[column]), column
    folder = gan.save(tmp_path / "m")
    state = json.loads((folder / "model.json").read_text())
    bins = next(s for s in state["transformer"]["specs"] if s["name"] == "bins")
    assert bins["levels"][0].keys() == {"interval", "closed"}
    loaded = dgu.TabularGAN.load(folder)
    assert loaded.transformer_.specs_ == gan.transformer_.specs_
    pd.testing.assert_frame_equal(loaded.sample(100, seed=0), rows)


def test_categories_of_intervals_go_to_csv_and_are_refused_by_parquet(categories_gan, tmp_path):
    table, gan = categories_gan
    target = tmp_path / "rows.parquet"
    with pytest.raises(
        dgu.ConfigError, match=r"column 'bins' has categories of intervals .*write a \.csv file"
    ):
        gan.sample_to_file(50, target)
    assert list(tmp_path.iterdir()) == []  # nothing written, not even a temporary file
    rows = pd.read_csv(gan.sample_to_file(50, tmp_path / "rows.csv", chunk_size=20, seed=0))
    assert len(rows) == 50
    assert set(rows["bins"]) <= {str(v) for v in table["bins"].cat.categories}


@pytest.mark.parametrize(
    ("category", "kind"),
    [(decimal.Decimal("1.5"), "Decimal"), ((1, 2), "tuple")],
)
def test_categories_a_model_cannot_save_are_refused_at_fit(category, kind):
    table = pd.DataFrame(
        {
            "x": np.arange(20.0),
            "c": pd.Categorical([category, "b"] * 10, categories=[category, "b"]),
        }
    )
    with pytest.raises(
        dgu.SchemaError, match=rf"'c' has {kind} categories .*cannot save.*\.astype\(str\)"
    ):
        dgu.TabularGAN(nb_epochs=1, verbose=0).fit(table)


@pytest.mark.parametrize(
    ("category", "message"),
    [
        ({"colour": "red"}, "is not one this module writes"),
        ({"interval": [0, 1], "closed": "sideways"}, "cannot be read"),
        ({"timestamp": "not a date", "unit": "ns", "tz": None}, "cannot be read"),
    ],
)
def test_a_saved_category_that_is_not_one_of_ours_is_refused_at_load(
    categories_gan, tmp_path, category, message
):
    folder = categories_gan[1].save(tmp_path / "m")
    specs = json.loads((folder / "model.json").read_text())["transformer"]["specs"]
    bins = next(i for i, spec in enumerate(specs) if spec["name"] == "bins")
    _edit_state(
        folder, lambda s: s["transformer"]["specs"][bins]["levels"].__setitem__(0, category)
    )
    with pytest.raises(dgu.ModelFileError, match=message):
        dgu.TabularGAN.load(folder)


def test_pyarrow_dictionary_columns_come_back_in_their_dtype(tmp_path):
    import pyarrow as pa  # in requirements.txt: never skipped

    n = 40
    rng = np.random.default_rng(0)

    def encoded(values, value_type, ordered=False):
        dtype = pd.ArrowDtype(pa.dictionary(pa.int32(), value_type, ordered))
        return pd.Series(values, dtype=object).astype(dtype)

    table = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "label": encoded(rng.choice(["u", "v", None], n), pa.string()),
            "size": encoded(rng.choice(["S", "M", "L"], n), pa.large_string(), ordered=True),
            "day": encoded(rng.choice(["2024-01-01", "2024-03-04"], n), pa.string()),
            "code": encoded([int(v) for v in rng.integers(0, 3, n)], pa.int64()),
        }
    )
    gan = dgu.TabularGAN(nb_epochs=2, batch_size=16, validation_size=0.0, seed=0, verbose=0)
    gan.fit(table)
    assert gan.transformer_.schema_ == {
        "x": "continuous",
        "label": "categorical",
        "size": "categorical",
        "day": "datetime",
        "code": "categorical",
    }
    rows = gan.sample(100, seed=0)
    assert rows.dtypes.to_dict() == table.dtypes.to_dict()
    assert rows["label"].isna().any()
    assert set(rows["day"].dropna()) <= {"2024-01-01", "2024-03-04"}
    loaded = dgu.TabularGAN.load(gan.save(tmp_path / "m"))
    pd.testing.assert_frame_equal(loaded.sample(100, seed=0), rows)
