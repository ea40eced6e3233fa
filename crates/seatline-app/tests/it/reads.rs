//! Who may read what: a member reads only itself; owners, admins and the operator read the org.

use seatline_domain::ErrorCode;
use seatline_store::ExtensionQuery;

use crate::support::*;

#[tokio::test]
async fn a_member_reads_only_its_own_record_and_entitlements() {
    let w = world().await;
    let app = &w.app;
    let o = org(app, "acme").await;
    let me = &o.member;

    let mine = app.member(me, &o.id, &o.member_id).await.unwrap();
    assert_eq!(mine.id, o.member_id);
    let ent = app.entitlements(me, &o.id, &o.member_id).await.unwrap();
    assert_eq!(ent.member.id, o.member_id);
    // By email too.
    assert_eq!(
        app.member(me, &o.id, "member@acme.example")
            .await
            .unwrap()
            .id,
        o.member_id
    );

    let cases = [
        (
            "another member",
            code(app.member(me, &o.id, &o.admin_id).await),
        ),
        (
            "the owner by email",
            code(app.member(me, &o.id, "owner@acme.example").await),
        ),
        (
            "another's entitlements",
            code(app.entitlements(me, &o.id, &o.owner_id).await),
        ),
        ("the org", code(app.org(me, &o.id).await)),
        (
            "the members",
            code(app.members(me, &o.id, None, None).await),
        ),
        ("licenses", code(app.licenses(me, &o.id).await)),
        ("numbers", code(app.numbers(me, &o.id, None, None).await)),
        (
            "extensions",
            code(
                app.extensions(me, &o.id, ExtensionQuery::default(), None)
                    .await,
            ),
        ),
        (
            "contact center",
            code(app.contact_center(me, &o.id, None, None).await),
        ),
        (
            "audit",
            code(app.audit(me, &o.id, Default::default()).await),
        ),
        (
            "a token for another",
            code(app.issue_token(me, &o.id, &o.admin_id).await),
        ),
        ("provision", code(app.provision(me, &o.id, 1, "1001").await)),
    ];
    for (case, got) in cases {
        assert_eq!(got, ErrorCode::Forbidden, "member reading {case}");
    }
}

#[tokio::test]
async fn owners_admins_and_the_operator_read_the_org() {
    let w = world().await;
    let app = &w.app;
    let o = org(app, "acme").await;
    for (who, ctx) in [
        ("owner", &o.owner),
        ("admin", &o.admin),
        ("operator", &op()),
    ] {
        assert_eq!(app.org(ctx, &o.id).await.unwrap().name, "acme", "{who}");
        let members = app.members(ctx, &o.id, None, None).await.unwrap();
        assert_eq!(members.items.len(), 3, "{who}");
        assert!(app.member(ctx, &o.id, &o.member_id).await.is_ok(), "{who}");
        assert!(
            app.audit(ctx, &o.id, Default::default()).await.is_ok(),
            "{who}"
        );
    }
}
