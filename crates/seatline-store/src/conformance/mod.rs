//! The conformance suite every backend must pass: each [`Store`](crate::Store) and
//! [`Tx`](crate::Tx) method round-trips, organizations are isolated, a failed transaction
//! leaves no trace, the schema's unique keys back the rules, bulk changes are batched, and
//! seat limits hold under 32 concurrent writers (from one connection pool and from two).
//!
//! The cases drive the store exactly as the use cases do: lock the organization, read, let
//! [`rules`](seatline_domain::rules) decide, apply the changes with their audit entries,
//! commit. A backend's test binary implements [`Backend`] and expands
//! [`conformance_tests!`](crate::conformance_tests) to get one `#[tokio::test]` per case.
//!
//! One file per capability, named as the capability is in every layer; the shared fixtures
//! are in `fixtures`.

mod activity;
mod audit;
mod bulk;
mod entitlements;
mod epochs;
mod events;
mod extensions;
mod fixtures;
mod idempotency;
mod lifecycle;
mod members;
mod numbers;
mod orgs;
mod passwords;
mod scim;
mod sign_in_links;
mod teams;
mod templates;
mod tokens;
mod tx;
mod webhooks;

pub use fixtures::Backend;

pub use activity::*;
pub use audit::*;
pub use bulk::*;
pub use entitlements::*;
pub use epochs::*;
pub use events::*;
pub use extensions::*;
pub use idempotency::*;
pub use lifecycle::*;
pub use members::*;
pub use numbers::*;
pub use orgs::*;
pub use passwords::*;
pub use scim::*;
pub use sign_in_links::*;
pub use teams::*;
pub use templates::*;
pub use tokens::*;
pub use tx::*;
pub use webhooks::*;

/// One `#[tokio::test]` per conformance case. `$backend` is an expression evaluated in each
/// test, a future of `Option<impl Backend>`; `None` skips the case (the backend says why).
#[macro_export]
macro_rules! conformance_tests {
    (@cases $backend:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                if let Some(backend) = $backend.await {
                    $crate::conformance::$case(&backend).await;
                }
            }
        )*
    };
    ($backend:expr) => {
        $crate::conformance_tests!(@cases $backend;
            migrate_ping_and_missing_org,
            members_round_trip,
            extensions_round_trip,
            numbers_round_trip,
            audit_round_trip,
            tokens_round_trip,
            plans_round_trip,
            idempotency_round_trip,
            idempotency_claim_race,
            tenant_isolation,
            read_sees_one_snapshot,
            rollback_leaves_no_trace,
            constraints_back_the_rules,
            bulk_insert,
            race_provision,
            race_provision_two_pools,
            race_addons,
            race_addons_two_pools,
            session_epochs,
            password_resets,
            sign_in_links,
            subscriptions_round_trip,
            scim_tokens_round_trip,
            scim_members_query_and_fields,
            events_round_trip,
            versions_expected_before_apply,
            events_rollback_and_isolation,
            events_prune_keeps_a_suffix,
            events_gapless_two_pools,
            epoch_starts_after_the_head_and_the_clock,
            epochs_accumulate_and_stay_per_organization,
            an_epoch_rolled_back_leaves_no_trace,
            integration_tokens_round_trip,
            webhooks_round_trip,
            delivery_claims,
            delivery_claims_leave_a_busy_endpoints_backlog,
            claims_of_a_gone_process_are_taken_over_at_once,
            delivery_claim_race_two_pools,
            delivery_outcomes_in_one_batch,
            entitlement_sources_in_one_read,
            token_entitlements_read_together,
            teams_round_trip,
            team_scopes,
            activity_round_trip,
            activity_reporters_round_trip,
            templates_round_trip,
            template_grants_keep_direct_and_inherited_apart,
            a_whole_team_is_granted_in_one_commit_and_waits_in_join_order,
        );
    };
}
