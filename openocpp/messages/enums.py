"""
The enumerations of OCPP 1.6 edition 2 (section 7) and of the Security
Whitepaper edition 2, with the spec's names and values.

Each is a C{enum.StrEnum}: a member equals its wire value
(C{ChargePointStatus.AVAILABLE == "Available"}).
"""

import enum


class AuthorizationStatus(enum.StrEnum):
    """The status of an idTag in an IdTagInfo."""

    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    EXPIRED = "Expired"
    INVALID = "Invalid"
    CONCURRENT_TX = "ConcurrentTx"


class AvailabilityStatus(enum.StrEnum):
    """The answer to a ChangeAvailability request."""

    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    SCHEDULED = "Scheduled"


class AvailabilityType(enum.StrEnum):
    """The availability a ChangeAvailability request asks for."""

    INOPERATIVE = "Inoperative"
    OPERATIVE = "Operative"


class CancelReservationStatus(enum.StrEnum):
    """The answer to a CancelReservation request."""

    ACCEPTED = "Accepted"
    REJECTED = "Rejected"


class CertificateSignedStatusEnumType(enum.StrEnum):
    """The answer to a CertificateSigned request."""

    ACCEPTED = "Accepted"
    REJECTED = "Rejected"


class CertificateUseEnumType(enum.StrEnum):
    """The kind of root certificate to install or list."""

    CENTRAL_SYSTEM_ROOT_CERTIFICATE = "CentralSystemRootCertificate"
    MANUFACTURER_ROOT_CERTIFICATE = "ManufacturerRootCertificate"


class ChargePointErrorCode(enum.StrEnum):
    """The error a StatusNotification reports (NoError when none)."""

    CONNECTOR_LOCK_FAILURE = "ConnectorLockFailure"
    EV_COMMUNICATION_ERROR = "EVCommunicationError"
    GROUND_FAILURE = "GroundFailure"
    HIGH_TEMPERATURE = "HighTemperature"
    INTERNAL_ERROR = "InternalError"
    LOCAL_LIST_CONFLICT = "LocalListConflict"
    NO_ERROR = "NoError"
    OTHER_ERROR = "OtherError"
    OVER_CURRENT_FAILURE = "OverCurrentFailure"
    POWER_METER_FAILURE = "PowerMeterFailure"
    POWER_SWITCH_FAILURE = "PowerSwitchFailure"
    READER_FAILURE = "ReaderFailure"
    RESET_FAILURE = "ResetFailure"
    UNDER_VOLTAGE = "UnderVoltage"
    OVER_VOLTAGE = "OverVoltage"
    WEAK_SIGNAL = "WeakSignal"


class ChargePointStatus(enum.StrEnum):
    """The status of a connector (or of the Charge Point, for connector 0)."""

    AVAILABLE = "Available"
    PREPARING = "Preparing"
    CHARGING = "Charging"
    SUSPENDED_EVSE = "SuspendedEVSE"
    SUSPENDED_EV = "SuspendedEV"
    FINISHING = "Finishing"
    RESERVED = "Reserved"
    UNAVAILABLE = "Unavailable"
    FAULTED = "Faulted"


class ChargingProfileKindType(enum.StrEnum):
    """How a charging profile's schedule is anchored in time."""

    ABSOLUTE = "Absolute"
    RECURRING = "Recurring"
    RELATIVE = "Relative"


class ChargingProfilePurposeType(enum.StrEnum):
    """What a charging profile is for."""

    CHARGE_POINT_MAX_PROFILE = "ChargePointMaxProfile"
    TX_DEFAULT_PROFILE = "TxDefaultProfile"
    TX_PROFILE = "TxProfile"


class ChargingProfileStatus(enum.StrEnum):
    """The answer to a SetChargingProfile request."""

    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    NOT_SUPPORTED = "NotSupported"


class ChargingRateUnitType(enum.StrEnum):
    """The unit of a charging schedule's limits: amperes or watts."""

    A = "A"
    W = "W"


class ClearCacheStatus(enum.StrEnum):
    """The answer to a ClearCache request."""

    ACCEPTED = "Accepted"
    REJECTED = "Rejected"


class ClearChargingProfileStatus(enum.StrEnum):
    """The answer to a ClearChargingProfile request."""

    ACCEPTED = "Accepted"
    UNKNOWN = "Unknown"


class ConfigurationStatus(enum.StrEnum):
    """The answer to a ChangeConfiguration request."""

    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    REBOOT_REQUIRED = "RebootRequired"
    NOT_SUPPORTED = "NotSupported"


class DataTransferStatus(enum.StrEnum):
    """The answer to a DataTransfer request."""

    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    UNKNOWN_MESSAGE_ID = "UnknownMessageId"
    UNKNOWN_VENDOR_ID = "UnknownVendorId"


class DeleteCertificateStatusEnumType(enum.StrEnum):
    """The answer to a DeleteCertificate request."""

    ACCEPTED = "Accepted"
    FAILED = "Failed"
    NOT_FOUND = "NotFound"


class DiagnosticsStatus(enum.StrEnum):
    """The progress of a diagnostics upload."""

    IDLE = "Idle"
    UPLOADED = "Uploaded"
    UPLOAD_FAILED = "UploadFailed"
    UPLOADING = "Uploading"


class FirmwareStatus(enum.StrEnum):
    """The progress of a firmware update."""

    DOWNLOADED = "Downloaded"
    DOWNLOAD_FAILED = "DownloadFailed"
    DOWNLOADING = "Downloading"
    IDLE = "Idle"
    INSTALLATION_FAILED = "InstallationFailed"
    INSTALLING = "Installing"
    INSTALLED = "Installed"


class FirmwareStatusEnumType(enum.StrEnum):
    """The progress of a signed firmware update."""

    DOWNLOADED = "Downloaded"
    DOWNLOAD_FAILED = "DownloadFailed"
    DOWNLOADING = "Downloading"
    DOWNLOAD_SCHEDULED = "DownloadScheduled"
    DOWNLOAD_PAUSED = "DownloadPaused"
    IDLE = "Idle"
    INSTALLATION_FAILED = "InstallationFailed"
    INSTALLING = "Installing"
    INSTALLED = "Installed"
    INSTALL_REBOOTING = "InstallRebooting"
    INSTALL_SCHEDULED = "InstallScheduled"
    INSTALL_VERIFICATION_FAILED = "InstallVerificationFailed"
    INVALID_SIGNATURE = "InvalidSignature"
    SIGNATURE_VERIFIED = "SignatureVerified"


class GenericStatusEnumType(enum.StrEnum):
    """Accepted or rejected: the answer to a SignCertificate request."""

    ACCEPTED = "Accepted"
    REJECTED = "Rejected"


class GetCompositeScheduleStatus(enum.StrEnum):
    """The answer to a GetCompositeSchedule request."""

    ACCEPTED = "Accepted"
    REJECTED = "Rejected"


class GetInstalledCertificateStatusEnumType(enum.StrEnum):
    """The answer to a GetInstalledCertificateIds request."""

    ACCEPTED = "Accepted"
    NOT_FOUND = "NotFound"


class HashAlgorithmEnumType(enum.StrEnum):
    """The hash algorithm of a CertificateHashData."""

    SHA256 = "SHA256"
    SHA384 = "SHA384"
    SHA512 = "SHA512"


class InstallCertificateStatusEnumType(enum.StrEnum):
    """The answer to an InstallCertificate request."""

    ACCEPTED = "Accepted"
    FAILED = "Failed"
    REJECTED = "Rejected"


class Location(enum.StrEnum):
    """Where a sampled value is measured."""

    CABLE = "Cable"
    EV = "EV"
    INLET = "Inlet"
    OUTLET = "Outlet"
    BODY = "Body"


class LogEnumType(enum.StrEnum):
    """The kind of log a GetLog request asks for."""

    DIAGNOSTICS_LOG = "DiagnosticsLog"
    SECURITY_LOG = "SecurityLog"


class LogStatusEnumType(enum.StrEnum):
    """The answer to a GetLog request."""

    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    ACCEPTED_CANCELED = "AcceptedCanceled"


class Measurand(enum.StrEnum):
    """What a sampled value measures."""

    ENERGY_ACTIVE_EXPORT_REGISTER = "Energy.Active.Export.Register"
    ENERGY_ACTIVE_IMPORT_REGISTER = "Energy.Active.Import.Register"
    ENERGY_REACTIVE_EXPORT_REGISTER = "Energy.Reactive.Export.Register"
    ENERGY_REACTIVE_IMPORT_REGISTER = "Energy.Reactive.Import.Register"
    ENERGY_ACTIVE_EXPORT_INTERVAL = "Energy.Active.Export.Interval"
    ENERGY_ACTIVE_IMPORT_INTERVAL = "Energy.Active.Import.Interval"
    ENERGY_REACTIVE_EXPORT_INTERVAL = "Energy.Reactive.Export.Interval"
    ENERGY_REACTIVE_IMPORT_INTERVAL = "Energy.Reactive.Import.Interval"
    POWER_ACTIVE_EXPORT = "Power.Active.Export"
    POWER_ACTIVE_IMPORT = "Power.Active.Import"
    POWER_OFFERED = "Power.Offered"
    POWER_REACTIVE_EXPORT = "Power.Reactive.Export"
    POWER_REACTIVE_IMPORT = "Power.Reactive.Import"
    POWER_FACTOR = "Power.Factor"
    CURRENT_IMPORT = "Current.Import"
    CURRENT_EXPORT = "Current.Export"
    CURRENT_OFFERED = "Current.Offered"
    VOLTAGE = "Voltage"
    FREQUENCY = "Frequency"
    TEMPERATURE = "Temperature"
    SOC = "SoC"
    RPM = "RPM"


class MessageTrigger(enum.StrEnum):
    """The message a TriggerMessage request asks for."""

    BOOT_NOTIFICATION = "BootNotification"
    DIAGNOSTICS_STATUS_NOTIFICATION = "DiagnosticsStatusNotification"
    FIRMWARE_STATUS_NOTIFICATION = "FirmwareStatusNotification"
    HEARTBEAT = "Heartbeat"
    METER_VALUES = "MeterValues"
    STATUS_NOTIFICATION = "StatusNotification"


class MessageTriggerEnumType(enum.StrEnum):
    """The message an ExtendedTriggerMessage request asks for."""

    BOOT_NOTIFICATION = "BootNotification"
    LOG_STATUS_NOTIFICATION = "LogStatusNotification"
    FIRMWARE_STATUS_NOTIFICATION = "FirmwareStatusNotification"
    HEARTBEAT = "Heartbeat"
    METER_VALUES = "MeterValues"
    SIGN_CHARGE_POINT_CERTIFICATE = "SignChargePointCertificate"
    STATUS_NOTIFICATION = "StatusNotification"


class Phase(enum.StrEnum):
    """The phase (or phases) a sampled value is measured on."""

    L1 = "L1"
    L2 = "L2"
    L3 = "L3"
    N = "N"
    L1_N = "L1-N"
    L2_N = "L2-N"
    L3_N = "L3-N"
    L1_L2 = "L1-L2"
    L2_L3 = "L2-L3"
    L3_L1 = "L3-L1"


class ReadingContext(enum.StrEnum):
    """Why a sampled value was taken."""

    INTERRUPTION_BEGIN = "Interruption.Begin"
    INTERRUPTION_END = "Interruption.End"
    SAMPLE_CLOCK = "Sample.Clock"
    SAMPLE_PERIODIC = "Sample.Periodic"
    TRANSACTION_BEGIN = "Transaction.Begin"
    TRANSACTION_END = "Transaction.End"
    TRIGGER = "Trigger"
    OTHER = "Other"


class Reason(enum.StrEnum):
    """Why a transaction stopped."""

    EMERGENCY_STOP = "EmergencyStop"
    EV_DISCONNECTED = "EVDisconnected"
    HARD_RESET = "HardReset"
    LOCAL = "Local"
    OTHER = "Other"
    POWER_LOSS = "PowerLoss"
    REBOOT = "Reboot"
    REMOTE = "Remote"
    SOFT_RESET = "SoftReset"
    UNLOCK_COMMAND = "UnlockCommand"
    DE_AUTHORIZED = "DeAuthorized"


class RecurrencyKindType(enum.StrEnum):
    """How often a recurring charging profile repeats."""

    DAILY = "Daily"
    WEEKLY = "Weekly"


class RegistrationStatus(enum.StrEnum):
    """The answer to a BootNotification request."""

    ACCEPTED = "Accepted"
    PENDING = "Pending"
    REJECTED = "Rejected"


class RemoteStartStopStatus(enum.StrEnum):
    """The answer to a RemoteStartTransaction or RemoteStopTransaction request."""

    ACCEPTED = "Accepted"
    REJECTED = "Rejected"


class ReservationStatus(enum.StrEnum):
    """The answer to a ReserveNow request."""

    ACCEPTED = "Accepted"
    FAULTED = "Faulted"
    OCCUPIED = "Occupied"
    REJECTED = "Rejected"
    UNAVAILABLE = "Unavailable"


class ResetStatus(enum.StrEnum):
    """The answer to a Reset request."""

    ACCEPTED = "Accepted"
    REJECTED = "Rejected"


class ResetType(enum.StrEnum):
    """The kind of reset a Reset request asks for."""

    HARD = "Hard"
    SOFT = "Soft"


class TriggerMessageStatus(enum.StrEnum):
    """The answer to a TriggerMessage request."""

    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    NOT_IMPLEMENTED = "NotImplemented"


class TriggerMessageStatusEnumType(enum.StrEnum):
    """The answer to an ExtendedTriggerMessage request."""

    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    NOT_IMPLEMENTED = "NotImplemented"


class UnitOfMeasure(enum.StrEnum):
    """The unit of a sampled value (C{Celcius} is the spec's misspelling, kept for compatibility)."""

    WH = "Wh"
    KWH = "kWh"
    VARH = "varh"
    KVARH = "kvarh"
    W = "W"
    KW = "kW"
    VA = "VA"
    KVA = "kVA"
    VAR = "var"
    KVAR = "kvar"
    A = "A"
    V = "V"
    K = "K"
    CELCIUS = "Celcius"
    CELSIUS = "Celsius"
    FAHRENHEIT = "Fahrenheit"
    PERCENT = "Percent"
    HERTZ = "Hertz"


class UnlockStatus(enum.StrEnum):
    """The answer to an UnlockConnector request."""

    UNLOCKED = "Unlocked"
    UNLOCK_FAILED = "UnlockFailed"
    NOT_SUPPORTED = "NotSupported"


class UpdateFirmwareStatusEnumType(enum.StrEnum):
    """The answer to a SignedUpdateFirmware request."""

    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    ACCEPTED_CANCELED = "AcceptedCanceled"
    INVALID_CERTIFICATE = "InvalidCertificate"
    REVOKED_CERTIFICATE = "RevokedCertificate"


class UpdateStatus(enum.StrEnum):
    """The answer to a SendLocalList request."""

    ACCEPTED = "Accepted"
    FAILED = "Failed"
    NOT_SUPPORTED = "NotSupported"
    VERSION_MISMATCH = "VersionMismatch"


class UpdateType(enum.StrEnum):
    """Whether a SendLocalList request replaces the list or changes it."""

    DIFFERENTIAL = "Differential"
    FULL = "Full"


class UploadLogStatusEnumType(enum.StrEnum):
    """The progress of a log upload."""

    BAD_MESSAGE = "BadMessage"
    IDLE = "Idle"
    NOT_SUPPORTED_OPERATION = "NotSupportedOperation"
    PERMISSION_DENIED = "PermissionDenied"
    UPLOADED = "Uploaded"
    UPLOAD_FAILURE = "UploadFailure"
    UPLOADING = "Uploading"


class ValueFormat(enum.StrEnum):
    """Whether a sampled value is a plain number or signed data."""

    RAW = "Raw"
    SIGNED_DATA = "SignedData"
