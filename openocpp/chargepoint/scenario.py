"""
Scenario files of the simulator (C{--scenario FILE}): what each simulated
charge point does, step by step. YAML (C{.yaml}, C{.yml}) or JSON::

    connector: 1              # the connector the steps use (default 1)
    steps:                    # every charge point's steps...
      - plug_in
      - authorize: TAG-1
      - charge: {kwh: 10, kw: 11}
      - unplug
      - wait: 30
    charge_points:            # ...unless it has its own
      SIM0002:
        - fault: {errorCode: GroundFailure, seconds: 60}

A whole file may also be a bare list of steps. L{load_scenario} checks the
file before anything starts: a wrong step is one error naming its index
and field (C{step 3 (charge): kwh must be a positive number, not 'ten'}).
"""

import json
import os
from dataclasses import dataclass, field
from typing import Any

from openocpp.messages import ACTIONS, Role, codec
from openocpp.messages.enums import ChargePointErrorCode

#: The steps, and the fields each takes (C{None}: a bare word).
STEPS = {
    "plug_in": None,
    "unplug": None,
    "authorize": "idTag",
    "charge": ("kwh", "kw", "idTag"),
    "fault": ("errorCode", "info", "seconds"),
    "offline": "seconds",
    "reboot": None,
    "answer": ("action", "status"),
    "wait": "seconds",
    "repeat": ("times", "steps"),
}


@dataclass(frozen=True)
class Step:
    """
    One step of a scenario.

    @ivar kind: one of L{STEPS}.
    @ivar args: its fields (C{idTag}, C{kwh}, ...), checked.
    @ivar where: its place in the file, for messages (C{"step 3"},
        C{"SIM0002 step 2.1"}).
    """

    kind: str
    args: dict = field(default_factory=dict)
    where: str = ""


@dataclass(frozen=True)
class Scenario:
    """
    A checked scenario file.

    @ivar steps: every charge point's steps.
    @ivar charge_points: identity -> its own steps.
    @ivar connector: the connector the steps use.
    @ivar path: the file.
    """

    steps: tuple = ()
    charge_points: dict = field(default_factory=dict)
    connector: int = 1
    path: str = ""

    def steps_of(self, identity: str) -> tuple:
        """
        @return: the steps of a charge point.
        """
        return self.charge_points.get(identity, self.steps)


class ScenarioError(ValueError):
    """
    A scenario file is wrong; the message names the file, the step and
    the field.
    """


def load_scenario(path: str) -> Scenario:
    """
    Read and check a scenario file.

    @raise ScenarioError: it cannot be read, or is not a valid scenario.
    """
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except OSError as error:
        raise ScenarioError(f"--scenario {path!r}: {error.strerror}") from None
    extension = os.path.splitext(path)[1].lower()
    try:
        if extension in (".yaml", ".yml"):
            import yaml

            try:
                document = yaml.safe_load(text)
            except yaml.YAMLError as error:
                raise ScenarioError(
                    f"--scenario {path!r}: not YAML: {' '.join(str(error).split())}"
                ) from None
        elif extension == ".json":
            try:
                document = json.loads(text)
            except ValueError as error:
                raise ScenarioError(f"--scenario {path!r}: not JSON: {error}") from None
        else:
            raise ScenarioError(f"--scenario {path!r}: a .yaml, .yml or .json file, please")
        return parse_scenario(document, path)
    except ScenarioError:
        raise
    except ValueError as error:
        raise ScenarioError(f"--scenario {path!r}: {error}") from None


def parse_scenario(document: Any, path: str = "") -> Scenario:
    """
    Check a scenario's parsed document.

    @raise ValueError: it is not a valid scenario; the message names the
        step and field.
    """
    if isinstance(document, list):
        document = {"steps": document}
    if not isinstance(document, dict):
        raise ValueError("a list of steps, or a mapping with steps")
    unknown = set(document) - {"steps", "charge_points", "connector"}
    if unknown:
        raise ValueError(f"unknown field {sorted(unknown)[0]!r} (steps, charge_points, connector)")
    connector = document.get("connector", 1)
    if isinstance(connector, bool) or not isinstance(connector, int) or connector < 1:
        raise ValueError(f"connector must be a connector number (1 or more), not {connector!r}")
    steps = _steps(document.get("steps", []), "step ")
    own = document.get("charge_points") or {}
    if not isinstance(own, dict):
        raise ValueError("charge_points must map identities to their steps")
    charge_points = {str(identity): _steps(list_, f"{identity} step ") for identity, list_ in own.items()}
    if not steps and not charge_points:
        raise ValueError("no steps")
    return Scenario(steps=steps, charge_points=charge_points, connector=connector, path=path)


def _steps(items: Any, prefix: str) -> tuple:
    if not isinstance(items, list):
        raise ValueError(f"{prefix.strip()}s must be a list, not {type(items).__name__}")
    return tuple(_step(item, f"{prefix}{index}") for index, item in enumerate(items, 1))


def _step(item: Any, where: str) -> Step:
    if isinstance(item, str):
        kind, value = item, None
    elif isinstance(item, dict) and len(item) == 1:
        ((kind, value),) = item.items()
    else:
        raise ValueError(f"{where}: a step is one name (plug_in) or one name: value, not {item!r}")
    if kind not in STEPS:
        raise ValueError(f"{where}: unknown step {kind!r} (one of {', '.join(STEPS)})")
    where = f"{where} ({kind})"
    fields = STEPS[kind]
    if fields is None:
        if value is not None:
            raise ValueError(f"{where}: takes no value, not {value!r}")
        return Step(kind, {}, where)
    if isinstance(fields, str):  # one value, given bare or by its name
        if isinstance(value, dict):
            _only(value, (fields,), where)
            value = value.get(fields)
        value = {fields: value}
    elif not isinstance(value, dict):
        raise ValueError(f"{where}: its fields are {', '.join(fields)}, not {value!r}")
    else:
        _only(value, fields, where)
    return Step(kind, _CHECKS[kind](dict(value), where), where)


def _only(value: dict, fields: tuple, where: str) -> None:
    for name in value:
        if name not in fields:
            raise ValueError(f"{where}: unknown field {name!r} ({', '.join(fields)})")


def _number(args: dict, name: str, where: str, required: bool = True, positive: bool = True) -> None:
    value = args.get(name)
    if value is None and not required:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
        value > 0 if positive else value >= 0
    ):
        kind = "a positive number" if positive else "a number of 0 or more"
        raise ValueError(f"{where}: {name} must be {kind}, not {value!r}")
    args[name] = float(value)


def _id_tag(args: dict, where: str, required: bool) -> None:
    value = args.get("idTag")
    if value is None and not required:
        return
    if not isinstance(value, str) or not 1 <= len(value) <= 20:
        raise ValueError(f"{where}: idTag must be 1 to 20 characters (CiString20Type), not {value!r}")


def _check_authorize(args, where):
    _id_tag(args, where, required=True)
    return args


def _check_charge(args, where):
    _number(args, "kwh", where)
    _number(args, "kw", where)
    _id_tag(args, where, required=False)
    return args


def _check_fault(args, where):
    code = args.get("errorCode")
    valid = [c.value for c in ChargePointErrorCode if c is not ChargePointErrorCode.NO_ERROR]
    if code not in valid:
        raise ValueError(f"{where}: errorCode must be a ChargePointErrorCode but NoError, not {code!r}")
    info = args.get("info")
    if info is not None and (not isinstance(info, str) or len(info) > 50):
        raise ValueError(f"{where}: info must be up to 50 characters, not {info!r}")
    _number(args, "seconds", where, required=False)
    return args


def _check_seconds(args, where):
    _number(args, "seconds", where, positive=False)
    return args


def _check_answer(args, where):
    action = args.get("action")
    spec = ACTIONS.get(action) if isinstance(action, str) else None
    if spec is None or not spec.received_by(Role.CHARGE_POINT):
        raise ValueError(f"{where}: action must be a request the central system sends, not {action!r}")
    status = args.get("status")
    if status is None:
        return args  # back to the charge point's own answers
    try:
        args["response"] = codec.decode(spec.response, {"status": status})
    except Exception:
        raise ValueError(
            f"{where}: status {status!r} is not an answer of {action} "
            "(or its answer has no status alone)"
        ) from None
    return args


def _check_repeat(args, where):
    times = args.get("times", 2)
    if isinstance(times, bool) or not isinstance(times, int) or times < 1:
        raise ValueError(f"{where}: times must be a whole number of 1 or more, not {times!r}")
    args["times"] = times
    inner = _steps(args.get("steps"), f"{where.split(' (')[0]}.")
    if not inner:
        raise ValueError(f"{where}: steps must not be empty")
    args["steps"] = inner
    return args


_CHECKS = {
    "authorize": _check_authorize,
    "charge": _check_charge,
    "fault": _check_fault,
    "offline": _check_seconds,
    "answer": _check_answer,
    "wait": _check_seconds,
    "repeat": _check_repeat,
}
