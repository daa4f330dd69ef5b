import keras
import numpy as np
import pytest

import data_gen_utils as dgu


def _layer_types(model):
    return [type(layer).__name__ for layer in model.layers]


def test_generator_follows_the_seed():
    gen = dgu.build_generator(latent_dim=100, n_features=3)
    assert gen.input_shape == (None, 100)
    assert gen.output_shape == (None, 3)
    types = _layer_types(gen)
    assert types.count("Dense") == 4
    assert types.count("LeakyReLU") == 3
    assert types.count("BatchNormalization") == 3
    assert gen.layers[-1].activation.__name__ == "tanh"
    out = keras.ops.convert_to_numpy(
        gen(np.random.default_rng(0).normal(size=(7, 100)), training=False)
    )
    assert out.shape == (7, 3)
    assert np.all(np.abs(out) <= 1)


def test_discriminator_follows_the_seed():
    disc = dgu.build_discriminator(n_features=3)
    assert disc.input_shape == (None, 3)
    assert disc.output_shape == (None, 1)
    types = _layer_types(disc)
    assert types.count("Dense") == 4
    assert types.count("LeakyReLU") == 3
    assert "BatchNormalization" not in types


def test_widths_are_parameters():
    gen = dgu.build_generator(latent_dim=8, n_features=5, hidden_units=(16, 32))
    widths = [layer.units for layer in gen.layers if isinstance(layer, keras.layers.Dense)]
    assert widths == [16, 32, 5]
    disc = dgu.build_discriminator(n_features=5, hidden_units=(4,))
    widths = [layer.units for layer in disc.layers if isinstance(layer, keras.layers.Dense)]
    assert widths == [4, 1]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"latent_dim": 0}, "latent_dim must be a positive integer, got 0"),
        ({"n_features": 2.5}, "n_features must be a positive integer, got 2.5"),
        ({"hidden_units": ()}, "hidden_units must be a non-empty list"),
        ({"hidden_units": (64, -1)}, "hidden_units must be a non-empty list"),
    ],
)
def test_bad_sizes(kwargs, message):
    with pytest.raises(dgu.ConfigError, match=message):
        dgu.build_generator(**kwargs)


def test_generator_output_is_tanh_on_numbers_and_logits_elsewhere():
    info = [(1, "tanh"), (8, "softmax"), (1, "tanh"), (1, "tanh")]
    gen = dgu.build_generator(latent_dim=10, n_features=11, output_info=info)
    dense = gen.get_layer("features_raw")
    assert dense.units == 11 and dense.activation.__name__ == "linear"
    assert gen.get_layer("features").blocks == [(1, "tanh"), (8, "softmax"), (2, "tanh")]
    assert gen.output_shape == (None, 11)
    # Large weights push the raw outputs far from 0: tanh bounds the numbers only.
    dense.kernel.assign(dense.kernel * 100)
    noise = np.random.default_rng(0).normal(size=(64, 10)).astype("float32")
    raw = keras.Model(gen.input, dense.output)(noise, training=False)
    rows = gen(noise, training=False)
    numbers = np.array([0, 9, 10])
    np.testing.assert_allclose(
        rows.numpy()[:, numbers], np.tanh(raw.numpy()[:, numbers]), rtol=1e-5
    )
    np.testing.assert_array_equal(rows.numpy()[:, 1:9], raw.numpy()[:, 1:9])
    assert np.abs(rows.numpy()[:, 1:9]).max() > 1


def test_generator_output_layer_saves_and_loads_safely(tmp_path):
    info = [(2, "tanh"), (3, "softmax")]
    gen = dgu.build_generator(latent_dim=4, n_features=5, output_info=info)
    gen.save(tmp_path / "g.keras")
    loaded = keras.saving.load_model(tmp_path / "g.keras", compile=False, safe_mode=True)
    noise = np.ones((3, 4), dtype="float32")
    np.testing.assert_array_equal(loaded(noise).numpy(), gen(noise).numpy())
    assert loaded.get_layer("features").blocks == [(2, "tanh"), (3, "softmax")]


def test_generator_heads_must_add_up():
    with pytest.raises(dgu.ConfigError, match="output_info adds up to 9, not 11"):
        dgu.build_generator(latent_dim=10, n_features=11, output_info=[(1, "tanh"), (8, "softmax")])
