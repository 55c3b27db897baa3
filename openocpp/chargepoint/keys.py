"""
The standard configuration keys of OCPP 1.6 edition 2 (chapter 9), of its
errata sheet (MessageTimeout, StopTransactionMaxMeterValues) and of the
Security Whitepaper edition 2 (chapter 7), with their types, accessibility,
defaults and validation.

Values travel and are stored as strings, as in GetConfiguration.conf.
"""

import enum
import re
from dataclasses import dataclass, field
from typing import Callable

from openocpp.messages.enums import Measurand, Phase


#: The range of an integer key's value: a 32-bit signed integer, whatever
#: narrower range the key has (larger values make no sense for any key, and
#: no timer takes them).
INTEGER_MINIMUM = -(2**31)
INTEGER_MAXIMUM = 2**31 - 1


class KeyType(enum.Enum):
    """
    The type of a configuration key's value (OCPP 1.6 chapter 9).
    """

    BOOLEAN = "boolean"
    INTEGER = "integer"
    STRING = "string"
    CSL = "CSL"  # comma separated list


@dataclass(frozen=True, kw_only=True)
class KeyDefinition:
    """
    A configuration key.

    @ivar name: its name, as in the spec (matched in any case: CiString50Type).
    @ivar type: its L{KeyType}.
    @ivar readonly: C{True} for read-only keys (R): ChangeConfiguration
        answers Rejected.
    @ivar default: its value before anything sets it (a string).
    @ivar profile: the feature profile (or document) defining it.
    @ivar unit: its unit (seconds, Wh, ...), or C{None}.
    @ivar minimum: the smallest integer accepted, or C{None} for
        L{INTEGER_MINIMUM}.
    @ivar maximum: the largest integer accepted, or C{None} for
        L{INTEGER_MAXIMUM}.
    @ivar max_length_key: for a list, the key holding its maximum number of
        items (a list without one holds at most one item, section 5.3).
    @ivar items: for a list, a callable telling whether one item is valid;
        for a string, whether the string is.
    @ivar write_only: never shown by GetConfiguration (AuthorizationKey).
    @ivar reboot_required: a change only takes effect after a reboot
        (ChangeConfiguration answers RebootRequired).
    @ivar description: what it does.
    """

    name: str
    type: KeyType
    readonly: bool
    default: str
    profile: str = "Core"
    unit: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    max_length_key: str | None = None
    items: Callable[[str], bool] | None = field(default=None, compare=False)
    write_only: bool = False
    reboot_required: bool = False
    description: str = ""

    def check(self, value: str) -> str | None:
        """
        Check a value's form (not its relation to other keys).

        @return: why C{value} is not acceptable, or C{None} when it is.
        """
        if not isinstance(value, str):
            return "not a string"
        if self.type is KeyType.BOOLEAN:
            if value.lower() not in ("true", "false"):
                return "not true or false"
        elif self.type is KeyType.INTEGER:
            if not re.fullmatch(r"[+-]?[0-9]+", value.strip()):
                return "not an integer"
            if len(value.strip().lstrip("+-").lstrip("0")) > 10:
                return "out of range"  # and int() would choke on thousands of digits
            number = int(value)
            minimum = INTEGER_MINIMUM if self.minimum is None else self.minimum
            maximum = INTEGER_MAXIMUM if self.maximum is None else self.maximum
            if number < minimum:
                return f"less than {minimum}"
            if number > maximum:
                return f"more than {maximum}"
        elif self.type is KeyType.CSL:
            for item in split_list(value):
                if self.items is not None and not self.items(item):
                    return f"{item!r} is not an accepted item"
        elif self.type is KeyType.STRING:
            if len(value) > 500:
                return "longer than 500 characters"
            if self.items is not None and not self.items(value):
                return "not an accepted value"
        return None

    def normalise(self, value: str) -> str:
        """
        The stored form of a valid value: booleans in lower case, integers
        without sign or padding, lists without blanks around items.
        """
        if self.type is KeyType.BOOLEAN:
            return value.lower()
        if self.type is KeyType.INTEGER:
            return str(int(value))
        if self.type is KeyType.CSL:
            return ",".join(split_list(value))
        return value


def split_list(value: str) -> list[str]:
    """
    The items of a comma separated list; an empty string is no items.
    """
    return [item.strip() for item in value.split(",") if item.strip()]


def parse_boolean(value: str) -> bool:
    return value.strip().lower() == "true"


_MEASURANDS = {m.value for m in Measurand}
_PHASES = {p.value for p in Phase}


def measurand_item(item: str) -> tuple[str, str | None] | None:
    """
    A MeterValues*Data item as (measurand, phase): C{"Voltage.L1"} is
    C{("Voltage", "L1")}, C{"Energy.Active.Import.Register"} has no phase.

    @return: C{None} when the item is neither a measurand nor a measurand
        with a phase.
    """
    if item in _MEASURANDS:
        return item, None
    measurand, _, phase = item.rpartition(".")
    if measurand in _MEASURANDS and phase in _PHASES:
        return measurand, phase
    return None


_ROTATIONS = {"NotApplicable", "Unknown", "RST", "RTS", "SRT", "STR", "TRS", "TSR"}
_PROFILES = {
    "Core",
    "FirmwareManagement",
    "LocalAuthListManagement",
    "Reservation",
    "SmartCharging",
    "RemoteTrigger",
}


def _rotation_item(item: str) -> bool:
    number, dot, rotation = item.partition(".")
    if not dot:
        return item in _ROTATIONS
    return number.isdigit() and rotation in _ROTATIONS


def _authorization_key(value: str) -> bool:
    # Whitepaper 7.2: at least 16 bytes, at most 20 bytes written as 40
    # hexadecimal digits.
    return 16 <= len(value.encode("utf-8")) <= 40


def check_authorization_key(name: str, value: str) -> None:
    """
    Check a password given as the AuthorizationKey's first value: one that
    the key itself takes (Security Whitepaper 7.2), or a ChangeConfiguration
    could never set it back.

    @param name: the setting or option named by the message.
    @raise ValueError: it is shorter than 16 bytes or longer than 40.
    """
    if not _authorization_key(value):
        raise ValueError(
            f"{name} must be 16 to 40 bytes (an AuthorizationKey, Security Whitepaper 7.2), "
            f"not {len(value.encode('utf-8'))}"
        )


def _int(name, readonly, default, profile="Core", unit=None, minimum=0, maximum=None, **kw):
    return KeyDefinition(
        name=name, type=KeyType.INTEGER, readonly=readonly, default=default,
        profile=profile, unit=unit, minimum=minimum, maximum=maximum, **kw,
    )


def _bool(name, readonly, default, profile="Core", **kw):
    return KeyDefinition(
        name=name, type=KeyType.BOOLEAN, readonly=readonly, default=default,
        profile=profile, **kw,
    )


def _csl(name, readonly, default, max_length_key=None, items=None, profile="Core", **kw):
    return KeyDefinition(
        name=name, type=KeyType.CSL, readonly=readonly, default=default,
        profile=profile, max_length_key=max_length_key, items=items, **kw,
    )


def _measurands(item: str) -> bool:
    return measurand_item(item) is not None


#: Every standard key, in the order of the documents that define them.
STANDARD_KEYS: tuple[KeyDefinition, ...] = (
    # OCPP 1.6 edition 2, 9.1 Core Profile
    _bool("AllowOfflineTxForUnknownId", False, "false",
          description="Start transactions offline for identifiers not known locally."),
    _bool("AuthorizationCacheEnabled", False, "true",
          description="Keep an Authorization Cache of the IdTagInfo received."),
    _bool("AuthorizeRemoteTxRequests", False, "false",
          description="Authorize a RemoteStartTransaction's idTag like a local one first."),
    _int("BlinkRepeat", False, "3", unit="times"),
    _int("ClockAlignedDataInterval", False, "0", unit="seconds",
         description="Size of the clock-aligned data interval; 0: none."),
    _int("ConnectionTimeOut", False, "60", unit="seconds",
         description="How long Preparing lasts without the EV driver completing the start."),
    _csl("ConnectorPhaseRotation", False, "Unknown",
         "ConnectorPhaseRotationMaxLength", _rotation_item),
    _int("ConnectorPhaseRotationMaxLength", True, "10"),
    _int("GetConfigurationMaxKeys", True, "100",
         description="Most keys asked for in one GetConfiguration.req."),
    _int("HeartbeatInterval", False, "300", unit="seconds",
         description="Seconds of silence after which a Heartbeat.req is sent; 0: none."),
    _int("LightIntensity", False, "100", unit="%", maximum=100),
    _bool("LocalAuthorizeOffline", False, "true",
          description="Offline, start transactions for locally authorized identifiers."),
    _bool("LocalPreAuthorize", False, "false",
          description="Online, start transactions for locally authorized identifiers at once."),
    _int("MaxEnergyOnInvalidId", False, "0", unit="Wh"),
    _csl("MeterValuesAlignedData", False, "Energy.Active.Import.Register",
         "MeterValuesAlignedDataMaxLength", _measurands),
    _int("MeterValuesAlignedDataMaxLength", True, "10"),
    _csl("MeterValuesSampledData", False, "Energy.Active.Import.Register",
         "MeterValuesSampledDataMaxLength", _measurands),
    _int("MeterValuesSampledDataMaxLength", True, "10"),
    _int("MeterValueSampleInterval", False, "60", unit="seconds",
         description="Seconds between samples during a transaction; 0: none."),
    _int("MinimumStatusDuration", False, "0", unit="seconds",
         description="How long a status must last before it is reported."),
    _int("NumberOfConnectors", True, "2", minimum=1),
    _int("ResetRetries", False, "1", unit="times"),
    _bool("StopTransactionOnEVSideDisconnect", False, "true"),
    _bool("StopTransactionOnInvalidId", False, "true",
          description="Stop a transaction whose StartTransaction.conf is not Accepted."),
    _csl("StopTxnAlignedData", False, "", "StopTxnAlignedDataMaxLength", _measurands),
    _int("StopTxnAlignedDataMaxLength", True, "10"),
    _csl("StopTxnSampledData", False, "", "StopTxnSampledDataMaxLength", _measurands),
    _int("StopTxnSampledDataMaxLength", True, "10"),
    _csl("SupportedFeatureProfiles", True,
         "Core,FirmwareManagement,LocalAuthListManagement,Reservation,RemoteTrigger,SmartCharging",
         "SupportedFeatureProfilesMaxLength", lambda item: item in _PROFILES),
    _int("SupportedFeatureProfilesMaxLength", True, "6"),
    _int("TransactionMessageAttempts", False, "3", unit="times", minimum=1,
         description="Attempts at a transaction-related message the central system fails to process."),
    _int("TransactionMessageRetryInterval", False, "60", unit="seconds",
         description="Wait before a retry, times the attempts made."),
    _bool("UnlockConnectorOnEVSideDisconnect", False, "true"),
    _int("WebSocketPingInterval", False, "0", unit="seconds",
         description="Seconds between WebSocket pings (from the next connection); 0: none."),
    # OCPP 1.6 errata sheet 3.82 and 3.89
    _int("MessageTimeout", False, "30", unit="seconds", minimum=1,
         description="Seconds to wait for the answer to a request."),
    _int("StopTransactionMaxMeterValues", True, "100",
         description="Most meter values in a StopTransaction.req's transactionData."),
    # OCPP 1.6 errata sheet 3.88 (9.5 Firmware Management): the schemes
    # openocpp.transfer supports (no FTPS).
    _csl("SupportedFileTransferProtocols", True, "FTP,HTTP,HTTPS",
         items=lambda item: item in ("FTP", "FTPS", "HTTP", "HTTPS"),
         profile="FirmwareManagement",
         description="The file transfer protocols of UpdateFirmware and GetDiagnostics."),
    # 9.2 Local Auth List Management Profile
    _bool("LocalAuthListEnabled", False, "true", profile="LocalAuthListManagement"),
    _int("LocalAuthListMaxLength", True, "1000", profile="LocalAuthListManagement"),
    _int("SendLocalListMaxLength", True, "100", profile="LocalAuthListManagement"),
    # 9.3 Reservation Profile
    _bool("ReserveConnectorZeroSupported", True, "false", profile="Reservation"),
    # 9.4 Smart Charging Profile
    _int("ChargeProfileMaxStackLevel", True, "10", profile="SmartCharging"),
    _csl("ChargingScheduleAllowedChargingRateUnit", True, "Current,Power",
         items=lambda item: item in ("Current", "Power"), profile="SmartCharging"),
    _int("ChargingScheduleMaxPeriods", True, "24", profile="SmartCharging"),
    _bool("ConnectorSwitch3to1PhaseSupported", True, "false", profile="SmartCharging"),
    _int("MaxChargingProfilesInstalled", True, "10", profile="SmartCharging"),
    # Security Whitepaper edition 2, chapter 7
    _bool("AdditionalRootCertificateCheck", True, "false", profile="Security"),
    KeyDefinition(
        name="AuthorizationKey", type=KeyType.STRING, readonly=False, default="",
        profile="Security", items=_authorization_key, write_only=True,
        description="The HTTP Basic-auth password (16 to 40 bytes); never shown.",
    ),
    _int("CertificateSignedMaxChainSize", True, "10000", profile="Security", maximum=10000),
    _int("CertificateStoreMaxLength", True, "10", profile="Security"),
    KeyDefinition(
        name="CpoName", type=KeyType.STRING, readonly=False, default="", profile="Security",
    ),
    _int("SecurityProfile", False, "0", profile="Security", maximum=3,
         description="The security profile; may only be raised."),
    _int("SecurityLogMaxEntriesCount", True, "1000", profile="Security"),
)

#: The standard keys by name.
STANDARD_KEYS_BY_NAME = {key.name: key for key in STANDARD_KEYS}

#: The standard keys the stack stores, validates and reports but does not act
#: on: what they govern is the charger's hardware or its own code (lights,
#: the cable, the reset itself, the energy given to an invalid idTag, the
#: phase wiring). The application reads them, and learns of a change through
#: C{openocpp_cp_configuration_changed}. Every other standard key is the
#: stack's: openocpp does what its value says.
APPLICATION_KEYS = frozenset({
    "BlinkRepeat",
    "ConnectorPhaseRotation",
    "LightIntensity",
    "MaxEnergyOnInvalidId",
    "ResetRetries",
    "StopTransactionOnEVSideDisconnect",
    "UnlockConnectorOnEVSideDisconnect",
})


def owner(definition: KeyDefinition) -> str:
    """
    Who acts on a key's value.

    @return: C{"stack"} for a standard key openocpp acts on, C{"application"}
        for one of L{APPLICATION_KEYS} and for every key a plugin registers.
    """
    if STANDARD_KEYS_BY_NAME.get(definition.name) is definition and definition.name not in APPLICATION_KEYS:
        return "stack"
    return "application"
