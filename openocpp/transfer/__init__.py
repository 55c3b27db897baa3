"""
File transfers for the charge point's Firmware Management profile (OCPP 1.6
3.8, 3.9, 5.6, 5.19): downloads of firmware images and uploads of diagnostics
files over C{http://}, C{https://} (certificate verified) and C{ftp://}
(passive mode), asynchronous on the reactor, with a size limit and
timeouts::

    transfers = Transfers(reactor, timeout=60, connect_timeout=30)
    size = await transfers.download("https://example.com/fw.bin", "/var/lib/fw.bin",
                                    max_bytes=64 * 2**20)
    await transfers.upload("ftp://user:pw@example.com/diag/", "/tmp/d.zip", "d.zip")

Failures are L{TransferError}s with a one-line C{reason}.
"""

from __future__ import annotations

from openocpp._lazy import lazy_exports

_EXPORTS = {
    "openocpp.transfer.errors": ["TransferError"],
    "openocpp.transfer.interfaces": ["ITransfers"],
    "openocpp.transfer.transfers": ["Transfers"],
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_MODULE_OF)

__getattr__, __dir__ = lazy_exports(__name__, _MODULE_OF)
