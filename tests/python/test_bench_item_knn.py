"""Unit test for benchmarks/peers/item_knn.py, the item-kNN peer of the MovieLens benchmark."""

import numpy as np
import pytest
import scipy.sparse as sp
from peers.item_knn import item_knn, keep_top


def test_item_knn_is_cosine_and_keep_top_keeps_the_largest():
    x = sp.csr_matrix(np.array([[1, 1, 0], [1, 1, 0], [0, 1, 1]], dtype=float))
    sim = item_knn(x).toarray()
    assert sim[0, 1] == pytest.approx(2 / np.sqrt(2 * 3))
    assert sim[0, 2] == 0
    assert sim[0, 0] == 0
    top = keep_top(sp.csr_matrix(np.array([[0, 3, 1, 2.0]])), 2).toarray()
    assert top.tolist() == [[0, 3, 0, 2]]
