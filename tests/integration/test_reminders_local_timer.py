"""Local mode's stand-in for the scheduled rule: local/server.py runs the reminder sweep on a
daemon timer (LECTERN_REMINDER_SWEEP_SECONDS, default 30 s, 0 disables), stopped with the runtime."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from lectern.data.reminders import ReminderItem

from local.server import DEFAULT_REMINDER_SWEEP_SECONDS, ReminderSweepTimer
from tests.support.aws import sent_emails
from tests.support.builders import verified_account
from tests.support.events import make_event


def test_the_interval_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("LECTERN_REMINDER_SWEEP_SECONDS", raising=False)
    assert ReminderSweepTimer.interval_from_env() == DEFAULT_REMINDER_SWEEP_SECONDS == 30
    monkeypatch.setenv("LECTERN_REMINDER_SWEEP_SECONDS", "5")
    assert ReminderSweepTimer.interval_from_env() == 5
    monkeypatch.setenv("LECTERN_REMINDER_SWEEP_SECONDS", "0")
    assert ReminderSweepTimer.interval_from_env() == 0
    monkeypatch.setenv("LECTERN_REMINDER_SWEEP_SECONDS", "often")
    with pytest.raises(SystemExit, match="LECTERN_REMINDER_SWEEP_SECONDS"):
        ReminderSweepTimer.interval_from_env()


def test_zero_disables_the_timer(aws_env):
    timer = ReminderSweepTimer(0, "eu-west-1")
    assert timer.thread is None and "off" in timer.describe()
    timer.stop()


def test_the_timer_sends_due_reminders_and_stops_with_the_runtime(api):
    owner = verified_account(api)
    # A reminder made a week ahead, then the event moved so that it is due now (the route
    # itself refuses a time already past).
    event = make_event(owner.token, starts_at=datetime.now(UTC) + timedelta(days=2))
    r = api.post(
        f"/events/{event.event_id}/reminders/",
        {"anchor": "before_start", "offset_minutes": 60},
        token=owner.token,
    )
    assert r.status == 201
    reminder = ReminderItem.get(*ReminderItem.key(event.event_id, r.json["uuid"]))
    due = datetime.now(UTC) - timedelta(minutes=1)
    reminder.update(
        actions=[
            ReminderItem.due_at.set(due),
            ReminderItem.gsi2sk.set(ReminderItem.due_index(due, reminder.reminder_id)[1]),
        ]
    )
    from lectern.data.events import EventItem

    EventItem(*EventItem.key(event.event_id)).update(
        actions=[
            EventItem.starts_at.set(due + timedelta(hours=1)),
            EventItem.ends_at.set(due + timedelta(hours=2)),
        ]
    )
    reg = api.post(f"/events/{event.event_id}/register/", {"email": "ada@example.org", "full_name": "Ada"})
    assert reg.status == 201
    errors: list[BaseException] = []
    timer = ReminderSweepTimer(0.05, "eu-west-1", on_error=errors.append)
    deadline = time.monotonic() + 20
    while timer.runs < 2 and time.monotonic() < deadline:  # (the test thread leaves moto alone meanwhile)
        time.sleep(0.05)
    timer.stop()
    assert not timer.thread.is_alive() and errors == []
    runs = timer.runs
    time.sleep(0.2)
    assert timer.runs == runs  # stopped
    reminders = [m for m in sent_emails("ada@example.org") if m["subject"].startswith("Reminder:")]
    assert len(reminders) == 1  # two or more sweeps, one mail
