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

PLUGINS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "plugins")


class IdTagFilePluginTests(SynchronousTestCase):
    """
    C{plugins/openocpp-idtag-file}.
    """

    def setUp(self):
        sys.path.insert(0, os.path.join(PLUGINS, "openocpp-idtag-file"))
        self.addCleanup(sys.path.remove, os.path.join(PLUGINS, "openocpp-idtag-file"))
        from openocpp_idtag_file import hooks

        config = CentralSystemConfig(database=":memory:", accept_any_id_tag=True)
        store = CentralSystemStore(":memory:", Clock())
        self.addCleanup(store.close)
        plugins = make_plugin_manager(
            builtins=[DefaultCentralSystemBehaviour(store, config)], plugins=[hooks], load_entrypoints=False
        )
        self.handler = HookRequestHandler(plugins)

    def authorize(self, tag):
        charge_point = type("ChargePoint", (), {"identity": "CP1"})()
        response = self.successResultOf(
            maybeDeferred(self.handler.authorize, charge_point, core.AuthorizeRequest(id_tag=tag))
        )
        return str(response.id_tag_info.status)

    def test_file_decides(self):
        """
        With the file named, only its tags are accepted; edits are seen.
        """
        path = self.mktemp()
        with open(path, "w") as listing:
            listing.write("ALICE  # front desk\n\nBOB\n")
        os.environ["OPENOCPP_IDTAG_FILE"] = path
        self.addCleanup(os.environ.pop, "OPENOCPP_IDTAG_FILE")
        self.assertEqual([self.authorize(t) for t in ("ALICE", "BOB", "EVE")], ["Accepted", "Accepted", "Invalid"])
        with open(path, "w") as listing:
            listing.write("EVE\n")
        os.utime(path, ns=(10**18, 10**18))
        self.assertEqual([self.authorize(t) for t in ("ALICE", "EVE")], ["Invalid", "Accepted"])

    def test_no_opinion_without_file(self):
        """
        Without the environment variable, the built-in decides (here: every
        tag accepted).
        """
        os.environ.pop("OPENOCPP_IDTAG_FILE", None)
        self.assertEqual(self.authorize("ANYONE"), "Accepted")
