"""
Tests of L{openocpp.rpc.redaction}.
"""

from twisted.trial.unittest import SynchronousTestCase

from openocpp.rpc.redaction import REDACTED, loggable_frame


class LoggableFrameTests(SynchronousTestCase):
    """
    L{loggable_frame} hides an AuthorizationKey's value (A01.FR.09 and
    A01.FR.12: no password in clear text in either role's log).
    """

    def test_authorization_key_value_redacted(self):
        """
        A01.FR.09: ChangeConfiguration(AuthorizationKey)'s value is
        replaced, in any case of the key's name, an escaped quote included.
        """
        frame = '[2,"1","ChangeConfiguration",{"key":"authorizationKEY","value":"se\\"cret"}]'
        self.assertEqual(
            loggable_frame(frame),
            f'[2,"1","ChangeConfiguration",{{"key":"authorizationKEY","value":"{REDACTED}"}}]',
        )

    def test_malformed_frame_redacted(self):
        """
        A01.FR.12: a frame cut short (a malformed frame is logged too) has
        its value replaced as well.
        """
        frame = '[2,"1","ChangeConfiguration",{"value" : "secret-key", "key":"AuthorizationKey"'
        self.assertNotIn("secret-key", loggable_frame(frame))
        self.assertNotIn("secret", loggable_frame('[2,"1","ChangeConfiguration",{"key":"AuthorizationKey","value":"secret'))

    def test_other_frames_unchanged(self):
        """
        A frame not naming the key is the same object, unchanged (no cost
        on the hot path beyond one search).
        """
        frame = '[2,"1","ChangeConfiguration",{"key":"HeartbeatInterval","value":"60"}]'
        self.assertIs(loggable_frame(frame), frame)
