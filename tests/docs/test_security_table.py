"""
The requirement table of C{docs/security.md} is what C{docs/security_table.py}
makes from the tests, and its "Left" list names no requirement a test names:
the map of the Security Whitepaper's requirements cannot drift from the tests.
"""

from pathlib import Path

from twisted.trial.unittest import SkipTest, SynchronousTestCase

from tests.scripts import load_script

ROOT = Path(__file__).resolve().parent.parent.parent


def _generator():
    return load_script(ROOT / "docs" / "security_table.py")


def _whitepaper_ids():
    # The whitepaper's requirement ids, kept beside this module (the
    # whitepaper's text is not in the repository).
    kept = Path(__file__).with_name("whitepaper_requirement_ids.txt").read_text(encoding="ascii")
    return [line for line in kept.splitlines() if line and not line.startswith("#")]


class SecurityTableTests(SynchronousTestCase):
    """
    C{docs/security.md} against the tests.
    """

    def setUp(self):
        self.generator = _generator()

    def test_table_and_left_list_match_the_tests(self):
        """
        The table equals the generator's output and no tested id is left
        (fix: C{python docs/security_table.py --write}, then edit the "Left"
        list).
        """
        document = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
        self.assertEqual(self.generator.problems(document, self.generator.named_ids()), [])

    def test_every_requirement_of_the_whitepaper_tested_or_left(self):
        """
        Every requirement id of the whitepaper (its list kept in
        C{tests/docs/whitepaper_requirement_ids.txt}) is in the table or in
        the "Left" list: none is forgotten.
        """
        document = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
        accounted = set(self.generator.named_ids()) | set(self.generator.requirement_ids(document))
        every = set(_whitepaper_ids())
        self.assertGreater(len(every), 200)
        self.assertEqual(sorted(every - accounted), [])

    def test_kept_id_list_is_the_whitepapers(self):
        """
        The kept list is exactly the ids of the whitepaper's text, when the
        text is beside the checkout (C{../shared/ocpp16/spec/}).
        """
        spec = ROOT.parent / "shared" / "ocpp16" / "spec" / "ocpp-1.6-security-whitepaper-edition-2.txt"
        if not spec.exists():
            raise SkipTest(f"no {spec} beside the checkout: nothing to compare with")
        every = sorted(set(self.generator.requirement_ids(spec.read_text(encoding="utf-8"))))
        self.assertEqual(_whitepaper_ids(), every)

    def test_ranges_and_lists_expanded(self):
        """
        C{A02.FR.02-04} names three ids, C{A00.FR.004/005} two.
        """
        self.assertEqual(
            self.generator.requirement_ids("A02.FR.02-04 and A00.FR.004/005, L01.FR.11"),
            ["A02.FR.02", "A02.FR.03", "A02.FR.04", "A00.FR.004", "A00.FR.005", "L01.FR.11"],
        )

    def test_only_tests_and_constants_count(self):
        """
        An id in a test method or a module-level constant counts; one in a
        module docstring or a helper does not; a test's name may carry it.
        """
        tests = Path(self.mktemp())
        (tests / "pkg").mkdir(parents=True)
        (tests / "pkg" / "test_x.py").write_text(
            '"""About A00.FR.001."""\n'
            "ANSWERS = {'x': 1}  # A00.FR.002\n"
            "def helper():\n"
            "    return 'A00.FR.003'\n"
            "class T:\n"
            "    def test_a(self):\n"
            "        # A00.FR.004\n"
            "        pass\n"
            "    def test_A00_FR_005_named(self):\n"
            "        pass\n",
            encoding="utf-8",
        )
        self.assertEqual(
            self.generator.named_ids(tests),
            {
                "A00.FR.002": {"pkg.test_x (ANSWERS)"},
                "A00.FR.004": {"pkg.test_x.T.test_a"},
                "A00.FR.005": {"pkg.test_x.T.test_A00_FR_005_named"},
            },
        )

    def test_row_shows_three_tests_then_a_count(self):
        """
        A row names three tests, then how many more.
        """
        table = self.generator.render({"A00.FR.001": {"m.T.test_a", "m.T.test_b", "m.T.test_c", "m.T.test_d"}})
        self.assertIn(
            "| A00.FR.001 | `m.T.test_a`; `m.T.test_b`; `m.T.test_c` (and 1 more) |\n", table
        )
