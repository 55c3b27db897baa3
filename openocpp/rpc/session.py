"""
L{RpcSession}: one OCPP-J connection seen as remote procedure calls, both
ways (OCPP-J 1.6, section 4).
"""

import dataclasses
import types
from collections.abc import Callable, Mapping
from typing import Any

from twisted.internet.defer import Deferred, fail
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from openocpp.messages import codec
from openocpp.messages.errors import ErrorCode, ValidationError
from openocpp.messages.registry import ACTIONS, ActionSpec, Role
from openocpp.rpc.errors import (
    CallError,
    CallTimeout,
    ConnectionLost,
    InvalidResponse,
)
from openocpp.rpc.frames import (
    Call,
    CallErrorFrame,
    CallResult,
    FrameError,
    MessageType,
    parse_frame,
    unique_id_factory,
)
from openocpp.rpc.interfaces import IFrameObserver, IParsedFrameObserver, IRpcSession
from openocpp.rpc.redaction import loggable_frame
from openocpp.transport.interfaces import IConnectionHandler, IOcppConnection

#: A request handler: called with the typed request object, it returns the
#: typed response object, or a Deferred or coroutine of it; it raises (or
#: fails with) L{CallError} to answer with that CALLERROR.
RequestHandler = Callable[[Any], Any]

_ERROR_CODES: dict[str, ErrorCode] = {code.value: code for code in ErrorCode}

#: The ids of the peer's calls being answered, while there are none: shared
#: until a session has one (an empty set is 216 bytes a connection).
_NO_IDS: frozenset[str] = frozenset()

#: The response classes without fields: their payload is always C{{}}.
_FIELDLESS_RESPONSES = frozenset(
    spec.response for spec in ACTIONS.values() if not dataclasses.fields(spec.response)
)

# All the peer is told when we fail to answer, so that nothing of our
# internals (tracebacks, exception texts) leaks to it.
_INTERNAL = "An internal error occurred while handling %s"


class _OutgoingCall:
    """
    A CALL of ours, queued or outstanding.

    @ivar spec: its action.
    @ivar unique_id: its id.
    @ivar text: its frame, serialised.
    @ivar timeout: seconds to wait for the answer once sent.
    @ivar deferred: fires with the answer; cancelling it asks the session
        to drop the call.
    @ivar timer: the timeout's delayed call once sent, else C{None}.
    """

    __slots__ = ("spec", "unique_id", "text", "timeout", "deferred", "timer")

    def __init__(
        self,
        session: "RpcSession",
        spec: ActionSpec,
        unique_id: str,
        text: str,
        timeout: float,
    ) -> None:
        self.spec = spec
        self.unique_id = unique_id
        self.text = text
        self.timeout = timeout
        self.deferred: Deferred = Deferred(lambda _: session._cancel(self))
        self.timer: IDelayedCall | None = None


#: What each role sends (by name) and receives: shared by every session,
#: rather than a copy per connection.
_ROLE_ACTIONS = {
    role: (
        {name: spec for name, spec in ACTIONS.items() if spec.sent_by(role)},
        frozenset(name for name, spec in ACTIONS.items() if spec.received_by(role)),
    )
    for role in Role
}


@implementer(IConnectionHandler, IRpcSession)
class RpcSession:
    """
    The RPC layer of one OCPP-J connection: the transport's
    L{IConnectionHandler} for it, and an L{IRpcSession} for the role.

    Our CALLs go out one at a time (section 4.1.1): a call made while
    another is outstanding waits in a queue, in order, until the one before
    it is answered or times out.  The peer's CALLs are decoded, handed to the
    handler of their action, and answered with its response, concurrently
    with our own outstanding call.

    @ivar role: the L{Role} this side plays.
    @ivar connection: the L{IOcppConnection}, or C{None} until it is made.
    @ivar call_timeout: the default seconds to wait for an answer.
    @ivar log_frames: whether every frame in and out is logged, one debug
        line each with the fields C{identity}, C{direction} (C{"in"},
        C{"out"}) and C{text} (an AuthorizationKey's value redacted, see
        L{openocpp.rpc.redaction}).  Off by default, and checked before building
        the event: a debug event costs as much as handling a small frame,
        even when no observer keeps it.  May be switched at any time (e.g.
        for one charge point being debugged); observers
        (L{add_observer}) see frames either way.
    """

    #: Whether the peer's CALLs are answered (see L{answer_calls}).
    _answering_calls = True

    _log = Logger()

    def __init__(
        self,
        role: Role,
        handlers: Mapping[str, RequestHandler],
        clock: IReactorTime,
        call_timeout: float = 30.0,
        unique_ids: Callable[[], str] | None = None,
        log_frames: bool = False,
    ) -> None:
        """
        @param role: the L{Role} this side plays: it may only send the
            actions the registry says it sends, and answers only those it
            receives.
        @param handlers: the request handlers by action name
            (C{{"Heartbeat": on_heartbeat}}); each is called with the typed
            request and returns the typed response, or a Deferred (or
            coroutine) of it, or raises L{CallError}.  The mapping is read
            at each CALL, so a role may fill it in later; an action with no
            handler is answered with C{NotSupported}.
        @param clock: the C{IReactorTime} timing calls out.
        @param call_timeout: seconds to wait for the answer to a CALL, from
            when it is sent.
        @param unique_ids: a callable returning a new unique id for each
            CALL, at most 36 characters long (default: a random prefix per
            session and a counter, see L{unique_id_factory}).
        @param log_frames: log every frame in and out, one debug line each
            (see L{log_frames}).
        """
        self.role = role
        self.connection: IOcppConnection | None = None
        self.call_timeout = call_timeout
        self.log_frames = log_frames
        #: Called with a description of each frame that is no valid OCPP
        #: message (malformed, or a CALL breaking its schema), or C{None}
        #: (the charge point's InvalidMessages security event).
        self.invalid_message: Callable[[str], None] | None = None
        self._handlers = handlers
        self._clock = clock
        # Made at the first call (the central system rarely calls a charge
        # point): a closure, a counter and a prefix per session.
        self._next_id: Callable[[], str] | None = unique_ids
        self._actions = ACTIONS
        self._sendable, self._receivable = _ROLE_ACTIONS[role]
        # A list, not a deque: an empty deque is 760 bytes a connection, and
        # a queue of calls rarely holds more than a few.
        self._queue: list[_OutgoingCall] = []
        self._outstanding: _OutgoingCall | None = None
        # Ids of the peer's CALLs whose handler has not answered yet.
        self._answering: set[str] | frozenset[str] = _NO_IDS
        self._observers: tuple[IFrameObserver, ...] = ()
        # The observers shown the frames' text, and the
        # IParsedFrameObservers shown what the session parsed or built:
        # they need not read the text again (the metrics' cost per frame).
        self._text_observers: tuple[IFrameObserver, ...] = ()
        self._parsed_observers: tuple[IParsedFrameObserver, ...] = ()
        self._identity: str | None = None
        self._lost: Failure | None = None

    def __repr__(self) -> str:
        return "<RpcSession %s %s>" % (self.role.value, self._identity)

    @property
    def answer_calls(self) -> bool:
        """
        Whether the peer's CALLs are answered at all: C{True} by default.
        While C{False}, a CALL of the peer, well formed or not, is logged
        and dropped: no handler is called and no CALLRESULT or CALLERROR is
        sent (a charge point the central system Rejected "SHALL NOT respond
        to any Central System initiated message", OCPP 1.6 section 4.2).
        Our own calls and their answers go on as usual.  May be switched at
        any time; an answer a handler gives later is still sent.
        """
        return self._answering_calls

    @answer_calls.setter
    def answer_calls(self, answer: bool) -> None:
        answer = bool(answer)
        self._answering_calls = answer
        # The frame path looks up _call_received on the instance first: a
        # silent session swaps it, so that answering sessions pay nothing
        # for the switch.
        if answer:
            self.__dict__.pop("_call_received", None)
        else:
            self._call_received = self._drop_call

    @property
    def pending_calls(self) -> int:
        """
        Our CALLs not answered yet: the outstanding one and those queued
        behind it (the metrics' queue depth).
        """
        return len(self._queue) + (self._outstanding is not None)

    @property
    def identity(self) -> str | None:
        """
        The charge point identity of the connection, C{None} before it is
        made.
        """
        return self._identity

    # -- IConnectionHandler -------------------------------------------------

    def connection_made(self, connection: IOcppConnection) -> None:
        """
        The transport's connection is open: send the calls queued so far.

        @param connection: the L{IOcppConnection} to send on.
        """
        self.connection = connection
        self._identity = connection.identity
        self._log.debug(
            "RPC session for {identity} open as {role}",
            identity=self._identity,
            role=self.role.value,
        )
        self._pump()

    def connection_lost(self, reason: Failure) -> None:
        """
        The connection closed: the outstanding and queued calls fail with
        L{ConnectionLost}, and so will calls made from now on.  Answers
        handlers give from now on are dropped.

        @param reason: why, as the transport tells it.
        """
        self._lost = reason
        failed = list(self._queue)
        self._queue.clear()
        outstanding = self._outstanding
        if outstanding is not None:
            self._outstanding = None
            outstanding.timer.cancel()
            failed.insert(0, outstanding)
        self._log.debug(
            "RPC session for {identity} closed ({count} calls unanswered): "
            "{reason}",
            identity=self._identity,
            count=len(failed),
            reason=reason.getErrorMessage(),
        )
        for pending in failed:
            pending.deferred.errback(ConnectionLost(pending.spec.name, reason))

    def text_received(self, text: str) -> None:
        """
        Handle one frame from the peer.  Never raises: whatever goes wrong is
        logged, and answered when it is a CALL.

        @param text: the WebSocket text message.
        """
        for observer in self._text_observers:
            self._notify(observer, "in", text)
        if self.log_frames:
            self._log.debug(
                "{identity} {direction} {text}",
                identity=self._identity,
                direction="in",
                text=loggable_frame(text),
            )
        try:
            frame = parse_frame(text)
        except FrameError as error:
            # What the session could not parse, the observers read.
            for observer in self._parsed_observers:
                self._notify(observer, "in", text)
            self._malformed(error, text)
            return
        kind = type(frame)
        if self._parsed_observers:
            if kind is Call:
                self._notify_parsed("in", 2, frame.unique_id, frame.action)
            elif kind is CallResult:
                self._notify_parsed("in", 3, frame.unique_id, None)
            else:
                self._notify_parsed("in", 4, frame.unique_id, str(frame.code))
        try:
            if kind is Call:
                self._call_received(frame)
            elif kind is CallResult:
                self._result_received(frame)
            else:
                self._error_received(frame)
        except Exception:
            self._log.failure(
                "Handling a frame from {identity} failed: {text}",
                identity=self._identity,
                text=loggable_frame(text)[:1000],
            )

    # -- IRpcSession ---------------------------------------------------------

    def call(self, request: Any, timeout: float | None = None) -> Deferred:
        """
        Send a request to the peer once the calls queued before it are done.

        @param request: a request message object (e.g. a
            C{BootNotificationRequest}) of an action this role sends.
        @param timeout: seconds to wait for the answer once the CALL is sent;
            C{None} for L{call_timeout}.
        @return: a Deferred firing with the typed response object, or
            failing with L{CallError} (the peer answered with a CALLERROR),
            L{CallTimeout}, L{ConnectionLost}, L{InvalidResponse} (the answer
            breaks the response's schema), L{ValidationError} (the request
            breaks its own schema: nothing is sent) or C{ValueError} (not a
            request this role may send).  Cancelling it takes the call out of
            the queue, or abandons it if it was sent (the answer is then
            ignored, and the next call goes out).
        """
        cls = type(request)
        action = getattr(cls, "action", None)
        spec = self._sendable.get(action) if type(action) is str else None
        if spec is None or spec.request is not cls:
            return fail(ValueError(self._refusal(request)))
        if self._lost is not None:
            return fail(ConnectionLost(spec.name, None))
        next_id = self._next_id
        if next_id is None:
            next_id = self._next_id = unique_id_factory()
        unique_id = next_id()
        try:
            payload = codec.encode(request)
            codec.validate(cls, payload)
            text = Call(unique_id, spec.name, payload).serialise()
        except Exception:
            return fail()
        pending = _OutgoingCall(
            self,
            spec,
            unique_id,
            text,
            self.call_timeout if timeout is None else timeout,
        )
        self._queue.append(pending)
        if self._outstanding is None:
            self._pump()
        return pending.deferred

    def add_observer(self, observer: IFrameObserver) -> None:
        """
        Show every frame sent and received to C{observer}.

        @param observer: an L{IFrameObserver}: called with (C{"in"} or
            C{"out"}, the frame's text, this session).
        """
        self._observers += (observer,)
        self._split_observers()

    def remove_observer(self, observer: IFrameObserver) -> None:
        """
        Stop showing frames to C{observer}.

        @param observer: an observer added before.
        @raise ValueError: it was not added.
        """
        observers = list(self._observers)
        observers.remove(observer)
        self._observers = tuple(observers)
        self._split_observers()

    def _split_observers(self) -> None:
        """
        Sort L{_observers} into those shown text and those shown parsed
        frames (L{IParsedFrameObserver}s).
        """
        observers = self._observers
        self._parsed_observers = tuple(o for o in observers if IParsedFrameObserver.providedBy(o))
        self._text_observers = tuple(o for o in observers if not IParsedFrameObserver.providedBy(o))

    # -- our calls -----------------------------------------------------------

    def _refusal(self, request: Any) -> str:
        """
        @return: why C{request} may not be sent by this session.
        """
        cls = type(request)
        action = getattr(cls, "action", None)
        spec = ACTIONS.get(action) if isinstance(action, str) else None
        if spec is None or cls not in (spec.request, spec.response):
            return f"{request!r} is not an OCPP request message"
        if cls is spec.response:
            return f"{cls.__name__} is a response, not a request"
        return "%s is sent by %s, not by %s" % (
            spec.name,
            " and ".join(sorted(r.value for r in spec.senders)),
            self.role.value,
        )

    def _pump(self) -> None:
        """
        Send the next queued call, if none is outstanding and the connection
        is open.
        """
        queue = self._queue
        while (
            self._outstanding is None
            and queue
            and self.connection is not None
            and self._lost is None
        ):
            pending = queue.pop(0)
            self._outstanding = pending
            pending.timer = self._clock.callLater(
                pending.timeout, self._timed_out, pending
            )
            try:
                self._send(pending.text, 2, pending.unique_id, pending.spec.name)
            except Exception:
                # The transport refused the frame: this call fails, the next
                # one may go through.
                self._outstanding = None
                pending.timer.cancel()
                pending.deferred.errback()

    def _finish(self, pending: _OutgoingCall) -> None:
        """
        Stop waiting for the answer to the outstanding call.
        """
        self._outstanding = None
        pending.timer.cancel()

    def _timed_out(self, pending: _OutgoingCall) -> None:
        """
        The outstanding call got no answer in time: it fails with
        L{CallTimeout}, and the next call goes out.
        """
        self._outstanding = None
        self._log.warn(
            "{action} call {unique_id} to {identity} got no answer within "
            "{timeout} seconds",
            action=pending.spec.name,
            unique_id=pending.unique_id,
            identity=self._identity,
            timeout=pending.timeout,
        )
        self._pump()
        pending.deferred.errback(
            CallTimeout(pending.spec.name, pending.unique_id, pending.timeout)
        )

    def _cancel(self, pending: _OutgoingCall) -> None:
        """
        The Deferred of a call was cancelled: take the call out of the queue,
        or abandon it if it is outstanding.
        """
        if pending is self._outstanding:
            self._finish(pending)
            self._log.info(
                "Abandoned {action} call {unique_id} to {identity}",
                action=pending.spec.name,
                unique_id=pending.unique_id,
                identity=self._identity,
            )
            self._pump()
        else:
            try:
                self._queue.remove(pending)
            except ValueError:
                pass

    def _awaiting(self, unique_id: str) -> _OutgoingCall | None:
        """
        @return: the outstanding call if C{unique_id} is its id, else
            C{None} (logged: an answer to nothing we wait for is ignored).
        """
        pending = self._outstanding
        if pending is not None and pending.unique_id == unique_id:
            return pending
        self._log.info(
            "Ignored an answer from {identity} to {unique_id}: no call of "
            "ours with that id awaits an answer",
            identity=self._identity,
            unique_id=unique_id,
        )
        return None

    def _result_received(self, frame: CallResult) -> None:
        pending = self._awaiting(frame.unique_id)
        if pending is None:
            return
        self._finish(pending)
        try:
            result = codec.decode(pending.spec.response, frame.payload)
        except ValidationError as error:
            self._log.warn(
                "Invalid {action} answer {unique_id} from {identity}: {error}",
                action=pending.spec.name,
                unique_id=pending.unique_id,
                identity=self._identity,
                error=str(error),
            )
            result = Failure(
                InvalidResponse(pending.spec.name, pending.unique_id, error)
            )
        except Exception:
            result = Failure()
        self._pump()
        pending.deferred.callback(result)

    def _error_received(self, frame: CallErrorFrame) -> None:
        pending = self._awaiting(frame.unique_id)
        if pending is None:
            return
        self._finish(pending)
        self._pump()
        pending.deferred.errback(
            CallError(frame.code, frame.description, frame.details)
        )

    def _invalid(self, description: str) -> None:
        if self.invalid_message is not None:
            try:
                self.invalid_message(description)
            except Exception:
                self._log.failure("Telling of an invalid message failed")

    def _malformed(self, error: FrameError, text: str) -> None:
        """
        Deal with a frame that L{parse_frame} refused.

        A broken CALLRESULT or CALLERROR is not answered: a CALLERROR only
        answers a CALL (section 4.2.3), and the id it carries is one of ours,
        which the peer could mistake for one of its own.  If it answers our
        outstanding call, that call fails with L{InvalidResponse}.  Anything
        else is answered with a CALLERROR when its id can be recovered, and
        dropped otherwise.
        """
        self._log.warn(
            "Malformed frame from {identity}: {error}: {text}",
            identity=self._identity,
            error=str(error),
            text=loggable_frame(text)[:1000],
        )
        self._invalid(f"malformed frame: {error}")
        unique_id = error.unique_id
        if unique_id is None:
            return
        if error.message_type in (MessageType.CALLRESULT, MessageType.CALLERROR):
            pending = self._outstanding
            if pending is not None and pending.unique_id == unique_id:
                self._finish(pending)
                self._pump()
                pending.deferred.errback(
                    InvalidResponse(
                        pending.spec.name,
                        unique_id,
                        ValidationError(error.code, error.description),
                    )
                )
            return
        if not self._answering_calls:
            self._log.info(
                "Not answering a malformed frame from {identity}: calls are "
                "not answered",
                identity=self._identity,
            )
            return
        self._answer(CallErrorFrame(unique_id, error.code, error.description))

    # -- the peer's calls ----------------------------------------------------

    def _drop_call(self, frame: Call) -> None:
        """
        Take the place of L{_call_received} while calls are not answered
        (see L{answer_calls}).
        """
        self._log.info(
            "Not answering {action} call {unique_id} from {identity}: calls "
            "are not answered",
            action=frame.action[:100],
            unique_id=frame.unique_id,
            identity=self._identity,
        )

    def _call_received(self, frame: Call) -> None:
        unique_id, action = frame.unique_id, frame.action
        if unique_id in self._answering:
            # Section 4.2.3 names this case among CALLERROR's reasons; the
            # peer broke the RPC protocol (4.1.4), hence ProtocolError.
            self._refuse(
                frame,
                ErrorCode.PROTOCOL_ERROR,
                "A call with this unique id is being handled already",
            )
            return
        spec = self._actions.get(action)
        if spec is None:
            # The action is the peer's text, of any length: echo a bit.
            self._refuse(
                frame, ErrorCode.NOT_IMPLEMENTED, "Unknown action %.100s" % action
            )
            return
        if action not in self._receivable:
            self._refuse(
                frame,
                ErrorCode.NOT_SUPPORTED,
                "%s is not sent to a %s" % (action, self.role.value),
            )
            return
        handler = self._handlers.get(action)
        if handler is None:
            self._refuse(
                frame, ErrorCode.NOT_SUPPORTED, f"{action} is not supported"
            )
            return
        try:
            request = codec.decode(spec.request, frame.payload)
        except ValidationError as error:
            self._invalid(f"{action}: {error.description}")
            self._refuse(frame, error.code, error.description)
            return
        except Exception:
            # The payload passed the schema, yet could not be built into a
            # request object: our failure, not the peer's.
            self._log.failure(
                "Decoding the {action} call {unique_id} from {identity} failed",
                action=action,
                unique_id=unique_id,
                identity=self._identity,
            )
            self._internal_error(unique_id, spec)
            return
        try:
            result = handler(request)
        except Exception:
            self._handler_failed(Failure(), unique_id, spec)
            return
        if isinstance(result, types.CoroutineType):
            result = Deferred.fromCoroutine(result)
        if isinstance(result, Deferred):
            answering = self._answering
            if answering is _NO_IDS:
                answering = self._answering = set()
            answering.add(unique_id)
            result.addCallbacks(
                self._handler_answered,
                self._handler_failed,
                (unique_id, spec),
                None,
                (unique_id, spec),
            )
        else:
            self._handler_answered(result, unique_id, spec)

    def _refuse(self, frame: Call, code: ErrorCode, description: str) -> None:
        """
        Answer a CALL we will not hand to a handler with a CALLERROR.
        """
        self._log.info(
            "Refused {action} call {unique_id} from {identity}: {code}: "
            "{description}",
            action=frame.action,
            unique_id=frame.unique_id,
            identity=self._identity,
            code=code.value,
            description=description,
        )
        self._answer(CallErrorFrame(frame.unique_id, code, description))

    def _answered(self, unique_id: str) -> None:
        """
        The handler of the peer's call C{unique_id} answered: its id is free.
        """
        answering = self._answering
        if unique_id in answering:
            answering.remove(unique_id)
            if not answering:
                # No set kept between asynchronous answers (216 bytes).
                self._answering = _NO_IDS

    def _handler_answered(
        self, response: Any, unique_id: str, spec: ActionSpec
    ) -> None:
        """
        A handler returned C{response}: answer with it if it is a valid
        response to C{spec}, else with C{InternalError}.
        """
        # (_answered, inline: this runs for every call.)
        answering = self._answering
        if unique_id in answering:
            answering.remove(unique_id)
            if not answering:
                self._answering = _NO_IDS
        if not isinstance(response, spec.response):
            self._log.error(
                "The {action} handler answered call {unique_id} from "
                "{identity} with {response!r}, not a {expected}",
                action=spec.name,
                unique_id=unique_id,
                identity=self._identity,
                response=response,
                expected=spec.response.__name__,
            )
            self._internal_error(unique_id, spec)
            return
        if type(response) in _FIELDLESS_RESPONSES:
            # A response of no fields has one payload, {} (its schema's
            # only one): nothing to encode or check (StatusNotification's
            # and MeterValues', most of a central system's answers).
            self._answer_text(CallResult(unique_id, {}).serialise(), unique_id, spec)
            return
        try:
            payload = codec.encode(response)
            codec.validate(spec.response, payload)
            text = CallResult(unique_id, payload).serialise()
        except ValidationError as error:
            self._log.error(
                "The {action} handler's answer to {unique_id} from {identity} "
                "breaks the schema: {error}",
                action=spec.name,
                unique_id=unique_id,
                identity=self._identity,
                error=str(error),
            )
            self._internal_error(unique_id, spec)
            return
        except Exception:
            self._log.failure(
                "The {action} handler's answer to {unique_id} from {identity} "
                "cannot be encoded",
                action=spec.name,
                unique_id=unique_id,
                identity=self._identity,
            )
            self._internal_error(unique_id, spec)
            return
        self._answer_text(text, unique_id, spec)

    def _handler_failed(
        self, failure: Failure, unique_id: str, spec: ActionSpec
    ) -> None:
        """
        A handler raised: answer with its L{CallError}, or with
        C{InternalError} (logged with its traceback) for anything else.
        """
        self._answered(unique_id)
        error = failure.value
        if not isinstance(error, CallError):
            self._log.failure(
                "The {action} handler failed on call {unique_id} from "
                "{identity}",
                failure,
                action=spec.name,
                unique_id=unique_id,
                identity=self._identity,
            )
            self._internal_error(unique_id, spec)
            return
        code = _ERROR_CODES.get(error.code)
        description, details = error.description, error.details
        if code is None or type(description) is not str or type(details) is not dict:
            self._log.warn(
                "The {action} handler raised a malformed {error!r}: answering "
                "call {unique_id} from {identity} with a GenericError",
                action=spec.name,
                error=error,
                unique_id=unique_id,
                identity=self._identity,
            )
            code = code or ErrorCode.GENERIC_ERROR
            description = description if type(description) is str else ""
            details = details if type(details) is dict else {}
        self._answer(CallErrorFrame(unique_id, code, description, details))

    def _internal_error(self, unique_id: str, spec: ActionSpec) -> None:
        self._answer(
            CallErrorFrame(unique_id, ErrorCode.INTERNAL_ERROR, _INTERNAL % spec.name)
        )

    # -- sending -------------------------------------------------------------

    def _answer(self, frame: CallErrorFrame) -> None:
        """
        Send a CALLERROR answering one of the peer's CALLs.
        """
        try:
            text = frame.serialise()
        except Exception:
            # The details are not JSON.
            self._log.failure(
                "Cannot serialise {frame!r} for {identity}",
                frame=frame,
                identity=self._identity,
            )
            frame = CallErrorFrame(frame.unique_id, ErrorCode.INTERNAL_ERROR, "")
            text = frame.serialise()
        self._answer_text(text, frame.unique_id, code=str(frame.code))

    def _answer_text(
        self,
        text: str,
        unique_id: str,
        spec: ActionSpec | None = None,
        code: str | None = None,
    ) -> None:
        """
        Send an answer to one of the peer's CALLs, unless the connection is
        gone.

        @param spec: for a CALLRESULT, its action: if the transport refuses
            it (e.g. too large), the peer gets an C{InternalError} instead,
            rather than no answer at all.
        @param code: for a CALLERROR, its error code (C{None}: the text is a
            CALLRESULT).
        """
        if self._lost is not None:
            self._log.debug(
                "Dropped the answer to {unique_id} from {identity}: the "
                "connection is closed",
                unique_id=unique_id,
                identity=self._identity,
            )
            return
        try:
            self._send(text, 3 if code is None else 4, unique_id, code)
        except Exception:
            self._log.failure(
                "Sending the answer to {unique_id} to {identity} failed",
                unique_id=unique_id,
                identity=self._identity,
            )
            if spec is not None:
                self._internal_error(unique_id, spec)

    def _send(self, text: str, kind: int, unique_id: str, name: str | None) -> None:
        """
        Send one frame, showing it to the observers first.

        @param kind: its message type (2, 3 or 4).
        @param name: a CALL's action, a CALLERROR's error code, C{None} for a
            CALLRESULT.
        """
        for observer in self._text_observers:
            self._notify(observer, "out", text)
        if self._parsed_observers:
            self._notify_parsed("out", kind, unique_id, name)
        if self.log_frames:
            self._log.debug(
                "{identity} {direction} {text}",
                identity=self._identity,
                direction="out",
                text=loggable_frame(text),
            )
        self.connection.send_text(text)

    def _notify_parsed(
        self, direction: str, kind: int, unique_id: str, name: str | None
    ) -> None:
        """
        Show a frame the session parsed or built to its
        L{IParsedFrameObserver}s.
        """
        for observer in self._parsed_observers:
            try:
                observer.parsed(direction, kind, unique_id, name, self)
            except Exception:
                self._observer_failed(observer, direction)

    def _notify(self, observer: IFrameObserver, direction: str, text: str) -> None:
        try:
            observer(direction, text, self)
        except Exception:
            self._observer_failed(observer, direction)

    def _observer_failed(self, observer: IFrameObserver, direction: str) -> None:
        # Logged with the current exception; the frame goes on regardless.
        self._log.failure(
            "Frame observer {observer} failed on a frame {direction} "
            "for {identity}",
            observer=getattr(observer, "__qualname__", None) or type(observer).__qualname__,
            direction=direction,
            identity=self._identity,
        )
