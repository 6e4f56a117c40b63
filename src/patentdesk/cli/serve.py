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


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
        demo: Annotated[
            bool, typer.Option(help="seed a demo legal person and agency on first start")
        ] = False,
    ) -> None:
        """Runs the server: migrates the database and creates the CA on first start."""
        import uvicorn

        from patentdesk.app import create_app
        from patentdesk.bootstrap import prepare
        from patentdesk.config import load_settings

        settings = load_settings()
        if plain_cookies_allowed(host=host, demo=demo, env=os.environ):
            settings.secure_cookies = False
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
        typer.echo(f"PatentDesk [{settings.environment}] serving {url} (data: {settings.data})")
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
