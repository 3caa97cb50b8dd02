"""Clustering a realistic estate stays fast and finds every store, and nothing more."""

from __future__ import annotations

import time
from collections import Counter

from models.clusters import find_clusters
from tests.unit.clusters.estate import build_estate

TIME_BUDGET_SECONDS = 60.0
"""Generous bound for slow CI machines; a developer laptop takes a few seconds."""


def test_five_thousand_servers_and_a_hundred_thousand_observations() -> None:
    estate = build_estate()
    assert sum(len(store) for store in estate.stores) == 5000
    assert len(estate.observations) >= 100_000

    started = time.perf_counter()
    clusters = find_clusters(estate.observations)
    elapsed = time.perf_counter() - started

    assert elapsed < TIME_BUDGET_SECONDS
    assert {cluster.members for cluster in clusters} == {
        store for store in estate.stores if len(store) > 1
    }
    engines = Counter(cluster.engine for cluster in clusters)
    assert engines == {"redis": 600, "cassandra": 200, "mysql": 400, "memcached": 200}
