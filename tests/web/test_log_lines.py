"""
What the HTTP API's listener logs, for people: Twisted's port line names
the API, not the classes wrapping its site.
"""

import re

from twisted.internet.defer import inlineCallbacks
from twisted.logger import formatEvent, globalLogPublisher
from twisted.trial.unittest import TestCase

from tests.web.api_client import ApiMixin


class PortLineTests(ApiMixin, TestCase):
    """
    The line Twisted logs when the API starts listening.
    """

    @inlineCallbacks
    def test_port_line_names_the_api(self):
        """
        C{HTTP API starting on PORT}, not C{ApiSite (_ConnectionTracker)
        starting on PORT}.
        """
        events = []
        globalLogPublisher.addObserver(events.append)
        self.addCleanup(globalLogPublisher.removeObserver, events.append)
        yield self.start()
        lines = [formatEvent(event) for event in events]
        port = self.base.rsplit(":", 1)[1]
        self.assertIn(f"HTTP API starting on {port}", lines)
        self.assertFalse([line for line in lines if re.search(r"ApiSite|_ConnectionTracker", line)], lines)
