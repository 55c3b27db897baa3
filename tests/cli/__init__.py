"""
Tests of the command line: C{twistd openocpp}, its taps and options, its error
messages, listening as child services, and a newcomer's first run.
"""
