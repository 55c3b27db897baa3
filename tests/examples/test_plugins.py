"""
The example plugins in C{plugins/} work as their READMEs say.
"""

import os
import sys

from twisted.trial.unittest import SynchronousTestCase

from openocpp.centralsystem.behaviour import DefaultCentralSystemBehaviour
from openocpp.centralsystem.config import CentralSystemConfig
from openocpp.centralsystem.handler import HookRequestHandler
from openocpp.centralsystem.store import CentralSystemStore
from openocpp.messages import core
from openocpp.plugins import make_plugin_manager
from twisted.internet.defer import maybeDeferred
from twisted.internet.task import Clock
from datetime import datetime, timezone

PLUGINS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "plugins")


class IdTagFilePluginTests(SynchronousTestCase):
    """
    C{plugins/openocpp-idtag-file}.
    """

    def setUp(self):
        sys.path.insert(0, os.path.join(PLUGINS, "openocpp-idtag-file"))
        self.addCleanup(sys.path.remove, os.path.join(PLUGINS, "openocpp-idtag-file"))
        from openocpp_idtag_file import hooks

        self.hooks = hooks
        self.path = os.path.abspath(self.mktemp())
        self.write("ALICE  # front desk\n\nbob\n")

    def write(self, text):
        with open(self.path, "w") as listing:
            listing.write(text)
        # A new stamp even within the file system's time resolution.
        os.utime(self.path, ns=(10**18 + len(text), 10**18 + len(text)))

    def handler(self, plugin, accept_any_id_tag=True):
        config = CentralSystemConfig(database=":memory:", accept_any_id_tag=accept_any_id_tag)
        store = CentralSystemStore(":memory:", Clock())
        self.addCleanup(store.close)
        self.clock = store._clock
        plugins = make_plugin_manager(
            builtins=[DefaultCentralSystemBehaviour(store, config)], plugins=[plugin], load_entrypoints=False
        )
        self.store = store
        return HookRequestHandler(plugins)

    def answer(self, handler, method, request):
        charge_point = type("ChargePoint", (), {"identity": "CP1"})()
        outcome = maybeDeferred(getattr(handler, method), charge_point, request)
        self.clock.advance(0)  # the store's group commit
        return self.successResultOf(outcome)

    def authorize(self, handler, tag):
        response = self.answer(handler, "authorize", core.AuthorizeRequest(id_tag=tag))
        return str(response.id_tag_info.status)

    def start(self, handler, tag):
        response = self.answer(
            handler,
            "start_transaction",
            core.StartTransactionRequest(
                connector_id=1, id_tag=tag, meter_start=0, timestamp=datetime.now(timezone.utc)
            ),
        )
        return str(response.id_tag_info.status), response.transaction_id

    def test_file_decides_authorize(self):
        """
        With the file named, only its tags are accepted (case-insensitively,
        as IdToken is); edits are seen.
        """
        handler = self.handler(self.hooks.IdTagFilePlugin(self.hooks.IdTagFile(self.path)))
        self.assertEqual(
            [self.authorize(handler, t) for t in ("ALICE", "Bob", "EVE")], ["Accepted", "Accepted", "Invalid"]
        )
        self.write("EVE\n")
        self.assertEqual([self.authorize(handler, t) for t in ("ALICE", "EVE")], ["Invalid", "Accepted"])

    def test_file_decides_start_transaction(self):
        """
        A listed tag can charge: StartTransaction is answered Accepted with a
        transaction id stored by the central system; an unlisted one gets
        Invalid (the transaction is still recorded, as the spec wants).
        """
        handler = self.handler(
            self.hooks.IdTagFilePlugin(self.hooks.IdTagFile(self.path)), accept_any_id_tag=False
        )
        status, transaction_id = self.start(handler, "alice")
        self.assertEqual(status, "Accepted")
        stored = self.store._db.execute("SELECT id_tag FROM transactions WHERE id = ?", (transaction_id,))
        self.assertEqual([tuple(row) for row in stored], [("alice",)])
        status, other = self.start(handler, "EVE")
        self.assertEqual(status, "Invalid")
        self.assertNotEqual(other, transaction_id)

    def test_module_hooks_use_the_environment(self):
        """
        The module itself, as the entry point and C{--plugin} register it,
        reads the file C{OPENOCPP_IDTAG_FILE} names when it loads.
        """
        self.patch(self.hooks, "plugin", self.hooks.IdTagFilePlugin.from_environment(
            {"OPENOCPP_IDTAG_FILE": self.path}
        ))
        handler = self.handler(self.hooks, accept_any_id_tag=False)
        self.assertEqual(self.start(handler, "BOB")[0], "Accepted")
        self.assertEqual(self.authorize(handler, "EVE"), "Invalid")

    def test_no_opinion_without_file(self):
        """
        Without the environment variable, the built-in decides (here: every
        tag accepted).
        """
        plugin = self.hooks.IdTagFilePlugin.from_environment({})
        self.assertIsNone(plugin.listing)
        handler = self.handler(plugin)
        self.assertEqual(self.authorize(handler, "ANYONE"), "Accepted")
        self.assertEqual(self.start(handler, "ANYONE")[0], "Accepted")

    def test_missing_file_refused_at_start(self):
        """
        A file that cannot be read is one error when the plugin loads, naming
        the variable and the file, not an InternalError per request.
        """
        missing = self.path + ".missing"
        error = self.assertRaises(
            self.hooks.IdTagFileError,
            self.hooks.IdTagFilePlugin.from_environment,
            {"OPENOCPP_IDTAG_FILE": missing},
        )
        self.assertIn("OPENOCPP_IDTAG_FILE", str(error))
        self.assertIn(missing, str(error))
        self.assertIn("No such file", str(error))

    def test_missing_file_stops_twistd_with_one_line(self):
        """
        Installed (here: named with C{--plugin}), a missing file stops
        C{twistd openocpp centralsystem} at start with one line.
        """
        import io

        from openocpp import tap

        sys.modules.pop("openocpp_idtag_file.hooks", None)
        self.addCleanup(sys.modules.__setitem__, "openocpp_idtag_file.hooks", self.hooks)
        self.patch(os, "environ", dict(os.environ, OPENOCPP_IDTAG_FILE=self.path + ".missing"))
        options = tap.Options()
        options.stderr = io.StringIO()
        options.parseOptions(
            ["centralsystem", "--db", ":memory:", "--listen", "tcp:0:interface=127.0.0.1",
             "--plugin", "openocpp_idtag_file.hooks"]
        )
        exit = self.assertRaises(SystemExit, tap.makeService, options)
        self.assertEqual(exit.code, 2)
        line = options.stderr.getvalue()
        self.assertEqual(line.count("\n"), 1)
        self.assertIn("--plugin openocpp_idtag_file.hooks", line)
        self.assertIn("OPENOCPP_IDTAG_FILE", line)

    def test_file_vanishing_keeps_last_list(self):
        """
        A file that becomes unreadable while running keeps the last list in
        force, logged once, rather than failing every request.
        """
        listing = self.hooks.IdTagFile(self.path)
        os.remove(self.path)
        self.assertEqual(str(listing.info("alice").status), "Accepted")
        self.assertEqual(str(listing.info("eve").status), "Invalid")


class PluginsReadmeTests(SynchronousTestCase):
    """
    C{plugins/README.md}.
    """

    def test_lists_every_plugin(self):
        """
        Every example plugin is in the README's table, and it says to install
        openocpp first.
        """
        with open(os.path.join(PLUGINS, "README.md"), encoding="utf-8") as file:
            text = file.read()
        for name in sorted(os.listdir(PLUGINS)):
            if os.path.isdir(os.path.join(PLUGINS, name)):
                self.assertIn(f"[`{name}`]({name})", text)
        self.assertIn("install openocpp first", text.lower())
