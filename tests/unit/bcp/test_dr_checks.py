"""Data-DR: backup interval against RPO, last backup against RPO, on literal numbers."""

from __future__ import annotations

import pytest

from models.anomaly_record import Severity
from models.bcp_finding import FindingKind
from models.bcp_model import BcpError
from models.dr_checks import DataStoreDr, check_backups

NOW = 1_714_600_000.0
HOUR = 3600.0


def test_a_schedule_slower_than_the_rpo_and_an_overdue_backup() -> None:
    stores = [
        DataStoreDr(
            "orders-db",
            rpo_seconds=4 * HOUR,
            backup_interval_seconds=24 * HOUR,
            last_backup=NOW - HOUR,
        ),
        DataStoreDr(
            "ledger-db",
            rpo_seconds=4 * HOUR,
            backup_interval_seconds=HOUR,
            last_backup=NOW - 5 * HOUR,
        ),
        DataStoreDr(
            "fine-db",
            rpo_seconds=4 * HOUR,
            backup_interval_seconds=4 * HOUR,
            last_backup=NOW - 4 * HOUR,
        ),
        DataStoreDr("no-rpo", backup_interval_seconds=48 * HOUR),
    ]

    findings = {f.dedup_key: f for f in check_backups(stores, NOW)}

    assert sorted(findings) == ["dr_backup_overdue:ledger-db", "dr_schedule:orders-db"]
    schedule = findings["dr_schedule:orders-db"]
    assert (schedule.kind, schedule.severity) == (FindingKind.DR_SCHEDULE, Severity.WARNING)
    assert dict(schedule.values) == {"backup_interval": 86400.0, "rpo": 14400.0}
    assert "every 1d but its RPO is 4h" in schedule.message
    overdue = findings["dr_backup_overdue:ledger-db"]
    assert overdue.severity is Severity.CRITICAL
    assert dict(overdue.values) == {
        "backup_age": 18000.0,
        "rpo": 14400.0,
        "last_backup": NOW - 5 * HOUR,
    }
    assert "5h old, beyond its RPO of 4h" in overdue.message


def test_no_recorded_backup_is_a_warning() -> None:
    (finding,) = check_backups([DataStoreDr("s", rpo_seconds=60.0)], NOW)

    assert (finding.kind, finding.severity) == (FindingKind.DR_BACKUP_OVERDUE, Severity.WARNING)
    assert "no successful backup on record" in finding.message


def test_bad_numbers_are_refused() -> None:
    with pytest.raises(BcpError, match="rpo_seconds -1"):
        DataStoreDr("s", rpo_seconds=-1)
