"""query: saved queries, search indexes (SQLite FTS5 trigram / PostgreSQL pg_trgm)

Revision ID: 0004_query
Revises: 0003_pki_filing_notices
Create Date: 2026-11-26 09:00:00

The title / number / name search structures are dialect-specific and are not part of the
ORM metadata (see patentdesk.query.models.UNMANAGED_NAMES):

* SQLite: ``case_search`` is an FTS5 table with the trigram tokenizer (substring search in
  Chinese needs no word segmentation) holding the title, numbers and names, kept current by
  triggers on ``cases``. Its rowids come from ``case_search_keys`` (INTEGER PRIMARY KEY,
  stable) because the implicit rowid of ``cases`` may change on VACUUM.
* PostgreSQL: ``pg_trgm`` GIN indexes; applicant and inventor names are indexed through the
  immutable function ``patentdesk_names(json)``.
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


def _name_of() -> str:
    # A name list holds objects with "name" (the package forms) or plain strings; json_each's
    # own "type" column tells them apart (a bare string is not JSON for json_type()).
    return "CASE type WHEN 'text' THEN value ELSE json_extract(value, '$.name') END"


def _sqlite_names(column: str) -> str:
    return f"(SELECT group_concat({_name_of()}, char(10)) FROM json_each({column}))"


def _sqlite_pairs(text: str) -> str:
    return (
        f"(SELECT group_concat(substr({text}, o.n, 2) || {PAIR_END}, '') "
        f"FROM case_search_offsets AS o WHERE o.n < length({text}))"
    )


def _sqlite_name_pairs(column: str) -> str:
    return (
        f"(SELECT group_concat(substr(n.v, o.n, 2) || {PAIR_END}, '') "
        f"FROM (SELECT {_name_of()} AS v FROM json_each({column})) AS n "
        f"JOIN case_search_offsets AS o ON o.n < length(n.v))"
    )


_FTS_COLUMNS = (
    "title, application_number, internal_number, applicants, inventors, "
    "title_pairs, applicant_pairs, inventor_pairs"
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
        )
    )


SQLITE_UP = [
    "CREATE TABLE case_search_offsets (n INTEGER PRIMARY KEY)",
    "INSERT INTO case_search_offsets(n) SELECT value FROM json_each('["
    + ",".join(str(i) for i in range(1, OFFSETS_MAX + 1))
    + "]')",
    """CREATE TABLE case_search_keys (
        key INTEGER PRIMARY KEY,
        case_id CHAR(32) NOT NULL UNIQUE,
        domain_id CHAR(32) NOT NULL
    )""",
    f"CREATE VIRTUAL TABLE case_search USING fts5({_FTS_COLUMNS}, tokenize='trigram')",
    f"""CREATE TRIGGER cases_search_insert AFTER INSERT ON cases BEGIN
        INSERT INTO case_search_keys(case_id, domain_id) VALUES (new.id, new.domain_id);
        INSERT INTO case_search(rowid, {_FTS_COLUMNS})
            VALUES (last_insert_rowid(), {_fts_values("new")});
    END""",
    f"""CREATE TRIGGER cases_search_update AFTER UPDATE OF
        title, application_number, internal_number, applicants, inventors, domain_id
        ON cases BEGIN
        UPDATE case_search_keys SET case_id = new.id, domain_id = new.domain_id
            WHERE case_id = old.id;
        UPDATE case_search SET ({_FTS_COLUMNS}) = ({_fts_values("new")})
            WHERE rowid = (SELECT key FROM case_search_keys WHERE case_id = new.id);
    END""",
    """CREATE TRIGGER cases_search_delete AFTER DELETE ON cases BEGIN
        DELETE FROM case_search
            WHERE rowid = (SELECT key FROM case_search_keys WHERE case_id = old.id);
        DELETE FROM case_search_keys WHERE case_id = old.id;
    END""",
    # Cases filed before this revision.
    "INSERT INTO case_search_keys(case_id, domain_id) SELECT id, domain_id FROM cases",
    f"""INSERT INTO case_search(rowid, {_FTS_COLUMNS})
        SELECT k.key, {_fts_values("c")}
        FROM case_search_keys AS k JOIN cases AS c ON c.id = k.case_id""",
]

SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS cases_search_delete",
    "DROP TRIGGER IF EXISTS cases_search_update",
    "DROP TRIGGER IF EXISTS cases_search_insert",
    "DROP TABLE IF EXISTS case_search",
    "DROP TABLE IF EXISTS case_search_keys",
    "DROP TABLE IF EXISTS case_search_offsets",
]

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
    "CREATE INDEX ix_cases_title_trgm ON cases USING gin (title gin_trgm_ops)",
    "CREATE INDEX ix_cases_title_pairs ON cases USING gin (patentdesk_pairs(title))",
    "CREATE INDEX ix_cases_application_number_trgm ON cases "
    "USING gin (application_number gin_trgm_ops)",
    "CREATE INDEX ix_cases_internal_number_trgm ON cases USING gin (internal_number gin_trgm_ops)",
    "CREATE INDEX ix_cases_applicant_names_trgm ON cases "
    "USING gin (patentdesk_names(applicants) gin_trgm_ops)",
    "CREATE INDEX ix_cases_inventor_names_trgm ON cases "
    "USING gin (patentdesk_names(inventors) gin_trgm_ops)",
    "CREATE INDEX ix_cases_applicant_pairs ON cases "
    "USING gin (patentdesk_pairs(patentdesk_names(applicants)))",
    "CREATE INDEX ix_cases_inventor_pairs ON cases "
    "USING gin (patentdesk_pairs(patentdesk_names(inventors)))",
]

PG_DOWN = [
    "DROP INDEX IF EXISTS ix_cases_inventor_pairs",
    "DROP INDEX IF EXISTS ix_cases_applicant_pairs",
    "DROP INDEX IF EXISTS ix_cases_title_pairs",
    "DROP INDEX IF EXISTS ix_cases_inventor_names_trgm",
    "DROP INDEX IF EXISTS ix_cases_applicant_names_trgm",
    "DROP INDEX IF EXISTS ix_cases_internal_number_trgm",
    "DROP INDEX IF EXISTS ix_cases_application_number_trgm",
    "DROP INDEX IF EXISTS ix_cases_title_trgm",
    "DROP FUNCTION IF EXISTS patentdesk_pairs(text)",
    "DROP FUNCTION IF EXISTS patentdesk_names(json)",
    # The extension stays: other schemas of the database may use it.
]

# Plain indexes the query patterns need; also declared in patentdesk.query.models.
INDEXES: list[tuple[str, str, list[str]]] = [
    ("ix_cases_domain_filed_id", "cases", ["domain_id", "filing_date", "id"]),
    ("ix_cases_domain_number", "cases", ["domain_id", "application_number"]),
    ("ix_cases_domain_internal_id", "cases", ["domain_id", "internal_number", "id"]),
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
