"""
Tests of L{openocpp.transfer.errors}: a transfer's failure and the
redaction of the passwords in URLs.
"""

from twisted.trial.unittest import SynchronousTestCase

from openocpp.transfer.errors import TransferError, redact


class RedactTests(SynchronousTestCase):
    """
    L{redact} hides the password of every URL in a text, nothing else.
    """

    def test_password_of_a_url_is_hidden(self):
        self.assertEqual(redact("ftp://alice:secret@host:21/fw.bin"), "ftp://alice:***@host:21/fw.bin")

    def test_password_with_at_signs_and_colons_is_hidden_whole(self):
        self.assertEqual(redact("ftp://u:p@ss:w@rd@host/x"), "ftp://u:***@host/x")

    def test_every_url_in_a_text(self):
        self.assertEqual(
            redact("from ftp://a:one@h/x to https://b:two@k/y"),
            "from ftp://a:***@h/x to https://b:***@k/y",
        )

    def test_urls_without_a_password_are_unchanged(self):
        for text in ("http://host/a@b", "ftp://anonymous@host/x", "http://h:80/p?q=a:b@c",
                     "no url at all"):
            self.assertEqual(redact(text), text)

    def test_transfer_error_reason_is_redacted(self):
        error = TransferError("HTTP 404 Not Found from http://u:secret@host/fw.bin")
        self.assertEqual(error.reason, "HTTP 404 Not Found from http://u:***@host/fw.bin")
        self.assertEqual(str(error), error.reason)
