"""``patentdesk serve``: worker processes, uvloop and httptools, TCP_NODELAY on connections
accepted from a socket the workers inherit (which asyncio leaves with Nagle on)."""

from __future__ import annotations

import asyncio
import functools
import socket

import pytest
import uvicorn
from uvicorn.server import ServerState

from patentdesk import server
from tests.support.loops import run_async


async def _nodelay_of_accepted(protocol_class: type) -> int:
    # Bound the way uvicorn binds for --workers: socket(family) has protocol number 0.
    listener = socket.socket(socket.AF_INET)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.setblocking(False)

    async def app(scope: object, receive: object, send: object) -> None:
        return None

    # (uvicorn's own H11Protocol leaves TCP_NODELAY at 0 here: the bug these fix)
    config = uvicorn.Config(app=app, http=protocol_class, lifespan="off")
    config.load()
    state = ServerState()
    factory = functools.partial(
        config.http_protocol_class, config=config, server_state=state, app_state={}
    )
    loop = asyncio.get_running_loop()
    srv = await loop.create_server(factory, sock=listener)
    _reader, writer = await asyncio.open_connection(*listener.getsockname())
    for _ in range(100):
        if state.connections:
            break
        await asyncio.sleep(0.01)
    (proto,) = state.connections
    sock = proto.transport.get_extra_info("socket")
    value = int(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
    writer.close()
    srv.close()
    return value


@pytest.mark.parametrize("name", ["NoDelayH11", "NoDelayHttpTools"])
def test_connections_from_an_inherited_socket_get_tcp_nodelay(name):
    assert run_async(_nodelay_of_accepted(getattr(server, name))) == 1


def test_serve_uses_uvloop_httptools_and_one_worker_per_core():
    options = server.uvicorn_options(3)
    assert options == {
        "workers": 3,
        "http": "patentdesk.server:NoDelayHttpTools",
        "loop": "uvloop",
    }
    assert server.default_workers() >= 1


def test_serve_refuses_zero_workers():
    from typer.testing import CliRunner

    from patentdesk.cli.main import app

    result = CliRunner().invoke(app, ["serve", "--workers", "0"])
    assert result.exit_code != 0
    assert "workers" in result.output


def test_the_local_demo_tells_its_workers_to_send_plain_cookies(monkeypatch, tmp_path):
    """Workers build their settings from the environment: the demo's plain-HTTP cookies
    must reach them there, not only the parent's settings object."""
    from typer.testing import CliRunner

    import patentdesk.bootstrap
    import patentdesk.demo
    import patentdesk.housekeeping
    from patentdesk.cli.main import app

    seen: dict[str, str | None] = {}

    def fake_run(host: str, port: int, workers: int, **tls: object) -> None:
        import os

        seen["secure"] = os.environ.get("PATENTDESK_SECURE_COOKIES")

    monkeypatch.setattr(server, "run", fake_run)
    monkeypatch.setattr(patentdesk.bootstrap, "prepare", lambda settings: None)
    monkeypatch.setattr(patentdesk.demo, "seed_demo", lambda settings: [])
    monkeypatch.setattr(patentdesk.housekeeping, "purge", lambda db, settings: None)
    monkeypatch.delenv("PATENTDESK_SECURE_COOKIES", raising=False)
    monkeypatch.setenv("PATENTDESK_DATA", str(tmp_path))
    result = CliRunner().invoke(app, ["serve", "--demo", "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert seen["secure"] == "false"
