"""
The charging profiles the central system sent, per charge point: kept when
the charge point answered SetChargingProfile.conf Accepted, removed when it
answered ClearChargingProfile.conf Accepted, by the rules the charge point
applies (OCPP 1.6 sections 3.13.2, 5.5, 5.16.3 and errata 3.25), so that the
list says what the charge point holds.

Only the answers to the central system's own calls pass here
(L{ChargingProfileAnswers}, given to each
L{openocpp.centralsystem.proxy.ChargePointProxy}); the charge points'
messages (the hot path) never do. A TxProfile whose transaction has
stopped is left out of the list (the charge point deletes it then, 3.13.1),
without a write on StopTransaction; one sent without a transactionId is
bound, as the charge point binds it, to the connector's running
transaction. The TxProfile of a RemoteStartTransaction is not listed: its
transaction is not known when the charge point accepts it.
"""

import json
from typing import Any, Callable

from twisted.logger import Logger

from openocpp.messages import codec
from openocpp.messages.enums import ChargingProfileStatus, ClearChargingProfileStatus

#: The actions whose answers change what a charge point holds.
PROFILE_ACTIONS = frozenset({"SetChargingProfile", "ClearChargingProfile"})


class ChargingProfileRecords:
    """
    The table C{charging_profiles} of the central system's store.

    @param db: the store's SQLite connection (for reads).
    @param write: the store's C{write(sql, arguments)}, joining the turn's
        group commit.
    @param now_text: returns the store's time as stored text.
    """

    def __init__(self, db: Any, write: Callable[..., Any], now_text: Callable[[], str]) -> None:
        self._db = db
        self._write = write
        self._now_text = now_text

    def record(self, identity: str, connector_id: int, profile: Any) -> None:
        """
        A charge point accepted a profile: it replaces the one of the same
        chargingProfileId, and the one of the same stackLevel and purpose
        on the same connector (3.13.2).
        """
        purpose = str(profile.charging_profile_purpose)
        transaction_id = profile.transaction_id
        for number in (profile.charging_profile_id, connector_id, profile.stack_level, transaction_id):
            if number is not None and not -(2**63) <= number < 2**63:
                # Refused before the DELETE, which would otherwise remove
                # what the INSERT cannot replace.
                raise OverflowError(f"{number} is beyond 64 bits")
        if purpose == "TxProfile" and transaction_id is None:
            # The charge point binds it to the connector's running
            # transaction: so does the list, to leave it out once it stopped.
            row = self._db.execute(
                "SELECT id FROM transactions WHERE identity = ? AND connector_id = ? AND "
                "stop_timestamp IS NULL ORDER BY id DESC LIMIT 1",
                (identity, connector_id),
            ).fetchone()
            transaction_id = None if row is None else row[0]
        self._write(
            "DELETE FROM charging_profiles WHERE identity = ? AND (profile_id = ? OR "
            "(connector_id = ? AND purpose = ? AND stack_level = ?))",
            (identity, profile.charging_profile_id, connector_id, purpose, profile.stack_level),
        )
        self._write(
            "INSERT INTO charging_profiles (identity, profile_id, connector_id, purpose, "
            "stack_level, transaction_id, profile, accepted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                identity,
                profile.charging_profile_id,
                connector_id,
                purpose,
                profile.stack_level,
                transaction_id,
                json.dumps(codec.encode(profile)),
                self._now_text(),
            ),
        )

    def clear(
        self,
        identity: str,
        profile_id: int | None = None,
        connector_id: int | None = None,
        purpose: str | None = None,
        stack_level: int | None = None,
    ) -> None:
        """
        A charge point accepted a ClearChargingProfile: the profiles it
        matches go (by id; or every field given, a logical AND; none: all).
        """
        where, values = ["identity = ?"], [identity]
        if profile_id is not None:
            where.append("profile_id = ?")
            values.append(profile_id)
        else:
            for column, value in (
                ("connector_id", connector_id),
                ("purpose", None if purpose is None else str(purpose)),
                ("stack_level", stack_level),
            ):
                if value is not None:
                    where.append(f"{column} = ?")
                    values.append(value)
        self._write("DELETE FROM charging_profiles WHERE " + " AND ".join(where), values)

    def records(self, identity: str) -> list[dict]:
        """
        @return: the profiles a charge point holds, by connector and
            chargingProfileId: C{connector_id}, C{profile_id}, C{purpose},
            C{stack_level}, C{transaction_id}, C{profile} (the
            ChargingProfile's JSON), C{accepted_at}. A TxProfile of a
            transaction known to have stopped is left out.
        """
        rows = self._db.execute(
            "SELECT p.connector_id, p.profile_id, p.purpose, p.stack_level, p.transaction_id, "
            "p.profile, p.accepted_at FROM charging_profiles AS p "
            "LEFT JOIN transactions AS t ON p.transaction_id = t.id AND t.identity = p.identity "
            "WHERE p.identity = ? AND NOT (p.purpose = 'TxProfile' AND t.stop_timestamp IS NOT NULL) "
            "ORDER BY p.connector_id, p.profile_id",
            (identity,),
        ).fetchall()
        records = []
        for row in rows:
            record = dict(row)
            record["profile"] = json.loads(record["profile"])
            records.append(record)
        return records


class ChargingProfileAnswers:
    """
    Notes the answers to SetChargingProfile and ClearChargingProfile in the
    store, for one charge point's proxy.

    @param store: the L{openocpp.centralsystem.interfaces.ICentralSystemStore}.
    @param identity: the charge point's identity.
    """

    log = Logger()

    def __init__(self, store: Any, identity: str) -> None:
        self._store = store
        self._identity = identity

    def __call__(self, response: Any, request: Any) -> Any:
        """
        A callback on the call's Deferred: notes an Accepted answer, and
        passes the answer on unchanged (a failed write is logged; the
        charge point's answer still reaches the caller).
        """
        try:
            if request.action == "SetChargingProfile":
                if response.status == ChargingProfileStatus.ACCEPTED:
                    self._store.record_charging_profile(
                        self._identity, request.connector_id, request.cs_charging_profiles
                    )
            elif response.status == ClearChargingProfileStatus.ACCEPTED:
                self._store.clear_charging_profiles(
                    self._identity,
                    request.id,
                    request.connector_id,
                    request.charging_profile_purpose,
                    request.stack_level,
                )
        except OverflowError:
            # The schemas set no maximum to an integer; SQLite holds 64 bits
            # (an id the binding refuses before any statement runs).
            self.log.warn(
                "The answer of {identity} to {action} is not stored: a number beyond 64 bits",
                identity=self._identity,
                action=request.action,
            )
        except Exception:
            self.log.failure(
                "The answer of {identity} to {action} could not be stored",
                identity=self._identity,
                action=request.action,
            )
        return response
