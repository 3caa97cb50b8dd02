"""The Prometheus alert rules: promtool checks and unit tests, and their fit with the code.

promtool comes from Debian's ``prometheus`` package, which CI installs. Without it these
tests fail (never skip), so a machine that cannot check the rules never reports them good.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry

from capture.metrics import CaptureMetrics
from capture.skips import SkipReason
from models.anomaly_record import AnomalyKind, Severity
from streams.metrics import StreamMetrics

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = ROOT / "config" / "prometheus"
RULES = PROMETHEUS_DIR / "meeseeks-alerts.yml"
SAMPLE_CONFIG = PROMETHEUS_DIR / "prometheus.yml"
RULE_TESTS = sorted((PROMETHEUS_DIR / "tests").glob("*.yml"))
RUNBOOK = ROOT / "docs" / "alerts.md"
METRIC_NAME = re.compile(r"\bmeeseeks_[a-z0-9_]+\b")


def run_promtool(*args: str) -> str:
    """promtool's output; the test fails (never skips) when promtool is missing or fails."""
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail(
            "promtool was not found on PATH: install Debian's `prometheus` package "
            "(sudo apt-get install prometheus), which provides /usr/bin/promtool; "
            "CI installs it for these tests"
        )
    result = subprocess.run(
        [promtool, *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    output = f"$ promtool {' '.join(args)}\n{result.stdout}{result.stderr}"
    if result.returncode != 0:
        pytest.fail(f"promtool exited with {result.returncode}:\n{output}")
    return output


def alert_rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def rule_test_cases() -> list[dict[str, Any]]:
    cases = []
    for path in RULE_TESTS:
        for test in yaml.safe_load(path.read_text())["tests"]:
            cases.extend(test.get("alert_rule_test", []))
    return cases


def exported_metric_names() -> set[str]:
    """Names of the series the worker and the capture export, suffixes included."""
    registry = CollectorRegistry()
    StreamMetrics.create(registry)
    CaptureMetrics(registry)
    suffixes = {"counter": ["_total"], "gauge": [""], "histogram": ["_bucket", "_sum", "_count"]}
    return {
        family.name + suffix
        for family in registry.collect()
        for suffix in suffixes.get(family.type, [""])
    }


def test_promtool_checks_the_rules() -> None:
    output = run_promtool("check", "rules", str(RULES.relative_to(ROOT)))
    assert f"SUCCESS: {len(alert_rules())} rules found" in output, output


def test_promtool_unit_tests_pass() -> None:
    assert RULE_TESTS, "no promtool tests in config/prometheus/tests"
    run_promtool("test", "rules", *(str(p.relative_to(ROOT)) for p in RULE_TESTS))


def test_promtool_checks_the_sample_config() -> None:
    output = run_promtool("check", "config", str(SAMPLE_CONFIG.relative_to(ROOT)))
    assert "2 rule files found" in output, output


def test_one_alert_per_anomaly_kind_with_the_anomaly_severity() -> None:
    by_kind: dict[str, list[str]] = {}
    for rule in alert_rules():
        if "meeseeks_anomalies_active" in rule["expr"]:
            kinds = re.findall(r'kind="([a-z_]+)"', rule["expr"])
            assert len(kinds) == 1, f"{rule['alert']} should select exactly one kind"
            by_kind.setdefault(kinds[0], []).append(rule["alert"])
            assert "sum by (kind, severity)" in rule["expr"], rule["alert"]
            assert "severity" not in rule.get("labels", {}), (
                f"{rule['alert']} must keep the anomaly's own severity label"
            )
    assert sorted(by_kind) == sorted(kind.value for kind in AnomalyKind)
    assert all(len(alerts) == 1 for alerts in by_kind.values()), by_kind


def test_every_alert_has_severity_annotations_and_a_runbook_section() -> None:
    runbook = RUNBOOK.read_text()
    anchors = {
        re.sub(r"[^a-z0-9_-]", "", line.lstrip("#").strip().lower().replace(" ", "-"))
        for line in runbook.splitlines()
        if line.startswith("#")
    }
    names = [rule["alert"] for rule in alert_rules()]
    assert len(names) == len(set(names)), "duplicate alert names"
    for rule in alert_rules():
        name = rule["alert"]
        assert name.startswith("Meeseeks"), name
        assert "for" in rule, f"{name} should state its `for:` even when 0s"
        severity = rule.get("labels", {}).get("severity")
        if "meeseeks_anomalies_active" not in rule["expr"]:
            assert severity in {s.value for s in Severity}, f"{name}: severity {severity!r}"
        annotations = rule["annotations"]
        assert {"summary", "description", "runbook"} <= annotations.keys(), name
        assert annotations["runbook"] == f"docs/alerts.md#{name.lower()}", name
        assert name.lower() in anchors, f"docs/alerts.md has no section for {name}"


def test_rules_only_use_metrics_the_code_exports() -> None:
    exported = exported_metric_names()
    used = {name for rule in alert_rules() for name in METRIC_NAME.findall(rule["expr"])}
    assert used, "no Meeseeks metric in the rules"
    assert used <= exported, f"not exported by streams/ or capture/: {sorted(used - exported)}"
    for rule in alert_rules():
        for reason in re.findall(r'reason!?=~?"([a-z_]+)"', rule["expr"]):
            assert reason in {r.value for r in SkipReason}, f"{rule['alert']}: {reason}"


def test_rules_name_the_jobs_of_the_sample_config() -> None:
    config = yaml.safe_load(SAMPLE_CONFIG.read_text())
    jobs = {job["job_name"] for job in config["scrape_configs"]}
    used = {job for rule in alert_rules() for job in re.findall(r'job="([^"]+)"', rule["expr"])}
    assert used == jobs == {"meeseeks-worker", "meeseeks-capture"}
    # The stream's rules and the BCP checks' rules (tested in tests/unit/bcp/), each file once.
    assert config["rule_files"] == [RULES.name, "bcp-alerts.yml"]
    assert all((PROMETHEUS_DIR / name).is_file() for name in config["rule_files"])


def test_every_alert_is_tested_firing_and_quiet() -> None:
    cases = rule_test_cases()
    fired = {case["alertname"] for case in cases if case.get("exp_alerts")}
    quiet = {case["alertname"] for case in cases if not case.get("exp_alerts")}
    names = {rule["alert"] for rule in alert_rules()}
    assert names - fired == set(), "alerts never tested firing"
    assert names - quiet == set(), "alerts never tested staying quiet"
    assert {case["alertname"] for case in cases} <= names, "tests name an unknown alert"
