"""
The web API's reads of the central system's SQLite store: the queries behind
L{openocpp.centralsystem.store.CentralSystemStore}'s Deferred-returning
reads (C{charge_point_records}, C{transactions_page}, ...), each named for
what it answers.

They run on the store's own connection (an in-memory database is readable
too), on the reactor thread: each is a few short indexed statements. They
only read: the store is the one writer. Each answers plain records, dicts
keyed by column name; the JSON shapes are the web layer's
(L{openocpp.web.queries}).
"""

import sqlite3
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Callable

#: Sampled values counted as the energy register: no measurand means it
#: (OCPP 1.6 section 7.31), as do the phase-less raw readings of it.
_ENERGY_READING = (
    "transaction_id = ? AND (measurand IS NULL OR measurand = 'Energy.Active.Import.Register') "
    "AND phase IS NULL AND (format IS NULL OR format = 'Raw')"
)
#: How many of an active transaction's latest energy readings are given: a
#: few, so that one unreadable value (a charge point's "abc") does not
#: hide the reading before it.
_ENERGY_READINGS = 5

#: The columns of the events list, and each table's value for each (NULL
#: where it has none).
_EVENT_COLUMNS = (
    "kind", "id", "identity", "received_at", "timestamp", "type", "tech_info",
    "connector_id", "status", "error_code", "info", "vendor_id", "vendor_error_code",
    "action", "request_id", "origin", "peer",
)
_EVENT_SOURCES = {
    "security": ("'security'", "id", "identity", "received_at", "timestamp", "type", "tech_info",
                 "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "origin", "peer",
                 "security_events"),
    "status": ("'status'", "id", "identity", "received_at", "timestamp", "NULL", "NULL",
               "connector_id", "status", "error_code", "info", "vendor_id", "vendor_error_code",
               "NULL", "NULL", "NULL", "NULL", "status_history"),
    "report": ("'report'", "id", "identity", "received_at", "NULL", "NULL", "NULL",
               "NULL", "status", "NULL", "NULL", "NULL", "NULL", "kind", "request_id", "NULL", "NULL",
               "status_reports"),
}
#: The integer columns: their NULLs are typed, as PostgreSQL's UNION needs.
_EVENT_INTEGERS = ("connector_id", "request_id")
_EVENT_SELECTS = {
    name: "SELECT "
    + ", ".join(
        f"{'CAST(NULL AS INTEGER)' if value == 'NULL' and column in _EVENT_INTEGERS else value} AS {column}"
        for value, column in zip(values[:-1], _EVENT_COLUMNS)
    )
    + f" FROM {values[-1]}"
    for name, values in _EVENT_SOURCES.items()
}

#: The status reports whose latest a charge point's record shows.
REPORTED_KINDS = ("FirmwareStatusNotification", "DiagnosticsStatusNotification")
_REPORTED_KINDS = ", ".join(f"'{kind}'" for kind in REPORTED_KINDS)

#: The states of a reservation as read: C{expired} is an active one past
#: its expiry date.
RESERVATION_STATES = ("active", "expired", "cancelled", "used")

#: The kinds of event L{events_page} lists.
EVENT_KINDS = tuple(_EVENT_SOURCES)


@dataclass(frozen=True)
class RecordPage:
    """
    One page of a list of records.

    @ivar records: the page's records (dicts keyed by column name).
    @ivar total: how many records the whole list holds.
    """

    records: list[dict]
    total: int
    #: Figures of the whole list, when the list has some (transactions:
    #: C{active} and C{energy_wh}, see L{StoreReads.transactions_page}).
    totals: dict | None = None


@dataclass(frozen=True)
class TransactionFilter:
    """
    Which transactions a list holds: every field given must match (none
    given: all of them).

    @ivar identity: the charge point's identity.
    @ivar active: active (C{True}) or stopped (C{False}).
    @ivar id_tag: the id tag it was started with, in any case.
    @ivar connector_id: its connector.
    @ivar started_after: started at or after this instant (RFC 3339 text).
    @ivar started_before: started before this instant (RFC 3339 text).
    @ivar stop_reason: stopped for this reason (a StopTransaction without
        one is stored as C{Local}, its default).
    @ivar before_id: only those of a smaller id (reading a long list in
        pieces, newest first, unmoved by transactions started meanwhile).
    """

    identity: str | None = None
    active: bool | None = None
    id_tag: str | None = None
    connector_id: int | None = None
    started_after: str | None = None
    started_before: str | None = None
    stop_reason: str | None = None
    before_id: int | None = None

    def where(self) -> tuple[str, list]:
        """
        The SQL C{WHERE} clause (or an empty text) and its arguments.
        """
        clauses, arguments = [], []
        if self.identity is not None:
            clauses.append("identity = ?")
            arguments.append(self.identity)
        if self.id_tag is not None:
            # Id tags are case-insensitive (OCPP 1.6 section 7.28).
            clauses.append("id_tag = ? COLLATE NOCASE")
            arguments.append(self.id_tag)
        if self.active is not None:
            clauses.append("stop_timestamp IS NULL" if self.active else "stop_timestamp IS NOT NULL")
        if self.connector_id is not None:
            clauses.append("connector_id = ?")
            arguments.append(self.connector_id)
        # Compared as instants: texts with and without fractions of a
        # second, or with offsets, do not sort as the instants they name.
        if self.started_after is not None:
            clauses.append("julianday(start_timestamp) >= julianday(?)")
            arguments.append(self.started_after)
        if self.started_before is not None:
            clauses.append("julianday(start_timestamp) < julianday(?)")
            arguments.append(self.started_before)
        if self.stop_reason is not None:
            clauses.append("stop_reason = ?")
            arguments.append(self.stop_reason)
        if self.before_id is not None:
            clauses.append("id < ?")
            arguments.append(self.before_id)
        return ("WHERE " + " AND ".join(clauses)) if clauses else "", arguments


class StoreReads:
    """
    The read-side queries of a central system's SQLite database.

    @param connection: the store's C{sqlite3.Connection} (rows as
        C{sqlite3.Row}).
    @param last_seen: the store's C{last_seen(identity)}: when a charge
        point was heard from, if that is not written yet.
    """

    def __init__(self, connection: sqlite3.Connection, last_seen: Callable[[str], str | None]) -> None:
        self._db = connection
        self._last_seen = last_seen

    def _rows(self, sql: str, arguments=()) -> list[dict]:
        return [dict(row) for row in self._db.execute(sql, arguments)]

    def _page(self, sql: str, arguments: list, limit: int, offset: int) -> RecordPage:
        (total,) = self._db.execute(f"SELECT count(*) FROM ({sql}) AS listed", arguments).fetchone()
        return RecordPage(self._rows(f"{sql} LIMIT ? OFFSET ?", [*arguments, limit, offset]), total)

    # -- charge points ----------------------------------------------------

    def charge_point_identities(self) -> list[str]:
        """
        Every charge point the store holds (registered, or seen at boot), by
        identity.
        """
        return [row[0] for row in self._db.execute("SELECT identity FROM charge_points ORDER BY identity")]

    def charge_point_records(self, identities: list[str]) -> dict[str, dict]:
        """
        The records of these charge points (their columns, C{last_seen} as
        last heard from), each with C{connectors}: its connectors' records
        by connector id; by identity (those the store does not hold are
        left out), and C{status_reports}: the latest firmware and
        diagnostics status notifications (records of C{status} and
        C{received_at}) by action name (see L{REPORTED_KINDS}).
        """
        if not identities:
            return {}
        marks = ", ".join("?" * len(identities))
        records = {
            row["identity"]: row
            for row in self._rows(f"SELECT * FROM charge_points WHERE identity IN ({marks})", identities)
        }
        connectors: dict[str, list] = {}
        for row in self._rows(
            f"SELECT * FROM connectors WHERE identity IN ({marks}) ORDER BY identity, connector_id",
            identities,
        ):
            connectors.setdefault(row["identity"], []).append(row)
        reports: dict[str, dict] = {}
        # The latest of each kind, found through the status_reports_latest
        # index (standard SQL: SQLite's and PostgreSQL's).
        for row in self._rows(
            "SELECT identity, kind, status, received_at FROM status_reports WHERE id IN ("
            f"SELECT max(id) FROM status_reports WHERE identity IN ({marks}) "
            f"AND kind IN ({_REPORTED_KINDS}) GROUP BY identity, kind)",
            identities,
        ):
            reports.setdefault(row["identity"], {})[row["kind"]] = {
                "status": row["status"],
                "received_at": row["received_at"],
            }
        for identity, record in records.items():
            record["connectors"] = connectors.get(identity, [])
            record["status_reports"] = reports.get(identity, {})
            # Heard from since the store last wrote it (it batches those).
            record["last_seen"] = self._last_seen(identity) or record["last_seen"]
        return records

    # -- id tags ----------------------------------------------------------

    def id_tags_page(self, limit: int, offset: int, status: str | None = None) -> RecordPage:
        """
        Id tags by tag, optionally of one status.
        """
        if status is None:
            return self._page("SELECT * FROM id_tags ORDER BY id_tag", [], limit, offset)
        return self._page("SELECT * FROM id_tags WHERE status = ? ORDER BY id_tag", [status], limit, offset)

    # -- local lists and reservations --------------------------------------

    def local_list_record(self, identity: str) -> dict | None:
        """
        What the central system believes a charge point's local list is:
        its C{local_lists} record with C{pending_changes}, the id-tag
        changes since the list it holds (C{None} when it holds no complete
        list the central system sent: then only a Full list can follow);
        C{None} when no list was ever sent to it.
        """
        rows = self._rows("SELECT * FROM local_lists WHERE identity = ?", (identity,))
        if not rows:
            return None
        record = rows[0]
        record["pending_changes"] = None
        if record["change_mark"] is not None:
            (record["pending_changes"],) = self._db.execute(
                "SELECT count(*) FROM id_tag_changes WHERE seq > ?", (record["change_mark"],)
            ).fetchone()
        return record

    def reservations_page(
        self, identity: str, limit: int, offset: int, state: str | None, now: str
    ) -> RecordPage:
        """
        A charge point's reservations, newest first, each with C{state} as
        read: an active one whose expiry date is past C{now} (an RFC 3339
        text) is C{expired}.

        @param state: only those of this state (one of
            L{RESERVATION_STATES}), or C{None} for all.
        """
        moment = datetime.fromisoformat(now)
        records = []
        for record in self._rows(
            "SELECT * FROM reservations WHERE identity = ? ORDER BY reserved_at DESC, reservation_id DESC",
            (identity,),
        ):
            # Compared as times: texts with and without microseconds do
            # not sort as the instants they name.
            if record["state"] == "active" and datetime.fromisoformat(record["expiry_date"]) <= moment:
                record["state"] = "expired"
            if state is None or record["state"] == state:
                records.append(record)
        return RecordPage(records[offset : offset + limit], len(records))

    # -- transactions -----------------------------------------------------

    def transactions_page(
        self,
        limit: int,
        offset: int,
        identity: str | None = None,
        active: bool | None = None,
        id_tag: str | None = None,
        chosen: TransactionFilter | None = None,
    ) -> RecordPage:
        """
        Transactions, newest first, each active one with
        C{energy_readings} (see L{transaction_record}); C{totals}: of the
        whole list, C{active} (how many are active) and C{energy_wh} (what
        the stopped ones delivered, meter stop - start, in Wh).

        @param chosen: the L{TransactionFilter}; C{identity}, C{active} and
            C{id_tag} are its fields too (given apart, they override it).
        """
        chosen = chosen or TransactionFilter()
        given = {"identity": identity, "active": active, "id_tag": id_tag}
        chosen = replace(chosen, **{name: value for name, value in given.items() if value is not None})
        where, arguments = chosen.where()
        sql = f"SELECT * FROM transactions {where} ORDER BY id DESC"
        total, active_count, energy = self._db.execute(
            "SELECT count(*), coalesce(sum(CASE WHEN stop_timestamp IS NULL THEN 1 ELSE 0 END), 0), "
            "coalesce(sum(CASE WHEN stop_timestamp IS NOT NULL THEN meter_stop - meter_start END), 0) "
            f"FROM transactions {where}",
            arguments,
        ).fetchone()
        records = self._rows(f"{sql} LIMIT ? OFFSET ?", [*arguments, limit, offset])
        for record in records:
            self._add_energy_readings(record)
        return RecordPage(records, total, {"active": active_count, "energy_wh": energy})

    def transaction_record(self, transaction_id: int) -> dict | None:
        """
        One transaction's record, or C{None}. An active one has
        C{energy_readings}: its latest energy register readings (records of
        C{value} and C{unit}), newest first; a stopped one, none (its meter
        stop tells).
        """
        rows = self._rows("SELECT * FROM transactions WHERE id = ?", (transaction_id,))
        if not rows:
            return None
        return self._add_energy_readings(rows[0])

    def _add_energy_readings(self, record: dict) -> dict:
        if record["stop_timestamp"] is None:
            record["energy_readings"] = self._rows(
                f"SELECT value, unit FROM meter_values WHERE {_ENERGY_READING} "
                "ORDER BY timestamp DESC, id DESC LIMIT ?",
                (record["id"], _ENERGY_READINGS),
            )
        return record

    def meter_values_of_transaction(self, transaction_id: int) -> list[dict]:
        """
        Every sampled value attached to a transaction, by timestamp (then as
        received).
        """
        return self._rows(
            "SELECT * FROM meter_values WHERE transaction_id = ? ORDER BY timestamp, id", (transaction_id,)
        )

    # -- events -----------------------------------------------------------

    def events_page(
        self, limit: int, offset: int, kind: str | None = None, identity: str | None = None
    ) -> RecordPage:
        """
        Security events, connector status changes and firmware, diagnostics
        and log status reports, newest first, in one list: each record has
        C{kind} (C{"security"}, C{"status"} or C{"report"}) and every
        column of the three, C{None} where its kind has none.

        @param kind: one of L{EVENT_KINDS}, or C{None} for all.
        @raise ValueError: C{kind} is not one of L{EVENT_KINDS}.
        """
        if kind is not None and kind not in _EVENT_SELECTS:
            raise ValueError(f"kind must be one of {', '.join(EVENT_KINDS)}, not {kind!r}")
        chosen = EVENT_KINDS if kind is None else (kind,)
        arguments: list = []
        parts = []
        for name in chosen:
            if identity is None:
                parts.append(_EVENT_SELECTS[name])
            else:
                parts.append(_EVENT_SELECTS[name] + " WHERE identity = ?")
                arguments.append(identity)
        sql = "SELECT * FROM (" + " UNION ALL ".join(parts) + ") AS events ORDER BY received_at DESC, id DESC"
        return self._page(sql, arguments, limit, offset)
