"""
A role's schema as numbered SQL files beside its code (as magic-wormhole's
mailbox server keeps C{db-schemas/}): C{schema/0001-initial.sql} creates
the first version, C{0002-....sql} takes it to the second, and so on. The
files are package data, found through C{importlib.resources}, so an
installed wheel has them.

A file may open with comment lines (C{-- ...}) saying what its step does
and why; they are not part of the script: the text of a C{CREATE} statement
is kept in the database's own schema, so a script's statements stay byte for
byte what they were when databases were first migrated with them.
"""

import re
from importlib.resources import files

#: A migration file's name: its four-digit number, a dash, what it does.
_MIGRATION_NAME = re.compile(r"^(\d{4})-[a-z0-9][a-z0-9-]*\.sql$")


def load_migrations(package: str, folder: str = "schema") -> list[str]:
    """
    The SQL scripts of a package's schema folder, in order: item C{i} takes
    the schema from version C{i} to C{i + 1} (see
    L{openocpp.store.sqlite.migrate}).

    @param package: the package holding the folder
        (C{"openocpp.centralsystem"}).
    @param folder: the folder's name in it.
    @return: each file's script, without its opening comment lines.
    @raise ValueError: the numbers are not 1, 2, 3, ... without a gap or a
        repeat, or a C{.sql} file is not named as a migration.
    """
    numbered = {}
    for entry in files(package).joinpath(folder).iterdir():
        if not entry.name.endswith(".sql"):
            continue
        match = _MIGRATION_NAME.match(entry.name)
        if match is None:
            raise ValueError(f"{package}/{folder}/{entry.name} is not named NNNN-what-it-does.sql")
        number = int(match.group(1))
        if number in numbered:
            raise ValueError(f"{package}/{folder} has two migrations numbered {number}")
        numbered[number] = entry.read_text(encoding="utf-8")
    expected = list(range(1, len(numbered) + 1))
    if sorted(numbered) != expected:
        raise ValueError(
            f"{package}/{folder}'s migrations are numbered {sorted(numbered)}, not 1 to {len(numbered)}"
        )
    return [_script(numbered[number]) for number in expected]


def _script(text: str) -> str:
    # The opening comment lines (and the blank line after them) are the
    # file's description, not its script.
    lines = text.splitlines(keepends=True)
    start = 0
    while start < len(lines) and lines[start].startswith("--"):
        start += 1
    return "".join(lines[start:])
