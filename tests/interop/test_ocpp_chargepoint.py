"""
A charge point written with the C{ocpp} package
(C{interop/ocpp_chargepoint.py}, in a child process) against openocpp's
central system and its HTTP API on loopback: its boot and transaction
recorded in the SQLite file, and operations sent through the API answered
by it.
"""

from twisted.internet import reactor
from twisted.trial.unittest import TestCase

from tests.interop.peer_process import start_peer
from tests.web.api_client import ApiMixin

#: The identity the foreign charge point connects with.
IDENTITY = "FOREIGN-1"

#: The idTag of its charging session.
TAG = "INTEROP-1"


class OcppChargePointTests(ApiMixin, TestCase):
    """
    The C{ocpp} package's charge point against openocpp's L{CentralSystem}
    (a temporary SQLite file) and L{WebService}.
    """

    timeout = 45

    async def connect_foreign(self, *arguments):
        """
        Start the central system and its API, accept L{TAG} through the
        API, then the foreign charge point; wait for its boot.
        """
        await self.start()
        answer = await self.put(f"/api/v1/idtags/{TAG}", {"status": "Accepted"})
        self.assertEqual(answer.status, 201, answer)
        # 127.0.0.1, where the central system listens, rather than the
        # mixin's localhost, which may resolve to ::1 first.
        url = self.url.replace("//localhost:", "//127.0.0.1:")
        self.assertTrue(url.startswith("ws://127.0.0.1:"), url)
        self.cp, connected = await start_peer(
            self, reactor, "ocpp_chargepoint.py", "--url", url, "--identity", IDENTITY,
            *arguments, ready="connected",
        )
        self.assertEqual(connected["subprotocol"], "ocpp1.6")
        boot = await self.cp.wait_for("sent", action="BootNotification")
        self.assertEqual(boot["response"]["status"], "Accepted")
        self.assertEqual(boot["response"]["interval"], self.config.heartbeat_interval)

    def action(self, name, payload):
        return self.post(f"/api/v1/chargepoints/{IDENTITY}/actions/{name}", payload)

    async def test_boot_and_transaction_recorded(self):
        """
        The foreign charge point's boot, statuses and whole transaction
        (Authorize, StartTransaction, MeterValues, StopTransaction) are
        accepted and recorded in the central system's SQLite file, and the
        API shows them.
        """
        await self.connect_foreign()
        session = await self.cp.wait_for("session")
        transaction_id = session["transactionId"]
        self.assertIsNotNone(transaction_id, session)
        for line in self.cp.events("sent"):
            self.assertNotIn("error", line["response"], line)
        self.assertEqual(
            self.cp.events("sent", action="Authorize")[0]["response"], {"idTagInfo": {"status": "Accepted"}}
        )

        # What the file holds, read through a connection of our own.
        [record] = self.rows("SELECT * FROM transactions WHERE id = ?", transaction_id)
        self.assertEqual(
            (record["identity"], record["connector_id"], record["id_tag"], record["meter_start"],
             record["meter_stop"], record["stop_reason"], record["stop_id_tag"]),
            (IDENTITY, 1, TAG, 1000, 1500, "Local", TAG),
        )
        # The two MeterValues.req, then the StopTransaction's transactionData.
        values = self.rows(
            "SELECT value, context FROM meter_values WHERE transaction_id = ? ORDER BY id", transaction_id
        )
        self.assertEqual(
            [(v["value"], v["context"]) for v in values],
            [("1250", "Sample.Periodic"), ("1500", "Sample.Periodic"), ("1500", "Transaction.End")],
        )
        [charge_point] = self.rows("SELECT * FROM charge_points WHERE identity = ?", IDENTITY)
        self.assertEqual(charge_point["vendor"], "mobilityhouse-ocpp")

        answer = await self.get(f"/api/v1/transactions/{transaction_id}")
        self.assertEqual(answer.status, 200, answer)
        self.assertEqual(
            {name: answer.json[name] for name in ("chargePoint", "active", "meterStart", "meterStop", "energyWh")},
            {"chargePoint": IDENTITY, "active": False, "meterStart": 1000, "meterStop": 1500, "energyWh": 500},
        )
        self.assertEqual(self.cp.garbage, [])
        self.assertNotIn("Traceback", self.cp.stderr)

    async def test_api_operations_answered(self):
        """
        RemoteStartTransaction, GetConfiguration and ReserveNow sent
        through the API reach the foreign charge point, whose answers the
        API returns; the remote start's transaction is recorded.
        """
        await self.connect_foreign("--no-session")

        answer = await self.action("GetConfiguration", {"key": ["NumberOfConnectors", "Nope"]})
        self.assertEqual(answer.status, 200, answer)
        self.assertEqual(
            answer.json,
            {"configurationKey": [{"key": "NumberOfConnectors", "readonly": True, "value": "2"}],
             "unknownKey": ["Nope"]},
        )

        answer = await self.action("RemoteStartTransaction", {"idTag": TAG, "connectorId": 2})
        self.assertEqual((answer.status, answer.json), (200, {"status": "Accepted"}))
        start = await self.cp.wait_for("sent", action="StartTransaction")
        self.assertEqual(start["response"]["idTagInfo"], {"status": "Accepted"})
        # The charge point's Charging status comes after the answer is stored.
        await self.cp.wait_for(
            "sent", action="StatusNotification", where=lambda line: line["request"]["status"] == "Charging"
        )
        answer = await self.get(f"/api/v1/transactions/{start['response']['transactionId']}")
        self.assertEqual(
            (answer.status, answer.json["connectorId"], answer.json["idTag"], answer.json["active"]),
            (200, 2, TAG, True),
        )

        answer = await self.action(
            "ReserveNow",
            {"connectorId": 1, "expiryDate": "2030-01-01T00:00:00Z", "idTag": TAG, "reservationId": 7},
        )
        self.assertEqual((answer.status, answer.json), (200, {"status": "Accepted"}))
        reserved = await self.cp.wait_for(
            "sent", action="StatusNotification", where=lambda line: line["request"]["status"] == "Reserved"
        )
        self.assertEqual(reserved["request"]["connectorId"], 1)
        answer = await self.action(
            "ReserveNow",
            {"connectorId": 2, "expiryDate": "2030-01-01T00:00:00Z", "idTag": TAG, "reservationId": 8},
        )
        self.assertEqual((answer.status, answer.json), (200, {"status": "Occupied"}))

        # What the foreign charge point does not support is its CALLERROR.
        answer = await self.action(
            "UpdateFirmware", {"location": "http://127.0.0.1:1/firmware.bin", "retrieveDate": "2030-01-01T00:00:00Z"}
        )
        self.assertError(answer, 502, "call_error", code="NotSupported")

        self.assertEqual(
            [line["action"] for line in self.cp.events("received")],
            ["GetConfiguration", "RemoteStartTransaction", "ReserveNow", "ReserveNow", "UpdateFirmware"],
        )
        self.assertEqual(self.cp.garbage, [])
        self.assertNotIn("Traceback", self.cp.stderr)
