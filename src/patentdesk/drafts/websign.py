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

import shutil
import time
import uuid
from pathlib import Path

from sqlalchemy.orm import Session as Db

from patentdesk.authz import Actor
from patentdesk.identity.models import Session
from patentdesk.identity.service import Context
from patentdesk.pki.clientkey import ClientKeyStore


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
