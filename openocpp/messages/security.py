"""
The requests and responses of the 11 actions the OCPP 1.6 Security
Whitepaper (edition 2) adds.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from openocpp.messages.datatypes import (
    CertificateHashData,
    Firmware,
    LogParameters,
)
from openocpp.messages.enums import (
    CertificateSignedStatusEnumType,
    CertificateUseEnumType,
    DeleteCertificateStatusEnumType,
    FirmwareStatusEnumType,
    GenericStatusEnumType,
    GetInstalledCertificateStatusEnumType,
    InstallCertificateStatusEnumType,
    LogEnumType,
    LogStatusEnumType,
    MessageTriggerEnumType,
    TriggerMessageStatusEnumType,
    UpdateFirmwareStatusEnumType,
    UploadLogStatusEnumType,
)


@dataclass(slots=True, kw_only=True)
class CertificateSignedRequest:
    """CertificateSigned.req, sent by the Central System: returns the signed Charge Point certificate (Security Whitepaper section 7.3)."""

    action: ClassVar[str] = "CertificateSigned"
    is_response: ClassVar[bool] = False

    certificate_chain: str


@dataclass(slots=True, kw_only=True)
class CertificateSignedResponse:
    """CertificateSigned.conf: the Charge Point's answer to L{CertificateSignedRequest}."""

    action: ClassVar[str] = "CertificateSigned"
    is_response: ClassVar[bool] = True

    status: CertificateSignedStatusEnumType


@dataclass(slots=True, kw_only=True)
class DeleteCertificateRequest:
    """DeleteCertificate.req, sent by the Central System: deletes an installed root certificate (Security Whitepaper section 7.4)."""

    action: ClassVar[str] = "DeleteCertificate"
    is_response: ClassVar[bool] = False

    certificate_hash_data: CertificateHashData


@dataclass(slots=True, kw_only=True)
class DeleteCertificateResponse:
    """DeleteCertificate.conf: the Charge Point's answer to L{DeleteCertificateRequest}."""

    action: ClassVar[str] = "DeleteCertificate"
    is_response: ClassVar[bool] = True

    status: DeleteCertificateStatusEnumType


@dataclass(slots=True, kw_only=True)
class ExtendedTriggerMessageRequest:
    """ExtendedTriggerMessage.req, sent by the Central System: asks the Charge Point to send a given message now, security messages included (Security Whitepaper section 7.5)."""

    action: ClassVar[str] = "ExtendedTriggerMessage"
    is_response: ClassVar[bool] = False

    requested_message: MessageTriggerEnumType
    connector_id: int | None = None


@dataclass(slots=True, kw_only=True)
class ExtendedTriggerMessageResponse:
    """ExtendedTriggerMessage.conf: the Charge Point's answer to L{ExtendedTriggerMessageRequest}."""

    action: ClassVar[str] = "ExtendedTriggerMessage"
    is_response: ClassVar[bool] = True

    status: TriggerMessageStatusEnumType


@dataclass(slots=True, kw_only=True)
class GetInstalledCertificateIdsRequest:
    """GetInstalledCertificateIds.req, sent by the Central System: lists installed root certificates of a type (Security Whitepaper section 7.6)."""

    action: ClassVar[str] = "GetInstalledCertificateIds"
    is_response: ClassVar[bool] = False

    certificate_type: CertificateUseEnumType


@dataclass(slots=True, kw_only=True)
class GetInstalledCertificateIdsResponse:
    """GetInstalledCertificateIds.conf: the Charge Point's answer to L{GetInstalledCertificateIdsRequest}."""

    action: ClassVar[str] = "GetInstalledCertificateIds"
    is_response: ClassVar[bool] = True

    status: GetInstalledCertificateStatusEnumType
    certificate_hash_data: list[CertificateHashData] | None = None


@dataclass(slots=True, kw_only=True)
class GetLogRequest:
    """GetLog.req, sent by the Central System: asks the Charge Point to upload a diagnostics or security log (Security Whitepaper section 7.7)."""

    action: ClassVar[str] = "GetLog"
    is_response: ClassVar[bool] = False

    log: LogParameters
    log_type: LogEnumType
    request_id: int
    retries: int | None = None
    retry_interval: int | None = None


@dataclass(slots=True, kw_only=True)
class GetLogResponse:
    """GetLog.conf: the Charge Point's answer to L{GetLogRequest}."""

    action: ClassVar[str] = "GetLog"
    is_response: ClassVar[bool] = True

    status: LogStatusEnumType
    filename: str | None = None


@dataclass(slots=True, kw_only=True)
class InstallCertificateRequest:
    """InstallCertificate.req, sent by the Central System: installs a root certificate (Security Whitepaper section 7.8)."""

    action: ClassVar[str] = "InstallCertificate"
    is_response: ClassVar[bool] = False

    certificate_type: CertificateUseEnumType
    certificate: str


@dataclass(slots=True, kw_only=True)
class InstallCertificateResponse:
    """InstallCertificate.conf: the Charge Point's answer to L{InstallCertificateRequest}."""

    action: ClassVar[str] = "InstallCertificate"
    is_response: ClassVar[bool] = True

    status: InstallCertificateStatusEnumType


@dataclass(slots=True, kw_only=True)
class LogStatusNotificationRequest:
    """LogStatusNotification.req, sent by the Charge Point: reports the progress of a log upload (Security Whitepaper section 7.9)."""

    action: ClassVar[str] = "LogStatusNotification"
    is_response: ClassVar[bool] = False

    status: UploadLogStatusEnumType
    request_id: int | None = None


@dataclass(slots=True, kw_only=True)
class LogStatusNotificationResponse:
    """LogStatusNotification.conf: the Central System's answer to L{LogStatusNotificationRequest}."""

    action: ClassVar[str] = "LogStatusNotification"
    is_response: ClassVar[bool] = True


@dataclass(slots=True, kw_only=True)
class SecurityEventNotificationRequest:
    """SecurityEventNotification.req, sent by the Charge Point: reports a security event (Security Whitepaper section 7.10)."""

    action: ClassVar[str] = "SecurityEventNotification"
    is_response: ClassVar[bool] = False

    type: str
    timestamp: datetime
    tech_info: str | None = None


@dataclass(slots=True, kw_only=True)
class SecurityEventNotificationResponse:
    """SecurityEventNotification.conf: the Central System's answer to L{SecurityEventNotificationRequest}."""

    action: ClassVar[str] = "SecurityEventNotification"
    is_response: ClassVar[bool] = True


@dataclass(slots=True, kw_only=True)
class SignCertificateRequest:
    """SignCertificate.req, sent by the Charge Point: sends a certificate signing request for the Charge Point's key (Security Whitepaper section 7.11)."""

    action: ClassVar[str] = "SignCertificate"
    is_response: ClassVar[bool] = False

    csr: str


@dataclass(slots=True, kw_only=True)
class SignCertificateResponse:
    """SignCertificate.conf: the Central System's answer to L{SignCertificateRequest}."""

    action: ClassVar[str] = "SignCertificate"
    is_response: ClassVar[bool] = True

    status: GenericStatusEnumType


@dataclass(slots=True, kw_only=True)
class SignedFirmwareStatusNotificationRequest:
    """SignedFirmwareStatusNotification.req, sent by the Charge Point: reports the progress of a signed firmware update (Security Whitepaper section 7.12)."""

    action: ClassVar[str] = "SignedFirmwareStatusNotification"
    is_response: ClassVar[bool] = False

    status: FirmwareStatusEnumType
    request_id: int | None = None


@dataclass(slots=True, kw_only=True)
class SignedFirmwareStatusNotificationResponse:
    """SignedFirmwareStatusNotification.conf: the Central System's answer to L{SignedFirmwareStatusNotificationRequest}."""

    action: ClassVar[str] = "SignedFirmwareStatusNotification"
    is_response: ClassVar[bool] = True


@dataclass(slots=True, kw_only=True)
class SignedUpdateFirmwareRequest:
    """SignedUpdateFirmware.req, sent by the Central System: asks the Charge Point to install signed firmware (Security Whitepaper section 7.13)."""

    action: ClassVar[str] = "SignedUpdateFirmware"
    is_response: ClassVar[bool] = False

    request_id: int
    firmware: Firmware
    retries: int | None = None
    retry_interval: int | None = None


@dataclass(slots=True, kw_only=True)
class SignedUpdateFirmwareResponse:
    """SignedUpdateFirmware.conf: the Charge Point's answer to L{SignedUpdateFirmwareRequest}."""

    action: ClassVar[str] = "SignedUpdateFirmware"
    is_response: ClassVar[bool] = True

    status: UpdateFirmwareStatusEnumType
