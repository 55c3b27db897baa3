"""
The API's paginated reads of the central system's records, and their JSON
shapes.

The records come from the central system's store through its named,
Deferred-returning reads (L{openocpp.centralsystem.interfaces.ICentralSystemStore}:
C{charge_point_records}, C{transactions_page}, ...); no SQL is written here.
What is here only shapes them as the API answers them.
"""

import math
from typing import Any

from twisted.internet.defer import Deferred

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

_TO_WH = {None: 1.0, "Wh": 1.0, "kWh": 1000.0}


class Page:
    """
    One page of a list: C{{"items", "total", "limit", "offset"}} in JSON,
    and C{"totals"} when the list has figures of its own.
    """

    def __init__(self, items: list, total: int, limit: int, offset: int, totals: dict | None = None) -> None:
        self.items, self.total, self.limit, self.offset = items, total, limit, offset
        self.totals = totals

    def to_json(self) -> dict:
        shaped = {"items": self.items, "total": self.total, "limit": self.limit, "offset": self.offset}
        if self.totals is not None:
            shaped["totals"] = self.totals
        return shaped


class ReadOnlyQueries:
    """
    The API's reads: the store's records, shaped as JSON. Every method
    returns a Deferred (the store's reads may be asynchronous).

    @param store: the central system's
        L{openocpp.centralsystem.interfaces.ICentralSystemStore}.
    """

    def __init__(self, store: Any) -> None:
        self._store = store

    # -- charge points ----------------------------------------------------

    def known_identities(self) -> Deferred:
        """
        @return: a Deferred firing with every charge point the store holds
            (registered, or seen at boot), by identity.
        """
        return self._store.charge_point_identities()

    def charge_point_records(self, identities: list[str]) -> Deferred:
        """
        @return: a Deferred firing with the store's records of these charge
            points, their connectors in JSON, by identity (those it does
            not hold are left out).
        """

        def shaped(records: dict) -> dict:
            for record in records.values():
                record["connectors"] = [connector_json(row) for row in record["connectors"]]
            return records

        return self._store.charge_point_records(identities).addCallback(shaped)

    # -- id tags ----------------------------------------------------------

    def id_tags(self, limit: int, offset: int, status: str | None = None) -> Deferred:
        """
        @return: a Deferred firing with a L{Page} of id tags by tag,
            optionally of one status.
        """
        return self._store.id_tags_page(limit, offset, status=status).addCallback(
            _page, limit, offset, id_tag_json
        )

    # -- transactions -----------------------------------------------------

    def transactions(
        self,
        limit: int,
        offset: int,
        identity: str | None = None,
        active: bool | None = None,
        id_tag: str | None = None,
        chosen: Any = None,
    ) -> Deferred:
        """
        @param chosen: a L{openocpp.centralsystem.reads.TransactionFilter},
            or C{None}.
        @return: a Deferred firing with a L{Page} of transactions, newest
            first, with the energy each delivered so far, and C{totals}
            when the store counts them: C{active} (how many of the list
            are active) and C{energyWh} (what its stopped ones delivered).
        """

        def shaped(found: Any) -> Page:
            page = _page(found, limit, offset, transaction_json)
            if found.totals is not None:
                page.totals = {"active": found.totals["active"], "energyWh": found.totals["energy_wh"]}
            return page

        return self._store.transactions_page(
            limit, offset, identity=identity, active=active, id_tag=id_tag, chosen=chosen
        ).addCallback(shaped)

    def transaction(self, transaction_id: int) -> Deferred:
        """
        @return: a Deferred firing with one transaction with all its
            sampled values (oldest first), or C{None}.
        """

        def found(record: dict | None) -> Any:
            if record is None:
                return None
            shaped = transaction_json(record)
            return self._store.meter_values_of_transaction(transaction_id).addCallback(
                lambda rows: {**shaped, "meterValues": [meter_value_json(row) for row in rows]}
            )

        return self._store.transaction_record(transaction_id).addCallback(found)

    # -- charging profiles --------------------------------------------------

    def charging_profiles(self, identity: str) -> Deferred:
        """
        @return: a Deferred firing with the JSON of the charging profiles a
            charge point accepted and holds, by connector and id.
        """
        return self._store.charging_profiles(identity).addCallback(
            lambda records: [charging_profile_json(record) for record in records]
        )

    # -- events -----------------------------------------------------------

    def events(
        self, limit: int, offset: int, kind: str | None = None, identity: str | None = None
    ) -> Deferred:
        """
        @return: a Deferred firing with a L{Page} of security events,
            connector status changes and firmware, diagnostics and log
            status reports, newest first.

        @param kind: C{"security"}, C{"status"} or C{"report"}, or C{None}
            for all.
        """
        return self._store.events_page(limit, offset, kind=kind, identity=identity).addCallback(
            _page, limit, offset, event_json
        )


def charging_profile_json(row: dict) -> dict:
    """
    @return: the API's JSON of a charging profile record (see
        L{openocpp.centralsystem.interfaces.ICentralSystemStore.charging_profiles}).
    """
    return {
        "connectorId": row["connector_id"],
        "chargingProfileId": row["profile_id"],
        "chargingProfilePurpose": row["purpose"],
        "stackLevel": row["stack_level"],
        "transactionId": row["transaction_id"],
        "acceptedAt": row["accepted_at"],
        "chargingProfile": row["profile"],
    }


def _page(found: Any, limit: int, offset: int, shape: Any) -> Page:
    # found: the store's RecordPage.
    return Page([shape(record) for record in found.records], found.total, limit, offset)


def _energy_register_wh(readings: list[dict]) -> int | None:
    # Whole Wh, as meterStart and meterStop are (OCPP 1.6 section 6.45):
    # meterWh is then an integer in every answer, active or stopped.
    for row in readings:
        factor = _TO_WH.get(row["unit"])
        try:
            value = float(row["value"])
        except ValueError:
            continue
        if factor is not None and math.isfinite(value * factor):
            # (A charge point may write "inf" or "1e999": no JSON number.)
            return round(value * factor)
    return None


def transaction_json(row: dict) -> dict:
    """
    A transaction record's JSON, with C{energyWh}: what it delivered
    (meter stop - start once stopped; while active, the latest energy
    register reading - start, or C{null} before the first reading) and
    C{meterWh}, the register's reading that comes from: both integers of
    Wh (a reading in kWh is rounded to the nearest Wh), or C{null}.
    """
    active = row["stop_timestamp"] is None
    if active:
        meter = _energy_register_wh(row.get("energy_readings", []))
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
        "keyRefusal": record.get("key_refusal"),
        "registeredAt": record.get("registered_at"),
        "lastBoot": record.get("last_boot"),
        "lastSeen": record.get("last_seen"),
        "boot": boot if any(value is not None for value in boot.values()) else None,
        "connectors": record.get("connectors", []),
        "connection": connection,
        "firmware": _report_json(record, "FirmwareStatusNotification"),
        "diagnostics": _report_json(record, "DiagnosticsStatusNotification"),
    }


def _report_json(record: dict, kind: str) -> dict | None:
    # The latest status notification of that kind, or None before any.
    report = record.get("status_reports", {}).get(kind)
    if report is None:
        return None
    return {"status": report["status"], "receivedAt": report["received_at"]}
