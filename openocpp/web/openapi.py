"""
The OpenAPI 3.1 document of the HTTP API, built from the routes described
here and, for the OCPP operations, from the official OCPP 1.6 JSON schemas
the message layer ships.

The document is committed as C{openocpp/web/openapi.json} (served at
C{/api/openapi.json}); after changing the API, write it anew with::

    python -m openocpp.web.openapi > openocpp/web/openapi.json

A test checks that the committed file is what this module builds.
"""

import json
import sys
from importlib import resources

from openocpp.messages.registry import ACTIONS, Role
from openocpp.web.cluster import cluster_paths
from openocpp.web.transactions import METER_VALUE_COLUMNS, STOP_REASONS, TRANSACTION_COLUMNS

OPENAPI_FILE = "openapi.json"

_DEFINITIONS = "#/definitions/"
_COMPONENTS = "#/components/schemas/"


def _ref(name: str) -> dict:
    return {"$ref": _COMPONENTS + name}


def _nullable(schema: dict) -> dict:
    kind = schema.get("type")
    if kind is None:
        return {"oneOf": [schema, {"type": "null"}]}
    return {**schema, "type": [kind, "null"]}


def _object(properties: dict, required: list | None = None, description: str | None = None) -> dict:
    schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    if description:
        schema["description"] = description
    return schema


_TEXT = {"type": "string"}
_INT = {"type": "integer"}
_TIME = {"type": "string", "format": "date-time"}


def _ocpp_schemas() -> dict:
    """
    The official schemas of every request a central system sends and of
    its response, as components named C{<Action>Request} and
    C{<Action>Response}; their definitions hoisted to components of their
    own.
    """
    folder = resources.files("openocpp.messages") / "schemas"
    components: dict = {}

    def rewrite(node):
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if key in ("$schema", "$id", "id", "definitions", "javaType"):
                    continue
                if key == "$ref" and isinstance(value, str) and value.startswith(_DEFINITIONS):
                    out[key] = _COMPONENTS + value[len(_DEFINITIONS):]
                else:
                    out[key] = rewrite(value)
            return out
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        return node

    for name, spec in ACTIONS.items():
        if not spec.sent_by(Role.CENTRAL_SYSTEM):
            continue
        for file_name, component in ((name, name + "Request"), (name + "Response", name + "Response")):
            schema = json.loads((folder / f"{file_name}.json").read_text(encoding="utf-8"))
            for definition, body in schema.get("definitions", {}).items():
                body = rewrite(body)
                if components.setdefault(definition, body) != body:
                    raise ValueError(f"two different OCPP definitions named {definition}")
            schema = rewrite(schema)
            schema["title"] = component
            components[component] = schema
    return components


def _schemas() -> dict:
    connector = _object(
        {
            "connectorId": _INT,
            "status": {**_TEXT, "description": "ChargePointStatus of its last StatusNotification"},
            "errorCode": _TEXT,
            "info": _nullable(_TEXT),
            "vendorId": _nullable(_TEXT),
            "vendorErrorCode": _nullable(_TEXT),
            "timestamp": _nullable(_TIME),
        },
        ["connectorId", "status", "errorCode"],
    )
    boot = _object(
        {
            name: _nullable(_TEXT)
            for name in (
                "chargePointVendor", "chargePointModel", "chargePointSerialNumber",
                "chargeBoxSerialNumber", "firmwareVersion", "iccid", "imsi", "meterType",
                "meterSerialNumber",
            )
        },
        description="What its last BootNotification said.",
    )
    charge_point = _object(
        {
            "identity": _TEXT,
            "connected": {"type": "boolean"},
            "registered": {"type": "boolean", "description": "registered (approved): its boots are Accepted"},
            "registrationStatus": _nullable({**_TEXT, "description": "status of the last BootNotification.conf"}),
            "securityProfile": _nullable(_INT),
            "hasPassword": {"type": "boolean"},
            "keyRefusal": _nullable({
                **_TEXT,
                "description": "why its last new AuthorizationKey was not adopted (Rejected, NotSupported), "
                "until one is accepted; with --pending-on-key-failure its boots are answered Pending "
                "meanwhile (A01.FR.05)",
            }),
            "registeredAt": _nullable(_TIME),
            "lastBoot": _nullable(_TIME),
            "lastSeen": _nullable(_TIME),
            "boot": _nullable(boot),
            "connectors": {"type": "array", "items": _ref("Connector")},
            "connection": _nullable(
                _object({"peer": _nullable(_TEXT), "securityProfile": _INT}, description="the open connection")
            ),
            "firmware": {**_ref("StatusReport"), "description": "its last FirmwareStatusNotification"},
            "diagnostics": {**_ref("StatusReport"), "description": "its last DiagnosticsStatusNotification"},
        },
        ["identity", "connected", "registered", "connectors"],
    )
    charge_point_update = _object(
        {
            "password": {
                **_TEXT, "minLength": 16, "maxLength": 40,
                "description": (
                    "its Basic-auth password (AuthorizationKey: 16 to 40 bytes in UTF-8, Security "
                    "Whitepaper 7.2; else 400 bad_password), stored hashed; omitted: kept; null: removed"
                ),
            },
            "securityProfile": {"type": "integer", "enum": [0, 1, 2, 3]},
        }
    )
    charge_point_update["additionalProperties"] = False
    id_tag = _object(
        {
            "idTag": {**_TEXT, "maxLength": 20},
            "status": {"type": "string", "enum": ["Accepted", "Blocked", "Expired", "Invalid"]},
            "expiryDate": _nullable(_TIME),
            "parentIdTag": _nullable({**_TEXT, "maxLength": 20}),
        },
        ["idTag", "status"],
    )
    id_tag_update = _object(
        {
            "status": {"type": "string", "enum": ["Accepted", "Blocked", "Expired", "Invalid"], "default": "Accepted"},
            "expiryDate": _nullable(_TIME),
            "parentIdTag": _nullable({**_TEXT, "maxLength": 20}),
        }
    )
    id_tag_update["additionalProperties"] = False
    transaction = _object(
        {
            "transactionId": _INT,
            "chargePoint": _TEXT,
            "connectorId": _INT,
            "idTag": _TEXT,
            "active": {"type": "boolean"},
            "meterStart": _INT,
            "startTimestamp": _TIME,
            "reservationId": _nullable(_INT),
            "meterStop": _nullable(_INT),
            "stopTimestamp": _nullable(_TIME),
            "stopReason": _nullable(_TEXT),
            "stopIdTag": _nullable(_TEXT),
            "meterWh": _nullable({"type": "integer", "description": "energy register, whole Wh: the stop value, or the latest reading (rounded to the Wh)"}),
            "energyWh": _nullable({"type": "integer", "description": "energy delivered so far, whole Wh (null before a reading)"}),
        },
        ["transactionId", "chargePoint", "connectorId", "idTag", "active", "meterStart", "startTimestamp"],
    )
    meter_value = _object(
        {
            "connectorId": _INT,
            "timestamp": _TIME,
            "value": _TEXT,
            **{name: _nullable(_TEXT) for name in ("context", "format", "measurand", "phase", "location", "unit")},
        },
        ["connectorId", "timestamp", "value"],
    )
    transaction_detail = {
        "allOf": [
            _ref("Transaction"),
            _object({"meterValues": {"type": "array", "items": _ref("MeterValue")}}, ["meterValues"]),
        ]
    }
    common_event = {
        "id": _INT,
        "chargePoint": _TEXT,
        "receivedAt": _TIME,
    }
    event = {
        "oneOf": [
            _object(
                {
                    **common_event, "kind": {"const": "security"}, "timestamp": _TIME, "type": _TEXT,
                    "techInfo": _nullable(_TEXT), "origin": {"type": "string", "enum": ["ChargePoint", "CentralSystem"]},
                    "peer": _nullable(_TEXT),
                },
                ["kind", "id", "chargePoint", "receivedAt", "type", "origin"],
                "a security event: a SecurityEventNotification (origin ChargePoint), or one the central "
                "system noticed itself (origin CentralSystem: FailedToAuthenticateAtCentralSystem when a "
                "peer address or an identity is locked out after repeated failed authentications; peer "
                "is the address)",
            ),
            _object(
                {
                    **common_event, "kind": {"const": "status"}, "timestamp": _nullable(_TIME),
                    "connectorId": _INT, "status": _TEXT, "errorCode": _TEXT, "info": _nullable(_TEXT),
                    "vendorId": _nullable(_TEXT), "vendorErrorCode": _nullable(_TEXT),
                },
                ["kind", "id", "chargePoint", "receivedAt", "connectorId", "status"],
                "a StatusNotification (the connector status history)",
            ),
            _object(
                {**common_event, "kind": {"const": "report"}, "action": _TEXT, "status": _TEXT, "requestId": _nullable(_INT)},
                ["kind", "id", "chargePoint", "receivedAt", "action", "status"],
                "a firmware, diagnostics or log status notification",
            ),
        ]
    }
    error = _object(
        {
            "error": {**_TEXT, "description": "a stable name: not_found, not_connected, invalid_payload, timeout, call_error, ..."},
            "code": _nullable({**_TEXT, "description": "the OCPP error code (CALLERROR or validation), when there is one"}),
            "description": _TEXT,
            "details": {"type": "object", "description": "a CALLERROR's details"},
        },
        ["error", "code", "description"],
    )
    schemas = {
        "Error": error,
        "Connector": connector,
        "ChargePoint": charge_point,
        "ChargePointUpdate": charge_point_update,
        "IdTag": id_tag,
        "IdTagUpdate": id_tag_update,
        "Transaction": transaction,
        "TransactionDetail": transaction_detail,
        "MeterValue": meter_value,
        "Event": event,
        "Action": _object({"action": _TEXT, "profile": _TEXT}, ["action", "profile"]),
        "Message": _object(
            {
                "time": {**_TIME, "description": "when it was sent or received (UTC, milliseconds)"},
                "identity": _TEXT,
                "direction": {"type": "string", "enum": ["in", "out"]},
                "frame": {"description": "the frame's JSON; its raw text when it is no JSON (then invalid is true)"},
                "invalid": {"type": "boolean"},
            },
            ["time", "identity", "direction", "frame"],
            "one OCPP-J frame (an AuthorizationKey value shows as ***)",
        ),
        "MessagePage": _object(
            {"items": {"type": "array", "items": _ref("Message")}, "tracing": {"type": "boolean"}},
            ["items", "tracing"],
        ),
        **_management_schemas(),
        "ChargingProfileRecord": _object(
            {
                "connectorId": _INT,
                "chargingProfileId": _INT,
                "chargingProfilePurpose": {"type": "string", "enum": ["ChargePointMaxProfile", "TxDefaultProfile", "TxProfile"]},
                "stackLevel": _INT,
                "transactionId": _nullable(_INT),
                "acceptedAt": _TIME,
                "chargingProfile": {"type": "object", "description": "the csChargingProfiles of the SetChargingProfile.req"},
            },
            ["connectorId", "chargingProfileId", "chargingProfilePurpose", "stackLevel", "transactionId",
             "acceptedAt", "chargingProfile"],
            "a charging profile the charge point accepted (SetChargingProfile.conf Accepted) and holds",
        ),
        "ChargingProfileList": _object(
            {"chargePoint": _TEXT, "items": {"type": "array", "items": _ref("ChargingProfileRecord")}},
            ["chargePoint", "items"],
        ),
    }
    schemas["IssuedCertificate"] = _object(
        {
            "serial": {**_TEXT, "description": "its serial number, lower-case hexadecimal"},
            "chargePoint": _TEXT,
            "subject": {**_TEXT, "description": "its subject, RFC 4514 (CN=identity,O=CPO name)"},
            "notBefore": _TIME,
            "notAfter": _TIME,
            "issuedAt": _TIME,
            "delivery": _nullable({**_TEXT, "description": "the charge point's answer to CertificateSigned "
                                   "(Accepted, Rejected) or why it was not delivered; null until answered"}),
            "revokedAt": _nullable({**_TIME, "description": "when it was revoked; null while valid"}),
            "certificate": {**_TEXT, "description": "the certificate, PEM"},
        },
        ["serial", "chargePoint", "subject", "notBefore", "notAfter", "issuedAt", "delivery", "revokedAt",
         "certificate"],
        "a charge point certificate the central system issued answering SignCertificate",
    )
    schemas["IssuedCertificateList"] = _object(
        {"items": {"type": "array", "items": _ref("IssuedCertificate")}}, ["items"]
    )
    schemas["ChargePointCertificate"] = _object(
        {
            "source": {**_TEXT, "enum": ["installed", "presented"],
                       "description": "installed with InstallCertificate, or presented at a profile 3 handshake"},
            "certificateType": {**_TEXT, "description": "the InstallCertificate certificateType, or "
                                "ChargePointCertificate"},
            "subject": {**_TEXT, "description": "RFC 4514"},
            "issuer": {**_TEXT, "description": "RFC 4514"},
            "serialNumber": {**_TEXT, "description": "lower-case hexadecimal"},
            "fingerprintSha256": {**_TEXT, "description": "SHA-256 of its DER, hexadecimal"},
            "notBefore": _TIME,
            "notAfter": _TIME,
            "recordedAt": _TIME,
            "certificate": {**_TEXT, "description": "the certificate, PEM"},
        },
        ["source", "certificateType", "subject", "issuer", "serialNumber", "fingerprintSha256", "notBefore",
         "notAfter", "recordedAt", "certificate"],
        "a certificate the central system knows a charge point holds",
    )
    schemas["ChargePointCertificateList"] = _object(
        {"chargePoint": _TEXT, "items": {"type": "array", "items": _ref("ChargePointCertificate")}},
        ["chargePoint", "items"],
    )
    schemas["Upload"] = _object(
        {
            "id": _INT,
            "chargePoint": _TEXT,
            "kind": {
                **_TEXT, "enum": ["Diagnostics", "DiagnosticsLog", "SecurityLog"],
                "description": "what it is: the file of a GetDiagnostics.req, or a GetLog.req's log of that logType",
            },
            "fileName": {**_TEXT, "description": "the name it is kept under (sanitised; a log's begins with its kind)"},
            "size": {**_INT, "description": "bytes"},
            "sha256": {**_TEXT, "description": "its SHA-256, in hexadecimal"},
            "receivedAt": _TIME,
            "href": {**_TEXT, "description": "where to download it: GET /api/v1/uploads/{id}"},
        },
        ["id", "chargePoint", "kind", "fileName", "size", "sha256", "receivedAt", "href"],
        "a file a charge point uploaded to /uploads/",
    )
    schemas["DiagnosticsRequest"] = _object(
        {
            "location": {**_TEXT, "format": "uri", "description": "upload there instead of to this central system"},
            "startTime": _TIME,
            "stopTime": _TIME,
            "retries": {**_INT, "minimum": 0},
            "retryInterval": {**_INT, "minimum": 0, "description": "seconds"},
        },
        description="GetDiagnostics.req's fields, every one optional",
    )
    schemas["DiagnosticsAnswer"] = _object(
        {
            "fileName": _nullable({**_TEXT, "description": "the file the charge point will upload (none: it has nothing)"}),
            "location": {**_TEXT, "description": "the location sent"},
        },
        ["fileName", "location"],
    )
    schemas["LogRequest"] = _object(
        {
            "logType": {**_TEXT, "enum": ["DiagnosticsLog", "SecurityLog"]},
            "requestId": {**_INT, "description": "default: one chosen, answered"},
            "remoteLocation": {**_TEXT, "format": "uri", "description": "upload there instead of to this central system"},
            "oldestTimestamp": _TIME,
            "latestTimestamp": _TIME,
            "retries": {**_INT, "minimum": 0},
            "retryInterval": {**_INT, "minimum": 0, "description": "seconds"},
        },
        ["logType"],
        "GetLog.req's fields, the log's location among them",
    )
    schemas["LogAnswer"] = _object(
        {
            "status": {**_TEXT, "description": "GetLog.conf's status"},
            "fileName": _nullable({**_TEXT, "description": "the file the charge point will upload"}),
            "requestId": _INT,
            "location": {**_TEXT, "description": "the location sent"},
        },
        ["status", "fileName", "requestId", "location"],
    )
    for name in ("ChargePoint", "IdTag", "Transaction", "Event", "Upload"):
        schemas[name + "Page"] = _object(
            {
                "items": {"type": "array", "items": _ref(name)},
                "total": _INT,
                "limit": _INT,
                "offset": _INT,
            },
            ["items", "total", "limit", "offset"],
        )
    schemas["TransactionPage"]["properties"]["totals"] = _object(
        {
            "active": {**_INT, "description": "how many of the list are active"},
            "energyWh": {**_INT, "description": "what the stopped ones of the list delivered, Wh"},
        },
        ["active", "energyWh"],
        "of the whole filtered list, not of the page",
    )
    schemas["TransactionMeterValues"] = _object(
        {
            "transaction": _ref("Transaction"),
            "meterValues": {"type": "array", "items": _ref("MeterValue"), "description": "oldest first"},
            "energy": {
                "type": "array",
                "items": _object({"timestamp": _TIME, "wh": {"type": "number"}}, ["timestamp", "wh"]),
                "description": "the energy register (Energy.Active.Import.Register, phase-less), Wh, by time; "
                               "the meter start and stop included",
            },
            "power": {
                "type": "array",
                "items": _object({"timestamp": _TIME, "w": {"type": "number"}}, ["timestamp", "w"]),
                "description": "Power.Active.Import, W, by time: the phase-less value, else the phases' sum",
            },
            "skipped": {**_INT, "description": "energy or power values left out: no finite number, or signed data"},
        },
        ["transaction", "meterValues", "energy", "power", "skipped"],
    )
    return schemas


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _storage_errors() -> dict:
    # Writes are answered once committed: a failed commit is no success.
    return {"503": _error("the change could not be stored (a full disk): nothing was kept (error storage_failed)")}


def _json(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _query(name: str, description: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema or _TEXT}


def _path(name: str, description: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": schema or _TEXT}


_PAGE = [
    _query("limit", "page size (default 50)", {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}),
    _query("offset", "items to skip", {"type": "integer", "minimum": 0, "default": 0}),
]
_IDENTITY = _path("identity", "the charge point identity")
_TRANSACTION_FILTERS = [
    _query("chargepoint", "only those of this charge point"),
    _query("active", "only the active (true) or finished (false) ones", {"type": "boolean"}),
    _query("idtag", "only those started with this id tag (in any case)"),
    _query("connector", "only those on this connector", {"type": "integer", "minimum": 1}),
    _query("startedAfter", "only those started at or after this instant", _TIME),
    _query("startedBefore", "only those started before this instant (later than startedAfter)", _TIME),
    _query("stopReason", "only those stopped for this reason (one stopped without reason is Local, "
           "OCPP 1.6 section 6.49)", {"type": "string", "enum": list(STOP_REASONS)}),
]
_TRANSACTION_CSV_COLUMNS = [name for name, _ in TRANSACTION_COLUMNS]
_METER_VALUE_CSV_COLUMNS = list(METER_VALUE_COLUMNS)
_ID_TAG = _path("idTag", "the id tag", {"type": "string", "maxLength": 20})
_AUTH_ERRORS = {"401": _error("no or wrong token"), "403": _error("a token-less API asked under a non-loopback host name")}
_BODY_ERRORS = {
    "400": _error("bad JSON, or a body breaking the schema"),
    "415": _error("the body is not sent as application/json"),
}


def _action_operation(name: str, spec) -> dict:
    return {
        "post": {
            "operationId": f"action{name}",
            "tags": ["operations"],
            "summary": f"Send {name}.req to a connected charge point ({spec.profile})",
            "description": (
                f"The body is the OCPP {name}.req payload; the answer is the charge point's "
                f"{name}.conf payload. An empty body, sent without Content-Type or as "
                "application/json, is an empty payload. What OCPP 1.6 forbids is not sent: "
                "nothing to a charge point whose boot was Rejected, no RemoteStartTransaction "
                "or RemoteStopTransaction to a Pending one (section 4.2), no TriggerMessage or "
                "ExtendedTriggerMessage of BootNotification to an Accepted one (errata 3.40): "
                "409 not_allowed_now; a RemoteStartTransaction chargingProfile that is not a "
                "TxProfile, or has a transactionId (section 5.11, errata 3.41): 400 "
                "forbidden_request."
            ),
            "parameters": [_IDENTITY],
            "requestBody": {
                "required": False,
                "content": {"application/json": {"schema": _ref(name + "Request")}},
            },
            "responses": {
                "200": _json(f"the charge point's {name}.conf", _ref(name + "Response")),
                "400": _error("the payload breaks the schema (error invalid_payload: code is the OCPP error code, "
                              "description names the field), or OCPP forbids its content (forbidden_request); nothing was sent"),
                "404": _error("unknown or not connected charge point (error: unknown_charge_point, not_connected)"),
                "409": _error("the charge point's registration status forbids this request (error not_allowed_now; "
                              "details.registrationStatus); nothing was sent"),
                "415": _BODY_ERRORS["415"],
                "502": _error("the charge point answered a CALLERROR (error call_error, code and description are its), "
                              "disconnected (connection_lost) or answered wrongly (invalid_response)"),
                "504": _error("no answer within the central system's call timeout"),
                **_AUTH_ERRORS,
            },
        }
    }


def _paths() -> dict:
    paths = {
        "/api/openapi.json": {
            "get": {
                "operationId": "openapi",
                "tags": ["meta"],
                "summary": "This document",
                "security": [],
                "responses": {"200": {"description": "the OpenAPI document", "content": {"application/json": {}}}},
            }
        },
        "/api/v1/chargepoints": {
            "get": {
                "operationId": "listChargePoints",
                "tags": ["charge points"],
                "summary": "Charge points known (registered, or seen at boot) or connected, by identity",
                "parameters": [_query("connected", "only the connected (true) or offline (false) ones", {"type": "boolean"}), *_PAGE],
                "responses": {"200": _json("a page of charge points", _ref("ChargePointPage")), "400": _error("bad query"), **_AUTH_ERRORS},
            }
        },
        "/api/v1/chargepoints/{identity}": {
            "parameters": [_IDENTITY],
            "get": {
                "operationId": "getChargePoint",
                "tags": ["charge points"],
                "summary": "One charge point: connection, boot information, connector statuses",
                "responses": {"200": _json("the charge point", _ref("ChargePoint")), "404": _error("unknown charge point"), **_AUTH_ERRORS},
            },
            "put": {
                "operationId": "putChargePoint",
                "tags": ["charge points"],
                "summary": "Register a charge point (its boots are then Accepted), set its password or security profile",
                "requestBody": {"required": False, "content": {"application/json": {"schema": _ref("ChargePointUpdate")}}},
                "responses": {
                    "200": _json("it was registered already: updated", _ref("ChargePoint")),
                    "201": _json("registered", _ref("ChargePoint")),
                    **_BODY_ERRORS,
                    **_storage_errors(), **_AUTH_ERRORS,
                },
            },
            "delete": {
                "operationId": "deleteChargePoint",
                "tags": ["charge points"],
                "summary": "Unregister a charge point (its history stays; an open connection stays open)",
                "responses": {"204": {"description": "unregistered"}, "404": _error("not registered"), **_storage_errors(), **_AUTH_ERRORS},
            },
        },
        "/api/v1/chargepoints/{identity}/chargingprofiles": {
            "parameters": [_IDENTITY],
            "get": {
                "operationId": "listChargingProfiles",
                "tags": ["smart charging"],
                "summary": "The charging profiles the charge point accepted and holds, by connector and id",
                "description": (
                    "Kept when the charge point answers SetChargingProfile Accepted (replacing the profile "
                    "of the same id, and the one of the same stackLevel and purpose on the same connector), "
                    "removed when it answers ClearChargingProfile Accepted; a TxProfile of a stopped "
                    "transaction is left out. Send the messages with POST .../actions/SetChargingProfile, "
                    "ClearChargingProfile and GetCompositeSchedule."
                ),
                "responses": {
                    "200": _json("the charging profiles", _ref("ChargingProfileList")),
                    "404": _error("unknown charge point"),
                    **_AUTH_ERRORS,
                },
            }
        },
        "/api/v1/chargepoints/{identity}/certificates": {
            "parameters": [_IDENTITY],
            "get": {
                "operationId": "listChargePointCertificates",
                "tags": ["security"],
                "summary": "The certificates the central system knows the charge point holds",
                "description": (
                    "Installed: sent with POST .../actions/InstallCertificate and answered Accepted "
                    "(forgotten when a DeleteCertificate naming it by issuerNameHash and serialNumber is "
                    "answered Accepted). Presented: the charge point certificate of a security profile 3 "
                    "TLS handshake, noted the first time it is seen."
                ),
                "responses": {
                    "200": _json("the certificates", _ref("ChargePointCertificateList")),
                    "404": _error("unknown charge point"),
                    **_AUTH_ERRORS,
                },
            }
        },
        "/api/v1/certificates": {
            "get": {
                "operationId": "listIssuedCertificates",
                "tags": ["security"],
                "summary": "The charge point certificates the central system issued, newest first",
                "description": (
                    "Issued answering SignCertificate when the central system has a CA (--ca-key, "
                    "--ca-cert): the CSR checked (CN the identity, O the --cpo-name, key size), signed, "
                    "and sent with CertificateSigned."
                ),
                "parameters": [_query("chargePoint", "only this charge point's")],
                "responses": {"200": _json("the certificates", _ref("IssuedCertificateList")), **_AUTH_ERRORS},
            }
        },
        "/api/v1/certificates/{serial}/revoke": {
            "parameters": [
                {"name": "serial", "in": "path", "required": True,
                 "description": "the serial number, hexadecimal", "schema": _TEXT}
            ],
            "post": {
                "operationId": "revokeIssuedCertificate",
                "tags": ["security"],
                "summary": "Revoke an issued certificate: its charge point can no longer connect with it",
                "responses": {
                    "200": _json("the certificate, revoked", _ref("IssuedCertificate")),
                    "404": _error("no certificate of this serial was issued here"),
                    **_AUTH_ERRORS,
                },
            }
        },
        "/api/v1/actions": {
            "get": {
                "operationId": "listActions",
                "tags": ["operations"],
                "summary": "The OCPP actions a central system sends, with their feature profile",
                "responses": {"200": _json("the actions", {"type": "array", "items": _ref("Action")}), **_AUTH_ERRORS},
            }
        },
        "/api/v1/actions/{action}/schema": {
            "parameters": [_path("action", "an action a central system sends (see listActions)")],
            "get": {
                "operationId": "getActionSchema",
                "tags": ["operations"],
                "summary": "The official JSON schema of the action's request, its definitions inlined "
                "(the console builds its forms from it)",
                "responses": {
                    "200": _json("the request's JSON schema (draft 4)", {"type": "object"}),
                    "404": _error("not an action a central system sends"),
                    **_AUTH_ERRORS,
                },
            }
        },
        "/api/v1/idtags": {
            "get": {
                "operationId": "listIdTags",
                "tags": ["id tags"],
                "summary": "Id tags, by tag",
                "parameters": [_query("status", "only those of this status", id_tag_status()), *_PAGE],
                "responses": {"200": _json("a page of id tags", _ref("IdTagPage")), "400": _error("bad query"), **_AUTH_ERRORS},
            }
        },
        "/api/v1/idtags/{idTag}": {
            "parameters": [_ID_TAG],
            "get": {
                "operationId": "getIdTag",
                "tags": ["id tags"],
                "summary": "One id tag",
                "responses": {"200": _json("the id tag", _ref("IdTag")), "404": _error("unknown id tag"), **_AUTH_ERRORS},
            },
            "put": {
                "operationId": "putIdTag",
                "tags": ["id tags"],
                "summary": "Add or replace an id tag",
                "requestBody": {"required": False, "content": {"application/json": {"schema": _ref("IdTagUpdate")}}},
                "responses": {
                    "200": _json("replaced", _ref("IdTag")),
                    "201": _json("added", _ref("IdTag")),
                    **_BODY_ERRORS,
                    **_storage_errors(), **_AUTH_ERRORS,
                },
            },
            "delete": {
                "operationId": "deleteIdTag",
                "tags": ["id tags"],
                "summary": "Forget an id tag",
                "responses": {"204": {"description": "forgotten"}, "404": _error("unknown id tag"), **_storage_errors(), **_AUTH_ERRORS},
            },
        },
        "/api/v1/transactions": {
            "get": {
                "operationId": "listTransactions",
                "tags": ["transactions"],
                "summary": "Transactions, newest first, with the energy delivered so far",
                "description": "Every filter given must match; totals are of the whole filtered list.",
                "parameters": [*_TRANSACTION_FILTERS, *_PAGE],
                "responses": {
                    "200": _json("a page of transactions", _ref("TransactionPage")),
                    "400": _error("a bad filter or page argument, named in the description (error bad_query)"),
                    **_AUTH_ERRORS,
                },
            }
        },
        "/api/v1/transactions.csv": {
            "get": {
                "operationId": "exportTransactions",
                "tags": ["transactions"],
                "summary": "The filtered transactions as CSV, one row per transaction, newest first",
                "description": (
                    "RFC 4180 CSV (UTF-8, CRLF) under a header row: " + ", ".join(_TRANSACTION_CSV_COLUMNS)
                    + ". Every filter of GET /api/v1/transactions applies; no paging: the whole list. "
                    "A text cell starting with =, +, -, @ that is no number is written after a ' "
                    "(a spreadsheet would run it as a formula)."
                ),
                "parameters": _TRANSACTION_FILTERS,
                "responses": {
                    "200": {"description": "the CSV, as an attachment (transactions.csv)",
                            "content": {"text/csv": {"schema": _TEXT}}},
                    "400": _error("a bad filter, named in the description (error bad_query)"),
                    **_AUTH_ERRORS,
                },
            }
        },
        "/api/v1/transactions/{transactionId}/metervalues": {
            "parameters": [_path("transactionId", "the transaction id", _INT)],
            "get": {
                "operationId": "getTransactionMeterValues",
                "tags": ["transactions"],
                "summary": "One transaction's sampled values, and its energy and power over time",
                "responses": {
                    "200": _json("the transaction, its values and series", _ref("TransactionMeterValues")),
                    "404": _error("unknown transaction"),
                    **_AUTH_ERRORS,
                },
            },
        },
        "/api/v1/transactions/{transactionId}/metervalues.csv": {
            "parameters": [_path("transactionId", "the transaction id", _INT)],
            "get": {
                "operationId": "exportTransactionMeterValues",
                "tags": ["transactions"],
                "summary": "One transaction's sampled values as CSV, one row each, oldest first",
                "description": "Columns: " + ", ".join(_METER_VALUE_CSV_COLUMNS) + ".",
                "responses": {
                    "200": {"description": "the CSV, as an attachment (transaction-{id}-meter-values.csv)",
                            "content": {"text/csv": {"schema": _TEXT}}},
                    "404": _error("unknown transaction"),
                    **_AUTH_ERRORS,
                },
            },
        },
        "/api/v1/transactions/{transactionId}": {
            "parameters": [_path("transactionId", "the transaction id", _INT)],
            "get": {
                "operationId": "getTransaction",
                "tags": ["transactions"],
                "summary": "One transaction with its sampled meter values, oldest first",
                "responses": {"200": _json("the transaction", _ref("TransactionDetail")), "404": _error("unknown transaction"), **_AUTH_ERRORS},
            },
        },
        "/api/v1/events": {
            "get": {
                "operationId": "listEvents",
                "tags": ["events"],
                "summary": "Security events, connector status history and status reports, newest first",
                "parameters": [
                    _query("kind", "only this kind", {"type": "string", "enum": ["security", "status", "report"]}),
                    _query("chargepoint", "only those of this charge point"),
                    *_PAGE,
                ],
                "responses": {"200": _json("a page of events", _ref("EventPage")), "400": _error("bad query"), **_AUTH_ERRORS},
            }
        },
        "/api/v1/messages": {
            "get": {
                "operationId": "listMessages",
                "tags": ["events"],
                "summary": "The OCPP frames of the trace (--trace), newest first",
                "description": (
                    "Read from the trace files (rotated ones included). Without a trace the "
                    "answer is an empty list with `tracing` false. The next page: `before` "
                    "the `time` of the last item."
                ),
                "parameters": [
                    _query("chargePoint", "only the frames of this charge point"),
                    _query("q", "only the frames whose JSON text holds this text, case ignored"),
                    _query("before", "only the frames traced before this time", _TIME),
                    _query("limit", "the most frames answered (default 100)",
                           {"type": "integer", "minimum": 1, "maximum": 1000}),
                ],
                "responses": {"200": _json("the frames", _ref("MessagePage")), "400": _error("bad query"), **_AUTH_ERRORS},
            }
        },
        "/api/v1/stream": {
            "get": {
                "operationId": "stream",
                "tags": ["events"],
                "summary": "Live events (Server-Sent Events)",
                "description": (
                    "One event per line group: `id: N`, `event: KIND`, `data: JSON`. Kinds: "
                    "`connected`, `disconnected` (data: chargePoint, peer); `boot`, `status`, "
                    "`authorize`, `transactionStarted`, `transactionStopped`, `meterValues`, "
                    "`securityEvent`, `notification` (every other request but Heartbeat) with data "
                    "chargePoint, action, request and response (the OCPP payloads); "
                    "`chargePointChanged` (chargePoint, registered) and `idTagChanged` (idTag, record) "
                    "after API changes, `localListSent`, `reservationMade`, `reservationCancelled` (chargePoint, status) "
                    "once a charge point accepted them; `uploadReceived` (chargePoint, upload) once an uploaded file is stored; "
                    "`frame` (chargePoint, time, direction, frame, invalid) for every OCPP frame while the "
                    "frame trace (`--trace`) is on, not kept. "
                    "Reconnect with `Last-Event-ID` to get the events missed "
                    "(the last 1000 are kept). A comment line comes every 15 seconds."
                ),
                "parameters": [
                    _query("chargepoint", "only the events of this charge point"),
                    {"name": "Last-Event-ID", "in": "header", "required": False, "schema": _INT,
                     "description": "the last event number received"},
                ],
                "responses": {"200": {"description": "the event stream", "content": {"text/event-stream": {"schema": _TEXT}}}, **_AUTH_ERRORS},
            }
        },
    }
    for name, spec in ACTIONS.items():
        if spec.sent_by(Role.CENTRAL_SYSTEM):
            paths[f"/api/v1/chargepoints/{{identity}}/actions/{name}"] = _action_operation(name, spec)
    paths.update(_management_paths())
    paths.update(_upload_paths())
    paths.update(cluster_paths(_json, _AUTH_ERRORS))
    return paths


# -- local lists, reservations, firmware (issue 12) ----------------------------

_OPERATION_ERRORS = {
    "404": _error("unknown or not connected charge point (error: unknown_charge_point, not_connected)"),
    "502": _error("the charge point answered a CALLERROR (error call_error, code and description are its), "
                  "disconnected (connection_lost) or answered wrongly (invalid_response)"),
    "504": _error("no answer within the central system's call timeout"),
}


def _management_schemas() -> dict:
    report = _nullable(
        _object({"status": _TEXT, "receivedAt": _TIME}, ["status", "receivedAt"], "the latest notification, null before any")
    )
    local_list = _object(
        {
            "chargePoint": _TEXT,
            "listVersion": {**_INT, "description": "the version the charge point last accepted from this central system (0: none)"},
            "complete": {"type": "boolean", "description": "whether that list is every id tag as of its sending; false: only a Full list can follow"},
            "acceptedAt": _nullable(_TIME),
            "pendingChanges": _nullable({**_INT, "description": "id tags added, changed or removed since that list (null when not complete)"}),
            "last": _nullable(
                _object(
                    {"updateType": _TEXT, "listVersion": _INT, "status": _TEXT, "at": _TIME},
                    ["updateType", "listVersion", "status", "at"],
                    "the last SendLocalList.req sent and its answer",
                )
            ),
        },
        ["chargePoint", "listVersion", "complete", "pendingChanges", "last"],
    )
    update_type = {"type": "string", "enum": ["Full", "Differential"]}
    local_list_send = _object({"updateType": update_type}, ["updateType"])
    local_list_send["additionalProperties"] = False
    local_list_outcome = _object(
        {
            "chargePoint": _TEXT,
            "updateType": update_type,
            "status": _nullable({"type": "string", "enum": ["Accepted", "Failed", "NotSupported", "VersionMismatch"],
                                 "description": "the last answer (null: a Differential with no change, nothing sent)"}),
            "listVersion": {**_INT, "description": "the version the charge point now holds"},
            "complete": {"type": "boolean"},
            "requests": {
                "type": "array",
                "items": _object(
                    {"updateType": update_type, "listVersion": _INT, "entries": _INT, "status": _TEXT},
                    ["updateType", "listVersion", "entries", "status"],
                ),
                "description": "every SendLocalList.req sent, in order: a list longer than SendLocalListMaxLength "
                               "goes as several, the first of the type asked and the others Differential",
            },
            "sendLocalListMaxLength": _nullable(_INT),
            "localAuthListMaxLength": _nullable(_INT),
            "hint": _nullable({**_TEXT, "description": "what to do next (after VersionMismatch or Failed: send a Full list)"}),
            "skipped": {"type": "array", "items": _TEXT,
                        "description": "id tags left out: OCPP carries 1 to 20 printable ASCII characters only "
                                       "(tags another program wrote to the database; the API refuses them)"},
        },
        ["chargePoint", "updateType", "status", "listVersion", "complete", "requests"],
    )
    reservation = _object(
        {
            "reservationId": _INT,
            "connectorId": _INT,
            "idTag": _TEXT,
            "parentIdTag": _nullable(_TEXT),
            "expiryDate": _TIME,
            "state": {"type": "string", "enum": ["active", "expired", "cancelled", "used"],
                      "description": "expired: active and past its expiry date; used: a StartTransaction named it"},
            "reservedAt": _TIME,
            "endedAt": _nullable(_TIME),
            "transactionId": _nullable({**_INT, "description": "the transaction that used it"}),
        },
        ["reservationId", "connectorId", "idTag", "expiryDate", "state", "reservedAt"],
    )
    reservation_request = _object(
        {
            "connectorId": {"type": "integer", "minimum": 0, "description": "0: any connector (ReserveConnectorZeroSupported)"},
            "idTag": {**_TEXT, "minLength": 1, "maxLength": 20},
            "expiryDate": {**_TIME, "description": "in the future"},
            "parentIdTag": _nullable({**_TEXT, "maxLength": 20}),
            "reservationId": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1,
                              "description": "omitted: the central system allocates one, unique for the charge point; "
                                            "an existing one is replaced (OCPP 1.6 section 5.13)"},
        },
        ["connectorId", "idTag", "expiryDate"],
    )
    reservation_request["additionalProperties"] = False
    reservation_outcome = _object(
        {
            "chargePoint": _TEXT,
            "reservationId": _INT,
            "status": {**_TEXT, "description": "the charge point's ReservationStatus or CancelReservationStatus"},
            "reservation": _nullable(_ref("Reservation")),
        },
        ["chargePoint", "reservationId", "status", "reservation"],
    )
    firmware_update = _object(
        {
            "location": {**_TEXT, "format": "uri"},
            "retrieveDate": {**_TIME, "description": "default: now"},
            "retries": {"type": "integer", "minimum": 0},
            "retryInterval": {"type": "integer", "minimum": 0, "description": "seconds"},
        },
        ["location"],
    )
    firmware_update["additionalProperties"] = False
    page = _object(
        {"items": {"type": "array", "items": _ref("Reservation")}, "total": _INT, "limit": _INT, "offset": _INT},
        ["items", "total", "limit", "offset"],
    )
    return {
        "StatusReport": report,
        "LocalList": local_list,
        "LocalListSend": local_list_send,
        "LocalListOutcome": local_list_outcome,
        "Reservation": reservation,
        "ReservationPage": page,
        "ReservationRequest": reservation_request,
        "ReservationOutcome": reservation_outcome,
        "FirmwareUpdate": firmware_update,
    }


def _management_paths() -> dict:
    return {
        "/api/v1/chargepoints/{identity}/locallist": {
            "parameters": [_IDENTITY],
            "get": {
                "operationId": "getLocalList",
                "tags": ["operations"],
                "summary": "What the central system believes the charge point's local list is",
                "responses": {"200": _json("the local list's state", _ref("LocalList")),
                              "404": _error("unknown charge point"), **_AUTH_ERRORS},
            },
            "post": {
                "operationId": "sendLocalList",
                "tags": ["operations"],
                "summary": "Send a local list from the id tags the central system knows (SendLocalList)",
                "description": (
                    "Full: every id tag (status, expiry date, parent); Differential: those added, changed "
                    "or removed (without idTagInfo) since the last list the charge point accepted. The "
                    "version is the one held plus one. SendLocalListMaxLength and LocalAuthListMaxLength "
                    "are asked first (GetConfiguration): a longer list goes as several requests, the first "
                    "of the type asked and the others Differential, each with the next version, stopping at "
                    "the first answer that is not Accepted. Any status the charge point answers is 200."
                ),
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("LocalListSend")}}},
                "responses": {
                    "200": _json("the charge point's answers and the version it holds", _ref("LocalListOutcome")),
                    **_BODY_ERRORS,
                    "409": _error("nothing sent: a list is being sent already (busy), a Differential without a "
                                  "complete list before (no_full_list), more id tags than LocalAuthListMaxLength "
                                  "(list_too_long)"),
                    **_OPERATION_ERRORS, **_storage_errors(), **_AUTH_ERRORS,
                },
            },
        },
        "/api/v1/chargepoints/{identity}/reservations": {
            "parameters": [_IDENTITY],
            "get": {
                "operationId": "listReservations",
                "tags": ["operations"],
                "summary": "The charge point's reservations the central system made, newest first",
                "parameters": [
                    _query("state", "only those of this state", {"type": "string", "enum": ["active", "expired", "cancelled", "used"]}),
                    *_PAGE,
                ],
                "responses": {"200": _json("a page of reservations", _ref("ReservationPage")),
                              "400": _error("bad query"), "404": _error("unknown charge point"), **_AUTH_ERRORS},
            },
            "post": {
                "operationId": "reserveNow",
                "tags": ["operations"],
                "summary": "Reserve a connector (ReserveNow), recorded when Accepted",
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("ReservationRequest")}}},
                "responses": {
                    "201": _json("Accepted: the reservation", _ref("ReservationOutcome")),
                    "200": _json("not Accepted (Faulted, Occupied, Rejected, Unavailable): nothing recorded", _ref("ReservationOutcome")),
                    **_BODY_ERRORS, **_OPERATION_ERRORS, **_storage_errors(), **_AUTH_ERRORS,
                },
            },
        },
        "/api/v1/chargepoints/{identity}/reservations/{reservationId}": {
            "parameters": [_IDENTITY, _path("reservationId", "the reservation id", _INT)],
            "delete": {
                "operationId": "cancelReservation",
                "tags": ["operations"],
                "summary": "Cancel a reservation (CancelReservation), marked cancelled when Accepted",
                "responses": {
                    "200": _json("the charge point's answer (Accepted or Rejected)", _ref("ReservationOutcome")),
                    "404": _error("unknown or not connected charge point, or not a reservation id "
                                  "(unknown_charge_point, not_connected, unknown_reservation)"),
                    "502": _OPERATION_ERRORS["502"], "504": _OPERATION_ERRORS["504"],
                    **_storage_errors(), **_AUTH_ERRORS,
                },
            },
        },
        "/api/v1/chargepoints/{identity}/firmware": {
            "parameters": [_IDENTITY],
            "post": {
                "operationId": "updateFirmware",
                "tags": ["operations"],
                "summary": "Send UpdateFirmware (retrieveDate defaults to now); the charge point's JSON shows "
                           "its FirmwareStatusNotifications",
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("FirmwareUpdate")}}},
                "responses": {
                    "200": _json("acknowledged: the request sent", _object(
                        {"chargePoint": _TEXT, "request": _ref("UpdateFirmwareRequest")}, ["chargePoint", "request"])),
                    **_BODY_ERRORS, **_OPERATION_ERRORS, **_AUTH_ERRORS,
                },
            },
        },
    }


def _upload_paths() -> dict:
    # openocpp.web.uploads: GetDiagnostics with our own upload location.
    return {
        "/api/v1/chargepoints/{identity}/diagnostics": {
            "post": {
                "operationId": "getDiagnostics",
                "tags": ["uploads"],
                "summary": "Send GetDiagnostics.req with an upload location of this central system",
                "description": (
                    "Makes a one-time upload location, `<public URL>/uploads/<token>/` (the API's "
                    "--api-public-url, else the scheme and Host of this request), good for one file "
                    "for --api-upload-lifetime seconds (24 h), and sends GetDiagnostics.req with it "
                    "(or with the location given). The charge point PUTs the file to "
                    "`<location><file name>`, or POSTs it as the `file` field of a multipart/form-data "
                    "body to the location; it is then listed by GET /api/v1/uploads."
                ),
                "parameters": [_IDENTITY],
                "requestBody": {"required": False, "content": {"application/json": {"schema": _ref("DiagnosticsRequest")}}},
                "responses": {
                    "200": _json("the charge point's answer and the location sent", _ref("DiagnosticsAnswer")),
                    "400": _error("a body breaking GetDiagnostics.req's schema; nothing was sent"),
                    "404": _error("unknown or not connected charge point (error: unknown_charge_point, not_connected)"),
                    "415": _BODY_ERRORS["415"],
                    "502": _error("the charge point answered a CALLERROR, disconnected or answered wrongly"),
                    "504": _error("no answer within the central system's call timeout"),
                    **_storage_errors(),
                    **_AUTH_ERRORS,
                },
            }
        },
        "/api/v1/chargepoints/{identity}/logs": {
            "post": {
                "operationId": "getLog",
                "tags": ["uploads"],
                "summary": "Send GetLog.req with an upload location of this central system",
                "description": (
                    "As POST .../diagnostics, for a log (Security Whitepaper N01): a one-time upload "
                    "location made for the logType, unless remoteLocation is given. The file uploaded "
                    "there is listed by GET /api/v1/uploads with that kind, kept under a name beginning "
                    "with it: no log overwrites a diagnostics file, nor another log."
                ),
                "parameters": [_IDENTITY],
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("LogRequest")}}},
                "responses": {
                    "200": _json("the charge point's answer and what was sent", _ref("LogAnswer")),
                    "400": _error("no or an unknown logType, or a body breaking GetLog.req's schema; nothing was sent"),
                    "404": _error("unknown or not connected charge point (error: unknown_charge_point, not_connected)"),
                    "415": _BODY_ERRORS["415"],
                    "502": _error("the charge point answered a CALLERROR, disconnected or answered wrongly"),
                    "504": _error("no answer within the central system's call timeout"),
                    **_storage_errors(),
                    **_AUTH_ERRORS,
                },
            }
        },
        "/api/v1/uploads": {
            "get": {
                "operationId": "listUploads",
                "tags": ["uploads"],
                "summary": "Files charge points uploaded, newest first",
                "parameters": [
                    _query("chargePoint", "only those of this charge point"),
                    _query("kind", "only those of this kind", {**_TEXT, "enum": ["Diagnostics", "DiagnosticsLog", "SecurityLog"]}),
                    *_PAGE,
                ],
                "responses": {"200": _json("a page of uploads", _ref("UploadPage")), "400": _error("bad query"), **_AUTH_ERRORS},
            }
        },
        "/api/v1/uploads/{uploadId}": {
            "parameters": [_path("uploadId", "the upload's id", _INT)],
            "get": {
                "operationId": "getUpload",
                "tags": ["uploads"],
                "summary": "Download one uploaded file",
                "responses": {
                    "200": {"description": "the file", "content": {"application/octet-stream": {"schema": {"type": "string", "contentMediaType": "application/octet-stream"}}}},
                    "404": _error("unknown upload (error unknown_upload)"),
                    "410": _error("the file is no longer on disk (error upload_gone)"),
                    **_AUTH_ERRORS,
                },
            },
        },
    }


def id_tag_status() -> dict:
    return {"type": "string", "enum": ["Accepted", "Blocked", "Expired", "Invalid"]}


def build_openapi() -> dict:
    """
    The OpenAPI document of the API.
    """
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "openocpp central system API",
            "version": "1",
            "description": (
                "Drive the charge points connected to an openocpp central system over HTTP: "
                "every OCPP 1.6 operation a central system sends (core and security), "
                "charge point registration, id tags, transactions, events and live events. "
                "Errors are JSON: {error, code, description}."
            ),
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}, {"basicAuth": []}],
        "tags": [
            {"name": name}
            for name in ("charge points", "operations", "id tags", "transactions", "events", "uploads", "meta")
        ],
        "paths": _paths(),
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": "the --api-token"},
                "basicAuth": {"type": "http", "scheme": "basic", "description": "any user name, the --api-token as password"},
            },
            "schemas": {**_schemas(), **_ocpp_schemas()},
        },
    }


def render_openapi() -> str:
    """
    The document as committed: indented JSON with a final newline.
    """
    return json.dumps(build_openapi(), indent=2, ensure_ascii=False) + "\n"


def load_openapi() -> bytes:
    """
    The committed document's bytes, as served.
    """
    return (resources.files("openocpp.web") / OPENAPI_FILE).read_bytes()


if __name__ == "__main__":
    sys.stdout.write(render_openapi())
