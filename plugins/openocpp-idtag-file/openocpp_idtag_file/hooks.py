"""
The plugin's hooks: Authorize and StartTransaction answered from the file
named by C{OPENOCPP_IDTAG_FILE}.
"""

import os

from openocpp import hookimpl
from openocpp.messages import core
from openocpp.messages.datatypes import IdTagInfo

_cache = {"path": None, "mtime": None, "tags": frozenset()}


def allowed_tags(path: str) -> frozenset:
    """
    The tags listed in C{path}, re-read only when the file changed.
    """
    mtime = os.stat(path).st_mtime_ns
    if (_cache["path"], _cache["mtime"]) != (path, mtime):
        with open(path, encoding="utf-8") as listing:
            tags = {line.split("#", 1)[0].strip() for line in listing}
        _cache.update(path=path, mtime=mtime, tags=frozenset(tags - {""}))
    return _cache["tags"]


def _info(id_tag: str):
    path = os.environ.get("OPENOCPP_IDTAG_FILE")
    if not path:
        return None
    return IdTagInfo(status="Accepted" if id_tag in allowed_tags(path) else "Invalid")


@hookimpl
def openocpp_cs_authorize(charge_point, request):
    """
    Accepted when the tag is in the file, Invalid otherwise.
    """
    info = _info(request.id_tag)
    return None if info is None else core.AuthorizeResponse(id_tag_info=info)
