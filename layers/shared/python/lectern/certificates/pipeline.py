"""Issue runs: certificates for many registrations at once, through the Step Functions pipeline
(functions/pipelines: Validate → Map(IssueOne) → Finalize, one execution per chunk).

A run is requested by the organiser (`POST /events/<id>/certificates/issue`, throttled) or
started automatically when an event completes with `auto_issue_certificates` (one automatic run
per event: its id is derived from the event's, so a redelivered `lectern.event.completed`
starts nothing new). Issuing itself is `lectern.certificates.issuing.issue_one`: idempotent, at
most one live certificate per registration, so two runs over the same people are safe.

Screening (`screen`) is the rule set of `issue_one` that needs no writes — event completed,
registration of this event, confirmed (not cancelled), eligible (`recompute.effective`: the
organiser's override wins), no live certificate. The dry run answers it per person; Validate
uses it so only candidates go through the Map (the others are counted as skipped, with their
reason, without a Lambda invocation each); `issue_one` re-checks everything.

Limits: a request names at most MAX_REGISTRATION_IDS (5,000) registrations; an execution
handles at most CHUNK (1,000) — Step Functions' 256 KB payload and 25,000-event history
quotas, see functions/pipelines — and a bigger run continues chunk by chunk in new executions
(`<run_id>-<chunk>`), whatever the number of registrations ("all" has no upper limit).

Counts: IssueOne adds 1 to the run's issued/skipped/failed as each registration is done (one
UpdateItem ADD), so progress shows while the Map runs — approximate: a retried invocation may
count twice and a crashed one not at all. Finalize then settles the chunk from the Map's
results (one entry per registration, whatever the retries) and writes the exact counts,
conditioned on the chunk number (a retried Finalize changes nothing). Exact once the run is
no longer `running`.
"""

from __future__ import annotations

import json
import math
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.update import Action

from lectern import audit, aws
from lectern.config import get_settings
from lectern.data import tx
from lectern.data.accounts import UserItem
from lectern.data.base import TableItem
from lectern.data.certificates import CertificateItem, IssueRunItem, RegistrationCertificateItem
from lectern.data.events import EventItem
from lectern.data.registrations import RegistrationItem
from lectern.deps import Deps
from lectern.errors import Conflict, NotFound, ValidationFailed
from lectern.integrations.bus import DomainEvent
from lectern.integrations.mail import Email
from lectern.request import RequestMeta
from lectern.throttle import take_bulk

CHUNK = 1_000  # registrations per execution (the Map's size)
MAX_REGISTRATION_IDS = 5_000  # per request
FAILURES_KEPT = 500  # per-person failures listed on the run (the count stays exact)
REASON_MAX = 80
# A real run takes one unit: 3 in a burst, then one a minute per organiser (dry runs are free).
AUTO_RUN_NAMESPACE = uuid.UUID("6f1c9a52-2b7e-4d43-9a51-3c7e0d2b8f10")
FINISHED = ("succeeded", "failed")

# Why a registration is not issued (codes of issuing.skip_reason / issue_one).
EVENT_NOT_COMPLETED = "event_not_completed"
UNKNOWN_REGISTRATION = "registration_not_found"  # not a registration of this event (or none at all)
ALREADY_ISSUED = "already_issued"


def auto_run_id(event_id: str) -> str:
    """The automatic run of an event: the same id whenever the event's completion is delivered."""
    return str(uuid.uuid5(AUTO_RUN_NAMESPACE, f"auto-issue:{event_id}"))


# -- screening -----------------------------------------------------------------------------------


def screen(
    event: EventItem, reg: RegistrationItem | None, live: RegistrationCertificateItem | None
) -> str | None:
    """Why this registration would not be issued now, or None when it would (no writes): the
    rule `issuing.issue_one` applies (`issuing.skip_reason`)."""
    from lectern.certificates.issuing import skip_reason

    return skip_reason(event, reg, live)


@dataclass(frozen=True)
class Screened:
    registration_id: str
    registration: RegistrationItem | None
    reason: str | None  # None: would be issued


def _unique(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def _confirmed(event_id: str) -> list[RegistrationItem]:
    """Query GSI1 `EVENT#<id>#REGS` (status confirmed), every page."""
    pk, _ = RegistrationItem.event_index(event_id, "")
    return [
        r
        for r in TableItem.gsi1.query(pk, filter_condition=RegistrationItem.status == "confirmed")
        if isinstance(r, RegistrationItem)
    ]


def screen_all(event: EventItem, registration_ids: Sequence[str] | None) -> list[Screened]:
    """Every named registration (or every confirmed one), screened.

    Named: one BatchGetItem stream for the registrations and their RegistrationCertificate
    items (2 keys each, 100 per call). All: Query GSI1 + BatchGetItem of the certificates."""
    if registration_ids is None:
        regs: dict[str, RegistrationItem | None] = {r.registration_id: r for r in _confirmed(event.event_id)}
        got = tx.get_many([RegistrationCertificateItem.key(rid) for rid in regs])
    else:
        ids = _unique(registration_ids)
        got = tx.get_many(
            [k for rid in ids for k in (RegistrationItem.key(rid), RegistrationCertificateItem.key(rid))]
        )
        regs = {}
        for rid in ids:
            item = got.get(RegistrationItem.key(rid))
            regs[rid] = item if isinstance(item, RegistrationItem) else None
    out = []
    for rid, reg in regs.items():
        live = got.get(RegistrationCertificateItem.key(rid))
        out.append(
            Screened(
                rid, reg, screen(event, reg, live if isinstance(live, RegistrationCertificateItem) else None)
            )
        )
    return out


# -- the organiser's requests --------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewLine:
    registration_id: str
    email: str | None
    full_name: str | None
    status: str  # would_issue | skipped
    reason: str


def preview(*, owner_id: str, event_id: str, registration_ids: Sequence[str] | None) -> list[PreviewLine]:
    """The dry run: what a run would do for each person, nothing written, no throttle.
    GetItem event → (Query GSI1 +) BatchGetItem."""
    _check_size(registration_ids)
    event = _owned_event(owner_id, event_id)
    return [
        PreviewLine(
            s.registration_id,
            s.registration.email if s.registration and s.reason != UNKNOWN_REGISTRATION else None,
            s.registration.full_name if s.registration and s.reason != UNKNOWN_REGISTRATION else None,
            "skipped" if s.reason else "would_issue",
            s.reason or "",
        )
        for s in screen_all(event, registration_ids)
    ]


def _check_size(registration_ids: Sequence[str] | None) -> None:
    if registration_ids is not None and len(registration_ids) > MAX_REGISTRATION_IDS:
        raise ValidationFailed.field(
            "registration_ids", f"at most {MAX_REGISTRATION_IDS} registrations per request; omit it for all"
        )


def _owned_event(owner_id: str, event_id: str) -> EventItem:
    from lectern.events.access import owned_event

    return owned_event(owner_id, event_id)


def request_run(
    *, owner_id: str, event_id: str, registration_ids: Sequence[str] | None, meta: RequestMeta, deps: Deps
) -> IssueRunItem:
    """Start a run for the named registrations (or every confirmed one).

    GetItem event (404 for another organiser's) → 409 unless completed → TokenBucket (429) →
    TransactWriteItems (run queued + audit) → StartExecution (name = run id)."""
    _check_size(registration_ids)
    event = _owned_event(owner_id, event_id)
    if event.status != "completed":
        raise Conflict(
            f"The event is {event.status}; certificates are issued once it is completed.",
            code=EVENT_NOT_COMPLETED,
        )
    now = deps.clock.now()
    take_bulk(owner_id, now, "certificates.issue")
    ids = _unique(registration_ids) if registration_ids is not None else None
    run = new_run(deps.ids(), event, owner_id, ids, now)
    log = audit.Auditor(owner_id, now, deps.ids, meta.ip)
    with tx.write() as t:
        t.save(run, condition=IssueRunItem.pk.does_not_exist())
        t.save(
            log.entry(
                "lectern.certificates.issue_requested",
                "event",
                event_id,
                run_id=run.run_id,
                registrations="all" if ids is None else len(ids),
            )
        )
    _start(run, ids)
    return run


def new_run(
    run_id: str, event: EventItem, requested_by: str | None, ids: Sequence[str] | None, now: datetime
) -> IssueRunItem:
    run = IssueRunItem(
        *IssueRunItem.key(run_id),
        run_id=run_id,
        event_id=event.event_id,
        owner_id=event.owner_id,
        requested_by=requested_by,
        status="queued",
        total=len(ids) if ids is not None else 0,
        execution_arn=execution_arn(run_id),
        created_at=now,
    )
    run.gsi1pk, run.gsi1sk = IssueRunItem.event_index(event.event_id, run_id)
    return run


def execution_arn(name: str) -> str:
    machine = get_settings().issue_state_machine_arn
    return machine.replace(":stateMachine:", ":execution:", 1) + f":{name}" if machine else ""


def _start(run: IssueRunItem, ids: Sequence[str] | None, *, name: str | None = None, chunk: int = 0) -> None:
    """StartExecution. Same name and input as a running execution: AWS answers that one (a retry
    never starts two); a finished one: ExecutionAlreadyExists, i.e. this chunk already ran."""
    machine = get_settings().issue_state_machine_arn
    if not machine:
        raise RuntimeError("LECTERN_ISSUE_STATE_MACHINE_ARN is not set: no pipeline to start")
    sfn = aws.client("stepfunctions")
    try:
        sfn.start_execution(
            stateMachineArn=machine,
            name=name or run.run_id,
            input=json.dumps(
                {
                    "run_id": run.run_id,
                    "chunk": chunk,
                    "registration_ids": list(ids) if ids is not None else None,
                },
                separators=(",", ":"),
            ),
        )
    except sfn.exceptions.ExecutionAlreadyExists:
        pass


def auto_issue(event_id: str, deps: Deps) -> str:
    """`lectern.event.completed` → the event's automatic run, once. Returns what was done.

    GetItem event → PutItem run (condition: not there yet) → StartExecution. A redelivery finds
    the run: started already (nothing to do) or still queued (the start failed: start it)."""
    try:
        event = EventItem.get(*EventItem.key(event_id), consistent_read=True)
    except EventItem.DoesNotExist:
        return "unknown_event"
    if event.status != "completed":
        return "not_completed"
    if not event.auto_issue_certificates:
        return "auto_issue_off"
    run = new_run(auto_run_id(event_id), event, None, None, deps.clock.now())
    try:
        run.save(condition=IssueRunItem.pk.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        run = IssueRunItem.get(*IssueRunItem.key(run.run_id), consistent_read=True)
        if run.status != "queued":
            return "already_started"
    _start(run, None)
    return "started"


def progress(*, owner_id: str, event_id: str, run_id: str) -> IssueRunItem:
    """One GetItem; another organiser's run, or a run of another event, is 404."""
    try:
        run = IssueRunItem.get(*IssueRunItem.key(run_id), consistent_read=True)
    except IssueRunItem.DoesNotExist as exc:
        raise NotFound("The issue run does not exist.") from exc
    if run.owner_id != owner_id or run.event_id != event_id:
        raise NotFound("The issue run does not exist.")
    return run


def skipped_reasons(run: IssueRunItem) -> dict[str, int]:
    """Skips by reason: the settled chunks' plus the running chunk's screening."""
    total: Counter[str] = Counter(dict((run.settled or {}).get("reasons") or {}))
    total.update(dict((run.pending or {}).get("reasons") or {}))
    return dict(sorted(total.items()))


# -- the pipeline's tasks ------------------------------------------------------------------------


def _run(run_id: str) -> IssueRunItem:
    return IssueRunItem.get(*IssueRunItem.key(run_id), consistent_read=True)


def _base(run: IssueRunItem) -> dict[str, Any]:
    s = dict(run.settled or {})
    return {
        "issued": int(s.get("issued", 0)),
        "skipped": int(s.get("skipped", 0)),
        "failed": int(s.get("failed", 0)),
        "reasons": dict(s.get("reasons") or {}),
    }


def validate(
    *, run_id: str, chunk: int, registration_ids: Sequence[str] | None, deps: Deps
) -> dict[str, Any]:
    """Validate: re-read the event, resolve and screen this chunk's registrations, mark the run
    running. Answers `{"run_id", "event_id", "items": [registration_id, ...]}` (the candidates).

    GetItem run → GetItem event → (Query GSI1 +) BatchGetItem → UpdateItem run."""
    run = _run(run_id)
    try:
        event = EventItem.get(*EventItem.key(run.event_id), consistent_read=True)
    except EventItem.DoesNotExist:
        event = None
    now = deps.clock.now()
    if event is None or event.status != "completed":
        run.update(
            actions=[
                IssueRunItem.status.set("running"),
                IssueRunItem.started_at.set(run.started_at or now),
                IssueRunItem.error.set(EVENT_NOT_COMPLETED),
                IssueRunItem.pending.set({"skipped": 0, "reasons": {}, "more": False}),
            ]
        )
        return {"run_id": run_id, "event_id": run.event_id, "items": []}

    failed_before = {f.get("registration_id") for f in run.failures or []}
    if registration_ids is not None:
        ids = _unique(registration_ids)
        part = ids[chunk * CHUNK : (chunk + 1) * CHUNK]
        screened = screen_all(event, part)
        more = (chunk + 1) * CHUNK < len(ids)
        counted = screened  # each chunk screens its own slice
        candidates = [s.registration_id for s in screened if s.reason is None]
        total = len(ids)
    else:
        screened = screen_all(event, None)
        # Later chunks see the same confirmed registrations again: their skips were counted by
        # the first; those failed in this run are not tried again.
        counted = screened if chunk == 0 else []
        pool = [
            s.registration_id for s in screened if s.reason is None and s.registration_id not in failed_before
        ]
        candidates, more = pool[:CHUNK], len(pool) > CHUNK
        total = len(screened) if chunk == 0 else int(run.total)
    reasons = Counter(s.reason for s in counted if s.reason)
    skipped = sum(reasons.values())
    base = _base(run)
    run.update(
        actions=[
            IssueRunItem.status.set("running"),
            IssueRunItem.started_at.set(run.started_at or now),
            IssueRunItem.total.set(total),
            IssueRunItem.pending.set({"skipped": skipped, "reasons": dict(reasons), "more": more}),
            # the live counters restart from the exact counts so far
            IssueRunItem.issued.set(base["issued"]),
            IssueRunItem.skipped.set(base["skipped"] + skipped),
            IssueRunItem.failed.set(base["failed"]),
        ]
    )
    return {"run_id": run_id, "event_id": run.event_id, "items": candidates}


def issue_one(*, run_id: str, event_id: str, registration_id: str, deps: Deps) -> dict[str, str]:
    """IssueOne: issue one registration's certificate (issuing.issue_one, idempotent) and count
    it on the run (UpdateItem ADD; the live count). A crash propagates: the state machine
    retries it, then reports this person as failed."""
    from lectern.certificates import issuing

    outcome = issuing.issue_one(
        event_id=event_id, registration_id=registration_id, run_id=run_id, deps=deps, correlation_id=run_id
    )
    status, reason = outcome.status, outcome.reason or ""
    if status == "skipped" and reason == ALREADY_ISSUED and outcome.certificate_id:
        # A retry of this very item after its certificate was made (e.g. the answer was lost):
        # it was issued by this run, and counts so.
        try:
            cert = CertificateItem.get(*CertificateItem.key(outcome.certificate_id), consistent_read=True)
            if cert.run_id == run_id:
                status, reason = "issued", ""
        except CertificateItem.DoesNotExist:
            pass
    counter = {"issued": IssueRunItem.issued, "skipped": IssueRunItem.skipped}.get(
        status, IssueRunItem.failed
    )
    try:
        IssueRunItem(*IssueRunItem.key(run_id)).update(
            actions=[counter.add(1)], condition=IssueRunItem.pk.exists()
        )
    except UpdateError:
        pass  # the live count is approximate; Finalize settles the exact one
    return {"registration_id": registration_id, "status": status, "reason": reason[:REASON_MAX]}


def _crash_reason(error: str) -> str:
    if error == "States.Timeout":
        return "timed_out"
    return f"internal_error ({error})"[:REASON_MAX] if error else "internal_error"


def finalize(*, run_id: str, chunk: int, results: Sequence[dict[str, Any]], deps: Deps) -> dict[str, Any]:
    """Finalize: settle the chunk — exact counts from the Map's results (one per registration),
    the per-person failure report (with emails), then either the next chunk or the end of the
    run (status, finished_at, the organiser's summary mail, `lectern.certificates.issue_finished`).

    GetItem run → BatchGetItem (failed registrations) → UpdateItem (condition: chunk unchanged)
    [→ GetItem event + GetItem organiser → SendRawEmail → PutEvents]. A retry after the update
    finds the chunk settled and changes nothing (the mail goes at most once)."""
    run = _run(run_id)
    if int(run.chunk) != chunk:
        return _decision(run, more=run.status not in FINISHED)
    pending = dict(run.pending or {"skipped": 0, "reasons": {}, "more": False})
    base = _base(run)
    reasons: Counter[str] = Counter(base["reasons"])
    reasons.update(dict(pending.get("reasons") or {}))
    issued = skipped = 0
    failed: list[tuple[str, str]] = []
    for r in results:
        status = r.get("status")
        if status == "issued":
            issued += 1
        elif status == "skipped":
            skipped += 1
            reasons[str(r.get("reason") or "skipped")] += 1
        elif status == "failed":  # issue_one said why
            failed.append((str(r.get("registration_id")), str(r.get("reason") or "failed")))
        else:  # "crashed": the task failed after its retries (ItemFailed)
            failed.append((str(r.get("registration_id")), _crash_reason(str(r.get("error") or ""))))
    settled = {
        "issued": base["issued"] + issued,
        "skipped": base["skipped"] + int(pending.get("skipped", 0)) + skipped,
        "failed": base["failed"] + len(failed),
        "reasons": dict(reasons),
    }
    failures = list(run.failures or []) + _failure_report(failed)
    next_chunk = chunk + 1
    # "All" recomputes its candidates each chunk: never more chunks than it had people at first.
    more = bool(pending.get("more")) and next_chunk < max(1, math.ceil(int(run.total) / CHUNK)) + 1
    now = deps.clock.now()
    final = not more
    status = ("failed" if settled["failed"] or run.error else "succeeded") if final else "running"
    actions: list[Action] = [
        IssueRunItem.chunk.set(next_chunk),
        IssueRunItem.settled.set(settled),
        IssueRunItem.pending.remove(),
        IssueRunItem.issued.set(settled["issued"]),
        IssueRunItem.skipped.set(settled["skipped"]),
        IssueRunItem.failed.set(settled["failed"]),
        IssueRunItem.failures.set(failures[:FAILURES_KEPT]),
        IssueRunItem.status.set(status),
    ]
    if final:
        actions.append(IssueRunItem.finished_at.set(now))
    try:
        run.update(actions=actions, condition=IssueRunItem.chunk == chunk)
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return _decision(_run(run_id), more=more)
    if final:
        _announce(run, deps)
    return _decision(run, more=more)


def _decision(run: IssueRunItem, *, more: bool) -> dict[str, Any]:
    return {
        "continue": more,
        "run_id": run.run_id,
        "chunk": int(run.chunk),
        "execution_name": f"{run.run_id}-{int(run.chunk)}",
    }


def _failure_report(failed: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    """The failed people with their email and name (BatchGetItem, 100 per call)."""
    shown = list(failed)[:FAILURES_KEPT]
    got = tx.get_many([RegistrationItem.key(rid) for rid, _ in shown])
    out = []
    for rid, reason in shown:
        reg = got.get(RegistrationItem.key(rid))
        out.append(
            {
                "registration_id": rid,
                "email": reg.email if isinstance(reg, RegistrationItem) else None,
                "full_name": reg.full_name if isinstance(reg, RegistrationItem) else None,
                "reason": reason,
            }
        )
    return out


def abort(*, run_id: str, error: dict[str, Any], deps: Deps) -> dict[str, Any]:
    """RunFailed: something other than one person's issue failed (Validate, the Map, Finalize):
    the run is marked failed with the error, the organiser told. UpdateItem (condition: not
    finished yet) [→ mail → PutEvents]."""
    run = _run(run_id)
    name = str((error or {}).get("Error") or "States.Runtime")
    try:
        run.update(
            actions=[
                IssueRunItem.status.set("failed"),
                IssueRunItem.error.set(f"pipeline_failed ({name})"[:REASON_MAX]),
                IssueRunItem.finished_at.set(deps.clock.now()),
            ],
            condition=IssueRunItem.status.is_in("queued", "running"),
        )
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return {"run_id": run_id, "status": run.status}
    _announce(run, deps)
    return {"run_id": run_id, "status": "failed"}


def _announce(run: IssueRunItem, deps: Deps) -> None:
    """The end of a run: the organiser's summary mail and `lectern.certificates.issue_finished`."""
    try:
        event = EventItem.get(*EventItem.key(run.event_id))
        title = event.title
    except EventItem.DoesNotExist:
        title = "your event"
    try:
        organiser = UserItem.get(*UserItem.key(run.owner_id))
        deps.mailer.send(summary_mail(organiser.email, organiser.full_name, title, run))
    except UserItem.DoesNotExist:
        pass
    deps.bus.publish(
        [
            DomainEvent(
                "lectern.certificates.issue_finished",
                {
                    "run_id": run.run_id,
                    "event_id": run.event_id,
                    "owner_id": run.owner_id,
                    "status": run.status,
                    "issued": int(run.issued),
                    "skipped": int(run.skipped),
                    "failed": int(run.failed),
                    "automatic": run.requested_by is None,
                },
                occurred_at=deps.clock.now(),
                correlation_id=run.run_id,
            )
        ]
    )


def summary_mail(to: str, name: str, title: str, run: IssueRunItem) -> Email:
    """What the organiser reads when a run ends: the counts and who failed, with why."""
    how = "automatically, as the event completed" if run.requested_by is None else "as you asked"
    lines = [
        f"Hello {name},",
        f'Certificates for "{title}" were issued {how}.',
        f"Issued: {int(run.issued)}, skipped: {int(run.skipped)}, failed: {int(run.failed)}",
    ]
    reasons = skipped_reasons(run)
    if reasons:
        lines.append(
            "Skipped because: " + ", ".join(f"{k.replace('_', ' ')} ({v})" for k, v in reasons.items())
        )
    if run.error:
        lines.append(f"The run did not complete: {run.error.replace('_', ' ')}.")
    failures = list(run.failures or [])
    if failures:
        lines.append("Not issued, with the reason:")
        lines.extend(
            f"- {f.get('full_name') or ''} <{f.get('email') or f.get('registration_id')}>: {f.get('reason')}"
            for f in failures[:20]
        )
        if int(run.failed) > 20:
            lines.append(f"... and {int(run.failed) - 20} more in the run's report.")
        lines.append("Issuing again for them is safe: nobody ever gets two certificates.")
    lines.append(f"Run: {run.run_id}")
    text = "\n\n".join(lines) + "\n\n-- Lectern\n"
    html = (
        "<!doctype html><html><body>"
        + "".join(f"<p>{escape(line)}</p>" for line in lines)
        + "<p>-- Lectern</p></body></html>"
    )
    subject = f"Certificates for {title}: {int(run.issued)} issued" + (
        f", {int(run.failed)} failed" if int(run.failed) else ""
    )
    return Email(to=to, subject=subject, text=text, html=html)
