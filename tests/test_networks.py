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


def test_generator_has_one_head_per_block_run():
    info = [(1, "tanh"), (8, "softmax"), (1, "tanh"), (1, "tanh")]
    gen = dgu.build_generator(latent_dim=10, n_features=11, output_info=info)
    heads = [layer for layer in gen.layers if layer.name.startswith("head_")]
    assert [(h.units, h.activation.__name__) for h in heads] == [
        (1, "tanh"),
        (8, "linear"),
        (2, "tanh"),
    ]
    assert gen.output_shape == (None, 11)


def test_generator_heads_must_add_up():
    with pytest.raises(dgu.ConfigError, match="output_info adds up to 9, not 11"):
        dgu.build_generator(latent_dim=10, n_features=11, output_info=[(1, "tanh"), (8, "softmax")])
