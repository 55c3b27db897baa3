"""
The charge point guide's table of configuration keys is the registry's:
C{docs/chargepoint.md} holds what C{docs/keys_table.py} generates from
C{openocpp.chargepoint.keys}, every standard key with its owner.
"""

import os

from twisted.trial.unittest import SynchronousTestCase

from openocpp.chargepoint import keys
from tests.scripts import load_script

DOCS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "docs")


def _generator():
    return load_script(os.path.join(DOCS, "keys_table.py"))


class KeysTableTests(SynchronousTestCase):
    """
    C{docs/keys_table.py} and the page.
    """

    def setUp(self):
        self.generator = _generator()
        with open(self.generator.PAGE, encoding="utf-8") as page:
            self.text = page.read()

    def test_page_holds_the_generated_table(self):
        """
        The page's table is what the registry gives now (regenerate it with
        C{python docs/keys_table.py --write}).
        """
        self.assertEqual(self.generator.section(self.text), "\n" + self.generator.table())

    def test_every_standard_key_has_a_row_with_its_owner(self):
        """
        Each standard key has one row, naming its profile, its
        owner, its type and its default.
        """
        rows = [line for line in self.generator.table().splitlines()[2:]]
        self.assertGreaterEqual(len(keys.STANDARD_KEYS), 53)
        self.assertEqual([row.split(" | ")[0].lstrip("| ") for row in rows], [k.name for k in keys.STANDARD_KEYS])
        for row, key in zip(rows, keys.STANDARD_KEYS):
            cells = [cell.strip() for cell in row.strip("|").split("|")]
            self.assertEqual(cells[1:5], [key.profile, keys.owner(key), key.type.value, "W" if key.write_only else "R" if key.readonly else "RW"])
            self.assertEqual(cells[5], f"`{key.default}`" if key.default else "(empty)")

    def test_owners(self):
        """
        The stack owns the keys it acts on (HeartbeatInterval,
        SecurityProfile, ...), the application those naming its hardware;
        a plugin's own key is the application's.
        """
        by_name = keys.STANDARD_KEYS_BY_NAME
        self.assertEqual(keys.owner(by_name["HeartbeatInterval"]), "stack")
        self.assertEqual(keys.owner(by_name["SecurityProfile"]), "stack")
        self.assertEqual(keys.owner(by_name["LightIntensity"]), "application")
        self.assertEqual(keys.owner(by_name["UnlockConnectorOnEVSideDisconnect"]), "application")
        self.assertTrue(keys.APPLICATION_KEYS <= set(by_name))
        plugin_key = keys.KeyDefinition(name="SiteMaxCurrent", type=keys.KeyType.INTEGER, readonly=False, default="32")
        self.assertEqual(keys.owner(plugin_key), "application")

    def test_a_drifted_page_is_rewritten(self):
        """
        C{--write}'s function replaces a stale table between the markers and
        leaves the rest of the page alone.
        """
        path = self.mktemp()
        with open(path, "w", encoding="utf-8") as page:
            page.write(f"before\n{self.generator.BEGIN}\n| stale |\n{self.generator.END}\nafter\n")
        self.generator.write(path)
        with open(path, encoding="utf-8") as page:
            text = page.read()
        self.assertEqual(text, f"before\n{self.generator.BEGIN}\n{self.generator.table()}{self.generator.END}\nafter\n")

    def test_missing_markers_named(self):
        """
        A page without the markers is an error naming them.
        """
        error = self.assertRaises(ValueError, self.generator.section, "no table here")
        self.assertIn("keys table", str(error))
