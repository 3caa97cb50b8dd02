"""A whole plan on a hand-built estate whose answer was worked out by hand."""

from __future__ import annotations

import json

import pytest

from models.bcp_model import BcpError, BcpEstate, Scenario
from models.bcp_plan import plan_failure
from models.bcp_plan_json import plan_to_dict
from tests.unit.bcp.builders import dep, estate, svc

FAIL_A = Scenario(frozenset({"a"}))


def shop() -> BcpEstate:
    """web -> api -> db; api <-> cache (a cycle); web ~> cdn optional; web -> audit undeclared;
    pay (another flow) -> db; batch runs only in b and depends on nothing in a."""
    return estate(
        [
            svc("web", {"a": 2, "b": 2}, level=0, rto=60, startup=10, flows=["shop"]),
            svc("api", {"a": 3, "b": 1}, level=0, rto=120, startup=20),
            svc("db", {"a": 2}, level=0, rto=300, startup=40, datastore=True),
            svc("cache", {"a": 1, "b": 1}, level=1, startup=5),
            svc("cdn", {"a": 1, "b": 1}),
            svc("audit", {"a": 1, "b": 1}),
            svc("pay", {"a": 1, "b": 1}, rto=50, startup=3, flows=["payments"]),
            svc("batch", {"b": 2}, rto=600, startup=1, flows=["reports"]),
        ],
        [
            dep("web", "api"),
            dep("api", "db"),
            dep("api", "cache"),
            dep("cache", "api"),
            dep("web", "cdn", False),
            dep("web", "audit", None),
            dep("pay", "db"),
        ],
    )


def test_the_plan_for_a_zone_failure() -> None:
    plan = plan_failure(shop(), FAIL_A)
    body = plan_to_dict(plan)

    waves = [[step["services"] for step in wave["steps"]] for wave in body["bring_up"]]
    assert waves == [[["db"]], [["api", "cache"], ["pay"]], [["web"]]]
    assert body["shutdown"] == [
        {"wave": 1, "steps": [["pay"], ["web"]]},
        {"wave": 2, "steps": [["api", "cache"]]},
        {"wave": 3, "steps": [["db"]]},
    ]
    assert body["cycles"] == [["api", "cache"]]
    adds = {row["service"]: (row["action"], row["add"]) for row in body["scale_up"]}
    assert adds == {
        "db": ("start", {"b": 2}),
        "api": ("scale", {"b": 3}),
        "cache": ("scale", {"b": 1}),
        "web": ("scale", {"b": 2}),
        "pay": ("scale", {"b": 1}),
    }
    flows = {flow["flow"]: flow for flow in body["flows"]}
    assert sorted(flows) == ["payments", "shop"]
    assert body["unaffected_flows"] == ["reports"]
    # db 40, then the cycle 20 (api 20, cache 5), then web 10: 70 s against a 60 s RTO.
    assert (flows["shop"]["ready_at"], flows["shop"]["meets_rto"]) == (70.0, False)
    assert flows["shop"]["late_by"] == 10.0
    assert [p["label"] for p in flows["shop"]["critical_path"]] == ["db", "{api, cache}", "web"]
    assert (flows["payments"]["ready_at"], flows["payments"]["meets_rto"]) == (43.0, True)
    assert body["summary"] == {
        "scope_services": 6,
        "flow_members": 3,
        "steps_to_restore": 4,
        "bring_up_waves": 3,
        "shutdown_waves": 3,
        "cycles": 1,
        "instances_to_add": 9,
        "ready_at": 70.0,
        "flows": 2,
        "late_flows": 1,
    }
    assert body["undeclared_edges"] == [{"client": "web", "server": "audit", "port": 80}]
    assert any("web -> audit:80" in warning for warning in body["warnings"])
    assert json.loads(json.dumps(body)) == body


def test_a_cautious_plan_follows_undeclared_edges() -> None:
    plan = plan_failure(shop(), Scenario(frozenset({"a"}), follow_undeclared=True))

    assert "audit" in plan.scope.nodes
    assert plan.scope.undeclared == ()


def test_a_failed_service_restarts_in_place_and_its_dependents_wait() -> None:
    plan = plan_failure(shop(), Scenario(failed_services=frozenset({"db"})))
    body = plan_to_dict(plan)

    waves = [[step["services"] for step in wave["steps"]] for wave in body["bring_up"]]
    assert waves == [[["db"]], [["api", "cache"], ["pay"]], [["web"]]]
    actions = {
        name: a for w in body["bring_up"] for s in w["steps"] for name, a in s["actions"].items()
    }
    assert actions == {"db": "start", "api": "none", "cache": "none", "pay": "none", "web": "none"}
    assert body["summary"]["instances_to_add"] == 0
    flows = {flow["flow"]: flow["ready_at"] for flow in body["flows"]}
    assert flows == {"shop": 40.0, "payments": 40.0}
    assert body["shutdown"] == [{"wave": 1, "steps": [["db"]]}]


def test_a_failing_service_outside_the_scope_is_said_to_be_unplanned() -> None:
    plan = plan_failure(shop(), Scenario(failed_services=frozenset({"cdn"})))

    assert plan.bring_up == ()
    assert "failing service(s) outside the BCP scope, not planned: cdn" in plan.warnings


def test_several_zones_fail_at_once() -> None:
    graph = estate(
        [svc("s", {"a": 1, "b": 1, "c": 1}, startup=1, flows=["f"]), svc("t", {"a": 2, "c": 1})],
        [dep("s", "t")],
    )

    plan = plan_failure(graph, Scenario(frozenset({"a", "b"})))

    assert {name: need.add for name, need in plan.scale_ups.items()} == {
        "s": {"c": 2},
        "t": {"c": 2},
    }


def test_unknown_zones_and_services_are_refused_with_the_known_ones() -> None:
    with pytest.raises(BcpError, match="zone z has no instances in the estate; known zones: a, b"):
        plan_failure(shop(), Scenario(frozenset({"z"})))
    with pytest.raises(BcpError, match="service nope is not in the graph"):
        plan_failure(shop(), Scenario(failed_services=frozenset({"nope"})))
    with pytest.raises(BcpError, match="--fail-zone"):
        Scenario()


def test_missing_annotations_become_warnings_not_guesses() -> None:
    graph = estate(
        [svc("web", {"a": 1, "b": 1}, flows=["shop"]), svc("api", {})], [dep("web", "api")]
    )

    plan = plan_failure(graph, FAIL_A)

    text = "\n".join(plan.warnings)
    assert "1 service(s) have no instance counts (inventory) and could not be sized: api" in text
    assert "1 service(s) to start have no startup time, counted as 0 s" in text
    assert "1 flow(s) have no RTO on any member: shop" in text
    assert plan.flows[0].meets_rto is None
