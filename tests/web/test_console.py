"""
The web console in a real browser: headless Chromium driven by Selenium
against the console served on loopback, with a scripted test charge point
connected to the central system.

Needs Debian's C{chromium} and C{chromium-driver} (C{.ci/run} installs them)
and the C{selenium} package (the C{test} extra). Without them the test is
skipped, except under CI (C{CI=true}), where it fails.
"""

import os

from twisted.internet.defer import inlineCallbacks
from twisted.trial.unittest import TestCase

from openocpp.messages import core
from openocpp.messages.datatypes import MeterValue, SampledValue
from tests.centralsystem.fake_chargepoint import NOW
from tests.web.api_client import ApiMixin
from tests.web.browser import WAIT, BrowserMixin


class ConsoleBrowserTests(BrowserMixin, ApiMixin, TestCase):
    """
    The console lists charge points with live connector status, and its
    operations reach the charge point.
    """

    @inlineCallbacks
    def test_console(self):
        """
        The page lists the connected test charge point with its connector's
        status; a Reset click reaches the charge point and its answer shows;
        back on the dashboard (the browser's back button), a status change,
        a transaction's energy and an id tag saved on the id tags page appear
        without reloading it; the browser logs no error.
        """
        cp = yield self.booted("CP1", statuses=[("Available", 1)])
        yield self.open_browser("/")
        row = yield self.wait_for('#chargepoints tr[data-identity="CP1"]')
        yield self.wait_for('#chargepoints tr[data-identity="CP1"] .connector[data-status="Available"]', "1 · Available")
        yield self.wait_for("#live[data-state=live]")
        # Set on this page load: it survives only if the page is not reloaded.
        yield self.in_thread(self.driver.execute_script, "window.openocppTestMarker = 'same page';")

        yield self.in_thread(row.click)
        yield self.wait_for("#detail-title", "CP1")
        self.assertTrue((yield self.run_script("return location.hash;")).endswith("#/chargepoints/CP1"))
        yield self.screenshot("chargepoint")
        yield self.click('#cp-operations details[data-action="Reset"] > summary')
        yield self.choose('form.schema-form[data-action="Reset"] select[name="type"]', "Soft")
        yield self.click('form.schema-form[data-action="Reset"] button[type=submit]')
        yield self.wait_for("#confirm-dialog[open] #confirm-text", "Reset Soft")
        yield self.click("#confirm-dialog[open] #confirm-yes")
        answer = yield self.wait_for('#answers li.answer.ok[data-action="Reset"]', "Accepted")
        yield self.wait_for('form.schema-form[data-action="Reset"] .form-answer', "Accepted")
        self.assertIn("Reset → CP1", answer.text)
        self.assertEqual(cp.received, [core.ResetRequest(type="Soft")])

        yield self.in_thread(self.driver.back)
        yield self.wait_for('main[data-view="dashboard"] #chargepoints tr[data-identity="CP1"]')
        yield cp.call(
            core.StatusNotificationRequest(connector_id=1, status="Charging", error_code="NoError", timestamp=NOW)
        )
        yield self.wait_for('#chargepoints tr[data-identity="CP1"] .connector[data-status="Charging"]', "1 · Charging")
        yield self.wait_for('#events li[data-kind="status"]', "Charging")

        # An active transaction shows the energy delivered so far, live.
        self.central.store.set_id_tag("TAG1")
        started = yield cp.call(core.StartTransactionRequest(connector_id=1, id_tag="TAG1", meter_start=1000, timestamp=NOW))
        yield cp.call(
            core.MeterValuesRequest(
                connector_id=1,
                transaction_id=started.transaction_id,
                meter_value=[MeterValue(timestamp=NOW, sampled_value=[SampledValue(value="1500", unit="Wh")])],
            )
        )
        yield self.wait_for(f'#transactions tr[data-transaction="{started.transaction_id}"] .energy', "0.50 kWh")

        yield self.screenshot("dashboard")

        # Id tags are managed on their page (idtags.js).
        from selenium.webdriver.support.ui import Select

        yield self.click('#nav a[data-view="idtags"]')
        tag = yield self.wait_for('main[data-view="idtags"] #idtag-form input[name="idTag"]')
        yield self.in_thread(tag.send_keys, "NEWTAG")
        status = yield self.wait_for('#idtag-form select[name="status"]')
        yield self.in_thread(lambda: Select(status).select_by_visible_text("Blocked"))
        save = yield self.wait_for("#idtag-form button")
        yield self.in_thread(save.click)
        yield self.wait_for('#idtags tr[data-idtag="NEWTAG"]', "Blocked")
        self.assertEqual(self.central.store.id_tag("NEWTAG").status, "Blocked")
        yield self.screenshot("idtags")
        yield self.go("#/")

        yield self.click('#chargepoints tr[data-identity="CP1"]')
        yield self.wait_for("#detail-title", "CP1")
        # Back on CP1's page, its answers are still listed.
        yield self.wait_for('#answers li.answer.ok[data-action="Reset"]', "Accepted")
        yield self.management_steps(cp)

        marker = yield self.in_thread(self.driver.execute_script, "return window.openocppTestMarker;")
        self.assertEqual(marker, "same page")

        self.assertEqual((yield self.severe_logs()), [])


    @inlineCallbacks
    def management_steps(self, cp):
        """
        The detail panel's management part (management.js) with CP1
        selected: reserve then cancel (confirmed) a connector, send a full
        local list then the changes, update firmware and see the status
        the charge point reports.
        """
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.ui import WebDriverWait

        tag = yield self.wait_for('#reserve-form input[name="idTag"]')
        yield self.in_thread(tag.send_keys, "RES1")
        # A datetime-local field's typing depends on the browser's locale:
        # its value is set instead.
        yield self.in_thread(
            self.driver.execute_script,
            "document.querySelector('#reserve-form [name=expiryDate]').value = '2036-01-01T10:00';",
        )
        reserve = yield self.wait_for("#reserve-send")
        yield self.in_thread(reserve.click)
        yield self.wait_for('#answers li.answer.ok[data-action="ReserveNow"]', "Accepted")
        yield self.wait_for('#reservations tr[data-reservation="1"][data-state="active"]', "RES1")
        (reserved,) = [r for r in cp.received if isinstance(r, core.ReserveNowRequest)]
        self.assertEqual((reserved.reservation_id, reserved.connector_id, reserved.id_tag), (1, 1, "RES1"))

        yield self.click('#reservations tr[data-reservation="1"] button.cancel')

        def confirm():
            WebDriverWait(self.driver, WAIT).until(expected_conditions.alert_is_present())
            self.driver.switch_to.alert.accept()

        yield self.in_thread(confirm)
        yield self.wait_for('#reservations tr[data-reservation="1"][data-state="cancelled"]')
        self.assertEqual(
            [r.reservation_id for r in cp.received if isinstance(r, core.CancelReservationRequest)], [1]
        )

        full = yield self.wait_for("#locallist-full")
        yield self.in_thread(full.click)
        yield self.click("#confirm-dialog[open] #confirm-yes")
        yield self.wait_for("#locallist-answer", "Accepted: version 1 held")
        (sent,) = [r for r in cp.received if isinstance(r, core.SendLocalListRequest)]
        self.assertEqual(sorted(e.id_tag for e in sent.local_authorization_list), ["NEWTAG", "TAG1"])
        yield self.central.set_id_tag("LATER")
        changes = yield self.wait_for("#locallist-diff")
        yield self.in_thread(changes.click)
        yield self.wait_for("#locallist-answer", "Accepted: version 2 held")
        yield self.wait_for("#locallist-state", "Version 2 held, 0 change(s) pending")
        last = [r for r in cp.received if isinstance(r, core.SendLocalListRequest)][-1]
        self.assertEqual((str(last.update_type), [e.id_tag for e in last.local_authorization_list]), ("Differential", ["LATER"]))

        location = yield self.wait_for('#firmware-form input[name="location"]')
        yield self.in_thread(location.send_keys, "https://example.com/fw.bin")
        update = yield self.wait_for("#firmware-send")
        yield self.in_thread(update.click)
        yield self.wait_for('#answers li.answer.ok[data-action="UpdateFirmware"]')
        (firmware,) = [r for r in cp.received if isinstance(r, core.UpdateFirmwareRequest)]
        self.assertEqual(firmware.location, "https://example.com/fw.bin")
        yield cp.call(core.FirmwareStatusNotificationRequest(status="Downloading"))
        yield self.wait_for("#firmware-status", "Downloading")


class ConsoleTokenBrowserTests(ConsoleBrowserTests):
    """
    The console of an API with a token asks for it, then works.
    """

    token = "console-token"

    @inlineCallbacks
    def test_console(self):
        """
        The page asks for the token; once given, it lists the charge point
        and follows its live status.
        """
        cp = yield self.booted("CP7", statuses=[("Available", 1)])
        yield self.open_browser("/")
        field = yield self.wait_for('#token-dialog[open] input[name="token"]')
        yield self.in_thread(field.send_keys, "wrong")
        yield self.in_thread(field.submit)
        yield self.wait_for('#token-dialog[open] input[name="token"]')
        yield self.in_thread(field.clear)
        yield self.in_thread(field.send_keys, self.token)
        yield self.in_thread(field.submit)
        yield self.wait_for('#chargepoints tr[data-identity="CP7"] .connector[data-status="Available"]')
        yield self.wait_for("#live[data-state=live]")
        yield cp.call(
            core.StatusNotificationRequest(connector_id=1, status="Faulted", error_code="GroundFailure", timestamp=NOW)
        )
        yield self.wait_for('#chargepoints tr[data-identity="CP7"] .connector[data-status="Faulted"]')
        # The refused requests made with the wrong token are the only errors.
        self.assertEqual((yield self.severe_logs(ignore="401")), [])


class ConsoleSmartChargingBrowserTests(BrowserMixin, ApiMixin, TestCase):
    """
    The console's Smart Charging page (C{charging.js}) against an openocpp
    charge point connected to the central system.
    """

    @inlineCallbacks
    def connect_charge_point(self):
        from twisted.internet import reactor
        from twisted.internet.task import deferLater

        from openocpp.chargepoint.behaviour import DefaultChargePointBehaviour
        from openocpp.chargepoint.config import ChargePointConfig
        from openocpp.chargepoint.service import ChargePoint
        from openocpp.plugins import make_plugin_manager

        config = ChargePointConfig(url=self.url, identity="CP001", database=os.path.abspath(self.mktemp()))
        plugins = make_plugin_manager(builtins=[DefaultChargePointBehaviour()], load_entrypoints=False)
        cp = ChargePoint(config, reactor=reactor, plugins=plugins)
        cp.startService()
        self.addCleanup(cp.store.close)
        self.addCleanup(cp.stopService)
        yield self.central.when_connected("CP001")
        for _ in range(1000):
            if cp.online:
                break
            yield deferLater(reactor, 0.01, lambda: None)
        self.assertTrue(cp.online)
        return cp

    @inlineCallbacks
    def test_profile_form_and_composite_chart(self):
        """
        A profile built with the form (purpose, kind, unit, two periods:
        the second added with a click) reaches the charge point, which
        accepts it; the page lists it, and the composite schedule the charge
        point answers is drawn as a step chart of both periods.
        """
        cp = yield self.connect_charge_point()
        yield self.open_browser("/")
        row = yield self.wait_for('#chargepoints tr[data-identity="CP001"]')
        yield self.in_thread(row.click)
        yield self.wait_for("#detail-title", "CP001")
        yield self.wait_for("#charging-empty")

        yield self.fill('#profile-form input[name="connectorId"]', "1")
        yield self.fill('#profile-form input[name="chargingProfileId"]', "5")
        yield self.choose('#profile-form select[name="chargingProfilePurpose"]', "TxDefaultProfile")
        yield self.fill('#profile-form input[name="stackLevel"]', "2")
        yield self.choose('#profile-form select[name="chargingProfileKind"]', "Relative")
        yield self.choose('#profile-form select[name="chargingRateUnit"]', "A")
        add = yield self.wait_for("#add-period")
        yield self.in_thread(add.click)
        yield self.fill('#profile-periods tbody tr:last-child input[name="limit"]', "10")
        send = yield self.wait_for("#send-profile")
        yield self.in_thread(send.click)
        yield self.wait_for('#answers li.answer.ok[data-action="SetChargingProfile"]', "Accepted")
        yield self.wait_for('#charging-profiles tr[data-profile="5"]', "TxDefaultProfile")
        (stored,) = cp._smart_charging.installed()
        self.assertEqual(stored.connector_id, 1)
        self.assertEqual(stored.profile.stack_level, 2)
        self.assertEqual(
            [(p.start_period, p.limit) for p in stored.profile.charging_schedule.charging_schedule_period],
            [(0, 16.0), (3600, 10.0)],
        )

        yield self.fill('#composite-form input[name="connectorId"]', "1")
        yield self.fill('#composite-form input[name="duration"]', "7200")
        get = yield self.wait_for("#get-composite")
        yield self.in_thread(get.click)
        yield self.wait_for('#answers li.answer.ok[data-action="GetCompositeSchedule"]', "Accepted")
        yield self.wait_for("#composite-chart svg.step-chart path.step")
        chart = yield self.wait_for("#composite-chart", "2 periods")
        self.assertIn("16 A", chart.text)
        self.assertIn("10 A", chart.text)
        path = yield self.in_thread(
            self.driver.execute_script,
            "return document.querySelector('#composite-chart path.step').getAttribute('d');",
        )
        # Two steps: a horizontal run, a drop, a horizontal run.
        self.assertEqual(path.count("H"), 2)
        self.assertEqual(path.count("V"), 1)

        self.assertEqual((yield self.severe_logs()), [])

    @inlineCallbacks
    def test_refused_profile_and_schedule_are_shown(self):
        """
        Bad inputs through the console: a profile whose stackLevel is above
        ChargeProfileMaxStackLevel (10) is answered Rejected and not listed;
        a composite schedule over 40 days (more than the charge point works
        out) is answered Rejected and the chart says so; the page logs no
        error.
        """
        cp = yield self.connect_charge_point()
        yield self.open_browser("/")
        row = yield self.wait_for('#chargepoints tr[data-identity="CP001"]')
        yield self.in_thread(row.click)
        yield self.wait_for("#detail-title", "CP001")
        yield self.wait_for("#charging-empty")
        yield self.fill('#profile-form input[name="stackLevel"]', "11")
        send = yield self.wait_for("#send-profile")
        yield self.in_thread(send.click)
        yield self.wait_for('#answers li.answer.ok[data-action="SetChargingProfile"]', "Rejected")
        self.assertEqual(cp._smart_charging.installed(), [])
        empty = yield self.wait_for("#charging-empty")
        self.assertTrue((yield self.in_thread(empty.is_displayed)))

        yield self.fill('#composite-form input[name="duration"]', str(40 * 86400))
        get = yield self.wait_for("#get-composite")
        yield self.in_thread(get.click)
        yield self.wait_for('#answers li.answer.ok[data-action="GetCompositeSchedule"]', "Rejected")
        yield self.wait_for("#composite-chart", "could not report")
        self.assertEqual((yield self.severe_logs()), [])

    @inlineCallbacks
    def test_chart_of_a_limit_near_the_largest_double(self):
        """
        A composite whose limit is 1.7976931348623157e308 W (a 1e308 A
        profile in W: the schema sets no maximum) is drawn at the top of
        the chart, above 0, not at 0 (the chart's scale was Infinity).
        """
        from openocpp.messages import SetChargingProfileRequest
        from openocpp.messages.datatypes import ChargingProfile, ChargingSchedule, ChargingSchedulePeriod

        cp = yield self.connect_charge_point()
        huge = ChargingProfile(
            charging_profile_id=1, stack_level=0, charging_profile_purpose="TxDefaultProfile",
            charging_profile_kind="Relative",
            charging_schedule=ChargingSchedule(
                charging_rate_unit="A", charging_schedule_period=[ChargingSchedulePeriod(start_period=0, limit=1e308)]
            ),
        )
        answer = cp._smart_charging.set_charging_profile(
            SetChargingProfileRequest(connector_id=1, cs_charging_profiles=huge)
        )
        self.assertEqual(answer.status, "Accepted")
        yield self.open_browser("/")
        row = yield self.wait_for('#chargepoints tr[data-identity="CP001"]')
        yield self.in_thread(row.click)
        yield self.wait_for("#detail-title", "CP001")

        yield self.fill('#composite-form input[name="connectorId"]', "1")
        yield self.choose('#composite-form select[name="chargingRateUnit"]', "W")
        yield self.click("#get-composite")
        yield self.wait_for('#answers li.answer.ok[data-action="GetCompositeSchedule"]', "Accepted")
        yield self.wait_for("#composite-chart svg.step-chart path.step")
        path, axis = yield self.in_thread(
            self.driver.execute_script,
            "return [document.querySelector('#composite-chart path.step').getAttribute('d'),"
            " document.querySelector('#composite-chart line.axis').getAttribute('y1')];",
        )
        # "M x y H x": the step's y is above the 0 axis.
        step_y = float(path.split()[1])
        self.assertLess(step_y, float(axis) - 50, path)

class ConsoleCertificatesBrowserTests(BrowserMixin, ApiMixin, TestCase):
    """
    The console's certificates page (C{certificates.js}).
    """


    @inlineCallbacks
    def test_issued_certificate_listed_and_revoked(self):
        """
        A certificate issued to the selected charge point is listed with
        its subject; its Revoke button revokes it (the store says so) and
        the list shows it revoked, without the button.
        """
        from openocpp.centralsystem.certificates import CertificateAuthority, check_csr
        from openocpp.pki import make_ca
        from tests.centralsystem.test_certificates import make_csr

        self.central.store.register_charge_point("CP001")
        ca = make_ca(os.path.abspath(self.mktemp()), "ACME")
        authority = CertificateAuthority.from_files(str(ca.key), str(ca.certificate))
        serial = self.central.store.issued_certificates.record(
            "CP001", authority.sign(check_csr(make_csr("CP001")[0], "CP001", "ACME"))
        )
        yield self.central.store.when_committed(None)
        yield self.open_browser("/")
        row = yield self.wait_for('#chargepoints tr[data-identity="CP001"]')
        yield self.in_thread(row.click)
        yield self.wait_for("#detail-title", "CP001")
        yield self.wait_for(f'#certificates li[data-serial="{serial}"]', "CN=CP001,O=ACME")
        button = yield self.wait_for(f'#certificates li[data-serial="{serial}"] button.revoke')
        yield self.in_thread(button.click)
        yield self.wait_for(f'#certificates li[data-serial="{serial}"]', "revoked")
        self.assertTrue(self.central.store.issued_certificates.is_revoked(serial))
        self.assertEqual((yield self.severe_logs()), [])


class ConsoleRouterBrowserTests(BrowserMixin, ApiMixin, TestCase):
    """
    The console's views (C{openocppConsole.view}, C{#/<name>/<param>...}).
    """

    @inlineCallbacks
    def test_old_link_back_button_and_views(self):
        """
        An old link C{#CP1} shows CP1's page at C{#/chargepoints/CP1}; the
        header's Dashboard link shows the dashboard and the back button the
        charge point page again, without reloading; a view registered by a
        script gets its decoded parameters and is told when another is
        shown; an unknown charge point's page shows nothing of CP1's; an
        unknown view says so.
        """
        yield self.booted("CP1", statuses=[("Available", 1)])
        yield self.open_browser("/#CP1")
        yield self.wait_for('main[data-view="chargepoints"] #detail-title', "CP1")
        self.assertTrue((yield self.run_script("return location.hash;")).endswith("#/chargepoints/CP1"))
        yield self.run_script("window.openocppTestMarker = 'same page';")
        yield self.screenshot("chargepoint")

        yield self.click('#nav a[data-view="dashboard"]')
        yield self.wait_for('main[data-view="dashboard"] #chargepoints tr[data-identity="CP1"]')
        yield self.wait_for('#nav a.active[data-view="dashboard"]')
        self.assertEqual((yield self.run_script("return document.querySelector('main #detail');")), None)
        yield self.in_thread(self.driver.back)
        yield self.wait_for('main[data-view="chargepoints"] #detail-title', "CP1")

        yield self.run_script(
            "window.probe = [];"
            "window.openocppConsole.view('probe', {title: 'Probe', nav: true,"
            " render(main, params) { window.probe.push(['render', ...params]);"
            "   main.append(Object.assign(document.createElement('p'), {id: 'probe', textContent: params.join('|')})); },"
            " leave() { window.probe.push(['leave']); }});"
        )
        yield self.wait_for('#nav a[data-view="probe"]', "Probe")
        yield self.go("#/probe/a%20b/%23c")
        yield self.wait_for("main #probe", "a b|#c")
        self.assertEqual((yield self.run_script("return document.title;")), "Probe · openocpp console")
        # The page of an identity never seen shows nothing of CP1's.
        yield self.go("#/chargepoints/NOPE")
        yield self.wait_for('main[data-view="chargepoints"] #detail-unknown', "No charge point of this identity")
        yield self.wait_for("#detail-state", "unknown")
        self.assertFalse((yield self.run_script("return document.querySelector('#detail-info').offsetParent !== null;")))
        yield self.go("#/nope")
        yield self.wait_for("main #not-found", "nope")
        self.assertEqual((yield self.run_script("return window.probe;")), [["render", "a b", "#c"], ["leave"]])
        yield self.go("#/")
        yield self.wait_for('main[data-view="dashboard"] #chargepoints')
        self.assertEqual((yield self.run_script("return window.openocppTestMarker;")), "same page")
        self.assertEqual((yield self.severe_logs()), [])
