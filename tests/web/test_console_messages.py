"""
The console's message log (C{static/messages.js}) in headless Chromium,
against a central system tracing its frames (C{--trace}): the frames of a
loopback charge point, pretty-printed on click, searched, live, and paged
back.
"""

import os

from twisted.internet.defer import inlineCallbacks
from twisted.trial.unittest import TestCase

from openocpp.messages import core
from tests.chargepoint.loopback import loopback_charge_point, start_charge_point, wait_for
from tests.web.api_client import ApiMixin
from tests.web.browser import BrowserMixin


class MessageLogBrowserTests(BrowserMixin, ApiMixin, TestCase):
    """
    C{#/messages} and C{#/messages/<identity>}.
    """

    def start(self, **overrides):
        self.trace = os.path.abspath(self.mktemp())
        return super().start(trace=self.trace, **overrides)

    @inlineCallbacks
    def test_frames_of_a_loopback_charge_point(self):
        """
        An openocpp charge point's frames show, newest first, with their
        direction, type, action (a CALLRESULT's from its CALL) and message
        id; a click shows the frame pretty-printed; the search keeps the
        frames holding its text; a call the central system makes shows
        live, both ways, and not among the dashboard's live events; the
        browser logs no error.
        """
        cp = start_charge_point(self, loopback_charge_point(self, self.url, identity="CP001"))
        yield self.central.when_connected("CP001")
        yield wait_for(self, lambda: cp.online, "the charge point online")
        yield self.open_browser("/#/messages/CP001")
        boot = yield self.wait_for('#messages tr.frame.kind-CALL[data-action="BootNotification"][data-direction="in"]')
        message_id = boot.get_attribute("data-message-id")
        yield self.wait_for(
            f'#messages tr.frame.kind-CALLRESULT[data-action="BootNotification"][data-direction="out"][data-message-id="{message_id}"]',
            "Accepted",
        )
        yield self.click(f'#messages tr.frame.kind-CALL[data-message-id="{message_id}"]')
        pretty = yield self.wait_for("#messages tr.frame-detail pre", '"chargePointVendor"')
        self.assertIn('\n  "BootNotification",\n', pretty.text)
        yield self.screenshot("log")

        yield self.fill("#messages-search", "statusnotification")
        yield self.wait_gone('#messages tr.frame[data-action="BootNotification"]')
        actions = yield self.run_script(
            "return [...document.querySelectorAll('#messages tr.frame')].map((tr) => tr.dataset.action);"
        )
        self.assertTrue(actions)
        self.assertEqual(set(actions), {"StatusNotification"})
        yield self.screenshot("search")

        yield self.fill("#messages-search", "")
        yield self.wait_for('#messages tr.frame[data-action="BootNotification"]')
        answer = yield self.central.charge_point("CP001").call(core.GetConfigurationRequest(key=["HeartbeatInterval"]))
        self.assertEqual(answer.configuration_key[0].key, "HeartbeatInterval")
        yield self.wait_for('#messages tr.frame.kind-CALL[data-action="GetConfiguration"][data-direction="out"]')
        yield self.wait_for(
            '#messages tr.frame.kind-CALLRESULT[data-action="GetConfiguration"][data-direction="in"]', "HeartbeatInterval"
        )
        # The frames stay out of the dashboard's live events.
        yield self.go("#/")
        yield self.wait_for('main[data-view="dashboard"] #chargepoints tr[data-identity="CP001"]')
        self.assertEqual((yield self.run_script("return document.querySelectorAll('#events li[data-kind=frame]').length;")), 0)
        self.assertEqual((yield self.severe_logs()), [])

    @inlineCallbacks
    def test_older_frames(self):
        """
        A log longer than a page (100 frames) shows its first page, and
        Older frames the rest, each frame once; another charge point's
        frames stay out of one charge point's log.
        """
        cp = yield self.booted("CP1", statuses=[])
        other = yield self.booted("CP2", statuses=[])
        for _ in range(60):
            yield cp.call(core.HeartbeatRequest())
        yield other.call(core.HeartbeatRequest())
        yield self.open_browser("/#/messages/CP1")
        yield self.wait_for("#messages-count", "100 frames")
        yield self.click("#messages-older")
        yield self.wait_for("#messages-count", "122 frames")
        keys = yield self.run_script(
            "return [...document.querySelectorAll('#messages tr.frame')].map((tr) =>"
            " tr.dataset.direction + tr.dataset.messageId + tr.querySelector('.kind').textContent);"
        )
        self.assertEqual(len(set(keys)), 122)
        self.assertTrue((yield self.run_script("return document.querySelector('#messages-older').disabled;")))
        identities = yield self.run_script(
            "return [...new Set([...document.querySelectorAll('#messages tr.frame td:nth-child(2)')].map((td) => td.textContent))];"
        )
        self.assertEqual(identities, ["CP1"])

    @inlineCallbacks
    def test_time_with_milliseconds(self):
        """
        A frame's time shows its milliseconds right after its seconds
        (C{6:12:44.607}), never after the locale's AM or PM
        (C{6:12:44 AM.607}).
        """
        yield self.booted("CP1", statuses=[])
        yield self.open_browser("/#/messages/CP1")
        yield self.wait_for('#messages tr.frame[data-action="BootNotification"]')
        times = yield self.run_script(
            "return [...document.querySelectorAll('#messages tr.frame td.time')].map((td) => td.textContent);"
        )
        self.assertTrue(times)
        for text in times:
            self.assertRegex(text, r":\d\d\.\d{3}( |$)")
            self.assertNotRegex(text, r"[AP]M\.\d")


class NoTraceBrowserTests(BrowserMixin, ApiMixin, TestCase):
    """
    C{#/messages} of a central system that keeps no trace.
    """

    @inlineCallbacks
    def test_no_trace(self):
        """
        Without a trace the page says how to start one.
        """
        yield self.open_browser("/#/messages")
        yield self.wait_for("#messages-message.bad", "--trace FILE")
