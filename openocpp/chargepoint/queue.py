"""
The persistent FIFO queue of transaction-related messages (OCPP 1.6 section
3.7): StartTransaction.req, StopTransaction.req and sampled or clock-aligned
MeterValues.req.

A message is written to the SQLite file before it is sent, and removed in
the same SQLite transaction that records its answer, so a crash loses none
and, once answered, none is sent again. Messages go out one at a time, in
order, while the central system has accepted the charge point and the
connection is open. A CALLERROR or a timeout is a failure to process the
message: after C{TransactionMessageRetryInterval} times the attempts made it
is sent again, and after C{TransactionMessageAttempts} failures it is
dropped (a StartTransaction then leaves its transaction with id -1, errata
3.18). A lost connection is no failure: the message goes first when the
connection is back.

A connector's status that follows a transaction's stop is not reported
before that StopTransaction.req is sent (L{TransactionQueue.stop_waiting}):
Unavailable after a Scheduled ChangeAvailability, Finishing after a remote
stop or an unlock, come after the StopTransaction.req (section 5.2; the
status table of 4.9, C8 "Charging session ends ... and the connector is
scheduled to become Unavailable"), in this one order whether the queue was
idle, busy or offline.

Messages that belong to a transaction are queued with its local id; its
C{transactionId} is filled in as it is sent, so messages queued before the
central system gave the transaction its id carry the right one.
"""

from typing import Any, Callable

from twisted.internet.defer import CancelledError, Deferred, succeed
from twisted.logger import Logger

from openocpp.chargepoint.errors import NotAccepted, NotConnected
from openocpp.messages import ACTIONS, MeterValuesRequest, codec
from openocpp.messages.enums import AuthorizationStatus
from openocpp.messages.errors import ErrorCode
from openocpp.rpc.errors import CallError, CallTimeout, ConnectionLost, InvalidResponse


#: The transaction messages proper (the queue also takes requests that
#: must not be lost offline, see L{TransactionQueue.enqueue_request}).
_TRANSACTION_ACTIONS = frozenset({"StartTransaction", "StopTransaction", "MeterValues"})


class TransactionQueue:
    """
    Sends the queued transaction-related messages.

    @param store: the L{openocpp.chargepoint.store.ChargePointStore} the
        queue is kept in.
    @param ocpp_config: the L{openocpp.chargepoint.interfaces.IOcppConfig}
        (TransactionMessageAttempts, TransactionMessageRetryInterval).
    @param clock: the C{twisted.internet.interfaces.IReactorTime} of retries.
    @param send: C{send(request)} sends a request to the central system;
        returns a Deferred of its answer.
    @param online: returns whether requests may be sent now.
    @ivar stop_sent: called with a connector (or C{None}) once a
        StopTransaction.req of its transaction went out (or was dropped):
        the statuses that waited for it may go.
    @ivar id_tag_info: called with (idTag, IdTagInfo) of every Start and
        StopTransaction.conf (the Authorization Cache).
    @ivar deauthorized: called with (local id,
        L{AuthorizationStatus}) when a StartTransaction.conf refused the
        transaction's idTag.
    """

    log = Logger()

    def __init__(
        self,
        store: Any,
        ocpp_config: Any,
        clock: Any,
        send: Callable[..., Deferred],
        online: Callable[[], bool],
    ) -> None:
        self._store = store
        self._config = ocpp_config
        self._clock = clock
        self._send = send
        self._online = online
        self.stop_sent: Callable[[int | None], None] = lambda connector: None
        self.id_tag_info: Callable[[str, Any], None] = lambda id_tag, info: None
        self.deauthorized: Callable[[int, AuthorizationStatus], None] = (
            lambda local_id, status: None
        )
        self._busy = False
        self._holds = 0
        self._retry = None
        self._sending: Deferred | None = None
        #: The seq of the message in flight, else None.
        self._sending_seq: int | None = None
        self._drained: list[Deferred] = []
        #: Waiting for the answer to a StartTransaction, by local id.
        self._starts: dict[int, Deferred] = {}

    def enqueue_meter_values(self, connector: int, local_id: int | None, values: list) -> None:
        request = MeterValuesRequest(connector_id=connector, meter_value=values)
        self._store.enqueue("MeterValues", local_id, codec.encode(request))
        self.pump()

    def enqueue_request(self, request: Any) -> None:
        """
        Queue a request that concerns no transaction but must not be lost
        offline either (a critical SecurityEventNotification.req, Security
        Whitepaper A04.FR.02): it goes in order with the transaction
        messages, with their retries.
        """
        self._store.enqueue(request.action, None, codec.encode(request))
        self.pump()

    def wait_start(self, local_id: int) -> Deferred:
        """
        @return: a Deferred firing with the idTag's L{AuthorizationStatus}
            when the StartTransaction of C{local_id} is answered, or with
            C{Accepted} if its first attempt fails or the connection drops.
        """
        waiting = Deferred()
        self._starts[local_id] = waiting
        return waiting

    def _settle_start(self, local_id: int | None, status: AuthorizationStatus) -> None:
        waiting = self._starts.pop(local_id, None) if local_id is not None else None
        if waiting is not None:
            waiting.callback(status)

    def settle_all(self) -> None:
        """
        The connection dropped: every start waiting for its answer goes on
        locally.
        """
        starts, self._starts = self._starts, {}
        for waiting in starts.values():
            waiting.callback(AuthorizationStatus.ACCEPTED)

    def when_drained(self) -> Deferred:
        """
        @return: a Deferred firing once the queue is empty.
        """
        if self._store.queue_length() == 0:
            return succeed(None)
        waiting = Deferred()
        self._drained.append(waiting)
        return waiting

    def hold(self) -> None:
        """
        Send nothing more until as many L{release}s (or until the service
        stops): what is queued meanwhile stays on disk, in order.  A message
        in flight still gets its answer.
        """
        self._holds += 1

    def release(self) -> None:
        """
        Undo one L{hold}; once none is left, send what they kept.
        """
        self._holds = max(self._holds - 1, 0)
        self.pump()

    def stop_waiting(self, connector: int) -> bool:
        """
        Whether a StopTransaction.req of a transaction on C{connector} (on
        any, for 0) waits in the queue, not sent yet: the connector's status
        waits for it (see the module docstring).
        """
        return self._store.stop_waiting(connector, self._sending_seq)

    def _stop_sent(self, connector_id: int | None) -> None:
        # Statuses that waited for this StopTransaction follow it now.
        self.stop_sent(connector_id)

    def pump(self) -> None:
        """
        Send the first queued message, unless one is in flight, a retry is
        waited for, the queue is held, or the charge point cannot send.
        """
        store = self._store
        if self._busy or self._retry is not None or self._holds or not self._online():
            return
        head = store.queue_head()
        if head is None:
            drained, self._drained = self._drained, []
            for waiting in drained:
                waiting.callback(None)
            return
        spec = ACTIONS[head.action]
        payload = dict(head.payload)
        record = None
        if head.local_id is not None and head.action != "StartTransaction":
            record = store.transaction(head.local_id)
            wire_id = None if record is None else record.wire_id
            payload["transactionId"] = -1 if wire_id is None else wire_id
        stop = head.action == "StopTransaction"
        connector_id = None if record is None else record.connector_id
        try:
            request = codec.decode(spec.request, payload)
        except Exception:
            self.log.failure(
                "Dropping queued {action} {seq}: it no longer makes a valid request",
                action=head.action,
                seq=head.seq,
            )
            store.delivered(head.seq)
            if stop:
                self._stop_sent(connector_id)
            self.pump()
            return
        self._busy = True
        self._sending_seq = head.seq
        self.log.debug(
            "Sending queued {action} {seq} (attempt {attempt})",
            action=head.action,
            seq=head.seq,
            attempt=head.attempts + 1,
        )
        sending = self._sending = self._send(request)
        if stop and head.attempts == 0:
            self._stop_sent(connector_id)
        sending.addCallbacks(
            self._answered, self._failed, callbackArgs=(head,), errbackArgs=(head,)
        )

    def _answered(self, response: Any, head: Any) -> None:
        self._busy = False
        self._sending = None
        self._sending_seq = None
        store = self._store
        if head.action == "StartTransaction":
            info = response.id_tag_info
            store.delivered(
                head.seq,
                transaction_id=response.transaction_id,
                local_id=head.local_id,
                id_tag_status=AuthorizationStatus(info.status).value,
            )
            self.id_tag_info(head.payload["idTag"], info)
            self.log.info(
                "Transaction {local_id} on connector {connector} has id {transaction_id} "
                "({status})",
                local_id=head.local_id,
                connector=head.payload["connectorId"],
                transaction_id=response.transaction_id,
                status=AuthorizationStatus(info.status).value,
            )
            self._settle_start(head.local_id, AuthorizationStatus(info.status))
            if info.status != AuthorizationStatus.ACCEPTED:
                self.deauthorized(head.local_id, AuthorizationStatus(info.status))
        else:
            store.delivered(head.seq)
            if head.action == "StopTransaction" and head.payload.get("idTag"):
                self.id_tag_info(head.payload["idTag"], response.id_tag_info)
        self.pump()

    def _failed(self, failure: Any, head: Any) -> None:
        self._busy = False
        self._sending = None
        self._sending_seq = None
        store = self._store
        if failure.check(ConnectionLost, NotConnected, NotAccepted, CancelledError):
            self._settle_start(head.local_id, AuthorizationStatus.ACCEPTED)
            if failure.check(ConnectionLost):
                # A newer connection may be open already (the old one was
                # slow to close): the message goes there, else it waits.
                self.pump()
            return
        if head.action == "StartTransaction":
            self._settle_start(head.local_id, AuthorizationStatus.ACCEPTED)
        if head.local_id is None and head.action not in _TRANSACTION_ACTIONS and failure.check(
            CallError
        ) and failure.value.code in (ErrorCode.NOT_IMPLEMENTED, ErrorCode.NOT_SUPPORTED):
            # A central system without the Security extension: retrying
            # would only hold the transaction messages behind it.
            self.log.info(
                "The central system does not take {action}: dropping {seq}",
                action=head.action,
                seq=head.seq,
            )
            store.delivered(head.seq, given_up=True)
            self.pump()
            return
        if not failure.check(CallError, CallTimeout, InvalidResponse):
            self.log.failure("Queued {action} {seq} failed", failure, action=head.action, seq=head.seq)
        attempts = store.count_attempt(head.seq)
        allowed = self._config.integer("TransactionMessageAttempts")
        if attempts >= allowed:
            self.log.warn(
                "Giving up {action} {seq} after {attempts} failed attempts: {error}",
                action=head.action,
                seq=head.seq,
                attempts=attempts,
                error=failure.getErrorMessage(),
            )
            store.delivered(
                head.seq,
                local_id=head.local_id if head.action == "StartTransaction" else None,
                given_up=True,
            )
            self.pump()
            return
        delay = self._config.integer("TransactionMessageRetryInterval") * attempts
        self.log.info(
            "{action} {seq} failed ({error}): attempt {attempt} in {delay} seconds",
            action=head.action,
            seq=head.seq,
            error=failure.getErrorMessage(),
            attempt=attempts + 1,
            delay=delay,
        )
        self._retry = self._clock.callLater(delay, self._retried)

    def _retried(self) -> None:
        self._retry = None
        self.pump()

    def stop(self) -> None:
        if self._retry is not None and self._retry.active():
            self._retry.cancel()
        self._retry = None
        self._holds = 0
        sending, self._sending = self._sending, None
        self._sending_seq = None
        self._busy = False
        if sending is not None:
            sending.cancel()
        self.settle_all()
        drained, self._drained = self._drained, []
        for waiting in drained:
            waiting.cancel()
