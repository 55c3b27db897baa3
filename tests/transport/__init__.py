"""
Tests of L{openocpp.transport}: identities, credentials, Security Profiles
and WebSocket connections on loopback (certificates from L{tests.transport.certificates}).
"""
