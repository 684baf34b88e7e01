"""Item-kNN (cosine): a peer of the project's recommendations in the MovieLens 100k benchmark (bench_ml100k.py).

The project recommends with EASE (python_udfs/recs/collaborative.py), which
measured better on the demo data and MovieLens 100k; item-kNN stays here, where
only the benchmarks read it.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize


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
