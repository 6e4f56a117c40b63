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

import datetime as dt
import shutil
import time
import uuid
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from patentdesk.authz import Actor
from patentdesk.identity.models import Session
from patentdesk.identity.service import Context
from patentdesk.pki.clientkey import ClientKeyStore
from patentdesk.timeutil import now


def _folder(ctx: Context, session_id: uuid.UUID) -> Path:
    return ctx.settings.data / "web-sessions" / session_id.hex


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
    store = ClientKeyStore(_folder(ctx, actor.session_id))
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
    store = ClientKeyStore(_folder(ctx, actor.session_id))
    store.save_certificate(pem)
    signer = store.signer()
    if signer is None:  # the window ended by the clock
        raise signing.WindowClosed()
    signature = signer.sign_detached(manifest)
    signing.complete_in_window(db, ctx, actor, request_id, secret, signature)
    return signature


def forget(ctx: Context, session_id: uuid.UUID) -> None:
    """Removes a login's key (the login ended)."""
    shutil.rmtree(_folder(ctx, session_id), ignore_errors=True)


def purge_ended(db: Db, data: Path, at: dt.datetime | None = None) -> int:
    """Removes the keys of web logins that ended (logged out elsewhere, ended from the
    phone, password changed) or expired, and of sessions that no longer exist; returns how
    many went. A logout on the page removes its key at once (:func:`forget`); this catches
    the rest, for housekeeping."""
    folder = data / "web-sessions"
    if not folder.is_dir():
        return 0
    at = at or now()
    ids: dict[uuid.UUID, Path] = {}
    for path in folder.iterdir():
        try:
            ids[uuid.UUID(hex=path.name)] = path
        except ValueError:
            continue  # not ours: left alone
    if not ids:
        return 0
    live = set(
        db.scalars(
            select(Session.id).where(
                Session.id.in_(list(ids)), Session.revoked_at.is_(None), Session.expires_at > at
            )
        )
    )
    gone = 0
    for session_id, path in ids.items():
        if session_id not in live:
            shutil.rmtree(path, ignore_errors=True)
            gone += 1
    return gone
