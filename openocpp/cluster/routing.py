"""
Command routing: a CS-initiated call to a charge point held by another
node goes through Redis.

Each node subscribes to its request channel C{openocpp:calls:NODE} and to
its replies, C{openocpp:reply:NODE:*} (one pattern subscription; each
request is answered on a channel of its own, C{openocpp:reply:NODE:ID}).
The holding node calls the charge point on its connection, so its policy
(L{openocpp.centralsystem.policy}), its call timeout and what it keeps of
the answers apply as for a local call; the answer or the error goes back as
it is, and the caller cannot tell which node held the charge point.
"""

import json
import uuid
from typing import Any, Callable

from twisted.internet.defer import Deferred, fail, maybeDeferred
from twisted.logger import Logger
from zope.interface import implementer

from openocpp.centralsystem.policy import CallRefused, ForbiddenRequest, NotAllowedNow
from openocpp.cluster.interfaces import ICommandRouter
from openocpp.messages import codec
from openocpp.messages.errors import ErrorCode, ValidationError
from openocpp.messages.registry import ACTIONS
from openocpp.rpc.errors import CallError, CallTimeout, ConnectionLost, InvalidResponse, RpcError

#: Seconds a routed call waits beyond the call timeout: the holding node's
#: own timeout answers first; this one fires only when that answer is lost.
GRACE = 2.0


class RemoteCallFailed(RpcError):
    """
    The node holding the charge point failed the call for a reason that is
    neither the charge point's answer nor OCPP's (a bug, a plugin's error).
    """


def _code(text: str) -> Any:
    try:
        return ErrorCode(text)
    except ValueError:
        return text


def encode_failure(error: BaseException) -> dict:
    """
    A call's error as JSON, for the node that asked.
    """
    if isinstance(error, NotAllowedNow):
        return {"type": "NotAllowedNow", "action": error.action, "reason": error.reason,
                "registrationStatus": error.registration_status}
    if isinstance(error, CallRefused):
        return {"type": "ForbiddenRequest", "action": error.action, "reason": error.reason}
    if isinstance(error, CallError):
        return {"type": "CallError", "code": str(error.code), "description": error.description,
                "details": error.details}
    if isinstance(error, CallTimeout):
        return {"type": "CallTimeout", "action": error.action, "uniqueId": error.unique_id,
                "timeout": error.timeout}
    if isinstance(error, ConnectionLost):
        return {"type": "ConnectionLost", "action": error.action}
    if isinstance(error, InvalidResponse):
        return {"type": "InvalidResponse", "action": error.action, "uniqueId": error.unique_id,
                "code": str(error.error.code), "description": error.error.description}
    return {"type": "RemoteCallFailed", "description": f"{type(error).__name__}: {error}"}


def decode_failure(error: dict, action: str) -> Exception:
    """
    The exception an L{encode_failure} dict stands for.
    """
    kind = error.get("type")
    if kind == "NotAllowedNow":
        return NotAllowedNow(error["action"], error["reason"], error["registrationStatus"])
    if kind == "ForbiddenRequest":
        return ForbiddenRequest(error["action"], error["reason"])
    if kind == "CallError":
        return CallError(_code(error["code"]), error.get("description", ""), error.get("details") or {})
    if kind == "CallTimeout":
        return CallTimeout(error["action"], error["uniqueId"], error["timeout"])
    if kind == "ConnectionLost":
        return ConnectionLost(error.get("action", action))
    if kind == "InvalidResponse":
        return InvalidResponse(error["action"], error["uniqueId"],
                               ValidationError(_code(error["code"]), error["description"]))
    return RemoteCallFailed(error.get("description", "the holding node failed the call"))


@implementer(ICommandRouter)
class CommandRouter:
    """
    Routed calls, both ways. See L{ICommandRouter} and the module's
    description.

    @param bus: the L{openocpp.cluster.interfaces.IBus}.
    @param clock: the C{IReactorTime} timing calls.
    @param node_id: this node's name.
    @param local: returns the proxy of a charge point connected here, or
        None.
    @param timeout: the call timeout (the central system's).
    @param prefix: the prefix of every channel.
    """

    log = Logger()

    def __init__(
        self,
        bus: Any,
        clock: Any,
        node_id: str,
        local: Callable[[str], Any],
        timeout: float,
        prefix: str = "openocpp:",
    ) -> None:
        self._bus = bus
        self._clock = clock
        self._node_id = node_id
        self._local = local
        self._timeout = timeout
        self._prefix = prefix
        #: request id -> (Deferred, identity, action, timer)
        self._pending: dict[str, tuple] = {}
        bus.subscribe(self._calls_channel(node_id), self._request)
        bus.psubscribe(f"{prefix}reply:{node_id}:*", self._reply)

    def _calls_channel(self, node: str) -> str:
        return f"{self._prefix}calls:{node}"

    # -- the asking side --------------------------------------------------

    def pending(self, identity: str) -> int:
        return sum(1 for entry in self._pending.values() if entry[1] == identity)

    def call(self, node: str, identity: str, request: Any) -> Deferred:
        action = request.action
        try:
            payload = codec.encode(request)
        except (TypeError, ValueError, AttributeError):
            return fail()
        request_id = uuid.uuid4().hex
        answer = Deferred()
        timer = self._clock.callLater(self._timeout + GRACE, self._expired, request_id)
        self._pending[request_id] = (answer, identity, action, timer)
        message = json.dumps({
            "op": "call", "id": request_id, "from": self._node_id, "identity": identity,
            "action": action, "payload": payload,
        })

        def published(receivers: int) -> None:
            if receivers == 0:
                # The node is gone (killed, or stopped since the lookup).
                self._settle(request_id, ConnectionLost(action))

        def unpublished(failure: Any) -> None:
            self._settle(request_id, ConnectionLost(action, failure))

        self._bus.publish(self._calls_channel(node), message).addCallbacks(published, unpublished)
        return answer

    def disconnect(self, node: str, identity: str) -> Deferred:
        message = json.dumps({"op": "disconnect", "from": self._node_id, "identity": identity})
        return self._bus.publish(self._calls_channel(node), message).addErrback(
            lambda failure: self.log.warn("Could not ask node {node} to close {identity}: {error}",
                                          node=node, identity=identity, error=failure.getErrorMessage()))

    def _expired(self, request_id: str) -> None:
        entry = self._pending.get(request_id)
        if entry is not None:
            self._settle(request_id, CallTimeout(entry[2], request_id, self._timeout), timed_out=True)

    def _settle(self, request_id: str, outcome: Any, timed_out: bool = False) -> None:
        entry = self._pending.pop(request_id, None)
        if entry is None:
            return
        answer, _, _, timer = entry
        if not timed_out and timer.active():
            timer.cancel()
        if isinstance(outcome, BaseException):
            answer.errback(outcome)
        else:
            answer.callback(outcome)

    def _reply(self, channel: bytes, data: bytes) -> None:
        message = json.loads(data)
        request_id = message.get("id")
        entry = self._pending.get(request_id)
        if entry is None:
            return
        action = entry[2]
        if "error" in message:
            self._settle(request_id, decode_failure(message["error"], action))
            return
        try:
            response = codec.decode(ACTIONS[action].response, message["response"])
        except Exception as error:
            self._settle(request_id, RemoteCallFailed(f"{action}: an answer that does not decode: {error}"))
            return
        self._settle(request_id, response)

    def cancel_all(self) -> None:
        """
        Fail every call waiting for an answer (the node stops).
        """
        for request_id, entry in list(self._pending.items()):
            self._settle(request_id, ConnectionLost(entry[2]))

    # -- the holding side -------------------------------------------------

    def _request(self, channel: bytes, data: bytes) -> None:
        message = json.loads(data)
        identity = message.get("identity")
        if message.get("op") == "disconnect":
            proxy = self._local(identity)
            if proxy is not None:
                self.log.info("Closing {identity} as node {node} asked", identity=identity, node=message.get("from"))
                proxy.disconnect()
            return
        request_id, asker, action = message["id"], message["from"], message["action"]
        reply_channel = f"{self._prefix}reply:{asker}:{request_id}"

        def answer(body: dict) -> None:
            body["id"] = request_id
            self._bus.publish(reply_channel, json.dumps(body)).addErrback(
                lambda failure: self.log.warn("Could not answer node {node}'s {action}: {error}",
                                              node=asker, action=action, error=failure.getErrorMessage()))

        proxy = self._local(identity)
        if proxy is None:
            answer({"error": encode_failure(ConnectionLost(action))})
            return
        spec = ACTIONS.get(action)
        try:
            request = codec.decode(spec.request, message["payload"])
        except Exception as error:
            answer({"error": encode_failure(RemoteCallFailed(f"{action}: {error}"))})
            return
        self.log.info("Node {node} sends {action} to {identity}", node=asker, action=action, identity=identity)
        calling = maybeDeferred(proxy.call, request)
        calling.addCallbacks(
            lambda response: answer({"response": codec.encode(response)}),
            lambda failure: answer({"error": encode_failure(failure.value)}),
        )
