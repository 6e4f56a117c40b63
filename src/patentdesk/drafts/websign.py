"""No-scan signing (免扫码, C6) for a web login.

The desktop client keeps its session key on the user's computer. A browser page has no
such place that could make the detached CMS signature the package format needs, so the
server keeps the key of each web login that signs — encrypted at rest, in its own folder
per session (``<data>/web-sessions/<session id hex>/``), used for nothing else, and
registered on the session exactly as the desktop client registers its own key. The phone
still decides: it opens a window for this login (the mobile app lists the web session
among the logins with a session key), the CA certifies the key only until the window
ends, and closing the window on the phone revokes that certificate at once. Outside a
window the key cannot sign anything the server accepts, and the login always scans.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session as Db

from patentdesk.authz import Actor
from patentdesk.config import Settings
from patentdesk.drafts.models import WebSessionSecret
from patentdesk.identity.models import Session
from patentdesk.identity.service import Context
from patentdesk.pki import keyfile
from patentdesk.pki.clientkey import ClientKeyStore
from patentdesk.pki.vault import SECRET_FILE
from patentdesk.timeutil import now

_PREFIX = "web-sessions/"
_VAULT = "session-key"  # the folder ClientKeyStore keeps under its home


def _folder(ctx: Context, session_id: uuid.UUID) -> Path:
    return ctx.settings.data / "web-sessions" / session_id.hex


@contextlib.contextmanager
def _key_home(ctx: Context, db: Db, session_id: uuid.UUID) -> Iterator[Path]:
    """The login's key store home: the data folder's, or on a cluster a private temporary
    one filled from the object store and the database, and stored back when the block
    ends normally."""
    if not ctx.settings.blobs:
        yield _folder(ctx, session_id)
        return
    from patentdesk.blobs import blobs_for

    store = blobs_for(ctx.settings)
    prefix = f"{_PREFIX}{session_id.hex}/"
    home = Path(tempfile.mkdtemp(prefix="patentdesk-web-session-"))
    vault = home / _VAULT
    try:
        before: dict[str, bytes] = {}
        for name in store.list_objects(prefix):
            data = store.get_object(name)
            if data is not None:
                before[name[len(prefix) :]] = data
        row = db.get(WebSessionSecret, session_id)
        if row is not None:
            before[SECRET_FILE] = row.secret.encode("ascii")
        if before:
            keyfile.ensure_private_dir(vault)
            for filename, data in before.items():
                keyfile.write_private_file(vault / filename, data)
        yield home
        after = {
            p.name: p.read_bytes()
            for p in (vault.iterdir() if vault.is_dir() else [])
            if p.is_file() and not p.name.startswith(".")
        }
        for filename, data in after.items():
            if before.get(filename) == data:
                continue
            if filename == SECRET_FILE:
                db.merge(WebSessionSecret(session_id=session_id, secret=data.decode("ascii")))
                db.flush()
            else:
                store.put_object(prefix + filename, data)
        for filename in before.keys() - after.keys():
            if filename == SECRET_FILE:
                db.execute(
                    delete(WebSessionSecret).where(WebSessionSecret.session_id == session_id)
                )
            else:
                store.delete_object(prefix + filename)
    finally:
        keyfile.remove_tree(home)


def ensure_session_key(db: Db, ctx: Context, actor: Actor) -> None:
    """Gives this web login its session key (once), so the phone can open a window for
    it; a desktop login keeps the key its own client registered."""
    from patentdesk.pki import signing
    from patentdesk.pki.keys import public_key_pem

    if actor.session_id is None or actor.client_kind != "web":
        return
    session = db.get(Session, actor.session_id)
    if session is None or session.client_public_key:
        return
    with _key_home(ctx, db, actor.session_id) as home:
        store = ClientKeyStore(home)
        public = store.create_key(str(actor.session_id))
        proof = store.sign_statement(
            {"t": "client-key", "s": str(actor.session_id), "iat": int(time.time())}
        )
    signing.register_client_key(db, ctx, actor, public_key_pem(public), proof)


def sign_in_window(
    db: Db, ctx: Context, actor: Actor, request_id: str, secret: str, pem: str, manifest: bytes
) -> bytes:
    """Signs ``manifest`` with the login's key under the window's delegated certificate
    and completes the request, as the desktop client does; returns the signature."""
    from patentdesk.pki import signing

    assert actor.session_id is not None
    with _key_home(ctx, db, actor.session_id) as home:
        store = ClientKeyStore(home)
        store.save_certificate(pem)
        signer = store.signer()
        if signer is None:  # the window ended by the clock
            raise signing.WindowClosed()
        signature = signer.sign_detached(manifest)
    signing.complete_in_window(db, ctx, actor, request_id, secret, signature)
    return signature


def forget(ctx: Context, session_id: uuid.UUID) -> None:
    """Removes a login's key (the login ended); on a cluster its secret, useless without
    the key, goes with housekeeping's next pass (:func:`purge_ended`)."""
    shutil.rmtree(_folder(ctx, session_id), ignore_errors=True)
    if ctx.settings.blobs:
        from patentdesk.blobs import blobs_for

        store = blobs_for(ctx.settings)
        for name in store.list_objects(f"{_PREFIX}{session_id.hex}/"):
            store.delete_object(name)


def _live(db: Db, ids: list[uuid.UUID], at: dt.datetime) -> set[uuid.UUID]:
    return set(
        db.scalars(
            select(Session.id).where(
                Session.id.in_(ids), Session.revoked_at.is_(None), Session.expires_at > at
            )
        )
    )


def purge_ended(db: Db, settings: Settings, at: dt.datetime | None = None) -> int:
    """Removes the keys of web logins that ended (logged out elsewhere, ended from the
    phone, password changed) or expired, and of sessions that no longer exist; returns how
    many went. A logout on the page removes its key at once (:func:`forget`); this catches
    the rest, for housekeeping: in the data folder and, on a cluster, in the object store
    and the database."""
    at = at or now()
    gone = _purge_folder(db, settings.data, at)
    if settings.blobs:
        gone += _purge_shared(db, settings, at)
    return gone


def _purge_shared(db: Db, settings: Settings, at: dt.datetime) -> int:
    from patentdesk.blobs import blobs_for

    store = blobs_for(settings)
    names: dict[uuid.UUID, list[str]] = {}
    for name in store.list_objects(_PREFIX):
        try:
            names.setdefault(uuid.UUID(hex=name[len(_PREFIX) :].split("/", 1)[0]), []).append(name)
        except ValueError:
            continue  # not ours: left alone
    secrets = set(db.scalars(select(WebSessionSecret.session_id)))
    ids = list(names.keys() | secrets)
    if not ids:
        return 0
    live = _live(db, ids, at)
    ended = [i for i in ids if i not in live]
    for session_id in ended:
        # The secret first: without it, whatever of the key is left is useless.
        db.execute(delete(WebSessionSecret).where(WebSessionSecret.session_id == session_id))
        for name in names.get(session_id, []):
            store.delete_object(name)
    return len(ended)


def _purge_folder(db: Db, data: Path, at: dt.datetime) -> int:
    folder = data / "web-sessions"
    if not folder.is_dir():
        return 0
    ids: dict[uuid.UUID, Path] = {}
    for path in folder.iterdir():
        try:
            ids[uuid.UUID(hex=path.name)] = path
        except ValueError:
            continue  # not ours: left alone
    if not ids:
        return 0
    live = _live(db, list(ids), at)
    gone = 0
    for session_id, path in ids.items():
        if session_id not in live:
            shutil.rmtree(path, ignore_errors=True)
            gone += 1
    return gone
