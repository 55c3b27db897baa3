"""
C{docs/architecture.md} names only what exists: every file path, every
C{openocpp.x.y} dotted name, every class, method and hook it mentions is
found in the source tree, and a class or interface said to live in a module
is defined in that module. The document cannot drift silently from the code.

The checks read the source (no module is imported), so a name is checked
where the document says it is, not wherever an import makes it reachable.
"""

import re
from functools import lru_cache
from pathlib import Path

from twisted.trial.unittest import SynchronousTestCase

import openocpp

ROOT = Path(__file__).resolve().parent.parent.parent
#: Where the openocpp package's sources are: ROOT in a checkout, the
#: installed package's folder when CI runs the suite against the wheel.
PACKAGE_ROOT = Path(openocpp.__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"

#: Names from outside openocpp the document mentions, with the module
#: (Twisted's) whose source must define them.
EXTERNAL_CLASSES = {
    "MultiService": "twisted.application.service",
    "StreamServerEndpointService": "twisted.application.internet",
}
#: Capitalised words of prose that are no code name.
PROSE_WORDS = frozenset({"WebSocket", "PostgreSQL", "OpenAPI"})

_BACKTICKED = re.compile(r"`([^`\n]+)`")
_PATH = re.compile(r"(?<![\w/.])((?:openocpp|tests|docs|plugins|examples)/[\w*./-]*[\w*/])")
_BARE_FILE = re.compile(r"(?<![\w/.-])([\w*-]+(?:/[\w*-]+)*\.(?:py|sql))\b")
_DOTTED = re.compile(r"\b(openocpp(?:\.\w+)+)")
_HOOK = re.compile(r"\b(openocpp_c[sp]_\w+)\b")
# CamelCase with two humps at least (ChargePoint, IRpcSession), or a
# private class (_Connection).
_CLASS_LIKE = re.compile(r"(?<![\w.])(_?[A-Z][a-z0-9]+(?:[A-Z][A-Za-z0-9]*)+|I[A-Z][a-z]\w*)\b")
_ATTRIBUTE = re.compile(r"^(_?[A-Z]\w*)\.(\w+)$")
_IDENTIFIER = re.compile(r"^[a-z_][A-Za-z0-9_]*$")


@lru_cache(maxsize=None)
def _source(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _sources(root: Path) -> dict[Path, str]:
    return {path: _source(path) for path in sorted((root / "openocpp").rglob("*.py"))}


def _defines_class(source: str, name: str) -> bool:
    return re.search(rf"^class {re.escape(name)}\b", source, re.M) is not None


def _defines_name(source: str, name: str) -> bool:
    """
    Whether a module's source defines C{name}: a function, a class, a
    method, an attribute set on C{self}, or an assigned name.
    """
    name = re.escape(name)
    return (
        re.search(rf"^\s*(?:async\s+)?(?:def|class)\s+{name}\b", source, re.M) is not None
        or re.search(rf"^\s*{name}\s*(?::[^=\n]*)?=", source, re.M) is not None
        or re.search(rf"\bself\.{name}\s*(?::[^=\n]*)?=", source) is not None
    )


def _class_body(source: str, name: str) -> str:
    match = re.search(rf"^class {re.escape(name)}\b.*?(?=^\S)", source + "\nEND", re.M | re.S)
    return match.group(0) if match else ""


def _module_file(root: Path, dotted: str) -> Path | None:
    base = root.joinpath(*dotted.split("."))
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    return None


def _segments(text: str) -> list[str]:
    """
    The document as table cells and sentences (prose paragraphs joined,
    then split at sentence and clause ends), outside the fenced blocks.
    """
    segments = []
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    for paragraph in re.split(r"\n\s*\n", prose):
        lines = paragraph.splitlines()
        if lines and lines[0].startswith("|"):
            for line in lines:
                for cell in line.split("|"):
                    segments.extend(part for part in cell.split(";") if part.strip())
            continue
        segments.extend(re.split(r"(?<=[.;])\s+|;\s", " ".join(lines)))
    return segments


def problems(text: str, root: Path = ROOT, package_root: Path = PACKAGE_ROOT) -> list[str]:
    """
    What a document says that the tree at C{root} does not bear out.

    @param package_root: the folder holding the C{openocpp} package's
        source: C{root} in a checkout, C{site-packages} when the suite runs
        against an installed wheel (whose sources are what ships).

    @return: one line per problem; empty when everything it names exists.
    """
    found: list[str] = []
    sources = _sources(package_root)
    everything = "\n".join(sources.values())
    classes = {
        name: path
        for path, source in sources.items()
        for name in re.findall(r"^class (\w+)", source, re.M)
    }
    backticked = _BACKTICKED.findall(text)

    # Paths: exactly where they say (a * is a wildcard that must match).
    for path in sorted(set(_PATH.findall(text))):
        tree = package_root if path.startswith("openocpp/") else root
        if "*" in path:
            if not list(tree.glob(path)):
                found.append(f"no file matches {path}")
        elif not (tree / path).exists():
            found.append(f"no such path: {path}")
    # Bare file names (frames.py, schema/*.sql): somewhere under openocpp/.
    for name in sorted(set(_BARE_FILE.findall(_PATH.sub("", text)))):
        if not list((package_root / "openocpp").rglob(name)):
            found.append(f"no file {name} under openocpp/")

    # Dotted names: the longest prefix naming a module, the rest defined in it.
    for dotted in sorted(set(_DOTTED.findall(text))):
        parts = dotted.split(".")
        for cut in range(len(parts), 0, -1):
            module = _module_file(package_root, ".".join(parts[:cut]))
            if module is not None:
                break
        rest = parts[cut:]
        if module is None:
            found.append(f"no module {dotted}")
        elif rest and not _defines_name(_source(module), rest[0]):
            found.append(f"{'.'.join(parts[:cut])} defines no {rest[0]} ({dotted})")
        elif len(rest) == 2 and not _defines_name(_class_body(_source(module), rest[0]), rest[1]):
            found.append(f"{'.'.join(parts[:cut + 1])} has no {rest[1]} ({dotted})")

    # Hooks: specified in openocpp/hookspecs.py.
    hookspecs = _source(package_root / "openocpp" / "hookspecs.py")
    for hook in sorted(set(_HOOK.findall(text))):
        if not re.search(rf"^def {hook}\(", hookspecs, re.M):
            found.append(f"openocpp/hookspecs.py specifies no hook {hook}")

    # Class-like names, anywhere (the diagram too): an openocpp class (an
    # interface in an interfaces.py), a Twisted class named above, or a word
    # openocpp speaks as a string (an OCPP action, key, status, error code).
    for name in sorted(set(_CLASS_LIKE.findall(re.sub(r"\bopenocpp\.[\w.]+", "", text)))):
        if name in classes:
            if re.match(r"I[A-Z]", name) and classes[name].name != "interfaces.py":
                found.append(f"interface {name} is not in an interfaces.py")
        elif name in EXTERNAL_CLASSES:
            module = __import__(EXTERNAL_CLASSES[name], fromlist=[name])
            if not _defines_class(_source(Path(module.__file__)), name):
                found.append(f"{EXTERNAL_CLASSES[name]} defines no class {name}")
        elif name not in PROSE_WORDS and f'"{name}"' not in everything:
            found.append(f"no class or OCPP name {name} in openocpp/")

    # Backticked Class.attribute and bare identifiers: defined there, or somewhere.
    for token in sorted(set(backticked)):
        token = token.strip()
        attribute = _ATTRIBUTE.match(token)
        if attribute and attribute.group(1) in classes:
            cls, name = attribute.groups()
            if not _defines_name(_class_body(_source(classes[cls]), cls), name):
                found.append(f"{cls} ({classes[cls].relative_to(package_root)}) has no {name}")
        elif _IDENTIFIER.match(token) and not token.startswith("openocpp_"):
            if not any(_defines_name(source, token) for source in sources.values()):
                found.append(f"nothing in openocpp/ defines {token}")

    # A class said to be in a module is defined in that module: "`Name`
    # (`path`)", a table row whose first cell is the module, and the
    # interfaces of a sentence or cell naming one interfaces.py.
    for name, path in re.findall(r"`(\w+)` \(`((?:openocpp)/[\w/]+\.py)`", text):
        if (package_root / path).is_file() and name in classes and classes[name] != package_root / path:
            found.append(f"{name} is not defined in {path}")
    for row in re.findall(r"^\| `(openocpp/[\w/]+\.py)` \|([^|]*)\|", text, re.M):
        path, cell = row
        if not (package_root / path).is_file():
            continue
        for name in re.findall(r"`(\w+)`", cell):
            if not _defines_name(_source(package_root / path), name):
                found.append(f"{path} defines no {name}")
    for segment in _segments(text):
        modules = re.findall(r"`(openocpp/[\w/]*interfaces\.py)`", segment)
        if len(modules) != 1 or not (package_root / modules[0]).is_file():
            continue
        for name in re.findall(r"`(I[A-Z]\w*)`", segment):
            if name in classes and not _defines_class(_source(package_root / modules[0]), name):
                found.append(f"{name} is said to be in {modules[0]}, it is in {classes[name].relative_to(package_root)}")
    return found


class ArchitectureDocumentTests(SynchronousTestCase):
    """
    C{docs/architecture.md} against the tree it describes.
    """

    def test_every_name_the_document_mentions_exists(self):
        """
        Every path, dotted name, class, method and hook of the document is
        found in the tree, where the document says it is.
        """
        self.assertEqual(problems(DOC.read_text(encoding="utf-8")), [])

    def test_document_names_every_role_module(self):
        """
        Every module of the two roles, the web layer and the store is in the
        document's tables or text: a module added without a word about it
        fails here.
        """
        text = DOC.read_text(encoding="utf-8")
        missing = []
        for package in ("centralsystem", "chargepoint", "web", "store"):
            for path in sorted((PACKAGE_ROOT / "openocpp" / package).glob("*.py")):
                if path.name == "__init__.py":
                    continue
                relative = path.relative_to(PACKAGE_ROOT).as_posix()
                if relative not in text:
                    missing.append(relative)
        self.assertEqual(missing, [])

    def test_readme_links_the_document(self):
        """
        README.md's "What is in it" links the architecture document.
        """
        readme = (ROOT / "README.md").read_text(encoding="utf-8")
        section = readme.split("## What is in it", 1)[1].split("\n## ", 1)[0]
        self.assertIn("(docs/architecture.md)", section)


class CheckerTests(SynchronousTestCase):
    """
    The checker finds what a drifted document would say.
    """

    def assertFinds(self, text, expected):
        found = problems(text)
        self.assertTrue(
            any(expected in problem for problem in found),
            f"{expected!r} not among {found!r}",
        )

    def test_missing_path(self):
        """
        A path not in the tree is found.
        """
        self.assertFinds("see `openocpp/centralsystem/nowhere.py`", "no such path: openocpp/centralsystem/nowhere.py")

    def test_wildcard_matching_nothing(self):
        """
        A wildcard path matching no file is found.
        """
        self.assertFinds("`openocpp/centralsystem/nowhere/*.sql`", "no file matches")

    def test_missing_dotted_name(self):
        """
        A dotted name whose last part its module does not define is found.
        """
        self.assertFinds("`openocpp.messages.codec.decode_everything`", "defines no decode_everything")
        self.assertFinds("`openocpp.nothing.here`", "openocpp defines no nothing")

    def test_missing_class(self):
        """
        A class that does not exist is found, in prose and in the diagram.
        """
        self.assertFinds("```\n| ChargePointMegaManager |\n```", "ChargePointMegaManager")

    def test_class_in_the_wrong_module(self):
        """
        A class said to live in a module it is not defined in is found.
        """
        self.assertFinds(
            "`ChargePointProxy` (`openocpp/centralsystem/connection.py`)",
            "ChargePointProxy is not defined in openocpp/centralsystem/connection.py",
        )
        self.assertFinds(
            "| `openocpp/centralsystem/connection.py` | `ChargePointProxy` | x |",
            "openocpp/centralsystem/connection.py defines no ChargePointProxy",
        )

    def test_interface_in_the_wrong_interfaces_module(self):
        """
        An interface said to be in another interfaces.py is found.
        """
        self.assertFinds(
            "`IConnectionHandler`, in `openocpp/rpc/interfaces.py`.",
            "IConnectionHandler is said to be in openocpp/rpc/interfaces.py",
        )

    def test_missing_method(self):
        """
        A method its class does not have is found.
        """
        self.assertFinds("`TransactionQueue.flush_everything`", "has no flush_everything")

    def test_missing_hook(self):
        """
        A hook hookspecs.py does not specify is found.
        """
        self.assertFinds("the `openocpp_cs_coffee_ready` hook", "no hook openocpp_cs_coffee_ready")

    def test_the_real_names_pass(self):
        """
        Names that exist raise nothing.
        """
        self.assertEqual(
            problems(
                "`ChargePointConnection` (`openocpp/centralsystem/connection.py`) hands a "
                "StatusNotification to `HookRequestHandler.status_notification`, then "
                "`openocpp_cs_status_notification`; `openocpp.rpc.session.RpcSession`; "
                "`IConnectionHandler` in `openocpp/transport/interfaces.py`; frames.py."
            ),
            [],
        )
