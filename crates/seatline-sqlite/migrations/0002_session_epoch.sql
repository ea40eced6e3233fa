-- A member's session generation: a signed-in UI session carries the value it started with
-- and is valid only while it still equals this one. Signing out and changing the password
-- bump it, which ends every session of the member in every process serving this database.
ALTER TABLE members ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0;
