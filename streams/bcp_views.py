"""The BCP planner on the worker: HTTP views, and the checks on a timer.

::

    GET /bcp/plan/?fail_zone=a[,b][&fail_service=x][&follow_undeclared=1][&format=json|dot]
    GET /bcp/findings/                      the findings of the last check run

The graph and the overlays come from the graph store (opened at first use, in a thread), the
instances per zone from this worker's inventory. Every worker runs the checks every
``MEESEEKS_BCP_CHECK_SECONDS`` and exports the same gauges (the alert rules take the max);
only the Faust leader publishes the finding events and the DR events, so each goes out once
(a worker that becomes the leader first announces everything raised; both topics are keyed
by the condition, so readers keep the latest event of each).
A bad parameter or an unknown zone gets 400, a store that cannot be read 503.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import faust
from faust.exceptions import ConsumerNotStarted
from faust.web import Request, Response, View

from models.anomaly_tracker import TransitionKind
from models.bcp_checks import CheckParams
from models.bcp_finding import FindingEvent
from models.bcp_model import BcpError, Scenario
from models.bcp_plan import plan_failure
from models.bcp_plan_json import plan_to_dict
from models.errors import MeeseeksError
from models.query_input import BadQueryError, check_flag, check_name
from sinks.bcp_metrics import BcpMetrics
from sinks.bcp_publish import publish_events
from sinks.bcp_render import plan_dot
from sinks.bcp_service import BcpChecker, evaluate, late_flows_by_zone
from sinks.bcp_sources import BcpInputs, Placement, inputs_from_store
from sinks.store import GraphStore

if TYPE_CHECKING:
    from streams.topology import Topology

logger = logging.getLogger(__name__)

DOT_TYPE = "text/vnd.graphviz"
_RAW: dict[str, Any] = {"key_type": bytes, "value_type": bytes, "key_serializer": "raw",
                        "value_serializer": "raw"}  # fmt: skip


class BcpWorker:
    """The store, the checker and the last inputs of one worker."""

    def __init__(self, topology: Topology, store: GraphStore | None = None) -> None:
        self.topology = topology
        self.settings = topology.settings
        self.metrics = BcpMetrics.create(topology.registry)
        self.checker = BcpChecker(
            CheckParams(learning_seconds=self.settings.learning_period_seconds), self.metrics
        )
        self._store = store
        self._lock = threading.Lock()
        self._inputs: tuple[float, BcpInputs] | None = None
        self._leading = False

    def store(self) -> GraphStore:
        with self._lock:
            if self._store is None:
                from sinks.store_url import open_store, store_url_of

                self._store = open_store(store_url_of(self.settings), self.settings)
            return self._store

    def loader(self) -> Callable[[], BcpInputs]:
        """A load function for a thread: the inventory is copied here, on the event loop."""
        records = self.topology.inventory.entries()

        def load() -> BcpInputs:
            placement = Placement.of(records) if records else Placement()
            inputs = inputs_from_store(self.store(), placement)
            self._inputs = (time.monotonic(), inputs)
            return inputs

        return load

    async def inputs(self) -> BcpInputs:
        """The inputs of the last run while younger than the check interval, else fresh ones."""
        cached = self._inputs
        if cached is not None and time.monotonic() - cached[0] < self.settings.bcp_check_seconds:
            return cached[1]
        return await asyncio.to_thread(self.loader())

    async def check(self, app: faust.App) -> None:
        try:
            run = await asyncio.to_thread(self.checker.run, self.loader())
        except (MeeseeksError, OSError) as exc:
            logger.warning("BCP checks could not run: %s", exc)
            return
        leader = _is_leader(app)
        events: Sequence[FindingEvent] = run.events
        if leader and not self._leading:
            # Newly the leader: announce everything raised, whatever the previous leader sent.
            events = [
                FindingEvent(TransitionKind.RAISED, run.at, f) for f in self.checker.tracker.raised
            ]
        self._leading = leader
        if not (leader and events):
            return

        async def send(topic: str, key: bytes, value: bytes) -> None:
            await app.topic(topic, **_RAW).send(key=key, value=value)

        _, dr = await publish_events(
            events, send, self.settings.bcp_findings_topic, self.settings.dr_events_topic
        )
        self.metrics.dr_events.inc(dr)


def _is_leader(app: faust.App) -> bool:
    """The Faust leader publishes; a worker whose consumer has not started is not it yet."""
    try:
        return bool(app.is_leader())
    except ConsumerNotStarted:
        return False


def scenario_of(query: Any) -> Scenario:
    """The scenario a request names; ``BadQueryError`` when it names none or a bad name."""

    def names(key: str) -> frozenset[str]:
        values = [part for item in query.getall(key, []) for part in item.split(",") if part]
        return frozenset(check_name(key, value) for value in values)

    zones, services = names("fail_zone"), names("fail_service")
    if not zones and not services:
        raise BadQueryError("say what fails: ?fail_zone=ZONE (or ?fail_service=NAME)")
    follow = check_flag("follow_undeclared", query.get("follow_undeclared"))
    return Scenario(zones, services, follow)


def register_bcp_views(
    app: faust.App, topology: Topology, store: GraphStore | None = None
) -> BcpWorker:
    """Add the /bcp/ views and the check timer (``store``: one to use instead of opening it)."""
    worker = BcpWorker(topology, store)

    async def bcp_checks() -> None:
        await worker.check(app)

    app.task(bcp_checks)  # once at start, then on the timer
    app.timer(topology.settings.bcp_check_seconds)(bcp_checks)

    class Plan(View):
        async def get(self, request: Request, **_: Any) -> Response:
            form = request.query.get("format", "json")
            try:
                if form not in ("json", "dot"):
                    raise BadQueryError(f"format must be json or dot, not {form!r:.40}")
                scenario = scenario_of(request.query)
                inputs = await worker.inputs()
                body = plan_to_dict(plan_failure(inputs.estate, scenario))
            except (BadQueryError, BcpError) as exc:
                return self.json({"error": str(exc), "status": 400}, status=400)
            except (MeeseeksError, OSError) as exc:
                logger.warning("BCP plan failed: %s", exc)
                return self.json({"error": str(exc), "status": 503}, status=503)
            if form == "dot":
                return self.bytes(plan_dot(body).encode(), content_type=DOT_TYPE)
            return self.json(body)

    class Findings(View):
        async def get(self, request: Request, **_: Any) -> Response:
            run = worker.checker.last
            if run is not None:
                findings, late, at = run.findings, run.late_flows, run.at
            else:  # judged now, without touching the tracker the timer's events come from
                try:
                    inputs = await worker.inputs()
                except (MeeseeksError, OSError) as exc:
                    return self.json({"error": str(exc), "status": 503}, status=503)
                at = time.time()
                findings = tuple(evaluate(inputs, worker.checker.params, at))
                late = late_flows_by_zone(inputs.estate)
            rows = [finding.to_dict() for finding in findings]
            return self.json({"at": at, "findings": rows, "late_flows": late})

    for path, view in (("/bcp/plan/", Plan), ("/bcp/findings/", Findings)):
        name = "meeseeks" + path.replace("/", ".").rstrip(".")
        app.page(path, name=name)(view)
        app.page(path.rstrip("/"), name=f"{name}.noslash")(
            type(f"{view.__name__}NoSlash", (view,), {})
        )
    return worker
