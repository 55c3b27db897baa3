"""
twistd's entry into openocpp: C{twistd openocpp --help}.

Kept to one line of substance so that C{twistd --help} stays fast: the
real work is imported by L{openocpp.tap.makeService} when it runs.
"""

from twisted.application.service import ServiceMaker

openocpp = ServiceMaker(
    "openocpp",
    "openocpp.tap",
    "An OCPP 1.6-J central system or charge point",
    "openocpp",
)
