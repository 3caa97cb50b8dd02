"""The worker's /topology/ views over HTTP, on an in-process Faust web server (no Kafka)."""

from __future__ import annotations

from typing import Any

import pytest

from models.topology import EdgeKey
from tests.unit.queries.conftest import T0, Worker, serving, stored_edge


async def get(worker: Worker, path: str) -> tuple[int, Any]:
    response = await worker.client.get(path)
    return response.status, await response.json()


async def test_the_topology_and_its_filters(worker: Worker) -> None:
    status, body = await get(worker, "/topology/?service=api&limit=2")

    assert status == 200
    assert [(e["client"], e["server"]) for e in body["edges"]] == [
        ("api", "db"),
        ("api", "unattributed:10.0.5.1"),
    ]
    assert body["truncated"] is True
    assert body["feed"] == {"ready": False, "applied": 0, "skipped": 0, "topics": {}}
    status, plain = await get(worker, "/topology")
    assert (status, plain["total_edges"]) == (200, 7)


async def test_neighbours_clusters_anomalies_unattributed(worker: Worker) -> None:
    status, body = await get(worker, "/topology/neighbours/web/?direction=down&hops=2")
    assert status == 200
    assert [n["name"] for n in body["downstream"]][:2] == ["api", "unattributed:10.9.9.9"]
    status, body = await get(worker, "/topology/neighbours/unattributed%3A10.0.5.1/?direction=up")
    assert (status, [n["name"] for n in body["upstream"]]) == (
        200,
        ["api", "unattributed:10.0.5.2"],
    )
    status, body = await get(worker, "/topology/clusters/")
    assert (status, body["clusters"]) == (200, [])
    status, body = await get(worker, "/topology/anomalies/?kind=failing_edge")
    assert (status, body["anomalies"]) == (200, [])
    status, body = await get(worker, "/topology/unattributed/?limit=1")
    assert status == 200
    assert [row["address"] for row in body["unattributed"]] == ["10.9.9.8"]


async def test_one_edge_is_answered_from_the_table_of_its_servers_owner(worker: Worker) -> None:
    edge = EdgeKey("web", "api", 8080)
    worker.topology.edge_table[edge.encode()] = stored_edge(edge, 3)

    status, body = await get(worker, "/topology/edges/api/web/8080/")

    assert status == 200
    assert (body["client"], body["server"], body["port"]) == ("web", "api", 8080)
    assert (body["attempts"], body["answered"]) == (12, 9)
    assert [w["start"] for w in body["history"]] == [T0, T0 + 60, T0 + 120]
    assert body["history"][0] == {
        "start": T0,
        "attempts": 4,
        "answered": 3,
        "client_instances": 2,
        "answer_ratio": 0.75,
    }
    assert body["client_instance_ids"] == ["i-1", "i-2"]
    assert worker.owners.asked == ["api"]


async def test_a_worker_that_does_not_own_the_server_forwards_to_the_owner(
    worker: Worker,
) -> None:
    edge = EdgeKey("web", "api", 8080)
    async with serving("query-views-owner") as owner:
        owner.topology.edge_table[edge.encode()] = stored_edge(edge, 2)
        worker.owners.owner = owner.url()

        status, body = await get(worker, "/topology/edges/api/web/8080/")
        assert (status, body["attempts"]) == (200, 8)
        status, body = await get(worker, "/topology/edges/api/web/81/")
        assert status == 404
        assert "port 81" in body["error"]
        # The owner answered both itself (the forwarded request is marked) and asked no one.
        assert owner.owners.asked == ["api", "api"]
    # The owner is gone: a 503 that says to retry, not a 500.
    status, body = await get(worker, "/topology/edges/api/web/8080/")
    assert (status, body["status"]) == (503, 503)
    assert "did not answer" in body["error"]


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/topology/edges/api/web/80/", 404, "no edge from 'web' to 'api' on port 80"),
        ("/topology/edges/api/web/http/", 400, "port must be a whole number"),
        ("/topology/edges/api/web/99999/", 400, "port must be a whole number"),
        (f"/topology/edges/{'a' * 300}/web/80/", 400, "server is 300 characters long"),
        ("/topology/edges/api/web%7Cx/80/", 400, "client contains '|'"),
        ("/topology/neighbours/web/?hops=11", 400, "hops must be a whole number from 1 to 10"),
        ("/topology/neighbours/web/?hops=-1", 400, "hops must be a whole number"),
        ("/topology/neighbours/web/?direction=left", 400, "direction must be down, up or both"),
        ("/topology/neighbours/nobody/", 404, "node 'nobody' is not in the graph"),
        (f"/topology/neighbours/{'n' * 5000}/", 400, "characters long"),
        ("/topology/?kind=router", 400, "kind must be service, cluster or unattributed"),
        ("/topology/?clustered=maybe", 400, "clustered must be 1 or 0"),
        ("/topology/?limit=-5", 400, "limit must be a whole number"),
        ("/topology/?zone=%00", 400, "control or invisible characters"),
        ("/topology/anomalies/?kind=x", 400, "kind must be one of"),
        ("/topology/unattributed/?limit=NaN", 400, "limit must be a whole number"),
    ],
)
async def test_hostile_requests_get_a_json_reason_never_a_500(
    worker: Worker, path: str, status: int, message: str
) -> None:
    got, body = await get(worker, path)

    assert (got, body["status"]) == (status, status)
    assert message in body["error"]


async def test_a_stored_value_that_is_not_an_edge_state_is_reported(worker: Worker) -> None:
    worker.topology.edge_table[EdgeKey("web", "api", 8080).encode()] = {"s": {"v": 99}, "a": {}}

    status, body = await get(worker, "/topology/edges/api/web/8080/")

    assert status == 500
    assert "edge state version 99" in body["error"]
