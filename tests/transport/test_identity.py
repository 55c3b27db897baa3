"""
Tests of the charge point identity's rules (L{openocpp.transport.identity}):
lookalikes and path tricks are refused, at the handshake with HTTP 404, a
clear reason and one log line each.
"""

from twisted.internet import reactor
from twisted.internet.endpoints import TCP4ClientEndpoint
from twisted.internet.protocol import Factory
from twisted.internet.testing import EventLoggingObserver
from twisted.logger import globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase, TestCase

from openocpp.transport.identity import InvalidIdentity, check_identity, identity_from_path
from openocpp.transport.server import OcppServerFactory, listen
from tests.transport.loopback import Handlers, RawClient, handshake_request

#: (percent-encoded last path segment, words the reason must contain)
BAD_IDENTITIES = [
    ("..", "dots"),
    (".", "dots"),
    ("%2E%2E", "dots"),
    ("CP1%2F..%2Fadmin", "'/'"),
    ("CP1%2Fadmin", "'/'"),
    ("CP1%5Cadmin", "'\\'"),
    ("CP1%252F", "'%'"),
    ("CP1%3Fx", "'?'"),
    ("CP1%23x", "'#'"),
    ("CP%E2%80%8B1", "U+200B ZERO WIDTH SPACE"),
    ("CP%E2%80%8D1", "U+200D ZERO WIDTH JOINER"),
    ("CP%EF%BB%BF1", "U+FEFF"),
    ("CP%E2%80%AE1", "U+202E RIGHT-TO-LEFT OVERRIDE"),
    ("CP%E2%81%A71", "U+2067"),
    ("CP%C2%A01", "U+00A0 NO-BREAK SPACE"),
    ("CP%E3%80%801", "U+3000 IDEOGRAPHIC SPACE"),
    ("%20CP1", "starts or ends with a space"),
    ("CP1%20", "starts or ends with a space"),
    ("CP%20%201", "two spaces"),
    ("CP%091", "control character"),
    ("CP%0D%0A1", "control character"),
    ("CP%001", "control character"),
    ("CP%7F1", "control character"),
    ("%D0%A1P1", "U+0421 CYRILLIC CAPITAL LETTER ES"),
    ("C%CE%A11", "U+03A1 GREEK CAPITAL LETTER RHO"),
    ("%EF%BC%A3P1", "U+FF23 FULLWIDTH LATIN CAPITAL LETTER C"),
    ("Zu%CC%88rich", "U+0308 COMBINING DIAERESIS"),
    ("%FF%FE", "not percent-encoded UTF-8"),
    ("A" * 49, "49 characters"),
]


class IdentityRulesTests(SynchronousTestCase):
    """
    What L{check_identity} and L{identity_from_path} accept and refuse.
    """

    def test_bad_identities_refused_with_reason(self):
        """
        Each identity of the table is refused, the reason naming what is
        wrong.
        """
        for segment, reason in BAD_IDENTITIES:
            with self.assertRaises(InvalidIdentity, msg=segment) as raised:
                identity_from_path("/ocpp/" + segment)
            self.assertIn(reason, str(raised.exception), segment)

    def test_good_identities_accepted(self):
        """
        Printable ASCII with single inner spaces (OCPP-J 1.6 section
        3.1.1's own example C{"RDAM 123"}) is accepted as it is.
        """
        for identity in ("CP001", "RDAM 123", "a.b", "cp-1_2:3@x", "..a", "A" * 48):
            self.assertEqual(check_identity(identity), identity)

    def test_unicode_normalised_when_allowed(self):
        """
        With C{allow_unicode}, letters beyond ASCII are accepted and
        normalised to NFC, so two spellings of one name are one identity;
        invisible and bidirectional characters are still refused.
        """
        self.assertEqual(
            identity_from_path("/ocpp/Zu%CC%88rich", allow_unicode=True), "Z\u00fcrich"
        )
        self.assertEqual(
            identity_from_path("/ocpp/Z%C3%BCrich", allow_unicode=True), "Z\u00fcrich"
        )
        for segment in ("CP%E2%80%8B1", "CP%E2%80%AE1", "CP%C2%A01", "%CC%88a"):
            with self.assertRaises(InvalidIdentity, msg=segment):
                identity_from_path("/ocpp/" + segment, allow_unicode=True)


class HandshakeIdentityTests(TestCase):
    """
    A bad identity at the opening handshake: HTTP 404 with the reason, and
    one log line.
    """

    timeout = 20

    async def test_bad_identities_refused_at_handshake(self):
        """
        Each identity of the table gets HTTP 404 whose status line gives
        the reason, logged once; no connection is made.
        """
        handlers = Handlers()
        factory = OcppServerFactory(handlers)
        port = await listen(reactor, "tcp:0:interface=127.0.0.1", factory)
        self.addCleanup(port.stopListening)
        self.addCleanup(factory.close_connections)
        observer = EventLoggingObserver()
        globalLogPublisher.addObserver(observer)
        self.addCleanup(globalLogPublisher.removeObserver, observer)
        for segment, reason in BAD_IDENTITIES:
            before = len(observer)
            client = RawClient(handshake_request("/ocpp/" + segment))
            endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port)
            await endpoint.connect(Factory.forProtocol(lambda: client))
            answer = await client.done
            status = answer.split(b"\r\n", 1)[0].decode("latin-1")
            self.assertTrue(status.startswith("HTTP/1.1 404 "), (segment, status))
            self.assertIn(reason, status, segment)
            refusals = [
                event
                for event in list(observer)[before:]
                if "Refused" in event.get("log_format", "")
            ]
            self.assertEqual(len(refusals), 1, segment)
            self.assertIn(reason, refusals[0]["reason"], segment)
        self.assertEqual(handlers.made, [])
