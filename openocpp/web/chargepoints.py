"""
The API's routes for the console's charge point page beyond the generic
ones: the request schema of each action a central system sends
(C{GET /api/v1/actions/{action}/schema}), from which the console builds a
form for every operation.
"""

import json
from importlib import resources
from typing import Any

from openocpp.messages.registry import ACTIONS, Role

_DEFINITIONS = "#/definitions/"


def request_schema(action: str) -> dict:
    """
    The official JSON schema of C{action}'s request as the package ships it,
    with its C{$ref}s to its own C{definitions} replaced by what they name
    (the Security Whitepaper's schemas use them), so that a client walks one
    tree.

    @raise KeyError: C{action} is not one a central system sends.
    """
    spec = ACTIONS.get(action)
    if spec is None or not spec.sent_by(Role.CENTRAL_SYSTEM):
        raise KeyError(action)
    folder = resources.files("openocpp.messages") / "schemas"
    schema = json.loads((folder / f"{action}.json").read_text(encoding="utf-8"))
    definitions = schema.pop("definitions", {})

    def inline(node: Any, seen: tuple = ()) -> Any:
        if isinstance(node, dict):
            target = node.get("$ref")
            if isinstance(target, str) and target.startswith(_DEFINITIONS):
                name = target[len(_DEFINITIONS):]
                if name in seen:
                    # A recursive definition (none in OCPP 1.6): left as a reference.
                    return node
                return inline(definitions[name], (*seen, name))
            return {key: inline(value, seen) for key, value in node.items() if key != "javaType"}
        if isinstance(node, list):
            return [inline(item, seen) for item in node]
        return node

    return inline(schema)


class ActionSchemaRoutes:
    """
    The handler of C{GET /api/v1/actions/{action}/schema}; each schema is
    read once, then kept.
    """

    def __init__(self) -> None:
        self._schemas: dict[str, dict] = {}

    def get(self, call: Any, action: str) -> dict:
        """
        C{GET .../actions/{action}/schema}: the request's JSON schema, or a
        404 C{unknown_action}.
        """
        # Imported here: openocpp.web.api imports this module for its routes.
        from openocpp.web.api import ApiError

        if action not in self._schemas:
            try:
                self._schemas[action] = request_schema(action)
            except KeyError:
                raise ApiError(
                    404, "unknown_action",
                    f"{action!r} is not an action a central system sends; see GET /api/v1/actions",
                ) from None
        return self._schemas[action]
