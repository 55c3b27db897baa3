"""
The code in the documentation runs as written.

Every fenced C{```python} block of C{docs/*.md} runs in a process of its own
in a temporary folder; a block that needs a peer says so with a MyST
comment on the line before it, which this test understands:

  - C{<!-- snippet: centralsystem -->}: the test starts a central system on
    loopback first (accepting C{TAG-1}) and points the block's
    C{ws://127.0.0.1:8080/openocpp} at it;
  - C{<!-- snippet: skip (reason) -->}: not run (the reason is required);
    the block must still compile;
  - C{<!-- snippet: tested (tests/path/test_module.py) -->}: not run here,
    because the test module named runs it in the setting it needs (beside
    a running central system, as a trial module, ...); that module must
    exist and name the page.

Every command of a C{```sh} block is classified: C{twistd ...} commands run
with C{--help} appended (so each documented option exists and its value
parses, and nothing starts), C{python -m openocpp...} commands and
C{python - <<'EOF'} scripts run in a temporary folder (each command of
an C{&&} chain on its own); the others (pip,
curl, git, the benchmark and interop programs, ...) are listed in
L{NOT_RUN} with the reason they are not run.
"""

import ast
import glob
import os
import re
import shlex
import sqlite3
import sys
from dataclasses import dataclass

from twisted.internet import reactor
from twisted.internet.defer import inlineCallbacks
from twisted.internet.utils import getProcessOutputAndValue
from twisted.trial.unittest import TestCase

from openocpp.centralsystem.tap import CentralSystemOptions, make_service

_REPOSITORY = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_DOCS = os.path.join(_REPOSITORY, "docs")

#: The URL a C{centralsystem} snippet connects to, replaced by the test's port.
_DOCUMENTED_URL = "ws://127.0.0.1:8080/openocpp"

_FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```\s*$", re.S | re.M)
_MARK = re.compile(r"<!--\s*snippet:\s*(\w+)\s*(?:\((.*?)\))?\s*-->\s*$")

#: Commands of C{```sh} blocks not run, by their first word, and why.
NOT_RUN = {
    "pip": "installs packages: CI's own install step runs it",
    "python3": "creates a virtual environment: CI's own install step runs it",
    "curl": "needs a running central system with charge points connected",
    "createdb": "needs a PostgreSQL server; tests/engines/postgresql.py starts one for the store's tests",
    "git": "needs a second checkout of the repository (the benchmark's baseline)",
    "benchmarks/bench_centralsystem.py": "a benchmark of minutes; tests/benchmarks runs its scenarios briefly",
    "benchmarks/bench_simulator.py": "a benchmark of 1,000 charge points; tests/chargepoint/test_simulator_scenarios runs the simulator",
    "interop/ocpp_centralsystem.py": "a foreign peer; tests/interop runs it",
    "interop/ocpp_chargepoint.py": "a foreign peer; tests/interop runs it",
    "interop/probe_table.py": "reads the output of a probe run; tests/interop covers it",
    "twisted.trial": "runs a test package: the suite itself runs it",
    "deploy/run-local-cluster": "starts PostgreSQL, Redis, HAProxy and nodes until stopped; tests/cluster runs its code",
    "-c": "reads the SQLite file of the session started above",
}


@dataclass(frozen=True)
class Block:
    """
    A fenced block of a page.

    @ivar page: the page's file name.
    @ivar line: the line of its opening fence.
    @ivar language: C{python} or C{sh}.
    @ivar text: its content.
    @ivar mark: the snippet mark before it (C{""}, C{"centralsystem"},
        C{"skip"}).
    @ivar reason: the mark's reason, if any.
    """

    page: str
    line: int
    language: str
    text: str
    mark: str
    reason: str

    def __str__(self) -> str:
        return f"docs/{self.page}:{self.line}"


def blocks(language: str) -> list[Block]:
    """
    The fenced blocks of C{language} of every page of C{docs/}.
    """
    found = []
    for path in sorted(glob.glob(os.path.join(_DOCS, "*.md"))):
        with open(path, encoding="utf-8") as file:
            text = file.read()
        for match in _FENCE.finditer(text):
            if match.group(1) != language:
                continue
            before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
            mark = _MARK.search(before)
            found.append(
                Block(
                    page=os.path.basename(path),
                    line=text.count("\n", 0, match.start()) + 1,
                    language=language,
                    text=match.group(2),
                    mark=mark.group(1) if mark else "",
                    reason=(mark.group(2) or "") if mark else "",
                )
            )
    return found


def commands(text: str) -> list[tuple[list[str], str]]:
    """
    The commands of a C{```sh} block: each as its words (comments,
    continuations, a trailing C{&} and redirections removed) and the
    here-document it reads, if any.
    """
    result = []
    lines = text.replace("\\\n", " ").split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        heredoc = ""
        here = re.search(r"<<\s*'(\w+)'", line)
        if here:
            end = lines.index(here.group(1), index)
            heredoc = "\n".join(lines[index:end]) + "\n"
            index = end + 1
            line = line[: here.start()]
        while True:
            try:
                words = shlex.split(line, comments=True)
                break
            except ValueError:  # a quoted string goes on to the next line
                if index >= len(lines):
                    raise
                line += "\n" + lines[index]
                index += 1
        if not words:
            continue
        words = [word for word in words if word != "&"]
        while "&&" in words:  # each command of a chain on its own
            result.append((words[: words.index("&&")], ""))
            words = words[words.index("&&") + 1 :]
        if ">" in words:
            words = words[: words.index(">")]
        if "<" in words:
            words = words[: words.index("<")]
        result.append((words, heredoc))
    return result


def _environment() -> dict:
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        [_REPOSITORY] + ([environment["PYTHONPATH"]] if environment.get("PYTHONPATH") else [])
    )
    return environment


def _twistd(arguments: list[str]) -> tuple[str, list[str]]:
    """
    The program and arguments that run C{twistd} with C{arguments} from the
    interpreter running the tests.
    """
    return sys.executable, ["-c", "from twisted.scripts.twistd import run; run()", *arguments]


def classify(words: list[str], heredoc: str) -> tuple[str, list[str], str]:
    """
    What the test does with one command.

    @return: C{("run", argv, stdin)} or C{("not run", [], reason)}.
    """
    program = os.path.basename(words[0])
    if program == "twistd":
        return "run", [*words[1:], "--help"], ""
    if program in ("python", "python3") and len(words) > 1:
        if words[1] == "-" and heredoc:
            return "run", ["-"], heredoc
        if words[1] == "-m" and words[2].startswith("openocpp"):
            return "run", words[1:], ""
        key = words[2] if words[1] == "-m" else words[1]
        if key in NOT_RUN:
            return "not run", [], NOT_RUN[key]
    if program in NOT_RUN:
        return "not run", [], NOT_RUN[program]
    if words[0] in NOT_RUN:
        return "not run", [], NOT_RUN[words[0]]
    return "unknown", [], ""


class SnippetInventoryTests(TestCase):
    """
    Every block of the pages is run or accounted for.
    """

    def test_python_blocks_exist_and_compile(self):
        """
        The pages have Python blocks, and each (run or skipped) compiles,
        top-level C{await} allowed.
        """
        found = blocks("python")
        self.assertGreater(len(found), 2)
        for block in found:
            compile(block.text, str(block), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)

    def test_every_skip_has_a_reason_and_skips_are_few(self):
        """
        Each C{skip} mark gives a reason in parentheses, and at most half
        of the Python blocks are skipped.
        """
        found = blocks("python")
        skipped = [block for block in found if block.mark == "skip"]
        for block in skipped:
            self.assertTrue(block.reason.strip(), f"{block}: a skip needs a reason")
        self.assertLessEqual(len(skipped) * 2, len(found), [str(block) for block in skipped])
        for block in found:
            self.assertIn(block.mark, ("", "skip", "centralsystem", "tested"), str(block))

    def test_every_tested_block_names_its_test(self):
        """
        Each C{tested} mark names a test module of the repository that reads
        the block's page.
        """
        for block in blocks("python"):
            if block.mark != "tested":
                continue
            path = os.path.join(_REPOSITORY, block.reason.strip())
            self.assertTrue(block.reason.startswith("tests/") and os.path.isfile(path), str(block))
            with open(path, encoding="utf-8") as module:
                self.assertIn(block.page, module.read(), str(block))

    def test_every_shell_command_is_run_or_listed_with_a_reason(self):
        """
        Every command of every C{```sh} block is either run by
        L{ShellSnippetTests} or listed in L{NOT_RUN}.
        """
        unknown = []
        for block in blocks("sh"):
            for words, heredoc in commands(block.text):
                if classify(words, heredoc)[0] == "unknown":
                    unknown.append(f"{block}: {' '.join(words)}")
        self.assertEqual(unknown, [])


class PythonSnippetTests(TestCase):
    """
    Each Python block runs as written and exits 0.
    """

    timeout = 120

    @inlineCallbacks
    def test_python_blocks_run(self):
        """
        Each Python block not skipped runs in a temporary folder and exits
        0; a C{centralsystem} block against a central system on loopback,
        and its session lands in the central system's SQLite file.
        """
        ran = 0
        for block in blocks("python"):
            if block.mark in ("skip", "tested"):
                continue
            folder = os.path.abspath(self.mktemp())
            os.makedirs(folder)
            text = block.text
            database = None
            if block.mark == "centralsystem":
                database = os.path.join(folder, "cs.sqlite")
                options = CentralSystemOptions()
                options.parseOptions(
                    ["--db", database, "--listen", "tcp:0:interface=127.0.0.1", "--accept-idtag", "TAG-1"]
                )
                central = make_service(options, reactor)
                central.startService()
                port = yield central.when_listening()
                self.assertIn(_DOCUMENTED_URL, text, str(block))
                text = text.replace(_DOCUMENTED_URL, f"ws://127.0.0.1:{port.getHost().port}/openocpp")
            try:
                out, err, code = yield getProcessOutputAndValue(
                    sys.executable, ["-c", text], env=_environment(), path=folder, reactor=reactor
                )
            finally:
                if database is not None:
                    yield central.stopService()
            self.assertEqual(code, 0, (str(block), out, err))
            if database is not None:
                connection = sqlite3.connect(database)
                try:
                    rows = connection.execute(
                        "SELECT identity, id_tag, stop_timestamp IS NOT NULL FROM transactions"
                    ).fetchall()
                finally:
                    connection.close()
                self.assertEqual(rows, [("CP001", "TAG-1", 1)], str(block))
            ran += 1
        self.assertGreater(ran, 1)


class ShellSnippetTests(TestCase):
    """
    The shell commands that are checks run and exit 0.
    """

    timeout = 300

    @inlineCallbacks
    def test_shell_commands_run(self):
        """
        Each C{twistd} command of the pages, with C{--help} appended, parses
        (every option exists, every value coerces) and exits 0; each
        C{python -m openocpp...} command and here-document script exits 0.
        """
        ran = 0
        for block in blocks("sh"):
            folder = os.path.abspath(self.mktemp())
            os.makedirs(folder)
            for words, heredoc in commands(block.text):
                kind, argv, stdin = classify(words, heredoc)
                if kind != "run":
                    continue
                if os.path.basename(words[0]) == "twistd":
                    program, arguments = _twistd(argv)
                else:
                    program, arguments = sys.executable, argv
                if stdin:
                    arguments = ["-c", stdin]
                out, err, code = yield getProcessOutputAndValue(
                    program, arguments, env=_environment(), path=folder, reactor=reactor
                )
                self.assertEqual(code, 0, (str(block), words, out, err))
                ran += 1
        self.assertGreater(ran, 5)
