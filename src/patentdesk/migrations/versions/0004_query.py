"""query: saved queries, search indexes (SQLite FTS5 trigram / PostgreSQL pg_trgm)

Revision ID: 0004_query
Revises: 0003_pki_filing_notices
Create Date: 2026-11-26 09:00:00

The title / number / name search structures are dialect-specific, named ``cases_fts*``, and
are not part of the ORM metadata (see patentdesk.query.models.UNMANAGED_NAMES):

* SQLite: ``cases_fts`` is an FTS5 table with the trigram tokenizer (substring search in
  Chinese needs no word segmentation) holding the title, numbers and names, kept current by
  triggers on ``cases``. Its rowids come from ``cases_fts_keys`` (INTEGER PRIMARY KEY,
  stable) because the implicit rowid of ``cases`` may change on VACUUM.
* PostgreSQL: ``patentdesk_search.cases_fts`` is a table of the same texts (in a schema of its
  own, so that model checks of the default schema do not see it), kept current by a trigger, with
  ``pg_trgm`` GIN indexes; applicant and inventor names are flattened by the immutable
  function ``patentdesk_names(json)``.
"""

# ruff: noqa: S608  (the SQL below is built from constants only, never from input)

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import patentdesk.db

revision: str = "0004_query"
down_revision: str | Sequence[str] | None = "0003_pki_filing_notices"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Each character pair of a text, followed by PAIR_END (a control character that no query
# contains): the trigram index then also finds two-character words, common in Chinese
# ("电池", "张伟"), as the three-character phrase pair + PAIR_END.
PAIR_END = "char(31)"
# Character positions 1…N, so that a trigger (which cannot use a recursive CTE) can walk a
# text: titles are at most 200 characters, a name list rarely more than a few hundred.
OFFSETS_MAX = 2000


def _name_of(each: str = "") -> str:
    # A name list holds objects with "name" (the package forms) or plain strings; json_each's
    # own "type" column tells them apart (a bare string is not JSON for json_type()).
    p = f"{each}." if each else ""
    return f"CASE {p}type WHEN 'text' THEN {p}value ELSE json_extract({p}value, '$.name') END"


def _sqlite_names(column: str) -> str:
    return f"(SELECT group_concat({_name_of()}, char(10)) FROM json_each({column}))"


def _sqlite_pairs(text: str) -> str:
    return (
        f"(SELECT group_concat(substr({text}, o.n, 2) || {PAIR_END}, '') "
        f"FROM cases_fts_offsets AS o WHERE o.n < length({text}))"
    )


def _sqlite_name_pairs(column: str) -> str:
    # CROSS JOIN fixes the loop order: each name, then its positions (a range on the key).
    name = _name_of("j")
    return (
        f"(SELECT group_concat(substr({name}, o.n, 2) || {PAIR_END}, '') "
        f"FROM json_each({column}) AS j CROSS JOIN cases_fts_offsets AS o "
        f"WHERE o.n < length({name}))"
    )


# Each domain gets a number, written as three Private Use Area characters: one trigram
# that the FTS query ANDs with the search words, so the index itself keeps to one domain.
DOMAIN_TOKEN_BASE = 0xE000
DOMAIN_TOKEN_RADIX = 6400  # U+E000…U+F8FF


def _domain_token(domain: str) -> str:
    b, r = DOMAIN_TOKEN_BASE, DOMAIN_TOKEN_RADIX
    return (
        f"(SELECT char({b} + n / {r * r}, {b} + (n / {r}) % {r}, {b} + n % {r}) "
        f"FROM cases_fts_domains WHERE domain_id = {domain})"
    )


_FTS_COLUMNS = (
    "title, application_number, internal_number, applicants, inventors, "
    "title_pairs, applicant_pairs, inventor_pairs, domain"
)


def _fts_values(row: str) -> str:
    return ", ".join(
        (
            f"{row}.title",
            f"{row}.application_number",
            f"{row}.internal_number",
            _sqlite_names(f"{row}.applicants"),
            _sqlite_names(f"{row}.inventors"),
            _sqlite_pairs(f"{row}.title"),
            _sqlite_name_pairs(f"{row}.applicants"),
            _sqlite_name_pairs(f"{row}.inventors"),
            _domain_token(f"{row}.domain_id"),
        )
    )


SQLITE_UP = [
    "CREATE TABLE cases_fts_offsets (n INTEGER PRIMARY KEY)",
    "INSERT INTO cases_fts_offsets(n) SELECT value FROM json_each('["
    + ",".join(str(i) for i in range(1, OFFSETS_MAX + 1))
    + "]')",
    "CREATE TABLE cases_fts_domains (n INTEGER PRIMARY KEY, domain_id CHAR(32) NOT NULL UNIQUE)",
    """CREATE TABLE cases_fts_keys (
        key INTEGER PRIMARY KEY,
        case_id CHAR(32) NOT NULL UNIQUE,
        domain_id CHAR(32) NOT NULL
    )""",
    # Contentless (content=''): the texts are in cases already; only the index is kept.
    f"CREATE VIRTUAL TABLE cases_fts USING fts5({_FTS_COLUMNS}, content='', tokenize='trigram')",
    f"""CREATE TRIGGER cases_fts_insert AFTER INSERT ON cases BEGIN
        INSERT OR IGNORE INTO cases_fts_domains(domain_id) VALUES (new.domain_id);
        INSERT INTO cases_fts_keys(case_id, domain_id) VALUES (new.id, new.domain_id);
        INSERT INTO cases_fts(rowid, {_FTS_COLUMNS})
            VALUES (last_insert_rowid(), {_fts_values("new")});
    END""",
    f"""CREATE TRIGGER cases_fts_update AFTER UPDATE OF
        title, application_number, internal_number, applicants, inventors, domain_id
        ON cases BEGIN
        INSERT OR IGNORE INTO cases_fts_domains(domain_id) VALUES (new.domain_id);
        INSERT INTO cases_fts(cases_fts, rowid, {_FTS_COLUMNS})
            SELECT 'delete', key, {_fts_values("old")} FROM cases_fts_keys WHERE case_id = old.id;
        UPDATE cases_fts_keys SET case_id = new.id, domain_id = new.domain_id
            WHERE case_id = old.id;
        INSERT INTO cases_fts(rowid, {_FTS_COLUMNS})
            SELECT key, {_fts_values("new")} FROM cases_fts_keys WHERE case_id = new.id;
    END""",
    # A contentless index forgets a document when told the very values it indexed: the
    # old row's, computed the same way as on insert.
    f"""CREATE TRIGGER cases_fts_delete AFTER DELETE ON cases BEGIN
        INSERT INTO cases_fts(cases_fts, rowid, {_FTS_COLUMNS})
            SELECT 'delete', key, {_fts_values("old")} FROM cases_fts_keys WHERE case_id = old.id;
        DELETE FROM cases_fts_keys WHERE case_id = old.id;
    END""",
    # Cases filed before this revision.
    "INSERT OR IGNORE INTO cases_fts_domains(domain_id) SELECT DISTINCT domain_id FROM cases",
    "INSERT INTO cases_fts_keys(case_id, domain_id) SELECT id, domain_id FROM cases",
    f"""INSERT INTO cases_fts(rowid, {_FTS_COLUMNS})
        SELECT k.key, {_fts_values("c")}
        FROM cases_fts_keys AS k JOIN cases AS c ON c.id = k.case_id""",
]

SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS cases_fts_delete",
    "DROP TRIGGER IF EXISTS cases_fts_update",
    "DROP TRIGGER IF EXISTS cases_fts_insert",
    "DROP TABLE IF EXISTS cases_fts",
    "DROP TABLE IF EXISTS cases_fts_keys",
    "DROP TABLE IF EXISTS cases_fts_offsets",
    "DROP TABLE IF EXISTS cases_fts_domains",
]


def _gin(name: str, expression: str) -> str:
    return f"CREATE INDEX {name} ON patentdesk_search.cases_fts USING gin ({expression})"


_PG_SEARCHED = (
    "title, application_number, filing_date, internal_number, applicant_names, inventor_names"
)

PG_UP = [
    # Trusted extension (PostgreSQL 13+): the database owner may create it.
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    r"""CREATE FUNCTION patentdesk_names(j json) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT string_agg(
            CASE json_typeof(e) WHEN 'string' THEN e #>> '{}' ELSE e ->> 'name' END, E'\n')
        FROM json_array_elements(
            CASE json_typeof(j) WHEN 'array' THEN j ELSE '[]'::json END) AS e
    $$""",
    # The distinct lower-cased character pairs of a text: two-character words have no
    # trigram, so a GIN index over this array finds them.
    """CREATE FUNCTION patentdesk_pairs(t text) RETURNS text[]
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT coalesce(array_agg(DISTINCT lower(substr(t, i, 2))), '{}')
        FROM generate_series(1, length(t) - 1) AS i
    $$""",
    # Its own schema keeps the search table out of the default schema that model checks
    # (alembic check, tests/unit/test_migrations.py) compare with the ORM metadata.
    "CREATE SCHEMA IF NOT EXISTS patentdesk_search",
    """CREATE TABLE patentdesk_search.cases_fts (
        case_id uuid PRIMARY KEY REFERENCES cases(id) ON DELETE CASCADE,
        domain_id uuid NOT NULL,
        title text NOT NULL,
        application_number text NOT NULL,
        filing_date date NOT NULL,
        internal_number text,
        applicant_names text,
        inventor_names text
    )""",
    # Walked in sort order when a word is common: the title rides along for the filter.
    "CREATE INDEX ix_cases_fts_domain_filed ON patentdesk_search.cases_fts "
    "(domain_id, filing_date, case_id) INCLUDE (title)",
    # Internal-number prefixes (AG-2026-*) in any collation.
    "CREATE INDEX ix_cases_fts_internal_prefix ON patentdesk_search.cases_fts "
    "(domain_id, internal_number text_pattern_ops)",
    _gin("ix_cases_fts_title", "title gin_trgm_ops"),
    _gin("ix_cases_fts_title_pairs", "patentdesk_pairs(title)"),
    _gin("ix_cases_fts_number", "application_number gin_trgm_ops"),
    _gin("ix_cases_fts_internal", "internal_number gin_trgm_ops"),
    _gin("ix_cases_fts_applicants", "applicant_names gin_trgm_ops"),
    _gin("ix_cases_fts_applicant_pairs", "patentdesk_pairs(applicant_names)"),
    _gin("ix_cases_fts_inventors", "inventor_names gin_trgm_ops"),
    _gin("ix_cases_fts_inventor_pairs", "patentdesk_pairs(inventor_names)"),
    # ILIKE's selectivity comes from the histogram: a fine one tells a common word (walk the
    # domain in sort order) from a rare one (start from the trigram index).
    *(
        f"ALTER TABLE patentdesk_search.cases_fts ALTER COLUMN {column} SET STATISTICS 1000"
        for column in ("title", "applicant_names", "inventor_names")
    ),
    f"""CREATE FUNCTION cases_fts_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO patentdesk_search.cases_fts (case_id, domain_id, {_PG_SEARCHED})
        VALUES (NEW.id, NEW.domain_id, NEW.title, NEW.application_number, NEW.filing_date,
                NEW.internal_number, patentdesk_names(NEW.applicants),
                patentdesk_names(NEW.inventors))
        ON CONFLICT (case_id) DO UPDATE SET
            domain_id = EXCLUDED.domain_id, title = EXCLUDED.title,
            application_number = EXCLUDED.application_number,
            filing_date = EXCLUDED.filing_date,
            internal_number = EXCLUDED.internal_number,
            applicant_names = EXCLUDED.applicant_names,
            inventor_names = EXCLUDED.inventor_names;
        RETURN NULL;
    END $$""",
    # Deletes follow through the foreign key (ON DELETE CASCADE).
    """CREATE TRIGGER cases_fts_sync AFTER INSERT OR UPDATE OF
        title, application_number, filing_date, internal_number, applicants, inventors, domain_id
        ON cases FOR EACH ROW EXECUTE FUNCTION cases_fts_sync()""",
    f"""INSERT INTO patentdesk_search.cases_fts (case_id, domain_id, {_PG_SEARCHED})
        SELECT id, domain_id, title, application_number, filing_date, internal_number,
               patentdesk_names(applicants), patentdesk_names(inventors)
        FROM cases""",
]

PG_DOWN = [
    "DROP TRIGGER IF EXISTS cases_fts_sync ON cases",
    "DROP FUNCTION IF EXISTS cases_fts_sync()",
    "DROP TABLE IF EXISTS patentdesk_search.cases_fts",
    "DROP SCHEMA IF EXISTS patentdesk_search",
    "DROP FUNCTION IF EXISTS patentdesk_pairs(text)",
    "DROP FUNCTION IF EXISTS patentdesk_names(json)",
    # The extension stays: other schemas of the database may use it.
]

# Plain indexes the query patterns need; also declared in patentdesk.query.models.
INDEXES: list[tuple[str, str, list[str]]] = [
    ("ix_cases_domain_filed_id", "cases", ["domain_id", "filing_date", "id"]),
    ("ix_cases_domain_number", "cases", ["domain_id", "application_number"]),
    ("ix_cases_domain_sub_account", "cases", ["domain_id", "submitted_by_sub_account_id"]),
    ("ix_submissions_domain_type", "submissions", ["domain_id", "business_type"]),
    ("ix_notices_domain_code", "notices", ["domain_id", "code"]),
    ("ix_notices_domain_dispatch_date", "notices", ["domain_id", "dispatch_date"]),
]


def upgrade() -> None:
    op.create_table(
        "saved_queries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("created_at", patentdesk.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", patentdesk.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_saved_queries_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_queries")),
        sa.UniqueConstraint("user_id", "name", name=op.f("uq_saved_queries_user_id_name")),
    )
    op.create_index(op.f("ix_saved_queries_user_id"), "saved_queries", ["user_id"])
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_UP if dialect == "sqlite" else PG_UP:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_DOWN if dialect == "sqlite" else PG_DOWN:
        op.execute(statement)
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_index(op.f("ix_saved_queries_user_id"), table_name="saved_queries")
    op.drop_table("saved_queries")
