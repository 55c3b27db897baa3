"""
Tests for the central system's operator operations' records and logic:
the store's id-tag change sequence, local list state and reservations
(L{openocpp.centralsystem.store}, L{openocpp.centralsystem.reads}), and
L{openocpp.centralsystem.locallist.LocalListSender} and
L{openocpp.centralsystem.reservations.ReservationBook} against a fake
proxy, on a L{Clock}.
"""

import os
import sqlite3
from datetime import datetime, timedelta, timezone

from twisted.internet.defer import Deferred, succeed
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from openocpp.centralsystem.locallist import LocalListRefused, LocalListSender
from openocpp.centralsystem.reservations import ReservationBook
from openocpp.centralsystem.store import CentralSystemStore
from openocpp.messages import core
from openocpp.messages.datatypes import KeyValue

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc)


class FakeProxy:
    """
    A connected charge point's proxy whose answers are scripted: each
    call's Deferred is kept in C{calls} to be fired by the test, unless
    C{answers} holds one for the action.
    """

    def __init__(self, identity="CP1"):
        self.identity = identity
        self.calls = []
        self.answers = {}

    def _call(self, action, **arguments):
        if action in self.answers:
            self.calls.append((action, arguments, None))
            return succeed(self.answers[action])
        waiting = Deferred()
        self.calls.append((action, arguments, waiting))
        return waiting

    def get_configuration(self, key=None):
        return self._call("GetConfiguration", key=key)

    def send_local_list(self, list_version, update_type, local_authorization_list=None):
        return self._call(
            "SendLocalList", list_version=list_version, update_type=update_type,
            local_authorization_list=local_authorization_list,
        )

    def reserve_now(self, connector_id, expiry_date, id_tag, reservation_id, parent_id_tag=None):
        return self._call("ReserveNow", connector_id=connector_id, reservation_id=reservation_id)

    def cancel_reservation(self, reservation_id):
        return self._call("CancelReservation", reservation_id=reservation_id)


class StoreTestCase(SynchronousTestCase):
    def setUp(self):
        self.clock = Clock()
        self.clock.advance(NOW.timestamp())
        self.path = os.path.abspath(self.mktemp())
        self.store = CentralSystemStore(self.path, self.clock)
        self.addCleanup(self.store.close)


class IdTagChangeTests(StoreTestCase):
    """
    The change sequence the id-tag writes keep, for Differential lists.
    """

    def test_changes_since_a_mark(self):
        """
        The tags written since a mark come in the order of their last
        change, a removed one without record, once each whatever the case
        it was written in; the mark moves on with every change.
        """
        self.store.set_id_tag("A")
        self.store.set_id_tag("B")
        records, mark = self.store.local_list_entries()
        self.assertEqual([r.id_tag for r in records], ["A", "B"])
        self.store.set_id_tag("b", status="Blocked")
        self.store.remove_id_tag("a")
        self.store.set_id_tag("C")
        self.store.set_id_tag("B", status="Invalid")
        changes, later = self.store.local_list_changes(mark)
        self.assertEqual(
            [(tag, None if record is None else record.status) for tag, record in changes],
            [("A", None), ("C", "Accepted"), ("B", "Invalid")],
        )
        self.assertGreater(later, mark)
        self.assertEqual(self.store.local_list_changes(later), ([], later))

    def test_mark_never_reused(self):
        """
        A change of the tag changed last still gets a newer sequence
        number: a list sent up to it does not hide the change.
        """
        self.store.set_id_tag("A")
        _, mark = self.store.local_list_entries()
        self.store.set_id_tag("A", status="Blocked")
        changes, _ = self.store.local_list_changes(mark)
        self.assertEqual([(tag, record.status) for tag, record in changes], [("A", "Blocked")])

    def test_migration_marks_existing_tags(self):
        """
        A database migrated from schema 4 has every id tag it held as a
        change, so a first Differential after the migration is sound.
        """
        path = os.path.abspath(self.mktemp())
        from openocpp.centralsystem.store import MIGRATIONS
        from openocpp.store.sqlite import _statements

        connection = sqlite3.connect(path)
        for number, script in enumerate(MIGRATIONS[:4], 1):
            for statement in _statements(script):
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {number}")
        connection.execute("INSERT INTO id_tags (id_tag, status) VALUES ('OLD', 'Accepted')")
        connection.commit()
        connection.close()
        store = CentralSystemStore(path, self.clock)
        self.addCleanup(store.close)
        changes, mark = store.local_list_changes(0)
        self.assertEqual([tag for tag, _ in changes], ["OLD"])
        self.assertEqual(mark, 1)


class LocalListStateTests(StoreTestCase):
    """
    What the store records of the lists sent.
    """

    def read(self, identity="CP1"):
        return self.successResultOf(self.store.local_list_record(identity))

    def test_only_accepted_changes_the_version(self):
        """
        An Accepted answer sets the version and mark; any other answer is
        only the last attempt; an incomplete Accepted one has no mark.
        """
        self.assertIsNone(self.read())
        self.store.record_local_list("CP1", "Full", 1, "Accepted", change_mark=0)
        self.store.set_id_tag("A")
        self.assertEqual((self.read()["list_version"], self.read()["pending_changes"]), (1, 1))
        self.store.record_local_list("CP1", "Differential", 2, "VersionMismatch", change_mark=1)
        record = self.read()
        self.assertEqual(
            (record["list_version"], record["change_mark"], record["last_status"], record["last_version"]),
            (1, 0, "VersionMismatch", 2),
        )
        self.store.record_local_list("CP1", "Full", 2, "Accepted", change_mark=1, complete=False)
        record = self.read()
        self.assertEqual((record["list_version"], record["change_mark"], record["pending_changes"]), (2, None, None))

    def test_survives_reopening(self):
        """
        The state is in the file: a store opened again reads it.
        """
        self.store.record_local_list("CP1", "Full", 4, "Accepted", change_mark=0)
        self.store.close()
        self.store = CentralSystemStore(self.path, self.clock)
        self.assertEqual(self.read()["list_version"], 4)


class ReservationStoreTests(StoreTestCase):
    """
    The reservations' records.
    """

    def page(self, state=None):
        return self.successResultOf(self.store.reservations_page("CP1", 50, 0, state=state))

    def test_states(self):
        """
        Recorded reservations are active until cancelled, used or past
        their expiry; using or cancelling one no longer active changes
        nothing; ids are per charge point.
        """
        expiry = NOW + timedelta(hours=1)
        self.store.record_reservation("CP1", 1, 1, "T", expiry)
        self.store.record_reservation("CP1", 2, 2, "T", expiry)
        self.store.record_reservation("CP1", 3, 0, "T", expiry, parent_id_tag="P")
        self.store.record_reservation("CP2", 9, 1, "T", expiry)
        self.assertEqual((self.store.last_reservation_id("CP1"), self.store.last_reservation_id("CP3")), (3, 0))
        self.assertTrue(self.store.cancel_reservation("CP1", 1))
        self.assertFalse(self.store.cancel_reservation("CP1", 1))
        self.store.use_reservation("CP1", 2, 17)
        self.store.use_reservation("CP1", 1, 18)
        self.assertEqual(self.store.reservation("CP1", 1)["state"], "cancelled")
        self.assertEqual(self.store.reservation("CP1", 2)["transaction_id"], 17)
        self.assertEqual([r["reservation_id"] for r in self.page("active").records], [3])
        self.clock.advance(3600)
        self.assertEqual([r["reservation_id"] for r in self.page("expired").records], [3])
        self.assertEqual(self.page().total, 3)


class LocalListSenderTests(StoreTestCase):
    """
    L{LocalListSender} against a scripted proxy.
    """

    def setUp(self):
        super().setUp()
        self.sender = LocalListSender(self.store)
        self.proxy = FakeProxy()
        self.proxy.answers["GetConfiguration"] = core.GetConfigurationResponse(
            configuration_key=[KeyValue(key="SendLocalListMaxLength", readonly=True, value="x")]
        )

    def sends(self):
        return [call for call in self.proxy.calls if call[0] == "SendLocalList"]

    def test_bad_limit_ignored(self):
        """
        A SendLocalListMaxLength that is no positive integer is ignored:
        the list goes in one request.
        """
        for tag in ("A", "B", "C"):
            self.store.set_id_tag(tag)
        sending = self.sender.send(self.proxy, "Full")
        ((_, arguments, waiting),) = self.sends()
        self.assertEqual(len(arguments["local_authorization_list"]), 3)
        waiting.callback(core.SendLocalListResponse(status="Accepted"))
        self.store.commit()
        outcome = self.successResultOf(sending)
        self.assertEqual((outcome.status, outcome.list_version, outcome.send_max_length), ("Accepted", 1, None))

    def test_busy(self):
        """
        A second list to the same charge point while one is being sent is
        refused; to another charge point it goes; once answered, the next
        one goes.
        """
        first = self.sender.send(self.proxy, "Full")
        self.failureResultOf(self.sender.send(self.proxy, "Full"), LocalListRefused)
        other = FakeProxy("CP2")
        other.answers["GetConfiguration"] = core.GetConfigurationResponse()
        self.sender.send(other, "Full")
        self.assertEqual(len([c for c in other.calls if c[0] == "SendLocalList"]), 1)
        self.sends()[0][2].callback(core.SendLocalListResponse(status="Accepted"))
        self.store.commit()
        self.successResultOf(first)
        self.sender.send(self.proxy, "Full")
        self.assertEqual(self.sends()[-1][1]["list_version"], 2)

    def test_lost_connection_mid_split(self):
        """
        A split list whose second request fails (a lost connection) leaves
        the first's version held and the list incomplete.
        """
        self.proxy.answers["GetConfiguration"] = core.GetConfigurationResponse(
            configuration_key=[KeyValue(key="SendLocalListMaxLength", readonly=True, value="1")]
        )
        self.store.set_id_tag("A")
        self.store.set_id_tag("B")
        sending = self.sender.send(self.proxy, "Full")
        self.sends()[0][2].callback(core.SendLocalListResponse(status="Accepted"))
        self.sends()[1][2].errback(ConnectionError("gone"))
        self.failureResultOf(sending, ConnectionError)
        state = self.store.local_list("CP1")
        self.assertEqual((state["list_version"], state["change_mark"]), (1, None))

    def test_unknown_update_type(self):
        """
        An update type other than Full or Differential is a ValueError.
        """
        self.assertRaises(ValueError, self.sender.send, self.proxy, "Partial")


class ReservationBookTests(StoreTestCase):
    """
    L{ReservationBook} against a scripted proxy.
    """

    def test_ids_unique_while_in_flight(self):
        """
        Reservations sent before the first is answered get distinct ids;
        an id given explicitly counts too; once answered and not recorded
        (Occupied), an id may be given again.
        """
        book = ReservationBook(self.store)
        proxy = FakeProxy()
        expiry = NOW + timedelta(hours=1)
        first = book.reserve(proxy, 1, "T", expiry)
        second = book.reserve(proxy, 2, "T", expiry, reservation_id=10)
        third = book.reserve(proxy, 2, "T", expiry)
        self.assertEqual([c[1]["reservation_id"] for c in proxy.calls], [1, 10, 11])
        proxy.calls[0][2].callback(core.ReserveNowResponse(status="Accepted"))
        proxy.calls[1][2].callback(core.ReserveNowResponse(status="Occupied"))
        proxy.calls[2][2].callback(core.ReserveNowResponse(status="Accepted"))
        self.store.commit()
        self.assertEqual(
            [self.successResultOf(d).status for d in (first, second, third)],
            ["Accepted", "Occupied", "Accepted"],
        )
        self.assertIsNone(self.store.reservation("CP1", 10))
        book.reserve(proxy, 1, "T", expiry)
        self.assertEqual(proxy.calls[-1][1]["reservation_id"], 12)
