"""python_udfs.arrow_strings: string ids through Arrow give what pandas gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from python_udfs.arrow_strings import arrow_strings, isin_strings


def test_isin_strings_is_pandas_isin_for_present_values():
    values = pd.Series(["c1", "c2", None, "c3", "c1", ""], dtype="str")
    wanted = pd.Series(["c1", "c3", "zz", ""], dtype="str")
    mask = isin_strings(values, wanted)
    assert mask.dtype == np.bool_
    assert mask.tolist() == [True, False, False, True, True, True]
    present = values.notna().to_numpy()
    assert (mask[present] == values.isin(wanted).to_numpy()[present]).all()


def test_isin_strings_takes_lists_arrays_and_chunks():
    chunked = pa.chunked_array([["a", "b"], ["c", None]])
    assert isin_strings(chunked, ["c", "a"]).tolist() == [True, False, True, False]
    assert isin_strings(np.array(["a", "x"], dtype=object), pa.array(["x"])).tolist() == [False, True]
    assert isin_strings(pd.Series([], dtype="str"), ["a"]).tolist() == []
    assert isin_strings(["a", None], []).tolist() == [False, False]


def test_arrow_strings_is_one_large_string_array():
    array = arrow_strings(pa.chunked_array([["a"], ["b", None]]))
    assert array.type == pa.large_string()
    assert array.to_pylist() == ["a", "b", None]
