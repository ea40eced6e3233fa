//! Team license templates (product.md §13) driven by SCIM Groups as Entra ID and Okta send
//! them, on SQLite and PostgreSQL: an identity provider that puts a user in a group makes a
//! ready Contact Center agent with no admin action, the one that does not fit waits, and
//! removing the user revokes exactly what the team granted. The template routes over HTTP.

use serde_json::{json, Value};

use crate::support::{World, OPERATOR, PATCH_OP};

async fn user(w: &World, email: &str) -> String {
    let base = format!("/api/v1/orgs/{}", w.org);
    let owner = w.owner.clone();
    w.api_ok(
        "POST",
        &format!("{base}/members"),
        &owner,
        json!({"email": email}),
        201,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entra_and_okta_group_patches_drive_templates() {
    for w in World::all().await {
        let base = format!("/api/v1/orgs/{}", w.org);
        let owner = w.owner.clone();
        let ann = user(&w, "ann@acme.test").await;
        let bob = user(&w, "bob@acme.test").await;
        let cy = user(&w, "cy@acme.test").await;
        // Two license_center seats: the third agent waits.
        let path = format!("{base}/subscriptions/license_center");
        w.api_ok("PUT", &path, OPERATOR, json!({"quantity": 2}), 200)
            .await;
        let g = w
            .scim_ok(
                "POST",
                "/Groups",
                Some(json!({"displayName": "Agents", "members": []})),
                201,
            )
            .await;
        let team = g["id"].as_str().unwrap().to_owned();
        let tpl = format!("{base}/teams/{team}/template");
        let body = json!({"extension": {"from": "3000", "to": "3099"}, "addons": {"license_center": 1, "device_web_rtc": 1}});
        let set = w.api_ok("PUT", &tpl, &owner, body, 200).await;
        assert_eq!(
            set["extension"],
            json!({"from": "3000", "to": "3099"}),
            "{}",
            w.name
        );
        let read = w.api_ok("GET", &tpl, &owner, Value::Null, 200).await;
        assert_eq!(
            read["addons"],
            json!({"device_web_rtc": 1, "license_center": 1})
        );

        // Entra: Add members with a value list.
        w.scim_ok(
            "PATCH",
            &format!("/Groups/{team}"),
            Some(json!({"schemas": [PATCH_OP], "Operations": [
                {"op": "Add", "path": "members", "value": [{"value": ann}, {"value": bob}]}
            ]})),
            200,
        )
        .await;
        let m = w.member(&ann).await.unwrap();
        assert_eq!(m["extension"], "3000", "{}: {m:#}", w.name);
        assert_eq!(
            m["contact_center"]["ready"], true,
            "{}: a ready agent: {m:#}",
            w.name
        );
        assert_eq!(m["license_state"]["state"], "ok");
        assert_eq!(w.extension("3001").await["member"]["id"], bob.as_str());
        // Okta: add one member with a lowercase op; no seat is left, it waits.
        w.scim_ok(
            "PATCH",
            &format!("/Groups/{team}"),
            Some(json!({"schemas": [PATCH_OP], "Operations": [
                {"op": "add", "path": "members", "value": [{"value": cy, "display": "cy@acme.test"}]}
            ]})),
            200,
        )
        .await;
        let m = w.member(&cy).await.unwrap();
        assert_eq!(m["extension"], Value::Null, "{}", w.name);
        assert_eq!(m["license_state"]["state"], "waiting");
        let room = w
            .api_ok(
                "GET",
                &format!("{base}/waiting-room"),
                &owner,
                Value::Null,
                200,
            )
            .await;
        assert_eq!(room["items"][0]["member"], cy.as_str());
        assert_eq!(room["items"][0]["code"], "seats_exhausted");
        let st = w
            .api_ok("GET", &format!("{tpl}/status"), &owner, Value::Null, 200)
            .await;
        assert_eq!(
            (st["ok"].as_u64(), st["waiting"].as_u64()),
            (Some(2), Some(1)),
            "{st:#}"
        );
        // A direct unassign of what the team grants is refused, naming the team.
        let a = w
            .send(
                "DELETE",
                &format!("{base}/extensions/3000/member"),
                Some(&owner),
                None,
                &[],
            )
            .await;
        assert_eq!(a.status.as_u16(), 409, "{}: {:#}", w.name, a.body);
        assert_eq!(a.body["error"]["code"], "inherited_from_team");
        assert_eq!(a.body["error"]["details"]["teams"], json!([team]));
        // Okta: remove by filter path: ann's extension goes (nothing direct on it) and its
        // seats free; reprocessing the team serves cy in the same breath.
        w.scim_ok(
            "PATCH",
            &format!("/Groups/{team}"),
            Some(json!({"schemas": [PATCH_OP], "Operations": [
                {"op": "remove", "path": format!("members[value eq \"{ann}\"]")}
            ]})),
            200,
        )
        .await;
        assert_eq!(
            w.member(&ann).await.unwrap()["extension"],
            Value::Null,
            "{}",
            w.name
        );
        let m = w.member(&cy).await.unwrap();
        assert_eq!(
            m["license_state"]["state"], "ok",
            "{}: the freed seat goes to the waiting member: {m:#}",
            w.name
        );
        assert_eq!(m["extension"], "3000");
        // Entra: Remove with a value list; the template deleted revokes the rest.
        w.scim_ok(
            "PATCH",
            &format!("/Groups/{team}"),
            Some(json!({"schemas": [PATCH_OP], "Operations": [
                {"op": "Remove", "path": "members", "value": [{"value": bob}]}
            ]})),
            200,
        )
        .await;
        let a = w.send("DELETE", &tpl, Some(&owner), None, &[]).await;
        assert_eq!(a.status.as_u16(), 204, "{}", w.name);
        assert_eq!(w.in_use("license_center").await, 0, "{}", w.name);
        assert_eq!(w.in_use("phone_system").await, 0, "{}", w.name);
        let a = w.send("GET", &tpl, Some(&owner), None, &[]).await;
        assert_eq!(a.status.as_u16(), 404);
    }
}
