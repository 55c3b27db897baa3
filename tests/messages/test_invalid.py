"""
Tests for L{openocpp.messages.validation} through L{codec.decode}: payloads
that break their schema are refused with the OCPP-J error code the spec
maps the violation to, and a description naming the field.
"""

import copy
from typing import Any, NamedTuple

from twisted.trial.unittest import SynchronousTestCase

from openocpp.messages import codec
from openocpp.messages.core import AuthorizeRequest, BootNotificationRequest
from openocpp.messages.errors import ErrorCode, ValidationError
from openocpp.messages.registry import ACTIONS
from openocpp.messages.validation import validate_payload
from tests.oracle import assert_payload_valid, schema_validator

FORMATION = ErrorCode.FORMATION_VIOLATION
OCCURENCE = ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION
TYPE = ErrorCode.TYPE_CONSTRAINT_VIOLATION
PROPERTY = ErrorCode.PROPERTY_CONSTRAINT_VIOLATION

T = "2026-11-25T08:00:00.000Z"

#: Valid payloads, the starting points of the invalid ones.
VALID = {
    "Authorize": {"idTag": "04E5A2B2C93F80"},
    "AuthorizeResponse": {"idTagInfo": {"status": "Accepted"}},
    "BootNotification": {"chargePointVendor": "Alfen BV", "chargePointModel": "NG920"},
    "BootNotificationResponse": {"status": "Accepted", "currentTime": T, "interval": 300},
    "ChangeAvailability": {"connectorId": 1, "type": "Operative"},
    "ChangeConfiguration": {"key": "HeartbeatInterval", "value": "300"},
    "DataTransfer": {"vendorId": "com.example", "messageId": "m", "data": "{}"},
    "DeleteCertificate": {
        "certificateHashData": {
            "hashAlgorithm": "SHA256",
            "issuerNameHash": "ab" * 32,
            "issuerKeyHash": "cd" * 32,
            "serialNumber": "01",
        }
    },
    "GetCompositeScheduleResponse": {
        "status": "Accepted",
        "chargingSchedule": {
            "chargingRateUnit": "W",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 11000.0}],
        },
    },
    "GetConfiguration": {"key": ["HeartbeatInterval", "MeterValueSampleInterval"]},
    "GetConfigurationResponse": {
        "configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}],
        "unknownKey": ["Foo"],
    },
    "GetDiagnostics": {"location": "ftp://example.com/diag/"},
    "GetInstalledCertificateIdsResponse": {
        "status": "Accepted",
        "certificateHashData": [
            {
                "hashAlgorithm": "SHA256",
                "issuerNameHash": "ab" * 32,
                "issuerKeyHash": "cd" * 32,
                "serialNumber": "01",
            }
        ],
    },
    "GetLog": {
        "log": {"remoteLocation": "ftp://example.com/logs/", "oldestTimestamp": T},
        "logType": "SecurityLog",
        "requestId": 7,
    },
    "Heartbeat": {},
    "HeartbeatResponse": {"currentTime": T},
    "MeterValues": {
        "connectorId": 1,
        "transactionId": 5,
        "meterValue": [
            {
                "timestamp": T,
                "sampledValue": [
                    {"value": "12.5", "measurand": "Current.Import", "unit": "A", "phase": "L1"}
                ],
            }
        ],
    },
    "Reset": {"type": "Hard"},
    "SecurityEventNotification": {"type": "FirmwareUpdated", "timestamp": T},
    "SendLocalList": {
        "listVersion": 3,
        "updateType": "Full",
        "localAuthorizationList": [
            {"idTag": "A1", "idTagInfo": {"status": "Accepted"}},
            {"idTag": "B2", "idTagInfo": {"status": "Blocked", "parentIdTag": "P"}},
        ],
    },
    "SetChargingProfile": {
        "connectorId": 1,
        "csChargingProfiles": {
            "chargingProfileId": 1,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}],
                "minChargingRate": 6.0,
            },
        },
    },
    "SignedUpdateFirmware": {
        "requestId": 1,
        "firmware": {
            "location": "https://example.com/fw.bin",
            "retrieveDateTime": T,
            "signingCertificate": "-----BEGIN CERTIFICATE-----",
            "signature": "c2ln",
        },
    },
    "StartTransaction": {"connectorId": 1, "idTag": "A1", "meterStart": 0, "timestamp": T},
    "StatusNotification": {"connectorId": 1, "errorCode": "NoError", "status": "Available"},
    "StopTransaction": {
        "meterStop": 100,
        "timestamp": T,
        "transactionId": 5,
        "transactionData": [
            {"timestamp": T, "sampledValue": [{"value": "100", "unit": "Wh"}]}
        ],
    },
    "UpdateFirmware": {"location": "https://example.com/fw.bin", "retrieveDate": T},
}

_DROP = object()

#: Where the compiled schemas are deliberately stricter than the oracle
#: (jsonschema 4 with the OCPP 1.6 schemas): it consults no URI checker
#: without the optional rfc3987 package, and JSON Schema lets any float,
#: NaN and infinities included, be a "number" (JSON itself has neither:
#: a peer can only send them as the non-standard tokens NaN and Infinity),
#: where jsonschema's multipleOf even raises ValueError for NaN.
ORACLE_IGNORES_URI_FORMAT = "oracle does not check format 'uri'"
ORACLE_ALLOWS_NON_FINITE = "oracle allows non-finite numbers"


class Invalid(NamedTuple):
    """
    One invalid payload and how it must be refused.
    """

    #: the action
    action: str
    #: whether it is the action's response
    response: bool
    #: the payload
    payload: Any
    #: the error code it must be refused with
    code: ErrorCode
    #: the path the description must start with (C{"payload"} for the whole)
    path: str
    #: what the description must say after the path
    problem: str
    #: None when the oracle rejects the payload too, else why it does not
    oracle_differs: str | None = None

    @property
    def schema(self) -> str:
        return self.action + ("Response" if self.response else "")


def changed(name: str, *changes) -> dict:
    """
    A copy of C{VALID[name]} with C{(path, value)} changes applied: C{path}
    a tuple of keys and indexes, C{value} the new value or C{_DROP}.
    """
    payload = copy.deepcopy(VALID[name])
    for path, value in changes:
        target = payload
        for key in path[:-1]:
            target = target[key]
        if value is _DROP:
            del target[path[-1]]
        else:
            target[path[-1]] = value
    return payload


def row(name, changes, code, path, problem, oracle_differs=None) -> Invalid:
    """
    An L{Invalid} made from C{VALID[name]} (C{name} is the schema's name)
    with C{changes}: a list of C{(path, value)} (see L{changed}).
    """
    response = name.endswith("Response")
    action = name[: -len("Response")] if response else name
    return Invalid(
        action, response, changed(name, *changes), code, path, problem,
        oracle_differs,
    )


def raw(name, payload, code, path, problem, oracle_differs=None) -> Invalid:
    """
    An L{Invalid} with its payload given whole.
    """
    response = name.endswith("Response")
    action = name[: -len("Response")] if response else name
    return Invalid(action, response, payload, code, path, problem, oracle_differs)


MV_SV = ("meterValue", 0, "sampledValue", 0)
PERIOD = ("csChargingProfiles", "chargingSchedule", "chargingSchedulePeriod", 0)
PERIOD_PATH = "csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0]"

INVALID = [
    # Not a JSON object: FormationViolation.
    raw("Heartbeat", [], FORMATION, "payload", "expected a JSON object, got array"),
    raw("Heartbeat", "{}", FORMATION, "payload", "expected a JSON object, got string"),
    raw("Heartbeat", 42, FORMATION, "payload", "expected a JSON object, got integer"),
    raw("Heartbeat", None, FORMATION, "payload", "expected a JSON object, got null"),
    raw("BootNotificationResponse", True, FORMATION, "payload", "got boolean"),
    raw("Authorize", 1.5, FORMATION, "payload", "got number"),
    raw("Authorize", [{"idTag": "A"}], FORMATION, "payload", "got array"),
    # Missing required fields, too few items: OccurenceConstraintViolation.
    raw("Authorize", {}, OCCURENCE, "idTag", "required, but missing"),
    row("BootNotification", [(("chargePointModel",), _DROP)], OCCURENCE,
        "chargePointModel", "required, but missing"),
    raw("HeartbeatResponse", {}, OCCURENCE, "currentTime", "required"),
    row("AuthorizeResponse", [(("idTagInfo", "status"), _DROP)], OCCURENCE,
        "idTagInfo.status", "required, but missing"),
    row("MeterValues", [(("meterValue", 0, "sampledValue"), [])], OCCURENCE,
        "meterValue[0].sampledValue", "needs at least 1 item(s), got 0"),
    row("MeterValues", [(("meterValue",), [])], OCCURENCE,
        "meterValue", "needs at least 1 item(s), got 0"),
    row("MeterValues", [(("meterValue", 0, "timestamp"), _DROP)], OCCURENCE,
        "meterValue[0].timestamp", "required, but missing"),
    row("MeterValues", [(MV_SV + ("value",), _DROP)], OCCURENCE,
        "meterValue[0].sampledValue[0].value", "required, but missing"),
    row("SetChargingProfile", [(PERIOD + ("limit",), _DROP)], OCCURENCE,
        PERIOD_PATH + ".limit", "required, but missing"),
    row("SetChargingProfile",
        [(("csChargingProfiles", "chargingSchedule", "chargingSchedulePeriod"), _DROP)],
        OCCURENCE, "csChargingProfiles.chargingSchedule.chargingSchedulePeriod",
        "required"),
    row("GetLog", [(("log", "remoteLocation"), _DROP)], OCCURENCE,
        "log.remoteLocation", "required, but missing"),
    row("DeleteCertificate", [(("certificateHashData", "serialNumber"), _DROP)],
        OCCURENCE, "certificateHashData.serialNumber", "required, but missing"),
    row("GetInstalledCertificateIdsResponse", [(("certificateHashData",), [])],
        OCCURENCE, "certificateHashData", "needs at least 1 item(s), got 0"),
    row("SendLocalList",
        [(("localAuthorizationList", 1, "idTagInfo", "status"), _DROP)],
        OCCURENCE, "localAuthorizationList[1].idTagInfo.status", "required"),
    row("StopTransaction", [(("transactionId",), _DROP)], OCCURENCE,
        "transactionId", "required, but missing"),
    row("SignedUpdateFirmware", [(("firmware", "signature"), _DROP)], OCCURENCE,
        "firmware.signature", "required, but missing"),
    row("StopTransaction", [(("transactionData", 0, "sampledValue"), _DROP)],
        OCCURENCE, "transactionData[0].sampledValue", "required, but missing"),
    # Wrong JSON types: TypeConstraintViolation.
    row("StatusNotification", [(("connectorId",), "1")], TYPE,
        "connectorId", "expected integer, got string"),
    row("Authorize", [(("idTag",), 12345)], TYPE,
        "idTag", "expected string, got integer"),
    row("StartTransaction", [(("meterStart",), True)], TYPE,
        "meterStart", "expected integer, got boolean"),
    row("StartTransaction", [(("connectorId",), 1.5)], TYPE,
        "connectorId", "expected integer, got number"),
    row("ChangeAvailability", [(("connectorId",), 2.0)], TYPE,
        "connectorId", "expected integer, got number"),
    row("MeterValues", [(("meterValue",), {"timestamp": T})], TYPE,
        "meterValue", "expected array, got object"),
    row("AuthorizeResponse", [(("idTagInfo",), [{"status": "Accepted"}])], TYPE,
        "idTagInfo", "expected object, got array"),
    row("Authorize", [(("idTag",), None)], TYPE, "idTag", "expected string, got null"),
    row("BootNotificationResponse", [(("interval",), None)], TYPE,
        "interval", "expected integer, got null"),
    row("StatusNotification", [(("info",), None)], TYPE,
        "info", "expected string, got null"),
    row("GetConfigurationResponse", [(("configurationKey", 0, "readonly"), "true")],
        TYPE, "configurationKey[0].readonly", "expected boolean, got string"),
    row("GetConfigurationResponse", [(("configurationKey", 0, "readonly"), 1)],
        TYPE, "configurationKey[0].readonly", "expected boolean, got integer"),
    row("SetChargingProfile", [(PERIOD + ("limit",), "16")], TYPE,
        PERIOD_PATH + ".limit", "expected number, got string"),
    row("SetChargingProfile", [(PERIOD + ("limit",), True)], TYPE,
        PERIOD_PATH + ".limit", "expected number, got boolean"),
    row("GetLog", [(("requestId",), 1.5)], TYPE,
        "requestId", "expected integer, got number"),
    row("GetLog", [(("requestId",), "7")], TYPE,
        "requestId", "expected integer, got string"),
    row("GetConfiguration", [(("key",), "HeartbeatInterval")], TYPE,
        "key", "expected array, got string"),
    row("GetConfiguration", [(("key", 1), 1)], TYPE,
        "key[1]", "expected string, got integer"),
    row("MeterValues", [(MV_SV, "12.5")], TYPE,
        "meterValue[0].sampledValue[0]", "expected object, got string"),
    row("DataTransfer", [(("data",), {"a": 1})], TYPE,
        "data", "expected string, got object"),
    row("HeartbeatResponse", [(("currentTime",), 1764057600)], TYPE,
        "currentTime", "expected string, got integer"),
    row("Reset", [(("type",), 1)], TYPE, "type", "expected string, got integer"),
    row("SendLocalList", [(("localAuthorizationList", 0, "idTagInfo"), "Accepted")],
        TYPE, "localAuthorizationList[0].idTagInfo", "expected object, got string"),
    # Date-times that are not RFC 3339: TypeConstraintViolation.
    row("HeartbeatResponse", [(("currentTime",), "2026-11-25T08:00:00")], TYPE,
        "currentTime", "is not an RFC 3339 date-time"),
    row("HeartbeatResponse", [(("currentTime",), "2026-13-01T00:00:00Z")], TYPE,
        "currentTime", "is not an RFC 3339 date-time"),
    row("HeartbeatResponse", [(("currentTime",), "2026-11-25")], TYPE,
        "currentTime", "is not an RFC 3339 date-time"),
    row("HeartbeatResponse", [(("currentTime",), "yesterday")], TYPE,
        "currentTime", "'yesterday' is not an RFC 3339 date-time"),
    row("HeartbeatResponse", [(("currentTime",), "2026-02-30T00:00:00Z")], TYPE,
        "currentTime", "is not an RFC 3339 date-time"),
    row("HeartbeatResponse", [(("currentTime",), "2026-11-25 08:00:00Z")], TYPE,
        "currentTime", "is not an RFC 3339 date-time"),
    row("HeartbeatResponse", [(("currentTime",), "2026-11-25T08:00Z")], TYPE,
        "currentTime", "is not an RFC 3339 date-time"),
    row("HeartbeatResponse", [(("currentTime",), "2026-11-25T24:00:00Z")], TYPE,
        "currentTime", "is not an RFC 3339 date-time"),
    row("HeartbeatResponse", [(("currentTime",), "2026-11-25T08:00:00+24:00")], TYPE,
        "currentTime", "is not an RFC 3339 date-time"),
    row("MeterValues", [(("meterValue", 0, "timestamp"), "2026-11-25T08:00:00.Z")],
        TYPE, "meterValue[0].timestamp", "is not an RFC 3339 date-time"),
    row("StartTransaction", [(("timestamp",), "")], TYPE,
        "timestamp", "is not an RFC 3339 date-time"),
    row("GetLog", [(("log", "oldestTimestamp"), "2026-11-25T08:00:00+0100")], TYPE,
        "log.oldestTimestamp", "is not an RFC 3339 date-time"),
    row("BootNotificationResponse", [(("currentTime",), "1764057600")], TYPE,
        "currentTime", "is not an RFC 3339 date-time"),
    row("HeartbeatResponse", [(("currentTime",), "0000-01-01T00:00:00Z")], TYPE,
        "currentTime", "is not an RFC 3339 date-time"),
    # RFC 3339's time-minute is 00-59, in offsets too.
    row("HeartbeatResponse", [(("currentTime",), "2026-11-25T08:00:00+05:75")], TYPE,
        "currentTime", "is not an RFC 3339 date-time"),
    row("StartTransaction", [(("timestamp",), "2026-11-25T08:00:00-01:60")], TYPE,
        "timestamp", "is not an RFC 3339 date-time"),
    # Strings longer than their CiString limit: PropertyConstraintViolation.
    row("Authorize", [(("idTag",), "X" * 21)], PROPERTY,
        "idTag", "longer than 20 characters (21)"),
    row("Authorize", [(("idTag",), "é" * 21)], PROPERTY,
        "idTag", "longer than 20 characters (21)"),
    row("BootNotification", [(("chargePointSerialNumber",), "S" * 26)], PROPERTY,
        "chargePointSerialNumber", "longer than 25 characters"),
    row("BootNotification", [(("firmwareVersion",), "1" * 51)], PROPERTY,
        "firmwareVersion", "longer than 50 characters"),
    row("ChangeConfiguration", [(("value",), "v" * 501)], PROPERTY,
        "value", "longer than 500 characters"),
    row("GetConfigurationResponse", [(("configurationKey", 0, "value"), "v" * 501)],
        PROPERTY, "configurationKey[0].value", "longer than 500 characters"),
    row("StatusNotification", [(("vendorId",), "v" * 256)], PROPERTY,
        "vendorId", "longer than 255 characters"),
    row("SendLocalList",
        [(("localAuthorizationList", 1, "idTagInfo", "parentIdTag"), "P" * 21)],
        PROPERTY, "localAuthorizationList[1].idTagInfo.parentIdTag",
        "longer than 20 characters"),
    row("SecurityEventNotification", [(("type",), "t" * 51)], PROPERTY,
        "type", "longer than 50 characters"),
    row("GetConfiguration", [(("key", 1), "k" * 51)], PROPERTY,
        "key[1]", "longer than 50 characters"),
    row("DeleteCertificate", [(("certificateHashData", "issuerNameHash"), "a" * 129)],
        PROPERTY, "certificateHashData.issuerNameHash", "longer than 128 characters"),
    # Values not in their enumeration: PropertyConstraintViolation.
    row("Reset", [(("type",), "hard")], PROPERTY, "type", "'hard' is not one of"),
    row("StatusNotification", [(("status",), "Busy")], PROPERTY,
        "status", "'Busy' is not one of"),
    row("StatusNotification", [(("errorCode",), "")], PROPERTY,
        "errorCode", "'' is not one of"),
    row("MeterValues", [(MV_SV + ("unit",), "kwh")], PROPERTY,
        "meterValue[0].sampledValue[0].unit", "'kwh' is not one of Wh, kWh"),
    row("MeterValues", [(MV_SV + ("measurand",), "Energy")], PROPERTY,
        "meterValue[0].sampledValue[0].measurand", "'Energy' is not one of"),
    row("StopTransaction", [(("transactionData", 0, "sampledValue", 0, "unit"), "Hertz")],
        PROPERTY, "transactionData[0].sampledValue[0].unit", "'Hertz' is not one of"),
    row("GetLog", [(("logType",), "AuditLog")], PROPERTY,
        "logType", "'AuditLog' is not one of DiagnosticsLog, SecurityLog"),
    row("DeleteCertificate", [(("certificateHashData", "hashAlgorithm"), "MD5")],
        PROPERTY, "certificateHashData.hashAlgorithm", "'MD5' is not one of"),
    row("AuthorizeResponse", [(("idTagInfo", "status"), "OK")], PROPERTY,
        "idTagInfo.status", "'OK' is not one of"),
    row("SetChargingProfile",
        [(("csChargingProfiles", "chargingSchedule", "chargingRateUnit"), "kW")],
        PROPERTY, "csChargingProfiles.chargingSchedule.chargingRateUnit",
        "'kW' is not one of A, W"),
    # Properties the schema does not have: PropertyConstraintViolation.
    raw("Heartbeat", {"foo": 1}, PROPERTY, "foo", "not a field of this message"),
    row("Authorize", [(("id_tag",), "A")], PROPERTY,
        "id_tag", "not a field of this message"),
    row("HeartbeatResponse", [(("CurrentTime",), T)], PROPERTY,
        "CurrentTime", "not a field of this message"),
    row("AuthorizeResponse", [(("idTagInfo", "reason"), "x")], PROPERTY,
        "idTagInfo.reason", "not a field of this message"),
    row("MeterValues", [(MV_SV + ("signedData",), "x")], PROPERTY,
        "meterValue[0].sampledValue[0].signedData", "not a field of this message"),
    row("GetLog", [(("log", "extra"), None)], PROPERTY,
        "log.extra", "not a field of this message"),
    row("SetChargingProfile", [(PERIOD + ("phaseToUse",), 1)], PROPERTY,
        PERIOD_PATH + ".phaseToUse", "not a field of this message"),
    row("GetCompositeScheduleResponse", [(("evseId",), 1)], PROPERTY,
        "evseId", "not a field of this message"),
    # Numbers: steps and finiteness: PropertyConstraintViolation.
    row("SetChargingProfile", [(PERIOD + ("limit",), 0.15)], PROPERTY,
        PERIOD_PATH + ".limit", "0.15 is not a multiple of 0.1"),
    row("SetChargingProfile",
        [(("csChargingProfiles", "chargingSchedule", "minChargingRate"), 6.05)],
        PROPERTY, "csChargingProfiles.chargingSchedule.minChargingRate",
        "is not a multiple of 0.1"),
    row("GetCompositeScheduleResponse",
        [(("chargingSchedule", "chargingSchedulePeriod", 0, "limit"), 0.01)],
        PROPERTY, "chargingSchedule.chargingSchedulePeriod[0].limit",
        "is not a multiple of 0.1"),
    row("SetChargingProfile", [(PERIOD + ("limit",), float("nan"))], PROPERTY,
        PERIOD_PATH + ".limit", "nan is not a finite number", ORACLE_ALLOWS_NON_FINITE),
    row("SetChargingProfile", [(PERIOD + ("limit",), float("inf"))], PROPERTY,
        PERIOD_PATH + ".limit", "is not a finite number", ORACLE_ALLOWS_NON_FINITE),
    row("SetChargingProfile", [(PERIOD + ("limit",), float("-inf"))], PROPERTY,
        PERIOD_PATH + ".limit", "is not a finite number", ORACLE_ALLOWS_NON_FINITE),
    row("StatusNotification", [(("connectorId",), float("nan"))], PROPERTY,
        "connectorId", "is not a finite number"),
    row("GetLog", [(("requestId",), float("inf"))], PROPERTY,
        "requestId", "is not a finite number"),
    # URIs without a scheme: PropertyConstraintViolation.
    row("GetDiagnostics", [(("location",), "not a uri")], PROPERTY,
        "location", "is not an absolute URI", ORACLE_IGNORES_URI_FORMAT),
    row("UpdateFirmware", [(("location",), "/firmware/latest.bin")], PROPERTY,
        "location", "is not an absolute URI", ORACLE_IGNORES_URI_FORMAT),
]


class InvalidPayloadTests(SynchronousTestCase):
    """
    Each payload of L{INVALID} is refused as the row says.
    """

    def assertRefused(self, case: Invalid):
        cls = ACTIONS[case.action].response if case.response else ACTIONS[case.action].request
        with self.assertRaises(ValidationError) as caught:
            codec.decode(cls, case.payload)
        error = caught.exception
        self.assertEqual(error.code, case.code, error.description)
        self.assertTrue(
            error.description.startswith(case.path + ": "),
            f"{error.description!r} does not start with {case.path!r}",
        )
        self.assertIn(case.problem, error.description)
        self.assertEqual(str(error), f"{case.code}: {error.description}")
        # validate() refuses it the same way.
        with self.assertRaises(ValidationError) as again:
            codec.validate(cls, case.payload)
        self.assertEqual(
            (again.exception.code, again.exception.description),
            (error.code, error.description),
        )
        self.assertOracle(case)

    def assertOracle(self, case: Invalid):
        try:
            errors = list(schema_validator(case.schema).iter_errors(case.payload))
        except (ValueError, OverflowError):
            # jsonschema's multipleOf cannot take NaN or infinities.
            errors = None
        if case.oracle_differs is None:
            self.assertTrue(errors, f"the oracle accepts {case.payload!r}")
        else:
            self.assertFalse(
                errors, f"the oracle refuses it: {case.oracle_differs} is stale"
            )

    def test_table(self):
        """
        The table has at least 60 rows, covers every error code a payload
        can earn, and starts from valid payloads.
        """
        self.assertGreaterEqual(len(INVALID), 60)
        self.assertEqual(
            {case.code for case in INVALID},
            {FORMATION, OCCURENCE, TYPE, PROPERTY},
        )
        for name, payload in VALID.items():
            response = name.endswith("Response")
            action = name[: -len("Response")] if response else name
            assert_payload_valid(self, action, payload, response=response)
            validate_payload(name, payload)

    def test_validAtTheLimits(self):
        """
        Strings exactly at their limit are valid, in code points: twenty
        two-byte characters are a valid idTag.
        """
        for id_tag in ("X" * 20, "é" * 20, "€" * 20):
            self.assertEqual(
                codec.decode(AuthorizeRequest, {"idTag": id_tag}).id_tag, id_tag
            )
            assert_payload_valid(self, "Authorize", {"idTag": id_tag})
        message = codec.decode(
            BootNotificationRequest,
            {"chargePointVendor": "V" * 20, "chargePointModel": "M",
             "chargePointSerialNumber": "S" * 25, "firmwareVersion": "F" * 50},
        )
        self.assertEqual(message.firmware_version, "F" * 50)

    def test_firstViolationReported(self):
        """
        A payload with several violations is refused for one of them, with
        that one's code and path.
        """
        with self.assertRaises(ValidationError) as caught:
            codec.decode(AuthorizeRequest, {"idTag": "X" * 21, "extra": 1})
        self.assertIn(
            (caught.exception.code, caught.exception.description.split(":")[0]),
            {(PROPERTY, "idTag"), (PROPERTY, "extra")},
        )


def _add_row_tests(case):
    for index, invalid in enumerate(INVALID):
        def test(self, invalid=invalid):
            self.assertRefused(invalid)

        last = invalid.path.rsplit(".", 1)[-1]
        slug = "".join(c if c.isalnum() else "_" for c in last).strip("_")
        test.__name__ = f"test_{index:03d}_{invalid.schema}_{slug}"
        test.__doc__ = (
            f"{invalid.schema} with {invalid.path} wrong is refused with "
            f"{invalid.code}: {invalid.problem}."
        )
        setattr(case, test.__name__, test)
    return case


_add_row_tests(InvalidPayloadTests)
