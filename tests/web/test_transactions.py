"""
Tests for the API's transaction history (L{openocpp.web.transactions}):
the filtered, paged list with its totals, the CSV downloads and one
transaction's energy and power series.
"""

import csv
import io
from datetime import timedelta

from twisted.internet.defer import inlineCallbacks
from twisted.trial.unittest import SynchronousTestCase, TestCase

from openocpp.messages import core
from openocpp.messages.datatypes import MeterValue, SampledValue
from openocpp.web.transactions import csv_cell, meter_series
from tests.centralsystem.fake_chargepoint import NOW
from tests.web.api_client import ApiMixin
from tests.centralsystem.stores import PostgreSQLCentralSystemMixin


def make_history(store, count=0):
    """
    Transactions written straight to the central system's store: three
    known ones (CP1 connector 1 by TAG1, stopped Remote with 500 Wh; CP1
    connector 2 by tag2, active; CP2 connector 1 by TAG1, stopped without
    reason, 250 Wh), then C{count} more stopped on CP3, a minute apart.

    @return: the ids of the three, in order.
    """

    def start(identity, connector, tag, minutes, meter_start=1000):
        return store.start_transaction(
            identity,
            core.StartTransactionRequest(
                connector_id=connector, id_tag=tag, meter_start=meter_start, timestamp=NOW + timedelta(minutes=minutes)
            ),
        )

    first = start("CP1", 1, "TAG1", 0)
    store.stop_transaction(
        "CP1",
        core.StopTransactionRequest(
            transaction_id=first, meter_stop=1500, timestamp=NOW + timedelta(minutes=30), reason="Remote"
        ),
    )
    second = start("CP1", 2, "tag2", 60)
    third = start("CP2", 1, "TAG1", 120, meter_start=0)
    store.stop_transaction(
        "CP2", core.StopTransactionRequest(transaction_id=third, meter_stop=250, timestamp=NOW + timedelta(minutes=150))
    )
    for n in range(count):
        done = start("CP3", 1, "BULK", 200 + n)
        store.stop_transaction(
            "CP3", core.StopTransactionRequest(transaction_id=done, meter_stop=1010, timestamp=NOW + timedelta(minutes=201 + n))
        )
    return first, second, third


def parse_csv(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))


class TransactionListTests(ApiMixin, TestCase):
    """
    C{GET /api/v1/transactions}: filters, paging and totals.
    """

    @inlineCallbacks
    def setUp(self):
        yield self.start()
        self.first, self.second, self.third = make_history(self.central.store)

    @inlineCallbacks
    def ids(self, query):
        answer = yield self.get("/api/v1/transactions?" + query)
        self.assertEqual(answer.status, 200, answer)
        return [item["transactionId"] for item in answer.json["items"]]

    @inlineCallbacks
    def test_filters(self):
        """
        Each filter keeps only the transactions it names, and they combine:
        charge point, id tag (in any case), connector, active or stopped,
        started at or after / before an instant (any offset), stop reason
        (a StopTransaction without reason is Local, OCPP 1.6 section 6.49).
        """
        self.assertEqual((yield self.ids("")), [self.third, self.second, self.first])
        self.assertEqual((yield self.ids("chargepoint=CP1")), [self.second, self.first])
        self.assertEqual((yield self.ids("idtag=tag1")), [self.third, self.first])
        self.assertEqual((yield self.ids("connector=2")), [self.second])
        self.assertEqual((yield self.ids("active=true")), [self.second])
        self.assertEqual((yield self.ids("active=false&chargepoint=CP1")), [self.first])
        self.assertEqual((yield self.ids("startedAfter=2026-11-25T09:00:00Z")), [self.third, self.second])
        # 09:00 at +01:00 is 08:00Z: the first is started at 08:00Z, so at it.
        self.assertEqual((yield self.ids("startedAfter=2026-11-25T09:00:00%2B01:00")), [self.third, self.second, self.first])
        self.assertEqual((yield self.ids("startedBefore=2026-11-25T09:00:00.000Z")), [self.first])
        self.assertEqual(
            (yield self.ids("startedAfter=2026-11-25T08:30:00Z&startedBefore=2026-11-25T09:30:00Z")), [self.second]
        )
        self.assertEqual((yield self.ids("stopReason=Remote")), [self.first])
        self.assertEqual((yield self.ids("stopReason=Local")), [self.third])
        self.assertEqual((yield self.ids("stopReason=Local&chargepoint=CP1")), [])

    @inlineCallbacks
    def test_totals(self):
        """
        A page carries the totals of the whole filtered list, not of the
        page: how many, how many active, the energy the stopped ones
        delivered.
        """
        answer = yield self.get("/api/v1/transactions?limit=1")
        self.assertEqual(answer.json["total"], 3)
        self.assertEqual(answer.json["totals"], {"active": 1, "energyWh": 750})
        answer = yield self.get("/api/v1/transactions?idtag=TAG1")
        self.assertEqual((answer.json["total"], answer.json["totals"]), (2, {"active": 0, "energyWh": 750}))

    @inlineCallbacks
    def test_paging_bounds(self):
        """
        limit is 1 to 500 and offset at least 0; a page past the end is
        empty, with the total still told.
        """
        self.assertEqual((yield self.ids("limit=2&offset=1")), [self.second, self.first])
        self.assertEqual((yield self.ids("limit=500&offset=3")), [])
        for query, name in [("limit=0", "limit"), ("limit=501", "limit"), ("offset=-1", "offset"), ("limit=x", "limit")]:
            answer = yield self.get("/api/v1/transactions?" + query)
            self.assertError(answer, 400, "bad_query")
            self.assertIn(name, answer.json["description"])

    @inlineCallbacks
    def test_bad_filters_are_refused_by_name(self):
        """
        A bad filter is a 400 whose description names it, on the list and
        on the CSV download alike.
        """
        cases = [
            ("connector=0", "connector"),
            ("connector=one", "connector"),
            ("active=maybe", "active"),
            ("startedAfter=yesterday", "startedAfter"),
            ("startedBefore=2026-13-01T00:00:00Z", "startedBefore"),
            ("startedAfter=2026-11-26T00:00:00Z&startedBefore=2026-11-25T00:00:00Z", "startedAfter"),
            ("stopReason=Tired", "stopReason"),
        ]
        for path in ("/api/v1/transactions?", "/api/v1/transactions.csv?"):
            for query, name in cases:
                answer = yield self.get(path + query)
                self.assertError(answer, 400, "bad_query")
                self.assertIn(name, answer.json["description"], query)


class TransactionCsvTests(ApiMixin, TestCase):
    """
    The CSV downloads: the filtered list, one transaction's meter values.
    """

    @inlineCallbacks
    def setUp(self):
        yield self.start()

    @inlineCallbacks
    def test_list_as_csv(self):
        """
        One row per transaction of the filtered list, newest first, under a
        header; sent as an attachment of type text/csv.
        """
        first, second, third = make_history(self.central.store)
        answer = yield self.get("/api/v1/transactions.csv?idtag=TAG1")
        self.assertEqual(answer.status, 200)
        self.assertEqual(answer.header("content-type"), b"text/csv; charset=utf-8")
        self.assertEqual(answer.header("content-disposition"), b'attachment; filename="transactions.csv"')
        rows = parse_csv(answer.body)
        self.assertEqual(
            rows,
            [
                ["transactionId", "chargePoint", "connectorId", "idTag", "startTimestamp", "stopTimestamp",
                 "meterStart", "meterStop", "energyWh", "stopReason"],
                [str(third), "CP2", "1", "TAG1", "2026-11-25T10:00:00.000Z", "2026-11-25T10:30:00.000Z",
                 "0", "250", "250", "Local"],
                [str(first), "CP1", "1", "TAG1", "2026-11-25T08:00:00.000Z", "2026-11-25T08:30:00.000Z",
                 "1000", "1500", "500", "Remote"],
            ],
        )
        self.assertTrue(answer.body.endswith(b"\r\n"))

    @inlineCallbacks
    def test_long_list_is_whole(self):
        """
        A list longer than the pieces it is read in (500) comes whole, each
        transaction once, newest first; an active one has empty stop cells (and no energy before a reading).
        """
        make_history(self.central.store, count=520)
        answer = yield self.get("/api/v1/transactions.csv")
        ids = [int(row[0]) for row in parse_csv(answer.body)[1:]]
        self.assertEqual(len(ids), 523)
        self.assertEqual(ids, sorted(set(ids), reverse=True))
        active = [row for row in parse_csv(answer.body)[1:] if row[2] == "2"]
        self.assertEqual(active[0][5:], ["", "1000", "", "", ""])

    @inlineCallbacks
    def test_quoting(self):
        """
        Cells with commas, quotes or line breaks are quoted as RFC 4180
        says, and read back as they were; a cell a spreadsheet would run as
        a formula is written after a quote.
        """
        identity = 'CP "a", b'
        self.central.store.register_charge_point(identity)
        self.central.store.start_transaction(
            identity, core.StartTransactionRequest(connector_id=1, id_tag="=1+2", meter_start=0, timestamp=NOW)
        )
        answer = yield self.get("/api/v1/transactions.csv")
        self.assertIn(b'"CP ""a"", b"', answer.body)
        (row,) = parse_csv(answer.body)[1:]
        self.assertEqual(row[1:4], [identity, "1", "'=1+2"])

    @inlineCallbacks
    def test_meter_values_as_csv(self):
        """
        One transaction's sampled values, one row each, oldest first; an
        unknown transaction is a 404.
        """
        transaction_id = self.central.store.start_transaction(
            "CP1", core.StartTransactionRequest(connector_id=1, id_tag="T", meter_start=0, timestamp=NOW)
        )
        self.central.store.record_meter_values(
            "CP1",
            core.MeterValuesRequest(
                connector_id=1, transaction_id=transaction_id,
                meter_value=[
                    MeterValue(timestamp=NOW + timedelta(minutes=1), sampled_value=[
                        SampledValue(value="1.5", unit="kWh", measurand="Energy.Active.Import.Register"),
                        SampledValue(value="7400", unit="W", measurand="Power.Active.Import", phase="L1"),
                    ]),
                ],
            ),
        )
        answer = yield self.get(f"/api/v1/transactions/{transaction_id}/metervalues.csv")
        self.assertEqual(answer.status, 200)
        self.assertEqual(
            answer.header("content-disposition"),
            f'attachment; filename="transaction-{transaction_id}-meter-values.csv"'.encode("ascii"),
        )
        rows = parse_csv(answer.body)
        self.assertEqual(rows[0], ["timestamp", "connectorId", "measurand", "phase", "location", "context",
                                   "format", "unit", "value"])
        self.assertEqual([row[2:4] + row[7:] for row in rows[1:]],
                         [["Energy.Active.Import.Register", "", "kWh", "1.5"], ["Power.Active.Import", "L1", "W", "7400"]])
        for path in ("/api/v1/transactions/999/metervalues.csv", "/api/v1/transactions/x/metervalues"):
            missing = yield self.get(path)
            self.assertError(missing, 404, "unknown_transaction")


class MeterSeriesTests(SynchronousTestCase):
    """
    L{meter_series}: a transaction's energy and power over time.
    """

    transaction = {
        "startTimestamp": "2026-11-25T08:00:00.000Z", "meterStart": 1000,
        "stopTimestamp": "2026-11-25T09:00:00.000Z", "meterStop": 9000,
    }

    def value(self, timestamp, value, measurand=None, unit=None, phase=None, format=None):
        return {"timestamp": timestamp, "value": value, "measurand": measurand, "unit": unit, "phase": phase,
                "format": format, "connectorId": 1, "context": None, "location": None}

    def test_energy_in_wh_with_start_and_stop(self):
        """
        The energy register (no measurand means it) in Wh, kWh readings
        converted, by time as instants, the meter start and stop included;
        per-phase, signed, unreadable and non-finite readings left out.
        """
        series = meter_series(self.transaction, [
            self.value("2026-11-25T08:30:00+01:00", "2000"),
            self.value("2026-11-25T08:20:00.5Z", "3.5", unit="kWh", measurand="Energy.Active.Import.Register"),
            self.value("2026-11-25T08:25:00Z", "1", phase="L1"),
            self.value("2026-11-25T08:26:00Z", "abc"),
            self.value("2026-11-25T08:27:00Z", "inf"),
            self.value("2026-11-25T08:28:00Z", "5000", format="SignedData"),
            self.value("2026-11-25T08:29:00Z", "12", measurand="Current.Import"),
        ])
        self.assertEqual(series["energy"], [
            {"timestamp": "2026-11-25T08:30:00+01:00", "wh": 2000},
            {"timestamp": "2026-11-25T08:00:00.000Z", "wh": 1000},
            {"timestamp": "2026-11-25T08:20:00.5Z", "wh": 3500},
            {"timestamp": "2026-11-25T09:00:00.000Z", "wh": 9000},
        ])
        self.assertEqual(series["skipped"], 3)

    def test_power_phase_less_or_summed(self):
        """
        The active import power in W: the phase-less value where there is
        one, else the sum of the phases' (kW converted).
        """
        series = meter_series(self.transaction, [
            self.value("2026-11-25T08:10:00Z", "7.2", measurand="Power.Active.Import", unit="kW"),
            self.value("2026-11-25T08:10:00Z", "2400", measurand="Power.Active.Import", unit="W", phase="L1"),
            self.value("2026-11-25T08:20:00Z", "2300", measurand="Power.Active.Import", unit="W", phase="L1-N"),
            self.value("2026-11-25T08:20:00Z", "2200", measurand="Power.Active.Import", unit="W", phase="L2-N"),
        ])
        self.assertEqual(series["power"], [
            {"timestamp": "2026-11-25T08:10:00Z", "w": 7200},
            {"timestamp": "2026-11-25T08:20:00Z", "w": 4500},
        ])


class CsvCellTests(SynchronousTestCase):
    """
    L{csv_cell}.
    """

    def test_cells(self):
        """
        None is empty; numbers, plain texts and negative numbers as they
        are; a formula after a quote.
        """
        self.assertEqual([csv_cell(v) for v in (None, 5, "TAG", "-5", "-1.5e3", "=SUM(A1)", "+x", "@cmd", "-x")],
                         ["", 5, "TAG", "-5", "-1.5e3", "'=SUM(A1)", "'+x", "'@cmd", "'-x"])


class PostgreSQLTransactionListTests(PostgreSQLCentralSystemMixin, TransactionListTests):
    """
    The same, with the central system on the PostgreSQL store.
    """


class PostgreSQLTransactionCsvTests(PostgreSQLCentralSystemMixin, TransactionCsvTests):
    """
    The same, with the central system on the PostgreSQL store.
    """
