"""
Tests of the cluster parts (L{openocpp.cluster}): the RESP protocol in
memory, and presence, takeover, routing, invalidation and fan-in with two
central systems in one process sharing a throwaway redis-server
(L{tests.engines.redis}).
"""
