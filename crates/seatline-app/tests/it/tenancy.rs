//! Another organization's objects are "not found": never readable, never changeable, and
//! never revealed to exist.

use seatline_app::Ctx;
use seatline_domain::{ErrorCode, OrgId};
use seatline_store::ExtensionQuery;

use crate::support::*;

#[tokio::test]
async fn another_orgs_objects_are_not_found() {
    let w = world().await;
    let app = &w.app;
    let a = org(app, "alpha").await;
    let b = org(app, "beta").await;
    app.provision(&a.owner, &a.id, 2, "1001").await.unwrap();
    app.assign(&a.owner, &a.id, "1001", &a.member_id, false)
        .await
        .unwrap();
    let before = audit_log(app, &a.id).await.len();

    // B's owner and admin aim every use case at org A.
    for (who, ctx) in [
        ("owner", &b.owner),
        ("admin", &b.admin),
        ("member", &b.member),
    ] {
        let (org, m, key) = (&a.id, a.member_id.as_str(), "1001");
        let cases = [
            ("org", code(app.org(ctx, org).await)),
            ("licenses", code(app.licenses(ctx, org).await)),
            ("numbers", code(app.numbers(ctx, org, None, None).await)),
            ("members", code(app.members(ctx, org, None, None).await)),
            ("member", code(app.member(ctx, org, m).await)),
            ("entitlements", code(app.entitlements(ctx, org, m).await)),
            (
                "contact center",
                code(app.contact_center(ctx, org, None, None).await),
            ),
            (
                "extensions",
                code(
                    app.extensions(ctx, org, ExtensionQuery::default(), None)
                        .await,
                ),
            ),
            ("extension", code(app.extension(ctx, org, key).await)),
            ("audit", code(app.audit(ctx, org, Default::default()).await)),
            ("provision", code(app.provision(ctx, org, 1, "2001").await)),
            ("deprovision", code(app.deprovision(ctx, org, "1002").await)),
            ("assign", code(app.assign(ctx, org, "1002", m, false).await)),
            ("unassign", code(app.unassign(ctx, org, key).await)),
            (
                "set add-ons",
                code(app.set_addons(ctx, org, key, &["team_chat".into()]).await),
            ),
            (
                "set numbers",
                code(app.set_numbers(ctx, org, key, &[]).await),
            ),
            (
                "create member",
                code(
                    app.create_member(ctx, org, "x@alpha.example", "X", "member")
                        .await,
                ),
            ),
            (
                "update member",
                code(app.update_member(ctx, org, m, None, Some("disabled")).await),
            ),
            ("transfer", code(app.transfer_ownership(ctx, org, m).await)),
            ("delete member", code(app.delete_member(ctx, org, m).await)),
            ("issue token", code(app.issue_token(ctx, org, m).await)),
        ];
        for (case, got) in cases {
            assert_eq!(got, ErrorCode::NotFound, "{who} of beta: {case}");
        }
    }
    assert_eq!(
        audit_log(app, &a.id).await.len(),
        before,
        "nothing was written"
    );
    let e = app.extension(&a.owner, &a.id, "1001").await.unwrap();
    assert_eq!(
        e.member.unwrap().id,
        a.member_id,
        "A's extension is untouched"
    );
}

#[tokio::test]
async fn another_orgs_members_and_numbers_cannot_be_used_in_ones_own_org() {
    let w = world().await;
    let app = &w.app;
    let a = org(app, "alpha").await;
    let b = org(app, "beta").await;
    app.provision(&b.owner, &b.id, 1, "1001").await.unwrap();
    app.set_addons(&b.owner, &b.id, "1001", &["license_number".into()])
        .await
        .unwrap();
    app.set_quantity(&op(), &a.id, "license_number", 5)
        .await
        .unwrap();
    app.add_number(&op(), &a.id, "+6539990001").await.unwrap();

    // A's member, by id or by email, does not exist in B.
    for reference in [a.member_id.clone(), "member@alpha.example".to_owned()] {
        assert_eq!(
            code(app.member(&b.owner, &b.id, &reference).await),
            ErrorCode::NotFound
        );
        assert_eq!(
            code(app.assign(&b.owner, &b.id, "1001", &reference, false).await),
            ErrorCode::NotFound
        );
    }
    // A number only in A's inventory is not available to B.
    assert_eq!(
        code(
            app.set_numbers(&b.owner, &b.id, "1001", &["+6539990001".into()])
                .await
        ),
        ErrorCode::NumberUnavailable
    );
    // The same email may be a member of both organizations.
    app.create_member(&b.owner, &b.id, "member@alpha.example", "", "member")
        .await
        .unwrap();
}

#[tokio::test]
async fn an_unknown_org_is_not_found_even_for_the_operator() {
    let w = world().await;
    let app = &w.app;
    let nowhere = OrgId("org_nowhere".into());
    let op: Ctx = op();
    assert_eq!(code(app.org(&op, &nowhere).await), ErrorCode::NotFound);
    assert_eq!(code(app.licenses(&op, &nowhere).await), ErrorCode::NotFound);
    assert_eq!(
        code(app.set_quantity(&op, &nowhere, "phone_system", 1).await),
        ErrorCode::NotFound
    );
    assert_eq!(
        code(app.add_number(&op, &nowhere, "+6531230001").await),
        ErrorCode::NotFound
    );
}
