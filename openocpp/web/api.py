"""
The JSON API under C{/api}: charge points, their OCPP operations, id tags,
transactions, events and the live stream, routed by path and method.

Every answer is JSON; every error is C{{"error", "code", "description"}}
with its HTTP status (see C{docs/api.md}). Every request but the OpenAPI
document is authenticated; every change (C{PUT}, C{DELETE}, C{POST}) is
logged with who made it.
"""

import json
from typing import Any, Callable
from urllib.parse import unquote_to_bytes

from twisted.internet.defer import Deferred, maybeDeferred
from twisted.logger import Logger
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET

from openocpp.centralsystem.idtags import is_printable_ascii
from openocpp.chargepoint.keys import check_authorization_key
from openocpp.centralsystem.policy import CallRefused, NotAllowedNow
from openocpp.centralsystem.store import StorageFailed
from openocpp.messages import codec
from openocpp.messages.errors import ValidationError
from openocpp.messages.registry import ACTIONS, Role
from openocpp.messages.validation import parse_datetime
from openocpp.rpc.errors import CallError, CallTimeout, ConnectionLost, InvalidResponse
from openocpp.transport.identity import InvalidIdentity, check_identity
from openocpp.web.charging import ChargingProfileRoutes
from openocpp.web.queries import Page, charge_point_json, id_tag_json

#: Actions a central system sends, by name: C{POST .../actions/{Action}}.
CS_ACTIONS = {name: spec for name, spec in ACTIONS.items() if spec.sent_by(Role.CENTRAL_SYSTEM)}

#: The id-tag statuses an operator may set (ConcurrentTx is an answer, not
#: a state of a tag).
ID_TAG_STATUSES = ("Accepted", "Blocked", "Expired", "Invalid")

#: Page sizes: the default and the largest accepted.
DEFAULT_LIMIT = 50
MAX_LIMIT = 500

#: The largest request body accepted, in bytes.
MAX_BODY = 1024 * 1024

_MUTATIONS = frozenset({b"POST", b"PUT", b"DELETE", b"PATCH"})


class ApiError(Exception):
    """
    An answer other than success: its HTTP status and JSON body.

    @ivar status: the HTTP status.
    @ivar error: a stable name of the error (C{"not_connected"}).
    @ivar description: what went wrong, for people.
    @ivar code: the OCPP error code when there is one (a CALLERROR's, or the
        validation error's), else C{None}.
    """

    def __init__(
        self,
        status: int,
        error: str,
        description: str,
        code: str | None = None,
        details: dict | None = None,
        headers: dict | None = None,
    ) -> None:
        super().__init__(status, error, description)
        self.status = status
        self.error = error
        self.description = description
        self.code = code
        self.details = details
        self.headers = headers or {}

    def body(self) -> dict:
        body = {"error": self.error, "code": self.code, "description": self.description}
        if self.details:
            body["details"] = self.details
        return body


class Answer:
    """
    A handler's answer with a status other than 200, or headers.
    """

    def __init__(self, status: int, body: Any = None, headers: dict | None = None) -> None:
        self.status = status
        self.body = body
        self.headers = headers or {}


#: What a handler returns when it answers the request itself (the stream).
STREAMING = object()


def _bad_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


class Call:
    """
    One API request as its handler sees it.

    @ivar request: the C{twisted.web} request.
    @ivar who: who made it, for the logs.
    """

    def __init__(self, request: Any, who: str) -> None:
        self.request = request
        self.who = who

    def arg(self, name: str) -> str | None:
        """
        A query argument's text (its first value), or C{None}.
        """
        values = self.request.args.get(name.encode("ascii"))
        if not values:
            return None
        try:
            return values[0].decode("utf-8")
        except UnicodeDecodeError:
            raise ApiError(400, "bad_query", f"query argument {name} is not UTF-8") from None

    def flag(self, name: str) -> bool | None:
        """
        A C{true}/C{false} query argument, or C{None} when absent.
        """
        value = self.arg(name)
        if value is None or value == "":
            return None
        if value.lower() in ("true", "1", "yes"):
            return True
        if value.lower() in ("false", "0", "no"):
            return False
        raise ApiError(400, "bad_query", f"query argument {name} must be true or false, not {value!r}")

    def integer(self, name: str, default: int, low: int, high: int | None = None) -> int:
        value = self.arg(name)
        if value is None or value == "":
            return default
        try:
            number = int(value)
        except ValueError:
            number = None
        if number is None or number < low or (high is not None and number > high):
            bound = f"from {low} to {high}" if high is not None else f"at least {low}"
            raise ApiError(400, "bad_query", f"query argument {name} must be an integer {bound}, not {value!r}")
        return number

    def page(self) -> tuple[int, int]:
        """
        The C{limit} and C{offset} query arguments (defaults 50 and 0; at
        most 500 a page).
        """
        return self.integer("limit", DEFAULT_LIMIT, 1, MAX_LIMIT), self.integer("offset", 0, 0)

    def json(self, default: Any = None) -> Any:
        """
        The request body, decoded from JSON; C{default} when it is empty.
        """
        content = self.request.content
        data = b"" if content is None else content.read(MAX_BODY + 1)
        if len(data) > MAX_BODY:
            raise ApiError(413, "body_too_large", f"the request body is larger than {MAX_BODY} bytes")
        if not data.strip():
            return default
        try:
            return json.loads(data.decode("utf-8"), parse_constant=_bad_constant)
        except (UnicodeDecodeError, ValueError) as error:
            raise ApiError(400, "bad_json", f"the request body is not JSON: {error}") from None

    def json_object(self, allowed: tuple[str, ...]) -> dict:
        """
        The request body as a JSON object with only the C{allowed} members
        (an empty body is an empty object).
        """
        body = self.json(default={})
        if not isinstance(body, dict):
            raise ApiError(400, "bad_body", "the request body must be a JSON object")
        unknown = sorted(set(body) - set(allowed))
        if unknown:
            raise ApiError(
                400, "bad_body",
                f"unknown member(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}",
            )
        return body


def _text_member(body: dict, name: str, longest: int) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > longest:
        raise ApiError(400, "bad_body", f"{name} must be a text of 1 to {longest} characters")
    return value


class Route:
    """
    A path pattern (segments, C{{name}} capturing one) and its handlers by
    method.
    """

    def __init__(self, pattern: str, public: bool = False, **handlers: Callable) -> None:
        self.pattern = pattern
        self.segments = tuple(pattern.strip("/").split("/"))
        self.public = public
        self.handlers = {method.encode("ascii"): handler for method, handler in handlers.items()}

    def match(self, segments: list[str]) -> dict | None:
        if len(segments) != len(self.segments):
            return None
        captured = {}
        for expected, actual in zip(self.segments, segments):
            if expected.startswith("{"):
                if not actual:
                    return None
                captured[expected[1:-1]] = actual
            elif expected != actual:
                return None
        return captured

    def allowed(self) -> list[bytes]:
        methods = set(self.handlers)
        if b"GET" in methods:
            methods.add(b"HEAD")
        return sorted(methods)


class ApiResource(Resource):
    """
    C{/api}: routes each request to its handler, authenticates it, writes
    the JSON answer and logs every change with who made it.

    @param central: the L{openocpp.centralsystem.interfaces.ICentralSystem}.
    @param queries: the L{openocpp.web.queries.ReadOnlyQueries}.
    @param events: the L{openocpp.web.interfaces.ILiveEvents} (the API
        publishes nothing itself: what its writes change reaches the events
        through the central system's C{openocpp_cs_operator_change} hook).
    @param streams: the L{openocpp.web.sse.EventStreams}.
    @param authenticator: the L{openocpp.web.interfaces.IApiAuthenticator}.
    @param openapi: the OpenAPI document's bytes.
    """

    isLeaf = True
    log = Logger()

    def __init__(
        self,
        central: Any,
        queries: Any,
        events: Any,
        streams: Any,
        authenticator: Any,
        openapi: bytes,
    ) -> None:
        super().__init__()
        self._central = central
        self._queries = queries
        self._events = events
        self._streams = streams
        self._authenticator = authenticator
        self._openapi = openapi
        self._query_names = _query_names(openapi)
        # The feature pages' handlers, each in its own module (they use this
        # module's errors, hence imported here).
        from openocpp.web.firmware import FirmwareRoutes
        from openocpp.web.locallist import LocalListRoutes
        from openocpp.web.reservations import ReservationRoutes

        local_list = LocalListRoutes(central, self._connected_proxy, self._call_failed)
        reservations = ReservationRoutes(central, self._connected_proxy, self._call_failed)
        firmware = FirmwareRoutes(central, self._connected_proxy, self._call_failed)
        self._firmware = firmware
        self._charging = ChargingProfileRoutes(queries, self._charge_point)
        from openocpp.web.certificates import CertificateRoutes
        from openocpp.web.cluster import ClusterRoutes
        from openocpp.web.chargepoints import ActionSchemaRoutes
        from openocpp.web.transactions import TransactionRoutes

        certificates = CertificateRoutes(central, self._charge_point)
        schemas = ActionSchemaRoutes()
        transactions = TransactionRoutes(queries)
        self.routes = [
            Route("openapi.json", public=True, GET=self.get_openapi),
            Route("v1/chargepoints", GET=self.list_charge_points),
            Route(
                "v1/chargepoints/{identity}",
                GET=self.get_charge_point,
                PUT=self.put_charge_point,
                DELETE=self.delete_charge_point,
            ),
            Route("v1/chargepoints/{identity}/actions/{action}", POST=self.post_action),
            Route("v1/chargepoints/{identity}/locallist", GET=local_list.get, POST=local_list.post),
            Route("v1/chargepoints/{identity}/reservations", GET=reservations.list, POST=reservations.post),
            Route("v1/chargepoints/{identity}/reservations/{reservationId}", DELETE=reservations.delete),
            Route("v1/chargepoints/{identity}/firmware", POST=firmware.post),
            Route("v1/chargepoints/{identity}/chargingprofiles", GET=self._charging.list_profiles),
            Route("v1/chargepoints/{identity}/certificates", GET=certificates.held),
            Route("v1/certificates", GET=certificates.list),
            Route("v1/certificates/{serial}/revoke", POST=certificates.revoke),
            Route("v1/actions", GET=self.list_actions),
            Route("v1/actions/{action}/schema", GET=schemas.get),
            Route("v1/idtags", GET=self.list_id_tags),
            Route("v1/idtags/{idTag}", GET=self.get_id_tag, PUT=self.put_id_tag, DELETE=self.delete_id_tag),
            *transactions.routes(),
            Route("v1/transactions/{transactionId}", GET=self.get_transaction),
            Route("v1/events", GET=self.list_events),
            Route("v1/stream", GET=self.stream),
            Route("v1/cluster", GET=ClusterRoutes(central).get),
        ]

    # -- dispatch ---------------------------------------------------------

    def render(self, request: Any) -> Any:
        request.setHeader(b"x-content-type-options", b"nosniff")
        request.setHeader(b"cache-control", b"no-store")
        path = request.path.decode("latin-1")
        method = request.method
        try:
            route, captured = self._route(request)
            handler = route.handlers.get(b"GET" if method == b"HEAD" else method)
            if handler is None:
                raise ApiError(
                    405, "method_not_allowed",
                    f"{method.decode('latin-1')} is not allowed on {path}",
                    headers={b"allow": b", ".join(route.allowed())},
                )
            who = "anonymous" if route.public else self._authenticate(request)
            self._check_query(request, route, captured, method)
            if method in (b"POST", b"PUT", b"PATCH"):
                self._check_content_type(request)
        except ApiError as error:
            self._write_error(request, error)
            return NOT_DONE_YET
        call = Call(request, who)
        identity = captured.get("identity")
        if identity is None:
            result = maybeDeferred(handler, call, **captured)
        else:
            # In a cluster, a charge point that has just connected to
            # another node may not be in this node's view yet: asked of
            # Redis first (at once otherwise).
            result = self._central.locate(identity).addCallback(lambda _: handler(call, **captured))
        gone = []

        def lost(_):
            gone.append(True)
            result.cancel()

        request.notifyFinish().addErrback(lost)
        # Failing to write the answer is answered as a failure (500) too.
        result.addCallback(self._answered, request, gone)
        result.addErrback(self._failed, request, gone)
        if method in _MUTATIONS:
            result.addBoth(self._audit, call, path)
        result.addErrback(
            lambda failure: self.log.failure(
                "API {method} {path} failed", failure, method=method.decode("latin-1"), path=path
            )
        )
        return NOT_DONE_YET

    def _route(self, request: Any) -> tuple[Route, dict]:
        try:
            segments = [unquote_to_bytes(segment).decode("utf-8") for segment in request.postpath]
        except UnicodeDecodeError:
            raise ApiError(404, "not_found", "no such resource") from None
        if len(segments) > 1 and segments[-1] == "":
            segments.pop()
        for route in self.routes:
            captured = route.match(segments)
            if captured is not None:
                return route, captured
        raise ApiError(404, "not_found", f"no such resource: {request.path.decode('latin-1')}")

    def _check_query(self, request: Any, route: Route, captured: dict, method: bytes) -> None:
        """
        Refuse a query argument the route does not take (by the OpenAPI
        document): a misspelt filter would otherwise be ignored and the
        answer look like a filtered one.
        """
        if not request.args:
            return
        path = "/api/" + route.pattern
        if path not in self._query_names and "action" in captured:
            path = path.replace("{action}", captured["action"])
        names = self._query_names.get(path, {}).get((b"GET" if method == b"HEAD" else method).decode("ascii").lower())
        if names is None:
            return  # (a route the document does not describe: nothing to check against)
        given = (name.decode("utf-8", "replace") for name in request.args)
        unknown = sorted(name for name in given if name not in names)
        if unknown:
            takes = f"it takes {', '.join(sorted(names))}" if names else "it takes none"
            raise ApiError(
                400, "bad_query",
                f"unknown query argument{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} for "
                f"{method.decode('latin-1')} {request.path.decode('latin-1')}: {takes}",
            )

    def _authenticate(self, request: Any) -> str:
        who = self._authenticator.authenticate(request)
        if who is not None:
            return who
        peer = request.getClientAddress()
        self.log.warn(
            "API request refused: {method} {path} from {peer}",
            method=request.method.decode("latin-1"),
            path=request.path.decode("latin-1"),
            peer=getattr(peer, "host", str(peer)),
        )
        challenge = self._authenticator.challenge()
        if challenge is None:
            raise ApiError(
                403, "forbidden",
                "this API has no token and answers on loopback host names only "
                "(localhost, 127.0.0.1, [::1])",
            )
        raise ApiError(
            401, "unauthorized",
            "give the API token: 'Authorization: Bearer TOKEN' (or as the Basic-auth password)",
            headers={b"www-authenticate": challenge.encode("ascii")},
        )

    def _check_content_type(self, request: Any) -> None:
        # Requiring JSON keeps other sites' pages from posting forms here: a
        # cross-origin request with this type needs a CORS preflight, which
        # this API never grants.
        kind = request.getHeader(b"content-type")
        if kind is None and not _has_body(request) and request.getHeader(b"origin") is None:
            # No body and no type (curl -X POST): an empty payload. A web
            # page's request always says its Origin, so none can come here
            # this way.
            return
        if isinstance(kind, bytes):
            kind = kind.decode("latin-1")
        if (kind or "").split(";")[0].strip().lower() != "application/json":
            raise ApiError(415, "unsupported_media_type", "send the request body as application/json")

    def _answered(self, result: Any, request: Any, gone: list) -> Any:
        if result is STREAMING or gone:
            return 200
        if isinstance(result, Answer):
            status, body, headers = result.status, result.body, result.headers
        else:
            status, body, headers = 200, result, {}
        for name, value in headers.items():
            request.setHeader(name, value)
        if body is None and status == 200:
            status = 204
        self._write(request, status, body)
        return status

    def _failed(self, failure: Any, request: Any, gone: list) -> Any:
        if gone:
            # The client left; a cancelled call (CancelledError) or any
            # other outcome has nobody to be told to.
            return 499
        error = failure.value
        if not isinstance(error, ApiError):
            self.log.failure(
                "API {method} {path} failed", failure,
                method=request.method.decode("latin-1"), path=request.path.decode("latin-1"),
            )
            error = ApiError(500, "internal_error", "the server failed to answer: see its log")
        self._write_error(request, error)
        return error.status

    def _write_error(self, request: Any, error: ApiError) -> None:
        for name, value in error.headers.items():
            request.setHeader(name, value)
        self._write(request, error.status, error.body())

    def _write(self, request: Any, status: int, body: Any) -> None:
        request.setResponseCode(status)
        if body is not None:
            request.setHeader(b"content-type", b"application/json; charset=utf-8")
            if isinstance(body, bytes):
                request.write(body)
            else:
                request.write(json.dumps(body, ensure_ascii=False).encode("utf-8"))
        request.finish()

    def _audit(self, status: Any, call: Call, path: str) -> Any:
        self.log.info(
            "API {method} {path} by {who}: {status}",
            method=call.request.method.decode("latin-1"),
            path=path,
            who=call.who,
            status=status,
        )
        return status

    # -- helpers ----------------------------------------------------------

    def _proxy(self, identity: str) -> Any:
        try:
            return self._central.charge_point(identity)
        except KeyError:
            return None

    def _connected_proxy(self, identity: str) -> Any:
        # The proxy of a connected charge point, or the 404 saying why not.
        proxy = self._proxy(identity)
        if proxy is None:
            if self._central.store.charge_point(identity) is None:
                raise ApiError(404, "unknown_charge_point", f"no charge point {identity!r} is known or connected")
            raise ApiError(404, "not_connected", f"charge point {identity!r} is not connected")
        return proxy

    def _connected_proxies(self) -> dict[str, Any]:
        return {proxy.identity: proxy for proxy in self._central.charge_points()}

    def _charge_point(self, identity: str) -> Deferred:
        # A Deferred of the charge point's JSON, or of None when it is
        # neither known nor connected.
        def found(records: dict) -> dict | None:
            record = records.get(identity)
            proxy = self._proxy(identity)
            if record is None and proxy is None:
                return None
            return charge_point_json(identity, record, proxy)

        return self._queries.charge_point_records([identity]).addCallback(found)

    # -- the OpenAPI document ---------------------------------------------

    def get_openapi(self, call: Call) -> bytes:
        return self._openapi

    # -- charge points ----------------------------------------------------

    def list_charge_points(self, call: Call) -> Deferred:
        limit, offset = call.page()
        connected_only = call.flag("connected")

        def chosen(known: list[str]) -> Deferred:
            proxies = self._connected_proxies()
            identities = sorted(set(known) | set(proxies))
            if connected_only is not None:
                identities = [i for i in identities if (i in proxies) == connected_only]
            page = identities[offset : offset + limit]

            def shaped(records: dict) -> dict:
                items = [charge_point_json(i, records.get(i), proxies.get(i)) for i in page]
                return {"items": items, "total": len(identities), "limit": limit, "offset": offset}

            return self._queries.charge_point_records(page).addCallback(shaped)

        return self._queries.known_identities().addCallback(chosen)

    def get_charge_point(self, call: Call, identity: str) -> Deferred:
        def found(record: dict | None) -> dict:
            if record is None:
                raise ApiError(404, "unknown_charge_point", f"no charge point {identity!r} is known or connected")
            return record

        return self._charge_point(identity).addCallback(found)

    def put_charge_point(self, call: Call, identity: str) -> Answer:
        # Only an identity the OCPP listener would accept can be registered:
        # any other could never connect.
        try:
            identity = check_identity(
                identity, allow_unicode=self._central.config.unicode_identities
            )
        except InvalidIdentity as error:
            raise ApiError(400, "bad_identity", str(error)) from None
        body = call.json_object(("password", "securityProfile"))
        password = _text_member(body, "password", 255)
        if password is not None:
            # Security Whitepaper 7.2: the Basic-auth password is the charge
            # point's AuthorizationKey, 16 to 40 bytes; another could never be
            # set on the charge point (nor set back by ChangeConfiguration).
            try:
                check_authorization_key("password", password)
            except ValueError as error:
                raise ApiError(400, "bad_password", str(error)) from None
        profile = body.get("securityProfile")
        if profile is not None and (type(profile) is not int or profile not in (0, 1, 2, 3)):
            raise ApiError(400, "bad_body", "securityProfile must be 0, 1, 2 or 3")
        # An explicit null removes the password (a missing one keeps it).
        clear = "password" in body and body["password"] is None
        written = self._central.register_charge_point(
            identity, password=password, security_profile=profile, clear_password=clear
        )
        return _stored(written).addCallback(
            lambda change: self._charge_point(identity).addCallback(
                lambda found: Answer(201 if change.created else 200, found)
            )
        )

    def delete_charge_point(self, call: Call, identity: str) -> Any:
        def removed(change: Any) -> None:
            if change is None:
                raise ApiError(404, "unknown_charge_point", f"no charge point {identity!r} is registered")
            return None

        return _stored(self._central.unregister_charge_point(identity)).addCallback(removed)

    # -- operations -------------------------------------------------------

    def list_actions(self, call: Call) -> list:
        return [{"action": name, "profile": spec.profile} for name, spec in CS_ACTIONS.items()]

    def post_action(self, call: Call, identity: str, action: str) -> Any:
        spec = CS_ACTIONS.get(action)
        if spec is None:
            raise ApiError(
                404, "unknown_action",
                f"{action!r} is not an action a central system sends; see GET /api/v1/actions",
            )
        proxy = self._connected_proxy(identity)
        payload = call.json(default={})
        try:
            request = codec.decode(spec.request, payload)
        except ValidationError as error:
            raise ApiError(400, "invalid_payload", error.description, code=str(error.code)) from None
        except (TypeError, ValueError) as error:
            raise ApiError(400, "invalid_payload", str(error)) from None
        if action == "SignedUpdateFirmware":
            self._firmware.check_signed(request)
        self.log.info(
            "{who} sends {action} to {identity}", who=call.who, action=action, identity=identity
        )
        return proxy.call(request).addCallbacks(codec.encode, self._call_failed, errbackArgs=(identity, action))

    def _call_failed(self, failure: Any, identity: str, action: str) -> None:
        error = failure.value
        if isinstance(error, NotAllowedNow):
            # Nothing was sent: the charge point's registration forbids it.
            raise ApiError(
                409, "not_allowed_now", f"{action} not sent to {identity}: {error.reason}",
                details={"registrationStatus": error.registration_status},
            )
        if isinstance(error, CallRefused):
            raise ApiError(400, "forbidden_request", f"{action} not sent to {identity}: {error.reason}")
        if isinstance(error, CallTimeout):
            raise ApiError(
                504, "timeout",
                f"charge point {identity} did not answer {action} within {error.timeout:g} seconds",
            )
        if isinstance(error, CallError):
            raise ApiError(
                502, "call_error", error.description or f"{identity} answered {action} with {error.code}",
                code=str(error.code), details=error.details,
            )
        if isinstance(error, ConnectionLost):
            raise ApiError(502, "connection_lost", f"charge point {identity} disconnected before answering {action}")
        if isinstance(error, InvalidResponse):
            raise ApiError(
                502, "invalid_response",
                f"charge point {identity} answered {action} wrongly: {error.error.description}",
                code=str(error.error.code),
            )
        return failure

    # -- id tags ----------------------------------------------------------

    def list_id_tags(self, call: Call) -> dict:
        limit, offset = call.page()
        status = call.arg("status")
        if status is not None and status not in ID_TAG_STATUSES:
            raise ApiError(400, "bad_query", f"status must be one of {', '.join(ID_TAG_STATUSES)}")
        return self._queries.id_tags(limit, offset, status=status).addCallback(Page.to_json)

    def _id_tag(self, id_tag: str) -> dict | None:
        record = self._central.store.id_tag(id_tag)
        if record is None:
            return None
        return id_tag_json(
            {
                "id_tag": record.id_tag,
                "status": record.status,
                "expiry_date": None if record.expiry_date is None else codec.format_datetime(record.expiry_date),
                "parent_id_tag": record.parent_id_tag,
            }
        )

    def get_id_tag(self, call: Call, idTag: str) -> dict:
        found = self._id_tag(idTag)
        if found is None:
            raise ApiError(404, "unknown_id_tag", f"no id tag {idTag!r}")
        return found

    def put_id_tag(self, call: Call, idTag: str) -> Answer:
        if len(idTag) > 20:
            # Refused, never cut: a shortened tag would be another card's.
            raise ApiError(
                400, "bad_id_tag",
                f"idTag has {len(idTag)} characters: OCPP allows at most 20 (IdToken, CiString20Type)",
            )
        if not is_printable_ascii(idTag):
            # Case-insensitive matching is defined for ASCII only: a tag
            # such as "ÄB01" would be another record than "äB01", and a
            # block of one dodged by a card reading the other.
            raise ApiError(
                400, "bad_id_tag",
                f"an id tag is printable ASCII only (OCPP 1.6 section 2.2, CiString), not {idTag!r}",
            )
        body = call.json_object(("status", "expiryDate", "parentIdTag"))
        status = body.get("status", "Accepted")
        if status not in ID_TAG_STATUSES:
            raise ApiError(400, "bad_body", f"status must be one of {', '.join(ID_TAG_STATUSES)}")
        expiry = body.get("expiryDate")
        if expiry is not None:
            try:
                expiry = parse_datetime(expiry) if isinstance(expiry, str) else _bad_date(expiry)
            except ValueError as error:
                raise ApiError(400, "bad_body", f"expiryDate: {error}") from None
        parent = _text_member(body, "parentIdTag", 20)
        if parent is not None and not is_printable_ascii(parent):
            raise ApiError(
                400, "bad_body",
                f"parentIdTag is printable ASCII only (OCPP 1.6 section 2.2, CiString), not {parent!r}",
            )
        if parent is not None and parent.lower() == idTag.lower():
            # Id tags are case-insensitive: "tag1" is TAG1's own tag too.
            raise ApiError(400, "bad_body", f"parentIdTag cannot be the id tag itself ({idTag!r})")
        written = self._central.set_id_tag(idTag, status=status, expiry_date=expiry, parent_id_tag=parent)
        # Named as the record spells it (id tags are case-insensitive).
        return _stored(written).addCallback(
            lambda change: Answer(201 if change.created else 200, self._id_tag(change.key))
        )

    def delete_id_tag(self, call: Call, idTag: str) -> Any:
        def removed(change: Any) -> None:
            if change is None:
                raise ApiError(404, "unknown_id_tag", f"no id tag {idTag!r}")
            return None

        return _stored(self._central.remove_id_tag(idTag)).addCallback(removed)

    # -- transactions and events ------------------------------------------

    def get_transaction(self, call: Call, transactionId: str) -> Deferred:
        def found(record: dict | None) -> dict:
            if record is None:
                raise ApiError(404, "unknown_transaction", f"no transaction {transactionId!r}")
            return record

        if not (transactionId.isdigit() and len(transactionId) < 19):
            return found(None)
        return self._queries.transaction(int(transactionId)).addCallback(found)

    def list_events(self, call: Call) -> Deferred:
        limit, offset = call.page()
        kind = call.arg("kind")
        if kind is not None and kind not in ("security", "status", "report"):
            raise ApiError(400, "bad_query", "kind must be security, status or report")
        return self._queries.events(limit, offset, kind=kind, identity=call.arg("chargepoint")).addCallback(
            Page.to_json
        )

    def stream(self, call: Call) -> Any:
        last = call.request.getHeader(b"last-event-id")
        if isinstance(last, bytes):
            last = last.decode("latin-1")
        after = int(last) if last is not None and last.strip().isdigit() else None
        self._streams.open(call.request, identity=call.arg("chargepoint"), after=after)
        return STREAMING


def _query_names(openapi: bytes) -> dict[str, dict[str, set[str]]]:
    """
    The query arguments each path and method of the OpenAPI document takes:
    C{{path: {method: {name, ...}}}}.
    """
    try:
        paths = json.loads(openapi).get("paths", {})
    except (ValueError, AttributeError):
        return {}
    names: dict[str, dict[str, set[str]]] = {}
    for path, item in paths.items():
        shared = {p["name"] for p in item.get("parameters", ()) if p.get("in") == "query"}
        for method, operation in item.items():
            if method == "parameters" or not isinstance(operation, dict):
                continue
            own = {p["name"] for p in operation.get("parameters", ()) if p.get("in") == "query"}
            names.setdefault(path, {})[method] = shared | own
    return names


def _stored(written: Deferred) -> Deferred:
    """
    The outcome of an operator command: a storage failure (a full disk)
    is answered 503, saying that nothing was kept, never as a success.
    """

    def failed(failure: Any) -> None:
        failure.trap(StorageFailed)
        raise ApiError(
            503, "storage_failed",
            f"the central system could not store this change ({failure.value.error}); "
            "nothing was kept: try again later",
            headers={b"retry-after": b"10"},
        )

    return written.addErrback(failed)


def _has_body(request: Any) -> bool:
    content = request.content
    if content is None:
        return False
    start = content.tell()
    try:
        return content.read(1) != b""
    finally:
        content.seek(start)


def _bad_date(value: Any) -> None:
    raise ValueError(f"must be an RFC 3339 date-time text, not {json.dumps(value)}")
