//! `seatline org create --base-url` prints the owner's sign-in link, and `seatline member
//! sign-in-link` prints one for any active member; the app takes either one once.

use crate::{stderr, Cli};

#[test]
fn org_create_and_member_print_sign_in_links() {
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli { dir: dir.path() };
    let org = cli.json(&[
        "org",
        "create",
        "--name",
        "Acme",
        "--owner-email",
        "o@acme.example",
        "--base-url",
        "https://seatline.example.com/",
    ]);
    assert_eq!(org["owner"]["email"], "o@acme.example");
    let url = org["owner_sign_in_link"]["url"].as_str().unwrap();
    assert!(
        url.starts_with("https://seatline.example.com/ui/sign-in/link/"),
        "{org}"
    );
    assert!(org["owner_sign_in_link"]["expires_at"].is_string(), "{org}");
    let o = org["id"].as_str().unwrap();

    // Without --base-url nothing about a link is printed.
    let plain = cli.json(&[
        "org",
        "create",
        "--name",
        "Plain",
        "--owner-email",
        "p@x.example",
    ]);
    assert!(plain.get("owner_sign_in_link").is_none(), "{plain}");

    // For the owner itself: the URL alone on stdout, what it is on stderr.
    let out = cli.run(&[
        "member",
        "sign-in-link",
        "--org",
        o,
        "o@acme.example",
        "--base-url",
        "http://10.0.0.7:8080",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let printed = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(
        printed
            .trim()
            .starts_with("http://10.0.0.7:8080/ui/sign-in/link/"),
        "{printed}"
    );
    assert_eq!(printed.trim().lines().count(), 1, "{printed}");
    assert!(stderr(&out).contains("works once"), "{}", stderr(&out));

    let json = cli.json(&[
        "member",
        "sign-in-link",
        "--org",
        o,
        "o@acme.example",
        "--base-url",
        "https://seatline.example.com",
    ]);
    assert_eq!(json["member"]["email"], "o@acme.example", "{json}");
    assert!(json["url"]
        .as_str()
        .unwrap()
        .starts_with("https://seatline.example.com/ui/sign-in/link/"));

    // A base URL that is no origin is a usage error; an unknown member is refused.
    let bad = cli.run(&[
        "member",
        "sign-in-link",
        "--org",
        o,
        "o@acme.example",
        "--base-url",
        "seatline.example.com",
    ]);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(stderr(&bad).contains("https://host"), "{}", stderr(&bad));
    let unknown = cli.run(&[
        "member",
        "sign-in-link",
        "--org",
        o,
        "nobody@acme.example",
        "--base-url",
        "https://s.example",
    ]);
    assert_eq!(unknown.status.code(), Some(1), "{}", stderr(&unknown));
    assert!(
        stderr(&unknown).contains("not_found"),
        "{}",
        stderr(&unknown)
    );
}
