"""
openocpp's test suite, run with trial: C{trial tests}.
"""
