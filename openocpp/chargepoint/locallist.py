"""
Local Authorization List Management (OCPP 1.6 sections 3.5.2, 5.10 and
5.15): the list of idTags the central system keeps in the charge point with
SendLocalList, its version for GetLocalListVersion, and its SQLite table.

L{LocalListStore} holds the list's SQL (the C{local_list} table and the
C{local_list_version} meta value of L{openocpp.chargepoint.store}); every
update is one SQLite transaction, so an update refused half-way changes
nothing. L{LocalList} answers the two requests; the
L{openocpp.chargepoint.authorization.Authorizer} reads the list.

IdTokens are case insensitive (CiString20Type, errata 3.73 and 3.74): the
table's key is C{COLLATE NOCASE}, and the duplicates of a request are found
with the same folding (of the ASCII letters, as NOCASE does; IdTokens are
printable ASCII).
"""

import sqlite3
import string
from typing import Any, Callable, Iterable

from twisted.logger import Logger

from openocpp.messages import GetLocalListVersionResponse, SendLocalListResponse, codec
from openocpp.messages.enums import AuthorizationStatus, UpdateStatus, UpdateType
from openocpp.store.sqlite import transaction

#: The feature profile this module implements (SupportedFeatureProfiles).
PROFILE = "LocalAuthListManagement"

_ASCII_FOLD = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def fold(id_tag: str) -> str:
    """
    The case-folded form of an idTag, as SQLite's NOCASE compares it (the
    ASCII letters in lower case).
    """
    return id_tag.translate(_ASCII_FOLD)


def list_enabled(ocpp_config: Any) -> bool:
    """
    Whether the local list is in use: its profile is among the
    SupportedFeatureProfiles and LocalAuthListEnabled is true. A list not in
    use is neither consulted nor updated, and its version is -1.

    @param ocpp_config: the L{openocpp.chargepoint.interfaces.IOcppConfig}.
    """
    return PROFILE in ocpp_config.items("SupportedFeatureProfiles") and ocpp_config.boolean(
        "LocalAuthListEnabled"
    )


class ListTooLong(Exception):
    """
    An update would leave more entries in the list than it may hold.
    """


#: An entry of the list: (id tag, status, expiry date text or None, parent
#: id tag or None).
Entry = tuple[str, str, str | None, str | None]


class LocalListStore:
    """
    The local authorization list in the charge point's SQLite file.

    @param store: the L{openocpp.chargepoint.store.ChargePointStore}; its
        connection is asked for at each use, since the store may be closed
        and opened again.
    """

    def __init__(self, store: Any) -> None:
        self._store = store

    @property
    def _db(self) -> sqlite3.Connection:
        return self._store.connection

    def entry(self, id_tag: str) -> sqlite3.Row | None:
        """
        @return: the entry of an idTag, matched in any case (columns
            C{id_tag}, C{status}, C{expiry_date}, C{parent_id_tag}), or
            C{None}.
        """
        return self._db.execute("SELECT * FROM local_list WHERE id_tag = ?", (id_tag,)).fetchone()

    def entries(self) -> list[Entry]:
        """
        @return: every entry, ordered by idTag (in any case).
        """
        return [
            tuple(row)
            for row in self._db.execute(
                "SELECT id_tag, status, expiry_date, parent_id_tag FROM local_list ORDER BY id_tag"
            )
        ]

    def count(self) -> int:
        (count,) = self._db.execute("SELECT COUNT(*) FROM local_list").fetchone()
        return count

    def version(self) -> int:
        """
        The list's version: the one last sent with it, or 0 while the list
        is empty ("a version number of 0 (zero) SHALL be used to indicate
        that the local authorization list is empty", section 5.10), whether
        it was never sent or a later update emptied it.
        """
        if not self._db.execute("SELECT 1 FROM local_list LIMIT 1").fetchone():
            return 0
        return self._store.get_meta("local_list_version", 0)

    def replace(self, version: int, entries: Iterable[Entry], max_length: int | None = None) -> None:
        """
        Replace the whole list (a Full update), in one SQLite transaction.

        @param entries: of idTags differing only in case, the last is kept.
        @param max_length: the most entries the list may hold, or C{None}.
        @raise ListTooLong: more than C{max_length} entries (nothing changed).
        """
        with transaction(self._db):
            self._db.execute("DELETE FROM local_list")
            self._db.executemany(
                "INSERT OR REPLACE INTO local_list (id_tag, status, expiry_date, parent_id_tag) "
                "VALUES (?, ?, ?, ?)",
                list(entries),
            )
            self._finish(version, max_length)

    def update(
        self, version: int, changes: Iterable[tuple[str, Entry | None]], max_length: int | None = None
    ) -> None:
        """
        Apply a Differential update, in one SQLite transaction.

        @param changes: (id tag, entry) pairs: the entry adds or replaces the
            idTag's, C{None} removes it (an absent idTag is no error).
        @param max_length: the most entries the list may hold, or C{None}.
        @raise ListTooLong: the list would grow past C{max_length} entries
            (nothing changed).
        """
        with transaction(self._db):
            for id_tag, entry in changes:
                # Deleted first, so that an update changes the stored case of
                # the idTag to the one just sent.
                self._db.execute("DELETE FROM local_list WHERE id_tag = ?", (id_tag,))
                if entry is not None:
                    self._db.execute(
                        "INSERT INTO local_list (id_tag, status, expiry_date, parent_id_tag) "
                        "VALUES (?, ?, ?, ?)",
                        entry,
                    )
            self._finish(version, max_length)

    def _finish(self, version: int, max_length: int | None) -> None:
        # Inside the update's SQLite transaction: raising rolls it back.
        if max_length is not None:
            count = self.count()
            if count > max_length:
                raise ListTooLong(f"{count} entries, at most {max_length} (LocalAuthListMaxLength)")
        # Identifiers known in the list are not in the cache (3.5.3): the
        # cache's own entries of idTags now listed go, so that removing them
        # from the list later does not bring back an outdated cache entry.
        self._db.execute(
            "DELETE FROM auth_cache WHERE id_tag IN (SELECT id_tag FROM local_list)"
        )
        self._store.set_meta("local_list_version", version)


class LocalList:
    """
    Answers GetLocalListVersion and SendLocalList.

    @param entries: the L{LocalListStore}.
    @param ocpp_config: the L{openocpp.chargepoint.interfaces.IOcppConfig}
        (LocalAuthListEnabled, LocalAuthListMaxLength, SendLocalListMaxLength,
        SupportedFeatureProfiles).
    @param notify: C{notify(name, **kwargs)} tells the plugins
        (C{openocpp_cp_local_list_changed}).
    """

    log = Logger()

    def __init__(self, entries: LocalListStore, ocpp_config: Any, notify: Callable[..., Any]) -> None:
        self._entries = entries
        self._config = ocpp_config
        self._notify = notify

    def handlers(self) -> dict:
        """
        @return: the request handlers by action.
        """
        return {
            "GetLocalListVersion": self.get_local_list_version,
            "SendLocalList": self.send_local_list,
        }

    def enabled(self) -> bool:
        """
        Whether the list is in use (see L{list_enabled}).
        """
        return list_enabled(self._config)

    def get_local_list_version(self, request: Any) -> GetLocalListVersionResponse:
        """
        Answer a GetLocalListVersion.req (section 5.10).

        @return: the list's version (L{LocalListStore.version}), or -1 while
            the list is not in use.
        """
        if not self.enabled():
            # "-1 SHALL be used to indicate that the Charge Point does not
            # support Local Authorization Lists" (5.10): a disabled list is
            # not supported for now.
            return GetLocalListVersionResponse(list_version=-1)
        return GetLocalListVersionResponse(list_version=self._entries.version())

    def send_local_list(self, request: Any) -> SendLocalListResponse:
        """
        Answer a SendLocalList.req (section 5.15): apply it, or answer why
        not. Every answer is a status, never a CALLERROR.

        @return: Accepted; NotSupported while the list is not in use;
            VersionMismatch for a Differential update not newer than the
            list; Failed for a listVersion below 1 (errata 3.52), more
            entries than SendLocalListMaxLength, an idTag twice (in any
            case), a Full entry without idTagInfo (7.1), a list that would
            grow past LocalAuthListMaxLength, or a
            write the SQLite file refused (nothing is changed then).
        """
        try:
            status = self._send_local_list(request)
        except sqlite3.Error:
            # The update's SQLite transaction was rolled back: the list is
            # as it was.
            self.log.failure("SendLocalList answered Failed: the list could not be stored")
            status = UpdateStatus.FAILED
        return SendLocalListResponse(status=status)

    def _send_local_list(self, request: Any) -> UpdateStatus:
        kind = UpdateType(request.update_type)
        version = request.list_version
        items = request.local_authorization_list or []
        if not self.enabled():
            self.log.info(
                "SendLocalList answered NotSupported: the local list is not in use "
                "(LocalAuthListEnabled, SupportedFeatureProfiles)"
            )
            return UpdateStatus.NOT_SUPPORTED
        if version < 1:
            # errata 3.52: "SHALL NOT be -1 or 0 as these have a special
            # meaning in GetLocalListVersion.conf".
            return self._failed("listVersion {version} is not a version (errata 3.52)", version=version)
        limit = self._config.integer("SendLocalListMaxLength")
        if len(items) > limit:
            return self._failed(
                "{count} entries in one request, at most {limit} (SendLocalListMaxLength)",
                count=len(items),
                limit=limit,
            )
        seen: dict[str, str] = {}
        for item in items:
            folded = fold(item.id_tag)
            if folded in seen:
                # "All idTags in the localAuthorizationList MUST be unique"
                # (6.41); idTags are case insensitive.
                return self._failed(
                    "idTag {id_tag} appears twice (as {first})", id_tag=item.id_tag, first=seen[folded]
                )
            seen[folded] = item.id_tag
        if kind is UpdateType.FULL:
            missing = [item.id_tag for item in items if item.id_tag_info is None]
            if missing:
                # 7.1: idTagInfo is "Required when UpdateType is Full"; a
                # list that is not what was sent is not Accepted.
                return self._failed(
                    "{count} entries of a Full update without idTagInfo (required, 7.1): {id_tags}",
                    count=len(missing),
                    id_tags=", ".join(missing[:10]) + (", ..." if len(missing) > 10 else ""),
                )
        current = self._entries.version()
        if kind is UpdateType.DIFFERENTIAL and version <= current:
            # 7.47: "Version number in the request for a differential update
            # is less or equal then version number of current list". A Full
            # update replaces the list whatever its version (7.48).
            self.log.info(
                "SendLocalList (Differential) answered VersionMismatch: version {version}, "
                "the list is at {current}",
                version=version,
                current=current,
            )
            return UpdateStatus.VERSION_MISMATCH
        max_length = self._config.integer("LocalAuthListMaxLength")
        try:
            if kind is UpdateType.FULL:
                self._entries.replace(version, [_entry(item) for item in items], max_length)
            else:
                self._entries.update(
                    version,
                    [(item.id_tag, _entry(item)) for item in items],
                    max_length,
                )
        except ListTooLong as error:
            return self._failed("the list would be too long: {error}", error=error)
        reported = self._entries.version()
        self.log.info(
            "Local list updated ({kind}, {count} entries sent): version {version}, "
            "{total} entries",
            kind=kind.value,
            count=len(items),
            version=reported,
            total=self._entries.count(),
        )
        self._notify("openocpp_cp_local_list_changed", version=reported)
        return UpdateStatus.ACCEPTED

    def _failed(self, why: str, **fields: Any) -> UpdateStatus:
        self.log.info("SendLocalList answered Failed: " + why, **fields)
        return UpdateStatus.FAILED


def _entry(item: Any) -> Entry | None:
    """
    The stored form of an AuthorizationData, or C{None} without idTagInfo.
    """
    info = item.id_tag_info
    if info is None:
        return None
    expiry = info.expiry_date
    return (
        item.id_tag,
        AuthorizationStatus(info.status).value,
        None if expiry is None else codec.format_datetime(expiry),
        info.parent_id_tag,
    )
