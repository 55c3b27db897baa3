"""
The console's charge point page (C{static/chargepoint.js}) and its forms
generated from the request schemas (C{static/forms.js}), in headless
Chromium (see L{tests.web.browser}).
"""

from twisted.internet.defer import inlineCallbacks
from twisted.trial.unittest import TestCase

from openocpp.messages import core, security
from tests.centralsystem.fake_chargepoint import NOW, when_disconnected
from tests.chargepoint.loopback import loopback_charge_point, start_charge_point, wait_for
from tests.web.api_client import ApiMixin
from tests.web.browser import BrowserMixin


def form(action: str) -> str:
    """
    The CSS selector of the generated form of C{action}.
    """
    return f'form.schema-form[data-action="{action}"]'


class ChargePointPageBrowserTests(BrowserMixin, ApiMixin, TestCase):
    """
    The page of a charge point against a scripted test charge point.
    """

    @inlineCallbacks
    def open_form(self, action: str):
        """
        Open the charge point page's form of C{action}.
        """
        yield self.click(f'#cp-operations details[data-action="{action}"] > summary')
        yield self.wait_for(form(action))

    @inlineCallbacks
    def test_sections(self):
        """
        The page shows CP1's connectors live, its status history (newest
        first, paged), its security events as they arrive, a form for every
        action a central system sends (that of ReserveNow pointing to the
        Reserve panel), and the panels of the firmware, reservations, local
        list and charging profiles.
        """
        cp = yield self.booted("CP1", statuses=[("Available", 1), ("Preparing", 2)])
        yield self.open_browser("/#/chargepoints/CP1")
        yield self.wait_for('#cp-connectors .connector-card.status-Available[data-connector="1"]', "Available")
        yield self.wait_for('#cp-connectors .connector-card.status-Preparing[data-connector="2"]', "Preparing")
        yield self.wait_for("#cp-history tbody tr", "Preparing")
        yield self.wait_for("#cp-history-page", "1–2 of 2")
        yield self.wait_for("#cp-security-empty")
        yield cp.call(security.SecurityEventNotificationRequest(type="TamperDetectionActivated", timestamp=NOW))
        yield self.wait_for("#cp-security tbody tr", "TamperDetectionActivated")
        for _ in range(11):
            yield cp.call(
                core.StatusNotificationRequest(connector_id=1, status="Charging", error_code="NoError", timestamp=NOW)
            )
        yield self.wait_for("#cp-history-page", "1–10 of 13")
        yield self.click("#cp-history-next")
        yield self.wait_for("#cp-history-page", "11–13 of 13")
        yield self.wait_for("#cp-history tbody tr:last-child", "Available")
        yield self.wait_for('#cp-connectors .connector-card[data-connector="1"]', "Charging")

        from openocpp.web.api import CS_ACTIONS

        actions = yield self.run_script(
            "return [...document.querySelectorAll('#cp-operations details')].map((d) => d.dataset.action);"
        )
        self.assertEqual(sorted(actions), sorted(CS_ACTIONS))
        # ReserveNow's form says the Reserve panel keeps the reservation.
        yield self.open_form("ReserveNow")
        yield self.wait_for('#cp-operations details[data-action="ReserveNow"] .hint', "keeps the reservation")
        for css in ("#firmware-form", "#reserve-form", "#locallist", "#profile-form", "#composite-form",
                    "#op-diagnostics", "#op-certificates", "#cp-config-read"):
            yield self.wait_for(f"main #detail {css}")
        yield self.screenshot("chargepoint")
        self.assertEqual((yield self.severe_logs()), [])

    @inlineCallbacks
    def test_generated_form_with_enums_and_nested_objects(self):
        """
        SetChargingProfile's form, made from its schema: enums are selects
        of the schema's values, required fields marked, integers number
        inputs (step 1), numbers any step, date-times datetime-local, the
        nested csChargingProfiles and chargingSchedule fieldsets, its
        periods an array with a second item added; what it sends is the
        nested request, and the charge point's answer shows by the form.
        """
        cp = yield self.booted("CP1")
        yield self.open_browser("/#/chargepoints/CP1")
        yield self.open_form("SetChargingProfile")
        f = form("SetChargingProfile")
        purpose = yield self.run_script(
            "return [...document.querySelectorAll(arguments[0] + ' select[name=\"csChargingProfiles.chargingProfilePurpose\"] option')]"
            ".map((o) => o.value);", f,
        )
        self.assertEqual(purpose, ["", "ChargePointMaxProfile", "TxDefaultProfile", "TxProfile"])
        kinds = yield self.run_script(
            "const q = (n) => document.querySelector(arguments[0] + ` [name=\"${n}\"]`);"
            "return [q('connectorId').type, q('connectorId').step, q('connectorId').required,"
            " q('csChargingProfiles.validFrom').type, q('csChargingProfiles.validFrom').required,"
            " q('csChargingProfiles.chargingSchedule.chargingSchedulePeriod.0.limit').step];", f,
        )
        self.assertEqual(kinds, ["number", "1", True, "datetime-local", False, "any"])
        marked = yield self.run_script(
            "return [...document.querySelectorAll(arguments[0] + ' .field')].filter((l) => l.querySelector('.req'))"
            ".map((l) => l.dataset.path);", f,
        )
        self.assertIn("connectorId", marked)
        self.assertIn("csChargingProfiles.stackLevel", marked)
        self.assertNotIn("csChargingProfiles.transactionId", marked)
        yield self.wait_for(f'{f} fieldset[data-path="csChargingProfiles.chargingSchedule"]')

        yield self.fill(f'{f} [name="connectorId"]', "1")
        yield self.fill(f'{f} [name="csChargingProfiles.chargingProfileId"]', "7")
        yield self.fill(f'{f} [name="csChargingProfiles.stackLevel"]', "2")
        yield self.choose(f'{f} [name="csChargingProfiles.chargingProfilePurpose"]', "TxDefaultProfile")
        yield self.choose(f'{f} [name="csChargingProfiles.chargingProfileKind"]', "Relative")
        yield self.choose(f'{f} [name="csChargingProfiles.chargingSchedule.chargingRateUnit"]', "A")
        period = "csChargingProfiles.chargingSchedule.chargingSchedulePeriod"
        yield self.fill(f'{f} [name="{period}.0.startPeriod"]', "0")
        yield self.fill(f'{f} [name="{period}.0.limit"]', "16.5")
        yield self.click(f'{f} fieldset[data-path="{period}"] > button.add-item')
        yield self.fill(f'{f} [name="{period}.1.startPeriod"]', "3600")
        yield self.fill(f'{f} [name="{period}.1.limit"]', "8")
        yield self.screenshot("form")
        yield self.click(f"{f} button[type=submit]")
        yield self.wait_for(f"{f} .form-answer", "Accepted")
        yield self.wait_for('#answers li.answer.ok[data-action="SetChargingProfile"]', "Accepted")
        (sent,) = cp.received
        self.assertIsInstance(sent, core.SetChargingProfileRequest)
        profile = sent.cs_charging_profiles
        self.assertEqual(
            (sent.connector_id, profile.charging_profile_id, profile.stack_level,
             str(profile.charging_profile_purpose), str(profile.charging_profile_kind), profile.valid_from),
            (1, 7, 2, "TxDefaultProfile", "Relative", None),
        )
        self.assertEqual(
            [(p.start_period, p.limit) for p in profile.charging_schedule.charging_schedule_period],
            [(0, 16.5), (3600, 8.0)],
        )
        self.assertEqual((yield self.severe_logs()), [])

    @inlineCallbacks
    def test_a_field_over_its_max_length_is_refused_by_the_form(self):
        """
        25 characters in RemoteStartTransaction's idTag (an IdToken, at
        most 20) are kept as typed, not cut, and refused with a message
        naming the field and its limit: nothing is sent; so is one with a
        space at its end (not trimmed behind the operator's back). Shortened to 20,
        the request is sent, without the optional nested object left empty
        (chargingProfile).
        """
        cp = yield self.booted("CP1")
        yield self.open_browser("/#/chargepoints/CP1")
        yield self.open_form("RemoteStartTransaction")
        f = form("RemoteStartTransaction")
        yield self.fill(f'{f} [name="idTag"]', "A" * 25)
        value = yield self.run_script(f"return document.querySelector('{f} [name=\"idTag\"]').value;")
        self.assertEqual(value, "A" * 25)
        yield self.click(f"{f} button[type=submit]")
        answer = yield self.wait_for(f"{f} .form-answer.bad", "idTag has 25 characters")
        self.assertIn("at most 20", answer.text)
        self.assertEqual(cp.received, [])

        yield self.fill(f'{f} [name="idTag"]', "TAG1 ")
        yield self.click(f"{f} button[type=submit]")
        yield self.wait_for(f"{f} .form-answer.bad", 'idTag "TAG1 " starts or ends with a space')
        self.assertEqual(cp.received, [])

        yield self.fill(f'{f} [name="idTag"]', "A" * 20)
        yield self.wait_for(f'{f} details.optional[data-path="chargingProfile"]')
        yield self.click(f"{f} button[type=submit]")
        yield self.wait_for(f"{f} .form-answer", "Accepted")
        self.assertEqual(cp.received, [core.RemoteStartTransactionRequest(id_tag="A" * 20)])

    @inlineCallbacks
    def test_reserve_refuses_a_long_id_tag_without_cutting_it(self):
        """
        21 characters in the Reserve panel's id tag are kept as typed, not
        cut, and refused (the answer names idTag and OCPP's 20); one with a
        space at its start is refused on the field, not trimmed; no
        ReserveNow is sent.
        """
        cp = yield self.booted("CP1")
        yield self.open_browser("/#/chargepoints/CP1")
        yield self.fill('#reserve-form input[name="idTag"]', "B" * 21)
        value = yield self.run_script("return document.querySelector('#reserve-form [name=idTag]').value;")
        self.assertEqual(value, "B" * 21)
        yield self.run_script(
            "document.querySelector('#reserve-form [name=expiryDate]').value = '2036-01-01T10:00';"
        )
        yield self.click("#reserve-send")
        yield self.wait_for('#answers li.answer.bad[data-action="ReserveNow"]', "idTag: longer than 20 characters (21)")
        self.assertEqual(cp.received, [])

        yield self.fill('#reserve-form input[name="idTag"]', " TAG1")
        yield self.click("#reserve-send")
        message = yield self.run_script(
            "return document.querySelector('#reserve-form [name=idTag]').validationMessage;"
        )
        self.assertIn("starts or ends with a space", message)
        value = yield self.run_script("return document.querySelector('#reserve-form [name=idTag]').value;")
        self.assertEqual(value, " TAG1")
        self.assertEqual(cp.received, [])

    @inlineCallbacks
    def test_destructive_operation_confirmed_or_cancelled(self):
        """
        ChangeAvailability Inoperative of the whole charge point asks
        first, naming its effect: cancelled, nothing is sent; confirmed,
        it is sent and answered. Operative is sent without asking. Reset
        Hard asks, naming its effect; cancelled, it is not sent.
        """
        cp = yield self.booted("CP1")
        yield self.open_browser("/#/chargepoints/CP1")
        yield self.open_form("ChangeAvailability")
        f = form("ChangeAvailability")
        yield self.fill(f'{f} [name="connectorId"]', "0")
        yield self.choose(f'{f} [name="type"]', "Inoperative")
        yield self.click(f"{f} button[type=submit]")
        yield self.wait_for("#confirm-dialog[open] #confirm-text", "whole charge point Inoperative")
        yield self.screenshot("confirm")
        yield self.click("#confirm-dialog[open] #confirm-no")
        yield self.wait_for(f"{f} .form-answer", "not sent")
        self.assertEqual(cp.received, [])
        self.assertEqual((yield self.run_script("return document.querySelectorAll('#answers li').length;")), 0)

        yield self.click(f"{f} button[type=submit]")
        yield self.click("#confirm-dialog[open] #confirm-yes")
        yield self.wait_for(f"{f} .form-answer", "Accepted")
        self.assertEqual(cp.received, [core.ChangeAvailabilityRequest(connector_id=0, type="Inoperative")])

        yield self.choose(f'{f} [name="type"]', "Operative")
        yield self.click(f"{f} button[type=submit]")
        yield cp.wait_for(2)
        self.assertEqual(cp.received[-1], core.ChangeAvailabilityRequest(connector_id=0, type="Operative"))
        self.assertFalse((yield self.run_script("return document.querySelector('#confirm-dialog').open;")))

        # Reset Hard asks too, saying transactions are not waited for.
        yield self.open_form("Reset")
        reset = form("Reset")
        yield self.choose(f'{reset} [name="type"]', "Hard")
        yield self.click(f"{reset} button[type=submit]")
        yield self.wait_for("#confirm-dialog[open] #confirm-text", "Reset Hard: the charge point restarts")
        yield self.click("#confirm-dialog[open] #confirm-no")
        yield self.wait_for(f"{reset} .form-answer", "not sent")
        self.assertEqual(len(cp.received), 2)

    @inlineCallbacks
    def test_remote_stop_offers_active_transactions_and_asks_first(self):
        """
        RemoteStopTransaction's transactionId field offers CP1's active
        transaction; sent only once confirmed, naming the transaction.
        """
        cp = yield self.booted("CP1")
        self.central.store.set_id_tag("TAG1")
        started = yield cp.call(core.StartTransactionRequest(connector_id=1, id_tag="TAG1", meter_start=0, timestamp=NOW))
        transaction = started.transaction_id
        yield self.open_browser("/#/chargepoints/CP1")
        yield self.wait_for(f'#cp-transactions option[value="{transaction}"]')
        yield self.open_form("RemoteStopTransaction")
        f = form("RemoteStopTransaction")
        listed = yield self.run_script(f"return document.querySelector('{f} [name=\"transactionId\"]').list.id;")
        self.assertEqual(listed, "cp-transactions")
        yield self.fill(f'{f} [name="transactionId"]', str(transaction))
        yield self.click(f"{f} button[type=submit]")
        yield self.wait_for("#confirm-dialog[open] #confirm-text", f"Stop transaction {transaction}")
        self.assertEqual(cp.received, [])
        yield self.click("#confirm-dialog[open] #confirm-yes")
        yield self.wait_for(f"{f} .form-answer", "Accepted")
        self.assertEqual(cp.received, [core.RemoteStopTransactionRequest(transaction_id=transaction)])

    @inlineCallbacks
    def test_unregistering_asks_first(self):
        """
        The API's delete of a charge point (Unregister) asks first:
        cancelled, CP1 stays registered; confirmed, it is unregistered.
        """
        yield self.booted("CP1")
        yield self.open_browser("/#/chargepoints/CP1")
        yield self.click("#unregister")
        yield self.wait_for("#confirm-dialog[open] #confirm-text", "Unregister CP1")
        yield self.click("#confirm-dialog[open] #confirm-no")
        yield self.wait_gone("#confirm-dialog[open]")
        self.assertTrue(self.central.store.is_approved("CP1"))
        yield self.click("#unregister")
        yield self.click("#confirm-dialog[open] #confirm-yes")
        yield self.wait_for('#answers li.answer.ok[data-action="Unregister"]', "unregistered")
        self.assertFalse(self.central.store.is_approved("CP1"))

    @inlineCallbacks
    def test_offline_charge_point_shown_offline(self):
        """
        Once CP1 disconnects, its page says it is offline with its last-seen
        time, its connectors greyed as their last known status and time
        (not as live), its operations disabled; the dashboard's list shows
        the same.
        """
        cp = yield self.booted("CP1", statuses=[("Charging", 1)])
        yield self.open_browser("/#/chargepoints/CP1")
        yield self.wait_for('#cp-connectors .connector-card.status-Charging[data-connector="1"]')
        gone = when_disconnected(self.central, "CP1")
        yield cp.close()
        yield gone
        card = yield self.wait_for('#cp-connectors .connector-card.offline[data-connector="1"]', "last known: Charging at")
        self.assertNotIn("status-Charging", card.get_attribute("class"))
        yield self.wait_for("#cp-offline", "Offline: last seen")
        yield self.wait_for("#detail-state", "offline")
        disabled = yield self.run_script("return document.querySelector('#cp-config-read').disabled;")
        self.assertTrue(disabled)
        yield self.screenshot("chargepoint-offline")
        yield self.click('#nav a[data-view="dashboard"]')
        badge = yield self.wait_for('#chargepoints tr[data-identity="CP1"] .connector.offline', "last known: Charging")
        self.assertNotIn("status-Charging", badge.get_attribute("class"))


class ConfigurationBrowserTests(BrowserMixin, ApiMixin, TestCase):
    """
    The configuration table against an openocpp charge point on loopback.
    """

    @inlineCallbacks
    def test_configuration_edit_round_trip(self):
        """
        Read configuration lists the charge point's keys (read-only ones
        without an input); HeartbeatInterval changed to 120 is Accepted and
        held by the charge point; a value it refuses is answered Rejected
        on its row, and the old value stays.
        """
        cp = start_charge_point(self, loopback_charge_point(self, self.url, identity="CP001"))
        yield self.central.when_connected("CP001")
        yield wait_for(self, lambda: cp.online, "the charge point online")
        yield self.open_browser("/#/chargepoints/CP001")
        yield self.wait_for("#detail-state", "online")
        yield self.click("#cp-config-read")
        yield self.wait_for('#cp-config tr[data-key="HeartbeatInterval"] input[name="value"]')
        readonly = yield self.wait_for("#cp-config tr.readonly", "read-only")
        self.assertEqual(readonly.find_elements("css selector", "input"), [])
        row = '#cp-config tr[data-key="HeartbeatInterval"]'
        yield self.fill(f'{row} input[name="value"]', "120")
        yield self.click(f"{row} button.save")
        yield self.wait_for(f'{row}[data-answer="Accepted"] .config-answer', "Accepted")
        self.assertEqual(cp.ocpp_config.get("HeartbeatInterval"), "120")

        yield self.fill(f'{row} input[name="value"]', "soon")
        yield self.click(f"{row} button.save")
        yield self.wait_for(f'{row}[data-answer="Rejected"] .config-answer', "Rejected")
        self.assertEqual(cp.ocpp_config.get("HeartbeatInterval"), "120")

        # 501 characters (the value is a CiString500Type): kept, refused, not sent.
        yield self.fill(f'{row} input[name="value"]', "9" * 501)
        value = yield self.run_script(f"return document.querySelector('{row} input[name=value]').value;")
        self.assertEqual(len(value), 501)
        yield self.click(f"{row} button.save")
        yield self.wait_for(f'{row}[data-answer="refused"] .config-answer', "at most 500")
        self.assertEqual(cp.ocpp_config.get("HeartbeatInterval"), "120")
        yield self.screenshot("configuration")
        self.assertEqual((yield self.severe_logs()), [])
