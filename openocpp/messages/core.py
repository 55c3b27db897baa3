"""
The requests and responses of OCPP 1.6 edition 2's 28 actions (Core,
Firmware Management, Local Auth List Management, Reservation, Smart
Charging and Remote Trigger profiles).

A request is C{<Action>Request} (the spec's C{.req}), its answer
C{<Action>Response} (the spec's C{.conf}). Optional fields default to
C{None} and are left out of the payload.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from openocpp.messages.datatypes import (
    AuthorizationData,
    ChargingProfile,
    ChargingSchedule,
    IdTagInfo,
    KeyValue,
    MeterValue,
)
from openocpp.messages.enums import (
    AvailabilityStatus,
    AvailabilityType,
    CancelReservationStatus,
    ChargePointErrorCode,
    ChargePointStatus,
    ChargingProfilePurposeType,
    ChargingProfileStatus,
    ChargingRateUnitType,
    ClearCacheStatus,
    ClearChargingProfileStatus,
    ConfigurationStatus,
    DataTransferStatus,
    DiagnosticsStatus,
    FirmwareStatus,
    GetCompositeScheduleStatus,
    MessageTrigger,
    Reason,
    RegistrationStatus,
    RemoteStartStopStatus,
    ReservationStatus,
    ResetStatus,
    ResetType,
    TriggerMessageStatus,
    UnlockStatus,
    UpdateStatus,
    UpdateType,
)


@dataclass(slots=True, kw_only=True)
class AuthorizeRequest:
    """Authorize.req, sent by the Charge Point: asks whether an idTag may start or stop charging (OCPP 1.6 section 4.1)."""

    action: ClassVar[str] = "Authorize"
    is_response: ClassVar[bool] = False

    id_tag: str


@dataclass(slots=True, kw_only=True)
class AuthorizeResponse:
    """Authorize.conf: the Central System's answer to L{AuthorizeRequest}."""

    action: ClassVar[str] = "Authorize"
    is_response: ClassVar[bool] = True

    id_tag_info: IdTagInfo


@dataclass(slots=True, kw_only=True)
class BootNotificationRequest:
    """BootNotification.req, sent by the Charge Point: registers the Charge Point after a (re)boot, with its make and versions (OCPP 1.6 section 4.2)."""

    action: ClassVar[str] = "BootNotification"
    is_response: ClassVar[bool] = False

    charge_point_vendor: str
    charge_point_model: str
    charge_point_serial_number: str | None = None
    charge_box_serial_number: str | None = None
    firmware_version: str | None = None
    iccid: str | None = None
    imsi: str | None = None
    meter_type: str | None = None
    meter_serial_number: str | None = None


@dataclass(slots=True, kw_only=True)
class BootNotificationResponse:
    """BootNotification.conf: the Central System's answer to L{BootNotificationRequest}."""

    action: ClassVar[str] = "BootNotification"
    is_response: ClassVar[bool] = True

    status: RegistrationStatus
    current_time: datetime
    interval: int


@dataclass(slots=True, kw_only=True)
class CancelReservationRequest:
    """CancelReservation.req, sent by the Central System: cancels a reservation (OCPP 1.6 section 5.1)."""

    action: ClassVar[str] = "CancelReservation"
    is_response: ClassVar[bool] = False

    reservation_id: int


@dataclass(slots=True, kw_only=True)
class CancelReservationResponse:
    """CancelReservation.conf: the Charge Point's answer to L{CancelReservationRequest}."""

    action: ClassVar[str] = "CancelReservation"
    is_response: ClassVar[bool] = True

    status: CancelReservationStatus


@dataclass(slots=True, kw_only=True)
class ChangeAvailabilityRequest:
    """ChangeAvailability.req, sent by the Central System: makes a connector (or the whole Charge Point) operative or inoperative (OCPP 1.6 section 5.2)."""

    action: ClassVar[str] = "ChangeAvailability"
    is_response: ClassVar[bool] = False

    connector_id: int
    type: AvailabilityType


@dataclass(slots=True, kw_only=True)
class ChangeAvailabilityResponse:
    """ChangeAvailability.conf: the Charge Point's answer to L{ChangeAvailabilityRequest}."""

    action: ClassVar[str] = "ChangeAvailability"
    is_response: ClassVar[bool] = True

    status: AvailabilityStatus


@dataclass(slots=True, kw_only=True)
class ChangeConfigurationRequest:
    """ChangeConfiguration.req, sent by the Central System: sets a configuration key (OCPP 1.6 section 5.3)."""

    action: ClassVar[str] = "ChangeConfiguration"
    is_response: ClassVar[bool] = False

    key: str
    value: str


@dataclass(slots=True, kw_only=True)
class ChangeConfigurationResponse:
    """ChangeConfiguration.conf: the Charge Point's answer to L{ChangeConfigurationRequest}."""

    action: ClassVar[str] = "ChangeConfiguration"
    is_response: ClassVar[bool] = True

    status: ConfigurationStatus


@dataclass(slots=True, kw_only=True)
class ClearCacheRequest:
    """ClearCache.req, sent by the Central System: clears the Charge Point's authorization cache (OCPP 1.6 section 5.4)."""

    action: ClassVar[str] = "ClearCache"
    is_response: ClassVar[bool] = False


@dataclass(slots=True, kw_only=True)
class ClearCacheResponse:
    """ClearCache.conf: the Charge Point's answer to L{ClearCacheRequest}."""

    action: ClassVar[str] = "ClearCache"
    is_response: ClassVar[bool] = True

    status: ClearCacheStatus


@dataclass(slots=True, kw_only=True)
class ClearChargingProfileRequest:
    """ClearChargingProfile.req, sent by the Central System: clears charging profiles matching the given criteria (OCPP 1.6 section 5.5)."""

    action: ClassVar[str] = "ClearChargingProfile"
    is_response: ClassVar[bool] = False

    id: int | None = None
    connector_id: int | None = None
    charging_profile_purpose: ChargingProfilePurposeType | None = None
    stack_level: int | None = None


@dataclass(slots=True, kw_only=True)
class ClearChargingProfileResponse:
    """ClearChargingProfile.conf: the Charge Point's answer to L{ClearChargingProfileRequest}."""

    action: ClassVar[str] = "ClearChargingProfile"
    is_response: ClassVar[bool] = True

    status: ClearChargingProfileStatus


@dataclass(slots=True, kw_only=True)
class DataTransferRequest:
    """DataTransfer.req, sent by the Charge Point: carries vendor-specific data the standard does not cover (OCPP 1.6 section 4.3 / 5.6)."""

    action: ClassVar[str] = "DataTransfer"
    is_response: ClassVar[bool] = False

    vendor_id: str
    message_id: str | None = None
    data: str | None = None


@dataclass(slots=True, kw_only=True)
class DataTransferResponse:
    """DataTransfer.conf: the Central System's answer to L{DataTransferRequest}."""

    action: ClassVar[str] = "DataTransfer"
    is_response: ClassVar[bool] = True

    status: DataTransferStatus
    data: str | None = None


@dataclass(slots=True, kw_only=True)
class DiagnosticsStatusNotificationRequest:
    """DiagnosticsStatusNotification.req, sent by the Charge Point: reports the progress of a diagnostics upload (OCPP 1.6 section 4.4)."""

    action: ClassVar[str] = "DiagnosticsStatusNotification"
    is_response: ClassVar[bool] = False

    status: DiagnosticsStatus


@dataclass(slots=True, kw_only=True)
class DiagnosticsStatusNotificationResponse:
    """DiagnosticsStatusNotification.conf: the Central System's answer to L{DiagnosticsStatusNotificationRequest}."""

    action: ClassVar[str] = "DiagnosticsStatusNotification"
    is_response: ClassVar[bool] = True


@dataclass(slots=True, kw_only=True)
class FirmwareStatusNotificationRequest:
    """FirmwareStatusNotification.req, sent by the Charge Point: reports the progress of a firmware update (OCPP 1.6 section 4.5)."""

    action: ClassVar[str] = "FirmwareStatusNotification"
    is_response: ClassVar[bool] = False

    status: FirmwareStatus


@dataclass(slots=True, kw_only=True)
class FirmwareStatusNotificationResponse:
    """FirmwareStatusNotification.conf: the Central System's answer to L{FirmwareStatusNotificationRequest}."""

    action: ClassVar[str] = "FirmwareStatusNotification"
    is_response: ClassVar[bool] = True


@dataclass(slots=True, kw_only=True)
class GetCompositeScheduleRequest:
    """GetCompositeSchedule.req, sent by the Central System: asks the schedule that results from all active charging profiles (OCPP 1.6 section 5.7)."""

    action: ClassVar[str] = "GetCompositeSchedule"
    is_response: ClassVar[bool] = False

    connector_id: int
    duration: int
    charging_rate_unit: ChargingRateUnitType | None = None


@dataclass(slots=True, kw_only=True)
class GetCompositeScheduleResponse:
    """GetCompositeSchedule.conf: the Charge Point's answer to L{GetCompositeScheduleRequest}."""

    action: ClassVar[str] = "GetCompositeSchedule"
    is_response: ClassVar[bool] = True

    status: GetCompositeScheduleStatus
    connector_id: int | None = None
    schedule_start: datetime | None = None
    charging_schedule: ChargingSchedule | None = None


@dataclass(slots=True, kw_only=True)
class GetConfigurationRequest:
    """GetConfiguration.req, sent by the Central System: reads configuration keys (all when none are named) (OCPP 1.6 section 5.8)."""

    action: ClassVar[str] = "GetConfiguration"
    is_response: ClassVar[bool] = False

    key: list[str] | None = None


@dataclass(slots=True, kw_only=True)
class GetConfigurationResponse:
    """GetConfiguration.conf: the Charge Point's answer to L{GetConfigurationRequest}."""

    action: ClassVar[str] = "GetConfiguration"
    is_response: ClassVar[bool] = True

    configuration_key: list[KeyValue] | None = None
    unknown_key: list[str] | None = None


@dataclass(slots=True, kw_only=True)
class GetDiagnosticsRequest:
    """GetDiagnostics.req, sent by the Central System: asks the Charge Point to upload a diagnostics file (OCPP 1.6 section 5.9)."""

    action: ClassVar[str] = "GetDiagnostics"
    is_response: ClassVar[bool] = False

    location: str
    retries: int | None = None
    retry_interval: int | None = None
    start_time: datetime | None = None
    stop_time: datetime | None = None


@dataclass(slots=True, kw_only=True)
class GetDiagnosticsResponse:
    """GetDiagnostics.conf: the Charge Point's answer to L{GetDiagnosticsRequest}."""

    action: ClassVar[str] = "GetDiagnostics"
    is_response: ClassVar[bool] = True

    file_name: str | None = None


@dataclass(slots=True, kw_only=True)
class GetLocalListVersionRequest:
    """GetLocalListVersion.req, sent by the Central System: asks the version of the local authorization list (OCPP 1.6 section 5.10)."""

    action: ClassVar[str] = "GetLocalListVersion"
    is_response: ClassVar[bool] = False


@dataclass(slots=True, kw_only=True)
class GetLocalListVersionResponse:
    """GetLocalListVersion.conf: the Charge Point's answer to L{GetLocalListVersionRequest}."""

    action: ClassVar[str] = "GetLocalListVersion"
    is_response: ClassVar[bool] = True

    list_version: int


@dataclass(slots=True, kw_only=True)
class HeartbeatRequest:
    """Heartbeat.req, sent by the Charge Point: tells the Central System the Charge Point is alive, and asks its time (OCPP 1.6 section 4.6)."""

    action: ClassVar[str] = "Heartbeat"
    is_response: ClassVar[bool] = False


@dataclass(slots=True, kw_only=True)
class HeartbeatResponse:
    """Heartbeat.conf: the Central System's answer to L{HeartbeatRequest}."""

    action: ClassVar[str] = "Heartbeat"
    is_response: ClassVar[bool] = True

    current_time: datetime


@dataclass(slots=True, kw_only=True)
class MeterValuesRequest:
    """MeterValues.req, sent by the Charge Point: reports sampled or clock-aligned meter readings (OCPP 1.6 section 4.7)."""

    action: ClassVar[str] = "MeterValues"
    is_response: ClassVar[bool] = False

    connector_id: int
    meter_value: list[MeterValue]
    transaction_id: int | None = None


@dataclass(slots=True, kw_only=True)
class MeterValuesResponse:
    """MeterValues.conf: the Central System's answer to L{MeterValuesRequest}."""

    action: ClassVar[str] = "MeterValues"
    is_response: ClassVar[bool] = True


@dataclass(slots=True, kw_only=True)
class RemoteStartTransactionRequest:
    """RemoteStartTransaction.req, sent by the Central System: asks the Charge Point to start a transaction (OCPP 1.6 section 5.11)."""

    action: ClassVar[str] = "RemoteStartTransaction"
    is_response: ClassVar[bool] = False

    id_tag: str
    connector_id: int | None = None
    charging_profile: ChargingProfile | None = None


@dataclass(slots=True, kw_only=True)
class RemoteStartTransactionResponse:
    """RemoteStartTransaction.conf: the Charge Point's answer to L{RemoteStartTransactionRequest}."""

    action: ClassVar[str] = "RemoteStartTransaction"
    is_response: ClassVar[bool] = True

    status: RemoteStartStopStatus


@dataclass(slots=True, kw_only=True)
class RemoteStopTransactionRequest:
    """RemoteStopTransaction.req, sent by the Central System: asks the Charge Point to stop a transaction (OCPP 1.6 section 5.12)."""

    action: ClassVar[str] = "RemoteStopTransaction"
    is_response: ClassVar[bool] = False

    transaction_id: int


@dataclass(slots=True, kw_only=True)
class RemoteStopTransactionResponse:
    """RemoteStopTransaction.conf: the Charge Point's answer to L{RemoteStopTransactionRequest}."""

    action: ClassVar[str] = "RemoteStopTransaction"
    is_response: ClassVar[bool] = True

    status: RemoteStartStopStatus


@dataclass(slots=True, kw_only=True)
class ReserveNowRequest:
    """ReserveNow.req, sent by the Central System: reserves a connector for an idTag (OCPP 1.6 section 5.13)."""

    action: ClassVar[str] = "ReserveNow"
    is_response: ClassVar[bool] = False

    connector_id: int
    expiry_date: datetime
    id_tag: str
    reservation_id: int
    parent_id_tag: str | None = None


@dataclass(slots=True, kw_only=True)
class ReserveNowResponse:
    """ReserveNow.conf: the Charge Point's answer to L{ReserveNowRequest}."""

    action: ClassVar[str] = "ReserveNow"
    is_response: ClassVar[bool] = True

    status: ReservationStatus


@dataclass(slots=True, kw_only=True)
class ResetRequest:
    """Reset.req, sent by the Central System: asks the Charge Point to reboot, soft or hard (OCPP 1.6 section 5.14)."""

    action: ClassVar[str] = "Reset"
    is_response: ClassVar[bool] = False

    type: ResetType


@dataclass(slots=True, kw_only=True)
class ResetResponse:
    """Reset.conf: the Charge Point's answer to L{ResetRequest}."""

    action: ClassVar[str] = "Reset"
    is_response: ClassVar[bool] = True

    status: ResetStatus


@dataclass(slots=True, kw_only=True)
class SendLocalListRequest:
    """SendLocalList.req, sent by the Central System: sends (all or a difference of) the local authorization list (OCPP 1.6 section 5.15)."""

    action: ClassVar[str] = "SendLocalList"
    is_response: ClassVar[bool] = False

    list_version: int
    update_type: UpdateType
    local_authorization_list: list[AuthorizationData] | None = None


@dataclass(slots=True, kw_only=True)
class SendLocalListResponse:
    """SendLocalList.conf: the Charge Point's answer to L{SendLocalListRequest}."""

    action: ClassVar[str] = "SendLocalList"
    is_response: ClassVar[bool] = True

    status: UpdateStatus


@dataclass(slots=True, kw_only=True)
class SetChargingProfileRequest:
    """SetChargingProfile.req, sent by the Central System: installs a charging profile (OCPP 1.6 section 5.16)."""

    action: ClassVar[str] = "SetChargingProfile"
    is_response: ClassVar[bool] = False

    connector_id: int
    cs_charging_profiles: ChargingProfile


@dataclass(slots=True, kw_only=True)
class SetChargingProfileResponse:
    """SetChargingProfile.conf: the Charge Point's answer to L{SetChargingProfileRequest}."""

    action: ClassVar[str] = "SetChargingProfile"
    is_response: ClassVar[bool] = True

    status: ChargingProfileStatus


@dataclass(slots=True, kw_only=True)
class StartTransactionRequest:
    """StartTransaction.req, sent by the Charge Point: reports a transaction that started, asking for its transaction id (OCPP 1.6 section 4.8)."""

    action: ClassVar[str] = "StartTransaction"
    is_response: ClassVar[bool] = False

    connector_id: int
    id_tag: str
    meter_start: int
    timestamp: datetime
    reservation_id: int | None = None


@dataclass(slots=True, kw_only=True)
class StartTransactionResponse:
    """StartTransaction.conf: the Central System's answer to L{StartTransactionRequest}."""

    action: ClassVar[str] = "StartTransaction"
    is_response: ClassVar[bool] = True

    id_tag_info: IdTagInfo
    transaction_id: int


@dataclass(slots=True, kw_only=True)
class StatusNotificationRequest:
    """StatusNotification.req, sent by the Charge Point: reports a connector's status or an error (OCPP 1.6 section 4.9)."""

    action: ClassVar[str] = "StatusNotification"
    is_response: ClassVar[bool] = False

    connector_id: int
    error_code: ChargePointErrorCode
    status: ChargePointStatus
    info: str | None = None
    timestamp: datetime | None = None
    vendor_id: str | None = None
    vendor_error_code: str | None = None


@dataclass(slots=True, kw_only=True)
class StatusNotificationResponse:
    """StatusNotification.conf: the Central System's answer to L{StatusNotificationRequest}."""

    action: ClassVar[str] = "StatusNotification"
    is_response: ClassVar[bool] = True


@dataclass(slots=True, kw_only=True)
class StopTransactionRequest:
    """StopTransaction.req, sent by the Charge Point: reports a transaction that stopped, with its meter data (OCPP 1.6 section 4.10)."""

    action: ClassVar[str] = "StopTransaction"
    is_response: ClassVar[bool] = False

    meter_stop: int
    timestamp: datetime
    transaction_id: int
    id_tag: str | None = None
    reason: Reason | None = None
    transaction_data: list[MeterValue] | None = None


@dataclass(slots=True, kw_only=True)
class StopTransactionResponse:
    """StopTransaction.conf: the Central System's answer to L{StopTransactionRequest}."""

    action: ClassVar[str] = "StopTransaction"
    is_response: ClassVar[bool] = True

    id_tag_info: IdTagInfo | None = None


@dataclass(slots=True, kw_only=True)
class TriggerMessageRequest:
    """TriggerMessage.req, sent by the Central System: asks the Charge Point to send a given message now (OCPP 1.6 section 5.17)."""

    action: ClassVar[str] = "TriggerMessage"
    is_response: ClassVar[bool] = False

    requested_message: MessageTrigger
    connector_id: int | None = None


@dataclass(slots=True, kw_only=True)
class TriggerMessageResponse:
    """TriggerMessage.conf: the Charge Point's answer to L{TriggerMessageRequest}."""

    action: ClassVar[str] = "TriggerMessage"
    is_response: ClassVar[bool] = True

    status: TriggerMessageStatus


@dataclass(slots=True, kw_only=True)
class UnlockConnectorRequest:
    """UnlockConnector.req, sent by the Central System: asks the Charge Point to unlock a connector (OCPP 1.6 section 5.18)."""

    action: ClassVar[str] = "UnlockConnector"
    is_response: ClassVar[bool] = False

    connector_id: int


@dataclass(slots=True, kw_only=True)
class UnlockConnectorResponse:
    """UnlockConnector.conf: the Charge Point's answer to L{UnlockConnectorRequest}."""

    action: ClassVar[str] = "UnlockConnector"
    is_response: ClassVar[bool] = True

    status: UnlockStatus


@dataclass(slots=True, kw_only=True)
class UpdateFirmwareRequest:
    """UpdateFirmware.req, sent by the Central System: asks the Charge Point to download and install new firmware (OCPP 1.6 section 5.19)."""

    action: ClassVar[str] = "UpdateFirmware"
    is_response: ClassVar[bool] = False

    location: str
    retrieve_date: datetime
    retries: int | None = None
    retry_interval: int | None = None


@dataclass(slots=True, kw_only=True)
class UpdateFirmwareResponse:
    """UpdateFirmware.conf: the Charge Point's answer to L{UpdateFirmwareRequest}."""

    action: ClassVar[str] = "UpdateFirmware"
    is_response: ClassVar[bool] = True
