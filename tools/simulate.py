"""`make simulate` — play a Zoom webinar against the local API as correctly signed webhooks.

    python -m tools.simulate                      # --demo: set everything up, then play it
    python -m tools.simulate --event <uuid> --email <organiser> --password <password>

With `--demo` (the default without `--event`) it signs an organiser up (verifying through the
captured mail at /_dev/emails), creates an online event with three sessions, publishes it,
registers five people and waits until Zoom provisioning (local ids without Zoom credentials)
has given every session its meeting and every registration its registrants. With `--event` it
plays the organiser's existing event for its confirmed registrations.

For each session it starts the session (`POST .../start`), then sends what Zoom would send:
`meeting.participant_joined`/`left` for joins, leaves, a rejoin, a second device, a late
joiner, an early leaver and an unknown "Guest 1234", everyone still there leaving at the end,
then `meeting.ended` — to `POST /webhooks/zoom`, signed with LECTERN_ZOOM_WEBHOOK_SECRET (the
local default unless set). Finally it prints the aggregate attendance, with each person's
explanation, and the participants nobody matched.

Times: payload times (join/leave times, event_ts) are *virtual*: they sit inside each session's
scheduled window (sessions are usually in the future), while each delivery's
x-zm-request-timestamp is the wall clock (the webhook refuses stale signatures).
`--time-scale N` paces the play at N virtual seconds per real second (0, the default: as fast as
possible); `--duplicate` delivers every webhook twice and `--shuffle` shuffles each session's
deliveries, to watch idempotency and order-independence.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import requests

from tools import zoom_payloads as zp

LOCAL_SECRET = "local-zoom-webhook-secret"  # local.bootstrap's documented default
PASSWORD = "simulator passphrase 4 lectern"
PEOPLE = (
    ("Amélie Dubois", "amelie"),
    ("Bjørn Hansen", "bjorn"),
    ("José Álvarez", "jose"),
    ("Siobhán Murphy", "siobhan"),
    ("Zoë Chen", "zoe"),
)
GUEST = "Guest 1234"
# The unknown participant: one Zoom identity for the whole run (seen in every session).
GUEST_PARTICIPANT = zp.Participant(user_name=GUEST, user_id="16778240")
_TOKEN = re.compile(r"[?&]token=([^&\s\"'<>]+)")


class SimulationError(RuntimeError):
    pass


# -- the API -------------------------------------------------------------------------------


@dataclass
class Api:
    base: str  # http://127.0.0.1:3000
    token: str | None = None
    http: requests.Session = field(default_factory=requests.Session)

    @property
    def v1(self) -> str:
        return f"{self.base}/api/v1"

    def call(
        self, method: str, path: str, body: Any = None, *, ok: Iterable[int] = (200, 201, 202), **kw: Any
    ) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        url = path if path.startswith("http") else f"{self.v1}{path}"
        try:
            r = self.http.request(method, url, json=body, headers=headers, timeout=30, **kw)
        except requests.ConnectionError:
            raise SimulationError(f"cannot reach {self.base}: is the local API running (make dev)?") from None
        if r.status_code not in set(ok):
            raise SimulationError(f"{method} {url} → {r.status_code}: {r.text[:400]}")
        return r

    def json(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        r = self.call(method, path, body, **kw)
        return r.json() if r.content else None

    def pages(self, path: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            params = {"limit": "200", **({"cursor": cursor} if cursor else {})}
            page = self.json("GET", path, params=params)
            items.extend(page.get("items") or [])
            cursor = page.get("next_cursor")
            if not cursor:
                return items


def sign_in(api: Api, email: str, password: str) -> None:
    body = api.json("POST", "/auth/login/", {"email": email, "password": password})
    api.token = str(body["access_token"])


def sign_up(api: Api, email: str, full_name: str) -> None:
    """A fresh verified organiser (verification link read from the captured mail), signed in."""
    api.call("POST", "/auth/signup/", {"email": email, "password": PASSWORD, "full_name": full_name})
    deadline = time.monotonic() + 15
    while True:
        mails = api.json("GET", f"{api.base}/_dev/emails", params={"to": email}).get("items") or []
        found = next((m for m in mails if _TOKEN.search(m.get("text") or "")), None)
        if found:
            break
        if time.monotonic() > deadline:
            raise SimulationError(f"no verification mail for {email} at /_dev/emails")
        time.sleep(0.2)
    match = _TOKEN.search(found["text"])
    assert match is not None
    api.call("POST", "/auth/verify-email/", {"token": unquote(match.group(1))})
    sign_in(api, email, PASSWORD)


# -- setting up the demo -------------------------------------------------------------------


def demo_event(api: Api, now: datetime, tag: str) -> str:
    """A published online event tomorrow with three one-hour sessions; its uuid."""
    day = (now + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    starts, ends = day, day + timedelta(days=2, hours=8)
    event = api.json(
        "POST",
        "/events/",
        {
            "title": f"Simulated webinar series {tag}",
            "description": "Three sessions played by tools/simulate.py as signed Zoom webhooks.",
            "starts_at": starts.isoformat(),
            "ends_at": ends.isoformat(),
            "format": "online",
            "cpd_hours": "3",
            "is_multi_session": True,
            "completion_type": "minimum_sessions",
            "minimum_sessions_required": 2,
            "minimum_attendance_percent": 75,
        },
    )
    event_id = str(event["uuid"])
    for i, title in enumerate(("Foundations", "Practice", "Case review")):
        at = day + timedelta(days=i, hours=1)
        api.json(
            "POST",
            f"/events/{event_id}/sessions/",
            {"title": title, "starts_at": at.isoformat(), "ends_at": (at + timedelta(hours=1)).isoformat()},
        )
    api.json("POST", f"/events/{event_id}/publish/", {})
    return event_id


def register_people(api: Api, event_id: str, tag: str) -> None:
    guest = Api(api.base, http=api.http)  # registering is public: no organiser token
    for name, handle in PEOPLE:
        guest.json(
            "POST",
            f"/events/{event_id}/register/",
            {
                "email": f"{handle}.{tag}@example.org",
                "full_name": name,
                "organization_name": "Simulated CPD Ltd",
            },
        )


# -- reading the event ---------------------------------------------------------------------


@dataclass
class Session:
    session_id: str
    title: str
    starts_at: datetime
    ends_at: datetime
    status: str = "scheduled"
    meeting_id: str | None = None


@dataclass
class Person:
    registration_id: str
    full_name: str
    email: str
    registrants: dict[str, str]  # session id → Zoom registrant id


def _when(value: Any) -> datetime:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)


def read_sessions(api: Api, event_id: str) -> list[Session]:
    sessions = []
    event: dict[str, Any] | None = None
    for s in api.pages(f"/events/{event_id}/sessions/"):
        sid = str(s.get("uuid") or s.get("session_id") or s.get("id"))
        detail = api.json("GET", f"/events/{event_id}/sessions/{sid}/")
        meeting = detail.get("zoom_meeting_id")
        if not meeting and sid == event_id:  # a single-session event: its meeting is the event's
            event = event or api.json("GET", f"/events/{event_id}/")
            meeting = event.get("zoom_meeting_id")
        sessions.append(
            Session(
                session_id=sid,
                title=str(detail.get("title") or s.get("title") or "Session"),
                starts_at=_when(detail.get("starts_at") or s["starts_at"]),
                ends_at=_when(detail.get("ends_at") or s["ends_at"]),
                status=str(detail.get("status") or s.get("status") or "scheduled"),
                meeting_id=str(meeting) if meeting else None,
            )
        )
    return sorted(sessions, key=lambda x: x.starts_at)


def _registrants(r: dict[str, Any], sessions: list[Session]) -> dict[str, str]:
    """Per-session registrant ids, from whichever field the organiser view carries."""
    out: dict[str, str] = {}
    for j in r.get("session_joins") or []:
        if j.get("registrant_id"):
            out[str(j.get("session_id"))] = str(j["registrant_id"])
    for sid, j in (r.get("zoom_joins") or {}).items():
        if isinstance(j, dict) and j.get("registrant_id"):
            out.setdefault(str(sid), str(j["registrant_id"]))
    if len(sessions) == 1 and r.get("zoom_registrant_id"):
        out.setdefault(sessions[0].session_id, str(r["zoom_registrant_id"]))
    return out


def read_people(api: Api, event_id: str, sessions: list[Session]) -> list[Person]:
    return [
        Person(
            str(r["uuid"]),
            str(r.get("full_name") or ""),
            str(r.get("email") or ""),
            _registrants(r, sessions),
        )
        for r in api.pages(f"/events/{event_id}/registrations/")
        if r.get("status") == "confirmed"
    ]


def wait_for_provisioning(
    api: Api, event_id: str, timeout: float, say: Callable[[str], None]
) -> tuple[list[Session], list[Person]]:
    """Poll until every session has a meeting and every person a registrant per session."""
    deadline = time.monotonic() + timeout
    while True:
        sessions = read_sessions(api, event_id)
        people = read_people(api, event_id, sessions)
        meetings = all(s.meeting_id for s in sessions)
        registrants = all(s.session_id in p.registrants for s in sessions for p in people)
        if meetings and registrants:
            return sessions, people
        if time.monotonic() > deadline:
            if not meetings:
                missing = ", ".join(s.title for s in sessions if not s.meeting_id)
                raise SimulationError(
                    f"no Zoom meeting id after {timeout:.0f}s for: {missing} (is the event online and "
                    "published, and the zoom-provisioning consumer running?)"
                )
            say("  note: some registrations have no Zoom registrant yet; they will be matched by email")
            return sessions, people
        time.sleep(0.5)


# -- the script of a session ---------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    at: datetime  # virtual time inside the session window
    body: dict[str, Any]
    label: str


# Each pattern: (offset as a fraction of the session, "joined"/"left", device number).
PATTERNS: dict[str, list[tuple[float, str, int]]] = {
    "stays throughout": [(0.0, "joined", 0), (1.0, "left", 0)],
    "joins late": [(0.35, "joined", 0), (1.0, "left", 0)],
    "leaves and rejoins": [(0.05, "joined", 0), (0.30, "left", 0), (0.45, "joined", 0), (1.0, "left", 0)],
    "second device": [(0.0, "joined", 0), (0.20, "joined", 1), (0.50, "left", 0), (1.0, "left", 1)],
    "leaves early": [(0.10, "joined", 0), (0.40, "left", 0)],
    "absent": [],
}
GUEST_PATTERN = [(0.15, "joined", 0), (0.60, "left", 0)]


def session_script(
    session: Session, people: list[Person], index: int, *, kind: str = "meeting"
) -> list[Delivery]:
    """Every webhook of one session, in time order: each person follows a pattern (rotated per
    session, so people attend differently across sessions), plus the unknown guest, then the
    end of the meeting."""
    assert session.meeting_id
    t0, t1 = session.starts_at, session.ends_at
    span = (t1 - t0).total_seconds()
    meeting = zp.Meeting(
        id=session.meeting_id,
        topic=session.title,
        start_time=t0,
        duration=int(span // 60),
        type=5 if kind == "webinar" else 2,
    )
    names = list(PATTERNS)
    cast: list[tuple[str, list[zp.Participant], list[tuple[float, str, int]]]] = []
    for k, p in enumerate(people):
        pattern = names[(k + index) % len(names)]
        who = zp.Participant(
            user_name=f"{p.full_name} 🎓" if k == 2 else p.full_name,  # display names are free text
            email=p.email,
            registrant_id=p.registrants.get(session.session_id, ""),
        )
        cast.append((f"{p.full_name}: {pattern}", [who, who.on_another_device()], PATTERNS[pattern]))
    cast.append((f"{GUEST}: unknown participant", [GUEST_PARTICIPANT], GUEST_PATTERN))

    out: list[Delivery] = []
    for label, devices, steps in cast:
        for fraction, what, device in steps:
            at = t0 + timedelta(seconds=round(span * fraction))
            who = devices[device]
            if what == "joined":
                body = zp.participant_joined(meeting, who, at, kind=kind)
            else:
                reason = (
                    "left the meeting because the host ended it" if fraction >= 1.0 else "left the meeting"
                )
                body = zp.participant_left(meeting, who, at, reason=reason, kind=kind)
            out.append(Delivery(at, body, f"{what:<6} {label}" + (" (2nd device)" if device else "")))
    out.sort(key=lambda d: (d.at, d.body["event"].endswith("left")))
    out.append(
        Delivery(
            t1 + timedelta(seconds=5),
            zp.meeting_ended(meeting, t1 + timedelta(seconds=5), kind=kind),
            "ended",
        )
    )
    return out


# -- playing -------------------------------------------------------------------------------


def deliver(api: Api, secret: bytes, body: dict[str, Any]) -> int:
    raw = zp.encode(body)
    r = api.http.post(
        f"{api.base}/webhooks/zoom", data=raw, headers=zp.signed_headers(secret, raw), timeout=30
    )
    if r.status_code != 200:
        raise SimulationError(f"webhook {body['event']} → {r.status_code}: {r.text[:300]}")
    return r.status_code


def play_session(
    api: Api,
    secret: bytes,
    deliveries: list[Delivery],
    *,
    time_scale: float,
    duplicate: bool,
    shuffle: bool,
    rng: random.Random,
    say: Callable[[str], None],
) -> int:
    order = list(deliveries)
    if duplicate:
        order = [d for d in order for _ in range(2)]
    if shuffle:
        rng.shuffle(order)
    sent = 0
    previous: datetime | None = None
    for d in order:
        if time_scale > 0 and previous is not None and d.at > previous:
            time.sleep((d.at - previous).total_seconds() / time_scale)
        previous = d.at
        deliver(api, secret, d.body)
        sent += 1
        say(f"    {zp.zoom_time(d.at)}  {d.label}")
    return sent


def wait_until_completed(api: Api, event_id: str, session_ids: set[str], timeout: float) -> bool:
    """Whether the attendance worker completed every played session (meeting.ended) in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = {
            str(s.get("uuid"))
            for s in api.pages(f"/events/{event_id}/sessions/")
            if s.get("status") == "completed"
        }
        if session_ids <= done:
            return True
        time.sleep(0.5)
    return False


def settled_aggregate(api: Api, event_id: str, timeout: float) -> dict[str, Any] | None:
    """The aggregate attendance once two reads a second apart agree (the workers are done), or
    the last read at the timeout; None when the route does not exist (yet)."""
    deadline = time.monotonic() + timeout
    last: dict[str, Any] | None = None
    while True:
        r = api.call("GET", f"/events/{event_id}/aggregate-attendance/", ok=(200, 404))
        if r.status_code == 404:
            return None
        page = dict(r.json())
        if page == last or time.monotonic() > deadline:
            return page
        last = page
        time.sleep(1.0)


def report(
    api: Api, event_id: str, say: Callable[[str], None], timeout: float = 30.0
) -> dict[str, Any] | None:
    page = settled_aggregate(api, event_id, timeout)
    if page is None:
        say("\n  (GET /events/{id}/aggregate-attendance is not there yet: no attendance to show)")
        return None
    say(f"\n  Completion rule: {page.get('completion_rule', '')}")
    for item in page.get("items") or []:
        verdict = "eligible" if item.get("eligible") else "not eligible"
        say(
            f"  - {item.get('full_name')}: "
            f"{item.get('sessions_attended')}/{item.get('sessions_counted')} sessions, "
            f"{item.get('total_attendance_minutes')} min ({item.get('attendance_percent')}%) — {verdict}"
        )
        if item.get("explanation"):
            say(f"      {item['explanation']}")
    unmatched = api.call("GET", f"/events/{event_id}/unmatched-participants/", ok=(200, 404))
    if unmatched.status_code == 200:
        names = [
            f"{u.get('name')} ({u.get('observations')} joins/leaves)"
            for u in unmatched.json().get("items") or []
        ]
        say(f"  Unmatched participants to review: {', '.join(names) or 'none'}")
    return page


# -- the command ---------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    port = os.environ.get("LECTERN_PORT") or "3000"
    p = argparse.ArgumentParser(prog="python -m tools.simulate", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--api",
        default=os.environ.get("LECTERN_API") or f"http://127.0.0.1:{port}",
        help="local API base URL",
    )
    p.add_argument("--event", help="play this event (needs --email and --password of its organiser)")
    p.add_argument("--email", help="the organiser's email")
    p.add_argument("--password", help="the organiser's password")
    p.add_argument(
        "--demo", action="store_true", help="set up an organiser, a 3-session event and 5 people (default)"
    )
    p.add_argument(
        "--secret",
        default=os.environ.get("LECTERN_ZOOM_WEBHOOK_SECRET") or LOCAL_SECRET,
        help="Zoom webhook secret token (default: LECTERN_ZOOM_WEBHOOK_SECRET or the local default)",
    )
    p.add_argument(
        "--time-scale", type=float, default=0.0, help="virtual seconds per real second (0: no waiting)"
    )
    p.add_argument("--duplicate", action="store_true", help="deliver every webhook twice")
    p.add_argument("--shuffle", action="store_true", help="shuffle each session's deliveries")
    p.add_argument("--webinar", action="store_true", help="send webinar.* events instead of meeting.*")
    p.add_argument("--no-start", action="store_true", help="do not POST .../start before playing a session")
    p.add_argument("--wait", type=float, default=60.0, help="seconds to wait for provisioning / processing")
    p.add_argument("--seed", type=int, default=None, help="random seed for --shuffle")
    p.add_argument("--json", action="store_true", help="print the aggregate attendance as JSON at the end")
    p.add_argument("-q", "--quiet", action="store_true", help="do not list every delivery")
    args = p.parse_args(argv)
    if args.event and not (args.email and args.password):
        p.error("--event needs --email and --password (the event's organiser)")
    if args.event and args.demo:
        p.error("--event and --demo exclude each other")
    return args


def run(args: argparse.Namespace, say: Callable[[str], None] = print) -> dict[str, Any]:
    api = Api(args.api.rstrip("/"))
    quiet: Callable[[str], None] = (lambda _: None) if args.quiet else say
    tag = uuid.uuid4().hex[:6]
    if args.event:
        sign_in(api, args.email, args.password)
        event_id = str(args.event)
    else:
        email = f"organiser.{tag}@example.org"
        say(f"Signing up organiser {email} (password: {PASSWORD!r})")
        sign_up(api, email, "Simulated Organiser")
        event_id = demo_event(api, datetime.now(UTC), tag)
        say(f"Created and published event {event_id} with three sessions")
        register_people(api, event_id, tag)
        say(f"Registered {len(PEOPLE)} people: {', '.join(n for n, _ in PEOPLE)}")
    say("Waiting for Zoom provisioning (meeting and registrant ids)…")
    sessions, people = wait_for_provisioning(api, event_id, args.wait, say)
    if not people:
        raise SimulationError("the event has no confirmed registrations to play")
    rng = random.Random(args.seed)  # noqa: S311 - shuffling a demo, not a secret
    kind = "webinar" if args.webinar else "meeting"
    secret = args.secret.encode()
    played: set[str] = set()
    total = 0
    for i, s in enumerate(sessions):
        if s.status in ("completed", "cancelled"):
            say(f"Session {s.title}: {s.status}, skipped")
            continue
        if not args.no_start and s.status == "scheduled":
            api.call("POST", f"/events/{event_id}/sessions/{s.session_id}/start/", {})
        say(
            f"Session {i + 1} {s.title} (meeting {s.meeting_id}, "
            f"{zp.zoom_time(s.starts_at)} to {zp.zoom_time(s.ends_at)})"
        )
        deliveries = session_script(s, people, i, kind=kind)
        total += play_session(
            api,
            secret,
            deliveries,
            time_scale=args.time_scale,
            duplicate=args.duplicate,
            shuffle=args.shuffle,
            rng=rng,
            say=quiet,
        )
        played.add(s.session_id)
    say(f"Delivered {total} signed webhooks to {api.base}/webhooks/zoom")
    if played and not wait_until_completed(api, event_id, played, args.wait):
        say("  note: not every session shows completed yet (the attendance worker may still be busy)")
    page = report(api, event_id, say, args.wait)
    if args.json and page is not None:
        say(json.dumps(page, indent=2, ensure_ascii=False))
    return {"event_id": event_id, "webhooks": total, "sessions": sorted(played), "attendance": page}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        run(args)
    except SimulationError as exc:
        print(f"simulate: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
