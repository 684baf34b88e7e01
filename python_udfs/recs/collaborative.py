"""Collaborative filtering on implicit feedback: EASE and popularity.

EASE (Steck, 2019) learns an item x item weight matrix in closed form: one
ridge regression of each item on all the others, with a zero diagonal. It is
the project's collaborative model because it measured best on both the demo
data and MovieLens 100k (README, "Recommendations"); popularity is the
baseline the in-build evaluation compares against. Item-kNN, a peer only the
MovieLens benchmark uses, lives in benchmarks/peers/item_knn.py.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def ease(x: sp.spmatrix, lam: float) -> np.ndarray:
    """EASE weights B (items x items, float32, zero diagonal) from a users x items matrix."""
    gram = (x.T @ x).toarray().astype(np.float64)
    gram[np.diag_indices_from(gram)] += lam
    p = np.linalg.inv(gram)
    b = -p / np.diag(p)
    b[np.diag_indices_from(b)] = 0.0
    return b.astype(np.float32)


def popularity(x: sp.spmatrix) -> np.ndarray:
    """Number of users who interacted with each item."""
    return np.asarray((x > 0).sum(axis=0)).ravel().astype(np.float64)
