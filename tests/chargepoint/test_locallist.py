"""
Tests for L{openocpp.chargepoint.locallist}: Local Authorization List
Management (OCPP 1.6 sections 3.5, 5.10, 5.15), as a collaborator over an
in-memory store, through the scripted central system, and over a real
WebSocket connection on loopback.
"""

import json
from datetime import datetime, timedelta, timezone

from twisted.internet import reactor
from twisted.internet.task import Clock
from twisted.internet.testing import EventLoggingObserver
from twisted.logger import globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase, TestCase


from openocpp.chargepoint.locallist import ListTooLong, LocalList, LocalListStore, fold
from openocpp.chargepoint.ocppconfig import OcppConfig, SqliteConfigStorage
from openocpp.chargepoint.store import ChargePointStore
from openocpp.hookspecs import hookimpl
from openocpp.messages import (
    AuthorizeResponse,
    ChangeConfigurationRequest,
    GetLocalListVersionRequest,
    IdTagInfo,
    SendLocalListRequest,
    StartTransactionResponse,
)
from openocpp.messages.datatypes import AuthorizationData
from openocpp.messages.enums import (
    AuthorizationStatus,
    ConfigurationStatus,
    UpdateStatus,
    UpdateType,
)
from openocpp.rpc.errors import ConnectionLost
from tests.chargepoint.loopback import loopback_charge_point, start_charge_point, wait_for
from tests.chargepoint.fake_centralsystem import (
    BASE_TIME,
    ChargePointTestCase,
    LoopbackCentralSystem,
    ScriptedCentralSystem,
    make_charge_point,
)
from tests.centralsystem.fake_chargepoint import CentralSystemMixin
from tests.store.failing_connection import FailingCommit

ACCEPTED = AuthorizationStatus.ACCEPTED
BLOCKED = AuthorizationStatus.BLOCKED
FULL = UpdateType.FULL
DIFFERENTIAL = UpdateType.DIFFERENTIAL


def data(id_tag, status=ACCEPTED, expiry=None, parent=None):
    """
    An AuthorizationData; C{status=None} gives one without idTagInfo.
    """
    if status is None:
        return AuthorizationData(id_tag=id_tag)
    return AuthorizationData(
        id_tag=id_tag,
        id_tag_info=IdTagInfo(status=status, expiry_date=expiry, parent_id_tag=parent),
    )


def send_local_list(version, kind, entries=None):
    return SendLocalListRequest(
        list_version=version, update_type=kind, local_authorization_list=entries
    )


class Listener:
    """
    A plugin recording the list changes it hears of.
    """

    def __init__(self):
        self.versions = []

    @hookimpl
    def openocpp_cp_local_list_changed(self, charge_point, version):
        self.versions.append(version)


class FoldTests(SynchronousTestCase):
    def test_folds_ascii_letters_only(self):
        """
        IdTags fold as SQLite's NOCASE does: the ASCII letters only.
        """
        self.assertEqual(fold("AbC-12z"), "abc-12z")
        self.assertEqual(fold("ÄB"), "Äb")


class LocalListStoreTests(SynchronousTestCase):
    """
    The list's SQL: versions, Full and Differential updates, each in one
    SQLite transaction.
    """

    def setUp(self):
        self.store = ChargePointStore(":memory:")
        self.addCleanup(self.store.close)
        self.entries = LocalListStore(self.store)

    def test_version_zero_when_never_set(self):
        self.assertEqual(self.entries.version(), 0)
        self.assertEqual(self.entries.count(), 0)

    def test_replace_sets_entries_and_version(self):
        self.entries.replace(4, [("A", "Accepted", None, None), ("B", "Blocked", None, "P")])
        self.assertEqual(self.entries.version(), 4)
        self.assertEqual(
            self.entries.entries(), [("A", "Accepted", None, None), ("B", "Blocked", None, "P")]
        )

    def test_emptied_list_reports_version_zero(self):
        """
        An empty list has version 0 (section 5.10), whatever version
        emptied it.
        """
        self.entries.replace(4, [("A", "Accepted", None, None)])
        self.entries.update(5, [("a", None)])
        self.assertEqual(self.entries.version(), 0)
        self.entries.replace(6, [])
        self.assertEqual(self.entries.version(), 0)

    def test_update_adds_replaces_and_removes(self):
        self.entries.replace(1, [("A", "Accepted", None, None), ("B", "Accepted", None, None)])
        self.entries.update(
            2, [("c", ("c", "Accepted", None, None)), ("b", ("b", "Blocked", None, None)), ("A", None)]
        )
        self.assertEqual(
            self.entries.entries(), [("b", "Blocked", None, None), ("c", "Accepted", None, None)]
        )
        self.assertEqual(self.entries.version(), 2)

    def test_removing_an_absent_id_tag_is_no_error(self):
        self.entries.replace(1, [("A", "Accepted", None, None)])
        self.entries.update(2, [("NOBODY", None)])
        self.assertEqual(self.entries.count(), 1)

    def test_too_long_changes_nothing(self):
        """
        An update leaving more than C{max_length} entries raises
        L{ListTooLong} and is rolled back, version included.
        """
        self.entries.replace(1, [("A", "Accepted", None, None)])
        self.assertRaises(
            ListTooLong,
            self.entries.update,
            2,
            [("B", ("B", "Accepted", None, None)), ("C", ("C", "Accepted", None, None))],
            2,
        )
        self.assertRaises(
            ListTooLong, self.entries.replace, 3,
            [("X", "Accepted", None, None), ("Y", "Accepted", None, None)], 1,
        )
        self.assertEqual(self.entries.entries(), [("A", "Accepted", None, None)])
        self.assertEqual(self.entries.version(), 1)

    def test_listed_id_tags_leave_the_cache(self):
        """
        Identifiers known in the list are not in the cache (3.5.3): the
        cache entries of idTags listed, in any case, go.
        """
        self.store.cache_put("tag", "Accepted", None, None, 1.0, 10)
        self.store.cache_put("OTHER", "Accepted", None, None, 1.0, 10)
        self.entries.replace(1, [("TAG", "Blocked", None, None)])
        self.assertIsNone(self.store.cache_entry("tag"))
        self.assertIsNotNone(self.store.cache_entry("OTHER"))

    def test_entry_matched_in_any_case(self):
        self.entries.replace(1, [("AbC", "Accepted", None, None)])
        self.assertEqual(self.entries.entry("aBc")["id_tag"], "AbC")


class LocalListTests(SynchronousTestCase):
    """
    The collaborator's answers, over an in-memory store.
    """

    def setUp(self):
        self.store = ChargePointStore(":memory:")
        self.addCleanup(self.store.close)
        self.config = OcppConfig(SqliteConfigStorage(self.store))
        self.entries = LocalListStore(self.store)
        self.notified = []
        self.local_list = LocalList(
            self.entries, self.config, notify=lambda name, **kw: self.notified.append((name, kw))
        )

    def send(self, version, kind, entries=None):
        return self.local_list.send_local_list(send_local_list(version, kind, entries)).status

    def version(self):
        return self.local_list.get_local_list_version(GetLocalListVersionRequest()).list_version

    def test_handlers(self):
        self.assertEqual(
            sorted(self.local_list.handlers()), ["GetLocalListVersion", "SendLocalList"]
        )

    def test_full_accepted(self):
        expiry = datetime(2027, 1, 1, tzinfo=timezone.utc)
        status = self.send(3, FULL, [data("A", expiry=expiry, parent="P"), data("B", BLOCKED)])
        self.assertEqual(status, UpdateStatus.ACCEPTED)
        self.assertEqual(self.version(), 3)
        self.assertEqual(
            self.entries.entries(),
            [("A", "Accepted", "2027-01-01T00:00:00.000Z", "P"), ("B", "Blocked", None, None)],
        )
        self.assertEqual(self.notified, [("openocpp_cp_local_list_changed", {"version": 3})])

    def test_full_replaces_whatever_its_version(self):
        """
        A Full update replaces the list even with an older version: 7.47
        keeps VersionMismatch for differential updates, and a Full one
        "must be replaced by the values in this message" (7.48).
        """
        self.send(9, FULL, [data("A")])
        self.assertEqual(self.send(2, FULL, [data("B")]), UpdateStatus.ACCEPTED)
        self.assertEqual(self.version(), 2)
        self.assertEqual([e[0] for e in self.entries.entries()], ["B"])

    def test_full_entry_without_id_tag_info_failed(self):
        """
        A Full update with an entry without idTagInfo ("Required when
        UpdateType is Full", 7.1) is Failed, as one breaking 6.41's "MUST be
        unique" is: the list and its version stay as they were, rather than
        Accepted while holding less than was sent.
        """
        self.send(1, FULL, [data("A")])
        self.assertEqual(self.send(2, FULL, [data("B"), data("C", None)]), UpdateStatus.FAILED)
        self.assertEqual([e[0] for e in self.entries.entries()], ["A"])
        self.assertEqual(self.version(), 1)

    def test_full_empty_clears(self):
        self.send(1, FULL, [data("A")])
        self.assertEqual(self.send(2, FULL), UpdateStatus.ACCEPTED)
        self.assertEqual(self.entries.count(), 0)
        self.assertEqual(self.version(), 0)

    def test_differential_add_update_remove(self):
        self.send(1, FULL, [data("A"), data("B")])
        status = self.send(2, DIFFERENTIAL, [data("C"), data("b", BLOCKED), data("a", None)])
        self.assertEqual(status, UpdateStatus.ACCEPTED)
        self.assertEqual(
            self.entries.entries(), [("b", "Blocked", None, None), ("C", "Accepted", None, None)]
        )
        self.assertEqual(self.version(), 2)

    def test_differential_without_entries_changes_only_the_version(self):
        self.send(1, FULL, [data("A")])
        self.assertEqual(self.send(2, DIFFERENTIAL), UpdateStatus.ACCEPTED)
        self.assertEqual(self.entries.count(), 1)
        self.assertEqual(self.version(), 2)

    def test_differential_not_newer_is_version_mismatch(self):
        self.send(5, FULL, [data("A")])
        self.notified.clear()
        self.assertEqual(self.send(5, DIFFERENTIAL, [data("B")]), UpdateStatus.VERSION_MISMATCH)
        self.assertEqual(self.send(4, DIFFERENTIAL, [data("B")]), UpdateStatus.VERSION_MISMATCH)
        self.assertEqual([e[0] for e in self.entries.entries()], ["A"])
        self.assertEqual(self.notified, [])

    def test_differential_on_empty_list_compares_with_zero(self):
        """
        An empty list is at version 0 (5.10), so any Differential is newer.
        """
        self.send(5, FULL)
        self.assertEqual(self.send(1, DIFFERENTIAL, [data("A")]), UpdateStatus.ACCEPTED)
        self.assertEqual(self.version(), 1)

    def test_version_zero_or_negative_failed(self):
        """
        errata 3.52: listVersion "SHALL NOT be -1 or 0".
        """
        for version in (0, -1, -7):
            for kind in (FULL, DIFFERENTIAL):
                self.assertEqual(self.send(version, kind, [data("A")]), UpdateStatus.FAILED)
        self.assertEqual(self.entries.count(), 0)

    def test_more_entries_than_send_local_list_max_length_failed(self):
        self.config.set("SendLocalListMaxLength", "2")
        self.send(1, FULL, [data("A")])
        entries = [data("X"), data("Y"), data("Z")]
        self.assertEqual(self.send(2, FULL, entries), UpdateStatus.FAILED)
        self.assertEqual(self.send(2, DIFFERENTIAL, entries), UpdateStatus.FAILED)
        self.assertEqual(self.send(2, FULL, entries[:2]), UpdateStatus.ACCEPTED)

    def test_list_longer_than_local_auth_list_max_length_failed(self):
        """
        An update leaving more entries than LocalAuthListMaxLength is
        Failed, and changes nothing.
        """
        self.config.set("LocalAuthListMaxLength", "2")
        self.send(1, FULL, [data("A"), data("B")])
        self.notified.clear()
        self.assertEqual(self.send(2, DIFFERENTIAL, [data("C"), data("a", None)]),
                         UpdateStatus.ACCEPTED)
        self.assertEqual(self.send(3, DIFFERENTIAL, [data("D")]), UpdateStatus.FAILED)
        self.assertEqual(self.send(4, FULL, [data("X"), data("Y"), data("Z")]), UpdateStatus.FAILED)
        self.assertEqual([e[0] for e in self.entries.entries()], ["B", "C"])
        self.assertEqual(self.version(), 2)
        self.assertEqual(len(self.notified), 1)

    def test_duplicates_failed(self):
        """
        The idTags of a request are unique (6.41), case-insensitively.
        """
        self.send(1, FULL, [data("A")])
        self.assertEqual(self.send(2, FULL, [data("tag"), data("TAG", BLOCKED)]), UpdateStatus.FAILED)
        self.assertEqual(
            self.send(2, DIFFERENTIAL, [data("Tag"), data("tAG", None)]), UpdateStatus.FAILED
        )
        self.assertEqual([e[0] for e in self.entries.entries()], ["A"])
        self.assertEqual(self.version(), 1)

    def test_disabled_not_supported_and_version_minus_one(self):
        """
        With LocalAuthListEnabled false, SendLocalList answers NotSupported
        (its response status) and GetLocalListVersion -1 (5.10); the list
        stays as it was.
        """
        self.send(1, FULL, [data("A")])
        self.config.set("LocalAuthListEnabled", "false")
        self.assertEqual(self.send(2, FULL, [data("B")]), UpdateStatus.NOT_SUPPORTED)
        self.assertEqual(self.version(), -1)
        self.config.set("LocalAuthListEnabled", "true")
        self.assertEqual(self.version(), 1)
        self.assertEqual([e[0] for e in self.entries.entries()], ["A"])

    def test_profile_not_supported(self):
        """
        Without LocalAuthListManagement in SupportedFeatureProfiles the list
        is not supported either.
        """
        self.config.set("SupportedFeatureProfiles", "Core,RemoteTrigger")
        self.assertEqual(self.send(1, FULL, [data("A")]), UpdateStatus.NOT_SUPPORTED)
        self.assertEqual(self.version(), -1)

    def test_storage_failure_failed_and_nothing_changed(self):
        """
        A commit that fails (a full disk) answers Failed; the list is as
        it was.
        """
        self.send(1, FULL, [data("A")])
        real = self.store._db
        self.store._db = FailingCommit(real)
        self.addCleanup(setattr, self.store, "_db", real)
        self.assertEqual(self.send(2, FULL, [data("B")]), UpdateStatus.FAILED)
        self.assertEqual(len(self.flushLoggedErrors()), 1)
        self.store._db = real
        self.assertEqual([e[0] for e in self.entries.entries()], ["A"])
        self.assertEqual(self.version(), 1)


class LocalListOverTheWireTests(ChargePointTestCase):
    """
    SendLocalList and GetLocalListVersion through the scripted central
    system (every frame the charge point sends is checked against the
    schemas), and the list in authorization (section 3.5).
    """

    def make_plugins(self):
        self.listener = Listener()
        return [self.listener]

    def ask(self, request):
        result = self.cs.call(request)
        self.cs.settle()
        return self.successResultOf(result)

    def send(self, version, kind, entries=None):
        return self.ask(send_local_list(version, kind, entries)).status

    def version(self):
        return self.ask(GetLocalListVersionRequest()).list_version

    def authorize(self, id_tag):
        result = self.cp.authorize(1, id_tag)
        self.cs.settle()
        return self.successResultOf(result)

    def test_version_zero_when_empty(self):
        """
        GetLocalListVersion answers 0 for an empty list (5.10): never sent,
        or emptied by a Full update without entries.
        """
        self.boot_and_clear()
        self.assertEqual(self.version(), 0)
        self.send(3, FULL, [data("A")])
        self.assertEqual(self.version(), 3)
        self.assertEqual(self.send(4, FULL), UpdateStatus.ACCEPTED)
        self.assertEqual(self.version(), 0)
        self.assertEqual(self.listener.versions, [3, 0])

    def test_full_accepted(self):
        self.boot_and_clear()
        self.assertEqual(self.send(7, FULL, [data("A"), data("B", BLOCKED)]), UpdateStatus.ACCEPTED)
        self.assertEqual(self.version(), 7)
        self.assertEqual(self.listener.versions, [7])

    def test_differential_add_update_remove(self):
        self.boot_and_clear()
        self.send(1, FULL, [data("A"), data("B")])
        self.assertEqual(self.send(2, DIFFERENTIAL, [data("C")]), UpdateStatus.ACCEPTED)
        self.assertEqual(self.send(3, DIFFERENTIAL, [data("b", BLOCKED)]), UpdateStatus.ACCEPTED)
        self.assertEqual(self.send(4, DIFFERENTIAL, [data("a", None)]), UpdateStatus.ACCEPTED)
        self.assertEqual(self.version(), 4)
        self.assertEqual(
            LocalListStore(self.cp.store).entries(),
            [("b", "Blocked", None, None), ("C", "Accepted", None, None)],
        )
        self.assertEqual(self.listener.versions, [1, 2, 3, 4])

    def test_version_mismatch(self):
        self.boot_and_clear()
        self.send(3, FULL, [data("A")])
        self.assertEqual(self.send(3, DIFFERENTIAL, [data("B")]), UpdateStatus.VERSION_MISMATCH)
        self.assertEqual(self.version(), 3)

    def test_failed_too_many_entries(self):
        self.boot_and_clear()
        limit = self.cp.ocpp_config.integer("SendLocalListMaxLength")
        entries = [data(f"TAG{n}") for n in range(limit + 1)]
        self.assertEqual(self.send(1, FULL, entries), UpdateStatus.FAILED)
        self.assertEqual(self.version(), 0)

    def test_failed_list_too_long(self):
        self.boot_and_clear()
        self.cp.ocpp_config.set("LocalAuthListMaxLength", "3")
        self.send(1, FULL, [data("A"), data("B"), data("C")])
        self.assertEqual(self.send(2, DIFFERENTIAL, [data("D")]), UpdateStatus.FAILED)
        self.assertEqual(self.version(), 1)
        self.assertEqual(LocalListStore(self.cp.store).count(), 3)

    def test_not_supported_when_disabled(self):
        """
        LocalAuthListEnabled set false by the central system: SendLocalList
        answers NotSupported and GetLocalListVersion -1, never a CALLERROR.
        """
        self.boot_and_clear()
        mark = len(self.cs.frames)
        answer = self.ask(ChangeConfigurationRequest(key="LocalAuthListEnabled", value="false"))
        self.assertEqual(answer.status, ConfigurationStatus.ACCEPTED)
        self.assertEqual(self.send(1, FULL, [data("A")]), UpdateStatus.NOT_SUPPORTED)
        self.assertEqual(self.version(), -1)
        self.assertEqual([f[0] for f in self.cs.frames[mark:]], [3, 3, 3])

    def test_supported_feature_profiles(self):
        self.assertIn(
            "LocalAuthListManagement", self.cp.ocpp_config.items("SupportedFeatureProfiles")
        )

    def test_list_beats_cache(self):
        """
        An idTag cached as Accepted and then listed as Blocked is Blocked:
        the list has priority (3.5.3), and its cache entry is gone.
        """
        self.cp.ocpp_config.set("LocalPreAuthorize", "true")
        self.boot_and_clear()
        self.assertEqual(self.authorize("TAG"), (ACCEPTED, None))
        self.assertIsNotNone(self.cp.store.cache_entry("TAG"))
        self.send(1, FULL, [data("tag", BLOCKED)])
        self.assertIsNone(self.cp.store.cache_entry("TAG"))
        self.cs.disconnect()
        self.assertEqual(self.authorize("TAG"), (BLOCKED, None))

    def test_pre_authorized_from_the_list(self):
        """
        With LocalPreAuthorize, a listed valid idTag is accepted at once,
        without an Authorize.req; its parent comes from the list.
        """
        self.cp.ocpp_config.set("LocalPreAuthorize", "true")
        self.boot_and_clear()
        self.send(1, FULL, [data("TAG", parent="GROUP")])
        self.cs.clear()
        self.assertEqual(self.authorize("tag"), (ACCEPTED, "GROUP"))
        self.assertEqual(self.cs.actions(), [])

    def test_offline_authorization_from_the_list(self):
        """
        Offline, with LocalAuthorizeOffline, a listed Accepted idTag is
        accepted, in any case; a listed Blocked one is refused even with
        AllowOfflineTxForUnknownId (3.5.4).
        """
        self.cp.ocpp_config.set("LocalAuthorizeOffline", "true")
        self.cp.ocpp_config.set("AllowOfflineTxForUnknownId", "true")
        self.boot_and_clear()
        self.send(1, FULL, [data("GoOd"), data("BAD", BLOCKED)])
        self.cs.disconnect()
        self.assertEqual(self.authorize("good"), (ACCEPTED, None))
        self.assertEqual(self.authorize("bad"), (BLOCKED, None))
        self.assertEqual(self.authorize("unknown"), (ACCEPTED, None))

    def test_listed_but_expired_refused_offline(self):
        """
        A listed idTag whose expiry date passed is Expired, refused offline
        whatever AllowOfflineTxForUnknownId says (3.5.4), and the list is
        not changed: only SendLocalList changes it (3.5.2).
        """
        self.cp.ocpp_config.set("LocalAuthorizeOffline", "true")
        self.cp.ocpp_config.set("AllowOfflineTxForUnknownId", "true")
        self.boot_and_clear()
        expiry = BASE_TIME + timedelta(hours=1)
        self.send(1, FULL, [data("TAG", expiry=expiry)])
        self.cs.disconnect()
        self.assertEqual(self.authorize("TAG"), (ACCEPTED, None))
        self.clock.advance(2 * 3600)
        self.assertEqual(self.authorize("TAG"), (AuthorizationStatus.EXPIRED, None))
        self.assertEqual(LocalListStore(self.cp.store).entry("TAG")["status"], "Accepted")

    def test_listed_not_valid_online_asks_and_reports_conflict(self):
        """
        Online, a listed Blocked idTag is asked for; an Accepted answer
        contradicts the list: a LocalListConflict is reported on connector
        0 (3.5.2), and the idTag is not cached (3.5.3).
        """
        self.boot_and_clear()
        self.send(1, FULL, [data("TAG", BLOCKED)])
        self.cs.clear()
        self.assertEqual(self.authorize("TAG"), (ACCEPTED, None))
        self.assertEqual(self.cs.actions(), ["Authorize", "StatusNotification"])
        report = self.cs.requests("StatusNotification")[0]
        self.assertEqual((report.connector_id, report.error_code), (0, "LocalListConflict"))
        self.assertIsNone(self.cp.store.cache_entry("TAG"))

    def test_disabled_list_not_consulted(self):
        """
        A disabled list is neither consulted nor a reason not to cache: its
        idTags are cached like others.
        """
        self.boot_and_clear()
        self.send(1, FULL, [data("TAG", BLOCKED)])
        self.cp.ocpp_config.set("LocalAuthListEnabled", "false")
        self.assertEqual(self.authorize("TAG"), (ACCEPTED, None))
        self.assertEqual(self.cp.store.cache_entry("TAG")["status"], "Accepted")
        self.cs.disconnect()
        self.assertEqual(self.authorize("TAG"), (ACCEPTED, None))

    def test_cache_case_insensitive_through_transactions(self):
        """
        The cache matches idTags in any case: a StartTransaction.conf for
        "child1" updates the entry Authorize cached for "Child1", and
        "CHILD1" is decided from it offline.
        """
        self.boot_and_clear()
        self.assertEqual(self.authorize("Child1"), (ACCEPTED, None))
        self.cs.answers["StartTransaction"] = lambda r: StartTransactionResponse(
            id_tag_info=IdTagInfo(status=BLOCKED), transaction_id=1
        )
        self.cs.answers["Authorize"] = lambda r: AuthorizeResponse(
            id_tag_info=IdTagInfo(status=ACCEPTED)
        )
        result = self.cp.start_transaction(1, "child1")
        self.cs.settle()
        self.assertEqual(self.successResultOf(result), BLOCKED)
        self.cs.disconnect()
        self.assertEqual(self.authorize("CHILD1"), (BLOCKED, None))
        self.assertEqual(
            [tuple(row) for row in self.cp.store.connection.execute(
                "SELECT id_tag, status FROM auth_cache")],
            [("Child1", "Blocked")],
        )


class LocalListRestartTests(SynchronousTestCase):
    """
    The list is in the SQLite file: it survives a restart, and a new
    process on the same file.
    """

    def test_survives_restart(self):
        clock = Clock()
        path = self.mktemp()
        cs = ScriptedCentralSystem(self, clock)
        cp = make_charge_point(self, clock, database=path)
        cp.ocpp_config.set("LocalAuthorizeOffline", "true")
        cp.startService()
        cs.connect(cp)
        answer = cs.call(send_local_list(5, FULL, [data("TAG", BLOCKED), data("OK")]))
        self.assertEqual(self.successResultOf(answer).status, UpdateStatus.ACCEPTED)
        self.successResultOf(cp.restart())
        cs.connect(cp)
        version = cs.call(GetLocalListVersionRequest())
        self.assertEqual(self.successResultOf(version).list_version, 5)
        cp.stopService()
        cs.disconnect()

        again = make_charge_point(self, clock, database=path)
        again.startService()
        self.addCleanup(again.stopService)
        self.assertEqual(self.successResultOf(again.authorize(1, "tag")), (BLOCKED, None))
        self.assertEqual(self.successResultOf(again.authorize(1, "ok")), (ACCEPTED, None))
        cs = ScriptedCentralSystem(self, clock)
        cs.connect(again)
        self.addCleanup(cs.disconnect)
        version = cs.call(GetLocalListVersionRequest())
        self.assertEqual(self.successResultOf(version).list_version, 5)


class LocalListLoopbackTests(TestCase):
    """
    Over a real WebSocket connection on loopback: the central system sends
    a Full list and a Differential one, and reads the version back.
    """

    timeout = 20

    def wait_for(self, condition, what):
        return wait_for(self, condition, what)

    async def test_send_and_read_back(self):
        cs = LoopbackCentralSystem(self, reactor)
        port = await cs.listen()
        self.addCleanup(cs.stop)
        cp = loopback_charge_point(self, f"ws://127.0.0.1:{port}/openocpp")
        start_charge_point(self, cp)
        await self.wait_for(lambda: cp.online, "the boot")
        answer = await cs.session.call(send_local_list(10, FULL, [data("A"), data("B", BLOCKED)]))
        self.assertEqual(answer.status, UpdateStatus.ACCEPTED)
        answer = await cs.session.call(send_local_list(11, DIFFERENTIAL, [data("b", None)]))
        self.assertEqual(answer.status, UpdateStatus.ACCEPTED)
        answer = await cs.session.call(send_local_list(11, DIFFERENTIAL, [data("C")]))
        self.assertEqual(answer.status, UpdateStatus.VERSION_MISMATCH)
        answer = await cs.session.call(GetLocalListVersionRequest())
        self.assertEqual(answer.list_version, 11)
        self.assertEqual(LocalListStore(cp.store).entries(), [("A", "Accepted", None, None)])


    async def test_list_beyond_the_message_limit(self):
        """
        A SendLocalList of 10,000 entries (about 600 KB, past the charge
        point's 64 KiB WebSocket message limit) is not read: the connection
        closes (1009), the charge point connects again, and its list is as
        it was. A central system keeping to SendLocalListMaxLength (100)
        sends far smaller messages.
        """
        from openocpp.transport.server import OcppServerFactory

        cs = LoopbackCentralSystem(self, reactor)
        # A central system sending what ours would refuse to send.
        cs.factory = OcppServerFactory(cs.handler_factory, reactor=reactor, max_message_size=2**21)
        port = await cs.listen()
        self.addCleanup(cs.stop)
        cp = loopback_charge_point(self, f"ws://127.0.0.1:{port}/openocpp")
        start_charge_point(self, cp)
        await self.wait_for(lambda: cp.online, "the boot")
        answer = await cs.session.call(send_local_list(10, FULL, [data("A")]))
        self.assertEqual(answer.status, UpdateStatus.ACCEPTED)
        first = cs.session
        many = [data(f"T{n:05d}") for n in range(10000)]
        with self.assertRaises(ConnectionLost) as raised:
            await first.call(send_local_list(11, FULL, many))
        self.assertEqual(raised.exception.args[1].value.code, 1009)
        await self.wait_for(lambda: cs.session is not first and cp.online, "the new connection")
        answer = await cs.session.call(GetLocalListVersionRequest())
        self.assertEqual(answer.list_version, 10)
        self.assertEqual(LocalListStore(cp.store).entries(), [("A", "Accepted", None, None)])


class LocalListWithOwnCentralSystemTests(CentralSystemMixin, TestCase):
    """
    End to end against the project's own central system on loopback: its
    proxy sends the lists, the charge point answers with the real statuses
    and then authorizes from the list without asking.
    """

    timeout = 20

    async def test_lists_from_the_central_system(self):
        await self.start_central_system()
        cp = loopback_charge_point(self, self.url, identity="LL1")
        cp.ocpp_config.set("LocalPreAuthorize", "true")
        start_charge_point(self, cp)
        proxy = await self.central.when_connected("LL1")
        await wait_for(self, lambda: cp.online, "the boot")
        self.assertEqual((await proxy.get_local_list_version()).list_version, 0)
        answer = await proxy.send_local_list(1, "Full", [data("A"), data("B", BLOCKED)])
        self.assertEqual(answer.status, UpdateStatus.ACCEPTED)
        answer = await proxy.send_local_list(2, "Differential", [data("C"), data("a", None)])
        self.assertEqual(answer.status, UpdateStatus.ACCEPTED)
        answer = await proxy.send_local_list(2, "Differential", [data("D")])
        self.assertEqual(answer.status, UpdateStatus.VERSION_MISMATCH)
        answer = await proxy.send_local_list(3, "Full", [data("X"), data("x")])
        self.assertEqual(answer.status, UpdateStatus.FAILED)
        self.assertEqual((await proxy.get_local_list_version()).list_version, 2)
        # The central system knows no idTag (it would answer Invalid):
        # pre-authorized from the list, C is accepted at once, no
        # Authorize.req sent (its answer could not have come back yet).
        self.assertEqual(self.successResultOf(cp.authorize(1, "c")), (ACCEPTED, None))


class HostileLocalListTests(ChargePointTestCase):
    """
    What a hostile or broken central system may send as SendLocalList, as
    raw frames through the scripted central system: each is answered (a
    status, or a CALLERROR for a payload its schema refuses) with one log
    line, and the list stays as it was.
    """

    def setUp(self):
        super().setUp()
        self.boot_and_clear()
        self.assertEqual(
            self.ask(send_local_list(7, FULL, [data("KEEP")])).status, UpdateStatus.ACCEPTED
        )
        self.events = EventLoggingObserver()
        globalLogPublisher.addObserver(self.events)
        self.addCleanup(globalLogPublisher.removeObserver, self.events)

    def ask(self, request):
        result = self.cs.call(request)
        self.cs.settle()
        return self.successResultOf(result)

    def authorize(self, id_tag):
        result = self.cp.authorize(1, id_tag)
        self.cs.settle()
        return self.successResultOf(result)

    def raw(self, payload):
        """
        Send a SendLocalList.req frame as given; return the charge point's
        answer frame and the log events the charge point made meanwhile.
        """
        unique_id = f"hostile-{len(self.cs.frames)}"
        before = len(self.events)
        self.cs.link.cs_end.send_text(json.dumps([2, unique_id, "SendLocalList", payload]))
        self.cs.settle()
        answer = [frame for frame in self.cs.frames if frame[1] == unique_id]
        self.assertEqual(len(answer), 1, answer)
        # The scripted central system's own session logs the answer to a
        # call it did not make: only the charge point's lines count.
        events = [self.events[i] for i in range(before, len(self.events))]
        return answer[0], [e for e in events if e.get("log_source") is not self.cs.session]

    def assertUnchanged(self):
        self.assertEqual(self.ask(GetLocalListVersionRequest()).list_version, 7)
        self.assertEqual(
            [row[0] for row in LocalListStore(self.cp.store).entries()], ["KEEP"]
        )

    def test_payloads_the_schema_refuses_are_callerrors(self):
        """
        A listVersion that is not an integer, an unknown updateType, an
        idTag longer than 20 characters, an entry without idTag: a
        CALLERROR naming the field, one log line, the list unchanged.
        """
        entry = {"idTag": "A", "idTagInfo": {"status": "Accepted"}}
        for payload, code in (
            ({"listVersion": "8", "updateType": "Full"}, "TypeConstraintViolation"),
            ({"listVersion": 8.5, "updateType": "Full"}, "TypeConstraintViolation"),
            ({"listVersion": 8, "updateType": "Weird"}, "PropertyConstraintViolation"),
            ({"listVersion": 8, "updateType": "Full",
              "localAuthorizationList": [{**entry, "idTag": "X" * 21}]}, "PropertyConstraintViolation"),
            ({"listVersion": 8, "updateType": "Full",
              "localAuthorizationList": [{"idTagInfo": {"status": "Accepted"}}]}, "OccurenceConstraintViolation"),
            ({"listVersion": 8, "updateType": "Full",
              "localAuthorizationList": [{**entry, "idTagInfo": {"status": "Maybe"}}]},
             "PropertyConstraintViolation"),
        ):
            frame, events = self.raw(payload)
            self.assertEqual(frame[:3][0], 4, (payload, frame))
            self.assertEqual(frame[2], code, (payload, frame))
            # One line for the refusal, and the security event InvalidMessages
            # (Security Whitepaper chapter 8) the stack raises for it.
            self.assertEqual(
                [e.get("kind") for e in events if "kind" in e], ["InvalidMessages"], payload
            )
            rest = [e.get("log_format") for e in events if "kind" not in e]
            self.assertEqual(len(rest), 1, (payload, rest))
            self.assertNotIn("log_failure", events[0])
        self.assertUnchanged()

    def test_hostile_values_answered_with_statuses(self):
        """
        listVersion 0 and -1 (errata 3.52), 10,000 entries (more than
        SendLocalListMaxLength), idTags differing only in case, a
        Differential not newer: Failed or VersionMismatch, one log line
        each, the list unchanged.
        """
        many = [{"idTag": f"T{n:05d}", "idTagInfo": {"status": "Accepted"}} for n in range(10000)]
        twice = [
            {"idTag": "Case", "idTagInfo": {"status": "Accepted"}},
            {"idTag": "cASE", "idTagInfo": {"status": "Blocked"}},
        ]
        for payload, status in (
            ({"listVersion": 0, "updateType": "Full"}, "Failed"),
            ({"listVersion": -1, "updateType": "Differential"}, "Failed"),
            ({"listVersion": 8, "updateType": "Full", "localAuthorizationList": many}, "Failed"),
            ({"listVersion": 8, "updateType": "Full", "localAuthorizationList": twice}, "Failed"),
            ({"listVersion": 7, "updateType": "Differential",
              "localAuthorizationList": [{"idTag": "KEEP"}]}, "VersionMismatch"),
        ):
            frame, events = self.raw(payload)
            self.assertEqual((frame[0], frame[2]), (3, {"status": status}), payload.get("listVersion"))
            self.assertEqual(len(events), 1, [e.get("log_format") for e in events])
        self.assertUnchanged()

    def test_extreme_version_and_past_expiry(self):
        """
        listVersion 2^31-1 is a version like any other, kept across a
        restart; an entry whose expiryDate has passed is stored as sent and
        counts as Expired; a Differential removing idTags the list does not
        hold is Accepted and removes nothing else.
        """
        frame, _ = self.raw({
            "listVersion": 2**31 - 1, "updateType": "Full",
            "localAuthorizationList": [
                {"idTag": "KEEP", "idTagInfo": {"status": "Accepted"}},
                {"idTag": "OLD", "idTagInfo": {"status": "Accepted", "expiryDate": "2001-01-01T00:00:00Z"}},
            ],
        })
        self.assertEqual(frame[2], {"status": "Accepted"})
        self.cp.ocpp_config.set("LocalPreAuthorize", "true")
        self.assertEqual(self.authorize("old")[0], AuthorizationStatus.ACCEPTED)  # asked: Authorize.req
        self.assertEqual([r.id_tag for r in self.cs.requests("Authorize")], ["old"])
        frame, _ = self.raw({
            "listVersion": 2**31 - 1, "updateType": "Differential",
            "localAuthorizationList": [{"idTag": "NEVER-SEEN"}],
        })
        self.assertEqual(frame[2], {"status": "VersionMismatch"})
        self.successResultOf(self.cp.restart())
        self.cs.connect(self.cp)
        self.assertEqual(self.ask(GetLocalListVersionRequest()).list_version, 2**31 - 1)
        self.assertEqual(
            [row[:3] for row in LocalListStore(self.cp.store).entries()],
            [("KEEP", "Accepted", None), ("OLD", "Accepted", "2001-01-01T00:00:00.000Z")],
        )
        frame, _ = self.raw({
            "listVersion": 1, "updateType": "Full",
            "localAuthorizationList": [{"idTag": "KEEP", "idTagInfo": {"status": "Accepted"}}],
        })
        frame, _ = self.raw({
            "listVersion": 2, "updateType": "Differential",
            "localAuthorizationList": [{"idTag": "NEVER-SEEN"}, {"idTag": "OTHER"}],
        })
        self.assertEqual(frame[2], {"status": "Accepted"})
        self.assertEqual(self.ask(GetLocalListVersionRequest()).list_version, 2)
        self.assertEqual([row[0] for row in LocalListStore(self.cp.store).entries()], ["KEEP"])
