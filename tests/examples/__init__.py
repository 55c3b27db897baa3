"""
Tests of the repository's C{examples/} and C{plugins/} folders.
"""
