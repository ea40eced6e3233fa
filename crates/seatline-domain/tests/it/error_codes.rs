//! Every error code either has a domain case here that produces it, or names the layer that
//! raises it; a new code fails the test until it is classified here. (Not an exhaustive
//! `match`: a code added elsewhere should fail this test, not stop the workspace compiling.)

use seatline_domain::permissions::{authorize, Action, Actor};
use seatline_domain::rules::*;
use seatline_domain::{
    Addons, Code, Email, Error, ErrorCode, ErrorKind, ExtKey, OrgId, Role, Status, E164,
};

use crate::support::*;

enum Source {
    /// A domain call that must fail with this code.
    Domain(fn() -> Error),
    /// Raised outside the domain crate, by the named layer.
    Elsewhere(&'static str),
}

fn source(code: ErrorCode) -> Option<Source> {
    use ErrorCode::*;
    use Source::*;
    Some(match code {
        Malformed => Elsewhere("API and CLI: a body or parameter that cannot be read"),
        InvalidExtKey => Domain(|| refused("0100".parse::<ExtKey>())),
        InvalidNumber => Domain(|| refused("12345".parse::<E164>())),
        InvalidEmail => Domain(|| refused("nobody".parse::<Email>())),
        InvalidName => Domain(|| refused(new_org(OrgId("o".into()), "", "now".into()))),
        InvalidRole => Domain(|| refused("boss".parse::<Role>())),
        InvalidStatus => Domain(|| refused("gone".parse::<Status>())),
        InvalidQuantity => Domain(|| refused(set_quantity(Code::PhoneSystem, -1, &seats(&[])))),
        InvalidCount => Domain(|| refused(provision(0, key(1001), &taken([]), &seats(&[])))),
        InvalidPassword => Elsewhere("app: passwords"),
        UnknownCode => Domain(|| refused("fax".parse::<Code>())),
        NotAnAddon => Domain(|| refused(check_addon_limits(&addons(&[Code::PhoneSystem])))),
        DuplicateNumber => Domain(|| {
            let n = num("+6531234567");
            let rows = [
                inventory("+6531234567", None),
                inventory("+6531234567", None),
            ];
            refused(set_numbers(&ext(1001, &[]), vec![n.clone(), n], &rows))
        }),
        Unauthenticated => Elsewhere("app: bearer tokens"),
        Forbidden => Domain(|| refused(authorize(&Actor::Operator, Action::Provision, None))),
        NotFound => Domain(|| refused(remove_number(&num("+6531234567"), None))),
        SeatsExhausted => Domain(|| refused(provision(1, key(1001), &taken([]), &seats(&[])))),
        QuantityBelowUsage => Domain(|| {
            refused(set_quantity(
                Code::PhoneSystem,
                0,
                &seats(&[(Code::PhoneSystem, 1, 1)]),
            ))
        }),
        ExtensionTaken => Domain(|| {
            let s = seats(&[(Code::PhoneSystem, 9, 0)]);
            refused(provision(1, key(1001), &taken([1001]), &s))
        }),
        ExtensionHasMember => Domain(|| {
            let m = active("m", Role::Member);
            refused(deprovision(&held_by(ext(1001, &[]), &m), Some(&m)))
        }),
        MemberHasExtension => Domain(|| {
            refused(assign(
                &ext(1001, &[]),
                None,
                &active("m", Role::Member),
                Some(key(1002)),
                false,
            ))
        }),
        MemberDisabled => Domain(|| {
            let off = member("m", Role::Member, Status::Disabled);
            refused(assign(&ext(1001, &[]), None, &off, None, false))
        }),
        MemberActive => Domain(|| refused(delete_member(&active("m", Role::Member), None))),
        OwnerProtected => {
            Domain(|| refused(set_status(&active("o", Role::Owner), Status::Disabled)))
        }
        EmailTaken => Domain(|| {
            refused(create_member(
                Some(Role::Owner),
                active("m", Role::Member),
                true,
            ))
        }),
        AddonLimit => Domain(|| {
            let two: Addons = addons(&[Code::LicenseCenter, Code::LicenseCenter]);
            refused(check_addon_limits(&two))
        }),
        NumberNeedsLicense => Domain(|| {
            let rows = [inventory("+6531234567", None)];
            refused(set_numbers(
                &ext(1001, &[]),
                vec![num("+6531234567")],
                &rows,
            ))
        }),
        NumberUnavailable => Domain(|| {
            refused(set_numbers(
                &ext(1001, &[Code::LicenseNumber]),
                vec![num("+6531234567")],
                &[None],
            ))
        }),
        NumberExists => Domain(|| {
            let row = inventory("+6531234567", None).unwrap();
            refused(add_number(num("+6531234567"), Some(&row)))
        }),
        NumberAttached => Domain(|| {
            let row = inventory("+6531234567", Some(1001)).unwrap();
            refused(remove_number(&num("+6531234567"), Some(&row)))
        }),
        PlanInvalid => Elsewhere("bulk assignment: applying a plan with errors"),
        PlanStale => Elsewhere("bulk assignment: applying a plan the org no longer matches"),
        IdempotencyKeyReused | IdempotencyKeyInProgress | IdempotentRequestApplied => {
            Elsewhere("HTTP: Idempotency-Key")
        }
        TooLarge => Elsewhere("HTTP and bulk upload size limits"),
        FileUnreadable | TooManyRows | BulkEmpty | BulkUnknownColumn | BulkMissingColumn
        | BulkDuplicateColumn | BulkDuplicateExtKey | BulkDuplicateMember | UnknownMember
        | ExtensionExists | AddonDisplayName => Elsewhere("bulk assignment: bulk.rs and its own tests"),
        InvalidFilter | InvalidPath | ReadOnlyAttribute | PreconditionFailed => {
            Elsewhere("SCIM: seatline-http/src/scim and its tests")
        }
        InvalidState => Domain(|| refused("lapsed".parse::<seatline_domain::SubState>())),
        InvalidTermEnd => {
            Domain(|| refused(seatline_domain::lifecycle::parse_term_end("31/12/2026")))
        }
        InvalidPrice => {
            Domain(|| refused("12.345678".parse::<seatline_domain::Price>()))
        }
        InvalidCurrency => {
            Domain(|| refused("euro".parse::<seatline_domain::Currency>()))
        }
        InvalidTransition
        | SubscriptionExpired
        | SubscriptionSuspended
        | SubscriptionTerminated
        | SubscriptionOverAllocated => {
            Elsewhere("subscription lifecycle: tests/it/lifecycle.rs, one case per code")
        }
        CursorExpired => {
            Elsewhere("the change feed: app events tests (cursor older than retention)")
        }
        CursorAhead => Elsewhere("the change feed: app feed_requests tests (cursor past the head)"),
        // Webhooks (product.md §8)
        InvalidWebhookUrl => Elsewhere("app: webhook URL check (app webhooks tests)"),
        InvalidWebhookTypes => {
            Domain(|| refused(seatline_domain::webhooks::parse_types(&["Bad*".to_owned()])))
        }
        WebhookTargetForbidden => Elsewhere("app: SSRF guard (app webhooks tests)"),
        InvalidReplayRange => Elsewhere("app: webhook replay (app webhooks tests)"),
        WebhookDisabled => Elsewhere("app: webhook test and replay (app webhooks tests)"),
        // Teams (product.md §12)
        TeamLimit => Domain(|| {
            let full: Vec<seatline_domain::Team> = (0..seatline_domain::MAX_TEAMS)
                .map(|i| seatline_domain::Team {
                    id: seatline_domain::TeamId(format!("t{i}")),
                    name: format!("team {i}"),
                    enabled: true,
                    members: Vec::new(),
                    created_at: String::new(),
                    updated_at: String::new(),
                })
                .collect();
            let id = seatline_domain::TeamId("new".into());
            refused(seatline_domain::teams::create_team(&full, id, "new"))
        }),
        TeamNameTaken => Domain(|| {
            let one = seatline_domain::Team {
                id: seatline_domain::TeamId("t".into()),
                name: "Sales".into(),
                enabled: true,
                members: Vec::new(),
                created_at: String::new(),
                updated_at: String::new(),
            };
            let id = seatline_domain::TeamId("new".into());
            refused(seatline_domain::teams::create_team(&[one], id, "SALES"))
        }),
        ScopeNeedsAdmin => Domain(|| {
            let owner = member("o", Role::Owner, Status::Active);
            refused(seatline_domain::teams::set_scope(&owner, None, Some(vec![]), &[]))
        }),
        OutOfScope => Elsewhere("bulk assignment: bulk.rs (a row naming a member outside the uploader's teams) and seatline-http tests/scim/teams.rs"),
        ResetLinkInvalid => Elsewhere("admin UI: password reset links, seatline-app passwords.rs"),
        SignInLinkInvalid => Elsewhere("admin UI: sign-in links, seatline-app sign_in_links.rs"),
        InvalidFindingKind => {
            Domain(|| refused("unused".parse::<seatline_domain::FindingKind>()))
        }
        CleanupRowChanged => Domain(|| {
            // A cleanup row for an extension that no longer exists.
            let members = [];
            let seats = seats(&[]);
            let org = seatline_domain::reports::OrgUsage::new(&members, &[], &seats, &[]);
            let row = seatline_domain::plans::RowPlan {
                row: 1,
                outcome: seatline_domain::plans::Outcome::Deprovision,
                key: Some(key(1001)),
                member: None,
                user: None,
                numbers: Vec::new(),
                addons: Vec::new(),
                freed: Vec::new(),
                finding: None,
            };
            refused(seatline_domain::cleanup::decide(&[row], &org))
        }),
        // Activity (product.md §14): refusals of single items inside a 200 answer, never
        // errors of the request.
        InvalidActivityKind | InvalidDevice | InvalidTime | ActivityInFuture => Elsewhere(
            "activity: per-item refusals of seatline-domain activity::read_items and activity/cdr.rs (their unit tests)",
        ),
        TooManyColumns | CellTooLong | RecordTooLong | TooManyCells | UnpackedTooLarge | Busy => {
            Elsewhere("reading bulk uploads: seatline-app bulk/read and tests/bulk/hostile.rs")
        }
        InvalidTemplate => Domain(|| {
            refused(seatline_domain::templates::Template::parse(&serde_json::json!([])))
        }),
        ExtensionRangeExhausted => Elsewhere("a member's license_state: templates::reconcile (its table tests)"),
        InheritedFromTeam => Domain(|| {
            let w = seatline_domain::templates::Inherited {
                extension: [(seatline_domain::TeamId("t".into()), seatline_domain::templates::ExtensionRule::Next)].into(),
                addons: Default::default(),
            };
            let h = seatline_domain::templates::Holding { inherited: w, ..Default::default() };
            refused(seatline_domain::templates::check_direct_write(&h, key(1001), None))
        }),
        // Unreachable today; reached when a code is added without a case here.
        #[allow(unreachable_patterns)]
        _ => return None,
    })
}

#[test]
fn every_code_has_a_domain_case_or_a_named_home() {
    let mut domain = 0;
    let mut unclassified = Vec::new();
    for &code in ErrorCode::ALL {
        match source(code) {
            None => unclassified.push(code.as_str()),
            Some(Source::Domain(make)) => {
                let e = make();
                assert_eq!(e.code, code, "{}: {e}", code.as_str());
                assert!(!e.message.is_empty(), "{}", code.as_str());
                domain += 1;
            }
            Some(Source::Elsewhere(layer)) => assert!(!layer.is_empty()),
        }
    }
    assert!(
        unclassified.is_empty(),
        "classify these codes in tests/it/error_codes.rs: {unclassified:?}"
    );
    assert!(domain >= 26, "only {domain} codes come from domain cases");
}

#[test]
fn the_codes_named_by_the_contract_exist_with_their_kind() {
    let named = [
        ("seats_exhausted", ErrorKind::Conflict),
        ("extension_taken", ErrorKind::Conflict),
        ("member_has_extension", ErrorKind::Conflict),
        ("extension_has_member", ErrorKind::Conflict),
        ("addon_limit", ErrorKind::Conflict),
        ("number_needs_license", ErrorKind::Conflict),
        ("number_unavailable", ErrorKind::Conflict),
        ("member_disabled", ErrorKind::Conflict),
        ("quantity_below_usage", ErrorKind::Conflict),
        ("plan_stale", ErrorKind::Conflict),
        ("unauthenticated", ErrorKind::Unauthenticated),
        ("forbidden", ErrorKind::Forbidden),
        ("not_found", ErrorKind::NotFound),
        ("too_large", ErrorKind::TooLarge),
        ("invalid_ext_key", ErrorKind::Invalid),
        ("malformed", ErrorKind::Invalid),
    ];
    for (wire, kind) in named {
        let code = ErrorCode::ALL
            .iter()
            .find(|c| c.as_str() == wire)
            .unwrap_or_else(|| panic!("{wire} is missing"));
        assert_eq!(code.kind(), kind, "{wire}");
        assert!(!code.description().is_empty(), "{wire}");
    }
}
