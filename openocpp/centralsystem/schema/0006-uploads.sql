-- Schema version 6: files charge points upload to the central system's
-- upload endpoint (GetDiagnostics), and the one-time tokens of their
-- locations (kept as SHA-256 digests: the database alone does not give a
-- token away).

    CREATE TABLE upload_tokens (
        token_digest TEXT PRIMARY KEY,
        identity TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT
    );
    CREATE TABLE uploads (
        id INTEGER PRIMARY KEY,
        identity TEXT NOT NULL,
        file_name TEXT NOT NULL,
        stored_as TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        received_at TEXT NOT NULL
    );
    CREATE INDEX uploads_by_identity ON uploads (identity, id);
