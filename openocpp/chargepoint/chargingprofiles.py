"""
The charging profiles a charge point has installed (OCPP 1.6 section 3.13),
kept in its SQLite file: "ChargingProfiles set via SetChargingProfile.req
SHALL be persistent across reboots/power cycles" (errata 3.37).

A profile is kept as the SetChargingProfile.req payload that installed it
(so that reading it back is decoding a message against its schema), with the
columns it is looked up by. A TxProfile names the transaction it belongs to
by the charge point's own id (C{local_id}), known before the central system's
transaction id is: a profile a RemoteStartTransaction.req carried belongs to
its transaction at once.
"""

import json
from dataclasses import dataclass
from typing import Any, Iterable

from openocpp.messages import SetChargingProfileRequest, codec
from openocpp.messages.datatypes import ChargingProfile
from openocpp.store.sqlite import transaction


@dataclass(frozen=True, slots=True)
class StoredProfile:
    """
    An installed charging profile.

    @ivar connector_id: the connector it was installed on (0: the charge
        point, or every connector for a TxDefaultProfile).
    @ivar profile: the L{ChargingProfile}.
    @ivar local_id: for a TxProfile, the local id of its transaction; else
        C{None}.
    """

    connector_id: int
    profile: ChargingProfile
    local_id: int | None = None


class ChargingProfileStore:
    """
    The charging profiles in a charge point's SQLite file.

    @param store: the L{openocpp.chargepoint.store.ChargePointStore} whose
        connection (table C{charging_profiles}) is used.
    """

    def __init__(self, store: Any) -> None:
        self._store = store
        #: The profiles as last read, kept up to date by every write: the
        #: file is read once (a profile's decoding, schema checked, costs
        #: more than the composite schedule computed from it), then only
        #: written.
        self._cached: list[StoredProfile] | None = None

    def forget(self) -> None:
        """
        Read the file again next time (its service starts again).
        """
        self._cached = None

    @property
    def _db(self):
        # Asked every time: the store opens a new connection when its
        # service starts again.
        return self._store.connection

    def profiles(self) -> list[StoredProfile]:
        """
        @return: every installed profile, in the order they were installed
            (a list not to be changed).
        """
        if self._cached is None:
            self._cached = [
                _stored(row)
                for row in self._db.execute(
                    "SELECT payload, local_id FROM charging_profiles ORDER BY installed"
                )
            ]
        return self._cached

    def count(self) -> int:
        """
        @return: how many profiles are installed.
        """
        (count,) = self._db.execute("SELECT COUNT(*) FROM charging_profiles").fetchone()
        return count

    def replaced_by(self, connector_id: int, profile: ChargingProfile) -> int:
        """
        @return: how many installed profiles installing C{profile} on
            C{connector_id} replaces (3.13.2, 5.16.3): the one of the same
            chargingProfileId, and the one of the same stackLevel and
            purpose on the same connector.
        """
        (count,) = self._db.execute(
            "SELECT COUNT(*) FROM charging_profiles WHERE profile_id = ? OR "
            "(connector_id = ? AND purpose = ? AND stack_level = ?)",
            _key(connector_id, profile),
        ).fetchone()
        return count

    def install(self, connector_id: int, profile: ChargingProfile, local_id: int | None = None) -> None:
        """
        Install a profile, replacing those it replaces (L{replaced_by}), in
        one SQLite transaction.
        """
        payload = codec.encode(
            SetChargingProfileRequest(connector_id=connector_id, cs_charging_profiles=profile)
        )
        with transaction(self._db):
            self._db.execute(
                "DELETE FROM charging_profiles WHERE profile_id = ? OR "
                "(connector_id = ? AND purpose = ? AND stack_level = ?)",
                _key(connector_id, profile),
            )
            self._db.execute(
                "INSERT INTO charging_profiles (profile_id, connector_id, purpose, stack_level, "
                "local_id, payload, installed) VALUES (?, ?, ?, ?, ?, ?, "
                "(SELECT COALESCE(MAX(installed), 0) + 1 FROM charging_profiles))",
                (
                    profile.charging_profile_id,
                    connector_id,
                    str(profile.charging_profile_purpose),
                    profile.stack_level,
                    local_id,
                    json.dumps(payload),
                ),
            )
        if self._cached is not None:
            self._cached = [
                stored for stored in self._cached if not _replaces(connector_id, profile, stored)
            ] + [StoredProfile(connector_id, profile, local_id)]

    def clear(
        self,
        profile_id: int | None = None,
        connector_id: int | None = None,
        purpose: str | None = None,
        stack_level: int | None = None,
    ) -> int:
        """
        Remove the profiles that match every criterion given (errata 3.25:
        a logical AND; none given: every profile). A profile id, when given,
        is enough.

        @return: how many were removed.
        """
        if profile_id is not None:
            where, values = ["profile_id = ?"], [profile_id]
        else:
            where, values = [], []
            for column, value in (
                ("connector_id", connector_id),
                ("purpose", purpose),
                ("stack_level", stack_level),
            ):
                if value is not None:
                    where.append(f"{column} = ?")
                    values.append(value if column != "purpose" else str(value))
        sql = "DELETE FROM charging_profiles"
        if where:
            sql += " WHERE " + " AND ".join(where)
        with transaction(self._db):
            cursor = self._db.execute(sql, values)
        if self._cached is not None:
            criteria = (
                {"id": profile_id}
                if profile_id is not None
                else {"connector": connector_id, "purpose": purpose, "stack_level": stack_level}
            )
            self._cached = [stored for stored in self._cached if not _matches(stored, **criteria)]
        return cursor.rowcount

    def clear_transactions(self, keep: Iterable[int]) -> int:
        """
        Remove the TxProfiles of every transaction but those in C{keep}
        (local ids: the running ones).

        @return: how many were removed.
        """
        kept = list(keep)
        with transaction(self._db):
            cursor = self._db.execute(
                "DELETE FROM charging_profiles WHERE local_id IS NOT NULL AND local_id NOT IN "
                f"({','.join('?' * len(kept))})",
                kept,
            )
        if self._cached is not None:
            self._cached = [
                stored for stored in self._cached if stored.local_id is None or stored.local_id in kept
            ]
        return cursor.rowcount


def _key(connector_id: int, profile: ChargingProfile) -> tuple:
    return (
        profile.charging_profile_id,
        connector_id,
        str(profile.charging_profile_purpose),
        profile.stack_level,
    )


def _replaces(connector_id: int, profile: ChargingProfile, stored: StoredProfile) -> bool:
    # What install() deletes, as its SQL does.
    installed = stored.profile
    return installed.charging_profile_id == profile.charging_profile_id or (
        stored.connector_id == connector_id
        and str(installed.charging_profile_purpose) == str(profile.charging_profile_purpose)
        and installed.stack_level == profile.stack_level
    )


def _matches(stored: StoredProfile, id=None, connector=None, purpose=None, stack_level=None) -> bool:
    # What clear() deletes, as its SQL does.
    profile = stored.profile
    if id is not None:
        return profile.charging_profile_id == id
    return (
        (connector is None or stored.connector_id == connector)
        and (purpose is None or str(profile.charging_profile_purpose) == str(purpose))
        and (stack_level is None or profile.stack_level == stack_level)
    )


def _stored(row: Any) -> StoredProfile:
    request = codec.decode(SetChargingProfileRequest, json.loads(row["payload"]))
    return StoredProfile(request.connector_id, request.cs_charging_profiles, row["local_id"])
