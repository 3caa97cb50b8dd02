"""The port scanner: one undeclared host sweeping a service range and an empty range, one SYN each.

Every live host runs sshd, so port 22 answers; a live host's other ports answer when something
listens there and refuse (RST) otherwise; addresses without a host stay silent. Targets are
named the way the inventory names them (a pod block's free address is still its service's),
and addresses whose owner changes during the run are skipped so that the name never depends
on the scan's timing. The sweep has about ten targets per service (both /24s whole from 153
services on), so that a small estate's graph is not mostly scanner.
"""

from __future__ import annotations

import random
from typing import Final

from bench.estate import addressing
from bench.estate.addressing import StaticOwners
from bench.estate.model import Endpoint, Estate, EstateParams, Scan, ScanTarget, unattributed

SCAN_PORTS: Final = (22, 8080, 3306)
SCANNED_NETS: Final = ("10.10.0", addressing.DARK_NET)
SPACING: Final = 0.02
"""Seconds between two SYNs of the sweep."""


def scan(rng: random.Random, params: EstateParams, estate: Estate) -> Scan:
    """The sweep, starting half-way through the run, targets in random order."""
    static = StaticOwners(estate.owners)
    live: set[str] = set()
    listening: set[tuple[str, int]] = set()
    for flow in estate.flows:
        live.update(e.address for e in flow.clients)
        if flow.answered:
            live.update(e.address for e in flow.servers)
            listening.update((e.address, flow.port) for e in flow.servers)
    for probe in estate.probes:
        if probe.answered:
            live.update(e.address for e in probe.servers)
            listening.update((e.address, probe.port) for e in probe.servers)
    targets = []
    hosts = min(254, max(16, params.services * 10 // (len(SCANNED_NETS) * len(SCAN_PORTS))))
    for net in SCANNED_NETS:
        for host in range(1, hosts + 1):
            address = f"{net}.{host}"
            if address in static.bounded:
                continue
            node = static.service(address) or unattributed(address)
            for port in SCAN_PORTS:
                alive = address in live
                answers = alive and (port == 22 or (address, port) in listening)
                targets.append(ScanTarget(address, port, node, answers, alive and not answers))
    rng.shuffle(targets)
    source = Endpoint(addressing.SCANNER, unattributed(addressing.SCANNER), None, 0.0, 1e12)
    start = params.start + (params.end - params.start) / 2
    return Scan(source, tuple(targets), start, SPACING)
