"""
The wheel holds everything openocpp needs at run time.

Built from a copy of the checkout (its packaging files and packages), so
the test runs only in a checkout; CI also builds the wheel with
C{python -m build} and runs the suite against it installed.
"""

import glob
import os
import shutil
import sys
import zipfile

from twisted.internet import reactor
from twisted.internet.defer import inlineCallbacks
from twisted.internet.utils import getProcessOutputAndValue
from twisted.trial.unittest import SkipTest, TestCase

import openocpp

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

#: What a wheel is built from.
SOURCES = ("openocpp", "twisted", "setup.cfg", "pyproject.toml", "README.md", "LICENSE", "MANIFEST.in")


def _data_files(root: str) -> list[str]:
    # Every file of the package that is not Python source: schemas,
    # migrations, the console, the OpenAPI document...
    found = []
    for folder, folders, files in os.walk(os.path.join(root, "openocpp")):
        folders[:] = [name for name in folders if name != "__pycache__"]
        for name in files:
            if not name.endswith((".py", ".pyc")):
                found.append(os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/"))
    return sorted(found)


class WheelContentTests(TestCase):
    """
    The wheel built from the checkout.
    """

    timeout = 240

    #: The wheel built once for the class: (its name, its files, the copy).
    built = None

    @inlineCallbacks
    def setUp(self):
        if not os.path.exists(os.path.join(ROOT, "setup.cfg")):
            raise SkipTest("not a checkout: the wheel under test is the one installed")
        if WheelContentTests.built is None:
            WheelContentTests.built = yield self._build()
        self.wheel, self.names, self.source = WheelContentTests.built

    @inlineCallbacks
    def _build(self):
        source = os.path.abspath(self.mktemp())
        os.makedirs(source)
        for name in SOURCES:
            path = os.path.join(ROOT, name)
            if os.path.isdir(path):
                shutil.copytree(path, os.path.join(source, name), ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "dropin.cache"))
            else:
                shutil.copy(path, source)
        output = os.path.abspath(self.mktemp())
        out, err, code = yield getProcessOutputAndValue(
            sys.executable,
            ["-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index", "-w", output, source],
            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
            reactor=reactor,
        )
        self.assertEqual(code, 0, (out, err))
        [wheel] = glob.glob(os.path.join(output, "*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            names = set(archive.namelist())
        return os.path.basename(wheel), names, source

    def test_named_after_the_version(self):
        """
        The wheel is C{openocpp-<__version__>-py3-none-any.whl}.
        """
        self.assertEqual(self.wheel, f"openocpp-{openocpp.__version__}-py3-none-any.whl")

    def test_every_data_file_of_the_package(self):
        """
        Every file of the package that is not Python (the JSON schemas, the
        SQL migrations, the console's static files, C{openapi.json}) is in
        the wheel: one a part adds under a new folder or suffix fails here
        until C{setup.cfg}'s package data names it.
        """
        data = _data_files(self.source)
        self.assertIn("openocpp/web/openapi.json", data)
        self.assertIn("openocpp/centralsystem/schema/0001-initial.sql", data)
        self.assertIn("openocpp/messages/schemas/BootNotification.json", data)
        self.assertIn("openocpp/web/static/index.html", data)
        self.assertEqual([name for name in data if name not in self.names], [])

    def test_every_module_and_the_twistd_dropin(self):
        """
        Every module of the package is in the wheel, and the dropin that
        makes C{twistd openocpp} work, without an C{__init__.py} in
        C{twisted/} or C{twisted/plugins/} (a namespace dropin folder).
        """
        modules = []
        for folder, folders, files in os.walk(os.path.join(self.source, "openocpp")):
            folders[:] = [name for name in folders if name != "__pycache__"]
            modules += [
                os.path.relpath(os.path.join(folder, name), self.source).replace(os.sep, "/")
                for name in files if name.endswith(".py")
            ]
        self.assertGreater(len(modules), 50)
        self.assertEqual([name for name in modules if name not in self.names], [])
        self.assertIn("twisted/plugins/openocpp_dropin.py", self.names)
        self.assertNotIn("twisted/__init__.py", self.names)
        self.assertNotIn("twisted/plugins/__init__.py", self.names)
        self.assertEqual([name for name in self.names if name.startswith("tests/")], [])
