"""`make dev` — the whole Lectern API on http://127.0.0.1:3000 (LECTERN_PORT overrides).

A small stand-in for API Gateway in front of every route group's real handler:

* the route table comes from the OpenAPI document every group contributes to
  (`tools.openapi.build()`, the one the CDK app deploys), plus the meta extras (`local.routes`);
  matched with or without a trailing slash;
* webhooks (`WEBHOOKS`: `POST /webhooks/zoom`) are Lambda function URLs in AWS, not API
  Gateway routes: the raw request becomes a function URL event (payload format 2.0, the body
  bytes untouched) for the webhook function, in-process, and its answer goes back as is;
* operations with `security` run the real Lambda authorizer first (deny → 401 envelope, as the
  gateway response we deploy); its context becomes `requestContext.authorizer`;
* the group's `lambda_handler` runs in-process with an API Gateway REST proxy event and a
  Lambda context; its proxy response is written back (headers + multiValueHeaders, base64);
* unknown path → 404 `route_not_found`; wrong method → 405 with Allow; OPTIONS goes to the
  group serving the path (it answers CORS preflight); bodies over 10 MB → 413 (API Gateway's
  hard limit; smaller limits are the handlers' business);
* AWS is moto, embedded on 127.0.0.1 behind one lock (`local.emulator`), bootstrapped with the
  table, bucket, bus, SES sender and secret (`local.bootstrap`); EventBridge consumers are fed
  through SQS by pollers (`local.events`); the Step Functions pipelines run the definitions the
  CDK app deploys, their Lambda tasks dispatched to the handlers in-process (`local.stepfunctions`);
* `/_dev/*` (local only, never deployed): `GET /_dev/emails?to=` reads captured mail newest
  first, `DELETE /_dev/emails` clears it, `GET /_dev/routes` lists the route table.

Environment: LECTERN_PORT (3000), LECTERN_EMULATOR_PORT (free port), LECTERN_LOCAL_STRICT=1
(refuse to start when a group's module does not exist yet), any LECTERN_* setting.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from werkzeug.datastructures import Headers
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from local.apigw import function_url_event, rest_event
from local.emulator import ACCOUNT_ID, Emulator
from local.routes import API_PREFIX, Match, RouteTable
from local.runtime import Function

ROOT = Path(__file__).resolve().parents[1]
STATE_DIR = ROOT / ".lectern"
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway REST payload limit
API_ID = "local"
STAGE = "local"
# Webhook function URLs served on the same port: path → (function name, handler). In AWS each
# is its own function URL (infra/constructs/webhooks.py); Stripe's comes with billing.
WEBHOOKS: dict[str, tuple[str, str]] = {
    "/webhooks/zoom": ("zoom-webhook", "functions.webhooks.zoom.lambda_handler"),
}


# -- responses the gateway itself produces -------------------------------------------------


def envelope(
    status: int,
    code: str,
    message: str,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body = json.dumps({"error": {"code": code, "message": message, "details": details or []}})
    resp = Response(body, status=status, content_type="application/json")
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def json_response(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, content_type="application/json")


# The gateway responses the CDK app configures (infra/constructs/api.py GATEWAY_RESPONSES):
# status, code, message; details carry the request id as correlation id.
UNAUTHORIZED = (401, "unauthorized", "A valid bearer access token is required.")
ACCESS_DENIED = (403, "forbidden", "Access to this resource is denied.")
NOT_FOUND = (404, "route_not_found", "No route matches this path and method.")
TOO_LARGE = (413, "payload_too_large", "The request body is too large.")
DEFAULT_5XX = (500, "internal_error", "An unexpected error occurred.")
BAD_GATEWAY = (502, "internal_error", "An unexpected error occurred.")


def _gateway_cors(origin: str | None) -> dict[str, str]:
    """CORS on the gateway's own answers, for the origins the functions allow, so a browser can
    read a 401. (Deployed, API Gateway can state one origin statically; with several it sends
    none — locally there are several and we echo the allowed one.)"""
    if not origin:
        return {}
    from lectern.config import get_settings

    if origin in get_settings().allowed_origins():
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Credentials": "true",
            "Vary": "Origin",
        }
    return {}


# -- the gateway ---------------------------------------------------------------------------


class Deny(Exception):
    def __init__(self, response: tuple[int, str, str]) -> None:
        super().__init__(response[2])
        self.response = response


class Gateway:
    def __init__(
        self,
        table: RouteTable,
        functions: dict[str, Function],
        authorizer: Function | None,
        emulator: Emulator | None,
        region: str,
        webhooks: dict[str, Function] | None = None,
    ) -> None:
        self.table = table
        self.functions = functions
        self.authorizer = authorizer
        self.emulator = emulator
        self.region = region
        self.webhooks = webhooks or {}  # path → function behind a function URL

    # WSGI entry point
    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        started = time.perf_counter()
        request = Request(environ)
        request_id = str(uuid.uuid4())
        try:
            response = self.dispatch(request, request_id)
        except Exception:  # noqa: BLE001 - the gateway itself must never die on a request
            traceback.print_exc()
            response = self.gateway_response(DEFAULT_5XX, request_id, None)
        ms = (time.perf_counter() - started) * 1000
        print(f"{request.method} {request.path} {response.status_code} {ms:.0f}ms", flush=True)
        return response(environ, start_response)

    @staticmethod
    def gateway_response(
        kind: tuple[int, str, str],
        request_id: str,
        origin: str | None,
        headers: dict[str, str] | None = None,
        message: str | None = None,
    ) -> Response:
        status, code, default_message = kind
        return envelope(
            status,
            code,
            message or default_message,
            [{"correlation_id": request_id}],
            headers={"x-amzn-RequestId": request_id, **_gateway_cors(origin), **(headers or {})},
        )

    def dispatch(self, request: Request, request_id: str) -> Response:
        path = request.path
        origin = request.headers.get("Origin")
        if path == "/_dev" or path.startswith("/_dev/"):
            return self.dev(request)
        # API Gateway enforces its payload limit before anything else.
        body = _read_body(request)
        if body is None:
            return self.gateway_response(TOO_LARGE, request_id, origin)
        webhook = self.webhooks.get(path.rstrip("/"))
        if webhook is not None:
            return self.function_url(webhook, request, body, request_id)
        match = self.table.match(_raw_path(request.environ))
        if match is None:
            return self.gateway_response(NOT_FOUND, request_id, origin)
        method = request.method.upper()
        route = match.routes.get(method)
        if route is None and method != "OPTIONS":
            allowed = match.allowed
            return self.gateway_response(
                (405, "method_not_allowed", ""),
                request_id,
                origin,
                headers={"Allow": ", ".join(allowed)},
                message=f"{method} is not allowed here; use {', '.join(allowed)}.",
            )
        group = route.group if route is not None else match.preflight_group
        event = self.build_event(request, match, body, request_id)
        if route is not None and route.secured:
            try:
                event["requestContext"]["authorizer"] = self.authorize(event)
            except Deny as deny:
                return self.gateway_response(deny.response, request_id, origin)
        return self.invoke(group, event, origin)

    # -- API Gateway behaviour -------------------------------------------------------------

    def build_event(self, request: Request, match: Match, body: bytes, request_id: str) -> dict[str, Any]:
        headers: dict[str, str] = {}
        multi: dict[str, list[str]] = {}
        for name, value in request.headers.items():
            headers[name] = value
            multi.setdefault(name, []).append(value)
        source_ip = request.remote_addr or "127.0.0.1"
        for name, value in (
            ("X-Forwarded-For", source_ip),
            ("X-Forwarded-Proto", "http"),
            ("X-Forwarded-Port", str(request.environ.get("SERVER_PORT", ""))),
        ):
            if name not in headers:
                headers[name] = value
                multi[name] = [value]
        query = request.query_string.decode("utf-8", "replace")
        event = rest_event(
            request.method,
            request.path,
            raw_body=body if body else None,
            query=query,
            source_ip=source_ip,
            resource=match.template,
            path_parameters=match.params or None,
        )
        event["headers"] = headers
        event["multiValueHeaders"] = multi
        ctx = event["requestContext"]
        ctx.update(
            {
                "requestId": request_id,
                "extendedRequestId": request_id,
                "accountId": ACCOUNT_ID,
                "apiId": API_ID,
                "stage": STAGE,
                "resourceId": "local",
                "domainName": request.host,
                "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
                "requestTimeEpoch": int(time.time() * 1000),
                "path": f"/{STAGE}{request.path}",
            }
        )
        ctx["identity"]["userAgent"] = headers.get("User-Agent", "")
        return event

    def method_arn(self, event: dict[str, Any]) -> str:
        return (
            f"arn:aws:execute-api:{self.region}:{ACCOUNT_ID}:{API_ID}/{STAGE}/"
            f"{event['httpMethod']}{event['path']}"
        )

    def authorize(self, event: dict[str, Any]) -> dict[str, Any]:
        """Run the REQUEST authorizer; return the context API Gateway would pass on."""
        if self.authorizer is None:
            raise Deny(DEFAULT_5XX)
        arn = self.method_arn(event)
        auth_event = {
            "type": "REQUEST",
            "methodArn": arn,
            "resource": event["resource"],
            "path": event["path"],
            "httpMethod": event["httpMethod"],
            "headers": event["headers"],
            "multiValueHeaders": event["multiValueHeaders"],
            "queryStringParameters": event["queryStringParameters"],
            "multiValueQueryStringParameters": event["multiValueQueryStringParameters"],
            "pathParameters": event["pathParameters"],
            "stageVariables": None,
            "requestContext": {k: v for k, v in event["requestContext"].items() if k != "authorizer"},
        }
        try:
            policy = self.authorizer.invoke(auth_event)
        except Exception as exc:  # noqa: BLE001
            if str(exc) == "Unauthorized":
                raise Deny(UNAUTHORIZED) from None
            traceback.print_exc()  # API Gateway: AUTHORIZER_FAILURE, a 500
            raise Deny(DEFAULT_5XX) from None
        if not isinstance(policy, dict) or not _allows(policy.get("policyDocument") or {}, arn):
            raise Deny(ACCESS_DENIED)
        context = {k: _context_value(v) for k, v in (policy.get("context") or {}).items()}
        context["principalId"] = str(policy.get("principalId", ""))
        return context

    def invoke(self, group: str, event: dict[str, Any], origin: str | None) -> Response:
        request_id = event["requestContext"]["requestId"]
        function = self.functions.get(group)
        if function is None:
            print(f"no function loaded for group {group!r}", file=sys.stderr, flush=True)
            return self.gateway_response(BAD_GATEWAY, request_id, origin)
        try:
            result = function.invoke(event)
        except Exception:  # noqa: BLE001 - what API Gateway turns into a 502
            traceback.print_exc()
            return self.gateway_response(BAD_GATEWAY, request_id, origin)
        if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
            print(f"malformed Lambda proxy response: {str(result)[:500]}", file=sys.stderr, flush=True)
            return self.gateway_response(BAD_GATEWAY, request_id, origin)
        return proxy_response(result, request_id)

    # -- Lambda function URLs --------------------------------------------------------------

    def function_url(self, function: Function, request: Request, body: bytes, request_id: str) -> Response:
        """Invoke a function-URL function as AWS does: header names lower-cased, the body as
        text for textual content types and base64 otherwise, the response written back."""
        ctype = request.headers.get("Content-Type", "").lower()
        textual = not ctype or ctype.startswith("text/") or "json" in ctype or "xml" in ctype
        event = function_url_event(
            request.method,
            request.path,
            raw_body=body,
            headers=dict(request.headers.items()),
            query=request.query_string.decode("utf-8", "replace"),
            source_ip=request.remote_addr or "127.0.0.1",
            request_id=request_id,
            domain=request.host,
            base64_body=None if textual else True,
        )
        try:
            result = function.invoke(event)
        except Exception:  # noqa: BLE001 - a function URL answers 502 when the function fails
            traceback.print_exc()
            return Response("Internal Server Error", status=502, content_type="text/plain")
        if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
            print(f"malformed function URL response: {str(result)[:500]}", file=sys.stderr, flush=True)
            return Response("Internal Server Error", status=502, content_type="text/plain")
        return proxy_response(result, request_id)

    # -- /_dev -----------------------------------------------------------------------------

    def dev(self, request: Request) -> Response:
        path = request.path.rstrip("/")
        if path == "/_dev/emails":
            if self.emulator is None:
                return envelope(404, "route_not_found", "No mail capture here.")
            if request.method == "GET":
                return json_response({"items": self.emulator.mailbox(request.args.get("to") or None)})
            if request.method == "DELETE":
                return json_response({"deleted": self.emulator.clear_mailbox()})
            return envelope(
                405,
                "method_not_allowed",
                f"{request.method} is not allowed here; use DELETE, GET.",
                headers={"Allow": "DELETE, GET"},
            )
        if path == "/_dev/routes" and request.method == "GET":
            return json_response(
                {
                    "items": [
                        {"method": r.method, "path": r.template, "function": r.group, "secured": r.secured}
                        for r in self.table.routes()
                    ]
                }
            )
        if path == "/_dev" and request.method == "GET":
            return json_response(
                {"items": ["GET /_dev/emails?to=<address>", "DELETE /_dev/emails", "GET /_dev/routes"]}
            )
        return envelope(404, "route_not_found", "No route matches this path.")


def proxy_response(result: dict[str, Any], request_id: str) -> Response:
    headers = Headers()
    seen: set[str] = set()
    for name, values in (result.get("multiValueHeaders") or {}).items():
        for v in values or []:
            headers.add(name, str(v))
        seen.add(name.lower())
    for name, value in (result.get("headers") or {}).items():
        if name.lower() not in seen:
            headers.add(name, str(value))
    for hop in ("Content-Length", "Transfer-Encoding", "Connection"):
        headers.remove(hop)
    headers.setdefault("x-amzn-RequestId", request_id)
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    if "Content-Type" not in headers:
        headers["Content-Type"] = "application/json"
    return Response(data, status=result["statusCode"], headers=headers)


def _allows(document: dict[str, Any], arn: str) -> bool:
    allowed = False
    for st in document.get("Statement") or []:
        actions = st.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if not any(a in ("*", "execute-api:*", "execute-api:Invoke") for a in actions):
            continue
        resources = st.get("Resource", [])
        resources = [resources] if isinstance(resources, str) else resources
        if any(fnmatchcase(arn, r) for r in resources):
            if st.get("Effect") == "Deny":
                return False
            if st.get("Effect") == "Allow":
                allowed = True
    return allowed


def _context_value(v: Any) -> Any:
    # API Gateway passes authorizer context values on as strings (numbers/booleans stringified).
    if isinstance(v, bool):
        return "true" if v else "false"
    return v if isinstance(v, str) else str(v)


def _raw_path(environ: dict[str, Any]) -> str:
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")
    if raw.startswith(("http://", "https://")):
        raw = urlsplit(raw).path
    return raw.split("?", 1)[0] or "/"


def _read_body(request: Request) -> bytes | None:
    """The body, or None when it exceeds API Gateway's 10 MB limit."""
    length = request.content_length
    if length is not None and length > MAX_BODY_BYTES:
        _drain(request)
        return None
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if not length and not chunked:
        return b""
    stream = request.stream
    parts: list[bytes] = []
    total = 0
    while True:
        chunk = stream.read(min(1 << 16, MAX_BODY_BYTES + 1 - total))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
        if total > MAX_BODY_BYTES:
            _drain(request)
            return None
    return b"".join(parts)


def _drain(request: Request, limit: int = 64 * 1024 * 1024) -> None:
    """Read (and drop) an oversize body so the client can read our 413 instead of a reset."""
    stream = request.stream
    drained = 0
    while drained < limit:
        chunk = stream.read(1 << 20)
        if not chunk:
            return
        drained += len(chunk)


# -- process -------------------------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        pass  # the gateway prints its own line per request


def _check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise SystemExit(f"port {port} on {host} is in use ({exc.strerror}); set LECTERN_PORT") from None


REMINDER_SWEEP_HANDLER = "functions.workers.reminder_sweep.lambda_handler"
DEFAULT_REMINDER_SWEEP_SECONDS = 30.0


def _print_sweep_error(exc: BaseException) -> None:
    print(f"[reminders] sweep failed: {exc!r}\n{''.join(traceback.format_exception(exc))}", flush=True)


class ReminderSweepTimer:
    """Local stand-in for the scheduled EventBridge rule (infra/constructs/schedules.py): runs the
    reminder sweep function every `interval` seconds in a daemon thread until `stop()`.
    `LECTERN_REMINDER_SWEEP_SECONDS` sets the interval (default 30; 0 disables)."""

    def __init__(self, interval: float, region: str, on_error: Any = None) -> None:
        self.interval = interval
        self.stopping = threading.Event()
        self.runs = 0
        self.function = Function(
            f"lectern-{STAGE}-reminder-sweep", REMINDER_SWEEP_HANDLER, timeout_seconds=300.0, region=region
        )
        self._on_error = on_error or _print_sweep_error
        self.thread: threading.Thread | None = None
        if interval > 0:
            self.thread = threading.Thread(target=self._loop, name="reminder-sweep", daemon=True)
            self.thread.start()

    @staticmethod
    def interval_from_env() -> float:
        raw = os.environ.get("LECTERN_REMINDER_SWEEP_SECONDS", "").strip()
        if not raw:
            return DEFAULT_REMINDER_SWEEP_SECONDS
        try:
            value = float(raw)
        except ValueError:
            message = f"LECTERN_REMINDER_SWEEP_SECONDS={raw!r}: a number of seconds (0 disables)"
            raise SystemExit(message) from None
        return max(0.0, value)

    def run_once(self) -> Any:
        self.runs += 1
        return self.function.invoke({"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}})

    def _loop(self) -> None:
        while not self.stopping.wait(self.interval):
            try:
                self.run_once()
            except Exception as exc:  # noqa: BLE001 - the next tick tries again
                if self.stopping.is_set():
                    return
                self._on_error(exc)

    def stop(self, timeout: float = 5.0) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout)

    def describe(self) -> str:
        if self.thread is None:
            return "off (LECTERN_REMINDER_SWEEP_SECONDS=0)"
        return f"every {self.interval:g}s"


@dataclass
class Runtime:
    gateway: Gateway
    emulator: Emulator
    pollers: Any
    missing: list[str]
    resources: dict[str, str]
    reminder_sweep: ReminderSweepTimer | None = None

    def stop(self) -> None:
        if self.reminder_sweep is not None:
            self.reminder_sweep.stop()
        self.pollers.stop()
        self.emulator.stop()


def start_runtime(api_base_url: str) -> Runtime:
    """Emulator, environment, route groups, resources, consumers: everything but the socket."""
    from local import bootstrap, events, routes

    emulator = Emulator(port=int(os.environ.get("LECTERN_EMULATOR_PORT") or 0))
    emulator.start()
    try:
        bootstrap.configure_environment(emulator.url, api_base_url)
        loaded = routes.load(strict=os.environ.get("LECTERN_LOCAL_STRICT", "") in ("1", "true", "yes"))
        routes.publish_openapi(loaded.doc, STATE_DIR)
        resources = bootstrap.bootstrap()
        region = resources["region"]
        from functions.groups import AUTHORIZER_MODULE

        functions = {
            name: Function(f"lectern-{STAGE}-{name}", f"{module}.lambda_handler", region=region)
            for name, module in loaded.groups.items()
        }
        authorizer = Function(
            f"lectern-{STAGE}-authorizer", f"{AUTHORIZER_MODULE}.lambda_handler", region=region
        )
        webhooks = {
            path: Function(f"lectern-{STAGE}-{name}", handler, region=region)
            for path, (name, handler) in WEBHOOKS.items()
        }
        pipelines = _deploy_pipelines(emulator.url, region)
        pollers = events.start(bus=resources["event_bus"], region=region, doorbell=emulator.doorbell)
        sweep = ReminderSweepTimer(ReminderSweepTimer.interval_from_env(), region)
    except BaseException:
        emulator.stop()
        raise
    gateway = Gateway(loaded.table, functions, authorizer, emulator, region, webhooks)
    return Runtime(gateway, emulator, pollers, loaded.missing, {**resources, "pipelines": pipelines}, sweep)


def _deploy_pipelines(emulator_url: str, region: str) -> str:
    """The Step Functions pipelines on the emulator, from the definitions the CDK app deploys
    (local.stepfunctions); their ARNs become the `LECTERN_*` settings that name them."""
    from local import bootstrap, stepfunctions

    # moto's executions call Lambda (and Step Functions) through its server: this one.
    os.environ["MOTO_PORT"] = str(urlsplit(emulator_url).port)
    stepfunctions.enable_execution()
    deployed = stepfunctions.deploy(stage=STAGE, region=region)
    os.environ.update(stepfunctions.settings_env(deployed))
    bootstrap.reset_caches()
    return ", ".join(d.pipeline.state_machine_name(STAGE) for d in deployed)


def _banner(base: str, rt: Runtime) -> str:
    table = rt.gateway.table
    lines = [
        "",
        f"  Lectern local API   {base}{API_PREFIX}",
        f"  docs                {base}{API_PREFIX}/docs",
        f"  mail                {base}/_dev/emails?to=<address>",
        f"  webhooks            {', '.join(f'POST {base}{p}' for p in sorted(rt.gateway.webhooks))}"
        "  (Zoom signs with LECTERN_ZOOM_WEBHOOK_SECRET; `make simulate` plays a webinar)",
        f"  routes              {base}/_dev/routes  ({len(table)} operations, functions: "
        f"{', '.join(sorted(rt.gateway.functions))})",
        f"  AWS emulator        {rt.emulator.url}  (moto; region {rt.resources['region']}, "
        f"table {rt.resources['table']}, bucket {rt.resources['bucket']})",
        f"  event consumers     {', '.join(rt.pollers.names()) or 'none wired'}",
        f"  pipelines           {rt.resources.get('pipelines') or 'none'}  (Step Functions on the emulator)",
        f"  reminder sweep      {rt.reminder_sweep.describe() if rt.reminder_sweep else 'off'}",
        "  state is in memory: a restart starts from an empty table (sign in again)",
    ]
    if rt.missing:
        lines.append(f"  WARNING: route group(s) without a module yet, NOT served: {', '.join(rt.missing)}")
    return "\n".join(lines) + "\n"


def _exit_with_parent(pid: str) -> None:
    """With LECTERN_EXIT_WITH_PARENT=<pid> (the e2e tests set it), stop when that process is
    gone: a test run killed without its teardown must not leave a server behind, busy with the
    requests still queued (one such orphan ran for half an hour)."""
    if not pid.isdigit():
        return

    def watch() -> None:
        while os.getppid() == int(pid):
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def main() -> int:
    host = "127.0.0.1"
    port = int(os.environ.get("LECTERN_PORT") or 3000)
    base = f"http://{host}:{port}"
    _check_port_free(host, port)
    started = time.perf_counter()
    rt = start_runtime(base)
    server = make_server(host, port, rt.gateway, threaded=True, request_handler=_QuietHandler)

    def _terminate(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    _exit_with_parent(os.environ.get("LECTERN_EXIT_WITH_PARENT", ""))
    print(
        _banner(base, rt) + f"  ready in {time.perf_counter() - started:.1f}s — Ctrl+C to stop\n", flush=True
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        rt.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
