"""Hosts in Linux network namespaces for the real-network test, and the programs they run.

``Lab`` makes namespaces named after a random token (so parallel runs never clash), joins
hosts to a "switch" namespace holding a bridge, mirrors TCP SYNs with tc the way a switch's
mirror session would, and removes everything again. Run as a module, this file is the peer
program inside a namespace: ``serve PORT...`` (a TCP listener that accepts and closes) or
``connect`` (connections at a given time, reporting each outcome as JSON).
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import os
import random
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SWITCH = "sw"
# u32 at the IP header of a frame entering a switch port: protocol TCP, no IP options
# (IHL 5, what kernels send with SYNs), SYN flag set (SYN and SYN-ACK alike).
SYN_MATCH = (
    *("match", "ip", "protocol", "6", "0xff"),
    *("match", "u8", "0x05", "0x0f", "at", "0"),
    *("match", "u8", "0x02", "0x02", "at", "33"),
)


class LabError(RuntimeError):
    """An ip/tc command failed; the message holds the command and what it said."""


def command(*args: str) -> str:
    result = subprocess.run(args, capture_output=True, text=True, timeout=30, check=False)
    if result.returncode != 0:
        raise LabError(f"`{' '.join(args)}` failed: {result.stderr.strip() or result.stdout}")
    return result.stdout


def cannot_build() -> str | None:
    """Why this machine cannot run the lab (tried for real), or None when it can."""
    for tool in ("ip", "tc"):
        if shutil.which(tool) is None:
            return f"`{tool}` (iproute2) is not installed"
    probe = Lab()
    try:
        probe.switch()
        probe.host("a", "198.51.100.1/24")
        mirror = probe.mirror_port("b")
        probe.mirror_syns("a", mirror)
    except LabError as exc:
        return f"cannot build network namespaces with a tc mirror here (root needed): {exc}"
    finally:
        probe.close()
    return None


class Lab:
    """Namespaces, links and processes of one test, all removed by ``close()``."""

    def __init__(self) -> None:
        self.token = uuid.uuid4().hex[:6]
        self.namespaces: list[str] = []
        self.root_links: list[str] = []
        self.processes: list[subprocess.Popen[bytes]] = []

    def ns(self, role: str) -> str:
        return f"mk{self.token}-{role}"

    def port(self, role: str) -> str:
        """The switch port facing ``role`` (interface names have at most 15 characters)."""
        return f"p{role}{self.token}"[:15]

    def namespace(self, role: str) -> str:
        name = self.ns(role)
        command("ip", "netns", "add", name)
        self.namespaces.append(name)
        # No IPv6 chatter (router solicitations, MLD): only the traffic the test makes.
        for conf in ("all", "default"):
            path = f"/proc/sys/net/ipv6/conf/{conf}/disable_ipv6"
            with contextlib.suppress(LabError):
                command("ip", "netns", "exec", name, "sh", "-c", f"echo 1 > {path}")
        command("ip", "-n", name, "link", "set", "lo", "up")
        return name

    def switch(self) -> None:
        """The switch: a namespace with one bridge that host ports join."""
        name = self.namespace(SWITCH)
        command("ip", "-n", name, "link", "add", "br0", "type", "bridge")
        command("ip", "-n", name, "link", "set", "br0", "up")

    def host(self, role: str, address: str) -> str:
        """A host namespace with ``eth0`` at ``address`` (CIDR), plugged into the switch."""
        name, port = self.namespace(role), self.port(role)
        self._cable(name, port)
        command("ip", "-n", self.ns(SWITCH), "link", "set", port, "master", "br0")
        command("ip", "-n", name, "addr", "add", address, "dev", "eth0")
        return name

    def mirror_port(self, role: str) -> str:
        """A switch port outside the bridge whose peer is ``eth0`` in host ``role``."""
        port = self.port(role)
        self._cable(self.namespace(role), port)
        return port

    def _cable(self, host: str, port: str) -> None:
        """A veth from ``eth0`` in namespace ``host`` to switch port ``port``, both up."""
        switch = self.ns(SWITCH)
        veth = ["eth0", "netns", host, "type", "veth", "peer", "name", port, "netns", switch]
        command("ip", "link", "add", *veth)
        command("ip", "-n", switch, "link", "set", port, "up")
        command("ip", "-n", host, "link", "set", "eth0", "up")

    def mirror_syns(self, role: str, mirror: str) -> None:
        """Copy every TCP SYN entering the switch from host ``role`` to port ``mirror``."""
        switch, port = self.ns(SWITCH), self.port(role)
        command("tc", "-n", switch, "qdisc", "add", "dev", port, "clsact")
        mirred = ("action", "mirred", "egress", "mirror", "dev", mirror)
        where = ("dev", port, "ingress", "protocol", "ip")
        command("tc", "-n", switch, "filter", "add", *where, "u32", *SYN_MATCH, *mirred)

    def uplink(self, role: str, network: ipaddress.IPv4Network) -> tuple[str, str]:
        """A second link from host ``role`` into the root namespace, on ``network`` (a /30):
        the way to the processor host. Returns (host address, root address)."""
        first, second = (str(address) for address in list(network.hosts())[:2])
        name, root = self.ns(role), f"mk{self.token}up"
        command("ip", "link", "add", root, "type", "veth", "peer", "name", "uplink", "netns", name)
        self.root_links.append(root)
        command("ip", "addr", "add", f"{second}/{network.prefixlen}", "dev", root)
        command("ip", "link", "set", root, "up")
        command("ip", "-n", name, "addr", "add", f"{first}/{network.prefixlen}", "dev", "uplink")
        command("ip", "-n", name, "link", "set", "uplink", "up")
        return first, second

    def start(self, role: str, args: Sequence[str], log: Path) -> subprocess.Popen[bytes]:
        """A process inside host ``role`` (its own session, so it can be signalled alone)."""
        with log.open("ab") as out:
            process = subprocess.Popen(
                ["ip", "netns", "exec", self.ns(role), *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
        self.processes.append(process)
        return process

    def close(self) -> None:
        """Stop the processes, then remove every namespace and root link (errors ignored)."""
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(10)
        for name in reversed(self.namespaces):
            subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)
        for link in self.root_links:
            subprocess.run(["ip", "link", "del", link], capture_output=True, check=False)


def free_uplink_network() -> ipaddress.IPv4Network:
    """A random /30 of 100.64.0.0/10 (shared address space) not configured on this host."""
    in_use = command("ip", "-4", "-o", "addr", "show")
    for _ in range(100):
        network = ipaddress.IPv4Network(
            f"100.{random.randrange(64, 128)}.{random.randrange(256)}."
            f"{random.randrange(0, 256, 4)}/30"
        )
        if not any(f" {address}/" in in_use for address in network):
            return network
    raise LabError("no free /30 in 100.64.0.0/10 for the uplink")


# -- the programs that run inside the namespaces -------------------------------------------


def serve(ports: Sequence[int]) -> None:
    """Listen on ``ports``, accept and close every connection, until SIGTERM."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    selector = selectors.DefaultSelector()
    listeners = {}
    for port in ports:
        listener = socket.create_server(("0.0.0.0", port), backlog=256)
        selector.register(listener, selectors.EVENT_READ)
        listeners[listener.fileno()] = listener
    print("listening", flush=True)
    while True:
        for key, _ in selector.select():
            connection, _ = listeners[key.fd].accept()
            connection.close()


def connect(at: float, targets: Sequence[str]) -> None:
    """At epoch ``at``, open COUNT connections to each ADDR:PORT:COUNT; print the outcomes."""
    time.sleep(max(0.0, at - time.time()))
    outcomes = []
    for target in targets:
        address, port, count = target.rsplit(":", 2)
        for _ in range(int(count)):
            with socket.socket() as client:
                client.settimeout(5)
                try:
                    client.connect((address, int(port)))
                    outcome = "answered"
                except ConnectionRefusedError:
                    outcome = "refused"
                except OSError as exc:
                    outcome = f"error {exc!r}"
            outcomes.append({"dst": address, "port": int(port), "outcome": outcome})
    print(json.dumps(outcomes), flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="netns")
    roles = parser.add_subparsers(dest="role", required=True)
    server = roles.add_parser("serve")
    server.add_argument("ports", type=int, nargs="+")
    client = roles.add_parser("connect")
    client.add_argument("--at", type=float, required=True)
    client.add_argument("targets", nargs="+", help="ADDR:PORT:COUNT")
    args = parser.parse_args(argv)
    if args.role == "serve":
        serve(args.ports)
    else:
        connect(args.at, args.targets)


if __name__ == "__main__":
    main()
