"""Serving with uvicorn: worker processes, uvloop and httptools, and TCP_NODELAY on every
accepted connection.

With ``--workers`` uvicorn binds the socket in the parent and the workers accept on an
inherited copy whose protocol number is 0, so asyncio's transport does not recognise it as
TCP and never disables Nagle's algorithm (uvicorn issue #2161, CPython
``base_events._set_nodelay``): every small response on a keep-alive connection then waits
for the client's delayed ACK, about 40 ms. The protocols here set TCP_NODELAY themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from pathlib import Path
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - httptools is a dependency; h11 is the fallback
    HttpToolsProtocol = None  # type: ignore[assignment,misc]

APP_FACTORY = "patentdesk.app:create_app"


def set_nodelay(transport: asyncio.BaseTransport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NoDelayH11(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        set_nodelay(transport)
        super().connection_made(transport)


if HttpToolsProtocol is not None:

    class NoDelayHttpTools(HttpToolsProtocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            set_nodelay(transport)
            super().connection_made(transport)


def default_workers() -> int:
    """One worker per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def uvicorn_options(workers: int) -> dict[str, Any]:
    """uvloop and httptools where installed, with the TCP_NODELAY protocols."""
    options: dict[str, Any] = {"workers": workers, "http": "patentdesk.server:NoDelayH11"}
    if HttpToolsProtocol is not None:
        options["http"] = "patentdesk.server:NoDelayHttpTools"
    try:
        import uvloop  # noqa: F401

        options["loop"] = "uvloop"
    except ImportError:  # pragma: no cover - uvloop is a dependency where it builds
        options["loop"] = "asyncio"
    return options


def run(
    host: str,
    port: int,
    workers: int,
    *,
    ssl_certfile: Path | None = None,
    ssl_keyfile: Path | None = None,
    log_format: str = "json",
) -> None:
    """Serves the app of the environment's settings (each worker builds its own), over TLS
    when given a certificate and its key. The access log is the app's own (one line per
    request with its id, route and time: see patentdesk.observability), not uvicorn's."""
    import uvicorn

    from patentdesk.observability import logging_config

    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        log_level="info",
        log_config=logging_config(log_format),
        access_log=False,
        ssl_certfile=str(ssl_certfile) if ssl_certfile else None,
        ssl_keyfile=str(ssl_keyfile) if ssl_keyfile else None,
        **uvicorn_options(workers),
    )
