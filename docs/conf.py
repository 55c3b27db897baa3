"""
Sphinx configuration of openocpp's documentation site (built by
C{docs/build.sh} into C{docs/_build/html}, warnings as errors).

The pages are the Markdown files of this folder (MyST); the API reference
is generated from the package's epytext docstrings by pydoctor, which
C{build.sh} runs into C{reference/} of the same site.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)

import openapi_page  # noqa: E402  (docs/openapi_page.py, beside this file)

# The HTTP API reference, written from openocpp/web/openapi.json at each
# build into _generated/ (not kept in the repository).
openapi_page.write()

project = "openocpp"
author = "the openocpp developers"
copyright = "the openocpp developers, MIT licence"

extensions = ["myst_parser"]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "README.md"]
# docs/*.py are the build's helpers (conf.py, the generators), no pages.
myst_heading_anchors = 4
myst_enable_extensions = ["colon_fence"]
html_theme = "furo"
html_title = "openocpp"
