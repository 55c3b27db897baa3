"""
C{docs/deployment.md} as written: its systemd unit is valid and its command
line parses with openocpp's options, and its backup script copies a
running central system's database with the data it holds.
"""

import configparser
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys

from twisted.internet import reactor
from twisted.internet.defer import inlineCallbacks
from twisted.internet.utils import getProcessOutputAndValue
from twisted.trial.unittest import SkipTest, TestCase

from openocpp.centralsystem.config import CentralSystemConfig
from openocpp.centralsystem.service import CentralSystem
from tests.docs.test_snippets import _DOCS, _environment, _twistd, blocks

UNIT = os.path.join(_DOCS, "openocpp-centralsystem.service")


def _unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=True, interpolation=None)
    parser.optionxform = str  # systemd's keys are case-sensitive
    with open(UNIT, encoding="utf-8") as file:
        parser.read_file(file)
    return parser


class SystemdUnitTests(TestCase):
    """
    C{docs/openocpp-centralsystem.service}.
    """

    timeout = 120

    def test_sections_and_state_folder(self):
        """
        The unit has its three sections; it runs as its own user in the
        folder systemd makes for it, where the database is.
        """
        unit = _unit()
        self.assertEqual(unit.sections(), ["Unit", "Service", "Install"])
        service = unit["Service"]
        self.assertEqual(service["User"], "openocpp")
        self.assertEqual(service["WorkingDirectory"], "/var/lib/" + service["StateDirectory"])
        words = shlex.split(service["ExecStart"])
        self.assertEqual(os.path.basename(words[0]), "twistd")
        self.assertEqual(os.path.dirname(words[words.index("--db") + 1]), service["WorkingDirectory"])
        self.assertIn("--nodaemon", words)
        self.assertEqual(service["RestartPreventExitStatus"], "2")
        self.assertEqual(unit["Install"]["WantedBy"], "multi-user.target")

    @inlineCallbacks
    def test_command_line_parses(self):
        """
        ExecStart's arguments are twistd's and openocpp's options, each value
        accepted (run with C{--help} appended, so nothing starts).
        """
        words = shlex.split(_unit()["Service"]["ExecStart"])
        program, arguments = _twistd([*words[1:], "--help"])
        out, err, code = yield getProcessOutputAndValue(
            program, arguments, env=_environment(), reactor=reactor
        )
        self.assertEqual(code, 0, (out, err))
        self.assertIn(b"centralsystem", out)

    def test_systemd_analyze_verify(self):
        """
        C{systemd-analyze verify} finds nothing wrong with the unit (its
        twistd path replaced by one that exists here).
        """
        analyze = shutil.which("systemd-analyze")
        if analyze is None:
            raise SkipTest("systemd-analyze is not installed")
        folder = os.path.abspath(self.mktemp())
        os.makedirs(folder)
        with open(UNIT, encoding="utf-8") as file:
            text = file.read().replace("/opt/openocpp/bin/twistd", sys.executable)
        path = os.path.join(folder, os.path.basename(UNIT))
        with open(path, "w", encoding="utf-8") as file:
            file.write(text)
        result = subprocess.run([analyze, "verify", path], capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertNotIn(os.path.basename(UNIT), result.stderr)


class BackupTests(TestCase):
    """
    The backup script of the page.
    """

    timeout = 120

    @inlineCallbacks
    def test_backup_of_a_running_central_system(self):
        """
        Run beside a running central system (its file open, in WAL mode),
        the script makes a backup that opens, passes SQLite's integrity
        check, and holds the charge point and id tag just committed.
        """
        [script] = [block for block in blocks("python") if block.page == "deployment.md"]
        folder = os.path.abspath(self.mktemp())
        os.makedirs(folder)
        database = os.path.join(folder, "openocpp-centralsystem.sqlite")
        central = CentralSystem(
            CentralSystemConfig(listen="tcp:0:interface=127.0.0.1", database=database),
            reactor=reactor,
            load_entrypoints=False,
        )
        central.startService()
        self.addCleanup(central.stopService)
        yield central.when_listening()
        yield central.register_charge_point("CP-BACKUP")
        yield central.set_id_tag("TAG-BACKUP")
        self.assertTrue(os.path.exists(database + "-wal"))
        out, err, code = yield getProcessOutputAndValue(
            sys.executable, ["-c", script.text], env=_environment(), path=folder, reactor=reactor
        )
        self.assertEqual((code, out.strip()), (0, b"ok"), err)
        backup = sqlite3.connect(os.path.join(folder, "openocpp-centralsystem-backup.sqlite"))
        try:
            identities = [row[0] for row in backup.execute("SELECT identity FROM charge_points")]
            tags = [row[0] for row in backup.execute("SELECT id_tag FROM id_tags")]
        finally:
            backup.close()
        self.assertIn("CP-BACKUP", identities)
        self.assertIn("TAG-BACKUP", tags)
