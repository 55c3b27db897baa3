"""
Tests of the cluster parts (L{openocpp.cluster}): the RESP protocol in
memory, and presence, takeover, routing, invalidation and fan-in with two
central systems in one process sharing a throwaway redis-server
(L{tests.engines.redis}); and the multi-node integration suite
(C{test_cluster_*}, node processes behind HAProxy) with its light charge
point fleet.
"""
