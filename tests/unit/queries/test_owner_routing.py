"""Which worker owns a server's edges: the partition of the server, per the group's assignment."""

from __future__ import annotations

from typing import Any

import faust
import pytest
from aiohttp.test_utils import make_mocked_request
from yarl import URL

from streams.owner_routing import ROUTED_HEADER, OwnerRouter, OwnerUnknownError
from streams.partitioning import partition_of

ONE, TWO = "http://10.0.0.1:6066", "http://10.0.0.2:6066"


@pytest.fixture
def router() -> OwnerRouter:
    app = faust.App("owner-routing-test", web_host="10.0.0.1", web_port=6066)
    assignment: dict[str, Any] = {
        ONE: {"deltas": [0, 2], "connections": [1, 3]},
        TWO: {"deltas": [1], "connections": [0, 2]},
    }
    app.router.external_topics_metadata = lambda: assignment  # type: ignore[method-assign]
    return OwnerRouter(app, "deltas", 4)


def test_the_owner_is_the_worker_assigned_the_servers_delta_partition(
    router: OwnerRouter,
) -> None:
    # Partitions of the names: web 0, db 2, cart 1, auth 3 (nobody's).
    assert [partition_of(name, 4) for name in ("web", "db", "cart", "auth")] == [0, 2, 1, 3]
    assert router.owner_of("web") == URL(ONE)
    assert router.owner_of("db") == URL(ONE)
    assert router.owner_of("cart") == URL(TWO)
    with pytest.raises(OwnerUnknownError, match="partition 3 of deltas"):
        router.owner_of("auth")


def test_a_request_is_answered_by_its_owner_or_where_it_was_forwarded(
    router: OwnerRouter,
) -> None:
    plain = make_mocked_request("GET", "/topology/edges/api/web/80/")
    forwarded = make_mocked_request(
        "GET", "/topology/edges/api/web/80/", headers={ROUTED_HEADER: "1"}
    )

    assert router.answers_here(plain, URL(ONE))
    assert not router.answers_here(plain, URL(TWO))
    assert router.answers_here(forwarded, URL(TWO))
