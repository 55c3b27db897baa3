"""
C{/metrics} on the API listener: the central system's Prometheus metrics
(L{openocpp.metrics}), with the API's token (a Prometheus job gives it as
C{authorization: {credentials: TOKEN}}, or as the Basic-auth password).
In a cluster, C{/metrics?scope=cluster} gives every node's
(L{openocpp.cluster.metrics}).
"""

import json
from typing import Any, Callable

from twisted.internet.defer import Deferred
from twisted.logger import Logger
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET


class MetricsResource(Resource):
    """
    C{GET /metrics}: every metric in Prometheus' text format;
    C{GET /metrics?scope=cluster}: every node's, each sample labelled with
    its node.

    @param metrics: the L{openocpp.metrics.Metrics}, or C{None} (the central
        system keeps none: 404).
    @param authenticator: the API's L{openocpp.web.interfaces.IApiAuthenticator}.
    @param cluster: returns a Deferred of the cluster's merged exposition
        (L{openocpp.cluster.metrics.MetricsFanIn.gather}), or C{None}: not
        a cluster.
    """

    isLeaf = True
    log = Logger()

    def __init__(self, metrics: Any, authenticator: Any, cluster: Callable[[], Deferred] | None = None) -> None:
        super().__init__()
        self._metrics = metrics
        self._authenticator = authenticator
        self._cluster = cluster

    def render_GET(self, request: Any) -> bytes:
        request.setHeader(b"cache-control", b"no-store")
        if self._authenticator.authenticate(request) is None:
            peer = request.getClientAddress()
            self.log.warn(
                "Metrics scrape refused: from {peer}, without the API token",
                peer=getattr(peer, "host", str(peer)),
            )
            challenge = self._authenticator.challenge()
            if challenge is None:
                return self._error(request, 403, "forbidden", "this API has no token and answers on loopback host names only")
            request.setHeader(b"www-authenticate", challenge.encode("ascii"))
            return self._error(request, 401, "unauthorized", "give the API token: 'Authorization: Bearer TOKEN'")
        if self._metrics is None:
            return self._error(request, 404, "not_found", "this central system keeps no metrics (--no-metrics)")
        scope = request.args.get(b"scope", [b"node"])
        if scope not in ([b"node"], [b"cluster"]):
            return self._error(request, 400, "bad_query", "scope is node (this node's metrics, the default) or cluster")
        from openocpp.metrics import CONTENT_TYPE

        if scope == [b"node"]:
            request.setHeader(b"content-type", CONTENT_TYPE.encode("ascii"))
            return self._metrics.exposition()
        if self._cluster is None:
            return self._error(request, 400, "not_a_cluster", "scope=cluster needs a node of a cluster (--bus)")

        gone: list[bool] = []
        request.notifyFinish().addErrback(lambda _: gone.append(True))

        def gathered(text: str) -> None:
            if not gone:
                request.setHeader(b"content-type", CONTENT_TYPE.encode("ascii"))
                request.write(text.encode("utf-8"))
                request.finish()

        def failed(failure: Any) -> None:
            self.log.failure("Gathering the cluster's metrics failed", failure)
            if not gone:
                request.write(self._error(request, 500, "internal_error", "gathering the cluster's metrics failed"))
                request.finish()

        self._cluster().addCallbacks(gathered, failed)
        return NOT_DONE_YET

    def _error(self, request: Any, status: int, error: str, description: str) -> bytes:
        request.setResponseCode(status)
        request.setHeader(b"content-type", b"application/json; charset=utf-8")
        return json.dumps({"error": error, "code": None, "description": description}).encode("utf-8")


def metrics_service(metrics: Any, endpoint: str, token: str | None, reactor: Any) -> Any:
    """
    A service of its own serving C{/metrics} (the charge point's
    C{--metrics-listen}), with C{token} required, or, without one, on
    loopback only.

    @raise ValueError: no token for an endpoint that is not loopback-only.
    """
    from twisted.internet.endpoints import serverFromString
    from twisted.web.server import Site

    from openocpp.listening import ListeningService
    from openocpp.web.auth import make_authenticator
    from openocpp.web.config import is_loopback_endpoint

    if token is None and not is_loopback_endpoint(endpoint):
        raise ValueError(
            f"metrics_listen {endpoint!r} is not loopback-only: give a metrics_token, "
            "or listen on interface=127.0.0.1"
        )
    root = Resource()
    root.putChild(b"metrics", MetricsResource(metrics, make_authenticator(token)))
    site = Site(root, reactor=reactor)
    site.noisy = False
    site.displayTracebacks = False

    def listened(port: Any) -> None:
        address = port.getHost()
        MetricsResource.log.info(
            "Metrics on http://{host}:{port}/metrics",
            host=getattr(address, "host", address),
            port=getattr(address, "port", ""),
        )

    service = ListeningService(serverFromString(reactor, endpoint), site, endpoint, "Metrics", listened=listened)
    service.setName("metrics")
    return service
