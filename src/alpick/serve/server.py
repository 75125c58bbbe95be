"""Running the app with uvicorn: bind, print the URL once, serve until Ctrl-C."""

from __future__ import annotations

import os
import secrets
import socket
import threading
from collections.abc import Callable
from pathlib import Path

from alpick.errors import AlpickError
from alpick.serve.security import LOOPBACK_NAMES, Guard, is_loopback

TOKEN_ENV = "ALPICK_TOKEN"


def make_guard(host: str, *, env: dict[str, str] | None = None) -> Guard:
    """The guard for binding ``host``: a token for a non-loopback host (``ALPICK_TOKEN`` or a
    random one), the loopback Host check otherwise.

    Raises:
        AlpickError: If ``ALPICK_TOKEN`` is set but shorter than 16 characters.
    """
    env = dict(os.environ) if env is None else env
    token = env.get(TOKEN_ENV) or None
    if token is not None and len(token) < 16:
        raise AlpickError(f"{TOKEN_ENV} must be at least 16 characters")
    if is_loopback(host):
        return Guard(token=token, allowed_hosts=LOOPBACK_NAMES)
    return Guard(token=token or secrets.token_urlsafe(24), allowed_hosts=None)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: any free port).

    Raises:
        AlpickError: If the address cannot be bound (in use, unknown host, no permission).
    """
    if not 0 <= port <= 65535:
        raise AlpickError(f"--port must be between 0 and 65535, got {port}")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise AlpickError(f"cannot resolve --host {host!r}: {exc.strerror}") from None
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise AlpickError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.set_inheritable(True)
    return sock


def url_for(host: str, port: int, token: str | None) -> str:
    """The link to print: the host as given (``[...]`` for IPv6), the token as a parameter."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/" + (f"?token={token}" if token else "")


def serve(
    project: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    open_browser: bool = False,
    metadata: Path | None = None,
    echo: Callable[[str], None] = print,
) -> None:
    """Serve ``project`` until interrupted.

    Raises:
        AlpickError: If there is no project, or the address cannot be bound.
        ImportError: If FastAPI or uvicorn is missing.
    """
    import uvicorn

    from alpick.serve.app import create_app
    from alpick.serve.reader import Reader

    reader = Reader(project, metadata=metadata)
    guard = make_guard(host)
    app = create_app(reader, guard=guard)
    sock = bind(host, port)
    bound_port = int(sock.getsockname()[1])
    link = url_for(host, bound_port, guard.token)
    echo(f"serving {reader.root} at {link}")
    if guard.token is not None and not is_loopback(host):
        echo("the token in this link is required by every request; keep it private")
    threading.Thread(target=reader.warm, name="alpick-serve-warm", daemon=True).start()
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    if open_browser:
        threading.Thread(target=_open_when_up, args=(server, link), daemon=True).start()
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


def _open_when_up(server: object, link: str) -> None:
    import time
    import webbrowser

    for _ in range(100):
        if getattr(server, "started", False):
            webbrowser.open(link)
            return
        time.sleep(0.1)
