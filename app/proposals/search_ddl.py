"""Full-text search structures that SQLAlchemy models cannot describe, created by the migrations.

SQLite: an FTS5 index kept in step with ``proposal.search_text`` by triggers. PostgreSQL: a GIN index on
``to_tsvector('simple', search_text)``. ``search_text`` is already accent-free and stemmed by
``app.proposals.search.normalise``, so both databases match the same words.

Note for later migrations: on SQLite, ``batch_alter_table("proposal")`` rebuilds the table and drops the
triggers; call ``drop_search`` before and ``create_search`` after such a change.
"""

SQLITE_UP = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS proposal_fts USING fts5(search_text, content='proposal', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS proposal_fts_ai AFTER INSERT ON proposal BEGIN "
    "INSERT INTO proposal_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS proposal_fts_ad AFTER DELETE ON proposal BEGIN "
    "INSERT INTO proposal_fts(proposal_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS proposal_fts_au AFTER UPDATE OF search_text ON proposal BEGIN "
    "INSERT INTO proposal_fts(proposal_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO proposal_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "INSERT INTO proposal_fts(proposal_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS proposal_fts_ai",
    "DROP TRIGGER IF EXISTS proposal_fts_ad",
    "DROP TRIGGER IF EXISTS proposal_fts_au",
    "DROP TABLE IF EXISTS proposal_fts",
]
POSTGRES_UP = [
    "CREATE INDEX IF NOT EXISTS ix_proposal_search ON proposal USING gin (to_tsvector('simple', search_text))",
]
POSTGRES_DOWN = ["DROP INDEX IF EXISTS ix_proposal_search"]

# Names the migration check must not compare against the models.
NOT_IN_MODELS = ("proposal_fts", "ix_proposal_search")


def _run(connection, statements) -> None:
    for statement in statements:
        connection.exec_driver_sql(statement)


def create_search(connection) -> None:
    _run(connection, SQLITE_UP if connection.dialect.name == "sqlite" else POSTGRES_UP)


def drop_search(connection) -> None:
    _run(connection, SQLITE_DOWN if connection.dialect.name == "sqlite" else POSTGRES_DOWN)
