"""
The console's transactions pages (C{static/transactions.js}) in headless
Chromium: the history filtered and paged with its CSV link (and its
download with an API token), one transaction's chart and Remote stop.
"""

import os
from datetime import timedelta

from twisted.internet.defer import inlineCallbacks
from twisted.trial.unittest import TestCase

from openocpp.messages import core
from openocpp.messages.datatypes import MeterValue, SampledValue
from tests.centralsystem.fake_chargepoint import NOW
from tests.chargepoint.loopback import wait_for
from tests.web.api_client import TOKEN, ApiMixin
from tests.web.browser import BrowserMixin
from tests.web.test_transactions import make_history, parse_csv


class TransactionPagesBrowserTests(BrowserMixin, ApiMixin, TestCase):
    """
    C{#/transactions} and C{#/transactions/<id>}.
    """

    @inlineCallbacks
    def test_history_filtered_and_paged(self):
        """
        The history lists 25 transactions a page with the totals of the
        whole list; Next shows the rest; a charge point filter keeps its
        own, and the CSV link answers the same list as CSV; the browser logs
        no error.
        """
        first, second, third = make_history(self.central.store, count=30)
        yield self.open_browser("/#/transactions")
        yield self.wait_for("#tx-range", "1–25 of 33")
        yield self.wait_for("#tx-totals", "33 transactions · 1 active")
        rows = yield self.run_script("return document.querySelectorAll('#tx-history tbody tr').length;")
        self.assertEqual(rows, 25)
        yield self.screenshot("history")
        yield self.click("#tx-next")
        yield self.wait_for("#tx-range", "26–33 of 33")
        yield self.wait_for(f'#tx-history tr[data-transaction="{first}"]', "Remote")
        self.assertTrue((yield self.run_script("return document.querySelector('#tx-next').disabled;")))

        yield self.fill('#tx-filters input[name="chargepoint"]', "CP1")
        yield self.click("#tx-apply")
        yield self.wait_for("#tx-range", "1–2 of 2")
        yield self.wait_for(f'#tx-history tr[data-transaction="{second}"]', "active")
        yield self.wait_for("#tx-totals", "0.50 kWh")
        yield self.choose('#tx-filters select[name="stopReason"]', "Remote")
        yield self.click("#tx-apply")
        yield self.wait_for("#tx-range", "1–1 of 1")
        yield self.screenshot("filtered")

        href = yield self.run_script("return document.querySelector('#tx-csv').getAttribute('href');")
        self.assertIn("chargepoint=CP1", href)
        answer = yield self.get("/" + href)
        self.assertEqual(answer.header("content-type"), b"text/csv; charset=utf-8")
        self.assertEqual([row[0] for row in parse_csv(answer.body)], ["transactionId", str(first)])
        # The page's own download (through fetch, with the token if any)
        # reads the same CSV.
        text = yield self.in_thread(
            self.driver.execute_async_script,
            "const done = arguments[arguments.length - 1];"
            "fetch(document.querySelector('#tx-csv').href).then((r) => r.text()).then(done);",
        )
        self.assertEqual(text.encode("utf-8"), answer.body)
        self.assertEqual((yield self.severe_logs()), [])

    @inlineCallbacks
    def test_one_transaction_chart_and_remote_stop(self):
        """
        An active transaction of a connected charge point: its page draws
        the energy and power points it sent as an SVG chart, links its
        meter values CSV, and its Remote stop (once confirmed) reaches the
        charge point; the StopTransaction that follows shows on the page,
        live, without the button.
        """
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.ui import WebDriverWait

        cp = yield self.booted("CP1")
        self.central.store.set_id_tag("TAG1")
        started = yield cp.call(core.StartTransactionRequest(connector_id=1, id_tag="TAG1", meter_start=1000, timestamp=NOW))
        transaction_id = started.transaction_id
        for minute, wh, w in [(10, 2200, 7200), (20, 3400, 7100), (30, 4500, 3600)]:
            yield cp.call(core.MeterValuesRequest(
                connector_id=1, transaction_id=transaction_id,
                meter_value=[MeterValue(timestamp=NOW + timedelta(minutes=minute), sampled_value=[
                    SampledValue(value=str(wh), unit="Wh"),
                    SampledValue(value=str(w), unit="W", measurand="Power.Active.Import"),
                ])],
            ))
        yield self.open_browser(f"/#/transactions/{transaction_id}")
        # Energy: the meter start and three readings; power: three.
        yield self.wait_for('#tx-chart svg.tx-chart g.series.energy[data-points="4"]')
        yield self.wait_for('#tx-chart svg.tx-chart g.series.power[data-points="3"]')
        points = yield self.run_script("return document.querySelectorAll('#tx-chart circle.point').length;")
        self.assertEqual(points, 7)
        yield self.wait_for("#tx-facts", "3.50 kWh so far")
        yield self.wait_for("#tx-values", "Power.Active.Import")
        href = yield self.run_script("return document.querySelector('#tx-values-csv').getAttribute('href');")
        answer = yield self.get("/" + href)
        self.assertEqual(len(parse_csv(answer.body)), 7)
        yield self.screenshot("transaction")

        yield self.click("#tx-remote-stop")

        def confirm():
            WebDriverWait(self.driver, 10).until(expected_conditions.alert_is_present())
            self.driver.switch_to.alert.accept()

        yield self.in_thread(confirm)
        yield self.wait_for("#tx-detail-message", "Accepted")
        self.assertIn(core.RemoteStopTransactionRequest(transaction_id=transaction_id), cp.received)
        yield cp.call(core.StopTransactionRequest(
            transaction_id=transaction_id, meter_stop=4600, timestamp=NOW + timedelta(minutes=31), reason="Remote"
        ))
        yield self.wait_for('#tx-detail[data-active="false"] #tx-facts', "Remote")
        yield self.wait_gone("#tx-remote-stop")
        yield self.wait_for('#tx-chart g.series.energy[data-points="5"]')
        self.assertEqual((yield self.severe_logs()), [])

    @inlineCallbacks
    def test_unknown_transaction(self):
        """
        The page of a transaction that does not exist says so.
        """
        yield self.open_browser("/#/transactions/999")
        yield self.wait_for("#tx-detail .message.bad", "no transaction")


def downloaded(folder, path):
    """
    Whether Chromium finished saving C{path} in C{folder}: it has content
    and no partial download is left beside it.
    """
    if any(name.endswith(".crdownload") for name in os.listdir(folder)):
        return False
    return os.path.exists(path) and os.path.getsize(path) > 0


class TransactionCsvDownloadBrowserTests(BrowserMixin, ApiMixin, TestCase):
    """
    The Download CSV link of an API with a token.
    """

    token = TOKEN

    @inlineCallbacks
    def test_download_with_token(self):
        """
        Clicked, the link saves the filtered list as transactions.csv, read
        with the token (a plain link could not send it).
        """
        first, _, third = make_history(self.central.store)
        folder = os.path.abspath(self.mktemp())
        os.makedirs(folder)
        yield self.open_browser("/#/transactions")
        yield self.in_thread(
            self.driver.execute_cdp_cmd, "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": folder}
        )
        yield self.fill('#token-dialog[open] input[name="token"]', self.token)
        yield self.click('#token-dialog button[value="save"]')
        yield self.wait_for("#tx-range", "1–3 of 3")
        yield self.fill('#tx-filters input[name="idtag"]', "TAG1")
        yield self.click("#tx-apply")
        yield self.wait_for("#tx-range", "1–2 of 2")
        yield self.click("#tx-csv")
        path = os.path.join(folder, "transactions.csv")
        # Chromium makes an empty placeholder under the final name before it
        # writes the .crdownload file and renames it over: wait for content.
        yield wait_for(self, lambda: downloaded(folder, path), "the downloaded CSV")
        with open(path, "rb") as saved:
            rows = parse_csv(saved.read())
        self.assertEqual([row[0] for row in rows], ["transactionId", str(third), str(first)])
