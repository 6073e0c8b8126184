"""Domain events on EventBridge, in one envelope.

`detail-type` is the dotted action (`lectern.user.signed_up`); `detail` carries ids and
metadata only (`id`, `occurred_at`, `correlation_id`, `version`, `data`): consumers re-read
state. Entries go out in batches of 10 (the PutEvents limit) and any failed entry raises.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from lectern import aws
from lectern.config import get_settings
from lectern.ids import new_id

SOURCE = "lectern"
BATCH = 10


class PublishFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class DomainEvent:
    detail_type: str
    data: dict[str, Any]
    occurred_at: datetime
    correlation_id: str = ""
    version: int = 1
    event_id: str = field(default_factory=new_id)

    def detail(self) -> dict[str, Any]:
        return {
            "id": self.event_id,
            "occurred_at": self.occurred_at.isoformat(),
            "correlation_id": self.correlation_id,
            "version": self.version,
            "data": self.data,
        }


class Publisher(Protocol):
    def publish(self, events: Sequence[DomainEvent]) -> None: ...


class EventBridgePublisher:
    def publish(self, events: Sequence[DomainEvent]) -> None:
        bus = get_settings().event_bus_name
        for start in range(0, len(events), BATCH):
            batch = events[start : start + BATCH]
            entries = [
                {
                    "Source": SOURCE,
                    "DetailType": e.detail_type,
                    "Detail": json.dumps(e.detail(), separators=(",", ":")),
                    "EventBusName": bus,
                }
                for e in batch
            ]
            result = aws.client("events").put_events(Entries=entries)
            if result.get("FailedEntryCount"):
                failed = [
                    f"{batch[i].detail_type}: {r.get('ErrorCode')}"
                    for i, r in enumerate(result.get("Entries", []))
                    if r.get("ErrorCode")
                ]
                raise PublishFailed(f"{result['FailedEntryCount']} event(s) not accepted: {failed}")


class MemoryPublisher:
    def __init__(self) -> None:
        self.events: list[DomainEvent] = []

    def publish(self, events: Sequence[DomainEvent]) -> None:
        self.events.extend(events)
