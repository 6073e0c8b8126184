"""API: the REST API under /api/v1, its resources and methods built from the OpenAPI contract.

* every operation → a Lambda-proxy method on its group function (`x-lectern-function`);
* operations with `security` → the REQUEST authorizer (Authorization header, cached 60 s);
  the others → no authorization (public by contract);
* every resource with methods → ANY on the same function, without authorizer. Explicit methods
  win over ANY, so ANY only catches what no operation declares: the CORS preflight (OPTIONS),
  which the function answers from its allow-list, and wrong methods, which it answers with
  405 and `Allow` (lectern.http) — the same answers as the local runtime gives;
* API Gateway's own errors (no token, unknown path, throttled, ...) answer in the error envelope.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.nag import acknowledge
from infra.routes import API_BASE, Route, resource_paths

THROTTLE_RATE = 100  # requests per second, steady state, whole stage
THROTTLE_BURST = 200
# Bulk operations (spec-review M6) get a method-level throttle on the stage as well, in front of
# the per-organiser token bucket in the table (lectern/throttle.py take_bulk, docs/decisions/0007).
BULK_THROTTLE_RATE = 5
BULK_THROTTLE_BURST = 10
BULK_OPERATIONS: frozenset[tuple[str, str]] = frozenset(
    {
        ("POST", "/events/{event_id}/registrations/"),  # bulk add
        ("PATCH", "/events/{event_id}/registrations/bulk-attendance/"),
        ("POST", "/events/{event_id}/certificates/issue/"),
        ("POST", "/events/{event_id}/invitations/"),
        ("POST", "/events/{event_id}/invitations/{invitation_id}/resend/"),
        ("POST", "/contact-lists/{list_id}/import/"),
        ("POST", "/contact-lists/{list_id}/from-event/"),
    }
)
AUTHORIZER_CACHE_SECONDS = 60

PUBLIC_REASON = (
    "Public routes: signup/login/health and the other operations without `security` in "
    "docs/openapi.json are anonymous by contract; protected routes use the Lambda REQUEST authorizer."
)
PREFLIGHT_REASON = (
    "ANY catches only methods no operation declares: CORS preflight (OPTIONS, no credentials by the "
    "Fetch standard; answered from the origin allow-list) and wrong methods (answered 405 with Allow). "
    "The function's router has no route for them, so nothing protected is reachable."
)

# Access log: the resource template, never the concrete path (it can hold secrets such as a
# calendar-feed token), and no request or response bodies.
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "xrayTraceId": "$context.xrayTraceId",
    "requestTime": "$context.requestTime",
    "ip": "$context.identity.sourceIp",
    "userAgent": "$context.identity.userAgent",
    "method": "$context.httpMethod",
    "resource": "$context.resourcePath",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "latencyMs": "$context.responseLatency",
    "integrationLatencyMs": "$context.integrationLatency",
    "integrationStatus": "$context.integrationStatus",
    "userId": "$context.authorizer.user_id",
    "authorizerError": "$context.authorizer.error",
    "error": "$context.error.message",
}

# API Gateway's own answers, in the error envelope of lectern.http (code, status).
GATEWAY_RESPONSES: tuple[tuple[str, apigw.ResponseType, str | None, str, str], ...] = (
    (
        "Unauthorized",
        apigw.ResponseType.UNAUTHORIZED,
        "401",
        "unauthorized",
        '"A valid bearer access token is required."',
    ),
    (
        "AccessDenied",
        apigw.ResponseType.ACCESS_DENIED,
        "403",
        "forbidden",
        '"Access to this resource is denied."',
    ),
    # API Gateway answers an unknown path or method with 403 "Missing Authentication Token"
    (
        "MissingAuthenticationToken",
        apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN,
        "404",
        "route_not_found",
        '"No route matches this path and method."',
    ),
    (
        "ResourceNotFound",
        apigw.ResponseType.RESOURCE_NOT_FOUND,
        "404",
        "route_not_found",
        '"No route matches this path and method."',
    ),
    (
        "RequestTooLarge",
        apigw.ResponseType.REQUEST_TOO_LARGE,
        "413",
        "payload_too_large",
        '"The request body is too large."',
    ),
    (
        "Throttled",
        apigw.ResponseType.THROTTLED,
        "429",
        "too_many_requests",
        '"Too many requests; try again later."',
    ),
    ("Default4xx", apigw.ResponseType.DEFAULT_4_XX, None, "bad_request", "$context.error.messageString"),
    (
        "Default5xx",
        apigw.ResponseType.DEFAULT_5_XX,
        None,
        "internal_error",
        '"An unexpected error occurred."',
    ),
)


def envelope_template(code: str, message_json: str) -> str:
    return (
        '{"error": {"code": "' + code + '", "message": ' + message_json + ", "
        '"details": [{"correlation_id": "$context.requestId"}]}}'
    )


def bulk_method_keys(routes: Sequence[Route]) -> list[str]:
    """`/api/v1/<resource path>/<METHOD>` of each bulk operation the contract has (API Gateway's
    resource path, after sibling variable names are unified), for the stage's method settings."""
    keys = []
    for route, parts in resource_paths(routes).items():
        if (route.method, route.path) in BULK_OPERATIONS:
            keys.append("/" + "/".join((*API_BASE, *parts, route.method)))
    return sorted(keys)


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        stage: str,
        routes: Sequence[Route],
        functions: Mapping[str, lambda_.IFunction],
        authorizer_function: lambda_.IFunction,
        cors_origins: tuple[str, ...],
    ) -> None:
        super().__init__(scope, id)
        self.access_logs = logs.LogGroup(
            self, "AccessLogs", retention=logs.RetentionDays.ONE_MONTH, removal_policy=RemovalPolicy.RETAIN
        )
        account = self._cloudwatch_account()
        self.bulk_method_keys = bulk_method_keys(routes)

        self.api = apigw.RestApi(
            self,
            "Api",
            rest_api_name=f"lectern-{stage}",
            description=f"Lectern API ({stage}); every path is under /api/v1",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=False,  # the account role is created below, without a managed policy
            binary_media_types=["image/*"],  # Swagger UI favicon (base64 from the meta function)
            deploy_options=apigw.StageOptions(
                stage_name=stage,
                throttling_rate_limit=THROTTLE_RATE,
                throttling_burst_limit=THROTTLE_BURST,
                method_options={
                    # a method override replaces the stage's settings for it: repeat them
                    key: apigw.MethodDeploymentOptions(
                        throttling_rate_limit=BULK_THROTTLE_RATE,
                        throttling_burst_limit=BULK_THROTTLE_BURST,
                        metrics_enabled=True,
                        logging_level=apigw.MethodLoggingLevel.ERROR,
                        data_trace_enabled=False,
                    )
                    for key in self.bulk_method_keys
                },
                tracing_enabled=True,
                metrics_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,  # would log request bodies: passwords, tokens
                access_log_destination=apigw.LogGroupLogDestination(self.access_logs),
                access_log_format=apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS)),
            ),
        )
        self.api.deployment_stage.node.add_dependency(account)

        self.authorizer = apigw.RequestAuthorizer(
            self,
            "Authorizer",
            authorizer_name=f"lectern-{stage}-token",
            handler=authorizer_function,
            identity_sources=[apigw.IdentitySource.header("Authorization")],
            results_cache_ttl=Duration.seconds(AUTHORIZER_CACHE_SECONDS),
        )

        # One invoke permission per function for the whole API (not one per method: a Lambda
        # resource policy holds 20 KB, about 60 per-method statements).
        integrations = {
            group: apigw.LambdaIntegration(fn, proxy=True, scope_permission_to_method=False)
            for group, fn in functions.items()
        }
        base = self.api.root
        for part in API_BASE:
            base = base.add_resource(part)
        self.base = base

        self.methods: dict[tuple[tuple[str, ...], str], apigw.Method] = {}
        resource_groups: dict[tuple[str, ...], list[str]] = {}
        for route, parts in resource_paths(routes).items():
            if route.group not in integrations:
                raise ValueError(f"{route.method} {route.path}: no function for group {route.group!r}")
            resource = self._resource(parts)
            if route.protected:
                method = resource.add_method(
                    route.method,
                    integrations[route.group],
                    authorization_type=apigw.AuthorizationType.CUSTOM,
                    authorizer=self.authorizer,
                )
            else:
                method = resource.add_method(
                    route.method, integrations[route.group], authorization_type=apigw.AuthorizationType.NONE
                )
                acknowledge(method, "AwsSolutions-APIG4", PUBLIC_REASON)
            self.methods[(parts, route.method)] = method
            resource_groups.setdefault(parts, []).append(route.group)

        for parts, groups in resource_groups.items():
            group = sorted(set(groups))[0]  # every group answers preflight the same way (lectern.http)
            method = self._resource(parts).add_method(
                "ANY", integrations[group], authorization_type=apigw.AuthorizationType.NONE
            )
            acknowledge(method, "AwsSolutions-APIG4", PREFLIGHT_REASON)
            self.methods[(parts, "ANY")] = method

        self._gateway_responses(cors_origins)

        # Usage plans meter requests that present an API key; Lectern's clients use bearer tokens,
        # so this plan (the stage's limits) is where a partner's key would attach. The limits in
        # force for everyone are the stage and method throttles above.
        self.usage_plan = self.api.add_usage_plan(
            "UsagePlan",
            name=f"lectern-{stage}",
            description="Lectern API: the stage's throttle; attach API keys of integrators here",
            throttle=apigw.ThrottleSettings(rate_limit=THROTTLE_RATE, burst_limit=THROTTLE_BURST),
            api_stages=[apigw.UsagePlanPerApiStage(api=self.api, stage=self.api.deployment_stage)],
        )

        acknowledge(
            self.api,
            "AwsSolutions-COG4",
            "Authentication is Lectern's own (argon2id passwords, JWT access tokens backed by server-side "
            "sessions, verified by the Lambda REQUEST authorizer); there is no Cognito user pool by design.",
        )
        acknowledge(
            self.api,
            "AwsSolutions-APIG2",
            "Requests are validated by each function (pydantic models) so that every invalid request gets "
            "the documented 422 error envelope naming the field; API Gateway validation answers otherwise.",
        )
        acknowledge(
            self.api.deployment_stage,
            "AwsSolutions-APIG3",
            "No WAF web ACL yet: stage throttling plus per-account/per-IP/per-organiser throttles in the "
            "functions (lectern.throttle) guard abuse; a regional WAF is a later option (0003-infra.md).",
        )

    def _resource(self, parts: tuple[str, ...]) -> apigw.IResource:
        resource = self.base
        for part in parts:
            resource = resource.get_resource(part) or resource.add_resource(part)
        return resource

    def _cloudwatch_account(self) -> apigw.CfnAccount:
        """API Gateway writes execution and access logs through one role per account and region."""
        stack = Stack.of(self)
        role = iam.Role(
            self,
            "CloudWatchRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            description="API Gateway (account-wide setting): pushes execution and access logs to CloudWatch",
        )
        log_groups = stack.format_arn(
            service="logs", resource="log-group", resource_name="*", arn_format=ArnFormat.COLON_RESOURCE_NAME
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="PushLogs",
                actions=[
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:DescribeLogGroups",
                    "logs:DescribeLogStreams",
                    "logs:PutLogEvents",
                ],
                resources=[log_groups],
            )
        )
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::{_nag_arn('logs', 'log-group:*')}]",
            "API Gateway's account-level logging role creates and writes the execution-log groups it names "
            "itself (API-Gateway-Execution-Logs_<api id>/<stage>) for every API of the account and region.",
        )
        account = apigw.CfnAccount(self, "Account", cloud_watch_role_arn=role.role_arn)
        account.apply_removal_policy(RemovalPolicy.RETAIN)
        return account

    def _gateway_responses(self, cors_origins: tuple[str, ...]) -> None:
        headers = {"Content-Type": "'application/json'"}
        if len(cors_origins) == 1:
            # One allowed origin can be stated statically. With several, API Gateway cannot choose
            # among them (it could only echo any Origin), so its own errors carry no CORS headers.
            headers.update(
                {
                    "Access-Control-Allow-Origin": f"'{cors_origins[0]}'",
                    "Access-Control-Allow-Credentials": "'true'",
                    "Vary": "'Origin'",
                }
            )
        for name, response_type, status, code, message in GATEWAY_RESPONSES:
            extra = {"Retry-After": "'1'"} if status == "429" else {}
            self.api.add_gateway_response(
                f"Gateway{name}",
                type=response_type,
                status_code=status,
                response_headers={**headers, **extra},
                templates={"application/json": envelope_template(code, message)},
            )


def _nag_arn(service: str, resource: str) -> str:
    """How cdk-nag prints an ARN built with Stack.format_arn in a finding id."""
    return f"arn:<AWS::Partition>:{service}:<AWS::Region>:<AWS::AccountId>:{resource}"
