"""The naive baseline: the Faust pipeline most teams would write first.

``python -m bench.stream.naive_app worker -l info`` with the same ``MEESEEKS_*`` settings as a
Meeseeks worker (broker, app id, web port, data dir, store, partitions, inventory file). The
input topic (``MEESEEKS_EVENTS_TOPIC``) holds one JSON message per SYN or SYN-ACK
(``ConnectionEvent.to_json``), keyed by the server address. One agent attributes each event
with the same inventory and code as Meeseeks (``models.attribution.attribute``) and does one
table update per event: edge key -> [attempts, answered]. No windows, history, anomalies or
graph changes: it does less than Meeseeks per event, which only favours the baseline.
``/count`` answers the events processed so far, for the benchmark to poll.
"""

from __future__ import annotations

import json
from typing import Any

import faust

from config.inventory_file import load_inventory_file
from config.settings import load_settings
from models.attribution import attribute
from models.connection import ConnectionEvent, Kind
from models.inventory import Inventory

settings = load_settings()
settings.data_dir.mkdir(parents=True, exist_ok=True)
app = faust.App(
    settings.app_id,
    broker=settings.kafka_broker_url,
    store=settings.table_store,
    datadir=str(settings.data_dir),
    web_host=settings.web_host,
    web_port=settings.web_port,
    web_bind=settings.web_host,
    topic_partitions=settings.topic_partitions,
    topic_replication_factor=settings.topic_replication_factor,
    consumer_auto_offset_reset="earliest",
    producer_acks=-1,
    processing_guarantee=settings.processing_guarantee,
    autodiscover=False,
    web_in_thread=False,
)
inventory = Inventory(
    load_inventory_file(settings.inventory_file) if settings.inventory_file else ()
)
events_topic = app.topic(
    settings.events_topic, key_type=bytes, value_type=bytes, value_serializer="raw"
)
edges = app.Table("naive-edges", default=lambda: [0, 0], partitions=settings.topic_partitions)
processed = {"events": 0}


@app.agent(events_topic, name="naive.count")
async def count(stream: Any) -> None:
    async for value in stream:
        data = json.loads(value)
        event = ConnectionEvent(**{**data, "kind": Kind(data["kind"])})
        attributed = attribute(event, inventory)
        key = attributed.edge.encode()
        counts = edges[key]
        if attributed.kind is Kind.SYN:
            edges[key] = [counts[0] + 1, counts[1]]
        else:
            edges[key] = [counts[0], counts[1] + 1]
        processed["events"] += 1


@app.page("/count")
async def count_page(web: Any, request: Any) -> Any:
    return web.json({"events": processed["events"], "edges": len(edges)})


if __name__ == "__main__":
    app.main()
