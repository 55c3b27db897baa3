"""
Tests for L{openocpp.chargepoint.store.ChargePointStore}'s schema
migrations.
"""

from twisted.trial.unittest import SynchronousTestCase

from openocpp.chargepoint.locallist import LocalListStore
from openocpp.chargepoint.store import MIGRATIONS, ChargePointStore
from openocpp.store.sqlite import migrate, open_database


class CaseInsensitiveMigrationTests(SynchronousTestCase):
    """
    A file written before idTags were case insensitive keeps one cache entry
    (the newest) and one local list entry (the last) per idTag, and matches
    them in any case.
    """

    def test_duplicates_merged(self):
        path = self.mktemp()
        old = open_database(path)
        migrate(old, MIGRATIONS[:1], "charge point")
        old.executemany(
            "INSERT INTO auth_cache (id_tag, status, updated_at) VALUES (?, ?, ?)",
            [("TAG", "Blocked", 2.0), ("tag", "Accepted", 3.0), ("Tag", "Invalid", 1.0),
             ("OTHER", "Accepted", 1.0)],
        )
        old.executemany(
            "INSERT INTO local_list (id_tag, status) VALUES (?, ?)",
            [("Listed", "Accepted"), ("LISTED", "Blocked")],
        )
        old.close()
        store = ChargePointStore(path)
        self.addCleanup(store.close)
        self.assertEqual(store.cache_entry("tAg")["status"], "Accepted")
        self.assertEqual(store.cache_entry("other")["status"], "Accepted")
        self.assertEqual(LocalListStore(store).entry("listed")["status"], "Blocked")
        rows = store._db.execute("SELECT COUNT(*) FROM auth_cache").fetchone()[0]
        self.assertEqual(rows, 2)
        rows = store._db.execute("SELECT COUNT(*) FROM local_list").fetchone()[0]
        self.assertEqual(rows, 1)
