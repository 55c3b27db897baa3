"""
The multi-node integration suite (issue 16): PostgreSQL, Redis, three
central-system node processes and HAProxy in front of them, started by
C{deploy/run-local-cluster}'s L{LocalCluster} (so the script's code is what
is tested), with a fleet of 300 charge points in this process
(L{tests.cluster.fleet}).

It needs Debian's postgresql, redis-server and haproxy (C{.ci/engines}
installs them) and runs in C{.ci/run}'s main run only: the wheel runs set
C{OPENOCPP_SKIP_CLUSTER}.
"""

import atexit
import os
import signal
import time
from datetime import datetime, timezone

from twisted.internet import reactor
from twisted.internet.defer import DeferredSemaphore, gatherResults, inlineCallbacks
from twisted.internet.task import deferLater
from twisted.trial.unittest import SkipTest, TestCase

from openocpp.messages import core
from tests.centralsystem.fake_chargepoint import BOOT, TestChargePoint
from tests.cluster.fleet import ApiClient, backoff_bound, start_fleet, stop_fleet
from tests.scripts import load_script

#: How many charge points the fleet has, and how many node processes.
FLEET = 300
NODES = 3

#: The id tag every StartTransaction carries (the nodes accept any).
ID_TAG = "CLUSTER-1"

_SCRIPT = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "deploy", "run-local-cluster")
_cluster = None


def cluster():
    """
    The cluster shared by this module's tests: started on first use (a few
    seconds), stopped when the test process exits.

    @raise SkipTest: the suite is switched off, or an engine is missing.
    """
    global _cluster
    if os.environ.get("OPENOCPP_SKIP_CLUSTER"):
        raise SkipTest("the cluster suite runs in .ci/run's main run only (OPENOCPP_SKIP_CLUSTER is set)")
    if _cluster is None:
        script = load_script(_SCRIPT)
        missing = script.missing_engines()
        if missing:
            raise SkipTest(f"{', '.join(missing)} not installed (.ci/engines installs them)")
        started = script.LocalCluster(NODES, ["--accept-any-idtag", "--ping-interval", "0"])
        atexit.register(started.stop)
        try:
            started.start()
        except Exception:
            started.stop()
            raise
        _cluster = started
    return _cluster


def identities(prefix: str, count: int = FLEET) -> list[str]:
    return [f"{prefix}-{number:03d}" for number in range(count)]


class ClusterTestCase(TestCase):
    """
    A test against the shared cluster, with an HTTP client of the nodes'
    APIs.
    """

    timeout = 240

    def setUp(self):
        self.cluster = cluster()
        self.api = ApiClient(reactor)
        self.addCleanup(self.api.close)

    @inlineCallbacks
    def until(self, predicate, timeout: float, step: float = 0.1):
        """
        Poll C{predicate} (what it looks at is in other processes) until
        true; fail after C{timeout} seconds.
        """
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                self.fail(f"not so after {timeout:g} s: {predicate.__doc__ or predicate}")
            yield deferLater(reactor, step, lambda: None)

    @inlineCallbacks
    def fleet(self, prefix: str):
        """
        A fleet of L{FLEET} charge points connected through HAProxy and
        booted, closed at cleanup.
        """
        fleet = yield start_fleet(reactor, self.cluster.url + "ocpp", identities(prefix))
        self.addCleanup(stop_fleet, fleet)
        return fleet

    def rows(self, sql: str, *arguments):
        """
        Rows read from PostgreSQL directly (what the nodes committed).
        """
        import psycopg

        with psycopg.connect(self.cluster.store_url) as connection:
            return connection.execute(sql, arguments or None).fetchall()


class OperatorCallTests(ClusterTestCase):
    """
    Charge points spread over the nodes by HAProxy; the API of every node
    reaches every one of them.
    """

    @inlineCallbacks
    def test_spread_over_nodes(self):
        """
        Through HAProxy, 300 charge points land on every node (HAProxy holds
        connections to each), and each is registered once, in the shared
        database.
        """
        fleet = yield self.fleet("SPREAD")
        self.assertEqual([charge_point.connections for charge_point in fleet], [1] * FLEET)
        held = self.cluster.haproxy.sessions()
        self.assertEqual(sum(held.values()), FLEET, held)
        for node in self.cluster.nodes:
            self.assertGreater(held[node.name], FLEET // 10, held)
        booted = self.rows("SELECT count(*) FROM charge_points WHERE identity LIKE 'SPREAD-%'")
        self.assertEqual(booted[0][0], FLEET)

    @inlineCallbacks
    def test_every_node_reaches_every_charger(self):
        """
        A DataTransfer sent through each node's API reaches each of the
        300 charge points, wherever it is connected (routed through the
        bus), and the answer is that charger's.
        """
        fleet = yield self.fleet("REACH")
        limit = DeferredSemaphore(20)
        failures = []

        @inlineCallbacks
        def one(node, charge_point):
            answer = yield self.api.request(
                "POST",
                f"{node.api_url}/chargepoints/{charge_point.identity}/actions/DataTransfer",
                {"vendorId": "org.openocpp.cluster", "data": node.name},
            )
            expected = {"status": "Accepted", "data": f"{charge_point.identity}:{node.name}"}
            if answer.status != 200 or answer.json != expected:
                failures.append((node.name, charge_point.identity, answer))

        yield gatherResults(
            [limit.run(one, node, charge_point) for node in self.cluster.nodes for charge_point in fleet],
            consumeErrors=True,
        )
        self.assertEqual(failures[:5], [])

    @inlineCallbacks
    def test_connected_nowhere(self):
        """
        A charge point connected to no node is answered 404 by every node,
        as by a single central system.
        """
        for node in self.cluster.nodes:
            answer = yield self.api.request(
                "POST", f"{node.api_url}/chargepoints/NOWHERE-1/actions/DataTransfer", {"vendorId": "x"}
            )
            self.assertEqual(answer.status, 404, answer)


class TakeOverTests(ClusterTestCase):
    """
    A charge point moving from one node to another.
    """

    @inlineCallbacks
    def test_moving_between_nodes(self):
        """
        A charge point connected to node1 that connects to node2: node1
        closes the old connection, and the API of node3 reaches the new
        one only (one live session).
        """
        first_node, second_node, third_node = self.cluster.nodes[:3]
        first = TestChargePoint(self, "MOVE-1")
        yield first.connect(first_node.url + "ocpp")
        self.addCleanup(lambda: first.close() if first.connection.open else None)
        yield first.call(BOOT)
        lost = first.when_lost()
        second = TestChargePoint(self, "MOVE-1")
        yield second.connect(second_node.url + "ocpp")
        self.addCleanup(lambda: second.close() if second.connection.open else None)
        yield lost
        yield second.call(BOOT)
        answer = yield self.api.request(
            "POST", f"{third_node.api_url}/chargepoints/MOVE-1/actions/DataTransfer",
            {"vendorId": "org.openocpp.cluster", "data": "which"},
        )
        self.assertEqual(answer.status, 200, answer)
        self.assertTrue(second.connection.open)
        self.assertFalse(first.connection.open)
        self.assertEqual([type(request).__name__ for request in second.received], ["DataTransferRequest"])
        self.assertEqual(first.received, [])


class RepeatedStartTests(ClusterTestCase):
    """
    A StartTransaction sent again to another node, as a charge point does
    when its node died after committing the transaction but before
    answering.
    """

    @inlineCallbacks
    def test_same_transaction_from_another_node(self):
        """
        The second node answers with the transaction id the first gave, and
        PostgreSQL holds the transaction once.
        """
        first_node, second_node = self.cluster.nodes[:2]
        start = core.StartTransactionRequest(
            connector_id=1, id_tag=ID_TAG, meter_start=4242, timestamp=datetime.now(timezone.utc)
        )
        answers = []
        for node in (first_node, second_node):
            charge_point = TestChargePoint(self, "AGAIN-1")
            yield charge_point.connect(node.url + "ocpp")
            yield charge_point.call(BOOT)
            answer = yield charge_point.call(start)
            answers.append(answer)
            yield charge_point.close()
        self.assertEqual(answers[0].transaction_id, answers[1].transaction_id)
        self.assertEqual(
            self.rows("SELECT id FROM transactions WHERE identity = 'AGAIN-1'"),
            [(answers[0].transaction_id,)],
        )


class NodeKilledTests(ClusterTestCase):
    """
    One node killed with SIGKILL while 300 charge points start and stop
    transactions.
    """

    @inlineCallbacks
    def test_chargers_move_and_no_transaction_lost(self):
        """
        The killed node's charge points reconnect through HAProxy to the
        others within the backoff bound (and the API reaches them there),
        the others keep their connection (consistent hashing), and every
        StartTransaction answered is in PostgreSQL exactly once, none more.
        """
        fleet = yield self.fleet("KILL")
        answered: dict[str, list[int]] = {charge_point.identity: [] for charge_point in fleet}
        running = [True]

        @inlineCallbacks
        def charge(charge_point):
            meter = 0
            while running[0]:
                meter += 1000
                start = yield charge_point.call(core.StartTransactionRequest(
                    connector_id=1, id_tag=ID_TAG, meter_start=meter, timestamp=datetime.now(timezone.utc),
                ))
                self.assertEqual(start.id_tag_info.status, "Accepted")
                answered[charge_point.identity].append(start.transaction_id)
                yield deferLater(reactor, 0.5, lambda: None)
                meter += 500
                yield charge_point.call(core.StopTransactionRequest(
                    transaction_id=start.transaction_id, meter_stop=meter,
                    timestamp=datetime.now(timezone.utc), reason="Local",
                ))
                yield deferLater(reactor, 0.5, lambda: None)

        charging = gatherResults([charge(charge_point) for charge_point in fleet], consumeErrors=True)
        yield deferLater(reactor, 2, lambda: None)
        victim = self.cluster.nodes[1]
        held = self.cluster.haproxy.sessions()[victim.name]
        victim.child.kill()
        killed_at = time.monotonic()
        # Back for the next tests, and seen up by HAProxy.
        self.addCleanup(self.cluster.wait_for_states, {victim.name: "UP"})
        self.addCleanup(self.cluster.restart_node, victim)

        def moved():
            return [charge_point for charge_point in fleet if charge_point.connections > 1]

        # The killed node's charge points reconnect within the backoff bound
        # of a few attempts (HAProxy marks the node down on the first
        # refused connection and sends the next ones elsewhere).
        bound = backoff_bound(3) + 2.0
        yield self.until(lambda: len(moved()) > 0, bound)
        yield deferLater(reactor, bound, lambda: None)
        reconnected = moved()
        self.assertEqual(len(reconnected), held)
        for charge_point in reconnected:
            self.assertEqual(charge_point.connections, 2, charge_point.identity)
        slowest = max(charge_point.connected_at[1] for charge_point in reconnected) - killed_at
        self.assertLess(slowest, bound)
        # Everyone charges on: each charge point has a transaction answered
        # after the kill.
        counts = {identity: len(ids) for identity, ids in answered.items()}
        yield self.until(lambda: all(len(answered[i]) > counts[i] for i in counts), bound)
        # And the API reaches each moved charger where it is now.
        api = self.cluster.nodes[0].api_url
        for charge_point in reconnected:
            answer = yield self.api.request(
                "POST", f"{api}/chargepoints/{charge_point.identity}/actions/DataTransfer",
                {"vendorId": "org.openocpp.cluster", "data": "moved"},
            )
            self.assertEqual(answer.json, {"status": "Accepted", "data": f"{charge_point.identity}:moved"})
        running[0] = False
        yield charging
        in_database = {}
        for transaction_id, identity in self.rows(
            "SELECT id, identity FROM transactions WHERE identity LIKE 'KILL-%'"
        ):
            in_database.setdefault(identity, []).append(transaction_id)
        for identity, ids in answered.items():
            self.assertEqual(len(ids), len(set(ids)), identity)
            self.assertEqual(sorted(in_database.get(identity, [])), sorted(ids), identity)
        duplicates = self.rows(
            "SELECT identity, meter_start, count(*) FROM transactions WHERE identity LIKE 'KILL-%' "
            "GROUP BY identity, meter_start HAVING count(*) > 1"
        )
        self.assertEqual(duplicates, [])
        all_ids = [transaction_id for ids in answered.values() for transaction_id in ids]
        self.assertEqual(len(all_ids), len(set(all_ids)), "a transaction id given twice")


class ScriptTests(TestCase):
    """
    C{deploy/run-local-cluster} as a user runs it.
    """

    def test_bad_arguments(self):
        """
        A mistake on the command line is one line naming it, exit status 2.
        """
        import subprocess
        import sys

        for arguments, word in ((["--nodes", "0"], "--nodes"), (["--nodes", "x"], "--nodes"),
                                (["--bogus"], "--bogus"), (["--port", "70000"], "--port")):
            done = subprocess.run([sys.executable, _SCRIPT, *arguments], capture_output=True, text=True)
            self.assertEqual(done.returncode, 2, (arguments, done.stderr))
            self.assertEqual(done.stdout, "")
            lines = done.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, done.stderr)
            self.assertIn(word, lines[0])

    def test_runs_until_sigterm(self):
        """
        The script prints the HAProxy line and one API line per node once
        all is up, and on SIGTERM stops everything it started (no process
        left) and removes its folders.
        """
        import subprocess
        import sys

        if os.environ.get("OPENOCPP_SKIP_CLUSTER"):
            raise SkipTest("the cluster suite runs in .ci/run's main run only (OPENOCPP_SKIP_CLUSTER is set)")
        missing = load_script(_SCRIPT).missing_engines()
        if missing:
            raise SkipTest(f"{', '.join(missing)} not installed (.ci/engines installs them)")
        before = _temporary_folders()
        script = subprocess.Popen([sys.executable, _SCRIPT, "--nodes", "2"], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: script.poll() is None and script.kill())
        lines = [script.stdout.readline().strip() for _ in range(3)]
        self.assertRegex(lines[0], r"^ocpp: ws://127\.0\.0\.1:\d+/$")
        for line in lines[1:]:
            self.assertRegex(line, r"^api: http://127\.0\.0\.1:\d+/api/v1$")
        children = _descendants(script.pid)
        self.assertGreaterEqual(len(children), 5)  # 2 nodes, HAProxy, Redis, PostgreSQL
        # The script's own: named in its processes' command lines (another
        # test, in another trial worker, may make such folders meanwhile).
        commands = " ".join(_command_line(pid) for pid in children)
        made = {name for name in _temporary_folders() - before if name in commands}
        self.assertTrue(made)
        script.send_signal(signal.SIGTERM)
        self.assertEqual(script.wait(60), 0, script.stderr.read())
        self.assertEqual([pid for pid in children if _alive(pid)], [])
        self.assertEqual(_temporary_folders() & made, set())


def _descendants(pid: int) -> list[int]:
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            if parent == pid:
                children.append(int(entry))
    return children + [grandchild for child in children for grandchild in _descendants(child)]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _command_line(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def _temporary_folders() -> set[str]:
    import tempfile

    folder = tempfile.gettempdir()
    return {name for name in os.listdir(folder) if name.startswith("openocpp-")}

