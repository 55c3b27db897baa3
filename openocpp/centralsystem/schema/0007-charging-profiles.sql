-- Schema version 7: the charging profiles the central system sent and the
-- charge points accepted (SetChargingProfile.conf Accepted), removed by an
-- accepted ClearChargingProfile as the charge point removes them. Written
-- only when such an answer arrives, never on the charge points' messages.

    CREATE TABLE charging_profiles (
        identity TEXT NOT NULL,
        profile_id INTEGER NOT NULL,
        connector_id INTEGER NOT NULL,
        purpose TEXT NOT NULL,
        stack_level INTEGER NOT NULL,
        transaction_id INTEGER,
        profile TEXT NOT NULL,
        accepted_at TEXT NOT NULL,
        PRIMARY KEY (identity, profile_id)
    );
