"""
Make the requirement table of docs/security.md from the tests.

Every Security Whitepaper (edition 2) requirement id that a test names (in
its name as C{A00_FR_202}, its docstring, a comment or a string inside it)
is listed with the tests that name it (tests/docs excepted): C{module.Class.test_method}, or
C{module (CONSTANT)} for an id in a module-level table constant (upper case)
that tests check answers against. Ids elsewhere (a module's or a class's
docstring, a helper) are not counted: they say what a module is about, not
what a test asserts.
Ranges are expanded: C{A02.FR.02-04} names A02.FR.02, .03 and .04, and
C{A00.FR.004/005} names both.

  - C{python docs/security_table.py}: print the table;
  - C{python docs/security_table.py --write}: replace the table in
    docs/security.md with it;
  - C{python docs/security_table.py --check}: exit 1 with one line per
    problem when docs/security.md's table differs, or when an id the table
    lists is still in its "Left" list (tests/docs/test_security_table.py
    runs this check).

Only the standard library is used, and no test module is imported (the
sources are parsed), so it runs anywhere the repository is.
"""

import ast
import io
import re
import sys
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
DOC = ROOT / "docs" / "security.md"

#: Folders of tests/ whose tests check documents, not requirements (the
#: generator's own tests name made-up ids).
EXCLUDED = frozenset({"docs"})

#: How many tests a row shows before "(and N more)".
SHOWN = 3

_HEADER = "| requirement | tests |\n| --- | --- |\n"
_LEFT = "### Left"
_ID = re.compile(r"\b([A-N]\d{2})\.FR\.(\d{2,3})((?:[-/]\d{2,3}\b)*)")
_NAMED = re.compile(r"([A-N]\d{2})_FR_(\d{2,3})((?:_\d{2,3}(?![0-9]))*)")
_MORE = re.compile(r"[-/]\d{2,3}")


def requirement_ids(text):
    """
    The requirement ids a text names, ranges and lists expanded.

    @param text: any text.
    @return: a list of ids (C{"A02.FR.03"}), in order, repeated as named.
    """
    found = []
    for match in _ID.finditer(text):
        use_case, first, rest = match.group(1), match.group(2), match.group(3)
        width = len(first)
        numbers = [int(first)]
        for part in _MORE.findall(rest):
            number = int(part[1:])
            if part[0] == "-" and number > numbers[-1]:
                numbers.extend(range(numbers[-1] + 1, number + 1))
            else:
                numbers.append(number)
        found.extend(f"{use_case}.FR.{number:0{width}d}" for number in numbers)
    return found


def _sort_key(requirement):
    use_case, _, number = requirement.split(".")
    return use_case, int(number)


class _Scopes:
    """
    Which test, constant, class or module a line of one module is in.
    """

    def __init__(self, module, tree):
        self._spans = []
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                for member in node.body:
                    if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)) and member.name.startswith(
                        "test"
                    ):
                        self._spans.append(
                            (member.lineno, member.end_lineno, f"{module}.{node.name}.{member.name}")
                        )
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = [each.id for each in targets if isinstance(each, ast.Name) and each.id.isupper()]
                if names:
                    self._spans.append((node.lineno, node.end_lineno, f"{module} ({names[0]})"))

    def of(self, line):
        """
        @return: the innermost test's or constant's name for a line
            number, or C{None} outside any.
        """
        best = None
        for start, end, name in self._spans:
            if start <= line <= end and (best is None or start >= best[0]):
                best = (start, name)
        return None if best is None else best[1]


def named_ids(tests=TESTS):
    """
    Every requirement id the test modules name, with where.

    @param tests: the tests folder.
    @return: a dict of id to a set of scope names.
    """
    table = {}
    for path in sorted(tests.rglob("*.py")):
        if path.relative_to(tests).parts[0] in EXCLUDED:
            continue
        source = path.read_text(encoding="utf-8")
        if not _ID.search(source) and not _NAMED.search(source):
            continue
        module = ".".join(path.relative_to(tests).with_suffix("").parts)
        scopes = _Scopes(module, ast.parse(source, str(path)))
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type not in (tokenize.COMMENT, tokenize.STRING, tokenize.NAME):
                continue
            text = token.string
            if token.type == tokenize.NAME:
                # A test's name may carry an id as A00_FR_202, or several
                # of one use case as A00_FR_317_421.
                text = _NAMED.sub(
                    lambda named: f" {named.group(1)}.FR.{named.group(2)}{named.group(3).replace('_', '/')} ", text
                )
            scope = scopes.of(token.start[0])
            if scope is None:
                continue
            for requirement in requirement_ids(text):
                table.setdefault(requirement, set()).add(scope)
    return table


def render(table):
    """
    @param table: what L{named_ids} returns.
    @return: the Markdown table, header included, newline-terminated.
    """
    rows = []
    for requirement in sorted(table, key=_sort_key):
        names = sorted(table[requirement])
        shown = "; ".join(f"`{name}`" for name in names[:SHOWN])
        if len(names) > SHOWN:
            shown += f" (and {len(names) - SHOWN} more)"
        rows.append(f"| {requirement} | {shown} |\n")
    return _HEADER + "".join(rows)


def _table_span(document):
    start = document.index(_HEADER)
    end = start + len(_HEADER)
    while end < len(document) and document.startswith("| ", end):
        end = document.index("\n", end) + 1
    return start, end


def problems(document, table):
    """
    How a document's table and "Left" list disagree with the tests.

    @param document: docs/security.md's text.
    @param table: what L{named_ids} returns.
    @return: a list of one-line problems (empty when all agree).
    """
    found = []
    start, end = _table_span(document)
    if document[start:end] != render(table):
        found.append(
            "docs/security.md: the requirement table differs from the tests: "
            "run python docs/security_table.py --write"
        )
    if _LEFT in document:
        left = set(requirement_ids(document[document.index(_LEFT):]))
        for requirement in sorted(left & set(table), key=_sort_key):
            found.append(f"docs/security.md: {requirement} is named by a test but still listed as left")
    return found


def main(argv):
    """
    The command line (see the module's docstring).

    @return: the exit status.
    """
    table = named_ids()
    if argv == ["--write"]:
        document = DOC.read_text(encoding="utf-8")
        start, end = _table_span(document)
        DOC.write_text(document[:start] + render(table) + document[end:], encoding="utf-8")
        return 0
    if argv == ["--check"]:
        found = problems(DOC.read_text(encoding="utf-8"), table)
        for line in found:
            print(line, file=sys.stderr)
        return 1 if found else 0
    if argv:
        print("usage: python docs/security_table.py [--write | --check]", file=sys.stderr)
        return 2
    sys.stdout.write(render(table))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
