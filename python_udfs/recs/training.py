"""Retrain the recommender for the model registry: evaluate on a temporal holdout, refit, save."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from python_udfs.dbt_io import ArtifactStore, artifact_store
from python_udfs.ml.gate import recommender_gate
from python_udfs.recs import ranker
from python_udfs.recs.evaluation import evaluate_coded
from python_udfs.recs.fitting import fit_base_ahead, fit_coded
from python_udfs.recs.model import Params, in_order
from python_udfs.recs.reading import Coded, coded
from python_udfs.registry import registry_row, save_artifact


def params_from_config(config: dict) -> Params:
    """Params from the dbt vars passed through model config (strings or numbers)."""
    return Params(
        top_n=int(config["top_n"]),
        max_per_category=int(config["max_per_category"]),
        half_life_days=float(config["half_life_days"]),
        ease_lambda=float(config["ease_lambda"]),
        ease_max_items=int(config.get("ease_max_items") or Params.ease_max_items),
    )


# what customer_frame and the as_of date need of int_customer_features
FEATURE_COLUMNS = ("customer_id", "top_category", "cutoff_at")


def customer_frame(features: pd.DataFrame) -> pd.DataFrame:
    """customer_id and preferred_category (the customer's top category) from fct_customer_features.

    Columns of pandas strings are taken as they are: as numpy objects they became the same strings again (about
    0.65 s for 1.29 M customers, in each retrain and scoring)."""
    return pd.DataFrame(
        {"customer_id": _values(features["customer_id"]), "preferred_category": _values(features["top_category"])}
    )


def _values(column: pd.Series):
    """The column's values as pandas would infer them from its numpy objects (pandas' default strings: as they
    are)."""
    is_str = isinstance(column.dtype, pd.StringDtype) and column.dtype.na_value is np.nan
    is_str = is_str and column.dtype.storage == "pyarrow"
    return column.array if is_str else column.to_numpy()


def train_recommender(
    events: pd.DataFrame | Coded,
    products: pd.DataFrame | None,
    customers: pd.DataFrame | None,
    rules: pd.DataFrame,
    as_of,
    params: Params,
    holdout_days: int,
    model_dir: str | Path | ArtifactStore,
    trained_at: str,
) -> dict:
    """One registry row: metrics from a fit before as_of - holdout_days, then a fit on everything, saved.

    The row carries the quality gate (python_udfs/ml/gate.py recommender_gate): a recommender worse than the
    popularity baseline on the holdout purchases is recorded with is_promoted false and the reason, and scoring
    keeps the last promoted one.

    events: the interactions as a frame, or read_coded's result (python_udfs/recs/reading.py), which holds the
    products and customers it coded with them: then products and customers are None.
    """
    as_of = pd.Timestamp(as_of)
    if isinstance(events, Coded):
        if products is not None or customers is not None:
            raise ValueError("train_recommender: read_coded's result holds the products and customers; pass None")
        inputs = events
    else:
        inputs = coded(events, products, customers)  # once for both fits
    codes = inputs.codes
    # in order once: the evaluation and the deployed fit then find them so, and share one copy (in_order)
    events, products, customers = in_order(inputs.events, inputs.products, inputs.customers, inputs.events_in_order)
    del inputs
    bases = {}  # the evaluation's fit is the deployed ranker's base when holdout_days = ranker_label_days
    # The deployed fit's own base (as of as_of) does not depend on the evaluation: it is fitted in a thread
    # while the evaluation runs, and fit_coded below finds it in bases. Much of either is single-threaded
    # (pandas and numpy between the EASE products): at 1,000,000 contacts the two side by side used the second
    # core the evaluation alone left idle. The same fits, so the same model (each base is keyed by its inputs).
    with ThreadPoolExecutor(1, thread_name_prefix="deployed-base") as pool:
        ahead = pool.submit(fit_base_ahead, events, products, as_of, params, bases)
        metrics = evaluate_coded(events, products, customers, rules, as_of, holdout_days, params, bases=bases,
                                 events_in_order=True)  # fmt: skip
        ahead.result()
    model = codes.model_to_ids(fit_coded(events, products, as_of, params, bases, events_in_order=True))
    metrics["items_in_collaborative_model"] = len(model.cf_items)
    # the ranker of the deployed fit: what it learned from, whether it beat the plain scores, what it uses
    metrics["ranker"] = model.ranker_info
    window = (str(as_of - pd.Timedelta(days=holdout_days)), str(as_of))
    version = params.version(window)
    folder = artifact_store(model_dir)
    path = save_artifact(folder, version, {"model": model})
    features = ["purchase", "cart", "click", "view", "category", "brand", "price_band", "name_tokens"]
    features += [f"ranker:{name}" for name in ranker.FEATURES]
    failed = recommender_gate(metrics, len(events))
    return registry_row("recommendations", version, metrics, params.__dict__, features, {}, window, path,
                        trained_at, str(as_of), folder, failed)  # fmt: skip
