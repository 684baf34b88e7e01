import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from python_udfs.ml.clustering import CLUSTER_FEATURES, cluster_inputs, fit_clusters, name_clusters

PROFILES = {  # order_count, orders_180d, web_sessions_90d
    "buyers": (16, 8, 6),
    "browsers": (1, 0.5, 12),
    "occasional": (4, 2, 0.5),
    "inactive": (0, 0, 0),
}


def population(n_each: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    rows, truth = [], []
    for g, centre in enumerate(PROFILES.values()):
        for _ in range(n_each):
            noisy = [c * rng.lognormal(0, 0.25) for c in centre]
            rows.append(dict(zip(CLUSTER_FEATURES, noisy, strict=True)))
            truth.append(g)
    return pd.DataFrame(rows), np.array(truth)


def test_recovers_planted_groups_and_names_them_from_their_profiles():
    frame, truth = population(300, 1)
    model = fit_clusters(frame)
    assigned = model.assign(frame)
    assert adjusted_rand_score(truth, assigned["cluster_segment"]) > 0.9
    named = pd.Series(assigned["cluster_segment"].to_numpy()).groupby(truth).agg(lambda s: s.mode()[0])
    assert named[0] == "Highly engaged buyers"
    assert named[1] == "Engaged browsers"
    assert named[2] == "Infrequent buyers"
    assert named[3] == "Inactive"
    assert model.metrics["k"] == 4


def test_names_are_stable_when_rows_are_shuffled_and_outliers_flagged():
    frame, _ = population(200, 2)
    a = fit_clusters(frame, k_range=range(4, 5)).assign(frame)
    shuffled = frame.sample(frac=1.0, random_state=3)
    b = fit_clusters(shuffled, k_range=range(4, 5)).assign(frame)
    assert (a["cluster_segment"] == b["cluster_segment"]).mean() > 0.98
    assert 0 < a["is_cluster_outlier"].mean() <= 0.02


def test_cluster_inputs_log_scale_and_count_missing_or_negative_as_zero():
    frame = pd.DataFrame({"order_count": [0, np.e - 1, None], "orders_180d": ["3", -2, 1], "web_sessions_90d": 0})
    x = cluster_inputs(frame)
    assert list(x.columns) == CLUSTER_FEATURES
    assert x["order_count"].tolist() == pytest.approx([0.0, 1.0, 0.0])
    assert x["orders_180d"].tolist() == pytest.approx([np.log(4), 0.0, np.log(2)])


def test_name_clusters_reads_levels_relative_to_the_strongest_centroid_and_numbers_repeats():
    centroids = pd.DataFrame(
        {
            "order_count": [3.0, 0.2, 1.0, 0.0, 2.9],
            "orders_180d": [2.0, 0.1, 0.6, 0.0, 2.0],
            "web_sessions_90d": [2.0, 2.5, 0.1, 0.0, 0.2],
        }
    )
    names = name_clusters(centroids)
    assert names == {
        0: "Highly engaged buyers",
        1: "Engaged browsers",
        2: "Infrequent buyers",
        3: "Inactive",
        4: "Frequent buyers",
    }
    # the same shapes at a tenth of the scale keep their names: levels are relative
    assert name_clusters(centroids * 0.1) == names
    twins = name_clusters(pd.DataFrame({"order_count": [3.0, 2.8, 0.0], "orders_180d": [2.0, 1.9, 0.0],
                                        "web_sessions_90d": [1.0, 1.0, 0.0]}))  # fmt: skip
    assert twins == {0: "Highly engaged buyers", 1: "Highly engaged buyers (2)", 2: "Inactive"}
