"""
The example plugins of C{plugins/} build as wheels of their own, declare
their dependency on openocpp, and an installed one is found through the
C{openocpp} entry-point group.

The wheels are built without build isolation and without an index (the
running environment's setuptools, from the test extra), so the test reaches
no network.
"""

import glob
import json
import os
import shutil
import site
import sys
import zipfile

from twisted.internet import reactor
from twisted.internet.defer import inlineCallbacks
from twisted.internet.utils import getProcessOutputAndValue
from twisted.trial.unittest import TestCase

from openocpp.plugins import ENTRY_POINT_GROUP

PLUGINS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "plugins")

#: Each example plugin's folder, distribution name and entry point.
EXAMPLES = {
    "openocpp-idtag-file": ("openocpp_idtag_file", "idtag-file", "openocpp_idtag_file.hooks"),
    "openocpp-simulated-meter": ("openocpp_simulated_meter", "simulated_meter", "openocpp_simulated_meter.hooks"),
}

#: Run in the fresh environment: the plugin manager as twistd builds it,
#: with installed plugins loaded, and what it found.
_PROBE = """
import json, sys
from importlib.metadata import entry_points
from openocpp.plugins import make_plugin_manager
manager = make_plugin_manager(load_entrypoints=True)
found = {e.name: e.value for e in entry_points(group="openocpp")}
print(json.dumps({"entry_points": found, "registered": [n for n, _ in manager.list_name_plugin()],
                  "prefix": sys.prefix}))
"""


class PluginWheelTests(TestCase):
    """
    C{pip wheel plugins/<name>} for each example plugin, and one installed.
    """

    timeout = 240

    def _environment(self):
        environment = dict(os.environ)
        environment.pop("PYTHONPATH", None)
        environment["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
        return environment

    @inlineCallbacks
    def _command(self, program, arguments, path=None):
        out, err, code = yield getProcessOutputAndValue(
            program, arguments, env=self._environment(), path=path, reactor=reactor
        )
        self.assertEqual(code, 0, (program, arguments, out.decode(), err.decode()))
        return out.decode()

    @inlineCallbacks
    def _build(self, folder):
        # Built from a copy: a build writes build/ and *.egg-info where it runs.
        source = os.path.join(os.path.abspath(self.mktemp()), folder)
        shutil.copytree(os.path.join(PLUGINS, folder), source)
        output = os.path.abspath(self.mktemp())
        yield self._command(
            sys.executable,
            ["-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index", "-w", output, source],
        )
        wheels = glob.glob(os.path.join(output, "*.whl"))
        self.assertEqual(len(wheels), 1, wheels)
        return wheels[0]

    @inlineCallbacks
    def test_each_builds_a_wheel_depending_on_openocpp(self):
        """
        Each example plugin builds one wheel whose metadata requires
        openocpp, carries its README as a Markdown description (what
        C{twine check --strict} asks of a wheel before it is uploaded), and
        whose entry points register its hooks module under the C{openocpp}
        group.
        """
        self.assertEqual(sorted(os.listdir(PLUGINS)), sorted([*EXAMPLES, "README.md"]))
        for folder, (package, name, value) in EXAMPLES.items():
            wheel = yield self._build(folder)
            with zipfile.ZipFile(wheel) as archive:
                names = archive.namelist()
                info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
                metadata = archive.read(f"{info}/METADATA").decode()
                entry_points = archive.read(f"{info}/entry_points.txt").decode()
            self.assertIn(f"{package}/hooks.py", names)
            self.assertIn("Requires-Dist: openocpp", metadata.splitlines())
            self.assertIn("Description-Content-Type: text/markdown", metadata.splitlines())
            with open(os.path.join(PLUGINS, folder, "README.md"), encoding="utf-8") as readme:
                self.assertIn(readme.readline().strip(), metadata.split("\n\n", 1)[1])
            self.assertIn(f"[{ENTRY_POINT_GROUP}]", entry_points)
            self.assertIn(f"{name} = {value}", entry_points)

    @inlineCallbacks
    def test_installed_in_a_fresh_environment_is_loaded(self):
        """
        Installed into a fresh virtual environment (which sees openocpp
        where the suite runs), the idtag-file plugin's entry point is there
        and the plugin manager built with installed plugins registers it.
        """
        wheel = yield self._build("openocpp-idtag-file")
        fresh = os.path.abspath(self.mktemp())
        yield self._command(sys.executable, ["-m", "venv", "--without-pip", fresh])
        python = os.path.join(fresh, "bin", "python")
        purelib = (yield self._command(python, ["-c", "import sysconfig; print(sysconfig.get_path('purelib'))"])).strip()
        # openocpp and its dependencies, from where this suite imports them
        # (the checkout or an installed wheel): a .pth line per folder.
        import openocpp

        folders = [os.path.dirname(os.path.dirname(os.path.abspath(openocpp.__file__)))]
        folders += [folder for folder in site.getsitepackages() if os.path.isdir(folder)]
        with open(os.path.join(purelib, "outer.pth"), "w") as pth:
            pth.write("\n".join(folders) + "\n")
        yield self._command(
            sys.executable, ["-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index", wheel]
        )
        self.assertTrue(os.path.isdir(os.path.join(purelib, "openocpp_idtag_file")))
        answer = json.loads((yield self._command(python, ["-c", _PROBE], path=fresh)))
        self.assertEqual(answer["prefix"], fresh)
        self.assertEqual(answer["entry_points"].get("idtag-file"), "openocpp_idtag_file.hooks")
        self.assertIn("idtag-file", answer["registered"])
