"""Substring conditions on titles, numbers and names, per database.

SQLite answers words of three or more characters from the FTS5 trigram index
(``cases_fts``, built by migration 0004_query), two-character words from its character pair
columns, and single characters with ``LIKE`` over the domain's rows. PostgreSQL keeps the
same texts in the table ``cases_fts`` and uses ``ILIKE`` / ``LIKE`` there, which the planner
serves from the ``pg_trgm`` GIN indexes, and for two-character words an array containment on
``patentdesk_pairs`` (GIN), checked by ``ILIKE``. Both match case-insensitively (ASCII) for
titles and names and exactly (case-sensitive) for internal numbers.

Every subquery over a search table is itself restricted to the actor's domain through
:func:`patentdesk.authz.restrict`, so an index hit in another domain never reaches a result.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from patentdesk.authz import Actor, Permission, restrict
from patentdesk.filing.models import Case
from patentdesk.query.language import CaseQuery, glob_parts
from patentdesk.query.models import (
    DOMAIN_TOKEN_BASE,
    DOMAIN_TOKEN_RADIX,
    FTS_DOMAINS_TABLE,
    FTS_KEYS_TABLE,
    FTS_TABLE,
    PAIR_END,
    PG_PAIRS_FUNCTION,
    PG_SEARCH_SCHEMA,
)

TRIGRAM = 3  # the shortest substring a trigram index can find
DRIVE_LIMIT = 1000  # up to this many index hits, fetch them; beyond, walk in sort order
PAIR = 2  # two-character words: found through the character-pair indexes

# The hand-built search tables, described outside the ORM metadata (see query.models).
_search_meta = sa.MetaData()
sqlite_keys = sa.Table(
    FTS_KEYS_TABLE,
    _search_meta,
    sa.Column("key", sa.Integer, primary_key=True),
    sa.Column("case_id", sa.Uuid),
    sa.Column("domain_id", sa.Uuid),
)
sqlite_fts = sa.table(FTS_TABLE, sa.column("rowid", sa.Integer))
sqlite_domains = sa.Table(
    FTS_DOMAINS_TABLE,
    _search_meta,
    sa.Column("n", sa.Integer, primary_key=True),
    sa.Column("domain_id", sa.Uuid),
)
pg_fts = sa.Table(
    FTS_TABLE,
    _search_meta,
    sa.Column("case_id", sa.Uuid, primary_key=True),
    sa.Column("domain_id", sa.Uuid),
    sa.Column("title", sa.Text),
    sa.Column("application_number", sa.Text),
    sa.Column("filing_date", sa.Date),
    sa.Column("internal_number", sa.Text),
    sa.Column("applicant_names", sa.Text),
    sa.Column("inventor_names", sa.Text),
    schema=PG_SEARCH_SCHEMA,
)


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(text: str) -> str:
    return f"%{like_escape(text)}%"


def _fts_phrase(column: str, text: str) -> str:
    return f'{column} : "{text.replace(chr(34), chr(34) * 2)}"'


def _glob_escape(text: str) -> str:
    return "".join(f"[{c}]" if c in "[]?" else c for c in text)


class _Builder:
    def __init__(self, db: Session, actor: Actor) -> None:
        self.db = db
        self.sqlite = db.get_bind().dialect.name == "sqlite"
        self.actor = actor
        self.phrases: list[str] = []  # SQLite: one FTS5 MATCH expression
        self.on_pg_fts: list[ColumnElement[bool]] = []  # PostgreSQL: on cases_fts
        self.conditions: list[ColumnElement[bool]] = []  # on cases

    # -- per field -----------------------------------------------------------------------

    def title(self, words: list[str]) -> None:
        for word in words:
            if not self.sqlite:
                self._pg_text(pg_fts.c.title, "ix_cases_fts_title_pairs", word)
            elif len(word) >= TRIGRAM:
                self.phrases.append(_fts_phrase("title", word))
            elif len(word) == PAIR:
                self.phrases.append(_fts_phrase("title_pairs", word + PAIR_END))
            else:
                self.conditions.append(Case.title.like(_contains(word), escape="\\"))

    def names(self, column: str, words: list[str]) -> None:
        singular = column[:-1]  # applicant, inventor
        for word in words:
            if not self.sqlite:
                self._pg_text(pg_fts.c[f"{singular}_names"], f"ix_cases_fts_{singular}_pairs", word)
            elif len(word) >= TRIGRAM:
                self.phrases.append(_fts_phrase(column, word))
            elif len(word) == PAIR:
                self.phrases.append(_fts_phrase(f"{singular}_pairs", word + PAIR_END))
            else:
                self.conditions.append(_sqlite_name_like(column, word))

    def _pg_text(self, text: Any, pairs_index: str, word: str) -> None:
        """ILIKE, which the trigram index serves for three characters or more. A pair has no
        trigram: a rare one is looked up in the pairs index (containment means the same as
        ILIKE for two characters); a common one is left to ILIKE, so that the planner walks
        the domain in sort order and stops at the end of the page instead of fetching and
        sorting thousands of hits. Giving both would make the planner multiply their
        selectivities and misjudge every pair as rare."""
        if len(word) == PAIR and not pair_is_common(self.db, pairs_index, word.lower()):
            pairs = getattr(sa.func, PG_PAIRS_FUNCTION)(text, type_=ARRAY(sa.Text))
            wanted = sa.literal([word.lower()], type_=ARRAY(sa.Text))
            self.on_pg_fts.append(pairs.op("@>")(wanted))
        else:
            self.on_pg_fts.append(text.ilike(_contains(word), escape="\\"))

    def partial_number(self, digits: str) -> None:
        if not self.sqlite:
            self.on_pg_fts.append(pg_fts.c.application_number.like(_contains(digits), escape="\\"))
        elif len(digits) >= TRIGRAM:
            self.phrases.append(_fts_phrase("application_number", digits))
        else:
            self.conditions.append(Case.application_number.like(_contains(digits), escape="\\"))

    def internal_number(self, value: str) -> None:
        if "*" not in value:
            self.conditions.append(Case.internal_number == value)
            return
        if not self.sqlite:
            pattern = "%".join(like_escape(p) for p in value.split("*"))
            self.on_pg_fts.append(pg_fts.c.internal_number.like(pattern, escape="\\"))
            return
        # SQLite's LIKE ignores case; GLOB is exact, as internal numbers are.
        glob = "*".join(_glob_escape(p) for p in value.split("*"))
        self.conditions.append(Case.internal_number.op("GLOB")(glob))
        prefix = value.split("*", 1)[0]
        if prefix:
            # A fixed prefix is a range on the (domain_id, internal_number) index.
            self.conditions.append(Case.internal_number >= prefix)
            self.conditions.append(Case.internal_number < prefix + "\U0010ffff")
            return
        longest = max(glob_parts(value), key=len, default="")
        if len(longest) >= TRIGRAM:
            self.phrases.append(_fts_phrase("internal_number", longest))

    # -- result --------------------------------------------------------------------------

    def build(self, db: Session) -> TextSearch:
        conditions = list(self.conditions)
        if self.phrases:
            found = self._sqlite_hits(db)
            if found is None:
                return TextSearch([sa.false()])
            conditions.append(found)
        if self.on_pg_fts:
            # Joined one to one, so that the planner may also walk cases_fts in sort order
            # (its covering index) when a word is common, or start from the GIN index when
            # it is rare.
            return TextSearch(conditions + self.on_pg_fts, join=pg_fts)
        return TextSearch(conditions)

    def _sqlite_hits(self, db: Session) -> ColumnElement[bool] | None:
        """Cases among the FTS hits; ``None`` when there are none.

        The domain's token narrows the index to the actor's domain (an optimisation only:
        access is still decided by ``restrict`` on every table). Then the plan: a few hits
        are fetched by id; many hits make SQLite walk the domain's cases in sort order and
        stop at the page's end (``+cases.id`` keeps the id index out of the plan).
        """
        expression = " AND ".join(self.phrases)
        if self.actor.domain_id is not None and not self.actor.is_office:
            number = db.execute(
                sa.select(sqlite_domains.c.n).where(
                    sqlite_domains.c.domain_id == self.actor.domain_id
                )
            ).scalar()
            if number is None:
                return None  # no case was ever filed in this domain
            expression += " AND " + _fts_phrase("domain", domain_token(number))
        hits = sa.select(sqlite_fts.c.rowid).where(
            sa.literal_column(FTS_TABLE).op("MATCH")(expression)
        )
        count = db.execute(
            sa.select(sa.func.count()).select_from(hits.limit(DRIVE_LIMIT + 1).subquery())
        ).scalar_one()
        if count == 0:
            return None
        keys = sa.select(sqlite_keys.c.case_id).where(sqlite_keys.c.key.in_(hits))
        keys = restrict(keys, sqlite_keys.c.domain_id, self.actor, Permission.QUERY)
        target = Case.id if count <= DRIVE_LIMIT else sa.literal_column("+cases.id")
        return target.in_(keys)


def domain_token(number: int) -> str:
    """A domain's FTS token: its number as three Private Use Area characters."""
    b, r = DOMAIN_TOKEN_BASE, DOMAIN_TOKEN_RADIX
    return chr(b + number // (r * r)) + chr(b + (number // r) % r) + chr(b + number % r)


COMMON_PAIR = 0.005  # a pair in at least this share of the texts is "common"
PAIR_STATS_TTL = 600.0  # seconds: ANALYZE refreshes the statistics now and then
_pair_stats: dict[tuple[str, str], tuple[float, dict[str, float]]] = {}


def pair_is_common(db: Session, index: str, pair: str) -> bool:
    """Whether PostgreSQL's statistics of a pairs index (most common elements, refreshed by
    ANALYZE) list ``pair`` as common. Cached per database and index for a few minutes."""
    key = (str(db.get_bind().engine.url), index)
    cached = _pair_stats.get(key)
    if cached is None or time.monotonic() - cached[0] > PAIR_STATS_TTL:
        rows = db.execute(
            sa.text(
                "SELECT e, f FROM (SELECT unnest(most_common_elems::text::text[]) AS e,"
                " unnest(most_common_elem_freqs) AS f FROM pg_stats"
                " WHERE schemaname = :schema AND tablename = :index) AS s WHERE e IS NOT NULL"
            ),
            {"schema": PG_SEARCH_SCHEMA, "index": index},
        ).all()
        cached = (time.monotonic(), {str(e): float(f) for e, f in rows})
        _pair_stats[key] = cached
    return cached[1].get(pair, 0.0) >= COMMON_PAIR


def _sqlite_name_like(column: str, word: str) -> ColumnElement[bool]:
    each = sa.func.json_each(getattr(Case, column)).table_valued("value", "type")
    name = sa.case(
        (each.c.type == "text", each.c.value),
        else_=sa.func.json_extract(each.c.value, "$.name"),
    )
    return sa.exists(sa.select(1).select_from(each).where(name.like(_contains(word), escape="\\")))


@dataclass(frozen=True)
class TextSearch:
    """WHERE conditions for the text fields; on PostgreSQL also the table to join (one row
    per case, ``case_id``), whose ``domain_id`` the caller restricts like ``cases``."""

    conditions: list[ColumnElement[bool]]
    join: sa.Table | None = None


def text_search(db: Session, actor: Actor, query: CaseQuery) -> TextSearch:
    """The conditions for the query's text fields (title, names, numbers)."""
    b = _Builder(db, actor)
    b.title(query.words("title"))
    b.names("applicants", query.words("applicant"))
    b.names("inventors", query.words("inventor"))
    if query.number is not None:
        if query.number.mode == "exact":
            b.conditions.append(Case.application_number == query.number.value)
        elif query.number.mode == "pct":
            b.conditions.append(Case.international_number == query.number.value)
        else:
            b.partial_number(query.number.value)
    if query.internal_number is not None:
        b.internal_number(query.internal_number)
    return b.build(db)
