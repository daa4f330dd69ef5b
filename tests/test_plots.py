import matplotlib

matplotlib.use("Agg")
import warnings

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import data_gen_utils as dgu


def _texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts] + [ax.get_title() for ax in fig.axes]


def test_plot_distributions(tmp_path, numeric):
    fig = dgu.plot_distributions(
        numeric, numeric.sample(80, random_state=0), path=tmp_path / "d.png"
    )
    assert isinstance(fig, Figure)
    assert [ax.get_title() for ax in fig.axes] == list(numeric.columns)
    assert (tmp_path / "d.png").read_bytes()[:4] == b"\x89PNG"
    plt.close(fig)


def test_plot_history(tmp_path, fitted_gan):
    fig = dgu.plot_history(fitted_gan.history, path=tmp_path / "h.png")
    assert isinstance(fig, Figure)
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert any(label.startswith("d_loss") for label in labels)
    assert (tmp_path / "h.png").exists()
    plt.close(fig)


def test_plot_history_needs_a_history():
    with pytest.raises(dgu.DataGenError, match="history is empty"):
        dgu.plot_history(pd.DataFrame())


def test_plot_gan_overview_reads_the_networks(tmp_path):
    gen = dgu.build_generator(latent_dim=100, n_features=3)
    disc = dgu.build_discriminator(n_features=3, hidden_units=(64, 32))
    fig = dgu.plot_gan_overview(gen, disc, path=tmp_path / "o.png")
    texts = _texts(fig)
    assert "Dense 512 + LeakyReLU + BatchNorm" in texts
    assert "Dense 3, tanh" in texts
    assert "Dense 64 + LeakyReLU" in texts
    assert "N(0, 1)^100" in texts
    assert (tmp_path / "o.png").exists()
    plt.close(fig)


def test_plot_gan_overview_lists_the_output_heads():
    info = [(1, "tanh"), (8, "softmax"), (3, "tanh")]
    gen = dgu.build_generator(latent_dim=16, n_features=12, output_info=info)
    fig = dgu.plot_gan_overview(gen, dgu.build_discriminator(n_features=12))
    assert "Heads: 1 tanh, 8 softmax, 3 tanh" in _texts(fig)
    plt.close(fig)


def test_plot_gan_overview_tells_noise_from_condition():
    gen = dgu.build_generator(latent_dim=16, n_features=12, n_conditions=8)
    fig = dgu.plot_gan_overview(gen, dgu.build_discriminator(n_features=20), latent_dim=16)
    assert {"N(0, 1)^16", "+ condition (8)", "Input (24)"} <= set(_texts(fig))
    plt.close(fig)


def test_plot_distributions_draws_each_kind(screentime):
    syn = screentime.sample(120, random_state=1)
    fig = dgu.plot_distributions(screentime, syn)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == list(screentime.columns)
    app_axis = visible[1]
    labels = [t.get_text() for t in app_axis.get_xticklabels()]
    assert sorted(labels) == sorted(screentime["App"].unique())
    assert len(app_axis.patches) >= 16  # 8 apps, real and synthetic bars
    plt.close(fig)


def test_plot_distributions_reads_text_dates_times_and_durations_in_their_own_units():
    rng = np.random.default_rng(0)
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 366, 200), unit="D")
    minutes = rng.integers(6 * 60, 22 * 60, 200)
    table = pd.DataFrame(
        {
            "day": days.strftime("%d/%m/%Y"),  # 01/02/2024 is the first of February
            "time": [f"{m // 60:02d}:{m % 60:02d}" for m in minutes],
            "spent": pd.to_timedelta(rng.integers(5, 90, 200), unit="min"),
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no day-first guess by dateutil
        fig = dgu.plot_distributions(table, table.sample(150, random_state=1))
    day, time, spent = fig.axes[:3]
    low, high = mdates.num2date(day.get_xlim())
    assert low.year == 2023 and low.month == 12 and high.year == 2025 and high.month == 1
    low, high = mdates.num2date(time.get_xlim())
    assert (low.date(), high.date()) == (pd.Timestamp("1900-01-01").date(),) * 2
    assert 0 < spent.get_xlim()[0] and spent.get_xlim()[1] < 100  # minutes, not nanoseconds
    plt.close(fig)


def test_plot_distributions_refuses_different_tables(screentime):
    with pytest.raises(dgu.ColumnMismatchError, match=r"only in real \['App'\]"):
        dgu.plot_distributions(screentime, screentime.drop(columns="App"))


def test_plot_correlations_shows_the_difference(numeric):
    fig = dgu.plot_correlations(numeric, numeric.copy())
    titled = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in titled] == ["real", "synthetic", "synthetic - real"]
    differences = {t.get_text() for t in titled[2].texts}
    assert differences <= {"0.00", "-0.00"}
    plt.close(fig)


def test_plot_pairs_and_pca(screentime):
    syn = screentime.sample(150, replace=True, random_state=2)
    pairs = dgu.plot_pairs(screentime, syn)
    assert isinstance(pairs, Figure)
    plt.close(pairs)
    pca = dgu.plot_pca(screentime, syn)
    assert "of the real variance" in pca.axes[0].get_xlabel()
    assert [t.get_text() for t in pca.axes[0].get_legend().get_texts()] == ["real", "synthetic"]
    plt.close(pca)


def test_plot_boxes_per_category(screentime):
    fig = dgu.plot_boxes(screentime, screentime.sample(100, random_state=0), by="App")
    assert [ax.get_title() for ax in fig.axes] == [
        "Usage (minutes) by App",
        "Notifications by App",
        "Times Opened by App",
    ]
    plt.close(fig)
    with pytest.raises(dgu.ColumnMismatchError, match="by='Device' is not a column"):
        dgu.plot_boxes(screentime, screentime, by="Device")


def test_plot_report_draws_and_saves_every_figure(tmp_path, screentime, fitted_gan):
    syn = screentime.sample(100, random_state=3)
    figures = dgu.plot_report(
        screentime, syn, history=fitted_gan.history, by="App", folder=tmp_path
    )
    assert list(figures) == ["distributions", "correlations", "pairs", "boxes", "pca", "history"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.png" for n in figures)
    for fig in figures.values():
        plt.close(fig)


def test_box_plots_take_numeric_columns_with_missing_values(screentime):
    holes = screentime.assign(
        **{"Usage (minutes)": screentime["Usage (minutes)"].where(screentime.index % 5 > 0)}
    )
    fig = dgu.plot_boxes(holes, screentime.sample(100, random_state=0), by="App")
    assert [ax.get_title() for ax in fig.axes][:3] == [
        "Usage (minutes) by App",
        "Notifications by App",
        "Times Opened by App",
    ]


def test_pca_of_a_single_numeric_column(screentime):
    real = screentime[["Usage (minutes)"]]
    fig = dgu.plot_pca(real, real.sample(50, random_state=0))
    assert fig.axes[0].get_title() == "Principal components of the real table"
    assert len(fig.axes[0].collections) == 2  # the real and the synthetic points
