"""Collaborative filtering on implicit feedback: EASE and popularity.

EASE (Steck, 2019) learns an item x item weight matrix in closed form: one
ridge regression of each item on all the others, with a zero diagonal. It is
the project's collaborative model because it measured best on both the demo
data and MovieLens 100k (README, "Recommendations"); popularity is the
baseline the in-build evaluation compares against. Item-kNN, a peer only the
MovieLens benchmark uses, lives in benchmarks/peers/item_knn.py.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import numpy as np
import scipy.sparse as sp
from scipy.linalg import lapack

# The Gram matrix x'x is computed as this many blocks of its rows, each block in a thread. A block's entries are
# summed over the same users in the same order as the whole product's (scipy multiplies row by row), so the
# weights are the same to the bit whatever the number of blocks. At 1,000,000 contacts the product was about a
# quarter of a retrain (three fits, single-threaded); more blocks than cores even out the blocks' work.
GRAM_BLOCKS = 4


def ease(x: sp.spmatrix, lam: float) -> np.ndarray:
    """EASE weights B (items x items, float32, zero diagonal) from a users x items matrix."""
    gram = _gram(sp.csr_matrix(x)).astype(np.float64, copy=False)
    gram[np.diag_indices_from(gram)] += lam
    p = _inverse_positive_definite(gram)
    del gram
    # b = -p / diag(p), in place: at 5,000 items each temporary is 200 MB of memory to fault in
    diagonal = np.diag(p).copy()
    np.negative(p, out=p)
    p /= diagonal
    p[np.diag_indices_from(p)] = 0.0
    return p.astype(np.float32)


def _inverse_positive_definite(a: np.ndarray) -> np.ndarray:
    """The inverse of a symmetric positive definite matrix (x'x + lambda I, lambda > 0) from its Cholesky factor
    (LAPACK potrf and potri): about half the work of np.linalg.inv's LU (the 5,000 x 5,000 Gram matrix of the
    1,000,000-contact bench: 1.6 s against 4.1 s), the same inverse but for rounding (about 1e-15 of its
    largest entry). A matrix LAPACK does not find positive definite goes to np.linalg.inv, as before."""
    if len(a) == 0:
        return np.linalg.inv(a)
    factor, info = lapack.dpotrf(a, lower=True, clean=False, overwrite_a=False)
    if info != 0:
        return np.linalg.inv(a)
    p, info = lapack.dpotri(factor, lower=True, overwrite_c=True)
    if info != 0:
        return np.linalg.inv(a)
    # potri fills the lower triangle: copy it to the upper one, a band of rows at a time (no n x n temporary)
    n, step = len(p), 256
    for lo in range(0, n, step):
        hi = min(lo + step, n)
        p[lo:hi, hi:] = p[hi:, lo:hi].T
        block = p[lo:hi, lo:hi]
        upper = np.triu_indices(hi - lo, 1)
        block[upper] = block.T[upper]
    return p


def popularity(x: sp.spmatrix) -> np.ndarray:
    """Number of users who interacted with each item."""
    return np.asarray((x > 0).sum(axis=0)).ravel().astype(np.float64)


def _gram(x: sp.csr_matrix) -> np.ndarray:
    """x'x as a dense array, its rows computed in blocks of about equal work, in threads (GRAM_BLOCKS)."""
    xt = x.T.tocsr()
    # the work of row i of x'x: the entries of the users' rows that hold item i
    work = np.cumsum(xt @ np.diff(x.indptr).astype(np.float64))
    if len(work) == 0 or work[-1] == 0:
        return (xt @ x).toarray()
    inner = np.searchsorted(work, np.linspace(0, work[-1], GRAM_BLOCKS + 1)[1:-1])
    bounds = np.unique(np.concatenate([[0], inner, [xt.shape[0]]]))
    spans = list(pairwise(bounds))
    with ThreadPoolExecutor(min(len(spans), os.cpu_count() or 1), thread_name_prefix="gram") as pool:
        return np.vstack(list(pool.map(lambda span: (xt[span[0] : span[1]] @ x).toarray(), spans)))
