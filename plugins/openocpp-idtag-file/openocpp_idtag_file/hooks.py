"""
The plugin's hooks: the idTagInfo of Authorize, StartTransaction and
StopTransaction decided by the text file named by C{OPENOCPP_IDTAG_FILE}.

The hooks wrap the central system's own answer (pluggy wrappers): the
built-in behaviour still checks the charge point's registration and
stores the transaction, and only the idTagInfo is the file's. Id tags
compare case-insensitively (OCPP 1.6 errata: IdToken is case insensitive).

The file is read when the plugin loads: a missing or unreadable file stops
the central system at start with one line, instead of an InternalError on
every request.
"""

import dataclasses
import os
from typing import Any, Mapping

from twisted.internet.defer import Deferred
from twisted.logger import Logger

from openocpp import hookimpl
from openocpp.messages.datatypes import IdTagInfo

#: The environment variable naming the file.
ENVIRONMENT_VARIABLE = "OPENOCPP_IDTAG_FILE"


class IdTagFileError(ValueError):
    """
    The id tag file cannot be read; the message names the variable and file.
    """


class IdTagFile:
    """
    The id tags listed in a text file, one per line (C{#} starts a comment),
    re-read when the file changes. If it becomes unreadable while running,
    the last list read stays in force and the error is logged once.

    @param path: the file.
    @raise IdTagFileError: it cannot be read now.
    """

    log = Logger()

    def __init__(self, path: str) -> None:
        self.path = path
        self._stamp = None
        self._tags: frozenset[str] = frozenset()
        self._failing = False
        try:
            self._reload()
        except OSError as error:
            raise IdTagFileError(
                f"{ENVIRONMENT_VARIABLE} {path!r}: {error.strerror or error}"
            ) from None
        except UnicodeDecodeError as error:
            raise IdTagFileError(f"{ENVIRONMENT_VARIABLE} {path!r} is not UTF-8 text: {error}") from None

    def _reload(self) -> None:
        status = os.stat(self.path)
        stamp = (status.st_mtime_ns, status.st_size, status.st_ino)
        if stamp == self._stamp:
            return
        with open(self.path, encoding="utf-8") as listing:
            tags = {line.split("#", 1)[0].strip().casefold() for line in listing}
        self._tags, self._stamp = frozenset(tags - {""}), stamp

    def tags(self) -> frozenset[str]:
        """
        The listed tags, case-folded, as the file says now.
        """
        try:
            self._reload()
        except (OSError, UnicodeDecodeError) as error:
            if not self._failing:
                self.log.error(
                    "Cannot read the id tag file {path}: {error}; keeping the last list read",
                    path=self.path,
                    error=str(error),
                )
            self._failing = True
        else:
            if self._failing:
                self.log.info("The id tag file {path} can be read again", path=self.path)
            self._failing = False
        return self._tags

    def info(self, id_tag: str) -> IdTagInfo:
        """
        Accepted when the tag is listed, Invalid otherwise.
        """
        listed = id_tag.casefold() in self.tags()
        return IdTagInfo(status="Accepted" if listed else "Invalid")


class IdTagFilePlugin:
    """
    The plugin object registered with openocpp.

    @param listing: the L{IdTagFile}, or C{None} for no opinion (the
        central system's own id tag table decides).
    """

    def __init__(self, listing: IdTagFile | None) -> None:
        self.listing = listing

    @classmethod
    def from_environment(cls, environment: Mapping[str, str] = os.environ) -> "IdTagFilePlugin":
        """
        The plugin for the file C{OPENOCPP_IDTAG_FILE} names (none: no
        opinion).

        @raise IdTagFileError: the file cannot be read.
        """
        path = environment.get(ENVIRONMENT_VARIABLE)
        return cls(IdTagFile(path) if path else None)

    def _decide(self, id_tag: str | None, outcome: Any) -> Any:
        # The built-in answer (or a Deferred of it) with the file's idTagInfo.
        if self.listing is None or id_tag is None:
            return outcome
        info = self.listing.info(id_tag)

        def replace(response: Any) -> Any:
            return dataclasses.replace(response, id_tag_info=info)

        if isinstance(outcome, Deferred):
            return outcome.addCallback(replace)
        return replace(outcome)

    @hookimpl(wrapper=True)
    def openocpp_cs_authorize(self, charge_point, request):
        """
        Authorize.conf: Accepted when the tag is in the file, Invalid
        otherwise.
        """
        return self._decide(request.id_tag, (yield))

    @hookimpl(wrapper=True)
    def openocpp_cs_start_transaction(self, charge_point, request):
        """
        StartTransaction.conf: the transaction is stored by the central
        system as always; its idTagInfo is the file's (an Invalid tag makes
        the charge point stop it).
        """
        return self._decide(request.id_tag, (yield))

    @hookimpl(wrapper=True)
    def openocpp_cs_stop_transaction(self, charge_point, request):
        """
        StopTransaction.conf: when it names an id tag, its idTagInfo is the
        file's.
        """
        return self._decide(request.id_tag, (yield))


#: The plugin of this process, read when the module loads (through the
#: C{openocpp} entry point or C{--plugin openocpp_idtag_file.hooks}), so a
#: bad file is refused when the central system starts.
plugin = IdTagFilePlugin.from_environment()


@hookimpl(wrapper=True)
def openocpp_cs_authorize(charge_point, request):
    """
    L{IdTagFilePlugin.openocpp_cs_authorize} of L{plugin}.
    """
    return plugin._decide(request.id_tag, (yield))


@hookimpl(wrapper=True)
def openocpp_cs_start_transaction(charge_point, request):
    """
    L{IdTagFilePlugin.openocpp_cs_start_transaction} of L{plugin}.
    """
    return plugin._decide(request.id_tag, (yield))


@hookimpl(wrapper=True)
def openocpp_cs_stop_transaction(charge_point, request):
    """
    L{IdTagFilePlugin.openocpp_cs_stop_transaction} of L{plugin}.
    """
    return plugin._decide(request.id_tag, (yield))
