"""
The interface of file transfers: what the charge point's firmware and
diagnostics collaborators use to fetch a firmware image (UpdateFirmware,
OCPP 1.6 5.19) and to send a diagnostics file (GetDiagnostics, 5.6).

Everything here runs on the reactor thread and never blocks it: the
network is asynchronous, files are written and read in chunks as data flows.
"""

from zope.interface import Interface


class ITransfers(Interface):
    """
    Downloads and uploads of whole files by URL.

    Implemented by L{openocpp.transfer.transfers.Transfers} (C{http://},
    C{https://} and C{ftp://}); called by the charge point's firmware and
    diagnostics collaborators, and by tests.  Each call is independent: a
    failed transfer is not retried here (retries are the caller's, as
    UpdateFirmware's and GetDiagnostics's C{retries} and C{retryInterval}
    say).
    """

    def download(url, destination, max_bytes=None):
        """
        Fetch the resource at C{url} into the file C{destination}.

        The data is written to a temporary file beside C{destination}
        (same folder, so the rename is atomic) and renamed to
        C{destination} only once the transfer is complete: a partial file
        is never taken for a complete one.  On failure the temporary file is
        removed and C{destination} is left as it was.

        @param url: the location, an absolute URI: C{http://}, C{https://}
            (the server's certificate is verified) or C{ftp://} (passive
            mode; C{user:password@} in the URL, percent-encoded, or
            anonymous).
        @type url: C{str}
        @param destination: the path of the file to create (or replace); its
            folder must exist.
        @type destination: C{str}
        @param max_bytes: the most bytes accepted, or C{None} for no limit:
            the transfer stops as soon as more arrive (or a server announces
            more) and fails.
        @type max_bytes: C{int} or C{None}
        @return: a C{Deferred} firing with the number of bytes written
            (C{int}), or failing with
            L{TransferError<openocpp.transfer.errors.TransferError>}.
        """

    def upload(url, source, file_name):
        """
        Send the file at C{source} to the location C{url} under the name
        C{file_name}.

        C{url} is a directory URI (GetDiagnostics's C{location}, OCPP 1.6
        5.6): for C{ftp://} the file is stored (STOR) as C{file_name} in
        that directory; for C{http://} and C{https://} the file's bytes are
        sent as the body of a C{PUT} to C{url} joined with C{/} and the
        percent-encoded C{file_name} (an HTTP server that wants
        C{multipart/form-data} instead is not served: see
        C{docs/chargepoint.md}).

        @param url: the directory location, an absolute URI.
        @type url: C{str}
        @param source: the path of the file to send; it is read in chunks.
        @type source: C{str}
        @param file_name: the name the file gets at the location (a plain
            name, no folders).
        @type file_name: C{str}
        @return: a C{Deferred} firing with C{None} once the server has
            confirmed it has the whole file (HTTP 2xx, FTP 226/250), or
            failing with
            L{TransferError<openocpp.transfer.errors.TransferError>}.
        """
