"""
The console's id tags page (C{static/idtags.js}) in headless Chromium: the
form refuses what OCPP refuses, with a message, and never cuts; a tag with
parent and expiry is saved, edited and deleted.
"""

from twisted.internet.defer import inlineCallbacks
from twisted.trial.unittest import TestCase

from tests.web.api_client import ApiMixin
from tests.web.browser import BrowserMixin


class IdTagPageBrowserTests(BrowserMixin, ApiMixin, TestCase):
    """
    C{#/idtags}.
    """

    @inlineCallbacks
    def save(self):
        yield self.click("#idtag-save")

    @inlineCallbacks
    def test_form_refuses_what_ocpp_refuses(self):
        """
        21 characters in the id tag (CiString20Type) are kept as typed and
        refused with a message naming the field, as is a space at its start
        (not trimmed behind the operator's back); so are a bad expiry (a day
        that does not exist, a text that is no time) and a parent that is
        the tag itself; nothing reaches the store.
        """
        yield self.open_browser("/#/idtags")
        yield self.fill('#idtag-form input[name="idTag"]', "A" * 21)
        yield self.save()
        note = yield self.wait_for('.field-problem[data-for="idTag"]', "21 characters")
        self.assertIn("at most 20", note.text)
        yield self.wait_for("#idtag-message.bad", "Id tag has 21 characters")
        value = yield self.run_script("return document.querySelector('#idtag-form [name=idTag]').value;")
        self.assertEqual(value, "A" * 21)
        yield self.screenshot("too-long")

        yield self.fill('#idtag-form input[name="idTag"]', " TAG1")
        yield self.save()
        yield self.wait_for('.field-problem[data-for="idTag"]', "starts or ends with a space")
        value = yield self.run_script("return document.querySelector('#idtag-form [name=idTag]').value;")
        self.assertEqual(value, " TAG1")

        yield self.fill('#idtag-form input[name="idTag"]', "TAG1")
        yield self.wait_gone('.field-problem[data-for="idTag"]:not([hidden])')
        for expiry in ["2026-02-30T10:00", "next week"]:
            yield self.fill('#idtag-form input[name="expiryDate"]', expiry)
            yield self.save()
            yield self.wait_for('.field-problem[data-for="expiryDate"]', f'Expiry "{expiry}" is not a date and time')
        yield self.screenshot("bad-expiry")
        yield self.fill('#idtag-form input[name="expiryDate"]', "")
        yield self.fill('#idtag-form input[name="parentIdTag"]', "tag1")
        yield self.save()
        yield self.wait_for('.field-problem[data-for="parentIdTag"]', "cannot be the id tag itself")
        yield self.fill('#idtag-form input[name="parentIdTag"]', "P" * 21)
        yield self.save()
        yield self.wait_for('.field-problem[data-for="parentIdTag"]', "21 characters")
        self.assertIsNone(self.central.store.id_tag("TAG1"))
        self.assertEqual((yield self.get("/api/v1/idtags")).json["total"], 0)
        self.assertEqual((yield self.severe_logs()), [])

    @inlineCallbacks
    def test_add_edit_delete(self):
        """
        A tag with a parent and an expiry is saved and listed; Edit fills
        the form with it, and a new status is saved; Delete (confirmed)
        forgets it; a tag added elsewhere shows without reloading. The
        expiry survives the edit to the second.
        """
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.ui import WebDriverWait

        yield self.open_browser("/#/idtags")
        yield self.fill('#idtag-form input[name="idTag"]', "CHILD1")
        yield self.fill('#idtag-form input[name="parentIdTag"]', "PARENT1")
        yield self.fill('#idtag-form input[name="expiryDate"]', "2036-01-01T10:00:30Z")
        yield self.save()
        yield self.wait_for('#idtags tr[data-idtag="CHILD1"]', "PARENT1")
        yield self.wait_for("#idtag-message", "CHILD1 saved (Accepted)")
        record = self.central.store.id_tag("CHILD1")
        self.assertEqual((record.parent_id_tag, record.expiry_date.isoformat()), ("PARENT1", "2036-01-01T10:00:30+00:00"))

        yield self.click('#idtags tr[data-idtag="CHILD1"] button.edit')
        yield self.wait_for("#idtag-form-title", "Edit CHILD1")
        self.assertEqual(
            (yield self.run_script("return document.querySelector('#idtag-form [name=parentIdTag]').value;")), "PARENT1"
        )
        yield self.choose('#idtag-form select[name="status"]', "Blocked")
        yield self.save()
        yield self.wait_for('#idtags tr[data-idtag="CHILD1"]', "Blocked")
        record = self.central.store.id_tag("CHILD1")
        self.assertEqual((record.status, record.parent_id_tag), ("Blocked", "PARENT1"))
        self.assertEqual(record.expiry_date.isoformat(), "2036-01-01T10:00:30+00:00")

        yield self.central.set_id_tag("OTHER")
        yield self.wait_for('#idtags tr[data-idtag="OTHER"]')
        yield self.screenshot("list")

        yield self.click('#idtags tr[data-idtag="CHILD1"] button.delete')

        def confirm():
            WebDriverWait(self.driver, 10).until(expected_conditions.alert_is_present())
            self.driver.switch_to.alert.accept()

        yield self.in_thread(confirm)
        yield self.wait_gone('#idtags tr[data-idtag="CHILD1"]')
        self.assertIsNone(self.central.store.id_tag("CHILD1"))
        self.assertEqual((yield self.severe_logs()), [])
