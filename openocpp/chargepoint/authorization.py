"""
Authorization of idTags (OCPP 1.6 section 3.5): the local authorization
list, the Authorization Cache, Authorize.req, and the offline rules
(LocalPreAuthorize, LocalAuthorizeOffline, AllowOfflineTxForUnknownId).
"""

from typing import Any, Callable

from twisted.internet.defer import inlineCallbacks, succeed
from twisted.logger import Logger

from openocpp.chargepoint.locallist import LocalListStore, list_enabled
from openocpp.messages import AuthorizeRequest, codec
from openocpp.messages.datatypes import IdTagInfo
from openocpp.messages.enums import AuthorizationStatus, ChargePointErrorCode
from openocpp.messages.validation import parse_datetime

#: How many idTags the Authorization Cache holds.
CACHE_CAPACITY = 1000

_VALID = frozenset({AuthorizationStatus.ACCEPTED, AuthorizationStatus.CONCURRENT_TX})


class Authorizer:
    """
    Decides on idTags, and keeps the Authorization Cache.

    @param store: the L{openocpp.chargepoint.store.ChargePointStore} (the
        cache).
    @param ocpp_config: the L{openocpp.chargepoint.interfaces.IOcppConfig}.
    @param clock: the C{twisted.internet.interfaces.IReactorTime}.
    @param now: returns the charge point's time (an aware C{datetime}).
    @param send: C{send(request)} sends a request to the central system;
        returns a Deferred of its answer.
    @param online: returns whether requests may be sent now.
    @param report_error: C{report_error(connector, error_code)} reports a
        LocalListConflict (L{openocpp.chargepoint.status.StatusReporter}).
    @param cache_capacity: how many idTags the cache holds.
    @param local_list: the L{openocpp.chargepoint.locallist.LocalListStore};
        default: the one of C{store}.
    """

    log = Logger()

    def __init__(
        self,
        store: Any,
        ocpp_config: Any,
        clock: Any,
        now: Callable[[], Any],
        send: Callable[..., Any],
        online: Callable[[], bool],
        report_error: Callable[[int, ChargePointErrorCode], Any],
        cache_capacity: int = CACHE_CAPACITY,
        local_list: Any = None,
    ) -> None:
        self._store = store
        self._list = local_list if local_list is not None else LocalListStore(store)
        self._config = ocpp_config
        self._clock = clock
        self._now = now
        self._send = send
        self._online = online
        self._report_error = report_error
        self.cache_capacity = cache_capacity

    def _local(self, id_tag: str) -> tuple[str, Any] | None:
        """
        @return: (where, entry) for the local list or cache entry of an
            idTag, or C{None}.
        """
        if list_enabled(self._config):
            # The list has priority over the cache (3.5.3).
            entry = self._list.entry(id_tag)
            if entry is not None:
                return "list", entry
        if self._config.boolean("AuthorizationCacheEnabled"):
            entry = self._store.cache_entry(id_tag)
            if entry is not None:
                return "cache", entry
        return None

    def _status(self, where: str, entry: Any) -> tuple[AuthorizationStatus, str | None]:
        status = AuthorizationStatus(entry["status"])
        expiry = entry["expiry_date"]
        if status in _VALID and expiry is not None and parse_datetime(expiry) <= self._now():
            status = AuthorizationStatus.EXPIRED
            if where == "cache":
                # An entry whose validity passed is changed to Expired (3.5.1).
                self._store.cache_set_status(entry["id_tag"], status.value)
        return status, entry["parent_id_tag"]

    @inlineCallbacks
    def authorize(self, connector: int, id_tag: str):
        local = self._local(id_tag)
        known = None if local is None else self._status(*local)
        config = self._config
        if self._online():
            if known is not None and known[0] in _VALID and config.boolean("LocalPreAuthorize"):
                self.log.info(
                    "{id_tag} pre-authorized locally ({where})", id_tag=id_tag, where=local[0]
                )
                return known
            try:
                response = yield self._send(AuthorizeRequest(id_tag=id_tag))
            except Exception as error:
                self.log.info(
                    "Authorize.req for {id_tag} failed ({error}): deciding offline",
                    id_tag=id_tag,
                    error=error,
                )
            else:
                info = response.id_tag_info
                self.update(id_tag, info)
                return info.status, info.parent_id_tag
        if known is not None:
            if config.boolean("LocalAuthorizeOffline"):
                return known
            if known[0] not in _VALID:
                # Known as not valid (or expired by the passage of time):
                # never accepted offline, whatever AllowOfflineTxForUnknownId
                # says (3.5.4); the status says why (3.5.2: "more fine
                # grained information to users").
                return known
            # Not authorized by the cache or list offline: as good as unknown.
        if config.boolean("AllowOfflineTxForUnknownId"):
            self.log.info("Unknown {id_tag} accepted offline", id_tag=id_tag)
            return AuthorizationStatus.ACCEPTED, None
        return AuthorizationStatus.INVALID, None

    def parent_of(self, connector: int, id_tag: str, authorize: Callable[..., Any] | None = None):
        """
        The parent idTag of an idTag presented at a reservation with a
        parentIdTag (section 5.13): "the Charge Point MAY look it up in its
        Local Authorization List or Authorization Cache. If it is not found
        in the Local Authorization List or Authorization Cache, then the
        Charge Point SHALL send an Authorize.req".

        @param authorize: C{authorize(connector, id_tag)} asks when the
            idTag is not known locally; default L{authorize}.
        @return: a Deferred firing with (status, parent idTag or C{None}),
            as L{authorize}'s.
        """
        local = self._local(id_tag)
        if local is not None:
            return succeed(self._status(*local))
        return (authorize or self.authorize)(connector, id_tag)

    def update(self, id_tag: str, info: IdTagInfo | None) -> None:
        """
        Update the Authorization Cache with an IdTagInfo received, unless the
        idTag is in the local list (section 3.5.3) or the cache is off. An
        IdTagInfo contradicting the local list is reported (3.5.2). A list
        not in use (L{list_enabled}) is ignored: its idTags are cached like
        any other.
        """
        if info is None:
            return
        listed = self._list.entry(id_tag) if list_enabled(self._config) else None
        if listed is not None:
            self._check_conflict(id_tag, listed, AuthorizationStatus(info.status))
            return
        if not self._config.boolean("AuthorizationCacheEnabled"):
            return
        expiry = info.expiry_date
        self._store.cache_put(
            id_tag,
            AuthorizationStatus(info.status).value,
            None if expiry is None else codec.format_datetime(expiry),
            info.parent_id_tag,
            self._clock.seconds(),
            self.cache_capacity,
            current_time=self._now(),
        )

    def _check_conflict(self, id_tag: str, listed: Any, status: AuthorizationStatus) -> None:
        own, _ = self._status("list", listed)
        if (own in _VALID) == (status in _VALID):
            return
        self.log.warn(
            "The central system says {id_tag} is {status}, the local list {own}: "
            "reporting a LocalListConflict",
            id_tag=id_tag,
            status=status.value,
            own=own.value,
        )
        self._report_error(0, ChargePointErrorCode.LOCAL_LIST_CONFLICT)

    def clear_cache(self) -> None:
        self._store.clear_cache()
