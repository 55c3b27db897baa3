"""
Interfaces of the HTTP API and console.

Everything runs on the reactor thread; nothing may block.
"""

from zope.interface import Attribute, Interface


class IApiConfig(Interface):
    """
    How the API is served. Implemented by L{openocpp.web.config.ApiConfig};
    read by L{openocpp.web.service.WebService} when it starts.
    """

    endpoint = Attribute(
        "The Twisted server endpoint string the API and console listen on "
        "(C{tcp:8081:interface=127.0.0.1})."
    )
    token = Attribute(
        "The secret a client must give (C{Authorization: Bearer TOKEN}, or as "
        "the Basic-auth password), or C{None}: then anyone reaching the "
        "loopback-only endpoint may use the API."
    )
    request_timeout = Attribute(
        "Seconds a client has to send each whole request (headers and body), from "
        "when it connects or its previous answer ended; also the idle timeout (0: none)."
    )
    max_streams = Attribute("The most live-event streams open at once (0: no limit); more get 503.")
    stream_backlog = Attribute(
        "Bytes of live events queued for a stream whose client stopped reading before "
        "it is dropped."
    )
    public_url = Attribute(
        "The base URL charge points reach this API's listener at (C{https://cs.example.com:8081}), "
        "for the upload locations handed out in GetDiagnostics.req; C{None}: the scheme and "
        "Host of the operator's request that asked for them."
    )
    max_upload = Attribute("The most bytes a file uploaded to C{/uploads/} may have (0: no limit); more get 413.")
    upload_lifetime = Attribute("Seconds an upload location (its one-time token) stays usable.")


class IApiAuthenticator(Interface):
    """
    Decides who made an HTTP request to the API. Implemented by
    L{openocpp.web.auth.TokenAuthenticator} and
    L{openocpp.web.auth.LoopbackAuthenticator}; called by the API resources
    before every request they answer.
    """

    def authenticate(request):
        """
        @param request: the C{twisted.web.iweb.IRequest}.
        @return: who made it, a short text for the logs (C{"bearer token"},
            C{"alice"}, C{"anonymous"}), or C{None} when it is refused.
        """

    def challenge():
        """
        @return: the C{WWW-Authenticate} header value of a 401 answer, or
            C{None} when a refused request should get 403 instead (retrying
            with credentials would not help).
        """


class ILiveEvents(Interface):
    """
    The central system's live events, numbered in order and kept for a
    while so that a client reconnecting can catch up. Implemented by
    L{openocpp.web.events.LiveEvents}; fed by
    L{openocpp.web.events.LiveEventsPlugin}, read by the C{/api/v1/stream}
    resource.
    """

    def publish(kind, data, keep=True):
        """
        Send an event to every subscriber, and keep it.

        @param kind: the event's name (C{"status"}, C{"connected"}, ...).
        @param data: its JSON-ready dict.
        @param keep: whether it is kept for clients catching up (the many
            C{frame} events are not).
        @return: the event's number (counting from 1).
        """

    def subscribe(listener, after=None):
        """
        Hear of every event from now on.

        @param listener: called with (number, kind, data) for each event, on
            the reactor thread; it must not raise.
        @param after: an event number: the kept events after it are given to
            the listener first (the stream's C{Last-Event-ID}).
        @return: a callable with no argument that unsubscribes.
        """
