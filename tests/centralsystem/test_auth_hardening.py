"""
Tests of the central system's authentication under attack
(L{openocpp.centralsystem.credentials}): passwords hashed off the reactor
thread with bounded work, verified ones remembered, no timing oracle for
unknown identities, failures rate limited per peer and per identity and
recorded as security events, and the registered security profile as the
least a charge point must meet.
"""

import hashlib
import threading

from twisted.internet import reactor
from twisted.internet.endpoints import TCP4ClientEndpoint
from twisted.internet.protocol import Factory
from twisted.internet.task import Clock
from twisted.internet.testing import EventLoggingObserver
from twisted.logger import globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase, TestCase

from openocpp import hookimpl
from openocpp.centralsystem import credentials
from openocpp.centralsystem.config import CentralSystemConfig
from openocpp.centralsystem.credentials import (
    SECURITY_EVENT_TYPE,
    AuthenticationGuard,
    CredentialsPolicy,
    FailureLimiter,
    PasswordVerifier,
    hash_password,
    password_candidates,
)
from openocpp.centralsystem.store import CentralSystemStore
from openocpp.transport.errors import HandshakeFailed
from openocpp.transport.security import AuthenticationRefused, basic_authorization
from openocpp.messages import security
from tests.centralsystem.fake_chargepoint import BOOT, CentralSystemMixin
from tests.transport.loopback import RawClient, handshake_request
from tests.web.api_client import ApiMixin

KEY = "0123456789abcdef0123"


class HashCounter:
    """
    Counts the PBKDF2 iterations computed (the cost of checking).
    """

    def __init__(self, case):
        self.iterations = 0
        self._real = hashlib.pbkdf2_hmac
        case.patch(hashlib, "pbkdf2_hmac", self)

    def __call__(self, name, password, salt, iterations, *rest):
        self.iterations += iterations
        return self._real(name, password, salt, iterations, *rest)

    def take(self):
        counted, self.iterations = self.iterations, 0
        return counted


class VerifierTests(SynchronousTestCase):
    """
    L{PasswordVerifier} on the calling thread: what it costs and what it
    remembers.
    """

    def test_candidates_at_most_two(self):
        """
        A password stands for at most two stored forms: its text (a
        hexadecimal key in lower case) and its raw bytes' hexadecimal text.
        """
        self.assertEqual(password_candidates(b"ABCDEF"), ["abcdef", "414243444546"])
        self.assertEqual(password_candidates(b"Secret"), ["Secret", "536563726574"])
        self.assertEqual(password_candidates(b"\xff\x00\x01"), ["ff0001"])

    def test_unknown_identity_costs_a_wrong_password(self):
        """
        Checking a password for an identity without one hashes exactly as
        much as checking a wrong password (no timing oracle), for every
        form a password may take; the answer is no.
        """
        counter = HashCounter(self)
        verifier = PasswordVerifier()
        stored = hash_password(KEY)
        counter.take()
        for sent in (b"wrong-password-0000", b"ABCDEF0123", b"\xff\xfe\x00\x01" * 4):
            self.assertFalse(self.successResultOf(verifier.verify("CP1", stored, sent)))
            wrong = counter.take()
            self.assertFalse(self.successResultOf(verifier.verify("NOBODY", None, sent)))
            unknown = counter.take()
            self.assertGreater(wrong, 0)
            self.assertEqual(unknown, wrong, sent)

    def test_verified_password_remembered(self):
        """
        A password that matched is remembered: checking it again hashes
        nothing.  A changed password is not matched by the old one.
        """
        counter = HashCounter(self)
        verifier = PasswordVerifier()
        stored = hash_password(KEY)
        counter.take()
        self.assertTrue(self.successResultOf(verifier.verify("CP1", stored, KEY.encode())))
        self.assertGreater(counter.take(), 0)
        self.assertTrue(verifier.remembers("CP1", stored, KEY.encode()))
        self.assertTrue(self.successResultOf(verifier.verify("CP1", stored, KEY.encode())))
        self.assertEqual(counter.take(), 0)
        # Another identity, or the password changed: not remembered.
        self.assertFalse(verifier.remembers("CP2", stored, KEY.encode()))
        changed = hash_password("fedcba9876543210fedc")
        self.assertFalse(verifier.remembers("CP1", changed, KEY.encode()))
        self.assertFalse(self.successResultOf(verifier.verify("CP1", changed, KEY.encode())))

    def test_remembered_under_a_keyed_hash(self):
        """
        What is remembered holds no password: keys are keyed hashes.
        """
        verifier = PasswordVerifier()
        stored = hash_password(KEY)
        self.successResultOf(verifier.verify("CP1", stored, KEY.encode()))
        (key,) = verifier._remembered
        self.assertNotIn(KEY.encode(), key)
        self.assertEqual(len(key), 32)
        self.assertNotEqual(PasswordVerifier()._key("CP1", KEY), verifier._key("CP1", KEY))


class ThreadPoolTests(TestCase):
    """
    L{PasswordVerifier} with its thread pool.
    """

    def verifier(self, **options):
        verifier = PasswordVerifier(reactor, **options)
        verifier.start()
        self.addCleanup(verifier.stop)
        return verifier

    async def test_hashed_off_the_reactor_thread(self):
        """
        The hash is computed in the verifier's own thread, not the
        reactor's: verify answers with a Deferred that fires later.
        """
        threads = []
        real = credentials._matches_any

        def recording(candidates, stored):
            threads.append(threading.current_thread())
            return real(candidates, stored)

        self.patch(credentials, "_matches_any", recording)
        verifier = self.verifier()
        checking = verifier.verify("CP1", hash_password(KEY), KEY.encode())
        self.assertFalse(checking.called)
        self.assertTrue(await checking)
        self.assertEqual(len(threads), 1)
        self.assertIsNot(threads[0], threading.current_thread())
        self.assertIn("openocpp-credentials", threads[0].name)

    async def test_bounded_work(self):
        """
        Beyond C{max_pending} checks at once, more are refused at once with
        503 and a Retry-After, without hashing.
        """
        verifier = self.verifier(max_pending=2)
        stored = hash_password(KEY)
        first = verifier.verify("CP1", stored, b"wrong-1")
        second = verifier.verify("CP1", stored, b"wrong-2")
        with self.assertRaises(AuthenticationRefused) as raised:
            verifier.verify("CP1", stored, b"wrong-3")
        self.assertEqual(raised.exception.code, 503)
        self.assertEqual(raised.exception.retry_after, 1.0)
        self.assertEqual([await first, await second], [False, False])
        self.assertEqual(verifier.pending, 0)
        self.assertTrue(await verifier.verify("CP1", stored, KEY.encode()))

    async def test_restarts(self):
        """
        A verifier stopped and started again checks passwords (with a new
        pool) and counts its pending checks from zero.
        """
        verifier = PasswordVerifier(reactor, max_pending=1)
        verifier.start()
        verifier.stop()
        verifier.start()
        self.addCleanup(verifier.stop)
        self.assertEqual(verifier.pending, 0)
        self.assertTrue(await verifier.verify("CP1", hash_password(KEY), KEY.encode()))
        self.assertEqual(verifier.pending, 0)

    def test_stopped_refuses(self):
        """
        A stopped verifier refuses with 503 rather than never answering.
        """
        verifier = PasswordVerifier(reactor)
        with self.assertRaises(AuthenticationRefused) as raised:
            verifier.verify("CP1", hash_password(KEY), KEY.encode())
        self.assertEqual(raised.exception.code, 503)


class OptionsTests(SynchronousTestCase):
    """
    The limits are options of C{twistd openocpp centralsystem}.
    """

    def test_options(self):
        """
        Each option sets its setting; the defaults are the safe ones.
        """
        from openocpp.centralsystem.tap import CentralSystemOptions

        options = CentralSystemOptions()
        options.parseOptions([])
        config = options.config
        self.assertEqual(
            (config.auth_failures_per_peer, config.auth_failures_per_identity, config.auth_failure_window),
            (10, 5, 60.0),
        )
        self.assertEqual((config.auth_threads, config.auth_max_pending), (1, 32))
        self.assertFalse(config.unicode_identities)
        options = CentralSystemOptions()
        options.parseOptions([
            "--auth-failures-per-peer", "0", "--auth-failures-per-identity", "3",
            "--auth-failure-window", "5", "--auth-threads", "2", "--auth-max-pending", "8",
            "--unicode-identities",
        ])
        config = options.config
        self.assertEqual(
            (config.auth_failures_per_peer, config.auth_failures_per_identity, config.auth_failure_window,
             config.auth_threads, config.auth_max_pending, config.unicode_identities),
            (0, 3, 5.0, 2, 8, True),
        )

    def test_bad_values_refused(self):
        """
        A negative limit, or no thread, is a usage error naming it.
        """
        from twisted.python.usage import UsageError

        from openocpp.centralsystem.tap import CentralSystemOptions

        for arguments, name in [
            # (a word of the setting, whether named as an option or not)
            (["--auth-failures-per-peer", "-1"], "peer"),
            (["--auth-threads", "0"], "threads"),
            (["--auth-failure-window", "0"], "window"),
        ]:
            with self.assertRaises(UsageError) as raised:
                CentralSystemOptions().parseOptions(arguments)
            self.assertIn(name, str(raised.exception))


class FailureLimiterTests(SynchronousTestCase):
    """
    L{FailureLimiter}'s sliding window.
    """

    def test_lockout_and_expiry(self):
        """
        The third failure within the window locks the key out (reported
        once) until the oldest failure is older than the window.
        """
        clock = Clock()
        limiter = FailureLimiter(clock, limit=3, window=60)
        self.assertFalse(limiter.failed("a"))
        clock.advance(10)
        self.assertFalse(limiter.failed("a"))
        self.assertEqual(limiter.retry_after("a"), 0)
        self.assertTrue(limiter.failed("a"))
        self.assertEqual(limiter.retry_after("a"), 50)
        self.assertEqual(limiter.retry_after("b"), 0)
        self.assertFalse(limiter.failed("a"), "a lockout is reported once")
        clock.advance(50)
        self.assertEqual(limiter.retry_after("a"), 0)

    def test_no_limit(self):
        """
        A limit of 0 never locks out.
        """
        limiter = FailureLimiter(Clock(), limit=0, window=60)
        self.assertFalse(any(limiter.failed("a") for _ in range(100)))
        self.assertEqual(limiter.retry_after("a"), 0)

    def test_keys_bounded(self):
        """
        However many keys fail, at most C{max_keys} are tracked.
        """
        clock = Clock()
        limiter = FailureLimiter(clock, limit=3, window=60, max_keys=100)
        for number in range(1000):
            limiter.failed(f"identity-{number}")
        self.assertLessEqual(len(limiter._failures), 100)


class GuardTests(SynchronousTestCase):
    """
    L{AuthenticationGuard} on a fake clock.
    """

    def test_lockout_answer_delayed(self):
        """
        Once locked out, an attempt waits C{lockout_delay} seconds for its
        429 (a tarpit), without asking the authenticator.
        """
        clock = Clock()
        store = CentralSystemStore(":memory:", clock)
        self.addCleanup(store.close)
        asked = []

        def refuse(identity, password, certificate, peer):
            asked.append(identity)
            return False

        guard = AuthenticationGuard(
            refuse, clock, store, PasswordVerifier(), per_peer=2, per_identity=0, lockout_delay=1.0
        )
        for _ in range(2):
            self.assertFalse(self.successResultOf(guard("CP1", b"wrong", None, "10.0.0.1")))
        answer = guard("CP1", b"wrong", None, "10.0.0.1")
        self.assertNoResult(answer)
        clock.advance(1.0)
        refused = self.failureResultOf(answer, AuthenticationRefused).value
        self.assertEqual((refused.code, round(refused.retry_after)), (429, 60))
        self.assertEqual(len(asked), 2)
        # Another address is not locked out.
        self.assertFalse(self.successResultOf(guard("CP1", b"wrong", None, "10.0.0.2")))
        self.assertEqual(clock.getDelayedCalls(), [])


class PolicyTests(SynchronousTestCase):
    """
    L{CredentialsPolicy}: the registered profile and password are the least
    a charge point must meet.
    """

    def policy(self, **config):
        store = CentralSystemStore(":memory:", Clock())
        self.addCleanup(store.close)
        policy = CredentialsPolicy(store, CentralSystemConfig(database=":memory:", **config), PasswordVerifier())
        return store, policy

    def refusal(self, policy, identity, password):
        try:
            result = policy.check(identity, password, None, None)
        except AuthenticationRefused as refused:
            return refused
        failure = self.failureResultOf(result, AuthenticationRefused)
        return failure.value

    def test_unknown_identity_answered_as_wrong_password(self):
        """
        At profile 1, an unknown identity, one without a password and a
        wrong password get the same 401 with the same reason.
        """
        store, policy = self.policy(security_profile=1)
        store.register_charge_point("CP1", password=KEY)
        store.register_charge_point("AUTO")
        answers = {
            (refused.code, refused.reason)
            for refused in (
                self.refusal(policy, "CP1", b"wrong-password-0000"),
                self.refusal(policy, "AUTO", b"wrong-password-0000"),
                self.refusal(policy, "NOBODY", b"wrong-password-0000"),
            )
        }
        self.assertEqual(answers, {(401, "charge point not authorized")})


class CentralSystemAuthTests(CentralSystemMixin, TestCase):
    """
    On loopback: the handshake's answers.
    """

    timeout = 30

    async def raw(self, identity, password=None):
        """
        A hand-written handshake as C{identity}; its status line and headers.
        """
        headers = {}
        if password is not None:
            headers["Authorization"] = basic_authorization(identity, password)
        client = RawClient(handshake_request("/ocpp/" + identity, headers=headers))
        endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", self.central.port.getHost().port)
        await endpoint.connect(Factory.forProtocol(lambda: client))
        answer = (await client.done).split(b"\r\n\r\n", 1)[0].decode("latin-1")
        status, *lines = answer.split("\r\n")
        return status, dict(line.split(": ", 1) for line in lines)

    async def refused_status(self, identity, password=None, security_profile=0):
        try:
            await self.connect(identity, password=password, security_profile=security_profile)
        except HandshakeFailed as failed:
            return failed.status
        self.fail(f"{identity} was let in")

    async def test_registered_profile_is_a_minimum(self):
        """
        On a profile 0 listener, a charge point registered with a password
        or with security profile 1 needs its password (401 without it or
        with a wrong one); one registered for profile 2 or 3 is refused on
        a plain listener, even with its password.  Others still get in
        without credentials.
        """
        await self.start_central_system()
        store = self.central.store
        store.register_charge_point("PW", password=KEY)
        store.register_charge_point("P1", password=KEY, security_profile=1)
        store.register_charge_point("P2", password=KEY, security_profile=2)
        store.register_charge_point("P3", security_profile=3)
        store.register_charge_point("P1-NOPW", security_profile=1)
        for identity in ("PW", "P1", "P2", "P3", "P1-NOPW"):
            status, headers = await self.raw(identity)
            self.assertTrue(status.startswith("HTTP/1.1 401 "), (identity, status))
            self.assertIn("WWW-Authenticate", headers)
        for identity in ("PW", "P1", "P1-NOPW"):
            status = await self.refused_status(identity, "wrong-password-0000", security_profile=1)
            self.assertEqual(status, 401, identity)
        for identity in ("P2", "P3"):
            status = await self.refused_status(identity, KEY, security_profile=1)
            self.assertEqual(status, 401, identity)
        for identity in ("PW", "P1"):
            charge_point = await self.connect(identity, password=KEY, security_profile=1)
            self.assertEqual((await charge_point.call(BOOT)).status, "Accepted")
        other = await self.connect("OTHER")
        self.assertTrue(other.connection.open)

    async def test_tls_listener_without_client_certificates_refuses_profile_3(self):
        """
        A profile 2 listener refuses a charge point registered for profile
        3 (it asks for no client certificate), even with a password.
        """
        from tests.transport.certificates import client_options, tls_files

        tls = tls_files()
        await self.start_central_system(
            security_profile=2, tls_key=str(tls.server.key), tls_certificate=str(tls.server.certificate)
        )
        self.central.store.register_charge_point("CP001", password=KEY, security_profile=3)
        try:
            await self.connect("CP001", password=KEY, security_profile=2, tls_options=client_options(tls))
        except HandshakeFailed as failed:
            self.assertEqual(failed.status, 401)
        else:
            self.fail("a profile 3 charge point got in without a client certificate")

    async def test_no_takeover_without_password(self):
        """
        At profile 1, an identity registered without a password (as
        C{--unknown-chargepoints accept} does at boot) and an unknown one
        are refused whatever password is given: nobody takes them over.
        """
        await self.start_central_system(security_profile=1, unknown_charge_points="accept")
        self.central.store.register_charge_point("AUTO")
        for identity in ("AUTO", "NEW"):
            status = await self.refused_status(identity, "any-password-000000", security_profile=1)
            self.assertEqual(status, 401, identity)
        self.assertEqual(self.central.charge_points(), [])
        self.assertIsNone(self.central.store.charge_point("NEW"))

    async def test_lockout_per_peer(self):
        """
        After C{auth_failures_per_peer} wrong passwords from one address,
        it is refused with 429 and Retry-After, without hashing, even with
        a right password not seen before; a password verified before still
        gets in.  The lockout is logged once and recorded as a security
        event of the central system.
        """
        observer = EventLoggingObserver()
        globalLogPublisher.addObserver(observer)
        self.addCleanup(globalLogPublisher.removeObserver, observer)
        await self.start_central_system(
            security_profile=1, auth_failures_per_peer=3, auth_failures_per_identity=0
        )
        store = self.central.store
        store.register_charge_point("HONEST", password=KEY)
        store.register_charge_point("OTHER", password=KEY)
        honest = await self.connect("HONEST", password=KEY, security_profile=1)
        await honest.close()
        for attempt in range(3):
            status, _ = await self.raw(f"GUESS{attempt}", b"wrong-password-0000")
            self.assertTrue(status.startswith("HTTP/1.1 401 "), status)
        counter = HashCounter(self)
        status, headers = await self.raw("OTHER", KEY)
        self.assertTrue(status.startswith("HTTP/1.1 429 "), status)
        self.assertGreater(int(headers["Retry-After"]), 50)
        self.assertEqual(counter.take(), 0)
        again = await self.connect("HONEST", password=KEY, security_profile=1)
        self.assertTrue(again.connection.open)
        events = [each for each in store.security_events() if each["origin"] == "CentralSystem"]
        self.assertEqual(len(events), 1)
        self.assertEqual(events[0]["type"], SECURITY_EVENT_TYPE)
        self.assertEqual(events[0]["peer"], "127.0.0.1")
        self.assertIn("3 failed authentications from 127.0.0.1", events[0]["tech_info"])
        lockouts = [each for each in observer if "Locking out" in each.get("log_format", "")]
        self.assertEqual(len(lockouts), 1)

    async def test_lockout_per_identity(self):
        """
        After C{auth_failures_per_identity} wrong passwords for one
        identity, that identity is refused with 429; others are not.
        """
        await self.start_central_system(
            security_profile=1, auth_failures_per_peer=0, auth_failures_per_identity=2
        )
        store = self.central.store
        store.register_charge_point("VICTIM", password=KEY)
        store.register_charge_point("OTHER", password=KEY)
        for attempt in range(2):
            status, _ = await self.raw("VICTIM", b"wrong-password-0000")
            self.assertTrue(status.startswith("HTTP/1.1 401 "), status)
        status, headers = await self.raw("VICTIM", KEY)
        self.assertTrue(status.startswith("HTTP/1.1 429 "), status)
        self.assertIn("Retry-After", headers)
        other = await self.connect("OTHER", password=KEY, security_profile=1)
        self.assertTrue(other.connection.open)
        (event,) = store.security_events("VICTIM")
        self.assertEqual(event["origin"], "CentralSystem")

    async def test_central_system_hashes_in_its_pool(self):
        """
        The running central system checks passwords in its own threads,
        not on the reactor thread.
        """
        threads = []
        real = credentials._matches_any

        def recording(candidates, stored):
            threads.append(threading.current_thread())
            return real(candidates, stored)

        self.patch(credentials, "_matches_any", recording)
        await self.start_central_system(security_profile=1)
        self.central.store.register_charge_point("CP1", password=KEY)
        charge_point = await self.connect("CP1", password=KEY, security_profile=1)
        self.assertTrue(charge_point.connection.open)
        self.assertEqual(len(threads), 1)
        self.assertIsNot(threads[0], threading.current_thread())
        self.assertIn("openocpp-credentials", threads[0].name)

    async def test_embedded_behaviour_shares_the_pool(self):
        """
        A central system embedded by hand, with plugins of its own, hashes
        in the pool the service starts: its built-in behaviour is the
        service's.
        """
        from openocpp.centralsystem.service import CentralSystem

        threads = []
        real = credentials._matches_any

        def recording(candidates, stored):
            threads.append(threading.current_thread())
            return real(candidates, stored)

        self.patch(credentials, "_matches_any", recording)
        config = CentralSystemConfig(
            listen="tcp:0:interface=127.0.0.1", database=":memory:", ping_interval=0, security_profile=1
        )
        connected = []

        class Site:
            @hookimpl
            def openocpp_cs_charge_point_connected(self, charge_point):
                connected.append(charge_point.identity)

        self.config = config
        self.central = CentralSystem(config, reactor=reactor, plugins=[Site()], load_entrypoints=False)
        store = self.central.store
        self.central.startService()
        self.addCleanup(self.central.stopService)
        await self.central.when_listening().addCallback(self._listening)
        store.register_charge_point("CP1", password=KEY)
        charge_point = await self.connect("CP1", password=KEY, security_profile=1)
        self.assertTrue(charge_point.connection.open)
        self.assertEqual(len(threads), 1)
        self.assertIn("openocpp-credentials", threads[0].name)
        self.assertEqual(connected, ["CP1"])

    async def test_one_log_line_per_refusal(self):
        """
        A wrong password is logged once by openocpp: the handshake's
        refusal.
        """
        observer = EventLoggingObserver()
        globalLogPublisher.addObserver(observer)
        self.addCleanup(globalLogPublisher.removeObserver, observer)
        await self.start_central_system(security_profile=1)
        self.central.store.register_charge_point("CP1", password=KEY)
        before = len(observer)
        status, _ = await self.raw("CP1", b"wrong-password-0000")
        self.assertTrue(status.startswith("HTTP/1.1 401 "), status)
        lines = [
            each for each in list(observer)[before:]
            if each.get("log_namespace", "").startswith("openocpp")
            and each["log_level"].name in ("warn", "error")
        ]
        self.assertEqual(len(lines), 1, [each.get("log_format") for each in lines])
        self.assertIn("wrong password", lines[0]["reason"])
        before = len(observer)
        status, _ = await self.raw("NOBODY", b"wrong-password-0000")
        self.assertTrue(status.startswith("HTTP/1.1 401 "), status)
        self.assertNotIn("unknown", status)
        (line,) = [each for each in list(observer)[before:] if "Refused" in each.get("log_format", "")]
        self.assertIn("unknown identity", line["reason"])


class LockoutEventsApiTests(ApiMixin, TestCase):
    """
    The central system's own security events in the HTTP API.
    """

    timeout = 30

    async def test_lockout_listed_in_events(self):
        """
        A lockout is listed by C{GET /api/v1/events?kind=security} with
        origin C{CentralSystem} and the peer's address; a charge point's
        own event has origin C{ChargePoint}.
        """
        await self.start(security_profile=1, auth_failures_per_peer=2, auth_failures_per_identity=0)
        store = self.central.store
        store.register_charge_point("CP1", password=KEY)
        store.record_security_event(
            "CP1", security.SecurityEventNotificationRequest(type="FirmwareUpdated", timestamp=store.now())
        )
        for _ in range(2):
            client = RawClient(
                handshake_request(
                    "/ocpp/CP1",
                    headers={"Authorization": basic_authorization("CP1", b"wrong-password-0000")},
                )
            )
            endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", self.central.port.getHost().port)
            await endpoint.connect(Factory.forProtocol(lambda: client))
            await client.done
        answer = await self.get("/api/v1/events?kind=security")
        items = answer.json["items"]
        self.assertEqual([item["origin"] for item in items], ["CentralSystem", "ChargePoint"])
        lockout = items[0]
        self.assertEqual(lockout["type"], SECURITY_EVENT_TYPE)
        self.assertEqual(lockout["chargePoint"], "CP1")
        self.assertEqual(lockout["peer"], "127.0.0.1")
        self.assertIn("2 failed authentications from 127.0.0.1", lockout["techInfo"])
        self.assertIsNone(items[1]["peer"])
