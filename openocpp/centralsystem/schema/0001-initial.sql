-- Schema version 1 of the central system's SQLite file: charge points, their
-- connectors and status history, id tags, transactions, meter values,
-- security events, the DataTransfer log and status reports.
--
-- Append a new numbered file to change the schema; never edit one that has
-- shipped: databases were migrated with it. The statements are indented as
-- they were first written (in store.py): SQLite keeps a CREATE statement's
-- text in the file's schema, so they stay byte for byte the same.

    CREATE TABLE charge_points (
        identity TEXT PRIMARY KEY,
        password_hash TEXT,
        security_profile INTEGER,
        approved INTEGER NOT NULL DEFAULT 0,
        registration_status TEXT,
        vendor TEXT,
        model TEXT,
        charge_point_serial_number TEXT,
        charge_box_serial_number TEXT,
        firmware_version TEXT,
        iccid TEXT,
        imsi TEXT,
        meter_type TEXT,
        meter_serial_number TEXT,
        registered_at TEXT NOT NULL,
        last_boot TEXT,
        last_seen TEXT
    );
    CREATE TABLE connectors (
        identity TEXT NOT NULL,
        connector_id INTEGER NOT NULL,
        status TEXT NOT NULL,
        error_code TEXT NOT NULL,
        info TEXT,
        vendor_id TEXT,
        vendor_error_code TEXT,
        timestamp TEXT,
        PRIMARY KEY (identity, connector_id)
    );
    CREATE TABLE status_history (
        id INTEGER PRIMARY KEY,
        identity TEXT NOT NULL,
        connector_id INTEGER NOT NULL,
        status TEXT NOT NULL,
        error_code TEXT NOT NULL,
        info TEXT,
        vendor_id TEXT,
        vendor_error_code TEXT,
        timestamp TEXT,
        received_at TEXT NOT NULL
    );
    CREATE INDEX status_history_by_identity ON status_history (identity, id);
    CREATE TABLE id_tags (
        id_tag TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        expiry_date TEXT,
        parent_id_tag TEXT
    );
    CREATE TABLE transactions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        identity TEXT NOT NULL,
        connector_id INTEGER NOT NULL,
        id_tag TEXT NOT NULL,
        meter_start INTEGER NOT NULL,
        start_timestamp TEXT NOT NULL,
        reservation_id INTEGER,
        meter_stop INTEGER,
        stop_timestamp TEXT,
        stop_reason TEXT,
        stop_id_tag TEXT,
        transaction_data TEXT,
        UNIQUE (identity, connector_id, id_tag, start_timestamp, meter_start)
    );
    CREATE INDEX transactions_open ON transactions (identity, stop_timestamp);
    CREATE TABLE meter_values (
        id INTEGER PRIMARY KEY,
        identity TEXT NOT NULL,
        connector_id INTEGER NOT NULL,
        transaction_id INTEGER,
        timestamp TEXT NOT NULL,
        value TEXT NOT NULL,
        context TEXT,
        format TEXT,
        measurand TEXT,
        phase TEXT,
        location TEXT,
        unit TEXT
    );
    CREATE INDEX meter_values_by_transaction ON meter_values (transaction_id);
    CREATE TABLE security_events (
        id INTEGER PRIMARY KEY,
        identity TEXT NOT NULL,
        type TEXT NOT NULL,
        timestamp TEXT NOT NULL,
        tech_info TEXT,
        received_at TEXT NOT NULL
    );
    CREATE TABLE data_transfers (
        id INTEGER PRIMARY KEY,
        identity TEXT NOT NULL,
        direction TEXT NOT NULL,
        vendor_id TEXT NOT NULL,
        message_id TEXT,
        data TEXT,
        status TEXT,
        received_at TEXT NOT NULL
    );
    CREATE TABLE status_reports (
        id INTEGER PRIMARY KEY,
        identity TEXT NOT NULL,
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        request_id INTEGER,
        received_at TEXT NOT NULL
    );
