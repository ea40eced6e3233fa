//! One test per request shape Entra ID and Okta document (and the tolerance §9 asks for),
//! each asserting the member, extension and add-ons that result, on every store.

use serde_json::{json, Value};

use crate::support::{entra_create, World, PATCH_OP, SEATLINE, USER};

fn patch(ops: Value) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": ops})
}

async fn create(w: &World, email: &str, seatline: Option<Value>) -> Value {
    w.scim_ok(
        "POST",
        "/Users",
        Some(entra_create(email, "ext-1", seatline)),
        201,
    )
    .await
}

fn id(user: &Value) -> String {
    user["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn entra_create_then_match_by_filter() {
    for w in World::all().await {
        // Entra first asks whether the user exists; none does: 200 with an empty list.
        let none = w
            .scim_ok(
                "GET",
                "/Users?filter=userName+eq+%22Test_User_ab6490ee%40example.com%22",
                None,
                200,
            )
            .await;
        assert_eq!(none["totalResults"], 0);
        assert_eq!(none["Resources"], json!([]));
        let a = w
            .scim(
                "POST",
                "/Users",
                Some(entra_create(
                    "Test_User_ab6490ee@example.com",
                    "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
                    None,
                )),
            )
            .await;
        assert_eq!(a.status.as_u16(), 201, "{:#}", a.body);
        let user = a.body;
        let location = a.headers["location"].to_str().unwrap();
        assert_eq!(
            location,
            format!("http://seatline.test/scim/v2/Users/{}", id(&user))
        );
        assert_eq!(
            a.headers["etag"].to_str().unwrap(),
            user["meta"]["version"].as_str().unwrap()
        );
        assert_eq!(user["userName"], "test_user_ab6490ee@example.com");
        assert_eq!(user["externalId"], "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef");
        assert_eq!(user["displayName"], "Barbara Jensen");
        assert_eq!(user["active"], true);
        assert_eq!(user["emails"][0]["value"], "test_user_ab6490ee@example.com");
        assert_eq!(user["emails"][0]["type"], "work");
        assert!(user["meta"]["created"].as_str().unwrap().ends_with('Z'));
        assert!(user["meta"]["lastModified"].is_string());
        assert_eq!(user[SEATLINE]["phoneSystem"], false);
        assert_eq!(user[SEATLINE]["contactCenterRole"], "agent");
        // The member exists with role member, no extension, and nothing was provisioned.
        let m = w.member(&id(&user)).await.unwrap();
        assert_eq!(
            (m["role"].as_str(), m["status"].as_str()),
            (Some("member"), Some("active"))
        );
        assert_eq!(m["name"], "Barbara Jensen");
        assert_eq!(m["extension"], Value::Null);
        assert_eq!(w.in_use("phone_system").await, 0);
        // Entra matches by userName, any case; also by externalId and the work email.
        for filter in [
            "userName eq \"TEST_USER_AB6490EE@example.com\"",
            "externalId eq \"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef\"",
            "emails[type eq \"work\"].value eq \"test_user_ab6490ee@example.com\"",
            "id eq \"ID\" and active eq true",
        ] {
            let f = filter.replace("ID", &id(&user));
            let list = w
                .scim_ok("POST", "/Users/.search", Some(json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": f})), 200)
                .await;
            assert_eq!(list["totalResults"], 1, "{f}");
            assert_eq!(list["Resources"][0]["id"], user["id"], "{f}");
            assert_eq!(
                list["Resources"][0][SEATLINE]["phoneSystem"], false,
                "list shows the extension block"
            );
        }
        // The audit log names the SCIM token.
        let audit = w.last_audit().await;
        assert!(
            audit["actor"].as_str().unwrap().starts_with("scim:scim_"),
            "{audit}"
        );
    }
}

#[tokio::test]
async fn provisioning_an_extension_with_contact_center_and_a_device() {
    for w in World::all().await {
        let user = create(
            &w,
            "agent@acme.test",
            Some(json!({"phoneSystem": true, "contactCenter": true, "deviceMobileApp": 2, "deviceIpPhone": "True"})),
        )
        .await;
        let block = &user[SEATLINE];
        assert_eq!(block["extension"], "1000", "the next free personal key");
        assert_eq!(block["phoneSystem"], true);
        assert_eq!(block["contactCenter"], true);
        assert_eq!(block["deviceMobileApp"], 2);
        assert_eq!(block["deviceIpPhone"], true);
        assert_eq!(block["deviceWebRtc"], false);
        assert_eq!(block["contactCenterReady"], true);
        let ext = w.extension("1000").await;
        assert_eq!(ext["member"]["id"], user["id"]);
        assert_eq!(
            ext["addons"],
            json!([
                "device_ip_phone",
                "device_mobile_app",
                "device_mobile_app",
                "license_center"
            ])
        );
        let m = w.member(&id(&user)).await.unwrap();
        assert_eq!(m["contact_center"]["ready"], true);
        assert_eq!(m["extension"], "1000");
        // A named key is provisioned when free: Okta sends the attribute it maps.
        let other = create(&w, "second@acme.test", Some(json!({"extension": "2001"}))).await;
        assert_eq!(other[SEATLINE]["extension"], "2001");
        assert_eq!(w.extension("2001").await["member"]["id"], other["id"]);
        assert_eq!(w.in_use("phone_system").await, 2);
        assert_eq!(w.in_use("device_mobile_app").await, 2);
    }
}

#[tokio::test]
async fn entra_patch_replace_with_path() {
    for w in World::all().await {
        let user = create(&w, "barbara@acme.test", None).await;
        let path = format!("/Users/{}", id(&user));
        // Entra's documented update: op capitalised, paths for single attributes.
        let after = w
            .scim_ok(
                "PATCH",
                &path,
                Some(patch(json!([
                    {"op": "Replace", "path": "displayName", "value": "Babs Jensen"},
                    {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "babs@acme.test"},
                    {"op": "Replace", "path": "externalId", "value": "ext-2"},
                    {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:seatline:2.0:User:contactCenter", "value": "True"},
                    {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:seatline:2.0:User:deviceWebRtc", "value": true}
                ]))),
                200,
            )
            .await;
        assert_eq!(after["userName"], "babs@acme.test");
        assert_eq!(after["displayName"], "Babs Jensen");
        assert_eq!(after["externalId"], "ext-2");
        assert_ne!(after["meta"]["version"], user["meta"]["version"]);
        // An add-on asked for without an extension provisions one.
        assert_eq!(after[SEATLINE]["extension"], "1000");
        let ext = w.extension("1000").await;
        assert_eq!(ext["addons"], json!(["device_web_rtc", "license_center"]));
        let m = w.member(&id(&user)).await.unwrap();
        assert_eq!(
            (m["email"].as_str(), m["name"].as_str()),
            (Some("babs@acme.test"), Some("Babs Jensen"))
        );
        assert_eq!(m["contact_center"]["ready"], true);
        // name.familyName alone keeps the given name, and the display name set apart
        // (issue 26: the given name is the one written, not split from displayName).
        let after = w
            .scim_ok(
                "PATCH",
                &path,
                Some(patch(
                    json!([{"op": "replace", "path": "name.familyName", "value": "Smith"}]),
                )),
                200,
            )
            .await;
        assert_eq!(after["displayName"], "Babs Jensen");
        assert_eq!(after["name"]["givenName"], "Barbara");
        assert_eq!(after["name"]["familyName"], "Smith");
    }
}

#[tokio::test]
async fn patch_without_path_with_dotted_and_urn_keys() {
    for w in World::all().await {
        let user = create(&w, "dotted@acme.test", None).await;
        let path = format!("/Users/{}", id(&user));
        let after = w
            .scim_ok(
                "PATCH",
                &path,
                Some(patch(json!([{"op": "replace", "value": {
                    "name.givenName": "Dora",
                    "name.familyName": "Dot",
                    "urn:ietf:params:scim:schemas:core:2.0:User:externalId": "ext-dot",
                    "urn:ietf:params:scim:schemas:extension:seatline:2.0:User:phoneSystem": "True",
                    "urn:ietf:params:scim:schemas:extension:seatline:2.0:User:teamChat": "True",
                    "urn:ietf:params:scim:schemas:extension:seatline:2.0:User:deviceDesktopApp": "1"
                }}]))),
                200,
            )
            .await;
        assert_eq!(after["displayName"], "Dora Dot");
        assert_eq!(after["externalId"], "ext-dot");
        assert_eq!(after[SEATLINE]["extension"], "1000");
        let ext = w.extension("1000").await;
        assert_eq!(ext["addons"], json!(["device_desktop_app", "team_chat"]));
        // The extension block as one value, without a path.
        let after = w
            .scim_ok("PATCH", &path, Some(patch(json!([{"op": "replace", "value": {SEATLINE: {"teamChat": false, "callRecording": true}}}]))), 200)
            .await;
        assert_eq!(after[SEATLINE]["teamChat"], false);
        assert_eq!(after[SEATLINE]["callRecording"], true);
        assert_eq!(
            w.extension("1000").await["addons"],
            json!(["device_desktop_app", "call_recording"])
        );
    }
}

#[tokio::test]
async fn string_booleans_deactivate_and_keep_the_extension() {
    for w in World::all().await {
        let user = create(
            &w,
            "bools@acme.test",
            Some(json!({"phoneSystem": "true", "contactCenter": "TRUE", "deviceWebRtc": "true"})),
        )
        .await;
        let path = format!("/Users/{}", id(&user));
        // Entra's soft delete: Replace active "False".
        let after = w
            .scim_ok(
                "PATCH",
                &path,
                Some(patch(
                    json!([{"op": "Replace", "path": "active", "value": "False"}]),
                )),
                200,
            )
            .await;
        assert_eq!(after["active"], false);
        assert_eq!(after[SEATLINE]["extension"], "1000");
        assert_eq!(after[SEATLINE]["contactCenterReady"], false);
        let m = w.member(&id(&user)).await.unwrap();
        assert_eq!(m["status"], "disabled");
        assert_eq!(m["extension"], "1000");
        assert_eq!(
            w.extension("1000").await["addons"],
            json!(["device_web_rtc", "license_center"])
        );
        // Re-enabled: everything is effective again.
        let after = w
            .scim_ok(
                "PATCH",
                &path,
                Some(patch(
                    json!([{"op": "Replace", "path": "active", "value": "True"}]),
                )),
                200,
            )
            .await;
        assert_eq!(after["active"], true);
        assert_eq!(after[SEATLINE]["contactCenterReady"], true);
        // A value that is no boolean is refused, naming the attribute.
        let a = w
            .scim(
                "PATCH",
                &path,
                Some(patch(
                    json!([{"op": "Replace", "path": "active", "value": "maybe"}]),
                )),
            )
            .await;
        a.scim_error(400, Some("invalidValue"), "malformed");
        assert!(a.body["detail"].as_str().unwrap().contains("active"));
    }
}

#[tokio::test]
async fn urn_prefixed_paths() {
    for w in World::all().await {
        let user = create(&w, "urn@acme.test", None).await;
        let path = format!("/Users/{}", id(&user));
        let after = w
            .scim_ok(
                "PATCH",
                &path,
                Some(patch(json!([
                    {"op": "replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User:displayName", "value": "Uma Urn"},
                    {"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:seatline:2.0:User:extension", "value": "3005"},
                    {"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:seatline:2.0:User:dncChecking", "value": true},
                    {"op": "replace", "path": "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:SEATLINE:2.0:USER:CALLRECORDING", "value": "True"}
                ]))),
                200,
            )
            .await;
        assert_eq!(after["displayName"], "Uma Urn");
        assert_eq!(after[SEATLINE]["extension"], "3005");
        assert_eq!(
            w.extension("3005").await["addons"],
            json!(["call_recording", "license_dnc_checking_enabled"])
        );
        // phoneSystem false unassigns; the extension stays provisioned with its add-ons.
        let after = w
            .scim_ok("PATCH", &path, Some(patch(json!([{"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:seatline:2.0:User:phoneSystem", "value": "False"}]))), 200)
            .await;
        assert_eq!(after[SEATLINE]["phoneSystem"], false);
        assert!(after[SEATLINE].get("extension").is_none());
        let ext = w.extension("3005").await;
        assert_eq!(ext["member"], Value::Null);
        assert_eq!(
            ext["addons"],
            json!(["call_recording", "license_dnc_checking_enabled"])
        );
    }
}

/// PATCH of the whole Seatline object (path = its URN), RFC 7644 §3.5.2: the value's
/// attributes are written and the ones it leaves out stay; the object as read back, edited,
/// may carry its read-only attributes unchanged (changed, they are refused); remove clears the
/// writable ones while the read-only ones stay. This is why scim2-tester's whole-object checks
/// (which expect the object to read back as exactly the value written, and to vanish on
/// remove) fail by design: see scripts/check-scim.
#[tokio::test]
async fn whole_extension_object_patch() {
    for w in World::all().await {
        let user = create(
            &w,
            "whole@acme.test",
            Some(json!({"phoneSystem": true, "contactCenter": true})),
        )
        .await;
        let path = format!("/Users/{}", id(&user));
        let key = user[SEATLINE]["extension"].as_str().unwrap().to_owned();

        // Add and replace merge: contactCenter stays, the read-only attributes are shown.
        for op in ["add", "replace"] {
            let after = w
                .scim_ok(
                    "PATCH",
                    &path,
                    Some(patch(
                        json!([{"op": op, "path": SEATLINE, "value": {"deviceWebRtc": true}}]),
                    )),
                    200,
                )
                .await;
            let block = &after[SEATLINE];
            assert_eq!(
                (&block["contactCenter"], &block["deviceWebRtc"]),
                (&json!(true), &json!(true)),
                "[{}] {op}: {block:#}",
                w.name
            );
            assert_eq!(
                (&block["contactCenterRole"], &block["contactCenterReady"]),
                (&json!("agent"), &json!(true)),
                "[{}] {op}",
                w.name
            );
        }

        // The object as read, edited and sent back whole, read-only attributes included.
        let mut echoed = w.scim_ok("GET", &path, None, 200).await[SEATLINE].clone();
        echoed["callRecording"] = json!(true);
        echoed["contactCenterRole"] = json!("Agent");
        let after = w
            .scim_ok(
                "PATCH",
                &path,
                Some(patch(
                    json!([{"op": "replace", "path": SEATLINE, "value": echoed.clone()}]),
                )),
                200,
            )
            .await;
        assert_eq!(after[SEATLINE]["callRecording"], true, "[{}]", w.name);
        assert_eq!(
            w.extension(&key).await["addons"],
            json!(["device_web_rtc", "license_center", "call_recording"]),
            "[{}]",
            w.name
        );
        // The same without a path, the object under its URN.
        let without_path = w
            .scim("PATCH", &path, Some(patch(json!([{"op": "replace", "value": {SEATLINE: {"contactCenterReady": "True", "teamChat": true}}}]))))
            .await;
        assert_eq!(
            without_path.status.as_u16(),
            200,
            "[{}] {:#}",
            w.name,
            without_path.body
        );
        assert_eq!(without_path.body[SEATLINE]["teamChat"], true);
        // A read-only attribute changed is refused, whole object or path, and nothing is written.
        echoed["contactCenterRole"] = json!("supervisor");
        echoed["teamChat"] = json!(false);
        w.scim(
            "PATCH",
            &path,
            Some(patch(
                json!([{"op": "replace", "path": SEATLINE, "value": echoed}]),
            )),
        )
        .await
        .scim_error(400, Some("mutability"), "read_only_attribute");
        w.scim("PATCH", &path, Some(patch(json!([{"op": "replace", "path": format!("{SEATLINE}:contactCenterRole"), "value": "agent"}]))))
            .await
            .scim_error(400, Some("mutability"), "read_only_attribute");
        let now = w.scim_ok("GET", &path, None, 200).await;
        assert_eq!(now[SEATLINE]["teamChat"], true, "[{}]", w.name);

        // Remove clears what can be written: the member leaves its extension, which stays
        // provisioned with its add-ons; the object stays, with the read-only attributes.
        let after = w
            .scim_ok(
                "PATCH",
                &path,
                Some(patch(json!([{"op": "remove", "path": SEATLINE}]))),
                200,
            )
            .await;
        let block = &after[SEATLINE];
        assert_eq!(
            (
                &block["phoneSystem"],
                &block["contactCenterRole"],
                &block["contactCenterReady"]
            ),
            (&json!(false), &json!("agent"), &json!(false)),
            "[{}] {block:#}",
            w.name
        );
        assert!(block.get("extension").is_none(), "[{}] {block:#}", w.name);
        let ext = w.extension(&key).await;
        assert_eq!(ext["member"], Value::Null, "[{}]", w.name);
        assert_eq!(
            ext["addons"],
            json!([
                "device_web_rtc",
                "license_center",
                "call_recording",
                "team_chat"
            ]),
            "[{}]",
            w.name
        );
    }
}

#[tokio::test]
async fn extension_urn_missing_from_schemas() {
    for w in World::all().await {
        let body = json!({
            "schemas": [USER],
            "userName": "noschema@acme.test",
            "displayName": "No Schema",
            SEATLINE: {"phoneSystem": true, "deviceIpPhone": true}
        });
        let user = w.scim_ok("POST", "/Users", Some(body), 201).await;
        assert_eq!(user[SEATLINE]["extension"], "1000");
        assert_eq!(
            w.extension("1000").await["addons"],
            json!(["device_ip_phone"])
        );
    }
}

#[tokio::test]
async fn okta_deactivate_and_reactivate_without_path() {
    for w in World::all().await {
        let user = create(
            &w,
            "okta@acme.test",
            Some(json!({"phoneSystem": true, "contactCenter": true, "deviceMobileApp": 1})),
        )
        .await;
        let path = format!("/Users/{}", id(&user));
        // Okta's documented deactivation.
        let off = w
            .scim_ok(
                "PATCH",
                &path,
                Some(patch(
                    json!([{"op": "replace", "value": {"active": false}}]),
                )),
                200,
            )
            .await;
        assert_eq!(off["active"], false);
        let m = w.member(&id(&user)).await.unwrap();
        assert_eq!(
            (m["status"].as_str(), m["extension"].as_str()),
            (Some("disabled"), Some("1000"))
        );
        assert_eq!(m["contact_center"]["missing"], json!(["member_disabled"]));
        let on = w
            .scim_ok(
                "PATCH",
                &path,
                Some(patch(json!([{"op": "replace", "value": {"active": true}}]))),
                200,
            )
            .await;
        assert_eq!(on["active"], true);
        assert_eq!(
            w.member(&id(&user)).await.unwrap()["contact_center"]["ready"],
            true
        );
    }
}

#[tokio::test]
async fn okta_full_put_without_the_seatline_block_keeps_licenses() {
    for w in World::all().await {
        let user = create(
            &w,
            "put@acme.test",
            Some(json!({"phoneSystem": true, "contactCenter": true, "deviceIpPhone": true})),
        )
        .await;
        let path = format!("/Users/{}", id(&user));
        // Okta's documented PUT: the whole core object, no Seatline block.
        let body = json!({
            "schemas": [USER],
            "id": id(&user),
            "userName": "put@acme.test",
            "name": {"givenName": "Pat", "familyName": "Putnam"},
            "emails": [{"primary": true, "value": "put@acme.test", "type": "work"}],
            "displayName": "Pat Putnam",
            "locale": "en-US",
            "externalId": "00ujl29u0le5T6Aj10h7",
            "groups": [],
            "password": "1mz050nq",
            "active": true
        });
        let after = w.scim_ok("PUT", &path, Some(body), 200).await;
        assert_eq!(after["displayName"], "Pat Putnam");
        assert_eq!(after["externalId"], "00ujl29u0le5T6Aj10h7");
        assert_eq!(after[SEATLINE]["extension"], "1000");
        assert_eq!(after[SEATLINE]["contactCenter"], true);
        assert_eq!(
            w.extension("1000").await["addons"],
            json!(["device_ip_phone", "license_center"])
        );
        // A PUT with the block changes what it names.
        let mut again = after.clone();
        again[SEATLINE] = json!({"contactCenter": false});
        let after = w.scim_ok("PUT", &path, Some(again), 200).await;
        assert_eq!(after[SEATLINE]["contactCenter"], false);
        assert_eq!(after[SEATLINE]["deviceIpPhone"], true);
        assert_eq!(
            w.extension("1000").await["addons"],
            json!(["device_ip_phone"])
        );
    }
}

#[tokio::test]
async fn delete_disables_then_deletes_and_the_extension_stays() {
    for w in World::all().await {
        let user = create(
            &w,
            "gone@acme.test",
            Some(json!({"phoneSystem": true, "teamChat": true})),
        )
        .await;
        let path = format!("/Users/{}", id(&user));
        let a = w.scim("DELETE", &path, None).await;
        assert_eq!(a.status.as_u16(), 204, "{:#}", a.body);
        assert!(w.member(&id(&user)).await.is_none());
        w.scim("GET", &path, None)
            .await
            .scim_error(404, None, "not_found");
        let ext = w.extension("1000").await;
        assert_eq!(ext["member"], Value::Null);
        assert_eq!(ext["addons"], json!(["team_chat"]));
        assert_eq!(w.in_use("phone_system").await, 1);
        // The email is free again.
        create(&w, "gone@acme.test", None).await;
    }
}

#[tokio::test]
async fn phone_number_adds_the_license_it_needs() {
    for w in World::all().await {
        let user = create(&w, "number@acme.test", Some(json!({"phoneSystem": true}))).await;
        let path = format!("/Users/{}", id(&user));
        let after = w
            .scim_ok("PATCH", &path, Some(patch(json!([{"op": "add", "path": "urn:ietf:params:scim:schemas:extension:seatline:2.0:User:phoneNumber", "value": "+1 (415) 555-0100"}]))), 200)
            .await;
        assert_eq!(after[SEATLINE]["phoneNumber"], "+14155550100");
        let ext = w.extension("1000").await;
        assert_eq!(ext["numbers"], json!(["+14155550100"]));
        assert_eq!(ext["addons"], json!(["license_number"]));
        // Another number replaces it; the license stays one copy.
        let after = w
            .scim_ok("PATCH", &path, Some(patch(json!([{"op": "replace", "value": {SEATLINE: {"phoneNumber": "+14155550101"}}}]))), 200)
            .await;
        assert_eq!(after[SEATLINE]["phoneNumber"], "+14155550101");
        let ext = w.extension("1000").await;
        assert_eq!(ext["numbers"], json!(["+14155550101"]));
        assert_eq!(ext["addons"], json!(["license_number"]));
        // A number outside the inventory is an invalid value; one attached elsewhere is taken.
        w.scim("PATCH", &path, Some(patch(json!([{"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:seatline:2.0:User:phoneNumber", "value": "+14155559999"}]))))
            .await
            .scim_error(400, Some("invalidValue"), "number_unavailable");
        let other = create(&w, "other@acme.test", Some(json!({"phoneSystem": true}))).await;
        w.scim("PATCH", &format!("/Users/{}", id(&other)), Some(patch(json!([{"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:seatline:2.0:User:phoneNumber", "value": "+14155550101"}]))))
            .await
            .scim_error(409, Some("uniqueness"), "number_unavailable");
    }
}

#[tokio::test]
async fn refusals_in_the_scim_error_body() {
    for w in World::all().await {
        let user = create(&w, "dup@acme.test", None).await;
        let path = format!("/Users/{}", id(&user));
        // Uniqueness: the email of another member.
        w.scim(
            "POST",
            "/Users",
            Some(entra_create("DUP@acme.test", "x", None)),
        )
        .await
        .scim_error(409, Some("uniqueness"), "email_taken");
        w.scim(
            "POST",
            "/Users",
            Some(entra_create("owner@acme.test", "x", None)),
        )
        .await
        .scim_error(409, Some("uniqueness"), "email_taken");
        // Seats: 3 contact centers purchased, the 4th is refused and nothing is written.
        for i in 0..3 {
            create(
                &w,
                &format!("cc{i}@acme.test"),
                Some(json!({"contactCenter": true})),
            )
            .await;
        }
        let before = w.in_use("phone_system").await;
        w.scim(
            "POST",
            "/Users",
            Some(entra_create(
                "cc3@acme.test",
                "x",
                Some(json!({"contactCenter": true})),
            )),
        )
        .await
        .scim_error(400, Some("invalidValue"), "seats_exhausted");
        assert_eq!(
            w.in_use("phone_system").await,
            before,
            "the whole write was refused"
        );
        let list = w
            .scim_ok(
                "GET",
                "/Users?filter=userName%20eq%20%22cc3%40acme.test%22",
                None,
                200,
            )
            .await;
        assert_eq!(list["totalResults"], 0, "the member was not created either");
        // Read-only attributes.
        w.scim("PATCH", &path, Some(patch(json!([{"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:seatline:2.0:User:contactCenterReady", "value": true}]))))
            .await
            .scim_error(400, Some("mutability"), "read_only_attribute");
        // Invalid values and contradictions.
        w.scim(
            "PATCH",
            &path,
            Some(patch(
                json!([{"op": "replace", "path": "userName", "value": "not-an-email"}]),
            )),
        )
        .await
        .scim_error(400, Some("invalidValue"), "invalid_email");
        w.scim("PATCH", &path, Some(patch(json!([{"op": "replace", "value": {SEATLINE: {"phoneSystem": false, "extension": "1500"}}}]))))
            .await
            .scim_error(400, Some("invalidValue"), "malformed");
        w.scim(
            "POST",
            "/Users",
            Some(json!({"schemas": [USER], "displayName": "No Name"})),
        )
        .await
        .scim_error(400, Some("invalidValue"), "malformed");
        let a = w
            .send("POST", "/scim/v2/Users", Some(&w.scim), None, &[])
            .await;
        a.scim_error(400, Some("invalidSyntax"), "malformed");
        // Filters Seatline does not answer.
        w.scim("GET", "/Users?filter=userName%20co%20%22a%22", None)
            .await
            .scim_error(400, Some("invalidFilter"), "invalid_filter");
        // The owner is untouchable through SCIM.
        let owner = w
            .scim_ok(
                "GET",
                "/Users?filter=userName%20eq%20%22owner%40acme.test%22",
                None,
                200,
            )
            .await;
        let owner_path = format!("/Users/{}", owner["Resources"][0]["id"].as_str().unwrap());
        assert_eq!(
            owner["Resources"][0][SEATLINE]["contactCenterRole"],
            "supervisor"
        );
        w.scim(
            "PATCH",
            &owner_path,
            Some(patch(
                json!([{"op": "replace", "value": {"active": false}}]),
            )),
        )
        .await
        .scim_error(400, Some("mutability"), "owner_protected");
        w.scim("DELETE", &owner_path, None).await.scim_error(
            400,
            Some("mutability"),
            "owner_protected",
        );
        // If-Match: a stale version is 412, the current one applies.
        let stale = user["meta"]["version"].as_str().unwrap().to_owned();
        w.scim_ok(
            "PATCH",
            &path,
            Some(patch(
                json!([{"op": "replace", "path": "displayName", "value": "Moved On"}]),
            )),
            200,
        )
        .await;
        let a = w
            .send(
                "PATCH",
                &format!("/scim/v2{path}"),
                Some(&w.scim),
                Some(&patch(
                    json!([{"op": "replace", "path": "displayName", "value": "Too Late"}]),
                )),
                &[("if-match", &stale)],
            )
            .await;
        a.scim_error(412, None, "precondition_failed");
        let current = w.scim_ok("GET", &path, None, 200).await;
        assert_eq!(current["displayName"], "Moved On");
        let version = current["meta"]["version"].as_str().unwrap().to_owned();
        let a = w
            .send(
                "DELETE",
                &format!("/scim/v2{path}"),
                Some(&w.scim),
                None,
                &[("if-match", &version)],
            )
            .await;
        assert_eq!(a.status.as_u16(), 204);
        // Unknown ids, member tokens and revoked SCIM tokens.
        w.scim("GET", "/Users/mem_nope", None)
            .await
            .scim_error(404, None, "not_found");
        let owner_token = w.owner.clone();
        w.send("GET", "/scim/v2/Users", Some(&owner_token), None, &[])
            .await
            .scim_error(401, None, "unauthenticated");
        w.send("GET", "/scim/v2/Users", None, None, &[])
            .await
            .scim_error(401, None, "unauthenticated");
    }
}

#[tokio::test]
async fn tokens_are_owner_only_shown_once_and_revocable() {
    for w in World::all().await {
        let path = format!("/api/v1/orgs/{}/scim-tokens", w.org);
        // A list like every other (§6): items and the cursor of the next page.
        let list = w.api_ok("GET", &path, &w.owner, Value::Null, 200).await;
        assert_eq!(list["next_cursor"], Value::Null, "{list:#}");
        let items = list["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["name"], "Entra ID");
        assert!(
            items[0].get("token").is_none(),
            "the secret is never listed"
        );
        let created = w.api_ok("POST", &path, &w.owner, json!({}), 201).await;
        let token = created["token"].as_str().unwrap().to_owned();
        assert_eq!(created["name"], "SCIM");
        let a = w
            .send("GET", "/scim/v2/Users", Some(&token), None, &[])
            .await;
        assert_eq!(a.status.as_u16(), 200);
        let revoke = format!("{path}/{}", created["id"].as_str().unwrap());
        w.api_ok("DELETE", &revoke, &w.owner, Value::Null, 204)
            .await;
        w.send("GET", "/scim/v2/Users", Some(&token), None, &[])
            .await
            .scim_error(401, None, "unauthenticated");
        w.api_ok("DELETE", &revoke, &w.owner, Value::Null, 404)
            .await;
        // An admin may not manage SCIM tokens.
        let admin = w
            .api_ok(
                "POST",
                &format!("/api/v1/orgs/{}/members", w.org),
                &w.owner,
                json!({"email": "admin@acme.test", "role": "admin"}),
                201,
            )
            .await;
        let t = w
            .api_ok(
                "POST",
                &format!(
                    "/api/v1/orgs/{}/members/{}/tokens",
                    w.org,
                    admin["id"].as_str().unwrap()
                ),
                crate::support::OPERATOR,
                json!({}),
                201,
            )
            .await;
        w.api_ok("POST", &path, t["token"].as_str().unwrap(), json!({}), 403)
            .await;
    }
}

#[tokio::test]
async fn discovery_paging_and_attribute_selection() {
    for w in World::all().await {
        let config = w.scim_ok("GET", "/ServiceProviderConfig", None, 200).await;
        assert_eq!(config["patch"]["supported"], true);
        assert_eq!(config["filter"]["maxResults"], 200);
        assert_eq!(config["etag"]["supported"], true);
        let types = w.scim_ok("GET", "/ResourceTypes", None, 200).await;
        assert_eq!(
            types["Resources"][0]["schemaExtensions"][0]["schema"],
            SEATLINE
        );
        w.scim_ok("GET", "/ResourceTypes/User", None, 200).await;
        let schemas = w.scim_ok("GET", "/Schemas", None, 200).await;
        // User, the Seatline extension, and Group (teams, product.md §12).
        assert_eq!(schemas["totalResults"], 3);
        let ext = w
            .scim_ok("GET", &format!("/Schemas/{SEATLINE}"), None, 200)
            .await;
        let names: Vec<&str> = ext["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap())
            .collect();
        assert!(names.contains(&"deviceMobileApp") && names.contains(&"contactCenterReady"));
        // Entra maps single-valued attributes only: every one it could write is single-valued;
        // the one multi-valued attribute (`effective`, per code) is read-only.
        for a in ext["attributes"].as_array().unwrap() {
            if a["multiValued"] == true {
                assert_eq!(
                    (&a["name"], &a["mutability"]),
                    (&json!("effective"), &json!("readOnly"))
                );
            }
        }
        w.scim("GET", "/Schemas/urn:nope", None)
            .await
            .scim_error(404, None, "not_found");

        for i in 0..4 {
            create(&w, &format!("page{i}@acme.test"), None).await;
        }
        // 5 members with the owner, in creation order.
        let all = w.scim_ok("GET", "/Users", None, 200).await;
        assert_eq!(all["totalResults"], 5);
        let ids: Vec<Value> = all["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].clone())
            .collect();
        let page = w
            .scim_ok("GET", "/Users?startIndex=2&count=2", None, 200)
            .await;
        assert_eq!(
            (
                page["totalResults"].as_u64(),
                page["startIndex"].as_u64(),
                page["itemsPerPage"].as_u64()
            ),
            (Some(5), Some(2), Some(2))
        );
        assert_eq!(page["Resources"][0]["id"], ids[1]);
        assert_eq!(page["Resources"][1]["id"], ids[2]);
        let totals = w.scim_ok("GET", "/Users?count=0", None, 200).await;
        assert_eq!(
            (
                totals["totalResults"].as_u64(),
                totals["Resources"].as_array().map(Vec::len)
            ),
            (Some(5), Some(0))
        );
        let past = w.scim_ok("GET", "/Users?startIndex=9", None, 200).await;
        assert_eq!(past["Resources"], json!([]));
        // Only the named attributes, plus id and schemas.
        let only = w.scim_ok("GET", "/Users?attributes=userName,urn:ietf:params:scim:schemas:extension:seatline:2.0:User:phoneSystem&count=1", None, 200).await;
        let u = only["Resources"][0].as_object().unwrap();
        let mut keys: Vec<&str> = u.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(keys, ["id", "schemas", SEATLINE, "userName"]);
        assert_eq!(u[SEATLINE], json!({"phoneSystem": false}));
        let without = w
            .scim_ok(
                "GET",
                &format!(
                    "/Users/{}?excludedAttributes=emails,meta,name.givenName",
                    ids[1].as_str().unwrap()
                ),
                None,
                200,
            )
            .await;
        assert!(without.get("emails").is_none() && without.get("meta").is_none());
        assert!(
            without["name"].get("givenName").is_none()
                && without["name"].get("formatted").is_some()
        );
        assert!(without.get("userName").is_some());
    }
}
