"""
Tests of L{openocpp.messages}: the message classes, the codec, and what the
official schemas accept and refuse.
"""
