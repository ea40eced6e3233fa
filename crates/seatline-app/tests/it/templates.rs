//! Team license templates (product.md §13) through the use cases, on SQLite and PostgreSQL:
//! a team change grants and revokes in its own transaction, direct writes cannot drop what a
//! team grants, members that do not fit wait in join order and the waiting room fills as
//! seats free, and every grant has its audit entry and events.

use seatline_app::{App, Ctx};
use seatline_domain::{ErrorCode, OrgId};
use serde_json::{json, Value};

use crate::events::{dbs, req};
use crate::support::*;

async fn agent(app: &App, o: &Org, name: &str) -> String {
    app.create_member(
        &o.owner,
        &o.id,
        &format!("{name}@agents.example"),
        name,
        "member",
    )
    .await
    .expect("agent")
    .id
}

async fn state(app: &App, ctx: &Ctx, org: &OrgId, m: &str) -> Value {
    let v = app.member(ctx, org, m).await.expect("member");
    serde_json::to_value(v).unwrap()
}

async fn event_types(app: &App, ctx: &Ctx, org: &OrgId) -> Vec<Value> {
    let page = app.events(ctx, org, req(0)).await.expect("events");
    page.items
        .iter()
        .map(|e| serde_json::from_str::<Value>(e.get()).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_change_grants_and_revokes_in_its_own_transaction() {
    for db in dbs().await {
        let app = &db.app;
        let o = org(app, &format!("tpl-{}", db.name)).await;
        let a1 = agent(app, &o, "a1").await;
        let a2 = agent(app, &o, "a2").await;
        let a3 = agent(app, &o, "a3").await;
        app.set_quantity(&op(), &o.id, "license_center", 2)
            .await
            .unwrap();
        let team = app
            .create_team(&o.owner, &o.id, "Support", &[])
            .await
            .unwrap();
        let body =
            json!({"extension": {"from": "2000", "to": "2099"}, "addons": {"license_center": 1}});
        let view = app
            .set_template(&o.owner, &o.id, &team.id, &body)
            .await
            .unwrap();
        assert_eq!(
            view.extension,
            json!({"from": "2000", "to": "2099"}),
            "{}",
            db.name
        );
        // Three join; two fit, the third waits for a license_center seat.
        app.set_team_members(
            &o.owner,
            &o.id,
            &team.id,
            &[a1.clone(), a2.clone(), a3.clone()],
        )
        .await
        .unwrap();
        let s1 = state(app, &o.owner, &o.id, &a1).await;
        assert_eq!(s1["extension"], "2000", "{}: {s1}", db.name);
        assert_eq!(s1["license_state"]["state"], "ok");
        assert_eq!(s1["license_state"]["teams"], json!([team.id]));
        let e = app.extension(&o.owner, &o.id, "2000").await.unwrap();
        assert_eq!(
            serde_json::to_value(&e.addons).unwrap(),
            json!(["license_center"])
        );
        let s3 = state(app, &o.owner, &o.id, &a3).await;
        assert_eq!(
            s3["extension"],
            Value::Null,
            "{}: all or nothing: {s3}",
            db.name
        );
        assert_eq!(s3["license_state"]["state"], "waiting");
        assert_eq!(s3["license_state"]["code"], "seats_exhausted");
        let room = app.waiting_room(&o.admin, &o.id).await.unwrap();
        assert_eq!(
            room.iter().map(|w| w.member.as_str()).collect::<Vec<_>>(),
            [a3.as_str()]
        );
        let status = app
            .template_status(&o.admin, &o.id, &team.id)
            .await
            .unwrap();
        assert_eq!(
            (status.ok, status.waiting, status.error),
            (2, 1, 0),
            "{}",
            db.name
        );
        // Each grant is its own audit entry by the one who made the change, with events.
        let log = audit_log(app, &o.id).await;
        let grants: Vec<_> = log
            .iter()
            .filter(|a| a.action == "template.grant")
            .collect();
        assert_eq!(grants.len(), 2, "{}", db.name);
        assert!(grants
            .iter()
            .all(|g| g.actor == format!("member:{}", o.owner_id)));
        let evs = event_types(app, &o.owner, &o.id).await;
        let states: Vec<&Value> = evs
            .iter()
            .filter(|e| e["type"] == "member.license_state_changed")
            .collect();
        assert_eq!(states.len(), 3, "{}", db.name);
        assert_eq!(states[2]["data"]["state"], "waiting");
        assert!(evs.iter().any(|e| e["type"] == "team.template_changed"));
        assert!(evs.iter().any(|e| e["type"] == "extension.provisioned"));

        // Direct writes may not drop what the team grants.
        assert_eq!(
            code(app.unassign(&o.owner, &o.id, "2000").await),
            ErrorCode::InheritedFromTeam
        );
        assert_eq!(
            code(app.set_addons(&o.owner, &o.id, "2000", &[]).await),
            ErrorCode::InheritedFromTeam
        );
        // Adding beyond it is direct, and stays when the member leaves.
        app.set_addons(
            &o.owner,
            &o.id,
            "2000",
            &["license_center".into(), "device_web_rtc".into()],
        )
        .await
        .unwrap();
        // Each copy shows where it comes from.
        let e = app.extension(&o.owner, &o.id, "2000").await.unwrap();
        let sources = serde_json::to_value(&e).unwrap()["sources"].clone();
        let from_team = json!([format!("team:{}", team.id)]);
        assert_eq!(sources["assignment"], from_team, "{}: {sources}", db.name);
        assert_eq!(sources["addons"]["license_center"], from_team);
        assert_eq!(sources["addons"]["device_web_rtc"], json!(["direct"]));

        // A quantity raise: the waiting room fills (the background pass's use case).
        app.set_quantity(&op(), &o.id, "license_center", 3)
            .await
            .unwrap();
        assert_eq!(
            app.fill_waiting_room(&o.id).await.unwrap(),
            1,
            "{}",
            db.name
        );
        let s3 = state(app, &o.owner, &o.id, &a3).await;
        assert_eq!(s3["extension"], "2002", "{}: {s3}", db.name);
        assert!(app.waiting_room(&o.owner, &o.id).await.unwrap().is_empty());
        let log = audit_log(app, &o.id).await;
        assert!(
            log.iter()
                .any(|a| a.action == "template.grant" && a.actor.starts_with("system")),
            "{}",
            db.name
        );
        assert_eq!(
            app.fill_waiting_room(&o.id).await.unwrap(),
            0,
            "granted once"
        );

        // a1 leaves: its extension keeps the direct web phone, unassigned; a2's has nothing
        // direct and is deprovisioned when the team is disabled.
        app.set_team_members(&o.owner, &o.id, &team.id, &[a2.clone(), a3.clone()])
            .await
            .unwrap();
        let e = app.extension(&o.owner, &o.id, "2000").await.unwrap();
        assert!(e.member.is_none(), "{}", db.name);
        assert_eq!(
            serde_json::to_value(&e.addons).unwrap(),
            json!(["device_web_rtc"])
        );
        assert!(state(app, &o.owner, &o.id, &a1)
            .await
            .get("license_state")
            .is_none());
        app.update_team(&o.owner, &o.id, &team.id, None, Some(false))
            .await
            .unwrap();
        assert_eq!(
            code(app.extension(&o.owner, &o.id, "2001").await),
            ErrorCode::NotFound
        );
        // Enabled again: granted again; the template deleted: revoked.
        app.update_team(&o.owner, &o.id, &team.id, None, Some(true))
            .await
            .unwrap();
        assert_eq!(
            state(app, &o.owner, &o.id, &a2).await["license_state"]["state"],
            "ok"
        );
        // Deleting a member revokes what its teams granted: nothing direct, so its
        // extension goes with it.
        let k2 = state(app, &o.owner, &o.id, &a2).await["extension"]
            .as_str()
            .unwrap()
            .to_owned();
        app.update_member(&o.owner, &o.id, &a2, None, Some("disabled"))
            .await
            .unwrap();
        app.delete_member(&o.owner, &o.id, &a2).await.unwrap();
        assert_eq!(
            code(app.extension(&o.owner, &o.id, &k2).await),
            ErrorCode::NotFound,
            "{}",
            db.name
        );
        // Deleting the team revokes what its template granted, in the same transaction.
        assert_eq!(
            state(app, &o.owner, &o.id, &a3).await["license_state"]["state"],
            "ok"
        );
        app.delete_team(&o.owner, &o.id, &team.id).await.unwrap();
        let s3 = state(app, &o.owner, &o.id, &a3).await;
        assert_eq!(s3["extension"], Value::Null, "{}: {s3}", db.name);
        assert!(s3.get("license_state").is_none());
        assert_eq!(
            code(app.template(&o.owner, &o.id, &team.id).await),
            ErrorCode::NotFound
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_owner_and_whole_org_admins_write_templates() {
    for db in dbs().await {
        let app = &db.app;
        let o = org(app, &format!("tplperm-{}", db.name)).await;
        let team = app
            .create_team(&o.owner, &o.id, "Support", &[])
            .await
            .unwrap();
        let body = json!({"extension": true, "addons": {}});
        assert_eq!(
            code(app.set_template(&o.member, &o.id, &team.id, &body).await),
            ErrorCode::Forbidden
        );
        app.set_template(&o.admin, &o.id, &team.id, &body)
            .await
            .unwrap();
        // A team-scoped admin reads the template of its team, and may not write it.
        app.set_member_scope(&o.owner, &o.id, &o.admin_id, Some(vec![team.id.clone()]))
            .await
            .unwrap();
        let scoped = login(app, &o.id, &o.admin_id).await;
        assert_eq!(
            app.template(&scoped, &o.id, &team.id)
                .await
                .unwrap()
                .extension,
            json!(true)
        );
        assert_eq!(
            code(app.delete_template(&scoped, &o.id, &team.id).await),
            ErrorCode::Forbidden
        );
        // Invalid templates name their field.
        let bad = json!({"extension": true, "addons": {"license_center": 2}});
        let e = app
            .set_template(&o.owner, &o.id, &team.id, &bad)
            .await
            .unwrap_err();
        assert_eq!(e.code(), Some(ErrorCode::AddonLimit));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_change_is_a_plan_applied_at_the_bulk_paths() {
    for db in dbs().await {
        let app = &db.app;
        let o = org(app, &format!("tplplan-{}", db.name)).await;
        let a1 = agent(app, &o, "a1").await;
        let a2 = agent(app, &o, "a2").await;
        let a3 = agent(app, &o, "a3").await;
        app.set_quantity(&op(), &o.id, "license_center", 2)
            .await
            .unwrap();
        let team = app
            .create_team(
                &o.owner,
                &o.id,
                "Support",
                &[a1.clone(), a2.clone(), a3.clone()],
            )
            .await
            .unwrap();
        let body = json!({"extension": true, "addons": {"license_center": 1}});
        let plan = app
            .plan_template(&o.owner, &o.id, &team.id, &body)
            .await
            .unwrap();
        let p = serde_json::to_value(&plan).unwrap();
        let outcomes: Vec<&str> = p["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["outcome"].as_str().unwrap())
            .collect();
        assert_eq!(outcomes, ["grant", "grant", "wait"], "{}: {p:#}", db.name);
        let p_rows: Vec<Value> = p["items"].as_array().unwrap().clone();
        assert_eq!(p["status"], "ready");
        assert_eq!(p["warnings"][0]["code"], "seats_exhausted");
        let seats: Vec<&Value> = p["seats"].as_array().unwrap().iter().collect();
        assert!(
            seats.contains(
                &&json!({"code": "license_center", "needed": 2, "freed": 0, "available": 2})
            ),
            "{seats:?}"
        );
        // Nothing happened yet.
        assert_eq!(
            state(app, &o.owner, &o.id, &a1).await["extension"],
            Value::Null
        );
        // Applied at the bulk path: exactly as planned.
        let applied = app
            .bulk_apply(&o.owner, &o.id, &plan.id, Default::default())
            .await
            .unwrap();
        assert_eq!(serde_json::to_value(&applied).unwrap()["status"], "applied");
        // Each member's state is its row's: the team's members in id order.
        for r in p_rows.iter() {
            let m = r["member"].as_str().unwrap();
            let want = if r["outcome"] == "wait" {
                "waiting"
            } else {
                "ok"
            };
            assert_eq!(
                state(app, &o.owner, &o.id, m).await["license_state"]["state"],
                want,
                "{}",
                db.name
            );
        }
        assert!(app.template(&o.owner, &o.id, &team.id).await.is_ok());
        // A plan the organization moved away from is stale, and changes nothing.
        let gone = app
            .plan_template(&o.owner, &o.id, &team.id, &Value::Null)
            .await
            .unwrap();
        app.set_quantity(&op(), &o.id, "license_center", 3)
            .await
            .unwrap();
        app.fill_waiting_room(&o.id).await.unwrap();
        assert_eq!(
            code(
                app.bulk_apply(&o.owner, &o.id, &gone.id, Default::default())
                    .await
            ),
            ErrorCode::PlanStale
        );
        assert!(
            app.template(&o.owner, &o.id, &team.id).await.is_ok(),
            "{}",
            db.name
        );
        // Planning the deletion again and applying it revokes what the template granted.
        let gone = app
            .plan_template(&o.owner, &o.id, &team.id, &Value::Null)
            .await
            .unwrap();
        let p = serde_json::to_value(&gone).unwrap();
        assert!(
            p["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["outcome"] == "revoke"),
            "{p:#}"
        );
        app.bulk_apply(&o.owner, &o.id, &gone.id, Default::default())
            .await
            .unwrap();
        assert_eq!(
            state(app, &o.owner, &o.id, &a1).await["extension"],
            Value::Null
        );
        assert_eq!(
            code(app.template(&o.owner, &o.id, &team.id).await),
            ErrorCode::NotFound
        );
        // Only those who manage templates plan them.
        assert_eq!(
            code(app.plan_template(&o.member, &o.id, &team.id, &body).await),
            ErrorCode::Forbidden
        );
    }
}
