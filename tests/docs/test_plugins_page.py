"""
The example of C{docs/plugins.md} works as written: its plugin module, its
C{pyproject.toml} and C{setup.cfg} build a wheel declaring the entry point,
and its trial module passes against the module.
"""

import glob
import os
import re
import sys
import zipfile

from twisted.internet import reactor
from twisted.internet.defer import inlineCallbacks
from twisted.internet.utils import getProcessOutputAndValue
from twisted.trial.unittest import TestCase

from tests.docs.test_snippets import _DOCS, _environment

PAGE = os.path.join(_DOCS, "plugins.md")
_FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```\s*$", re.S | re.M)


def _blocks() -> dict[str, str]:
    """
    The page's example, by the file each block is: the blocks whose
    docstring (Python) or language (toml, ini) says so.
    """
    with open(PAGE, encoding="utf-8") as page:
        text = page.read()
    files = {}
    for language, body in _FENCE.findall(text):
        if language == "python":
            name = re.match(r'"""([\w/]+\.py):', body)
            if name:
                files[name.group(1)] = body
        elif language == "toml":
            files["pyproject.toml"] = body
        elif language == "ini":
            files["setup.cfg"] = body
    return files


class PluginsPageTests(TestCase):
    """
    The plugin, its packaging and its tests, from the page.
    """

    timeout = 240

    def setUp(self):
        self.files = _blocks()
        self.folder = os.path.abspath(self.mktemp())
        for name, body in [*self.files.items(), ("mysite_openocpp/__init__.py", ""), ("tests/__init__.py", "")]:
            path = os.path.join(self.folder, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as file:
                file.write(body)

    def test_the_page_has_every_file(self):
        """
        The page shows the module, its test module and both packaging files.
        """
        self.assertEqual(
            sorted(self.files), ["mysite_openocpp/hooks.py", "pyproject.toml", "setup.cfg", "tests/test_hooks.py"]
        )

    @inlineCallbacks
    def test_trial_module_passes(self):
        """
        The page's trial module passes against the page's plugin module (the
        hook alone, and in a central system with a charge point connected).
        """
        out, err, code = yield getProcessOutputAndValue(
            sys.executable, ["-m", "twisted.trial", "tests"], env=_environment(), path=self.folder, reactor=reactor
        )
        self.assertEqual(code, 0, (out.decode(), err.decode()))
        self.assertIn(b"PASSED (successes=3)", out)

    @inlineCallbacks
    def test_packaging_files_build_a_wheel(self):
        """
        C{pip wheel} of the folder makes a wheel requiring openocpp, whose
        entry point names the module under the C{openocpp} group.
        """
        output = os.path.abspath(self.mktemp())
        out, err, code = yield getProcessOutputAndValue(
            sys.executable,
            ["-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index", "-w", output, self.folder],
            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
            reactor=reactor,
        )
        self.assertEqual(code, 0, (out.decode(), err.decode()))
        [wheel] = glob.glob(os.path.join(output, "mysite_openocpp-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            names = archive.namelist()
            info = next(name.split("/")[0] for name in names if name.endswith(".dist-info/METADATA"))
            self.assertIn("Requires-Dist: openocpp", archive.read(f"{info}/METADATA").decode().splitlines())
            self.assertIn("[openocpp]\nmysite = mysite_openocpp.hooks", archive.read(f"{info}/entry_points.txt").decode())
        self.assertIn("mysite_openocpp/hooks.py", names)
