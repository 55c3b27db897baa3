"""
The hooks a site plugin may implement, for both roles.

A plugin is a module (or an object) whose functions carry the
L{openocpp.hookimpl} marker and are named after the hooks below. Plugins are
found through the C{openocpp} entry-point group of installed packages, or
named on the command line (C{--plugin module.path}).

Rules common to every hook:
  - hooks are called with keyword arguments; an implementation may declare
    only the arguments it needs;
  - decision hooks are C{firstresult}: the most recently registered plugin
    that returns something other than C{None} decides, and C{None} means "no
    opinion" (the next plugin, finally the built-in behaviour, decides);
  - an implementation may return its answer or a Deferred firing with it (a
    Deferred is an answer: to have no opinion, return C{None} at once);
  - hooks run on the reactor thread and must not block: hand blocking work
    to C{twisted.internet.threads.deferToThread}.
"""

from pluggy import HookimplMarker, HookspecMarker

#: Marks a hook specification of openocpp.
hookspec = HookspecMarker("openocpp")

#: Marks a plugin's implementation of an openocpp hook.
hookimpl = HookimplMarker("openocpp")


# --- Central system -------------------------------------------------------
#
# In each request hook, C{charge_point} is the
# L{openocpp.centralsystem.interfaces.IChargePointProxy} of the connection the
# request came on, and C{request} the typed request; the answer is the typed
# response (or a Deferred of it). Raising
# L{openocpp.rpc.errors.CallError} answers with that CALLERROR.


@hookspec(firstresult=True)
def openocpp_cs_check_credentials(identity, password, certificate, peer):
    """
    Decide whether a charge point may connect.

    @param identity: the charge point identity from the URL.
    @param password: the HTTP Basic-auth password (its AuthorizationKey), or
        C{None} when it sent none.
    @param certificate: its TLS client certificate
        (C{twisted.internet.ssl.Certificate}), or C{None}.
    @param peer: its address (C{IAddress}).
    @return: C{True} to let it in, C{False} to refuse it (HTTP 401).
    """


@hookspec
def openocpp_cs_charge_point_connected(charge_point):
    """
    A charge point connected (after its credentials were accepted).
    """


@hookspec
def openocpp_cs_charge_point_disconnected(charge_point):
    """
    A charge point's connection closed (also when a newer connection with
    the same identity replaced it). Its proxy can no longer send requests.
    """


@hookspec(firstresult=True)
def openocpp_cs_authorize(charge_point, request):
    """
    Answer an Authorize.req with an C{AuthorizeResponse}.
    """


@hookspec(firstresult=True)
def openocpp_cs_boot_notification(charge_point, request):
    """
    Answer a BootNotification.req with a C{BootNotificationResponse}
    (Accepted, Pending or Rejected, the heartbeat interval and the time).
    """


@hookspec(firstresult=True)
def openocpp_cs_data_transfer(charge_point, request):
    """
    Answer a DataTransfer.req from a charge point with a
    C{DataTransferResponse}.
    """


@hookspec(firstresult=True)
def openocpp_cs_diagnostics_status_notification(charge_point, request):
    """
    Answer a DiagnosticsStatusNotification.req.
    """


@hookspec(firstresult=True)
def openocpp_cs_firmware_status_notification(charge_point, request):
    """
    Answer a FirmwareStatusNotification.req.
    """


@hookspec(firstresult=True)
def openocpp_cs_heartbeat(charge_point, request):
    """
    Answer a Heartbeat.req with the central system's time.
    """


@hookspec(firstresult=True)
def openocpp_cs_meter_values(charge_point, request):
    """
    Answer a MeterValues.req (after storing the values, for the default).
    """


@hookspec(firstresult=True)
def openocpp_cs_start_transaction(charge_point, request):
    """
    Answer a StartTransaction.req with the transaction id and the idTag's
    status. The transaction must be durable before the answer goes out.
    """


@hookspec(firstresult=True)
def openocpp_cs_status_notification(charge_point, request):
    """
    Answer a StatusNotification.req.
    """


@hookspec(firstresult=True)
def openocpp_cs_stop_transaction(charge_point, request):
    """
    Answer a StopTransaction.req (its idTagInfo, when it carries an idTag).
    """


@hookspec(firstresult=True)
def openocpp_cs_log_status_notification(charge_point, request):
    """
    Answer a LogStatusNotification.req.
    """


@hookspec(firstresult=True)
def openocpp_cs_security_event_notification(charge_point, request):
    """
    Answer a SecurityEventNotification.req.
    """


@hookspec(firstresult=True)
def openocpp_cs_sign_certificate(charge_point, request):
    """
    Answer a SignCertificate.req (Accepted when the CSR will be signed and
    sent back with CertificateSigned).
    """


@hookspec(firstresult=True)
def openocpp_cs_signed_firmware_status_notification(charge_point, request):
    """
    Answer a SignedFirmwareStatusNotification.req.
    """
