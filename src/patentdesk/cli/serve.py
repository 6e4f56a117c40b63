"""``patentdesk serve``: runs the server on the data folder."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated

import typer

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def plain_cookies_allowed(*, host: str, demo: bool, env: Mapping[str, str]) -> bool:
    """Only the local demo (``make run``: ``--demo`` on a loopback address) may serve its
    cookies over plain HTTP, unless the operator set PATENTDESK_SECURE_COOKIES themself.
    Everywhere else cookies are Secure and HSTS is sent (the server sits behind HTTPS)."""
    return demo and host in LOOPBACK and "PATENTDESK_SECURE_COOKIES" not in env


def listening_url(host: str, port: int) -> str:
    """The address a phone on the same network uses for a server listening on ``host``:
    the wildcard addresses name this machine's address on the network instead."""
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 (naming, not binding)
        host = _network_address()
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _network_address() -> str:
    import socket

    # A UDP "connection" sends nothing; it only picks the interface that would route out.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed anywhere
            return str(probe.getsockname()[0])
        except OSError:
            return "127.0.0.1"


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
        demo: Annotated[
            bool, typer.Option(help="seed a demo legal person and agency on first start")
        ] = False,
        workers: Annotated[
            int | None,
            typer.Option(min=1, max=256, help="worker processes (default: one per core)"),
        ] = None,
    ) -> None:
        """Runs the server: migrates the database and creates the CA on first start."""
        from patentdesk import server
        from patentdesk.bootstrap import prepare
        from patentdesk.config import load_settings

        settings = load_settings()
        if "base_url" not in settings.model_fields_set:
            # QR codes name the server: without PATENTDESK_BASE_URL, the address it listens
            # on (the default 127.0.0.1:8000 would send phones to the wrong port).
            settings.base_url = listening_url(host, port)
            # Each worker builds its settings from the environment: name it there too.
            os.environ["PATENTDESK_BASE_URL"] = settings.base_url
        if plain_cookies_allowed(host=host, demo=demo, env=os.environ):
            settings.secure_cookies = False
            # Each worker builds its settings from the environment: say it there too.
            os.environ["PATENTDESK_SECURE_COOKIES"] = "false"
        prepare(settings)
        if demo:
            from patentdesk.demo import seed_demo

            for line in seed_demo(settings):
                typer.echo(line)
        from patentdesk.audit_anchor import database as anchored_database
        from patentdesk.housekeeping import purge

        db = anchored_database(settings)
        purge(db, settings)
        db.dispose()
        url = f"http://{host}:{port}/"
        count = workers or server.default_workers()
        typer.echo(
            f"PatentDesk [{settings.environment}] serving {url} (data: {settings.data}, "
            f"{count} worker{'s' if count > 1 else ''}); QR codes name {settings.base_url}"
        )
        server.run(host, port, count)
