-- Schema version 2: the status history is kept by SQLite itself: recording a
-- status is then one statement, atomic without a savepoint.

    ALTER TABLE connectors ADD COLUMN received_at TEXT;
    CREATE TRIGGER connectors_history AFTER INSERT ON connectors
    BEGIN
        INSERT INTO status_history (identity, connector_id, status, error_code, info,
            vendor_id, vendor_error_code, timestamp, received_at)
        VALUES (NEW.identity, NEW.connector_id, NEW.status, NEW.error_code, NEW.info,
            NEW.vendor_id, NEW.vendor_error_code, NEW.timestamp, NEW.received_at);
    END;
