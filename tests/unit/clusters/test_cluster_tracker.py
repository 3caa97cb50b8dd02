"""Stable cluster ids and reported membership changes across windows."""

from __future__ import annotations

import pytest

from models.cluster_observations import AddressObservation
from models.cluster_params import ClusterParams, ClusterParamsError
from models.cluster_tracker import ChangeKind, ClusterTracker, MembershipChange
from models.clusters import Cluster
from models.errors import MeeseeksError
from tests.unit.clusters.conftest import app, mesh, served

REDIS_ID = "cluster:redis:10.0.1.1"


def redis(*members: str) -> list[AddressObservation]:
    return served(members, 6379, app("checkout", "10.9.0")) + mesh(members, 16379)


def change(
    kind: ChangeKind, cluster: str, *members: str, engine: str = "redis"
) -> MembershipChange:
    return MembershipChange(kind, cluster, engine, frozenset(members))


def test_first_window_reports_appeared_clusters() -> None:
    tracker = ClusterTracker()

    changes = tracker.update(redis("10.0.1.1", "10.0.1.2", "10.0.1.3"))

    assert changes == [change(ChangeKind.APPEARED, REDIS_ID, "10.0.1.1", "10.0.1.2", "10.0.1.3")]
    assert [cluster.node for cluster in tracker.clusters] == [REDIS_ID]


def test_unchanged_window_reports_nothing() -> None:
    tracker = ClusterTracker()
    tracker.update(redis("10.0.1.1", "10.0.1.2", "10.0.1.3"))

    assert tracker.update(redis("10.0.1.1", "10.0.1.2", "10.0.1.3")) == []


def test_member_leaving_and_another_joining_keep_the_id() -> None:
    tracker = ClusterTracker()
    tracker.update(redis("10.0.1.1", "10.0.1.2", "10.0.1.3"))

    # The lowest address leaves, so the derived name would change; the id must not.
    changes = tracker.update(redis("10.0.1.2", "10.0.1.3", "10.0.1.4"))

    assert changes == [
        change(ChangeKind.JOINED, REDIS_ID, "10.0.1.4"),
        change(ChangeKind.LEFT, REDIS_ID, "10.0.1.1"),
    ]
    (cluster,) = tracker.clusters
    assert cluster.node == REDIS_ID
    assert cluster.members == frozenset({"10.0.1.2", "10.0.1.3", "10.0.1.4"})


def test_gradual_replacement_of_every_member_keeps_the_id() -> None:
    tracker = ClusterTracker()
    tracker.update(redis("10.0.1.1", "10.0.1.2", "10.0.1.3"))
    tracker.update(redis("10.0.1.2", "10.0.1.3", "10.0.1.4"))
    tracker.update(redis("10.0.1.3", "10.0.1.4", "10.0.1.5"))
    tracker.update(redis("10.0.1.4", "10.0.1.5", "10.0.1.6"))

    (cluster,) = tracker.clusters
    assert cluster.node == REDIS_ID
    assert cluster.members == frozenset({"10.0.1.4", "10.0.1.5", "10.0.1.6"})


def test_replacing_most_members_at_once_is_a_new_cluster() -> None:
    tracker = ClusterTracker()
    tracker.update(redis("10.0.1.1", "10.0.1.2", "10.0.1.3", "10.0.1.4"))

    changes = tracker.update(redis("10.0.1.1", "10.0.1.7", "10.0.1.8", "10.0.1.9"))

    old = ("10.0.1.1", "10.0.1.2", "10.0.1.3", "10.0.1.4")
    new = ("10.0.1.1", "10.0.1.7", "10.0.1.8", "10.0.1.9")
    # The derived name is taken by the dissolving cluster, so the newcomer is numbered.
    assert changes == [
        change(ChangeKind.DISSOLVED, REDIS_ID, *old),
        change(ChangeKind.APPEARED, f"{REDIS_ID}#2", *new),
    ]


def test_dissolved_cluster_is_reported_and_forgotten() -> None:
    tracker = ClusterTracker()
    tracker.update(redis("10.0.1.1", "10.0.1.2"))

    changes = tracker.update([])

    assert changes == [change(ChangeKind.DISSOLVED, REDIS_ID, "10.0.1.1", "10.0.1.2")]
    assert tracker.clusters == ()
    assert tracker.update(redis("10.0.1.1", "10.0.1.2"))[0].kind is ChangeKind.APPEARED


def test_split_keeps_the_id_for_the_larger_part() -> None:
    tracker = ClusterTracker()
    tracker.apply([cluster("c", "10.0.1.1", "10.0.1.2", "10.0.1.3", "10.0.1.4", "10.0.1.5")])

    changes = tracker.apply(
        [cluster("x", "10.0.1.1", "10.0.1.2", "10.0.1.3"), cluster("y", "10.0.1.4", "10.0.1.5")]
    )

    assert changes == [
        change(ChangeKind.LEFT, "c", "10.0.1.4", "10.0.1.5"),
        change(ChangeKind.APPEARED, "y", "10.0.1.4", "10.0.1.5"),
    ]
    assert {c.node for c in tracker.clusters} == {"c", "y"}


def test_merge_keeps_the_id_of_the_larger_old_cluster() -> None:
    tracker = ClusterTracker()
    tracker.apply([cluster("a", "10.0.1.1", "10.0.1.2", "10.0.1.3"), cluster("b", "10.0.2.1")])

    changes = tracker.apply([cluster("z", "10.0.1.1", "10.0.1.2", "10.0.1.3", "10.0.2.1")])

    assert changes == [
        change(ChangeKind.JOINED, "a", "10.0.2.1"),
        change(ChangeKind.DISSOLVED, "b", "10.0.2.1"),
    ]


def test_ids_do_not_carry_over_between_engines() -> None:
    tracker = ClusterTracker()
    tracker.apply([cluster("a", "10.0.1.1", "10.0.1.2")])

    changes = tracker.apply([cluster("a", "10.0.1.1", "10.0.1.2", engine="memcached")])

    assert [c.kind for c in changes] == [ChangeKind.DISSOLVED, ChangeKind.APPEARED]
    assert [c.cluster for c in changes] == ["a", "a#2"]


def test_membership_reflects_the_current_clusters() -> None:
    tracker = ClusterTracker()
    tracker.update(redis("10.0.1.1", "10.0.1.2"))

    membership = tracker.membership()

    assert membership.addresses[("10.0.1.2", 16379)] == REDIS_ID


def test_bad_params_are_refused_with_a_meeseeks_error() -> None:
    with pytest.raises(MeeseeksError, match="keep_id_share"):
        ClusterParams(keep_id_share=0.0)
    with pytest.raises(ClusterParamsError, match="jaccard_threshold"):
        ClusterParams(jaccard_threshold=1.5)


def cluster(node: str, *members: str, engine: str = "redis") -> Cluster:
    return Cluster(
        node=node,
        engine=engine,
        members=frozenset(members),
        member_nodes=frozenset(f"unattributed:{m}" for m in members),
        ports=frozenset({6379}),
        clients=frozenset({"checkout"}),
    )
