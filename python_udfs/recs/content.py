"""Content similarity between products: TF-IDF over category, brand, price band and name tokens.

Each product keeps its `neighbours` most similar products (a sparse matrix),
computed in chunks of rows so memory grows with the catalogue, not with its
square. A catalogue of up to `full_items` products is compared all against all.
A larger one is compared within each category (the whole catalogue when it has
no categories): the cost is the sum of the squared category sizes instead of
the catalogue's square, 84 s -> a few seconds on The Complete Journey's 92,331
products. On large catalogues, tokens that thousands of products share (a
department, a "National" brand) say little about which products are alike but
cost most of the work: tokens held by more than `full_items` products are left
out.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

# rows of the similarity computed at once: chunk x catalogue float32 cells stay under ~100 MB
CHUNK_CELLS = 25_000_000
# the last similarity computed: a retrain evaluates, trains its ranker and fits on the same catalogue
_LAST: dict[str, sp.csr_matrix] = {}


def product_documents(products: pd.DataFrame) -> pd.Series:
    """One text per product: category, brand, price band (quintile within category) and name tokens."""
    price = pd.to_numeric(products["price"], errors="coerce")
    band = price.groupby(products["category"].fillna("")).rank(pct=True).mul(5).clip(upper=4.999).fillna(-1)
    band = band.astype(int).astype(str)

    def token(prefix: str, values: pd.Series) -> pd.Series:
        return prefix + values.fillna("none").astype(str).str.lower().str.replace(r"\W+", "_", regex=True)

    return (
        token("cat_", products["category"]) + " " + token("brand_", products["brand"]) + " "
        + "band_" + products["category"].fillna("").str.lower().str.replace(r"\W+", "_", regex=True) + band + " "
        + products["product_name"].fillna("").str.lower().str.replace(r"[^a-z ]+", " ", regex=True)
    )  # fmt: skip


def content_similarity(products: pd.DataFrame, neighbours: int, full_items: int = 5000) -> sp.csr_matrix:
    """Cosine similarity of the TF-IDF documents, zero diagonal, the top `neighbours` per product."""
    if products.empty:  # an empty catalogue (products is optional): TF-IDF has no vocabulary to learn
        return sp.csr_matrix((0, 0), dtype=np.float32)
    docs = product_documents(products)
    key = hashlib.sha256(
        "\x1f".join(
            [str(neighbours), str(full_items), *docs, *products["category"].fillna("\x00").astype(str)]
        ).encode()
    ).hexdigest()
    if key not in _LAST:
        _LAST.clear()
        _LAST[key] = _similarity(products, docs, neighbours, full_items)
    return _LAST[key]


def _similarity(products: pd.DataFrame, docs: pd.Series, neighbours: int, full_items: int) -> sp.csr_matrix:
    n = len(products)
    tfidf = TfidfVectorizer(token_pattern=r"[a-z_][a-z0-9_]+", sublinear_tf=True).fit_transform(docs)
    if n > full_items:
        df = np.bincount(tfidf.indices, minlength=tfidf.shape[1])
        tfidf = tfidf[:, np.flatnonzero(df <= full_items)]
        groups = pd.factorize(products["category"].fillna("").to_numpy())[0]
    else:
        groups = np.zeros(n, dtype=np.int64)
    t = normalize(tfidf).astype(np.float32).tocsr()
    rows, cols, vals = [], [], []
    for g in np.unique(groups):
        members = np.flatnonzero(groups == g)
        r, c, v = _top_neighbours(t[members], neighbours)
        rows.append(members[r])
        cols.append(members[c])
        vals.append(v)
    if not rows:
        return sp.csr_matrix((n, n), dtype=np.float32)
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))


def _top_neighbours(t: sp.csr_matrix, neighbours: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row, column and similarity of each row's top neighbours among the rows of t (unit-length rows)."""
    n = t.shape[0]
    k = min(neighbours, n - 1)
    if k <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
    tt = t.T.tocsr()
    chunk = max(1, CHUNK_CELLS // n)
    rows, cols, vals = [], [], []
    for start in range(0, n, chunk):
        block = (t[start : start + chunk] @ tt).toarray()
        r = np.arange(block.shape[0])
        block[r, start + r] = 0.0
        top = np.argpartition(-block, k - 1, axis=1)[:, :k]
        v = np.take_along_axis(block, top, axis=1)
        keep = v > 0
        rows.append(np.broadcast_to((start + r)[:, None], top.shape)[keep])
        cols.append(top[keep])
        vals.append(v[keep])
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
