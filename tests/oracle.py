"""
The independent oracle: the Open Charge Alliance's own JSON schemas, checked
with C{jsonschema} (not with openocpp's validators).

The schemas travel with the repository, in C{tests/schemas/}: a clone alone
runs the tests. L{tests.messages.test_classes} checks that this copy is byte for
byte the package's data (C{openocpp/messages/schemas/}) and, where the
project's workspace lays them out beside the checkout, the official files in
C{../shared/ocpp16/schemas/}.
"""

import json
from pathlib import Path

import jsonschema

_here = Path(__file__).resolve().parent

#: The folder that holds the oracle's schemas: the copy in the repository.
SCHEMA_DIR = _here / "schemas"

#: The official schemas beside the checkout, in the project's workspace;
#: C{None} in a clone alone (nothing to compare the copy with then).
_official = _here.parent.parent / "shared" / "ocpp16" / "schemas"
OFFICIAL_SCHEMA_DIR = _official if _official.is_dir() else None

_validators: dict[str, jsonschema.protocols.Validator] = {}


def schema_validator(name: str) -> "jsonschema.protocols.Validator":
    """
    The jsonschema validator for one schema file, e.g. C{"Authorize"} or
    C{"AuthorizeResponse"}, with format checking (date-time, uri) on.
    """
    validator = _validators.get(name)
    if validator is None:
        schema = json.loads((SCHEMA_DIR / f"{name}.json").read_text())
        cls = jsonschema.validators.validator_for(schema)
        validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
        _validators[name] = validator
    return validator


def assert_payload_valid(testcase, action: str, payload, response=False):
    """
    Fail C{testcase} unless C{payload} conforms to the official schema of
    C{action}'s request (or response, when C{response} is true).
    """
    name = action + ("Response" if response else "")
    errors = sorted(
        schema_validator(name).iter_errors(payload), key=lambda e: list(e.path)
    )
    if errors:
        testcase.fail(
            "%s payload %r breaks the official schema: %s"
            % (name, payload, "; ".join(e.message for e in errors))
        )


def assert_frame_valid(testcase, frame, action: str | None = None):
    """
    Fail C{testcase} unless C{frame} (JSON text or the decoded list) is a
    well-formed OCPP-J frame whose payload conforms to the official schema.

    @param action: for a CALLRESULT, the action of the CALL it answers
        (CALLs name their own action; CALLERRORs carry no schema payload).
    """
    if isinstance(frame, (str, bytes)):
        frame = json.loads(frame)
    testcase.assertIsInstance(frame, list)
    kind = frame[0]
    testcase.assertIn(kind, (2, 3, 4))
    testcase.assertIsInstance(frame[1], str)
    testcase.assertLessEqual(len(frame[1]), 36)
    if kind == 2:
        testcase.assertEqual(len(frame), 4)
        assert_payload_valid(testcase, frame[2], frame[3])
    elif kind == 3:
        testcase.assertEqual(len(frame), 3)
        if action is None:
            testcase.fail("a CALLRESULT can only be checked knowing its action")
        assert_payload_valid(testcase, action, frame[2], response=True)
    else:
        testcase.assertEqual(len(frame), 5)
        testcase.assertIn(
            frame[2],
            {
                "NotImplemented", "NotSupported", "InternalError",
                "ProtocolError", "SecurityError", "FormationViolation",
                "PropertyConstraintViolation", "OccurenceConstraintViolation",
                "TypeConstraintViolation", "GenericError",
            },
        )
        testcase.assertIsInstance(frame[3], str)
        testcase.assertIsInstance(frame[4], dict)
