"""Checkpoints, resumption and reproducibility in a fresh process."""

import json
import os
import subprocess
import sys
import textwrap
import warnings

import keras
import numpy as np
import pandas as pd
import pytest

import data_gen_utils as dgu


class InterruptAt(keras.callbacks.Callback):
    """Raise KeyboardInterrupt once the model has completed ``epoch`` data epochs."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if self.model.epochs_done >= self.epoch:
            raise KeyboardInterrupt


def make_gan(**overrides):
    kwargs = {"nb_epochs": 40, "check_every": 10, "batch_size": 64, "seed": 0, "verbose": 0}
    return dgu.TabularGAN(**{**kwargs, **overrides})


@pytest.fixture(scope="module")
def uninterrupted(screentime):
    return make_gan().fit(screentime)


def test_a_resumed_run_ends_as_an_uninterrupted_one(screentime, uninterrupted, tmp_path):
    # The default averages the generator's weights (ema_momentum): the averages live in
    # its optimizer, which the checkpoint saves, and the kept weights are averages.
    assert make_gan().ema_momentum is not None
    folder = tmp_path / "ckpt"
    # Interrupted at epoch 25: the last checkpoint is epoch 20, so 21-25 are redone.
    first = make_gan().fit(
        screentime, callbacks=[InterruptAt(25)], checkpoint_dir=folder, checkpoint_every=10
    )
    assert first.interrupted_
    assert json.loads((folder / "state.json").read_text())["epoch"] == 20

    resumed = make_gan().fit(screentime, checkpoint_dir=folder, resume=True)
    assert not resumed.interrupted_
    assert len(resumed.history) == 40
    pd.testing.assert_frame_equal(resumed.history, uninterrupted.history, rtol=1e-5)
    assert resumed.best_epoch_ == uninterrupted.best_epoch_
    for mine, theirs in zip(
        resumed.generator_.get_weights(), uninterrupted.generator_.get_weights(), strict=True
    ):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)
    pd.testing.assert_frame_equal(
        resumed.sample(100, seed=4), uninterrupted.sample(100, seed=4), check_exact=False
    )


SCRIPT = {10: (0.5, 1.0), 20: (0.8, 1.0), 30: (0.9, 0.6), 40: (0.7, 1.0)}


def scripted_check(self):
    fidelity, protection = SCRIPT[self.model.epochs_done]
    record = {"fidelity": fidelity, "protection": protection, "averaged": False}
    return record, self.model.snapshot()


def test_a_resumed_run_keeps_the_fallback_of_an_uninterrupted_one(
    screentime, tmp_path, monkeypatch
):
    # Epoch 30 (protection 0.6, under 0.7) is 0.1 more faithful than any protected
    # check: the selection falls back on it at the end. The checkpoint of epoch 30
    # must carry it (index and weights) for the resumed run to end the same way.
    monkeypatch.setattr(dgu._ModelSelection, "_check", scripted_check)
    with pytest.warns(dgu.ProtectionWarning, match="keeps epoch 30"):
        whole = make_gan().fit(screentime)
    assert whole.best_epoch_ == 30
    folder = tmp_path / "ckpt"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dgu.ProtectionWarning)
        make_gan().fit(
            screentime, callbacks=[InterruptAt(35)], checkpoint_dir=folder, checkpoint_every=10
        )
    state = json.loads((folder / "state.json").read_text())
    assert (state["epoch"], state["selection"]["fallback"]) == (30, 2)
    with pytest.warns(dgu.ProtectionWarning, match="keeps epoch 30"):
        resumed = make_gan().fit(screentime, checkpoint_dir=folder, resume=True)
    assert resumed.best_epoch_ == 30
    for mine, theirs in zip(
        resumed.generator_.get_weights(), whole.generator_.get_weights(), strict=True
    ):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)


def test_checkpoints_are_written_every_k_epochs(screentime, tmp_path):
    folder = tmp_path / "ckpt"
    make_gan(nb_epochs=20).fit(screentime, checkpoint_dir=folder, checkpoint_every=5)
    state = json.loads((folder / "state.json").read_text())
    assert state["epoch"] == 20
    assert [r["epoch"] for r in state["selection"]["records"]] == [10, 20]
    assert sorted(p.name for p in folder.glob("ckpt-*.index")) == ["ckpt-15.index", "ckpt-20.index"]


def test_resume_without_a_checkpoint_starts_afresh(screentime, uninterrupted, tmp_path):
    resumed = make_gan().fit(screentime, checkpoint_dir=tmp_path / "new", resume=True)
    pd.testing.assert_frame_equal(resumed.history, uninterrupted.history, rtol=1e-5)


def test_resume_with_other_settings_is_refused(screentime, tmp_path):
    folder = tmp_path / "ckpt"
    make_gan(nb_epochs=10).fit(screentime, checkpoint_dir=folder)
    with pytest.raises(dgu.ConfigError, match=r"written with other settings \(nb_epochs=10\)"):
        make_gan(nb_epochs=20).fit(screentime, checkpoint_dir=folder, resume=True)


def test_resume_on_another_table_is_refused(screentime, tmp_path):
    folder = tmp_path / "ckpt"
    make_gan(nb_epochs=10).fit(screentime, checkpoint_dir=folder)
    other = screentime.assign(Notifications=screentime["Notifications"] + 1)
    with pytest.raises(dgu.ConfigError, match="written for another table"):
        make_gan(nb_epochs=10).fit(other, checkpoint_dir=folder, resume=True)


def test_a_corrupted_checkpoint_state_is_refused(screentime, tmp_path):
    folder = tmp_path / "ckpt"
    folder.mkdir()
    (folder / "state.json").write_text('{"epoch": 3')
    with pytest.raises(dgu.ModelFileError, match=r"state.json. is corrupted"):
        make_gan().fit(screentime, checkpoint_dir=folder, resume=True)


def test_a_missing_checkpoint_file_is_refused(screentime, tmp_path):
    folder = tmp_path / "ckpt"
    make_gan(nb_epochs=10).fit(screentime, checkpoint_dir=folder)
    for part in folder.glob("ckpt-10.*"):
        part.unlink()
    with pytest.raises(dgu.ModelFileError, match=r"cannot resume from .*does not load"):
        make_gan(nb_epochs=10).fit(screentime, checkpoint_dir=folder, resume=True)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"resume": True}, "need checkpoint_dir="),
        ({"checkpoint_every": 5}, "need checkpoint_dir="),
        ({"checkpoint_dir": "x", "checkpoint_every": 0}, "checkpoint_every must be a positive"),
        ({"checkpoint_dir": "x", "resume": "yes"}, "resume must be True or False"),
    ],
)
def test_checkpoint_arguments_are_checked(numeric, kwargs, message):
    with pytest.raises(dgu.ConfigError, match=message):
        make_gan().fit(numeric, **kwargs)


def test_the_same_seed_gives_the_same_samples_in_a_fresh_process(screentime, tmp_path):
    out = tmp_path / "fresh.csv"
    script = textwrap.dedent(
        f"""
        import data_gen_utils as dgu
        df = dgu.load_data({str(dgu.Path("data/screentime_analysis.csv").resolve())!r})
        gan = dgu.TabularGAN(nb_epochs=30, check_every=10, batch_size=64, seed=7, verbose=0)
        dgu.save_csv(gan.fit(df).sample(200, seed=1), {str(out)!r})
        """
    )
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=600)
    here = dgu.TabularGAN(nb_epochs=30, check_every=10, batch_size=64, seed=7, verbose=0)
    mine = here.fit(screentime).sample(200, seed=1)
    theirs = dgu.load_data(out)
    pd.testing.assert_frame_equal(theirs, mine)


def test_a_checkpoint_dir_that_is_a_file_is_refused(numeric, tmp_path):
    (tmp_path / "ckpt").write_text("mine")
    for folder in (tmp_path / "ckpt", tmp_path / "ckpt" / "inner"):
        with pytest.raises(dgu.ConfigError, match=r"'.*ckpt' is a file\. Name a folder"):
            make_gan().fit(numeric, checkpoint_dir=folder)
    assert (tmp_path / "ckpt").read_text() == "mine"
