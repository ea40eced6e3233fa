-- The process holding a claim (issue 26): a claim whose holder is gone is taken over at
-- once instead of after its lease. NULL for claims made before: those keep their lease.
ALTER TABLE idempotency ADD COLUMN holder TEXT;
ALTER TABLE webhook_deliveries ADD COLUMN claim_holder TEXT;
