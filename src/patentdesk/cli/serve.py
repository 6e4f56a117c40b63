"""``patentdesk serve``: runs the server on the data folder."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer

from patentdesk.errors import ValidationFailed


def phone_app_banner(base_url: str, *, tls: bool) -> list[str]:
    """What ``serve`` prints for phones: the app's address, a QR code of it, and why a phone
    needs https (camera and service worker need a secure context)."""
    import io

    import segno

    from patentdesk.mobile.webapp import app_url

    url = app_url(base_url)
    out = io.StringIO()
    segno.make(url, error="m").terminal(out=out, compact=True, border=2)
    lines = [f"手机 App / Phone app: {url}", out.getvalue().rstrip("\n")]
    if not url.startswith("https://") and not url.startswith(
        ("http://127.0.0.1", "http://localhost")
    ):
        lines.append(
            "注意：手机的相机和离线功能需要 https。请用 --ssl-certfile/--ssl-keyfile 或在前面放"
            "反向代理，并把 PATENTDESK_BASE_URL 设为 https 地址。 / Phones need https for the "
            "camera and offline use: serve with --ssl-certfile/--ssl-keyfile or behind a reverse "
            "proxy, and set PATENTDESK_BASE_URL to the https address."
        )
    elif tls and not url.startswith("https://"):
        lines.append(
            "注意：已启用 TLS，但 PATENTDESK_BASE_URL 不是 https 地址；二维码中的地址以它为准。"
            " / TLS is on but PATENTDESK_BASE_URL is not https; QR codes name that address."
        )
    return lines


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def plain_cookies_allowed(*, host: str, demo: bool, env: Mapping[str, str]) -> bool:
    """Only the local demo (``make run``: ``--demo`` on a loopback address) may serve its
    cookies over plain HTTP, unless the operator set PATENTDESK_SECURE_COOKIES themself.
    Everywhere else cookies are Secure and HSTS is sent (the server sits behind HTTPS)."""
    return demo and host in LOOPBACK and "PATENTDESK_SECURE_COOKIES" not in env


def listening_url(host: str, port: int, *, tls: bool = False) -> str:
    """The address a phone on the same network uses for a server listening on ``host``:
    the wildcard addresses name this machine's address on the network instead."""
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 (naming, not binding)
        host = _network_address()
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{'https' if tls else 'http'}://{host}:{port}"


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
        ssl_certfile: Annotated[
            Path | None,
            typer.Option(help="TLS certificate (PEM, with its chain) to serve https"),
        ] = None,
        ssl_keyfile: Annotated[
            Path | None, typer.Option(help="the certificate's private key (PEM)")
        ] = None,
    ) -> None:
        """Runs the server: migrates the database and creates the CA on first start."""
        from patentdesk import server
        from patentdesk.bootstrap import prepare
        from patentdesk.cli.output import errors_reported
        from patentdesk.config import load_settings

        with errors_reported(False):
            if (ssl_certfile is None) != (ssl_keyfile is None):
                raise ValidationFailed(
                    "--ssl-certfile 与 --ssl-keyfile 需同时给出",
                    "--ssl-certfile and --ssl-keyfile go together",
                )
            for given in (ssl_certfile, ssl_keyfile):
                if given is not None and not given.is_file():
                    raise ValidationFailed("文件不存在：{p}", "No such file: {p}", p=str(given))
        settings = load_settings()
        if "base_url" not in settings.model_fields_set:
            # QR codes name the server: without PATENTDESK_BASE_URL, the address it listens
            # on (the default 127.0.0.1:8000 would send phones to the wrong port).
            settings.base_url = listening_url(host, port, tls=ssl_certfile is not None)
            # Each worker builds its settings from the environment: name it there too.
            os.environ["PATENTDESK_BASE_URL"] = settings.base_url
        if plain_cookies_allowed(host=host, demo=demo, env=os.environ):
            settings.secure_cookies = False
            # Each worker builds its settings from the environment: say it there too.
            os.environ["PATENTDESK_SECURE_COOKIES"] = "false"
        with errors_reported(False):
            # e.g. a database that belongs to an environment whose keys this server lacks
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
        tls = ssl_certfile is not None
        url = f"{'https' if tls else 'http'}://{host}:{port}/"
        count = workers or server.default_workers()
        typer.echo(
            f"PatentDesk [{settings.environment}] serving {url} (data: {settings.data}, "
            f"{count} worker{'s' if count > 1 else ''}); QR codes name {settings.base_url}"
        )
        for line in phone_app_banner(settings.base_url, tls=tls):
            typer.echo(line)
        if count > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
            from patentdesk.observability import prepare_multiprocess

            # Each worker counts into this folder; /metrics on any of them sums them all.
            prepare_multiprocess(settings.data / "metrics")
        server.run(
            host,
            port,
            count,
            ssl_certfile=ssl_certfile,
            ssl_keyfile=ssl_keyfile,
            log_format=settings.log_format,
        )
