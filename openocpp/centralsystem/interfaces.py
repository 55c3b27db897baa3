"""
Interfaces of the Central System role.

Everything runs on the reactor thread; nothing may block (hand blocking work
to C{deferToThread}). Methods documented as returning a Deferred may be used
with C{await} inside C{ensureDeferred}, or with C{inlineCallbacks}.
"""

from zope.interface import Attribute, Interface

from twisted.application.service import IService


class ICentralSystemConfig(Interface):
    """
    How a central system is set up. Implemented by
    L{openocpp.centralsystem.config.CentralSystemConfig}; read by
    L{ICentralSystem} when it starts.
    """

    listen = Attribute(
        "A Twisted server endpoint string to listen on "
        "(C{tcp:8080:interface=127.0.0.1}, C{ssl:8443:privateKey=...})."
    )
    security_profile = Attribute(
        "The least Security Profile every charge point on the listener must meet, 0 to 3 "
        "(a charge point's registered profile may ask more); a TLS listener is at least 2."
    )
    listen_plain = Attribute(
        "A second endpoint string, plain (C{tcp:8080:interface=127.0.0.1}), listened on beside a TLS "
        "C{listen}, for the charge points of profiles 0 and 1 (those registered for 2 or 3 are refused "
        "there); or None: one listener."
    )
    listen_plain_profile = Attribute(
        "The least Security Profile on C{listen_plain}: 1 (HTTP Basic, the default) or 0."
    )
    tls_key = Attribute("PEM file of the server's TLS private key (profiles 2, 3), or None.")
    tls_certificate = Attribute("PEM file of the server's certificate chain (profiles 2, 3), or None.")
    tls_ca = Attribute(
        "PEM file of the CA that signs charge point certificates, or None: required at "
        "profile 3; at profile 2 a client certificate is then optional and, when given, "
        "meets profile 3 (one listener serves both)."
    )
    tls_extra_chain = Attribute("PEM file of more intermediate certificates sent by the server, or None.")
    tls_ciphers = Attribute("The TLS 1.2 cipher suites (an OpenSSL cipher string), or None: the default.")
    subprotocol_mismatch = Attribute(
        "What a charge point not offering C{ocpp1.6} gets: C{'refuse'} (HTTP 400, the OCA's "
        "TC_088_CSMS) or C{'close'} (the handshake, then a 1002 close: OCPP-J 1.6 section 3.2)."
    )
    certificate_names_identity = Attribute(
        "Whether a client certificate's subject CN must be the charge point's identity "
        "(A00.FR.405), unless the C{openocpp_cs_certificate_identity} hook maps it."
    )
    ca_key = Attribute(
        "PEM file of the CA key that signs charge point CSRs (SignCertificate), or None: "
        "without it (and without a plugin signing them) SignCertificate is Rejected."
    )
    ca_certificate = Attribute("PEM file of that CA's certificate (then any intermediates), or None.")
    cpo_name = Attribute(
        "The CPO's name, or None: when set, a client certificate's subject O must be it "
        "(A00.FR.404), and so must a SignCertificate CSR's."
    )
    call_timeout = Attribute("Seconds to wait for a charge point's answer to a request.")
    ping_interval = Attribute("Seconds between WebSocket pings; 0 turns them off.")
    max_message_size = Attribute("The largest WebSocket message accepted, in bytes.")
    database = Attribute("The SQLite file of the default store, or C{':memory:'}.")
    store = Attribute(
        "The C{postgresql://} URL of a PostgreSQL store (shared by several central-system "
        "processes), or None for the SQLite file C{database}."
    )
    heartbeat_interval = Attribute("The heartbeat interval, in seconds, given to accepted charge points.")
    unknown_charge_points = Attribute(
        "What to answer a charge point that is not registered: C{'accept'} (and "
        "register it), C{'pending'} or C{'reject'}."
    )
    accept_any_id_tag = Attribute("Whether every id tag is accepted, known or not.")
    log_frames = Attribute("Whether every OCPP message in and out is logged, one debug line each.")
    manufacturer_roots = Attribute(
        "A PEM file of manufacturer root certificates, or C{None}: the signing certificate of a "
        "SignedUpdateFirmware the API sends must be issued by one (L01.FR.11, A00.FR.706)."
    )
    pending_on_key_failure = Attribute(
        "Whether a charge point that did not accept its new AuthorizationKey (Rejected, "
        "NotSupported) is answered Pending at its BootNotifications until one is accepted "
        "(A01.FR.05)."
    )
    plugins = Attribute(
        "Dotted names of plugin modules to load (after the installed plugins), a list."
    )
    auth_threads = Attribute("Threads hashing Basic-auth passwords (off the reactor thread).")
    auth_max_pending = Attribute(
        "The most password checks running or waiting at once; more are refused with HTTP 503."
    )
    auth_failures_per_peer = Attribute(
        "Failed authentications from one peer address, within C{auth_failure_window}, "
        "after which it is refused with HTTP 429 (0: no limit)."
    )
    auth_failures_per_identity = Attribute(
        "Failed authentications for one identity, within C{auth_failure_window}, "
        "after which it is refused with HTTP 429 (0: no limit)."
    )
    auth_failure_window = Attribute("Seconds over which failed authentications are counted.")
    unicode_identities = Attribute(
        "Whether identities may hold characters beyond ASCII (normalised to NFC); "
        "by default they are refused."
    )
    max_connections = Attribute(
        "The most simultaneous connections to the listener (0: no limit); more get HTTP 503."
    )
    max_connections_per_address = Attribute(
        "The most simultaneous connections from one IP address (0: no limit); more get HTTP 503."
    )
    output_stall_timeout = Attribute(
        "Seconds a charge point may leave what it is sent unread (past the transport's "
        "buffer; it is not read meanwhile) before it is dropped (0: never dropped)."
    )
    boot_timeout = Attribute(
        "Seconds a charge point that never booted here has to send BootNotification "
        "after connecting, else it is disconnected (0: no limit)."
    )
    max_meter_values_per_message = Attribute(
        "The most sampled values one MeterValues.req may carry (0: no limit)."
    )
    max_meter_values_per_minute = Attribute(
        "The most sampled values a connection's MeterValues.req may carry in a minute (0: no limit)."
    )
    wal_size_limit = Attribute(
        "The size in bytes past which the SQLite write-ahead log is truncated by a "
        "checkpoint (0: no limit)."
    )
    trace = Attribute(
        "The frame trace file (C{--trace}, see L{openocpp.trace}), or C{None} for none."
    )
    trace_max_bytes = Attribute("The size in bytes past which the frame trace file is rotated.")
    trace_files = Attribute("How many frame trace files are kept, the current one included.")
    metrics = Attribute(
        "Whether the central system keeps its Prometheus metrics (L{openocpp.metrics}; on by default)."
    )
    node_id = Attribute(
        "This node's name in a cluster (letters, digits, '.', '_', '-'), or None: with C{bus}, "
        "the host name and process id."
    )
    bus = Attribute(
        "The cluster's Redis, C{redis://[[user]:password@]host:port[/db]} (L{openocpp.cluster}), or None: a "
        "central system of its own."
    )


class ICentralSystemStore(Interface):
    """
    The central system's persistent state: charge points, id tags,
    transactions, meter values, connector statuses and the logs (security
    events, DataTransfers, status reports). Implemented by
    L{openocpp.centralsystem.store.CentralSystemStore} (SQLite); used by
    L{ICentralSystem}, its default behaviour
    (L{openocpp.centralsystem.behaviour}), its credentials policy
    (L{openocpp.centralsystem.credentials}) and the web API
    (L{openocpp.web}).

    Implemented too by L{openocpp.centralsystem.postgresqlstore.PostgreSQLStore},
    which several central-system processes may share.

    Everything runs on the reactor thread. The contract has two halves:

      - B{The hot path is synchronous.} The methods a charge point's
        messages call (L{touch}, L{record_boot}, L{id_tag},
        L{start_transaction}, L{record_meter_values}, ...) and the
        operator's writes return at once, never a Deferred. What they
        write is visible at once to every later call on the store
        (L{registration_status} after L{record_boot}, L{id_tag} after
        L{set_id_tag}, the reads below), and it is made durable later,
        together with the other writes of the reactor turn (group commit:
        the SQLite store commits at the start of the next turn). A caller
        whose answer must not leave before its writes are durable returns
        L{when_committed}C{(answer)}: every answer the central system
        gives after a write does, so what it answered survives a crash. A
        write that cannot be stored raises
        L{openocpp.centralsystem.store.StorageFailed} (an C{InternalError}
        CALLERROR) at once; a commit that fails fails the waiting
        L{when_committed} Deferreds with it, and nothing of that turn is
        kept. An implementation over an asynchronous driver (PostgreSQL)
        keeps this contract by answering from memory what these methods
        return (registrations and id tags, cached as the SQLite store
        caches them; the open transactions, for L{stop_transaction} and
        L{record_meter_values}; transaction ids from a block of its
        sequence reserved ahead) and by sending the queued writes as the
        batch L{when_committed} waits for. Should that prove too much,
        these methods can become Deferred-returning without changing
        what the dispatcher sees: the behaviour's answers are Deferreds
        already.

      - B{The web API's reads return Deferreds} (C{charge_point_records},
        C{transactions_page}, ...), each firing with plain records: dicts
        keyed by the stored columns' names. The SQLite store answers them
        at once (an already-fired Deferred); another store may query its
        database asynchronously. A read sees at least every write whose
        L{when_committed} has fired; the SQLite store also sees the
        current turn's writes. No SQL crosses this interface.
    """

    # -- lifetime ---------------------------------------------------------

    def now():
        """
        The current time of the store's clock, which timestamps its records.

        @return: an aware UTC C{datetime}.
        """

    def when_committed(result=None):
        """
        Wait until every write made so far is durable.

        @param result: what the Deferred fires with.
        @return: a Deferred firing with C{result} once the writes made so
            far are committed (already fired when none is pending), or
            failing with L{openocpp.centralsystem.store.StorageFailed} when
            their commit fails.
        """

    def writes_pending():
        """
        Whether writes made so far wait for their commit (the SQLite store:
        at the start of the next reactor turn). The central system's
        transport writes an answer to its socket at once only when none
        do: otherwise it leaves at the next turn, after that commit (so a
        plugin's answer given without L{when_committed} never leaves before
        what it wrote is durable).

        @return: C{True} or C{False}.
        """

    def reset():
        """
        Delete every record (the schema stays), durable when this returns.

        @raise openocpp.centralsystem.store.StorageFailed: the deletion
            could not be committed; nothing was deleted.
        """

    def close():
        """
        Make what is pending durable and release the database; the store is
        not used afterwards.
        """

    def forget_cached(identity=None, id_tag=None):
        """
        Forget what the store answers from memory of the database, so that
        its next read asks the database: when another process sharing it
        (another node of a cluster) changed a record. The cluster's
        invalidation calls it when another node's operator changed one.

        @param identity: a charge point whose registration to forget.
        @param id_tag: an id tag (in any case) whose record to forget.
        Both C{None}: forget everything.
        """

    # -- charge points: the hot path ----------------------------------------

    def touch(identity):
        """
        Note that a charge point was heard from now (any message at all).
        It may cost no database statement (the SQLite store writes these
        times in batches), but the C{last_seen} of the charge point's
        records (L{charge_point}, L{charge_point_records}) says it at once.
        """

    def is_approved(identity):
        """
        @return: whether a charge point is registered (by an operator, or
            automatically under the C{accept} policy for unknown ones).
        """

    def registration_status(identity):
        """
        @return: the status of the last BootNotification.conf sent to a
            charge point (C{"Accepted"}, C{"Pending"}, C{"Rejected"}), or
            C{None} if it never booted here.
        """

    def note_registration(identity, status):
        """
        Note the status of a BootNotification.conf that something other
        than L{record_boot} chose (a plugin), so that the charge point's
        next connections know it too.
        """

    def record_boot(identity, request, status):
        """
        Store a BootNotification.req's information and the status answered.
        A charge point not seen before is kept, not approved, so an operator
        can see and register it.

        @param request: the C{BootNotificationRequest}.
        """

    def charge_point_credentials(identity):
        """
        What authenticates a charge point.

        @return: its L{openocpp.centralsystem.credentials.ChargePointCredentials}
            (password hash, registered security profile), or C{None} when
            the store has no record of it.
        """

    def key_refusal(identity):
        """
        Why the charge point's last new AuthorizationKey was not adopted.

        @return: the reason (text), or C{None} when none was refused since
            the last one it accepted.
        """

    def note_key_refusal(identity, reason):
        """
        Keep why a new AuthorizationKey was not adopted (A01.FR.04), or
        forget it (C{reason} C{None}, once one is accepted).
        """

    def raise_security_profile(identity, profile):
        """
        A registered charge point connected with Security Profile
        C{profile}: when it is higher than its registered profile, it
        becomes the registered one, so that a lower profile is refused from
        then on (A05.FR.09). Nothing else of the record changes (its
        approval neither).

        @return: whether the registered profile was raised.
        """

    def record_central_system_event(identity, peer, type, tech_info):
        """
        Store a security event the central system noticed itself (origin
        C{"CentralSystem"}), such as repeated failed authentications.

        @param identity: the charge point identity concerned.
        @param peer: the remote address, as text, or C{None}.
        @param type: the event's type (a security event name).
        @param tech_info: more about it, or C{None}.
        """

    # -- id tags, transactions, meter values: the hot path ----------------

    def id_tag(id_tag):
        """
        An id tag's record, found whatever the case it is given in (id tags
        are case-insensitive, OCPP 1.6 section 7.28).

        @return: its L{openocpp.centralsystem.store.IdTagRecord}, or
            C{None} when it is unknown.
        """

    def start_transaction(identity, request):
        """
        Record a StartTransaction.req. The same request sent again (a
        charge point resending after a lost answer) gets the same id.

        @return: the transaction id (an C{int}).
        """

    def stop_transaction(identity, request):
        """
        Close a transaction with a StopTransaction.req's data and store its
        transaction data as meter values. A transaction stops once: a
        repeat changes nothing; a StopTransaction without reason stopped
        for the spec's default, C{Local} (section 6.49).

        @return: whether the charge point's transaction was known.
        """

    def record_meter_values(identity, request):
        """
        Store every sampled value of a MeterValues.req. Values attach only
        to a transaction of the charge point that sends them; others are
        stored attached to none.

        @return: whether the transaction named, if any, is the charge
            point's own.
        """

    def record_status(identity, request):
        """
        Store a StatusNotification.req: the connector's current status and
        a line of its history.
        """

    def record_security_event(identity, request):
        """
        Store a SecurityEventNotification.req.
        """

    def record_data_transfer(identity, direction, request, status):
        """
        Log a DataTransfer.req and the status answered.

        @param direction: C{"in"} (from the charge point) or C{"out"}.
        @param status: the C{DataTransferStatus} answered, or C{None}.
        """

    def record_status_report(identity, kind, status, request_id=None):
        """
        Store a firmware, diagnostics or log status notification.

        @param kind: the action's name (C{"FirmwareStatusNotification"}, ...).
        @param request_id: the request id it reports on, if any.
        """

    # -- the operator's writes --------------------------------------------

    def register_charge_point(identity, password=None, security_profile=None):
        """
        Register a charge point, or approve and update one seen before: its
        BootNotifications are then accepted.

        @param password: its Basic-auth password, stored hashed (C{None}
            keeps the one it has).
        @param security_profile: its security profile (C{None} keeps it).
        """

    def clear_password(identity):
        """
        Remove a charge point's Basic-auth password.

        @return: whether it is registered.
        """

    def unregister_charge_point(identity):
        """
        Forget a charge point (its history stays).

        @return: whether it was registered.
        """

    def charge_point(identity):
        """
        A charge point's record, for the operator's writes to check against.

        @return: a dict of its columns, C{has_password} in place of its
            password hash, or C{None} when the store has no record of it.
        """

    def set_id_tag(id_tag, status="Accepted", expiry_date=None, parent_id_tag=None):
        """
        Add or change an id tag (whatever the case it is given in: a record
        keeps the spelling it was first written with).

        @param status: its C{AuthorizationStatus} value.
        @param expiry_date: an aware C{datetime}, or C{None}.
        @param parent_id_tag: its group's tag, or C{None}.
        """

    def remove_id_tag(id_tag):
        """
        Forget an id tag, whatever the case it is given in.

        @return: whether it was known.
        """

    # -- the operator's local lists and reservations ------------------------

    def local_list_entries():
        """
        What a Full local list holds.

        @return: a tuple: every id tag's
            L{openocpp.centralsystem.store.IdTagRecord}, by tag, and the
            change mark (an integer) they are as of.
        """

    def local_list_changes(after):
        """
        What a Differential local list holds: the id tags added, changed or
        removed since the change mark C{after}.

        @return: a tuple: a list of (id tag, record or C{None} once
            removed) in the order of their last change, and the change mark
            they are as of. The store records the changes when id tags are
            written (L{set_id_tag}, L{remove_id_tag}), never on a charge
            point's messages.
        """

    def local_list(identity):
        """
        What the central system believes a charge point's local list is.

        @return: a dict (C{list_version} last accepted, its
            C{change_mark}, C{None} when that list is incomplete; the last
            attempt's C{last_update_type}, C{last_version}, C{last_status},
            C{last_at}; C{accepted_at}), or C{None} when none was sent.
        """

    def record_local_list(identity, update_type, list_version, status, change_mark=None, complete=True):
        """
        Record a SendLocalList.conf: an C{Accepted} one sets the version
        held and its change mark (none when C{complete} is false); any
        answer is the last attempt.
        """

    def reservation(identity, reservation_id):
        """
        @return: a reservation's record (a dict of its columns:
            C{connector_id}, C{id_tag}, C{parent_id_tag}, C{expiry_date},
            C{state}, ...), or C{None}.
        """

    def last_reservation_id(identity):
        """
        @return: the highest reservation id recorded for a charge point, 0
            when none is.
        """

    def record_reservation(identity, reservation_id, connector_id, id_tag, expiry_date, parent_id_tag=None):
        """
        Record an Accepted ReserveNow.req as an active reservation,
        replacing one with the same id.

        @param expiry_date: an aware C{datetime}.
        """

    def cancel_reservation(identity, reservation_id):
        """
        Mark an active reservation cancelled.

        @return: whether there was one.
        """

    def use_reservation(identity, reservation_id, transaction_id):
        """
        Mark an active reservation used by a transaction (a
        StartTransaction.req named it); nothing when there is none. Called
        for the StartTransaction.req that carry a reservationId only.
        """

    # -- the web API's reads: Deferreds -----------------------------------

    def charge_point_identities():
        """
        @return: a Deferred firing with the identities of every charge
            point the store holds (registered, or seen at boot), sorted.
        """

    def charge_point_records(identities):
        """
        The records of some charge points.

        @param identities: a list of identities.
        @return: a Deferred firing with a dict by identity (those the store
            does not hold are left out) of records: their columns
            (C{password_hash}, C{approved}, C{registration_status}, the
            BootNotification's fields, C{registered_at}, C{last_boot},
            C{last_seen} as last heard from) and C{connectors}, the records
            of their connectors' last StatusNotifications by connector id,
            and C{status_reports}: the latest FirmwareStatusNotification
            and DiagnosticsStatusNotification (records of C{status} and
            C{received_at}) by action name.
        """

    def id_tags_page(limit, offset, status=None):
        """
        @param status: only id tags of this status, or C{None} for all.
        @return: a Deferred firing with a
            L{openocpp.centralsystem.reads.RecordPage} of id tag records
            (C{id_tag}, C{status}, C{expiry_date}, C{parent_id_tag}), by
            tag.
        """

    def transactions_page(limit, offset, identity=None, active=None, id_tag=None, chosen=None):
        """
        @param identity: only this charge point's, or C{None}.
        @param active: only the active (C{True}) or stopped (C{False})
            ones, or C{None} for both.
        @param id_tag: only those started with this id tag (in any case).
        @param chosen: a L{openocpp.centralsystem.reads.TransactionFilter}
            (connector, start time, stop reason, ...), or C{None}.
        @return: a Deferred firing with a
            L{openocpp.centralsystem.reads.RecordPage} of transaction
            records as L{transaction_record} gives them, newest first,
            with C{totals} (C{active}, C{energy_wh}) of the whole list.
        """

    def transaction_record(transaction_id):
        """
        @return: a Deferred firing with a transaction's record (its
            columns; an active one also has C{energy_readings}, its latest
            energy register readings as records of C{value} and C{unit},
            newest first), or C{None} when there is no such transaction.
        """

    def meter_values_of_transaction(transaction_id):
        """
        @return: a Deferred firing with the records of every sampled value
            attached to a transaction, by timestamp.
        """

    def local_list_record(identity):
        """
        @return: a Deferred firing with L{local_list}'s record plus
            C{pending_changes} (the id-tag changes since that list; C{None}
            when it is incomplete), or with C{None} when no list was sent.
        """

    def reservations_page(identity, limit, offset, state=None):
        """
        @param state: only C{"active"}, C{"expired"} (active, past its
            expiry date), C{"cancelled"} or C{"used"} ones, or C{None}.
        @return: a Deferred firing with a
            L{openocpp.centralsystem.reads.RecordPage} of a charge point's
            reservation records, newest first, C{state} as read.
        """

    def events_page(limit, offset, kind=None, identity=None):
        """
        Security events, connector status changes and status reports in one
        list, newest first.

        @param kind: C{"security"}, C{"status"} or C{"report"}, or C{None}
            for all.
        @param identity: only this charge point's, or C{None}.
        @return: a Deferred firing with a
            L{openocpp.centralsystem.reads.RecordPage} of event records:
            C{kind} and every column of the three kinds, C{None} where its
            kind has none.
        """

    # -- uploads (the upload endpoint of openocpp.web.uploads) ------------

    def add_upload_token(token, identity, expires_at, kind="Diagnostics"):
        """
        Keep a new one-time upload token (the secret part of an upload
        location handed to a charge point in a GetDiagnostics.req or a
        GetLog.req); durable once L{when_committed} fires.

        @param token: the token (the store may keep only a digest of it).
        @param identity: the charge point it was made for.
        @param expires_at: an aware C{datetime} after which it is refused.
        @param kind: what the file uploaded with it is: C{"Diagnostics"}
            (GetDiagnostics), C{"DiagnosticsLog"} or C{"SecurityLog"}
            (GetLog's logType); its upload's record keeps it.
        """

    def upload_token(token):
        """
        @return: the token's record (C{identity}, C{created_at},
            C{expires_at}, C{used_at}, C{kind}: texts, C{used_at} C{None}
            until spent), or C{None} when the token is unknown.
        """

    def record_upload(token, identity, file_name, stored_as, size, sha256):
        """
        Record a file received with a token, and spend the token, in one
        write; durable once L{when_committed} fires. The upload is of the
        token's kind.

        @param file_name: the file's (sanitised) name.
        @param stored_as: its path on disk, relative to the uploads folder.
        @param size: its size in bytes.
        @param sha256: its SHA-256, in hexadecimal.
        @return: the upload's id (C{int}).
        """

    def uploads_page(limit, offset, identity=None, kind=None):
        """
        Received files, newest first.

        @param identity: only this charge point's, or C{None}.
        @param kind: only those of this kind (see L{add_upload_token}), or
            C{None}.
        @return: a Deferred firing with a
            L{openocpp.centralsystem.reads.RecordPage} of upload records
            (C{id}, C{identity}, C{kind}, C{file_name}, C{stored_as},
            C{size}, C{sha256}, C{received_at}).
        """

    def upload_record(upload_id):
        """
        @return: a Deferred firing with one upload's record (as in
            L{uploads_page}), or C{None} when there is none with that id.
        """

    def charging_profiles(identity):
        """
        @return: a Deferred firing with the records of the charging profiles
            a charge point accepted and still holds (C{connector_id},
            C{profile_id}, C{purpose}, C{stack_level}, C{transaction_id},
            C{profile}: the ChargingProfile as JSON, C{accepted_at}), by
            connector and id; a TxProfile of a stopped transaction is left
            out.
        """

    # -- the answers to the central system's own calls ----------------------

    def record_charging_profile(identity, connector_id, profile):
        """
        A charge point answered SetChargingProfile.conf Accepted: keep the
        profile (an L{openocpp.messages.datatypes.ChargingProfile}),
        replacing the one of the same id and the one of the same stackLevel
        and purpose on the same connector (OCPP 1.6 3.13.2). Never called
        on the charge points' messages.
        """

    def clear_charging_profiles(identity, profile_id=None, connector_id=None, purpose=None, stack_level=None):
        """
        A charge point answered ClearChargingProfile.conf Accepted: forget
        the profiles it matched (by id, or every field given; none: all).
        """


class IChargePointProxy(Interface):
    """
    One connected charge point, as the central system sees it: its identity
    and connection, and a method per operation a central system may ask of
    it. Made by L{ICentralSystem} for each connection; no proxy outlives its
    connection (its methods then fail with
    L{openocpp.rpc.errors.ConnectionLost}).

    Each operation takes plain Python arguments (enumeration members or
    their string values, datetimes, message data types) and returns a
    Deferred firing with the typed response, or failing with
    L{openocpp.rpc.errors.CallError} (the charge point's CALLERROR),
    L{openocpp.rpc.errors.CallTimeout} or
    L{openocpp.rpc.errors.ConnectionLost}; or, with nothing sent, with
    L{openocpp.centralsystem.policy.CallRefused} when OCPP 1.6 forbids the
    request (to a C{Pending} or C{Rejected} charge point, a triggered
    BootNotification once C{Accepted}, a RemoteStartTransaction profile
    that is not a C{TxProfile}: see L{openocpp.centralsystem.policy}).
    """

    identity = Attribute("The charge point identity (the last segment of its URL).")
    peer = Attribute("The remote address of its connection (C{IAddress}).")
    security_profile = Attribute("The Security Profile the connection was made with.")
    client_certificate = Attribute("Its TLS client certificate (profile 3), or None.")
    connected = Attribute("Whether its connection is still open.")
    pending_calls = Attribute(
        "How many of our calls to it are not answered yet (sent or queued behind the one sent)."
    )
    registration_status = Attribute(
        "The status of the last BootNotification.conf sent to it (C{'Accepted'}, "
        "C{'Pending'}, C{'Rejected'}), or None if it never booted here."
    )

    def call(request):
        """
        Send any request object of an action a central system may send.

        @return: a Deferred firing with the typed response.
        """

    def disconnect():
        """
        Close the connection.
        """

    def change_availability(connector_id, type):
        """
        ChangeAvailability.req: make a connector (0: the whole charge point)
        C{Operative} or C{Inoperative}.
        """

    def change_configuration(key, value):
        """
        ChangeConfiguration.req: set a configuration key.
        """

    def clear_cache():
        """
        ClearCache.req: clear the authorization cache.
        """

    def clear_charging_profile(id=None, connector_id=None, charging_profile_purpose=None, stack_level=None):
        """
        ClearChargingProfile.req: clear the charging profiles matching every
        criterion given (all of them when none is).
        """

    def data_transfer(vendor_id, message_id=None, data=None):
        """
        DataTransfer.req: vendor-specific data.
        """

    def get_composite_schedule(connector_id, duration, charging_rate_unit=None):
        """
        GetCompositeSchedule.req: the schedule of a connector for the next
        C{duration} seconds.
        """

    def get_configuration(key=None):
        """
        GetConfiguration.req: the values of the keys named (all when
        C{key} is C{None}).
        """

    def get_diagnostics(location, retries=None, retry_interval=None, start_time=None, stop_time=None):
        """
        GetDiagnostics.req: upload a diagnostics file to C{location} (a URI).
        """

    def get_local_list_version():
        """
        GetLocalListVersion.req: the version of the local authorization list.
        """

    def remote_start_transaction(id_tag, connector_id=None, charging_profile=None):
        """
        RemoteStartTransaction.req: start a transaction for C{id_tag}.
        """

    def remote_stop_transaction(transaction_id):
        """
        RemoteStopTransaction.req: stop a transaction.
        """

    def reserve_now(connector_id, expiry_date, id_tag, reservation_id, parent_id_tag=None):
        """
        ReserveNow.req: reserve a connector for an id tag until C{expiry_date}.
        """

    def cancel_reservation(reservation_id):
        """
        CancelReservation.req: cancel a reservation.
        """

    def reset(type):
        """
        Reset.req: reboot, C{Soft} or C{Hard}.
        """

    def send_local_list(list_version, update_type, local_authorization_list=None):
        """
        SendLocalList.req: replace (C{Full}) or change (C{Differential}) the
        local authorization list.
        """

    def set_charging_profile(connector_id, cs_charging_profiles):
        """
        SetChargingProfile.req: install a C{ChargingProfile} on a connector.
        """

    def trigger_message(requested_message, connector_id=None):
        """
        TriggerMessage.req: have the charge point send a message now.
        """

    def unlock_connector(connector_id):
        """
        UnlockConnector.req: unlock a connector.
        """

    def update_firmware(location, retrieve_date, retries=None, retry_interval=None):
        """
        UpdateFirmware.req: download firmware from C{location} from
        C{retrieve_date} on, and install it.
        """

    def certificate_signed(certificate_chain):
        """
        CertificateSigned.req: the PEM chain of the charge point's signed
        certificate.
        """

    def delete_certificate(certificate_hash_data):
        """
        DeleteCertificate.req: delete the root certificate a
        C{CertificateHashData} identifies.
        """

    def extended_trigger_message(requested_message, connector_id=None):
        """
        ExtendedTriggerMessage.req: have the charge point send a message now
        (security messages included).
        """

    def get_installed_certificate_ids(certificate_type):
        """
        GetInstalledCertificateIds.req: the installed root certificates of a
        type.
        """

    def get_log(log_type, request_id, log, retries=None, retry_interval=None):
        """
        GetLog.req: upload a diagnostics or security log as C{log}
        (C{LogParameters}) says.
        """

    def install_certificate(certificate_type, certificate):
        """
        InstallCertificate.req: install a PEM root certificate.
        """

    def signed_update_firmware(request_id, firmware, retries=None, retry_interval=None):
        """
        SignedUpdateFirmware.req: install signed firmware (a C{Firmware}).
        """


class IChargePointRequestHandler(Interface):
    """
    Answers the requests charge points send. The central system calls the
    method of each request it receives, with the proxy of the charge point
    that sent it and the typed, validated request; the method returns the
    typed response or a Deferred firing with it. Raising
    L{openocpp.rpc.errors.CallError} answers with that CALLERROR; raising
    anything else answers InternalError (and is logged).

    The default, L{openocpp.centralsystem.handler.HookRequestHandler}, asks
    the C{openocpp_cs_*} hooks.
    """

    def authorize(charge_point, request):
        """Answer an C{AuthorizeRequest} with an C{AuthorizeResponse}."""

    def boot_notification(charge_point, request):
        """Answer a C{BootNotificationRequest}."""

    def data_transfer(charge_point, request):
        """Answer a C{DataTransferRequest}."""

    def diagnostics_status_notification(charge_point, request):
        """Answer a C{DiagnosticsStatusNotificationRequest}."""

    def firmware_status_notification(charge_point, request):
        """Answer a C{FirmwareStatusNotificationRequest}."""

    def heartbeat(charge_point, request):
        """Answer a C{HeartbeatRequest}."""

    def meter_values(charge_point, request):
        """Answer a C{MeterValuesRequest}."""

    def start_transaction(charge_point, request):
        """Answer a C{StartTransactionRequest}."""

    def status_notification(charge_point, request):
        """Answer a C{StatusNotificationRequest}."""

    def stop_transaction(charge_point, request):
        """Answer a C{StopTransactionRequest}."""

    def log_status_notification(charge_point, request):
        """Answer a C{LogStatusNotificationRequest}."""

    def security_event_notification(charge_point, request):
        """Answer a C{SecurityEventNotificationRequest}."""

    def sign_certificate(charge_point, request):
        """Answer a C{SignCertificateRequest}."""

    def signed_firmware_status_notification(charge_point, request):
        """Answer a C{SignedFirmwareStatusNotificationRequest}."""


class ICentralSystemEventsHandler(Interface):
    """
    Decides who may connect, and hears of connections coming and going.
    The default, L{openocpp.centralsystem.handler.HookEventsHandler}, asks
    the C{openocpp_cs_*} hooks.
    """

    def check_credentials(identity, password, certificate, peer):
        """
        Whether a charge point may connect.

        @param identity: its identity, from the URL.
        @param password: its HTTP Basic-auth password, or C{None}.
        @param certificate: its TLS client certificate, or C{None}.
        @param peer: its address.
        @return: C{True} or C{False}, or a Deferred firing with one.
        """

    def charge_point_connected(charge_point):
        """
        A charge point connected; C{charge_point} is its L{IChargePointProxy}.
        """

    def charge_point_disconnected(charge_point):
        """
        A charge point's connection closed (or was replaced by a newer one
        with the same identity).
        """


class ICentralSystem(IService):
    """
    A central system: listens for charge points while running, and keeps
    one L{IChargePointProxy} per connected charge point. Implemented by
    L{openocpp.centralsystem.service.CentralSystem}.
    """

    config = Attribute("Its L{ICentralSystemConfig}.")
    trace = Attribute(
        "Its L{openocpp.trace.TraceWriter} while the frame trace is on, else C{None}."
    )
    metrics = Attribute(
        "Its L{openocpp.metrics.Metrics} (served at C{/metrics} by the API), or C{None} when off."
    )
    store = Attribute(
        "Its L{ICentralSystemStore} (by default the SQLite "
        "L{openocpp.centralsystem.store.CentralSystemStore}): open from construction, "
        "closed when the service stops, opened again when it starts again."
    )
    port = Attribute("The listening port (C{IListeningPort}) while running, else None.")

    def charge_points():
        """
        The proxies of the connected charge points; in a cluster
        (C{--bus}), those other nodes hold too (their calls are routed).

        @return: a list of L{IChargePointProxy}, by identity.
        """

    def charge_point(identity):
        """
        The proxy of a connected charge point: in a cluster, of one another
        node holds when it is not connected here.

        @raise KeyError: no charge point with that identity is connected
            (to any node).
        """

    def locate(identity):
        """
        In a cluster, make sure L{charge_point} knows of C{identity} when
        another node holds it: this node's view of the others follows
        Redis's channel and may lag by a moment (a charge point that has
        just connected elsewhere), so a miss asks Redis. Without a cluster,
        or for a charge point connected here, at once.

        @return: a Deferred firing with None once L{charge_point} answers
            what is known (never failing).
        """

    def when_connected(identity):
        """
        @return: a Deferred firing with the proxy of charge point
            C{identity} as soon as it is connected here (at once if it is).
        """

    def reset_data():
        """
        Clear the central system's persistent state (every record of its
        store).
        """

    # Operator commands: each writes the store, answers once the write is
    # committed, and tells plugins (the openocpp_cs_operator_change hook).

    def register_charge_point(identity, password=None, security_profile=None, clear_password=False):
        """
        Register a charge point, or approve and update one seen before
        (C{password} and C{security_profile} None: kept as they are).

        @return: a Deferred firing with the
            L{openocpp.centralsystem.service.OperatorChange} once it is
            committed, or failing with
            L{openocpp.centralsystem.store.StorageFailed} (nothing kept).
        """

    def unregister_charge_point(identity):
        """
        Forget a charge point's registration (its history stays).

        @return: a Deferred firing with the change once committed, with
            None when it was not registered, or failing with
            L{openocpp.centralsystem.store.StorageFailed}.
        """

    def set_id_tag(id_tag, status="Accepted", expiry_date=None, parent_id_tag=None):
        """
        Add or change an id tag.

        @return: a Deferred firing with the change once committed, or
            failing with L{openocpp.centralsystem.store.StorageFailed}.
        """

    def remove_id_tag(id_tag):
        """
        Forget an id tag.

        @return: a Deferred firing with the change once committed, with
            None when it was unknown, or failing with
            L{openocpp.centralsystem.store.StorageFailed}.
        """

    # Operator operations: each sends a request to a connected charge
    # point, records what its answer changes (once committed), and tells
    # plugins of those changes (openocpp_cs_operator_change).

    def send_local_list(identity, update_type):
        """
        Send the charge point a local list from the id tags the central
        system knows (OCPP 1.6 section 5.15): C{"Full"}, every id tag, or
        C{"Differential"}, the changes since the last list it accepted.

        @return: a Deferred firing with a
            L{openocpp.centralsystem.locallist.LocalListOutcome}, or failing
            with L{openocpp.centralsystem.locallist.LocalListRefused}
            (nothing sent) or the call's error.
        @raise KeyError: the charge point is not connected.
        """

    def reserve_now(identity, connector_id, id_tag, expiry_date, parent_id_tag=None, reservation_id=None):
        """
        Send ReserveNow.req (OCPP 1.6 section 5.13) and record the
        reservation when Accepted.

        @param reservation_id: the id, or C{None}: the central system
            allocates one unique for the charge point.
        @return: a Deferred firing with a
            L{openocpp.centralsystem.reservations.ReservationOutcome}.
        @raise KeyError: the charge point is not connected.
        """

    def cancel_reservation(identity, reservation_id):
        """
        Send CancelReservation.req (OCPP 1.6 section 5.2) and mark the
        reservation cancelled when Accepted.

        @return: a Deferred firing with a
            L{openocpp.centralsystem.reservations.ReservationOutcome}.
        @raise KeyError: the charge point is not connected.
        """
