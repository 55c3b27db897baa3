"""
A charge point written with the C{ocpp} package (mobilityhouse) on
C{websockets}: the foreign peer openocpp's central system is tried
against.

    python interop/ocpp_chargepoint.py --url ws://127.0.0.1:8080/ocpp --identity FOREIGN-1

It connects to C{<url>/<identity>} (subprotocol ocpp1.6), boots, reports
its connectors Available, beats once, and runs one charging session on
connector 1: Authorize, StartTransaction, MeterValues (with the
transactionId), StopTransaction (with its transaction data), and the
statuses between them. Then it stays connected and answers what the
central system sends, so that the central system's operations can be tried
against it: the Core, Local Auth List Management, Reservation and Remote
Trigger profiles (a RemoteStartTransaction it accepts starts a
transaction, a RemoteStopTransaction stops it, a reservation makes its
connector Reserved); Firmware Management, Smart Charging and the Security
Whitepaper's calls get the CALLERROR NotSupported, but CertificateSigned.

With C{--security} it then runs the Security Whitepaper's flows of a
charge point (after the session, if any): a SecurityEventNotification, a
SignCertificate with a CSR made with C{cryptography} (CN the identity, O
C{--cpo-name}, a P-256 key of its own), a LogStatusNotification and a
SignedFirmwareStatusNotification; the CertificateSigned that follows an
accepted SignCertificate is Accepted when its leaf names the identity and
carries that key (printed as a C{{"event": "certificate", "subject",
"issuer", "serialNumber"}} line), Rejected otherwise.

Everything it does is one JSON line on standard output, flushed at once:
C{{"event": "connected", "url", "subprotocol"}}; C{{"event": "sent",
"action", "request", "response"}} for each request it sent and the answer
(or C{{"error": code}}); C{{"event": "session", "transactionId",
"meterStart", "meterStop"}} once the session is over; C{{"event":
"received", "action", "request", "response"}} for each call of the central
system and its answer. Runs until SIGTERM or SIGINT, or until the
connection closes (C{{"event": "disconnected"}}). With C{--password} it
authenticates with HTTP Basic (Security Profile 1), and to a C{wss://} URL
over TLS 1.2 or above trusting C{--ca-certificates} (Profile 2). Needs C{ocpp} and
C{websockets} (the C{test} and C{bench} extras).
"""

import argparse
import asyncio
import base64
import json
import logging
import re
import signal
import ssl
import sys
import uuid
from datetime import datetime, timedelta, timezone

from ocpp.charge_point import remove_nones, serialize_as_dict, snake_to_camel_case
from ocpp.exceptions import NotSupportedError, OCPPError
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

#: The profiles this charge point answers (SupportedFeatureProfiles).
PROFILES = "Core,LocalAuthListManagement,Reservation,RemoteTrigger"


def emit(event: str, **fields) -> None:
    """
    Print one JSON line on standard output and flush it.
    """
    sys.stdout.write(json.dumps({"event": event, **fields}, sort_keys=True, default=str) + "\n")
    sys.stdout.flush()


def timestamp(delta: timedelta = timedelta(0)) -> str:
    """
    @return: now plus C{delta}, as OCPP's UTC dateTime.
    """
    moment = datetime.now(timezone.utc) + delta
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _wire(payload) -> dict:
    # The payload as the package puts it on the wire.
    return remove_nones(snake_to_camel_case(serialize_as_dict(payload)))


def _not_supported(name: str):
    def handler(self, **kwargs):
        raise NotSupportedError(description=f"{name} is not supported by this charge point")

    # the package finds handlers by the name of the attribute they are
    handler.__name__ = "on_" + re.sub("(?<!^)([A-Z])", r"_\1", name).lower()
    return on(name)(handler)


class ForeignChargePoint(ChargePoint):
    """
    The C{ocpp} package's charge point, with a little state: its
    configuration keys, connectors' statuses and transactions, local list
    version and reservations.
    """

    def __init__(self, identity: str, connection, options: argparse.Namespace) -> None:
        super().__init__(identity, connection, response_timeout=options.call_timeout)
        self.options = options
        self.connectors = options.connectors
        self.meter = options.meter_start
        self.status = {n: "Available" for n in range(0, options.connectors + 1)}
        self.transactions: dict[int, int] = {}
        self.reservations: dict[int, int] = {}
        self.list_version = 0
        self.keys = {
            "HeartbeatInterval": [False, "300"],
            "MeterValueSampleInterval": [False, "0"],
            "NumberOfConnectors": [True, str(options.connectors)],
            "SupportedFeatureProfiles": [True, PROFILES],
            "LocalAuthListEnabled": [False, "true"],
            "LocalAuthListMaxLength": [True, "100"],
            "SendLocalListMaxLength": [True, "100"],
            "ReserveConnectorZeroSupported": [True, "false"],
        }
        self._requests: dict[str, tuple[str, dict]] = {}
        self._tasks: set = set()
        #: the private key of the CSR sent, once sent
        self.csr_key = None

    # -- frames: print what the central system sent, and the answer ----------------

    async def route_message(self, raw_msg):
        try:
            frame = json.loads(raw_msg)
        except ValueError:
            frame = None
        if isinstance(frame, list) and len(frame) == 4 and frame[0] == 2:
            self._requests[frame[1]] = (frame[2], frame[3])
        await super().route_message(raw_msg)

    async def _send(self, message):
        frame = json.loads(message)
        if frame[0] in (3, 4) and frame[1] in self._requests:
            action, request = self._requests.pop(frame[1])
            response = frame[2] if frame[0] == 3 else {"error": frame[2], "description": frame[3]}
            emit("received", action=action, request=request, response=response)
        await super()._send(message)

    def later(self, coroutine) -> None:
        """
        Run C{coroutine} after the answer being worked out is sent.
        """
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- what it sends ------------------------------------------------------------------

    async def send(self, payload):
        """
        Send one request, print it with its answer.

        @return: the answer's payload (a dataclass of the package), or
            C{None} after a CALLERROR.
        """
        request = _wire(payload)
        action = type(payload).__name__
        try:
            answer = await self.call(payload, suppress=False, unique_id=str(uuid.uuid4()))
        except OCPPError as error:
            emit("sent", action=action, request=request, response={"error": error.code})
            return None
        emit("sent", action=action, request=request, response=_wire(answer))
        return answer

    async def set_status(self, connector: int, status: str) -> None:
        """
        Report a connector's status (StatusNotification.req).
        """
        self.status[connector] = status
        await self.send(
            call.StatusNotification(
                connector_id=connector, error_code="NoError", status=status, timestamp=timestamp()
            )
        )

    async def boot(self) -> bool:
        """
        BootNotification, then every connector Available and one Heartbeat.

        @return: whether the central system accepted the boot.
        """
        answer = await self.send(
            call.BootNotification(
                charge_point_vendor="mobilityhouse-ocpp",
                charge_point_model="interop",
                firmware_version="1.0",
            )
        )
        if answer is None or answer.status != "Accepted":
            return False
        self.keys["HeartbeatInterval"][1] = str(answer.interval)
        for connector in range(0, self.connectors + 1):
            await self.set_status(connector, "Available")
        await self.send(call.Heartbeat())
        return True

    async def start_transaction(self, connector: int, id_tag: str, reservation_id=None) -> int | None:
        """
        Preparing, StartTransaction, Charging (or Available again when the
        id tag is not accepted).

        @return: the transactionId, or C{None}.
        """
        await self.set_status(connector, "Preparing")
        answer = await self.send(
            call.StartTransaction(
                connector_id=connector,
                id_tag=id_tag,
                meter_start=self.meter,
                timestamp=timestamp(),
                reservation_id=reservation_id,
            )
        )
        if answer is None or answer.id_tag_info["status"] != "Accepted":
            await self.set_status(connector, "Available")
            return None
        self.transactions[connector] = answer.transaction_id
        await self.set_status(connector, "Charging")
        return answer.transaction_id

    async def meter_values(self, connector: int) -> None:
        """
        Advance the meter by C{--energy} Wh and send it (MeterValues.req,
        with the connector's transactionId if it has one).
        """
        self.meter += self.options.energy
        await self.send(
            call.MeterValues(
                connector_id=connector,
                transaction_id=self.transactions.get(connector),
                meter_value=[
                    {
                        "timestamp": timestamp(),
                        "sampledValue": [
                            {
                                "value": str(self.meter),
                                "context": "Sample.Periodic",
                                "measurand": "Energy.Active.Import.Register",
                                "unit": "Wh",
                            }
                        ],
                    }
                ],
            )
        )

    async def stop_transaction(self, connector: int, id_tag=None, reason="Local") -> None:
        """
        StopTransaction (with its transactionData), Finishing, Available.
        """
        transaction_id = self.transactions.pop(connector)
        await self.send(
            call.StopTransaction(
                meter_stop=self.meter,
                timestamp=timestamp(),
                transaction_id=transaction_id,
                id_tag=id_tag,
                reason=reason,
                transaction_data=[
                    {
                        "timestamp": timestamp(),
                        "sampledValue": [
                            {"value": str(self.meter), "context": "Transaction.End", "unit": "Wh"}
                        ],
                    }
                ],
            )
        )
        await self.set_status(connector, "Finishing")
        await self.set_status(connector, "Available")

    async def session(self) -> None:
        """
        One charging session on connector 1, printed as a C{session} line.
        """
        tag = self.options.id_tag
        answer = await self.send(call.Authorize(id_tag=tag))
        if answer is None or answer.id_tag_info["status"] != "Accepted":
            emit("session", transactionId=None, problem="Authorize not accepted")
            return
        meter_start = self.meter
        transaction_id = await self.start_transaction(1, tag)
        if transaction_id is None:
            emit("session", transactionId=None, problem="StartTransaction not accepted")
            return
        for _ in range(self.options.meter_values):
            await self.meter_values(1)
        await self.stop_transaction(1, tag)
        emit("session", transactionId=transaction_id, meterStart=meter_start, meterStop=self.meter)

    async def security(self) -> None:
        """
        The Security Whitepaper's requests of a charge point: a security
        event (A04), a SignCertificate with a fresh CSR (A02.FR.02), the end
        of a log upload (N01.FR.07) and a signed firmware status (L01.FR.10).
        """
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        await self.send(call.SecurityEventNotification(
            type="StartupOfTheDevice", timestamp=timestamp(), tech_info="interop boot"
        ))
        self.csr_key = ec.generate_private_key(ec.SECP256R1())
        names = [x509.NameAttribute(NameOID.COMMON_NAME, self.id)]
        if self.options.cpo_name:
            names.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, self.options.cpo_name))
        csr = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name(names))
            .sign(self.csr_key, hashes.SHA256())
        )
        await self.send(call.SignCertificate(
            csr=csr.public_bytes(serialization.Encoding.PEM).decode("ascii")
        ))
        await self.send(call.LogStatusNotification(status="Uploaded", request_id=7))
        await self.send(call.SignedFirmwareStatusNotification(status="Downloading", request_id=8))
        emit("security", csr=True)

    # -- Core -----------------------------------------------------------------------------

    @on(Action.change_availability)
    def on_change_availability(self, connector_id, type, **kwargs):
        if not 0 <= connector_id <= self.connectors:
            return call_result.ChangeAvailability(status="Rejected")
        if connector_id in self.transactions:
            return call_result.ChangeAvailability(status="Scheduled")
        status = "Available" if type == "Operative" else "Unavailable"
        self.later(self.set_status(connector_id, status))
        return call_result.ChangeAvailability(status="Accepted")

    @on(Action.change_configuration)
    def on_change_configuration(self, key, value, **kwargs):
        if key not in self.keys:
            return call_result.ChangeConfiguration(status="NotSupported")
        if self.keys[key][0]:
            return call_result.ChangeConfiguration(status="Rejected")
        self.keys[key][1] = value
        return call_result.ChangeConfiguration(status="Accepted")

    @on(Action.clear_cache)
    def on_clear_cache(self, **kwargs):
        return call_result.ClearCache(status="Accepted")

    @on(Action.data_transfer)
    def on_data_transfer(self, vendor_id, **kwargs):
        return call_result.DataTransfer(status="UnknownVendorId")

    @on(Action.get_configuration)
    def on_get_configuration(self, key=None, **kwargs):
        names = self.keys if not key else key
        known = [
            {"key": name, "readonly": self.keys[name][0], "value": self.keys[name][1]}
            for name in names
            if name in self.keys
        ]
        unknown = [name for name in names if name not in self.keys]
        return call_result.GetConfiguration(configuration_key=known or None, unknown_key=unknown or None)

    @on(Action.remote_start_transaction)
    def on_remote_start_transaction(self, id_tag, connector_id=None, **kwargs):
        connector = connector_id if connector_id is not None else 1
        if not 1 <= connector <= self.connectors or self.status[connector] != "Available":
            return call_result.RemoteStartTransaction(status="Rejected")
        self.later(self.start_transaction(connector, id_tag))
        return call_result.RemoteStartTransaction(status="Accepted")

    @on(Action.remote_stop_transaction)
    def on_remote_stop_transaction(self, transaction_id, **kwargs):
        for connector, running in self.transactions.items():
            if running == transaction_id:
                self.later(self.stop_transaction(connector, reason="Remote"))
                return call_result.RemoteStopTransaction(status="Accepted")
        return call_result.RemoteStopTransaction(status="Rejected")

    @on(Action.reset)
    def on_reset(self, type, **kwargs):
        # A simulator: it stays up, as if it had rebooted in no time.
        return call_result.Reset(status="Accepted")

    @on(Action.unlock_connector)
    def on_unlock_connector(self, connector_id, **kwargs):
        if not 1 <= connector_id <= self.connectors:
            return call_result.UnlockConnector(status="NotSupported")
        return call_result.UnlockConnector(status="Unlocked")

    # -- Local Auth List Management -----------------------------------------------------

    @on(Action.get_local_list_version)
    def on_get_local_list_version(self, **kwargs):
        return call_result.GetLocalListVersion(list_version=self.list_version)

    @on(Action.send_local_list)
    def on_send_local_list(self, list_version, update_type, **kwargs):
        if update_type == "Differential" and list_version <= self.list_version:
            return call_result.SendLocalList(status="VersionMismatch")
        self.list_version = list_version
        return call_result.SendLocalList(status="Accepted")

    # -- Reservation ----------------------------------------------------------------------

    @on(Action.reserve_now)
    def on_reserve_now(self, connector_id, expiry_date, id_tag, reservation_id, **kwargs):
        if not 1 <= connector_id <= self.connectors:
            return call_result.ReserveNow(status="Rejected")
        if connector_id in self.transactions:
            return call_result.ReserveNow(status="Occupied")
        if self.status[connector_id] == "Unavailable":
            return call_result.ReserveNow(status="Unavailable")
        if self.status[connector_id] == "Reserved" and self.reservations.get(reservation_id) != connector_id:
            return call_result.ReserveNow(status="Occupied")
        self.reservations[reservation_id] = connector_id
        self.later(self.set_status(connector_id, "Reserved"))
        return call_result.ReserveNow(status="Accepted")

    @on(Action.cancel_reservation)
    def on_cancel_reservation(self, reservation_id, **kwargs):
        connector = self.reservations.pop(reservation_id, None)
        if connector is None:
            return call_result.CancelReservation(status="Rejected")
        self.later(self.set_status(connector, "Available"))
        return call_result.CancelReservation(status="Accepted")

    # -- Remote Trigger ---------------------------------------------------------------------

    @on(Action.trigger_message)
    def on_trigger_message(self, requested_message, connector_id=None, **kwargs):
        if connector_id is not None and not 0 <= connector_id <= self.connectors:
            return call_result.TriggerMessage(status="Rejected")
        if requested_message == "BootNotification":
            return call_result.TriggerMessage(status="Rejected")  # errata 3.35: booted already
        if requested_message == "Heartbeat":
            self.later(self.send(call.Heartbeat()))
        elif requested_message == "StatusNotification":
            for connector in [connector_id] if connector_id is not None else list(self.status):
                self.later(self.set_status(connector, self.status[connector]))
        elif requested_message == "MeterValues":
            self.later(self.meter_values(connector_id or 1))
        elif requested_message == "DiagnosticsStatusNotification":
            self.later(self.send(call.DiagnosticsStatusNotification(status="Idle")))
        elif requested_message == "FirmwareStatusNotification":
            self.later(self.send(call.FirmwareStatusNotification(status="Idle")))
        return call_result.TriggerMessage(status="Accepted")

    # -- not supported: the CALLERROR errata 3.39 asks for -----------------------------------

    on_update_firmware = _not_supported("UpdateFirmware")
    on_get_diagnostics = _not_supported("GetDiagnostics")
    on_set_charging_profile = _not_supported("SetChargingProfile")
    on_clear_charging_profile = _not_supported("ClearChargingProfile")
    on_get_composite_schedule = _not_supported("GetCompositeSchedule")

    # -- Security: the certificate a SignCertificate asked for ---------------------------------

    @on(Action.certificate_signed)
    def on_certificate_signed(self, certificate_chain, **kwargs):
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization

        try:
            chain = x509.load_pem_x509_certificates(certificate_chain.encode("utf-8"))
        except ValueError:
            return call_result.CertificateSigned(status="Rejected")
        leaf = chain[0]
        names = [each.value for each in leaf.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)]
        spki = serialization.PublicFormat.SubjectPublicKeyInfo
        ours = self.csr_key is not None and leaf.public_key().public_bytes(
            serialization.Encoding.DER, spki
        ) == self.csr_key.public_key().public_bytes(serialization.Encoding.DER, spki)
        if names != [self.id] or not ours:
            return call_result.CertificateSigned(status="Rejected")
        emit("certificate", subject=leaf.subject.rfc4514_string(), issuer=leaf.issuer.rfc4514_string(),
             serialNumber=format(leaf.serial_number, "x"), chain=len(chain))
        return call_result.CertificateSigned(status="Accepted")

    on_delete_certificate = _not_supported("DeleteCertificate")
    on_extended_trigger_message = _not_supported("ExtendedTriggerMessage")
    on_get_installed_certificate_ids = _not_supported("GetInstalledCertificateIds")
    on_get_log = _not_supported("GetLog")
    on_install_certificate = _not_supported("InstallCertificate")
    on_signed_update_firmware = _not_supported("SignedUpdateFirmware")


async def main(options: argparse.Namespace) -> int:
    """
    Connect, boot, run the session, answer until stopped.

    @return: the exit status: 0 once stopped, 1 when the boot failed or the
        connection closed.
    """
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, lambda: stop.done() or stop.set_result(None))
    url = options.url.rstrip("/") + "/" + options.identity
    secure = {}
    if options.password is not None:
        # Security Profiles 1 and 2: HTTP Basic, the identity as the user.
        credentials = f"{options.identity}:{options.password}".encode("utf-8")
        secure["additional_headers"] = {"Authorization": "Basic " + base64.b64encode(credentials).decode("ascii")}
    if url.startswith("wss://"):
        # Profile 2: TLS 1.2 or above, the central system's certificate
        # verified against the CA file.
        context = ssl.create_default_context(cafile=options.ca_certificates)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if options.client_certificate is not None:
            # Profile 3: the charge point certificate, presented at the
            # handshake (mutual TLS).
            context.load_cert_chain(options.client_certificate, options.client_key)
        secure["ssl"] = context
    async with connect(url, subprotocols=["ocpp1.6"], ping_interval=None, **secure) as connection:
        emit("connected", url=url, subprotocol=connection.subprotocol)
        charge_point = ForeignChargePoint(options.identity, connection, options)
        receiving = asyncio.ensure_future(charge_point.start())
        if not await charge_point.boot():
            emit("problem", problem="BootNotification not accepted")
            return 1
        if not options.no_session:
            await charge_point.session()
        if options.security:
            await charge_point.security()
        await asyncio.wait([receiving, stop], return_when=asyncio.FIRST_COMPLETED)
        if receiving.done():
            closed = receiving.exception()
            emit("disconnected", reason=str(closed))
            return 1
        receiving.cancel()
    return 0


def parse_options(argv=None) -> argparse.Namespace:
    """
    @return: the command line's options.
    """
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--url", default="ws://127.0.0.1:8080/ocpp", help="the identity is appended")
    parser.add_argument("--identity", default="FOREIGN-1")
    parser.add_argument("--id-tag", default="INTEROP-1", help="the idTag of the session")
    parser.add_argument("--connectors", type=int, default=2)
    parser.add_argument("--meter-start", type=int, default=1000, help="the meter (Wh) at start")
    parser.add_argument("--energy", type=int, default=250, help="Wh between two meter values")
    parser.add_argument("--meter-values", type=int, default=2, help="MeterValues.req during the session")
    parser.add_argument("--call-timeout", type=float, default=10.0)
    parser.add_argument("--no-session", action="store_true", help="boot, then only answer")
    parser.add_argument("--security", action="store_true",
                        help="then the Security Whitepaper's requests: event, SignCertificate, log, firmware")
    parser.add_argument("--cpo-name", default=None, help="the O of the SignCertificate CSR")
    parser.add_argument("--password", default=None,
                        help="the AuthorizationKey, sent with HTTP Basic (Security Profiles 1 and 2)")
    parser.add_argument("--ca-certificates", default=None,
                        help="PEM file of the CA that signed the central system's certificate (wss:// URLs)")
    parser.add_argument("--client-certificate", default=None,
                        help="PEM file of the charge point certificate (Security Profile 3)")
    parser.add_argument("--client-key", default=None,
                        help="PEM file of its private key (default: in the certificate file)")
    parser.add_argument("--verbose", action="store_true", help="the ocpp package's own log, on stderr")
    return parser.parse_args(argv)


if __name__ == "__main__":
    options = parse_options()
    logging.basicConfig(level=logging.INFO if options.verbose else logging.WARNING, stream=sys.stderr)
    if not options.verbose:
        # The package logs the NotSupported errors raised on purpose above
        # with a traceback; the received lines say them already.
        logging.getLogger("ocpp").setLevel(logging.CRITICAL)
    try:
        sys.exit(asyncio.run(main(options)))
    except (OSError, ConnectionClosed, InvalidHandshake) as error:
        emit("disconnected", reason=str(error))
        sys.exit(1)
