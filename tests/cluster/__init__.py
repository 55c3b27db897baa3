"""
Tests of openocpp's cluster: the multi-node integration suite
(C{test_cluster_*}) and its light charge point fleet.
"""
