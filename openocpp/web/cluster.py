"""
C{GET /api/v1/cluster}: the nodes of the central system's cluster
(C{--bus}), each with its charge point count and last refresh, as Redis
holds them. Without a cluster: this node alone, unnamed.
"""

from typing import Any

from twisted.internet.defer import Deferred, succeed


class ClusterRoutes:
    """
    The cluster view's handler.

    @param central: the central system (its C{cluster}, None without
        C{--bus}).
    """

    def __init__(self, central: Any) -> None:
        self._central = central

    def get(self, call: Any) -> Deferred:
        cluster = getattr(self._central, "cluster", None)
        if cluster is None:
            return succeed({"node": None, "nodes": []})
        return cluster.presence.nodes().addCallback(
            lambda nodes: {"node": cluster.node_id, "nodes": nodes}
        )


def cluster_paths(json_answer: Any, auth_errors: dict) -> dict:
    """
    The OpenAPI paths of the cluster view.

    @param json_answer: the document's C{_json(description, schema)}.
    @param auth_errors: the document's authentication errors.
    """
    node = {
        "type": "object",
        "properties": {
            "node": {"type": "string", "description": "the node's --node-id"},
            "startedAt": {"type": "number", "description": "when it started (Unix seconds)"},
            "refreshedAt": {"type": "number", "description": "its last refresh of its liveness (Unix seconds)"},
            "chargePoints": {"type": "integer", "description": "the charge points connected to it then"},
        },
        "required": ["node", "startedAt", "refreshedAt", "chargePoints"],
    }
    view = {
        "type": "object",
        "properties": {
            "node": {"type": ["string", "null"], "description": "this node's name (null: no cluster)"},
            "nodes": {"type": "array", "items": node, "description": "the live nodes, by name"},
        },
        "required": ["node", "nodes"],
    }
    return {
        "/api/v1/cluster": {
            "get": {
                "operationId": "getCluster",
                "tags": ["meta"],
                "summary": "The live nodes of the cluster (--bus), their charge points and last refresh",
                "responses": {"200": json_answer("the cluster", view), **auth_errors},
            }
        }
    }
