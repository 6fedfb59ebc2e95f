"""REST plumbing: authentication, injected faults, rate limits, routing to handlers, JSON answers."""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakediscord import spec
from tests.fakediscord.errors import DiscordError


@dataclass
class Fault:
    method: str
    pattern: re.Pattern[str]
    status: int
    remaining: int
    retry_after: float = 0.2
    after: int = 0  # matching requests to let through before failing


@dataclass
class Request:
    method: str
    path: str
    body: Any


class Rest:
    def _route_table(self) -> list[tuple[str, re.Pattern[str], Callable[..., Awaitable[Any]]]]:
        """Every `ROUTES` entry of the route classes this fake is made of: (method, path regex, handler name)."""
        table = []
        for cls in type(self).__mro__:
            for method, rx, name in cls.__dict__.get("ROUTES", ()):
                table.append((method, re.compile(f"^{rx}$"), getattr(self, name)))
        return table

    async def _cdn(self, request: web.Request) -> web.Response:
        content = self.attachments.get(int(request.match_info["id"]))
        if content is None:
            return web.Response(status=404)
        return web.Response(body=content)

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        body, files = await self._read_body(request)
        self.requests.append(Request(request.method, path, body))
        if (
            not path.startswith(("/interactions/", "/webhooks/"))
            and request.headers.get("Authorization") != f"Bot {self.token}"
        ):
            return self._json({"message": "401: Unauthorized", "code": 0}, 401, limited_headers=None)
        for fault in self.faults:
            if fault.remaining > 0 and fault.method == request.method and fault.pattern.search(path):
                if fault.after > 0:
                    fault.after -= 1
                    continue
                fault.remaining -= 1
                return self._fault_response(fault)
        op = spec.operation(request.method, path)
        if op is None:
            # Discord answers a route it does not have with a plain 404.
            self.unknown_routes.append(f"{request.method} {path}")
            self._refused(f"{request.method} {path}: no such route in Discord's API")
            return self._json({"message": "404: Not Found", "code": 0}, 404, limited_headers=None)
        found = self._find_route(request.method, path)
        if found is None:
            self.unknown_routes.append(f"{request.method} {path}")
            self._refused(f"{request.method} {path} ({op.operation_id}): the fake does not implement it")
            return self._json({"message": "404: Not Found", "code": 0}, 404, limited_headers=None)
        pattern, handler, match = found
        problems = spec.parameter_errors(op, path, request.query) or spec.request_errors(
            op, body, request.content_type
        )
        if problems:
            self._refused(f"{request.method} {path} ({op.operation_id}): {spec.describe(problems[0])}")
            err = DiscordError(400, 50035, "Invalid Form Body", spec.nested_errors(problems[0]))
            return self._answer(op, err.body(), 400, limited_headers=None)
        limited = self._rate_limit(request.method, pattern.pattern, match)
        if limited is not None:
            return self._answer(op, *limited)
        try:
            result = await handler(body=body, files=files, query=request.query, **match.groupdict())
        except DiscordError as err:
            if err.refusal:
                self._refused(
                    f"{request.method} {path} ({op.operation_id}): {err.code} {err.message} {err.errors or ''}"
                )
            return self._answer(op, err.body(), err.status, limited_headers=None)
        finally:
            self._touch()
        if result is None:
            return self._answer(op, None, 204)
        return self._answer(op, result, self._success_status(op))

    def _find_route(
        self, method: str, path: str
    ) -> tuple[re.Pattern[str], Callable[..., Awaitable[Any]], re.Match[str]] | None:
        for route_method, pattern, handler in self._routes:
            match = pattern.match(path)
            if match and route_method == method:
                return pattern, handler, match
        return None

    @staticmethod
    def _success_status(op: spec.Operation) -> int:
        """200, or 201 where the spec documents only 201 (thread creation), as Discord answers."""
        statuses = op.statuses()
        return 201 if "201" in statuses and "200" not in statuses else 200

    def _refused(self, what: str) -> None:
        self.refusals.append(what)

    def expect_refusals(self) -> None:
        """Declare that this test provokes refusals on purpose (the fixture then does not fail it)."""
        self.refusals_expected = True

    def _answer(
        self, op: spec.Operation, data: Any, status: int, *, limited_headers: Any = True
    ) -> web.Response:
        if self.check_responses:
            for problem in spec.response_errors(op, status, data):
                self.response_problems.append(
                    f"{op.method} {op.template} -> {status}: {spec.describe(problem)}"
                )
        if data is None:
            return web.Response(status=status)
        return self._json(data, status, limited_headers=limited_headers)

    def _rate_limit(self, method: str, template: str, match: re.Match[str]) -> tuple[Any, int] | None:
        major = (
            match.groupdict().get("cid")
            or match.groupdict().get("gid")
            or match.groupdict().get("token")
            or ""
        )
        bucket = f"{method}:{template}:{major}"
        now = time.monotonic()
        start, used = self._buckets.get(bucket, (now, 0))
        if now - start >= self.rate_window:
            start, used = now, 0
        used += 1
        self._buckets[bucket] = (start, used)
        self._last_headers = {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(max(0, self.rate_limit - used)),
            "X-RateLimit-Reset": f"{time.time() + self.rate_window - (now - start):.3f}",
            "X-RateLimit-Reset-After": f"{max(0.001, self.rate_window - (now - start)):.3f}",
            "X-RateLimit-Bucket": hashlib.sha1(bucket.encode()).hexdigest()[:16],
        }
        if used > self.rate_limit:
            retry = max(0.001, self.rate_window - (now - start))
            self._extra_headers = {"Retry-After": f"{retry:.3f}", "X-RateLimit-Scope": "user"}
            # topics/rate-limits shows no `code` in its examples; the spec's RatelimitedResponse requires one.
            return {
                "message": "You are being rate limited.",
                "retry_after": retry,
                "global": False,
                "code": 0,
            }, 429
        return None

    def _fault_response(self, fault: Fault) -> web.Response:
        if fault.status == 429:
            return self._json(
                {
                    "message": "You are being rate limited.",
                    "retry_after": fault.retry_after,
                    "global": False,
                    "code": 0,
                },
                429,
                limited_headers=None,
                extra={
                    "Retry-After": f"{fault.retry_after:.3f}",
                    "X-RateLimit-Limit": str(self.rate_limit),
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset-After": f"{fault.retry_after:.3f}",
                    "X-RateLimit-Bucket": "fault",
                    "X-RateLimit-Scope": "user",
                },
            )
        if fault.status == 403:
            return self._json({"message": "Missing Permissions", "code": 50013}, 403, limited_headers=None)
        if fault.status == 404:
            return self._json({"message": "Unknown Channel", "code": 10003}, 404, limited_headers=None)
        return web.Response(status=fault.status, text="upstream unavailable")

    def _json(
        self, data: Any, status: int, *, limited_headers: Any = True, extra: dict[str, str] | None = None
    ) -> web.Response:
        headers = dict(getattr(self, "_last_headers", {})) if limited_headers else {}
        if status == 429 and extra is None:
            extra = self._extra_headers
        headers.update(extra or {})
        headers["Content-Type"] = "application/json"  # exactly, as Discord sends it (no charset)
        # Discord's API answers through Google's front end; discord.py reads a 429 without it as a Cloudflare ban.
        headers["Via"] = "1.1 google"
        return web.Response(body=json.dumps(data).encode(), status=status, headers=headers)

    async def _read_body(self, request: web.Request) -> tuple[Any, list[tuple[str, bytes]]]:
        files: list[tuple[str, bytes]] = []
        if request.content_type.startswith("multipart/"):
            body: Any = {}
            reader = await request.multipart()
            async for part in reader:
                name = part.name or ""
                raw = await part.read()
                if name == "payload_json":
                    body = json.loads(raw)
                elif name.startswith("files["):
                    files.append((part.filename or name, bytes(raw)))
            return body, files
        raw = await request.read()
        return (json.loads(raw) if raw else None), files
