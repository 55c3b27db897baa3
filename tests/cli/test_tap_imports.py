"""
Tests that the C{twistd openocpp} command line is light to import: the
dropin, L{openocpp.tap} and the role tap modules load neither autobahn nor
the roles' services, stores or web layer (L{openocpp.tap.makeService}
imports them), so C{twistd --help} stays fast.

Each test imports in a fresh Python process: this one has long imported
everything.
"""

import json
import os
import sys

from twisted.internet.utils import getProcessOutputAndValue
from twisted.trial.unittest import TestCase

import openocpp

#: The folder holding the C{openocpp} package and the C{twisted/plugins} dropin.
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(openocpp.__file__)))

#: The modules the command line's modules must not import.
HEAVY = (
    "autobahn",
    "twisted.web",
    "twisted.internet.reactor",
    "sqlite3",
    "openocpp.transport",
    "openocpp.rpc",
    "openocpp.messages",
    "openocpp.store",
    "openocpp.centralsystem.service",
    "openocpp.centralsystem.store",
    "openocpp.chargepoint.service",
    "openocpp.chargepoint.store",
    "openocpp.chargepoint.config",
    "openocpp.web",
)

#: What the fresh process runs after its own statements: print which of
#: HEAVY it loaded, as JSON on the last line.
_REPORT = (
    "import json, sys\n"
    "heavy = {heavy!r}\n"
    "print(json.dumps(sorted(m for m in sys.modules if m in heavy\n"
    "                        or any(m.startswith(h + '.') for h in heavy))))\n"
)


class TapImportTests(TestCase):
    """
    Importing the command line's modules, and asking for their help, loads
    none of L{HEAVY}.
    """

    def loaded_by(self, statements: str):
        """
        Run C{statements} in a fresh Python process.

        @return: a Deferred firing with the list of L{HEAVY} modules (or
            their submodules) it imported.
        """
        code = statements + "\n" + _REPORT.format(heavy=HEAVY)
        environment = dict(os.environ)
        environment["PYTHONPATH"] = os.pathsep.join(
            [_ROOT, *filter(None, [environment.get("PYTHONPATH")])]
        )
        running = getProcessOutputAndValue(
            sys.executable, ["-c", code], env=environment, path=_ROOT
        )

        def parsed(result):
            out, err, status = result
            self.assertEqual(status, 0, err.decode("utf-8", "replace"))
            return json.loads(out.decode("utf-8").strip().splitlines()[-1])

        return running.addCallback(parsed)

    def test_imports_load_no_autobahn(self):
        """
        The dropin, L{openocpp.tap} and both role tap modules import without
        autobahn, the reactor, the services, the stores or the web layer.
        """
        loading = self.loaded_by(
            "import twisted.plugins.openocpp_dropin\n"
            "import openocpp.tap\n"
            "import openocpp.centralsystem.tap\n"
            "import openocpp.chargepoint.tap\n"
        )
        return loading.addCallback(self.assertEqual, [])

    def test_help_loads_no_autobahn(self):
        """
        C{twistd openocpp --help} and each role's C{--help} (what
        L{openocpp.tap.Options} does for them) load none of them either.
        """
        loading = self.loaded_by(
            "import io, contextlib\n"
            "import openocpp.tap\n"
            "for arguments in (['--help'], ['centralsystem', '--help'],\n"
            "                  ['chargepoint', '--help']):\n"
            "    with contextlib.redirect_stdout(io.StringIO()) as out:\n"
            "        try:\n"
            "            openocpp.tap.Options().parseOptions(arguments)\n"
            "        except SystemExit:\n"
            "            pass\n"
            "    assert 'Options:' in out.getvalue(), (arguments, out.getvalue())\n"
        )
        return loading.addCallback(self.assertEqual, [])

    def test_probe_sees_heavy_imports(self):
        """
        The probe itself works: a process that imports the charge point
        service is reported as loading it.
        """
        loading = self.loaded_by("import openocpp.chargepoint.service\n")
        return loading.addCallback(
            lambda loaded: self.assertIn("openocpp.chargepoint.service", loaded)
        )


class ChargePointPackageTests(TestCase):
    """
    L{openocpp.chargepoint} imports its public names when first used, and
    still offers each of them.
    """

    def test_every_public_name(self):
        """
        Every name of C{openocpp.chargepoint.__all__} is there, and is the
        object its module defines.
        """
        import importlib

        import openocpp.chargepoint as package

        for name in package.__all__:
            module = importlib.import_module(package._PUBLIC[name])
            self.assertIs(getattr(package, name), getattr(module, name), name)
        self.assertEqual(sorted(package.__all__), sorted(package._PUBLIC))
        self.assertIn("ChargePoint", dir(package))

    def test_unknown_name(self):
        """
        A name it does not export is an C{AttributeError}, as for any module.
        """
        import openocpp.chargepoint as package

        self.assertRaises(AttributeError, getattr, package, "NoSuchName")
