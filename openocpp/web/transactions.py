"""
The API's transaction history: the list with its filters, paging and
totals, one transaction's meter values as energy and power series, and
both as CSV downloads.

Routes (registered by L{openocpp.web.api.ApiResource}):
C{GET /api/v1/transactions}, C{GET /api/v1/transactions.csv},
C{GET /api/v1/transactions/{id}/metervalues} and
C{GET /api/v1/transactions/{id}/metervalues.csv}.
"""

import csv
import io
import math
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from twisted.internet.defer import Deferred, inlineCallbacks, maybeDeferred

from openocpp.centralsystem.reads import TransactionFilter
from openocpp.messages.enums import Reason
from openocpp.messages.validation import parse_datetime
from openocpp.web.api import STREAMING, ApiError, Call, Route

#: The stop reasons a list may be filtered by (OCPP 1.6 section 7.35).
STOP_REASONS = tuple(reason.value for reason in Reason)

#: Transactions read at once while writing a CSV download.
CSV_CHUNK = 500

#: The columns of the transactions CSV, by the JSON member each comes from.
TRANSACTION_COLUMNS = (
    ("transactionId", "transactionId"),
    ("chargePoint", "chargePoint"),
    ("connectorId", "connectorId"),
    ("idTag", "idTag"),
    ("startTimestamp", "startTimestamp"),
    ("stopTimestamp", "stopTimestamp"),
    ("meterStart", "meterStart"),
    ("meterStop", "meterStop"),
    ("energyWh", "energyWh"),
    ("stopReason", "stopReason"),
)

#: The columns of a transaction's meter values CSV.
METER_VALUE_COLUMNS = (
    "timestamp", "connectorId", "measurand", "phase", "location", "context", "format", "unit", "value",
)

#: The measurand of a sampled value without one (OCPP 1.6 section 7.31).
_ENERGY = "Energy.Active.Import.Register"
_POWER = "Power.Active.Import"
#: Factors to Wh and W; a value without unit is in Wh (the default), and a
#: power without unit is taken as W.
_TO_WH = {None: 1.0, "Wh": 1.0, "kWh": 1000.0}
_TO_W = {None: 1.0, "W": 1.0, "kW": 1000.0}
#: Phases whose powers add up to the total (when no phase-less value is
#: given): line to neutral, or the lines.
_PHASE_SETS = (("L1", "L2", "L3"), ("L1-N", "L2-N", "L3-N"))

#: Where a point of an unreadable time is put.
_LAST = datetime.max.replace(tzinfo=timezone.utc)

#: Characters that make a spreadsheet read a cell as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def transaction_filter(call: Call) -> TransactionFilter:
    """
    The filters of a transactions list from its query arguments, each
    refused with a 400 naming it when it is not what it must be.

    """
    reason = call.arg("stopReason")
    if reason is not None and reason not in STOP_REASONS:
        raise ApiError(
            400, "bad_query", f"query argument stopReason must be one of {', '.join(STOP_REASONS)}, not {reason!r}"
        )
    after = _instant(call, "startedAfter")
    before = _instant(call, "startedBefore")
    if after is not None and before is not None and after[0] >= before[0]:
        raise ApiError(400, "bad_query", "query argument startedAfter must be earlier than startedBefore")
    connector = call.arg("connector")
    return TransactionFilter(
        identity=call.arg("chargepoint") or None,
        active=call.flag("active"),
        id_tag=call.arg("idtag") or None,
        connector_id=None if not connector else call.integer("connector", 0, 1),
        started_after=None if after is None else after[1],
        started_before=None if before is None else before[1],
        stop_reason=reason or None,
    )


def _instant(call: Any, name: str) -> tuple[datetime, str] | None:
    # An RFC 3339 query argument, and its UTC text for SQLite.
    text = call.arg(name)
    if not text:
        return None
    try:
        moment = parse_datetime(text)
    except ValueError:
        raise ApiError(
            400, "bad_query",
            f"query argument {name} must be an RFC 3339 date-time (2026-12-02T05:00:00Z), not {text!r}",
        ) from None
    return moment, moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def csv_cell(value: Any) -> Any:
    """
    A value as a CSV cell: C{None} empty; a text that a spreadsheet would
    run as a formula (C{=...}, C{+...}, C{@...}; a charge point chooses its
    id tags) after a quote, unless it is a number.
    """
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


class _CsvWriter:
    """
    Writes CSV rows to a request as they come.
    """

    def __init__(self, request: Any, file_name: str) -> None:
        self._request = request
        self._buffer = io.StringIO()
        self._csv = csv.writer(self._buffer, lineterminator="\r\n")
        self.gone = False
        request.notifyFinish().addErrback(self._lost)
        request.setResponseCode(200)
        request.setHeader(b"content-type", b"text/csv; charset=utf-8")
        request.setHeader(b"content-disposition", f'attachment; filename="{file_name}"'.encode("ascii"))

    def _lost(self, failure: Any) -> None:
        self.gone = True

    def rows(self, rows: list) -> None:
        self._csv.writerows([[csv_cell(value) for value in row] for row in rows])
        if not self.gone:
            self._request.write(self._buffer.getvalue().encode("utf-8"))
        self._buffer.seek(0)
        self._buffer.truncate()

    def finish(self) -> None:
        if not self.gone:
            self._request.finish()


def meter_series(transaction: dict, values: list[dict]) -> dict:
    """
    A transaction's energy and power over time, from its sampled values.

    @param transaction: the transaction's JSON
        (L{openocpp.web.queries.transaction_json}).
    @param values: its sampled values' JSON
        (L{openocpp.web.queries.meter_value_json}).
    @return: C{energy}: the energy register in Wh (C{{"timestamp", "wh"}},
        its meter start and stop included), C{power}: the active import
        power in W (C{{"timestamp", "w"}}: the phase-less value, else the
        sum of the phases'); by time. Values that are no finite number, or
        are signed data, are left out and counted in C{skipped}.
    """
    energy, power, skipped = [], [], 0
    phases: dict[str, dict[str, float]] = {}
    whole_power: dict[str, float] = {}
    for value in values:
        measurand = value["measurand"] or _ENERGY
        if measurand not in (_ENERGY, _POWER):
            continue
        number = _number(value)
        if number is None:
            skipped += 1
            continue
        if measurand == _ENERGY:
            factor = _TO_WH.get(value["unit"])
            if value["phase"] is None and factor is not None:
                energy.append((value["timestamp"], number * factor))
            continue
        factor = _TO_W.get(value["unit"])
        if factor is None:
            continue
        if value["phase"] is None:
            whole_power[value["timestamp"]] = number * factor
        else:
            phases.setdefault(value["timestamp"], {})[value["phase"]] = number * factor
    for timestamp, by_phase in phases.items():
        if timestamp in whole_power:
            continue
        for chosen in _PHASE_SETS:
            if any(phase in by_phase for phase in chosen):
                whole_power[timestamp] = sum(by_phase.get(phase, 0.0) for phase in chosen)
                break
    energy.append((transaction["startTimestamp"], float(transaction["meterStart"])))
    if transaction["meterStop"] is not None and transaction["stopTimestamp"] is not None:
        energy.append((transaction["stopTimestamp"], float(transaction["meterStop"])))
    power = list(whole_power.items())
    return {
        "energy": [{"timestamp": t, "wh": _whole(v)} for t, v in _by_time(energy)],
        "power": [{"timestamp": t, "w": _whole(v)} for t, v in _by_time(power)],
        "skipped": skipped,
    }


def _number(value: dict) -> float | None:
    if value["format"] not in (None, "Raw"):
        return None
    try:
        number = float(value["value"])
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _whole(number: float) -> int | float:
    return int(number) if number.is_integer() else round(number, 3)


def _by_time(points: list[tuple[str, float]]) -> list[tuple[str, float]]:
    # Sorted as instants (texts of other widths or offsets do not sort so);
    # one point per instant and value.
    def key(point):
        try:
            return parse_datetime(point[0])
        except ValueError:
            return _LAST

    seen, kept = set(), []
    for point in sorted(points, key=key):
        if point not in seen:
            seen.add(point)
            kept.append(point)
    return kept


class TransactionRoutes:
    """
    The handlers of the transaction history's routes.

    @param queries: the L{openocpp.web.queries.ReadOnlyQueries}.
    """

    def __init__(self, queries: Any) -> None:
        self._queries = queries

    def listed(self, call: Call) -> Deferred:
        """
        C{GET /api/v1/transactions}: a page of the filtered list, newest
        first, with its totals.
        """
        limit, offset = call.page()
        chosen = transaction_filter(call)
        return self._queries.transactions(limit, offset, chosen=chosen).addCallback(lambda page: page.to_json())

    def listed_csv(self, call: Call) -> Deferred:
        """
        C{GET /api/v1/transactions.csv}: the whole filtered list as CSV,
        one row per transaction, newest first.
        """
        return self._write_transactions(call.request, transaction_filter(call))

    @inlineCallbacks
    def _write_transactions(self, request: Any, chosen: TransactionFilter) -> Any:
        # Read in pieces by id, so that a long list is never held whole and
        # transactions started meanwhile do not shift it. The first piece
        # is read before anything is written: a failed read is answered
        # as an error, not as a cut CSV.
        page = yield self._queries.transactions(CSV_CHUNK, 0, chosen=chosen)
        writer = _CsvWriter(request, "transactions.csv")
        writer.rows([[name for name, _ in TRANSACTION_COLUMNS]])
        while not writer.gone:
            writer.rows([[item[member] for _, member in TRANSACTION_COLUMNS] for item in page.items])
            if len(page.items) < CSV_CHUNK:
                break
            chosen = replace(chosen, before_id=page.items[-1]["transactionId"])
            page = yield self._queries.transactions(CSV_CHUNK, 0, chosen=chosen)
        writer.finish()
        return STREAMING

    def meter_values(self, call: Call, transactionId: str) -> Deferred:
        """
        C{GET /api/v1/transactions/{id}/metervalues}: the transaction, its
        sampled values and its energy and power series (L{meter_series}).
        """
        return self._transaction(transactionId).addCallback(
            lambda found: {
                "transaction": {key: value for key, value in found.items() if key != "meterValues"},
                "meterValues": found["meterValues"],
                **meter_series(found, found["meterValues"]),
            }
        )

    def meter_values_csv(self, call: Call, transactionId: str) -> Deferred:
        """
        C{GET /api/v1/transactions/{id}/metervalues.csv}: its sampled
        values as CSV, one row each, oldest first.
        """
        def write(found: dict) -> Any:
            writer = _CsvWriter(call.request, f"transaction-{found['transactionId']}-meter-values.csv")
            writer.rows([list(METER_VALUE_COLUMNS)])
            writer.rows([[value[name] for name in METER_VALUE_COLUMNS] for value in found["meterValues"]])
            writer.finish()
            return STREAMING

        return self._transaction(transactionId).addCallback(write)

    def _transaction(self, transaction_id: str) -> Deferred:
        def found(record: dict | None) -> dict:
            if record is None:
                raise ApiError(404, "unknown_transaction", f"no transaction {transaction_id!r}")
            return record

        if not (transaction_id.isdigit() and len(transaction_id) < 19):
            return maybeDeferred(found, None)
        return self._queries.transaction(int(transaction_id)).addCallback(found)


    def routes(self) -> list[Route]:
        """
        The transaction history's routes.
        """
        return [
            Route("v1/transactions", GET=self.listed),
            Route("v1/transactions.csv", GET=self.listed_csv),
            Route("v1/transactions/{transactionId}/metervalues", GET=self.meter_values),
            Route("v1/transactions/{transactionId}/metervalues.csv", GET=self.meter_values_csv),
        ]
