"""
The default central system's behaviour, as a plugin registered first (so
every installed plugin overrides it): registration, authorization from the
id-tag table, transactions, and storage of everything charge points report.
"""

from typing import Any

from twisted.logger import Logger

from openocpp.centralsystem.credentials import CredentialsPolicy, PasswordVerifier
from openocpp.hookspecs import hookimpl
from openocpp.messages import core, security
from openocpp.messages.datatypes import IdTagInfo
from openocpp.messages.enums import (
    AuthorizationStatus,
    DataTransferStatus,
    GenericStatusEnumType,
    RegistrationStatus,
)
from openocpp.messages.errors import ErrorCode
from openocpp.rpc.errors import CallError
from openocpp.transport.connection import format_peer

_POLICY_STATUS = {
    "accept": RegistrationStatus.ACCEPTED,
    "pending": RegistrationStatus.PENDING,
    "reject": RegistrationStatus.REJECTED,
}


class DefaultCentralSystemBehaviour:
    """
    The built-in answers of C{twistd openocpp centralsystem}.

    L{openocpp.centralsystem.service.CentralSystem} builds it with its
    store and a credentials policy hashing in the service's thread pool;
    build one by hand only to use it without a service (tests, a request
    handler of its own).

    @param store: the L{openocpp.centralsystem.store.CentralSystemStore}.
    @param config: the L{openocpp.centralsystem.interfaces.ICentralSystemConfig}.
    @param credentials: the
        L{openocpp.centralsystem.credentials.CredentialsPolicy} deciding on
        connections; by default one checking passwords on the calling
        thread (the central system service gives one with a thread pool).
    """

    log = Logger()

    def __init__(self, store: Any, config: Any, credentials: Any = None, issuer: Any = None) -> None:
        self._store = store
        self._config = config
        # The CertificateIssuer signing CSRs, or None (SignCertificate is
        # then Rejected).
        self._issuer = issuer
        if credentials is None:
            credentials = CredentialsPolicy(store, config, PasswordVerifier())
        self._credentials = credentials
        # One log line per request only when every message is logged too:
        # at thousands of messages a second, formatting them costs more
        # than answering them.
        self._verbose = config.log_frames

    # -- connections ------------------------------------------------------

    @hookimpl
    def openocpp_cs_check_credentials(self, identity, password, certificate, peer):
        """
        The registered credentials decide (see
        L{openocpp.centralsystem.credentials.CredentialsPolicy}).
        """
        return self._credentials.check(identity, password, certificate, peer)

    @hookimpl
    def openocpp_cs_charge_point_connected(self, charge_point):
        self._store.touch(charge_point.identity)
        # The transport logged the connection (peer, profile) at info.
        self.log.debug(
            "Charge point {identity} connected from {peer}",
            identity=charge_point.identity,
            peer=format_peer(charge_point.peer),
        )

    @hookimpl
    def openocpp_cs_charge_point_disconnected(self, charge_point):
        self._store.touch(charge_point.identity)
        # The transport logged the disconnection (duration, reason) at info.
        self.log.debug("Charge point {identity} disconnected", identity=charge_point.identity)

    # -- registration -----------------------------------------------------

    @hookimpl
    def openocpp_cs_boot_notification(self, charge_point, request):
        identity = charge_point.identity
        if self._store.is_approved(identity):
            status = RegistrationStatus.ACCEPTED
        else:
            status = _POLICY_STATUS[self._config.unknown_charge_points]
        if status is RegistrationStatus.ACCEPTED and self._config.pending_on_key_failure:
            # A01.FR.05: connected, but restricted until a new key is
            # accepted (the central system may send it while Pending).
            refusal = self._store.key_refusal(identity)
            if refusal is not None:
                status = RegistrationStatus.PENDING
                self.log.warn(
                    "Boot of {identity} answered Pending until a new AuthorizationKey is accepted: {refusal}",
                    identity=identity,
                    refusal=refusal,
                )
        self._store.record_boot(identity, request, status)
        if status is RegistrationStatus.ACCEPTED and not self._store.is_approved(identity):
            self._store.register_charge_point(identity)
        self.log.info(
            "Boot of {identity} ({vendor} {model}, firmware {firmware}): {status}",
            identity=identity,
            vendor=request.charge_point_vendor,
            model=request.charge_point_model,
            firmware=request.firmware_version or "not given",
            status=str(status),
        )
        return self._store.when_committed(
            core.BootNotificationResponse(
                status=status,
                current_time=self._store.now(),
                interval=self._config.heartbeat_interval,
            )
        )

    def _require_accepted(self, charge_point: Any, action: str) -> None:
        # OCPP 1.6 section 4.2: a rejected charge point sends nothing until it
        # boots again; one that never booted here is judged by the policy.
        status = self._store.registration_status(charge_point.identity)
        if status is None and self._store.is_approved(charge_point.identity):
            return
        if status is None:
            status = str(_POLICY_STATUS[self._config.unknown_charge_points])
        if status == RegistrationStatus.REJECTED:
            raise CallError(
                ErrorCode.SECURITY_ERROR,
                f"{action} refused: this charge point's registration was rejected; "
                "send BootNotification",
            )

    @hookimpl
    def openocpp_cs_heartbeat(self, charge_point, request):
        # Nothing to store: the central system notes every message a charge
        # point sends as its last sign of life (CentralSystemStore.touch).
        return self._store.when_committed(core.HeartbeatResponse(current_time=self._store.now()))

    # -- authorization and transactions -----------------------------------

    def id_tag_info(self, id_tag: str) -> IdTagInfo:
        """
        What the central system says of an id tag: its stored status, with
        C{Expired} past its expiry date, C{Invalid} when unknown (or
        C{Accepted} when every tag is).
        """
        record = self._store.id_tag(id_tag)
        if record is None:
            status = (
                AuthorizationStatus.ACCEPTED
                if self._config.accept_any_id_tag
                else AuthorizationStatus.INVALID
            )
            return IdTagInfo(status=status)
        status = AuthorizationStatus(record.status)
        if (
            status is AuthorizationStatus.ACCEPTED
            and record.expiry_date is not None
            and record.expiry_date <= self._store.now()
        ):
            status = AuthorizationStatus.EXPIRED
        return IdTagInfo(
            status=status,
            expiry_date=record.expiry_date,
            parent_id_tag=record.parent_id_tag,
        )

    @hookimpl
    def openocpp_cs_authorize(self, charge_point, request):
        self._require_accepted(charge_point, "Authorize")
        info = self.id_tag_info(request.id_tag)
        if self._verbose:
            self.log.debug(
                "Authorize {id_tag} at {identity}: {status}",
                id_tag=request.id_tag,
                identity=charge_point.identity,
                status=str(info.status),
            )
        return core.AuthorizeResponse(id_tag_info=info)

    @hookimpl
    def openocpp_cs_start_transaction(self, charge_point, request):
        self._require_accepted(charge_point, "StartTransaction")
        # Recorded (and committed) before the answer goes out, even for a tag
        # that is not accepted: the charge point has started charging and
        # will stop the transaction itself (OCPP 1.6 section 4.8).
        transaction_id = self._store.start_transaction(charge_point.identity, request)
        if request.reservation_id is not None:
            # The reservation ends as used: one indexed statement, for the
            # transactions that name one only.
            self._store.use_reservation(charge_point.identity, request.reservation_id, transaction_id)
        info = self.id_tag_info(request.id_tag)
        if self._verbose:
            self.log.debug(
                "Transaction {transaction_id} started at {identity} connector {connector_id} "
                "for {id_tag}: {status}",
                transaction_id=transaction_id,
                identity=charge_point.identity,
                connector_id=request.connector_id,
                id_tag=request.id_tag,
                status=str(info.status),
            )
        # Answered once the record is committed: the transaction id is
        # durable before the charge point learns it.
        return self._store.when_committed(
            core.StartTransactionResponse(transaction_id=transaction_id, id_tag_info=info)
        )

    @hookimpl
    def openocpp_cs_stop_transaction(self, charge_point, request):
        self._require_accepted(charge_point, "StopTransaction")
        known = self._store.stop_transaction(charge_point.identity, request)
        if not known:
            self.log.warn(
                "StopTransaction for unknown transaction {transaction_id} from {identity}",
                transaction_id=request.transaction_id,
                identity=charge_point.identity,
            )
        elif self._verbose:
            self.log.debug(
                "Transaction {transaction_id} stopped at {identity}: {reason}",
                transaction_id=request.transaction_id,
                identity=charge_point.identity,
                # Section 6.49: no reason means Local.
                reason=str(request.reason or "Local"),
            )
        info = None if request.id_tag is None else self.id_tag_info(request.id_tag)
        return self._store.when_committed(core.StopTransactionResponse(id_tag_info=info))

    @hookimpl
    def openocpp_cs_meter_values(self, charge_point, request):
        self._require_accepted(charge_point, "MeterValues")
        if not self._store.record_meter_values(charge_point.identity, request):
            # Acknowledged all the same: the charge point would only send
            # them again (OCPP 1.6 section 4.7 has no error to answer).
            self.log.warn(
                "MeterValues from {identity} name transaction {transaction_id}, not one of "
                "its own: stored attached to no transaction",
                identity=charge_point.identity,
                transaction_id=request.transaction_id,
            )
        return self._store.when_committed(core.MeterValuesResponse())

    @hookimpl
    def openocpp_cs_status_notification(self, charge_point, request):
        self._store.record_status(charge_point.identity, request)
        if self._verbose:
            self.log.debug(
                "{identity} connector {connector_id}: {status} ({error_code})",
                identity=charge_point.identity,
                connector_id=request.connector_id,
                status=str(request.status),
                error_code=str(request.error_code),
            )
        return self._store.when_committed(core.StatusNotificationResponse())

    # -- everything else charge points report -----------------------------

    @hookimpl
    def openocpp_cs_data_transfer(self, charge_point, request):
        # No vendor extension is built in: a plugin that knows the vendor
        # answers instead (OCPP 1.6 section 4.3).
        status = DataTransferStatus.UNKNOWN_VENDOR_ID
        self._store.record_data_transfer(charge_point.identity, "in", request, str(status))
        return self._store.when_committed(core.DataTransferResponse(status=status))

    @hookimpl
    def openocpp_cs_diagnostics_status_notification(self, charge_point, request):
        self._store.record_status_report(
            charge_point.identity, "DiagnosticsStatusNotification", str(request.status)
        )
        return self._store.when_committed(core.DiagnosticsStatusNotificationResponse())

    @hookimpl
    def openocpp_cs_firmware_status_notification(self, charge_point, request):
        self._store.record_status_report(
            charge_point.identity, "FirmwareStatusNotification", str(request.status)
        )
        return self._store.when_committed(core.FirmwareStatusNotificationResponse())

    @hookimpl
    def openocpp_cs_log_status_notification(self, charge_point, request):
        self._store.record_status_report(
            charge_point.identity, "LogStatusNotification", str(request.status), request.request_id
        )
        return self._store.when_committed(security.LogStatusNotificationResponse())

    @hookimpl
    def openocpp_cs_signed_firmware_status_notification(self, charge_point, request):
        self._store.record_status_report(
            charge_point.identity,
            "SignedFirmwareStatusNotification",
            str(request.status),
            request.request_id,
        )
        return self._store.when_committed(security.SignedFirmwareStatusNotificationResponse())

    @hookimpl
    def openocpp_cs_security_event_notification(self, charge_point, request):
        self._store.record_security_event(charge_point.identity, request)
        self.log.warn(
            "Security event from {identity}: {type}{tech_info}",
            identity=charge_point.identity,
            type=request.type,
            tech_info=f" ({request.tech_info})" if request.tech_info else "",
        )
        return self._store.when_committed(security.SecurityEventNotificationResponse())

    @hookimpl
    def openocpp_cs_sign_certificate(self, charge_point, request):
        if self._issuer is not None:
            # The configured CA checks and signs (openocpp.centralsystem.certificates).
            return self._issuer.answer(charge_point, request)
        self.log.warn(
            "SignCertificate from {identity} rejected: no certificate authority is "
            "configured (a plugin implementing openocpp_cs_sign_certificate signs CSRs)",
            identity=charge_point.identity,
        )
        return security.SignCertificateResponse(status=GenericStatusEnumType.REJECTED)
