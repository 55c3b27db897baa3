"""
Tests for L{openocpp.chargepoint.connectors.Connectors} alone, on a store
of its own: no charge point, no clock, nothing sent.
"""

from twisted.trial.unittest import SynchronousTestCase

from openocpp.chargepoint.connectors import Connectors
from openocpp.chargepoint.store import ChargePointStore
from openocpp.messages.enums import AvailabilityType, ChargePointStatus


class ConnectorsTests(SynchronousTestCase):
    def setUp(self):
        self.store = ChargePointStore(":memory:")
        self.addCleanup(self.store.close)
        self.connectors = Connectors(self.store, 2)
        self.connectors.ensure()

    def start(self, connector, transaction_id=None):
        local_id = self.store.start_transaction(
            connector, "TAG", 0, "2026-01-01T00:00:00Z", None, {"connectorId": connector}
        )
        if transaction_id is not None:
            seq = self.store.queue_head().seq
            self.store.delivered(seq, transaction_id=transaction_id, local_id=local_id,
                                 id_tag_status="Accepted")
        return local_id

    def test_numbers(self):
        self.assertEqual(list(self.connectors.all()), [0, 1, 2])
        self.assertEqual(list(self.connectors.outlets()), [1, 2])
        self.assertTrue(self.connectors.is_outlet(2))
        self.assertFalse(self.connectors.is_outlet(0))
        self.assertFalse(self.connectors.is_outlet(True))

    def test_check_refuses_unknown_connectors(self):
        self.connectors.check(0)
        self.connectors.check(2)
        for bad in (-1, 3, "1", 1.0, None):
            self.assertRaises(ValueError, self.connectors.check, bad)

    def test_new_connectors_available_and_operative(self):
        self.assertEqual(self.connectors.status(1), ChargePointStatus.AVAILABLE)
        self.assertTrue(self.connectors.operative(1))
        self.assertTrue(self.connectors.startable(1))
        self.assertEqual(self.connectors.free(), 1)

    def test_charge_point_inoperative_makes_every_connector_inoperative(self):
        self.assertTrue(self.connectors.set_availability(0, AvailabilityType.INOPERATIVE))
        self.assertFalse(self.connectors.operative(1))
        self.assertFalse(self.connectors.startable(2))
        self.assertIsNone(self.connectors.free())
        self.assertFalse(self.connectors.set_availability(0, AvailabilityType.INOPERATIVE))

    def test_transaction_holds_its_connector(self):
        self.start(1, transaction_id=42)
        self.assertEqual(self.connectors.transaction(1).transaction_id, 42)
        self.assertIsNone(self.connectors.transaction(2))
        self.assertEqual(self.connectors.connector_of(42), 1)
        self.assertIsNone(self.connectors.connector_of(43))
        self.assertFalse(self.connectors.startable(1))
        self.assertEqual(self.connectors.free(), 2)

    def test_busy_while_occupied(self):
        with self.connectors.occupy(2):
            self.assertTrue(self.connectors.busy(2))
            self.assertFalse(self.connectors.startable(2))
        self.assertFalse(self.connectors.busy(2))
        self.assertTrue(self.connectors.startable(2))

    def test_faulted_not_startable(self):
        self.store.set_status(1, "Faulted", "GroundFailure", None, None, None, changed_at=0.0)
        self.assertFalse(self.connectors.startable(1))
        self.assertEqual(self.connectors.free(), 2)

    def test_scheduled_availability_kept(self):
        self.connectors.schedule_availability(1, AvailabilityType.INOPERATIVE)
        self.assertEqual(self.connectors.scheduled_availability(1), AvailabilityType.INOPERATIVE)
        self.assertTrue(self.connectors.operative(1))
        self.connectors.set_availability(1, AvailabilityType.INOPERATIVE)
        self.assertIsNone(self.connectors.scheduled_availability(1))

    def test_start_rules_decide_with_the_id_tag(self):
        """
        A rule added with add_start_rule is asked with the idTag (None:
        any); an idle connector it refuses is not startable, nor free.
        """
        asked = []

        def only_tag_a_on_1(connector, id_tag):
            asked.append((connector, id_tag))
            return connector != 1 or id_tag == "TAG-A"

        self.connectors.add_start_rule(only_tag_a_on_1)
        self.assertTrue(self.connectors.idle(1))
        self.assertFalse(self.connectors.startable(1))
        self.assertFalse(self.connectors.startable(1, "TAG-B"))
        self.assertTrue(self.connectors.startable(1, "TAG-A"))
        self.assertEqual(self.connectors.free("TAG-B"), 2)
        self.assertIn((1, "TAG-B"), asked)

    def test_free_prefers_a_connector_reserved_for_the_id_tag(self):
        """
        A remote start without connectorId takes the connector Reserved for
        its idTag before any Available one.
        """
        self.store.set_status(2, "Reserved", "NoError", None, None, None, changed_at=0.0)
        self.connectors.add_start_rule(lambda connector, id_tag: connector != 2 or id_tag == "TAG-A")
        self.assertEqual(self.connectors.free("TAG-A"), 2)
        self.assertEqual(self.connectors.free("TAG-B"), 1)

    def test_rule_that_cannot_tell(self):
        """
        A rule answering None (decided at the start) leaves the connector
        startable, and a remote start without connectorId takes a
        connector every rule allows before it.
        """
        self.store.set_status(1, "Reserved", "NoError", None, None, None, changed_at=0.0)
        self.connectors.add_start_rule(lambda connector, id_tag: None if connector == 1 else True)
        self.assertTrue(self.connectors.startable(1, "TAG-X"))
        self.assertEqual(self.connectors.free("TAG-X"), 2)
        self.start(2)
        self.assertEqual(self.connectors.free("TAG-X"), 1)
