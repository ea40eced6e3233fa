//! Who a member is, as an identity provider writes it: look-alike userNames (a
//! right-to-left override, a zero-width space, NFD beside NFC) are one member or refused,
//! never a second member.

use serde_json::json;

use crate::support::{entra_create, World};

/// `josé` composed (NFC) and decomposed (NFD).
const NFC: &str = "jos\u{e9}@acme.test";
const NFD: &str = "jose\u{301}@acme.test";

#[tokio::test]
async fn look_alike_user_names_are_one_member_or_refused() {
    for w in World::all().await {
        let o = format!("/api/v1/orgs/{}", w.org);
        let created = w
            .scim_ok("POST", "/Users", Some(entra_create(NFC, "x-1", None)), 201)
            .await;
        assert_eq!(created["userName"], NFC);
        // NFD is the same address: taken, in SCIM and in the API.
        let a = w
            .scim("POST", "/Users", Some(entra_create(NFD, "x-2", None)))
            .await;
        a.scim_error(409, Some("uniqueness"), "email_taken");
        let a = w
            .send(
                "POST",
                &format!("{o}/members"),
                Some(&w.owner),
                Some(&json!({"email": NFD, "role": "member"})),
                &[("content-type", "application/json")],
            )
            .await;
        assert_eq!(a.status.as_u16(), 409, "[{}] {:#}", w.name, a.body);
        // A filter in either form finds the one member.
        let f = "/Users?filter=userName%20eq%20%22jose%CC%81%40acme.test%22";
        let found = w.scim_ok("GET", f, None, 200).await;
        assert_eq!(found["totalResults"], 1, "[{}] {found:#}", w.name);

        // Invisible and bidi control characters are refused with the reason.
        for (email, what) in [
            ("an\u{200b}a@acme.test", "U+200B"),
            ("\u{202e}tset.emca@ana", "U+202E"),
            ("ana\u{2066}@acme.test", "U+2066"),
            ("ana@acme\u{feff}.test", "U+FEFF"),
        ] {
            let a = w
                .scim("POST", "/Users", Some(entra_create(email, "x-3", None)))
                .await;
            a.scim_error(400, Some("invalidValue"), "invalid_email");
            let detail = a.body["detail"].as_str().unwrap();
            assert!(detail.contains(what), "[{}] {detail}", w.name);
            let a = w
                .send(
                    "POST",
                    &format!("{o}/members"),
                    Some(&w.owner),
                    Some(&json!({"email": email, "role": "member"})),
                    &[("content-type", "application/json")],
                )
                .await;
            assert_eq!(a.status.as_u16(), 422, "[{}] {:#}", w.name, a.body);
            assert_eq!(a.body["error"]["code"], "invalid_email");
            assert_eq!(a.body["error"]["details"]["field"], "email", "{:#}", a.body);
        }
        // A bulk User cell in NFD names the same member.
        let csv = format!("Ext key,User\n1001,{NFD}\n");
        let a = w
            .send_raw(
                "POST",
                &format!("{o}/bulk/plans"),
                &w.owner,
                "text/csv",
                csv.into_bytes(),
            )
            .await;
        assert_eq!(a.status.as_u16(), 201, "[{}] {:#}", w.name, a.body);
        assert_eq!(a.body["status"], "ready", "[{}] {:#}", w.name, a.body);

        let users = w.scim_ok("GET", "/Users", None, 200).await;
        assert_eq!(users["totalResults"], 2, "[{}] {users:#}", w.name);
    }
}
