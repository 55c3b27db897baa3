"""
A second review of the API's handling of the specification's corner cases
(issue 10), attacked over loopback HTTP: id tags that are not printable
ASCII, which OCPP 1.6 does not allow in a C{CiString} and which no case
folding could make one record.
"""

from twisted.internet.defer import inlineCallbacks
from twisted.trial.unittest import TestCase

from tests.centralsystem.fake_chargepoint import BOOT, RejectingBoot, raw_call
from tests.web.api_client import ApiMixin


class IdTagCharactersApiTests(ApiMixin, TestCase):
    """
    C{PUT /api/v1/idtags/{idTag}} with tags and parent tags outside
    printable ASCII (OCPP 1.6 section 2.2: "CiString: Case Insensitive
    String. Only printable ASCII allowed"; an IdToken is a CiString20Type,
    errata 3.73).
    """

    def setUp(self):
        return self.start(accept_any_id_tag=True)

    @inlineCallbacks
    def test_non_ascii_tag_refused_so_a_block_cannot_be_dodged_by_case(self):
        """
        C{ÄB01} is refused (400 bad_id_tag) and creates nothing: were it
        stored, C{äb01} would be a second record, and a card reading
        C{äB01} would dodge a block of C{ÄB01} (Accepted as an unknown tag
        under C{accept_any_id_tag}).
        """
        refused = yield self.put("/api/v1/idtags/%C3%84B01", {"status": "Blocked"})
        self.assertError(refused, 400, "bad_id_tag")
        self.assertIn("printable ASCII", refused.json["description"])
        listed = yield self.get("/api/v1/idtags")
        self.assertEqual(listed.json["total"], 0)

    @inlineCallbacks
    def test_control_characters_refused(self):
        """
        A NUL, a tab or DEL in a tag: 400 bad_id_tag, nothing stored.
        """
        for path in ("a%00b", "a%09b", "a%7Fb"):
            refused = yield self.put(f"/api/v1/idtags/{path}", {})
            self.assertError(refused, 400, "bad_id_tag")
        listed = yield self.get("/api/v1/idtags")
        self.assertEqual(listed.json["total"], 0)

    @inlineCallbacks
    def test_non_ascii_parent_refused(self):
        """
        A C{parentIdTag} is an IdToken too: C{Grüppe} is refused (400
        bad_body) and the tag not stored.
        """
        refused = yield self.put("/api/v1/idtags/CHILD1", {"parentIdTag": "Gr\u00fcppe"})
        self.assertError(refused, 400, "bad_body")
        self.assertIn("printable ASCII", refused.json["description"])
        gone = yield self.get("/api/v1/idtags/CHILD1")
        self.assertError(gone, 404, "unknown_id_tag")

    @inlineCallbacks
    def test_printable_ascii_with_space_and_punctuation_accepted(self):
        """
        Every printable ASCII character is allowed, space and punctuation
        included; another case of it is the same record.
        """
        created = yield self.put("/api/v1/idtags/A%20b~%7B%7D-1", {"parentIdTag": "G 1!"})
        self.assertEqual((created.status, created.json["idTag"]), (201, "A b~{}-1"))
        again = yield self.put("/api/v1/idtags/a%20B~%7B%7D-1", {"status": "Blocked", "parentIdTag": "G 1!"})
        self.assertEqual((again.status, again.json["idTag"]), (200, "A b~{}-1"))
        cp = yield self.connect()
        yield cp.call(BOOT)
        answer = yield raw_call(cp, "Authorize", {"idTag": "A B~{}-1"})
        self.assertEqual(answer[2], {"idTagInfo": {"status": "Blocked", "parentIdTag": "G 1!"}})


class RegistrationShownApiTests(ApiMixin, TestCase):
    """
    The registration status the API shows is what the charge point was
    last told, whoever answered its BootNotification.
    """

    def setUp(self):
        return self.start()

    @inlineCallbacks
    def test_rejected_by_a_plugin_is_shown_rejected(self):
        """
        Accepted at its first boot, rejected by a plugin at the next: the
        API says Rejected (not the Accepted of the boot before), and a call
        after a reconnect is refused 409 with that status.
        """
        cp = yield self.connect("CP1")
        booted = yield cp.call(BOOT)
        self.assertEqual(booted.status, "Accepted")
        self.central.plugins.register(RejectingBoot(), name="rejecting")
        self.addCleanup(self.central.plugins.unregister, name="rejecting")
        booted = yield cp.call(BOOT)
        self.assertEqual(booted.status, "Rejected")
        shown = yield self.get("/api/v1/chargepoints/CP1")
        self.assertEqual(shown.json["registrationStatus"], "Rejected")
        yield cp.close()
        cp = yield self.connect("CP1")
        yield self.central.when_connected("CP1")
        answer = yield self.post("/api/v1/chargepoints/CP1/actions/GetConfiguration", {})
        self.assertError(answer, 409, "not_allowed_now")
        self.assertEqual(answer.json["details"], {"registrationStatus": "Rejected"})
        self.assertEqual(cp.received, [])


class UnknownQueryArgumentTests(ApiMixin, TestCase):
    """
    A query argument the route does not take (by the OpenAPI document) is
    refused, 400 C{bad_query} naming it and what the route takes: a
    misspelt filter (C{?identity=} for C{?chargePoint=}) would otherwise be
    ignored and every record answered as if filtered.
    """

    def setUp(self):
        return self.start()

    @inlineCallbacks
    def test_misspelt_filter_refused_naming_it_and_the_right_ones(self):
        refused = yield self.get("/api/v1/transactions?chargePoint=CP1")
        self.assertError(refused, 400, "bad_query")
        self.assertIn("chargePoint", refused.json["description"])
        self.assertIn("chargepoint", refused.json["description"])  # (what it takes)
        refused = yield self.get("/api/v1/chargepoints?limit=5&conected=true")
        self.assertError(refused, 400, "bad_query")
        self.assertIn("conected", refused.json["description"])

    @inlineCallbacks
    def test_known_arguments_and_an_action_route_still_answer(self):
        listed = yield self.get("/api/v1/transactions?chargepoint=CP1&limit=5")
        self.assertEqual(listed.status, 200)
        listed = yield self.get("/api/v1/chargepoints?connected=false")
        self.assertEqual(listed.status, 200)
        refused = yield self.post("/api/v1/chargepoints/CP1/actions/ClearCache?force=1", {})
        self.assertError(refused, 400, "bad_query")
