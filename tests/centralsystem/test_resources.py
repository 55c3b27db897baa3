"""
Tests for the central system's resource bounds (issue 10, section 4): a
full disk, back-pressure, connection quotas, the boot timeout, MeterValues
volume, the API's slow requests and event streams, the write-ahead log.
"""

import json
import os
import sqlite3

from twisted.internet import reactor
from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.internet.endpoints import TCP4ClientEndpoint
from twisted.internet.protocol import Factory, Protocol
from twisted.internet.task import Clock, LoopingCall, deferLater
from twisted.logger import globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase, TestCase

from openocpp.centralsystem.store import CentralSystemStore, StorageFailed
from openocpp.messages import core
from openocpp.messages.datatypes import MeterValue, SampledValue
from openocpp.messages.errors import ErrorCode
from openocpp.rpc.errors import CallError
from tests.centralsystem.fake_chargepoint import BOOT, NOW, CentralSystemMixin
from tests.centralsystem.store_file import FullDisk, replace_connection, select
from tests.transport.loopback import ConnectionTestsMixin, Handlers, handshake_request


class LogLines:
    """
    Collects the log events of a test whose format contains a text.
    """

    def __init__(self, testcase):
        self.events = []
        globalLogPublisher.addObserver(self.events.append)
        testcase.addCleanup(globalLogPublisher.removeObserver, self.events.append)

    def matching(self, text):
        return [event for event in self.events if text in (event.get("log_format") or "")]


def meter_values(count, transaction_id=None):
    """
    A MeterValues.req of C{count} sampled values.
    """
    return core.MeterValuesRequest(
        connector_id=1,
        transaction_id=transaction_id,
        meter_value=[
            MeterValue(
                timestamp=NOW,
                sampled_value=[SampledValue(value=str(number)) for number in range(count)],
            )
        ],
    )


def fill(store):
    """
    Make the store's database full: it may not grow by a page more (what
    a full disk does to SQLite, C{SQLITE_FULL}).
    """
    (pages,) = store._db.execute("PRAGMA page_count").fetchone()
    store._db.execute(f"PRAGMA max_page_count = {pages}")


def make_room(store):
    store._db.execute("PRAGMA max_page_count = 1073741823")


class DiskFullStoreTests(SynchronousTestCase):
    """
    When SQLite cannot store a write, whoever waits for the turn's commit
    gets L{StorageFailed}, the caches forget what was rolled back, one line
    is logged, and storing works again once there is room.
    """

    def setUp(self):
        self.clock = Clock()
        self.path = os.path.abspath(self.mktemp())
        self.store = CentralSystemStore(self.path, self.clock)
        self.addCleanup(self.store.close)
        self.log = LogLines(self)

    def rolling_back(self, statement):
        """
        Make the store's connection fail C{statement} as SQLite does on a
        full disk when it rolls the whole transaction back.
        """
        real = self.store._db

        class RolledBack:
            def execute(self, sql, *arguments):
                if sql.startswith(statement):
                    real.execute("ROLLBACK")
                    raise sqlite3.OperationalError("database or disk is full")
                return real.execute(sql, *arguments)

            def __getattr__(self, name):
                return getattr(real, name)

        replace_connection(self.store, RolledBack())
        return lambda: replace_connection(self.store, real)

    def test_full_disk_fails_every_waiting_answer(self):
        """
        A write that finds the disk full fails with L{StorageFailed} (a
        CALLERROR InternalError saying why); when SQLite rolled the whole
        turn back, the answers waiting for the turn's earlier writes fail
        too, the id-tag and registration caches do not claim them, and the
        turn's later writes are committed in a transaction of their own.
        """
        self.store.set_id_tag("A")
        self.assertIsNotNone(self.store.id_tag("A"))
        self.store.record_boot("CP1", BOOT, "Accepted")
        earlier = self.store.when_committed("earlier")
        restore = self.rolling_back("INSERT INTO meter_values")
        failure = self.assertRaises(
            StorageFailed, self.store.record_meter_values, "CP1", meter_values(2)
        )
        restore()
        self.assertIsInstance(failure, CallError)
        self.assertEqual(failure.code, ErrorCode.INTERNAL_ERROR)
        self.assertIn("database or disk is full", failure.description)
        self.failureResultOf(earlier, StorageFailed)
        self.assertIsNone(self.store.id_tag("A"))
        self.assertIsNone(self.store.registration_status("CP1"))
        self.store.set_id_tag("B")
        later = self.store.when_committed("later")
        self.assertNoResult(later)
        self.clock.advance(0)
        self.assertEqual(self.successResultOf(later), "later")
        self.assertEqual(self.store.meter_values(), [])
        self.assertEqual([row["id_tag"] for row in select(self.store, "SELECT id_tag FROM id_tags")], ["B"])

    def test_full_database_statement_only(self):
        """
        When SQLite undoes only the failing statement (the database is full:
        C{max_page_count}), that write fails and the turn's others are
        still committed and answered.
        """
        self.store.set_id_tag("A")
        earlier = self.store.when_committed("earlier")
        fill(self.store)
        self.assertRaises(StorageFailed, self.store.record_meter_values, "CP1", meter_values(2000))
        self.clock.advance(0)
        self.assertEqual(self.successResultOf(earlier), "earlier")
        self.assertEqual(self.store.meter_values(), [])
        self.assertIsNotNone(self.store.id_tag("A"))

    def test_one_line_then_recovers(self):
        """
        Failing writes log one error line, not one each; once there is room
        again the next writes are committed and answered, and one line says
        so.
        """
        fill(self.store)
        for _ in range(3):
            self.assertRaises(
                StorageFailed, self.store.record_meter_values, "CP1", meter_values(2000)
            )
            self.clock.advance(0)
        self.assertEqual(len(self.log.matching("cannot store its data")), 1)
        make_room(self.store)
        self.store.record_meter_values("CP1", meter_values(2000))
        answered = self.store.when_committed("stored")
        self.clock.advance(0)
        self.assertEqual(self.successResultOf(answered), "stored")
        self.assertEqual(len(self.store.meter_values()), 2000)
        self.assertEqual(len(self.log.matching("stores its data again")), 1)

    def test_failed_commit_already_rolled_back(self):
        """
        A COMMIT that fails after SQLite rolled the transaction back (as
        C{SQLITE_FULL} does) fails the waiting answers rather than raising
        on the ROLLBACK, and the next turn commits.
        """
        self.store.set_id_tag("A")
        answered = self.store.when_committed("answer")
        real = self.store._db

        class RolledBack:
            def execute(self, sql, *arguments):
                if sql == "COMMIT":
                    real.execute("ROLLBACK")
                    raise sqlite3.OperationalError("database or disk is full")
                return real.execute(sql, *arguments)

            def __getattr__(self, name):
                return getattr(real, name)

        replace_connection(self.store, RolledBack())
        self.clock.advance(0)
        replace_connection(self.store, real)
        self.assertIn("disk is full", self.failureResultOf(answered, StorageFailed).value.description)
        self.assertIsNone(self.store.id_tag("A"))
        self.store.set_id_tag("B")
        again = self.store.when_committed("again")
        self.clock.advance(0)
        self.assertEqual(self.successResultOf(again), "again")
        self.assertIsNotNone(self.store.id_tag("B"))

    def test_full_inside_block(self):
        """
        A block of writes (a StopTransaction with its transaction data)
        that finds the database full fails with L{StorageFailed}, without
        an error about the savepoint SQLite already rolled back.
        """
        started = self.store.start_transaction(
            "CP1", core.StartTransactionRequest(connector_id=1, id_tag="T", meter_start=0, timestamp=NOW)
        )
        self.clock.advance(0)
        fill(self.store)
        stop = core.StopTransactionRequest(
            transaction_id=started,
            meter_stop=10,
            timestamp=NOW,
            transaction_data=meter_values(2000).meter_value,
        )
        self.assertRaises(StorageFailed, self.store.stop_transaction, "CP1", stop)
        self.clock.advance(0)
        make_room(self.store)
        self.assertTrue(self.store.stop_transaction("CP1", stop))
        self.clock.advance(0)
        self.assertEqual(self.store.transaction(started)["meter_stop"], 10)


class DiskFullCentralSystemTests(CentralSystemMixin, TestCase):
    """
    A charge point talking to a central system whose disk is full gets a
    CALLERROR for each request, and normal answers once there is room.
    """

    def setUp(self):
        return self.start_central_system()

    @inlineCallbacks
    def test_callerror_then_recovery(self):
        """
        StartTransaction and StatusNotification are answered InternalError
        with a description naming the failure while the disk is full; once
        there is room, they are answered and stored.
        """
        cp = yield self.connect()
        yield cp.call(BOOT)
        full = FullDisk(self.central.store)
        start = core.StartTransactionRequest(connector_id=1, id_tag="T", meter_start=0, timestamp=NOW)
        for request in (start, meter_values(500)):
            try:
                yield cp.call(request)
            except CallError as error:
                self.assertEqual(error.code, ErrorCode.INTERNAL_ERROR)
                self.assertIn("could not store", error.description)
            else:
                self.fail(f"{request!r} answered while the disk is full")
        full.make_room()
        started = yield cp.call(start)
        self.assertEqual(self.rows("SELECT id FROM transactions"), [{"id": started.transaction_id}])
        yield cp.call(meter_values(3))
        self.assertEqual(len(self.rows("SELECT id FROM meter_values")), 3)


def client_frame(text: str) -> bytes:
    """
    A client's WebSocket text frame (masked, with a zero key).
    """
    payload = text.encode("utf-8")
    size = len(payload)
    if size < 126:
        header = bytes([0x81, 0x80 | size])
    elif size < 65536:
        header = bytes([0x81, 0x80 | 126]) + size.to_bytes(2, "big")
    else:
        header = bytes([0x81, 0x80 | 127]) + size.to_bytes(8, "big")
    return header + b"\0\0\0\0" + payload


class NeverReadingClient(Protocol):
    """
    Opens a WebSocket, stops reading at once, then sends C{frames} text
    messages of C{size} characters, a few each reactor turn, until the
    server drops it or all are sent (bounded).
    """

    def __init__(self, path: str, frames: int, size: int = 60_000, text: str | None = None):
        self.request = handshake_request(path)
        self.left = frames
        self.frame = client_frame(text if text is not None else "x" * size)
        self.sent = 0
        self.opened = False
        self.lost: Deferred = Deferred()
        self._pump = None

    def connectionMade(self) -> None:
        self.transport.write(self.request)
        self.buffer = b""

    def dataReceived(self, data: bytes) -> None:
        if self.opened:
            return
        self.buffer += data
        if b"\r\n\r\n" in self.buffer:
            self.opened = True
            self.transport.pauseProducing()
            self._pump = LoopingCall(self._send)
            self._pump.start(0.001)

    def _send(self) -> None:
        for _ in range(20):
            if self.left <= 0:
                self._pump.stop()
                self._pump = None
                return
            self.left -= 1
            self.sent += 1
            self.transport.write(self.frame)

    def connectionLost(self, reason) -> None:
        if self._pump is not None and self._pump.running:
            self._pump.stop()
        self.reason = reason
        self.lost.callback(None)


class BackPressureTests(ConnectionTestsMixin, TestCase):
    """
    A peer that sends without reading what it is answered stops being read
    once its unsent output passes the transport's bound, and is dropped if
    it stays there past the stall timeout.
    """

    timeout = 60

    async def test_never_reading_client_dropped(self) -> None:
        """
        A client flooding an echoing server without reading is no longer
        read once the server's output backs up (the server has handled far
        fewer messages than were sent), then dropped after the stall
        timeout, logged once.
        """
        log = LogLines(self)
        servers = Handlers(echo=True)
        _, port = await self.start_server(servers, output_stall_timeout=0.5)
        client = NeverReadingClient("/ocpp/FLOOD", frames=2000)
        endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", port)
        await endpoint.connect(Factory.forProtocol(lambda: client))
        handler = await servers.next()
        closed = await handler.lost
        await client.lost
        self.assertEqual(closed.code, 1006)
        self.assertLess(len(handler.texts.pending), client.sent)
        self.assertLess(len(handler.texts.pending), 2000)
        self.assertEqual(len(log.matching("has not read what it was sent")), 1)

    async def test_both_roles_watch_output(self) -> None:
        """
        Once open, the server's and the charge point client's connections
        both have their valve registered on the transport.
        """
        servers = Handlers()
        server_factory, port = await self.start_server(servers)
        client_factory, connecting = self.client(port, "CP1", Handlers())
        await connecting
        await servers.next()
        for factory in (server_factory, client_factory):
            (protocol,) = factory._protocols
            self.assertIs(protocol.transport.producer, protocol._valve)

    async def test_slow_reader_resumed(self) -> None:
        """
        A peer that reads again before the stall timeout is read again, and
        kept: every message it sent is handled.
        """
        servers = Handlers(echo=True)
        factory, port = await self.start_server(servers, output_stall_timeout=30)
        client = NeverReadingClient("/ocpp/SLOW", frames=600)
        endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", port)
        await endpoint.connect(Factory.forProtocol(lambda: client))
        handler = await servers.next()
        (protocol,) = factory._protocols
        while not (protocol._valve is not None and protocol._valve.paused):
            await deferLater(reactor, 0.01, lambda: None)
        while client.left:
            await deferLater(reactor, 0.01, lambda: None)
        client.transport.resumeProducing()
        for _ in range(600):
            await handler.texts.get()
        self.assertTrue(handler.connection.open)
        self.assertFalse(protocol._valve.paused)
        client.transport.abortConnection()
        await handler.lost


class ConnectionQuotaTests(ConnectionTestsMixin, TestCase):
    """
    Connections over the listener's quota, or over their address's, are
    refused with HTTP 503, logged; a place freed is taken again.
    """

    async def test_per_address(self) -> None:
        """
        With at most one connection per address, a second one from
        127.0.0.1 gets 503 (one log line) while the first is open; once it
        is closed, a new one opens.
        """
        log = LogLines(self)
        servers = Handlers()
        _, port = await self.start_server(servers, max_connections_per_address=1)
        _, first = self.client(port, "CP1", Handlers())
        first = await first
        _, second = self.client(port, "CP2", Handlers())
        failure = await self.refused(second)
        self.assertIn("503", str(failure.value))
        self.assertEqual(len(log.matching("Refused {peer}: HTTP 503")), 1)
        handler = await servers.next()
        first.close()
        await handler.lost
        _, third = self.client(port, "CP3", Handlers())
        self.assertTrue((await third).open)

    async def test_per_listener(self) -> None:
        """
        With at most two connections, a third gets 503, whatever its
        address.
        """
        _, port = await self.start_server(Handlers(), max_connections=2)
        for identity in ("CP1", "CP2"):
            _, connecting = self.client(port, identity, Handlers())
            await connecting
        answer = await self.raw(port, handshake_request("/ocpp/CP3"))
        self.assertTrue(answer.startswith(b"HTTP/1.1 503 "), answer[:60])


class BootTimeoutTests(CentralSystemMixin, TestCase):
    """
    A charge point that never booted here must send BootNotification soon
    after connecting; Pending and Rejected ones keep their connection, and
    one that booted before may reconnect and stay quiet.
    """

    def setUp(self):
        return self.start_central_system(boot_timeout=0.2)

    @inlineCallbacks
    def test_silent_new_charge_point_closed(self):
        """
        A new charge point that sends nothing (or anything but a
        BootNotification) is closed with 1008, logged once.
        """
        log = LogLines(self)
        cp = yield self.connect("SILENT")
        yield cp.call(core.HeartbeatRequest())
        closed = yield cp.when_lost()
        self.assertEqual(closed.code, 1008)
        self.assertEqual(len(log.matching("no BootNotification within")), 1)

    @inlineCallbacks
    def test_pending_kept(self):
        """
        A charge point answered Pending keeps its connection past the
        boot timeout.
        """
        self.config.unknown_charge_points = "pending"
        cp = yield self.connect("WAITING")
        booted = yield cp.call(BOOT)
        self.assertEqual(booted.status, "Pending")
        yield deferLater(reactor, 0.5, lambda: None)
        self.assertTrue(cp.connection.open)

    @inlineCallbacks
    def test_known_charge_point_may_stay_quiet(self):
        """
        A charge point that booted here before reconnects without booting
        and stays connected while quiet.
        """
        cp = yield self.connect("KNOWN")
        yield cp.call(BOOT)
        yield cp.close()
        again = yield self.connect("KNOWN")
        yield deferLater(reactor, 0.5, lambda: None)
        self.assertTrue(again.connection.open)


class MeterValuesQuotaTests(CentralSystemMixin, TestCase):
    """
    MeterValues over the per-message or per-minute volume are answered
    with a CALLERROR and not stored.
    """

    def setUp(self):
        return self.start_central_system(
            max_meter_values_per_message=10, max_meter_values_per_minute=25
        )

    @inlineCallbacks
    def call_error(self, cp, request):
        try:
            yield cp.call(request)
        except CallError as error:
            return error
        self.fail("answered, not refused")

    @inlineCallbacks
    def test_per_message(self):
        """
        A MeterValues.req with more sampled values than one may carry gets
        OccurenceConstraintViolation naming the limit; nothing is stored.
        """
        cp = yield self.connect()
        yield cp.call(BOOT)
        error = yield self.call_error(cp, meter_values(11))
        self.assertEqual(error.code, ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION)
        self.assertIn("at most 10", error.description)
        yield cp.call(meter_values(10))
        self.assertEqual(len(self.rows("SELECT id FROM meter_values")), 10)

    @inlineCallbacks
    def test_per_minute(self):
        """
        Past the volume a minute allows, MeterValues get GenericError and
        are not stored; one line is logged for the minute.
        """
        log = LogLines(self)
        cp = yield self.connect()
        yield cp.call(BOOT)
        yield cp.call(meter_values(10))
        yield cp.call(meter_values(10))
        for _ in range(2):
            error = yield self.call_error(cp, meter_values(10))
            self.assertEqual(error.code, ErrorCode.GENERIC_ERROR)
            self.assertIn("25 sampled values a minute", error.description)
        yield cp.call(meter_values(5))
        self.assertEqual(len(self.rows("SELECT id FROM meter_values")), 25)
        self.assertEqual(len(log.matching("further refusals this minute")), 1)


class QuotaOptionsTests(SynchronousTestCase):
    """
    The quotas are options of C{twistd openocpp centralsystem}, with safe
    defaults; a negative one is a usage error naming it.
    """

    def parse(self, *arguments):
        from openocpp.centralsystem.tap import CentralSystemOptions

        options = CentralSystemOptions()
        options.parseOptions(list(arguments))
        return options.config

    def test_defaults(self):
        """
        Every quota has a default that lets a normal fleet through.
        """
        config = self.parse()
        self.assertEqual(
            (
                config.max_connections,
                config.max_connections_per_address,
                config.output_stall_timeout,
                config.boot_timeout,
                config.max_meter_values_per_message,
                config.max_meter_values_per_minute,
                config.wal_size_limit,
            ),
            (20000, 1000, 30.0, 60.0, 1000, 30000, 64 * 1024 * 1024),
        )

    def test_options(self):
        """
        Each quota option sets its setting.
        """
        config = self.parse(
            "--max-connections", "5",
            "--max-connections-per-address", "0",
            "--output-stall-timeout", "2.5",
            "--boot-timeout", "0",
            "--max-meter-values-per-message", "7",
            "--max-meter-values-per-minute", "70",
            "--wal-size-limit", "1048576",
        )
        self.assertEqual(config.max_connections, 5)
        self.assertEqual(config.max_connections_per_address, 0)
        self.assertEqual(config.output_stall_timeout, 2.5)
        self.assertEqual(config.boot_timeout, 0)
        self.assertEqual(config.max_meter_values_per_message, 7)
        self.assertEqual(config.max_meter_values_per_minute, 70)
        self.assertEqual(config.wal_size_limit, 1048576)

    def test_api_options(self):
        """
        The API's quotas have defaults and options of their own.
        """
        from openocpp.centralsystem.tap import CentralSystemOptions

        options = CentralSystemOptions()
        options.parseOptions(["--api", "tcp:8081:interface=127.0.0.1"])
        api = options.api_config
        self.assertEqual((api.request_timeout, api.max_streams, api.stream_backlog), (30.0, 100, 1048576))
        options = CentralSystemOptions()
        options.parseOptions(
            [
                "--api", "tcp:8081:interface=127.0.0.1",
                "--api-request-timeout", "5",
                "--api-max-streams", "2",
                "--api-stream-backlog", "4096",
            ]
        )
        api = options.api_config
        self.assertEqual((api.request_timeout, api.max_streams, api.stream_backlog), (5.0, 2, 4096))

    def test_negative_refused(self):
        """
        A negative quota is refused, naming the option.
        """
        from twisted.python.usage import UsageError

        error = self.assertRaises(UsageError, self.parse, "--boot-timeout", "-1")
        self.assertRegex(str(error), "boot[-_]timeout")


class WriteAheadLogLimitTests(SynchronousTestCase):
    """
    A write-ahead log past its size limit is checkpointed and truncated at
    the next checkpoint, with every committed write kept.
    """

    def test_truncated_past_limit(self):
        """
        A log over the limit at a checkpoint is copied into the database and
        truncated to nothing, the pending writes committed first; one line
        says so.
        """
        from tests.centralsystem.store_file import SynchronousThreads, count

        clock = Clock()
        path = os.path.abspath(self.mktemp())
        store = CentralSystemStore(path, clock, threads=SynchronousThreads(), wal_size_limit=65536)
        self.addCleanup(store.close)
        log = LogLines(self)
        for _ in range(5):
            store.record_meter_values("CP1", meter_values(1000))
        store.set_id_tag("PENDING")
        self.assertGreater(os.path.getsize(path + "-wal"), 65536)
        clock.advance(1)
        self.assertEqual(os.path.getsize(path + "-wal"), 0)
        self.assertEqual(count(path, "meter_values"), 5000)
        self.assertEqual(count(path, "id_tags"), 1)
        self.assertEqual(len(log.matching("Truncated the central system's write-ahead log")), 1)

    def test_no_limit(self):
        """
        With no limit (0), checkpoints stay passive: the log is not
        truncated.
        """
        from tests.centralsystem.store_file import SynchronousThreads

        clock = Clock()
        path = os.path.abspath(self.mktemp())
        store = CentralSystemStore(path, clock, threads=SynchronousThreads(), wal_size_limit=0)
        self.addCleanup(store.close)
        store.record_meter_values("CP1", meter_values(1000))
        clock.advance(0)
        clock.advance(1)
        self.assertGreater(os.path.getsize(path + "-wal"), 65536)


class TricklingClient(Protocol):
    """
    Sends an HTTP request's first line, then one header byte every
    C{interval} seconds (a slowloris), at most C{limit} bytes.
    """

    def __init__(self, interval: float = 0.05, limit: int = 400):
        self.interval = interval
        self.left = limit
        self.lost: Deferred = Deferred()
        self.received = b""
        self._pump = None

    def connectionMade(self) -> None:
        self.transport.write(b"GET /api/v1/chargepoints HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        self._pump = LoopingCall(self._trickle)
        self._pump.start(self.interval, now=False)

    def _trickle(self) -> None:
        if self.left <= 0:
            self._pump.stop()
            return
        self.left -= 1
        self.transport.write(b"X")

    def dataReceived(self, data: bytes) -> None:
        self.received += data

    def connectionLost(self, reason) -> None:
        if self._pump is not None and self._pump.running:
            self._pump.stop()
        self.lost.callback(None)


class ApiQuotaTests(CentralSystemMixin, TestCase):
    """
    The API closes connections that do not send a whole request in time,
    and keeps the number of live-event streams bounded.
    """

    timeout = 30

    @inlineCallbacks
    def setUp(self):
        from openocpp.web.config import ApiConfig
        from openocpp.web.service import WebService

        yield self.start_central_system()
        self.web = WebService(
            self.central,
            ApiConfig(endpoint="tcp:0:interface=127.0.0.1", request_timeout=0.5, max_streams=1),
            reactor=reactor,
        )
        self.web.startService()
        self.addCleanup(self.web.stopService)
        port = yield self.web.when_listening()
        self.port = port.getHost().port

    @inlineCallbacks
    def test_slowloris_closed(self):
        """
        A client that keeps sending a request a byte at a time, never
        finishing it, is closed once the request timeout passes (one log
        line), though it never stops sending.
        """
        log = LogLines(self)
        client = TricklingClient()
        endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", self.port)
        yield endpoint.connect(Factory.forProtocol(lambda: client))
        yield client.lost
        self.assertGreater(client.left, 0)
        self.assertEqual(client.received, b"")
        self.assertEqual(len(log.matching("no complete request within")), 1)

    @inlineCallbacks
    def test_request_in_time_answered(self):
        """
        A whole request is answered, and the keep-alive connection may send
        another one.
        """
        from twisted.web.client import Agent, HTTPConnectionPool, readBody

        pool = HTTPConnectionPool(reactor, persistent=True)
        self.addCleanup(pool.closeCachedConnections)
        agent = Agent(reactor, pool=pool)
        for _ in range(2):
            response = yield agent.request(
                b"GET", f"http://127.0.0.1:{self.port}/api/v1/chargepoints".encode()
            )
            yield readBody(response)
            self.assertEqual(response.code, 200)

    @inlineCallbacks
    def test_streams_bounded(self):
        """
        With one stream open, the most allowed, another is answered 503
        with a JSON error, logged; the open one stays open past the request
        timeout.
        """
        from twisted.web.client import Agent, readBody

        from tests.web.api_client import SseReader

        log = LogLines(self)
        agent = Agent(reactor)
        url = f"http://127.0.0.1:{self.port}/api/v1/stream".encode()
        first = yield agent.request(b"GET", url)
        self.assertEqual(first.code, 200)
        reader = SseReader()
        first.deliverBody(reader)
        self.addCleanup(lambda: reader.transport.stopProducing())
        yield reader.wait(lambda: reader.comments)
        second = yield agent.request(b"GET", url)
        body = json.loads((yield readBody(second)))
        self.assertEqual(second.code, 503)
        self.assertEqual(body["error"], "too_many_streams")
        self.assertEqual(len(log.matching("Refused a live-event stream")), 1)
        yield deferLater(reactor, 0.8, lambda: None)
        self.assertEqual(len(self.web.streams), 1)


def stream_request():
    """
    A fake request taking a push producer (twisted's DummyRequest only
    takes pull producers).
    """
    from twisted.web.test.requesthelper import DummyRequest

    class StreamRequest(DummyRequest):
        def registerProducer(self, producer, streaming):
            self.producer = producer

        def unregisterProducer(self):
            self.producer = None

    return StreamRequest([b"stream"])


class StreamBacklogTests(SynchronousTestCase):
    """
    A stream whose client stopped reading is dropped once the events queued
    for it pass the backlog in bytes, however few they are.
    """

    def test_dropped_past_backlog_bytes(self):
        """
        Two events of 6 kB queued for a paused stream pass a 10 kB backlog:
        the stream is ended and dropped, logged once.
        """
        from openocpp.web.events import LiveEvents
        from openocpp.web.sse import EventStreams

        log = LogLines(self)
        events = LiveEvents()
        streams = EventStreams(events, Clock(), backlog=10_000)
        request = stream_request()
        streams.open(request)
        (stream,) = streams._streams
        stream.pauseProducing()
        events.publish("big", {"text": "x" * 6000})
        self.assertEqual(len(streams), 1)
        events.publish("big", {"text": "x" * 6000})
        self.assertEqual(len(streams), 0)
        self.assertEqual(request.finished, 1)
        self.assertEqual(len(log.matching("stopped reading")), 1)

    def test_resumed_stream_gets_queued_events(self):
        """
        A paused stream that resumes gets the events queued meanwhile, and
        its backlog starts from nothing again.
        """
        from openocpp.web.events import LiveEvents
        from openocpp.web.sse import EventStreams

        events = LiveEvents()
        streams = EventStreams(events, Clock(), backlog=10_000)
        request = stream_request()
        streams.open(request)
        (stream,) = streams._streams
        stream.pauseProducing()
        events.publish("small", {"n": 1})
        events.publish("small", {"n": 2})
        stream.resumeProducing()
        text = b"".join(request.written)
        self.assertIn(b'"n":1', text)
        self.assertIn(b'"n":2', text)
        self.assertEqual(stream._queued_bytes, 0)


class CheckpointFailureTests(SynchronousTestCase):
    """
    A checkpoint failing every second (a full disk) is logged once, until
    one works again.
    """

    def test_logged_once(self):
        """
        Three failing checkpoints give one logged error; after one that
        works, the next failure is logged again.
        """
        from tests.centralsystem.store_file import SynchronousThreads

        clock = Clock()
        path = os.path.abspath(self.mktemp())
        threads = SynchronousThreads()
        store = CentralSystemStore(path, clock, threads=threads, wal_size_limit=0)
        self.addCleanup(store.close)
        # The checkpoints' thread keeps its connection: its work fails.
        from openocpp.centralsystem.walcheckpoints import LogCheckpoints

        real = LogCheckpoints._in_thread

        def failing(*arguments, **keywords):
            raise sqlite3.OperationalError("database or disk is full")

        self.patch(LogCheckpoints, "_in_thread", failing)
        for _ in range(3):
            clock.advance(1)
        self.assertEqual(len(self.flushLoggedErrors(sqlite3.OperationalError)), 1)
        self.patch(LogCheckpoints, "_in_thread", real)
        clock.advance(1)
        self.patch(LogCheckpoints, "_in_thread", failing)
        clock.advance(1)
        self.assertEqual(len(self.flushLoggedErrors(sqlite3.OperationalError)), 1)


class ReadingValveTests(SynchronousTestCase):
    """
    The valve both roles' connections register on their transport: paused,
    it stops reading and starts the stall timer; resumed, it reads again;
    stalled too long, it drops the connection.
    """

    def make(self, timeout=5.0):
        from twisted.internet.testing import StringTransport

        from openocpp.transport.connection import _ReadingValve

        class Protocol:
            identity = "CP1"
            peer = "tcp4:127.0.0.1:1"
            wasNotCleanReason = None
            dropped = None

            def __init__(self):
                from twisted.logger import Logger

                self._log = Logger()
                self.transport = StringTransport()

            def dropConnection(self, abort=False):
                self.dropped = abort

        clock = Clock()
        protocol = Protocol()
        return _ReadingValve(protocol, clock, timeout), protocol, clock

    def test_pause_resume(self):
        """
        Paused, the transport is not read; resumed before the timeout, it
        is read again and nothing is dropped or left scheduled.
        """
        valve, protocol, clock = self.make()
        valve.pauseProducing()
        self.assertEqual(protocol.transport.producerState, "paused")
        clock.advance(4)
        valve.resumeProducing()
        self.assertEqual(protocol.transport.producerState, "producing")
        clock.advance(10)
        self.assertIsNone(protocol.dropped)
        self.assertEqual(clock.getDelayedCalls(), [])

    def test_stalled_dropped(self):
        """
        Paused past the timeout, the connection is dropped (aborted: a
        closing handshake would wait behind what the peer does not read).
        """
        log = LogLines(self)
        valve, protocol, clock = self.make()
        valve.pauseProducing()
        clock.advance(5)
        self.assertIs(protocol.dropped, True)
        self.assertEqual(len(log.matching("has not read what it was sent")), 1)

    def test_no_timeout(self):
        """
        With timeout 0 the connection is only not read, never dropped.
        """
        valve, protocol, clock = self.make(timeout=0)
        valve.pauseProducing()
        self.assertEqual(clock.getDelayedCalls(), [])
        self.assertIsNone(protocol.dropped)

    def test_client_factory_option(self):
        """
        The charge point's client factory takes the stall timeout too, and
        refuses a negative one.
        """
        from openocpp.transport.client import OcppClientFactory

        factory = OcppClientFactory(
            "ws://127.0.0.1:9/ocpp", "CP1", lambda connection: None, output_stall_timeout=7
        )
        self.assertEqual(factory.output_stall_timeout, 7)
        self.assertRaises(
            ValueError,
            OcppClientFactory,
            "ws://127.0.0.1:9/ocpp",
            "CP1",
            lambda connection: None,
            output_stall_timeout=-1,
        )


class ResetFailureTests(SynchronousTestCase):
    """
    Resetting the data on a full disk says it failed, and keeps the data.
    """

    def test_reset_raises(self):
        """
        A reset whose commit fails raises L{StorageFailed}; every record
        is still there.
        """
        clock = Clock()
        path = os.path.abspath(self.mktemp())
        store = CentralSystemStore(path, clock)
        self.addCleanup(store.close)
        store.set_id_tag("A")
        clock.advance(0)
        full = FullDisk(store)
        self.assertRaises(StorageFailed, store.reset)
        full.make_room()
        self.assertIsNotNone(store.id_tag("A"))
