"""
Tests of L{openocpp.transfer.files}: a download's file, written off the
reactor thread one batch at a time, with its limit, its back-pressure on the
connection and its disk errors.
"""

from __future__ import annotations

import errno
import os

from twisted.internet import reactor
from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.trial.unittest import SynchronousTestCase, TestCase

from openocpp.transfer import files
from openocpp.transfer.errors import TransferError
from openocpp.transfer.files import WRITE_BUFFER, PartialFile
from openocpp.transfer.http import HttpTransfers
from tests.transfer.servers import WebServer


class ManualThread:
    """
    An C{in_thread} whose jobs run when the test says: the reactor thread
    never runs them itself.
    """

    def __init__(self):
        self.jobs: list = []

    def __call__(self, function, *args):
        done = Deferred()
        self.jobs.append((function, args, done))
        return done

    def run_next(self):
        function, args, done = self.jobs.pop(0)
        try:
            result = function(*args)
        except Exception as error:
            done.errback(error)
        else:
            done.callback(result)


class Producer:
    def __init__(self):
        self.calls: list = []

    def pauseProducing(self):
        self.calls.append("pause")

    def resumeProducing(self):
        self.calls.append("resume")


class FullDisk:
    """
    A file object on a disk with C{room} bytes left: past them, ENOSPC.
    """

    def __init__(self, file, room):
        self._file = file
        self.room = room

    def writelines(self, chunks):
        for chunk in chunks:
            if len(chunk) > self.room:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            self.room -= len(chunk)
            self._file.write(chunk)

    def write(self, data):
        self.writelines([data])

    def close(self):
        self._file.close()


class ThreadedPartialFileTests(SynchronousTestCase):
    """
    With C{in_thread}, L{PartialFile} hands its writes to the thread and
    never writes on the caller's.
    """

    def setUp(self):
        self.folder = self.mktemp()
        os.makedirs(self.folder)
        self.destination = os.path.join(self.folder, "fw.bin")
        self.thread = ManualThread()
        self.target = PartialFile(self.destination, None, self.thread)
        self.producer = Producer()
        self.target.register_producer(self.producer)

    def test_writes_go_to_the_thread_one_batch_at_a_time_in_order(self):
        self.target.write(b"a")
        self.target.write(b"b")
        self.target.write(b"c")
        self.assertEqual(len(self.thread.jobs), 1)  # b and c wait for a
        self.assertEqual(self.thread.jobs[0][1], ([b"a"],))
        self.thread.run_next()
        self.assertEqual(self.thread.jobs[0][1], ([b"b", b"c"],))
        self.thread.run_next()
        completing = self.target.complete()
        self.assertNoResult(completing)  # the close and rename: in the thread too
        self.assertFalse(os.path.exists(self.destination))
        self.thread.run_next()
        self.assertEqual(self.successResultOf(completing), 3)
        with open(self.destination, "rb") as f:
            self.assertEqual(f.read(), b"abc")
        self.assertEqual(os.listdir(self.folder), ["fw.bin"])

    def test_complete_waits_for_the_writes_left(self):
        self.target.write(b"a")
        self.target.write(b"b")
        completing = self.target.complete()
        self.thread.run_next()
        self.thread.run_next()
        self.assertNoResult(completing)
        self.thread.run_next()
        self.assertEqual(self.successResultOf(completing), 2)

    def test_connection_paused_while_the_thread_is_behind_then_resumed(self):
        chunk = b"x" * (64 * 1024)
        self.target.write(chunk)  # the thread takes it
        for _ in range(WRITE_BUFFER // len(chunk) + 1):
            self.target.write(chunk)
        self.assertEqual(self.producer.calls, ["pause"])
        self.thread.run_next()  # the first chunk; the rest goes to the thread
        self.assertEqual(self.producer.calls, ["pause", "resume"])
        self.thread.run_next()
        self.successResultOf(self.target.discard())
        self.assertEqual(os.listdir(self.folder), [])

    def test_limit_counts_the_bytes_waiting_for_the_thread(self):
        self.successResultOf(self.target.discard())
        target = PartialFile(self.destination, 5, self.thread)
        target.write(b"abc")
        error = self.assertRaises(TransferError, target.write, b"def")
        self.assertEqual(error.reason, "larger than the limit of 5 bytes")
        self.thread.run_next()
        self.successResultOf(target.discard())
        self.assertEqual(os.listdir(self.folder), [])

    def test_disk_full_is_raised_by_the_next_write_and_resumes_the_connection(self):
        self.target._file = FullDisk(self.target._file, room=4)
        self.target.write(b"abcdef")
        self.thread.run_next()
        error = self.assertRaises(TransferError, self.target.write, b"more")
        self.assertIn("No space left on device", error.reason)
        self.successResultOf(self.target.discard())
        self.assertEqual(os.listdir(self.folder), [])

    def test_disk_full_on_the_last_chunk_fails_complete(self):
        self.target._file = FullDisk(self.target._file, room=4)
        self.target.write(b"abcdef")
        completing = self.target.complete()
        self.thread.run_next()
        failure = self.failureResultOf(completing, TransferError)
        self.assertIn("No space left on device", failure.value.reason)
        self.assertEqual(os.listdir(self.folder), [])
        self.assertFalse(os.path.exists(self.destination))

    def test_discard_while_a_batch_is_written_removes_the_file_after_it(self):
        self.target.write(b"abc")
        discarded = self.target.discard()
        self.assertNoResult(discarded)
        self.assertEqual(len(os.listdir(self.folder)), 1)  # the thread still has it
        self.target.write(b"late data of a cancelled transfer")  # ignored
        self.thread.run_next()
        self.successResultOf(discarded)
        self.assertEqual(os.listdir(self.folder), [])
        self.assertEqual(self.thread.jobs, [])

    def test_a_reactor_without_a_thread_pool_writes_at_once(self):
        self.successResultOf(self.target.discard())
        self.assertIsNone(files.thread_writer(object()))
        target = PartialFile(self.destination, None, None)
        target.write(b"abc")
        self.assertEqual(target.complete(), 3)
        with open(self.destination, "rb") as f:
            self.assertEqual(f.read(), b"abc")


class DiskFullDownloadTests(TestCase):
    """
    A download into a folder whose disk fills up (a failing file object):
    a clear failure, nothing left behind.
    """

    @inlineCallbacks
    def test_http_download_onto_a_full_disk_fails_and_leaves_nothing(self):
        server = WebServer(b"z" * 300_000)
        base = server.start()
        self.addCleanup(server.stop)
        folder = self.mktemp()
        os.makedirs(folder)
        real_fdopen = os.fdopen
        self.patch(files.os, "fdopen", lambda *a, **k: FullDisk(real_fdopen(*a, **k), 100_000))
        transfers = HttpTransfers(reactor, timeout=5, connect_timeout=5)
        with self.assertRaises(TransferError) as caught:
            yield transfers.download(base + "/fw.bin", os.path.join(folder, "fw.bin"))
        self.assertIn("No space left on device", caught.exception.reason)
        self.assertTrue(caught.exception.reason.startswith("cannot write "), caught.exception.reason)
        self.assertEqual(os.listdir(folder), [])
