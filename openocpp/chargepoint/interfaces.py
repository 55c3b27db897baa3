"""
Interfaces of the Charge Point role.

Everything runs on the reactor thread; nothing may block (hand blocking work
to C{deferToThread}). Methods documented as returning a Deferred may be used
with C{await} inside C{ensureDeferred}, or with C{inlineCallbacks}.
"""

from twisted.application.service import IService
from zope.interface import Attribute, Interface


class IChargePointConfig(Interface):
    """
    How a charge point is set up: where it connects, as whom, where it keeps
    its data and what it tells the central system at boot. Implemented by
    L{openocpp.chargepoint.config.ChargePointConfig}; read by L{IChargePoint}
    when it is made and when it (re)connects.
    """

    url = Attribute(
        "The central system's OCPP-J endpoint URL, without the identity "
        "(C{ws://127.0.0.1:8080/openocpp}); the identity is appended as its "
        "last path segment, percent-encoded."
    )
    tls_url = Attribute(
        "The central system's C{wss://} URL for Security Profiles 2 and 3 when "
        "C{url} is a C{ws://} one (the profile raised from 0 or 1), or C{None}: "
        "then C{url} with its scheme switched to C{wss://}."
    )
    identity = Attribute("The charge point identity (C{CP001}).")
    security_profile = Attribute(
        "The Security Profile (0 to 3) to start with, until the central "
        "system raises it (the C{SecurityProfile} key)."
    )
    password = Attribute(
        "The HTTP Basic-auth password (AuthorizationKey) to start with, or "
        "C{None}; a value the central system sets replaces it."
    )
    ca_certificates = Attribute("PEM file of the CA(s) to verify the central system with, or C{None}.")
    client_certificate = Attribute("PEM file of the charge point certificate (profile 3), or C{None}.")
    client_key = Attribute("PEM file of its private key, or C{None} (then in the certificate file).")
    tls_ciphers = Attribute(
        "The TLS 1.2 cipher suites (an OpenSSL cipher string), or C{None}: the default ones "
        "(L{openocpp.transport.security.DEFAULT_CIPHERS})."
    )
    crl_folder = Attribute(
        "A folder of certificate revocation lists (PEM or DER files) the firmware signing "
        "certificate is checked against (L01.FR.25), or C{None}."
    )
    database = Attribute("The SQLite file of its state, or C{':memory:'}.")
    connectors = Attribute("The number of connectors (NumberOfConnectors), 1 or more.")
    call_timeout = Attribute(
        "Seconds to wait for an answer, until the MessageTimeout key says otherwise."
    )
    reconnect_initial_delay = Attribute("Seconds before the first reconnection attempt.")
    reconnect_max_delay = Attribute("The longest wait between reconnection attempts, in seconds.")
    security_profile_attempts = Attribute(
        "Connection attempts in a row with a raised SecurityProfile before the "
        "charge point falls back to the previous one (whitepaper A05.FR.08)."
    )
    boot_retry_interval = Attribute(
        "Seconds between BootNotification attempts when the central system "
        "gives no interval (0) or does not answer."
    )
    vendor = Attribute("chargePointVendor of the BootNotification.")
    model = Attribute("chargePointModel of the BootNotification.")
    charge_point_serial_number = Attribute("chargePointSerialNumber, or C{None}.")
    charge_box_serial_number = Attribute("chargeBoxSerialNumber, or C{None}.")
    firmware_version = Attribute("firmwareVersion, or C{None}.")
    iccid = Attribute("The modem's SIM card ICCID, or C{None}.")
    imsi = Attribute("The modem's SIM card IMSI, or C{None}.")
    meter_type = Attribute("The main meter's type, or C{None}.")
    meter_serial_number = Attribute("The main meter's serial number, or C{None}.")
    ocpp_ini = Attribute(
        "An INI file holding the OCPP configuration keys instead of the "
        "SQLite file, or C{None}."
    )
    plugins = Attribute("Dotted names of plugin modules to load (C{--plugin}).")
    download_folder = Attribute(
        "The folder firmware is downloaded to and diagnostics files are "
        "written in (made when first needed)."
    )
    download_max_bytes = Attribute("The largest firmware file downloaded, in bytes.")
    transfer_timeout = Attribute("Seconds a firmware download or diagnostics upload may take.")
    transfer_connect_timeout = Attribute("Seconds to connect to a transfer's server.")
    transfer_max_duration = Attribute(
        "Seconds a whole firmware download or diagnostics upload may take, however "
        "steadily data flows (3600)."
    )
    transfer_ca_certificates = Attribute(
        "PEM file of the CA(s) HTTPS transfers (firmware downloads, diagnostics "
        "uploads) verify servers with, or C{None}: the platform's trusted CAs."
    )
    supply_voltage = Attribute(
        "Volts per phase for Smart Charging's conversions between amperes and "
        "watts, unless the hook openocpp_cp_supply_voltage answers (230)."
    )
    supply_phases = Attribute(
        "The phases the charger is wired with, 1 or 3 (3: a charging schedule "
        "period of 1 phase needs ConnectorSwitch3to1PhaseSupported)."
    )
    max_current = Attribute(
        "The charger's maximum in amperes per phase, the limit where no "
        "charging profile applies; C{None}: no limit there."
    )


class IOcppConfig(Interface):
    """
    The OCPP configuration keys of a charge point (OCPP 1.6 chapter 9, its
    errata and the Security Whitepaper) and those plugins register, with
    their values (strings, as on the wire).

    Implemented by L{openocpp.chargepoint.ocppconfig.OcppConfig} (kept in
    the SQLite file) and L{openocpp.chargepoint.ocppconfig.IniOcppConfig};
    used by L{IChargePoint} for GetConfiguration and ChangeConfiguration,
    and by everything its keys govern.
    """

    supported_measurands = Attribute(
        "The measurands the meter supports (a set of names), or C{None} for "
        "no check: MeterValues*Data and StopTxn*Data lists naming others are "
        "rejected."
    )

    def definition(key):
        """
        Key names are matched in any case (CiString50Type), here and in
        every method taking one.

        @return: the L{openocpp.chargepoint.keys.KeyDefinition} of C{key},
            or C{None} if there is no such key.
        """

    def definitions():
        """
        @return: the definitions of every key, standard ones first.
        """

    def get(key):
        """
        @return: the value of C{key} (a string), or C{None} if there is no
            such key.
        """

    def integer(key):
        """
        @return: the value of an integer key as an C{int}.
        @raise KeyError: no such key.
        """

    def boolean(key):
        """
        @return: the value of a boolean key as a C{bool}.
        @raise KeyError: no such key.
        """

    def items(key):
        """
        @return: the items of a comma separated list key (a list of strings).
        @raise KeyError: no such key.
        """

    def register(definition):
        """
        Add a key of a plugin's own.

        @param definition: its L{openocpp.chargepoint.keys.KeyDefinition}.
        @raise ValueError: a key with that name exists.
        """

    def validate(key, value):
        """
        Tell what ChangeConfiguration would answer, without changing anything.

        @return: (a L{openocpp.messages.enums.ConfigurationStatus}, why it is
            not accepted or C{None}).
        """

    def change(key, value):
        """
        ChangeConfiguration: set C{key} if the rules allow it (it exists, is
        writable, the value has the right type, range and length).

        @return: the L{openocpp.messages.enums.ConfigurationStatus}:
            C{Accepted}, C{RebootRequired}, C{Rejected} or C{NotSupported}.
        """

    def set(key, value):
        """
        Set a key from the charge point itself, read-only ones included.

        @raise KeyError: no such key.
        @raise ValueError: the value does not fit the key's type.
        """

    def reset():
        """
        Forget every value set: every key goes back to its default.
        """

    def observe(key, observer):
        """
        Subscribe to a key: C{observer(key, value)} is called (on the
        reactor thread) each time it is L{announce}d. The collaborator that
        owns a key (the heartbeat its interval, the connection its security
        settings, a plugin its own keys) subscribes to it.

        @param key: a key name, in any case; it need not exist yet.
        """

    def announce(key, value):
        """
        Tell a key's observers that it changed (the charge point does, once
        a ChangeConfiguration.conf accepting it has been sent). An observer
        that raises is logged; the others are still told.
        """


class IChargePoint(IService):
    """
    An OCPP 1.6-J charge point: the service that keeps the connection to the
    central system, registers, reports statuses and meter values, runs
    transactions through a persistent queue, and answers the central
    system's requests with the help of the C{openocpp_cp_*} hooks.

    Implemented by L{openocpp.chargepoint.service.ChargePoint}; called by
    the charger's firmware, a simulator or plugins. Connector numbers go from
    1 to C{NumberOfConnectors}; 0 is the charge point as a whole.
    """

    config = Attribute("The L{IChargePointConfig}.")
    ocpp_config = Attribute("The L{IOcppConfig}.")
    plugins = Attribute("The C{pluggy.PluginManager} of its hooks.")
    clock = Attribute("The C{twisted.internet.interfaces.IReactorTime} it runs on.")
    connected = Attribute("Whether a connection to the central system is open.")
    online = Attribute(
        "Whether requests may be sent: the service runs, connected, and the "
        "central system accepted the charge point."
    )
    connector_count = Attribute("NumberOfConnectors: connectors go from 1 to it.")
    log_frames = Attribute("Whether every OCPP frame in and out is logged, one debug line each.")
    answers = Attribute(
        "A dict, action -> the response every request of that action gets instead of the "
        "charge point's own answer (a simulator's chosen status); empty by default."
    )
    metrics = Attribute(
        "The L{openocpp.metrics.Metrics} of C{--metrics-listen}, or C{None}."
    )
    trace = Attribute(
        "The frame observer tracing every frame (C{--trace}: an L{openocpp.trace.TraceWriter}), or C{None}."
    )
    store = Attribute(
        "The L{openocpp.chargepoint.store.ChargePointStore}, its SQLite file. "
        "Plugins keep their own state there with C{get_meta(key, default)} and "
        "C{set_meta(key, value)} (JSON values; name keys after the plugin); "
        "the rest of it is the charge point's. Open while the service runs."
    )

    def handler_factory(connection):
        """
        Make the L{openocpp.transport.interfaces.IConnectionHandler} of a
        new connection to the central system: the transport calls it, and
        so does firmware handing the charge point connections of its own
        (made with C{connect=False}).
        """

    def call_later(delay, function, *args):
        """
        Call C{function(*args)} in C{delay} seconds on the charge point's
        clock, unless the service stops first: nothing scheduled so
        outlives it.

        @return: the C{twisted.internet.interfaces.IDelayedCall}.
        """

    def restart():
        """
        Stop and start the service again, as after a reboot: a new
        BootNotification follows, what was persisted (the queue, the
        transactions, the connectors) goes on.

        @return: a Deferred firing once started again.
        """

    def transaction_record(connector):
        """
        @return: the L{openocpp.chargepoint.store.TransactionRecord} of the
            transaction running on a connector (its C{local_id},
            C{id_tag}, C{meter_start}, C{transaction_id}, ...), or C{None}
            when none runs.
        """

    def startable(connector, id_tag=None):
        """
        @param id_tag: the idTag that would start, or C{None} for any.
        @return: whether a transaction may start on a connector now: it and
            the charge point are Operative, no transaction runs or is
            starting on it, it is neither Faulted nor Unavailable, and no
            reservation keeps it for another idTag (a reserved connector is
            never startable for C{None}; for an idTag whose parent might be
            the reservation's, L{start_transaction} decides).
        """

    def has_charge_point_certificate():
        """
        @return: whether a charge point certificate (one CertificateSigned
            installed, valid now, or a configured one) exists: what
            SecurityProfile 3 needs.
        """

    def sign_certificate(triggered=False):
        """
        Make a new key pair and send its CSR with SignCertificate.req
        (Security Whitepaper A02/A03); the key stays in the charge point.

        @return: a Deferred firing with the SignCertificate.conf.
        """

    def reservation(connector):
        """
        The reservation a connector is kept for (what a charger shows, an
        LED say; the C{openocpp_cp_reservation_changed} hook tells of every
        change).

        @param connector: 1 to NumberOfConnectors; 0 for the first
            reservation of no specific connector (ReserveConnectorZeroSupported).
        @return: a L{openocpp.chargepoint.reservations.Reservation}
            (C{reservation_id}, C{connector_id}, C{id_tag}, C{parent_id_tag},
            C{expiry_date}), or C{None}.
        """

    def now():
        """
        @return: the charge point's time: an aware UTC C{datetime}, set from
            the central system's when it tells it (unless a plugin sets the
            system clock instead).
        """

    def registration_status():
        """
        @return: a Deferred firing with the
            L{openocpp.messages.enums.RegistrationStatus} of the last
            BootNotification.conf, or C{None} before any was received.
        """

    def status_notification(connector, status, error_code="NoError", info=None, vendor_id=None, vendor_error=None):
        """
        Set a connector's status (and error), persist it, and report it to
        the central system once it has lasted MinimumStatusDuration (at once
        when 0), or when registered if not yet.

        @param connector: 0 to NumberOfConnectors.
        @param status: a L{openocpp.messages.enums.ChargePointStatus} (or its
            value); connector 0 only takes Available, Unavailable, Faulted.
        @param error_code: a L{openocpp.messages.enums.ChargePointErrorCode}.
        @param info: free text, at most 50 characters.
        @param vendor_id: identifies the vendor of C{vendor_error}.
        @param vendor_error: a vendor-specific error code.
        @return: a Deferred firing with C{None} once persisted, or failing
            with C{ValueError} for an invalid connector or status.
        """

    def connector_status(connector):
        """
        @return: a Deferred firing with the connector's current
            L{openocpp.messages.enums.ChargePointStatus}.
        """

    def authorize(connector, id_tag):
        """
        Authorize an idTag presented at a connector, by the rules of section
        3.5: local list and Authorization Cache (LocalPreAuthorize online,
        LocalAuthorizeOffline offline), Authorize.req when online,
        AllowOfflineTxForUnknownId for unknown ones offline.

        @return: a Deferred firing with (L{AuthorizationStatus}, parent
            idTag or C{None}), or failing with C{ValueError} for an unknown
            connector or an idTag longer than 20 characters.
        """

    def start_transaction(connector, id_tag, reservation_id=None):
        """
        Start a transaction on a connector now, the idTag being authorized:
        the meter start is read, the StartTransaction.req is written to the
        persistent queue and sent when possible; sampled meter values start.
        A start that ends a reservation (the idTag, or its parent, is the
        reservation's) carries its reservationId, whatever
        C{reservation_id} says, and ends it.

        @return: a Deferred firing with the idTag's
            L{AuthorizationStatus}: the central system's when it answers in
            this connection within MessageTimeout, C{Accepted} when the
            request stays queued (offline, not registered, not answered in
            time: a refusal arriving later still applies
            StopTransactionOnInvalidId). Fails with
            L{openocpp.chargepoint.errors.TransactionError} when the
            connector has a transaction already, is inoperative, is reserved
            for another idTag, or is the last free one a reservation of
            connector 0 keeps, with
            C{ValueError} when the request could never be sent (an idTag
            longer than 20 characters); nothing is persisted then.
        """

    def stop_transaction(connector, id_tag=None, reason=None):
        """
        Stop the transaction running on a connector: the meter stop is read,
        and the StopTransaction.req (with StopTxnSampledData and
        StopTxnAlignedData values) is queued. A scheduled availability
        change then takes effect.

        @param reason: a L{openocpp.messages.enums.Reason}, or C{None} for
            a normal (Local) stop.
        @return: a Deferred firing with C{True}, or C{False} when no
            transaction runs on the connector; failing with C{ValueError}
            (the transaction goes on) when the request could never be sent
            (an idTag longer than 20 characters, an unknown reason).
        """

    def send_meter_values(connector, values):
        """
        Send meter values of a connector taken by the firmware: through the
        transaction queue (with the transaction id) when a transaction runs
        on it, else at once.

        @param values: a list of L{openocpp.messages.datatypes.MeterValue}.
        @return: a Deferred firing with C{True} once queued or answered,
            C{False} when it could not be sent; failing with C{ValueError}
            when the values do not make a valid MeterValues.req (none at
            all, say).
        """

    def data_transfer(vendor_id, message_id=None, data=None):
        """
        Send a DataTransfer.req.

        @return: a Deferred firing with the C{DataTransferResponse}, or
            failing with L{openocpp.chargepoint.errors.NotConnected},
            L{openocpp.chargepoint.errors.NotAccepted} or an RPC error.
        """

    def transaction_id(connector):
        """
        @return: the central system's id of the transaction running on the
            connector (-1 when its start could not be delivered, C{None}
            while it is not known yet or when none runs).
        """

    def charging_limit(connector):
        """
        The limit Smart Charging lets a connector draw now, as last told
        through C{openocpp_cp_charging_limit_changed} (for a plugin that
        joins later, or reads it when it wants).

        @return: C{(limit, unit, number_phases)}: C{(None, None, None)} when
            nothing limits it.
        """

    def security_event(kind, tech_info=None, critical=None):
        """
        Raise a security event (Security Whitepaper chapter 8) the
        application detected (TamperDetectionActivated, MemoryExhaustion,
        AttemptedReplayAttacks, or one of its own): it goes in the security
        log and, when critical, to the central system with
        SecurityEventNotification.req through the persistent queue (never
        lost offline).

        @param kind: the event's type (1 to 50 characters).
        @param tech_info: more about it (cut to 255 characters).
        @param critical: whether it is sent; default: the whitepaper's
            table (an unknown type: not critical).
        @raise ValueError: for a type that is empty or too long.
        """

    def reset_data():
        """
        Forget everything persisted (configuration, statuses, cache,
        transactions, queued messages). Only while the service is stopped.

        @return: a Deferred firing with C{None}.
        """

    def reset_connector_data():
        """
        Forget the persisted statuses and availability of every connector.
        Only while the service is stopped.

        @return: a Deferred firing with C{None}.
        """


class IPrivateKeyKeeper(Interface):
    """
    Keeps the charge point's private keys outside the stack's database (a
    secure element, an OS keyring, an encrypted file), for sites that want
    them there (Security Whitepaper edition 2, A02.FR.05: the key never
    leaves the charge point). A plugin provides one with the
    L{openocpp.hookspecs.openocpp_cp_private_key_keeper} hook; without one
    the stack keeps the keys in its SQLite file.

    The stack stores the reference L{keep} returns where it would store the
    key: the key of the CSR waiting for its CertificateSigned.req, then that
    of the charge point certificate. Methods are called on the reactor
    thread and must answer at once.
    """

    def keep(pem):
        """
        Keep a new private key.

        @param pem: the key, PKCS#8 PEM (C{str}).
        @return: a reference (C{str}, not beginning with C{-----BEGIN}) that
            L{load} takes to give the key back; not the key itself, nor
            anything it can be derived from.
        @raise Exception: the key cannot be kept (logged; no CSR is sent).
        """

    def load(reference):
        """
        Give a key back, when the stack needs it: to check a
        CertificateSigned.req against the CSR's key, to build the TLS
        context of a profile-3 connection.

        @param reference: what L{keep} returned.
        @return: the key, PEM (C{str}).
        @raise Exception: the key is not available (logged once per use; the
            certificate is treated as unusable).
        """

    def forget(reference):
        """
        Optional (a keeper without it is not told): the key is no longer
        needed (its CSR was replaced, its certificate removed).

        @param reference: what L{keep} returned.
        """
