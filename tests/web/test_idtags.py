"""
Tests for the API's id tag writes (C{PUT /api/v1/idtags/{idTag}}): what
OCPP refuses is refused with a 400 naming the field, and nothing is cut or
stored.
"""

from twisted.internet.defer import inlineCallbacks
from twisted.trial.unittest import TestCase

from tests.web.api_client import ApiMixin


class IdTagValidationTests(ApiMixin, TestCase):
    """
    Each refusal names the field it is about; the tag is not stored.
    """

    @inlineCallbacks
    def setUp(self):
        yield self.start()

    @inlineCallbacks
    def refused(self, tag, body, error, field):
        answer = yield self.put("/api/v1/idtags/" + tag, body)
        self.assertError(answer, 400, error)
        self.assertIn(field, answer.json["description"])
        self.assertIsNone(self.central.store.id_tag(tag[:20]))
        return answer

    @inlineCallbacks
    def test_id_tag_of_21_characters(self):
        """
        An idTag of 21 characters is refused, not cut to 20 (IdToken is a
        CiString20Type, OCPP 1.6 section 7.28); 20 are accepted.
        """
        answer = yield self.refused("T" * 21, {}, "bad_id_tag", "idTag")
        self.assertIn("21 characters", answer.json["description"])
        self.assertEqual((yield self.put("/api/v1/idtags/" + "T" * 20, {})).status, 201)

    @inlineCallbacks
    def test_parent_of_21_characters(self):
        """
        A parentIdTag of 21 characters (or an empty one) is refused by name.
        """
        yield self.refused("CHILD", {"parentIdTag": "P" * 21}, "bad_body", "parentIdTag")
        yield self.refused("CHILD", {"parentIdTag": ""}, "bad_body", "parentIdTag")

    @inlineCallbacks
    def test_parent_is_itself(self):
        """
        A tag cannot be its own parent, in any case (id tags are
        case-insensitive).
        """
        yield self.refused("TAG1", {"parentIdTag": "TAG1"}, "bad_body", "parentIdTag")
        answer = yield self.refused("TAG1", {"parentIdTag": "tag1"}, "bad_body", "parentIdTag")
        self.assertIn("itself", answer.json["description"])

    @inlineCallbacks
    def test_bad_expiry(self):
        """
        An expiryDate that is no RFC 3339 date-time (no zone, a day that
        does not exist, a number) is refused by name.
        """
        for expiry in ["tomorrow", "2026-02-30T10:00:00Z", "2026-12-01T10:00:00", 5, ""]:
            yield self.refused("TAG1", {"expiryDate": expiry}, "bad_body", "expiryDate")

    @inlineCallbacks
    def test_bad_status(self):
        """
        A status that is not one an operator may set is refused by name.
        """
        for status in ["ConcurrentTx", "accepted", 1]:
            yield self.refused("TAG1", {"status": status}, "bad_body", "status")

    @inlineCallbacks
    def test_non_ascii(self):
        """
        Id tags and parents are printable ASCII (OCPP 1.6 section 2.2).
        """
        yield self.refused("T%C3%84G", {}, "bad_id_tag", "id tag")
        yield self.refused("TAG1", {"parentIdTag": "P\u00c4"}, "bad_body", "parentIdTag")

    @inlineCallbacks
    def test_valid_tag_with_parent_and_expiry(self):
        """
        A tag with a parent and an expiry (any offset) is stored with both,
        the expiry in UTC.
        """
        answer = yield self.put(
            "/api/v1/idtags/CHILD1",
            {"status": "Accepted", "parentIdTag": "PARENT1", "expiryDate": "2036-01-01T10:00:00+01:00"},
        )
        self.assertEqual(answer.status, 201, answer)
        self.assertEqual(
            (answer.json["parentIdTag"], answer.json["expiryDate"]), ("PARENT1", "2036-01-01T09:00:00.000Z")
        )
