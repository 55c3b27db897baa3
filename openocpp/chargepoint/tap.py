"""
The C{twistd openocpp chargepoint} subcommand: its options and the service
they build::

    twistd -n openocpp chargepoint --url ws://cs.example.com/ocpp --identity CP001

Heavy imports happen inside L{make_service}, so C{twistd --help} stays fast.
"""

from typing import Any

from twisted.application.service import IService

from openocpp.preflight import number
from openocpp.roletap import RoleOptions


class ChargePointOptions(RoleOptions):
    """
    Options of C{twistd openocpp chargepoint}; after parsing, C{config}
    holds the L{openocpp.chargepoint.config.ChargePointConfig}.
    """

    longdesc = (
        "Run an OCPP 1.6-J charge point (Core, Firmware Management and Remote Trigger profiles). "
        "With no plugin it simulates a charger and its meter; --simulate also "
        "runs charging sessions in a loop. Its state (configuration keys, "
        "statuses, transactions, queued messages) is kept in an SQLite file."
    )

    optParameters = [
        ["url", "u", "ws://127.0.0.1:8080/openocpp",
         "The central system's OCPP-J URL; the identity is appended as its last path segment."],
        ["tls-url", None, None,
         "The central system's wss:// URL for security profiles 2 and 3 when --url is a ws:// one "
         "(default: --url with its scheme switched to wss://)."],
        ["identity", "i", "CP001", "The charge point identity."],
        ["security-profile", None, 0, "The security profile to start with: 0 to 3.",
         number("--security-profile", int)],
        ["password", "p", None, "The AuthorizationKey (HTTP Basic-auth password), profiles 1 and 2."],
        ["ca-certificates", None, None, "PEM file of the CA(s) of the central system (profiles 2, 3)."],
        ["client-certificate", None, None, "PEM file of the charge point certificate (profile 3)."],
        ["client-key", None, None, "PEM file of its private key (default: in the certificate file)."],
        ["tls-ciphers", None, None,
         "The TLS 1.2 cipher suites, an OpenSSL cipher string (default: the whitepaper's AES-GCM "
         "and ChaCha20 suites; banned ones are refused)."],
        ["crl-folder", None, None,
         "A folder of CRLs (PEM or DER) the firmware signing certificate is checked against."],
        ["connectors", "c", 2, "The number of connectors.",
         number("--connectors", int)],
        ["db", None, "openocpp-chargepoint.sqlite", "The SQLite file of the charge point's state."],
        ["ocpp-ini", None, None, "An INI file holding the OCPP configuration keys (section [ocpp])."],
        ["call-timeout", None, 30.0, "Seconds to wait for an answer (until MessageTimeout is set).",
         number("--call-timeout", float)],
        ["vendor", None, "openocpp", "chargePointVendor of the BootNotification."],
        ["model", None, "Simulator", "chargePointModel of the BootNotification."],
        ["serial-number", None, None, "chargePointSerialNumber of the BootNotification."],
        ["firmware-version", None, None, "firmwareVersion of the BootNotification."],
        ["download-folder", None, "openocpp-downloads",
         "The folder firmware is downloaded to (and diagnostics files written in)."],
        ["download-max-bytes", None, 256 * 1024 * 1024, "The largest firmware file downloaded, in bytes.",
         number("--download-max-bytes", int)],
        ["transfer-timeout", None, 600.0,
         "Seconds a firmware download or diagnostics upload may go without progress.",
         number("--transfer-timeout", float)],
        ["transfer-max-duration", None, 3600.0,
         "Seconds a firmware download or diagnostics upload may take in all.",
         number("--transfer-max-duration", float)],
        ["transfer-connect-timeout", None, 30.0, "Seconds to connect to a transfer's server.",
         number("--transfer-connect-timeout", float)],
        ["transfer-ca-certificates", None, None,
         "PEM file of the CA(s) HTTPS firmware and diagnostics servers are verified with "
         "(default: the platform's trusted CAs)."],
        ["supply-voltage", None, 230.0, "Volts per phase (Smart Charging's A/W conversions).",
         number("--supply-voltage", float)],
        ["supply-phases", None, 3, "The phases the charger is wired with: 1 or 3.",
         number("--supply-phases", int)],
        ["max-current", None, None, "The charger's maximum, amperes per phase (Smart Charging).",
         number("--max-current", float)],
        ["id-tag", None, "SIM-0001", "The idTag of the simulated driver (--simulate)."],
        ["charge-time", None, 60.0, "Seconds each simulated session charges (--simulate).",
         number("--charge-time", float)],
        ["count", None, 1,
         "Simulate this many charge points in one process (--identity is then a template "
         "of {n}, e.g. 'SIM{n:04d}', and --db and --download-folder one per identity).",
         number("--count", int)],
        ["ramp", None, 10.0, "Charge points started a second (--count; 0: all at once).",
         number("--ramp", float)],
        ["scenario", None, None,
         "A YAML or JSON scenario file each simulated charge point runs (docs/simulator.md); "
         "the command exits once every scenario is done, unless --loop."],
        ["speed", None, 1.0,
         "How many times as fast as real time the scenario's waits and the simulated meter run.",
         number("--speed", float)],
        ["progress", None, 10.0, "Seconds between the simulator's progress lines (0: none).",
         number("--progress", float)],
        ["noise", None, 0.0, "Relative noise of the simulated meter's readings (0.01: 1 %).",
         number("--noise", float)],
        ["seed", None, 0, "Seed of the simulated meter's noise.", number("--seed", int)],
        ["metrics-listen", None, None,
         "Serve Prometheus metrics at /metrics on this endpoint (e.g. tcp:9101:interface=127.0.0.1)."],
        ["metrics-token", None, None,
         "Token /metrics requires (Bearer, or the Basic-auth password); file:PATH reads it "
         "from a file. Without one, --metrics-listen must be loopback-only."],
    ]
    optFlags = [
        ["simulate", None, "Run charging sessions in a loop on connector 1."],
        ["loop", None, "Run the --scenario again and again (do not exit)."],
        ["signed-firmware-only", None,
         "Answer UpdateFirmware NotSupported: only SignedUpdateFirmware (Security "
         "Whitepaper L01.FR.20)."],
    ]
    renamed_options = {"charge_point_serial_number": "--serial-number"}

    def check(self) -> None:
        # What the config does not check, or checks under its own names.
        if self["password"]:
            from openocpp.chargepoint.keys import check_authorization_key

            check_authorization_key("--password", self["password"])
        if self["connectors"] < 1:
            raise ValueError(f"--connectors must be 1 or more, not {self['connectors']}")
        from openocpp.chargepoint.fleet import identities

        identities(self["identity"], self["count"])  # --count and --identity
        for name in ("ramp", "progress", "noise"):
            if not self[name] >= 0:  # also refuses nan
                raise ValueError(f"--{name} must be 0 or more, not {self[name]}")
        if not self["speed"] > 0:
            raise ValueError(f"--speed must be a positive number, not {self['speed']}")
        if self["loop"] and not self["scenario"]:
            raise ValueError("--loop runs a --scenario again: give one")
        for name in ("call-timeout", "charge-time", "transfer-timeout", "transfer-connect-timeout",
                     "transfer-max-duration"):
            if not self[name] > 0:  # also refuses nan
                raise ValueError(f"--{name} must be a positive number of seconds, not {self[name]}")
        for name in ("vendor", "model", "id-tag"):
            if not self[name] or len(self[name]) > 20:
                raise ValueError(f"--{name} must be 1 to 20 characters, not {self[name]!r}")

    def make_config(self):
        """
        The L{openocpp.chargepoint.config.ChargePointConfig} the options
        describe.

        @raise ValueError: they do not make a valid one.
        """
        from openocpp.chargepoint.config import ChargePointConfig

        return ChargePointConfig(
            url=self["url"],
            tls_url=self["tls-url"],
            identity=self["identity"].format(n=1),
            security_profile=self["security-profile"],
            password=self["password"],
            ca_certificates=self["ca-certificates"],
            client_certificate=self["client-certificate"],
            client_key=self["client-key"],
            tls_ciphers=self["tls-ciphers"],
            crl_folder=self["crl-folder"],
            connectors=self["connectors"],
            database=self["db"],
            ocpp_ini=self["ocpp-ini"],
            call_timeout=self["call-timeout"],
            vendor=self["vendor"],
            model=self["model"],
            charge_point_serial_number=self["serial-number"],
            firmware_version=self["firmware-version"],
            plugins=list(self["plugins"]),
            download_folder=self["download-folder"],
            download_max_bytes=self["download-max-bytes"],
            transfer_timeout=self["transfer-timeout"],
            transfer_connect_timeout=self["transfer-connect-timeout"],
            transfer_ca_certificates=self["transfer-ca-certificates"],
            transfer_max_duration=self["transfer-max-duration"],
            supply_voltage=self["supply-voltage"],
            supply_phases=self["supply-phases"],
            max_current=self["max-current"],
            signed_firmware_only=bool(self["signed-firmware-only"]),
        )


def make_service(options: ChargePointOptions, reactor=None) -> IService:
    """
    Build the charge point the options describe (with its simulator when
    C{--simulate} is given), or, with C{--count} above 1 or a
    C{--scenario}, the simulation of many (see
    L{openocpp.chargepoint.simtap.make_simulation}).

    Before building anything it checks what only the running machine can
    tell (see L{openocpp.preflight}): the plugins load, the certificate
    files can be read, the INI file's folder exists, the database is the
    charge point's.

    @param options: parsed L{ChargePointOptions}.
    @param reactor: the reactor (default: the global one).
    @return: the L{openocpp.chargepoint.service.ChargePoint} service.
    @raise usage.UsageError: one of those fails; the message is one line
        naming the option.
    """
    from openocpp.chargepoint.service import ChargePoint
    from openocpp.chargepoint.simulator import ChargingSimulator

    if reactor is None:
        from twisted.internet import reactor
    if options["count"] > 1 or options["scenario"]:
        from openocpp.chargepoint.simtap import make_simulation

        with options.errors_named():
            _preflight(options, reactor, database=False)  # each charge point's, there
            return make_simulation(options, reactor)
    with options.errors_named():
        _preflight(options, reactor)
        metrics = _metrics(options, reactor)
        plugins = None
        if options["simulate"]:
            from openocpp.chargepoint.simtap import simulator_meter, simulator_plugins
            from openocpp.plugins import load_plugin_module

            meter = simulator_meter(options, reactor)
            plugins = simulator_plugins(
                lambda charge_point: meter,
                [load_plugin_module(name) for name in options.config.plugins],
                load_entrypoints=True,
            )
        charge_point = ChargePoint(
            options.config,
            reactor=reactor,
            plugins=plugins,
            log_frames=bool(options["log-frames"]),
            trace=_trace(options, reactor),
            metrics=metrics,
        )
        if metrics is not None:
            _serve_metrics(options, charge_point, metrics, reactor)
    if options["simulate"]:
        simulator = ChargingSimulator(
            charge_point, id_tag=options["id-tag"], charge_time=options["charge-time"]
        )
        simulator.setName("simulator")
        simulator.setServiceParent(charge_point)
    return charge_point


def _metrics(options: ChargePointOptions, reactor) -> Any:
    # The charge point's metrics, kept only when served (--metrics-listen).
    if options["metrics-listen"] is None:
        return None
    from openocpp.metrics import Metrics

    return Metrics(reactor)


def _serve_metrics(options: ChargePointOptions, charge_point: Any, metrics: Any, reactor) -> None:
    from openocpp.web.config import read_token
    from openocpp.web.metrics import metrics_service

    def queued() -> int:
        # Read at a scrape: the store may be closed (stopping).
        try:
            return charge_point.store.queue_length()
        except Exception:
            return 0

    metrics.gauge(metrics.connected, lambda: 1 if charge_point.connected else 0)
    metrics.gauge(metrics.queue.labels("transactions"), queued)
    service = metrics_service(
        metrics, options["metrics-listen"], read_token(options["metrics-token"]), reactor
    )
    service.setServiceParent(charge_point)


def _trace(options: ChargePointOptions, reactor) -> Any:
    # The frame trace of --trace, or None.
    if options["trace"] is None:
        return None
    from openocpp.trace import TraceWriter

    return TraceWriter(
        options["trace"], reactor, max_bytes=options["trace-max-bytes"], files=options["trace-files"]
    )


def _preflight(options: ChargePointOptions, reactor: Any = None, database: bool = True) -> None:
    # In the order a user would fix them; nothing here creates a file.
    from openocpp import preflight
    from openocpp.chargepoint.store import MIGRATIONS

    config = options.config
    preflight.check_plugins("--plugin", config.plugins)
    preflight.check_readable_files([
        ("--ca-certificates", config.ca_certificates),
        ("--client-certificate", config.client_certificate),
        ("--client-key", config.client_key),
        ("--transfer-ca-certificates", config.transfer_ca_certificates),
    ])
    _check_tls_files(config)
    _check_trust_root("--transfer-ca-certificates", config.transfer_ca_certificates)
    _check_crl_folder("--crl-folder", config.crl_folder)
    preflight.check_ini_file("--ocpp-ini", config.ocpp_ini)
    _check_download_folder("--download-folder", config.download_folder)
    if database:
        preflight.check_role_database("--db", config.database, MIGRATIONS, "charge point")
    if options["metrics-listen"] is not None:
        from openocpp.web.config import is_loopback_endpoint

        preflight.check_endpoint(None, "--metrics-listen", options["metrics-listen"])
        if options["metrics-token"] is None and not is_loopback_endpoint(options["metrics-listen"]):
            raise ValueError(
                f"--metrics-listen {options['metrics-listen']!r} is not loopback-only: give "
                "--metrics-token, or listen on interface=127.0.0.1"
            )
        preflight.check_port_free(reactor, "--metrics-listen", options["metrics-listen"])
    elif options["metrics-token"] is not None:
        raise ValueError("--metrics-token needs --metrics-listen (the endpoint /metrics listens on)")


def _check_tls_files(config: Any) -> None:
    # Read as the TLS client will: a CA file that is no certificate or a
    # key that is not the certificate's would otherwise crash the start
    # with a traceback (or fail every connection).
    from openocpp.transport.security import check_key_pair, load_certificates, load_private_key

    if config.ca_certificates is not None:
        try:
            load_certificates(config.ca_certificates)
        except ValueError as error:
            raise ValueError(f"--ca-certificates: {error}") from None
    if config.client_certificate is None:
        return
    try:
        chain = load_certificates(config.client_certificate)
    except ValueError as error:
        raise ValueError(f"--client-certificate: {error}") from None
    if config.client_key is None:
        option, path, hint = "--client-certificate", config.client_certificate, " (give --client-key)"
    else:
        option, path, hint = "--client-key", config.client_key, ""
    try:
        check_key_pair(load_private_key(path), chain[0], path, config.client_certificate)
    except ValueError as error:
        raise ValueError(f"{option}: {error}{hint}") from None


def _check_trust_root(option: str, path: str | None) -> None:
    # A bundle that holds no certificate would fail every HTTPS transfer,
    # long after the start: refused now.
    if path is None:
        return
    from openocpp.transfer.errors import TransferError
    from openocpp.transfer.http import load_trust_root

    try:
        load_trust_root(path)
    except TransferError as error:
        raise ValueError(f"{option}: {error.reason}") from None


def _check_crl_folder(option: str, folder: str | None) -> None:
    # Read at each check (the operator copies CRLs in): it must be a folder
    # the charge point can list now.
    import os

    if folder is None:
        return
    if not os.path.isdir(folder):
        raise ValueError(f"{option} {folder!r} is not a folder")
    if not os.access(folder, os.R_OK | os.X_OK):
        raise ValueError(f"{option} {folder!r}: cannot read it")


def _check_download_folder(option: str, folder: str) -> None:
    # Made when first needed: it must be a writable folder, or a name its
    # parent folder can take.
    import os

    if os.path.exists(folder):
        if not os.path.isdir(folder):
            raise ValueError(f"{option} {folder!r} is not a folder")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise ValueError(f"{option} {folder!r}: cannot write in it")
        return
    from openocpp import preflight

    preflight.check_folder_of(option, folder)
