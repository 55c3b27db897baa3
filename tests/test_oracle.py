"""
The oracle travels with the repository: its schemas are in C{tests/schemas/},
the same bytes as the package's and as the official files where those are
laid out beside the checkout.
"""

from pathlib import Path

from twisted.trial.unittest import SkipTest, SynchronousTestCase

import openocpp.messages
from tests.oracle import OFFICIAL_SCHEMA_DIR, SCHEMA_DIR

_REPOSITORY = Path(__file__).resolve().parent.parent


def _contents(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.glob("*.json"))}


class InRepositoryOracleTests(SynchronousTestCase):
    """
    L{tests.oracle.SCHEMA_DIR}.
    """

    def test_inside_the_repository(self):
        """
        The oracle reads its schemas from C{tests/schemas/} of the checkout,
        nothing beside it: a clone alone runs the tests.
        """
        self.assertEqual(SCHEMA_DIR, _REPOSITORY / "tests" / "schemas")
        self.assertEqual(len(_contents(SCHEMA_DIR)), 78)

    def test_identical_to_package_data(self):
        """
        The copy is byte for byte the schemas the package ships.
        """
        shipped = Path(openocpp.messages.__file__).parent / "schemas"
        self.assertEqual(_contents(SCHEMA_DIR), _contents(shipped))

    def test_identical_to_official_schemas(self):
        """
        Where the official schemas are beside the checkout
        (C{../shared/ocpp16/schemas/}), the copy is byte for byte theirs.
        """
        if OFFICIAL_SCHEMA_DIR is None:
            raise SkipTest("no ../shared/ocpp16/schemas beside the checkout: nothing to compare with")
        self.assertEqual(_contents(SCHEMA_DIR), _contents(OFFICIAL_SCHEMA_DIR))
