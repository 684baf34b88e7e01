"""Behavioural clusters: KMeans on log-scaled features, k chosen by silhouette, named from centroids.

Names come from each centroid's buying and engagement levels relative to the
whole population, not from cluster numbers, so they stay stable when the data
is rebuilt and KMeans relabels its clusters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler

# Behaviour everyone can show. Email opens are left out on purpose: they exist
# only for subscribers (and privacy proxies fake them), so with them in, KMeans
# splits people by subscription status rather than by how they behave. Measured
# on the demo data against the planted archetypes: ARI 0.71 with these three,
# 0.39 with opens, clicks, recency and spend added (k = 4 in both).
CLUSTER_FEATURES = ["order_count", "orders_180d", "web_sessions_90d"]
BUYING = ["order_count", "orders_180d"]
ENGAGEMENT = ["web_sessions_90d"]
DEFAULT_K_RANGE = range(3, 7)


def cluster_inputs(frame: pd.DataFrame) -> pd.DataFrame:
    """log1p of each feature, missing counted as zero."""
    x = frame[CLUSTER_FEATURES].apply(pd.to_numeric, errors="coerce").astype(float)
    return np.log1p(x.fillna(0).clip(lower=0))


@dataclass
class ClusterModel:
    scaler: StandardScaler
    kmeans: KMeans
    names: dict[int, str]
    outlier_distance: float
    metrics: dict = field(default_factory=dict)

    def assign(self, frame: pd.DataFrame) -> pd.DataFrame:
        z = self.scaler.transform(cluster_inputs(frame))
        label = self.kmeans.predict(z)
        distance = np.linalg.norm(z - self.kmeans.cluster_centers_[label], axis=1)
        return pd.DataFrame(
            {
                "cluster_segment": [self.names[i] for i in label],
                "cluster_distance": distance,
                "is_cluster_outlier": distance > self.outlier_distance,
            },
            index=frame.index,
        )


def name_clusters(centroids: pd.DataFrame) -> dict[int, str]:
    """Name each centroid by its buying and engagement relative to the strongest centroid.

    Centroids are in log1p space, where zero means "none at all", so a level is
    the centroid's mean over its columns divided by the highest such mean. This
    does not depend on how many anonymous or inactive people dilute the
    population, and it does not depend on KMeans' cluster numbering.
    """

    def level(columns: list[str]) -> pd.Series:
        raw = centroids[columns].clip(lower=0).mean(axis=1)
        return raw / raw.max() if raw.max() > 0 else raw

    buying, engagement = level(BUYING), level(ENGAGEMENT)
    names = {}
    for i in centroids.index:
        if buying[i] >= 0.7:
            base = "Highly engaged buyers" if engagement[i] >= 0.3 else "Frequent buyers"
        elif engagement[i] >= 0.5:
            base = "Engaged browsers"
        elif buying[i] >= 0.25:
            base = "Infrequent buyers"
        else:
            base = "Inactive"
        names[i] = base
    # several clusters with one name: number them by how much they buy
    out = {}
    for base in set(names.values()):
        members = sorted((i for i in names if names[i] == base), key=lambda i: -buying[i])
        for rank, i in enumerate(members):
            out[i] = base if rank == 0 else f"{base} ({rank + 1})"
    return out


def fit_clusters(
    frame: pd.DataFrame, k_range: range = DEFAULT_K_RANGE, sample: int = 5000, seed: int = 7
) -> ClusterModel:
    """KMeans for each k in k_range; keep the k with the best silhouette on a sample.

    The range stops at 6: on count data silhouette keeps rising with k as clusters
    fit the integer lattice, and few marketing teams act on more than six segments.
    """
    x = cluster_inputs(frame)
    scaler = StandardScaler().fit(x)
    z = scaler.transform(x)
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(z), size=min(sample, len(z)), replace=False)
    scores = {}
    fits = {}
    for k in k_range:
        if k >= len(z):
            break
        km = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(z)
        scores[k] = float(silhouette_score(z[idx], km.labels_[idx]))
        fits[k] = km
    best = max(scores, key=scores.get)
    km = fits[best]
    centroids = pd.DataFrame(scaler.inverse_transform(km.cluster_centers_), columns=x.columns)
    names = name_clusters(centroids)
    distance = np.linalg.norm(z - km.cluster_centers_[km.labels_], axis=1)
    model = ClusterModel(scaler, km, names, float(np.quantile(distance, 0.99)))
    model.metrics = {
        "k": best,
        "silhouette": scores[best],
        "silhouette_by_k": scores,
        "inertia": float(km.inertia_),
        "cluster_sizes": {names[i]: int((km.labels_ == i).sum()) for i in names},
    }
    return model
