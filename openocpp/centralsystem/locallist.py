"""
The operator's "send local list" (OCPP 1.6 sections 3.5 and 5.15): a
charge point's Local Authorization List filled from the id tags the
central system knows.

A C{Full} list is every id tag (status, expiry date, parent); a
C{Differential} one, the tags added, changed (with their C{idTagInfo}) or
removed (without) since the last list the charge point accepted, which the
store knows from the change sequence its id-tag writes keep. The version
sent is the one the central system last saw accepted plus one (never 0 or
-1, errata 3.52).

Before sending, the charge point is asked (GetConfiguration) for
C{SendLocalListMaxLength} and C{LocalAuthListMaxLength} (section 9.2): a
list longer than the first goes in several requests, the first of the
update type asked and the others C{Differential}, each with the next
version, stopping at the first answer that is not C{Accepted}; a Full list
longer than the second is not sent. A charge point that does not answer
the keys gets the list in one request.
"""

from dataclasses import dataclass
from typing import Any

from twisted.internet.defer import Deferred, fail, inlineCallbacks
from twisted.logger import Logger

from openocpp.centralsystem.idtags import is_printable_ascii
from openocpp.messages.datatypes import AuthorizationData, IdTagInfo
from openocpp.rpc.errors import CallError

#: The update types of SendLocalList.req (OCPP 1.6 section 7.42).
UPDATE_TYPES = ("Full", "Differential")

#: The configuration keys asked before sending (OCPP 1.6 section 9.2).
SEND_MAX_KEY = "SendLocalListMaxLength"
LIST_MAX_KEY = "LocalAuthListMaxLength"

_ACCEPTED = "Accepted"

#: The longest id tag OCPP carries (IdToken, a CiString20).
_ID_TAG_LENGTH = 20


class LocalListRefused(Exception):
    """
    The list was not sent: nothing was asked of the charge point but its
    configuration.

    @ivar error: a stable name: C{"busy"} (a list is being sent to it
        already), C{"no_full_list"} (a Differential needs a complete list
        sent before it), C{"list_too_long"} (more id tags than its
        C{LocalAuthListMaxLength}).
    @ivar description: why, for people.
    """

    def __init__(self, error: str, description: str) -> None:
        super().__init__(error, description)
        self.error = error
        self.description = description


@dataclass(frozen=True)
class LocalListRequest:
    """
    One SendLocalList.req sent and the charge point's answer.

    @ivar update_type: C{"Full"} or C{"Differential"}.
    @ivar list_version: the version it carried.
    @ivar entries: how many id tags it carried.
    @ivar status: the C{UpdateStatus} answered.
    """

    update_type: str
    list_version: int
    entries: int
    status: str


@dataclass(frozen=True)
class LocalListOutcome:
    """
    What sending a local list did.

    @ivar identity: the charge point.
    @ivar update_type: the update type asked.
    @ivar requests: the L{LocalListRequest}s sent, in order (none when a
        Differential had no change to send).
    @ivar list_version: the version the charge point now holds as far as
        the central system knows (0: none it sent).
    @ivar complete: whether that list is all the central system meant
        (false when a split list stopped part way: send a Full one).
    @ivar send_max_length: the charge point's C{SendLocalListMaxLength},
        or C{None} when it did not say.
    @ivar list_max_length: its C{LocalAuthListMaxLength}, or C{None}.
    @ivar skipped: the id tags left out because OCPP cannot carry them
        (longer than 20 characters, or not printable ASCII: written to the
        store by another program than the API, which refuses them).
    """

    identity: str
    update_type: str
    requests: tuple
    list_version: int
    complete: bool
    send_max_length: int | None = None
    list_max_length: int | None = None
    skipped: tuple = ()

    @property
    def status(self) -> str | None:
        """
        The last answer (C{Accepted} only when every request was), or
        C{None} when nothing was sent.
        """
        return self.requests[-1].status if self.requests else None

    @property
    def hint(self) -> str | None:
        """
        What the operator should do next, if anything: a Differential
        answered C{Failed} or C{VersionMismatch} should be followed by a
        Full list (OCPP 1.6 section 5.15).
        """
        last = self.requests[-1] if self.requests else None
        if last is None or last.status == _ACCEPTED:
            return None
        if last.update_type == "Differential" and last.status in ("VersionMismatch", "Failed"):
            return "send a Full list (updateType Full): the charge point did not take the changes"
        if last.status == "NotSupported":
            return "the charge point has no local list or it is disabled (LocalAuthListEnabled)"
        if not self.complete:
            return "the list held is incomplete: send a Full list"
        return None


class LocalListSender:
    """
    Sends local lists to charge points and records their answers.

    @param store: the central system's
        L{openocpp.centralsystem.interfaces.ICentralSystemStore}.
    """

    log = Logger()

    def __init__(self, store: Any) -> None:
        self._store = store
        # One list at a time per charge point: two at once would send the
        # same version twice.
        self._sending: set[str] = set()

    def send(self, proxy: Any, update_type: str) -> Deferred:
        """
        Send a local list to a connected charge point.

        @param proxy: its L{openocpp.centralsystem.interfaces.IChargePointProxy}.
        @param update_type: C{"Full"} or C{"Differential"}.
        @return: a Deferred firing with the L{LocalListOutcome} once every
            answer is recorded and committed, or failing with
            L{LocalListRefused}, with the call's error (a timeout, a lost
            connection, a CALLERROR) or with
            L{openocpp.centralsystem.store.StorageFailed}.
        @raise ValueError: C{update_type} is neither.
        """
        if update_type not in UPDATE_TYPES:
            raise ValueError(f"updateType must be Full or Differential, not {update_type!r}")
        identity = proxy.identity
        if identity in self._sending:
            return fail(
                LocalListRefused("busy", f"a local list is being sent to {identity} already")
            )
        self._sending.add(identity)
        sending = self._send(proxy, update_type)

        def done(result: Any) -> Any:
            self._sending.discard(identity)
            return result

        return sending.addBoth(done)

    @inlineCallbacks
    def _send(self, proxy: Any, update_type: str):
        identity = proxy.identity
        send_max, list_max = yield self._limits(proxy)
        state = self._store.local_list(identity)
        held = 0 if state is None else state["list_version"]
        if update_type == "Full":
            records, mark = self._store.local_list_entries()
            entries = [_entry(record.id_tag, record) for record in records]
            entries, skipped = self._carried(identity, entries)
            if list_max is not None and len(entries) > list_max:
                raise LocalListRefused(
                    "list_too_long",
                    f"the central system knows {len(entries)} id tags, more than {identity}'s "
                    f"{LIST_MAX_KEY} of {list_max}",
                )
        else:
            if state is None or state["change_mark"] is None:
                raise LocalListRefused(
                    "no_full_list",
                    f"{identity} holds no complete list from this central system: send a Full list first",
                )
            changes, mark = self._store.local_list_changes(state["change_mark"])
            entries = [_entry(id_tag, record) for id_tag, record in changes]
            entries, skipped = self._carried(identity, entries)
            if not entries:
                return LocalListOutcome(
                    identity, update_type, (), held, True, send_max, list_max, skipped
                )
        chunks = _chunks(entries, send_max)
        requests = []
        version = held
        complete = state is None or state["change_mark"] is not None
        for number, chunk in enumerate(chunks):
            version += 1
            kind = update_type if number == 0 else "Differential"
            last = number == len(chunks) - 1
            response = yield proxy.send_local_list(version, kind, chunk or None)
            status = str(response.status)
            requests.append(LocalListRequest(kind, version, len(chunk), status))
            accepted = status == _ACCEPTED
            if accepted:
                complete = last
            self._store.record_local_list(
                identity, kind, version, status, change_mark=mark, complete=last
            )
            self.log.info(
                "Local list {update_type} version {version} ({entries} id tags) to {identity}: {status}",
                update_type=kind,
                version=version,
                entries=len(chunk),
                identity=identity,
                status=status,
            )
            if not accepted:
                version -= 1
                break
        outcome = LocalListOutcome(
            identity, update_type, tuple(requests), version, complete, send_max, list_max, skipped
        )
        result = yield self._store.when_committed(outcome)
        return result

    def _carried(self, identity: str, entries: list) -> tuple[list, tuple]:
        # What OCPP can carry: a tag it cannot would make the whole request
        # invalid, so it is left out (and said); a parent it cannot, dropped.
        kept, skipped = [], []
        for entry in entries:
            if not _is_id_token(entry.id_tag):
                skipped.append(entry.id_tag)
                continue
            info = entry.id_tag_info
            if info is not None and info.parent_id_tag is not None and not _is_id_token(info.parent_id_tag):
                info.parent_id_tag = None
            kept.append(entry)
        if skipped:
            self.log.warn(
                "{count} id tag(s) left out of the local list for {identity}: OCPP carries "
                "id tags of 1 to 20 printable ASCII characters only ({tags})",
                count=len(skipped),
                identity=identity,
                tags=", ".join(repr(tag) for tag in skipped[:10]) + (", ..." if len(skipped) > 10 else ""),
            )
        return kept, tuple(skipped)

    @inlineCallbacks
    def _limits(self, proxy: Any):
        # Asked every time (two read-only keys, one round trip): a firmware
        # update may change them, and the operator's send is rare.
        try:
            response = yield proxy.get_configuration(key=[SEND_MAX_KEY, LIST_MAX_KEY])
        except CallError as error:
            self.log.info(
                "{identity} answered GetConfiguration with {code}: its local list limits are "
                "unknown, the list goes in one request",
                identity=proxy.identity,
                code=str(error.code),
            )
            return None, None
        values = {item.key: item.value for item in response.configuration_key or []}
        return (
            _positive(values.get(SEND_MAX_KEY), proxy.identity, SEND_MAX_KEY, self.log),
            _positive(values.get(LIST_MAX_KEY), proxy.identity, LIST_MAX_KEY, self.log),
        )


def _entry(id_tag: str, record: Any) -> AuthorizationData:
    # A removed tag goes without idTagInfo (OCPP 1.6 section 7.2).
    if record is None:
        return AuthorizationData(id_tag=id_tag)
    return AuthorizationData(
        id_tag=record.id_tag,
        id_tag_info=IdTagInfo(
            status=record.status,
            expiry_date=record.expiry_date,
            parent_id_tag=record.parent_id_tag,
        ),
    )


def _is_id_token(text: str) -> bool:
    return 0 < len(text) <= _ID_TAG_LENGTH and is_printable_ascii(text)


def _chunks(entries: list, size: int | None) -> list[list]:
    # At least one request: an empty Full list empties the charge point's.
    if not entries or size is None:
        return [entries]
    return [entries[start : start + size] for start in range(0, len(entries), size)]


def _positive(value: str | None, identity: str, key: str, log: Logger) -> int | None:
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        log.warn(
            "{identity} reports {key} = {value!r}, not a positive integer: ignored",
            identity=identity,
            key=key,
            value=value,
        )
        return None
    return number
