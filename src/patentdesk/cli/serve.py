"""``patentdesk serve``: runs the server on the data folder."""

from __future__ import annotations

from typing import Annotated

import typer


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
