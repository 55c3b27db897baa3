"""
Tests for L{openocpp.centralsystem.chargingprofiles.ChargingProfileAnswers}:
only Accepted answers change the store, and a store that fails does not
keep the charge point's answer from its caller.
"""

from twisted.trial.unittest import SynchronousTestCase

from openocpp.centralsystem.chargingprofiles import ChargingProfileAnswers
from openocpp.centralsystem.store import StorageFailed
from openocpp.messages import core
from openocpp.messages.datatypes import ChargingProfile, ChargingSchedule, ChargingSchedulePeriod
from openocpp.messages.enums import ChargingProfileStatus, ClearChargingProfileStatus

PROFILE = ChargingProfile(
    charging_profile_id=1,
    stack_level=0,
    charging_profile_purpose="TxDefaultProfile",
    charging_profile_kind="Relative",
    charging_schedule=ChargingSchedule(
        charging_rate_unit="A", charging_schedule_period=[ChargingSchedulePeriod(start_period=0, limit=16)]
    ),
)
SET = core.SetChargingProfileRequest(connector_id=1, cs_charging_profiles=PROFILE)
CLEAR = core.ClearChargingProfileRequest(connector_id=1)


class RecordingStore:
    def __init__(self, fail=False):
        self.calls = []
        self.fail = fail

    def record_charging_profile(self, identity, connector_id, profile):
        if self.fail:
            raise StorageFailed("disk full")
        self.calls.append(("record", identity, connector_id, profile.charging_profile_id))

    def clear_charging_profiles(self, identity, profile_id, connector_id, purpose, stack_level):
        self.calls.append(("clear", identity, profile_id, connector_id, purpose, stack_level))


class ChargingProfileAnswersTests(SynchronousTestCase):
    def test_only_accepted_answers_stored(self):
        store = RecordingStore()
        answers = ChargingProfileAnswers(store, "CP1")
        answers(core.SetChargingProfileResponse(status=ChargingProfileStatus.REJECTED), SET)
        answers(core.ClearChargingProfileResponse(status=ClearChargingProfileStatus.UNKNOWN), CLEAR)
        self.assertEqual(store.calls, [])
        answers(core.SetChargingProfileResponse(status=ChargingProfileStatus.ACCEPTED), SET)
        answers(core.ClearChargingProfileResponse(status=ClearChargingProfileStatus.ACCEPTED), CLEAR)
        self.assertEqual(
            store.calls, [("record", "CP1", 1, 1), ("clear", "CP1", None, 1, None, None)]
        )

    def test_failing_store_passes_the_answer_on(self):
        """
        A write that fails is logged; the caller still gets the charge
        point's answer.
        """
        answers = ChargingProfileAnswers(RecordingStore(fail=True), "CP1")
        response = core.SetChargingProfileResponse(status=ChargingProfileStatus.ACCEPTED)
        self.assertIs(answers(response, SET), response)
        self.assertEqual(len(self.flushLoggedErrors(StorageFailed)), 1)
