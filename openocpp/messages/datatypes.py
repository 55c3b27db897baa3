"""
The composite data types of OCPP 1.6 (section 7) and of the Security
Whitepaper, used inside messages.
"""

from dataclasses import dataclass
from datetime import datetime

from openocpp.messages.enums import (
    AuthorizationStatus,
    ChargingProfileKindType,
    ChargingProfilePurposeType,
    ChargingRateUnitType,
    HashAlgorithmEnumType,
    Location,
    Measurand,
    Phase,
    ReadingContext,
    RecurrencyKindType,
    UnitOfMeasure,
    ValueFormat,
)


@dataclass(slots=True, kw_only=True)
class IdTagInfo:
    """What the Central System says of an idTag: its status, expiry and parent idTag."""

    status: AuthorizationStatus
    expiry_date: datetime | None = None
    parent_id_tag: str | None = None


@dataclass(slots=True, kw_only=True)
class AuthorizationData:
    """An entry of the local authorization list: an idTag and, unless it is to be removed, its IdTagInfo."""

    id_tag: str
    id_tag_info: IdTagInfo | None = None


@dataclass(slots=True, kw_only=True)
class CertificateHashData:
    """Identifies a certificate by hashes of its issuer name and key and its serial number."""

    hash_algorithm: HashAlgorithmEnumType
    issuer_name_hash: str
    issuer_key_hash: str
    serial_number: str


@dataclass(slots=True, kw_only=True)
class ChargingSchedulePeriod:
    """One period of a charging schedule: its start (seconds from the schedule's start), limit and phases."""

    start_period: int
    limit: float
    number_phases: int | None = None


@dataclass(slots=True, kw_only=True)
class ChargingSchedule:
    """A schedule of charging limits over time, in amperes or watts."""

    charging_rate_unit: ChargingRateUnitType
    charging_schedule_period: list[ChargingSchedulePeriod]
    duration: int | None = None
    start_schedule: datetime | None = None
    min_charging_rate: float | None = None


@dataclass(slots=True, kw_only=True)
class ChargingProfile:
    """A charging profile: its purpose, stack level, kind and validity, and the schedule it imposes."""

    charging_profile_id: int
    stack_level: int
    charging_profile_purpose: ChargingProfilePurposeType
    charging_profile_kind: ChargingProfileKindType
    charging_schedule: ChargingSchedule
    transaction_id: int | None = None
    recurrency_kind: RecurrencyKindType | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None


@dataclass(slots=True, kw_only=True)
class Firmware:
    """A signed firmware image to install: where to get it, when, and how to check it (the whitepaper's FirmwareType)."""

    location: str
    retrieve_date_time: datetime
    signing_certificate: str
    signature: str
    install_date_time: datetime | None = None


@dataclass(slots=True, kw_only=True)
class KeyValue:
    """A configuration key, its value, and whether it is read-only."""

    key: str
    readonly: bool
    value: str | None = None


@dataclass(slots=True, kw_only=True)
class LogParameters:
    """Where to upload a log, and the time window it covers."""

    remote_location: str
    oldest_timestamp: datetime | None = None
    latest_timestamp: datetime | None = None


@dataclass(slots=True, kw_only=True)
class SampledValue:
    """One meter reading: its value and what, where and how it measures."""

    value: str
    context: ReadingContext | None = None
    format: ValueFormat | None = None
    measurand: Measurand | None = None
    phase: Phase | None = None
    location: Location | None = None
    unit: UnitOfMeasure | None = None


@dataclass(slots=True, kw_only=True)
class MeterValue:
    """Sampled values taken at one point in time."""

    timestamp: datetime
    sampled_value: list[SampledValue]
