"""
The charge point service: a facade (service lifetime, the L{IChargePoint}
API, wiring) over collaborators that each get the narrow things they need
and never the facade:

  - L{Connectors}: the connectors as the SQLite file keeps them;
  - L{StatusReporter}: statuses, reported when due;
  - L{Authorizer}: idTags (local list, cache, Authorize.req);
  - L{LocalList}: the local authorization list (SendLocalList,
    GetLocalListVersion);
  - L{TransactionQueue}: the persistent queue of transaction messages;
  - L{Metering}: meter readings, sampled and clock-aligned values;
  - L{Availability}: ChangeAvailability, now or scheduled;
  - L{Transactions}: starts, stops, remote starts, resets;
  - L{Reservations}: ReserveNow, CancelReservation, reserved connectors;
  - L{FirmwareUpdates}: UpdateFirmware, its download and installation;
  - L{SignedFirmwareUpdates}: SignedUpdateFirmware, the same with the
    signing certificate and the file's signature verified;
  - L{Diagnostics}: GetDiagnostics, its file and upload;
  - L{Certificates}: SignCertificate, CertificateSigned and the installed
    root certificates (Security Whitepaper A02/A03, M03-M05);
  - L{LogUploads}: GetLog, the security or diagnostics log uploaded;
  - L{ExtendedTrigger}: ExtendedTriggerMessage;
  - L{CentralSystemRequests}: the answers to the central system's requests;
  - L{SmartCharging}: charging profiles, composite schedules and the limit
    handed to the charger;
  - L{Registration}: BootNotification until accepted;
  - L{Heartbeat}: heartbeats when due;
  - L{TimeKeeper}: the charge point's time;
  - L{SecurityEvents}: security events, in the L{SecurityLog} and (the
    critical ones) sent through the queue.

The facade itself keeps the connection (a child C{ClientConnectionService})
and decides what may be sent on it.
"""

import os
from datetime import datetime
from typing import Any

from twisted.application.service import MultiService
from twisted.internet.defer import (
    Deferred,
    fail,
    maybeDeferred,
    succeed,
)
from twisted.logger import Logger
from zope.interface import implementer

from openocpp.chargepoint.authorization import Authorizer
from openocpp.chargepoint.availability import Availability
from openocpp.chargepoint.behaviour import DefaultChargePointBehaviour
from openocpp.chargepoint.certificates import Certificates
from openocpp.chargepoint.certstore import CertificateStore
from openocpp.chargepoint.privatekeys import PrivateKeys
from openocpp.chargepoint.renewal import CertificateRenewal
from openocpp.chargepoint.connectors import Connectors
from openocpp.chargepoint.diagnostics import Diagnostics, LogRing
from openocpp.chargepoint.errors import NotAccepted, NotConnected
from openocpp.chargepoint.extendedtrigger import ExtendedTrigger
from openocpp.chargepoint.firmware import FirmwareUpdates
from openocpp.transfer.files import remove_file
from openocpp.chargepoint.handlers import CentralSystemRequests
from openocpp.chargepoint.heartbeat import Heartbeat
from openocpp.chargepoint.interfaces import IChargePoint
from openocpp.chargepoint.locallist import LocalList, LocalListStore
from openocpp.chargepoint.logs import LogUploads
from openocpp.chargepoint.metering import Metering
from openocpp.chargepoint.ocppconfig import IniConfigStorage, OcppConfig, SqliteConfigStorage
from openocpp.chargepoint.queue import TransactionQueue
from openocpp.chargepoint.registration import Registration
from openocpp.chargepoint.reservations import Reservations
from openocpp.chargepoint.signedfirmware import SignedFirmwareUpdates
from openocpp.chargepoint.securityevents import SecurityEvents
from openocpp.chargepoint.securitylog import SecurityLog
from openocpp.chargepoint.revocation import RevocationCheck
from openocpp.chargepoint.securityprofile import (
    FailureStreak,
    ProfileWatch,
    profile_problem,
    profile_url,
)
from openocpp.chargepoint.smartcharging import SmartCharging
from openocpp.chargepoint.status import StatusReporter
from openocpp.chargepoint.store import ChargePointStore, TransactionRecord
from openocpp.chargepoint.timekeeping import TimeKeeper
from openocpp.chargepoint.transactions import Transactions
from openocpp.messages import (
    AuthorizeRequest,
    DataTransferRequest,
    MeterValuesRequest,
    codec,
)
from openocpp.messages.enums import (
    AuthorizationStatus,
    ChargePointErrorCode,
    RegistrationStatus,
    ResetType,
)
from openocpp.messages.registry import Role
from openocpp.plugins import call_hook, load_plugin_module, make_plugin_manager, notify
from openocpp.rpc.session import RpcSession
from openocpp.transport.interfaces import IConnectionHandler

#: The configuration keys whose change is a ReconfigurationOfSecurityParameters
#: security event.
SECURITY_PARAMETERS = ("AuthorizationKey", "SecurityProfile", "CpoName")


@implementer(IConnectionHandler)
class _Connection:
    """
    The transport's handler of one connection to the central system: its
    RPC session, announced to the charge point once open.
    """

    def __init__(self, charge_point: "ChargePoint") -> None:
        self._cp = charge_point
        self.session = RpcSession(
            Role.CHARGE_POINT,
            charge_point._handlers(),
            charge_point.clock,
            call_timeout=charge_point.ocpp_config.integer("MessageTimeout"),
            log_frames=charge_point._log_frames,
        )
        self.session.add_observer(charge_point._activity)
        if charge_point.trace is not None:
            self.session.add_observer(charge_point.trace)
        if charge_point.metrics is not None:
            self.session.add_observer(charge_point.metrics.observer())
        self.session.invalid_message = lambda description: charge_point.security_event(
            "InvalidMessages", description
        )

    def connection_made(self, connection: Any) -> None:
        self.session.connection_made(connection)
        self._cp._connected(self)

    def text_received(self, text: str) -> None:
        self.session.text_received(text)

    def connection_lost(self, reason: Any) -> None:
        # The charge point learns it is offline before the calls in flight
        # fail, so that nothing they trigger tries this connection again.
        self._cp._disconnected(self)
        self.session.connection_lost(reason)

    def close(self) -> None:
        connection = self.session.connection
        if connection is not None:
            connection.close(1001, "going away")


@implementer(IChargePoint)
class ChargePoint(MultiService):
    """
    An OCPP 1.6-J charge point.

    @param config: its L{openocpp.chargepoint.interfaces.IChargePointConfig}.
    @param reactor: the reactor to connect with (default: the global one).
    @param clock: the C{IReactorTime} of every timer (default: C{reactor}).
    @param plugins: a C{pluggy.PluginManager}; default: one with the
        built-in simulated charger, the installed plugins and those the
        config names.
    @param ocpp_config: the L{openocpp.chargepoint.interfaces.IOcppConfig};
        default: kept in the SQLite file (or the config's INI file).
    @param store: the L{ChargePointStore}; default: the config's file.
    @param connect: whether the service connects by itself; tests turn it
        off and hand connections to L{handler_factory}.
    @param log_frames: log every frame in and out (debug level).
    @param metrics: the L{openocpp.metrics.Metrics} its sessions count
        their calls in (C{--metrics-listen}), or C{None}.
    @param trace: an L{openocpp.rpc.interfaces.IFrameObserver} shown every
        frame of every connection (the L{openocpp.trace.TraceWriter} of
        C{--trace}), or C{None}.
    @param transfers: the L{openocpp.transfer.interfaces.ITransfers} of
        firmware downloads and diagnostics uploads; default: made on first
        use, with the config's timeouts.
    @param log_publisher: the C{ILogObservable} whose events the
        diagnostics file keeps (default: Twisted's global publisher); the
        charge point observes it while it runs.
    """

    log = Logger()

    def __init__(
        self,
        config: Any,
        reactor: Any = None,
        clock: Any = None,
        plugins: Any = None,
        ocpp_config: Any = None,
        store: ChargePointStore | None = None,
        connect: bool = True,
        log_frames: bool = False,
        transfers: Any = None,
        log_publisher: Any = None,
        trace: Any = None,
        metrics: Any = None,
    ) -> None:
        super().__init__()
        if reactor is None:
            from twisted.internet import reactor
        self._reactor = reactor
        self.clock = clock if clock is not None else reactor
        self.config = config
        self._log_frames = log_frames
        self.trace = trace
        self.metrics = metrics
        # A store the charge point opened is its own to close when it stops
        # (and to open again when it starts); one handed in is the caller's.
        self._owns_store = store is None
        self.store = store if store is not None else ChargePointStore(config.database)
        if ocpp_config is None:
            ocpp_config = self._ocpp_config(config)
        self.ocpp_config = ocpp_config
        if plugins is None:
            plugins = make_plugin_manager(
                builtins=[DefaultChargePointBehaviour()],
                plugins=[load_plugin_module(name) for name in config.plugins],
            )
        self.plugins = plugins
        self._transfer_client = transfers
        #: Connections made since it was built (the reconnect count).
        self._connections_made = 0
        #: Counts the stops: a restart starts again only when no other stop
        #: came while it waited for its own.
        self._stops = 0
        if log_publisher is None:
            from twisted.logger import globalLogPublisher as log_publisher
        self._log_publisher = log_publisher
        self._log_ring = LogRing()
        # A jump of the charge point's time moves Smart Charging's period
        # boundaries (SmartCharging is built below).
        self._time = TimeKeeper(self.clock, hook=self._hook, changed=self._time_changed)
        self._registrar = Registration(
            config,
            self.ocpp_config,
            self.clock,
            call=self._call_now,
            connected=lambda: self._connection is not None,
            running=lambda: self.running,
            set_time=self._set_time,
            status_set=self._answer_calls,
            notify=self._notify,
            accepted=self._accepted,
            firmware_version=lambda: self._firmware.version(),
        )
        self._heartbeat = Heartbeat(
            self.ocpp_config,
            self.clock,
            send=self._send,
            online=lambda: self.online,
            set_time=self._set_time,
        )
        self._connectors = Connectors(self.store, config.connectors)
        self._status = StatusReporter(
            self._connectors,
            self.ocpp_config,
            self.clock,
            now=self.now,
            send=self._send,
            online=lambda: self.online,
            running=lambda: self.running,
            notify=self._notify,
        )
        local_list = LocalListStore(self.store)
        self._authorizer = Authorizer(
            self.store,
            self.ocpp_config,
            self.clock,
            now=self.now,
            send=self._send,
            online=lambda: self.online,
            report_error=self._status.report_error,
            local_list=local_list,
        )
        self._queue = TransactionQueue(
            self.store,
            self.ocpp_config,
            self.clock,
            send=self._send,
            online=lambda: self.online,
        )
        self._security_log = SecurityLog(
            self.store, lambda: self.ocpp_config.integer("SecurityLogMaxEntriesCount")
        )
        self._security = SecurityEvents(
            self._security_log,
            now=self.now,
            enqueue=self._queue.enqueue_request,
            notify=self._notify,
        )
        self._metering = Metering(
            self._connectors,
            self.store,
            self.ocpp_config,
            self.clock,
            now=self.now,
            read_meter=lambda **kwargs: self._hook("openocpp_cp_meter_value", **kwargs),
            queue=self._queue,
            send=self._send,
            running=lambda: self.running,
        )
        self._availability = Availability(self._connectors, self._status, notify=self._notify)
        # The feature profiles' collaborators that answer their own requests
        # (CentralSystemRequests asks each for its handlers).
        self._firmware = FirmwareUpdates(
            self.store,
            self._connectors,
            self._status,
            self.clock,
            now=self.now,
            send=self._send,
            hook=self._hook,
            transfers=self._transfers,
            reboot=lambda: self._transactions.perform_reset(ResetType.HARD),
            folder=config.download_folder,
            max_bytes=config.download_max_bytes,
            configured_version=lambda: self.config.firmware_version,
            security_event=self.security_event,
        )
        self._signed_firmware = SignedFirmwareUpdates(
            self.store,
            self._connectors,
            self._status,
            self.clock,
            now=self.now,
            send=self._send,
            hook=self._hook,
            transfers=self._transfers,
            reboot=lambda: self._transactions.perform_reset(ResetType.HARD),
            folder=config.download_folder,
            max_bytes=config.download_max_bytes,
            configured_version=lambda: self.config.firmware_version,
            manufacturer_roots=lambda: self._certificates.manufacturer_roots(),
            security_event=self.security_event,
            signed_only=config.signed_firmware_only,
            revocation=RevocationCheck(config.crl_folder, self._hook),
        )
        self._diagnostics = Diagnostics(
            self.store,
            self.ocpp_config,
            self.clock,
            now=self.now,
            send=self._send,
            hook=self._hook,
            transfers=self._transfers,
            folder=config.download_folder,
            identity=config.identity,
            log_ring=self._log_ring,
            in_thread=self._in_thread,
        )
        self._logs = LogUploads(
            self.store,
            self.ocpp_config,
            self.clock,
            now=self.now,
            send=self._send,
            hook=self._hook,
            transfers=self._transfers,
            folder=config.download_folder,
            identity=config.identity,
            log_ring=self._log_ring,
            in_thread=self._in_thread,
            security_log=self._security_log,
        )
        self._reservations = Reservations(
            self._connectors,
            self.store,
            self.ocpp_config,
            self.clock,
            now=self.now,
            status=self._status,
            authorize=lambda connector, id_tag: self._authorizer.parent_of(
                connector, id_tag, self.authorize
            ),
            notify=self._notify,
        )
        self._status.shown = self._reservations.shown
        self._status.changed = self._reservations.status_changed
        self._connectors.add_start_rule(self._reservations.allows)
        self._smart_charging = SmartCharging(
            self._connectors,
            self.store,
            self.ocpp_config,
            self.clock,
            now=self.now,
            hook=self._hook,
            notify=self._notify,
            voltage=config.supply_voltage,
            phases=config.supply_phases,
            max_current=config.max_current,
        )
        keys = PrivateKeys(self._private_key_keeper)
        certificate_store = CertificateStore(self.store, forget=keys.forget)
        self._certificates = Certificates(
            certificate_store,
            self.ocpp_config,
            now=self.now,
            send=self._send,
            identity=config.identity,
            security_event=self.security_event,
            folder=os.path.join(config.download_folder, "certificates"),
            configured_roots=lambda: self.config.ca_certificates,
            configured_certificate=lambda: self.config.client_certificate,
            installed=self._certificate_installed,
            keys=keys,
        )
        # A03: the charge point renews its certificate itself.
        self._renewal = CertificateRenewal(
            self._certificates.choice,
            self._certificates.sign_certificate,
            certificate_store,
            self.ocpp_config,
            now=self.now,
            call_later=self.call_later,
            online=lambda: self.online,
            # Soon, not now: the check may run inside a connection's
            # callbacks (accepted, online).
            switch=lambda: self.call_later(0, self._switch_certificate),
        )
        features: list[Any] = [
            LocalList(local_list, self.ocpp_config, notify=self._notify),
            self._reservations,
            self._firmware,
            self._diagnostics,
            self._logs,
            self._smart_charging,
            self._certificates,
            self._signed_firmware,
        ]
        self._extended_trigger = ExtendedTrigger(
            trigger=lambda request: self._requests.trigger_message(request),
            call_later=self.call_later,
            log_status=self._logs.trigger,
        )
        # ExtendedTriggerMessage(SignChargePointCertificate): a new CSR,
        # sent as a triggered message.
        self._extended_trigger.sign_certificate = self._triggered_sign_certificate
        features.append(self._extended_trigger)
        self._transactions = Transactions(
            self._connectors,
            self.store,
            self.ocpp_config,
            self.clock,
            now=self.now,
            metering=self._metering,
            queue=self._queue,
            authorize=self.authorize,
            hook=self._hook,
            notify=self._notify,
            online=lambda: self.online,
            running=lambda: self.running,
            apply_scheduled=self._transaction_ended,
            reservations=self._reservations,
            transaction_changed=self._smart_charging.transaction_changed,
        )
        self._requests = CentralSystemRequests(
            self._connectors,
            self.ocpp_config,
            self.clock,
            hook=self._hook,
            call_later=self.call_later,
            send=self._send,
            registration=lambda: self._registration,
            queue=self._queue,
            authorizer=self._authorizer,
            status=self._status,
            metering=self._metering,
            operations={
                "change_availability": self._availability.change,
                "configuration_problem": self._configuration_problem,
                "configuration_changed": self._configuration_changed,
                "remote_start": self._remote_start,
                "stop_by_charge_point": self._transactions.stop_by_charge_point,
                "perform_reset": self._transactions.perform_reset,
                "boot": self._registrar.boot,
                "heartbeat": self._heartbeat.send,
            },
            features=features,
            charging_profile_problem=self._smart_charging.remote_start_problem,
        )
        # The queue and its peers, wired to each other's small interfaces.
        self._status.stop_waiting = self._queue.stop_waiting
        self._queue.stop_sent = self._stop_sent
        self._queue.id_tag_info = self._authorizer.update
        self._queue.deauthorized = self._transactions.deauthorized
        self._connect = connect
        self._service = None
        #: The L{ProfileWatch} of the connection service's attempts.
        self._watch: ProfileWatch | None = None
        #: The security events of failed connection attempts, once per
        #: streak of failures across the services that replace one another.
        self._failure_streak = FailureStreak(self._security.raise_event)
        #: The SecurityProfile the connection service was made with.
        self._profile_in_use: int | None = None
        self._connection: _Connection | None = None
        self._later: set[Any] = set()
        #: action -> the response each such request gets instead of the
        #: charge point's own answer (the simulator's C{answer} step);
        #: read when a connection opens.
        self.answers: dict[str, Any] = {}
        self._observe_connection_keys()
        self._register_plugin_keys()

    def _ocpp_config(self, config: Any) -> OcppConfig:
        defaults = {
            "SecurityProfile": str(config.security_profile),
            "MessageTimeout": str(max(1, int(config.call_timeout))),
            "ConnectorPhaseRotation": ",".join(
                f"{n}.Unknown" for n in range(1, config.connectors + 1)
            ),
            "ConnectorPhaseRotationMaxLength": str(config.connectors + 1),
        }
        if config.password:
            defaults["AuthorizationKey"] = config.password
        fixed = {"NumberOfConnectors": str(config.connectors)}
        if config.ocpp_ini:
            storage = IniConfigStorage(config.ocpp_ini)
        else:
            storage = SqliteConfigStorage(self.store)
        return OcppConfig(storage, defaults, fixed)

    def _register_plugin_keys(self) -> None:
        # Synchronously (plugins answer with lists at once); a historic hook,
        # so that plugins registered later are asked too.
        def register(definitions):
            for definition in definitions or ():
                self.ocpp_config.register(definition)

        self.plugins.hook.openocpp_cp_configuration_keys.call_historic(
            register, kwargs={"charge_point": self}
        )
        measurands = self.plugins.hook.openocpp_cp_supported_measurands(charge_point=self)
        if measurands is not None:
            self.ocpp_config.supported_measurands = frozenset(str(m) for m in measurands)

    def _transaction_ended(self, connector: int) -> None:
        self._availability.apply_scheduled(connector)
        self._firmware.transaction_ended(connector)
        self._signed_firmware.transaction_ended(connector)

    def _transfers(self) -> Any:
        """
        The file transfers, made when first needed (so that a charge point
        that never transfers a file imports nothing of them).
        """
        if self._transfer_client is None:
            from openocpp.transfer import Transfers

            self._transfer_client = Transfers(
                self._reactor,
                timeout=self.config.transfer_timeout,
                connect_timeout=self.config.transfer_connect_timeout,
                trust_root=self.config.transfer_ca_certificates,
                max_duration=self.config.transfer_max_duration,
            )
        return self._transfer_client

    def _in_thread(self, function: Any, *args: Any) -> Deferred:
        # The reactor's thread pool; a reactor without one (a test's Clock)
        # runs the function at once.
        pool = getattr(self._reactor, "getThreadPool", None)
        if pool is None:
            return maybeDeferred(function, *args)
        from twisted.internet.threads import deferToThreadPool

        return deferToThreadPool(self._reactor, pool(), function, *args)

    # -- hooks ----------------------------------------------------------------------

    def _hook(self, name: str, **kwargs: Any) -> Deferred:
        """
        Call a hook with this charge point as C{charge_point}.

        @return: a Deferred of its answer.
        """
        return call_hook(self.plugins, name, charge_point=self, **kwargs)

    def _private_key_keeper(self) -> Any:
        """
        @return: the plugins' L{IPrivateKeyKeeper
            <openocpp.chargepoint.interfaces.IPrivateKeyKeeper>}, or C{None}
            (synchronously: the keys are needed at once).
        """
        return self.plugins.hook.openocpp_cp_private_key_keeper(charge_point=self)

    def _notify(self, name: str, **kwargs: Any) -> None:
        """
        Call a notification hook with this charge point as C{charge_point}:
        every plugin is told, a failing one is logged.
        """
        notify(self.plugins, name, charge_point=self, **kwargs)

    # -- service ----------------------------------------------------------------------

    def startService(self) -> None:
        if self._owns_store:
            self.store.open()
        self._log_publisher.addObserver(self._log_ring)
        super().startService()
        self._connectors.ensure()
        self._registrar.forget()
        self._status.start()
        self._reservations.start()
        self.log.info(
            "Charge point {identity} starting ({connectors} connectors, {queued} queued "
            "messages)",
            identity=self.config.identity,
            connectors=self.connector_count,
            queued=self.store.queue_length(),
        )
        for record in self.store.running_transactions():
            self.log.info(
                "Transaction {local_id} goes on on connector {connector}",
                local_id=record.local_id,
                connector=record.connector_id,
            )
            self._metering.start_sampling(record.local_id, record.connector_id)
        self._metering.start_aligned()
        self._smart_charging.start()
        for record in self.store.running_transactions():
            status = record.id_tag_status
            if status is not None and status != AuthorizationStatus.ACCEPTED.value:
                # Refused before the process stopped, and not stopped yet.
                self._transactions.deauthorized(record.local_id, AuthorizationStatus(status))
        self._security.raise_event("StartupOfTheDevice")
        self._firmware.start()
        self._signed_firmware.start()
        self._diagnostics.start()
        if self._connect and self._service is None:
            self._service = self._connection_service()
            self._service.setServiceParent(self)
        if self._service is not None:
            # (Again after a stop: the stop ended the watch.) Soon, not now:
            # a restart may run inside the connection service's own stop.
            previous = self._watch.previous if self._watch is not None else None
            self.call_later(0, self._watch_service, self._service, previous)
        self._renewal.start()

    def _connection_service(self) -> Any:
        config = self.config
        profile = self.ocpp_config.integer("SecurityProfile")
        password = self.ocpp_config.get("AuthorizationKey") or None
        ping = self.ocpp_config.integer("WebSocketPingInterval")
        self._profile_in_use = profile
        ca_certificates = config.ca_certificates
        client_certificate, client_key = config.client_certificate, config.client_key
        kept_elsewhere = None
        if profile >= 2:
            # What the central system installed (InstallCertificate,
            # CertificateSigned) wins over the configured files.
            try:
                ca_file, certificate_file, key_file = self._certificates.tls_files()
            except OSError as error:
                self.log.warn("Cannot write the installed certificates ({error}): using the "
                              "configured files", error=error)
                ca_file = certificate_file = key_file = None
            if ca_file is not None:
                ca_certificates = ca_file
            if certificate_file is not None:
                client_certificate, client_key = certificate_file, key_file
                if self._certificates.key_from_keeper():
                    kept_elsewhere = key_file
        try:
            return self._make_connection_service(
                profile, password, ping, ca_certificates, client_certificate, client_key)
        finally:
            # Read into the TLS context: a key a keeper holds stays on disk
            # only while the context is built.
            if kept_elsewhere is not None:
                remove_file(kept_elsewhere)

    def _make_connection_service(
        self, profile: int, password: Any, ping: int, ca_certificates: Any,
        client_certificate: Any, client_key: Any,
    ) -> Any:
        from openocpp.transport.client import ClientConnectionService

        config = self.config
        service = ClientConnectionService(
            self._reactor,
            profile_url(config.url, config.tls_url, profile),
            config.identity,
            self.handler_factory,
            security_profile=profile,
            password=password if profile in (1, 2) else None,
            ca_certificates=ca_certificates if profile >= 2 else None,
            client_certificate=client_certificate if profile == 3 else None,
            client_key=client_key if profile == 3 else None,
            tls_ciphers=config.tls_ciphers,
            ping_interval=ping,
            initial_delay=config.reconnect_initial_delay,
            max_delay=config.reconnect_max_delay,
            clock=self.clock,
        )
        service.setName("connection")
        return service

    def stopService(self) -> Deferred:
        # The children stop (the connection service closes the connection),
        # and the store closes once they have.
        self._stops += 1
        stopped = maybeDeferred(super().stopService)
        self._stop_timers()
        self._renewal.stop()
        self._firmware.stop()
        self._signed_firmware.stop()
        self._diagnostics.stop()
        self._logs.stop()
        self._log_publisher.removeObserver(self._log_ring)
        if self._service is None and self._connection is not None:
            self._connection.close()
        self.log.info("Charge point {identity} stopped", identity=self.config.identity)
        if self.trace is not None:
            stopped.addBoth(self._flush_trace)
        if self._owns_store and self.store.reopenable:
            stopped.addBoth(self._close_store)
        return stopped

    def _flush_trace(self, result: Any) -> Any:
        self.trace.flush()
        return result

    def _close_store(self, result: Any) -> Any:
        if not self.running:
            self.store.close()
        return result

    def call_later(self, delay: float, function: Any, *args: Any) -> Any:
        """
        Call C{function(*args)} in C{delay} seconds, unless the service
        stops first (for plugins too: nothing they schedule so outlives it).

        @return: the C{IDelayedCall}.
        """

        def call():
            self._later.discard(delayed)
            return function(*args)

        delayed = self.clock.callLater(delay, call)
        self._later.add(delayed)
        return delayed

    def _stop_timers(self) -> None:
        self._heartbeat.stop()
        self._registrar.stop()
        later, self._later = self._later, set()
        for delayed in later:
            if delayed.active():
                delayed.cancel()
        self._status.stop()
        self._reservations.stop()
        self._metering.stop()
        self._queue.stop()
        self._smart_charging.stop()

    def restart(self) -> Deferred:
        """
        Stop and start the service again, as after a reboot: a new
        BootNotification follows.
        """
        self.log.info("Charge point {identity} restarting", identity=self.config.identity)
        self._security.raise_event("ResetOrReboot")
        stopping = maybeDeferred(self.stopService)
        stop = self._stops

        def start(_):
            # A stop that came meanwhile (the process or the test ending)
            # wins: starting behind it would leave a connection attempt.
            if self._stops != stop or self.running:
                self.log.info("Not restarting: the charge point was stopped meanwhile")
                return
            self.startService()

        return stopping.addCallback(start)

    def _reconnect(self) -> None:
        """
        Connect again with the current SecurityProfile and AuthorizationKey.
        """
        if self._service is None:
            if self._connection is not None:
                self._connection.close()
            return
        old = self._service
        in_use = self._profile_in_use
        try:
            new = self._connection_service()
        except Exception:
            self.log.failure("Cannot reconnect with the new settings")
            return
        self._service = new
        self.log.info("Reconnecting with the new security settings")
        # A raised profile is watched: A05.FR.08, back to the one in use if
        # the new one cannot connect.
        profile = self._profile_in_use
        previous = in_use if in_use is not None and profile > in_use else None
        if previous is None and self._watch is not None and self._watch.previous is not None:
            previous = self._watch.previous  # the key changed while a switch was pending
        self._watch_service(new, previous)

        def swap(_):
            # The new service joins once the old one closed its connection
            # (started at once if the charge point runs, else at its start).
            if self._service is new:
                new.setServiceParent(self)

        maybeDeferred(old.disownServiceParent).addBoth(swap)

    def _watch_service(self, service: Any, previous: int | None) -> None:
        if self._watch is not None:
            self._watch.stop()
        self._watch = ProfileWatch(
            service,
            security_event=self._security.raise_event,
            fall_back=self._fall_back,
            previous=previous,
            profile=self._profile_in_use,
            attempts=self.config.security_profile_attempts,
            streak=self._failure_streak,
            certificate_fallback=(
                self._certificate_fall_back
                if self._profile_in_use == 3 and self._certificates.choice.can_fall_back() else None
            ),
        )
        self._watch.start()

    def _certificate_fall_back(self, reason: str) -> None:
        """
        A02.FR.10/A03.FR.10: the central system refuses the new charge
        point certificate: back to the previous one (an
        InvalidChargePointCertificate security event says so).
        """
        self._certificates.choice.fall_back(reason)
        self._reconnect()

    def _certificate_installed(self, leaf: Any) -> None:
        """
        A CertificateSigned.req was accepted: the renewal looks again at
        what expires, and on profile 3 the charge point reconnects with the
        new certificate once it is valid (A02.FR.08/A03.FR.08); a second
        later, so that the answer goes out first.
        """
        self.call_later(1, self._renewal.check)
        wait = (leaf.not_valid_before_utc - self.now()).total_seconds()
        if wait > 0:
            self.call_later(wait + 1, self._switch_certificate)

    def _switch_certificate(self) -> None:
        if (self._service is not None and self._profile_in_use == 3
                and self._certificates.choice.switch_due()):
            self.log.info("Reconnecting with the new charge point certificate")
            self._reconnect()

    def _fall_back(self, previous: int, reason: str) -> None:
        """
        A05.FR.08: the new SecurityProfile could not connect: the previous
        one is restored (a SecurityProfile may otherwise only be raised) and
        the central system told with a critical security event.
        """
        self.log.warn(
            "Falling back to security profile {previous}: {reason}",
            previous=previous,
            reason=reason,
        )
        self.ocpp_config.set("SecurityProfile", str(previous))
        self._security.raise_event(
            "ReconfigurationOfSecurityParameters",
            f"fallback to SecurityProfile {previous}: {reason}",
            critical=True,
        )
        self._reconnect()

    # -- connections --------------------------------------------------------------------

    def _handlers(self) -> dict:
        # The handlers of a connection's session: the charge point's own,
        # unless answers says otherwise (looked up on each request, so a
        # change applies to the open connection too).
        def handler(action, own):
            def handle(request):
                answer = self.answers.get(action)
                return own(request) if answer is None else answer
            return handle

        return {action: handler(action, own) for action, own in self._requests.handlers().items()}

    def handler_factory(self, connection: Any) -> _Connection:
        """
        Make the handler of a new connection to the central system (the
        transport's C{handler_factory}).
        """
        return _Connection(self)

    @property
    def connected(self) -> bool:
        return self._connection is not None

    @property
    def online(self) -> bool:
        """
        Whether requests may be sent: connected and accepted.
        """
        return (
            self.running
            and self._connection is not None
            and self._registration is RegistrationStatus.ACCEPTED
        )

    def _activity(self, direction: str, text: str, session: Any) -> None:
        self._heartbeat.activity()

    def _connected(self, connection: _Connection) -> None:
        if self.metrics is not None:
            self.metrics.connections.inc()
            if self._connections_made:
                self.metrics.reconnects.inc()
        self._connections_made += 1
        if self._connection is not None and self._connection is not connection:
            self._connection.close()
        self._connection = connection
        self._answer_calls()
        self._certificates.connected(
            self.ocpp_config.integer("SecurityProfile"),
            getattr(connection.session.connection, "client_certificate", None),
        )
        self._heartbeat.activity()
        self.log.info("Connected to the central system as {identity}", identity=self.config.identity)
        self._notify("openocpp_cp_connection_changed", connected=True)
        if self._registration is RegistrationStatus.ACCEPTED:
            self._went_online()
        elif not self._registrar.waiting():
            self._registrar.boot()

    def _answer_calls(self) -> None:
        """
        While Rejected, the charge point "SHALL NOT respond to any Central
        System initiated message" (section 4.2): its RPC session answers no
        CALL then, not even an unknown or malformed one.
        """
        if self._connection is not None:
            self._connection.session.answer_calls = (
                self._registration is not RegistrationStatus.REJECTED
            )

    def _disconnected(self, connection: _Connection) -> None:
        if self._connection is not connection:
            return
        self._connection = None
        self._heartbeat.stop()
        self._queue.settle_all()
        if self._watch is not None:
            self._watch.disconnected()
        self.log.info("Disconnected from the central system")
        self._notify("openocpp_cp_connection_changed", connected=False)

    def _went_online(self) -> None:
        # Accepted and connected: send what waited.
        self._status.consider_all()
        self._heartbeat.schedule()
        self._queue.pump()
        self._firmware.online()
        self._signed_firmware.online()
        self._renewal.check()

    def _send(self, request: Any, triggered: bool = False) -> Deferred:
        """
        Send a request to the central system.

        @param triggered: sent because a TriggerMessage asked for it (allowed
            while Pending, not before the first BootNotification.conf).
        @return: a Deferred firing with the response, or failing with
            L{NotConnected}, L{NotAccepted} or an RPC error.
        """
        connection = self._connection
        if connection is None or not self.running:
            return fail(NotConnected(f"{request.action}: not connected"))
        status = self._registration
        if request.action != "BootNotification":
            if status is not RegistrationStatus.ACCEPTED and not (
                triggered and status is RegistrationStatus.PENDING
            ):
                return fail(NotAccepted(f"{request.action}: not accepted by the central system"))
        return connection.session.call(request)

    # -- registration ------------------------------------------------------------------------

    def _accepted(self) -> None:
        self._metering.start_aligned()
        if self._connection is not None:
            self._status.report_all()
            self._heartbeat.schedule()
            self._queue.pump()
            self._firmware.online()
            self._signed_firmware.online()
            self._renewal.check()

    def _call_now(self, request: Any) -> Deferred:
        return self._connection.session.call(request)

    @property
    def _registration(self) -> RegistrationStatus | None:
        return self._registrar.status

    def registration_status(self) -> Deferred:
        return succeed(self._registration)

    def now(self) -> datetime:
        return self._time.now()

    def _time_changed(self) -> None:
        # Smart Charging's period boundaries move with the time; a changed
        # system time is a security event (whitepaper chapter 8).
        self._smart_charging.reconsider()
        self._security.raise_event(
            "SettingSystemTime", f"set to {codec.format_datetime(self.now())}"
        )

    def security_event(
        self, kind: str, tech_info: str | None = None, critical: bool | None = None
    ) -> None:
        """
        Raise a security event: stored in the security log, and sent to the
        central system (through the persistent queue) when critical.
        """
        self._security.raise_event(kind, tech_info, critical)

    def _set_time(self, current_time: datetime) -> None:
        # The central system told its time: what expires is timed again.
        self._time.set(current_time)
        self._reservations.reschedule()

    # -- connectors ------------------------------------------------------------------------

    @property
    def connector_count(self) -> int:
        return self._connectors.count

    @property
    def log_frames(self) -> bool:
        return self._log_frames

    def startable(self, connector: int, id_tag: str | None = None) -> bool:
        """
        Whether a transaction may start on a connector: operative, free,
        neither Faulted nor Unavailable, and not reserved for another idTag.
        """
        return self._connectors.startable(connector, id_tag)

    def reservation(self, connector: int) -> Any:
        """
        @return: the L{openocpp.chargepoint.reservations.Reservation} a
            connector is kept for (0: the first of no specific connector),
            or C{None}.
        """
        return self._reservations.reservation(connector)

    def status_notification(
        self,
        connector: int,
        status: Any,
        error_code: Any = ChargePointErrorCode.NO_ERROR,
        info: str | None = None,
        vendor_id: str | None = None,
        vendor_error: str | None = None,
    ) -> Deferred:
        return maybeDeferred(
            self._status.set, connector, status, error_code, info, vendor_id, vendor_error
        )

    def connector_status(self, connector: int) -> Deferred:
        try:
            self._connectors.check(connector)
        except ValueError:
            return fail()
        return succeed(self._status.status(connector))

    # -- authorization --------------------------------------------------------------------

    def authorize(self, connector: int, id_tag: str) -> Deferred:
        try:
            self._connectors.check(connector)
            codec.validate(AuthorizeRequest, codec.encode(AuthorizeRequest(id_tag=id_tag)))
        except ValueError:
            return fail()
        return self._authorizer.authorize(connector, id_tag)

    # -- transactions ------------------------------------------------------------------------

    def transaction_record(self, connector: int) -> TransactionRecord | None:
        """
        @return: the transaction running on a connector, or C{None}.
        """
        return self._connectors.transaction(connector)

    def transaction_id(self, connector: int) -> int | None:
        record = self.transaction_record(connector)
        return None if record is None else record.wire_id

    def start_transaction(self, connector: int, id_tag: str, reservation_id: int | None = None):
        return self._transactions.start_transaction(connector, id_tag, reservation_id)

    def stop_transaction(self, connector: int, id_tag: str | None = None, reason: Any = None):
        return self._transactions.stop_transaction(connector, id_tag, reason)

    def _remote_start(self, connector: int, id_tag: str, charging_profile: Any) -> Deferred:
        # 5.11: "If accepted, the Charge Point SHALL use this ChargingProfile
        # for the transaction": it waits for the transaction to start.
        if charging_profile is not None:
            self._smart_charging.expect(connector, charging_profile)
        return self._transactions.remote_start(connector, id_tag, charging_profile)

    def charging_limit(self, connector: int) -> tuple:
        return self._smart_charging.limit(connector)

    def _stop_sent(self, connector: int | None) -> None:
        if connector is not None:
            self._status.consider(connector)
        self._status.consider(0)

    # -- meter values and data transfer ---------------------------------------------------------

    def send_meter_values(self, connector: int, values: list) -> Deferred:
        try:
            self._connectors.check(connector)
        except ValueError:
            return fail()
        request = MeterValuesRequest(connector_id=connector, meter_value=values)
        try:
            codec.validate(MeterValuesRequest, codec.encode(request))
        except ValueError:
            return fail()
        record = self.transaction_record(connector) if connector else None
        if record is not None:
            self._queue.enqueue_meter_values(connector, record.local_id, values)
            return succeed(True)
        return self._send(request).addCallbacks(lambda _: True, lambda _: False)

    def data_transfer(self, vendor_id: str, message_id: str | None = None, data: str | None = None) -> Deferred:
        return self._send(DataTransferRequest(vendor_id=vendor_id, message_id=message_id, data=data))

    # -- configuration -------------------------------------------------------------------------

    def _configuration_problem(self, key: str, value: str) -> str | None:
        """
        What stops a change the key's own rules allow, or C{None}.
        """
        if key == "SecurityProfile":
            from openocpp.transport.client import check_client_configuration

            profile = int(value)
            key_definition = self.ocpp_config.definition("AuthorizationKey")
            password = self.ocpp_config.get("AuthorizationKey") or None
            problem = profile_problem(
                profile,
                self.ocpp_config.integer("SecurityProfile"),
                has_authorization_key=password is not None
                and key_definition.check(password) is None,
                has_central_system_root=self._has_central_system_root(),
                has_client_certificate=self._has_client_certificate(),
            )
            if problem is not None:
                return problem
            try:
                check_client_configuration(
                    profile,
                    profile_url(self.config.url, self.config.tls_url, profile),
                    password if profile in (1, 2) else None,
                    self.has_charge_point_certificate() if profile == 3 else None,
                )
            except ValueError as error:
                return str(error)
        return None

    def _has_client_certificate(self) -> bool:
        """
        Whether a ChargePointCertificate is installed: one the central system
        signed (CertificateSigned, valid now), or the config's
        C{client_certificate} file.
        """
        if self._certificates.has_charge_point_certificate():
            return True
        path = self.config.client_certificate
        return path is not None and os.path.isfile(path)

    def _has_central_system_root(self) -> bool:
        """
        Whether a CentralSystemRootCertificate is installed: with
        InstallCertificate, or the config's C{ca_certificates} file.
        """
        if self._certificates.has_central_system_root():
            return True
        path = self.config.ca_certificates
        return path is not None and os.path.isfile(path)

    def _configuration_changed(self, key: str, value: str) -> None:
        """
        Apply a changed key to what runs: its owners observe it (see
        L{IOcppConfig.observe}), then plugins are told.
        """
        if key in SECURITY_PARAMETERS:
            # Whitepaper A01.FR.11: the change is logged; A01.FR.12: never
            # the key's content.
            shown = "(hidden)" if key == "AuthorizationKey" else value
            self._security.raise_event(
                "ReconfigurationOfSecurityParameters", f"{key} changed to {shown}"
            )
        self.ocpp_config.announce(key, value)
        self._notify("openocpp_cp_configuration_changed", key=key, value=value)

    def _observe_connection_keys(self) -> None:
        config = self.ocpp_config
        config.observe("MessageTimeout", self._message_timeout_changed)
        config.observe("WebSocketPingInterval", self._ping_interval_changed)
        for key in ("AuthorizationKey", "SecurityProfile"):
            config.observe(key, lambda key, value: self._reconnect())

    def _message_timeout_changed(self, key: str, value: str) -> None:
        if self._connection is not None:
            self._connection.session.call_timeout = int(value)

    def _ping_interval_changed(self, key: str, value: str) -> None:
        if self._service is not None:
            self._service.set_ping_interval(int(value))

    # -- security ----------------------------------------------------------------------------------

    def has_charge_point_certificate(self) -> bool:
        """
        @return: whether a charge point certificate (installed with
            CertificateSigned, valid now) or a configured one exists: what
            SecurityProfile 3 needs.
        """
        return (
            self._certificates.has_charge_point_certificate()
            or self.config.client_certificate is not None
        )

    def sign_certificate(self, triggered: bool = False) -> Deferred:
        """
        Send a SignCertificate.req with a new CSR (A02/A03; what
        ExtendedTriggerMessage(SignChargePointCertificate) asks for).

        @return: a Deferred firing with the SignCertificate.conf.
        """
        return self._certificates.sign_certificate(triggered=triggered)

    def _triggered_sign_certificate(self) -> Deferred:
        def failed(failure):
            self.log.info("Triggered SignCertificate.req failed: {error}", error=failure.value)

        return self.sign_certificate(triggered=True).addErrback(failed)

    # -- data ------------------------------------------------------------------------------------

    def reset_data(self) -> Deferred:
        if self.running:
            return fail(RuntimeError("stop the charge point before resetting its data"))
        self.store.reset()
        self.ocpp_config.reset()
        self.log.info("Charge point data reset")
        # The security log went with the rest (sent after the next boot).
        self._security.raise_event("SecurityLogWasCleared", "charge point data reset")
        return succeed(None)

    def reset_connector_data(self) -> Deferred:
        if self.running:
            return fail(RuntimeError("stop the charge point before resetting its data"))
        self.store.reset_connectors()
        self.log.info("Connector data reset")
        return succeed(None)
