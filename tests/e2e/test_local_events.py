"""EventBridge → SQS → consumer on the embedded emulator (local/events.py), in-process: an event
published with the real EventBridge publisher reaches a consumer whose pattern matches it, and
only that one; a failing batch is retried; a rejected record is redelivered until the DLQ."""

from __future__ import annotations

import importlib
import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from local import bootstrap, events
from local.emulator import Emulator, wait_until

pytestmark = pytest.mark.e2e

HANDLER = "tests.e2e.sample_consumer.lambda_handler"
sample = importlib.import_module("tests.e2e.sample_consumer")


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    saved = dict(os.environ)
    emu = Emulator()
    emu.start()
    try:
        os.environ["LECTERN_EVENT_BUS_NAME"] = "lectern-events-test"
        bootstrap.configure_environment(emu.url, "http://127.0.0.1:9")
        bootstrap.bootstrap()
        yield emu
    finally:
        emu.stop()
        os.environ.clear()
        os.environ.update(saved)
        bootstrap.reset_caches()


@pytest.fixture
def pollers(emulator: Emulator) -> Iterator[events.Pollers]:
    from lectern.config import get_settings

    sample.reset()
    s = get_settings()
    running = events.start(
        [
            events.Consumer(
                "sample",
                HANDLER,
                {"source": ["lectern"], "detail-type": ["lectern.test.pinged"]},
                visibility_timeout=1,
                max_receive_count=2,
            )
        ],
        bus=s.event_bus_name,
        region=s.region,
        doorbell=emulator.doorbell,
        idle_seconds=0.5,
        on_error=lambda name, exc: None,
    )
    yield running
    running.stop()


def _publish(detail_type: str, data: dict) -> str:
    from lectern.integrations.bus import DomainEvent, EventBridgePublisher

    event = DomainEvent(detail_type, data, datetime.now(UTC), correlation_id="test")
    EventBridgePublisher().publish([event])
    return event.event_id


def _queue_counts(pollers: events.Pollers) -> tuple[int, int]:
    from lectern import aws

    sqs = aws.client("sqs")
    w = pollers.wired[0]

    def count(url: str) -> int:
        attrs = sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])

    return count(w.queue_url), count(w.dlq_url)


def test_matching_event_reaches_the_consumer_and_is_deleted(pollers: events.Pollers) -> None:
    other = _publish("lectern.test.ignored", {"n": 0})
    event_id = _publish("lectern.test.pinged", {"n": 1})

    assert wait_until(lambda: len(sample.received) >= 1, timeout=10)
    time.sleep(0.3)
    assert [e["detail"]["id"] for e in sample.received] == [event_id]
    envelope = sample.received[0]
    assert envelope["source"] == "lectern"
    assert envelope["detail-type"] == "lectern.test.pinged"
    assert envelope["detail"]["data"] == {"n": 1}
    assert other not in sample.attempts
    ctx = sample.contexts[0]
    assert ctx.function_name.endswith("sample")
    assert ctx.get_remaining_time_in_millis() > 0
    assert wait_until(lambda: _queue_counts(pollers) == (0, 0), timeout=5)


def test_a_failed_batch_is_retried_after_the_visibility_timeout(pollers: events.Pollers) -> None:
    event_id = _publish("lectern.test.pinged", {"fail_times": 1})
    assert wait_until(lambda: len(sample.received) >= 1, timeout=10)
    assert sample.attempts[event_id] == 2
    assert wait_until(lambda: _queue_counts(pollers) == (0, 0), timeout=5)


def test_a_rejected_record_ends_in_the_dead_letter_queue(pollers: events.Pollers) -> None:
    ok = _publish("lectern.test.pinged", {"n": 2})
    bad = _publish("lectern.test.pinged", {"reject": True})
    assert wait_until(lambda: any(e["detail"]["id"] == ok for e in sample.received), timeout=10)
    assert wait_until(lambda: _queue_counts(pollers) == (0, 1), timeout=15), _queue_counts(pollers)
    assert sample.attempts[bad] == 2
    assert bad not in [e["detail"]["id"] for e in sample.received]


def test_wiring_is_idempotent(emulator: Emulator) -> None:
    from lectern import aws
    from lectern.config import get_settings

    s = get_settings()
    consumer = events.Consumer("twice", HANDLER, {"source": ["lectern"]})
    first = events.wire([consumer], bus=s.event_bus_name, region=s.region)
    second = events.wire([consumer], bus=s.event_bus_name, region=s.region)
    assert first[0].queue_url == second[0].queue_url
    rules = aws.client("events").list_rules(EventBusName=s.event_bus_name, NamePrefix="lectern-local-twice")
    assert [r["Name"] for r in rules["Rules"]] == ["lectern-local-twice"]
    assert json.loads(rules["Rules"][0]["EventPattern"]) == {"source": ["lectern"]}
    bootstrap.bootstrap()  # twice: nothing to create, nothing fails
