"""Evaluation: fit before a cut-off, recommend, measure on what people bought after it, against popularity."""

from __future__ import annotations

import numpy as np
import pandas as pd

from python_udfs.recs.codes import Codes
from python_udfs.recs.fitting import fit_coded
from python_udfs.recs.metrics import ranking_metrics, top_k_frame
from python_udfs.recs.model import Params, clean_events, in_order, pair_runs
from python_udfs.recs.scoring import recommend_coded


def evaluate(
    events: pd.DataFrame,
    products: pd.DataFrame,
    customers: pd.DataFrame,
    rules: pd.DataFrame,
    as_of,
    holdout_days: int,
    params: Params | None = None,
    max_users: int = 5000,
) -> dict:
    """Fit before as_of - holdout_days, recommend, measure on what people bought in the holdout.

    Also measures popularity (most interacted-with active items the customer
    has not bought) on the same customers, so the registry shows the gain.
    """
    _, events, products, customers = Codes.encode(events, products, customers)  # metrics only: codes will do
    return evaluate_coded(events, products, customers, rules, as_of, holdout_days, params, max_users)


def evaluate_coded(
    events: pd.DataFrame,
    products: pd.DataFrame,
    customers: pd.DataFrame,
    rules: pd.DataFrame,
    as_of,
    holdout_days: int,
    params: Params | None = None,
    max_users: int = 5000,
    bases: dict | None = None,
    events_in_order: bool = False,
) -> dict:
    """evaluate() on inputs whose ids are codes (Codes.encode); bases and events_in_order: as for fit_coded."""
    params = params or Params()
    as_of = pd.Timestamp(as_of)
    cut = as_of - pd.Timedelta(days=holdout_days)
    events, products, customers = in_order(events, products, customers, events_in_order)
    ev = clean_events(events, as_of)
    past, future = ev[ev["occurred_at"] < cut], ev[ev["occurred_at"] >= cut]
    relevant = future[future["interaction_type"] == "purchase"][["customer_id", "product_id"]].drop_duplicates()
    relevant = relevant.rename(columns={"customer_id": "user_id"})
    if relevant.empty or past.empty:
        return {"holdout_days": holdout_days, "users": 0}
    holdout_buyers = np.sort(relevant["user_id"].unique())
    if len(holdout_buyers) > max_users:  # a fixed random sample keeps the evaluation cheap on large shops
        holdout_buyers = np.random.default_rng(7).choice(holdout_buyers, max_users, replace=False)
        relevant = relevant[relevant["user_id"].isin(holdout_buyers)]
    users = customers[customers["customer_id"].isin(holdout_buyers)]
    # past is rows of events in order: in order too
    model = fit_coded(past, products, cut, params, bases, events_in_order=True)
    recs = recommend_coded(model, past, products, users, rules, cut, events_in_order=True)
    project = ranking_metrics(recs.rename(columns={"customer_id": "user_id"}), relevant,
                              int(products["is_active"].fillna(False).astype(bool).sum()), params.top_n)  # fmt: skip
    catalogue = products.drop_duplicates("product_id")
    act = catalogue[catalogue["is_active"].fillna(False).astype(bool)]["product_id"]
    # a product's count depends on its own rows only: counted over every row, then kept for the active products
    # (filtering the rows first copied about 24 M of them at 1,000,000 contacts)
    pop = _customers_per_product(past)
    pop = pop[pop.index.isin(act)]
    # the most popular items each customer has not bought: enough candidates for anyone's exclusions
    owned = past[past["interaction_type"] == "purchase"]
    owned = owned[owned["customer_id"].isin(users["customer_id"])]
    depth = (
        params.top_n + int(owned.groupby("customer_id")["product_id"].nunique().max()) if len(owned) else params.top_n
    )
    pop_items = pop.sort_values(ascending=False, kind="stable").index.to_numpy()[:depth]
    uids = users["customer_id"].to_numpy()
    scores = np.tile(pop.reindex(pop_items).to_numpy(np.float64), (len(uids), 1))
    ui = pd.Index(uids).get_indexer(owned["customer_id"])
    ii = pd.Index(pop_items).get_indexer(owned["product_id"])
    mask = (ui >= 0) & (ii >= 0)
    scores[ui[mask], ii[mask]] = -np.inf
    baseline = ranking_metrics(top_k_frame(scores, uids, pop_items, params.top_n), relevant, len(act), params.top_n)
    k = params.top_n
    return {
        "holdout_days": holdout_days,
        "users": project["users"],
        f"precision@{k}": project[f"precision@{k}"],
        f"recall@{k}": project[f"recall@{k}"],
        f"ndcg@{k}": project[f"ndcg@{k}"],
        "coverage": project["coverage"],
        "popularity": {key: baseline[key] for key in (f"precision@{k}", f"recall@{k}", f"ndcg@{k}", "coverage")},
        "source_mix": recs["source"].value_counts(normalize=True).round(4).to_dict(),
    }


def _customers_per_product(events: pd.DataFrame) -> pd.Series:
    """Distinct customers per product (by product id, ascending), as groupby(product)[customer].nunique().

    Events in pair order (in_order's) hold each pair's rows together: a product's customers are its pairs,
    counted without grouping (at 1,000,000 contacts the group took about 8 s of a retrain)."""
    customer, product = events["customer_id"].to_numpy(), events["product_id"].to_numpy()
    first = pair_runs(customer, product)
    if first is None:
        return events.groupby("product_id")["customer_id"].nunique()
    products = np.flatnonzero(np.bincount(product))
    counts = np.bincount(product[first])[products]  # every product with a row has a pair's first row
    return pd.Series(counts, index=pd.Index(products.astype(product.dtype), name="product_id"), name="customer_id")
