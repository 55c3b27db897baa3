"""
Tests that the documentation's snippets run as written.
"""
