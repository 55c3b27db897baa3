"""
Tests of L{openocpp.rpc}: OCPP-J frames and the RPC session, alone and over
real WebSockets on loopback.
"""
