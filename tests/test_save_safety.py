"""TabularGAN.save never deletes what it did not write; an interrupted save loses no model."""

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

import data_gen_utils as dgu

ROOT = Path(__file__).resolve().parent.parent
MODEL_FILES = sorted(dgu._MODEL_FILES)
HEX = "0123456789abcdef" * 2


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too), by relative path, with its bytes."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def saved(tmp_path_factory, fitted_gan):
    """A model saved once, marked as the old one in its model.json (load ignores the key)."""
    path = fitted_gan.save(tmp_path_factory.mktemp("saved") / "model")
    state = json.loads((path / "model.json").read_text())
    (path / "model.json").write_text(json.dumps({**state, "marker": "old"}))
    return path


def copy_model(saved, folder: Path, name: str = "model") -> Path:
    return Path(shutil.copytree(saved, folder / name))


def is_old(path: Path) -> bool:
    return json.loads((path / "model.json").read_text()).get("marker") == "old"


def assert_loads(path: Path, fitted_gan) -> None:
    loaded = dgu.TabularGAN.load(path)
    pd.testing.assert_frame_equal(loaded.sample(50, seed=3), fitted_gan.sample(50, seed=3))


# -- refusals -------------------------------------------------------------------


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_regular_file_is_refused_and_kept(fitted_gan, tmp_path, overwrite):
    target = tmp_path / "model"
    target.write_bytes(b"my thesis\x00\xff")
    with pytest.raises(dgu.ModelFileError, match=r"cannot save to '.*model': it is a file"):
        fitted_gan.save(target, overwrite=overwrite)
    assert snapshot(tmp_path) == {"model": b"my thesis\x00\xff"}


def test_a_link_is_refused_and_kept(fitted_gan, saved, tmp_path):
    real = copy_model(saved, tmp_path, "real")
    before = snapshot(tmp_path)
    (tmp_path / "model").symlink_to(real)
    with pytest.raises(dgu.ModelFileError, match=r"'.*model': it is a link, not a folder"):
        fitted_gan.save(tmp_path / "model", overwrite=True)
    assert (tmp_path / "model").is_symlink()
    assert snapshot(real) == snapshot(saved)
    assert {k: v for k, v in snapshot(tmp_path).items() if k.startswith("real")} == before


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_folder_of_user_files_is_refused_and_kept(fitted_gan, tmp_path, overwrite):
    target = tmp_path / "results"
    target.mkdir()
    (target / "data.csv").write_text("a,b\n1,2\n")
    (target / "notes.txt").write_bytes(b"do not lose\n")
    before = snapshot(tmp_path)
    with pytest.raises(
        dgu.ModelFileError,
        match=r"'.*results': it is a folder that holds files \(data\.csv, notes\.txt\) but no "
        r"model saved by this module.*Choose a new or empty folder",
    ):
        fitted_gan.save(target, overwrite=overwrite)
    assert snapshot(tmp_path) == before


def test_a_model_folder_holding_a_user_file_is_refused_and_kept(fitted_gan, saved, tmp_path):
    target = copy_model(saved, tmp_path)
    (target / "notes.txt").write_text("mine")
    before = snapshot(tmp_path)
    with pytest.raises(dgu.ModelFileError, match=r"holds files \(.*notes\.txt\) but no model"):
        fitted_gan.save(target, overwrite=True)
    assert snapshot(tmp_path) == before


def test_a_model_folder_holding_a_subfolder_is_refused(fitted_gan, saved, tmp_path):
    target = copy_model(saved, tmp_path)
    (target / "history.csv").unlink()
    (target / "history.csv").mkdir()
    (target / "history.csv" / "mine.txt").write_text("mine")
    before = snapshot(tmp_path)
    with pytest.raises(dgu.ModelFileError, match="but no model saved by this module"):
        fitted_gan.save(target, overwrite=True)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    "content",
    [
        b'{"name": "my own model.json"}',
        b'["format_version"]',
        b"{not json",
        b"\xff\xfe\x00binary",
        b"[" * 100_000,
        b"",
    ],
    ids=["no-key", "list", "not-json", "binary", "deep", "empty"],
)
def test_a_folder_whose_model_json_is_not_ours_is_refused(fitted_gan, tmp_path, content):
    target = tmp_path / "model"
    target.mkdir()
    (target / "model.json").write_bytes(content)
    with pytest.raises(dgu.ModelFileError, match=r"holds files \(model\.json\) but no model"):
        fitted_gan.save(target, overwrite=True)
    assert snapshot(tmp_path) == {"model/model.json": content}


def test_an_existing_model_needs_overwrite(fitted_gan, saved, tmp_path):
    target = copy_model(saved, tmp_path)
    with pytest.raises(
        dgu.ModelFileError,
        match=r"'.*model' already holds a saved model: pass overwrite=True to replace it, "
        "or choose another path",
    ):
        fitted_gan.save(target)
    assert snapshot(tmp_path) == {f"model/{k}": v for k, v in snapshot(saved).items()}


def test_overwrite_replaces_the_model_and_leaves_nothing_else(fitted_gan, saved, tmp_path):
    target = copy_model(saved, tmp_path)
    assert fitted_gan.save(target, overwrite=True) == target
    assert not is_old(target)
    assert os.listdir(tmp_path) == ["model"]
    assert sorted(os.listdir(target)) == MODEL_FILES
    assert_loads(target, fitted_gan)


def test_an_empty_folder_is_saved_into(fitted_gan, tmp_path):
    (tmp_path / "model").mkdir()
    fitted_gan.save(tmp_path / "model")
    assert os.listdir(tmp_path) == ["model"]
    assert sorted(os.listdir(tmp_path / "model")) == MODEL_FILES


@pytest.mark.parametrize("path", [".", "..", "sub/..", "CWD"])
def test_the_current_folder_is_refused(fitted_gan, tmp_path, monkeypatch, path):
    work = tmp_path / "work"
    work.mkdir()
    (work / "analysis.ipynb").write_text("{}")
    (work / "sub").mkdir()
    monkeypatch.chdir(work)
    before = snapshot(tmp_path)
    path = str(work) if path == "CWD" else path
    with pytest.raises(
        dgu.ModelFileError,
        match=r"is the current folder or one above it. Save into a new subfolder",
    ):
        fitted_gan.save(path, overwrite=True)
    assert snapshot(tmp_path) == before


def test_an_empty_current_folder_is_refused_too(fitted_gan, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(dgu.ModelFileError, match="is the current folder"):
        fitted_gan.save(tmp_path)
    assert Path.cwd() == tmp_path
    assert os.listdir(tmp_path) == []


def test_a_parent_that_is_a_file_is_refused(fitted_gan, tmp_path):
    (tmp_path / "report.txt").write_text("mine")
    with pytest.raises(
        dgu.ModelFileError, match=r"report\.txt/model': '.*report\.txt' is a file"
    ) as err:
        fitted_gan.save(tmp_path / "report.txt" / "model")
    assert ".tmp" not in str(err.value)
    assert snapshot(tmp_path) == {"report.txt": b"mine"}


def test_an_unwritable_parent_is_a_model_file_error(fitted_gan, tmp_path, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)
    with pytest.raises(
        dgu.ModelFileError,
        match=r"cannot save to '.*model': its folder '.*' cannot be written \(Permission denied\)"
        r"\. Choose a folder you can write to",
    ) as err:
        fitted_gan.save(tmp_path / "model")
    assert ".tmp" not in str(err.value)
    assert os.listdir(tmp_path) == []


# -- interrupted saves -----------------------------------------------------------------


@pytest.mark.parametrize("error", [KeyboardInterrupt, SystemExit])
def test_an_exception_between_the_renames_keeps_the_old_model(
    fitted_gan, saved, tmp_path, monkeypatch, error
):
    target = copy_model(saved, tmp_path)
    real_replace = os.replace

    def replace(src, dst):
        if Path(src).name.endswith(".tmp") and Path(dst) == target:  # the new folder moving in
            raise error()
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(error):
        fitted_gan.save(target, overwrite=True)
    monkeypatch.undo()

    assert is_old(target)
    assert_loads(target, fitted_gan)
    fitted_gan.save(target, overwrite=True)
    assert os.listdir(tmp_path) == ["model"]
    assert not is_old(target)


def test_load_restores_a_model_a_killed_save_left_aside(fitted_gan, saved, tmp_path, caplog):
    old = copy_model(saved, tmp_path, f".model.{HEX}.old")
    new = copy_model(saved, tmp_path, f".model.{'f' * 32}.tmp")  # complete or not, never used
    (new / "generator.keras").unlink()
    with caplog.at_level(logging.WARNING, logger=dgu.logger.name):
        assert_loads(tmp_path / "model", fitted_gan)
    assert "restored its model" in caplog.text
    assert not old.exists()
    assert is_old(tmp_path / "model")
    fitted_gan.save(tmp_path / "model", overwrite=True)
    assert os.listdir(tmp_path) == ["model"]


def test_save_restores_first_and_then_needs_overwrite(fitted_gan, saved, tmp_path):
    copy_model(saved, tmp_path, f".model.{HEX}.old")
    with pytest.raises(dgu.ModelFileError, match="already holds a saved model"):
        fitted_gan.save(tmp_path / "model")
    assert os.listdir(tmp_path) == ["model"]
    assert is_old(tmp_path / "model")


def test_an_incomplete_or_ambiguous_leftover_is_not_restored(fitted_gan, saved, tmp_path):
    half = copy_model(saved, tmp_path, f".model.{HEX}.old")
    (half / "history.csv").unlink()
    with pytest.raises(dgu.ModelFileError, match="no saved model folder at"):
        dgu.TabularGAN.load(tmp_path / "model")
    copy_model(saved, tmp_path, f".model.{'a' * 32}.old")
    copy_model(saved, tmp_path, f".model.{'b' * 32}.old")
    with pytest.raises(dgu.ModelFileError, match="no saved model folder at"):
        dgu.TabularGAN.load(tmp_path / "model")
    assert "model" not in os.listdir(tmp_path)


def test_only_the_modules_own_leftovers_are_removed(fitted_gan, saved, tmp_path):
    ours = [f".model.{HEX}.tmp", f".model.{HEX}.old"]
    theirs = [
        ".model.backup.old",
        f".model.{HEX.upper()}.tmp",
        f".model.{HEX}0.tmp",
        f".other.{HEX}.tmp",
        f"model.{HEX}.old",
        ".model.tmp",
    ]
    copy_model(saved, tmp_path)
    for name in ours + theirs:
        (tmp_path / name).mkdir()
        (tmp_path / name / "x.txt").write_text(name)
    before = snapshot(tmp_path)
    fitted_gan.save(tmp_path / "model", overwrite=True)
    assert sorted(os.listdir(tmp_path)) == sorted(["model", *theirs])
    assert {k: v for k, v in before.items() if k.split("/")[0] in theirs} == {
        k: v for k, v in snapshot(tmp_path).items() if not k.startswith("model/")
    }


def test_sample_to_file_removes_its_own_stale_temporary_files(fitted_gan, tmp_path):
    stale = [f".out.csv.{HEX}.tmp"]
    theirs = [".out.csv.mine.tmp", f".other.csv.{HEX}.tmp", f".out.csv.{HEX}.bak"]
    for name in stale + theirs:
        (tmp_path / name).write_text("x")
    fitted_gan.sample_to_file(10, tmp_path / "out.csv", seed=0)
    assert sorted(os.listdir(tmp_path)) == sorted(["out.csv", *theirs])


KILLED_SAVE = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    import data_gen_utils as dgu

    target = Path(sys.argv[1])
    gan = dgu.TabularGAN.load(sys.argv[2])
    real_replace = os.replace

    def replace(src, dst):
        if Path(src).name.endswith(".tmp") and Path(dst) == target:
            os.kill(os.getpid(), signal.SIGKILL)  # between the two renames
        real_replace(src, dst)

    os.replace = replace
    gan.save(target, overwrite=True)
    """
)


def test_a_save_killed_between_the_renames_loses_no_model(fitted_gan, saved, tmp_path):
    target = copy_model(saved, tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.run(
        [sys.executable, "-c", KILLED_SAVE, str(target), str(saved)],
        env=env,
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    names = sorted(os.listdir(tmp_path))
    # The old model is aside, the complete new one still under its temporary name.
    assert all(name.startswith(".model.") for name in names)
    assert sorted(name.rsplit(".", 1)[1] for name in names) == ["old", "tmp"]

    assert_loads(target, fitted_gan)
    assert is_old(target)
    fitted_gan.save(target, overwrite=True)
    assert os.listdir(tmp_path) == ["model"]


def test_files_added_while_saving_are_not_deleted(fitted_gan, saved, tmp_path, monkeypatch):
    target = copy_model(saved, tmp_path)
    real_to_csv = fitted_gan.history.to_csv

    def to_csv(path, *args, **kwargs):
        (target / "notes.txt").write_text("written while the model was saving")
        return real_to_csv(path, *args, **kwargs)

    monkeypatch.setitem(vars(fitted_gan.history), "to_csv", to_csv)
    with pytest.raises(dgu.ModelFileError, match=r"holds files \(.*notes\.txt\) but no model"):
        fitted_gan.save(target, overwrite=True)
    assert os.listdir(tmp_path) == ["model"]
    assert (target / "notes.txt").read_text() == "written while the model was saving"
    assert is_old(target)
