"""
C{/api/v1/chargepoints/{identity}/locallist}: what the central system
believes a charge point's local authorization list is (C{GET}), and
sending it one from the id tags the central system knows (C{POST}, see
L{openocpp.centralsystem.locallist}).
"""

from typing import Any, Callable

from twisted.internet.defer import Deferred
from twisted.logger import Logger

from openocpp.centralsystem.locallist import UPDATE_TYPES, LocalListRefused
from openocpp.web.api import ApiError, Call, _stored


class LocalListRoutes:
    """
    The handlers of the local list's routes.

    @param central: the L{openocpp.centralsystem.interfaces.ICentralSystem}.
    @param connected: the API's C{connected(identity)}: a connected charge
        point's proxy, or raises the API's 404 saying why not.
    @param call_failed: the API's errback turning a call's failure (a
        timeout, a CALLERROR, a lost connection) into its answer.
    """

    log = Logger()

    def __init__(self, central: Any, connected: Callable, call_failed: Callable) -> None:
        self._central = central
        self._connected = connected
        self._call_failed = call_failed

    def get(self, call: Call, identity: str) -> Deferred:
        """
        C{GET}: the version held, its completeness, the changes pending
        since it, and the last attempt.
        """
        known_charge_point(self._central, identity)
        return self._central.store.local_list_record(identity).addCallback(local_list_json, identity)

    def post(self, call: Call, identity: str) -> Deferred:
        """
        C{POST {"updateType": "Full" | "Differential"}}: send the list;
        answered with the charge point's status(es) and the version it now
        holds.
        """
        body = call.json_object(("updateType",))
        update_type = body.get("updateType")
        if update_type not in UPDATE_TYPES:
            raise ApiError(400, "bad_body", "updateType must be Full or Differential")
        self._connected(identity)
        self.log.info(
            "{who} sends a {update_type} local list to {identity}",
            who=call.who,
            update_type=update_type,
            identity=identity,
        )
        # A storage failure is a CallError too: told apart first.
        sending = _stored(self._central.send_local_list(identity, update_type))
        sending.addErrback(_refused)
        sending.addErrback(self._call_failed, identity, "SendLocalList")
        return sending.addCallback(outcome_json)


def known_charge_point(central: Any, identity: str) -> None:
    """
    @raise ApiError: 404 C{unknown_charge_point}: the central system
        neither knows nor has connected C{identity}.
    """
    if central.store.charge_point(identity) is not None:
        return
    try:
        central.charge_point(identity)
    except KeyError:
        raise ApiError(404, "unknown_charge_point", f"no charge point {identity!r} is known or connected") from None


def _refused(failure: Any) -> None:
    failure.trap(LocalListRefused)
    raise ApiError(409, failure.value.error, failure.value.description)


def local_list_json(record: dict | None, identity: str) -> dict:
    """
    The JSON of what the central system believes a charge point's list is.
    """
    record = record or {}
    last = None
    if record.get("last_status") is not None:
        last = {
            "updateType": record["last_update_type"],
            "listVersion": record["last_version"],
            "status": record["last_status"],
            "at": record["last_at"],
        }
    return {
        "chargePoint": identity,
        "listVersion": record.get("list_version", 0),
        "complete": record.get("change_mark") is not None,
        "acceptedAt": record.get("accepted_at"),
        "pendingChanges": record.get("pending_changes"),
        "last": last,
    }


def outcome_json(outcome: Any) -> dict:
    """
    The JSON of a L{openocpp.centralsystem.locallist.LocalListOutcome}.
    """
    return {
        "chargePoint": outcome.identity,
        "updateType": outcome.update_type,
        "status": outcome.status,
        "listVersion": outcome.list_version,
        "complete": outcome.complete,
        "requests": [
            {
                "updateType": request.update_type,
                "listVersion": request.list_version,
                "entries": request.entries,
                "status": request.status,
            }
            for request in outcome.requests
        ],
        "sendLocalListMaxLength": outcome.send_max_length,
        "localAuthListMaxLength": outcome.list_max_length,
        "hint": outcome.hint,
        "skipped": list(outcome.skipped),
    }
