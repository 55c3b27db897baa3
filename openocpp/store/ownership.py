"""
Whose SQLite file is this? Each role refuses to open a database that is not
its own, before writing anything to it.

Opening an SQLite file creates or migrates it: pointed at another program's
database, or at the other role's, a role would add its tables beside theirs
and stamp its schema version on the file (the other role then refuses it).
L{check_database} looks first, read-only: a file that does not exist yet, an
empty database, or one holding only the role's own tables is accepted;
anything else is refused with a message that says why.
"""

import os
import re
import sqlite3
from typing import Iterable
from urllib.parse import quote

#: C{CREATE TABLE} statements of a migration script, and the table each names.
_CREATE_TABLE = re.compile(
    r"\bCREATE\s+(?:TEMP\s+|TEMPORARY\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?[\"`\[]?(\w+)",
    re.IGNORECASE,
)


def owned_tables(migrations: Iterable[str]) -> frozenset[str]:
    """
    The names of the tables a role's migration scripts create (lower case):
    the tables a database of that role may hold.
    """
    return frozenset(
        name.lower() for script in migrations for name in _CREATE_TABLE.findall(script)
    )


def check_database(path: str, tables: frozenset[str], owner: str, schema_version: int | None = None) -> None:
    """
    Refuse a database file that C{owner} must not open, without creating or
    changing any file.

    @param path: the SQLite file (C{":memory:"} is always accepted).
    @param tables: the tables C{owner}'s databases hold (L{owned_tables}).
    @param owner: what the role is, for messages (C{"central system"}).
    @param schema_version: the newest schema version the role knows. A
        database of the role at a newer version (some of the role's tables,
        others it does not know yet) is left to the migration step, which
        says "upgrade openocpp" rather than "another program's database".
    @raise ValueError: the folder does not exist, the path is a folder or
        not an SQLite file, or the database holds tables that are not
        C{owner}'s; the message says which and why.
    """
    if path == ":memory:" or path.startswith("file:"):
        return
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ValueError(f"the folder {folder!r} does not exist")
    if os.path.isdir(path):
        raise ValueError(f"{path!r} is a folder, not an SQLite file")
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return  # created, as the owner's, when opened
    found, version = _tables(path)
    foreign = sorted(name for name in found if name.lower() not in tables)
    ours = [name for name in found if name.lower() in tables]
    newer = schema_version is not None and version > schema_version and len(ours) > len(foreign)
    if foreign and not newer:
        shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        raise ValueError(
            f"{path!r} holds tables that are not the {owner}'s ({shown}): "
            "it is another program's database; give the "
            f"{owner} a file of its own"
        )


def _tables(path: str) -> tuple[list[str], int]:
    # Read-only through a URI, so that nothing is created if the file turns
    # out not to be a database. A write-ahead-log database opened read-only
    # would get its -wal and -shm files created: without a -wal file there
    # is no log to read (the file was closed cleanly), so it is read as
    # immutable, which creates nothing. sqlite_* tables are SQLite's own.
    uri = "file:" + quote(os.path.abspath(path)) + "?mode=ro"
    if not os.path.exists(path + "-wal"):
        uri += "&immutable=1"
    try:
        connection = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as error:
        raise ValueError(f"cannot open {path!r}: {error}") from None
    try:
        rows = connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
        ).fetchall()
        (version,) = connection.execute("PRAGMA user_version").fetchone()
    except sqlite3.DatabaseError as error:
        if "not a database" in str(error):
            raise ValueError(f"{path!r} is not an SQLite database") from None
        raise ValueError(f"cannot read {path!r}: {error}") from None
    finally:
        connection.close()
    return [name for (name,) in rows], version
