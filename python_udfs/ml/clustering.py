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

CLUSTER_FEATURES = [
    "order_count",
    "monetary_value",
    "recency_days",
    "emails_opened_90d",
    "emails_clicked_90d",
    "web_sessions_30d",
    "product_views_30d",
]
BUYING = ["order_count", "monetary_value"]
ENGAGEMENT = ["emails_opened_90d", "emails_clicked_90d", "web_sessions_30d", "product_views_30d"]


def cluster_inputs(frame: pd.DataFrame, recency_cap: float = 730.0) -> pd.DataFrame:
    """log1p of each feature; customers who never bought get the capped recency."""
    x = frame[CLUSTER_FEATURES].apply(pd.to_numeric, errors="coerce").astype(float)
    x["recency_days"] = x["recency_days"].fillna(recency_cap).clip(upper=recency_cap)
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


def name_clusters(centroids: pd.DataFrame, population: pd.DataFrame) -> dict[int, str]:
    """Name each centroid by its buying and engagement relative to the population."""

    def level(columns: list[str]) -> pd.Series:
        scale = population[columns].std().replace(0, 1)
        return ((centroids[columns] - population[columns].mean()) / scale).mean(axis=1)

    buying, engagement = level(BUYING), level(ENGAGEMENT)
    names = {}
    for i in centroids.index:
        if buying[i] > 0.5 and engagement[i] > 0:
            base = "Highly engaged buyers"
        elif buying[i] > 0:
            base = "Infrequent buyers" if engagement[i] <= 0 else "Engaged buyers"
        elif engagement[i] > 0:
            base = "Engaged browsers"
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


def fit_clusters(frame: pd.DataFrame, k_range: range = range(3, 9), sample: int = 5000, seed: int = 7) -> ClusterModel:
    """KMeans for each k in k_range; keep the k with the best silhouette on a sample."""
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
    names = name_clusters(centroids, x)
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
