//! `serve --demo` seeds a demo organization and prints how to sign in; a second run on the
//! same database reuses that organization and prints fresh tokens that work.

use crate::serve_race::{call, Server};

/// The value after `label` on the banner line that carries it.
fn printed<'a>(s: &'a Server, label: &str) -> &'a str {
    s.banner
        .iter()
        .find_map(|l| l.trim().strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label:?} in {:#?}", s.banner))
        .trim()
}

#[tokio::test]
async fn serve_demo_twice_on_one_database_reuses_the_demo() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite:{}", dir.path().join("demo.db").display());
    let mut orgs = Vec::new();
    for _ in 0..2 {
        let s = Server::start_with(&db, &["--demo"]);
        let org = printed(&s, "Demo organization ")
            .trim_end_matches(" is ready.")
            .to_owned();
        let owner = printed(&s, "Owner token:");
        let operator = printed(&s, "Operator token:");
        assert!(printed(&s, "Owner sign-in:").starts_with("owner@demo.seatline.test / "));

        let (status, licenses) = call(
            &s.addr,
            "GET",
            &format!("/api/v1/orgs/{org}/licenses"),
            owner,
            None,
        )
        .await;
        assert_eq!(status, 200, "{licenses}");
        let items = licenses["items"].as_array().expect("items");
        assert_eq!(items.len(), 10);
        assert!(
            items.iter().all(|l| l["purchased"].as_u64() > Some(0)),
            "{licenses}"
        );
        assert_eq!(items[0]["in_use"], 12);
        assert_eq!(items[0]["assigned"], 11);

        let (status, members) = call(
            &s.addr,
            "GET",
            &format!("/api/v1/orgs/{org}/members?limit=1000"),
            operator,
            None,
        )
        .await;
        assert_eq!(status, 200, "{members}");
        let members = members["items"].as_array().expect("items");
        let count = |role: &str| members.iter().filter(|m| m["role"] == role).count();
        assert_eq!(
            (count("owner"), count("admin"), count("member")),
            (1, 2, 20)
        );
        assert!(members.iter().any(|m| m["contact_center"]["ready"] == true));

        let (status, numbers) = call(
            &s.addr,
            "GET",
            &format!("/api/v1/orgs/{org}/numbers"),
            operator,
            None,
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(numbers["items"].as_array().map(Vec::len), Some(20));
        orgs.push(org);
    }
    assert_eq!(orgs[0], orgs[1], "the second run seeded another demo");
}
