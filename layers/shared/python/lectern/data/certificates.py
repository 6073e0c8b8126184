"""Certificate templates, certificates and issue runs (PRODUCT.md §6; spec-review H1, M7).

Templates (versioned — H1):
- CertificateTemplateItem: PK `TEMPLATE#<template_id>`, SK `V#<version:05d>`; one item per
  version. `template_id` is the stable uuid the API and events use (= `original_template`);
  each version also has its own `version_id`. GSI1 `OWNER#<owner_id>#TEMPLATES` /
  `<template_id>` is set on the latest version only (sparse), so "my templates" is one Query.
- CertificateTemplateHead: PK `TEMPLATE#<template_id>`, SK `HEAD`: `latest_version`,
  `revision`. Every edit is a transaction conditioned on the head's revision: two concurrent
  edits never produce two "latest" versions. Each version counts its own `issued_count`
  (incremented inside the issuing transaction, conditioned on the version being unchanged).

Certificates (immutable facts, one live per registration):
- CertificateItem: PK `CERT#<certificate_id>`, SK `CERT`; GSI1 `EVENT#<event_id>#CERTS` /
  `<certificate_id>`; GSI2 `USER#<user_id>#CERTS` (or `GUEST#<email>#CERTS` until the holder
  has a verified account) / `<certificate_id>`.
- CertificateNumber: PK `CERTNO#<number>`, SK `CERTNO` → certificate_id (public verification:
  GetItem by number, then GetItem the certificate — or BatchGet both when the id is known).
- RegistrationCertificate: PK `REG#<registration_id>`, SK `CERTIFICATE` → the live
  certificate of the registration, written with `attribute_not_exists` in the issuing
  transaction: issuing twice never makes two certificates. Re-issue (after a name correction)
  swaps it in one transaction and marks the old one superseded.
- CpdCertificateEntry: PK `USER#<user_id>`, SK `CPDCERT#<certificate_id>`: the hours a
  certificate earned, in the holder's partition so `/users/me/cpd-summary/` stays one Query
  (its `begins_with CPD` picks these up next to requirements and activities).

Issue runs:
- IssueRunItem: PK `ISSUERUN#<run_id>`, SK `RUN` (its own partition: the event partition's
  `EVENT`..`SESSION$` range must stay event + sessions); GSI1 `EVENT#<event_id>#ISSUERUNS` /
  `<run_id>`: status, counts, per-person failures, the Step Functions execution; progress is
  one GetItem (owner checked on the item).
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)

from lectern.data.base import TableItem


class CertificateTemplateItem(TableItem, discriminator="CertificateTemplate"):
    template_id = UnicodeAttribute()  # stable; = original_template
    version_id = UnicodeAttribute()  # this version's own uuid
    version = NumberAttribute()
    is_latest_version = BooleanAttribute(default=True)
    owner_id = UnicodeAttribute()
    name = UnicodeAttribute()
    orientation = UnicodeAttribute(default="landscape")  # landscape | portrait
    layout = JSONAttribute(default=dict)  # colours, texts, which facts appear, image keys, signatory
    issued_count = NumberAttribute(default=0)  # certificates issued with this version
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()

    @staticmethod
    def key(template_id: str, version: int) -> tuple[str, str]:
        return f"TEMPLATE#{template_id}", f"V#{version:05d}"

    @staticmethod
    def owner_index(owner_id: str, template_id: str) -> tuple[str, str]:
        return f"OWNER#{owner_id}#TEMPLATES", template_id


class CertificateTemplateHeadItem(TableItem, discriminator="CertificateTemplateHead"):
    template_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    latest_version = NumberAttribute(default=1)
    revision = NumberAttribute(default=0)
    deleted = BooleanAttribute(default=False)

    @staticmethod
    def key(template_id: str) -> tuple[str, str]:
        return f"TEMPLATE#{template_id}", "HEAD"


class CertificateItem(TableItem, discriminator="Certificate"):
    certificate_id = UnicodeAttribute()
    number = UnicodeAttribute()  # unguessable, public (verification URL)
    event_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()  # the organiser (issuer)
    registration_id = UnicodeAttribute()
    user_id = UnicodeAttribute(null=True)  # the holder's account, once linked
    email = UnicodeAttribute()
    template_id = UnicodeAttribute(null=True)
    template_version = NumberAttribute(null=True)
    facts = JSONAttribute()  # what the certificate says, as issued (name, event, dates, hours, sessions…)
    signature = UnicodeAttribute()  # over the canonical facts + number + issued_at
    status = UnicodeAttribute(default="valid")  # valid | revoked | superseded
    revoked_reason = UnicodeAttribute(null=True)
    revoked_at = UTCDateTimeAttribute(null=True)
    revoked_by = UnicodeAttribute(null=True)
    superseded_by = UnicodeAttribute(null=True)
    supersedes = UnicodeAttribute(null=True)
    pdf_key = UnicodeAttribute(null=True)  # S3 key in the files bucket (never public)
    run_id = UnicodeAttribute(null=True)
    holder_erased = BooleanAttribute(default=False)  # the holder was anonymised: name withheld
    issued_at = UTCDateTimeAttribute()

    @staticmethod
    def key(certificate_id: str) -> tuple[str, str]:
        return f"CERT#{certificate_id}", "CERT"

    @staticmethod
    def event_index(event_id: str, certificate_id: str) -> tuple[str, str]:
        return f"EVENT#{event_id}#CERTS", certificate_id

    @staticmethod
    def holder_index(user_id: str | None, email: str, certificate_id: str) -> tuple[str, str]:
        if user_id:
            return f"USER#{user_id}#CERTS", certificate_id
        return f"GUEST#{email}#CERTS", certificate_id


class CertificateNumberItem(TableItem, discriminator="CertificateNumber"):
    certificate_id = UnicodeAttribute()

    @staticmethod
    def key(number: str) -> tuple[str, str]:
        return f"CERTNO#{number}", "CERTNO"


class RegistrationCertificateItem(TableItem, discriminator="RegistrationCertificate"):
    certificate_id = UnicodeAttribute()
    event_id = UnicodeAttribute()

    @staticmethod
    def key(registration_id: str) -> tuple[str, str]:
        return f"REG#{registration_id}", "CERTIFICATE"


class CpdCertificateEntryItem(TableItem, discriminator="CpdCertificateEntry"):
    certificate_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    title = UnicodeAttribute()  # the event's title
    provider = UnicodeAttribute(default="")  # the issuer
    category = UnicodeAttribute(default="")
    hours = NumberAttribute(default=0)
    completed_on = UnicodeAttribute()  # ISO date the hours count on (the event's end)
    status = UnicodeAttribute(default="valid")  # mirrors the certificate: revoked hours stop counting

    PREFIX = "CPDCERT#"

    @staticmethod
    def key(user_id: str, certificate_id: str) -> tuple[str, str]:
        return f"USER#{user_id}", f"CPDCERT#{certificate_id}"


class IssueRunItem(TableItem, discriminator="IssueRun"):
    run_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    requested_by = UnicodeAttribute(null=True)  # None: automatic (event completed)
    status = UnicodeAttribute(default="queued")  # queued | running | succeeded | failed
    total = NumberAttribute(default=0)
    issued = NumberAttribute(default=0)
    skipped = NumberAttribute(default=0)
    failed = NumberAttribute(default=0)
    failures = JSONAttribute(default=list)  # [{registration_id, email, full_name, reason}] (first 500)
    execution_arn = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    finished_at = UTCDateTimeAttribute(null=True)
    # The pipeline's bookkeeping (lectern.certificates.pipeline): issued/skipped/failed above are
    # live while a chunk runs and exact once it is settled; `settled` holds the exact counts of the
    # settled chunks ({issued, skipped, failed, reasons: {reason: n}}), `pending` the running
    # chunk's screening ({skipped, reasons, more}), `chunk` how many chunks are settled.
    chunk = NumberAttribute(default=0)
    settled = JSONAttribute(default=dict)
    pending = JSONAttribute(null=True)
    started_at = UTCDateTimeAttribute(null=True)
    error = UnicodeAttribute(null=True)  # why the run as a whole failed (e.g. event_not_completed)

    @staticmethod
    def key(run_id: str) -> tuple[str, str]:
        return f"ISSUERUN#{run_id}", "RUN"

    @staticmethod
    def event_index(event_id: str, run_id: str) -> tuple[str, str]:
        return f"EVENT#{event_id}#ISSUERUNS", run_id
