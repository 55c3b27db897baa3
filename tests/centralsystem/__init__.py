"""
Tests of the central system role (L{openocpp.centralsystem}), mostly against a
scripted charge point (L{tests.centralsystem.fake_chargepoint}) on loopback.
"""
