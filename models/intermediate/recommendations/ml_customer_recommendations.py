"""Top N products for every known customer with the current recommender (python_udfs/recs/engine.py).

The current recommender is the last run that passed its quality gate
(python_udfs/ml/gate.py), loaded through the model registry
(python_udfs/registry.py); is_fallback and scoring_note say when a newer run
was rejected.

Today's interactions feed the profiles and the trending fill; the EASE weights
and repeat-purchase rates come from the registered model, so a score-only job
does not refit. fct_customer_recommendations adds product fields and a contract.

On DuckDB the model is incremental: a run after a retrain rescores every
customer, a run without one only the customers whose inputs changed (new
interactions, a new preferred category, new customers) or whose list is more
than var rescoring_max_age_days old, and removes the lists of customers who
are gone (python_udfs/recs/rescoring.py). Elsewhere it rescores everyone on
every run.
"""

import pandas as pd

from python_udfs.dbt_io import artifact_store, customers_only, to_engine, to_pandas
from python_udfs.recs import rescoring
from python_udfs.recs.reading import read_coded
from python_udfs.recs.scoring import recommend_read
from python_udfs.recs.training import customer_frame
from python_udfs.registry import current_model, raise_if_no_registry
from python_udfs.rescoring_age import SCORED_AS_OF_COLUMN, max_age_days
from python_udfs.warehouse_memory import release


def model(dbt, session):
    dbt.config(incremental_strategy="replace_customers", on_schema_change="append_new_columns")
    # what the SQL models before left in DuckDB's memory, before this model's frames
    release(session)
    try:
        registry = to_pandas(dbt.ref("ml_recommender_runs"))
    except Exception as error:
        raise_if_no_registry(error)  # a fresh warehouse: says to run the full build first
        raise
    run, saved = current_model(registry, "recommendations", artifact_store(dbt.config.get("model_dir"), session))
    fitted = saved["model"]
    features = dbt.ref("int_customer_features")
    as_of = to_pandas(features.select("cutoff_at"))["cutoff_at"].max()
    # every known customer with their top category, joined in the warehouse: a pandas merge of the two frames
    # took about 1.9 s of each run at 1,000,000 contacts, the join 0.6 s. Known: anchored on a contact id or an
    # email (int_customers_unified.is_known); a browser known only by its anonymous id has no address to send a
    # list to, and gets one in the first run after it is stitched to a person
    joined = (
        dbt.ref("int_customers_unified")
        .filter("is_known")
        .select("customer_id")
        .join(features.select("customer_id", "top_category"), "customer_id", how="left")
    )
    customers = None  # read below: every customer, or on an incremental run only those it rescores
    events = dbt.ref("int_recommendation_events")
    products = to_pandas(dbt.ref("int_products_ranked"))
    rules = to_pandas(dbt.ref("recommendation_rules"))

    digests, removed, trend = None, [], None
    if hasattr(events, "aggregate"):  # DuckDB: each list records what it was made from
        shared = rescoring.shared_digest(registry, products, rules)
        digests = rescoring.inputs_digests(
            session,
            joined.project("customer_id, top_category as preferred_category"),
            rescoring.interaction_counts(events),
            shared,
            as_of,
        )
        if dbt.is_incremental:
            rescore, removed = rescoring.plan(session, dbt.this, digests, max_age_days(dbt.config.get("max_age_days")))
            if len(rescore) < len(digests):  # only some customers: their rows and events, and everyone's trend
                # (reading every customer into pandas first took about 2.3 s of the hourly refresh at 1,000,000
                # contacts, to keep about 15,000 of them)
                customers = customer_frame(to_pandas(customers_only(session, joined, rescore)))
                trend = rescoring.trend_weights(session, events, products["product_id"], as_of, fitted.params)
                events = customers_only(session, events, rescore)
    if customers is None:
        customers = customer_frame(to_pandas(joined))
    # the interactions with codes for ids, in order (on DuckDB the warehouse codes and sorts them)
    interactions = read_coded(session, events, products, customers)
    release(session)  # the sort's memory, before scoring holds its batches
    out = recommend_read(
        fitted,
        interactions,
        rules,
        as_of=as_of,
        trend=trend,
        threads=int(dbt.config.get("scoring_threads")),  # a call argument, or dbt does not pass the key
    )
    del interactions  # the coded events (25 M rows at 1,000,000 contacts), before the lists are written
    out["model_version"] = run["current"]["model_version"]
    out["is_fallback"] = run["is_fallback"]
    out["scoring_note"] = pd.Series(run["note"], index=out.index, dtype="string")
    out["rank"] = out["rank"].astype("Int64")
    if digests is not None:
        # a column added by lookup, not a merge: a merge copies every list row (10 M at 1,000,000 contacts)
        out[rescoring.DIGEST_COLUMN] = pd.Series(
            rescoring.digest_per_row(out["customer_id"], digests), index=out.index, dtype="string"
        )
        out[SCORED_AS_OF_COLUMN] = pd.Series(pd.Timestamp(as_of), index=out.index, dtype="datetime64[us]")
        if dbt.is_incremental:  # the customers rescored without a list, and those gone: their rows go
            gone = rescoring.removal_rows(out, pd.Index(customers["customer_id"]).union(pd.Index(removed)))
            out = pd.concat([out, gone], ignore_index=True) if len(gone) else out
    else:
        out[rescoring.DIGEST_COLUMN] = pd.Series(pd.NA, index=out.index, dtype="string")
        out[SCORED_AS_OF_COLUMN] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[us]")
    return to_engine(out, session)
