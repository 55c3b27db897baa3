"""
Tests of L{openocpp.web}: the HTTP API, its specification and the console.
"""
