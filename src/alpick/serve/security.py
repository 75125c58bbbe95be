"""The app's guards: Host check, token, same-origin writes, and the headers of every answer.

- **Host**: on a loopback bind only ``127.0.0.1``, ``localhost`` and ``::1`` are accepted as
  the ``Host`` header, so a web page on another site cannot reach the app through DNS
  rebinding.
- **Token** (set for a non-loopback bind, or by ``ALPICK_TOKEN``): every request must carry it,
  as ``Authorization: Bearer``, ``X-Alpick-Token``, the ``token`` query parameter (which also
  sets a same-site cookie, so the printed link works in a browser) or that cookie.
- **Writes** (any method but GET/HEAD/OPTIONS) are refused when ``Origin`` is another origin or
  ``Sec-Fetch-Site`` says the request comes from another site.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

COOKIE = "alpick_token"
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; script-src 'self'; "
        "style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'self'"
    ),
}


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` only listens on this machine."""
    import ipaddress

    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def host_name(header: str) -> str:
    """The name part of a ``Host`` header (``[::1]:8000`` -> ``::1``), lower case."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


@dataclass(frozen=True)
class Guard:
    """The security settings of one app.

    Attributes:
        token: The required token, or ``None`` (loopback without ``ALPICK_TOKEN``).
        allowed_hosts: Host names accepted in the ``Host`` header; ``None`` accepts any
            (a token is then required).
    """

    token: str | None
    allowed_hosts: frozenset[str] | None

    def _token_of(self, request: Request) -> tuple[str | None, bool]:
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip(), False
        for value in (request.headers.get("x-alpick-token"), request.cookies.get(COOKIE)):
            if value:
                return value, False
        query = request.query_params.get("token")
        return (query, True) if query else (None, False)

    def refusal(self, request: Request) -> tuple[int, str] | None:
        """Why ``request`` is refused (status, message), or ``None`` to let it through."""
        if self.allowed_hosts is not None:
            name = host_name(request.headers.get("host", ""))
            if name not in self.allowed_hosts:
                return 421, "unexpected Host header (the app answers on 127.0.0.1 only)"
        if self.token is not None:
            given, _ = self._token_of(request)
            if given is None or not secrets.compare_digest(given.encode(), self.token.encode()):
                return 401, "missing or wrong token (open the link alpick serve printed)"
        if request.method not in _SAFE_METHODS:
            site = request.headers.get("sec-fetch-site")
            if site is not None and site not in ("same-origin", "none"):
                return 403, f"cross-site request refused (Sec-Fetch-Site: {site})"
            origin = request.headers.get("origin")
            if origin is not None:
                parts = urlsplit(origin)
                own = request.headers.get("host", "").lower()
                if origin == "null" or parts.netloc.lower() != own:
                    return 403, "cross-origin request refused"
        return None

    async def middleware(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        """The HTTP middleware: refuse, or answer with the security headers (and cookie)."""
        from starlette.responses import JSONResponse

        refused = self.refusal(request)
        if refused is not None:
            response: Response = JSONResponse({"error": refused[1]}, status_code=refused[0])
        else:
            response = await call_next(request)
            given, from_query = self._token_of(request)
            if self.token is not None and from_query and given is not None:
                response.set_cookie(COOKIE, given, httponly=True, samesite="strict", path="/")
        for key, value in HEADERS.items():
            response.headers.setdefault(key, value)
        return response
