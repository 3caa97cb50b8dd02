"""One hand-built case per finding kind, each with a near miss that must stay quiet."""

from __future__ import annotations

from models.anomaly_record import Severity
from models.bcp_checks import CheckParams, check_estate
from models.bcp_finding import BcpFinding, FindingKind
from tests.unit.bcp.builders import dep, estate, svc

DAY = 86400.0
PARAMS = CheckParams(learning_seconds=DAY)
NOW = 10 * DAY


def found(*args, **kwargs) -> dict[str, BcpFinding]:  # type: ignore[no-untyped-def]
    return {f.dedup_key: f for f in check_estate(estate(*args, **kwargs), PARAMS)}


def of_kind(findings: dict[str, BcpFinding], kind: FindingKind) -> dict[str, BcpFinding]:
    return {key: f for key, f in findings.items() if f.kind is kind}


def test_criticality_inversion_by_level_and_by_rto() -> None:
    findings = found(
        [
            svc("web", level=0, rto=900, flows=["shop"]),
            svc("api", level=2, rto=600),  # less critical, shorter RTO: warning
            svc("db", level=0, rto=3600),  # as critical, longer RTO: critical
            svc("ok", level=0, rto=900),  # same level and RTO: fine
            svc("log", level=3, rto=99999),  # optional edge: fine
        ],
        [dep("web", "api"), dep("web", "db"), dep("web", "ok"), dep("web", "log", False)],
        at=NOW,
    )

    inversions = of_kind(findings, FindingKind.CRITICALITY_INVERSION)
    assert sorted(inversions) == [
        "criticality_inversion:web|api|80",
        "criticality_inversion:web|db|80",
    ]
    api, db = (
        inversions["criticality_inversion:web|api|80"],
        inversions["criticality_inversion:web|db|80"],
    )
    assert (api.severity, dict(api.values)) == (
        Severity.WARNING,
        {"client_level": 0.0, "server_level": 2.0},
    )
    assert "P2 under P0" in api.message
    assert (db.severity, dict(db.values)) == (
        Severity.CRITICAL,
        {"client_rto": 900.0, "server_rto": 3600.0},
    )


def test_undeclared_dependency_from_a_bcp_service_with_recent_traffic() -> None:
    findings = found(
        [svc("web", flows=["shop"]), svc("api"), svc("mail"), svc("old"), svc("batch")],
        [
            dep("web", "api"),
            dep("api", "mail", None, rate=2.5, seen=NOW - 60),  # api is in scope: reported
            dep("web", "old", None, seen=NOW - 2 * DAY),  # silent for longer than learning
            dep("batch", "mail", None, seen=NOW),  # batch is not a BCP service
            dep("web", "mail", False, seen=NOW),  # declared optional
        ],
        at=NOW,
    )

    undeclared = of_kind(findings, FindingKind.UNDECLARED_DEPENDENCY)
    assert list(undeclared) == ["undeclared_dependency:api|mail|80"]
    assert "2.5/s" in undeclared["undeclared_dependency:api|mail|80"].message


def test_unobserved_essential_edge_only_after_the_learning_period() -> None:
    services = [svc("web", flows=["shop"]), svc("api"), svc("idp"), svc("db")]
    edges = [
        dep("web", "api", seen=NOW - 60),  # busy: fine
        dep("web", "idp", seen=None),  # declared, never seen
        dep("api", "db", seen=NOW - 3 * DAY),  # went silent three days ago
    ]

    learned = of_kind(found(services, edges, at=NOW, since=0.0), FindingKind.UNOBSERVED_DEPENDENCY)
    young = of_kind(
        found(services, edges, at=NOW, since=NOW - 3600), FindingKind.UNOBSERVED_DEPENDENCY
    )
    unknown = of_kind(found(services, edges, at=NOW), FindingKind.UNOBSERVED_DEPENDENCY)

    assert sorted(learned) == [
        "unobserved_dependency:api|db|80",
        "unobserved_dependency:web|idp|80",
    ]
    assert "never observed" in learned["unobserved_dependency:web|idp|80"].message
    assert "silent for 259200s" in learned["unobserved_dependency:api|db|80"].message
    assert young == unknown == {}


def test_single_zone_bcp_services_and_data_store_clusters() -> None:
    findings = found(
        [
            svc("web", {"a": 2, "b": 2}, flows=["shop"]),
            svc("api", {"a": 3}),  # in scope, one zone: critical
            svc("cluster:redis:x", {"b": 3}, datastore=True),  # out of scope store: warning
            svc("tool", {"a": 1}),  # neither: fine
            svc("unknown", {}),  # no counts: cannot judge
        ],
        [dep("web", "api"), dep("web", "unknown")],
        at=NOW,
    )

    single = of_kind(findings, FindingKind.SINGLE_ZONE)
    assert {key: f.severity for key, f in single.items()} == {
        "single_zone:api": Severity.CRITICAL,
        "single_zone:cluster:redis:x": Severity.WARNING,
    }
    assert dict(single["single_zone:api"].values) == {"instances": 3.0}


def test_cross_zone_essential_edge() -> None:
    findings = found(
        [
            svc("web", {"a": 1, "b": 1, "c": 1}, flows=["shop"]),
            svc("api", {"a": 1, "b": 1}),
            svc("db", {"a": 2, "b": 1}),
            svc("log", {"a": 1}),
        ],
        [dep("web", "api"), dep("api", "db"), dep("web", "log", False)],
        at=NOW,
    )

    cross = of_kind(findings, FindingKind.CROSS_ZONE_DEPENDENCY)
    assert list(cross) == ["cross_zone_dependency:web|api|80"]
    assert "no instance in zone c" in cross["cross_zone_dependency:web|api|80"].message


def test_a_clean_estate_has_no_findings() -> None:
    assert (
        found(
            [svc("web", level=0, rto=60, flows=["shop"]), svc("api", level=0, rto=60)],
            [dep("web", "api", seen=NOW)],
            at=NOW,
            since=0.0,
        )
        == {}
    )
