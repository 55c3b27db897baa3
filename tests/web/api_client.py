"""
The API tests' client: a central system and its web service on loopback
ports for each test (L{ApiMixin}, on L{CentralSystemMixin}), HTTP requests
to it answered as L{Answer}s, and a reader of its event streams
(L{SseReader}).
"""

import json

from twisted.internet import reactor
from twisted.internet.defer import inlineCallbacks, succeed
from twisted.internet.protocol import Protocol
from twisted.web.client import Agent, HTTPConnectionPool, readBody
from twisted.web.http_headers import Headers
from twisted.web.iweb import IBodyProducer
from zope.interface import implementer

from openocpp.messages import core
from openocpp.web.config import ApiConfig
from openocpp.web.service import WebService
from tests.centralsystem.fake_chargepoint import BOOT, NOW, CentralSystemMixin, Condition

#: The bearer token of the tests that set one.
TOKEN = "s3cret-token"


@implementer(IBodyProducer)
class Body:
    """
    A request body of bytes, sent at once.
    """

    def __init__(self, data: bytes) -> None:
        self._data = data
        self.length = len(data)

    def startProducing(self, consumer):
        consumer.write(self._data)
        return succeed(None)

    def pauseProducing(self):
        pass

    def stopProducing(self):
        pass


class Answer:
    """
    An HTTP answer: its status, headers and body (and the body's JSON).
    """

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        self.json = json.loads(body) if body and b"json" in (self.header("content-type") or b"") else None

    def header(self, name):
        values = self.headers.getRawHeaders(name.encode("ascii"))
        return values[0] if values else None

    def __repr__(self):
        return f"<Answer {self.status} {self.body[:300]!r}>"


class ApiMixin(CentralSystemMixin):
    """
    Runs a central system and its web service on loopback ports for each
    test, and talks HTTP to it.
    """

    token = None
    #: More settings of the test's L{ApiConfig}.
    api_settings: dict = {}

    @inlineCallbacks
    def start(self, **overrides):
        yield self.start_central_system(**overrides)
        self.web = WebService(
            self.central,
            ApiConfig(endpoint="tcp:0:interface=127.0.0.1", token=self.token, **self.api_settings),
            reactor=reactor,
        )
        self.web.startService()
        self.addCleanup(self.web.stopService)
        port = yield self.web.when_listening()
        self.base = f"http://127.0.0.1:{port.getHost().port}"
        self.pool = HTTPConnectionPool(reactor, persistent=True)
        self.addCleanup(self.pool.closeCachedConnections)
        self.agent = Agent(reactor, pool=self.pool)

    @inlineCallbacks
    def http(self, method, path, body=None, headers=None, raw=None, auth=True):
        """
        Make a request; fire with its L{Answer}.

        @param body: a JSON-ready value sent as application/json.
        @param raw: bytes sent as they are (with the headers given).
        """
        all_headers = {}
        if auth and self.token is not None:
            all_headers["Authorization"] = f"Bearer {self.token}"
        producer = None
        if body is not None:
            raw = json.dumps(body).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        if raw is not None:
            producer = Body(raw)
        all_headers.update(headers or {})
        response = yield self.agent.request(
            method.encode("ascii"),
            (self.base + path).encode("utf-8"),
            Headers({name: [value] for name, value in all_headers.items()}),
            producer,
        )
        data = yield readBody(response)
        return Answer(response.code, response.headers, data)

    def get(self, path, **kwargs):
        return self.http("GET", path, **kwargs)

    def put(self, path, body=None, **kwargs):
        return self.http("PUT", path, body={} if body is None and "raw" not in kwargs else body, **kwargs)

    def post(self, path, body=None, **kwargs):
        return self.http("POST", path, body={} if body is None and "raw" not in kwargs else body, **kwargs)

    def delete(self, path, **kwargs):
        return self.http("DELETE", path, **kwargs)

    def assertError(self, answer, status, error, code=None):
        """
        The answer is the JSON error C{error} with C{status} (and OCPP
        C{code} when given).
        """
        self.assertEqual(answer.status, status, answer)
        self.assertEqual(answer.json["error"], error, answer)
        self.assertIn("description", answer.json)
        self.assertTrue(answer.json["description"])
        self.assertEqual(answer.json["code"], code, answer)

    @inlineCallbacks
    def booted(self, identity="CP1", statuses=(("Available", 1),)):
        """
        A test charge point, connected, booted, with connector statuses.
        """
        cp = yield self.connect(identity)
        yield cp.call(BOOT)
        for status, connector in statuses:
            yield cp.call(
                core.StatusNotificationRequest(
                    connector_id=connector, status=status, error_code="NoError", timestamp=NOW
                )
            )
        return cp


class SseReader(Protocol):
    """
    Reads a text/event-stream, keeping its events as (id, kind, data) and
    its comment lines; L{wait} fires when what arrives makes a predicate
    true.
    """

    def __init__(self):
        self.events = []
        self.comments = []
        self._buffer = b""
        self._changed = Condition()

    def wait(self, predicate):
        """
        A Deferred firing once C{predicate()} holds, checked as data
        arrives (at once if it holds already).
        """
        return self._changed.wait(predicate)

    def dataReceived(self, data):
        self._buffer += data
        while b"\n\n" in self._buffer:
            block, self._buffer = self._buffer.split(b"\n\n", 1)
            fields = {}
            for line in block.decode("utf-8").split("\n"):
                if line.startswith(":"):
                    self.comments.append(line)
                    continue
                name, _, value = line.partition(": ")
                fields[name] = value
            if "event" in fields:
                self.events.append((int(fields["id"]), fields["event"], json.loads(fields["data"])))
        # Once the whole chunk is read, so that a test woken here sees it all.
        self._changed.changed()

    def kinds(self):
        return [kind for _, kind, _ in self.events]
