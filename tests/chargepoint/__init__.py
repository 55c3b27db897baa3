"""
Tests of the charge point role (L{openocpp.chargepoint}), mostly against a
scripted central system (L{tests.chargepoint.fake_centralsystem}) on a
L{twisted.internet.task.Clock}.
"""
