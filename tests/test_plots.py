import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
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


def test_plot_distributions_refuses_different_tables(screentime):
    with pytest.raises(dgu.ColumnMismatchError, match=r"only in real \['App'\]"):
        dgu.plot_distributions(screentime, screentime.drop(columns="App"))
