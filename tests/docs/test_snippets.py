"""
The code in the documentation runs as written: C{docs/chargepoint.md}'s
embedding snippet, in a process of its own, against a central system on
loopback.
"""

import os
import re
import sqlite3
import sys

from twisted.internet import reactor
from twisted.internet.defer import inlineCallbacks
from twisted.internet.utils import getProcessOutputAndValue
from twisted.trial.unittest import TestCase

from openocpp.centralsystem.tap import CentralSystemOptions, make_service

_REPOSITORY = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

#: The URL the snippet connects to, replaced by the test's port.
_DOCUMENTED_URL = "ws://127.0.0.1:8080/openocpp"


def embedding_snippet() -> str:
    """
    The fenced Python block that follows "Embedded in a Twisted program" in
    C{docs/chargepoint.md}.
    """
    with open(os.path.join(_REPOSITORY, "docs", "chargepoint.md"), encoding="utf-8") as file:
        text = file.read()
    section = text[text.index("Embedded in a Twisted program"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


class ChargePointEmbeddingSnippetTests(TestCase):
    """
    C{docs/chargepoint.md}'s embedding snippet.
    """

    @inlineCallbacks
    def test_snippet_charges_a_session(self):
        """
        Run as written (only the port changed), the snippet waits until it is
        registered, charges one session that lands in the central system's
        SQLite file, and exits 0.
        """
        folder = os.path.abspath(self.mktemp())
        os.makedirs(folder)
        database = os.path.join(folder, "cs.sqlite")
        options = CentralSystemOptions()
        options.parseOptions(
            ["--db", database, "--listen", "tcp:0:interface=127.0.0.1", "--accept-idtag", "TAG-1"]
        )
        central = make_service(options, reactor)
        central.startService()
        self.addCleanup(central.stopService)
        port = yield central.when_listening()
        snippet = embedding_snippet()
        self.assertIn(_DOCUMENTED_URL, snippet)
        snippet = snippet.replace(_DOCUMENTED_URL, f"ws://127.0.0.1:{port.getHost().port}/openocpp")
        environment = dict(os.environ)
        environment["PYTHONPATH"] = os.pathsep.join(
            [_REPOSITORY] + ([environment["PYTHONPATH"]] if environment.get("PYTHONPATH") else [])
        )
        out, err, code = yield getProcessOutputAndValue(
            sys.executable, ["-c", snippet], env=environment, path=folder, reactor=reactor
        )
        self.assertEqual(code, 0, (out, err))
        connection = sqlite3.connect(database)
        try:
            rows = connection.execute(
                "SELECT identity, id_tag, stop_timestamp IS NOT NULL FROM transactions"
            ).fetchall()
        finally:
            connection.close()
        self.assertEqual(rows, [("CP001", "TAG-1", 1)])
        self.assertIn("openocpp-chargepoint.sqlite", os.listdir(folder))
