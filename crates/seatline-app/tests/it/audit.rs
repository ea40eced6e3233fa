//! Every write leaves its audit entries (actor, action, target, before, after) in the same
//! transaction; a write that changes nothing leaves none, and a refused write leaves none.

use seatline_app::App;
use seatline_domain::{ErrorCode, OrgId};
use seatline_store::AuditEntry;
use serde_json::{json, Value};

use crate::support::*;

/// Follows an org's audit log and hands out the entries each step appended.
struct Log<'a> {
    app: &'a App,
    org: OrgId,
    seen: usize,
    last_id: i64,
}

impl<'a> Log<'a> {
    fn new(app: &'a App, org: OrgId) -> Self {
        Log {
            app,
            org,
            seen: 0,
            last_id: 0,
        }
    }

    /// The entries appended since the last call, oldest first; they must be exactly
    /// `want` as (actor, action, target).
    async fn expect(&mut self, want: &[(&str, &str, &str)]) -> Vec<AuditEntry> {
        let all = audit_log(self.app, &self.org).await;
        let mut new: Vec<AuditEntry> = all[..all.len() - self.seen].to_vec();
        new.reverse();
        let got: Vec<(&str, &str, &str)> = new
            .iter()
            .map(|e| (e.actor.as_str(), e.action.as_str(), e.target.as_str()))
            .collect();
        assert_eq!(got, want);
        for e in &new {
            assert!(e.id > self.last_id, "ids grow: {e:?}");
            assert!(
                e.at.ends_with('Z') && e.at.len() == 24,
                "RFC 3339 UTC: {}",
                e.at
            );
            self.last_id = e.id;
        }
        self.seen = all.len();
        new
    }
}

#[tokio::test]
async fn every_write_leaves_its_audit_entries() {
    let w = world().await;
    let app = &w.app;
    let created = app
        .create_org(&op(), "acme", "owner@acme.example", "Owner")
        .await
        .unwrap();
    let org = OrgId(created.id.clone());
    let (o, owner_id) = (&org, created.owner.id.clone());
    let owner = format!("member:{owner_id}");
    let mut log = Log::new(app, org.clone());

    // The owner's first sign-in link comes with the organization, audited with it.
    let e = log
        .expect(&[
            ("operator", "org.create", &format!("org:{}", created.id)),
            ("operator", "member.sign_in_link", &owner),
        ])
        .await;
    assert_eq!(e[0].before, Value::Null);
    assert_eq!(e[0].after["name"], "acme");
    assert_eq!(e[0].after["owner"]["email"], "owner@acme.example");
    assert_eq!(e[0].after["owner"]["role"], "owner");

    app.set_quantity(&op(), o, "phone_system", 10)
        .await
        .unwrap();
    let e = log
        .expect(&[("operator", "subscription.set", "subscription:phone_system")])
        .await;
    assert_eq!(
        (&e[0].before, &e[0].after),
        (&json!({"purchased": 0}), &json!({"purchased": 10}))
    );
    for code in ["license_center", "license_number"] {
        app.set_quantity(&op(), o, code, 5).await.unwrap();
        log.expect(&[(
            "operator",
            "subscription.set",
            &format!("subscription:{code}"),
        )])
        .await;
    }

    app.add_number(&op(), o, "+65 3123 0001").await.unwrap();
    let e = log
        .expect(&[("operator", "number.add", "number:+6531230001")])
        .await;
    assert_eq!(e[0].after, json!({"number": "+6531230001"}));

    let me = login(app, o, &owner_id).await;
    log.expect(&[("operator", "token.issue", &owner)]).await;

    let m = app
        .create_member(&me, o, "ann@acme.example", "Ann", "member")
        .await
        .unwrap();
    let ann = format!("member:{}", m.id);
    let e = log.expect(&[(&owner, "member.create", &ann)]).await;
    assert_eq!(e[0].before, Value::Null);
    assert_eq!(e[0].after["email"], "ann@acme.example");

    app.update_member(&me, o, &m.id, Some("admin"), None)
        .await
        .unwrap();
    let e = log.expect(&[(&owner, "member.role", &ann)]).await;
    assert_eq!(
        (&e[0].before["role"], &e[0].after["role"]),
        (&json!("member"), &json!("admin"))
    );

    app.update_member(&me, o, &m.id, Some("member"), Some("disabled"))
        .await
        .unwrap();
    let e = log
        .expect(&[
            (&owner, "member.role", &ann),
            (&owner, "member.disable", &ann),
        ])
        .await;
    assert_eq!(
        e[1].before["role"], "member",
        "the status step starts from the new role"
    );
    assert_eq!(
        (&e[1].before["status"], &e[1].after["status"]),
        (&json!("active"), &json!("disabled"))
    );
    app.update_member(&me, o, &m.id, None, Some("active"))
        .await
        .unwrap();
    log.expect(&[(&owner, "member.enable", &ann)]).await;

    app.provision(&me, o, 2, "1001").await.unwrap();
    let e = log
        .expect(&[
            (&owner, "extension.provision", "extension:1001"),
            (&owner, "extension.provision", "extension:1002"),
        ])
        .await;
    assert_eq!(e[0].before, Value::Null);
    assert_eq!(
        e[0].after,
        json!({"key": "1001", "member": null, "addons": [], "numbers": []})
    );

    app.assign(&me, o, "1001", "ann@acme.example", false)
        .await
        .unwrap();
    let e = log
        .expect(&[(&owner, "extension.assign", "extension:1001")])
        .await;
    assert_eq!(
        (&e[0].before["member"], &e[0].after["member"]),
        (&Value::Null, &json!(m.id))
    );

    let codes = ["license_center".to_owned(), "license_number".to_owned()];
    app.set_addons(&me, o, "1001", &codes).await.unwrap();
    let e = log
        .expect(&[(&owner, "extension.addons", "extension:1001")])
        .await;
    assert_eq!(e[0].before["addons"], json!([]));
    assert_eq!(
        e[0].after["addons"],
        json!(["license_center", "license_number"])
    );

    app.set_numbers(&me, o, "1001", &["+6531230001".into()])
        .await
        .unwrap();
    let e = log
        .expect(&[(&owner, "extension.numbers", "extension:1001")])
        .await;
    assert_eq!(
        (&e[0].before["numbers"], &e[0].after["numbers"]),
        (&json!([]), &json!(["+6531230001"]))
    );

    app.unassign(&me, o, "1001").await.unwrap();
    let e = log
        .expect(&[(&owner, "extension.unassign", "extension:1001")])
        .await;
    assert_eq!(
        e[0].after["addons"],
        json!(["license_center", "license_number"])
    );
    assert_eq!(e[0].after["numbers"], json!(["+6531230001"]));

    app.deprovision(&me, o, "1002").await.unwrap();
    let e = log
        .expect(&[(&owner, "extension.deprovision", "extension:1002")])
        .await;
    assert_eq!(e[0].after, Value::Null);

    app.set_numbers(&me, o, "1001", &[]).await.unwrap();
    log.expect(&[(&owner, "extension.numbers", "extension:1001")])
        .await;
    app.remove_number(&op(), o, "+6531230001").await.unwrap();
    let e = log
        .expect(&[("operator", "number.remove", "number:+6531230001")])
        .await;
    assert_eq!(e[0].after, Value::Null);

    let t = app.issue_token(&me, o, &m.id).await.unwrap();
    log.expect(&[(&owner, "token.issue", &ann)]).await;
    app.revoke_token(&me, o, &m.id, &t.id).await.unwrap();
    let e = log.expect(&[(&owner, "token.revoke", &ann)]).await;
    assert_eq!(e[0].before, json!({"token_id": t.id}));

    app.transfer_ownership(&me, o, &m.id).await.unwrap();
    let e = log
        .expect(&[
            (&owner, "member.role", &owner),
            (&owner, "org.transfer_ownership", &ann),
        ])
        .await;
    assert_eq!(
        (&e[0].before["role"], &e[0].after["role"]),
        (&json!("owner"), &json!("admin"))
    );
    assert_eq!(
        (&e[1].before["role"], &e[1].after["role"]),
        (&json!("member"), &json!("owner"))
    );

    // The new owner disables and deletes the old one.
    let boss = login(app, o, &m.id).await;
    log.expect(&[("operator", "token.issue", &ann)]).await;
    app.assign(&boss, o, "1001", &owner_id, false)
        .await
        .unwrap();
    log.expect(&[(&ann, "extension.assign", "extension:1001")])
        .await;
    app.update_member(&boss, o, &owner_id, None, Some("disabled"))
        .await
        .unwrap();
    log.expect(&[(&ann, "member.disable", &owner)]).await;
    app.delete_member(&boss, o, &owner_id).await.unwrap();
    // Its extension's unassignment has an entry of its own (its event too).
    let e = log
        .expect(&[
            (&ann, "extension.unassign", "extension:1001"),
            (&ann, "member.delete", &owner),
        ])
        .await;
    assert_eq!(e[1].before["extension"], "1001");
    assert_eq!(e[1].after, Value::Null);
    // Its extension stays provisioned, unassigned, with its add-ons.
    let x = app.extension(&boss, o, "1001").await.unwrap();
    assert!(x.member.is_none());
    assert_eq!(x.addons.len(), 2);
}

#[tokio::test]
async fn a_write_that_changes_nothing_leaves_no_entry() {
    let w = world().await;
    let app = &w.app;
    let o = org(app, "acme").await;
    app.provision(&o.owner, &o.id, 1, "1001").await.unwrap();
    app.assign(&o.owner, &o.id, "1001", &o.member_id, false)
        .await
        .unwrap();
    app.set_addons(&o.owner, &o.id, "1001", &["license_center".into()])
        .await
        .unwrap();
    let before = audit_log(app, &o.id).await.len();

    app.assign(&o.owner, &o.id, "1001", &o.member_id, false)
        .await
        .unwrap();
    app.set_addons(&o.owner, &o.id, "1001", &["license_center".into()])
        .await
        .unwrap();
    app.set_numbers(&o.owner, &o.id, "1001", &[]).await.unwrap();
    app.update_member(&o.owner, &o.id, &o.admin_id, Some("admin"), Some("active"))
        .await
        .unwrap();
    app.set_quantity(&op(), &o.id, "phone_system", 10)
        .await
        .unwrap();
    app.unassign(&o.owner, &o.id, "1001").await.unwrap();
    app.unassign(&o.owner, &o.id, "1001").await.unwrap();

    // Only the one real change (the first unassign) was logged.
    let log = audit_log(app, &o.id).await;
    assert_eq!(log.len(), before + 1);
    assert_eq!(log[0].action, "extension.unassign");
}

#[tokio::test]
async fn a_refused_write_leaves_no_entry_and_no_change() {
    let w = world().await;
    let app = &w.app;
    let o = org(app, "acme").await;
    let (id, owner) = (&o.id, &o.owner);
    app.provision(owner, id, 10, "1001").await.unwrap();
    app.assign(owner, id, "1001", &o.member_id, false)
        .await
        .unwrap();
    app.set_addons(owner, id, "1001", &["license_number".into()])
        .await
        .unwrap();
    app.set_numbers(owner, id, "1001", &["+6531230001".into()])
        .await
        .unwrap();
    let off = app
        .create_member(owner, id, "off@acme.example", "", "member")
        .await
        .unwrap();
    app.update_member(owner, id, &off.id, None, Some("disabled"))
        .await
        .unwrap();

    let log_before = audit_log(app, id).await;
    let licenses_before = serde_json::to_value(app.licenses(owner, id).await.unwrap()).unwrap();
    let exts = |app: &App| {
        let app = app.clone();
        let (id, owner) = (id.clone(), owner.clone());
        async move {
            serde_json::to_value(
                app.extensions(&owner, &id, Default::default(), None)
                    .await
                    .unwrap(),
            )
            .unwrap()
        }
    };
    let exts_before = exts(app).await;
    let members_before =
        serde_json::to_value(app.members(owner, id, None, None).await.unwrap()).unwrap();

    let cases = [
        (
            "an 11th extension",
            code(app.provision(owner, id, 1, "2001").await),
            ErrorCode::SeatsExhausted,
        ),
        (
            "taken keys",
            code(app.provision(owner, id, 1, "1005").await),
            ErrorCode::ExtensionTaken,
        ),
        (
            "quantity below usage",
            code(app.set_quantity(&op(), id, "phone_system", 9).await),
            ErrorCode::QuantityBelowUsage,
        ),
        (
            "assign a disabled member",
            code(app.assign(owner, id, "1002", &off.id, false).await),
            ErrorCode::MemberDisabled,
        ),
        (
            "assign a member who holds one",
            code(app.assign(owner, id, "1002", &o.member_id, false).await),
            ErrorCode::MemberHasExtension,
        ),
        (
            "two license_center",
            code(
                app.set_addons(
                    owner,
                    id,
                    "1002",
                    &["license_center".into(), "license_center".into()],
                )
                .await,
            ),
            ErrorCode::AddonLimit,
        ),
        (
            "add-on never purchased",
            code(
                app.set_addons(owner, id, "1002", &["team_chat".into()])
                    .await,
            ),
            ErrorCode::SeatsExhausted,
        ),
        (
            "dropping a needed license_number",
            code(app.set_addons(owner, id, "1001", &[]).await),
            ErrorCode::NumberNeedsLicense,
        ),
        (
            "a number not in the inventory",
            code(
                app.set_numbers(owner, id, "1002", &["+6539999999".into()])
                    .await,
            ),
            ErrorCode::NumberUnavailable,
        ),
        (
            "delete an active member",
            code(app.delete_member(owner, id, &o.admin_id).await),
            ErrorCode::MemberActive,
        ),
        (
            "disable the owner",
            code(
                app.update_member(&o.admin, id, &o.owner_id, None, Some("disabled"))
                    .await,
            ),
            ErrorCode::OwnerProtected,
        ),
        (
            "a member provisioning",
            code(app.provision(&o.member, id, 1, "2001").await),
            ErrorCode::Forbidden,
        ),
        (
            "an admin creating an admin",
            code(
                app.create_member(&o.admin, id, "a2@acme.example", "", "admin")
                    .await,
            ),
            ErrorCode::Forbidden,
        ),
        (
            "a taken email, in other case",
            code(
                app.create_member(owner, id, "ADMIN@acme.example", "", "member")
                    .await,
            ),
            ErrorCode::EmailTaken,
        ),
        (
            "remove an attached number",
            code(app.remove_number(&op(), id, "+6531230001").await),
            ErrorCode::NumberAttached,
        ),
        (
            "deprovision an assigned extension",
            code(app.deprovision(owner, id, "1001").await),
            ErrorCode::ExtensionHasMember,
        ),
        (
            "transfer to a disabled member",
            code(app.transfer_ownership(owner, id, &off.id).await),
            ErrorCode::MemberDisabled,
        ),
        (
            "an unknown extension",
            code(app.set_addons(owner, id, "4242", &[]).await),
            ErrorCode::NotFound,
        ),
    ];
    for (case, got, want) in cases {
        assert_eq!(got, want, "{case}");
    }

    assert_eq!(
        audit_log(app, id).await,
        log_before,
        "a refused write left an audit entry"
    );
    assert_eq!(
        serde_json::to_value(app.licenses(owner, id).await.unwrap()).unwrap(),
        licenses_before
    );
    assert_eq!(exts(app).await, exts_before);
    assert_eq!(
        serde_json::to_value(app.members(owner, id, None, None).await.unwrap()).unwrap(),
        members_before
    );
}
