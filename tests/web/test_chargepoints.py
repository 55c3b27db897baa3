"""
The API's routes for the console's charge point page
(L{openocpp.web.chargepoints}).
"""

import json

from twisted.internet.defer import inlineCallbacks
from twisted.trial.unittest import SynchronousTestCase, TestCase

from openocpp.web.api import CS_ACTIONS
from openocpp.web.chargepoints import request_schema
from tests.web.api_client import TOKEN, ApiMixin


class RequestSchemaTests(SynchronousTestCase):
    """
    L{request_schema} gives the shipped schema of a request, references
    inlined.
    """

    def test_every_action_a_central_system_sends_has_one_without_references(self):
        """
        Each of the central system's actions has a schema of an object, in
        which no C{$ref} nor C{definitions} is left.
        """
        for action in CS_ACTIONS:
            schema = request_schema(action)
            self.assertEqual(schema["type"], "object", action)
            text = json.dumps(schema)
            self.assertNotIn("$ref", text, action)
            self.assertNotIn("definitions", text, action)

    def test_definitions_are_inlined(self):
        """
        DeleteCertificate's C{certificateHashData} (a reference to
        C{CertificateHashDataType}) is that type's object, with its
        C{hashAlgorithm} enum.
        """
        schema = request_schema("DeleteCertificate")
        data = schema["properties"]["certificateHashData"]
        self.assertEqual(data["type"], "object")
        self.assertEqual(data["properties"]["hashAlgorithm"]["enum"], ["SHA256", "SHA384", "SHA512"])
        self.assertEqual(data["properties"]["issuerNameHash"]["maxLength"], 128)

    def test_charge_point_actions_and_unknown_names_are_refused(self):
        """
        An action only a charge point sends, and a name that is no action,
        raise L{KeyError}.
        """
        self.assertRaises(KeyError, request_schema, "BootNotification")
        self.assertRaises(KeyError, request_schema, "../Reset")


class ActionSchemaApiTests(ApiMixin, TestCase):
    """
    C{GET /api/v1/actions/{action}/schema}.
    """

    token = TOKEN

    def setUp(self):
        return self.start()

    @inlineCallbacks
    def test_schema_of_an_action(self):
        """
        ChangeAvailability's schema: its enum and required fields, as
        shipped.
        """
        answer = yield self.get("/api/v1/actions/ChangeAvailability/schema")
        self.assertEqual(answer.status, 200, answer)
        self.assertEqual(answer.json["required"], ["connectorId", "type"])
        self.assertEqual(answer.json["properties"]["type"]["enum"], ["Inoperative", "Operative"])

    @inlineCallbacks
    def test_unknown_action_is_404(self):
        """
        A name that is not an action a central system sends is a 404
        C{unknown_action} naming it.
        """
        for name in ("BootNotification", "Nope"):
            answer = yield self.get(f"/api/v1/actions/{name}/schema")
            self.assertEqual(answer.status, 404, answer)
            self.assertEqual(answer.json["error"], "unknown_action")
            self.assertIn(name, answer.json["description"])

    @inlineCallbacks
    def test_needs_the_token(self):
        """
        Without the API's token the schema is refused (401).
        """
        answer = yield self.http("GET", "/api/v1/actions/Reset/schema", auth=False)
        self.assertEqual(answer.status, 401)
