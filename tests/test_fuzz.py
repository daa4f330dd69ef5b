"""Random malformed CSVs: loading and the checks before training end cleanly or in our errors."""

import warnings

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import data_gen_utils as dgu

cells = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["", "n/a", "NaN", "inf", "-inf", "True", "False", "x", '"', "2024-08-01"]),
    st.sampled_from(["01/08/2024", "2024-13-45", "Netflix", "a,b", " ", "\t", "é", "1e309"]),
    st.text(max_size=6),
)


@st.composite
def csv_texts(draw):
    n_columns = draw(st.integers(1, 4))
    header = draw(
        st.lists(
            st.sampled_from(["a", "b", "a", "App", "", "Date"]),
            min_size=n_columns,
            max_size=n_columns,
        )
    )
    rows = draw(st.lists(st.lists(cells, min_size=0, max_size=n_columns + 1), max_size=8))
    lines = [",".join(header)] + [",".join(row) for row in rows]
    return "\n".join(lines) + draw(st.sampled_from(["", "\n"]))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(csv_texts())
def test_malformed_csv_gives_a_table_or_our_error(tmp_path, text):
    path = tmp_path / "fuzz.csv"
    path.write_text(text, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            df = dgu.load_data(path)
            transformer = dgu.TabularTransformer().fit(df)
        except dgu.DataGenError:
            return
        x = transformer.transform(df)
        assert x.shape == (len(df), transformer.output_dim)
        back = transformer.inverse_transform(x)
        assert list(back.columns) == transformer.columns_
