"""
Tests for L{openocpp.messages.codec}: every message round-trips through JSON,
realistic messages encode to what the official schemas accept, and
date-times and numbers convert as the spec wants.
"""

import dataclasses
import json
from datetime import datetime, timedelta, timezone

from twisted.trial.unittest import SynchronousTestCase

from openocpp.messages import codec
from openocpp.messages.codec import camel_case, decode, encode, format_datetime
from openocpp.messages.core import (
    AuthorizeRequest,
    AuthorizeResponse,
    BootNotificationRequest,
    BootNotificationResponse,
    ChangeAvailabilityRequest,
    GetCompositeScheduleResponse,
    GetConfigurationResponse,
    HeartbeatResponse,
    MeterValuesRequest,
    ResetRequest,
    SendLocalListRequest,
    SetChargingProfileRequest,
    StartTransactionRequest,
    StartTransactionResponse,
    StatusNotificationRequest,
    StopTransactionRequest,
)
from openocpp.messages.datatypes import (
    AuthorizationData,
    CertificateHashData,
    ChargingProfile,
    ChargingSchedule,
    ChargingSchedulePeriod,
    Firmware,
    IdTagInfo,
    KeyValue,
    LogParameters,
    MeterValue,
    SampledValue,
)
from openocpp.messages.enums import (
    AuthorizationStatus,
    ChargePointErrorCode,
    ChargePointStatus,
    ChargingProfileKindType,
    ChargingProfilePurposeType,
    ChargingRateUnitType,
    GetCompositeScheduleStatus,
    HashAlgorithmEnumType,
    Location,
    LogEnumType,
    Measurand,
    Phase,
    ReadingContext,
    Reason,
    RecurrencyKindType,
    RegistrationStatus,
    ResetType,
    UnitOfMeasure,
    UpdateType,
    ValueFormat,
)
from openocpp.messages.errors import ErrorCode, ValidationError
from openocpp.messages.registry import ACTIONS
from openocpp.messages.security import (
    DeleteCertificateRequest,
    GetLogRequest,
    SecurityEventNotificationRequest,
    SignedUpdateFirmwareRequest,
)
from tests.oracle import assert_payload_valid, schema_validator
from tests.payloads import (
    official_schema,
    resolve,
    sample_message,
    schema_name_of,
)

UTC = timezone.utc
CET = timezone(timedelta(hours=1))
IST = timezone(timedelta(hours=5, minutes=30))


def wire(payload: dict) -> dict:
    """
    C{payload} after a trip through JSON text, as a peer would read it.
    """
    return json.loads(json.dumps(payload, allow_nan=False))


def property_gaps(payload, root: dict, node: dict, full: bool, where=""):
    """
    Where C{payload} does not hold every schema property (when C{full}) or
    holds more than the required ones (otherwise), recursively.
    """
    node = resolve(root, node)
    gaps = []
    if node.get("type") == "object":
        expected = set(
            node.get("properties", {}) if full else node.get("required", ())
        )
        if set(payload) != expected:
            gaps.append(f"{where or 'payload'}: {sorted(payload)} != {sorted(expected)}")
        for key, value in payload.items():
            sub = node.get("properties", {}).get(key)
            if sub is not None:
                gaps += property_gaps(value, root, sub, full, f"{where}.{key}")
    elif node.get("type") == "array":
        for index, item in enumerate(payload):
            gaps += property_gaps(item, root, node["items"], full, f"{where}[{index}]")
    return gaps


class RoundTripTests(SynchronousTestCase):
    """
    Every request and response, with all optional fields set or none,
    goes object -> payload -> JSON text -> payload -> equal object, and its
    payload conforms to the official schema.
    """

    def assertRoundTrips(self, cls: type, full: bool):
        message = sample_message(cls, full)
        payload = wire(encode(message))
        assert_payload_valid(self, cls.action, payload, response=cls.is_response)
        root = official_schema(schema_name_of(cls))
        self.assertEqual(property_gaps(payload, root, root, full), [])
        self.assertEqual(decode(cls, payload), message)
        # Decoding does not depend on the order of keys.
        reordered = dict(reversed(list(payload.items())))
        self.assertEqual(decode(cls, reordered), message)

    def test_sampleMessagesSetWhatTheyClaim(self):
        """
        The generic builder sets every optional field, or none: the round
        trips below test what they say.
        """
        for cls in (BootNotificationRequest, StopTransactionRequest):
            full = sample_message(cls, True)
            bare = sample_message(cls, False)
            for field in dataclasses.fields(cls):
                self.assertIsNotNone(getattr(full, field.name))
                if field.default is None:
                    self.assertIsNone(getattr(bare, field.name))

    def test_stringsAtTheirLimit(self):
        """
        The builder's strings are exactly as long as their schema allows,
        counted in code points, and go through JSON escaped.
        """
        message = sample_message(BootNotificationRequest, True)
        self.assertEqual(len(message.charge_point_vendor), 20)
        self.assertEqual(len(message.firmware_version), 50)
        self.assertFalse(message.firmware_version.isascii())
        self.assertEqual(
            decode(BootNotificationRequest, wire(encode(message))), message
        )


def _add_round_trip_tests(case):
    for name, spec in ACTIONS.items():
        for cls in (spec.request, spec.response):
            for full in (True, False):
                def test(self, cls=cls, full=full):
                    self.assertRoundTrips(cls, full)

                kind = "Response" if cls.is_response else "Request"
                which = "allOptional" if full else "noOptional"
                test.__name__ = f"test_{name}{kind}_{which}"
                test.__doc__ = (
                    f"{cls.__name__} with "
                    f"{'every optional field' if full else 'no optional field'}"
                    " round-trips and conforms to the official schema."
                )
                setattr(case, test.__name__, test)
    return case


_add_round_trip_tests(RoundTripTests)


# Realistic messages, written by hand.
T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)

BOOT = BootNotificationRequest(
    charge_point_vendor="Alfen BV",
    charge_point_model="NG920-61",
    charge_point_serial_number="ACE0123456",
    charge_box_serial_number="ACE0123456-B",
    firmware_version="6.3.1-4083",
    iccid="89310410106543789301",
    imsi="204043258472913",
    meter_type="ABB B23 312-100",
    meter_serial_number="7230451",
)

METER_VALUES = MeterValuesRequest(
    connector_id=1,
    transaction_id=38211,
    meter_value=[
        MeterValue(
            timestamp=datetime(2026, 11, 25, 9, 15, tzinfo=CET),
            sampled_value=[
                SampledValue(
                    value="12043.7",
                    context=ReadingContext.SAMPLE_PERIODIC,
                    format=ValueFormat.RAW,
                    measurand=Measurand.ENERGY_ACTIVE_IMPORT_REGISTER,
                    location=Location.OUTLET,
                    unit=UnitOfMeasure.KWH,
                ),
                SampledValue(
                    value="15.9",
                    context=ReadingContext.SAMPLE_PERIODIC,
                    measurand=Measurand.CURRENT_IMPORT,
                    phase=Phase.L1,
                    unit=UnitOfMeasure.A,
                ),
                SampledValue(
                    value="16.1",
                    context=ReadingContext.SAMPLE_PERIODIC,
                    measurand=Measurand.CURRENT_IMPORT,
                    phase=Phase.L2,
                    unit=UnitOfMeasure.A,
                ),
                SampledValue(
                    value="231.4",
                    measurand=Measurand.VOLTAGE,
                    phase=Phase.L1_N,
                    unit=UnitOfMeasure.V,
                ),
                SampledValue(
                    value="11.02",
                    measurand=Measurand.POWER_ACTIVE_IMPORT,
                    unit=UnitOfMeasure.KW,
                ),
                SampledValue(
                    value="37",
                    measurand=Measurand.TEMPERATURE,
                    location=Location.BODY,
                    unit=UnitOfMeasure.CELSIUS,
                ),
                SampledValue(
                    value="64",
                    context=ReadingContext.TRIGGER,
                    measurand=Measurand.SOC,
                    location=Location.EV,
                    unit=UnitOfMeasure.PERCENT,
                ),
            ],
        ),
        MeterValue(
            timestamp=datetime(2026, 11, 25, 8, 30, tzinfo=UTC),
            sampled_value=[
                SampledValue(
                    value="12051.2",
                    context=ReadingContext.SAMPLE_CLOCK,
                    measurand=Measurand.ENERGY_ACTIVE_IMPORT_REGISTER,
                    unit=UnitOfMeasure.KWH,
                )
            ],
        ),
    ],
)

METER_VALUES_PAYLOAD = {
    "connectorId": 1,
    "transactionId": 38211,
    "meterValue": [
        {
            "timestamp": "2026-11-25T08:15:00.000Z",
            "sampledValue": [
                {
                    "value": "12043.7",
                    "context": "Sample.Periodic",
                    "format": "Raw",
                    "measurand": "Energy.Active.Import.Register",
                    "location": "Outlet",
                    "unit": "kWh",
                },
                {
                    "value": "15.9",
                    "context": "Sample.Periodic",
                    "measurand": "Current.Import",
                    "phase": "L1",
                    "unit": "A",
                },
                {
                    "value": "16.1",
                    "context": "Sample.Periodic",
                    "measurand": "Current.Import",
                    "phase": "L2",
                    "unit": "A",
                },
                {
                    "value": "231.4",
                    "measurand": "Voltage",
                    "phase": "L1-N",
                    "unit": "V",
                },
                {
                    "value": "11.02",
                    "measurand": "Power.Active.Import",
                    "unit": "kW",
                },
                {
                    "value": "37",
                    "measurand": "Temperature",
                    "location": "Body",
                    "unit": "Celsius",
                },
                {
                    "value": "64",
                    "context": "Trigger",
                    "measurand": "SoC",
                    "location": "EV",
                    "unit": "Percent",
                },
            ],
        },
        {
            "timestamp": "2026-11-25T08:30:00.000Z",
            "sampledValue": [
                {
                    "value": "12051.2",
                    "context": "Sample.Clock",
                    "measurand": "Energy.Active.Import.Register",
                    "unit": "kWh",
                }
            ],
        },
    ],
}

FULL_PROFILE = ChargingProfile(
    charging_profile_id=100,
    transaction_id=38211,
    stack_level=2,
    charging_profile_purpose=ChargingProfilePurposeType.TX_PROFILE,
    charging_profile_kind=ChargingProfileKindType.RECURRING,
    recurrency_kind=RecurrencyKindType.DAILY,
    valid_from=datetime(2026, 11, 1, tzinfo=UTC),
    valid_to=datetime(2027, 1, 1, tzinfo=CET),
    charging_schedule=ChargingSchedule(
        duration=86400,
        start_schedule=datetime(2026, 11, 25, tzinfo=UTC),
        charging_rate_unit=ChargingRateUnitType.A,
        charging_schedule_period=[
            ChargingSchedulePeriod(start_period=0, limit=32.0, number_phases=3),
            ChargingSchedulePeriod(start_period=28800, limit=16.3),
            ChargingSchedulePeriod(start_period=64800, limit=6.0, number_phases=1),
        ],
        min_charging_rate=6.0,
    ),
)

FULL_PROFILE_PAYLOAD = {
    "chargingProfileId": 100,
    "transactionId": 38211,
    "stackLevel": 2,
    "chargingProfilePurpose": "TxProfile",
    "chargingProfileKind": "Recurring",
    "recurrencyKind": "Daily",
    "validFrom": "2026-11-01T00:00:00.000Z",
    "validTo": "2026-12-31T23:00:00.000Z",
    "chargingSchedule": {
        "duration": 86400,
        "startSchedule": "2026-11-25T00:00:00.000Z",
        "chargingRateUnit": "A",
        "chargingSchedulePeriod": [
            {"startPeriod": 0, "limit": 32.0, "numberPhases": 3},
            {"startPeriod": 28800, "limit": 16.3},
            {"startPeriod": 64800, "limit": 6.0, "numberPhases": 1},
        ],
        "minChargingRate": 6.0,
    },
}

#: (message, the payload it encodes to, or None where only the schema is
#: checked).
REPRESENTATIVE = [
    (
        BOOT,
        {
            "chargePointVendor": "Alfen BV",
            "chargePointModel": "NG920-61",
            "chargePointSerialNumber": "ACE0123456",
            "chargeBoxSerialNumber": "ACE0123456-B",
            "firmwareVersion": "6.3.1-4083",
            "iccid": "89310410106543789301",
            "imsi": "204043258472913",
            "meterType": "ABB B23 312-100",
            "meterSerialNumber": "7230451",
        },
    ),
    (
        BootNotificationResponse(
            status=RegistrationStatus.ACCEPTED, current_time=T0, interval=300
        ),
        {
            "status": "Accepted",
            "currentTime": "2026-11-25T08:00:00.000Z",
            "interval": 300,
        },
    ),
    (
        StatusNotificationRequest(
            connector_id=2,
            error_code=ChargePointErrorCode.OVER_CURRENT_FAILURE,
            status=ChargePointStatus.FAULTED,
            info="Tripped RCD",
            timestamp=datetime(2026, 11, 25, 10, 0, 0, 125000, tzinfo=CET),
            vendor_id="com.alfen",
            vendor_error_code="E1043",
        ),
        {
            "connectorId": 2,
            "errorCode": "OverCurrentFailure",
            "status": "Faulted",
            "info": "Tripped RCD",
            "timestamp": "2026-11-25T09:00:00.125Z",
            "vendorId": "com.alfen",
            "vendorErrorCode": "E1043",
        },
    ),
    (AuthorizeRequest(id_tag="04E5A2B2C93F80"), {"idTag": "04E5A2B2C93F80"}),
    (
        AuthorizeResponse(
            id_tag_info=IdTagInfo(
                status=AuthorizationStatus.ACCEPTED,
                expiry_date=datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC),
                parent_id_tag="FLEET-0042",
            )
        ),
        {
            "idTagInfo": {
                "status": "Accepted",
                "expiryDate": "2026-12-31T23:59:59.000Z",
                "parentIdTag": "FLEET-0042",
            }
        },
    ),
    (
        StartTransactionRequest(
            connector_id=1,
            id_tag="04E5A2B2C93F80",
            meter_start=12034512,
            timestamp=datetime(2026, 11, 25, 13, 30, tzinfo=IST),
            reservation_id=17,
        ),
        {
            "connectorId": 1,
            "idTag": "04E5A2B2C93F80",
            "meterStart": 12034512,
            "timestamp": "2026-11-25T08:00:00.000Z",
            "reservationId": 17,
        },
    ),
    (
        StartTransactionResponse(
            id_tag_info=IdTagInfo(status=AuthorizationStatus.CONCURRENT_TX),
            transaction_id=38211,
        ),
        {"idTagInfo": {"status": "ConcurrentTx"}, "transactionId": 38211},
    ),
    (METER_VALUES, METER_VALUES_PAYLOAD),
    (
        StopTransactionRequest(
            meter_stop=12051200,
            timestamp=datetime(2026, 11, 25, 9, 45, tzinfo=UTC),
            transaction_id=38211,
            id_tag="04E5A2B2C93F80",
            reason=Reason.EV_DISCONNECTED,
            transaction_data=[
                MeterValue(
                    timestamp=T0,
                    sampled_value=[
                        SampledValue(
                            value="12034.512",
                            context=ReadingContext.TRANSACTION_BEGIN,
                            measurand=Measurand.ENERGY_ACTIVE_IMPORT_REGISTER,
                            unit=UnitOfMeasure.KWH,
                        )
                    ],
                ),
                MeterValue(
                    timestamp=datetime(2026, 11, 25, 9, 45, tzinfo=UTC),
                    sampled_value=[
                        SampledValue(
                            value="12051200",
                            context=ReadingContext.TRANSACTION_END,
                            measurand=Measurand.ENERGY_ACTIVE_IMPORT_REGISTER,
                            unit=UnitOfMeasure.WH,
                        ),
                        SampledValue(
                            value="0.0",
                            context=ReadingContext.TRANSACTION_END,
                            measurand=Measurand.CURRENT_IMPORT,
                            phase=Phase.L3,
                            unit=UnitOfMeasure.A,
                        ),
                    ],
                ),
            ],
        ),
        None,
    ),
    (
        SetChargingProfileRequest(connector_id=1, cs_charging_profiles=FULL_PROFILE),
        {"connectorId": 1, "csChargingProfiles": FULL_PROFILE_PAYLOAD},
    ),
    (
        GetConfigurationResponse(
            configuration_key=[
                KeyValue(key="HeartbeatInterval", readonly=False, value="300"),
                KeyValue(
                    key="MeterValuesSampledData",
                    readonly=False,
                    value="Energy.Active.Import.Register,Current.Import,Voltage",
                ),
                KeyValue(key="NumberOfConnectors", readonly=True, value="2"),
                KeyValue(key="AuthorizationKey", readonly=False),
            ],
            unknown_key=["VendorSpecificThing", "Foo"],
        ),
        {
            "configurationKey": [
                {"key": "HeartbeatInterval", "readonly": False, "value": "300"},
                {
                    "key": "MeterValuesSampledData",
                    "readonly": False,
                    "value": "Energy.Active.Import.Register,Current.Import,Voltage",
                },
                {"key": "NumberOfConnectors", "readonly": True, "value": "2"},
                {"key": "AuthorizationKey", "readonly": False},
            ],
            "unknownKey": ["VendorSpecificThing", "Foo"],
        },
    ),
    (
        SendLocalListRequest(
            list_version=42,
            update_type=UpdateType.DIFFERENTIAL,
            local_authorization_list=[
                AuthorizationData(
                    id_tag="04E5A2B2C93F80",
                    id_tag_info=IdTagInfo(
                        status=AuthorizationStatus.ACCEPTED,
                        expiry_date=datetime(2027, 6, 30, tzinfo=UTC),
                        parent_id_tag="FLEET-0042",
                    ),
                ),
                AuthorizationData(
                    id_tag="DEADBEEF",
                    id_tag_info=IdTagInfo(status=AuthorizationStatus.BLOCKED),
                ),
                # Without an IdTagInfo: remove the entry.
                AuthorizationData(id_tag="0BSOLETE"),
            ],
        ),
        {
            "listVersion": 42,
            "updateType": "Differential",
            "localAuthorizationList": [
                {
                    "idTag": "04E5A2B2C93F80",
                    "idTagInfo": {
                        "status": "Accepted",
                        "expiryDate": "2027-06-30T00:00:00.000Z",
                        "parentIdTag": "FLEET-0042",
                    },
                },
                {"idTag": "DEADBEEF", "idTagInfo": {"status": "Blocked"}},
                {"idTag": "0BSOLETE"},
            ],
        },
    ),
    (
        GetCompositeScheduleResponse(
            status=GetCompositeScheduleStatus.ACCEPTED,
            connector_id=1,
            schedule_start=T0,
            charging_schedule=ChargingSchedule(
                duration=3600,
                start_schedule=T0,
                charging_rate_unit=ChargingRateUnitType.W,
                charging_schedule_period=[
                    ChargingSchedulePeriod(start_period=0, limit=11000.0, number_phases=3),
                    ChargingSchedulePeriod(start_period=900, limit=7400.5),
                    ChargingSchedulePeriod(start_period=1800, limit=3680.1, number_phases=1),
                ],
                min_charging_rate=1380.0,
            ),
        ),
        {
            "status": "Accepted",
            "connectorId": 1,
            "scheduleStart": "2026-11-25T08:00:00.000Z",
            "chargingSchedule": {
                "duration": 3600,
                "startSchedule": "2026-11-25T08:00:00.000Z",
                "chargingRateUnit": "W",
                "chargingSchedulePeriod": [
                    {"startPeriod": 0, "limit": 11000.0, "numberPhases": 3},
                    {"startPeriod": 900, "limit": 7400.5},
                    {"startPeriod": 1800, "limit": 3680.1, "numberPhases": 1},
                ],
                "minChargingRate": 1380.0,
            },
        },
    ),
    (
        SignedUpdateFirmwareRequest(
            request_id=7,
            retries=3,
            retry_interval=120,
            firmware=Firmware(
                location="https://firmware.example.com/ng9xx/6.4.0.bin",
                retrieve_date_time=datetime(2026, 11, 26, 2, 0, tzinfo=CET),
                install_date_time=datetime(2026, 11, 26, 3, 0, tzinfo=CET),
                signing_certificate=(
                    "-----BEGIN CERTIFICATE-----\n"
                    + "MIIB" + "A" * 600 + "\n"
                    + "-----END CERTIFICATE-----\n"
                ),
                signature="MEUCIQDx" + "b" * 80 + "==",
            ),
        ),
        None,
    ),
    (
        GetLogRequest(
            log=LogParameters(
                remote_location="sftp://logs.example.com/upload/",
                oldest_timestamp=datetime(2026, 11, 24, tzinfo=UTC),
                latest_timestamp=datetime(2026, 11, 25, tzinfo=UTC),
            ),
            log_type=LogEnumType.SECURITY_LOG,
            request_id=12,
            retries=2,
            retry_interval=60,
        ),
        {
            "log": {
                "remoteLocation": "sftp://logs.example.com/upload/",
                "oldestTimestamp": "2026-11-24T00:00:00.000Z",
                "latestTimestamp": "2026-11-25T00:00:00.000Z",
            },
            "logType": "SecurityLog",
            "requestId": 12,
            "retries": 2,
            "retryInterval": 60,
        },
    ),
    (
        DeleteCertificateRequest(
            certificate_hash_data=CertificateHashData(
                hash_algorithm=HashAlgorithmEnumType.SHA256,
                issuer_name_hash="5e8b0d" * 10 + "3f0a",
                issuer_key_hash="9a1c44" * 10 + "77e1",
                serial_number="4a3f0c2e9b17d5",
            )
        ),
        {
            "certificateHashData": {
                "hashAlgorithm": "SHA256",
                "issuerNameHash": "5e8b0d" * 10 + "3f0a",
                "issuerKeyHash": "9a1c44" * 10 + "77e1",
                "serialNumber": "4a3f0c2e9b17d5",
            }
        },
    ),
    (
        SecurityEventNotificationRequest(
            type="InvalidCentralSystemCertificate",
            timestamp=datetime(2026, 11, 25, 8, 0, 0, 1000, tzinfo=UTC),
            tech_info="certificate expired 2026-11-01",
        ),
        {
            "type": "InvalidCentralSystemCertificate",
            "timestamp": "2026-11-25T08:00:00.001Z",
            "techInfo": "certificate expired 2026-11-01",
        },
    ),
]


def representative(cls: type):
    """
    The representative message of class C{cls}.
    """
    (message,) = [m for m, _ in REPRESENTATIVE if type(m) is cls]
    return message


class RepresentativeMessageTests(SynchronousTestCase):
    """
    Realistic messages encode to the payloads the spec shows, which the
    official schemas accept, and decode back to equal messages.
    """

    def test_covered(self):
        """
        The representative messages include the ones that matter most.
        """
        names = {type(message).__name__ for message, _ in REPRESENTATIVE}
        for required in (
            "BootNotificationRequest", "StatusNotificationRequest",
            "AuthorizeResponse", "StartTransactionRequest",
            "MeterValuesRequest", "StopTransactionRequest",
            "SetChargingProfileRequest", "GetConfigurationResponse",
            "SendLocalListRequest", "GetCompositeScheduleResponse",
            "SignedUpdateFirmwareRequest", "GetLogRequest",
            "DeleteCertificateRequest", "SecurityEventNotificationRequest",
        ):
            self.assertIn(required, names)

    def test_encodeAndValidate(self):
        """
        Each message encodes to its expected payload, the official schema
        accepts it, and it decodes back to an equal message.
        """
        for message, expected in REPRESENTATIVE:
            cls = type(message)
            payload = encode(message)
            if expected is not None:
                self.assertEqual(payload, expected, cls.__name__)
            on_wire = wire(payload)
            assert_payload_valid(self, cls.action, on_wire, response=cls.is_response)
            codec.validate(cls, on_wire)
            self.assertEqual(decode(cls, on_wire), message, cls.__name__)

    def test_stopTransactionData(self):
        """
        StopTransaction's transactionData carries meter values like
        MeterValues does.
        """
        message = representative(StopTransactionRequest)
        payload = encode(message)
        self.assertEqual(payload["reason"], "EVDisconnected")
        self.assertEqual(len(payload["transactionData"]), 2)
        self.assertEqual(
            payload["transactionData"][1]["sampledValue"][1],
            {"value": "0.0", "context": "Transaction.End",
             "measurand": "Current.Import", "phase": "L3", "unit": "A"},
        )

    def test_signedFirmware(self):
        """
        SignedUpdateFirmware carries its Firmware with times in UTC.
        """
        message = representative(SignedUpdateFirmwareRequest)
        payload = encode(message)
        self.assertEqual(payload["requestId"], 7)
        self.assertEqual(
            payload["firmware"]["retrieveDateTime"], "2026-11-26T01:00:00.000Z"
        )
        self.assertEqual(
            payload["firmware"]["installDateTime"], "2026-11-26T02:00:00.000Z"
        )
        self.assertEqual(
            payload["firmware"]["location"],
            "https://firmware.example.com/ng9xx/6.4.0.bin",
        )

    def test_decodedTypes(self):
        """
        Decoding gives enumeration members, data class objects, floats for
        decimals and aware UTC datetimes, not the raw JSON values.
        """
        message = decode(
            SetChargingProfileRequest,
            {"connectorId": 1, "csChargingProfiles": FULL_PROFILE_PAYLOAD},
        )
        profile = message.cs_charging_profiles
        self.assertIsInstance(profile, ChargingProfile)
        self.assertIs(profile.charging_profile_kind, ChargingProfileKindType.RECURRING)
        self.assertIs(profile.recurrency_kind, RecurrencyKindType.DAILY)
        self.assertEqual(profile.valid_to, datetime(2026, 12, 31, 23, tzinfo=UTC))
        self.assertEqual(profile.valid_to.utcoffset(), timedelta(0))
        period = profile.charging_schedule.charging_schedule_period[0]
        self.assertIsInstance(period, ChargingSchedulePeriod)
        self.assertIs(type(period.limit), float)
        self.assertIs(type(period.start_period), int)

    def test_enumFromPlainString(self):
        """
        A plain string of a valid value may stand for an enumeration member.
        """
        self.assertEqual(encode(ResetRequest(type="Hard")), {"type": "Hard"})
        self.assertIs(decode(ResetRequest, {"type": "Soft"}).type, ResetType.SOFT)

    def test_unsetOptionalsLeftOut(self):
        """
        Unset optional fields are not in the payload (not even as null).
        """
        self.assertEqual(
            encode(IdTagInfo(status=AuthorizationStatus.INVALID)),
            {"status": "Invalid"},
        )


class NumberTests(SynchronousTestCase):
    """
    Decimals are checked against C{multipleOf} exactly, and integers as
    their schema's draft says.
    """

    def profile_with_limit(self, limit) -> dict:
        return {
            "connectorId": 0,
            "csChargingProfiles": {
                "chargingProfileId": 1,
                "stackLevel": 0,
                "chargingProfilePurpose": "ChargePointMaxProfile",
                "chargingProfileKind": "Absolute",
                "chargingSchedule": {
                    "chargingRateUnit": "A",
                    "chargingSchedulePeriod": [
                        {"startPeriod": 0, "limit": limit}
                    ],
                },
            },
        }

    def decoded_limit(self, limit):
        message = decode(SetChargingProfileRequest, self.profile_with_limit(limit))
        return message.cs_charging_profiles.charging_schedule.charging_schedule_period[0].limit

    def test_decimalMultiples(self):
        """
        Numbers with one decimal are multiples of 0.1, even those whose
        binary quotient by 0.1 is not whole (jsonschema, the oracle, rejects
        some of these: 0.3 / 0.1 == 2.9999999999999996 in floating point).
        """
        for limit in (0.1, 0.3, 0.7, 16.3, 32.0, 6.1, 1000.9, 0, 16):
            value = self.decoded_limit(limit)
            self.assertEqual(value, limit)
            self.assertIs(type(value), float)

    def test_notMultiple(self):
        """
        0.15 is not a multiple of 0.1.
        """
        with self.assertRaises(ValidationError) as caught:
            self.decoded_limit(0.15)
        self.assertEqual(
            caught.exception.code, ErrorCode.PROPERTY_CONSTRAINT_VIOLATION
        )

    def test_largeMultiples(self):
        """
        Large numbers are multiples of 0.1 too (every float of 1e16 and more
        is whole): they are accepted, as by the oracle, not refused with an
        error other than L{ValidationError}.
        """
        for limit in (1e16, 1e27, 1e30, 10 ** 30):
            payload = self.profile_with_limit(limit)
            assert_payload_valid(self, "SetChargingProfile", payload)
            self.assertEqual(self.decoded_limit(limit), float(limit))
        # Here jsonschema's fall-back divides by the binary value of 0.1, so
        # the oracle is not asked.
        self.assertEqual(
            self.decoded_limit(1.7976931348623157e308), 1.7976931348623157e308
        )

    def test_draft6IntegerFromWholeFloat(self):
        """
        The Security Whitepaper's schemas (draft 6) take 2.0 as the integer
        2; the object holds an C{int}.
        """
        payload = {
            "requestId": 2.0,
            "logType": "DiagnosticsLog",
            "log": {"remoteLocation": "ftp://example.com/"},
        }
        assert_payload_valid(self, "GetLog", payload)
        message = decode(GetLogRequest, payload)
        self.assertEqual(message.request_id, 2)
        self.assertIs(type(message.request_id), int)
        self.assertEqual(encode(message)["requestId"], 2)

    def test_draft4IntegerNotFromFloat(self):
        """
        The OCPP 1.6 schemas (draft 4) do not take 2.0 as an integer, and
        neither does the oracle.
        """
        payload = {"connectorId": 2.0, "type": "Operative"}
        with self.assertRaises(ValidationError) as caught:
            decode(ChangeAvailabilityRequest, payload)
        self.assertEqual(caught.exception.code, ErrorCode.TYPE_CONSTRAINT_VIOLATION)
        self.assertTrue(
            list(schema_validator("ChangeAvailability").iter_errors(payload))
        )


class DateTimeTests(SynchronousTestCase):
    """
    Date-times go out as RFC 3339 UTC with milliseconds, and come in with any
    RFC 3339 offset.
    """

    def test_formatMilliseconds(self):
        """
        A datetime with whole milliseconds is written
        C{YYYY-MM-DDTHH:MM:SS.mmmZ} in UTC.
        """
        self.assertEqual(
            format_datetime(datetime(2026, 11, 25, 8, 0, tzinfo=UTC)),
            "2026-11-25T08:00:00.000Z",
        )
        self.assertEqual(
            format_datetime(datetime(2026, 11, 25, 9, 0, 5, 123000, tzinfo=CET)),
            "2026-11-25T08:00:05.123Z",
        )
        self.assertEqual(
            format_datetime(datetime(2026, 1, 1, 0, 30, tzinfo=IST)),
            "2025-12-31T19:00:00.000Z",
        )

    def test_formatAsIsoformat(self):
        """
        The text is what C{isoformat} with milliseconds (or microseconds
        when they are not whole milliseconds) writes of the UTC datetime,
        C{+00:00} made C{Z}: years before 1000 included, any offset.
        """
        import random

        choose = random.Random(17)
        offsets = [UTC, CET, IST, timezone(timedelta(hours=-11, minutes=-30))]
        for _ in range(3000):
            moment = datetime(
                choose.randrange(2, 9999), choose.randrange(1, 13), choose.randrange(1, 29),
                choose.randrange(24), choose.randrange(60), choose.randrange(60),
                choose.choice([0, 1, 999, 1000, 123000, 999000, 999999, choose.randrange(10**6)]),
                tzinfo=choose.choice(offsets),
            )
            utc = moment.astimezone(UTC)
            timespec = "milliseconds" if utc.microsecond % 1000 == 0 else "microseconds"
            self.assertEqual(format_datetime(moment), utc.isoformat(timespec=timespec)[:-6] + "Z")
        self.assertEqual(format_datetime(datetime(7, 3, 4, 5, 6, 7, tzinfo=UTC)), "0007-03-04T05:06:07.000Z")
        self.assertEqual(
            format_datetime(datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)), "9999-12-31T23:59:59.999999Z"
        )

    def test_formatMicroseconds(self):
        """
        Microseconds that are not whole milliseconds are kept.
        """
        self.assertEqual(
            format_datetime(datetime(2026, 11, 25, 8, 0, 0, 123456, tzinfo=UTC)),
            "2026-11-25T08:00:00.123456Z",
        )
        self.assertEqual(
            format_datetime(datetime(2026, 11, 25, 8, 0, 0, 1, tzinfo=UTC)),
            "2026-11-25T08:00:00.000001Z",
        )

    def test_encodeUsesFormat(self):
        """
        L{encode} writes date-times, nested ones too, in that format.
        """
        self.assertEqual(
            encode(HeartbeatResponse(current_time=datetime(2026, 11, 25, 9, tzinfo=CET))),
            {"currentTime": "2026-11-25T08:00:00.000Z"},
        )
        value = MeterValue(timestamp=T0, sampled_value=[SampledValue(value="1")])
        self.assertEqual(encode(value)["timestamp"], "2026-11-25T08:00:00.000Z")

    def test_formatFourDigitYears(self):
        """
        Years before 1000 are written with four digits, as RFC 3339 wants,
        so what is decoded encodes back to a valid date-time.
        """
        early = datetime(999, 6, 1, 12, 0, tzinfo=UTC)
        self.assertEqual(format_datetime(early), "0999-06-01T12:00:00.000Z")
        payload = {"currentTime": "0045-03-15T12:00:00.000Z"}
        message = decode(HeartbeatResponse, payload)
        self.assertEqual(encode(message), payload)

    def test_naive(self):
        """
        A naive datetime names no instant: encoding it raises L{ValueError}
        that says so and how to make an aware one.
        """
        naive = datetime(2026, 11, 25, 8, 0)
        with self.assertRaises(ValueError) as caught:
            format_datetime(naive)
        self.assertIn("naive", str(caught.exception))
        self.assertIn("aware", str(caught.exception))
        with self.assertRaises(ValueError) as caught:
            encode(HeartbeatResponse(current_time=naive))
        self.assertIn("naive", str(caught.exception))
        nested = MeterValuesRequest(
            connector_id=1,
            meter_value=[MeterValue(timestamp=naive, sampled_value=[SampledValue(value="1")])],
        )
        self.assertRaises(ValueError, encode, nested)

    def test_naiveNotValidationError(self):
        """
        Encoding a naive datetime is a programming error, not a payload that
        breaks its schema.
        """
        with self.assertRaises(ValueError) as caught:
            encode(HeartbeatResponse(current_time=datetime(2026, 1, 1)))
        self.assertNotIsInstance(caught.exception, ValidationError)

    def assertDecodes(self, text: str, expected: datetime):
        message = decode(HeartbeatResponse, {"currentTime": text})
        self.assertEqual(message.current_time, expected, text)
        self.assertEqual(message.current_time.utcoffset(), timedelta(0), text)
        self.assertEqual(message.current_time.tzinfo, UTC, text)

    def test_parseOffsets(self):
        """
        C{Z}, C{z}, a lower-case C{t}, positive, negative and C{-00:00}
        offsets are accepted and converted to aware UTC datetimes.
        """
        eight = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
        for text in (
            "2026-11-25T08:00:00Z",
            "2026-11-25T08:00:00z",
            "2026-11-25t08:00:00Z",
            "2026-11-25t08:00:00z",
            "2026-11-25T13:30:00+05:30",
            "2026-11-25T03:00:00-05:00",
            "2026-11-25T08:00:00-00:00",
            "2026-11-25T08:00:00+00:00",
            "2026-11-26T00:00:00+16:00",
            "2026-11-25T08:00:00.000Z",
        ):
            self.assertDecodes(text, eight)
        self.assertDecodes(
            "2026-01-01T00:30:00+01:00", datetime(2025, 12, 31, 23, 30, tzinfo=UTC)
        )

    def test_parseFractions(self):
        """
        Fractions of 1 to 9 digits are accepted, to the microsecond.
        """
        expected = {
            ".1": 100000,
            ".12": 120000,
            ".123": 123000,
            ".1234": 123400,
            ".12345": 123450,
            ".123456": 123456,
            ".1234564": 123456,
            ".12345641": 123456,
            ".123456412": 123456,
            ".000000001": 0,
        }
        for fraction, micro in expected.items():
            self.assertDecodes(
                f"2026-11-25T08:00:00{fraction}Z",
                datetime(2026, 11, 25, 8, 0, 0, micro, tzinfo=UTC),
            )
            self.assertDecodes(
                f"2026-11-25T09:00:00{fraction}+01:00",
                datetime(2026, 11, 25, 8, 0, 0, micro, tzinfo=UTC),
            )

    def test_leapSecond(self):
        """
        RFC 3339 allows a leap second; Python has none, so it is read as the
        first instant of the next minute. (The oracle's date-time check does
        not accept leap seconds: a known difference.)
        """
        self.assertDecodes(
            "2016-12-31T23:59:60Z", datetime(2017, 1, 1, tzinfo=UTC)
        )
        self.assertDecodes(
            "2016-12-31T23:59:60.500Z", datetime(2017, 1, 1, 0, 0, 0, 500000, tzinfo=UTC)
        )

    def test_reencodeInUTC(self):
        """
        A date-time received with an offset goes out again in UTC, with
        milliseconds.
        """
        message = decode(HeartbeatResponse, {"currentTime": "2026-11-25T13:30:00.5+05:30"})
        self.assertEqual(encode(message), {"currentTime": "2026-11-25T08:00:00.500Z"})

    def test_outOfRangeAfterConversion(self):
        """
        Valid RFC 3339 date-times whose UTC instant falls outside the years
        1 to 9999 are refused with a L{ValidationError} (the receiver must
        answer a CALLERROR), not with any other exception.
        """
        for text in (
            "0001-01-01T00:00:00+05:00",
            "9999-12-31T23:59:59-05:00",
            "9999-12-31T23:59:60Z",
        ):
            with self.assertRaises(ValidationError, msg=text) as caught:
                decode(HeartbeatResponse, {"currentTime": text})
            self.assertIn("currentTime", caught.exception.description)

    def test_microsecondsRoundTrip(self):
        """
        Microseconds survive encoding and decoding.
        """
        moment = datetime(2026, 11, 25, 8, 0, 0, 654321, tzinfo=CET)
        message = decode(HeartbeatResponse, wire(encode(HeartbeatResponse(current_time=moment))))
        self.assertEqual(message.current_time, moment)
        self.assertEqual(message.current_time.microsecond, 654321)


class DecodeParsesDateTimesOnceTests(SynchronousTestCase):
    """
    L{decode} checks a payload's structure without the date-time format and
    parses each date-time once while building; a payload it refuses gets
    the error the full validation gives.
    """

    def assertSameError(self, cls, payload):
        with self.assertRaises(ValidationError) as validated:
            codec.validate(cls, payload)
        with self.assertRaises(ValidationError) as decoded:
            decode(cls, payload)
        self.assertEqual(
            (decoded.exception.code, decoded.exception.description),
            (validated.exception.code, validated.exception.description),
        )
        return decoded.exception

    def test_badNestedDateTimeErrorNamesItsField(self):
        """
        A bad date-time inside an array (MeterValues' meterValue[0].timestamp)
        is refused as the validation refuses it, naming the field.
        """
        error = self.assertSameError(
            MeterValuesRequest,
            {
                "connectorId": 1,
                "meterValue": [
                    {"timestamp": "2026-02-30T00:00:00Z", "sampledValue": [{"value": "1"}]}
                ],
            },
        )
        self.assertEqual(error.code, ErrorCode.TYPE_CONSTRAINT_VIOLATION)
        self.assertIn("meterValue[0].timestamp", error.description)

    def test_firstBrokenFieldReportedWhenDateTimeAlsoBroken(self):
        """
        With a bad date-time and another broken field, decode reports the
        field the full validation reports first.
        """
        for payload in (
            {"connectorId": 1, "idTag": "X" * 21, "meterStart": 0, "timestamp": "yesterday"},
            {"connectorId": "1", "idTag": "TAG", "meterStart": 0, "timestamp": "yesterday"},
            {"connectorId": 1, "idTag": "TAG", "meterStart": 0, "timestamp": "yesterday"},
        ):
            self.assertSameError(StartTransactionRequest, payload)

    def test_validDateTimeDecodedInUTC(self):
        """
        A valid date-time is parsed (once) into an aware UTC datetime.
        """
        message = decode(
            StartTransactionRequest,
            {"connectorId": 1, "idTag": "TAG", "meterStart": 0,
             "timestamp": "2026-11-25T09:00:00+01:00"},
        )
        self.assertEqual(message.timestamp, datetime(2026, 11, 25, 8, tzinfo=UTC))
        self.assertIs(message.timestamp.tzinfo, timezone.utc)


class CamelCaseTests(SynchronousTestCase):
    """
    L{camel_case} names fields as OCPP does.
    """

    def test_examples(self):
        """
        Snake case becomes camel case; a trailing underscore is dropped.
        """
        self.assertEqual(camel_case("charge_box_serial_number"), "chargeBoxSerialNumber")
        self.assertEqual(camel_case("id_tag"), "idTag")
        self.assertEqual(camel_case("status"), "status")
        self.assertEqual(camel_case("cs_charging_profiles"), "csChargingProfiles")
        self.assertEqual(camel_case("type_"), "type")
