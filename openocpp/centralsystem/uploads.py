"""
The central system's records of uploaded files (GetDiagnostics, OCPP 1.6
5.6; GetLog, Security Whitepaper N01: each upload of its location's kind) and of the one-time tokens of its upload locations, in its SQLite
file (schema C{0006-uploads.sql}); used by
L{openocpp.centralsystem.store.CentralSystemStore}, which declares them in
L{ICentralSystemStore<openocpp.centralsystem.interfaces.ICentralSystemStore>}.

A token is kept as its SHA-256 digest: the database alone gives no usable
upload location away.  Nothing here is on the hot path of charge points'
messages.
"""

from __future__ import annotations

import hashlib
import sqlite3
from typing import Any, Callable

from openocpp.centralsystem.reads import RecordPage


def token_digest(token: str) -> str:
    """
    The digest a token is stored and looked up by.

    @param token: the token, as in the upload location's path.
    @return: its SHA-256, in hexadecimal.
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class UploadRecords:
    """
    The upload tables of a central system's SQLite database.

    @param connection: the store's C{sqlite3.Connection} (rows as
        C{sqlite3.Row}).
    @param write: the store's group-commit C{write(sql, arguments)}: one
        statement in the turn's transaction.
    @param atomic: the store's group-commit C{atomic()} (a savepoint: its
        statements are kept together or not at all).
    """

    def __init__(
        self, connection: sqlite3.Connection, write: Callable[..., Any], atomic: Callable[[], Any]
    ) -> None:
        self._db = connection
        self._write = write
        self._atomic = atomic

    def add_token(
        self, token: str, identity: str, created_at: str, expires_at: str, kind: str = "Diagnostics"
    ) -> None:
        """
        Keep a new upload token of a charge point, for a file of C{kind}.
        """
        self._write(
            "INSERT INTO upload_tokens (token_digest, identity, created_at, expires_at, kind) "
            "VALUES (?, ?, ?, ?, ?)",
            (token_digest(token), identity, created_at, expires_at, kind),
        )

    def token(self, token: str) -> dict | None:
        """
        A token's record (C{identity}, C{created_at}, C{expires_at},
        C{used_at}, C{kind}), or C{None} when unknown.
        """
        row = self._db.execute(
            "SELECT identity, created_at, expires_at, used_at, kind FROM upload_tokens "
            "WHERE token_digest = ?",
            (token_digest(token),),
        ).fetchone()
        return None if row is None else dict(row)

    def add_upload(
        self,
        token: str,
        identity: str,
        file_name: str,
        stored_as: str,
        size: int,
        sha256: str,
        received_at: str,
    ) -> int:
        """
        Record a received file, of its token's kind, and spend the token,
        together.

        @return: the upload's id.
        """
        with self._atomic():
            self._write(
                "UPDATE upload_tokens SET used_at = ? WHERE token_digest = ?",
                (received_at, token_digest(token)),
            )
            cursor = self._write(
                "INSERT INTO uploads (identity, file_name, stored_as, size, sha256, received_at, kind) "
                "VALUES (?, ?, ?, ?, ?, ?, coalesce("
                "(SELECT kind FROM upload_tokens WHERE token_digest = ?), 'Diagnostics')) RETURNING id",
                (identity, file_name, stored_as, size, sha256, received_at, token_digest(token)),
            )
            # RETURNING (SQLite's and PostgreSQL's) rather than lastrowid,
            # which PostgreSQL's driver has not.
            ((upload_id,),) = cursor.fetchall()
        return upload_id

    def uploads_page(
        self, limit: int, offset: int, identity: str | None = None, kind: str | None = None
    ) -> RecordPage:
        """
        Received files, newest first (only a charge point's, only a kind's).
        """
        conditions, arguments = [], []
        for column, value in (("identity", identity), ("kind", kind)):
            if value is not None:
                conditions.append(column + " = ?")
                arguments.append(value)
        where = "WHERE " + " AND ".join(conditions) if conditions else ""
        sql = "SELECT * FROM uploads {} ORDER BY id DESC".format(where)
        (total,) = self._db.execute("SELECT count(*) FROM ({}) AS listed".format(sql), arguments).fetchone()
        rows = self._db.execute(sql + " LIMIT ? OFFSET ?", [*arguments, limit, offset])
        return RecordPage([dict(row) for row in rows], total)

    def upload(self, upload_id: int) -> dict | None:
        """
        One received file's record, or C{None}.
        """
        row = self._db.execute("SELECT * FROM uploads WHERE id = ?", (upload_id,)).fetchone()
        return None if row is None else dict(row)
