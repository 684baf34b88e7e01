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

from python_udfs.recs.sparse import compiled

# The Gram matrix x'x is computed as this many blocks of its rows, each block in a thread. A block's entries are
# summed over the same users in the same order as the whole product's, so the weights are the same to the bit
# whatever the number of blocks; more blocks than cores even out the blocks' work.
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
    _upper_from_lower(p)  # potri fills the lower triangle
    return p


def _upper_from_lower(a: np.ndarray) -> None:
    """Copies a square array's lower triangle onto its upper one, in place, a band of rows at a time (no n x n
    temporary). On a.T it copies the upper triangle onto the lower one."""
    n, step = len(a), 256
    for lo in range(0, n, step):
        hi = min(lo + step, n)
        a[lo:hi, hi:] = a[hi:, lo:hi].T
        block = a[lo:hi, lo:hi]
        upper = np.triu_indices(hi - lo, 1)
        block[upper] = block.T[upper]


def popularity(x: sp.spmatrix) -> np.ndarray:
    """Number of users who interacted with each item."""
    return np.asarray((x > 0).sum(axis=0)).ravel().astype(np.float64)


def _gram(x: sp.csr_matrix) -> np.ndarray:
    """x'x as a dense array, its rows computed in blocks of about equal work, in threads (GRAM_BLOCKS).

    Row i of x'x sums, over the users who hold item i in ascending order, the user's weight of item i times their
    weight of every item j (_gram_rows): the additions scipy's sparse product makes for each entry, in the same
    order, so the same floats to the bit. Only the upper triangle (j >= i) is computed, then mirrored. The
    compiled loop writes one row at a time, which stays in the processor's cache, where scipy's product builds a
    sparse result of every entry first: on the 1,000,000-contact bench's interactions (940,027 customers,
    17 M pairs, 5,000 items) 3.8 s on two threads against 14.4 s for scipy's product on one.
    """
    if not x.has_canonical_format:  # each user's items ascending and once: the items from item i on are then
        x = x.copy()  # the rest of the user's row
        x.sum_duplicates()
    n_items = x.shape[1]
    # x'x as rows of items, each holding its users (ascending) and where the entry sits in x's arrays
    where = sp.csr_matrix((np.arange(1, x.nnz + 1, dtype=np.int64), x.indices, x.indptr), shape=x.shape).T.tocsr()
    users, at = where.indices, where.data - 1
    out = np.zeros((n_items, n_items), dtype=x.dtype)  # scipy's product keeps the matrix's type too
    if x.nnz == 0:
        return out
    # the work up to the end of each row i: the entries of its users' rows from item i on; blocks of equal work
    work = np.r_[0, np.cumsum(x.indptr[users + 1] - at)][where.indptr[1:]]
    inner = np.searchsorted(work, np.linspace(0, work[-1], GRAM_BLOCKS + 1)[1:-1])
    bounds = np.unique(np.concatenate([[0], inner, [n_items]]))
    spans = list(pairwise(bounds))

    def rows(span: tuple[int, int]) -> None:
        _gram_rows(x.indptr, x.indices, x.data, where.indptr, users, at, span[0], span[1], out)

    with ThreadPoolExecutor(min(len(spans), os.cpu_count() or 1), thread_name_prefix="gram") as pool:
        list(pool.map(rows, spans))
    _upper_from_lower(out.T)  # the lower triangle from the upper one
    return out


def _gram_rows_loop(indptr, indices, data, item_indptr, users, at, lo, hi, out):  # pragma: no cover - compiled
    """Rows lo to hi of x'x's upper triangle into out: for each item i, over its users u (ascending),
    out[i, j] += x[u, i] * x[u, j] for the user's items j >= i."""
    for i in range(lo, hi):
        row = out[i]
        for k in range(item_indptr[i], item_indptr[i + 1]):
            a = at[k]
            weight = data[a]
            for b in range(a, indptr[users[k] + 1]):
                row[indices[b]] += weight * data[b]


_gram_rows = compiled(_gram_rows_loop)
