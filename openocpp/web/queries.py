"""
The API's paginated reads of the central system's SQLite file, through a
read-only connection of its own (the API cannot change a record by these
queries), and the JSON shapes of the records.

The central system's store writes; these queries only read, each one short
SQLite statement on the reactor thread.
"""

import math
from typing import Any

#: The columns of C{charge_points} holding BootNotification information,
#: by their JSON names.
_BOOT_FIELDS = {
    "chargePointVendor": "vendor",
    "chargePointModel": "model",
    "chargePointSerialNumber": "charge_point_serial_number",
    "chargeBoxSerialNumber": "charge_box_serial_number",
    "firmwareVersion": "firmware_version",
    "iccid": "iccid",
    "imsi": "imsi",
    "meterType": "meter_type",
    "meterSerialNumber": "meter_serial_number",
}

#: Sampled values counted as the energy register: no measurand means it
#: (OCPP 1.6 section 7.31), as do the phase-less raw readings of it.
_ENERGY_READING = (
    "transaction_id = ? AND (measurand IS NULL OR measurand = 'Energy.Active.Import.Register') "
    "AND phase IS NULL AND (format IS NULL OR format = 'Raw')"
)
_TO_WH = {None: 1.0, "Wh": 1.0, "kWh": 1000.0}


class Page:
    """
    One page of a list: C{{"items", "total", "limit", "offset"}} in JSON.
    """

    def __init__(self, items: list, total: int, limit: int, offset: int) -> None:
        self.items, self.total, self.limit, self.offset = items, total, limit, offset

    def to_json(self) -> dict:
        return {"items": self.items, "total": self.total, "limit": self.limit, "offset": self.offset}


def _where(clauses: list[str]) -> str:
    return ("WHERE " + " AND ".join(clauses)) if clauses else ""


class ReadOnlyQueries:
    """
    Paginated reads of the central system's SQLite file.

    @param store: the central system's
        L{openocpp.centralsystem.store.CentralSystemStore}, read through
        its C{read} method.
    """

    def __init__(self, store: Any) -> None:
        self._store = store

    def _rows(self, sql: str, arguments=()) -> list[dict]:
        return [dict(row) for row in self._store.read(sql, arguments)]

    def _count(self, sql: str, arguments=()) -> int:
        return self._store.read(f"SELECT count(*) FROM ({sql})", arguments)[0][0]

    def _page(self, sql: str, arguments: list, limit: int, offset: int, shape) -> Page:
        total = self._count(sql, arguments)
        rows = self._rows(f"{sql} LIMIT ? OFFSET ?", [*arguments, limit, offset])
        return Page([shape(row) for row in rows], total, limit, offset)

    # -- charge points ----------------------------------------------------

    def known_identities(self) -> list[str]:
        """
        Every charge point the store holds (registered, or seen at boot), by
        identity.
        """
        return [row["identity"] for row in self._rows("SELECT identity FROM charge_points ORDER BY identity")]

    def charge_point_records(self, identities: list[str]) -> dict[str, dict]:
        """
        The store's records of these charge points, with their connectors,
        by identity (those it does not hold are left out).
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
            connectors.setdefault(row["identity"], []).append(connector_json(row))
        for identity, record in records.items():
            record["connectors"] = connectors.get(identity, [])
            # Heard from since the store last wrote it (it batches those).
            record["last_seen"] = self._store.last_seen(identity) or record["last_seen"]
        return records

    # -- id tags ----------------------------------------------------------

    def id_tags(self, limit: int, offset: int, status: str | None = None) -> Page:
        """
        Id tags by tag, optionally of one status.
        """
        clauses, arguments = [], []
        if status is not None:
            clauses.append("status = ?")
            arguments.append(status)
        return self._page(
            f"SELECT * FROM id_tags {_where(clauses)} ORDER BY id_tag", arguments, limit, offset, id_tag_json
        )

    # -- transactions -----------------------------------------------------

    def transactions(
        self,
        limit: int,
        offset: int,
        identity: str | None = None,
        active: bool | None = None,
        id_tag: str | None = None,
    ) -> Page:
        """
        Transactions, newest first, with the energy each delivered so far.
        """
        clauses, arguments = [], []
        if identity is not None:
            clauses.append("identity = ?")
            arguments.append(identity)
        if id_tag is not None:
            # Id tags are case-insensitive (OCPP 1.6 section 7.28).
            clauses.append("id_tag = ? COLLATE NOCASE")
            arguments.append(id_tag)
        if active is not None:
            clauses.append("stop_timestamp IS NULL" if active else "stop_timestamp IS NOT NULL")
        return self._page(
            f"SELECT * FROM transactions {_where(clauses)} ORDER BY id DESC",
            arguments,
            limit,
            offset,
            self.transaction_json,
        )

    def transaction(self, transaction_id: int) -> dict | None:
        """
        One transaction with all its sampled values (oldest first), or
        C{None}.
        """
        rows = self._rows("SELECT * FROM transactions WHERE id = ?", (transaction_id,))
        if not rows:
            return None
        record = self.transaction_json(rows[0])
        record["meterValues"] = [
            meter_value_json(row)
            for row in self._rows(
                "SELECT * FROM meter_values WHERE transaction_id = ? ORDER BY timestamp, id", (transaction_id,)
            )
        ]
        return record

    def _energy_register_wh(self, transaction_id: int) -> int | None:
        # Whole Wh, as meterStart and meterStop are (OCPP 1.6 section 6.45):
        # meterWh is then an integer in every answer, active or stopped.
        for row in self._rows(
            f"SELECT value, unit FROM meter_values WHERE {_ENERGY_READING} ORDER BY timestamp DESC, id DESC LIMIT 5",
            (transaction_id,),
        ):
            factor = _TO_WH.get(row["unit"])
            try:
                value = float(row["value"])
            except ValueError:
                continue
            if factor is not None and math.isfinite(value * factor):
                # (A charge point may write "inf" or "1e999": no JSON number.)
                return round(value * factor)
        return None

    def transaction_json(self, row: dict) -> dict:
        """
        A transaction record's JSON, with C{energyWh}: what it delivered
        (meter stop - start once stopped; while active, the latest energy
        register reading - start, or C{null} before the first reading) and
        C{meterWh}, the register's reading that comes from: both integers of
        Wh (a reading in kWh is rounded to the nearest Wh), or C{null}.
        """
        active = row["stop_timestamp"] is None
        if active:
            meter = self._energy_register_wh(row["id"])
        else:
            meter = row["meter_stop"]
        return {
            "transactionId": row["id"],
            "chargePoint": row["identity"],
            "connectorId": row["connector_id"],
            "idTag": row["id_tag"],
            "active": active,
            "meterStart": row["meter_start"],
            "startTimestamp": row["start_timestamp"],
            "reservationId": row["reservation_id"],
            "meterStop": row["meter_stop"],
            "stopTimestamp": row["stop_timestamp"],
            "stopReason": row["stop_reason"],
            "stopIdTag": row["stop_id_tag"],
            "meterWh": meter,
            "energyWh": None if meter is None else meter - row["meter_start"],
        }

    # -- events -----------------------------------------------------------

    def events(
        self, limit: int, offset: int, kind: str | None = None, identity: str | None = None
    ) -> Page:
        """
        Security events, connector status changes and firmware, diagnostics
        and log status reports, newest first.

        @param kind: C{"security"}, C{"status"} or C{"report"}, or C{None}
            for all.
        """
        columns = (
            "kind", "id", "identity", "received_at", "timestamp", "type", "tech_info",
            "connector_id", "status", "error_code", "info", "vendor_id", "vendor_error_code",
            "action", "request_id", "origin", "peer",
        )
        sources = {
            # Each table's value for each column (NULL where it has none).
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
        selects = {
            name: "SELECT "
            + ", ".join(f"{value} AS {column}" for value, column in zip(values[:-1], columns))
            + f" FROM {values[-1]}"
            for name, values in sources.items()
        }
        chosen = list(selects) if kind is None else [kind]
        arguments: list = []
        parts = []
        for name in chosen:
            if identity is None:
                parts.append(selects[name])
            else:
                parts.append(selects[name] + " WHERE identity = ?")
                arguments.append(identity)
        sql = "SELECT * FROM (" + " UNION ALL ".join(parts) + ") ORDER BY received_at DESC, id DESC"
        return self._page(sql, arguments, limit, offset, event_json)


def connector_json(row: dict) -> dict:
    return {
        "connectorId": row["connector_id"],
        "status": row["status"],
        "errorCode": row["error_code"],
        "info": row["info"],
        "vendorId": row["vendor_id"],
        "vendorErrorCode": row["vendor_error_code"],
        "timestamp": row["timestamp"],
    }


def id_tag_json(row: dict) -> dict:
    return {
        "idTag": row["id_tag"],
        "status": row["status"],
        "expiryDate": row["expiry_date"],
        "parentIdTag": row["parent_id_tag"],
    }


def meter_value_json(row: dict) -> dict:
    return {
        "connectorId": row["connector_id"],
        "timestamp": row["timestamp"],
        "value": row["value"],
        "context": row["context"],
        "format": row["format"],
        "measurand": row["measurand"],
        "phase": row["phase"],
        "location": row["location"],
        "unit": row["unit"],
    }


def event_json(row: dict) -> dict:
    common = {
        "kind": row["kind"],
        "id": row["id"],
        "chargePoint": row["identity"],
        "receivedAt": row["received_at"],
    }
    if row["kind"] == "security":
        # origin: "ChargePoint" (a SecurityEventNotification) or
        # "CentralSystem" (noticed by the central system itself, e.g.
        # repeated failed authentications, with the peer's address).
        return {
            **common,
            "timestamp": row["timestamp"],
            "type": row["type"],
            "techInfo": row["tech_info"],
            "origin": row["origin"],
            "peer": row["peer"],
        }
    if row["kind"] == "status":
        return {
            **common,
            "timestamp": row["timestamp"],
            "connectorId": row["connector_id"],
            "status": row["status"],
            "errorCode": row["error_code"],
            "info": row["info"],
            "vendorId": row["vendor_id"],
            "vendorErrorCode": row["vendor_error_code"],
        }
    return {**common, "action": row["action"], "status": row["status"], "requestId": row["request_id"]}


def charge_point_json(identity: str, record: dict | None, proxy: Any) -> dict:
    """
    A charge point's JSON: its store record (or C{None} when it is only
    connected) and its connection's proxy (or C{None} when offline).
    """
    record = record or {}
    boot = {name: record.get(column) for name, column in _BOOT_FIELDS.items()}
    connection = None
    if proxy is not None:
        peer = proxy.peer
        connection = {
            "peer": None if peer is None else str(getattr(peer, "host", peer)),
            "securityProfile": proxy.security_profile,
        }
    return {
        "identity": identity,
        "connected": proxy is not None,
        "registered": bool(record.get("approved")),
        "registrationStatus": record.get("registration_status"),
        "securityProfile": record.get("security_profile"),
        "hasPassword": record.get("password_hash") is not None,
        "registeredAt": record.get("registered_at"),
        "lastBoot": record.get("last_boot"),
        "lastSeen": record.get("last_seen"),
        "boot": boot if any(value is not None for value in boot.values()) else None,
        "connectors": record.get("connectors", []),
        "connection": connection,
    }
