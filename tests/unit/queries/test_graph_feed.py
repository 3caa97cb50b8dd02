"""The graph feed's message handling: good messages applied, bad ones counted and skipped."""

from __future__ import annotations

import json
import logging

import pytest

from config.settings import Settings
from models.anomaly_tracker import TransitionKind
from streams.graph_feed import GraphFeed
from streams.records import encode_change
from tests.unit.queries.conftest import anomaly, edge, estate

SETTINGS = Settings()
CHANGES, ANOMALIES = SETTINGS.graph_changes_topic, SETTINGS.anomalies_topic
EDGE = edge("a", "b", 1).to_dict()


def test_changes_and_anomaly_events_reach_the_view() -> None:
    feed = GraphFeed(SETTINGS)

    for change in estate():
        assert feed.handle(CHANGES, encode_change(change), "changes/0@1")
    event = anomaly(TransitionKind.RAISED).to_dict()
    assert feed.handle(ANOMALIES, json.dumps(event).encode(), "anomalies/0@1")

    assert feed.view.summary()["edges"] == 7
    assert feed.view.summary()["anomalies"] == 1
    status = feed.status()
    assert (status["ready"], status["applied"], status["skipped"]) == (False, len(estate()) + 1, 0)


@pytest.mark.parametrize(
    ("topic", "value", "reason"),
    [
        (CHANGES, None, "tombstone"),
        (CHANGES, b"\xff not json", "not valid UTF-8"),
        (CHANGES, b"not json", "line 1 column 1"),
        (CHANGES, b"[1, 2]", "must be a JSON object"),
        (CHANGES, json.dumps({**EDGE, "v": 7}).encode(), "version 7"),
        (CHANGES, json.dumps({**EDGE, "payload": {}}).encode(), "status None"),
        (ANOMALIES, b'{"v": 1, "transition": "exploded", "at": 1, "anomaly": {}}', "not an"),
        (ANOMALIES, json.dumps(edge("a", "b", 1).to_dict()).encode(), "not an anomaly event"),
        ("someone.elses.topic", b"{}", "does not read"),
    ],
)
def test_a_bad_message_is_counted_logged_and_skipped(
    topic: str, value: bytes | None, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    feed = GraphFeed(SETTINGS)
    caplog.set_level(logging.WARNING, logger="streams.graph_feed")

    assert not feed.handle(topic, value, f"{topic}/3@42")
    assert feed.handle(CHANGES, encode_change(edge("a", "b", 1)), "next")

    assert (feed.skipped, feed.applied) == (1, 1)
    assert f"skipped {topic}/3@42" in caplog.text
    assert reason in caplog.text


def test_ready_waits_for_every_topic_that_exists_and_for_no_absent_one() -> None:
    from streams.graph_feed import _TopicState

    feed = GraphFeed(SETTINGS)
    feed._state = dict.fromkeys((CHANGES, ANOMALIES), _TopicState.UNKNOWN)

    feed._settle(ANOMALIES, _TopicState.ABSENT)  # no anomaly raised yet: no topic
    feed._settle(CHANGES, _TopicState.READING)
    assert not feed.ready.is_set()
    feed._settle(CHANGES, _TopicState.CAUGHT_UP)
    assert feed.ready.is_set()
    assert feed.status()["topics"] == {CHANGES: "caught up", ANOMALIES: "absent"}
