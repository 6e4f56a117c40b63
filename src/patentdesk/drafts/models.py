"""What a cluster shares of the web portal's drafts and web signing keys.

Only used with an object store (``PATENTDESK_BLOBS=s3://…``): the embedded default keeps
both in the data folder (see :mod:`patentdesk.drafts.store` and
:mod:`patentdesk.drafts.websign`)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from patentdesk.db import Base
from patentdesk.timeutil import now


class SharedDraft(Base):
    """One draft: the index entry the data folder's ``index.json`` holds, and the blob of
    its current package. ``package_sha256`` is the draft's revision: a change is stored only
    if the draft is still at the revision it was made from (compare-and-set), so two servers
    never overwrite each other's edits. The name's suffix makes housekeeping keep the blob."""

    __tablename__ = "shared_drafts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # The owner's folder name in the data-folder layout: domains/<hex> or people/<hex>.
    folder: Mapped[str] = mapped_column(String(80), index=True)
    domain_id: Mapped[str] = mapped_column(String(36))  # "-" for a natural person
    created_by: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[str] = mapped_column(String(40))
    origin: Mapped[str] = mapped_column(String(20))
    # The rest of the index entry (``filed``, ``signing``, ``current``…).
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    package_sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[dt.datetime] = mapped_column(default=now)


class WebSessionSecret(Base):
    """The secret that unlocks a web login's signing key. The encrypted key itself is in
    the object store: neither the bucket nor the database alone gives the key."""

    __tablename__ = "web_session_secrets"

    session_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    secret: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
