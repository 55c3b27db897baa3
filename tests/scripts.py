"""
Load a script of the repository that is not a package module (the docs'
table generators, the interop probe's table) so a test can call it.
"""

import importlib.machinery
import importlib.util
import os
from types import ModuleType


def load_script(path: str | os.PathLike) -> ModuleType:
    """
    @param path: the script's file (C{.py} or an executable without one,
        such as C{deploy/run-local-cluster}).
    @return: the script run as a module named after its file.
    """
    name = os.path.splitext(os.path.basename(path))[0].replace("-", "_")
    loader = importlib.machinery.SourceFileLoader(name, os.fspath(path))
    spec = importlib.util.spec_from_file_location(name, path, loader=loader)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
