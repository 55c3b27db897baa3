"""
The charge point's security log (Security Whitepaper A04.FR.04, N01.FR.05):
every security event, critical or not, kept in the SQLite file as a
circular log of at most C{SecurityLogMaxEntriesCount} entries (the oldest go
first, "in a rolling format"), produced as CSV for GetLog(SecurityLog).

With C{SecurityLogMaxEntriesCount} 0 the stack keeps nothing: the
application keeps its own log (C{openocpp_cp_security_event} tells it every
event, C{openocpp_cp_security_log_file} provides the file).
"""

import csv
import io
import sqlite3
from datetime import datetime, timezone
from typing import Any, Callable

from openocpp.messages import codec
from openocpp.store.sqlite import transaction

#: The columns of the CSV file, in order.
CSV_COLUMNS = ("timestamp", "type", "techInfo", "critical")


class SecurityLog:
    """
    The security log in the charge point's SQLite file (table
    C{security_log}).

    @param store: the L{openocpp.chargepoint.store.ChargePointStore}; its
        connection is asked for at each use (the store may be closed and
        opened again).
    @param max_entries: returns how many entries the log keeps (the
        C{SecurityLogMaxEntriesCount} key); 0: none.
    """

    def __init__(self, store: Any, max_entries: Callable[[], int]) -> None:
        self._store = store
        self._max_entries = max_entries

    @property
    def _db(self) -> sqlite3.Connection:
        return self._store.connection

    @property
    def kept(self) -> bool:
        """
        Whether the stack keeps the log (C{SecurityLogMaxEntriesCount} > 0).
        """
        return self._max_entries() > 0

    def append(self, when: datetime, kind: str, tech_info: str | None, critical: bool) -> None:
        """
        Add an entry, dropping the oldest beyond the maximum (nothing is
        kept when the maximum is 0).
        """
        limit = self._max_entries()
        if limit <= 0:
            return
        with transaction(self._db):
            cursor = self._db.execute(
                "INSERT INTO security_log (at, type, tech_info, critical) VALUES (?, ?, ?, ?)",
                (when.timestamp(), kind, tech_info, 1 if critical else 0),
            )
            # Ids only grow: everything at or below the newest id minus the
            # limit is beyond the ring (one indexed delete, no count).
            self._db.execute("DELETE FROM security_log WHERE id <= ?", (cursor.lastrowid - limit,))

    def entries(
        self, oldest: datetime | None = None, latest: datetime | None = None
    ) -> list[tuple[datetime, str, str | None, bool]]:
        """
        @return: the entries between C{oldest} and C{latest} (either may be
            C{None}: no bound), oldest first, as (time, type, techInfo,
            critical).
        """
        low = oldest.timestamp() if oldest is not None else float("-inf")
        high = latest.timestamp() if latest is not None else float("inf")
        rows = self._db.execute(
            "SELECT at, type, tech_info, critical FROM security_log "
            "WHERE at >= ? AND at <= ? ORDER BY id",
            (low, high),
        ).fetchall()
        return [
            (datetime.fromtimestamp(at, timezone.utc), kind, tech_info, bool(critical))
            for at, kind, tech_info, critical in rows
        ]

    def count(self) -> int:
        (count,) = self._db.execute("SELECT COUNT(*) FROM security_log").fetchone()
        return count

    def clear(self) -> int:
        """
        Empty the log.

        @return: how many entries it held.
        """
        with transaction(self._db):
            return self._db.execute("DELETE FROM security_log").rowcount

    def csv(self, oldest: datetime | None = None, latest: datetime | None = None) -> str:
        """
        @return: the entries between C{oldest} and C{latest} as CSV, with a
            header line (L{CSV_COLUMNS}).
        """
        return entries_csv(self.entries(oldest, latest))


def entries_csv(entries: list[tuple[datetime, str, str | None, bool]]) -> str:
    """
    Security log entries as CSV text (RFC 4180, a header line first).
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for when, kind, tech_info, critical in entries:
        writer.writerow(
            (codec.format_datetime(when), kind, tech_info or "", "true" if critical else "false")
        )
    return out.getvalue()
