"""
Tests for L{openocpp.messages}: the message classes against the official
schemas, the registry of actions, the C{python -m openocpp.messages}
self-check, and the schemas the package ships.
"""

import dataclasses
import enum
import inspect
import io
import typing
from contextlib import redirect_stdout
from datetime import datetime
from pathlib import Path

from twisted.trial.unittest import SynchronousTestCase

import openocpp.messages
from openocpp.messages import core, datatypes, enums, security
from openocpp.messages.__main__ import main
from openocpp.messages.codec import camel_case, schema_name
from openocpp.messages.registry import ACTIONS, ActionSpec, Role, actions_sent_by
from tests.oracle import SCHEMA_DIR
from tests.payloads import (
    has_default,
    message_classes,
    official_schema,
    resolve,
    schema_name_of,
    schema_names,
    unwrap_optional,
)

CP = Role.CHARGE_POINT
CS = Role.CENTRAL_SYSTEM

#: The actions each role sends (OCPP 1.6 section 3.1 and chapters 4 and 5;
#: Security Whitepaper chapter 7). DataTransfer goes both ways.
SENT_BY_CHARGE_POINT = {
    "Authorize", "BootNotification", "DataTransfer",
    "DiagnosticsStatusNotification", "FirmwareStatusNotification",
    "Heartbeat", "MeterValues", "StartTransaction", "StatusNotification",
    "StopTransaction",
    # Security Whitepaper
    "LogStatusNotification", "SecurityEventNotification", "SignCertificate",
    "SignedFirmwareStatusNotification",
}
SENT_BY_CENTRAL_SYSTEM = {
    "CancelReservation", "ChangeAvailability", "ChangeConfiguration",
    "ClearCache", "ClearChargingProfile", "DataTransfer", "GetCompositeSchedule",
    "GetConfiguration", "GetDiagnostics", "GetLocalListVersion",
    "RemoteStartTransaction", "RemoteStopTransaction", "ReserveNow", "Reset",
    "SendLocalList", "SetChargingProfile", "TriggerMessage", "UnlockConnector",
    "UpdateFirmware",
    # Security Whitepaper
    "CertificateSigned", "DeleteCertificate", "ExtendedTriggerMessage",
    "GetInstalledCertificateIds", "GetLog", "InstallCertificate",
    "SignedUpdateFirmware",
}

#: The feature profiles of OCPP 1.6 section 3.1, and the Security Whitepaper.
PROFILES = {
    "Core": {
        "Authorize", "BootNotification", "ChangeAvailability",
        "ChangeConfiguration", "ClearCache", "DataTransfer",
        "GetConfiguration", "Heartbeat", "MeterValues",
        "RemoteStartTransaction", "RemoteStopTransaction", "Reset",
        "StartTransaction", "StatusNotification", "StopTransaction",
        "UnlockConnector",
    },
    "FirmwareManagement": {
        "GetDiagnostics", "DiagnosticsStatusNotification",
        "FirmwareStatusNotification", "UpdateFirmware",
    },
    "LocalAuthListManagement": {"GetLocalListVersion", "SendLocalList"},
    "Reservation": {"CancelReservation", "ReserveNow"},
    "SmartCharging": {
        "ClearChargingProfile", "GetCompositeSchedule", "SetChargingProfile",
    },
    "RemoteTrigger": {"TriggerMessage"},
    "Security": {
        "CertificateSigned", "DeleteCertificate", "ExtendedTriggerMessage",
        "GetInstalledCertificateIds", "GetLog", "InstallCertificate",
        "LogStatusNotification", "SecurityEventNotification",
        "SignCertificate", "SignedFirmwareStatusNotification",
        "SignedUpdateFirmware",
    },
}

#: Enumerations whose class is the union of the values different schemas
#: allow, rather than one schema's list.
UNION_ENUMS = {enums.UnitOfMeasure}

_SCALARS = {int: "integer", float: "number", str: "string", bool: "boolean"}


class SchemaComparison:
    """
    Compares a message class, recursively, with its schema, and gathers what
    it meets on the way.

    @ivar problems: what does not match, one line each, naming where.
    @ivar enum_values: for each enumeration class met, the value lists of the
        schema nodes it stands for.
    @ivar data_classes: the data classes met.
    """

    def __init__(self):
        self.problems: list[str] = []
        self.enum_values: dict[type, list[list[str]]] = {}
        self.data_classes: set[type] = set()

    def compare_class(self, cls: type, root: dict, node: dict, where: str):
        node = resolve(root, node)
        if node.get("type") != "object":
            self.problems.append(f"{where}: schema node is not an object")
            return
        properties = node.get("properties", {})
        required = set(node.get("required", ()))
        fields = dataclasses.fields(cls)
        names = [camel_case(field.name) for field in fields]
        if sorted(names) != sorted(properties):
            self.problems.append(
                f"{where} ({cls.__name__}): fields {sorted(names)} != "
                f"schema properties {sorted(properties)}"
            )
        if node.get("additionalProperties", True) is not False:
            self.problems.append(f"{where}: schema is open (test assumption)")
        hints = typing.get_type_hints(cls)
        for field, name in zip(fields, names):
            if name not in properties:
                continue
            at = f"{where}.{name}"
            hint, optional = unwrap_optional(hints[field.name])
            if has_default(field) != (name not in required):
                self.problems.append(
                    f"{at}: required in schema: {name in required}, "
                    f"has a default: {has_default(field)}"
                )
            if has_default(field) and field.default is not None:
                self.problems.append(f"{at}: default is {field.default!r}")
            if optional != (name not in required):
                self.problems.append(
                    f"{at}: hint {hints[field.name]!r} optional: {optional}"
                )
            self.compare_value(hint, root, properties[name], at)

    def compare_value(self, hint, root: dict, node: dict, where: str):
        node = resolve(root, node)
        json_type = node.get("type")
        if typing.get_origin(hint) is list:
            if json_type != "array":
                self.problems.append(f"{where}: list for {json_type}")
                return
            (inner,) = typing.get_args(hint)
            self.compare_value(inner, root, node["items"], where + "[]")
        elif dataclasses.is_dataclass(hint):
            self.data_classes.add(hint)
            self.compare_class(hint, root, node, where)
        elif isinstance(hint, type) and issubclass(hint, enum.Enum):
            if json_type != "string" or "enum" not in node:
                self.problems.append(f"{where}: {hint.__name__} for {node}")
                return
            self.enum_values.setdefault(hint, []).append(node["enum"])
        elif hint is datetime:
            if json_type != "string" or node.get("format") != "date-time":
                self.problems.append(f"{where}: datetime for {node}")
        elif hint in _SCALARS:
            if json_type != _SCALARS[hint]:
                self.problems.append(f"{where}: {hint.__name__} for {json_type}")
            if "enum" in node or node.get("format") == "date-time":
                self.problems.append(f"{where}: plain {hint.__name__} for {node}")
        else:
            self.problems.append(f"{where}: unexpected hint {hint!r}")


def compare_all() -> SchemaComparison:
    comparison = SchemaComparison()
    for cls in message_classes():
        name = schema_name_of(cls)
        root = official_schema(name)
        comparison.compare_class(cls, root, root, name)
    return comparison


def _members(module, predicate) -> set[type]:
    return {
        value for value in vars(module).values()
        if inspect.isclass(value) and value.__module__ == module.__name__
        and predicate(value)
    }


class MessageClassesTests(SynchronousTestCase):
    """
    The message classes say what the official schemas say.
    """

    def test_fieldsAreTheSchemaProperties(self):
        """
        For every request and response, and recursively for the data types
        they hold, the dataclass fields are exactly the schema's properties
        (by C{camel_case}), a field has a default (C{None}) exactly when the
        schema does not require it, and its type hint matches the schema's
        JSON type.
        """
        comparison = compare_all()
        self.assertEqual(comparison.problems, [])

    def test_everySchemaHasAClass(self):
        """
        The 78 official schemas are the schemas of the 39 actions' requests
        and responses, and L{schema_name} names each class's schema.
        """
        self.assertEqual(
            sorted(schema_name(cls) for cls in message_classes()),
            schema_names(),
        )
        self.assertEqual(len(schema_names()), 78)

    def test_classAttributes(self):
        """
        A request class is C{<Action>Request} with C{is_response} false, a
        response C{<Action>Response} with C{is_response} true; both carry
        their action, which is not a dataclass field.
        """
        for name, spec in ACTIONS.items():
            self.assertEqual(spec.request.__name__, name + "Request")
            self.assertEqual(spec.response.__name__, name + "Response")
            self.assertEqual(spec.request.action, name)
            self.assertEqual(spec.response.action, name)
            self.assertIs(spec.request.is_response, False)
            self.assertIs(spec.response.is_response, True)
            for cls in (spec.request, spec.response):
                field_names = {f.name for f in dataclasses.fields(cls)}
                self.assertNotIn("action", field_names)
                self.assertNotIn("is_response", field_names)

    def test_fieldsAreKeywordOnly(self):
        """
        Messages are built with keyword arguments only.
        """
        comparison = compare_all()
        for cls in message_classes() + sorted(
            comparison.data_classes, key=lambda c: c.__name__
        ):
            for field in dataclasses.fields(cls):
                self.assertTrue(field.kw_only, f"{cls.__name__}.{field.name}")

    def test_enumerationValues(self):
        """
        Each enumeration's values are those of every schema node it stands
        for; L{enums.UnitOfMeasure}, the union across schemas (C{Celcius}
        and C{Celsius}), contains each schema's values and nothing else.
        """
        comparison = compare_all()
        self.assertNotEqual(comparison.enum_values, {})
        for cls, lists in comparison.enum_values.items():
            values = [member.value for member in cls]
            self.assertEqual(len(values), len(set(values)), cls.__name__)
            if cls in UNION_ENUMS:
                union = set()
                for allowed in lists:
                    self.assertLessEqual(set(allowed), set(values), cls.__name__)
                    union |= set(allowed)
                self.assertEqual(set(values), union, cls.__name__)
            else:
                for allowed in lists:
                    self.assertEqual(set(values), set(allowed), cls.__name__)

    def test_unitOfMeasureKeepsBothSpellings(self):
        """
        L{enums.UnitOfMeasure} has the spec's C{Celcius} and C{Celsius}.
        """
        self.assertEqual(enums.UnitOfMeasure.CELCIUS, "Celcius")
        self.assertEqual(enums.UnitOfMeasure.CELSIUS, "Celsius")

    def test_enumerationsAreStrEnums(self):
        """
        Every enumeration is a L{enum.StrEnum} whose members equal their
        wire values, and every one is used by some message.
        """
        defined = _members(enums, lambda c: issubclass(c, enum.Enum))
        for cls in defined:
            self.assertTrue(issubclass(cls, enum.StrEnum), cls.__name__)
            for member in cls:
                self.assertEqual(str(member), member.value)
                self.assertEqual(member, member.value)
        self.assertEqual(defined, set(compare_all().enum_values))

    def test_dataTypesAreUsed(self):
        """
        Every data class of L{datatypes} is used by some message.
        """
        defined = _members(datatypes, dataclasses.is_dataclass)
        self.assertEqual(defined, compare_all().data_classes)

    def test_packageExportsEveryClass(self):
        """
        C{openocpp.messages} exports every message class, data type and
        enumeration.
        """
        for module in (core, security, datatypes, enums):
            for cls in _members(module, lambda c: True):
                self.assertIs(getattr(openocpp.messages, cls.__name__), cls)


class RegistryTests(SynchronousTestCase):
    """
    L{ACTIONS} lists every action with its classes, senders and profile.
    """

    def test_count(self):
        """
        There are 39 actions: 28 of OCPP 1.6 in the core module, 11 of the
        Security Whitepaper in the security module.
        """
        self.assertEqual(len(ACTIONS), 39)
        security_actions = [
            s for s in ACTIONS.values() if s.profile == "Security"
        ]
        self.assertEqual(len(security_actions), 11)
        for spec in ACTIONS.values():
            module = security if spec.profile == "Security" else core
            self.assertEqual(spec.request.__module__, module.__name__)
            self.assertEqual(spec.response.__module__, module.__name__)
        core_classes = _members(core, dataclasses.is_dataclass)
        security_classes = _members(security, dataclasses.is_dataclass)
        self.assertEqual(len(core_classes), 56)
        self.assertEqual(len(security_classes), 22)
        self.assertEqual(
            core_classes | security_classes, set(message_classes())
        )

    def test_names(self):
        """
        Each action is registered under its own name, sorted.
        """
        self.assertEqual(list(ACTIONS), sorted(ACTIONS))
        for name, spec in ACTIONS.items():
            self.assertIsInstance(spec, ActionSpec)
            self.assertEqual(spec.name, name)

    def test_senders(self):
        """
        Each action is sent by the role the spec says; DataTransfer by both.
        """
        self.assertEqual(
            SENT_BY_CHARGE_POINT | SENT_BY_CENTRAL_SYSTEM, set(ACTIONS)
        )
        for name, spec in ACTIONS.items():
            expected = set()
            if name in SENT_BY_CHARGE_POINT:
                expected.add(CP)
            if name in SENT_BY_CENTRAL_SYSTEM:
                expected.add(CS)
            self.assertEqual(spec.senders, frozenset(expected), name)
            for role in Role:
                self.assertEqual(spec.sent_by(role), role in expected, name)
                self.assertEqual(
                    spec.received_by(role), role.peer in expected, name
                )

    def test_examples(self):
        """
        BootNotification is sent by the Charge Point and received by the
        Central System, Reset the other way, DataTransfer both ways.
        """
        boot = ACTIONS["BootNotification"]
        self.assertTrue(boot.sent_by(CP))
        self.assertFalse(boot.sent_by(CS))
        self.assertTrue(boot.received_by(CS))
        self.assertFalse(boot.received_by(CP))
        reset = ACTIONS["Reset"]
        self.assertTrue(reset.sent_by(CS))
        self.assertFalse(reset.sent_by(CP))
        self.assertTrue(reset.received_by(CP))
        self.assertFalse(reset.received_by(CS))
        transfer = ACTIONS["DataTransfer"]
        for role in Role:
            self.assertTrue(transfer.sent_by(role))
            self.assertTrue(transfer.received_by(role))

    def test_peer(self):
        """
        Each role's peer is the other role.
        """
        self.assertIs(CP.peer, CS)
        self.assertIs(CS.peer, CP)

    def test_actionsSentBy(self):
        """
        L{actions_sent_by} lists, by name, the actions a role sends.
        """
        self.assertEqual(
            [s.name for s in actions_sent_by(CP)], sorted(SENT_BY_CHARGE_POINT)
        )
        self.assertEqual(
            [s.name for s in actions_sent_by(CS)],
            sorted(SENT_BY_CENTRAL_SYSTEM),
        )

    def test_profiles(self):
        """
        Each action belongs to its feature profile: 16 Core, 4 Firmware
        Management, 2 Local Auth List Management, 2 Reservation, 3 Smart
        Charging, 1 Remote Trigger (28 in all), and 11 Security.
        """
        found: dict[str, set[str]] = {}
        for name, spec in ACTIONS.items():
            found.setdefault(spec.profile, set()).add(name)
        self.assertEqual(found, PROFILES)
        self.assertEqual(
            sum(len(v) for k, v in PROFILES.items() if k != "Security"), 28
        )

    def test_immutable(self):
        """
        The registry cannot be changed by accident.
        """
        with self.assertRaises(TypeError):
            ACTIONS["Foo"] = ACTIONS["Heartbeat"]  # type: ignore[index]
        with self.assertRaises(dataclasses.FrozenInstanceError):
            ACTIONS["Heartbeat"].senders = frozenset()  # type: ignore[misc]


class SelfCheckTests(SynchronousTestCase):
    """
    C{python -m openocpp.messages} lists the actions.
    """

    def test_main(self):
        """
        It prints a header counting 39 actions and 78 compiled schemas, then
        one line per action with its profile and senders, and returns 0.
        """
        out = io.StringIO()
        with redirect_stdout(out):
            status = main()
        self.assertEqual(status, 0)
        lines = out.getvalue().splitlines()
        self.assertEqual(
            lines[0], "openocpp: 39 OCPP 1.6 actions, 78 schemas compiled"
        )
        self.assertEqual(len(lines), 40)
        rows = [line.split() for line in lines[1:]]
        self.assertEqual([row[0] for row in rows], sorted(ACTIONS))
        for row, spec in zip(rows, ACTIONS.values()):
            self.assertEqual(row[1], spec.profile)
            self.assertEqual(row[2:4], ["sent", "by"])
        by_name = {row[0]: " ".join(row[4:]) for row in rows}
        self.assertEqual(by_name["BootNotification"], "Charge Point")
        self.assertEqual(by_name["Reset"], "Central System")
        self.assertEqual(
            by_name["DataTransfer"], "Charge Point and Central System"
        )


class ShippedSchemaTests(SynchronousTestCase):
    """
    The package ships the official schemas unchanged.
    """

    def test_identical(self):
        """
        The files in C{openocpp/messages/schemas/} are byte for byte the
        oracle's.
        """
        shipped = Path(openocpp.messages.__file__).parent / "schemas"
        shipped_names = sorted(p.name for p in shipped.glob("*.json"))
        oracle_names = sorted(p.name for p in SCHEMA_DIR.glob("*.json"))
        self.assertEqual(shipped_names, oracle_names)
        self.assertEqual(len(shipped_names), 78)
        for name in shipped_names:
            self.assertEqual(
                (shipped / name).read_bytes(),
                (SCHEMA_DIR / name).read_bytes(),
                name,
            )
