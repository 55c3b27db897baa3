"""
Tests of L{openocpp.transfer}: HTTP(S) and FTP transfers against servers on
loopback (L{tests.transfer.servers}).
"""
