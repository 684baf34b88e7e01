"""Collaborative filtering on implicit feedback: EASE, item-kNN (cosine) and popularity.

EASE (Steck, 2019) learns an item x item weight matrix in closed form: one
ridge regression of each item on all the others, with a zero diagonal. It is
the project's collaborative model because it measured best on both the demo
data and MovieLens 100k (README, "Recommendations"); item-kNN and popularity
stay here as the baselines the benchmark and the in-build evaluation compare
against.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize


def ease(x: sp.spmatrix, lam: float) -> np.ndarray:
    """EASE weights B (items x items, float32, zero diagonal) from a users x items matrix."""
    gram = (x.T @ x).toarray().astype(np.float64)
    gram[np.diag_indices_from(gram)] += lam
    p = np.linalg.inv(gram)
    b = -p / np.diag(p)
    b[np.diag_indices_from(b)] = 0.0
    return b.astype(np.float32)


def item_knn(x: sp.spmatrix, neighbours: int | None = None) -> sp.csr_matrix:
    """Cosine similarity between item columns, zero diagonal, optionally the top neighbours per item."""
    items = normalize(sp.csr_matrix(x.T, dtype=np.float64), axis=1)
    sim = (items @ items.T).tocsr()
    sim.setdiag(0)
    sim.eliminate_zeros()
    if neighbours is not None:
        sim = keep_top(sim, neighbours)
    return sim.astype(np.float32)


def keep_top(sim: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Keep the k largest entries of each row of a sparse matrix."""
    sim = sim.tocsr()
    rows, cols, vals = [], [], []
    for i in range(sim.shape[0]):
        start, end = sim.indptr[i], sim.indptr[i + 1]
        if end == start:
            continue
        v, c = sim.data[start:end], sim.indices[start:end]
        if len(v) > k:
            pick = np.argpartition(-v, k - 1)[:k]
            v, c = v[pick], c[pick]
        rows.append(np.full(len(v), i))
        cols.append(c)
        vals.append(v)
    if not rows:
        return sp.csr_matrix(sim.shape, dtype=sim.dtype)
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=sim.shape)


def popularity(x: sp.spmatrix) -> np.ndarray:
    """Number of users who interacted with each item."""
    return np.asarray((x > 0).sum(axis=0)).ravel().astype(np.float64)
