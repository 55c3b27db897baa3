"""
Tests of L{openocpp.store}: the SQLite store's schema files and group commit.
"""
