"""The collaborators a use case needs, passed in explicitly (production defaults here, fakes in
tests): clock, id factory, mailer, event publisher."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from lectern.clock import Clock, SystemClock
from lectern.ids import IdFactory, new_id
from lectern.integrations.bus import EventBridgePublisher, Publisher
from lectern.integrations.mail import Mailer, SesMailer


@dataclass
class Deps:
    clock: Clock = field(default_factory=SystemClock)
    ids: IdFactory = new_id
    mailer: Mailer = field(default_factory=SesMailer)
    bus: Publisher = field(default_factory=EventBridgePublisher)


@functools.cache
def default_deps() -> Deps:
    return Deps()
