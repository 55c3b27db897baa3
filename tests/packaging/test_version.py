"""
The version is written once (C{openocpp.__version__}) and shown by
C{twistd openocpp --version}.
"""

import io
import re
import sys
from importlib import metadata

from twisted.trial.unittest import SynchronousTestCase

import openocpp
from openocpp import tap


class VersionTests(SynchronousTestCase):
    """
    C{openocpp.__version__}, the installed metadata, and the command line.
    """

    def test_version_is_pep_440(self):
        """
        The version is a PEP 440 public version (what PyPI accepts).
        """
        pattern = r"\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?"
        self.assertRegex(openocpp.__version__, f"^{pattern}$")

    def test_installed_metadata_has_the_same_version(self):
        """
        The installed distribution's version (setup.cfg's C{attr:}) is
        C{openocpp.__version__}.
        """
        self.assertEqual(metadata.version("openocpp"), openocpp.__version__)

    def test_twistd_openocpp_version(self):
        """
        C{twistd openocpp --version} prints C{openocpp <version>} and exits
        with status 0.
        """
        out = io.StringIO()
        self.patch(sys, "stdout", out)
        error = self.assertRaises(SystemExit, tap.Options().parseOptions, ["--version"])
        self.assertEqual(error.code, 0)
        self.assertEqual(out.getvalue(), f"openocpp {openocpp.__version__}\n")
        self.assertTrue(re.search(r"--version\s+Print openocpp's version", str(tap.Options())))
