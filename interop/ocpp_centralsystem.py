"""
A central system written with the C{ocpp} package (mobilityhouse) on
C{websockets}: the foreign peer openocpp's charge point is tried against,
and the probe of every call a central system sends.

    python interop/ocpp_centralsystem.py --port 9000 \\
        --firmware-url http://127.0.0.1:8000/firmware.bin \\
        --diagnostics-url http://127.0.0.1:8000/diagnostics/

It listens on 127.0.0.1 (C{--port 0} picks a free port), answers every
request a charge point sends (BootNotification Accepted, Authorize and
StartTransaction Accepted, ...) and, once a charge point has booted, runs
the probe: every CS-initiated OCPP 1.6 call (the Security Whitepaper's
too), each with sensible payloads, Reset Soft last. Everything it does is
one JSON line on standard output, flushed at once:

  - C{{"event": "listening", "host": ..., "port": ...}} first;
  - C{{"event": "connected", "identity": ..., "subprotocol": ...}};
  - C{{"event": "received", "identity", "action", "request", "response"}}
    for every request the charge point sent (C{response} is the
    CALLRESULT's payload, or C{{"error": code}});
  - C{{"event": "probe", "identity", "action", "case", "request",
    "outcome"}} for every probe call, C{outcome} one of C{{"result":
    payload}} (a CALLRESULT the package validated against its schemas),
    C{{"invalid": description, "result": payload}} (a CALLRESULT the
    schemas refuse), C{{"error": code, "description": ...}} (a CALLERROR),
    C{{"timeout": seconds}}, C{{"closed": reason}}, or C{{"not_sent": why}}
    (the package's schemas refused the probe's own request);
  - C{{"problem": ...}} when what an accepted call asked for did not follow
    in time (no StartTransaction after RemoteStartTransaction, ...);
  - C{{"event": "summary", "identity", "calls", "results", "errors",
    "invalid", "timeouts", "closed", "seconds"}} once the probe is done
    (C{seconds}: from the boot to the last answer).

The package validates every CALL and CALLRESULT against the OCPP 1.6 JSON
schemas (its default). Runs until SIGTERM or SIGINT (or, with
C{--exit-after-probe}, until the probe's summary). Needs C{ocpp} and
C{websockets} (the C{test} and C{bench} extras).
"""

import argparse
import asyncio
import base64
import hashlib
import itertools
import json
import logging
import signal
import ssl
import sys
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone

from ocpp.charge_point import remove_nones, serialize_as_dict, snake_to_camel_case
from ocpp.exceptions import OCPPError
from ocpp.routing import after, on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

#: The vendorId of the probe's DataTransfer (no charge point knows it).
VENDOR_ID = "org.openocpp.interop"


def emit(event: str, **fields) -> None:
    """
    Print one JSON line on standard output and flush it, so that a reader
    sees each event as it happens.
    """
    sys.stdout.write(json.dumps({"event": event, **fields}, sort_keys=True, default=str) + "\n")
    sys.stdout.flush()


def timestamp(delta: timedelta = timedelta(0)) -> str:
    """
    @return: now plus C{delta}, as OCPP's UTC dateTime.
    """
    moment = datetime.now(timezone.utc) + delta
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class ManufacturerPki:
    """
    A manufacturer's root (a self-signed CA, P-256) and a firmware signing
    certificate it issued, made with C{cryptography} for the probe's
    InstallCertificate, DeleteCertificate and SignedUpdateFirmware; the
    root's CertificateHashData computed here, as the whitepaper says
    (SHA-256 of the issuer's DER name and of its public key's bits, the
    serial number in hexadecimal), independently of the charge point.
    """

    def __init__(self) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        now = datetime.now(timezone.utc)
        root_key = ec.generate_private_key(ec.SECP256R1())
        signing_key = ec.generate_private_key(ec.SECP256R1())
        root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "interop manufacturer root")])
        root = (
            x509.CertificateBuilder()
            .subject_name(root_name).issuer_name(root_name)
            .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(root_key, hashes.SHA256())
        )
        signing = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "interop firmware signer")]))
            .issuer_name(root_name)
            .public_key(signing_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=30))
            .sign(root_key, hashes.SHA256())
        )
        self.root_pem = root.public_bytes(serialization.Encoding.PEM).decode("ascii")
        self.signing_pem = signing.public_bytes(serialization.Encoding.PEM).decode("ascii")
        # a real ECDSA signature, of other bytes than the firmware's
        self.wrong_signature = base64.b64encode(
            signing_key.sign(b"not the firmware", ec.ECDSA(hashes.SHA256()))
        ).decode("ascii")
        key_bits = root_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.root_hash_data = {
            "hashAlgorithm": "SHA256",
            "issuerNameHash": hashlib.sha256(root.issuer.public_bytes()).hexdigest(),
            "issuerKeyHash": hashlib.sha256(key_bits).hexdigest(),
            "serialNumber": format(root.serial_number, "x"),
        }


class Probe:
    """
    The probe's state for one process: its options, which identities it
    ran for, each identity's current connection, the transaction ids it
    hands out, and who waits for which request of a charge point (across
    reconnections: a firmware update may reboot it).
    """

    def __init__(self, options: argparse.Namespace) -> None:
        self.options = options
        self.probed: set[str] = set()
        self.connections: dict[str, "ProbedChargePoint"] = {}
        self.transaction_ids = itertools.count(1)
        self.done = asyncio.get_running_loop().create_future()
        self._waiting: list[tuple] = []

    def expect(self, identity: str, action: str, statuses=None) -> asyncio.Future:
        """
        @param statuses: if given, only a request whose C{status} is one of
            these counts.
        @return: a future of the next request of C{action} that
            C{identity} sends (its payload, once answered).
        """
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((identity, action, statuses, future))
        return future

    async def wait(self, future: asyncio.Future, identity: str, what: str):
        """
        Wait for a future of L{expect}, at most C{--transfer-timeout}
        seconds (a C{problem} line then).

        @return: the request, or C{None} when none came in time.
        """
        try:
            return await asyncio.wait_for(future, self.options.transfer_timeout)
        except asyncio.TimeoutError:
            emit("problem", identity=identity, problem=f"no {what} within {self.options.transfer_timeout:g} s")
            return None
        finally:
            self._waiting = [entry for entry in self._waiting if entry[3] is not future]

    def forget(self, future: asyncio.Future) -> None:
        """
        Stop waiting for a future of L{expect} (its call was not accepted).
        """
        self._waiting = [entry for entry in self._waiting if entry[3] is not future]
        future.cancel()

    def heard(self, identity: str, action: str, request: dict) -> None:
        """
        A charge point's request was answered: wake who waits for it.
        """
        for entry in list(self._waiting):
            who, expected, statuses, future = entry
            if (who, expected) != (identity, action) or future.done():
                continue
            if statuses is None or request.get("status") in statuses:
                self._waiting.remove(entry)
                future.set_result(request)


class ProbedChargePoint(ChargePoint):
    """
    One connected charge point, seen from the central system: answers what
    it sends, logs it, and runs the probe after its first accepted boot.
    """

    def __init__(self, identity: str, connection, probe: Probe) -> None:
        super().__init__(identity, connection, response_timeout=probe.options.call_timeout)
        self._probe = probe
        self._requests: dict[str, tuple[str, dict]] = {}
        self._answers: dict[str, tuple[int, object]] = {}
        self._transaction_id = 0
        self._task = None

    # -- frames: keep the wire payloads, to print them as they were -------------

    async def route_message(self, raw_msg):
        try:
            frame = json.loads(raw_msg)
        except ValueError:
            frame = None
        if isinstance(frame, list) and len(frame) >= 3:
            if frame[0] == 2 and len(frame) == 4:
                self._requests[frame[1]] = (frame[2], frame[3])
            elif frame[0] == 3:
                self._answers[frame[1]] = (3, frame[2])
            elif frame[0] == 4 and len(frame) >= 4:
                self._answers[frame[1]] = (4, {"error": frame[2], "description": frame[3]})
        await super().route_message(raw_msg)

    async def _send(self, message):
        frame = json.loads(message)
        if frame[0] in (3, 4) and frame[1] in self._requests:
            action, request = self._requests.pop(frame[1])
            response = frame[2] if frame[0] == 3 else {"error": frame[2], "description": frame[3]}
            emit("received", identity=self.id, action=action, request=request, response=response)
            self._probe.heard(self.id, action, request)
        await super()._send(message)

    # -- what a charge point sends ---------------------------------------------------

    @on(Action.boot_notification)
    def on_boot_notification(self, charge_point_vendor, charge_point_model, **kwargs):
        self._probe.connections[self.id] = self
        return call_result.BootNotification(
            current_time=timestamp(),
            interval=self._probe.options.heartbeat_interval,
            status="Accepted",
        )

    @after(Action.boot_notification)
    def start_probe(self, **kwargs):
        # Once per identity: a charge point that boots again (after the
        # probe's Reset, or an update's reboot) is only answered.
        if self._probe.options.no_probe or self.id in self._probe.probed:
            return
        self._probe.probed.add(self.id)
        self._task = asyncio.ensure_future(self.run_probe())

    @on(Action.heartbeat)
    def on_heartbeat(self, **kwargs):
        return call_result.Heartbeat(current_time=timestamp())

    @on(Action.status_notification)
    def on_status_notification(self, **kwargs):
        return call_result.StatusNotification()

    @on(Action.authorize)
    def on_authorize(self, id_tag, **kwargs):
        return call_result.Authorize(id_tag_info={"status": "Accepted"})

    @on(Action.start_transaction)
    def on_start_transaction(self, **kwargs):
        self._transaction_id = next(self._probe.transaction_ids)
        return call_result.StartTransaction(
            transaction_id=self._transaction_id, id_tag_info={"status": "Accepted"}
        )

    @on(Action.meter_values)
    def on_meter_values(self, **kwargs):
        return call_result.MeterValues()

    @on(Action.stop_transaction)
    def on_stop_transaction(self, id_tag=None, **kwargs):
        if id_tag is None:
            return call_result.StopTransaction()
        return call_result.StopTransaction(id_tag_info={"status": "Accepted"})

    @on(Action.data_transfer)
    def on_data_transfer(self, vendor_id, **kwargs):
        return call_result.DataTransfer(status="UnknownVendorId")

    @on(Action.diagnostics_status_notification)
    def on_diagnostics_status_notification(self, status, **kwargs):
        return call_result.DiagnosticsStatusNotification()

    @on(Action.firmware_status_notification)
    def on_firmware_status_notification(self, status, **kwargs):
        return call_result.FirmwareStatusNotification()

    @on(Action.log_status_notification)
    def on_log_status_notification(self, status, **kwargs):
        return call_result.LogStatusNotification()

    @on(Action.security_event_notification)
    def on_security_event_notification(self, type, timestamp, **kwargs):
        return call_result.SecurityEventNotification()

    @on(Action.sign_certificate)
    def on_sign_certificate(self, csr, **kwargs):
        # No certificate authority here: the request is refused.
        return call_result.SignCertificate(status="Rejected")

    @on(Action.signed_firmware_status_notification)
    def on_signed_firmware_status_notification(self, status, **kwargs):
        return call_result.SignedFirmwareStatusNotification()

    # -- the probe ---------------------------------------------------------------------

    async def probe_call(self, payload, case: str = "") -> dict:
        """
        Send one CALL, print its outcome as a C{probe} line.

        @return: the outcome (see the module's docstring).
        """
        unique_id = str(uuid.uuid4())
        action = type(payload).__name__
        try:
            await self.call(payload, suppress=False, unique_id=unique_id)
        except OCPPError as error:
            kind, answer = self._answers.get(unique_id, (None, None))
            if kind == 3:
                outcome = {"invalid": str(error), "result": answer}
            elif kind == 4:
                outcome = answer
            else:
                # refused before it was sent: the package's schemas
                outcome = {"not_sent": str(error)}
        except asyncio.TimeoutError:
            outcome = {"timeout": self._probe.options.call_timeout}
        except ConnectionClosed as error:
            outcome = {"closed": str(error)}
        else:
            outcome = {"result": self._answers[unique_id][1]}
        self._answers.pop(unique_id, None)
        request = remove_nones(snake_to_camel_case(serialize_as_dict(payload)))
        emit("probe", identity=self.id, action=action, case=case, request=request, outcome=outcome)
        return outcome

    async def run_probe(self) -> None:
        """
        Send every CS-initiated call, in an order where each finds the
        charge point as its case needs (a transaction for RemoteStop and a
        TxProfile, Reset last), then print the summary.
        """
        outcomes = []
        began = asyncio.get_running_loop().time()
        try:
            async for outcome in self._probe_calls():
                outcomes.append(outcome)
        except ConnectionClosed as error:
            outcomes.append({"closed": str(error)})
        except Exception as error:  # the summary still comes
            logging.exception("probe failed")
            outcomes.append({"closed": f"probe failed: {error!r}"})
        errors = Counter(o["error"] for o in outcomes if "error" in o)
        emit(
            "summary",
            identity=self.id,
            calls=len(outcomes),
            results=sum(1 for o in outcomes if "result" in o and "invalid" not in o),
            errors=dict(errors),
            invalid=sum(1 for o in outcomes if "invalid" in o or "not_sent" in o),
            timeouts=sum(1 for o in outcomes if "timeout" in o),
            closed=sum(1 for o in outcomes if "closed" in o),
            seconds=round(asyncio.get_running_loop().time() - began, 3),
        )
        if not self._probe.done.done():
            self._probe.done.set_result(None)

    async def _probe_calls(self):
        options = self._probe.options
        connector = options.connector
        other = options.other_connector
        tag = options.id_tag

        # Core: configuration, cache, data transfer, availability, unlock
        yield await self.probe_call(call.GetConfiguration(), "every key")
        yield await self.probe_call(
            call.GetConfiguration(key=["HeartbeatInterval", "NoSuchKey"]), "a known and an unknown key"
        )
        yield await self.probe_call(
            call.ChangeConfiguration(key="MeterValueSampleInterval", value="60"), "a writable key"
        )
        yield await self.probe_call(
            call.ChangeConfiguration(key="NoSuchKey", value="1"), "an unknown key"
        )
        yield await self.probe_call(
            call.ChangeConfiguration(key="NumberOfConnectors", value="9"), "a read-only key"
        )
        yield await self.probe_call(call.ClearCache())
        yield await self.probe_call(
            call.DataTransfer(vendor_id=VENDOR_ID, message_id="probe", data="hello"), "an unknown vendor"
        )
        yield await self.probe_call(
            call.ChangeAvailability(connector_id=other, type="Inoperative"), "an idle connector"
        )
        yield await self.probe_call(
            call.ChangeAvailability(connector_id=other, type="Operative"), "back to operative"
        )
        yield await self.probe_call(
            call.ChangeAvailability(connector_id=99, type="Inoperative"), "no such connector"
        )
        yield await self.probe_call(call.UnlockConnector(connector_id=connector), "an idle connector")
        yield await self.probe_call(call.UnlockConnector(connector_id=99), "no such connector")

        # Remote Trigger: each message
        for message in (
            "BootNotification",
            "DiagnosticsStatusNotification",
            "FirmwareStatusNotification",
            "Heartbeat",
            "MeterValues",
            "StatusNotification",
        ):
            yield await self.probe_call(
                call.TriggerMessage(requested_message=message, connector_id=connector), message
            )
        yield await self.probe_call(
            call.TriggerMessage(requested_message="StatusNotification", connector_id=99),
            "StatusNotification of no such connector",
        )

        # Local Auth List Management
        yield await self.probe_call(call.GetLocalListVersion(), "before any list")
        yield await self.probe_call(
            call.SendLocalList(
                list_version=1,
                update_type="Full",
                local_authorization_list=[
                    {"idTag": "LOCAL-1", "idTagInfo": {"status": "Accepted"}},
                    {"idTag": "LOCAL-2", "idTagInfo": {"status": "Blocked"}},
                ],
            ),
            "Full, version 1",
        )
        differential = call.SendLocalList(
            list_version=2,
            update_type="Differential",
            local_authorization_list=[
                {
                    "idTag": "LOCAL-3",
                    "idTagInfo": {"status": "Accepted", "expiryDate": timestamp(timedelta(days=1))},
                },
                {"idTag": "LOCAL-2"},
            ],
        )
        yield await self.probe_call(differential, "Differential, version 2: one added, one removed")
        yield await self.probe_call(differential, "Differential, version 2 again")
        yield await self.probe_call(call.GetLocalListVersion(), "after the lists")

        # Reservation, on an idle connector
        reserve = call.ReserveNow(
            connector_id=connector, expiry_date=timestamp(timedelta(hours=1)), id_tag="RESERVER", reservation_id=1
        )
        yield await self.probe_call(reserve, "an idle connector")
        yield await self.probe_call(reserve, "the same reservationId again")
        yield await self.probe_call(call.CancelReservation(reservation_id=1), "a known reservation")
        yield await self.probe_call(call.CancelReservation(reservation_id=999), "an unknown reservation")

        # A remote transaction, and Smart Charging while it runs
        started = self._probe.expect(self.id, "StartTransaction")
        outcome = await self.probe_call(
            call.RemoteStartTransaction(id_tag=tag, connector_id=connector), "an idle connector"
        )
        yield outcome
        transaction_id = 0
        if self._accepted(outcome):
            if await self._probe.wait(started, self.id, "StartTransaction after RemoteStartTransaction"):
                transaction_id = self._transaction_id
        else:
            self._probe.forget(started)
        yield await self.probe_call(
            call.SetChargingProfile(
                connector_id=connector,
                cs_charging_profiles={
                    "chargingProfileId": 1,
                    "transactionId": transaction_id,
                    "stackLevel": 0,
                    "chargingProfilePurpose": "TxProfile",
                    "chargingProfileKind": "Relative",
                    "chargingSchedule": {
                        "chargingRateUnit": "A",
                        "chargingSchedulePeriod": [
                            {"startPeriod": 0, "limit": 16.0},
                            {"startPeriod": 600, "limit": 10.0},
                        ],
                    },
                },
            ),
            "TxProfile of the running transaction",
        )
        yield await self.probe_call(
            call.SetChargingProfile(
                connector_id=0,
                cs_charging_profiles={
                    "chargingProfileId": 2,
                    "stackLevel": 0,
                    "chargingProfilePurpose": "TxDefaultProfile",
                    "chargingProfileKind": "Absolute",
                    "chargingSchedule": {
                        "duration": 3600,
                        "startSchedule": timestamp(),
                        "chargingRateUnit": "A",
                        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 32.0, "numberPhases": 3}],
                    },
                },
            ),
            "TxDefaultProfile on connector 0",
        )
        yield await self.probe_call(
            call.SetChargingProfile(
                connector_id=0,
                cs_charging_profiles={
                    "chargingProfileId": 3,
                    "stackLevel": 0,
                    "chargingProfilePurpose": "ChargePointMaxProfile",
                    "chargingProfileKind": "Absolute",
                    "chargingSchedule": {
                        "startSchedule": timestamp(),
                        "chargingRateUnit": "W",
                        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 11000.0}],
                    },
                },
            ),
            "ChargePointMaxProfile",
        )
        yield await self.probe_call(
            call.SetChargingProfile(
                connector_id=other,
                cs_charging_profiles={
                    "chargingProfileId": 4,
                    "transactionId": 424242,
                    "stackLevel": 0,
                    "chargingProfilePurpose": "TxProfile",
                    "chargingProfileKind": "Relative",
                    "chargingSchedule": {
                        "chargingRateUnit": "A",
                        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 6.0}],
                    },
                },
            ),
            "TxProfile on a connector without a transaction",
        )
        yield await self.probe_call(
            call.GetCompositeSchedule(connector_id=connector, duration=3600, charging_rate_unit="A"),
            "the busy connector, in A",
        )
        yield await self.probe_call(
            call.GetCompositeSchedule(connector_id=0, duration=3600, charging_rate_unit="W"),
            "the charge point (connector 0), in W",
        )
        yield await self.probe_call(
            call.GetCompositeSchedule(connector_id=99, duration=3600), "no such connector"
        )
        yield await self.probe_call(
            call.ReserveNow(
                connector_id=connector,
                expiry_date=timestamp(timedelta(hours=1)),
                id_tag="RESERVER",
                reservation_id=2,
            ),
            "the busy connector",
        )
        stopped = self._probe.expect(self.id, "StopTransaction")
        outcome = await self.probe_call(
            call.RemoteStopTransaction(transaction_id=transaction_id), "the running transaction"
        )
        yield outcome
        if self._accepted(outcome):
            await self._probe.wait(stopped, self.id, "StopTransaction after RemoteStopTransaction")
        else:
            self._probe.forget(stopped)
        yield await self.probe_call(
            call.RemoteStopTransaction(transaction_id=999999), "an unknown transaction"
        )
        yield await self.probe_call(call.ClearChargingProfile(id=2), "a known chargingProfileId")
        yield await self.probe_call(
            call.ClearChargingProfile(connector_id=0, charging_profile_purpose="ChargePointMaxProfile"),
            "by connector and purpose",
        )
        yield await self.probe_call(call.ClearChargingProfile(id=999), "an unknown chargingProfileId")

        # Firmware Management: diagnostics (the upload's end awaited, so
        # that what follows finds the charge point idle)
        uploaded = self._probe.expect(self.id, "DiagnosticsStatusNotification", ("Uploaded", "UploadFailed"))
        outcome = await self.probe_call(
            call.GetDiagnostics(location=options.diagnostics_url, retries=1, retry_interval=1),
            "upload to --diagnostics-url",
        )
        yield outcome
        if "result" in outcome and outcome["result"].get("fileName"):
            await self._probe.wait(uploaded, self.id, "DiagnosticsStatusNotification Uploaded or UploadFailed")
        else:
            self._probe.forget(uploaded)

        # Security Whitepaper (its OCPP 1.6 messages): a manufacturer root
        # made here is installed, listed by its hash data (computed here, not
        # by the charge point), used for a signed firmware whose signature is
        # wrong, then deleted
        pki = ManufacturerPki()
        yield await self.probe_call(
            call.ExtendedTriggerMessage(requested_message="Heartbeat"), "Heartbeat"
        )
        yield await self.probe_call(
            call.GetInstalledCertificateIds(certificate_type="CentralSystemRootCertificate"),
            "CentralSystemRootCertificate",
        )
        yield await self.probe_call(
            call.DeleteCertificate(
                certificate_hash_data={
                    "hashAlgorithm": "SHA256",
                    "issuerNameHash": "0" * 64,
                    "issuerKeyHash": "0" * 64,
                    "serialNumber": "01",
                }
            ),
            "an unknown certificate",
        )
        yield await self.probe_call(
            call.InstallCertificate(
                certificate_type="CentralSystemRootCertificate",
                certificate="-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
            ),
            "a malformed certificate",
        )
        yield await self.probe_call(
            call.InstallCertificate(certificate_type="ManufacturerRootCertificate", certificate=pki.root_pem),
            "a ManufacturerRootCertificate made by the probe",
        )
        yield await self.probe_call(
            call.GetInstalledCertificateIds(certificate_type="ManufacturerRootCertificate"),
            "ManufacturerRootCertificate, once installed",
        )
        yield await self.probe_call(
            call.CertificateSigned(
                certificate_chain="-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"
            ),
            "a malformed chain",
        )
        logged = self._probe.expect(self.id, "LogStatusNotification", ("Uploaded", "UploadFailure"))
        outcome = await self.probe_call(
            call.GetLog(
                log={"remoteLocation": options.diagnostics_url},
                log_type="DiagnosticsLog",
                request_id=1,
                retries=1,
                retry_interval=1,
            ),
            "DiagnosticsLog to --diagnostics-url",
        )
        yield outcome
        if self._accepted(outcome):
            await self._probe.wait(logged, self.id, "LogStatusNotification Uploaded or UploadFailure")
        else:
            self._probe.forget(logged)
        yield await self.probe_call(
            call.SignedUpdateFirmware(
                request_id=2,
                firmware={
                    "location": options.firmware_url,
                    "retrieveDateTime": timestamp(),
                    "signingCertificate": "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n"
                    "-----END CERTIFICATE-----\n",
                    "signature": "bm90IGEgc2lnbmF0dXJl",
                },
            ),
            "an unverifiable signature",
        )
        verified = self._probe.expect(
            self.id, "SignedFirmwareStatusNotification",
            ("InvalidSignature", "SignatureVerified", "DownloadFailed"),
        )
        outcome = await self.probe_call(
            call.SignedUpdateFirmware(
                request_id=3,
                retries=1,
                retry_interval=1,
                firmware={
                    "location": options.firmware_url,
                    "retrieveDateTime": timestamp(),
                    "signingCertificate": pki.signing_pem,
                    "signature": pki.wrong_signature,
                },
            ),
            "a valid signing certificate, a wrong signature",
        )
        yield outcome
        if self._accepted(outcome):
            await self._probe.wait(verified, self.id, "SignedFirmwareStatusNotification of the verification")
        else:
            self._probe.forget(verified)
        yield await self.probe_call(
            call.DeleteCertificate(certificate_hash_data=pki.root_hash_data),
            "the ManufacturerRootCertificate installed",
        )

        # Firmware Management: the update, its end awaited (an installation
        # may reboot the charge point: the reset then goes to the identity's
        # new connection), then the reset
        installed = self._probe.expect(
            self.id, "FirmwareStatusNotification", ("Installed", "InstallationFailed", "DownloadFailed")
        )
        outcome = await self.probe_call(
            call.UpdateFirmware(
                location=options.firmware_url, retrieve_date=timestamp(), retries=1, retry_interval=1
            ),
            "download from --firmware-url now",
        )
        yield outcome
        if "result" in outcome:
            await self._probe.wait(installed, self.id, "FirmwareStatusNotification of the update's end")
        else:
            self._probe.forget(installed)
        current = self._probe.connections.get(self.id, self)
        yield await current.probe_call(call.Reset(type="Soft"), "last")

    @staticmethod
    def _accepted(outcome: dict) -> bool:
        return outcome.get("result", {}).get("status") == "Accepted"


async def on_connect(connection, probe: Probe) -> None:
    """
    Serve one WebSocket connection: C{ws://host:port/<path>/<identity>}.
    """
    if connection.subprotocol != "ocpp1.6":
        emit("refused", path=connection.request.path, reason="subprotocol ocpp1.6 required")
        await connection.close(1002, "subprotocol ocpp1.6 required")
        return
    identity = connection.request.path.rstrip("/").rsplit("/", 1)[-1]
    security = {}
    authorization = connection.request.headers.get("Authorization", "")
    if authorization.startswith("Basic "):
        # Security Profiles 1 and 2: the user (the identity) and password.
        user, _, password = base64.b64decode(authorization[6:]).decode("utf-8").partition(":")
        security.update(basicUser=user, basicPassword=password)
    peer_certificate = connection.transport.get_extra_info("peercert")
    if peer_certificate:
        # Security Profile 3: the client certificate's subject CN.
        names = [value for rdn in peer_certificate.get("subject", ()) for key, value in rdn if key == "commonName"]
        security.update(clientCertificateCN=names[0] if names else None)
    emit("connected", identity=identity, subprotocol=connection.subprotocol, **security)
    charge_point = ProbedChargePoint(identity, connection, probe)
    try:
        await charge_point.start()
    except ConnectionClosed as closed:
        emit("disconnected", identity=identity, code=closed.rcvd.code if closed.rcvd else None)


async def main(options: argparse.Namespace) -> None:
    """
    Listen until SIGTERM or SIGINT (or the probe's end, with
    C{--exit-after-probe}).
    """
    loop = asyncio.get_running_loop()
    probe = Probe(options)
    stop = loop.create_future()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, lambda: stop.done() or stop.set_result(None))
    secure = {}
    if options.tls_cert is not None:
        # Security Profiles 2 and 3: TLS 1.2 or above; with --tls-ca a
        # client certificate that CA signed is required.
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(options.tls_cert, options.tls_key)
        if options.tls_ca is not None:
            context.load_verify_locations(options.tls_ca)
            context.verify_mode = ssl.CERT_REQUIRED
        secure["ssl"] = context
    async with serve(
        lambda connection: on_connect(connection, probe),
        options.interface,
        options.port,
        subprotocols=["ocpp1.6"],
        ping_interval=None,
        **secure,
    ) as server:
        host, port = server.sockets[0].getsockname()[:2]
        emit("listening", host=host, port=port)
        waits = [stop]
        if options.exit_after_probe:
            waits.append(probe.done)
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)


def parse_options(argv=None) -> argparse.Namespace:
    """
    @return: the command line's options.
    """
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--port", type=int, default=9000, help="0: any free port (printed)")
    parser.add_argument("--interface", default="127.0.0.1")
    parser.add_argument("--heartbeat-interval", type=int, default=300,
                        help="the interval BootNotification.conf gives")
    parser.add_argument("--call-timeout", type=float, default=10.0,
                        help="seconds to wait for each answer")
    parser.add_argument("--firmware-url", default="http://127.0.0.1:8000/firmware.bin",
                        help="UpdateFirmware's location")
    parser.add_argument("--diagnostics-url", default="http://127.0.0.1:8000/diagnostics/",
                        help="GetDiagnostics' and GetLog's location")
    parser.add_argument("--transfer-timeout", type=float, default=30.0,
                        help="seconds to wait for a transaction, an upload or an update to end")
    parser.add_argument("--id-tag", default="INTEROP-1", help="the idTag of RemoteStartTransaction")
    parser.add_argument("--connector", type=int, default=1, help="the connector of the probe's transaction")
    parser.add_argument("--other-connector", type=int, default=2, help="a connector left idle")
    parser.add_argument("--no-probe", action="store_true", help="only answer, never call")
    parser.add_argument("--exit-after-probe", action="store_true", help="stop after the summary")
    parser.add_argument("--tls-cert", default=None,
                        help="PEM file of the server certificate (then its chain): listen with TLS")
    parser.add_argument("--tls-key", default=None, help="PEM file of its key (default: in the certificate file)")
    parser.add_argument("--tls-ca", default=None,
                        help="PEM file of the CA that signs charge point certificates: require one (profile 3)")
    parser.add_argument("--verbose", action="store_true", help="the ocpp package's own log, on stderr")
    return parser.parse_args(argv)


if __name__ == "__main__":
    options = parse_options()
    logging.basicConfig(level=logging.INFO if options.verbose else logging.WARNING, stream=sys.stderr)
    if not options.verbose:
        # the package logs every CALLERROR as a warning; the probe lines say it already
        logging.getLogger("ocpp").setLevel(logging.ERROR)
    asyncio.run(main(options))
