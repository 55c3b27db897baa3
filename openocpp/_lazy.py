"""
Names of a package imported from their modules on first use, so that
importing the package (or one light module of it) loads nothing heavy.
"""

import importlib
import sys
from typing import Any, Callable


def lazy_exports(
    package: str, module_of: dict[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """
    The module-level C{__getattr__} and C{__dir__} (PEP 562) of a package
    whose public names are imported when first used.

    @param package: the package's C{__name__}.
    @param module_of: public name -> the module defining it.
    @return: C{(__getattr__, __dir__)}, to assign in the package.
    """

    def __getattr__(name: str) -> Any:
        module = module_of.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        # Cached in the package: the next lookup does not come here.
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(module_of))

    return __getattr__, __dir__
