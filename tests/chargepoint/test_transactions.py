"""
Tests for the charge point's transactions and meter values: the persistent
FIFO queue, offline transactions, retries, crashes, StopTxn*Data, sampled
and clock-aligned meter values.
"""

from datetime import timedelta

from twisted.internet.defer import Deferred
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from openocpp.chargepoint.errors import TransactionError
from openocpp.hookspecs import hookimpl
from openocpp.messages import (
    ChangeConfigurationRequest,
    IdTagInfo,
    MeterValue,
    SampledValue,
    StartTransactionResponse,
    StopTransactionResponse,
    TriggerMessageRequest,
)
from openocpp.messages.enums import (
    AuthorizationStatus,
    AvailabilityType,
    ChargePointStatus,
    ConfigurationStatus,
    MessageTrigger,
    Phase,
)
from openocpp.messages.errors import ErrorCode
from openocpp.rpc.errors import CallError
from tests.chargepoint.fake_centralsystem import (
    BASE_TIME,
    ChargePointTestCase,
    ScriptedCentralSystem,
    assert_no_timers,
    make_charge_point,
)


def refuse(request):
    raise CallError(ErrorCode.INTERNAL_ERROR, "cannot process it now")


def summary(cs):
    """
    (action, connector, transaction id) of the transaction-related requests.
    """
    rows = []
    for action, request in cs.received:
        if action == "StartTransaction":
            rows.append((action, request.connector_id, None))
        elif action == "MeterValues":
            rows.append((action, request.connector_id, request.transaction_id))
        elif action == "StopTransaction":
            rows.append((action, None, request.transaction_id))
    return rows


class TransactionTests(ChargePointTestCase):
    """
    Transactions online and offline.
    """

    def test_online(self):
        self.boot_and_clear()
        result = self.cp.start_transaction(1, "TAG")
        self.cs.settle()
        self.assertEqual(self.successResultOf(result), AuthorizationStatus.ACCEPTED)
        start = self.cs.requests("StartTransaction")[0]
        self.assertEqual((start.connector_id, start.id_tag, start.meter_start), (1, "TAG", 0))
        self.assertEqual(start.timestamp, BASE_TIME)
        self.assertEqual(self.cp.transaction_id(1), 100)
        self.cs.advance(30)
        stopped = self.cp.stop_transaction(1, "TAG")
        self.cs.settle()
        self.assertIs(self.successResultOf(stopped), True)
        stop = self.cs.requests("StopTransaction")[0]
        self.assertEqual((stop.transaction_id, stop.id_tag, stop.reason), (100, "TAG", None))
        self.assertEqual(stop.meter_stop, 61)  # 7360 W for 30 s
        self.assertIsNone(stop.transaction_data)
        self.assertEqual(self.cp.store.queue_length(), 0)
        self.assertIsNone(self.cp.transaction_id(1))

    def test_start_status(self):
        """
        start_transaction fires with the status the central system gives the
        idTag; a not-Accepted one stops the transaction (DeAuthorized) when
        StopTransactionOnInvalidId is true.
        """
        self.boot_and_clear()
        self.cs.answers["StartTransaction"] = lambda r: StartTransactionResponse(
            id_tag_info=IdTagInfo(status=AuthorizationStatus.BLOCKED), transaction_id=7
        )
        result = self.cp.start_transaction(1, "TAG")
        self.cs.settle()
        self.assertEqual(self.successResultOf(result), AuthorizationStatus.BLOCKED)
        stop = self.cs.requests("StopTransaction")[0]
        self.assertEqual((stop.transaction_id, stop.reason), (7, "DeAuthorized"))
        self.assertEqual(self.cp.store.cache_entry("TAG")["status"], "Blocked")
        self.assertEqual(self.successResultOf(self.cp.connector_status(1)), ChargePointStatus.FINISHING)

    def test_deauthorized_goes_on(self):
        self.cp.ocpp_config.set("StopTransactionOnInvalidId", "false")
        self.boot_and_clear()
        self.cs.answers["StartTransaction"] = lambda r: StartTransactionResponse(
            id_tag_info=IdTagInfo(status=AuthorizationStatus.INVALID), transaction_id=7
        )
        self.cp.start_transaction(1, "TAG")
        self.cs.settle()
        self.assertEqual(self.cs.requests("StopTransaction"), [])
        self.assertEqual(self.cp.transaction_id(1), 7)
        self.assertEqual(self.successResultOf(self.cp.connector_status(1)), ChargePointStatus.SUSPENDED_EVSE)

    def test_errors(self):
        self.boot_and_clear()
        self.failureResultOf(self.cp.start_transaction(0, "TAG"), TransactionError)
        self.failureResultOf(self.cp.start_transaction(3, "TAG"), TransactionError)
        self.cp.start_transaction(1, "TAG")
        self.failureResultOf(self.cp.start_transaction(1, "TAG"), TransactionError)
        self.assertIs(self.successResultOf(self.cp.stop_transaction(2)), False)
        self.cp._availability.change(2, AvailabilityType.INOPERATIVE)
        self.failureResultOf(self.cp.start_transaction(2, "TAG"), TransactionError)
        self.cs.settle()

    def test_stop_id_tag_cached(self):
        self.boot_and_clear()
        self.cp.start_transaction(1, "TAG")
        self.cs.settle()
        self.cs.answers["StopTransaction"] = lambda r: StopTransactionResponse(
            id_tag_info=IdTagInfo(status=AuthorizationStatus.EXPIRED)
        )
        self.cp.stop_transaction(1, "OTHER")
        self.cs.settle()
        self.assertEqual(self.cp.store.cache_entry("OTHER")["status"], "Expired")

    def test_offline_replayed_in_order(self):
        """
        Transactions started offline are sent on reconnection, in order; the
        messages queued before the central system gave a transaction its id
        carry that id.
        """
        self.cp.ocpp_config.set("MeterValueSampleInterval", "60")
        self.boot_and_clear()
        self.cs.disconnect()
        self.assertEqual(self.successResultOf(self.cp.start_transaction(1, "A")), AuthorizationStatus.ACCEPTED)
        self.cs.advance(60)
        self.cp.start_transaction(2, "B")
        self.cs.advance(60)
        self.cp.stop_transaction(1, "A")
        self.cs.advance(30)
        self.cp.stop_transaction(2, "B")
        self.assertEqual(self.cs.received, [])
        self.cs.connect(self.cp)
        self.assertEqual(
            summary(self.cs),
            [
                ("StartTransaction", 1, None),
                ("MeterValues", 1, 100),
                ("StartTransaction", 2, None),
                ("MeterValues", 1, 100),
                ("MeterValues", 2, 101),
                ("StopTransaction", None, 100),
                ("StopTransaction", None, 101),
            ],
        )
        starts = self.cs.requests("StartTransaction")
        self.assertEqual(starts[1].timestamp, BASE_TIME + timedelta(seconds=60))
        self.assertEqual(self.cp.store.queue_length(), 0)

    def test_retries(self):
        """
        A CALLERROR is a failure to process: the message is sent again after
        TransactionMessageRetryInterval times the attempts made.
        """
        self.boot_and_clear()
        times = []

        def flaky(request):
            times.append(self.clock.seconds())
            if len(times) < 3:
                raise CallError(ErrorCode.INTERNAL_ERROR)
            return StopTransactionResponse()

        self.cs.answers["StopTransaction"] = flaky
        self.cp.start_transaction(1, "TAG")
        self.cs.settle()
        self.cp.stop_transaction(1)
        self.cs.advance(200, step=10)
        self.assertEqual([t - times[0] for t in times], [0, 60, 180])
        self.assertEqual(self.cp.store.queue_length(), 0)

    def test_start_not_kept_waiting(self):
        """
        Behind a message waiting for its retry, start_transaction fires
        (Accepted) after MessageTimeout; the StartTransaction goes later,
        and a refusal then still stops the transaction.
        """
        self.cp.ocpp_config.set("MeterValueSampleInterval", "0")
        self.boot_and_clear()
        self.cp.start_transaction(1, "A")
        self.cs.settle()
        self.cs.answers["StopTransaction"] = refuse
        self.cp.stop_transaction(1)
        self.cs.settle()
        self.cs.answers["StopTransaction"] = lambda r: StopTransactionResponse()
        self.cs.answers["StartTransaction"] = lambda r: StartTransactionResponse(
            id_tag_info=IdTagInfo(status=AuthorizationStatus.BLOCKED), transaction_id=9
        )
        result = self.cp.start_transaction(2, "B")
        self.cs.advance(30)
        self.assertEqual(self.successResultOf(result), AuthorizationStatus.ACCEPTED)
        self.assertEqual(len(self.cs.requests("StartTransaction")), 1)
        self.cs.advance(30)
        self.assertEqual(
            summary(self.cs),
            [("StartTransaction", 1, None), ("StopTransaction", None, 100),
             ("StopTransaction", None, 100), ("StartTransaction", 2, None),
             ("StopTransaction", None, 9)],
        )
        self.assertEqual(self.cs.requests("StopTransaction")[2].reason, "DeAuthorized")

    def test_retries_exhausted(self):
        """
        After TransactionMessageAttempts failures the message is dropped and
        the next one goes.
        """
        self.cp.ocpp_config.set("TransactionMessageAttempts", "2")
        self.cp.ocpp_config.set("TransactionMessageRetryInterval", "10")
        self.cp.ocpp_config.set("MeterValueSampleInterval", "60")
        self.boot_and_clear()
        self.cp.start_transaction(1, "TAG")
        self.cs.settle()
        self.cs.answers["MeterValues"] = refuse
        self.cs.advance(60)
        self.cp.stop_transaction(1)
        self.cs.advance(10)
        self.assertEqual(
            summary(self.cs),
            [("StartTransaction", 1, None), ("MeterValues", 1, 100), ("MeterValues", 1, 100),
             ("StopTransaction", None, 100)],
        )
        self.assertEqual(self.cp.store.queue_length(), 0)

    def test_start_never_delivered(self):
        """
        A StartTransaction given up leaves its transaction with id -1
        (errata 3.18) for the messages after it.
        """
        self.cp.ocpp_config.set("TransactionMessageAttempts", "1")
        self.boot_and_clear()
        self.cs.answers["StartTransaction"] = refuse
        result = self.cp.start_transaction(1, "TAG")
        self.cs.settle()
        self.assertEqual(self.successResultOf(result), AuthorizationStatus.ACCEPTED)
        self.assertEqual(self.cp.transaction_id(1), -1)
        self.cp.stop_transaction(1)
        self.cs.settle()
        self.assertEqual(self.cs.requests("StopTransaction")[0].transaction_id, -1)

    def test_timeout_is_a_failure(self):
        """
        No answer within MessageTimeout counts as a failed attempt.
        """
        self.boot_and_clear()
        self.cs.answers["StartTransaction"] = lambda r: Deferred()
        self.cp.start_transaction(1, "TAG")
        self.cs.advance(30 + 59)
        self.assertEqual(len(self.cs.requests("StartTransaction")), 1)
        self.cs.answers["StartTransaction"] = TransactionTests._accept
        self.cs.advance(1)
        self.assertEqual(len(self.cs.requests("StartTransaction")), 2)
        self.assertEqual(self.cp.transaction_id(1), 5)

    @staticmethod
    def _accept(request):
        return StartTransactionResponse(
            id_tag_info=IdTagInfo(status=AuthorizationStatus.ACCEPTED), transaction_id=5
        )

    def test_connection_lost_is_not_a_failure(self):
        self.boot_and_clear()
        self.cs.answers["StartTransaction"] = lambda r: Deferred()
        result = self.cp.start_transaction(1, "TAG")
        self.cs.settle()
        self.cs.disconnect()
        self.assertEqual(self.successResultOf(result), AuthorizationStatus.ACCEPTED)
        self.assertEqual(self.cp.store.queued()[0].attempts, 0)
        self.cs.answers["StartTransaction"] = TransactionTests._accept
        self.cs.connect(self.cp)
        self.assertEqual(self.cp.transaction_id(1), 5)

    def test_replaced_connection_lost_late(self):
        """
        A message in flight on a connection that a new one replaced goes out
        on the new connection once the old one is reported lost, however
        late that is (a WebSocket closing handshake takes time): the queue
        does not stall.
        """
        self.boot_and_clear()
        self.cs.answers["StartTransaction"] = lambda r: Deferred()
        old = self.cs.link
        old.cp_end.close = lambda code=1000, reason="": None
        self.cp.start_transaction(1, "TAG")
        self.cs.settle()
        cs = ScriptedCentralSystem(self, self.clock)
        cs.connect(self.cp)
        old.close()
        cs.settle()
        self.assertEqual(summary(cs), [("StartTransaction", 1, None)])
        self.assertEqual(self.cp.transaction_id(1), 100)

    def test_refused_before_begin_values_kept(self):
        """
        A StartTransaction refused (and its transaction stopped) while the
        Transaction.Begin values were still being read starts no sampling
        for the stopped transaction.
        """
        slow = SlowBeginMeter()
        self.cp.plugins.register(slow)
        self.cp.ocpp_config.set("StopTxnSampledData", "Energy.Active.Import.Register")
        self.boot_and_clear()
        self.cs.disconnect()
        self.cp.start_transaction(1, "TAG")
        self.cs.answers["StartTransaction"] = lambda r: StartTransactionResponse(
            id_tag_info=IdTagInfo(status=AuthorizationStatus.INVALID), transaction_id=7
        )
        self.cs.connect(self.cp)
        self.assertEqual(summary(self.cs), [("StartTransaction", 1, None), ("StopTransaction", None, 7)])
        slow.reading.callback(None)
        self.cs.advance(300, step=60)
        self.assertEqual(self.cs.requests("MeterValues"), [])

    def test_invalid_input_refused_before_queued(self):
        """
        What the firmware gives that could never be sent (an idTag longer
        than CiString20, no meter value) fails at once with a ValueError
        and is not queued; before, the queue dropped it when its turn came,
        losing the transaction's start or stop.
        """
        self.boot_and_clear()
        long_tag = "T" * 21
        self.failureResultOf(self.cp.start_transaction(1, long_tag), ValueError)
        self.assertIsNone(self.cp.transaction_record(1))
        self.cp.start_transaction(1, "TAG")
        self.cs.settle()
        self.failureResultOf(self.cp.send_meter_values(1, []), ValueError)
        self.failureResultOf(self.cp.send_meter_values(2, []), ValueError)
        self.failureResultOf(self.cp.stop_transaction(1, long_tag), ValueError)
        self.assertIsNotNone(self.cp.transaction_record(1))
        self.assertEqual(self.cp.store.queue_length(), 0)
        self.successResultOf(self.cp.stop_transaction(1, "TAG"))
        self.cs.settle()
        self.assertEqual(summary(self.cs), [("StartTransaction", 1, None), ("StopTransaction", None, 100)])

    def test_stop_txn_data(self):
        """
        StopTxnSampledData and StopTxnAlignedData values, from the start to
        the end of the transaction, go in the StopTransaction's
        transactionData.
        """
        config = self.cp.ocpp_config
        config.set("MeterValueSampleInterval", "60")
        config.set("ClockAlignedDataInterval", "900")
        config.set("StopTxnSampledData", "Energy.Active.Import.Register")
        config.set("StopTxnAlignedData", "Power.Active.Import")
        self.boot_and_clear()
        self.cs.advance(840, step=60)
        self.cp.start_transaction(1, "TAG")
        self.cs.advance(120, step=10)
        self.cp.stop_transaction(1, "TAG", "EVDisconnected")
        self.cs.settle()
        stop = self.cs.requests("StopTransaction")[0]
        self.assertEqual(stop.reason, "EVDisconnected")
        contexts = [
            (value.timestamp - BASE_TIME, sample.context, sample.measurand)
            for value in stop.transaction_data
            for sample in value.sampled_value
        ]
        s = lambda seconds: timedelta(seconds=seconds)  # noqa: E731
        self.assertEqual(
            contexts,
            [
                (s(840), "Transaction.Begin", "Energy.Active.Import.Register"),
                (s(840), "Transaction.Begin", "Power.Active.Import"),
                (s(900), "Sample.Clock", "Power.Active.Import"),
                (s(900), "Sample.Periodic", "Energy.Active.Import.Register"),
                (s(960), "Sample.Periodic", "Energy.Active.Import.Register"),
                (s(960), "Transaction.End", "Energy.Active.Import.Register"),
                (s(960), "Transaction.End", "Power.Active.Import"),
            ],
        )

    def test_send_meter_values(self):
        """
        Meter values from the firmware go through the queue during a
        transaction, else at once.
        """
        value = MeterValue(timestamp=BASE_TIME, sampled_value=[SampledValue(value="42")])
        self.boot_and_clear()
        sent = self.cp.send_meter_values(2, [value])
        self.cs.settle()
        self.assertIs(self.successResultOf(sent), True)
        self.cp.start_transaction(1, "TAG")
        self.cs.settle()
        self.cs.disconnect()
        self.assertIs(self.successResultOf(self.cp.send_meter_values(1, [value])), True)
        self.assertIs(self.successResultOf(self.cp.send_meter_values(2, [value])), False)
        self.cs.connect(self.cp)
        self.assertEqual(
            summary(self.cs),
            [("MeterValues", 2, None), ("StartTransaction", 1, None), ("MeterValues", 1, 100)],
        )


class SlowBeginMeter:
    """
    A meter whose reading of the StopTxn data at the start of a transaction
    (its second Transaction.Begin reading) takes a while.
    """

    def __init__(self):
        self.begins = 0
        self.reading = Deferred()

    @hookimpl
    def openocpp_cp_meter_value(self, charge_point, connector, measurand, phase, context):
        if context == "Transaction.Begin":
            self.begins += 1
            if self.begins == 2:
                return self.reading
        return None


class StuckMeter:
    """
    A meter whose Transaction.End reading never comes (the process dies
    while waiting for it).
    """

    @hookimpl
    def openocpp_cp_meter_value(self, charge_point, connector, measurand, phase, context):
        if context == "Transaction.End":
            return Deferred()
        return None


class CrashTests(SynchronousTestCase):
    """
    Killing the charge point at any point loses no queued message, and a
    message answered is never sent again.
    """

    def setUp(self):
        self.clock = Clock()
        self.path = self.mktemp()
        self.cs = ScriptedCentralSystem(self, self.clock)

    def charge_point(self, plugins=()):
        cp = make_charge_point(self, self.clock, database=self.path, plugins=plugins)
        cp.ocpp_config.set("MeterValueSampleInterval", "60")
        cp.startService()
        self.live = cp
        return cp

    def tearDown(self):
        # Only the last one: the others were killed, and are never touched.
        self.live.stopService()
        assert_no_timers(self, self.clock)

    def restart(self):
        self.cs.crash()
        self.cs = ScriptedCentralSystem(self, self.clock)
        cp = self.charge_point()
        self.cs.connect(cp)
        return cp

    def test_queued_offline(self):
        cp = self.charge_point()
        self.cs.connect(cp)
        self.cs.disconnect()
        cp.start_transaction(1, "A")
        self.cs.advance(60)
        cp.stop_transaction(1, "A")
        cp.start_transaction(2, "B")
        self.assertEqual(cp.store.queue_length(), 4)
        self.restart()
        self.assertEqual(
            summary(self.cs),
            [("StartTransaction", 1, None), ("MeterValues", 1, 100), ("StopTransaction", None, 100),
             ("StartTransaction", 2, None)],
        )

    def test_in_flight(self):
        """
        Killed while a StartTransaction waited for its answer: it is sent
        again after the restart, once.
        """
        cp = self.charge_point()
        self.cs.connect(cp)
        self.cs.answers["StartTransaction"] = lambda r: Deferred()
        cp.start_transaction(1, "A")
        self.cs.settle()
        cp = self.restart()
        self.assertEqual(summary(self.cs), [("StartTransaction", 1, None)])
        self.assertEqual(cp.transaction_id(1), 100)
        self.cs.advance(60)
        self.assertEqual(summary(self.cs), [("StartTransaction", 1, None), ("MeterValues", 1, 100)])

    def test_answered(self):
        """
        Killed after the answer: nothing is sent again; the transaction goes
        on with its id, and stops with it.
        """
        cp = self.charge_point()
        self.cs.connect(cp)
        cp.start_transaction(1, "A")
        self.cs.advance(60)
        cp = self.restart()
        self.assertEqual(summary(self.cs), [])
        self.assertEqual(cp.transaction_id(1), 100)
        cp.stop_transaction(1, "A")
        self.cs.settle()
        self.assertEqual(summary(self.cs), [("StopTransaction", None, 100)])

    def test_retry_count_kept(self):
        """
        Failed attempts are counted on disk: the attempts left survive a
        restart.
        """
        cp = self.charge_point()
        cp.ocpp_config.set("TransactionMessageAttempts", "2")
        self.cs.connect(cp)
        self.cs.answers["StartTransaction"] = refuse
        cp.start_transaction(1, "A")
        self.cs.settle()
        self.assertEqual(cp.store.queued()[0].attempts, 1)
        self.cs.crash()
        self.cs = ScriptedCentralSystem(self, self.clock)
        self.cs.answers["StartTransaction"] = refuse
        cp = self.charge_point()
        self.cs.connect(cp)
        self.assertEqual(summary(self.cs), [("StartTransaction", 1, None)])
        self.assertEqual(cp.transaction_id(1), -1)

    def test_killed_after_every_frame(self):
        """
        Two offline transactions are replayed; the charge point is killed
        after each frame of the exchange in turn, and restarted. Nothing is
        ever lost, everything arrives in order, and the only message the
        central system may receive twice is the one whose answer the kill
        cut off (sent again first after the restart).
        """
        expected = [("StartTransaction", "A"), ("MeterValues", 1), ("StartTransaction", "B"),
                    ("MeterValues", 1), ("MeterValues", 2), ("StopTransaction", "A"),
                    ("StopTransaction", "B")]
        for frames in range(24):
            self.path = self.mktemp()
            self.cs = ScriptedCentralSystem(self, self.clock)
            cp = self.charge_point()
            cp.start_transaction(1, "A")
            self.clock.advance(60)
            cp.start_transaction(2, "B")
            self.clock.advance(60)
            cp.stop_transaction(1, "A")
            cp.stop_transaction(2, "B")
            link = self.cs.connect(cp, settle=False)
            for _ in range(frames):
                link.deliver_one()
                self.clock.advance(0)
            killed = self.cs
            self.cs = ScriptedCentralSystem(self, self.clock)
            self.cs.transaction_ids = killed.transaction_ids
            killed.crash()
            cp = self.charge_point()
            self.cs.connect(cp)
            rows = [
                (action, request.connector_id if action == "MeterValues" else request.id_tag)
                for action, request in killed.received + self.cs.received
                if action in ("StartTransaction", "MeterValues", "StopTransaction")
            ]
            once = [row for i, row in enumerate(rows) if i == 0 or row != rows[i - 1]]
            self.assertEqual(once, expected, frames)
            self.assertLessEqual(len(rows), len(expected) + 1, frames)
            self.assertEqual(cp.store.queue_length(), 0, frames)
            stops = self.cs.requests("StopTransaction") or killed.requests("StopTransaction")
            self.assertNotIn(-1, [stop.transaction_id for stop in stops], frames)
            cp.stopService()

    def test_deauthorized_before_stopped(self):
        """
        Killed after a StartTransaction.conf refused the idTag, before the
        transaction was stopped: after the restart it is stopped
        (DeAuthorized), not left running (StopTransactionOnInvalidId).
        """
        cp = self.charge_point(plugins=[StuckMeter()])
        self.cs.connect(cp)
        self.cs.answers["StartTransaction"] = lambda r: StartTransactionResponse(
            id_tag_info=IdTagInfo(status=AuthorizationStatus.BLOCKED), transaction_id=7
        )
        cp.start_transaction(1, "TAG")
        self.cs.settle()
        self.assertEqual(self.cs.requests("StopTransaction"), [])
        self.cs.crash()
        self.cs = ScriptedCentralSystem(self, self.clock)
        cp = self.charge_point()
        self.cs.connect(cp)
        self.assertEqual(summary(self.cs), [("StopTransaction", None, 7)])
        self.assertEqual(self.cs.requests("StopTransaction")[0].reason, "DeAuthorized")
        self.assertIsNone(cp.transaction_record(1))


class MeterPlugin:
    """
    A three-phase meter: voltage per phase, and no SoC.
    """

    @hookimpl
    def openocpp_cp_meter_value(self, charge_point, connector, measurand, phase, context):
        if measurand == "Voltage":
            phases = [phase] if phase else [Phase.L1, Phase.L2, Phase.L3]
            return [SampledValue(value="231", phase=p, unit="V") for p in phases]
        if measurand == "SoC":
            return None
        return None  # no opinion: the simulated meter answers


class MeterValueTests(ChargePointTestCase):
    """
    Sampled, clock-aligned and triggered meter values.
    """

    def make_plugins(self):
        return [MeterPlugin()]

    def test_sampled(self):
        self.cp.ocpp_config.set("MeterValueSampleInterval", "30")
        self.cp.ocpp_config.set("MeterValuesSampledData", "Energy.Active.Import.Register,Voltage")
        self.boot_and_clear()
        self.cp.start_transaction(1, "TAG")
        self.cs.advance(60)
        values = self.cs.requests("MeterValues")
        self.assertEqual(len(values), 2)
        samples = values[0].meter_value[0].sampled_value
        self.assertEqual(
            [(s.measurand, s.phase, s.context) for s in samples],
            [("Energy.Active.Import.Register", None, "Sample.Periodic"),
             ("Voltage", "L1", "Sample.Periodic"), ("Voltage", "L2", "Sample.Periodic"),
             ("Voltage", "L3", "Sample.Periodic")],
        )
        self.assertEqual(values[1].meter_value[0].sampled_value[0].value, "122")

    def test_interval_changed(self):
        """
        A new MeterValueSampleInterval applies to running transactions at
        once; 0 stops the samples.
        """
        self.boot_and_clear()
        self.cp.start_transaction(1, "TAG")
        self.cs.settle()
        self.cs.call(ChangeConfigurationRequest(key="MeterValueSampleInterval", value="10"))
        self.cs.advance(30)
        self.assertEqual(len(self.cs.requests("MeterValues")), 3)
        self.cs.call(ChangeConfigurationRequest(key="MeterValueSampleInterval", value="0"))
        self.cs.advance(120, step=10)
        self.assertEqual(len(self.cs.requests("MeterValues")), 3)

    def test_aligned(self):
        """
        Clock-aligned values go out at each boundary of
        ClockAlignedDataInterval since midnight, for every connector; those
        of a connector with a transaction carry its id.
        """
        self.cp.ocpp_config.set("MeterValueSampleInterval", "0")
        self.boot_and_clear()
        self.cp.start_transaction(2, "TAG")
        self.cs.call(ChangeConfigurationRequest(key="ClockAlignedDataInterval", value="900"))
        self.cs.advance(899, step=100)
        self.assertEqual(self.cs.requests("MeterValues"), [])
        self.cs.advance(1)
        values = self.cs.requests("MeterValues")
        self.assertEqual([(v.connector_id, v.transaction_id) for v in values],
                         [(0, None), (1, None), (2, 100)])
        self.assertEqual(values[0].meter_value[0].timestamp, BASE_TIME + timedelta(seconds=900))
        self.assertEqual(values[0].meter_value[0].sampled_value[0].context, "Sample.Clock")
        self.cs.advance(900, step=100)
        self.assertEqual(len(self.cs.requests("MeterValues")), 6)

    def test_triggered(self):
        self.boot_and_clear()
        self.cp.start_transaction(1, "TAG")
        self.cs.settle()
        self.cs.call(TriggerMessageRequest(requested_message=MessageTrigger.METER_VALUES, connector_id=1))
        self.cs.settle()
        values = self.cs.requests("MeterValues")
        self.assertEqual([(v.connector_id, v.transaction_id) for v in values], [(1, 100)])
        self.assertEqual(values[0].meter_value[0].sampled_value[0].context, "Trigger")
        self.cs.call(TriggerMessageRequest(requested_message=MessageTrigger.METER_VALUES))
        self.cs.settle()
        self.assertEqual([v.connector_id for v in self.cs.requests("MeterValues")], [1, 0, 1, 2])

    def test_unsupported_measurand(self):
        self.boot_and_clear()
        answer = self.successResultOf(self.cs.call(
            ChangeConfigurationRequest(key="MeterValuesSampledData", value="RPM")))
        self.assertEqual(answer.status, ConfigurationStatus.REJECTED)
        answer = self.successResultOf(self.cs.call(
            ChangeConfigurationRequest(key="MeterValuesSampledData", value="Voltage.L2,SoC")))
        self.assertEqual(answer.status, ConfigurationStatus.ACCEPTED)
