"""
Charge point credentials: the stored form of an AuthorizationKey, the
check of a Basic-auth password off the reactor thread, the limits on failed
attempts, and the built-in decision on who may connect::

    verifier = PasswordVerifier(reactor, threads=1)
    verifier.start()
    policy = CredentialsPolicy(store, config, verifier)
    guard = AuthenticationGuard(policy.check, reactor, store, verifier)
    factory = OcppServerFactory(handler_factory, authenticator=guard)

A password is stored as a salted PBKDF2 hash, so checking one costs ~10 ms
of CPU per form it may take.  That work runs in a small thread pool of the
verifier's own (C{hashlib} releases the GIL), never on the reactor thread,
and at most C{max_pending} checks wait for it; a password once verified is
remembered (under a keyed hash of the identity and the password, with the
stored hash it matched), so an honest charge point's reconnection costs no
hashing at all, and a changed password is never matched by the old one.

An identity with no password is checked against a dummy hash of the same
cost, so the time an answer takes does not tell a registered identity from
an unknown one.

L{AuthenticationGuard} counts failed attempts per peer address and per
identity in a sliding window; once either reaches its limit, attempts are
refused with HTTP 429 and C{Retry-After} (after a second's wait: a tarpit),
without hashing, until the oldest failure leaves the window.  A password the verifier remembers still gets
in, so an attacker sharing an honest charge point's address (NAT) or
hammering its identity does not lock it out.  Each lockout is logged once
and recorded as a security event of the central system itself.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any, Callable

from twisted.internet.defer import Deferred, maybeDeferred, succeed
from twisted.internet.task import deferLater
from twisted.internet.threads import deferToThreadPool
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.python.threadpool import ThreadPool

from openocpp.transport.security import AuthenticationRefused

HASH_ITERATIONS = 20_000
"""
PBKDF2-SHA256 iterations of a newly stored password.
"""

SECURITY_EVENT_TYPE = "FailedToAuthenticateAtCentralSystem"
"""
The type of the security event recorded when a peer or an identity is
locked out: the Security Whitepaper's name (section 8) for credentials the
central system rejected, recorded here by the central system itself.
"""

_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})+")


def normalised_key(password: str) -> str:
    """
    The form a charge point's AuthorizationKey is stored in: a hexadecimal
    key in lower case (the form every way of sending it is compared in),
    any other text as it is.
    """
    return password.lower() if _HEX.fullmatch(password) else password


def hash_password(password: str, salt: bytes | None = None) -> str:
    """
    A salted PBKDF2-SHA256 hash of a charge point's AuthorizationKey, as
    C{pbkdf2_sha256$iterations$salt$hash} (hex).

    @param password: the key, in its L{normalised_key} form.
    @param salt: 16 random bytes by default.
    """
    salt = os.urandom(16) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, HASH_ITERATIONS)
    return f"pbkdf2_sha256${HASH_ITERATIONS}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    """
    Whether C{password} matches a hash made by L{hash_password}, compared in
    constant time.  Blocks for the hash's cost: call it off the reactor
    thread (see L{PasswordVerifier}).
    """
    try:
        scheme, iterations, salt, expected = stored.split("$")
        salt_bytes, rounds = bytes.fromhex(salt), int(iterations)
    except ValueError:
        return False
    if scheme != "pbkdf2_sha256":
        return False
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt_bytes, rounds)
    return hmac.compare_digest(digest.hex(), expected)


def password_candidates(password: bytes | str) -> list[str]:
    """
    The stored forms (see L{normalised_key}) a Basic-auth password may stand
    for: OCPP-J 1.6 section 6.2.2 has the AuthorizationKey's raw bytes sent
    (their hexadecimal text is the stored form), many charge points send the
    hexadecimal text itself (in either letter case), others a text password.
    Each candidate costs one hash, so there are at most two.

    @param password: the password as sent (C{bytes}), or a C{str}.
    @return: the candidates, without repeats.
    """
    if isinstance(password, str):
        return [normalised_key(password)]
    candidates = []
    try:
        candidates.append(normalised_key(password.decode("utf-8")))
    except UnicodeDecodeError:
        pass
    raw = password.hex()
    if raw not in candidates:
        candidates.append(raw)
    return candidates


def _matches_any(candidates: list[str], stored: str) -> bool:
    # Runs in the verifier's threads.
    return any(check_password(candidate, stored) for candidate in candidates)


class PasswordVerifier:
    """
    Checks Basic-auth passwords against stored hashes in a bounded thread
    pool of its own, and remembers those that matched.

    @param reactor: the reactor the results are delivered in; C{None}
        checks on the calling thread (for a store used without a central
        system service, e.g. in an embedding's tests).
    @param threads: the most hashing threads (the pool is made by
        L{start}, ended by L{stop}).
    @param max_pending: the most checks running or waiting for a thread;
        more are refused with HTTP 503 at once.
    @param remembered: the most verified passwords remembered.
    """

    def __init__(
        self,
        reactor: Any = None,
        threads: int = 1,
        max_pending: int = 32,
        remembered: int = 10_000,
    ) -> None:
        self._reactor = reactor
        self._threads = threads
        self._max_pending = max_pending
        self._remembered_limit = remembered
        self._pool: ThreadPool | None = None
        # Checks running or waiting, of the current pool (a check queued in
        # a stopped pool never finishes: the count restarts with the pool).
        self.pending = 0
        self._generation = 0
        # A per-process key: what is remembered is worthless outside it.
        self._secret = os.urandom(32)
        # keyed hash of (identity, password) -> the stored hash it matched.
        self._remembered: OrderedDict[bytes, str] = OrderedDict()
        self._dummy = hash_password(os.urandom(20).hex())

    def start(self) -> None:
        """
        Start the thread pool (a new one each time: a stopped pool cannot
        start again).
        """
        if self._reactor is not None and self._pool is None:
            self._generation += 1
            self.pending = 0
            self._pool = ThreadPool(
                minthreads=0, maxthreads=self._threads, name="openocpp-credentials"
            )
            self._pool.start()

    def stop(self) -> None:
        """
        Stop the thread pool, waiting for the hash being computed.
        """
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.stop()

    def _key(self, identity: str, password: bytes | str) -> bytes:
        if isinstance(password, str):
            password = password.encode("utf-8")
        name = identity.encode("utf-8")
        message = len(name).to_bytes(2, "big") + name + password
        return hmac.new(self._secret, message, hashlib.sha256).digest()

    def remembers(self, identity: str, stored: str | None, password: bytes | str | None) -> bool:
        """
        Whether C{password} was verified for C{identity} against C{stored},
        its current hash (cheap: one keyed hash, no PBKDF2).
        """
        if stored is None or password is None:
            return False
        known = self._remembered.get(self._key(identity, password))
        return known is not None and hmac.compare_digest(known, stored)

    def verify(self, identity: str, stored: str | None, password: bytes | str) -> Deferred:
        """
        Check a Basic-auth password.

        @param identity: the charge point identity.
        @param stored: its stored hash, or C{None} when it has none (a dummy
            hash of the same cost is checked instead: the answer is no).
        @param password: the password as sent.
        @return: a Deferred firing with whether it matches.
        @raise AuthenticationRefused: (503) too many checks are pending, or
            the verifier is stopped.
        """
        if self.remembers(identity, stored, password):
            self._remembered.move_to_end(self._key(identity, password))
            return succeed(True)
        candidates = password_candidates(password)
        target = self._dummy if stored is None else stored
        if self._reactor is None:
            return succeed(self._verified(_matches_any(candidates, target), identity, stored, password))
        if self._pool is None:
            raise AuthenticationRefused(503, "credentials cannot be checked: the central system is stopped")
        if self.pending >= self._max_pending:
            raise AuthenticationRefused(
                503, "too many credential checks in progress", retry_after=1.0
            )
        self.pending += 1
        checking = deferToThreadPool(self._reactor, self._pool, _matches_any, candidates, target)
        checking.addBoth(self._done, self._generation)
        checking.addCallback(self._verified, identity, stored, password)
        return checking

    def _done(self, result: Any, generation: int) -> Any:
        if generation == self._generation:
            self.pending -= 1
        return result

    def _verified(self, matched: bool, identity: str, stored: str | None, password: bytes | str) -> bool:
        if not matched or stored is None:
            return False
        self._remembered[self._key(identity, password)] = stored
        if len(self._remembered) > self._remembered_limit:
            self._remembered.popitem(last=False)
        return True


class FailureLimiter:
    """
    Counts failures per key (a peer address, an identity) in a sliding
    window: a key with C{limit} failures in the last C{window} seconds is
    locked out until the oldest of them leaves the window.

    @param clock: an C{IReactorTime}.
    @param limit: failures that lock a key out; 0 for no limit.
    @param window: the window, in seconds.
    @param max_keys: the most keys tracked; beyond, those whose failures
        have all expired are forgotten first, then the oldest.
    """

    def __init__(self, clock: Any, limit: int, window: float, max_keys: int = 10_000) -> None:
        self._clock = clock
        self.limit = limit
        self.window = window
        self._max_keys = max_keys
        self._failures: dict[Any, deque] = {}

    def _recent(self, key: Any, now: float) -> deque | None:
        times = self._failures.get(key)
        if times is None:
            return None
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[key]
            return None
        return times

    def retry_after(self, key: Any) -> float:
        """
        @return: the seconds until C{key} may try again; 0 when it may now.
        """
        if not self.limit:
            return 0.0
        now = self._clock.seconds()
        times = self._recent(key, now)
        if times is None or len(times) < self.limit:
            return 0.0
        return times[0] + self.window - now

    def failed(self, key: Any) -> bool:
        """
        Count a failure of C{key}.

        @return: whether this failure locks the key out (once per lockout).
        """
        if not self.limit:
            return False
        now = self._clock.seconds()
        times = self._recent(key, now)
        if times is None:
            if len(self._failures) >= self._max_keys:
                self._forget(now)
            times = self._failures[key] = deque(maxlen=self.limit)
        if len(times) >= self.limit:
            # Locked out already (a check that began before): the lockout
            # ends as announced.
            return False
        times.append(now)
        return len(times) >= self.limit

    def _forget(self, now: float) -> None:
        for key in list(self._failures):
            self._recent(key, now)
        while len(self._failures) >= self._max_keys:
            del self._failures[next(iter(self._failures))]


def _raise(error: Exception) -> None:
    raise error


class ListenerAddress:
    """
    A charge point's address, as the credentials hooks get it, from a
    listener whose least Security Profile is not the central system's
    (C{listen_plain}): the address's attributes (C{host}, C{port},
    C{type}, ...) and C{listener_profile}.

    @param address: the peer's C{IAddress}.
    @param listener_profile: the least profile of the listener it came to.
    """

    def __init__(self, address: Any, listener_profile: int) -> None:
        self._address = address
        self.listener_profile = listener_profile

    def __getattr__(self, name: str) -> Any:
        return getattr(self._address, name)

    def __str__(self) -> str:
        return str(self._address)

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, ListenerAddress):
            other = other._address
        return self._address == other

    def __hash__(self) -> int:
        return hash(self._address)


def _host(peer: Any) -> str:
    """
    The address a peer's failures are counted under: its host.
    """
    return str(getattr(peer, "host", peer))


class AuthenticationGuard:
    """
    An authenticator (see L{openocpp.transport.server.OcppServerFactory})
    around another: it refuses peers and identities that failed too often
    (HTTP 429), counts the failures of the one it wraps, and records each
    lockout as a security event of the central system.

    A failure is a refusal of a presented password (an answer of C{False},
    or L{AuthenticationRefused} with 401 or 403): a connection without
    credentials costs no hashing and guesses nothing.

    @param authenticator: the authenticator deciding.
    @param clock: an C{IReactorTime}.
    @param store: the store (for the stored hash a remembered password is
        compared with, and the security events).
    @param verifier: the L{PasswordVerifier} whose remembered passwords get
        in during a lockout.
    @param per_peer: failures from one peer address that lock it out (0: no
        limit).
    @param per_identity: failures for one identity that lock it out (0: no
        limit).
    @param window: seconds over which failures are counted.
    @param lockout_delay: seconds a locked-out attempt waits for its 429:
        each attacking connection then makes one attempt a second rather
        than hundreds, which would keep the reactor busy accepting them.
    """

    log = Logger()

    def __init__(
        self,
        authenticator: Callable[..., Any],
        clock: Any,
        store: Any,
        verifier: PasswordVerifier,
        per_peer: int = 10,
        per_identity: int = 5,
        window: float = 60.0,
        lockout_delay: float = 1.0,
    ) -> None:
        self._authenticator = authenticator
        self._clock = clock
        self._lockout_delay = lockout_delay
        self._store = store
        self._verifier = verifier
        self._peers = FailureLimiter(clock, per_peer, window)
        self._identities = FailureLimiter(clock, per_identity, window)
        self._window = window

    def __call__(self, identity: str, password: bytes | None, certificate: Any, peer: Any) -> Deferred:
        """
        Decide on a charge point, as an authenticator.

        @raise AuthenticationRefused: (429) it is locked out.
        """
        host = _host(peer)
        wait = max(self._peers.retry_after(host), self._identities.retry_after(identity))
        if wait > 0 and not self._remembered(identity, password):
            refused = AuthenticationRefused(
                429,
                "too many failed authentications: try again later",
                retry_after=wait,
            )
            if self._lockout_delay <= 0:
                raise refused
            return deferLater(self._clock, self._lockout_delay, _raise, refused)
        deciding = maybeDeferred(self._authenticator, identity, password, certificate, peer)
        if password is not None:
            deciding.addCallbacks(
                self._decided,
                self._refused,
                callbackArgs=(identity, host),
                errbackArgs=(identity, host),
            )
        return deciding

    def _remembered(self, identity: str, password: bytes | None) -> bool:
        if password is None:
            return False
        record = self._store.charge_point_credentials(identity)
        return record is not None and self._verifier.remembers(identity, record.password_hash, password)

    def _decided(self, accepted: Any, identity: str, host: str) -> Any:
        if not accepted:
            self._failed(identity, host)
        return accepted

    def _refused(self, failure: Failure, identity: str, host: str) -> Failure:
        if failure.check(AuthenticationRefused) and failure.value.code in (401, 403):
            self._failed(identity, host)
        return failure

    def _failed(self, identity: str, host: str) -> None:
        for limiter, key, what in (
            (self._peers, host, f"from {host}"),
            (self._identities, identity, f"for charge point {identity!r}"),
        ):
            if not limiter.failed(key):
                continue
            tech_info = (
                f"{limiter.limit} failed authentications {what} in {self._window:g} s; "
                f"further attempts refused (HTTP 429) until they are older than that"
            )
            self.log.warn(
                "Locking out {what}: {tech_info} (last attempt: {identity} from {peer})",
                what=what,
                tech_info=tech_info,
                identity=identity,
                peer=host,
            )
            try:
                self._store.record_central_system_event(
                    identity, host, SECURITY_EVENT_TYPE, tech_info
                )
            except Exception:
                self.log.failure("Recording the lockout {what} failed", what=what)


@dataclass(frozen=True)
class ChargePointCredentials:
    """
    What the store holds to authenticate a charge point.

    @ivar password_hash: its password's hash (see L{hash_password}), or
        C{None}.
    @ivar security_profile: the Security Profile registered for it (the
        least it must connect with), or C{None}.
    """

    password_hash: str | None
    security_profile: int | None


LOWER_PROFILE_EVENT = "LowerSecurityProfileRefused"
"""
The type of the security event the central system records when it refuses
a charge point connecting with a lower Security Profile than the one it is
registered for, or once connected with (A05.FR.09).
"""


class CredentialsPolicy:
    """
    The built-in decision on a charge point's credentials (asked by
    L{openocpp.centralsystem.behaviour.DefaultCentralSystemBehaviour}'s
    C{openocpp_cs_check_credentials}).

    The profile a charge point must meet is the highest of the listener's,
    the one registered for it, and 1 when it has a password: a minimum, so
    that a charge point moving up (1 to 2 to 3, as the whitepaper's
    upgrade path does) is let in before its registration is changed:

      - 2 or 3 on a plain (C{ws://}) listener: refused (401);
      - a client certificate (verified by TLS against the CA, its subject
        checked by L{CertificateCheck}) meets every profile: it gets in;
      - 3 without a client certificate: refused (401);
      - 1 or 2: its registered password must be given (401 without it);
        an identity with none is never let in (no takeover of an identity
        registered without a password, e.g. by C{--unknown-chargepoints
        accept}), after a check against a dummy hash of the same cost;
      - 0: everyone gets in, unless unknown charge points are refused.

    A registered charge point let in with profile 2 or 3 has its
    registered profile raised to it (A05.FR.09: it is never let in with a
    lower one again); a refusal because of the registered profile is a
    security event of the central system (L{LOWER_PROFILE_EVENT}).

    @param store: the store.
    @param config: the L{openocpp.centralsystem.interfaces.ICentralSystemConfig}.
    @param verifier: the L{PasswordVerifier}.
    """

    log = Logger()

    def __init__(self, store: Any, config: Any, verifier: PasswordVerifier) -> None:
        self._store = store
        self._config = config
        self._verifier = verifier

    def check(self, identity: str, password: bytes | None, certificate: Any, peer: Any) -> Any:
        """
        Decide on a charge point, as an authenticator.

        @return: C{True}, C{False} or a Deferred of one.
        @raise AuthenticationRefused: (401) it lacks the credentials its
            registration needs.
        """
        record = self._store.charge_point_credentials(identity)
        # The listener's least profile: the central system's, or the plain
        # listener's beside it (ListenerAddress).
        listener = int(getattr(peer, "listener_profile", self._config.security_profile))
        stored = None if record is None else record.password_hash
        registered = 0 if record is None or record.security_profile is None else record.security_profile
        required = max(listener, registered, 0 if stored is None else 1)
        if required >= 2 and listener < 2:
            self._lower_profile(identity, peer, registered, 1 if password is not None else 0)
            raise AuthenticationRefused(
                401, f"charge point is registered for security profile {required}: connect with TLS (wss://)"
            )
        if certificate is not None:
            # Profile 3, the most any registration asks.
            required = 0
        elif required == 3:
            self._lower_profile(identity, peer, registered, 2)
            raise AuthenticationRefused(
                401, "charge point is registered for security profile 3: connect with a client certificate"
            )
        # The profile this connection meets, when it is one A05.FR.09 keeps
        # the charge point to from now on (1 is already required of every
        # charge point with a password).
        met = 3 if certificate is not None else 2 if listener >= 2 else 0
        if required in (1, 2):
            if password is None:
                raise AuthenticationRefused(
                    401, "charge point is registered with a password: give it with HTTP Basic"
                )
            checked = self._verifier.verify(identity, stored, password)
            return checked.addCallback(self._verified, record, stored).addCallback(
                self._met, identity, registered, met
            )
        if self._config.unknown_charge_points == "reject":
            approved = self._store.is_approved(identity)
        else:
            approved = True
        if record is not None:
            self._met(approved, identity, registered, met)
        return approved

    def _met(self, allowed: bool, identity: str, registered: int, met: int) -> bool:
        # A05.FR.09: a charge point let in with profile 2 or 3 is never let
        # in with a lower one again (an operator may lower its registration
        # through the API).
        if allowed and met >= 2 and met > registered:
            try:
                self._store.raise_security_profile(identity, met)
            except Exception:
                self.log.failure("Raising the security profile of {identity} failed", identity=identity)
            else:
                self.log.info(
                    "Charge point {identity} connected with security profile {profile}: "
                    "a lower one is refused from now on (A05.FR.09)",
                    identity=identity,
                    profile=met,
                )
        return allowed

    def _lower_profile(self, identity: str, peer: Any, registered: int, offered: int) -> None:
        # Only a registration asking more than the connection offers is a
        # security event; the listener's own minimum is a set-up matter.
        if registered <= offered:
            return
        detail = f"registered for security profile {registered}, connecting with profile {offered} at most"
        self.log.warn(
            "Refusing {identity} from {peer}: {detail} (A05.FR.09)",
            identity=identity,
            peer=_host(peer),
            detail=detail,
        )
        try:
            self._store.record_central_system_event(identity, _host(peer), LOWER_PROFILE_EVENT, detail)
        except Exception:
            self.log.failure("Recording the lower profile of {identity} failed", identity=identity)

    def _verified(self, matched: bool, record: ChargePointCredentials | None, stored: str | None) -> bool:
        if matched:
            return True
        if record is None:
            detail = "unknown identity: provision it with a password"
        elif stored is None:
            detail = "no password provisioned for this identity"
        else:
            detail = "wrong password"
        # The same answer for an unknown identity and a wrong password: it
        # does not tell which identities exist (the log does).
        raise AuthenticationRefused(401, "charge point not authorized", detail=detail)


INVALID_CERTIFICATE_EVENT = "InvalidChargePointCertificate"
"""
The type of the security event the central system records when it refuses
a charge point's client certificate (A00.FR.408 recommends one).
"""


class CertificateCheck:
    """
    Whether a charge point's client certificate (already verified by TLS
    against the CA, A00.FR.403) belongs to it, before any other decision
    on its credentials, so that a plugin deciding those cannot skip it:

      - the C{openocpp_cs_certificate_identity} hook may name the identity
        the certificate stands for (sites whose certificates carry another
        CN); it must be the one connecting;
      - else, with C{config.certificate_names_identity} (the default), the
        subject's CN must be the identity (A00.FR.405);
      - with C{config.cpo_name}, the subject's O must be it (A00.FR.404);
      - one the central system issued and an operator revoked is refused;
        then C{revoked} (the C{openocpp_cs_certificate_revoked} hook) may
        say it is revoked (A00.FR.704: a CA server of its own).

    A refusal is HTTP 403, one log line (by the transport), and a security
    event of the central system (A00.FR.408).

    @param identify: called as C{identify(certificate=, identity=, peer=)},
        returns a Deferred firing with the identity the hook gave, or
        C{None}.
    @param config: the central system's config.
    @param store: the store (for the security events).
    @param revoked: called as C{revoked(certificate=, identity=, peer=)},
        returns a Deferred firing with whether it is revoked; or C{None}.
    """

    log = Logger()

    def __init__(
        self, identify: Callable[..., Deferred], config: Any, store: Any,
        revoked: Callable[..., Deferred] | None = None,
    ) -> None:
        self._identify = identify
        self._config = config
        self._store = store
        self._revoked = revoked

    def __call__(self, identity: str, certificate: Any, peer: Any) -> Deferred:
        """
        @return: a Deferred firing with C{None} when the certificate (or
            none) is fine, or failing with L{AuthenticationRefused} (403).
        """
        if certificate is None:
            return succeed(None)
        deciding = self._identify(certificate=certificate, identity=identity, peer=peer)
        deciding.addCallback(self._decide, identity, certificate, peer)
        if self._revoked is not None:
            deciding.addCallback(self._ask_revocation, identity, certificate, peer)
        return deciding

    def _ask_revocation(self, _: Any, identity: str, certificate: Any, peer: Any) -> Deferred:
        asking = maybeDeferred(self._revoked, certificate=certificate, identity=identity, peer=peer)
        return asking.addCallbacks(
            self._checked_revocation, self._revocation_unknown,
            callbackArgs=(identity, peer), errbackArgs=(identity,),
        )

    def _checked_revocation(self, revoked: Any, identity: str, peer: Any) -> None:
        if revoked:
            self._refuse(identity, peer, "client certificate revoked",
                         "by the certificate authority (openocpp_cs_certificate_revoked)")

    def _revocation_unknown(self, failure: Failure, identity: str) -> None:
        # A CA server that cannot answer: refused for now, not let in
        # unchecked (A00.FR.704), and the charge point tries again.
        self.log.warn("The revocation check of {identity}'s certificate failed: {error}",
                      identity=identity, error=failure.getErrorMessage())
        raise AuthenticationRefused(503, "the certificate's revocation cannot be checked now",
                                    retry_after=60.0, detail=failure.getErrorMessage())

    def _decide(self, mapped: Any, identity: str, certificate: Any, peer: Any) -> None:
        from cryptography.x509.oid import NameOID

        # Converted once: each conversion re-parses the certificate.
        converted = certificate.original.to_cryptography()
        subject = converted.subject
        names = [str(each.value) for each in subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
        if mapped is not None:
            if mapped != identity:
                self._refuse(identity, peer, "client certificate does not belong to this charge point",
                             f"the certificate identity hook named {mapped!r}")
        elif self._config.certificate_names_identity and names != [identity]:
            self._refuse(identity, peer, "client certificate subject CN is not the charge point identity",
                         f"subject {subject.rfc4514_string()}")
        issued = getattr(self._store, "issued_certificates", None)
        if issued is not None:
            from openocpp.centralsystem.certificates import serial_text

            serial = serial_text(converted.serial_number)
            if issued.is_revoked(serial):
                self._refuse(identity, peer, "client certificate revoked", f"serial {serial}")
        cpo_name = self._config.cpo_name
        if cpo_name is not None:
            organizations = [
                str(each.value) for each in subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
            ]
            if cpo_name not in organizations:
                self._refuse(identity, peer, "client certificate subject O is not the CPO's name",
                             f"subject {subject.rfc4514_string()}")
        return None

    def _refuse(self, identity: str, peer: Any, reason: str, detail: str) -> None:
        host = _host(peer)
        try:
            self._store.record_central_system_event(
                identity, host, INVALID_CERTIFICATE_EVENT, f"{reason} ({detail})"[:255]
            )
        except Exception:
            self.log.failure("Recording the refused certificate of {identity} failed", identity=identity)
        raise AuthenticationRefused(403, reason, detail=detail)
