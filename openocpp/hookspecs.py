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
  - notification hooks (neither C{firstresult} nor C{historic}: what they
    return is ignored) tell each plugin on its own, through pluggy (see
    L{openocpp.plugins.notify}): one that fails is logged with its name and
    the others are told; a wrapper wraps each plugin's delivery;
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
    @param peer: its address (C{IAddress}); on the plain listener beside a
        TLS one (C{--listen-plain}) it also has C{listener_profile}, that
        listener's least Security Profile.
    @return: C{True} to let it in, C{False} to refuse it (HTTP 401), or
        raise L{openocpp.transport.security.AuthenticationRefused} to refuse
        it with a status and reason of its own.  Every answer is rate
        limited by the central system: refusals of a presented password
        count as failed attempts.
    """


@hookspec(firstresult=True)
def openocpp_cs_certificate_identity(certificate, identity, peer):
    """
    Name the charge point a TLS client certificate belongs to (Security
    Profile 3), for sites whose certificates do not carry the identity as
    their CN (a serial number, another naming scheme).  Asked for every
    connection presenting a certificate, after TLS verified it against the
    CA and before C{openocpp_cs_check_credentials}.

    @param certificate: the client certificate
        (C{twisted.internet.ssl.Certificate}).
    @param identity: the identity the charge point connects as (its URL's).
    @param peer: its address (C{IAddress}).
    @return: the identity the certificate stands for (it must be
        C{identity}, else HTTP 403), or C{None}: the default, the subject's
        CN must be C{identity} when the C{certificate_names_identity}
        option is on (it is by default).
    """


@hookspec(firstresult=True)
def openocpp_cs_certificate_revoked(certificate, identity, peer):
    """
    Whether a charge point's client certificate (Security Profile 3) is
    revoked, for sites whose CA is another server (A00.FR.702 to 704: the
    validity checked with the certificate authority server, e.g. OCSP).
    Asked for every connection presenting a certificate, after TLS verified
    it against the CA and L{openocpp_cs_certificate_identity}; the
    certificates the central system issued itself and an operator revoked
    are refused before it is asked.

    @param certificate: the client certificate
        (C{twisted.internet.ssl.Certificate}).
    @param identity: the identity the charge point connects as.
    @param peer: its address (C{IAddress}).
    @return: C{True}: revoked, the connection is refused (HTTP 403, a
        security event of the central system); C{False} or C{None} (the
        default): not revoked; or a Deferred of one.  A failure refuses the
        handshake with 503 (the charge point tries again later).
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


@hookspec
def openocpp_cs_request_handled(charge_point, request, response):
    """
    A request from a charge point was answered: for observers (live
    dashboards, metrics, audit logs). Called after the answer was decided,
    whichever plugin decided it; what it returns is ignored, and an
    implementation that raises is logged without touching the answer.

    @param charge_point: the proxy of the charge point that sent it.
    @param request: the typed request.
    @param response: the typed response sent back.
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


@hookspec
def openocpp_cs_operator_change(change):
    """
    An operator changed what the central system stores (through its
    methods: the web API, or a program embedding it), and the change is
    committed: for observers (live dashboards, audit logs, pushing an id
    tag to a local list). What it returns is ignored; an implementation
    that raises is logged.

    @param change: the L{openocpp.centralsystem.service.OperatorChange}:
        its C{kind} (C{"chargePointRegistered"},
        C{"chargePointUnregistered"}, C{"idTagSet"}, C{"idTagRemoved"};
        C{"localListSent"}, C{"reservationMade"}, C{"reservationCancelled"}
        once a charge point accepted them), C{key} (the identity, or the
        id tag as stored), C{created} (a record that did not exist
        before), and C{record}: for id tags the
        L{openocpp.centralsystem.store.IdTagRecord} now stored (or None),
        for local lists and reservations the operation's outcome.
    """


# --- Charge point -----------------------------------------------------------
#
# Every hook gets C{charge_point}, the L{openocpp.chargepoint.interfaces.
# IChargePoint} calling it, so that a plugin can act on it (start a
# transaction, report a status, read its OCPP configuration). The built-in
# plugin (L{openocpp.chargepoint.behaviour}) answers every decision hook
# with a simulated charger and meter, so a charge point runs with no plugin.


@hookspec
def openocpp_cp_connection_changed(charge_point, connected):
    """
    The connection to the central system opened (C{connected} true) or
    closed.
    """


@hookspec
def openocpp_cp_registration_changed(charge_point, status):
    """
    A BootNotification.conf changed the registration status (a
    L{openocpp.messages.enums.RegistrationStatus}).
    """


@hookspec(firstresult=True)
def openocpp_cp_set_time(charge_point, current_time):
    """
    The central system told its time (BootNotification.conf, Heartbeat.conf).

    @param current_time: an aware UTC C{datetime}.
    @return: C{True} when the plugin set the system clock itself; the
        default keeps an offset that L{IChargePoint.now} applies.
    """


@hookspec(firstresult=True)
def openocpp_cp_supported_measurands(charge_point):
    """
    @return: the names of the measurands the meter supports (a collection of
        L{openocpp.messages.enums.Measurand} values); configuration lists
        naming others are rejected.
    """


@hookspec(firstresult=True)
def openocpp_cp_meter_value(charge_point, connector, measurand, phase, context):
    """
    Read a measurand.

    @param connector: 0 (the main meter) to NumberOfConnectors.
    @param measurand: a L{openocpp.messages.enums.Measurand}.
    @param phase: a L{openocpp.messages.enums.Phase} the configuration asked
        for (C{Voltage.L1}), or C{None}.
    @param context: the L{openocpp.messages.enums.ReadingContext}.
    @return: C{None} when not measured there; else the value (a number or
        string, in the measurand's default unit: Wh, W, A, V, ...), a
        L{openocpp.messages.datatypes.SampledValue}, or a list of them (one
        per phase or location).
    """


@hookspec(firstresult=True)
def openocpp_cp_change_availability(charge_point, connector, operative):
    """
    The central system asks to make a connector (0: the whole charge point)
    operative or inoperative.

    @return: C{False} to reject the request, C{True} to accept it.
    """


@hookspec
def openocpp_cp_availability_changed(charge_point, connector, operative):
    """
    A connector became operative or inoperative (after a ChangeAvailability,
    at once or when its transaction ended). A ChangeAvailability of
    connector 0 calls it for connector 0 and for each connector whose own
    availability it changed.
    """


@hookspec(firstresult=True)
def openocpp_cp_remote_start(charge_point, connector, id_tag, charging_profile):
    """
    The central system asks to start a transaction (RemoteStartTransaction),
    on a connector free and operative.

    @param charging_profile: the L{openocpp.messages.datatypes.
        ChargingProfile} to charge with (TxProfile), or C{None}.
    @return: C{False} to reject the request, C{True} to accept it.
    """


@hookspec(firstresult=True)
def openocpp_cp_start_charging(charge_point, connector, id_tag, charging_profile):
    """
    An accepted remote start was authorized (or needs no authorization):
    start the transaction (when the EV is plugged in) with
    C{charge_point.start_transaction(connector, id_tag)} and report the
    connector's statuses.

    @return: C{True} once handled.
    """


@hookspec(firstresult=True)
def openocpp_cp_remote_stop(charge_point, connector, transaction_id):
    """
    The central system asks to stop the transaction on a connector
    (RemoteStopTransaction).

    @return: C{False} to reject the request, C{True} to accept it (the
        charge point then stops the transaction, see
        L{openocpp_cp_stop_charging}).
    """


@hookspec
def openocpp_cp_stop_charging(charge_point, connector, reason):
    """
    The charge point stopped the transaction on a connector by itself
    (remote stop, reset, unlock, deauthorized idTag): stop the energy,
    unlock the cable and report the connector's new status.

    @param reason: the L{openocpp.messages.enums.Reason}.
    """


@hookspec
def openocpp_cp_connection_timeout(charge_point, connector):
    """
    A connector was Preparing for ConnectionTimeOut seconds and no
    transaction started: cancel the incipient usage and report the
    connector's status (Available, or Finishing while a cable stays plugged
    in, errata 3.20).
    """


@hookspec
def openocpp_cp_transaction_deauthorized(charge_point, connector, status):
    """
    The central system did not accept the idTag of the transaction running
    on a connector, and StopTransactionOnInvalidId is false: stop the energy
    delivery (the transaction goes on).

    @param status: the L{openocpp.messages.enums.AuthorizationStatus}.
    """


@hookspec
def openocpp_cp_reservation_changed(charge_point, connector, reservation_id, id_tag, state):
    """
    A reservation was made, replaced or ended (a charger may light an LED):
    the stack has already set the connector's status (Reserved, then
    Available, or Preparing when used).

    @param connector: the connector reserved; 0 for any connector.
    @param reservation_id: the central system's id of the reservation.
    @param id_tag: the idTag it is (was) for.
    @param state: a L{openocpp.chargepoint.reservations.ReservationState}
        (a string): C{"reserved"} (made, or replaced by a ReserveNow of the
        same id), C{"cancelled"} (CancelReservation, moved to another
        connector, or its connector Faulted or Unavailable), C{"expired"}
        (its expiryDate reached, also while the charge point was stopped),
        C{"used"} (its idTag started a transaction).
    """


@hookspec(firstresult=True)
def openocpp_cp_reset_allowed(charge_point, type):
    """
    The central system asks for a reset.

    @param type: the L{openocpp.messages.enums.ResetType}.
    @return: C{False} to reject it, C{True} to accept it.
    """


@hookspec(firstresult=True)
def openocpp_cp_reset(charge_point, type):
    """
    Reset now: the transactions were stopped (reason SoftReset or HardReset)
    and their StopTransaction.req queued. The default restarts the charge
    point service (a new BootNotification follows).

    @return: C{True} once handled.
    """


@hookspec(firstresult=True)
def openocpp_cp_unlock_connector(charge_point, connector):
    """
    Unlock a connector's cable (its transaction, if any, was stopped).

    @return: an L{openocpp.messages.enums.UnlockStatus}.
    """


@hookspec(firstresult=True)
def openocpp_cp_data_transfer(charge_point, vendor_id, message_id, data):
    """
    Answer a DataTransfer.req from the central system.

    @return: a C{DataTransferResponse}, or a L{DataTransferStatus} (with no
        data), or (status, data).
    """


@hookspec(historic=True)
def openocpp_cp_configuration_keys(charge_point):
    """
    @return: the L{openocpp.chargepoint.keys.KeyDefinition}s of the plugin's
        own configuration keys (a list), registered when the charge point is
        made; a plugin registered later is asked when it is registered (a
        historic hook: it cannot be a wrapper). A key that already exists
        is refused with C{ValueError}, raised by the charge point's
        constructor or, for a later plugin, by C{register}.
    """


@hookspec(firstresult=True)
def openocpp_cp_validate_configuration(charge_point, key, value):
    """
    A ChangeConfiguration passed the key's own rules: may it be applied?

    @return: C{False} to reject it, C{True} to accept it.
    """


@hookspec
def openocpp_cp_configuration_changed(charge_point, key, value):
    """
    A configuration key was changed by the central system.
    """


@hookspec(firstresult=True)
def openocpp_cp_diagnostics_status(charge_point):
    """
    @return: the L{openocpp.messages.enums.DiagnosticsStatus} to report when
        the central system triggers a DiagnosticsStatusNotification, or
        C{None} (the default): the charge point's own (Uploading while an
        upload runs, else Idle).
    """


@hookspec(firstresult=True)
def openocpp_cp_firmware_status(charge_point):
    """
    @return: the L{openocpp.messages.enums.FirmwareStatus} to report when
        the central system triggers a FirmwareStatusNotification, or
        C{None} (the default): the charge point's own (Downloading,
        Downloaded, Installing while an update runs, else Idle).
    """


@hookspec(firstresult=True)
def openocpp_cp_certificate_revoked(charge_point, certificate, purpose):
    """
    Whether a certificate the charge point checks itself is revoked, for
    sites that verify online (an OCSP responder, a service of their own):
    asked after the certificate verified and no installed CRL revokes it
    (L{openocpp.chargepoint.revocation}).  A revoked firmware signing
    certificate is answered RevokedCertificate (L01.FR.25).

    @param certificate: the C{cryptography.x509.Certificate}.
    @param purpose: what it is for: C{"FirmwareSigningCertificate"}.
    @return: C{True} (revoked), C{False} (not revoked), or C{None} (the
        default: not known, taken as not revoked); or a Deferred of one.  A
        failure is logged and taken as not revoked.
    """


@hookspec(firstresult=True)
def openocpp_cp_install_firmware(charge_point, path, location):
    """
    Install a downloaded firmware (UpdateFirmware). Called once no
    transaction runs; Installing was reported.

    @param path: the downloaded file.
    @param location: the URL it came from.
    @return: an L{openocpp.chargepoint.firmware.InstallResult} (or a
        Deferred of one): C{InstallResult.installed(version)},
        C{InstallResult.failed(reason)},
        C{InstallResult.verification_failed(reason)} (its own check of the
        firmware failed, nothing installed: InstallVerificationFailed for a
        SignedUpdateFirmware, InstallationFailed for an UpdateFirmware), or
        C{InstallResult.reboot(version)}
        to have the charge point reboot (through the Reset machinery:
        L{openocpp_cp_reset} with a Hard reset) and report Installed once it
        is accepted again. C{True} and C{False} mean installed and failed.
        An installation that itself restarts the machine must answer
        C{reboot} first: one interrupted before answering is reported
        InstallationFailed after the restart. The version, when given, is
        the firmwareVersion of the next BootNotification.req.
    """


@hookspec(firstresult=True)
def openocpp_cp_diagnostics_file(charge_point, start_time, stop_time):
    """
    Provide the diagnostics file a GetDiagnostics asks for.

    @param start_time: the oldest information wanted (an aware datetime), or
        C{None}.
    @param stop_time: the latest information wanted, or C{None}.
    @return: the path of the file to upload (its name is the answer's
        fileName; the file is left in place), C{False} when there is no
        diagnostics information (the answer has no fileName), or C{None}
        for the default file (a zip of the charge point's recent logs and
        of its database, see L{openocpp.chargepoint.diagnostics}).
    """


# --- Charge point: local authorization list ---------------------------------


@hookspec
def openocpp_cp_local_list_changed(charge_point, version):
    """
    The central system changed the local authorization list (a
    SendLocalList accepted, Full or Differential).

    @param version: the list's version now, as GetLocalListVersion answers
        it (0 when the update left the list empty).
    """


@hookspec
def openocpp_cp_charging_limit_changed(charge_point, connector_id, limit, unit, number_phases):
    """
    The limit a connector may draw changed (Smart Charging, OCPP 1.6
    section 3.13): a charging profile was installed or cleared, a
    transaction started or stopped, or the composite schedule reached a
    period boundary. Told only when the limit really changed; before the
    first call a connector has no limit.

    @param connector_id: the connector (1 or more).
    @param limit: the most it may draw now, in C{unit}; C{None}: no limit
        (no profile applies and the charger has no configured maximum).
    @param unit: a L{openocpp.messages.enums.ChargingRateUnitType} (C{A}:
        amperes per phase, C{W}: watts), or C{None} with no limit.
    @param number_phases: the phases to charge on (C{None}: 3, the
        default of ChargingSchedulePeriod.numberPhases).
    """


@hookspec(firstresult=True)
def openocpp_cp_supply_voltage(charge_point, connector):
    """
    The voltage per phase a connector is supplied with, for converting
    between amperes and watts in Smart Charging.

    @param connector: the connector (0: the charge point's supply).
    @return: volts (a positive number), or C{None} for the charge point's
        configured C{supply_voltage} (230 V by default).
    """


# --- Charge point: security ---------------------------------------------------


@hookspec
def openocpp_cp_security_event(charge_point, kind, tech_info, critical, timestamp):
    """
    A security event happened (the stack's or the application's, see
    L{openocpp.chargepoint.interfaces.IChargePoint.security_event}): an
    application keeping its own security log (C{SecurityLogMaxEntriesCount}
    0) stores it here.

    @param kind: the event's type (e.g. C{"StartupOfTheDevice"}).
    @param tech_info: more about it, or C{None}.
    @param critical: whether it is sent to the central system.
    @param timestamp: when (an aware datetime, the charge point's time).
    """


@hookspec(firstresult=True)
def openocpp_cp_private_key_keeper(charge_point):
    """
    Where the charge point's private keys are kept (the key of a CSR sent
    with SignCertificate.req, then of its charge point certificate).

    @return: an L{openocpp.chargepoint.interfaces.IPrivateKeyKeeper}, or
        C{None} (the default): the stack keeps the keys in its SQLite file.
        Asked each time a key is kept or needed; a reference stored while a
        keeper was registered needs one to be read back (without it the key
        is unavailable, logged).
    """


@hookspec(firstresult=True)
def openocpp_cp_security_log_file(charge_point, oldest_timestamp, latest_timestamp):
    """
    Provide the security log a GetLog(SecurityLog) asks for, when the stack
    keeps none (C{SecurityLogMaxEntriesCount} 0); with a log kept by the
    stack, the plugin may still replace it.

    @param oldest_timestamp: the oldest entry wanted (an aware datetime),
        or C{None}.
    @param latest_timestamp: the latest entry wanted, or C{None}.
    @return: the path of the file to upload (left in place), C{False} when
        there is no log (GetLog answers Rejected), or C{None} for the
        stack's own CSV file.
    """
