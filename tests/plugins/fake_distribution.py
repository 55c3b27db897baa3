"""
A fake installed distribution for the plugin tests: a module and its
C{.dist-info} folder with an C{openocpp} entry point, on C{sys.path} for
one test only, so that L{importlib.metadata} (and so pluggy's
C{load_setuptools_entrypoints}) finds it as if it were installed.
"""

import os
import sys
import textwrap

from openocpp.plugins import ENTRY_POINT_GROUP


def install_distribution(testcase, source, module="openocpp_test_site", entry_point="site"):
    """
    Install, for C{testcase} only, a distribution whose C{openocpp} entry
    point C{entry_point} is a module holding C{source}.

    @param testcase: the L{twisted.trial.unittest.SynchronousTestCase}
        whose temporary folder holds the distribution and whose cleanups
        remove it from C{sys.path} and C{sys.modules}.
    @param source: the plugin module's Python source (dedented here).
    @param module: the plugin module's name.
    @param entry_point: the entry point's name, the name the plugin manager
        registers the module under.
    """
    site = os.path.abspath(testcase.mktemp())
    info = os.path.join(site, f"{module}-1.0.dist-info")
    os.makedirs(info)
    with open(os.path.join(site, module + ".py"), "w") as plugin:
        plugin.write(textwrap.dedent(source))
    with open(os.path.join(info, "METADATA"), "w") as metadata:
        metadata.write(f"Metadata-Version: 2.1\nName: {module.replace('_', '-')}\nVersion: 1.0\n")
    with open(os.path.join(info, "entry_points.txt"), "w") as entry_points:
        entry_points.write(f"[{ENTRY_POINT_GROUP}]\n{entry_point} = {module}\n")
    sys.path.insert(0, site)
    testcase.addCleanup(sys.path.remove, site)
    testcase.addCleanup(sys.modules.pop, module, None)
