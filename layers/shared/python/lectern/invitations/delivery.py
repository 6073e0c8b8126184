"""What the `invitations` bus consumer does (functions/workers/invitations.py).

* `deliver(event_id, emails)`: the mails of up to 25 invitations. One BatchGetItem (the event and
  the invitations), then per invitation that still owes a mail (`mailed_seq < mail_seq`, status
  `sent`): a conditional UpdateItem that claims it (`mailed_seq := mail_seq` only if still lower),
  then SES. A redelivered message finds the mails claimed and sends nothing twice; a send that
  fails releases its claim and the message fails, so the retry sends exactly the missing ones.
* `run_step(event_id, run_id, step)`: one page (≤ 500 members) of a large contact list's
  invitation run — the same screening and BatchWriteItem as a request, the mails asked for on the
  bus, the run's progress advanced with a condition on its `step` (a duplicate or stale message
  changes nothing), and the next step published until the list is done.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from typing import Any

from pynamodb.exceptions import UpdateError

from lectern.data import tx
from lectern.data.events import EventItem
from lectern.data.invitations import InvitationItem, InvitationRunItem
from lectern.deps import Deps
from lectern.errors import LecternError
from lectern.integrations.bus import DomainEvent
from lectern.invitations import contact_lists, emails, links, service

logger = logging.getLogger("lectern.invitations")

RUN_PAGE = 500


class MailNotSent(RuntimeError):
    """Some invitation mails failed; their claims were released, so a retry sends them."""


def _conditional(exc: Exception) -> bool:
    return getattr(exc, "cause_response_code", "") == "ConditionalCheckFailedException"


def deliver(event_id: str, addresses: Sequence[str], deps: Deps) -> str:
    event_key = EventItem.key(event_id)
    keys = [InvitationItem.key(event_id, e) for e in addresses]
    got = tx.get_many([event_key, *keys])
    event = got.get(event_key)
    if not isinstance(event, EventItem) or event.status in service.CLOSED_STATUSES:
        return "event_closed"
    now = deps.clock.now()
    sent = failed = 0
    for key in keys:
        item = got.get(key)
        if not isinstance(item, InvitationItem) or item.status != "sent":
            continue
        seq = int(item.mail_seq or 1)
        if int(item.mailed_seq or 0) >= seq:
            continue
        try:
            item.update(
                actions=[InvitationItem.mailed_seq.set(seq), InvitationItem.mailed_at.set(now)],
                condition=(InvitationItem.mailed_seq < seq) & (InvitationItem.status == "sent"),
            )
        except UpdateError as exc:
            if _conditional(exc):
                continue  # another delivery claimed it (or it was revoked meanwhile)
            raise
        try:
            deps.mailer.send(emails.invitation(item.email, event, links.issue(item, now), item.message))
            sent += 1
        except Exception:
            logger.exception("invitation mail not sent; releasing the claim for the retry")
            failed += 1
            try:
                item.update(
                    actions=[InvitationItem.mailed_seq.set(seq - 1)],
                    condition=InvitationItem.mailed_seq == seq,
                )
            except UpdateError as exc:
                if not _conditional(exc):
                    raise
    if failed:
        raise MailNotSent(f"{failed} invitation mail(s) of event {event_id} not sent")
    return f"sent:{sent}"


def run_step(event_id: str, run_id: str, step: int, deps: Deps, correlation_id: str = "") -> str:
    try:
        run = InvitationRunItem.get(*InvitationRunItem.key(event_id, run_id), consistent_read=True)
    except InvitationRunItem.DoesNotExist:
        return "unknown_run"
    now = deps.clock.now()
    if run.status == "running" and int(run.step or 0) == step + 1:
        # This step is done but its message came back (the publish of the next step may have
        # failed after the progress was saved): publish the next step again — steps are conditional.
        _next(event_id, run_id, step + 1, deps, correlation_id)
        return "republished"
    if run.status != "running" or int(run.step or 0) != step:
        return "stale"
    try:
        event = service.check_event(EventItem.get(*EventItem.key(event_id), consistent_read=True))
    except (LecternError, EventItem.DoesNotExist) as exc:  # the run stops with the reason
        code = exc.code if isinstance(exc, LecternError) else "event_deleted"
        run.update(
            actions=[
                InvitationRunItem.status.set("failed"),
                InvitationRunItem.error.set(code),
                InvitationRunItem.updated_at.set(now),
                InvitationRunItem.finished_at.set(now),
            ],
            condition=InvitationRunItem.step == step,
        )
        return f"failed:{code}"
    start: dict[str, Any] | None = dict(run.cursor) if run.cursor else None
    addresses, after = contact_lists.members_page(run.contact_list_id, RUN_PAGE, start)
    results = service.assess(event_id, addresses, run_id=run_id)
    included = [r.email for r in results if r.included]
    fresh = [r.email for r in results if r.included and r.invitation_id is None]
    service.write_items(
        service.build_items(
            event,
            fresh,
            message=run.message,
            now=now,
            deps=deps,
            run_id=run_id,
            contact_list_id=run.contact_list_id,
        )
    )
    service.request_mail(event_id, included, deps=deps, now=now, correlation_id=correlation_id)
    reasons = Counter(dict(run.reasons or {}))
    reasons.update(r.reason for r in results if not r.included and r.reason)
    done = after is None
    actions: list[Any] = [
        InvitationRunItem.step.set(step + 1),
        InvitationRunItem.processed.add(len(results)),
        InvitationRunItem.invited.add(len(included)),
        InvitationRunItem.skipped.add(len(results) - len(included)),
        InvitationRunItem.reasons.set(dict(reasons)),
        InvitationRunItem.updated_at.set(now),
    ]
    if done:
        actions += [
            InvitationRunItem.status.set("completed"),
            InvitationRunItem.cursor.remove(),
            InvitationRunItem.finished_at.set(now),
        ]
    else:
        actions.append(InvitationRunItem.cursor.set(after))
    try:
        run.update(actions=actions, condition=InvitationRunItem.step == step)
    except UpdateError as exc:
        if _conditional(exc):
            return "stale"
        raise
    if not done:
        _next(event_id, run_id, step + 1, deps, correlation_id)
    return f"step:{step}:{len(included)}"


def _next(event_id: str, run_id: str, step: int, deps: Deps, correlation_id: str) -> None:
    deps.bus.publish(
        [
            DomainEvent(
                service.RUN_REQUESTED,
                {"event_id": event_id, "run_id": run_id, "step": step},
                occurred_at=deps.clock.now(),
                correlation_id=correlation_id,
            )
        ]
    )
