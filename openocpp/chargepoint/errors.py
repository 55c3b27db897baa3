"""
Errors of the charge point role.
"""


class NotConnected(Exception):
    """
    A request could not be sent: the charge point has no connection to the
    central system.
    """


class NotAccepted(Exception):
    """
    A request could not be sent: the central system has not accepted the
    charge point's BootNotification (yet), and OCPP forbids other requests
    before it does (section 4.2).
    """


class TransactionError(Exception):
    """
    A transaction cannot be started or stopped as asked (no such connector,
    a transaction already runs on it, the connector is inoperative, ...).
    """
