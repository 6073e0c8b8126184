"""The certificate-issuing pipeline executed end to end: the definition CDK deploys, run by moto
(Validate → Map(IssueOne) → Finalize → Continue), its Lambda tasks dispatched in-process to
functions/pipelines/certificates.py; the bulk route, its dry run, progress, throttling, the
automatic run on `lectern.event.completed`, and the task handlers called directly."""

from __future__ import annotations

import json

import pytest
from lectern import aws
from lectern.certificates import issuing, pipeline
from lectern.config import get_settings
from lectern.data.certificates import CertificateItem, IssueRunItem
from lectern.data.events import EventItem
from lectern.deps import Deps
from lectern.ids import new_id
from lectern.integrations.bus import MemoryPublisher
from lectern.integrations.mail import MemoryMailer
from lectern.throttle import BULK_CAPACITY, BULK_COSTS

from functions.pipelines import ISSUE_CERTIFICATES
from functions.workers import certificates as worker
from tests.support.aws import sent_emails
from tests.support.builders import verified_account
from tests.support.events import make_event
from tests.support.pipelines import (  # noqa: F401  (the pipelines fixture)
    complete,
    live_certificate,
    pipelines_fixture,
    registration,
    run_item,
)
from tests.support.throttle import pin_bulk_clock


@pytest.fixture
def organiser(api):
    return verified_account(api)


def _issue(api, organiser, event, body=None, **kw):
    return api.post(
        f"/events/{event.event_id}/certificates/issue/",
        {} if body is None else body,
        token=organiser.token,
        **kw,
    )


def _progress(api, organiser, event_id, run_id):
    return api.get(f"/events/{event_id}/certificates/issue/{run_id}/", token=organiser.token)


def _run(api, organiser, event, pipelines, body=None):
    r = _issue(api, organiser, event, body)
    assert r.status == 202, r.json
    pipelines.wait()
    got = _progress(api, organiser, event.event_id, r.json["run_id"])
    assert got.status == 200, got.json
    return got.json


def _certificates_of(event_id: str) -> list[CertificateItem]:
    from lectern.data.base import TableItem

    pk, _ = CertificateItem.event_index(event_id, "")
    return [c for c in TableItem.gsi1.query(pk) if isinstance(c, CertificateItem)]


def _table_keys() -> set[tuple[str, str]]:
    client = aws.client("dynamodb")
    keys, kwargs = set(), {"TableName": get_settings().table_name}
    while True:
        page = client.scan(**kwargs)
        keys |= {(i["PK"]["S"], i["SK"]["S"]) for i in page["Items"]}
        if "LastEvaluatedKey" not in page:
            return keys
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _envelope(event: EventItem) -> dict:
    return {
        "id": new_id(),
        "source": "lectern",
        "detail-type": "lectern.event.completed",
        "detail": {"data": {"event_id": event.event_id, "owner_id": event.owner_id, "status": "completed"}},
    }


def _deps() -> Deps:
    return Deps(mailer=MemoryMailer(), bus=MemoryPublisher())


# -- the run, end to end ------------------------------------------------------------------------


def test_given_a_completed_event_when_issuing_for_all_then_the_eligible_are_issued_and_the_rest_skipped(
    api, organiser, pipelines
):
    event = complete(make_event(organiser.token, title="Ethics in practice"))
    eligible = [registration(event, name=f"Person {i}") for i in range(3)]
    overridden = registration(event, eligible=False, override=True)
    ineligible = registration(event, eligible=False)
    waitlisted = registration(event, status="waitlisted")
    cancelled = registration(event, status="cancelled")

    r = _issue(api, organiser, event)
    assert r.status == 202, r.json
    run_id = r.json["run_id"]
    assert r.json["status"] == "queued"
    assert r.json["progress_url"] == f"/api/v1/events/{event.event_id}/certificates/issue/{run_id}/"
    pipelines.wait()

    got = _progress(api, organiser, event.event_id, run_id).json
    assert got["status"] == "succeeded" and got["exact"] is True
    assert (got["total"], got["issued"], got["skipped"], got["failed"]) == (5, 4, 1, 0)
    assert got["skipped_reasons"] == {"not_eligible": 1}
    assert got["failures"] == [] and got["error"] is None and got["automatic"] is False
    assert got["started_at"] and got["finished_at"]
    for reg in [*eligible, overridden]:
        cert_id = live_certificate(reg.registration_id)
        assert cert_id
        assert CertificateItem.get(*CertificateItem.key(cert_id)).run_id == run_id
    for reg in (ineligible, waitlisted, cancelled):
        assert live_certificate(reg.registration_id) is None
    # one execution, named after the run; the organiser is told
    [execution] = pipelines.executions()
    assert execution["name"] == run_id and execution["status"] == "SUCCEEDED"
    [mail] = [m for m in sent_emails(organiser.email) if "Certificates for" in m["subject"]]
    assert mail["subject"] == "Certificates for Ethics in practice: 4 issued"
    assert "Issued: 4, skipped: 1, failed: 0" in mail["text"] and "not eligible (1)" in mail["text"]


def test_given_a_list_then_only_those_are_considered_and_each_skip_says_why(api, organiser, pipelines):
    event = complete(make_event(organiser.token))
    other_event = complete(make_event(organiser.token))
    chosen = registration(event)
    not_chosen = registration(event)
    cancelled = registration(event, status="cancelled")
    elsewhere = registration(other_event)
    unknown = new_id()

    got = _run(
        api,
        organiser,
        event,
        pipelines,
        {
            "registration_ids": [
                chosen.registration_id,
                chosen.registration_id,  # counted once
                cancelled.registration_id,
                elsewhere.registration_id,
                unknown,
            ]
        },
    )

    assert (got["total"], got["issued"], got["skipped"], got["failed"]) == (4, 1, 3, 0)
    assert got["skipped_reasons"] == {"registration_cancelled": 1, "registration_not_found": 2}
    assert live_certificate(chosen.registration_id)
    assert live_certificate(not_chosen.registration_id) is None
    assert live_certificate(elsewhere.registration_id) is None


def test_given_a_task_that_crashes_for_one_person_then_the_others_are_issued_and_the_report_names_them(
    api, organiser, pipelines, monkeypatch
):
    event = complete(make_event(organiser.token))
    fine = [registration(event) for _ in range(2)]
    broken = registration(event, email="grace@example.org", name="Grace Hopper")
    real = issuing.issue_one
    attempts = []

    def flaky(**kw):
        if kw["registration_id"] == broken.registration_id:
            attempts.append(1)
            raise RuntimeError("renderer exploded")
        return real(**kw)

    monkeypatch.setattr(issuing, "issue_one", flaky)

    got = _run(api, organiser, event, pipelines)

    assert len(attempts) == 2  # retried once by the state machine, then caught for this person
    assert got["status"] == "failed" and got["error"] is None
    assert (got["issued"], got["skipped"], got["failed"]) == (2, 0, 1)
    assert got["failures"] == [
        {
            "registration_id": broken.registration_id,
            "email": "grace@example.org",
            "full_name": "Grace Hopper",
            "reason": "internal_error (RuntimeError)",
        }
    ]
    assert all(live_certificate(r.registration_id) for r in fine)
    assert live_certificate(broken.registration_id) is None
    # the execution itself succeeded: one person's failure is not the run's
    assert [e["status"] for e in pipelines.executions()] == ["SUCCEEDED"]
    [mail] = [m for m in sent_emails(organiser.email) if "Certificates for" in m["subject"]]
    assert "1 failed" in mail["subject"]
    assert "Grace Hopper <grace@example.org>: internal_error (RuntimeError)" in mail["text"]

    # issuing again for the failed person, once it works, is safe and completes the set
    monkeypatch.setattr(issuing, "issue_one", real)
    again = _run(api, organiser, event, pipelines, {"registration_ids": [broken.registration_id]})
    assert (again["issued"], again["status"]) == (1, "succeeded")


def test_given_two_runs_over_the_same_people_then_nobody_gets_a_second_certificate(api, organiser, pipelines):
    event = complete(make_event(organiser.token))
    regs = [registration(event) for _ in range(3)]

    first = _run(api, organiser, event, pipelines)
    second = _run(api, organiser, event, pipelines)
    listed = _run(api, organiser, event, pipelines, {"registration_ids": [r.registration_id for r in regs]})

    assert first["issued"] == 3
    assert (second["issued"], second["skipped"], second["skipped_reasons"]) == (0, 3, {"already_issued": 3})
    assert (listed["issued"], listed["skipped"]) == (0, 3)
    certs = _certificates_of(event.event_id)
    assert len(certs) == 3
    assert {c.registration_id for c in certs} == {r.registration_id for r in regs}


def test_given_two_runs_at_once_then_each_registration_has_one_certificate(api, organiser, pipelines):
    event = complete(make_event(organiser.token))
    regs = [registration(event) for _ in range(4)]

    a = _issue(api, organiser, event)
    b = _issue(api, organiser, event)  # a double click: a second run, before the first ran
    assert a.status == b.status == 202 and a.json["run_id"] != b.json["run_id"]
    pipelines.wait()

    runs = [_progress(api, organiser, event.event_id, x.json["run_id"]).json for x in (a, b)]
    assert sum(r["issued"] for r in runs) == 4
    assert all(r["status"] == "succeeded" for r in runs)
    assert sorted(c.registration_id for c in _certificates_of(event.event_id)) == sorted(
        r.registration_id for r in regs
    )


def test_a_retried_item_of_the_same_run_counts_as_issued_not_skipped(organiser, pipelines):
    """issue_one answers already_issued when a retry finds the certificate an earlier attempt of
    the same run made; IssueOne counts it as issued (the certificate names the run)."""
    from tests.support.events import user_id_of

    event = complete(make_event(organiser.token))
    reg = registration(event)
    run = IssueRunItem(
        *IssueRunItem.key(new_id()),
        run_id=new_id(),
        event_id=event.event_id,
        owner_id=user_id_of(organiser.token),
        created_at=event.created_at,
    )
    run.run_id = run.pk.split("#", 1)[1]
    run.save()
    deps = _deps()
    first = pipeline.issue_one(
        run_id=run.run_id, event_id=event.event_id, registration_id=reg.registration_id, deps=deps
    )
    retry = pipeline.issue_one(
        run_id=run.run_id, event_id=event.event_id, registration_id=reg.registration_id, deps=deps
    )
    other = pipeline.issue_one(
        run_id=new_id(), event_id=event.event_id, registration_id=reg.registration_id, deps=deps
    )

    assert first == retry == {"registration_id": reg.registration_id, "status": "issued", "reason": ""}
    assert other["status"] == "skipped" and other["reason"] == "already_issued"
    assert run_item(run.run_id).issued == 2  # the live count is approximate; Finalize settles it


def test_given_more_registrations_than_a_chunk_then_the_run_continues_in_new_executions(
    api, organiser, pipelines, monkeypatch
):
    monkeypatch.setattr(pipeline, "CHUNK", 2)
    event = complete(make_event(organiser.token))
    regs = [registration(event) for _ in range(5)]
    ineligible = registration(event, eligible=False)

    got = _run(api, organiser, event, pipelines)

    assert (got["total"], got["issued"], got["skipped"], got["failed"]) == (6, 5, 1, 0)
    assert got["status"] == "succeeded" and got["skipped_reasons"] == {"not_eligible": 1}
    names = sorted(e["name"] for e in pipelines.executions())
    run_id = got["run_id"]
    assert names == sorted([run_id, f"{run_id}-1", f"{run_id}-2"])
    assert all(e["status"] == "SUCCEEDED" for e in pipelines.executions())
    assert all(live_certificate(r.registration_id) for r in regs)
    assert live_certificate(ineligible.registration_id) is None
    assert run_item(run_id).chunk == 3

    # a named list goes chunk by chunk too
    more = [registration(event) for _ in range(3)]
    listed = _run(
        api, organiser, event, pipelines, {"registration_ids": [r.registration_id for r in [*regs, *more]]}
    )
    assert (listed["total"], listed["issued"], listed["skipped"]) == (8, 3, 5)
    assert run_item(listed["run_id"]).chunk == 4


# -- the route ----------------------------------------------------------------------------------


def test_dry_run_previews_each_person_and_writes_nothing(api, organiser, pipelines):
    event = complete(make_event(organiser.token))
    ok = registration(event, email="ok@example.org", name="Ok Person")
    no = registration(event, eligible=False)
    done = registration(event)
    _run(api, organiser, event, pipelines, {"registration_ids": [done.registration_id]})
    cancelled = registration(event, status="cancelled")
    unknown = new_id()
    before = _table_keys()
    executions = len(pipelines.executions())

    r = _issue(
        api,
        organiser,
        event,
        {
            "registration_ids": [
                ok.registration_id,
                no.registration_id,
                done.registration_id,
                cancelled.registration_id,
                unknown,
            ]
        },
        query="dry_run=true",
    )

    assert r.status == 200, r.json
    assert r.json["dry_run"] is True and r.json["would_issue"] == 1 and r.json["skipped"] == 4
    assert r.json["results"] == [
        {
            "registration_id": ok.registration_id,
            "email": "ok@example.org",
            "full_name": "Ok Person",
            "status": "would_issue",
            "reason": "",
        },
        {
            "registration_id": no.registration_id,
            "email": no.email,
            "full_name": no.full_name,
            "status": "skipped",
            "reason": "not_eligible",
        },
        {
            "registration_id": done.registration_id,
            "email": done.email,
            "full_name": done.full_name,
            "status": "skipped",
            "reason": "already_issued",
        },
        {
            "registration_id": cancelled.registration_id,
            "email": cancelled.email,
            "full_name": cancelled.full_name,
            "status": "skipped",
            "reason": "registration_cancelled",
        },
        {
            "registration_id": unknown,
            "email": None,
            "full_name": None,
            "status": "skipped",
            "reason": "registration_not_found",
        },
    ]
    all_confirmed = _issue(api, organiser, event, {}, query="dry_run=true").json
    assert (all_confirmed["would_issue"], all_confirmed["skipped"]) == (1, 2)
    assert _table_keys() == before  # no run, no certificate, no throttle token
    assert len(pipelines.executions()) == executions


def test_before_the_event_completes_a_run_is_409_and_a_dry_run_says_why(api, organiser, pipelines):
    event = make_event(organiser.token)  # published, not completed
    reg = registration(event)
    before = _table_keys()

    r = _issue(api, organiser, event)
    assert r.status == 409 and r.error_code == "event_not_completed"
    preview = _issue(api, organiser, event, query="dry_run=true").json
    assert preview["results"][0]["reason"] == "event_not_completed"
    assert _table_keys() == before and pipelines.executions() == []
    assert live_certificate(reg.registration_id) is None


def test_real_runs_are_throttled_per_organiser_with_retry_after(api, organiser, pipelines, monkeypatch):
    event = complete(make_event(organiser.token))
    pin_bulk_clock(monkeypatch)  # no refill while the loop runs
    registration(event)
    fits = BULK_CAPACITY // BULK_COSTS["certificates.issue"]  # the organiser's one bulk bucket
    statuses = []
    for _ in range(fits):
        statuses.append(_issue(api, organiser, event).status)
        pipelines.wait()  # in-process moto is not thread-safe: no run may write while we do
    throttled = _issue(api, organiser, event)
    other = verified_account(api)
    theirs = complete(make_event(other.token))

    assert statuses == [202] * fits
    assert throttled.status == 429 and throttled.error_code == "too_many_requests"
    assert int(throttled.headers["Retry-After"]) > 0
    assert _issue(api, other, theirs).status == 202  # a budget per organiser
    assert _issue(api, organiser, event, query="dry_run=true").status == 200  # dry runs are free
    pipelines.wait()
    assert len({e["name"] for e in pipelines.executions()}) == fits + 1


def test_bad_bodies_are_422_naming_the_field(api, organiser, pipelines):
    event = complete(make_event(organiser.token))
    too_many = [new_id() for _ in range(pipeline.MAX_REGISTRATION_IDS + 1)]
    for body in (
        {"registration_ids": ["not-a-uuid"]},
        {"registration_ids": too_many},
        {"registration_ids": "x"},
        {"registration_ids": []},  # send {} for everyone
    ):
        r = _issue(api, organiser, event, body)
        assert r.status == 422, r.json
        assert r.json["error"]["details"][0]["field"].startswith("registration_ids")
    assert pipelines.executions() == []


def test_progress_of_another_organisers_run_or_of_another_event_is_404(api, organiser, pipelines):
    event = complete(make_event(organiser.token))
    registration(event)
    run_id = _issue(api, organiser, event).json["run_id"]
    pipelines.wait()
    mallory = verified_account(api)
    elsewhere = complete(make_event(organiser.token))

    assert _progress(api, mallory, event.event_id, run_id).status == 404
    assert _progress(api, organiser, elsewhere.event_id, run_id).status == 404
    assert _progress(api, organiser, event.event_id, new_id()).status == 404
    assert _issue(api, mallory, event).status == 404
    assert _issue(api, mallory, event, query="dry_run=true").status == 404
    assert _progress(api, organiser, event.event_id, run_id).status == 200


def test_progress_while_running_shows_live_counts_not_marked_exact(api, organiser, pipelines, monkeypatch):
    event = complete(make_event(organiser.token))
    regs = [registration(event) for _ in range(2)]
    seen = []
    real = issuing.issue_one

    def watching(**kw):
        seen.append(dict(run_item(kw["run_id"]).attribute_values))
        return real(**kw)

    monkeypatch.setattr(issuing, "issue_one", watching)
    run_id = _issue(api, organiser, event).json["run_id"]
    pipelines.wait()

    assert [s["status"] for s in seen] == ["running", "running"]
    assert sorted(int(s["issued"]) for s in seen) == [0, 1]  # counted as each one is done
    assert all(live_certificate(r.registration_id) for r in regs)
    assert run_item(run_id).issued == 2


# -- automatic runs -----------------------------------------------------------------------------


def test_event_completed_with_auto_issue_starts_one_run_whatever_the_redeliveries(organiser, pipelines):
    event = complete(make_event(organiser.token, auto_issue_certificates=True))
    regs = [registration(event) for _ in range(2)]
    registration(event, eligible=False)

    assert worker.handle(_envelope(event), _deps()) == "started"
    assert worker.handle(_envelope(event), _deps()) in ("started", "already_started")  # redelivered
    pipelines.wait()
    assert worker.handle(_envelope(event), _deps()) == "already_started"

    run = run_item(pipeline.auto_run_id(event.event_id))
    assert (run.status, run.issued, run.skipped, run.requested_by) == ("succeeded", 2, 1, None)
    runs = list(IssueRunItem.gsi1.query(IssueRunItem.event_index(event.event_id, "")[0]))
    assert [r.run_id for r in runs] == [run.run_id]
    assert [e["name"] for e in pipelines.executions()] == [run.run_id]
    assert all(live_certificate(r.registration_id) for r in regs)
    [mail] = [m for m in sent_emails(organiser.email) if "Certificates for" in m["subject"]]
    assert "automatically, as the event completed" in mail["text"]


def test_auto_issue_off_or_not_completed_starts_nothing(organiser, pipelines):
    off = complete(make_event(organiser.token, auto_issue_certificates=False))
    registration(off)
    running = make_event(organiser.token, auto_issue_certificates=True)

    assert worker.handle(_envelope(off), _deps()) == "auto_issue_off"
    assert worker.handle(_envelope(running), _deps()) == "not_completed"
    assert worker.handle({"source": "lectern", "detail-type": "lectern.event.updated"}, _deps()) == "ignored"
    assert worker.handle({**_envelope(off), "detail": {"data": {}}}, _deps()) == "dropped"
    assert pipelines.executions() == []


def test_a_queued_automatic_run_whose_start_failed_is_started_by_the_redelivery(
    organiser, pipelines, monkeypatch
):
    event = complete(make_event(organiser.token))
    registration(event)

    def fail(*a, **kw):
        raise ConnectionError("Step Functions unreachable")

    monkeypatch.setattr(pipeline, "_start", fail)
    with pytest.raises(ConnectionError):
        worker.handle(_envelope(event), _deps())
    assert run_item(pipeline.auto_run_id(event.event_id)).status == "queued"
    monkeypatch.undo()

    assert worker.handle(_envelope(event), _deps()) == "started"
    pipelines.wait()
    assert run_item(pipeline.auto_run_id(event.event_id)).issued == 1


# -- the tasks, directly ------------------------------------------------------------------------


def _queued_run(event: EventItem, total: int = 0) -> IssueRunItem:
    run = pipeline.new_run(new_id(), event, event.owner_id, None, event.created_at)
    run.total = total
    run.save()
    return run


def test_finalize_retried_after_settling_changes_nothing(organiser, pipelines):
    event = complete(make_event(organiser.token))
    run = _queued_run(event)
    deps = _deps()
    pipeline.validate(run_id=run.run_id, chunk=0, registration_ids=None, deps=deps)
    results = [
        {"registration_id": new_id(), "status": "issued", "reason": ""},
        {"registration_id": new_id(), "status": "skipped", "reason": "not_eligible"},
        {"registration_id": new_id(), "status": "crashed", "error": "States.Timeout"},
    ]

    first = pipeline.finalize(run_id=run.run_id, chunk=0, results=results, deps=deps)
    again = pipeline.finalize(run_id=run.run_id, chunk=0, results=results, deps=deps)

    assert (
        first
        == again
        == {"continue": False, "run_id": run.run_id, "chunk": 1, "execution_name": f"{run.run_id}-1"}
    )
    got = run_item(run.run_id)
    assert (got.issued, got.skipped, got.failed, got.status) == (1, 1, 1, "failed")
    assert [f["reason"] for f in got.failures] == ["timed_out"]
    assert got.failures[0]["email"] is None  # not a registration: reported by id
    assert (
        len(deps.bus.events) == 1 and deps.bus.events[0].detail_type == "lectern.certificates.issue_finished"
    )
    assert deps.bus.events[0].data["failed"] == 1


def test_validate_finds_the_event_no_longer_completed_and_the_run_fails_saying_why(organiser, pipelines):
    event = complete(make_event(organiser.token))
    registration(event)
    run = _queued_run(event)
    event.update(actions=[EventItem.status.set("cancelled")])
    deps = _deps()

    out = pipeline.validate(run_id=run.run_id, chunk=0, registration_ids=None, deps=deps)
    assert out == {"run_id": run.run_id, "event_id": event.event_id, "items": []}
    pipeline.finalize(run_id=run.run_id, chunk=0, results=[], deps=deps)

    got = run_item(run.run_id)
    assert (got.status, got.error, got.issued) == ("failed", "event_not_completed", 0)
    assert "did not complete: event not completed" in deps.mailer.sent[0].text


def test_a_run_failing_as_a_whole_is_marked_failed_once(organiser, pipelines):
    event = complete(make_event(organiser.token))
    run = _queued_run(event)
    deps = _deps()

    pipeline.abort(run_id=run.run_id, error={"Error": "Lambda.ServiceException", "Cause": "..."}, deps=deps)
    pipeline.abort(run_id=run.run_id, error={"Error": "States.Runtime", "Cause": "..."}, deps=deps)

    got = run_item(run.run_id)
    assert (got.status, got.error) == ("failed", "pipeline_failed (Lambda.ServiceException)")
    assert got.finished_at is not None
    assert len(deps.mailer.sent) == 1 and len(deps.bus.events) == 1


def test_when_validate_crashes_the_execution_fails_and_the_run_says_so(
    api, organiser, pipelines, monkeypatch
):
    event = complete(make_event(organiser.token))
    registration(event)

    def broken(**kw):
        raise RuntimeError("table unavailable")

    monkeypatch.setattr(pipeline, "validate", broken)
    run_id = _issue(api, organiser, event).json["run_id"]
    pipelines.wait()

    got = _progress(api, organiser, event.event_id, run_id).json
    assert (got["status"], got["error"], got["exact"]) == ("failed", "pipeline_failed (RuntimeError)", True)
    [execution] = pipelines.executions()
    assert execution["status"] == "FAILED" and execution["error"] == "IssueRunFailed"  # the alarm's metric


def test_the_executed_definition_is_the_deployed_template(pipelines):
    from local.stepfunctions import function_arn

    sfn = aws.client("stepfunctions")
    [deployed] = pipelines.deployed
    definition = json.loads(sfn.describe_state_machine(stateMachineArn=deployed.arn)["definition"])
    region = get_settings().region
    assert definition == ISSUE_CERTIFICATES.definition(
        {t.placeholder: function_arn(region, f"lectern-test-{t.name}") for t in ISSUE_CERTIFICATES.tasks}
    )
    assert get_settings().issue_state_machine_arn == deployed.arn
