"""
Tests for the simulator's meter (L{openocpp.chargepoint.simmeter}): the
measurands of MeterValuesSampledData with OCPP's units, phases and
locations, the vehicle's state of charge and taper, Smart Charging's limit.
"""

from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from openocpp.chargepoint.simmeter import SimulatedEV, SimulatedMeter
from openocpp.chargepoint.simulator import SimulatorBehaviour
from openocpp.messages import codec
from openocpp.messages.enums import ReadingContext
from tests.chargepoint.fake_centralsystem import ScriptedCentralSystem, make_charge_point


class _Store:
    def __init__(self):
        self.meta = {}

    def get_meta(self, key, default=None):
        return self.meta.get(key, default)

    def set_meta(self, key, value):
        self.meta[key] = value


class _ChargePoint:
    """The little of a charge point the meter reads."""

    connector_count = 2

    def __init__(self):
        self.store = _Store()
        self.charging = set()

    def transaction_record(self, connector):
        return object() if connector in self.charging else None


def readings(result):
    values = result if isinstance(result, list) else [result]
    return [(v.measurand and v.measurand.value, v.phase and v.phase.value, v.value,
             v.unit and v.unit.value) for v in values]


class MeterTests(SynchronousTestCase):
    def setUp(self):
        self.clock = Clock()
        self.cp = _ChargePoint()
        self.meter = SimulatedMeter(self.clock, voltage=230, phases=3, max_current=16)

    def charge(self, connector=1, ev=None):
        self.meter.plug_in(connector, ev)
        self.cp.charging.add(connector)

    def test_measurands_per_phase_with_units(self):
        """
        Current.Import and Voltage without a phase are one value per phase
        charged on (L1..L3, L1-N..L3-N), power and energy one total, each
        with its unit (section 7.31 and 7.46).
        """
        self.charge()
        self.clock.advance(3600)
        read = lambda measurand, phase=None: readings(self.meter.read(self.cp, 1, measurand, phase))
        self.assertEqual(read("Energy.Active.Import.Register"), [(None, None, "11040", "Wh")])
        self.assertEqual(read("Power.Active.Import"), [("Power.Active.Import", None, "11040.0", "W")])
        self.assertEqual(read("Current.Import"), [("Current.Import", p, "16.0", "A") for p in ("L1", "L2", "L3")])
        self.assertEqual(read("Current.Import", "L2"), [("Current.Import", "L2", "16.0", "A")])
        self.assertEqual(read("Voltage"), [("Voltage", p, "230.0", "V") for p in ("L1-N", "L2-N", "L3-N")])
        self.assertEqual(read("Voltage", "L1"), [("Voltage", "L1-N", "230.0", "V")])
        self.assertEqual(read("Power.Offered"), [("Power.Offered", None, "11040.0", "W")])
        soc = self.meter.read(self.cp, 1, "SoC")
        self.assertEqual((soc.unit.value, soc.location.value), ("Percent", "EV"))
        self.assertEqual(int(soc.value), 20 + int(100 * 11040 / 60000))

    def test_one_phase(self):
        """
        On a single-phase supply there is one current and one voltage, L1.
        """
        meter = SimulatedMeter(self.clock, voltage=230, phases=1, max_current=32)
        meter.plug_in(1)
        self.cp.charging.add(1)
        self.assertEqual(readings(meter.read(self.cp, 1, "Current.Import")), [("Current.Import", "L1", "32.0", "A")])
        self.assertEqual(readings(meter.read(self.cp, 1, "Current.Import", "L3")), [("Current.Import", "L3", "0.0", "A")])
        self.assertEqual(readings(meter.read(self.cp, 1, "Voltage")), [("Voltage", "L1-N", "230.0", "V")])

    def test_idle_and_connector_zero(self):
        """
        With no transaction nothing is drawn; connector 0 sums the outlets
        and has no SoC.
        """
        self.assertEqual(self.meter.read(self.cp, 1, "Power.Active.Import").value, "0.0")
        self.charge(2)
        self.clock.advance(1800)
        self.assertEqual(self.meter.read(self.cp, 0, "Energy.Active.Import.Register").value, "5520")
        self.assertEqual(self.meter.read(self.cp, 0, "Power.Active.Import").value, "11040.0")
        self.assertIsNone(self.meter.read(self.cp, 0, "SoC"))

    def test_follows_the_limit(self):
        """
        An A limit is per phase times the volts and the phases charged on;
        a W limit is as is; no limit is the wiring again (7.14, errata
        3.34).
        """
        self.charge()
        self.meter.set_limit(self.cp, 1, self.meter.limit_watts(10, "A", 3))
        self.assertEqual(self.meter.read(self.cp, 1, "Power.Active.Import").value, "6900.0")
        self.assertEqual(self.meter.read(self.cp, 1, "Current.Import", "L1").value, "10.0")
        self.meter.set_limit(self.cp, 1, self.meter.limit_watts(10, "A", 1))
        self.assertEqual(self.meter.read(self.cp, 1, "Power.Active.Import").value, "2300.0")
        self.meter.set_limit(self.cp, 1, self.meter.limit_watts(4000, "W", None))
        self.assertEqual(self.meter.read(self.cp, 1, "Power.Active.Import").value, "4000.0")
        self.clock.advance(3600)
        self.assertEqual(self.meter.read(self.cp, 1, "Energy.Active.Import.Register").value, "4000")
        self.meter.set_limit(self.cp, 1, None)
        self.assertEqual(self.meter.read(self.cp, 1, "Power.Active.Import").value, "11040.0")

    def test_soc_rises_to_100_and_power_tapers(self):
        """
        The vehicle draws its full power up to 80 %, less and less above,
        and nothing at 100 %; the register then stays.
        """
        ev = SimulatedEV(capacity=10000, soc=70, max_power=11040)
        self.charge(ev=ev)
        self.clock.advance(600)
        self.assertLess(ev.soc, 90)
        power_at = []
        for _ in range(20):
            self.clock.advance(600)
            power_at.append(float(self.meter.read(self.cp, 1, "Power.Active.Import").value))
        self.assertEqual(ev.soc, 100.0)
        self.assertEqual(power_at[-1], 0.0)
        self.assertTrue(all(a >= b for a, b in zip(power_at, power_at[1:])), power_at)
        energy = self.meter.read(self.cp, 1, "Energy.Active.Import.Register").value
        self.assertEqual(int(energy), 3000)
        self.clock.advance(3600)
        self.assertEqual(self.meter.read(self.cp, 1, "Energy.Active.Import.Register").value, energy)

    def test_noise_is_seeded(self):
        """
        With noise, readings vary around the exact value, the same way for
        the same seed.
        """
        def run(seed):
            meter = SimulatedMeter(Clock(), noise=0.01, seed=seed)
            return [meter.read(self.cp, 1, "Voltage", "L1")[0].value for _ in range(5)]

        self.assertEqual(run(7), run(7))
        self.assertNotEqual(run(7), run(8))
        for value in run(7):
            self.assertTrue(227.7 <= float(value) <= 232.3, value)


class InChargePointTests(SynchronousTestCase):
    """
    Through a charge point, MeterValuesSampledData's items give schema-valid
    sampled values with their contexts.
    """

    def test_sampled_values(self):
        clock = Clock()
        meter = SimulatedMeter(clock, voltage=230, phases=3, max_current=16)
        cp = make_charge_point(self, clock, plugins=[SimulatorBehaviour(lambda charge_point: meter)])
        cs = ScriptedCentralSystem(self, clock)
        cp.ocpp_config.set(
            "MeterValuesSampledData",
            "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,SoC",
        )
        cp.startService()
        self.addCleanup(cp.stopService)
        cs.connect(cp)
        meter.plug_in(1)
        cp.start_transaction(1, "TAG")
        cs.advance(61, step=1)
        (request,) = cs.requests("MeterValues")
        sampled = codec.encode(request)["meterValue"][0]["sampledValue"]
        self.assertEqual(
            [(v.get("measurand"), v.get("phase"), v.get("unit"), v["context"]) for v in sampled],
            [(None, None, "Wh", "Sample.Periodic"),
             ("Power.Active.Import", None, "W", "Sample.Periodic")]
            + [("Current.Import", p, "A", "Sample.Periodic") for p in ("L1", "L2", "L3")]
            + [("Voltage", p, "V", "Sample.Periodic") for p in ("L1-N", "L2-N", "L3-N")]
            + [("SoC", None, "Percent", "Sample.Periodic")],
        )
        self.assertEqual(sampled[0]["value"], str(int(11040 * 60 / 3600)))  # sampled at 60 s
        self.assertIs(ReadingContext("Sample.Periodic"), ReadingContext.SAMPLE_PERIODIC)


class ArrivingEVTests(SynchronousTestCase):
    def test_transaction_without_plug_in(self):
        """
        A transaction no plug_in announced (a remote start, C{--simulate}'s
        loop) brings its own EV, whose SoC is reported; it leaves with the
        transaction, so the next one starts from an EV at 20 % again.
        """
        clock, cp = Clock(), _ChargePoint()
        meter = SimulatedMeter(clock)
        self.assertIsNone(meter.read(cp, 1, "SoC"))
        cp.charging.add(1)
        self.assertEqual(meter.read(cp, 1, "SoC").value, "20")
        clock.advance(3600)
        self.assertGreater(int(meter.read(cp, 1, "SoC").value), 20)
        cp.charging.clear()
        meter.read(cp, 1, "Energy.Active.Import.Register")
        self.assertIsNone(meter.ev(1))
        cp.charging.add(1)
        self.assertEqual(meter.read(cp, 1, "SoC").value, "20")


class SmartChargingTests(SynchronousTestCase):
    def test_meter_follows_a_charging_profile(self):
        """
        A TxDefaultProfile of 10 A set by the central system limits the
        simulated meter through C{openocpp_cp_charging_limit_changed}:
        10 A on each of the 3 phases of 230 V, 6,900 W.
        """
        from openocpp.messages import SetChargingProfileRequest
        from tests.chargepoint.test_smartcharging import make_profile

        clock = Clock()
        meter = SimulatedMeter(clock, voltage=230, phases=3, max_current=32)
        cp = make_charge_point(self, clock, plugins=[SimulatorBehaviour(lambda charge_point: meter)])
        cs = ScriptedCentralSystem(self, clock)
        cp.startService()
        self.addCleanup(cp.stopService)
        cs.connect(cp)
        answered = []
        cs.call(SetChargingProfileRequest(
            connector_id=1, cs_charging_profiles=make_profile(periods=((0, 10.0),))
        )).addCallback(answered.append)
        self.assertEqual(answered[0].status.value, "Accepted")
        cp.start_transaction(1, "TAG")
        cs.advance(1)
        read = lambda measurand, phase=None: meter.read(cp, 1, measurand, phase)
        self.assertEqual(read("Power.Active.Import").value, "6900.0")
        self.assertEqual(read("Current.Import", "L3").value, "10.0")
        self.assertEqual(read("Power.Offered").value, "6900.0")
