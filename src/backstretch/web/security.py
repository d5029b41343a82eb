"""What keeps a local server private from the web pages its user visits.

Every page a user opens can send requests to ``127.0.0.1``. Following Jupyter's server, an
ASGI middleware in front of the app checks, for every HTTP request and WebSocket handshake:

- **Host** (DNS rebinding): the Host header must name this server (loopback names by
  default), so a foreign domain re-pointed at 127.0.0.1 gets 400.
- **Origin** (cross-site requests and WebSocket hijacking): a browser names the page that
  sends a request; a WebSocket, and any request that is not GET/HEAD/OPTIONS, is accepted
  only from this server's own origin. Clients that are not browsers send no Origin.
- **Token** (listening beyond loopback): every request must carry the per-launch token, in
  the URL (``?token=``, which then sets a same-site cookie), the cookie, or an
  ``Authorization: token ...`` (or ``Bearer ...``) header.

It also adds a content security policy and the usual security headers to every answer.
"""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
COOKIE = "backstretch_token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
        "media-src 'self' blob:; connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(self), microphone=(), geolocation=()",
}


def new_token() -> str:
    return secrets.token_urlsafe(24)


def host_name(host_header: str) -> str:
    """The host name of a Host header value, without port or IPv6 brackets, lower case."""
    value = host_header.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class Guard:
    """ASGI middleware: Host allow-list, same-origin check, optional token, security headers.

    ``hosts`` are the host names this server answers to; ``None`` answers to any (only
    sensible with a token)."""

    def __init__(
        self, app: ASGIApp, hosts: Iterable[str] | None = LOOPBACK_HOSTS, token: str | None = None
    ) -> None:
        self.app = app
        self.hosts = None if hosts is None else {h.lower().strip("[]") for h in hosts}
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        status, problem, set_cookie = self._check(scope, headers)
        if problem is not None:
            await _refuse(scope, receive, send, status, problem)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", []))
                have = {k.decode("latin-1").lower() for k, _ in raw}
                raw += [(k.encode(), v.encode()) for k, v in HEADERS.items() if k not in have]
                if set_cookie:
                    raw.append((b"set-cookie", set_cookie.encode()))
                message["headers"] = raw
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _same(self, given: str) -> bool:
        """Whether ``given`` is the token (constant time; any characters)."""
        assert self.token is not None
        return bool(given) and hmac.compare_digest(given.encode(), self.token.encode())

    def _check(self, scope: Scope, headers: dict[str, str]) -> tuple[int, str | None, str]:
        host = headers.get("host", "")
        if self.hosts is not None and host_name(host) not in self.hosts:
            return 400, f"this server does not answer to the host {host!r}", ""
        origin = headers.get("origin")
        unsafe = scope["type"] == "websocket" or scope.get("method", "GET") not in SAFE_METHODS
        if origin is not None and unsafe and urlsplit(origin).netloc.lower() != host.lower():
            return 403, f"requests from {origin} are not accepted; open the page of this server", ""
        if self.token is None:
            return 200, None, ""
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        given = query.get("token", [""])[0]
        if given and self._same(given):
            cookie = f"{COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict"
            return 200, None, cookie if scope["type"] == "http" else ""
        scheme, _, value = headers.get("authorization", "").partition(" ")
        if scheme.lower() in ("token", "bearer") and self._same(value.strip()):
            return 200, None, ""
        if self._same(cookie_parser(headers.get("cookie", "")).get(COOKIE, "")):
            return 200, None, ""
        return 401, "this server needs its token: open the address `backstretch serve` printed", ""


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, problem: str) -> None:
    if scope["type"] == "websocket":
        await receive()  # websocket.connect
        body: dict[str, Any] = {"detail": problem}
        if "websocket.http.response" not in scope.get("extensions", {}):
            await send({"type": "websocket.close", "code": 1008, "reason": problem[:120]})
            return
        await send(
            {
                "type": "websocket.http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "websocket.http.response.body", "body": json.dumps(body).encode()})
        return
    payload = json.dumps({"detail": problem}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *[(k.encode(), v.encode()) for k, v in HEADERS.items()],
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
