"""
The checks a role's command line gets before anything starts.

Each check raises C{ValueError} with one line that names the option and
says what is wrong; none creates or changes a file. C{twistd openocpp} runs
them before it builds a service, so that a mistake is refused at once,
not found later by a service that keeps running without doing its work.
Its imports are light (the heavy ones happen in the checks), so that the
C{tap} modules may import it and C{twistd --help} stays fast.
"""

import configparser
import os
import re
from typing import Any, Iterable, Sequence

#: Endpoint types whose port is tried before a role starts: binding them
#: creates no file (a UNIX socket would).
_PROBED_TYPES = ("tcp", "tcp6", "ssl")


def number(option: str, kind: type) -> Any:
    """
    A coercer for C{usage.Options.optParameters} whose error names the
    option: C{"--charge-time must be a number, not 'abc'"}.

    @param kind: C{int} or C{float}.
    """

    def coerce(value: str) -> Any:
        try:
            return kind(value)
        except ValueError:
            what = "a whole number" if kind is int else "a number"
            raise ValueError(f"{option} must be {what}, not {value!r}") from None

    coerce.coerceDoc = ""
    return coerce


def check_endpoint(reactor: Any, option: str, description: str) -> Any:
    """
    Parse a server endpoint string.

    @return: the C{IStreamServerEndpoint}.
    @raise ValueError: it is not one (C{tcp:notaport}, unknown type, an
        C{ssl:} endpoint whose key or certificate cannot be read).
    """
    from twisted.internet.endpoints import serverFromString

    try:
        return serverFromString(reactor, description)
    except Exception as error:  # the parsers raise whatever they meet
        raise ValueError(
            f"{option} {description!r} is not a server endpoint: {_reason(error)}"
        ) from None


def check_port_free(reactor: Any, option: str, description: str) -> None:
    """
    Fail if the endpoint cannot listen now (the port is in use, the address
    is not this machine's, the port is privileged): bind its address with a
    socket of our own, as Twisted would, and close it at once.

    Only TCP and TLS endpoints are tried (binding a UNIX socket would create
    a file); the reactor is not used.

    @raise ValueError: it cannot listen, or is not an endpoint.
    """
    import socket

    endpoint = check_endpoint(reactor, option, description)
    address = getattr(endpoint, "_address", None)
    if description.split(":", 1)[0].strip().lower() == "unix" and isinstance(address, str):
        check_folder_of(option, address)  # the socket itself is not tried: it is a file
        return
    port = getattr(endpoint, "_port", None)
    interface = getattr(endpoint, "_interface", None)
    if description.split(":", 1)[0].strip().lower() not in _PROBED_TYPES or not isinstance(port, int):
        return
    family = socket.AF_INET6 if ":" in (interface or "") else socket.AF_INET
    if not interface and description.lower().startswith("tcp6:"):
        family, interface = socket.AF_INET6, "::"
    probe = socket.socket(family, socket.SOCK_STREAM)
    try:
        # Twisted's ports set SO_REUSEADDR: a port left in TIME_WAIT is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((interface or "", port))
    except OSError as error:
        raise ValueError(
            f"{option} {description!r}: cannot listen on port {port}: {error.strerror}"
        ) from None
    finally:
        probe.close()


def check_readable_file(option: str, path: str | None) -> None:
    """
    Fail unless C{path} (when given) names a file this process can read.

    @raise ValueError: it does not exist, is a folder, or cannot be read.
    """
    if path is None:
        return
    if os.path.isdir(path):
        raise ValueError(f"{option} {path!r} is a folder, not a file")
    try:
        with open(path, "rb"):
            pass
    except OSError as error:
        raise ValueError(f"{option} {path!r}: {error.strerror}") from None


def check_readable_files(files: Iterable[tuple[str, str | None]]) -> None:
    """
    L{check_readable_file} for each (option, path), in order.

    @raise ValueError: the first that cannot be read.
    """
    for option, path in files:
        check_readable_file(option, path)


def check_folder_of(option: str, path: str) -> None:
    """
    Fail unless the folder a file is to be written in exists.

    @raise ValueError: it does not.
    """
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ValueError(f"{option} {path!r}: the folder {folder!r} does not exist")


def check_ini_file(option: str, path: str | None) -> None:
    """
    Fail unless C{path} (when given) is an INI file that can be read, or can
    be created: its folder exists.

    @raise ValueError: it cannot.
    """
    if path is None:
        return
    check_folder_of(option, path)
    if not os.path.exists(path):
        return
    check_readable_file(option, path)
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as error:
        raise ValueError(f"{option} {path!r} is not an INI file: {_reason(error)}") from None


def check_role_database(option: str, path: str, migrations: Sequence[str], owner: str) -> None:
    """
    Fail unless C{path} may be the database of C{owner}, whose schema the
    scripts C{migrations} make: see
    L{openocpp.store.ownership.check_database}.

    @raise ValueError: it may not.
    """
    from openocpp.store.ownership import check_database, owned_tables

    try:
        check_database(path, owned_tables(migrations), owner, len(migrations))
    except ValueError as error:
        raise ValueError(f"{option} {path!r}: {error}") from None


def check_postgresql_store(option: str, url: str, owner: str) -> None:
    """
    Fail unless C{url} names a PostgreSQL database this process can reach
    and may migrate: the driver is installed, the server answers, the
    database is empty or the role's, of a schema this openocpp knows.
    Nothing is written.

    @raise ValueError: it is not; the message names the option.
    """
    from openocpp.centralsystem.postgresqlstore import MIGRATIONS
    from openocpp.store.postgresql import check_database

    try:
        check_database(url, MIGRATIONS, owner)
    except ValueError as error:
        raise ValueError(f"{option}: {error}") from None


def check_plugins(option: str, names: Iterable[str], load_entrypoints: bool = True) -> None:
    """
    Import the plugin modules named on the command line and the installed
    plugins of the C{openocpp} entry-point group, so that one that fails to
    load is refused before anything starts (the role imports them again
    from C{sys.modules}).

    @raise ValueError: one cannot be loaded, or implements a hook that does
        not exist or with arguments its specification does not have.
    """
    import importlib.metadata

    from openocpp.plugins import ENTRY_POINT_GROUP, hook_problem, load_plugin_module

    for name in names:
        try:
            plugin = load_plugin_module(name)
        except ValueError as error:
            raise ValueError(f"{option} {name}: cannot import it ({_reason(error.__cause__ or error)})") from None
        except Exception as error:  # raised by the plugin's own import
            raise ValueError(f"{option} {name}: the plugin failed to load: {_reason(error)}") from None
        problem = hook_problem(plugin)
        if problem is not None:
            raise ValueError(f"{option} {name}: {problem}")
    if not load_entrypoints:
        return
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            plugin = entry_point.load()
        except Exception as error:
            raise ValueError(
                f"the installed plugin {entry_point.name!r} ({entry_point.value}) "
                f"failed to load: {_reason(error)}"
            ) from None
        # Refused like a --plugin: started without it, the site would run
        # half-configured (its hook never called) with nothing to tell why.
        problem = hook_problem(plugin)
        if problem is not None:
            distribution = entry_point.dist.name if entry_point.dist is not None else entry_point.value
            raise ValueError(
                f"the installed plugin {entry_point.name!r} of {distribution}: {problem}"
            )


def in_option_names(message: str, options: dict[str, str]) -> str:
    """
    C{message} with the settings' Python names it holds
    (C{security_profile}) replaced by the options that set them
    (C{--security-profile}).

    @param options: setting name -> option name.
    """
    for name, option in options.items():
        message = re.sub(rf"(?<![\w-]){re.escape(name)}\b", option, message)
    return message


def option_names(options_class: type, **renamed: str) -> dict[str, str]:
    """
    Setting name -> option name for every option of a C{usage.Options}
    class, by the rule the taps follow (C{--call-timeout} sets
    C{call_timeout}), plus the settings named otherwise. Options of one
    word (C{--listen}) are left out: their setting's name is an ordinary
    word that messages use too.

    @param renamed: setting name -> option name where the rule does not
        hold (C{tls_certificate="--tls-cert"}).
    """
    from twisted.python.reflect import accumulateClassList

    declared: list = []
    for attribute in ("optParameters", "optFlags"):  # the class's and its bases'
        accumulateClassList(options_class, attribute, declared)
    names = {
        option[0].replace("-", "_"): "--" + option[0] for option in declared if "-" in option[0]
    }
    names.update(renamed)
    return names


def _reason(error: BaseException) -> str:
    # One line: the error's own words, without a traceback.
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
