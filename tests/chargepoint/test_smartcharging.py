"""
Tests for L{openocpp.chargepoint.smartcharging}: SetChargingProfile,
ClearChargingProfile, GetCompositeSchedule and RemoteStartTransaction's
profile against a scripted central system on a L{Clock}, the profiles kept
across a restart, the Smart Charging keys, and the limit handed to the
charger's application (and to the simulated meter).
"""

from datetime import timedelta

from twisted.internet.testing import EventLoggingObserver
from twisted.logger import formatEvent, globalLogPublisher

from openocpp.chargepoint.behaviour import DefaultChargePointBehaviour, SimulatedMeter
from openocpp.hookspecs import hookimpl
from openocpp.messages import (
    ClearChargingProfileRequest,
    HeartbeatResponse,
    GetCompositeScheduleRequest,
    GetConfigurationRequest,
    RemoteStartTransactionRequest,
    SetChargingProfileRequest,
    StopTransactionRequest,
    codec,
)
from openocpp.messages.datatypes import ChargingProfile, ChargingSchedule, ChargingSchedulePeriod
from openocpp.messages.enums import (
    ChargingProfileKindType,
    ChargingProfilePurposeType,
    ChargingProfileStatus,
    ChargingRateUnitType,
    ClearChargingProfileStatus,
    GetCompositeScheduleStatus,
    Measurand,
    RecurrencyKindType,
    RemoteStartStopStatus,
)
from openocpp.messages.errors import ErrorCode
from openocpp.plugins import make_plugin_manager
from openocpp.rpc.errors import CallError
from tests.chargepoint.fake_centralsystem import (
    ChargePointTestCase,
    make_charge_point,
)

MAX = ChargingProfilePurposeType.CHARGE_POINT_MAX_PROFILE
DEFAULT = ChargingProfilePurposeType.TX_DEFAULT_PROFILE
TX = ChargingProfilePurposeType.TX_PROFILE
A = ChargingRateUnitType.A
W = ChargingRateUnitType.W


def make_profile(
    profile_id=1,
    purpose=DEFAULT,
    stack_level=0,
    periods=((0, 16.0),),
    unit=A,
    kind=ChargingProfileKindType.RELATIVE,
    start=None,
    transaction_id=None,
    duration=None,
    recurrency=None,
    phases=None,
):
    """
    A charging profile: C{periods} are (startPeriod, limit) pairs.
    """
    return ChargingProfile(
        charging_profile_id=profile_id,
        stack_level=stack_level,
        charging_profile_purpose=purpose,
        charging_profile_kind=kind,
        recurrency_kind=recurrency,
        transaction_id=transaction_id,
        charging_schedule=ChargingSchedule(
            charging_rate_unit=unit,
            duration=duration,
            start_schedule=start,
            charging_schedule_period=[
                ChargingSchedulePeriod(start_period=offset, limit=limit, number_phases=phases)
                for offset, limit in periods
            ],
        ),
    )


class LimitRecorder:
    """
    A site plugin that records the limits it is told, and may tell the
    supply voltage.
    """

    def __init__(self, voltage=None):
        self.limits = []
        self.voltage = voltage

    @hookimpl
    def openocpp_cp_charging_limit_changed(self, charge_point, connector_id, limit, unit, number_phases):
        self.limits.append((connector_id, limit, None if unit is None else unit.value, number_phases))

    @hookimpl
    def openocpp_cp_supply_voltage(self, charge_point, connector):
        return self.voltage


class SmartChargingTestCase(ChargePointTestCase):
    """
    A charge point with two connectors and a L{LimitRecorder}.
    """

    def make_plugins(self):
        self.recorder = LimitRecorder()
        return [self.recorder]

    def ask(self, request):
        result = self.cs.call(request)
        self.cs.settle()
        return self.successResultOf(result)

    def ask_error(self, request):
        result = self.cs.call(request)
        self.cs.settle()
        return self.failureResultOf(result, CallError).value

    def set_profile(self, connector, profile):
        return self.ask(
            SetChargingProfileRequest(connector_id=connector, cs_charging_profiles=profile)
        ).status

    def composite(self, connector, duration=3600, unit=None):
        return self.ask(
            GetCompositeScheduleRequest(connector_id=connector, duration=duration, charging_rate_unit=unit)
        )

    def periods(self, answer):
        schedule = answer.charging_schedule
        return [(p.start_period, p.limit) for p in schedule.charging_schedule_period]

    def installed(self):
        return sorted(
            (stored.connector_id, stored.profile.charging_profile_id)
            for stored in self.cp._smart_charging.installed()
        )

    def start_transaction(self, connector=1):
        result = self.cp.start_transaction(connector, "TAG")
        self.cs.settle()
        self.successResultOf(result)
        return self.cp.transaction_record(connector)

    def log_lines(self):
        observer = EventLoggingObserver.createWithCleanup(self, globalLogPublisher)
        return observer


class SetChargingProfileTests(SmartChargingTestCase):
    """
    SetChargingProfile (5.16) by purpose, connector and transaction (3.13.1).
    """

    def test_tx_default_on_connector_zero_applies_to_every_connector(self):
        """
        A TxDefaultProfile on connector 0 is Accepted and limits every
        connector: each one's limit goes to the application.
        """
        self.boot_and_clear()
        self.assertEqual(self.set_profile(0, make_profile()), ChargingProfileStatus.ACCEPTED)
        self.assertEqual(self.installed(), [(0, 1)])
        self.assertEqual(sorted(self.recorder.limits), [(1, 16.0, "A", None), (2, 16.0, "A", None)])

    def test_tx_default_on_one_connector(self):
        """
        A TxDefaultProfile on connector 2 limits that connector only.
        """
        self.boot_and_clear()
        self.assertEqual(self.set_profile(2, make_profile(periods=((0, 10.0),))), ChargingProfileStatus.ACCEPTED)
        self.assertEqual(self.recorder.limits, [(2, 10.0, "A", None)])

    def test_charge_point_max_profile_only_on_connector_zero(self):
        """
        A ChargePointMaxProfile is Rejected on connector 1 and Accepted on
        connector 0 (3.13.1: "can only be set at Charge Point ConnectorId 0").
        """
        self.boot_and_clear()
        self.assertEqual(self.set_profile(1, make_profile(purpose=MAX)), ChargingProfileStatus.REJECTED)
        self.assertEqual(self.installed(), [])
        self.assertEqual(self.set_profile(0, make_profile(purpose=MAX)), ChargingProfileStatus.ACCEPTED)
        self.assertEqual(self.installed(), [(0, 1)])

    def test_tx_profile_without_transaction_rejected(self):
        """
        A TxProfile on a connector without a transaction is Rejected and
        discarded (3.13.1), as is one on connector 0.
        """
        self.boot_and_clear()
        self.assertEqual(self.set_profile(1, make_profile(purpose=TX)), ChargingProfileStatus.REJECTED)
        self.assertEqual(self.set_profile(0, make_profile(purpose=TX)), ChargingProfileStatus.REJECTED)
        self.assertEqual(self.installed(), [])
        self.assertEqual(self.recorder.limits, [])

    def test_tx_profile_bound_to_the_running_transaction(self):
        """
        A TxProfile naming the connector's transaction is Accepted and
        limits it; one naming another transaction is Rejected.
        """
        self.boot_and_clear()
        record = self.start_transaction(1)
        wrong = make_profile(profile_id=7, purpose=TX, transaction_id=record.wire_id + 1)
        self.assertEqual(self.set_profile(1, wrong), ChargingProfileStatus.REJECTED)
        right = make_profile(profile_id=8, purpose=TX, transaction_id=record.wire_id, periods=((0, 6.0),))
        self.assertEqual(self.set_profile(1, right), ChargingProfileStatus.ACCEPTED)
        self.assertEqual(self.installed(), [(1, 8)])
        self.assertEqual(self.recorder.limits, [(1, 6.0, "A", None)])

    def test_tx_profile_overrules_tx_default(self):
        """
        On a connector with a transaction, a TxProfile overrules the
        TxDefaultProfile even when its limit is higher (3.13.1).
        """
        self.boot_and_clear()
        self.set_profile(0, make_profile(profile_id=1, periods=((0, 10.0),)))
        self.start_transaction(1)
        self.set_profile(1, make_profile(profile_id=2, purpose=TX, periods=((0, 20.0),)))
        self.assertEqual(self.periods(self.composite(1)), [(0, 20.0)])
        self.assertEqual(self.periods(self.composite(2)), [(0, 10.0)])

    def test_unknown_connector_is_a_call_error(self):
        """
        An invalid connectorId gets a CALLERROR PropertyConstraintViolation
        (errata 3.39), not a status.
        """
        self.boot_and_clear()
        error = self.ask_error(SetChargingProfileRequest(connector_id=3, cs_charging_profiles=make_profile()))
        self.assertEqual(error.code, ErrorCode.PROPERTY_CONSTRAINT_VIOLATION)
        self.assertEqual(self.installed(), [])

    def test_same_id_replaces(self):
        """
        A profile with the chargingProfileId of an installed one replaces
        it, even on another connector and stack level (5.16.3).
        """
        self.boot_and_clear()
        self.set_profile(1, make_profile(profile_id=5, stack_level=1, periods=((0, 10.0),)))
        self.set_profile(2, make_profile(profile_id=5, stack_level=2, periods=((0, 12.0),)))
        self.assertEqual(self.installed(), [(2, 5)])

    def test_same_stack_level_and_purpose_on_same_connector_replaces(self):
        """
        The same stackLevel and purpose on the same connector replace the
        installed profile (3.13.2); on another connector both stay.
        """
        self.boot_and_clear()
        self.set_profile(1, make_profile(profile_id=1, stack_level=3, periods=((0, 10.0),)))
        self.set_profile(1, make_profile(profile_id=2, stack_level=3, periods=((0, 8.0),)))
        self.set_profile(2, make_profile(profile_id=3, stack_level=3, periods=((0, 8.0),)))
        self.assertEqual(self.installed(), [(1, 2), (2, 3)])
        self.assertEqual(self.periods(self.composite(1)), [(0, 8.0)])

    def test_invalid_schedule_rejected(self):
        """
        A schedule whose first period does not start at 0 (5.16), or whose
        periods go back, a Recurring profile without recurrencyKind, and a
        TxDefaultProfile with a transactionId are Rejected.
        """
        self.boot_and_clear()
        self.assertEqual(self.set_profile(1, make_profile(periods=((10, 8.0),))), ChargingProfileStatus.REJECTED)
        self.assertEqual(
            self.set_profile(1, make_profile(periods=((0, 8.0), (60, 6.0), (30, 4.0)))),
            ChargingProfileStatus.REJECTED,
        )
        self.assertEqual(
            self.set_profile(1, make_profile(kind=ChargingProfileKindType.RECURRING)),
            ChargingProfileStatus.REJECTED,
        )
        # 7.8: a transactionId is only valid on a TxProfile.
        self.assertEqual(self.set_profile(1, make_profile(transaction_id=100)), ChargingProfileStatus.REJECTED)
        self.assertEqual(self.installed(), [])


class KeyTests(SmartChargingTestCase):
    """
    The Smart Charging keys (9.4) are enforced: a profile beyond them is
    Rejected, with one log line naming the key.
    """

    def assertRejectedNaming(self, connector, profile, key):
        observer = self.log_lines()
        self.assertEqual(self.set_profile(connector, profile), ChargingProfileStatus.REJECTED)
        lines = [event for event in observer if "rejected" in event.get("log_format", "")]
        self.assertEqual(len(lines), 1)
        self.assertIn(key, lines[0]["problem"])

    def test_supported_feature_profiles(self):
        """
        SupportedFeatureProfiles names SmartCharging.
        """
        self.boot_and_clear()
        answer = self.ask(GetConfigurationRequest(key=["SupportedFeatureProfiles"]))
        self.assertIn("SmartCharging", answer.configuration_key[0].value.split(","))

    def test_max_stack_level(self):
        self.boot_and_clear()
        self.cp.ocpp_config.set("ChargeProfileMaxStackLevel", "3")
        self.assertRejectedNaming(1, make_profile(stack_level=4), "ChargeProfileMaxStackLevel")
        self.assertEqual(self.set_profile(1, make_profile(stack_level=3)), ChargingProfileStatus.ACCEPTED)

    def test_allowed_charging_rate_unit(self):
        self.boot_and_clear()
        self.cp.ocpp_config.set("ChargingScheduleAllowedChargingRateUnit", "Current")
        self.assertRejectedNaming(
            1, make_profile(unit=W, periods=((0, 7000.0),)), "ChargingScheduleAllowedChargingRateUnit"
        )
        self.assertEqual(self.set_profile(1, make_profile(unit=A)), ChargingProfileStatus.ACCEPTED)

    def test_max_periods(self):
        self.boot_and_clear()
        self.cp.ocpp_config.set("ChargingScheduleMaxPeriods", "2")
        self.assertRejectedNaming(
            1, make_profile(periods=((0, 10.0), (60, 8.0), (120, 6.0))), "ChargingScheduleMaxPeriods"
        )
        self.assertEqual(
            self.set_profile(1, make_profile(periods=((0, 10.0), (60, 8.0)))), ChargingProfileStatus.ACCEPTED
        )

    def test_max_profiles_installed(self):
        """
        Past MaxChargingProfilesInstalled a new profile is Rejected, but one
        replacing an installed profile is still Accepted.
        """
        self.boot_and_clear()
        self.cp.ocpp_config.set("MaxChargingProfilesInstalled", "2")
        self.set_profile(1, make_profile(profile_id=1, stack_level=1))
        self.set_profile(1, make_profile(profile_id=2, stack_level=2))
        self.assertRejectedNaming(1, make_profile(profile_id=3, stack_level=3), "MaxChargingProfilesInstalled")
        self.assertEqual(
            self.set_profile(1, make_profile(profile_id=2, stack_level=2, periods=((0, 9.0),))),
            ChargingProfileStatus.ACCEPTED,
        )
        self.assertEqual(self.installed(), [(1, 1), (1, 2)])

    def test_three_to_one_phase_switch(self):
        """
        A period of one phase on a 3-phase charge point is Rejected while
        ConnectorSwitch3to1PhaseSupported is false, Accepted once true.
        """
        self.boot_and_clear()
        self.assertRejectedNaming(1, make_profile(phases=1), "ConnectorSwitch3to1PhaseSupported")
        self.cp.ocpp_config.set("ConnectorSwitch3to1PhaseSupported", "true")
        self.assertEqual(self.set_profile(1, make_profile(phases=1)), ChargingProfileStatus.ACCEPTED)
        self.assertEqual(self.recorder.limits, [(1, 16.0, "A", 1)])


class SixtyFourBitTests(SmartChargingTestCase):
    """
    The schemas set no maximum to an integer; SQLite holds 64 bits. A
    number beyond them gets a clear answer, not an InternalError with a
    traceback, and nothing installed is lost.
    """

    def test_profile_id_beyond_64_bits_rejected(self):
        """
        A chargingProfileId of 2**63 is Rejected with one log line naming
        it; the installed profile stays.
        """
        self.boot_and_clear()
        self.set_profile(0, make_profile(profile_id=1))
        observer = self.log_lines()
        self.assertEqual(self.set_profile(0, make_profile(profile_id=2**63, stack_level=1)), ChargingProfileStatus.REJECTED)
        self.assertIn("64 bits", " ".join(formatEvent(event) for event in observer))
        self.assertEqual(self.installed(), [(0, 1)])

    def test_clear_beyond_64_bits_is_unknown(self):
        """
        A ClearChargingProfile whose id, connectorId or stackLevel is beyond
        64 bits matches no profile: Unknown, nothing removed.
        """
        self.boot_and_clear()
        self.set_profile(0, make_profile(profile_id=1))
        for fields in ({"id": 2**63}, {"connector_id": 2**63}, {"stack_level": 2**64}):
            self.assertEqual(
                self.ask(ClearChargingProfileRequest(**fields)).status, ClearChargingProfileStatus.UNKNOWN, fields
            )
        self.assertEqual(self.installed(), [(0, 1)])


class ClearChargingProfileTests(SmartChargingTestCase):
    """
    ClearChargingProfile (5.5, errata 3.25): by id, or by every field given.
    """

    def install_three(self):
        self.set_profile(0, make_profile(profile_id=1, purpose=MAX, stack_level=1, periods=((0, 32.0),)))
        self.set_profile(0, make_profile(profile_id=2, stack_level=1, periods=((0, 16.0),)))
        self.set_profile(1, make_profile(profile_id=3, stack_level=2, periods=((0, 10.0),)))

    def clear(self, **fields):
        return self.ask(ClearChargingProfileRequest(**fields)).status

    def test_by_id(self):
        self.boot_and_clear()
        self.install_three()
        self.assertEqual(self.clear(id=3), ClearChargingProfileStatus.ACCEPTED)
        self.assertEqual(self.installed(), [(0, 1), (0, 2)])

    def test_unknown_when_nothing_matched(self):
        """
        Unknown when no profile matched, and nothing is removed.
        """
        self.boot_and_clear()
        self.install_three()
        self.assertEqual(self.clear(id=9), ClearChargingProfileStatus.UNKNOWN)
        self.assertEqual(self.clear(connector_id=2), ClearChargingProfileStatus.UNKNOWN)
        self.assertEqual(self.clear(charging_profile_purpose=TX), ClearChargingProfileStatus.UNKNOWN)
        self.assertEqual(len(self.installed()), 3)

    def test_by_every_field_given(self):
        """
        The fields given must all match (a logical AND).
        """
        self.boot_and_clear()
        self.install_three()
        self.assertEqual(
            self.clear(connector_id=0, charging_profile_purpose=DEFAULT, stack_level=2),
            ClearChargingProfileStatus.UNKNOWN,
        )
        self.assertEqual(
            self.clear(connector_id=0, stack_level=1), ClearChargingProfileStatus.ACCEPTED
        )
        self.assertEqual(self.installed(), [(1, 3)])

    def test_by_purpose(self):
        self.boot_and_clear()
        self.install_three()
        self.assertEqual(self.clear(charging_profile_purpose=DEFAULT), ClearChargingProfileStatus.ACCEPTED)
        self.assertEqual(self.installed(), [(0, 1)])

    def test_no_field_clears_all(self):
        """
        With no field, every profile is cleared; the limits go back to none.
        """
        self.boot_and_clear()
        self.install_three()
        del self.recorder.limits[:]
        self.assertEqual(self.clear(), ClearChargingProfileStatus.ACCEPTED)
        self.assertEqual(self.installed(), [])
        self.assertEqual(sorted(self.recorder.limits), [(1, None, None, None), (2, None, None, None)])


class GetCompositeScheduleTests(SmartChargingTestCase):
    """
    GetCompositeSchedule (5.7) answered from the installed profiles at the
    charge point's time.
    """

    def test_unknown_connector_rejected(self):
        self.boot_and_clear()
        self.assertEqual(self.composite(3).status, GetCompositeScheduleStatus.REJECTED)

    def test_schedule_starts_now(self):
        """
        The answer's scheduleStart is the charge point's time; an Absolute
        profile started 10 minutes ago is reported from its current period.
        """
        self.boot_and_clear()
        self.cs.advance(30)
        start = self.cp.now().replace(microsecond=0) - timedelta(minutes=10)
        self.set_profile(
            1,
            make_profile(
                kind=ChargingProfileKindType.ABSOLUTE,
                start=start,
                periods=((0, 16.0), (900, 8.0)),
                duration=1800,
            ),
        )
        answer = self.composite(1, duration=3600)
        self.assertEqual(answer.status, GetCompositeScheduleStatus.ACCEPTED)
        self.assertEqual(answer.connector_id, 1)
        self.assertEqual(answer.schedule_start, self.cp.now().replace(microsecond=0))
        self.assertEqual(self.periods(answer), [(0, 16.0), (300, 8.0)])
        # Without a maximum, the schedule ends where no profile applies.
        self.assertEqual(answer.charging_schedule.duration, 1200)

    def test_no_profile(self):
        """
        With no profile (and no configured maximum) the answer is Accepted
        without a chargingSchedule: nothing limits the connector.
        """
        self.boot_and_clear()
        answer = self.composite(1)
        self.assertEqual(answer.status, GetCompositeScheduleStatus.ACCEPTED)
        self.assertIsNone(answer.charging_schedule)

    def test_unit_conversion(self):
        """
        A schedule in A is answered in W when asked: A * 230 V * phases.
        """
        self.boot_and_clear()
        self.set_profile(1, make_profile(periods=((0, 10.0),)))
        answer = self.composite(1, unit=W)
        self.assertEqual(answer.charging_schedule.charging_rate_unit, W)
        self.assertEqual(self.periods(answer), [(0, 6900.0)])

    def test_voltage_from_the_hook(self):
        """
        The voltage for the conversion is the one the supply-voltage hook
        answers.
        """
        self.recorder.voltage = 240
        self.boot_and_clear()
        self.set_profile(1, make_profile(periods=((0, 10.0),)))
        self.assertEqual(self.periods(self.composite(1, unit=W)), [(0, 7200.0)])

    def test_bad_voltage_from_the_hook(self):
        """
        A voltage hook that answers nonsense, or fails, is logged, and the
        configured 230 V is used.
        """
        self.boot_and_clear()
        self.set_profile(1, make_profile(periods=((0, 10.0),)))
        for answer in (-5, "high", float("nan")):
            self.recorder.voltage = answer
            self.assertEqual(self.periods(self.composite(1, unit=W)), [(0, 6900.0)])

        class Broken:
            @hookimpl
            def openocpp_cp_supply_voltage(self, charge_point, connector):
                raise RuntimeError("no meter")

        self.cp.plugins.register(Broken(), name="broken")
        self.addCleanup(self.cp.plugins.unregister, name="broken")
        self.assertEqual(self.periods(self.composite(1, unit=W)), [(0, 6900.0)])
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)

    def test_unit_not_allowed_rejected(self):
        """
        A unit ChargingScheduleAllowedChargingRateUnit does not list is
        Rejected; without a unit, the allowed one is used.
        """
        self.boot_and_clear()
        self.cp.ocpp_config.set("ChargingScheduleAllowedChargingRateUnit", "Power")
        self.assertEqual(self.composite(1, unit=A).status, GetCompositeScheduleStatus.REJECTED)
        self.set_profile(1, make_profile(unit=W, periods=((0, 3680.0),)))
        answer = self.composite(1)
        self.assertEqual(answer.charging_schedule.charging_rate_unit, W)

    def test_connector_zero_is_the_total(self):
        """
        Connector 0 gives the sum over the busy connectors, bounded by the
        ChargePointMaxProfile.
        """
        self.boot_and_clear()
        self.set_profile(0, make_profile(profile_id=1, periods=((0, 16.0),)))
        self.set_profile(0, make_profile(profile_id=2, purpose=MAX, periods=((0, 24.0),)))
        self.start_transaction(1)
        self.assertEqual(self.periods(self.composite(0)), [(0, 16.0)])
        self.start_transaction(2)
        self.assertEqual(self.periods(self.composite(0)), [(0, 24.0)])

    def test_duration_beyond_a_month_rejected(self):
        """
        A duration up to 31 days is answered; a longer one, which would
        hold the reactor, is Rejected (5.7: "not able to report").
        """
        self.boot_and_clear()
        self.set_profile(1, make_profile(periods=((0, 10.0),)))
        answer = self.composite(1, duration=31 * 86400)
        self.assertEqual(answer.charging_schedule.duration, 31 * 86400)
        self.assertEqual(self.composite(1, duration=31 * 86400 + 1).status, GetCompositeScheduleStatus.REJECTED)
        self.assertEqual(self.composite(1, duration=2**31 - 1).status, GetCompositeScheduleStatus.REJECTED)

    def test_too_much_work_rejected(self):
        """
        Ten daily profiles of 24 periods at distinct times (the keys'
        defaults) asked for over 31 days would hold the reactor for tens of
        ms: Rejected (5.7: "not able to report") with one log line naming
        the segments; over a day the composite is answered.
        """
        self.boot_and_clear()
        for level in range(10):
            periods = ((0, 10.0),) + tuple((hour * 3600 + level * 7, 6.0 + (level + hour) % 26) for hour in range(1, 24))
            self.set_profile(0, make_profile(
                profile_id=level + 1, stack_level=level, periods=periods, kind=ChargingProfileKindType.RECURRING,
                recurrency=RecurrencyKindType.DAILY, start=self.cp.now().replace(microsecond=0),
            ))
        self.start_transaction(1)
        observer = self.log_lines()
        self.assertEqual(self.composite(1, duration=31 * 86400).status, GetCompositeScheduleStatus.REJECTED)
        lines = [formatEvent(event) for event in observer if "GetCompositeSchedule rejected" in formatEvent(event)]
        self.assertEqual(len(lines), 1)
        self.assertIn("segments", lines[0])
        self.assertEqual(self.composite(1, duration=86400).status, GetCompositeScheduleStatus.ACCEPTED)

    def test_negative_duration_rejected(self):
        self.boot_and_clear()
        self.assertEqual(self.composite(1, duration=-1).status, GetCompositeScheduleStatus.REJECTED)

    def test_configured_maximum_fills_gaps(self):
        """
        With the charger's maximum configured, a gap gets that maximum.
        """
        self.cp = make_charge_point(self, self.clock, plugins=self.plugins, max_current=32.0)
        self.boot_and_clear()
        self.set_profile(1, make_profile(periods=((0, 10.0),), duration=600))
        answer = self.composite(1, duration=1200)
        self.assertEqual(self.periods(answer), [(0, 10.0), (600, 32.0)])
        self.assertEqual(answer.charging_schedule.duration, 1200)


class TransactionTests(SmartChargingTestCase):
    """
    TxProfiles live as long as their transaction; a remote start's profile
    is used for the transaction it starts (5.11, 5.16.2).
    """

    def test_tx_profile_removed_at_stop(self):
        """
        When the transaction stops its TxProfile is deleted (3.13.1) and
        the connector's limit goes back to the TxDefaultProfile's.
        """
        self.boot_and_clear()
        self.set_profile(0, make_profile(profile_id=1, periods=((0, 16.0),)))
        self.start_transaction(1)
        self.set_profile(1, make_profile(profile_id=2, purpose=TX, periods=((0, 6.0),)))
        del self.recorder.limits[:]
        self.successResultOf(self.cp.stop_transaction(1))
        self.cs.settle()
        self.assertEqual(self.installed(), [(0, 1)])
        self.assertEqual(self.recorder.limits, [(1, 16.0, "A", None)])

    def test_remote_start_with_profile(self):
        """
        A RemoteStartTransaction's TxProfile is installed for the
        transaction it starts, and limits it.
        """
        self.boot_and_clear()
        answer = self.ask(
            RemoteStartTransactionRequest(
                id_tag="TAG", connector_id=2, charging_profile=make_profile(profile_id=4, purpose=TX, periods=((0, 7.0),))
            )
        )
        self.assertEqual(answer.status, RemoteStartStopStatus.ACCEPTED)
        self.cs.settle()
        record = self.cp.transaction_record(2)
        self.assertIsNotNone(record)
        stored = self.cp._smart_charging.installed()
        self.assertEqual([(s.connector_id, s.profile.charging_profile_id, s.local_id) for s in stored],
                         [(2, 4, record.local_id)])
        self.assertEqual(self.recorder.limits, [(2, 7.0, "A", None)])
        self.assertEqual(self.periods(self.composite(2)), [(0, 7.0)])

    def test_remote_start_profile_replaced_by_same_stack_level(self):
        """
        errata to 5.16.2: "When the Charge Point receives a
        SetChargingProfile.req, with the transactionId for this
        transaction, with the same StackLevel as the profile given in the
        remoteStartTransaction.req, the Charge Point SHALL replace the
        existing charging profile, otherwise it SHALL install/stack the
        profile next to the already existing profile(s)."
        """
        self.boot_and_clear()
        self.ask(
            RemoteStartTransactionRequest(
                id_tag="TAG", connector_id=1, charging_profile=make_profile(profile_id=4, purpose=TX, periods=((0, 7.0),))
            )
        )
        self.cs.settle()
        record = self.cp.transaction_record(1)
        self.assertIsNotNone(record.wire_id)
        replacing = make_profile(profile_id=9, purpose=TX, transaction_id=record.wire_id, periods=((0, 9.0),))
        self.assertEqual(self.set_profile(1, replacing), ChargingProfileStatus.ACCEPTED)
        self.assertEqual(self.installed(), [(1, 9)])
        stacked = make_profile(profile_id=10, purpose=TX, stack_level=1, transaction_id=record.wire_id, periods=((0, 5.0),))
        self.assertEqual(self.set_profile(1, stacked), ChargingProfileStatus.ACCEPTED)
        self.assertEqual(self.installed(), [(1, 9), (1, 10)])
        self.assertEqual(self.periods(self.composite(1)), [(0, 5.0)])

    def test_remote_start_profile_dropped_without_transaction(self):
        """
        A remote start's TxProfile waits ConnectionTimeOut for its
        transaction; when none started, it is dropped, and a later
        transaction does not get it.
        """

        class NoCar:
            @hookimpl
            def openocpp_cp_start_charging(self, charge_point, connector, id_tag, charging_profile):
                return True  # waits for a car that never comes

        self.cp.plugins.register(NoCar(), name="no-car")
        self.boot_and_clear()
        self.cp.ocpp_config.set("ConnectionTimeOut", "30")
        self.ask(
            RemoteStartTransactionRequest(
                id_tag="TAG", connector_id=1, charging_profile=make_profile(profile_id=4, purpose=TX)
            )
        )
        self.cs.advance(31)
        self.start_transaction(1)
        self.assertEqual(self.installed(), [])

    def test_remote_start_with_other_purpose_rejected(self):
        """
        A RemoteStartTransaction whose profile is not a TxProfile is
        Rejected (5.11: "SHALL be set to TxProfile"); no transaction starts.
        """
        self.boot_and_clear()
        answer = self.ask(
            RemoteStartTransactionRequest(id_tag="TAG", connector_id=1, charging_profile=make_profile(purpose=DEFAULT))
        )
        self.assertEqual(answer.status, RemoteStartStopStatus.REJECTED)
        self.assertIsNone(self.cp.transaction_record(1))
        self.assertEqual(self.installed(), [])

    def test_remote_start_profile_beyond_max_profiles_installed_rejected(self):
        """
        With MaxChargingProfilesInstalled profiles installed, a remote
        start whose TxProfile would be one more is Rejected (the profile
        "SHALL" be used when accepted, 5.11, and the key caps what is
        installed, 9.4); no transaction starts, the profiles stay. One that
        replaces an installed profile (same chargingProfileId) is Accepted.
        """
        self.boot_and_clear()
        self.cp.ocpp_config.set("MaxChargingProfilesInstalled", "1")
        self.set_profile(0, make_profile(profile_id=1))
        answer = self.ask(
            RemoteStartTransactionRequest(id_tag="TAG", connector_id=1, charging_profile=make_profile(profile_id=4, purpose=TX))
        )
        self.assertEqual(answer.status, RemoteStartStopStatus.REJECTED)
        self.cs.settle()
        self.assertIsNone(self.cp.transaction_record(1))
        self.assertEqual(self.installed(), [(0, 1)])
        answer = self.ask(
            RemoteStartTransactionRequest(id_tag="TAG", connector_id=1, charging_profile=make_profile(profile_id=1, purpose=TX))
        )
        self.assertEqual(answer.status, RemoteStartStopStatus.ACCEPTED)
        self.cs.settle()
        self.assertEqual(self.installed(), [(1, 1)])

    def test_relative_profile_counts_from_transaction_start(self):
        """
        A Relative TxDefaultProfile runs from the start of the transaction:
        its second period begins 60 s after it.
        """
        self.boot_and_clear()
        self.set_profile(1, make_profile(periods=((0, 16.0), (60, 8.0))))
        self.start_transaction(1)
        self.cs.advance(20)
        self.assertEqual(self.periods(self.composite(1, duration=120)), [(0, 16.0), (40, 8.0)])


class LimitHookTests(SmartChargingTestCase):
    """
    The limit goes to the application when a profile, a transaction or a
    period boundary changes it, and only then.
    """

    def test_period_boundary(self):
        """
        At a period's start the new limit of a charging connector is told,
        by a timer at that moment (no polling: before it, nothing).
        """
        self.boot_and_clear()
        self.start_transaction(1)
        start = self.cp.now().replace(microsecond=0)
        self.set_profile(
            1, make_profile(kind=ChargingProfileKindType.ABSOLUTE, start=start, periods=((0, 16.0), (600, 10.0)))
        )
        self.assertEqual(self.recorder.limits, [(1, 16.0, "A", None)])
        self.clock.advance(599)
        self.assertEqual(self.recorder.limits, [(1, 16.0, "A", None)])
        self.clock.advance(1)
        self.assertEqual(self.recorder.limits, [(1, 16.0, "A", None), (1, 10.0, "A", None)])

    def test_charging_limit_read_from_the_charge_point(self):
        """
        The limit last told can be read from the charge point
        (C{IChargePoint.charging_limit}).
        """
        self.boot_and_clear()
        self.assertEqual(self.cp.charging_limit(1), (None, None, None))
        self.set_profile(1, make_profile(unit=W, periods=((0, 3000.0),), phases=3))
        self.assertEqual(self.cp.charging_limit(1), (3000.0, W, 3))
        self.assertEqual(self.cp.charging_limit(2), (None, None, None))

    def test_not_told_when_nothing_changed(self):
        """
        A profile that does not change the limit in force (a lower stack
        level under a higher one) is not told.
        """
        self.boot_and_clear()
        self.set_profile(1, make_profile(profile_id=1, stack_level=5, periods=((0, 10.0),)))
        self.set_profile(1, make_profile(profile_id=2, stack_level=1, periods=((0, 12.0),)))
        self.start_transaction(1)
        self.assertEqual(self.recorder.limits, [(1, 10.0, "A", None)])

    def test_transaction_start_and_stop(self):
        """
        A Relative schedule runs from the transaction's start: its second
        period is told 60 s in; once the transaction stops the connector is
        back at the first period (as if a transaction started now), and a
        new start, which does not change that, is not told.
        """
        self.boot_and_clear()
        self.set_profile(1, make_profile(periods=((0, 16.0), (60, 8.0))))
        self.start_transaction(1)
        self.assertEqual(self.recorder.limits, [(1, 16.0, "A", None)])
        self.clock.advance(60)
        self.assertEqual(self.recorder.limits[-1], (1, 8.0, "A", None))
        self.successResultOf(self.cp.stop_transaction(1))
        self.cs.settle()
        self.assertEqual(self.recorder.limits[-1], (1, 16.0, "A", None))
        told = len(self.recorder.limits)
        self.cs.advance(10)
        self.start_transaction(1)
        self.assertEqual(len(self.recorder.limits), told)

    def test_no_timer_on_an_idle_connector(self):
        """
        An idle connector draws nothing: no timer runs for it (its Relative
        schedule would start again at every look).
        """
        self.boot_and_clear()
        self.set_profile(1, make_profile(periods=((0, 16.0), (60, 8.0))))
        self.assertEqual(self.cp._smart_charging._timers, {})

    def test_time_jump(self):
        """
        When the central system's time moves the charge point's by hours
        (Heartbeat.conf), the limit in force at the new time is told at once.
        """
        self.boot_and_clear()
        self.start_transaction(1)
        start = self.cp.now().replace(microsecond=0) + timedelta(hours=1)
        self.set_profile(
            1, make_profile(kind=ChargingProfileKindType.ABSOLUTE, start=start, periods=((0, 8.0),))
        )
        self.assertEqual(self.recorder.limits, [])
        later = self.cs.now() + timedelta(hours=2)
        self.cs.answers["Heartbeat"] = lambda request: HeartbeatResponse(current_time=later)
        self.cp._heartbeat.send()
        self.cs.settle()
        self.assertEqual(self.recorder.limits, [(1, 8.0, "A", None)])

    def test_change_beyond_a_week_is_still_told(self):
        """
        An Absolute profile that starts in 8 days, beyond the week the next
        change is looked for in: a transaction running then still gets the
        new limit at its start (a timer at the horizon looks again).
        """
        self.boot_and_clear()
        self.start_transaction(1)
        start = self.cp.now().replace(microsecond=0) + timedelta(days=8)
        self.set_profile(
            1, make_profile(kind=ChargingProfileKindType.ABSOLUTE, start=start, periods=((0, 8.0),))
        )
        self.assertEqual(self.recorder.limits, [])
        for _ in range(8 * 24):
            self.clock.advance(3600)
        self.clock.advance(1)
        self.assertEqual(self.recorder.limits, [(1, 8.0, "A", None)])

    def test_recurring_daily(self):
        """
        A Daily profile changes a charging connector's limit every day at
        the same time.
        """
        self.boot_and_clear()
        self.start_transaction(1)
        start = self.cp.now().replace(microsecond=0)
        self.set_profile(
            1,
            make_profile(
                kind=ChargingProfileKindType.RECURRING,
                recurrency=RecurrencyKindType.DAILY,
                start=start,
                periods=((0, 16.0), (3600, 8.0)),
            ),
        )
        self.clock.advance(3600)
        self.clock.advance(86400 - 3600)
        self.assertEqual(
            self.recorder.limits,
            [(1, 16.0, "A", None), (1, 8.0, "A", None), (1, 16.0, "A", None)],
        )


class PersistenceTests(SmartChargingTestCase):
    """
    Profiles persist across a restart (errata: "SHALL be persistent across
    reboots/power cycles").
    """

    def test_profiles_survive_a_restart(self):
        path = self.mktemp()
        self.cp = make_charge_point(self, self.clock, database=path, plugins=self.plugins)
        self.boot_and_clear()
        self.set_profile(0, make_profile(profile_id=1, purpose=MAX, periods=((0, 20.0),)))
        self.set_profile(1, make_profile(profile_id=2, periods=((0, 10.0),)))
        self.cp.stopService()
        self.cs.disconnect()
        recorder = LimitRecorder()
        manager = make_plugin_manager(
            builtins=[DefaultChargePointBehaviour()], plugins=[recorder], load_entrypoints=False
        )
        from openocpp.chargepoint.config import ChargePointConfig
        from openocpp.chargepoint.service import ChargePoint

        again = ChargePoint(ChargePointConfig(database=path), reactor=self.clock, clock=self.clock,
                            plugins=manager, connect=False)
        self.addCleanup(again.store.close)
        self.cp = again
        again.startService()
        self.cs.connect(again)
        self.assertEqual(self.installed(), [(0, 1), (1, 2)])
        # Connector 2 is capped by the ChargePointMaxProfile alone.
        self.assertEqual(recorder.limits, [(1, 10.0, "A", None), (2, 20.0, "A", None)])
        self.assertEqual(self.periods(self.composite(1)), [(0, 10.0)])

    def test_tx_profiles_of_ended_transactions_dropped_at_start(self):
        """
        A TxProfile whose transaction is not running when the charge point
        starts is removed.
        """
        path = self.mktemp()
        self.cp = make_charge_point(self, self.clock, database=path, plugins=self.plugins)
        self.boot_and_clear()
        record = self.start_transaction(1)
        self.set_profile(1, make_profile(profile_id=2, purpose=TX))
        self.cp.stopService()
        self.cs.disconnect()
        # The transaction ended while the charge point was down.
        self.cp.store.open()
        stop = StopTransactionRequest(meter_stop=0, timestamp=self.cs.now(), transaction_id=0)
        self.cp.store.stop_transaction(
            record.local_id, codec.format_datetime(stop.timestamp), None, codec.encode(stop)
        )
        self.cp.startService()
        self.cs.connect(self.cp)
        self.assertEqual(self.installed(), [])


class SimulatedMeterTests(SmartChargingTestCase):
    """
    The built-in simulated charger obeys the limit: its meter's power
    follows it.
    """

    def make_plugins(self):
        self.recorder = LimitRecorder()
        self.meter = SimulatedMeter()
        return [self.recorder]

    def setUp(self):
        super().setUp()
        manager = make_plugin_manager(
            builtins=[DefaultChargePointBehaviour(meter=self.meter)],
            plugins=[self.recorder],
            load_entrypoints=False,
        )
        from openocpp.chargepoint.config import ChargePointConfig
        from openocpp.chargepoint.service import ChargePoint

        self.cp = ChargePoint(ChargePointConfig(database=":memory:"), reactor=self.clock,
                              clock=self.clock, plugins=manager, connect=False)
        self.addCleanup(self.cp.store.close)

    def power(self, connector):
        return self.meter.read(self.cp, connector, Measurand.POWER_ACTIVE_IMPORT)

    def test_power_follows_limit(self):
        """
        10 A (3 phases assumed) on the single-phase simulated charger is
        10 A on its one 230 V phase, 2300 W (errata 3.34: the limit as
        given, for the phases used), and its Current.Import is 10 A; 3000 W
        is 3000 W; with the profiles cleared, the meter's own 7360 W again.
        The energy register grows at the power in force.
        """
        self.boot_and_clear()
        self.start_transaction(1)
        self.assertEqual(self.power(1), 7360.0)
        self.set_profile(1, make_profile(profile_id=1, periods=((0, 10.0),)))
        self.assertEqual(self.power(1), 2300.0)
        self.assertEqual(self.meter.read(self.cp, 1, Measurand.CURRENT_IMPORT), 10.0)
        before = self.meter.energy(self.cp, 1)
        self.clock.advance(3600)
        self.assertAlmostEqual(self.meter.energy(self.cp, 1) - before, 2300.0)
        self.set_profile(1, make_profile(profile_id=1, unit=W, periods=((0, 3000.0),)))
        self.assertEqual(self.power(1), 3000.0)
        self.assertEqual(self.power(0), 3000.0)
        self.ask(ClearChargingProfileRequest())
        self.assertEqual(self.power(1), 7360.0)


    def test_limit_above_the_chargers_power_is_not_drawn(self):
        """
        A limit is a maximum (7.14): 32 A on 3 phases (22080 W), or 1e308 A
        (infinite watts), leaves the 7360 W charger at 7360 W; the energy
        register stays finite and MeterValues can carry it.
        """
        self.boot_and_clear()
        self.start_transaction(1)
        self.set_profile(1, make_profile(profile_id=1, periods=((0, 32.0),)))
        self.assertEqual(self.power(1), 7360.0)
        self.set_profile(1, make_profile(profile_id=1, periods=((0, 1e308),)))
        self.assertEqual(self.power(1), 7360.0)
        before = self.meter.energy(self.cp, 1)
        self.clock.advance(3600)
        self.assertAlmostEqual(self.meter.energy(self.cp, 1) - before, 7360.0)
        self.assertEqual(self.meter.read(self.cp, 1, Measurand.CURRENT_OFFERED), 32.0)
