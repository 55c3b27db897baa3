"""
Tests for the central system store's named reads (L{openocpp.centralsystem.reads})
and the web API's shaping of them (L{openocpp.web.queries}): Deferreds of
plain records, no SQL across the store's interface.
"""

import inspect

from twisted.internet.defer import Deferred, succeed
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from openocpp.centralsystem.interfaces import ICentralSystemStore
from openocpp.centralsystem.reads import RecordPage
from openocpp.centralsystem.store import CentralSystemStore
from openocpp.messages import core
from openocpp.messages.datatypes import MeterValue, SampledValue
from openocpp.web.queries import ReadOnlyQueries
from tests.centralsystem.fake_chargepoint import NOW
from tests.centralsystem.stores import PostgreSQLStoreMixin, SQLiteStoreMixin

BOOT = core.BootNotificationRequest(charge_point_vendor="V", charge_point_model="M")


class StoreReadTestsMixin:
    """
    Each read answers a Deferred of the records it is named for.
    """

    def setUp(self):
        self.clock = Clock()
        self.clock.advance(NOW.timestamp())
        self.store = self.make_store(self.clock)

    def read(self, deferred):
        self.assertIsInstance(deferred, Deferred)
        return self.successResultOf(deferred)

    def start(self, identity, id_tag="T", meter_start=100):
        return self.store.start_transaction(
            identity,
            core.StartTransactionRequest(connector_id=1, id_tag=id_tag, meter_start=meter_start, timestamp=NOW),
        )

    def sample(self, identity, transaction_id, value, **fields):
        self.store.record_meter_values(
            identity,
            core.MeterValuesRequest(
                connector_id=1,
                transaction_id=transaction_id,
                meter_value=[MeterValue(timestamp=NOW, sampled_value=[SampledValue(value=value, **fields)])],
            ),
        )

    def test_charge_point_records(self):
        """
        C{charge_point_records} gives the records asked for that the store
        holds, each with its connectors' records and the time it was last
        heard from, even before that is written.
        """
        self.store.record_boot("CP1", BOOT, "Accepted")
        self.store.register_charge_point("CP2")
        self.store.record_status(
            "CP1", core.StatusNotificationRequest(connector_id=2, status="Charging", error_code="NoError")
        )
        self.store.record_status(
            "CP1", core.StatusNotificationRequest(connector_id=1, status="Available", error_code="NoError")
        )
        self.clock.advance(5)
        self.store.touch("CP1")
        self.assertEqual(self.read(self.store.charge_point_identities()), ["CP1", "CP2"])
        records = self.read(self.store.charge_point_records(["CP1", "CP3"]))
        self.assertEqual(list(records), ["CP1"])
        record = records["CP1"]
        self.assertEqual((record["vendor"], record["registration_status"]), ("V", "Accepted"))
        self.assertEqual([c["connector_id"] for c in record["connectors"]], [1, 2])
        self.assertEqual(record["last_seen"], self.store.last_seen("CP1"))
        self.assertEqual(self.read(self.store.charge_point_records([])), {})

    def test_id_tags_page(self):
        """
        C{id_tags_page} gives one page of id tags by tag, and how many the
        whole list holds.
        """
        for tag, status in [("C", "Accepted"), ("A", "Blocked"), ("B", "Accepted")]:
            self.store.set_id_tag(tag, status=status)
        page = self.read(self.store.id_tags_page(2, 0))
        self.assertEqual(([r["id_tag"] for r in page.records], page.total), (["A", "B"], 3))
        page = self.read(self.store.id_tags_page(2, 2))
        self.assertEqual(([r["id_tag"] for r in page.records], page.total), (["C"], 3))
        page = self.read(self.store.id_tags_page(10, 0, status="Accepted"))
        self.assertEqual(page, RecordPage([dict(id_tag=t, status="Accepted", expiry_date=None,
                                                parent_id_tag=None) for t in "BC"], 2))

    def test_transactions_page(self):
        """
        C{transactions_page} gives transactions newest first, filtered by
        charge point, id tag (in any case) and activity; active ones carry
        their latest energy register readings, newest first.
        """
        first = self.start("CP1", id_tag="Tag1")
        second = self.start("CP2", id_tag="Tag2")
        self.sample("CP1", first, "150")
        self.sample("CP1", first, "3", measurand="Current.Import")
        self.sample("CP1", first, "160")
        self.store.stop_transaction(
            "CP2", core.StopTransactionRequest(meter_stop=200, timestamp=NOW, transaction_id=second)
        )
        page = self.read(self.store.transactions_page(10, 0))
        self.assertEqual([r["id"] for r in page.records], [second, first])
        active = page.records[1]
        self.assertEqual([r["value"] for r in active["energy_readings"]], ["160", "150"])
        self.assertNotIn("energy_readings", page.records[0])
        self.assertEqual([r["id"] for r in self.read(self.store.transactions_page(10, 0, active=True)).records], [first])
        self.assertEqual([r["id"] for r in self.read(self.store.transactions_page(10, 0, identity="CP2")).records], [second])
        self.assertEqual([r["id"] for r in self.read(self.store.transactions_page(10, 0, id_tag="TAG1")).records], [first])
        self.assertEqual(self.read(self.store.transactions_page(1, 1)).total, 2)

    def test_transaction_and_its_meter_values(self):
        """
        C{transaction_record} gives one transaction, or C{None};
        C{meter_values_of_transaction} its sampled values.
        """
        transaction_id = self.start("CP1")
        self.sample("CP1", transaction_id, "150")
        self.sample("CP1", None, "7")
        self.assertEqual(self.read(self.store.transaction_record(transaction_id))["meter_start"], 100)
        self.assertIsNone(self.read(self.store.transaction_record(transaction_id + 1)))
        rows = self.read(self.store.meter_values_of_transaction(transaction_id))
        self.assertEqual([r["value"] for r in rows], ["150"])

    def test_events_page(self):
        """
        C{events_page} lists security events, status changes and status
        reports together, newest first, or one kind of them; a kind it does
        not know fails the Deferred with a C{ValueError}.
        """
        self.store.record_status(
            "CP1", core.StatusNotificationRequest(connector_id=1, status="Available", error_code="NoError")
        )
        self.clock.advance(1)
        self.store.record_status_report("CP2", "FirmwareStatusNotification", "Installed")
        self.clock.advance(1)
        self.store.record_central_system_event("CP1", "10.0.0.1", "InvalidCentralSystemCredentials", None)
        page = self.read(self.store.events_page(10, 0))
        self.assertEqual([r["kind"] for r in page.records], ["security", "report", "status"])
        self.assertEqual(page.records[0]["peer"], "10.0.0.1")
        self.assertIsNone(page.records[0]["connector_id"])
        page = self.read(self.store.events_page(10, 0, identity="CP1"))
        self.assertEqual([r["kind"] for r in page.records], ["security", "status"])
        page = self.read(self.store.events_page(10, 0, kind="report"))
        self.assertEqual([(r["action"], r["status"]) for r in page.records], [("FirmwareStatusNotification", "Installed")])
        self.failureResultOf(self.store.events_page(10, 0, kind="nonsense"), ValueError)


class StoreReadTests(SQLiteStoreMixin, StoreReadTestsMixin, SynchronousTestCase):
    """
    The SQLite store's.
    """


class PostgreSQLStoreReadTests(PostgreSQLStoreMixin, StoreReadTestsMixin, SynchronousTestCase):
    """
    The PostgreSQL store's.
    """


class NoSqlBackDoorTests(SynchronousTestCase):
    """
    No SQL crosses the store's interface.
    """

    def test_store_takes_no_sql(self):
        """
        The store offers no method running a statement it is given, and no
        method of its interface takes one.
        """
        self.assertFalse(hasattr(CentralSystemStore, "read"))
        for name in ICentralSystemStore.names():
            self.assertNotIn("sql", inspect.signature(getattr(CentralSystemStore, name)).parameters, name)

    def test_web_layer_writes_no_sql(self):
        """
        L{openocpp.web.queries} shapes records only: none of its text is a
        query.
        """
        import openocpp.web.queries as queries

        source = inspect.getsource(queries)
        for word in ("SELECT ", " FROM ", "WHERE "):
            self.assertNotIn(word, source)


class AsynchronousStore:
    """
    The reads of an L{ICentralSystemStore} answered later, as a store over
    an asynchronous driver would: each call's Deferred waits in C{pending}.
    """

    def __init__(self):
        self.pending = []

    def _later(self):
        waiting = Deferred()
        self.pending.append(waiting)
        return waiting

    def charge_point_identities(self):
        return self._later()

    def charge_point_records(self, identities):
        return self._later()

    def id_tags_page(self, limit, offset, status=None):
        return self._later()

    def transactions_page(self, limit, offset, identity=None, active=None, id_tag=None, chosen=None):
        return self._later()

    def transaction_record(self, transaction_id):
        return self._later()

    def meter_values_of_transaction(self, transaction_id):
        return self._later()

    def events_page(self, limit, offset, kind=None, identity=None):
        return self._later()


class ShapingTests(SynchronousTestCase):
    """
    The API's reads wait for a store that answers later, and shape its
    records as JSON.
    """

    def setUp(self):
        self.store = AsynchronousStore()
        self.queries = ReadOnlyQueries(self.store)

    def test_transaction_waits_for_both_reads(self):
        """
        A transaction's JSON waits for its record, then for its sampled
        values, and carries the energy its latest readable register
        reading (in kWh, rounded to whole Wh) tells.
        """
        answer = self.queries.transaction(7)
        self.assertNoResult(answer)
        self.store.pending.pop(0).callback(
            dict(id=7, identity="CP1", connector_id=1, id_tag="T", meter_start=1000,
                 start_timestamp="2026-11-25T08:00:00Z", reservation_id=None, meter_stop=None,
                 stop_timestamp=None, stop_reason=None, stop_id_tag=None,
                 energy_readings=[dict(value="abc", unit="kWh"), dict(value="1.5004", unit="kWh")])
        )
        self.assertNoResult(answer)
        self.store.pending.pop(0).callback(
            [dict(connector_id=1, timestamp="2026-11-25T08:00:00Z", value="1.5004", context=None,
                  format=None, measurand=None, phase=None, location=None, unit="kWh")]
        )
        found = self.successResultOf(answer)
        self.assertEqual((found["meterWh"], found["energyWh"], found["active"]), (1500, 500, True))
        self.assertEqual([v["value"] for v in found["meterValues"]], ["1.5004"])

    def test_unknown_transaction(self):
        """
        A transaction the store does not hold is C{None}, with no second
        read.
        """
        answer = self.queries.transaction(7)
        self.store.pending.pop(0).callback(None)
        self.assertIsNone(self.successResultOf(answer))
        self.assertEqual(self.store.pending, [])

    def test_page(self):
        """
        A page of the store's records becomes the API's page: items in
        JSON, the total, limit and offset asked for.
        """
        answer = self.queries.id_tags(1, 2)
        self.assertNoResult(answer)
        self.store.pending.pop(0).callback(
            RecordPage([dict(id_tag="A", status="Blocked", expiry_date=None, parent_id_tag=None)], 3)
        )
        self.assertEqual(
            self.successResultOf(answer).to_json(),
            {"items": [{"idTag": "A", "status": "Blocked", "expiryDate": None, "parentIdTag": None}],
             "total": 3, "limit": 1, "offset": 2},
        )

    def test_failed_read(self):
        """
        A read that fails fails the API's Deferred with the same error.
        """
        answer = self.queries.events(10, 0)
        self.store.pending.pop(0).errback(RuntimeError("the database went away"))
        self.failureResultOf(answer, RuntimeError)


class NoProxies:
    """
    A central system with no charge point connected.
    """

    config = None

    def charge_points(self):
        return []

    def charge_point(self, identity):
        raise KeyError(identity)

    def locate(self, identity):
        return succeed(None)


class Operator:
    """
    An authenticator letting every request in.
    """

    def authenticate(self, request):
        return "operator"

    def challenge(self):
        return None


class ApiOverAsynchronousStoreTests(SynchronousTestCase):
    """
    The web API answers once a store that answers later has answered.
    """

    def setUp(self):
        from openocpp.web.api import ApiResource

        self.store = AsynchronousStore()
        self.api = ApiResource(NoProxies(), ReadOnlyQueries(self.store), None, None, Operator(), b"{}")

    def get(self, path):
        from twisted.web.test.requesthelper import DummyRequest

        request = DummyRequest(path.split("/"))
        request.path = b"/api/" + path.encode("ascii")
        self.api.render(request)
        return request

    def test_list_waits_for_the_store(self):
        """
        C{GET /api/v1/transactions} is answered only when the store's page
        arrives, with its records in JSON.
        """
        import json

        request = self.get("v1/transactions")
        self.assertEqual(request.finished, 0)
        self.store.pending.pop(0).callback(RecordPage([], 0))
        self.assertEqual(request.finished, 1)
        self.assertEqual(request.responseCode, 200)
        self.assertEqual(
            json.loads(b"".join(request.written)), {"items": [], "total": 0, "limit": 50, "offset": 0}
        )

    def test_unknown_charge_point_after_the_store(self):
        """
        A charge point neither connected nor known is a 404 once the store
        says it holds no record of it.
        """
        request = self.get("v1/chargepoints/CP9")
        self.assertEqual(request.finished, 0)
        self.store.pending.pop(0).callback({})
        self.assertEqual(request.responseCode, 404)
        self.assertIn(b"unknown_charge_point", b"".join(request.written))
