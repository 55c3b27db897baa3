"""
The transport's ceiling: a bare autobahn server on Twisted that answers
every OCPP-J CALL with a canned CALLRESULT, no OCPP layer at all.

    python benchmarks/servers/bare_autobahn.py --port 9000

It accepts the C{ocpp1.6} subprotocol on any path, parses each CALL (the
least a server must do to answer it: its message id and action), and sends
back the action's canned payload.  The WebSocket options are those of
openocpp's transport (no compression offered or accepted, 64 KiB messages,
no pings, UTF-8 validated), so the only difference with C{twistd openocpp
centralsystem} is everything above the WebSocket.  Runs until SIGTERM.
"""

import argparse
import json
import sys

#: The canned answers, by action: valid OCPP 1.6 payloads.
CANNED = {
    "BootNotification": {
        "status": "Accepted",
        "currentTime": "2026-11-25T08:00:00Z",
        "interval": 300,
    },
    "Heartbeat": {"currentTime": "2026-11-25T08:00:00Z"},
    "StatusNotification": {},
    "Authorize": {"idTagInfo": {"status": "Accepted"}},
    "StartTransaction": {"transactionId": 1, "idTagInfo": {"status": "Accepted"}},
    "MeterValues": {},
    "StopTransaction": {"idTagInfo": {"status": "Accepted"}},
}


def make_factory(reactor):
    """
    The autobahn server factory answering canned CALLRESULTs.
    """
    from autobahn.twisted.websocket import WebSocketServerFactory, WebSocketServerProtocol

    canned = {action: json.dumps(payload) for action, payload in CANNED.items()}

    class BareProtocol(WebSocketServerProtocol):
        def onConnect(self, request):
            if "ocpp1.6" not in request.protocols:
                from autobahn.websocket.types import ConnectionDeny

                raise ConnectionDeny(400, "subprotocol ocpp1.6 required")
            return "ocpp1.6"

        def onMessage(self, payload, isBinary):
            frame = json.loads(payload)
            if frame[0] != 2:
                return
            answer = canned.get(frame[2])
            if answer is None:
                text = json.dumps([4, frame[1], "NotImplemented", "", {}])
            else:
                text = '[3,%s,%s]' % (json.dumps(frame[1]), answer)
            self.sendMessage(text.encode("utf-8"), isBinary=False)

    factory = WebSocketServerFactory("ws://127.0.0.1/", protocols=["ocpp1.6"], reactor=reactor)
    factory.protocol = BareProtocol
    factory.setProtocolOptions(
        versions=[13],
        webStatus=False,
        maxFramePayloadSize=65536,
        maxMessagePayloadSize=65536,
        autoPingInterval=0,
        failByDrop=False,
        echoCloseCodeReason=True,
        openHandshakeTimeout=10.0,
        closeHandshakeTimeout=5.0,
        perMessageCompressionAccept=lambda offers: None,
    )
    return factory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--interface", default="127.0.0.1")
    options = parser.parse_args()

    from twisted.internet import reactor
    from twisted.logger import (
        FilteringLogObserver,
        LogLevel,
        LogLevelFilterPredicate,
        globalLogBeginner,
        textFileLogObserver,
    )

    globalLogBeginner.beginLoggingTo(
        [
            FilteringLogObserver(
                textFileLogObserver(sys.stderr),
                [LogLevelFilterPredicate(defaultLogLevel=LogLevel.warn)],
            )
        ],
        redirectStandardIO=False,
    )
    # Twisted's default backlog (50), as openocpp's tcp: endpoint has it.
    reactor.listenTCP(options.port, make_factory(reactor), interface=options.interface)
    reactor.run()


if __name__ == "__main__":
    main()
