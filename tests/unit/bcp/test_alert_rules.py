"""The BCP alert rules: promtool checks and unit tests, and their fit with the code and runbook.

Like tests/unit/test_alert_rules.py, these fail (never skip) without promtool.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from prometheus_client import CollectorRegistry

from models.anomaly_record import Severity
from models.bcp_finding import FindingKind
from sinks.bcp_metrics import BcpMetrics
from tests.unit.test_alert_rules import METRIC_NAME, ROOT, run_promtool

RULES = ROOT / "config" / "prometheus" / "bcp-alerts.yml"
RULE_TESTS = sorted((ROOT / "config" / "prometheus" / "bcp-tests").glob("*.yml"))
RUNBOOK = ROOT / "docs" / "bcp-alerts.md"


def alert_rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_promtool_checks_and_tests_the_rules() -> None:
    output = run_promtool("check", "rules", relative(RULES))
    assert f"SUCCESS: {len(alert_rules())} rules found" in output, output
    assert RULE_TESTS, "no promtool tests in config/prometheus/bcp-tests"
    run_promtool("test", "rules", *(relative(p) for p in RULE_TESTS))


def test_one_alert_per_finding_kind_with_the_finding_severity() -> None:
    by_kind: dict[str, str] = {}
    for rule in alert_rules():
        if "meeseeks_bcp_findings_active" in rule["expr"]:
            (kind,) = re.findall(r'kind="([a-z_]+)"', rule["expr"])
            assert kind not in by_kind, f"two alerts for {kind}"
            by_kind[kind] = rule["alert"]
            assert "max by (kind, severity)" in rule["expr"], rule["alert"]
            assert "severity" not in rule["labels"], rule["alert"]
    assert sorted(by_kind) == sorted(kind.value for kind in FindingKind)


def test_every_alert_has_annotations_a_runbook_section_and_known_metrics() -> None:
    runbook = RUNBOOK.read_text()
    anchors = {
        line.lstrip("#").strip().lower() for line in runbook.splitlines() if line.startswith("#")
    }
    registry = CollectorRegistry()
    BcpMetrics.create(registry)
    suffixes = {"counter": ["_total"], "gauge": [""]}
    exported = {f.name + s for f in registry.collect() for s in suffixes[f.type]}
    for rule in alert_rules():
        name = rule["alert"]
        assert name.startswith("Meeseeks"), name
        assert "for" in rule, f"{name} should state its `for:` even when 0s"
        if "meeseeks_bcp_findings_active" not in rule["expr"]:
            assert rule["labels"]["severity"] in {s.value for s in Severity}, name
        assert rule["annotations"]["runbook"] == f"docs/bcp-alerts.md#{name.lower()}"
        assert name.lower() in anchors, f"docs/bcp-alerts.md has no section for {name}"
        used = set(METRIC_NAME.findall(rule["expr"]))
        assert used, f"{name} uses no Meeseeks metric"
        assert used <= exported, f"{name} uses {sorted(used - exported)}"


def test_every_alert_is_tested_firing_and_quiet() -> None:
    cases = [
        case
        for path in RULE_TESTS
        for test in yaml.safe_load(path.read_text())["tests"]
        for case in test.get("alert_rule_test", [])
    ]
    names = {rule["alert"] for rule in alert_rules()}
    assert names == {case["alertname"] for case in cases if case.get("exp_alerts")}
    assert names == {case["alertname"] for case in cases if not case.get("exp_alerts")}
