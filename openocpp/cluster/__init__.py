"""
A central system past one process: presence, command routing, cache
invalidation and live-event fan-in between nodes, through Redis
(C{twistd openocpp centralsystem --node-id NAME --bus redis://...}).
Nothing here is imported without C{--bus}. See the documentation's
"Cluster" page.
"""
