"""The simulator's script (tools/simulate.py) and the payload builders it shares with the tests
(tools/zoom_payloads.py): Zoom's shapes, virtual times inside each session's window, one
distinct webhook identity per delivery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from lectern.zoom.webhook import event_identity

from tools import simulate as sim
from tools import zoom_payloads as zp

T0 = datetime(2027, 5, 4, 10, 0, tzinfo=UTC)
SESSION = sim.Session("s-1", "Foundations", T0, T0 + timedelta(hours=1), meeting_id="81234567890")
PEOPLE = [
    sim.Person(f"r-{k}", name, f"p{k}@example.org", {"s-1": f"reg-{k}"})
    for k, name in enumerate(("Amélie", "Bjørn", "José", "Siobhán", "Zoë"))
]


def test_every_delivery_sits_in_the_session_window_and_the_end_comes_last() -> None:
    script = sim.session_script(SESSION, PEOPLE, 0)
    *participants, ended = script
    assert ended.body["event"] == "meeting.ended"
    assert ended.body["payload"]["object"]["end_time"] == zp.zoom_time(ended.at)
    for d in participants:
        assert SESSION.starts_at <= d.at <= SESSION.ends_at
        p = d.body["payload"]["object"]["participant"]
        stamp = p.get("join_time") or p.get("leave_time")
        assert stamp == zp.zoom_time(d.at) and d.body["event_ts"] == zp.epoch_ms(d.at)
    assert [d.at for d in script] == sorted(d.at for d in script)


def test_every_delivery_has_its_own_identity() -> None:
    for index in range(3):
        script = sim.session_script(SESSION, PEOPLE, index)
        identities = [event_identity(d.body) for d in script]
        assert len(set(identities)) == len(identities)


def test_the_cast_covers_every_behaviour_and_the_unknown_guest() -> None:
    script = sim.session_script(SESSION, PEOPLE, 0)
    labels = " ".join(d.label for d in script)
    for behaviour in (
        "stays throughout",
        "joins late",
        "leaves and rejoins",
        "second device",
        "leaves early",
    ):
        assert behaviour in labels
    guest = [d for d in script if "Guest 1234" in d.label]
    assert [d.body["event"] for d in guest] == ["meeting.participant_joined", "meeting.participant_left"]
    who = guest[0].body["payload"]["object"]["participant"]
    assert who["registrant_id"] == "" and who["email"] == ""
    # joins and leaves of everybody balance: nobody is left in the meeting at the end
    joins = sum(d.body["event"].endswith("joined") for d in script)
    leaves = sum(d.body["event"].endswith("left") for d in script)
    assert joins == leaves


@pytest.mark.parametrize(("index", "present"), [(0, 5), (1, 4), (2, 4)])
def test_registered_participants_carry_their_registrant_id_and_email(index: int, present: int) -> None:
    # patterns rotate per session: from the second session on, somebody is absent
    script = sim.session_script(SESSION, PEOPLE, index)
    seen = {
        (p["registrant_id"], p["email"])
        for d in script
        if (p := d.body["payload"]["object"].get("participant")) and p["user_name"] != "Guest 1234"
    }
    assert seen <= {(f"reg-{k}", f"p{k}@example.org") for k in range(5)}
    assert len(seen) == present


def test_participant_payloads_have_zooms_shape() -> None:
    joined = zp.participant_joined(
        zp.Meeting(id="1", start_time=T0), zp.Participant("Ann", "a@x.org", "r1"), T0
    )
    obj = joined["payload"]["object"]
    assert set(obj) == {
        "id",
        "uuid",
        "host_id",
        "topic",
        "type",
        "start_time",
        "duration",
        "timezone",
        "participant",
    }
    assert set(obj["participant"]) == {
        "user_id",
        "user_name",
        "id",
        "participant_uuid",
        "join_time",
        "email",
        "registrant_id",
        "participant_user_id",
    }
    left = zp.participant_left(zp.Meeting(id="1"), zp.Participant("Ann"), T0, kind="webinar")
    assert left["event"] == "webinar.participant_left"
    assert {"leave_time", "leave_reason"} <= set(left["payload"]["object"]["participant"])


def test_webinars_send_webinar_events() -> None:
    events = {d.body["event"] for d in sim.session_script(SESSION, PEOPLE, 1, kind="webinar")}
    assert events == {"webinar.participant_joined", "webinar.participant_left", "webinar.ended"}


@pytest.mark.parametrize(
    "argv",
    [
        ["--event", "e"],
        ["--event", "e", "--email", "a@b.c"],
        ["--event", "e", "--email", "a", "--password", "p", "--demo"],
    ],
)
def test_playing_an_event_needs_its_organiser(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        sim.parse_args(argv)


def test_an_unreachable_api_is_a_clear_error() -> None:
    api = sim.Api("http://127.0.0.1:9")  # discard port: nothing listens
    with pytest.raises(sim.SimulationError, match="is the local API running"):
        api.call("GET", "/health")
