"""Infra tier, no synthesis: the route table read from the contract, deployment settings, and
the layer build command (checked, never run: it downloads)."""

from __future__ import annotations

import sys

import pytest

from infra.build_layer import compile_command, pip_command, runtime_dependencies
from infra.config import DeploymentConfig
from infra.routes import Route, resource_part, resource_paths, routes_from_document
from infra.runtime import PIP_PLATFORM, PYTHON_VERSION, ROOT

pytestmark = pytest.mark.infra


def op(group: str, security: list[dict[str, list[str]]] | None = None) -> dict[str, object]:
    return {"x-lectern-function": group, **({"security": security} if security is not None else {})}


BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]


class TestRoutes:
    def test_security_decides_the_authorizer(self) -> None:
        # Given operations with and without a security requirement, and one where it is optional
        doc = {
            "paths": {
                "/auth/login/": {"post": op("auth")},
                "/users/me/": {"get": op("users", BEARER), "patch": op("users", BEARER)},
                "/events/{uuid}/register/": {"post": op("users", [{}, {"bearerAuth": []}])},
            }
        }
        # When the route table is read
        routes = {(r.path, r.method): r for r in routes_from_document(doc, ["auth", "users", "meta"])}
        # Then only operations that require a token are protected
        assert routes[("/users/me/", "GET")].protected and routes[("/users/me/", "PATCH")].protected
        assert not routes[("/auth/login/", "POST")].protected
        assert not routes[
            ("/events/{uuid}/register/", "POST")
        ].protected  # optional token: the function checks
        # and the meta function's undocumented routes are added, public
        assert {(r.path, r.method) for r in routes.values() if r.group == "meta"} == {
            ("/openapi.json", "GET"),
            ("/docs", "GET"),
            ("/docs/{asset}", "GET"),
        }
        assert not any(r.protected for r in routes.values() if r.group == "meta")

    def test_unknown_group_is_refused(self) -> None:
        with pytest.raises(ValueError, match="not a route group"):
            routes_from_document({"paths": {"/x/": {"get": op("nope")}}}, ["meta"])

    def test_trailing_slashes_and_mixed_segments(self) -> None:
        assert Route("/auth/login/", "POST", "auth", False).segments == ("auth", "login")
        assert resource_part("{cpd_requirement_id}") == "{cpd_requirement_id}"
        assert resource_part("{token}.ics") == "{token}"
        assert resource_part("calendar.ics") == "calendar.ics"
        with pytest.raises(ValueError):
            resource_part("a b")

    def test_sibling_variables_share_one_resource(self) -> None:
        # API Gateway allows one variable part among siblings
        routes = [
            Route("/events/{uuid}/", "GET", "events", True),
            Route("/events/{event_id}/sessions/", "GET", "events", True),
            Route("/public/calendar/{token}.ics", "GET", "events", False),
        ]
        paths = resource_paths(routes)
        assert paths[routes[0]] == ("events", "{event_id}")
        assert paths[routes[1]] == ("events", "{event_id}", "sessions")
        assert paths[routes[2]] == ("public", "calendar", "{token}")

    def test_two_routes_on_one_method_are_refused(self) -> None:
        with pytest.raises(ValueError, match="same API Gateway method"):
            resource_paths([Route("/a/{x}/", "GET", "g", True), Route("/a/{y}/", "GET", "g", True)])


class TestDeploymentConfig:
    def test_context_values(self) -> None:
        ctx = {
            "stage": "pr-12",
            "cors_origins": '["https://app.example.org", "https://admin.example.org/"]',
            "mail_from": "Lectern <hello@mail.example.org>",
        }
        config = DeploymentConfig.from_context(ctx.get)
        assert config.cors_origins == ("https://app.example.org", "https://admin.example.org")
        assert config.sender_address == "hello@mail.example.org"
        assert config.sender_domain == "mail.example.org"
        assert DeploymentConfig.from_context(
            {"cors_origins": "https://a.example, https://b.example"}.get
        ).cors_origins == (
            "https://a.example",
            "https://b.example",
        )

    @pytest.mark.parametrize(
        "ctx",
        [
            {"stage": "Prod"},
            {"cors_origins": ["*"]},
            {"cors_origins": ["https://a.example/path"]},
            {"mail_from": "x"},
        ],
    )
    def test_bad_values_are_refused(self, ctx: dict[str, object]) -> None:
        with pytest.raises(ValueError):
            DeploymentConfig.from_context(ctx.get)


class TestLayerBuild:
    def test_pip_resolves_wheels_for_the_lambda_platform(self, tmp_path) -> None:  # type: ignore[no-untyped-def]
        deps = runtime_dependencies()
        cmd = pip_command(tmp_path, deps, python="py")
        assert cmd[:4] == ["py", "-m", "pip", "install"]
        assert cmd[cmd.index("--platform") + 1] == PIP_PLATFORM == "manylinux2014_aarch64"
        assert cmd[cmd.index("--python-version") + 1] == PYTHON_VERSION
        assert cmd[cmd.index("--implementation") + 1] == "cp"
        assert "--only-binary=:all:" in cmd and "--no-compile" in cmd
        assert cmd[cmd.index("--target") + 1] == str(tmp_path)
        assert cmd[-len(deps) :] == deps

    def test_dependencies_are_the_projects_pinned_runtime_dependencies(self) -> None:
        import tomllib

        deps = runtime_dependencies()
        assert deps == tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
        assert all("==" in d for d in deps), "the layer is built from exact pins"

    def test_bytecode_is_compiled_unchecked_for_the_runtime(self, tmp_path) -> None:  # type: ignore[no-untyped-def]
        cmd = compile_command("python3.12", tmp_path)
        assert cmd[:3] == ["python3.12", "-m", "compileall"]
        assert cmd[cmd.index("--invalidation-mode") + 1] == "unchecked-hash"

    def test_runtime_matches_what_the_stack_deploys(self) -> None:
        from infra.constructs.functions import ARCHITECTURE, RUNTIME

        assert RUNTIME.name == f"python{PYTHON_VERSION}"
        assert ARCHITECTURE.name == "arm64"
        # the code itself must keep running on the development interpreter
        assert sys.version_info >= (3, 11)
