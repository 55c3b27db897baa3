"""
Tests for C{.ci/engines}, which installs the engines the cluster suite
starts.
"""

import os
import subprocess

from twisted.trial.unittest import TestCase

from tests.engines.haproxy import executable as haproxy
from tests.engines.postgresql import binaries as postgresql

_ENGINES = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, ".ci", "engines")


class EnginesScriptTests(TestCase):
    """
    C{.ci/engines} on a machine that has them all.
    """

    if not os.path.exists(_ENGINES):
        skip = ".ci/engines is not in this tree (the wheel runs copy tests/ without .ci/)"

    def test_nothing_to_install(self):
        """
        With postgresql, redis-server and haproxy installed it installs
        nothing, prints one line saying so and exits 0 (CI calls it before
        every run).
        """
        if postgresql() is None or haproxy() is None or not os.access("/usr/bin/redis-server", os.X_OK):
            self.skipTest("the engines are not all installed here")
        done = subprocess.run([_ENGINES], capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout, "engines: postgresql, redis-server and haproxy already installed\n")
        self.assertEqual(done.stderr, "")

    def test_syntax(self):
        """
        The script is valid bash, and executable.
        """
        self.assertTrue(os.access(_ENGINES, os.X_OK))
        done = subprocess.run(["bash", "-n", _ENGINES], capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, done.stderr)
