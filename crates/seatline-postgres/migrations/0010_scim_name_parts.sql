-- The SCIM User's name parts as the identity provider wrote them (issue 26), so that
-- `displayName` (the member's `name`) no longer rewrites them. NULL for members never given
-- parts over SCIM: their User splits `name` as before.
ALTER TABLE members ADD COLUMN given_name TEXT;
ALTER TABLE members ADD COLUMN family_name TEXT;
