//! Each route: its success shape and each of its error codes.

use serde_json::{json, Value};

use crate::support::{Api, World, ATTACHED_NUMBER, FREE_NUMBER, OPERATOR};

const OP: Option<&str> = Some(OPERATOR);

#[tokio::test]
async fn organizations() {
    let w = World::new().await;
    let api = &w.api;
    let created = api
        .ok(
            "POST",
            "/api/v1/orgs",
            OP,
            Some(json!({"name": "Beta", "owner": {"email": "Ann@Beta.test", "name": "Ann"}})),
            201,
        )
        .await;
    assert_eq!(created["name"], "Beta");
    assert_eq!(created["owner"]["email"], "ann@beta.test");
    assert_eq!(created["owner"]["role"], "owner");
    assert!(created["created_at"].as_str().unwrap().ends_with('Z'));
    let org = api
        .ok(
            "GET",
            &format!("/api/v1/orgs/{}", created["id"].as_str().unwrap()),
            OP,
            None,
            200,
        )
        .await;
    assert_eq!(org["id"], created["id"]);
    assert_eq!(org["name"], "Beta");

    api.call(
        "POST",
        "/api/v1/orgs",
        OP,
        Some(json!({"name": "X", "owner": {"email": "nope"}})),
    )
    .await
    .expect(422, "invalid_email");
    api.call(
        "POST",
        "/api/v1/orgs",
        OP,
        Some(json!({"name": " ", "owner": {"email": "a@b.test"}})),
    )
    .await
    .expect(422, "invalid_name");
    api.call("POST", "/api/v1/orgs", OP, Some(json!({"name": "X"})))
        .await
        .expect(422, "malformed");
    api.call("GET", "/api/v1/orgs/org_missing", OP, None)
        .await
        .expect(404, "not_found");
}

#[tokio::test]
async fn subscriptions_and_licenses() {
    let w = World::new().await;
    let api = &w.api;
    let l = api
        .ok(
            "PUT",
            &w.at("/subscriptions/team_chat"),
            OP,
            Some(json!({"quantity": 7})),
            200,
        )
        .await;
    assert_eq!(
        l,
        json!({"code": "team_chat", "name": "Team Chat", "kind": "addon", "purchased": 7, "in_use": 0, "available": 7, "state": "active", "term_end": null, "state_since": null, "over_allocated": 0, "unit_price": null, "currency": null})
    );
    api.call(
        "PUT",
        &w.at("/subscriptions/fax"),
        OP,
        Some(json!({"quantity": 1})),
    )
    .await
    .expect(422, "unknown_code");
    api.call(
        "PUT",
        &w.at("/subscriptions/team_chat"),
        OP,
        Some(json!({"quantity": -1})),
    )
    .await
    .expect(422, "invalid_quantity");
    let a = api
        .call(
            "PUT",
            &w.at("/subscriptions/phone_system"),
            OP,
            Some(json!({"quantity": 1})),
        )
        .await;
    a.expect(409, "quantity_below_usage");
    assert_eq!(a.body["error"]["details"]["in_use"], 2);
    api.call(
        "PUT",
        "/api/v1/orgs/org_missing/subscriptions/team_chat",
        OP,
        Some(json!({"quantity": 1})),
    )
    .await
    .expect(404, "not_found");

    let all = api
        .ok("GET", &w.at("/licenses"), Some(&w.owner.token), None, 200)
        .await;
    let items = all["items"].as_array().unwrap();
    assert_eq!(items.len(), 10);
    assert_eq!(
        items[0],
        json!({"code": "phone_system", "name": "Phone System", "kind": "base", "purchased": 10, "in_use": 2, "available": 8, "assigned": 1, "state": "active", "term_end": null, "state_since": null, "over_allocated": 0, "unit_price": null, "currency": null})
    );
    assert!(items[1..].iter().all(|l| l.get("assigned").is_none()));
}

#[tokio::test]
async fn numbers() {
    let w = World::new().await;
    let api = &w.api;
    let n = api
        .ok(
            "POST",
            &w.at("/numbers"),
            OP,
            Some(json!({"number": "+65 6000-0003"})),
            201,
        )
        .await;
    assert_eq!(n, json!({"number": "+6560000003", "extension": null}));
    api.call("POST", &w.at("/numbers"), OP, Some(json!({"number": "12"})))
        .await
        .expect(422, "invalid_number");
    api.call(
        "POST",
        &w.at("/numbers"),
        OP,
        Some(json!({"number": FREE_NUMBER})),
    )
    .await
    .expect(409, "number_exists");

    let page = api
        .ok("GET", &w.at("/numbers?limit=2"), OP, None, 200)
        .await;
    assert_eq!(
        page["items"],
        json!([{"number": FREE_NUMBER, "extension": null}, {"number": ATTACHED_NUMBER, "extension": "101"}])
    );
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = api
        .ok(
            "GET",
            &w.at(&format!("/numbers?limit=2&cursor={cursor}")),
            OP,
            None,
            200,
        )
        .await;
    assert_eq!(
        rest,
        json!({"items": [{"number": "+6560000003", "extension": null}], "next_cursor": null})
    );
    api.call("GET", &w.at("/numbers?limit=x"), OP, None)
        .await
        .expect(422, "malformed");

    api.call(
        "DELETE",
        &w.at(&format!("/numbers/{ATTACHED_NUMBER}")),
        OP,
        None,
    )
    .await
    .expect(409, "number_attached");
    api.call("DELETE", &w.at("/numbers/+6599999999"), OP, None)
        .await
        .expect(404, "not_found");
    let gone = api
        .call(
            "DELETE",
            &w.at(&format!("/numbers/{FREE_NUMBER}")),
            OP,
            None,
        )
        .await;
    gone.expect(204, "");
    assert_eq!(gone.body, json!(""));
}

#[tokio::test]
async fn members() {
    let w = World::new().await;
    let api = &w.api;
    let owner = Some(w.owner.token.as_str());
    let admin = Some(w.admin.token.as_str());
    let m = api
        .ok(
            "POST",
            &w.at("/members"),
            admin,
            Some(json!({"email": "Neo@Acme.test"})),
            201,
        )
        .await;
    assert_eq!(m["email"], "neo@acme.test");
    assert_eq!(m["name"], "neo@acme.test");
    assert_eq!(m["role"], "member");
    assert_eq!(m["status"], "active");
    assert_eq!(m["extension"], json!(null));
    assert_eq!(
        m["contact_center"],
        json!({"role": "agent", "ready": false, "missing": ["no_extension"]})
    );
    api.call(
        "POST",
        &w.at("/members"),
        owner,
        Some(json!({"email": "NEO@acme.test"})),
    )
    .await
    .expect(409, "email_taken");
    api.call(
        "POST",
        &w.at("/members"),
        owner,
        Some(json!({"email": "bad"})),
    )
    .await
    .expect(422, "invalid_email");
    api.call(
        "POST",
        &w.at("/members"),
        owner,
        Some(json!({"email": "r@acme.test", "role": "boss"})),
    )
    .await
    .expect(422, "invalid_role");
    api.call(
        "POST",
        &w.at("/members"),
        admin,
        Some(json!({"email": "r@acme.test", "role": "admin"})),
    )
    .await
    .expect(403, "forbidden");
    api.call(
        "POST",
        &w.at("/members"),
        owner,
        Some(json!({"email": "r@acme.test", "role": "owner"})),
    )
    .await
    .expect(403, "forbidden");

    // Paged by email.
    let page = api
        .ok("GET", &w.at("/members?limit=3"), owner, None, 200)
        .await;
    let emails: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["email"].as_str().unwrap())
        .collect();
    assert_eq!(
        emails,
        ["admin@acme.test", "disabled@acme.test", "member@acme.test"]
    );
    let next = page["next_cursor"].as_str().unwrap();
    let page = api
        .ok(
            "GET",
            &w.at(&format!("/members?limit=3&cursor={next}")),
            owner,
            None,
            200,
        )
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
    assert_eq!(page["next_cursor"], json!(null));

    // One member, by id or by email.
    let by_id = api
        .ok(
            "GET",
            &w.at(&format!("/members/{}", w.member.id)),
            owner,
            None,
            200,
        )
        .await;
    assert_eq!(by_id["extension"], "101");
    assert_eq!(
        by_id["contact_center"],
        json!({"role": "agent", "ready": true, "missing": []})
    );
    let by_email = api
        .ok("GET", &w.at("/members/member@acme.test"), owner, None, 200)
        .await;
    assert_eq!(by_email, by_id);
    api.call("GET", &w.at("/members/mem_missing"), owner, None)
        .await
        .expect(404, "not_found");

    // PATCH role and status.
    let promoted = api
        .ok(
            "PATCH",
            &w.at(&format!("/members/{}", w.member.id)),
            owner,
            Some(json!({"role": "admin"})),
            200,
        )
        .await;
    assert_eq!(promoted["role"], "admin");
    assert_eq!(promoted["contact_center"]["role"], "supervisor");
    api.call(
        "PATCH",
        &w.at(&format!("/members/{}", w.spare.id)),
        admin,
        Some(json!({"role": "admin"})),
    )
    .await
    .expect(403, "forbidden");
    api.call(
        "PATCH",
        &w.at(&format!("/members/{}", w.owner.id)),
        admin,
        Some(json!({"status": "disabled"})),
    )
    .await
    .expect(409, "owner_protected");
    api.call(
        "PATCH",
        &w.at(&format!("/members/{}", w.owner.id)),
        owner,
        Some(json!({"status": "disabled"})),
    )
    .await
    .expect(409, "owner_protected");
    api.call(
        "PATCH",
        &w.at(&format!("/members/{}", w.spare.id)),
        owner,
        Some(json!({"status": "gone"})),
    )
    .await
    .expect(422, "invalid_status");
    api.call(
        "PATCH",
        &w.at(&format!("/members/{}", w.spare.id)),
        owner,
        Some(json!({"role": "boss"})),
    )
    .await
    .expect(422, "invalid_role");
    api.call(
        "PATCH",
        &w.at("/members/mem_missing"),
        owner,
        Some(json!({"status": "active"})),
    )
    .await
    .expect(404, "not_found");

    // DELETE only a disabled member.
    api.call(
        "DELETE",
        &w.at(&format!("/members/{}", w.spare.id)),
        owner,
        None,
    )
    .await
    .expect(409, "member_active");
    api.call("DELETE", &w.at("/members/mem_missing"), owner, None)
        .await
        .expect(404, "not_found");
    api.call(
        "DELETE",
        &w.at(&format!("/members/{}", w.disabled.id)),
        owner,
        None,
    )
    .await
    .expect(204, "");
    api.call(
        "GET",
        &w.at(&format!("/members/{}", w.disabled.id)),
        owner,
        None,
    )
    .await
    .expect(404, "not_found");
}

#[tokio::test]
async fn entitlements_and_contact_center() {
    let w = World::new().await;
    let api = &w.api;
    let me = Some(w.member.token.as_str());
    let e = api
        .ok(
            "GET",
            &w.at(&format!("/members/{}/entitlements", w.member.id)),
            me,
            None,
            200,
        )
        .await;
    assert_eq!(e["member"]["id"], w.member.id.as_str());
    assert_eq!(
        e["extension"],
        json!({"key": "101", "member": {"id": w.member.id, "email": "member@acme.test"},
               "addons": ["device_web_rtc", "license_center", "license_number"], "numbers": [ATTACHED_NUMBER],
               "effective": (["phone_system", "device_web_rtc", "license_center", "license_number"]
                   .map(|c| json!({"code": c, "effective": true, "reason": null})))})
    );
    assert_eq!(
        e["contact_center"],
        json!({"role": "agent", "ready": true, "missing": []})
    );
    assert_eq!(
        e["entitled"],
        json!([
            "phone_system",
            "device_web_rtc",
            "license_center",
            "license_number"
        ])
    );
    api.call(
        "GET",
        &w.at(&format!("/members/{}/entitlements", w.spare.id)),
        me,
        None,
    )
    .await
    .expect(403, "forbidden");
    api.call("GET", &w.at("/members/mem_missing/entitlements"), OP, None)
        .await
        .expect(404, "not_found");

    let cc = api
        .ok(
            "GET",
            &w.at("/contact-center"),
            Some(&w.admin.token),
            None,
            200,
        )
        .await;
    let by_email = |email: &str| {
        cc["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["email"] == email)
            .unwrap()["contact_center"]
            .clone()
    };
    assert_eq!(by_email("member@acme.test")["ready"], true);
    assert_eq!(
        by_email("disabled@acme.test"),
        json!({"role": "agent", "ready": false, "missing": ["member_disabled", "no_extension"]})
    );
    assert_eq!(by_email("owner@acme.test")["role"], "supervisor");
}

#[tokio::test]
async fn tokens() {
    let w = World::new().await;
    let api = &w.api;
    let me = Some(w.member.token.as_str());
    let t = api
        .ok(
            "POST",
            &w.at(&format!("/members/{}/tokens", w.member.id)),
            me,
            None,
            201,
        )
        .await;
    assert_eq!(t["member_id"], w.member.id.as_str());
    let secret = t["token"].as_str().unwrap();
    api.ok(
        "GET",
        &w.at(&format!("/members/{}", w.member.id)),
        Some(secret),
        None,
        200,
    )
    .await;
    api.call(
        "POST",
        &w.at(&format!("/members/{}/tokens", w.spare.id)),
        Some(&w.admin.token),
        None,
    )
    .await
    .expect(403, "forbidden");
    api.call(
        "POST",
        &w.at(&format!("/members/{}/tokens", w.disabled.id)),
        OP,
        None,
    )
    .await
    .expect(409, "member_disabled");
    api.call("POST", &w.at("/members/mem_missing/tokens"), OP, None)
        .await
        .expect(404, "not_found");

    // Revoking stops the token at once.
    api.ok(
        "DELETE",
        &w.at(&format!(
            "/members/{}/tokens/{}",
            w.member.id,
            t["id"].as_str().unwrap()
        )),
        me,
        None,
        204,
    )
    .await;
    api.call(
        "GET",
        &w.at(&format!("/members/{}", w.member.id)),
        Some(secret),
        None,
    )
    .await
    .expect(401, "unauthenticated");
    api.call(
        "DELETE",
        &w.at(&format!("/members/{}/tokens/tok_missing", w.member.id)),
        me,
        None,
    )
    .await
    .expect(404, "not_found");

    // Disabling a member stops its tokens at once, for good: enabling it again does not
    // bring back the tokens issued before; it gets new ones.
    let owner = Some(w.owner.token.as_str());
    api.ok(
        "PATCH",
        &w.at(&format!("/members/{}", w.member.id)),
        owner,
        Some(json!({"status": "disabled"})),
        200,
    )
    .await;
    api.call("GET", &w.at(&format!("/members/{}", w.member.id)), me, None)
        .await
        .expect(401, "unauthenticated");
    api.ok(
        "PATCH",
        &w.at(&format!("/members/{}", w.member.id)),
        owner,
        Some(json!({"status": "active"})),
        200,
    )
    .await;
    api.call("GET", &w.at(&format!("/members/{}", w.member.id)), me, None)
        .await
        .expect(401, "unauthenticated");
    let fresh = api
        .ok(
            "POST",
            &w.at(&format!("/members/{}/tokens", w.member.id)),
            owner,
            None,
            201,
        )
        .await;
    api.ok(
        "GET",
        &w.at(&format!("/members/{}", w.member.id)),
        fresh["token"].as_str(),
        None,
        200,
    )
    .await;
    api.call("GET", &w.at("/licenses"), Some("stl_not_a_token"), None)
        .await
        .expect(401, "unauthenticated");
}

#[tokio::test]
async fn ownership_transfer() {
    let w = World::new().await;
    let api = &w.api;
    let owner = Some(w.owner.token.as_str());
    api.call(
        "POST",
        &w.at(&format!("/members/{}/transfer-ownership", w.disabled.id)),
        owner,
        None,
    )
    .await
    .expect(409, "member_disabled");
    api.call(
        "POST",
        &w.at("/members/mem_missing/transfer-ownership"),
        owner,
        None,
    )
    .await
    .expect(404, "not_found");
    let new_owner = api
        .ok(
            "POST",
            &w.at(&format!("/members/{}/transfer-ownership", w.admin.id)),
            owner,
            None,
            200,
        )
        .await;
    assert_eq!(new_owner["role"], "owner");
    assert_eq!(new_owner["id"], w.admin.id.as_str());
    let old = api
        .ok(
            "GET",
            &w.at(&format!("/members/{}", w.owner.id)),
            owner,
            None,
            200,
        )
        .await;
    assert_eq!(old["role"], "admin");
    // The former owner's own token now acts as an admin: no more transfers.
    api.call(
        "POST",
        &w.at(&format!("/members/{}/transfer-ownership", w.spare.id)),
        owner,
        None,
    )
    .await
    .expect(403, "forbidden");
}

#[tokio::test]
async fn extension_list_and_filters() {
    let w = World::new().await;
    let api = &w.api;
    let owner = Some(w.owner.token.as_str());
    api.ok(
        "POST",
        &w.at("/extensions/provision"),
        owner,
        Some(json!({"count": 3, "start": "1001"})),
        201,
    )
    .await;
    let keys = |v: &serde_json::Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["key"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = api.ok("GET", &w.at("/extensions"), owner, None, 200).await;
    assert_eq!(keys(&all), ["101", "102", "1001", "1002", "1003"]);
    assert_eq!(all["next_cursor"], json!(null));
    let page = api
        .ok("GET", &w.at("/extensions?limit=2"), owner, None, 200)
        .await;
    assert_eq!(keys(&page), ["101", "102"]);
    let next = page["next_cursor"].as_str().unwrap();
    let page = api
        .ok(
            "GET",
            &w.at(&format!("/extensions?limit=2&cursor={next}")),
            owner,
            None,
            200,
        )
        .await;
    assert_eq!(keys(&page), ["1001", "1002"]);

    let member_id = format!("member={}", w.member.id);
    for (query, want) in [
        ("member=member@acme.test", &["101"][..]),
        (member_id.as_str(), &["101"]),
        ("member=nobody@acme.test", &[]),
        ("unassigned=true", &["102", "1001", "1002", "1003"]),
        ("addon=license_center", &["101"]),
        ("key_prefix=100", &["1001", "1002", "1003"]),
        ("key_prefix=10&unassigned=true&limit=1", &["102"]),
    ] {
        let page = api
            .ok(
                "GET",
                &w.at(&format!("/extensions?{query}")),
                owner,
                None,
                200,
            )
            .await;
        assert_eq!(keys(&page), want, "{query}");
    }

    api.call("GET", &w.at("/extensions?addon=fax"), owner, None)
        .await
        .expect(422, "unknown_code");
    api.call("GET", &w.at("/extensions?key_prefix=1a"), owner, None)
        .await
        .expect(422, "malformed");
    api.call("GET", &w.at("/extensions?cursor=abc"), owner, None)
        .await
        .expect(422, "malformed");
    api.call("GET", &w.at("/extensions?unassigned=maybe"), owner, None)
        .await
        .expect(422, "malformed");
}

#[tokio::test]
async fn provision_and_deprovision() {
    let w = World::new().await;
    let api = &w.api;
    let admin = Some(w.admin.token.as_str());
    let made = api
        .ok(
            "POST",
            &w.at("/extensions/provision"),
            admin,
            Some(json!({"count": 2, "start": "201"})),
            201,
        )
        .await;
    assert_eq!(
        made,
        json!({"items": [
            {"key": "201", "member": null, "addons": [], "numbers": [], "effective": [{"code": "phone_system", "effective": true, "reason": null}]},
            {"key": "202", "member": null, "addons": [], "numbers": [], "effective": [{"code": "phone_system", "effective": true, "reason": null}]}]})
    );
    let taken = api
        .call(
            "POST",
            &w.at("/extensions/provision"),
            admin,
            Some(json!({"count": 3, "start": "200"})),
        )
        .await;
    taken.expect(409, "extension_taken");
    assert_eq!(
        taken.body["error"]["details"]["taken"],
        json!(["201", "202"])
    );
    assert_eq!(taken.body["error"]["details"]["next_free_start"], "203");
    let short = api
        .call(
            "POST",
            &w.at("/extensions/provision"),
            admin,
            Some(json!({"count": 7, "start": "301"})),
        )
        .await;
    short.expect(409, "seats_exhausted");
    assert_eq!(
        short.body["error"]["details"],
        json!({"code": "phone_system", "needed": 7, "available": 6})
    );
    api.call(
        "POST",
        &w.at("/extensions/provision"),
        admin,
        Some(json!({"count": 1, "start": "0100"})),
    )
    .await
    .expect(422, "invalid_ext_key");
    api.call(
        "POST",
        &w.at("/extensions/provision"),
        admin,
        Some(json!({"count": 0, "start": "300"})),
    )
    .await
    .expect(422, "invalid_count");

    let one = api
        .ok("GET", &w.at("/extensions/101"), admin, None, 200)
        .await;
    assert_eq!(
        one["member"],
        json!({"id": w.member.id, "email": "member@acme.test"})
    );
    api.call("GET", &w.at("/extensions/999"), admin, None)
        .await
        .expect(404, "not_found");
    api.call("GET", &w.at("/extensions/abc"), admin, None)
        .await
        .expect(404, "not_found");

    api.call("DELETE", &w.at("/extensions/101"), admin, None)
        .await
        .expect(409, "extension_has_member");
    api.call("DELETE", &w.at("/extensions/999"), admin, None)
        .await
        .expect(404, "not_found");
    api.call("DELETE", &w.at("/extensions/201"), admin, None)
        .await
        .expect(204, "");
    api.call("GET", &w.at("/extensions/201"), admin, None)
        .await
        .expect(404, "not_found");
}

#[tokio::test]
async fn assign_and_unassign() {
    let w = World::new().await;
    let api = &w.api;
    let owner = Some(w.owner.token.as_str());
    let e = api
        .ok(
            "PUT",
            &w.at("/extensions/102/member"),
            owner,
            Some(json!({"member": "SPARE@acme.test"})),
            200,
        )
        .await;
    assert_eq!(
        e["member"],
        json!({"id": w.spare.id, "email": "spare@acme.test"})
    );
    api.call(
        "PUT",
        &w.at("/extensions/102/member"),
        owner,
        Some(json!({"member": w.admin.id})),
    )
    .await
    .expect(409, "extension_has_member");
    api.call(
        "PUT",
        &w.at("/extensions/101/member"),
        owner,
        Some(json!({"member": w.spare.id, "reassign": true})),
    )
    .await
    .expect(409, "member_has_extension");
    api.call(
        "PUT",
        &w.at("/extensions/102/member"),
        owner,
        Some(json!({"member": w.disabled.id, "reassign": true})),
    )
    .await
    .expect(409, "member_disabled");
    api.call(
        "PUT",
        &w.at("/extensions/102/member"),
        owner,
        Some(json!({"member": "mem_missing"})),
    )
    .await
    .expect(404, "not_found");
    api.call(
        "PUT",
        &w.at("/extensions/999/member"),
        owner,
        Some(json!({"member": w.admin.id})),
    )
    .await
    .expect(404, "not_found");
    api.call(
        "PUT",
        &w.at("/extensions/102/member"),
        owner,
        Some(json!({"member": 5})),
    )
    .await
    .expect(422, "malformed");
    let re = api
        .ok(
            "PUT",
            &w.at("/extensions/102/member"),
            owner,
            Some(json!({"member": w.admin.id, "reassign": true})),
            200,
        )
        .await;
    assert_eq!(re["member"]["id"], w.admin.id.as_str());

    // Unassigning keeps add-ons and numbers on the extension.
    api.call("DELETE", &w.at("/extensions/101/member"), owner, None)
        .await
        .expect(204, "");
    let e = api
        .ok("GET", &w.at("/extensions/101"), owner, None, 200)
        .await;
    assert_eq!(e["member"], json!(null));
    assert_eq!(e["numbers"], json!([ATTACHED_NUMBER]));
    assert_eq!(e["addons"].as_array().unwrap().len(), 3);
    api.call("DELETE", &w.at("/extensions/999/member"), owner, None)
        .await
        .expect(404, "not_found");
}

#[tokio::test]
async fn addons_and_numbers() {
    let w = World::new().await;
    let api = &w.api;
    let owner = Some(w.owner.token.as_str());
    let e = api
        .ok(
            "PUT",
            &w.at("/extensions/102/addons"),
            owner,
            Some(json!({"addons": ["device_web_rtc", "license_number"]})),
            200,
        )
        .await;
    assert_eq!(e["addons"], json!(["device_web_rtc", "license_number"]));
    api.call(
        "PUT",
        &w.at("/extensions/102/addons"),
        owner,
        Some(json!({"addons": ["license_center", "license_center"]})),
    )
    .await
    .expect(409, "addon_limit");
    let short = api
        .call(
            "PUT",
            &w.at("/extensions/102/addons"),
            owner,
            Some(json!({"addons": ["call_recording"]})),
        )
        .await;
    short.expect(409, "seats_exhausted");
    assert_eq!(short.body["error"]["details"]["code"], "call_recording");
    api.call(
        "PUT",
        &w.at("/extensions/102/addons"),
        owner,
        Some(json!({"addons": ["fax"]})),
    )
    .await
    .expect(422, "unknown_code");
    api.call(
        "PUT",
        &w.at("/extensions/102/addons"),
        owner,
        Some(json!({"addons": ["phone_system"]})),
    )
    .await
    .expect(422, "not_an_addon");
    api.call(
        "PUT",
        &w.at("/extensions/101/addons"),
        owner,
        Some(json!({"addons": ["license_center"]})),
    )
    .await
    .expect(409, "number_needs_license");
    api.call(
        "PUT",
        &w.at("/extensions/999/addons"),
        owner,
        Some(json!({"addons": []})),
    )
    .await
    .expect(404, "not_found");

    api.call(
        "PUT",
        &w.at("/extensions/101/numbers"),
        owner,
        Some(json!({"numbers": [ATTACHED_NUMBER, FREE_NUMBER]})),
    )
    .await
    .expect(409, "number_needs_license");
    let e = api
        .ok(
            "PUT",
            &w.at("/extensions/102/numbers"),
            owner,
            Some(json!({"numbers": ["+65 6000 0001"]})),
            200,
        )
        .await;
    assert_eq!(e["numbers"], json!([FREE_NUMBER]));
    api.call(
        "PUT",
        &w.at("/extensions/102/numbers"),
        owner,
        Some(json!({"numbers": [ATTACHED_NUMBER]})),
    )
    .await
    .expect(409, "number_unavailable");
    api.call(
        "PUT",
        &w.at("/extensions/102/numbers"),
        owner,
        Some(json!({"numbers": ["+6599999999"]})),
    )
    .await
    .expect(409, "number_unavailable");
    api.call(
        "PUT",
        &w.at("/extensions/102/numbers"),
        owner,
        Some(json!({"numbers": ["x"]})),
    )
    .await
    .expect(422, "invalid_number");
    api.call(
        "PUT",
        &w.at("/extensions/102/numbers"),
        owner,
        Some(json!({"numbers": [FREE_NUMBER, FREE_NUMBER]})),
    )
    .await
    .expect(422, "duplicate_number");
    api.call(
        "PUT",
        &w.at("/extensions/999/numbers"),
        owner,
        Some(json!({"numbers": []})),
    )
    .await
    .expect(404, "not_found");
}

#[tokio::test]
async fn audit_log() {
    let w = World::new().await;
    let api = &w.api;
    let owner = Some(w.owner.token.as_str());
    let req = crate::support::Api::request(
        "PUT",
        &w.at("/extensions/102/member"),
        owner,
        Some(&json!({"member": w.spare.id})),
        &[("x-request-id", "req-assign-1")],
    );
    let a = crate::support::Api::read(api.send(req).await).await;
    a.expect(200, "");
    assert_eq!(a.headers["x-request-id"], "req-assign-1");

    let page = api
        .ok(
            "GET",
            &w.at("/audit?action=extension.assign&limit=1"),
            owner,
            None,
            200,
        )
        .await;
    let e = &page["items"][0];
    assert_eq!(e["action"], "extension.assign");
    assert_eq!(e["target"], "extension:102");
    assert_eq!(e["actor"], format!("member:{}", w.owner.id));
    assert_eq!(e["request_id"], "req-assign-1");
    assert_eq!(e["before"]["member"], json!(null));
    assert_eq!(e["after"]["member"], w.spare.id.as_str());
    // The world assigned 101 earlier: that is the next page.
    let next = page["next_cursor"].as_str().unwrap();
    let older = api
        .ok(
            "GET",
            &w.at(&format!(
                "/audit?action=extension.assign&limit=1&cursor={next}"
            )),
            owner,
            None,
            200,
        )
        .await;
    assert_eq!(older["items"][0]["target"], "extension:101");
    assert_eq!(older["next_cursor"], json!(null));
    // Every write got a generated request id.
    assert!(older["items"][0]["request_id"].as_str().unwrap().len() >= 32);

    let by_target = api
        .ok(
            "GET",
            &w.at("/audit?target=extension:101"),
            owner,
            None,
            200,
        )
        .await;
    let actions: Vec<&str> = by_target["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"extension.assign"), "{actions:?}");
    assert!(by_target["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["target"] == "extension:101"));

    let csv = api
        .send(crate::support::Api::request(
            "GET",
            &w.at("/audit?format=csv&target=extension:102"),
            owner,
            None,
            &[],
        ))
        .await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = crate::support::Api::read(csv).await;
    let text = csv.body.as_str().unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("id,at,actor,action,target,before,after,request_id")
    );
    let rows: Vec<&str> = lines.collect();
    assert!(
        rows.iter()
            .any(|r| r.contains("extension.assign") && r.ends_with(",req-assign-1")),
        "{text}"
    );

    api.call("GET", &w.at("/audit?format=xml"), owner, None)
        .await
        .expect(422, "malformed");
    api.call("GET", &w.at("/audit?cursor=x"), owner, None)
        .await
        .expect(422, "malformed");
}

/// Admins disable and enable members only; no one their own record; the owner anyone else.
#[tokio::test]
async fn who_disables_whom() {
    let w = World::new().await;
    let api = &w.api;
    let owner = Some(w.owner.token.as_str());
    let admin = Some(w.admin.token.as_str());
    let patch = |who: &str| w.at(&format!("/members/{who}"));
    let off = || Some(json!({"status": "disabled"}));
    let second = api
        .ok(
            "POST",
            &w.at("/members"),
            owner,
            Some(json!({"email": "second@acme.test", "role": "admin"})),
            201,
        )
        .await;
    let second = second["id"].as_str().unwrap();
    let e = api.call("PATCH", &patch(second), admin, off()).await;
    e.expect(403, "forbidden");
    assert!(
        e.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("only the owner"),
        "{:#}",
        e.body
    );
    api.call("PATCH", &patch(&w.admin.id), admin, off())
        .await
        .expect(403, "forbidden");
    api.ok("PATCH", &patch(&w.spare.id), admin, off(), 200)
        .await;
    api.ok("PATCH", &patch(second), owner, off(), 200).await;
    api.ok(
        "PATCH",
        &patch(second),
        owner,
        Some(json!({"status": "active"})),
        200,
    )
    .await;
}

/// `GET /api/v1/me`: the kind of token, its organization, and a member token's member.
#[tokio::test]
async fn me_says_who_the_token_is() {
    let w = World::new().await;
    let api = &w.api;
    let me = api
        .ok("GET", "/api/v1/me", Some(&w.member.token), None, 200)
        .await;
    assert_eq!(me["kind"], "member");
    assert_eq!(me["organization"], w.org.as_str());
    assert_eq!(me["role"], "member");
    assert_eq!(me["member"]["id"], w.member.id.as_str());
    assert_eq!(me["member"]["email"], "member@acme.test");
    assert_eq!(me["member"]["extension"], "101");
    let me = api
        .ok("GET", "/api/v1/me", Some(&w.owner.token), None, 200)
        .await;
    assert_eq!(
        (&me["kind"], &me["role"]),
        (&json!("member"), &json!("owner"))
    );
    let me = api.ok("GET", "/api/v1/me", Some(OPERATOR), None, 200).await;
    assert_eq!(
        me,
        json!({"kind": "operator", "organization": null, "member": null, "role": null})
    );
    api.call("GET", "/api/v1/me", None, None)
        .await
        .expect(401, "unauthenticated");
    api.call("GET", "/api/v1/me", Some(&w.disabled.token), None)
        .await
        .expect(401, "unauthenticated");
}

/// A member reads the extension it holds, not the others.
#[tokio::test]
async fn a_member_reads_its_own_extension() {
    let w = World::new().await;
    let api = &w.api;
    let me = Some(w.member.token.as_str());
    let own = api.ok("GET", &w.at("/extensions/101"), me, None, 200).await;
    assert_eq!(own["member"]["id"], w.member.id.as_str());
    assert_eq!(own["numbers"], json!([ATTACHED_NUMBER]));
    for other in ["102", "999"] {
        api.call("GET", &w.at(&format!("/extensions/{other}")), me, None)
            .await
            .expect(403, "forbidden");
    }
    api.call("GET", &w.at("/extensions"), me, None)
        .await
        .expect(403, "forbidden");
}

/// `start` is a string or a number; lists refuse query parameters they do not know,
/// naming the ones they do.
#[tokio::test]
async fn start_as_a_number_and_unknown_query_parameters() {
    let w = World::new().await;
    let api = &w.api;
    let owner = Some(w.owner.token.as_str());
    let made = api
        .ok(
            "POST",
            &w.at("/extensions/provision"),
            owner,
            Some(json!({"count": 2, "start": 2001})),
            201,
        )
        .await;
    assert_eq!(made["items"][1]["key"], "2002");
    for bad in [json!(20.5), json!(true), json!(null)] {
        api.call(
            "POST",
            &w.at("/extensions/provision"),
            owner,
            Some(json!({"count": 1, "start": bad})),
        )
        .await
        .expect(422, "malformed");
    }
    api.call(
        "POST",
        &w.at("/extensions/provision"),
        owner,
        Some(json!({"count": 1, "start": 12})),
    )
    .await
    .expect(422, "invalid_ext_key");
    for (path, known) in [
        ("/extensions?addons=team_chat", "addon"),
        ("/members?page=2", "cursor"),
        ("/numbers?limt=5", "limit"),
        ("/audit?acton=member.create", "action"),
    ] {
        let a = api.call("GET", &w.at(path), owner, None).await;
        a.expect(422, "malformed");
        let message = a.body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("unknown") && message.contains(known),
            "{path}: {message}"
        );
    }
}

#[tokio::test]
async fn reports_and_cleanup_plans() {
    let w = World::new().await;
    let (api, ot) = (&w.api, Some(w.owner.token.as_str()));
    api.ok(
        "PUT",
        &w.at("/subscriptions/phone_system"),
        Some(OPERATOR),
        Some(json!({"unit_price": "10", "currency": "EUR"})),
        200,
    )
    .await;
    // 101 is held by an active member, 102 is unassigned: 1 of 10 in productive use.
    let usage = api.ok("GET", &w.at("/reports/usage"), ot, None, 200).await;
    let ps = &usage["items"][0];
    assert_eq!(ps["code"], "phone_system");
    assert_eq!(
        (&ps["in_use"], &ps["assigned"], &ps["productive"]),
        (&json!(2), &json!(1), &json!(1))
    );
    assert_eq!(ps["monthly_cost"], "100.00");
    assert_eq!(ps["monthly_waste"], "90.00");
    assert_eq!(
        usage["totals"],
        json!({"monthly_cost": "100.00", "monthly_waste": "90.00", "currency": "EUR"})
    );
    assert_eq!(usage["items"][1]["monthly_cost"], Value::Null);

    let f = api
        .ok(
            "GET",
            &w.at("/reports/findings?kind=extension_unassigned"),
            ot,
            None,
            200,
        )
        .await;
    assert_eq!(
        f["items"],
        json!([{"kind": "extension_unassigned", "extension": "102", "member": null,
                "codes": ["phone_system"], "monthly_waste": "10.00", "suggested_action": "deprovision"}])
    );
    api.call("GET", &w.at("/reports/findings?kind=bogus"), ot, None)
        .await
        .expect(422, "invalid_finding_kind");
    let csv = api
        .send(Api::request(
            "GET",
            &w.at("/reports/findings?format=csv"),
            ot,
            None,
            &[],
        ))
        .await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = Api::read(csv).await;
    let text = csv.body.as_str().unwrap();
    assert!(
        text.starts_with("kind,extension,member,codes,numbers,monthly_waste,suggested_action\r\n"),
        "{text}"
    );
    assert!(
        text.contains("extension_unassigned,102,,phone_system,,10.00,deprovision"),
        "{text}"
    );

    api.call(
        "POST",
        &w.at("/reports/findings/plan"),
        ot,
        Some(json!({"kinds": []})),
    )
    .await
    .expect(422, "invalid_finding_kind");
    api.call(
        "POST",
        &w.at("/reports/findings/plan"),
        ot,
        Some(json!({"kinds": ["extension_unassigned"], "extensions": ["77"]})),
    )
    .await
    .expect(422, "invalid_ext_key");
    let plan = api
        .ok(
            "POST",
            &w.at("/reports/findings/plan"),
            ot,
            Some(json!({"kinds": ["extension_unassigned"]})),
            201,
        )
        .await;
    assert_eq!(plan["status"], "ready");
    assert_eq!(plan["items"][0]["outcome"], "deprovision");
    assert_eq!(plan["items"][0]["key"], "102");
    assert_eq!(
        plan["seats"][0],
        json!({"code": "phone_system", "freed": 1})
    );
    let id = plan["id"].as_str().unwrap();
    let stored = api
        .ok("GET", &w.at(&format!("/bulk/plans/{id}")), ot, None, 200)
        .await;
    assert_eq!(stored, plan);
    let applied = api
        .ok(
            "POST",
            &w.at(&format!("/bulk/plans/{id}/apply")),
            ot,
            None,
            200,
        )
        .await;
    assert_eq!(applied["status"], "applied");
    api.call("GET", &w.at("/extensions/102"), ot, None)
        .await
        .expect(404, "not_found");
    let f = api
        .ok(
            "GET",
            &w.at("/reports/findings?kind=extension_unassigned"),
            ot,
            None,
            200,
        )
        .await;
    assert_eq!(f["items"], json!([]));
}
