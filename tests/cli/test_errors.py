"""
Every mistake on C{twistd openocpp}'s command line is one line naming the
option, a non-zero exit, no traceback, and no file created or changed.

Most cases run the twistd entry points in-process (L{tap.Options} and
L{tap.makeService}, which exit with L{SystemExit}); the ones where only a
real process tells the truth (does it exit, or keep running?) run
C{twistd} in a subprocess, on loopback.
"""

import io
import os
import socket
import sqlite3
import sys

from twisted.internet import reactor
from twisted.internet.utils import getProcessOutputAndValue
from twisted.python.usage import UsageError
from twisted.trial.unittest import SynchronousTestCase, TestCase

from openocpp import tap
from openocpp.centralsystem.store import CentralSystemStore
from openocpp.chargepoint.store import ChargePointStore
from openocpp.store.ownership import check_database, owned_tables
from openocpp.centralsystem.store import MIGRATIONS as CENTRAL_SYSTEM_MIGRATIONS
from twisted.internet.task import Clock

from tests.plugins.fake_distribution import install_distribution


def _snapshot(folder: str) -> dict:
    """
    Every file in C{folder} with its bytes: what "nothing created or
    changed" compares.
    """
    result = {}
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as file:
            result[name] = file.read()
    return result


def _busy_port(testcase) -> int:
    """
    A loopback port that a socket of the test listens on.
    """
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    testcase.addCleanup(holder.close)
    return holder.getsockname()[1]


def _plugin_module(testcase, name: str, hook: str) -> str:
    """
    Put on C{sys.path}, for C{testcase} only, a plugin module C{name}
    implementing C{hook}; return its name.
    """
    site = os.path.abspath(testcase.mktemp())
    os.makedirs(site)
    with open(os.path.join(site, name + ".py"), "w") as module:
        module.write(f"from openocpp import hookimpl\n\n@hookimpl\ndef {hook}(charge_point, request):\n    return None\n")
    sys.path.insert(0, site)
    testcase.addCleanup(sys.path.remove, site)
    testcase.addCleanup(sys.modules.pop, name, None)
    return name


def _pki(testcase) -> dict:
    """
    A test CA, a server certificate and two charge point certificates
    (L{openocpp.pki}), in a folder of their own: name -> path.
    """
    from openocpp import pki

    folder = os.path.abspath(testcase.mktemp())
    ca = pki.make_ca(folder)
    server = pki.make_server(ca, ["localhost"])
    one, two = pki.make_charge_point(ca, "CP1"), pki.make_charge_point(ca, "CP2")
    return {
        "ca.crt": str(ca.certificate), "ca.key": str(ca.key),
        "server.crt": str(server.certificate), "server.key": str(server.key),
        "CP1.crt": str(one.certificate), "CP1.key": str(one.key),
        "CP2.crt": str(two.certificate), "CP2.key": str(two.key),
    }


class CommandLineMistakeMixin:
    """
    Run C{twistd openocpp ...} in-process in a fresh folder.
    """

    def setUp(self):
        self.folder = os.path.abspath(self.mktemp())
        os.makedirs(self.folder)

    def path(self, name: str) -> str:
        return os.path.join(self.folder, name)

    def refused(self, *arguments: str) -> str:
        """
        Parse and build C{arguments}; assert it exits non-zero writing one
        line and changing no file in the folder.

        @return: the line.
        """
        before = _snapshot(self.folder)
        options = tap.Options()
        options.stderr = io.StringIO()
        try:
            options.parseOptions(list(arguments))
            service = tap.makeService(options)
        except SystemExit as exit:
            code = exit.code
        else:
            self.fail(f"{arguments!r} was accepted: {service!r}")
        text = options.stderr.getvalue()
        self.assertEqual(code, 2)
        self.assertEqual(text.count("\n"), 1, text)
        self.assertTrue(text.endswith("\n"))
        self.assertNotIn("Traceback", text)
        self.assertNotIn("Usage:", text)
        self.assertEqual(_snapshot(self.folder), before)
        return text.strip()


class CentralSystemMistakeTests(CommandLineMistakeMixin, SynchronousTestCase):
    """
    C{twistd openocpp centralsystem} with a mistake.
    """

    def central(self, *arguments: str) -> str:
        return self.refused(
            "centralsystem", "--db", self.path("cs.sqlite"), "--listen", "tcp:0:interface=127.0.0.1",
            *arguments,
        )

    def test_listen_not_an_endpoint(self):
        """
        C{--listen tcp:notaport} names the option and the value.
        """
        line = self.central("--listen", "tcp:notaport")
        self.assertIn("--listen 'tcp:notaport' is not a server endpoint", line)

    def test_listen_port_in_use(self):
        """
        A listen port in use is refused before anything starts.
        """
        port = _busy_port(self)
        line = self.central("--listen", f"tcp:{port}:interface=127.0.0.1")
        self.assertIn(f"--listen 'tcp:{port}:interface=127.0.0.1': cannot listen on port {port}", line)
        self.assertIn("in use", line)

    def test_listen_unix_socket_folder_missing(self):
        """
        A UNIX socket in a folder that does not exist is refused before
        anything starts.
        """
        line = self.central("--listen", f"unix:{self.path('nowhere/cs.sock')}")
        self.assertIn("--listen", line)
        self.assertIn("does not exist", line)

    def test_api_not_an_endpoint(self):
        """
        C{--api tcp:abc:...} names the option.
        """
        line = self.central("--api", "tcp:abc:interface=127.0.0.1")
        self.assertIn("--api 'tcp:abc:interface=127.0.0.1' is not a server endpoint", line)

    def test_api_port_in_use(self):
        """
        An API port in use is refused: the central system does not carry on
        without its API.
        """
        port = _busy_port(self)
        line = self.central("--api", f"tcp:{port}:interface=127.0.0.1")
        self.assertIn(f"--api 'tcp:{port}:interface=127.0.0.1': cannot listen", line)

    def test_tls_files_missing(self):
        """
        TLS files that do not exist are refused, naming the option.
        """
        line = self.central(
            "--security-profile", "2", "--tls-key", self.path("key.pem"), "--tls-cert", self.path("cert.pem")
        )
        self.assertIn("--tls-key", line)
        self.assertIn("No such file", line)

    def test_tls_not_given(self):
        """
        Profile 2 without TLS files says which options to give.
        """
        line = self.central("--security-profile", "2")
        self.assertIn("--security-profile 2 needs TLS: give --tls-key and --tls-cert", line)

    def test_tls_files_not_pem(self):
        """
        TLS files that are not PEM are refused at start, not at the first
        connection.
        """
        for name in ("key.pem", "cert.pem"):
            with open(self.path(name), "w") as file:
                file.write("not a key\n")
        line = self.central(
            "--security-profile", "2", "--tls-key", self.path("key.pem"), "--tls-cert", self.path("cert.pem")
        )
        self.assertIn("not a PEM key and certificate chain", line)

    def test_profile_3_without_tls_ca(self):
        """
        Profile 3 with TLS but no C{--tls-ca} names what is missing: the
        CA of the charge point certificates (TLS itself is given).
        """
        files = _pki(self)
        line = self.central(
            "--security-profile", "3", "--tls-key", files["server.key"], "--tls-cert", files["server.crt"]
        )
        self.assertIn("--security-profile 3 needs --tls-ca (the CA that signs charge point certificates)", line)
        line = self.central(
            "--security-profile", "3",
            "--listen", f"ssl:0:interface=127.0.0.1:privateKey={files['server.key']}:certKey={files['server.crt']}",
        )
        self.assertIn("--security-profile 3 needs --tls-ca", line)

    def test_tls_key_without_certificate(self):
        """
        C{--tls-key} or C{--tls-cert} alone is refused: it used to be
        ignored, and the central system listened without TLS.
        """
        files = _pki(self)
        for arguments in (["--tls-key", files["server.key"]], ["--tls-cert", files["server.crt"]]):
            line = self.central(*arguments)
            self.assertIn("--tls-key and --tls-cert go together", line)

    def test_tls_key_of_another_certificate(self):
        """
        A C{--tls-key} that is not the C{--tls-cert}'s key is refused at
        start: it used to start, then fail every TLS handshake with a
        traceback.
        """
        files = _pki(self)
        line = self.central("--tls-key", files["CP1.key"], "--tls-cert", files["server.crt"])
        self.assertIn("--tls-key", line)
        self.assertIn(f"{files['CP1.key']}: not the private key of the certificate in {files['server.crt']}", line)

    def test_ca_key_of_another_certificate(self):
        """
        A C{--ca-key} that is not the C{--ca-cert}'s key is refused at
        start: the certificates it signed would fail every handshake.
        """
        files = _pki(self)
        line = self.central("--ca-key", files["CP1.key"], "--ca-cert", files["ca.crt"])
        self.assertIn("--ca-key", line)
        self.assertIn("not the private key of the certificate", line)

    def test_ca_cert_not_of_a_ca(self):
        """
        A C{--ca-cert} that is no CA certificate (here the server's, with
        its own key) is refused at start.
        """
        files = _pki(self)
        line = self.central("--ca-key", files["server.key"], "--ca-cert", files["server.crt"])
        self.assertIn("--ca-cert", line)
        self.assertIn("not a CA certificate", line)

    def test_tls_ciphers_banned(self):
        """
        A C{--tls-ciphers} string naming a suite the whitepaper bans
        (A00.FR.319/423) or none is refused at start, naming the option.
        """
        line = self.central("--tls-ciphers", "AES128-SHA")
        self.assertIn("--tls-ciphers: 'AES128-SHA' selects cipher suites the security whitepaper bans", line)
        line = self.central("--tls-ciphers", "nonsense")
        self.assertIn("--tls-ciphers: 'nonsense' selects no TLS 1.2 cipher suite", line)

    def test_listen_plain_without_tls(self):
        """
        C{--listen-plain} is a second listener beside a TLS one: without
        TLS it is refused at start, naming the option; a bad endpoint too.
        """
        line = self.central("--listen-plain", "tcp:0:interface=127.0.0.1")
        self.assertIn("--listen-plain is a second, plain listener beside a TLS one", line)
        line = self.central("--listen-plain", "nonsense:1")
        self.assertIn("--listen-plain", line)

    def test_db_not_sqlite(self):
        """
        A C{--db} file that is not SQLite is refused, unchanged.
        """
        with open(self.path("notes.txt"), "w") as file:
            file.write("shopping list: milk, eggs, and a very long line to fill a page " * 20)
        line = self.refused("centralsystem", "--db", self.path("notes.txt"), "--listen", "tcp:0")
        self.assertIn("--db", line)
        self.assertIn("is not an SQLite database", line)

    def test_db_folder_missing(self):
        """
        A C{--db} in a folder that does not exist is refused.
        """
        line = self.refused(
            "centralsystem", "--db", self.path("nowhere/cs.sqlite"), "--listen", "tcp:0"
        )
        self.assertIn("--db", line)
        self.assertIn("does not exist", line)

    def test_db_of_another_program(self):
        """
        Another program's SQLite database is refused, unchanged: the central
        system adds no table to it.
        """
        connection = sqlite3.connect(self.path("photos.sqlite"))
        connection.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, path TEXT)")
        connection.commit()
        connection.close()
        line = self.refused("centralsystem", "--db", self.path("photos.sqlite"), "--listen", "tcp:0")
        self.assertIn("holds tables that are not the central system's (photos)", line)

    def test_db_of_a_charge_point(self):
        """
        A charge point's database is refused, unchanged (the charge point can
        still open it).
        """
        ChargePointStore(self.path("cp.sqlite")).close()
        line = self.refused("centralsystem", "--db", self.path("cp.sqlite"), "--listen", "tcp:0")
        self.assertIn("not the central system's", line)
        ChargePointStore(self.path("cp.sqlite")).close()

    def test_plugin_missing(self):
        """
        C{--plugin no.such.module} names the option and the module.
        """
        line = self.central("--plugin", "no.such.module")
        self.assertIn("--plugin no.such.module: cannot import it", line)

    def test_plugin_with_a_misspelt_hook(self):
        """
        A C{--plugin} implementing a hook that does not exist is one line
        naming the option, the module and the hook (with the likely one),
        not pluggy's traceback; C{--db} is not created.
        """
        name = _plugin_module(self, "openocpp_test_misspelt_cs", "openocpp_cs_authorise")
        line = self.central("--plugin", name)
        self.assertTrue(
            line.endswith(
                f": --plugin {name}: unknown hook openocpp_cs_authorise"
                " (did you mean openocpp_cs_authorize?)"
            ),
            line,
        )
        self.assertFalse(os.path.exists(self.path("cs.sqlite")))

    def test_installed_plugin_with_a_misspelt_hook(self):
        """
        An installed plugin (the C{openocpp} entry point) with a misspelt
        hook stops the start with one line naming its distribution and the
        hook.
        """
        install_distribution(
            self,
            """
            from openocpp import hookimpl

            @hookimpl
            def openocpp_cs_authorise(charge_point, request):
                return None
            """,
            module="openocpp_test_misspelt_site",
        )
        line = self.central()
        self.assertIn("the installed plugin 'site' of openocpp-test-misspelt-site", line)
        self.assertIn("unknown hook openocpp_cs_authorise (did you mean openocpp_cs_authorize?)", line)

    def test_option_names_not_python_names(self):
        """
        Values out of range are told with the option's name.
        """
        for arguments, option in [
            (["--heartbeat-interval", "0"], "--heartbeat-interval"),
            (["--heartbeat-interval", "abc"], "--heartbeat-interval must be a whole number, not 'abc'"),
            (["--unknown-chargepoints", "maybe"], "--unknown-chargepoints"),
            (["--security-profile", "7"], "--security-profile"),
            (["--max-message-size", "-1"], "--max-message-size"),
        ]:
            line = self.central(*arguments)
            self.assertIn(option, line)
            self.assertNotIn("_", line.split(":", 1)[1], line)

    def test_no_role(self):
        """
        Without a role, one line says which to name.
        """
        line = self.refused()
        self.assertEqual(line, "twistd openocpp: name a role to run: 'centralsystem' or 'chargepoint'")

    def test_unknown_option(self):
        """
        An unknown option is one line, not the whole C{--help}.
        """
        line = self.central("--lisen", "tcp:0")
        self.assertIn("lisen", line)


class ChargePointMistakeTests(CommandLineMistakeMixin, SynchronousTestCase):
    """
    C{twistd openocpp chargepoint} with a mistake.
    """

    def charge_point(self, *arguments: str) -> str:
        return self.refused("chargepoint", "--db", self.path("cp.sqlite"), *arguments)

    def test_charge_time_negative(self):
        """
        C{--charge-time -5} is refused, naming the option.
        """
        line = self.charge_point("--simulate", "--charge-time", "-5")
        self.assertIn("--charge-time must be a positive number of seconds", line)

    def test_ocpp_ini_folder_missing(self):
        """
        C{--ocpp-ini} in a folder that does not exist is refused at start
        (it used to boot, then send no status at all).
        """
        line = self.charge_point("--ocpp-ini", self.path("nowhere/cp.ini"))
        self.assertIn("--ocpp-ini", line)
        self.assertIn("does not exist", line)

    def test_db_of_the_central_system(self):
        """
        The central system's database is refused, unchanged.
        """
        CentralSystemStore(self.path("cs.sqlite"), Clock()).close()
        line = self.refused("chargepoint", "--db", self.path("cs.sqlite"))
        self.assertIn("not the charge point's", line)

    def test_db_folder_missing(self):
        """
        A C{--db} in a folder that does not exist is refused.
        """
        line = self.refused("chargepoint", "--db", self.path("nowhere/cp.sqlite"))
        self.assertIn("--db", line)

    def test_plugin_missing(self):
        """
        C{--plugin no.such.module} names the option and the module.
        """
        line = self.charge_point("--plugin", "no.such.module")
        self.assertIn("--plugin no.such.module: cannot import it", line)

    def test_plugin_with_a_misspelt_hook(self):
        """
        A C{--plugin} implementing a hook that does not exist is one line
        naming the option and the hook; C{--db} is not created.
        """
        name = _plugin_module(self, "openocpp_test_misspelt_cp", "openocpp_cp_hartbeat")
        line = self.charge_point("--plugin", name)
        self.assertIn(f"--plugin {name}: unknown hook openocpp_cp_hartbeat", line)
        self.assertFalse(os.path.exists(self.path("cp.sqlite")))

    def test_crl_folder_missing(self):
        """
        A C{--crl-folder} that is not a folder is refused at start.
        """
        line = self.charge_point("--crl-folder", self.path("crls"))
        self.assertIn("--crl-folder", line)
        self.assertIn("is not a folder", line)

    def test_tls_ciphers_banned(self):
        """
        A C{--tls-ciphers} string naming a banned suite is refused at
        start, naming the option.
        """
        line = self.charge_point("--tls-ciphers", "ECDHE-RSA-AES128-SHA")
        self.assertIn("--tls-ciphers: 'ECDHE-RSA-AES128-SHA' selects cipher suites", line)

    def test_password_not_an_authorization_key(self):
        """
        A C{--password} shorter than 16 bytes or longer than 40 (the
        AuthorizationKey's sizes, Security Whitepaper 7.2) is refused at
        start, naming the option; 16 ASCII bytes pass.
        """
        for password, size in [("short", 5), ("x" * 41, 41), ("é" * 7, 14)]:
            line = self.charge_point("--security-profile", "1", "--password", password)
            self.assertIn(f"--password must be 16 to 40 bytes (an AuthorizationKey, Security Whitepaper 7.2), not {size}", line)

    def test_client_key_of_another_certificate(self):
        """
        A C{--client-key} that is not the C{--client-certificate}'s key is
        refused at start, naming the option (it used to crash the start
        with a traceback).
        """
        files = _pki(self)
        line = self.charge_point(
            "--url", "wss://127.0.0.1:8443/ocpp", "--identity", "CP1", "--security-profile", "3",
            "--ca-certificates", files["ca.crt"],
            "--client-certificate", files["CP1.crt"], "--client-key", files["CP2.key"],
        )
        self.assertIn(f"--client-key: {files['CP2.key']}: not the private key of the certificate", line)

    def test_client_certificate_without_its_key(self):
        """
        A C{--client-certificate} file holding no key, without
        C{--client-key}, is refused at start, saying to give it.
        """
        files = _pki(self)
        line = self.charge_point(
            "--url", "wss://127.0.0.1:8443/ocpp", "--identity", "CP1", "--security-profile", "3",
            "--ca-certificates", files["ca.crt"], "--client-certificate", files["CP1.crt"],
        )
        self.assertIn("--client-certificate", line)
        self.assertIn("(give --client-key)", line)

    def test_ca_certificates_not_a_certificate(self):
        """
        A C{--ca-certificates} file holding no certificate (a key) is
        refused at start, naming the option.
        """
        files = _pki(self)
        line = self.charge_point(
            "--url", "wss://127.0.0.1:8443/ocpp", "--security-profile", "2",
            "--password", "0123456789abcdef", "--ca-certificates", files["ca.key"],
        )
        self.assertIn("--ca-certificates", line)
        self.assertIn("no PEM certificate", line)

    def test_certificate_missing(self):
        """
        A CA file that does not exist is refused at start.
        """
        line = self.charge_point(
            "--url", "wss://127.0.0.1:8443/ocpp", "--security-profile", "2",
            "--password", "0123456789abcdef", "--ca-certificates", self.path("ca.pem"),
        )
        self.assertIn("--ca-certificates", line)

    def test_option_names_not_python_names(self):
        """
        Values out of range are told with the option's name.
        """
        for arguments, option in [
            (["--connectors", "0"], "--connectors"),
            (["--connectors", "two"], "--connectors must be a whole number"),
            (["--call-timeout", "0"], "--call-timeout"),
            (["--security-profile", "9"], "--security-profile"),
            (["--id-tag", "X" * 21], "--id-tag"),
        ]:
            line = self.charge_point(*arguments)
            self.assertIn(option, line)


class OwnershipTests(SynchronousTestCase):
    """
    L{openocpp.store.ownership.check_database}.
    """

    def test_empty_database_accepted(self):
        """
        An SQLite database without tables may become the role's.
        """
        path = self.mktemp()
        connection = sqlite3.connect(path)
        connection.execute("CREATE TABLE scratch (x)")
        connection.execute("DROP TABLE scratch")
        connection.commit()
        connection.close()
        self.assertGreater(os.path.getsize(path), 0)
        check_database(path, owned_tables(CENTRAL_SYSTEM_MIGRATIONS), "central system")
        CentralSystemStore(path, Clock()).close()

    def test_own_database_accepted(self):
        """
        The role's own database opens again.
        """
        path = self.mktemp()
        CentralSystemStore(path, Clock()).close()
        CentralSystemStore(path, Clock()).close()

    def test_store_refuses(self):
        """
        The stores themselves refuse the other role's file: the check is
        where each role opens its database, not only on the command line.
        """
        central, charge_point = self.mktemp(), self.mktemp()
        CentralSystemStore(central, Clock()).close()
        ChargePointStore(charge_point).close()
        self.assertRaises(ValueError, ChargePointStore, central)
        self.assertRaises(ValueError, CentralSystemStore, charge_point, Clock())

    def test_newer_schema_left_to_migration(self):
        """
        The role's database at a newer schema (a table this version does not
        know yet) is not called another program's: opening it says to
        upgrade openocpp.
        """
        path = self.mktemp()
        CentralSystemStore(path, Clock()).close()
        connection = sqlite3.connect(path)
        connection.execute("CREATE TABLE from_the_future (x)")
        connection.execute(f"PRAGMA user_version = {len(CENTRAL_SYSTEM_MIGRATIONS) + 1}")
        connection.commit()
        connection.close()
        error = self.assertRaises(ValueError, CentralSystemStore, path, Clock())
        self.assertIn("upgrade openocpp", str(error))

    def test_wal_database_read_without_creating_files(self):
        """
        Looking at a closed write-ahead-log database creates no C{-wal} or
        C{-shm} file beside it.
        """
        folder = os.path.abspath(self.mktemp())
        os.makedirs(folder)
        path = os.path.join(folder, "other.sqlite")
        connection = sqlite3.connect(path)
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("CREATE TABLE other (x)")
        connection.commit()
        connection.close()
        self.assertRaises(ValueError, check_database, path, frozenset(["mine"]), "central system")
        self.assertEqual(os.listdir(folder), ["other.sqlite"])


def _twistd(*arguments: str) -> tuple[str, list[str]]:
    return sys.executable, ["-c", "from twisted.scripts.twistd import run; run()", *arguments]


class TwistdProcessTests(TestCase):
    """
    C{twistd} itself, in a subprocess: it exits (rather than keep running
    without its port), with one line and no traceback.
    """

    def run_twistd(self, *arguments: str):
        folder = os.path.abspath(self.mktemp())
        os.makedirs(folder)
        executable, args = _twistd("-n", "openocpp", *arguments)
        environment = dict(os.environ)
        source = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        environment["PYTHONPATH"] = os.pathsep.join(
            [source] + ([environment["PYTHONPATH"]] if environment.get("PYTHONPATH") else [])
        )
        running = getProcessOutputAndValue(executable, args, env=environment, path=folder, reactor=reactor)

        def finished(result):
            out, err, code = result
            return out.decode(), err.decode(), code, os.listdir(folder)

        return running.addCallback(finished)

    def test_listen_port_in_use_exits(self):
        """
        With the listen port in use, the process exits at once with status
        2 and one line, creating no file (no pid file, no database).
        """
        port = _busy_port(self)

        def check(result):
            out, err, code, files = result
            self.assertEqual(code, 2)
            self.assertEqual(out, "")
            self.assertEqual(err.count("\n"), 1, err)
            self.assertIn(f"--listen 'tcp:{port}:interface=127.0.0.1': cannot listen", err)
            self.assertNotIn("Traceback", err)
            self.assertEqual(files, [])

        return self.run_twistd("centralsystem", "--listen", f"tcp:{port}:interface=127.0.0.1").addCallback(check)

    def test_usage_error_is_one_line(self):
        """
        A usage error prints one line, not twistd's whole C{--help}.
        """

        def check(result):
            out, err, code, files = result
            self.assertEqual(code, 2)
            self.assertEqual(out, "")
            self.assertEqual(
                err,
                "twistd openocpp chargepoint: --charge-time must be a positive number of seconds, not -5.0\n",
            )
            self.assertEqual(files, [])

        return self.run_twistd("chargepoint", "--simulate", "--charge-time", "-5").addCallback(check)


class OptionNamesTests(TestCase):
    """
    Every setting of the central system's options is named as the option
    that sets it, so an error message never shows a Python name.
    """

    def test_every_hyphenated_option_maps_to_its_setting(self) -> None:
        from openocpp.centralsystem.tap import _OPTION_NAMES

        self.assertEqual(_OPTION_NAMES["auth_threads"], "--auth-threads")
        self.assertEqual(_OPTION_NAMES["tls_certificate"], "--tls-cert")
        self.assertNotIn("listen", _OPTION_NAMES)

    def test_out_of_range_setting_named_as_its_option(self) -> None:
        from openocpp.centralsystem.tap import CentralSystemOptions

        options = CentralSystemOptions()
        error = self.assertRaises(
            UsageError, options.parseOptions, ["--auth-failure-window", "-3", "--listen", "tcp:0"]
        )
        self.assertEqual(str(error), "--auth-failure-window must be positive, not -3.0")
