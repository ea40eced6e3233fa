-- Subscription lifecycle (product.md §10): each subscription's billing state, the last day of
-- its term, when its state began, and its unit price. Existing subscriptions are active with
-- no term end. Dates are 'YYYY-MM-DD' and times RFC 3339 UTC text, as everywhere, so both
-- backends read back identically; the price is a decimal string, kept exactly.
ALTER TABLE subscriptions ADD COLUMN state TEXT NOT NULL DEFAULT 'active'
    CHECK (state IN ('active', 'expired', 'suspended', 'terminated'));
ALTER TABLE subscriptions ADD COLUMN term_end TEXT;
ALTER TABLE subscriptions ADD COLUMN state_since TEXT;
ALTER TABLE subscriptions ADD COLUMN unit_price TEXT;
ALTER TABLE subscriptions ADD COLUMN currency TEXT;
