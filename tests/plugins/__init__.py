"""
Tests of L{openocpp.plugins}: the plugin manager and hook calls.
"""
