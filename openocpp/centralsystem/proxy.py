"""
The central system's handle on one connected charge point.
"""

from typing import Any, Callable, Mapping

from twisted.internet.defer import Deferred, fail
from twisted.logger import Logger
from zope.interface import implementer

from openocpp.centralsystem.interfaces import IChargePointProxy
from openocpp.centralsystem.policy import refusal
from openocpp.messages import core, security


@implementer(IChargePointProxy)
class ChargePointProxy:
    """
    A connected charge point: a method per operation a central system may
    ask, each sending its request on the charge point's RPC session.

    @param session: the L{openocpp.rpc.interfaces.IRpcSession} of the
        connection.
    @param connection: the
        L{openocpp.transport.interfaces.IOcppConnection}.
    @param registration_status: the status of the last BootNotification.conf
        sent to this charge point, or C{None} if it never booted here; kept
        up to date by the central system as it answers BootNotifications.
    @param answer_observers: by action, a callback C{(response, request)}
        the answer to a call of that action passes through (and returns
        unchanged), for what the central system keeps of the answers it got:
        L{openocpp.centralsystem.chargingprofiles.ChargingProfileAnswers},
        L{openocpp.centralsystem.authorizationkey.AuthorizationKeyAnswers},
        L{openocpp.centralsystem.chargepointcertificates.CertificateAnswers};
        the calls of other actions pass through nothing.
    """

    log = Logger()

    def __init__(
        self,
        session: Any,
        connection: Any,
        registration_status: str | None = None,
        answer_observers: Mapping[str, Callable[[Any, Any], Any]] | None = None,
    ) -> None:
        self._session = session
        self._connection = connection
        self.identity = connection.identity
        self.peer = connection.peer
        self.security_profile = connection.security_profile
        self.client_certificate = connection.client_certificate
        self.connected = True
        self.registration_status = registration_status
        # Kept as given, not copied (one per connection).
        self._answer_observers = answer_observers if answer_observers is not None else {}

    @property
    def pending_calls(self) -> int:
        """
        Our calls to the charge point not answered yet (the metrics' queue
        depth).
        """
        return getattr(self._session, "pending_calls", 0)

    def __repr__(self) -> str:
        state = "connected" if self.connected else "disconnected"
        return f"<ChargePointProxy {self.identity!r} {state}>"

    def call(self, request: Any) -> Deferred:
        # What the spec forbids is not sent, whoever asks (the API, a
        # plugin): see openocpp.centralsystem.policy.
        refused = refusal(request, self.registration_status)
        if refused is not None:
            self.log.warn(
                "{action} to {identity} not sent: {reason}",
                action=refused.action,
                identity=self.identity,
                reason=refused.reason,
            )
            return fail(refused)
        answer = self._session.call(request)
        observer = self._answer_observers.get(request.action)
        if observer is not None:
            answer.addCallback(observer, request)
        return answer

    def disconnect(self) -> None:
        self._connection.close()

    # Core

    def change_availability(self, connector_id, type):
        return self.call(core.ChangeAvailabilityRequest(connector_id=connector_id, type=type))

    def change_configuration(self, key, value):
        return self.call(core.ChangeConfigurationRequest(key=key, value=value))

    def clear_cache(self):
        return self.call(core.ClearCacheRequest())

    def data_transfer(self, vendor_id, message_id=None, data=None):
        return self.call(
            core.DataTransferRequest(vendor_id=vendor_id, message_id=message_id, data=data)
        )

    def get_configuration(self, key=None):
        return self.call(core.GetConfigurationRequest(key=None if key is None else list(key)))

    def remote_start_transaction(self, id_tag, connector_id=None, charging_profile=None):
        return self.call(
            core.RemoteStartTransactionRequest(
                id_tag=id_tag, connector_id=connector_id, charging_profile=charging_profile
            )
        )

    def remote_stop_transaction(self, transaction_id):
        return self.call(core.RemoteStopTransactionRequest(transaction_id=transaction_id))

    def reset(self, type):
        return self.call(core.ResetRequest(type=type))

    def unlock_connector(self, connector_id):
        return self.call(core.UnlockConnectorRequest(connector_id=connector_id))

    # Firmware Management

    def get_diagnostics(self, location, retries=None, retry_interval=None, start_time=None, stop_time=None):
        return self.call(
            core.GetDiagnosticsRequest(
                location=location,
                retries=retries,
                retry_interval=retry_interval,
                start_time=start_time,
                stop_time=stop_time,
            )
        )

    def update_firmware(self, location, retrieve_date, retries=None, retry_interval=None):
        return self.call(
            core.UpdateFirmwareRequest(
                location=location,
                retrieve_date=retrieve_date,
                retries=retries,
                retry_interval=retry_interval,
            )
        )

    # Local Auth List Management

    def get_local_list_version(self):
        return self.call(core.GetLocalListVersionRequest())

    def send_local_list(self, list_version, update_type, local_authorization_list=None):
        return self.call(
            core.SendLocalListRequest(
                list_version=list_version,
                update_type=update_type,
                local_authorization_list=local_authorization_list,
            )
        )

    # Reservation

    def reserve_now(self, connector_id, expiry_date, id_tag, reservation_id, parent_id_tag=None):
        return self.call(
            core.ReserveNowRequest(
                connector_id=connector_id,
                expiry_date=expiry_date,
                id_tag=id_tag,
                reservation_id=reservation_id,
                parent_id_tag=parent_id_tag,
            )
        )

    def cancel_reservation(self, reservation_id):
        return self.call(core.CancelReservationRequest(reservation_id=reservation_id))

    # Smart Charging

    def clear_charging_profile(self, id=None, connector_id=None, charging_profile_purpose=None, stack_level=None):
        return self.call(
            core.ClearChargingProfileRequest(
                id=id,
                connector_id=connector_id,
                charging_profile_purpose=charging_profile_purpose,
                stack_level=stack_level,
            )
        )

    def get_composite_schedule(self, connector_id, duration, charging_rate_unit=None):
        return self.call(
            core.GetCompositeScheduleRequest(
                connector_id=connector_id, duration=duration, charging_rate_unit=charging_rate_unit
            )
        )

    def set_charging_profile(self, connector_id, cs_charging_profiles):
        return self.call(
            core.SetChargingProfileRequest(
                connector_id=connector_id, cs_charging_profiles=cs_charging_profiles
            )
        )

    # Remote Trigger

    def trigger_message(self, requested_message, connector_id=None):
        return self.call(
            core.TriggerMessageRequest(requested_message=requested_message, connector_id=connector_id)
        )

    # Security Whitepaper

    def certificate_signed(self, certificate_chain):
        return self.call(security.CertificateSignedRequest(certificate_chain=certificate_chain))

    def delete_certificate(self, certificate_hash_data):
        return self.call(security.DeleteCertificateRequest(certificate_hash_data=certificate_hash_data))

    def extended_trigger_message(self, requested_message, connector_id=None):
        return self.call(
            security.ExtendedTriggerMessageRequest(
                requested_message=requested_message, connector_id=connector_id
            )
        )

    def get_installed_certificate_ids(self, certificate_type):
        return self.call(security.GetInstalledCertificateIdsRequest(certificate_type=certificate_type))

    def get_log(self, log_type, request_id, log, retries=None, retry_interval=None):
        return self.call(
            security.GetLogRequest(
                log_type=log_type,
                request_id=request_id,
                log=log,
                retries=retries,
                retry_interval=retry_interval,
            )
        )

    def install_certificate(self, certificate_type, certificate):
        return self.call(
            security.InstallCertificateRequest(certificate_type=certificate_type, certificate=certificate)
        )

    def signed_update_firmware(self, request_id, firmware, retries=None, retry_interval=None):
        return self.call(
            security.SignedUpdateFirmwareRequest(
                request_id=request_id, firmware=firmware, retries=retries, retry_interval=retry_interval
            )
        )
