"""Saved queries, and the names of the search structures the migration builds by hand.

The title / number / name search structures are dialect-specific, all named ``cases_fts*``,
and live outside the ORM metadata:

* SQLite: an FTS5 table with the trigram tokenizer (``cases_fts``) fed by triggers on
  ``cases``, keyed through ``cases_fts_keys`` (an INTEGER PRIMARY KEY per case: the implicit
  rowid of ``cases`` is not stable across VACUUM, so the FTS rowid cannot borrow it). Each
  document also carries its domain as one token (``cases_fts_domains`` numbers the domains),
  so that a search ANDs it and the index never hands over another domain's hits.
* PostgreSQL: a ``cases_fts`` table of the same texts in the schema ``patentdesk_search``
  (out of the default schema that model checks compare), kept by a trigger, with ``pg_trgm``
  GIN indexes.

Two-character words (common in Chinese: "电池", "张伟") have no trigram. SQLite indexes every
character pair of the title and names followed by ``PAIR_END`` (``*_pairs`` columns), so a
pair becomes a three-character phrase; PostgreSQL indexes the array of character pairs
(``patentdesk_pairs``) with GIN.

Alembic's autogenerate would report those as tables to drop; :data:`UNMANAGED_NAMES` lists
them so that ``alembic check`` leaves them alone (migrations/env.py ``include_name``).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from patentdesk.db import Base, new_id
from patentdesk.timeutil import now

FTS_TABLE = "cases_fts"
FTS_KEYS_TABLE = "cases_fts_keys"  # SQLite only
FTS_OFFSETS_TABLE = "cases_fts_offsets"  # SQLite only: character positions for the triggers
FTS_DOMAINS_TABLE = "cases_fts_domains"  # SQLite only: a number per domain (its FTS token)
DOMAIN_TOKEN_BASE = 0xE000  # the token: the number in three Private Use Area characters
DOMAIN_TOKEN_RADIX = 6400
PG_SEARCH_SCHEMA = "patentdesk_search"  # PostgreSQL: cases_fts lives in this schema
PG_NAMES_FUNCTION = "patentdesk_names"
PG_PAIRS_FUNCTION = "patentdesk_pairs"
PAIR_END = "\x1f"  # follows every character pair in the SQLite *_pairs columns
# FTS5 keeps its data in shadow tables named after the virtual table.
_FTS_SHADOWS = tuple(f"{FTS_TABLE}_{s}" for s in ("data", "idx", "content", "docsize", "config"))
UNMANAGED_NAMES: frozenset[str] = frozenset(
    (FTS_TABLE, FTS_KEYS_TABLE, FTS_OFFSETS_TABLE, FTS_DOMAINS_TABLE, *_FTS_SHADOWS)
)


class SavedQuery(Base):
    """A user's named advanced query (保存的查询): the query string of ``GET /api/v1/cases``.

    It belongs to the person, not to a role: run in another role it searches that role's
    domain, since every query is restricted to the domain of whoever runs it.
    """

    __tablename__ = "saved_queries"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=now, onupdate=now)


# Indexes on other domains' tables that the query patterns need (created by 0004_query).
# Keyset paging sorts by (column, id); "id" makes the order total.
def _case_indexes() -> None:
    from patentdesk.filing.models import Case, Submission
    from patentdesk.notices.models import Notice

    Index("ix_cases_domain_filed_id", Case.domain_id, Case.filing_date, Case.id)
    Index("ix_cases_domain_number", Case.domain_id, Case.application_number)
    Index("ix_cases_domain_sub_account", Case.domain_id, Case.submitted_by_sub_account_id)
    Index("ix_submissions_domain_type", Submission.domain_id, Submission.business_type)
    Index("ix_notices_domain_code", Notice.domain_id, Notice.code)
    Index("ix_notices_domain_dispatch_date", Notice.domain_id, Notice.dispatch_date)


_case_indexes()
