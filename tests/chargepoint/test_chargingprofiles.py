"""
Tests for L{openocpp.chargepoint.chargingprofiles.ChargingProfileStore}:
the profiles it keeps in memory are always those its file holds, whatever
the installs and clears (a property over random sequences of them).
"""

from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from openocpp.chargepoint.chargingprofiles import ChargingProfileStore
from openocpp.chargepoint.store import ChargePointStore
from tests.chargepoint.test_smartcharging import MAX, DEFAULT, TX, make_profile

_PURPOSES = st.sampled_from([MAX, DEFAULT, TX])

_INSTALL = st.tuples(
    st.just("install"),
    st.integers(1, 6),  # chargingProfileId
    st.integers(0, 2),  # connector
    _PURPOSES,
    st.integers(0, 3),  # stackLevel
    st.one_of(st.none(), st.integers(1, 3)),  # local id
)
_CLEAR = st.tuples(
    st.just("clear"),
    st.one_of(st.none(), st.integers(1, 6)),
    st.one_of(st.none(), st.integers(0, 2)),
    st.one_of(st.none(), _PURPOSES),
    st.one_of(st.none(), st.integers(0, 3)),
)
_CLEAR_TRANSACTIONS = st.tuples(st.just("keep"), st.lists(st.integers(1, 3), max_size=3))


def _contents(profiles):
    return sorted(
        (s.profile.charging_profile_id, s.connector_id, str(s.profile.charging_profile_purpose),
         s.profile.stack_level, s.local_id)
        for s in profiles
    )


class ChargingProfileStoreTests(SynchronousTestCase):
    @settings(max_examples=150, deadline=None)
    @given(st.lists(st.one_of(_INSTALL, _CLEAR, _CLEAR_TRANSACTIONS), max_size=25))
    def test_memory_follows_the_file(self, operations):
        """
        After every operation the profiles kept in memory are those a fresh
        read of the file gives.
        """
        store = ChargePointStore(":memory:")
        try:
            profiles = ChargingProfileStore(store)
            profiles.profiles()  # read once: from here on, kept in memory
            for operation in operations:
                if operation[0] == "install":
                    _, profile_id, connector, purpose, stack_level, local_id = operation
                    profiles.install(
                        connector, make_profile(profile_id=profile_id, purpose=purpose, stack_level=stack_level),
                        local_id,
                    )
                elif operation[0] == "clear":
                    profiles.clear(*operation[1:])
                else:
                    profiles.clear_transactions(keep=operation[1])
                fresh = ChargingProfileStore(store)
                self.assertEqual(_contents(profiles.profiles()), _contents(fresh.profiles()))
        finally:
            store.close()

    def test_restart_reads_the_file(self):
        """
        Once told to forget, the store reads its file again.
        """
        store = ChargePointStore(":memory:")
        self.addCleanup(store.close)
        profiles = ChargingProfileStore(store)
        profiles.install(1, make_profile(profile_id=1))
        self.assertEqual(len(profiles.profiles()), 1)
        ChargingProfileStore(store).clear()
        self.assertEqual(len(profiles.profiles()), 1)
        profiles.forget()
        self.assertEqual(profiles.profiles(), [])
