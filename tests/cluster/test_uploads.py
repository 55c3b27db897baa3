"""
Uploads in a cluster: the records are in the shared store, each file on
the disk of the node that received it (docs/cluster.md, "Uploads").
"""

import hashlib
import os

from twisted.internet.defer import inlineCallbacks
from twisted.trial.unittest import TestCase

from tests.cluster.nodes import ClusterMixin


class UploadsTests(ClusterMixin, TestCase):
    """
    Two nodes sharing a PostgreSQL store, each with its own folder (its
    C{--db}).
    """

    @inlineCallbacks
    def setUp(self):
        from tests.engines.postgresql import fresh_database

        ClusterMixin.setUp(self)
        store = fresh_database(self)
        self.a = yield self.start_node("node-a", store=store, database=os.path.abspath(self.mktemp()))
        self.b = yield self.start_node("node-b", store=store, database=os.path.abspath(self.mktemp()))
        data = b"diagnostics of CP1"
        folder = self.a.central.config.database + ".uploads"
        os.makedirs(os.path.join(folder, "CP1"))
        with open(os.path.join(folder, "CP1", "diag.zip"), "wb") as out:
            out.write(data)
        store_a = self.a.central.store
        self.upload_id = store_a.record_upload(
            "token", "CP1", "diag.zip", "CP1/diag.zip", len(data), hashlib.sha256(data).hexdigest()
        )
        yield store_a.when_committed()

    @inlineCallbacks
    def test_listed_on_every_node(self):
        """
        Every node lists the upload (the records are shared).
        """
        for node in (self.a, self.b):
            listed = yield self.http(node, "GET", "/api/v1/uploads")
            self.assertEqual([item["fileName"] for item in listed.json["items"]], ["diag.zip"])

    @inlineCallbacks
    def test_downloaded_from_its_node_only(self):
        """
        The node that received the file serves it; another answers 410,
        saying the file is on the node that received it.
        """
        here = yield self.http(self.a, "GET", f"/api/v1/uploads/{self.upload_id}")
        self.assertEqual((here.status, here.body), (200, b"diagnostics of CP1"))
        elsewhere = yield self.http(self.b, "GET", f"/api/v1/uploads/{self.upload_id}")
        self.assertEqual((elsewhere.status, elsewhere.json["error"]), (410, "upload_gone"))
        self.assertIn("not on the disk of this node (node-b)", elsewhere.json["description"])
