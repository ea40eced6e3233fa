//! The one domain error: a stable snake_case code, a message that says how to fix the input,
//! and details a client needs to recover. The HTTP layer maps `ErrorKind` to a status.

use serde_json::{Map, Value};

/// What class of failure a code is; the HTTP layer maps each kind to one status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 422: the input itself is malformed.
    Invalid,
    /// 401: no valid credentials.
    Unauthenticated,
    /// 403: the actor may not do this.
    Forbidden,
    /// 404: no such object in this organization.
    NotFound,
    /// 409: the input is well formed but a rule forbids it in the current state.
    Conflict,
    /// 413: the input is larger than accepted.
    TooLarge,
    /// 503: the server is busy; retry after the time it says.
    Unavailable,
    /// 410: what the request points at is no longer kept.
    Gone,
}

macro_rules! error_codes {
    ($($variant:ident = $wire:literal : $kind:ident, $doc:literal;)*) => {
        /// Every error code Seatline answers with. Stable: codes are added, never renamed.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode { $(#[doc = $doc] $variant,)* }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];
            pub fn as_str(self) -> &'static str { match self { $(ErrorCode::$variant => $wire,)* } }
            pub fn kind(self) -> ErrorKind { match self { $(ErrorCode::$variant => ErrorKind::$kind,)* } }
            pub fn description(self) -> &'static str { match self { $(ErrorCode::$variant => $doc,)* } }
        }
    };
}

error_codes! {
    Malformed = "malformed": Invalid, "The request body or a parameter could not be read.";
    InvalidExtKey = "invalid_ext_key": Invalid, "An extension key must be 3 to 5 digits without a leading zero (100-99999).";
    InvalidNumber = "invalid_number": Invalid, "A number must be E.164: '+' and 8 to 15 digits.";
    InvalidEmail = "invalid_email": Invalid, "The email address is not valid.";
    InvalidName = "invalid_name": Invalid, "A name must be 1 to 200 characters without control characters.";
    InvalidRole = "invalid_role": Invalid, "A role is owner, admin or member.";
    InvalidStatus = "invalid_status": Invalid, "A status is active or disabled.";
    InvalidQuantity = "invalid_quantity": Invalid, "A quantity must be a whole number from 0 to 1,000,000.";
    InvalidCount = "invalid_count": Invalid, "The count of extensions must be at least 1.";
    InvalidPassword = "invalid_password": Invalid, "A password must be 10 to 200 characters.";
    UnknownCode = "unknown_code": Invalid, "The license code is not in the catalog.";
    NotAnAddon = "not_an_addon": Invalid, "phone_system is the extension itself and cannot be an add-on.";
    DuplicateNumber = "duplicate_number": Invalid, "The same number is listed twice.";
    Unauthenticated = "unauthenticated": Unauthenticated, "A valid bearer token is required.";
    Forbidden = "forbidden": Forbidden, "The token may not do this: its member's role, or what its kind of token is for, does not allow it.";
    NotFound = "not_found": NotFound, "No such object in this organization.";
    SeatsExhausted = "seats_exhausted": Conflict, "Not enough purchased seats of a code are available.";
    QuantityBelowUsage = "quantity_below_usage": Conflict, "The purchased quantity cannot go below what is in use.";
    ExtensionTaken = "extension_taken": Conflict, "An extension key is already provisioned.";
    ExtensionHasMember = "extension_has_member": Conflict, "The extension is assigned to a member.";
    MemberHasExtension = "member_has_extension": Conflict, "The member already holds an extension.";
    MemberDisabled = "member_disabled": Conflict, "The member is disabled.";
    MemberActive = "member_active": Conflict, "Only a disabled member can be deleted.";
    OwnerProtected = "owner_protected": Conflict, "The owner cannot be disabled, deleted or demoted; transfer ownership first.";
    EmailTaken = "email_taken": Conflict, "Another member of the organization has this email.";
    AddonLimit = "addon_limit": Conflict, "An extension may hold at most one copy of this add-on.";
    NumberNeedsLicense = "number_needs_license": Conflict, "Each attached number needs a license_number copy on its extension.";
    NumberUnavailable = "number_unavailable": Conflict, "The number is not in the inventory or is attached to another extension.";
    NumberExists = "number_exists": Conflict, "The number is already in the inventory.";
    NumberAttached = "number_attached": Conflict, "The number is attached to an extension; detach it first.";
    PlanInvalid = "plan_invalid": Conflict, "The plan has errors and cannot be applied.";
    PlanStale = "plan_stale": Conflict, "The organization changed since the plan was made; upload the file again.";
    IdempotencyKeyReused = "idempotency_key_reused": Conflict, "The Idempotency-Key was used with a different request.";
    IdempotencyKeyInProgress = "idempotency_key_in_progress": Conflict, "A request with this Idempotency-Key is still running; retry in a moment.";
    IdempotentRequestApplied = "idempotent_request_applied": Conflict, "The request with this Idempotency-Key was applied, but the server running it stopped before it answered; read the resource to see the result.";
    TooLarge = "too_large": TooLarge, "The request body or file is too large.";
    FileUnreadable = "file_unreadable": Invalid, "The uploaded file is not a UTF-8 CSV or an XLSX workbook.";
    TooManyRows = "too_many_rows": TooLarge, "A bulk file holds at most 100,000 data rows.";
    BulkEmpty = "bulk_empty": Invalid, "The bulk file has no data rows below its header.";
    BulkUnknownColumn = "bulk_unknown_column": Invalid, "A bulk file column (or a value outside every column) is not Ext key, Number, User or Addon license.";
    BulkMissingColumn = "bulk_missing_column": Invalid, "The bulk file has no Ext key column.";
    BulkDuplicateColumn = "bulk_duplicate_column": Invalid, "The bulk file has the Ext key or User column twice.";
    BulkDuplicateExtKey = "bulk_duplicate_ext_key": Invalid, "The same ext key is on two rows of the bulk file.";
    BulkDuplicateMember = "bulk_duplicate_member": Invalid, "The same member is on two rows of the bulk file.";
    UnknownMember = "unknown_member": Invalid, "No member of the organization has this id or email.";
    AddonDisplayName = "addon_display_name": Invalid, "A warning, never an error: a bulk Addon license cell held a license's display name (Contact Center) and was read as its code (license_center).";
    // Reading uploaded bulk files (issue 8): each limit of docs/bulk.md.
    TooManyColumns = "too_many_columns": TooLarge, "A bulk file row spans at most 64 columns (A to BL).";
    CellTooLong = "cell_too_long": TooLarge, "A bulk file cell holds at most 256 bytes.";
    RecordTooLong = "record_too_long": TooLarge, "A CSV record (row) holds at most 32 KiB or 32,768 fields; often a missing closing quote.";
    TooManyCells = "too_many_cells": TooLarge, "A bulk file holds at most 1,000,000 non-empty cells and 32 MiB of cell text.";
    UnpackedTooLarge = "unpacked_too_large": TooLarge, "An XLSX workbook's parts unpack to at most 128 MiB together, at most 100 times their packed size, with at most 1,000,000 shared strings (16 MiB).";
    Busy = "busy": Unavailable, "The server is reading as many uploads as it can; retry after the Retry-After seconds.";
    // Subscription lifecycle (issue 12, product.md §10).
    InvalidState = "invalid_state": Invalid, "A subscription state is active, expired, suspended or terminated.";
    InvalidTermEnd = "invalid_term_end": Invalid, "term_end is a date YYYY-MM-DD (or null), not already past for an active subscription.";
    InvalidPrice = "invalid_price": Invalid, "unit_price is a decimal amount of at least 0 with at most 4 decimals.";
    InvalidCurrency = "invalid_currency": Invalid, "currency is a three-letter ISO 4217 code.";
    InvalidTransition = "invalid_transition": Conflict, "The subscription cannot move from its state to the one asked for.";
    SubscriptionExpired = "subscription_expired": Conflict, "The code's subscription expired: no new copies until it is renewed.";
    SubscriptionSuspended = "subscription_suspended": Conflict, "The code's subscription is suspended: no new copies until it is reactivated.";
    SubscriptionTerminated = "subscription_terminated": Conflict, "The code's subscription is terminated: only a new subscription brings it back.";
    SubscriptionOverAllocated = "subscription_over_allocated": Conflict, "More copies of the code are in use than purchased: no new copies until back under.";
    InvalidFilter = "invalid_filter": Invalid, "The SCIM filter is not one Seatline answers: userName, externalId, id, emails.value or active with eq, joined by and.";
    InvalidPath = "invalid_path": Invalid, "The SCIM PATCH path names no attribute of a User.";
    ReadOnlyAttribute = "read_only_attribute": Invalid, "The SCIM attribute is read-only (id, meta, contactCenterRole, contactCenterReady, groups).";
    PreconditionFailed = "precondition_failed": Conflict, "The resource changed since the version in If-Match; read it again and retry.";
    // Webhooks (product.md §8)
    InvalidWebhookUrl = "invalid_webhook_url": Invalid, "A webhook URL must be an absolute http or https URL with a host, at most 2,000 characters.";
    InvalidWebhookTypes = "invalid_webhook_types": Invalid, "A webhook type filter is an event type (member.disabled) or a prefix ending in .* (extension.*).";
    WebhookTargetForbidden = "webhook_target_forbidden": Invalid, "The webhook URL resolves to a loopback, private, link-local or otherwise internal address.";
    InvalidReplayRange = "invalid_replay_range": Invalid, "A replay needs after < until, both event seqs, at most 10,000 apart.";
    WebhookDisabled = "webhook_disabled": Conflict, "The webhook endpoint is disabled; enable it first.";
    // the change feed (product.md §8)
    CursorExpired = "cursor_expired": Gone, "The events after this cursor are no longer kept, or the cursor belongs to a timeline a restore discarded (another epoch of the feed); read the entitlements snapshot again and follow from its as_of.";
    CursorAhead = "cursor_ahead": Conflict, "The cursor is past the newest event (details.head), so it was not given out by this feed; read the entitlements snapshot again and follow from its as_of.";
    // firstuse-api (issue 9)
    ExtensionExists = "extension_exists": Conflict, "A bulk row names an existing extension; bulk only creates new extensions.";
    // Teams and team-scoped admins (issue 14, product.md §12)
    TeamLimit = "team_limit": Conflict, "An organization has at most 100 teams; delete one first.";
    TeamNameTaken = "team_name_taken": Conflict, "Another team of the organization has this name (compared ignoring case).";
    ScopeNeedsAdmin = "scope_needs_admin": Conflict, "Only an admin has a scope; the owner and members are never scoped.";
    OutOfScope = "out_of_scope": Invalid, "A bulk row names a member outside the teams your scope covers; leave it to an admin whose scope covers it.";
    ResetLinkInvalid = "reset_link_invalid": NotFound, "The password reset link was used already, replaced by a newer one, or has expired; ask an owner or admin for a new one.";
    SignInLinkInvalid = "sign_in_link_invalid": NotFound, "The sign-in link was used already, replaced by a newer one, or has expired; ask an owner or admin for a new one.";
    // Usage report and cleanup plans (issue 13, product.md §11).
    InvalidFindingKind = "invalid_finding_kind": Invalid, "A finding kind is one of extension_unassigned, addon_on_unassigned_extension, number_on_unassigned_extension, disabled_member_holds_extension, contact_center_not_ready, over_allocated, not_effective, idle_extension, idle_contact_center, idle_device (the idle kinds are not cleaned up by a cleanup plan).";
    CleanupRowChanged = "cleanup_row_changed": Conflict, "A cleanup plan's row no longer matches its extension (assigned, enabled, changed or gone since the plan was made); make a new cleanup plan.";
    // Activity and reclaim (issue 23, product.md §14): per-item refusals of an activity report.
    InvalidActivityKind = "invalid_activity_kind": Invalid, "An activity kind is registration, call or contact_center_sign_in.";
    InvalidDevice = "invalid_device": Invalid, "An activity's device is ip_phone, mobile_app, desktop_app, web_rtc or null.";
    InvalidTime = "invalid_time": Invalid, "An instant is RFC 3339, such as 2026-12-07T09:30:00Z.";
    ActivityInFuture = "activity_in_future": Invalid, "An activity's at is more than 5 minutes after the server's clock; check the reporter's clock.";
    // Team license templates (issue 22, product.md §13).
    InvalidTemplate = "invalid_template": Invalid, "A template is {\"extension\": {\"from\": KEY, \"to\": KEY} | true | null, \"addons\": {code: count}}; add-ons need an extension.";
    ExtensionRangeExhausted = "extension_range_exhausted": Conflict, "No free extension key is left in the template's range; widen the range or free a key in it.";
    InheritedFromTeam = "inherited_from_team": Conflict, "The extension's assignment or add-on copies are granted by a team's template; remove the member from the team or change the template.";
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ErrorCode::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown error code {s:?}")))
    }
}

/// A domain error: code, a message saying how to fix the input, and recovery details.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
    pub details: Map<String, Value>,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
            details: Map::new(),
        }
    }
    pub fn detail(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.details.insert(key.to_owned(), value.into());
        self
    }
    pub fn not_found(what: &str, id: impl std::fmt::Display) -> Self {
        // An organization is not "in this organization": it is the one asked about.
        let message = if what == "organization" {
            format!("{what} {id} does not exist")
        } else {
            format!("{what} {id} does not exist in this organization")
        };
        Error::new(ErrorCode::NotFound, message).detail("object", what)
    }
    pub fn forbidden(what: &str) -> Self {
        Error::new(ErrorCode::Forbidden, format!("your role may not {what}"))
    }
    pub fn seats(code: crate::Code, needed: u64, available: u64) -> Self {
        Error::new(
            ErrorCode::SeatsExhausted,
            format!(
                "{} needed but {available} available; free some or buy {} more",
                crate::words::plural(needed, &format!("{code} seat"), &format!("{code} seats")),
                needed - available.min(needed)
            ),
        )
        .detail("code", code.as_str())
        .detail("needed", needed)
        .detail("available", available)
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for c in ErrorCode::ALL {
            assert!(seen.insert(c.as_str()), "{} twice", c.as_str());
            assert!(c
                .as_str()
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch == '_'));
        }
    }
}
