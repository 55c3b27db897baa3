"""
The HTTP API reference page (C{docs/openapi_page.py}, written at each docs
build) shows every endpoint and schema of C{openocpp/web/openapi.json}.
"""

import json
import os
import re

from twisted.trial.unittest import SynchronousTestCase

import openocpp
from tests.docs.test_snippets import _DOCS
from tests.scripts import load_script


def _generator():
    return load_script(os.path.join(_DOCS, "openapi_page.py"))


class OpenApiPageTests(SynchronousTestCase):
    """
    The page rendered from the package's OpenAPI document.
    """

    def setUp(self):
        self.generator = _generator()
        # The package's document: the checkout's, or the installed wheel's.
        path = os.path.join(os.path.dirname(openocpp.__file__), "web", "openapi.json")
        self.path = path
        with open(path, encoding="utf-8") as file:
            self.document = json.load(file)
        self.page = self.generator.render(self.document)

    def test_every_endpoint_has_a_section(self):
        """
        Each path and method of the document has its own heading, once.
        """
        headings = re.findall(r"^### `(\w+) (\S+)`$", self.page, re.M)
        expected = [
            (method.upper(), path)
            for path, item in self.document["paths"].items()
            for method in self.generator.METHODS
            if method in item
        ]
        self.assertEqual(sorted(headings), sorted(expected))
        self.assertGreater(len(headings), 40)

    def test_every_schema_has_a_target_and_every_link_one(self):
        """
        Each schema has an explicit target, and every link to a schema goes
        to one of them (so Sphinx, warnings as errors, resolves them all).
        """
        targets = set(re.findall(r"^\((schema-[\w-]+)\)=$", self.page, re.M))
        self.assertEqual(len(targets), len(self.document["components"]["schemas"]))
        links = set(re.findall(r"\]\(#(schema-[\w-]+)\)", self.page))
        self.assertEqual(links - targets, set())

    def test_write_leaves_an_unchanged_page_alone(self):
        """
        Written twice, the page is written once: Sphinx is not made to read
        it again for nothing.
        """
        page = os.path.join(self.mktemp(), "http-api.md")
        self.generator.write(page, self.path)
        os.utime(page, (1, 1))
        self.generator.write(page, self.path)
        self.assertEqual(os.stat(page).st_mtime, 1)
        with open(page, encoding="utf-8") as file:
            self.assertEqual(file.read(), self.page)
