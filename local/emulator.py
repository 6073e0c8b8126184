"""The embedded AWS emulator: moto's server on 127.0.0.1, in this process, behind ONE lock.

Why one lock: moto's backends are not thread-safe (a failed DynamoDB transaction restores a
snapshot of the whole table and erases writes other threads made meanwhile — see
DESIGN.md "Running locally"). Every request to the emulator therefore runs start to finish,
response body included, while holding `Emulator.lock`. Code that reads moto's backends
in-process (the mail capture below, `local.server`'s `/_dev/emails`) takes the same lock.

Two seams ride on that wrapper:

* mail capture: moto's SES keeps only one body per message (HTML if present, else text), so
  the wrapper records `SendEmail` requests (text *and* HTML, with the time) keyed by the
  MessageId moto answers; `mailbox()` joins them with moto's `sent_messages`;
* Lambda `Invoke` runs outside the lock (a Step Functions task's handler calls the emulator
  again: see `locked_app`);
* a doorbell rung whenever something may have put a message on a queue (EventBridge
  `PutEvents`, SQS `SendMessage*`), so the local queue pollers wake at once instead of
  busy-polling (moto implements SQS long polling by sleeping inside the request, which would
  hold the lock — pollers never long-poll).
"""

from __future__ import annotations

import email
import email.policy
import io
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

ACCOUNT_ID = "123456789012"  # moto's default account for any access key it does not know

_MESSAGE_ID = re.compile(rb"<MessageId>([^<]+)</MessageId>")
_QUEUE_TARGETS = ("AWSEvents.PutEvents", "AmazonSQS.SendMessage", "AmazonSQS.SendMessageBatch")


class Doorbell:
    """A generation counter: waiters sleep until it changes (or a timeout)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._generation = 0

    @property
    def generation(self) -> int:
        with self._cond:
            return self._generation

    def ring(self) -> None:
        with self._cond:
            self._generation += 1
            self._cond.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        with self._cond:
            self._cond.wait_for(lambda: self._generation != seen, timeout=timeout)
            return self._generation


@dataclass
class CapturedMail:
    message_id: str
    to: list[str]
    subject: str
    text: str
    html: str
    sent_at: str


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    captured: dict[str, CapturedMail] = field(default_factory=dict)
    doorbell: Doorbell = field(default_factory=Doorbell)


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _form(body: bytes) -> dict[str, str]:
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        return {}
    return {k: v[-1] for k, v in parsed.items()}


def _capture_from_form(form: dict[str, str], message_id: str) -> CapturedMail | None:
    action = form.get("Action")
    if action == "SendEmail":
        to = [v for k, v in sorted(form.items()) if k.startswith("Destination.ToAddresses.member.")]
        return CapturedMail(
            message_id=message_id,
            to=to,
            subject=form.get("Message.Subject.Data", ""),
            text=form.get("Message.Body.Text.Data", ""),
            html=form.get("Message.Body.Html.Data", ""),
            sent_at=_now_iso(),
        )
    if action == "SendRawEmail":
        import base64

        try:
            raw = base64.b64decode(form.get("RawMessage.Data", ""))
        except ValueError:
            return None
        to = [v for k, v in sorted(form.items()) if k.startswith("Destinations.member.")]
        return _capture_from_mime(raw, message_id, to or None)
    return None


def _capture_from_mime(raw: bytes | str, message_id: str, to: list[str] | None = None) -> CapturedMail:
    msg = email.message_from_bytes(
        raw if isinstance(raw, bytes) else raw.encode(), policy=email.policy.default
    )
    text = html = ""
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        if ctype == "text/plain" and not text:
            text = str(part.get_content())
        elif ctype == "text/html" and not html:
            html = str(part.get_content())
    if not to:  # SendRawEmail without Destinations: the headers say who gets it
        to = [str(a) for h in ("To", "Cc", "Bcc") for a in (msg.get_all(h) or [])]
        to = [a.strip() for v in to for a in v.split(",") if a.strip()]
    return CapturedMail(message_id, to, str(msg.get("Subject", "")), text, html, _now_iso())


_LAMBDA_INVOKE = re.compile(r"^/2015-03-31/functions/[^/]+/invocations/?$")


def locked_app(app: Callable[..., Iterable[bytes]], state: _State) -> Callable[..., list[bytes]]:
    """Wrap moto's WSGI app: one request at a time, the response fully produced under the lock.

    Except Lambda `Invoke`: a Step Functions task (local.stepfunctions) runs its handler
    in-process from inside that request, and the handler calls the emulator again — under the
    lock that would wait for itself. The invoke itself touches no shared moto state (the
    dispatcher answers it); the handler's own calls each take the lock as usual."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ.get("REQUEST_METHOD") == "POST" and _LAMBDA_INVOKE.match(environ.get("PATH_INFO", "")):
            result = app(environ, start_response)
            try:
                return list(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        form: dict[str, str] = {}
        if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
            body = _read_body(environ)
            if b"Action=Send" in body:
                form = _form(body)
        status_holder: list[str] = []

        def capture_start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status_holder.append(status)
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        with state.lock:
            result = app(environ, capture_start)
            try:
                chunks = list(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
            ok = bool(status_holder) and status_holder[0].startswith("2")
            if ok and form.get("Action") in ("SendEmail", "SendRawEmail"):
                found = _MESSAGE_ID.search(b"".join(chunks))
                if found:
                    mail = _capture_from_form(form, found.group(1).decode())
                    if mail is not None:
                        state.captured[mail.message_id] = mail
        if ok and (target in _QUEUE_TARGETS or form.get("Action", "").startswith("SendMessage")):
            state.doorbell.ring()
        return chunks

    return wrapped


class Emulator:
    """moto's ThreadedMotoServer, served on 127.0.0.1 (a free port unless one is given)."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1") -> None:
        self._host = host
        self._port = port
        self._state = _State()
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.url = ""

    @property
    def lock(self) -> threading.Lock:
        return self._state.lock

    @property
    def doorbell(self) -> Doorbell:
        return self._state.doorbell

    def start(self) -> str:
        speed_up_moto()
        untrack_dynamodb_models()
        from moto.moto_server.threaded_moto_server import ThreadedMotoServer
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        class _QuietMotoHandler(MotoRequestHandler):
            def log_request(self, code: Any = "-", size: Any = "-") -> None:
                pass  # one line per API request is printed by local.server; the AWS calls are noise

        state = self._state
        ready = threading.Event()
        failure: list[BaseException] = []
        emulator = self

        class _LockedMotoServer(ThreadedMotoServer):
            # Same as ThreadedMotoServer._server_entry, with the dispatcher wrapped in the lock.
            def _server_entry(self) -> None:
                try:
                    app = locked_app(DomainDispatcherApplication(create_backend_app), state)
                    self._server = make_server(
                        self._ip_address, self._port, app, True, request_handler=_QuietMotoHandler
                    )
                except BaseException as exc:  # noqa: BLE001 - e.g. port in use: report instead of hanging
                    failure.append(exc)
                    ready.set()
                    self._server_ready_event.set()
                    return
                emulator._server = self._server
                ready.set()
                self._server_ready_event.set()
                self._server.serve_forever()

        moto_server = _LockedMotoServer(ip_address=self._host, port=self._port, verbose=False)
        moto_server.start()
        ready.wait()
        if failure:
            raise RuntimeError(f"the AWS emulator could not start on {self._host}:{self._port}: {failure[0]}")
        self._moto = moto_server
        host, port = moto_server.get_host_and_port()
        self._port = port
        self.url = f"http://{host}:{port}"
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._moto.stop()
            self._server = None

    # -- mail -----------------------------------------------------------------------------

    def mailbox(self, to: str | None = None) -> list[dict[str, Any]]:
        """Every message moto's SES accepted, newest first (optionally for one recipient)."""
        from moto.ses.models import Message, RawMessage, ses_backends

        wanted = to.strip().lower() if to else None
        items: list[tuple[int, dict[str, Any]]] = []
        seq = 0
        with self.lock:
            for account_backends in list(ses_backends.values()):
                for backend in list(account_backends.values()):
                    for msg in list(getattr(backend, "sent_messages", [])):
                        seq += 1
                        mail = self._state.captured.get(getattr(msg, "id", ""))
                        if mail is None:
                            mail = self._from_backend(msg, Message, RawMessage)
                            if mail is None:
                                continue
                            self._state.captured[mail.message_id] = mail  # keep its first-seen time
                        recipients = [_address(a) for a in mail.to]
                        if wanted and wanted not in recipients:
                            continue
                        for address in (
                            mail.to if not wanted else [a for a in mail.to if _address(a) == wanted]
                        ):
                            items.append(
                                (
                                    seq,
                                    {
                                        "to": address,
                                        "subject": mail.subject,
                                        "text": mail.text,
                                        "html": mail.html,
                                        "sent_at": mail.sent_at,
                                    },
                                )
                            )
        items.sort(key=lambda pair: (pair[1]["sent_at"], pair[0]), reverse=True)
        return [item for _, item in items]

    @staticmethod
    def _from_backend(msg: Any, message_cls: Any, raw_cls: Any) -> CapturedMail | None:
        if isinstance(msg, raw_cls):
            return _capture_from_mime(
                msg.raw_data, msg.id, list(getattr(msg, "destinations", None) or []) or None
            )
        if isinstance(msg, message_cls):
            to = list((msg.destinations or {}).get("ToAddresses", []))
            body = msg.body or ""
            is_html = "<" in body and ">" in body
            return CapturedMail(
                msg.id, to, msg.subject or "", "" if is_html else body, body if is_html else "", _now_iso()
            )
        return None  # templated mail: nothing we send uses it

    def clear_mailbox(self) -> int:
        from moto.ses.models import ses_backends

        cleared = 0
        with self.lock:
            for account_backends in list(ses_backends.values()):
                for backend in list(account_backends.values()):
                    sent = getattr(backend, "sent_messages", None)
                    if sent:
                        cleared += len(sent)
                        sent.clear()
            self._state.captured.clear()
        return cleared


def _snapshot_only_touched_items() -> None:
    """moto's TransactWriteItems deep-copies the whole table once per *item* of the transaction,
    to restore it if the transaction is cancelled: a transaction costs O(table), so a run that
    grows the table slows down quadratically (the 20x registration storm, 1,000 certificates).
    Instead, remember just the items the transaction names (a deep copy of each, or "absent")
    and, when moto cancels it, put exactly those back. A transaction writes only the items it
    names, so the table afterwards is what moto's whole-table restore would give. moto's own
    code still decides every outcome. Runs under the emulator's one lock (the module-level
    `copy` swap is not thread-safe), or single-threaded in the benches."""
    import copy as real_copy
    import types

    from moto.dynamodb import models
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    original = models.DynamoDBBackend.transact_write_items
    if getattr(original, "_lectern_patched", False):
        return

    def snapshot(self: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any, Any]]:
        taken: list[tuple[Any, Any, Any, Any]] = []
        for entry in transact_items:
            _, op = next(iter(entry.items()))
            table = self.tables.get(op.get("TableName"))
            key = op.get("Key") or op.get("Item") or {}
            if table is None or table.hash_key_attr not in key:
                continue  # moto reports the bad request itself; nothing of it is written
            hash_key = DynamoType(key[table.hash_key_attr])
            range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr in key else None
            part = table.items.get(hash_key)
            prior = part.get(range_key) if (part is not None and range_key is not None) else part
            taken.append((table, hash_key, range_key, real_copy.deepcopy(prior)))
        return taken

    def restore(taken: list[tuple[Any, Any, Any, Any]]) -> None:
        for table, hash_key, range_key, prior in reversed(taken):
            if range_key is None:
                if prior is None:
                    table.items.pop(hash_key, None)
                else:
                    table.items[hash_key] = prior
                continue
            if prior is None:
                part = table.items.get(hash_key)
                if part is not None:
                    part.pop(range_key, None)
                    if not part:
                        table.items.pop(hash_key, None)
            else:
                table.items[hash_key][range_key] = prior

    def no_table_copy(obj: Any, *args: Any, **kwargs: Any) -> Any:
        return obj if isinstance(obj, Table) else real_copy.deepcopy(obj, *args, **kwargs)

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        taken = snapshot(self, transact_items)
        shim = types.SimpleNamespace(copy=real_copy.copy, deepcopy=no_table_copy)
        models.copy = shim  # type: ignore[assignment]
        try:
            return original(self, transact_items)
        except BaseException:
            restore(taken)
            raise
        finally:
            models.copy = real_copy  # type: ignore[assignment]

    transact_write_items._lectern_patched = True  # type: ignore[attr-defined]
    transact_write_items._lectern_original = original  # type: ignore[attr-defined]
    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def speed_up_moto() -> None:
    """The two moto patches the emulator and the benches run with (see each)."""
    _snapshot_only_touched_items()
    query_one_partition()


_query_scope = threading.local()


def query_one_partition() -> None:
    """moto answers every Query by listing the whole table *sorted by key* (`Table.all_items()`)
    and then filtering it: each query costs O(n log n) DynamoType comparisons in the table's
    size, so a run that grows the table slows down quadratically (10,000 participant events
    spent most of their time sorting). A base-table Query needs only its partition; an index
    Query needs every item but no sort (moto sorts the matches by the index key afterwards).
    Results are moto's own — same items, same order, same pagination; only the candidate list
    is narrowed. Thread-safe: the narrowing is per thread, for the duration of one query."""
    from moto.dynamodb.models.table import Table

    if getattr(Table.query, "_lectern_patched", False):
        return
    original_query = Table.query
    original_all_items = Table.all_items

    def all_items(self: Any) -> list[Any]:
        scoped = getattr(_query_scope, "candidates", None)
        if scoped is not None and scoped[0] is self:
            return scoped[1]()
        return original_all_items(self)

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")

        def candidates() -> list[Any]:
            if index_name:  # every item; moto filters by the index key and sorts the matches
                if not self.range_key_attr:
                    return list(self.items.values())
                return [item for part in self.items.values() for item in part.values()]
            part = self.items.get(hash_key) if hash_key is not None else None  # .get: a defaultdict
            if part is None:
                return []
            return list(part.values()) if self.range_key_attr else [part]

        previous = getattr(_query_scope, "candidates", None)
        _query_scope.candidates = (self, candidates)
        try:
            return original_query(self, hash_key, *args, **kwargs)
        finally:
            _query_scope.candidates = previous

    query._lectern_patched = True  # type: ignore[attr-defined]
    query._lectern_originals = (original_query, original_all_items)  # type: ignore[attr-defined]
    Table.query = query  # type: ignore[method-assign]
    Table.all_items = all_items  # type: ignore[method-assign]


class _Untracked(list):  # type: ignore[type-arg]
    def append(self, item: Any) -> None:
        pass


def untrack_dynamodb_models() -> None:
    """moto keeps every model instance it ever creates (`instances_tracked`, for its dashboard),
    including each item of the whole-table snapshot a transaction takes: memory then grows with
    table size times transactions (1,000 certificates issued in one run reached 7 GB). DynamoDB's
    models are no longer tracked; nothing but that dashboard reads the list. (`mock_aws`
    resets the lists when it starts: call this after.)"""
    import moto.dynamodb.models  # noqa: F401  (defines, so registers, the classes)
    from moto.core.model_instances import model_data

    for cls in model_data.get("dynamodb", {}).values():
        cls.instances_tracked = _Untracked()  # type: ignore[attr-defined]


def _address(value: str) -> str:
    """`Name <a@b>` or `a@b` → `a@b`, lower-cased."""
    from email.utils import parseaddr

    return (parseaddr(value)[1] or value).strip().lower()


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
