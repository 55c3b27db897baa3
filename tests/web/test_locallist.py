"""
Tests for C{/api/v1/chargepoints/{identity}/locallist}
(L{openocpp.web.locallist}, L{openocpp.centralsystem.locallist}): sending
local lists from the id tags the central system knows to a scripted
charge point on loopback, and what the central system believes it holds.
"""

from datetime import timedelta

from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.trial.unittest import TestCase

from openocpp import hookimpl
from openocpp.messages import core
from openocpp.messages.datatypes import KeyValue
from openocpp.messages.errors import ErrorCode
from openocpp.rpc.errors import CallError
from tests.centralsystem.fake_chargepoint import NOW, ObservedList
from tests.web.api_client import ApiMixin
from tests.centralsystem.stores import PostgreSQLCentralSystemMixin


def limits(send=None, local=None):
    """
    A GetConfiguration.conf giving the local list limits (those not None).
    """
    keys = [
        KeyValue(key=key, readonly=True, value=str(value))
        for key, value in (("SendLocalListMaxLength", send), ("LocalAuthListMaxLength", local))
        if value is not None
    ]
    return core.GetConfigurationResponse(configuration_key=keys)


def statuses(*answers):
    """
    A script answering successive SendLocalList.req with these statuses
    (the last one again once they run out).
    """
    remaining = list(answers)

    def answer(request):
        status = remaining.pop(0) if len(remaining) > 1 else remaining[0]
        return core.SendLocalListResponse(status=status)

    return answer


class OperatorChanges:
    """
    A plugin keeping the operator changes the central system tells.
    """

    def __init__(self):
        self.changes = ObservedList()

    @hookimpl
    def openocpp_cs_operator_change(self, change):
        self.changes.append(change)


class LocalListTests(ApiMixin, TestCase):
    """
    Sending a Full or Differential list, split by SendLocalListMaxLength,
    every status a charge point may answer, and the state read back.
    """

    def setUp(self):
        self.plugin = OperatorChanges()
        return self.start()

    def service_arguments(self):
        return {"plugins": [self.plugin]}

    def sent(self, cp):
        return [r for r in cp.received if isinstance(r, core.SendLocalListRequest)]

    @inlineCallbacks
    def tags(self, *names, status="Accepted"):
        for name in names:
            yield self.central.set_id_tag(name, status=status)

    @inlineCallbacks
    def test_full_with_version(self):
        """
        A Full list holds every id tag with its status, expiry date and
        parent, with version 1 first and one more each time; the answer
        gives the status and the version held; GET shows it, with no
        change pending; plugins hear of the accepted list.
        """
        cp = yield self.booted()
        expiry = NOW + timedelta(days=30)
        yield self.central.set_id_tag("PARENT")
        yield self.central.set_id_tag("child1", status="Blocked", expiry_date=expiry, parent_id_tag="PARENT")
        answer = yield self.post("/api/v1/chargepoints/CP1/locallist", {"updateType": "Full"})
        self.assertEqual(answer.status, 200, answer)
        self.assertEqual(
            (answer.json["status"], answer.json["listVersion"], answer.json["complete"], answer.json["hint"]),
            ("Accepted", 1, True, None),
        )
        self.assertEqual(
            answer.json["requests"],
            [{"updateType": "Full", "listVersion": 1, "entries": 2, "status": "Accepted"}],
        )
        (request,) = self.sent(cp)
        self.assertEqual((request.list_version, str(request.update_type)), (1, "Full"))
        entries = {entry.id_tag: entry.id_tag_info for entry in request.local_authorization_list}
        self.assertEqual(set(entries), {"PARENT", "child1"})
        self.assertEqual(str(entries["child1"].status), "Blocked")
        self.assertEqual(entries["child1"].expiry_date, expiry)
        self.assertEqual(entries["child1"].parent_id_tag, "PARENT")
        self.assertEqual(str(entries["PARENT"].status), "Accepted")
        state = yield self.get("/api/v1/chargepoints/CP1/locallist")
        self.assertEqual(
            (state.json["listVersion"], state.json["complete"], state.json["pendingChanges"]),
            (1, True, 0),
        )
        self.assertEqual(state.json["last"]["status"], "Accepted")
        again = yield self.post("/api/v1/chargepoints/CP1/locallist", {"updateType": "Full"})
        self.assertEqual(again.json["listVersion"], 2)
        self.assertEqual(self.sent(cp)[-1].list_version, 2)
        self.assertEqual(
            [(c.kind, c.key, c.record.list_version) for c in self.plugin.changes if c.kind == "localListSent"],
            [("localListSent", "CP1", 1), ("localListSent", "CP1", 2)],
        )

    @inlineCallbacks
    def test_empty_full(self):
        """
        With no id tag known, a Full list is sent empty (it empties the
        charge point's list, OCPP 1.6 section 6.41).
        """
        cp = yield self.booted()
        answer = yield self.post("/api/v1/chargepoints/CP1/locallist", {"updateType": "Full"})
        self.assertEqual((answer.json["status"], answer.json["listVersion"]), ("Accepted", 1))
        (request,) = self.sent(cp)
        self.assertIsNone(request.local_authorization_list)

    @inlineCallbacks
    def test_differential(self):
        """
        A Differential list holds the tags added or changed since the last
        accepted list (with their idTagInfo) and those removed (without),
        whatever the case they were written in, with the next version;
        afterwards nothing is pending, and one with no change sends nothing.
        """
        cp = yield self.booted()
        yield self.tags("KEEP", "CHANGE", "GONE")
        yield self.post("/api/v1/chargepoints/CP1/locallist", {"updateType": "Full"})
        yield self.central.set_id_tag("change", status="Blocked")
        yield self.central.remove_id_tag("gone")
        yield self.central.set_id_tag("NEW")
        state = yield self.get("/api/v1/chargepoints/CP1/locallist")
        self.assertEqual(state.json["pendingChanges"], 3)
        answer = yield self.post("/api/v1/chargepoints/CP1/locallist", {"updateType": "Differential"})
        self.assertEqual(answer.status, 200, answer)
        self.assertEqual((answer.json["status"], answer.json["listVersion"]), ("Accepted", 2))
        request = self.sent(cp)[-1]
        self.assertEqual((request.list_version, str(request.update_type)), (2, "Differential"))
        entries = {
            entry.id_tag: None if entry.id_tag_info is None else str(entry.id_tag_info.status)
            for entry in request.local_authorization_list
        }
        self.assertEqual(entries, {"CHANGE": "Blocked", "GONE": None, "NEW": "Accepted"})
        state = yield self.get("/api/v1/chargepoints/CP1/locallist")
        self.assertEqual((state.json["listVersion"], state.json["pendingChanges"]), (2, 0))
        nothing = yield self.post("/api/v1/chargepoints/CP1/locallist", {"updateType": "Differential"})
        self.assertEqual(
            (nothing.json["status"], nothing.json["requests"], nothing.json["listVersion"]),
            (None, [], 2),
        )
        self.assertEqual(len(self.sent(cp)), 2)

    @inlineCallbacks
    def test_full_split_by_send_max_length(self):
        """
        A Full list longer than the charge point's SendLocalListMaxLength
        goes as a Full with the first chunk, then Differentials with the
        rest, each with the next version; the version held is the last.
        """
        cp = yield self.booted()
        cp.answers["GetConfiguration"] = limits(send=2, local=10)
        yield self.tags("A", "B", "C", "D", "E")
        answer = yield self.post("/api/v1/chargepoints/CP1/locallist", {"updateType": "Full"})
        self.assertEqual(
            [(r["updateType"], r["listVersion"], r["entries"], r["status"]) for r in answer.json["requests"]],
            [("Full", 1, 2, "Accepted"), ("Differential", 2, 2, "Accepted"), ("Differential", 3, 1, "Accepted")],
        )
        self.assertEqual(
            (answer.json["listVersion"], answer.json["complete"], answer.json["sendLocalListMaxLength"]),
            (3, True, 2),
        )
        sent = self.sent(cp)
        self.assertEqual(
            [[entry.id_tag for entry in request.local_authorization_list] for request in sent],
            [["A", "B"], ["C", "D"], ["E"]],
        )
        (config,) = [r for r in cp.received if isinstance(r, core.GetConfigurationRequest)]
        self.assertEqual(sorted(config.key), ["LocalAuthListMaxLength", "SendLocalListMaxLength"])
        state = yield self.get("/api/v1/chargepoints/CP1/locallist")
        self.assertEqual((state.json["listVersion"], state.json["complete"]), (3, True))

    @inlineCallbacks
    def test_split_stops_at_first_refusal(self):
        """
        A split list stops at the first answer that is not Accepted: the
        version held is the last accepted, the list is incomplete, and a
        Differential is refused until a Full list is sent.
        """
        cp = yield self.booted()
        cp.answers["GetConfiguration"] = limits(send=1)
        cp.answers["SendLocalList"] = statuses("Accepted", "Failed")
        yield self.tags("A", "B", "C")
        answer = yield self.post("/api/v1/chargepoints/CP1/locallist", {"updateType": "Full"})
        self.assertEqual(
            [(r["updateType"], r["listVersion"], r["status"]) for r in answer.json["requests"]],
            [("Full", 1, "Accepted"), ("Differential", 2, "Failed")],
        )
        self.assertEqual((answer.json["status"], answer.json["listVersion"], answer.json["complete"]), ("Failed", 1, False))
        self.assertIn("Full", answer.json["hint"])
        self.assertEqual(len(self.sent(cp)), 2)
        state = yield self.get("/api/v1/chargepoints/CP1/locallist")
        self.assertEqual(
            (state.json["listVersion"], state.json["complete"], state.json["pendingChanges"], state.json["last"]["status"]),
            (1, False, None, "Failed"),
        )
        refused = yield self.post("/api/v1/chargepoints/CP1/locallist", {"updateType": "Differential"})
        self.assertError(refused, 409, "no_full_list")
        self.assertEqual(len(self.sent(cp)), 2)

    @inlineCallbacks
    def test_full_longer_than_local_auth_list_max_length(self):
        """
        A Full list with more id tags than LocalAuthListMaxLength is not
        sent (the charge point could only answer Failed): 409.
        """
        cp = yield self.booted()
        cp.answers["GetConfiguration"] = limits(local=2)
        yield self.tags("A", "B", "C")
        answer = yield self.post("/api/v1/chargepoints/CP1/locallist", {"updateType": "Full"})
        self.assertError(answer, 409, "list_too_long")
        self.assertIn("LocalAuthListMaxLength", answer.json["description"])
        self.assertEqual(self.sent(cp), [])

    @inlineCallbacks
    def test_limits_unknown(self):
        """
        A charge point answering GetConfiguration with a CALLERROR gets the
        list in one request.
        """
        cp = yield self.booted()
        cp.answers["GetConfiguration"] = CallError(ErrorCode.NOT_IMPLEMENTED, "no")
        yield self.tags("A", "B", "C")
        answer = yield self.post("/api/v1/chargepoints/CP1/locallist", {"updateType": "Full"})
        self.assertEqual(
            (answer.json["status"], len(answer.json["requests"]), answer.json["sendLocalListMaxLength"]),
            ("Accepted", 1, None),
        )

    @inlineCallbacks
    def test_version_mismatch(self):
        """
        A Differential answered VersionMismatch keeps the version held and
        the changes pending; the answer suggests a Full list; plugins hear
        of nothing.
        """
        cp = yield self.booted()
        yield self.tags("A")
        yield self.post("/api/v1/chargepoints/CP1/locallist", {"updateType": "Full"})
        yield self.tags("B")
        cp.answers["SendLocalList"] = core.SendLocalListResponse(status="VersionMismatch")
        answer = yield self.post("/api/v1/chargepoints/CP1/locallist", {"updateType": "Differential"})
        self.assertEqual(answer.status, 200, answer)
        self.assertEqual((answer.json["status"], answer.json["listVersion"]), ("VersionMismatch", 1))
        self.assertIn("Full", answer.json["hint"])
        state = yield self.get("/api/v1/chargepoints/CP1/locallist")
        self.assertEqual(
            (state.json["listVersion"], state.json["pendingChanges"], state.json["last"]["status"], state.json["last"]["listVersion"]),
            (1, 1, "VersionMismatch", 2),
        )
        self.assertEqual(len([c for c in self.plugin.changes if c.kind == "localListSent"]), 1)
        # The next one starts again from the version held.
        cp.answers["SendLocalList"] = core.SendLocalListResponse(status="Accepted")
        retry = yield self.post("/api/v1/chargepoints/CP1/locallist", {"updateType": "Full"})
        self.assertEqual(retry.json["listVersion"], 2)

    @inlineCallbacks
    def test_failed_and_not_supported(self):
        """
        Failed and NotSupported are reported as the charge point's status
        (200), nothing recorded as held; NotSupported says why.
        """
        cp = yield self.booted()
        for status in ("Failed", "NotSupported"):
            cp.answers["SendLocalList"] = core.SendLocalListResponse(status=status)
            answer = yield self.post("/api/v1/chargepoints/CP1/locallist", {"updateType": "Full"})
            self.assertEqual(answer.status, 200, answer)
            self.assertEqual((answer.json["status"], answer.json["listVersion"]), (status, 0))
        self.assertIn("LocalAuthListEnabled", answer.json["hint"])
        state = yield self.get("/api/v1/chargepoints/CP1/locallist")
        self.assertEqual((state.json["listVersion"], state.json["last"]["status"]), (0, "NotSupported"))

    @inlineCallbacks
    def test_call_error(self):
        """
        A CALLERROR answering SendLocalList is 502 call_error with its code.
        """
        cp = yield self.booted()
        cp.answers["SendLocalList"] = CallError(ErrorCode.NOT_IMPLEMENTED, "no local list here")
        answer = yield self.post("/api/v1/chargepoints/CP1/locallist", {"updateType": "Full"})
        self.assertError(answer, 502, "call_error", code="NotImplemented")

    @inlineCallbacks
    def test_differential_without_full(self):
        """
        A Differential before any Full list is 409 no_full_list, nothing
        sent.
        """
        cp = yield self.booted()
        answer = yield self.post("/api/v1/chargepoints/CP1/locallist", {"updateType": "Differential"})
        self.assertError(answer, 409, "no_full_list")
        self.assertEqual(self.sent(cp), [])

    @inlineCallbacks
    def test_bad_body_and_charge_points(self):
        """
        A missing or wrong updateType is 400; a known charge point that is
        not connected is 404 not_connected (its state is still read), an
        unknown one 404 unknown_charge_point.
        """
        yield self.booted()
        for body in ({}, {"updateType": "full"}, {"updateType": "Full", "extra": 1}):
            answer = yield self.post("/api/v1/chargepoints/CP1/locallist", body)
            self.assertError(answer, 400, "bad_body")
        self.central.store.register_charge_point("OFF")
        offline = yield self.post("/api/v1/chargepoints/OFF/locallist", {"updateType": "Full"})
        self.assertError(offline, 404, "not_connected")
        state = yield self.get("/api/v1/chargepoints/OFF/locallist")
        self.assertEqual(
            state.json,
            {"chargePoint": "OFF", "listVersion": 0, "complete": False, "acceptedAt": None,
             "pendingChanges": None, "last": None},
        )
        for method in (self.get, lambda path: self.post(path, {"updateType": "Full"})):
            unknown = yield method("/api/v1/chargepoints/NOPE/locallist")
            self.assertError(unknown, 404, "unknown_charge_point")

    @inlineCallbacks
    def test_one_at_a_time(self):
        """
        While a list is being sent to a charge point, another is refused
        (409 busy): two would carry the same version.
        """
        cp = yield self.booted()
        held = Deferred()
        cp.answers["SendLocalList"] = lambda request: held
        first = self.post("/api/v1/chargepoints/CP1/locallist", {"updateType": "Full"})
        yield cp.wait_for(2)
        second = yield self.post("/api/v1/chargepoints/CP1/locallist", {"updateType": "Full"})
        self.assertError(second, 409, "busy")
        held.callback(core.SendLocalListResponse(status="Accepted"))
        answer = yield first
        self.assertEqual(answer.json["listVersion"], 1)

    @inlineCallbacks
    def test_tags_ocpp_cannot_carry(self):
        """
        An id tag OCPP cannot carry (over 20 characters, not printable
        ASCII: written by another program than the API) is left out and
        named in the answer; a parent it cannot carry is dropped; the rest
        of the list goes.
        """
        cp = yield self.booted()
        self.central.store.set_id_tag("T" * 21)
        self.central.store.set_id_tag("ÄB01")
        self.central.store.set_id_tag("GOOD", parent_id_tag="P" * 21)
        answer = yield self.post("/api/v1/chargepoints/CP1/locallist", {"updateType": "Full"})
        self.assertEqual(answer.status, 200, answer)
        self.assertEqual(answer.json["status"], "Accepted")
        self.assertEqual(sorted(answer.json["skipped"]), sorted(["T" * 21, "ÄB01"]))
        (request,) = self.sent(cp)
        (entry,) = request.local_authorization_list
        self.assertEqual((entry.id_tag, entry.id_tag_info.parent_id_tag), ("GOOD", None))

    @inlineCallbacks
    def test_differential_split(self):
        """
        A Differential with more changes than SendLocalListMaxLength goes
        as several Differentials, each with the next version; once all
        are accepted nothing is pending.
        """
        cp = yield self.booted()
        yield self.post("/api/v1/chargepoints/CP1/locallist", {"updateType": "Full"})
        cp.answers["GetConfiguration"] = limits(send=2)
        yield self.tags("A", "B", "C")
        answer = yield self.post("/api/v1/chargepoints/CP1/locallist", {"updateType": "Differential"})
        self.assertEqual(
            [(r["updateType"], r["listVersion"], r["entries"]) for r in answer.json["requests"]],
            [("Differential", 2, 2), ("Differential", 3, 1)],
        )
        state = yield self.get("/api/v1/chargepoints/CP1/locallist")
        self.assertEqual((state.json["listVersion"], state.json["pendingChanges"]), (3, 0))


class PostgreSQLLocalListTests(PostgreSQLCentralSystemMixin, LocalListTests):
    """
    The same, with the central system on the PostgreSQL store.
    """
