"""Shared fixtures: the screen-time table and one small model trained once."""

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config):
    # The notebook (run by nbval in a kernel that inherits this environment) writes
    # its CSV, model and figures here instead of into the working tree.
    os.environ.setdefault("DGU_OUTPUT_DIR", tempfile.mkdtemp(prefix="dgu-notebook-"))


@pytest.fixture(scope="session")
def screentime():
    import data_gen_utils as dgu

    return dgu.load_data(ROOT / "data" / "screentime_analysis.csv")


@pytest.fixture(scope="session")
def numeric(screentime):
    return screentime[["Usage (minutes)", "Notifications", "Times Opened"]]


@pytest.fixture(scope="session")
def fitted_gan(numeric):
    import data_gen_utils as dgu

    return dgu.TabularGAN(nb_epochs=30, batch_size=64, seed=0, verbose=0).fit(numeric)
