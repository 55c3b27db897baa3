"""
The operations HTTP API and web console of the central system: JSON over
HTTP on its own endpoint (C{--api}), a stream of live events (Server-Sent
Events) and a static single-page console, all served by one
C{twisted.web} site in the central system's process::

    twistd -n openocpp centralsystem --api tcp:8081:interface=127.0.0.1

See C{docs/api.md}.
"""
