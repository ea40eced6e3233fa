//! The authorization matrix: every route called by every kind of caller. Allowed callers
//! succeed (each in a fresh world, since writes change it); the others get 401 (no token, a
//! revoked token, a disabled member's token), 404 (a member of another organization: ids
//! cannot be probed) or 403 (a role that may not).

use serde_json::{json, Value};

use crate::support::{World, FREE_NUMBER, OPERATOR};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Operator,
    Owner,
    Admin,
    Member,
    OtherOrg,
    NoToken,
    Revoked,
    Disabled,
}

use Caller::*;

const ALL: [Caller; 8] = [
    Operator, Owner, Admin, Member, OtherOrg, NoToken, Revoked, Disabled,
];

fn token(w: &World, c: Caller) -> Option<String> {
    match c {
        Operator => Some(OPERATOR.to_owned()),
        Owner => Some(w.owner.token.clone()),
        Admin => Some(w.admin.token.clone()),
        Member => Some(w.member.token.clone()),
        OtherOrg => Some(w.other_owner.token.clone()),
        NoToken => None,
        Revoked => Some(w.revoked.clone()),
        Disabled => Some(w.disabled.token.clone()),
    }
}

struct Route {
    method: &'static str,
    /// The path under the organization (or absolute when it starts with `/api`).
    path: fn(&World) -> String,
    body: fn(&World) -> Option<Value>,
    allowed: &'static [Caller],
    success: u16,
}

fn routes() -> Vec<Route> {
    fn none(_: &World) -> Option<Value> {
        None
    }
    const READERS: &[Caller] = &[Operator, Owner, Admin];
    const MANAGERS: &[Caller] = &[Owner, Admin];
    vec![
        Route {
            method: "POST",
            path: |_| "/api/v1/orgs".into(),
            body: |_| Some(json!({"name": "New", "owner": {"email": "o@new.test", "name": "O"}})),
            allowed: &[Operator],
            success: 201,
        },
        Route {
            method: "GET",
            path: |w| w.at(""),
            body: none,
            allowed: READERS,
            success: 200,
        },
        Route {
            method: "PUT",
            path: |w| w.at("/subscriptions/phone_system"),
            body: |_| Some(json!({"quantity": 50})),
            allowed: &[Operator],
            success: 200,
        },
        Route {
            method: "GET",
            path: |w| w.at("/licenses"),
            body: none,
            allowed: READERS,
            success: 200,
        },
        Route {
            method: "GET",
            path: |w| w.at("/numbers"),
            body: none,
            allowed: READERS,
            success: 200,
        },
        Route {
            method: "POST",
            path: |w| w.at("/numbers"),
            body: |_| Some(json!({"number": "+6560000099"})),
            allowed: &[Operator],
            success: 201,
        },
        Route {
            method: "DELETE",
            path: |w| w.at(&format!("/numbers/{FREE_NUMBER}")),
            body: none,
            allowed: &[Operator],
            success: 204,
        },
        Route {
            method: "GET",
            path: |w| w.at("/members"),
            body: none,
            allowed: READERS,
            success: 200,
        },
        Route {
            method: "POST",
            path: |w| w.at("/members"),
            body: |_| Some(json!({"email": "new@acme.test", "name": "New", "role": "member"})),
            allowed: MANAGERS,
            success: 201,
        },
        Route {
            method: "GET",
            path: |w| w.at(&format!("/members/{}", w.member.id)),
            body: none,
            allowed: &[Operator, Owner, Admin, Member],
            success: 200,
        },
        Route {
            method: "PATCH",
            path: |w| w.at(&format!("/members/{}", w.spare.id)),
            body: |_| Some(json!({"status": "disabled"})),
            allowed: MANAGERS,
            success: 200,
        },
        Route {
            method: "DELETE",
            path: |w| w.at(&format!("/members/{}", w.disabled.id)),
            body: none,
            allowed: &[Owner],
            success: 204,
        },
        Route {
            method: "GET",
            path: |w| w.at(&format!("/members/{}/entitlements", w.member.id)),
            body: none,
            allowed: &[Operator, Owner, Admin, Member],
            success: 200,
        },
        Route {
            method: "POST",
            path: |w| w.at(&format!("/members/{}/tokens", w.member.id)),
            body: none,
            allowed: &[Operator, Owner, Member],
            success: 201,
        },
        Route {
            method: "DELETE",
            path: |w| {
                w.at(&format!(
                    "/members/{}/tokens/{}",
                    w.member.id, w.member_token_id
                ))
            },
            body: none,
            allowed: &[Operator, Owner, Member],
            success: 204,
        },
        Route {
            method: "POST",
            path: |w| w.at(&format!("/members/{}/transfer-ownership", w.admin.id)),
            body: none,
            allowed: &[Owner],
            success: 200,
        },
        Route {
            method: "GET",
            path: |w| w.at("/contact-center"),
            body: none,
            allowed: READERS,
            success: 200,
        },
        Route {
            method: "GET",
            path: |w| w.at("/extensions"),
            body: none,
            allowed: READERS,
            success: 200,
        },
        Route {
            method: "POST",
            path: |w| w.at("/extensions/provision"),
            body: |_| Some(json!({"count": 1, "start": "201"})),
            allowed: MANAGERS,
            success: 201,
        },
        // The member holds 101: it reads that extension, and no other.
        Route {
            method: "GET",
            path: |w| w.at("/extensions/101"),
            body: none,
            allowed: &[Operator, Owner, Admin, Member],
            success: 200,
        },
        Route {
            method: "GET",
            path: |w| w.at("/extensions/102"),
            body: none,
            allowed: READERS,
            success: 200,
        },
        Route {
            method: "DELETE",
            path: |w| w.at("/extensions/102"),
            body: none,
            allowed: MANAGERS,
            success: 204,
        },
        Route {
            method: "PUT",
            path: |w| w.at("/extensions/102/member"),
            body: |w| Some(json!({"member": w.spare.email})),
            allowed: MANAGERS,
            success: 200,
        },
        Route {
            method: "DELETE",
            path: |w| w.at("/extensions/101/member"),
            body: none,
            allowed: MANAGERS,
            success: 204,
        },
        Route {
            method: "PUT",
            path: |w| w.at("/extensions/102/addons"),
            body: |_| Some(json!({"addons": ["device_web_rtc"]})),
            allowed: MANAGERS,
            success: 200,
        },
        Route {
            method: "PUT",
            path: |w| w.at("/extensions/102/numbers"),
            body: |_| Some(json!({"numbers": []})),
            allowed: MANAGERS,
            success: 200,
        },
        Route {
            method: "GET",
            path: |w| w.at("/audit"),
            body: none,
            allowed: READERS,
            success: 200,
        },
        // Bulk: every read of the organization is the readers' (the operator included),
        // planning and applying are the managers'.
        Route {
            method: "GET",
            path: |w| w.at("/bulk/sample.csv"),
            body: none,
            allowed: READERS,
            success: 200,
        },
        Route {
            method: "GET",
            path: |w| w.at(&format!("/bulk/plans/{}", w.plan)),
            body: none,
            allowed: READERS,
            success: 200,
        },
        Route {
            method: "GET",
            path: |w| w.at(&format!("/bulk/plans/{}/rows", w.plan)),
            body: none,
            allowed: READERS,
            success: 200,
        },
        Route {
            method: "POST",
            path: |w| w.at(&format!("/bulk/plans/{}/apply", w.plan)),
            body: none,
            allowed: MANAGERS,
            success: 200,
        },
        Route {
            method: "GET",
            path: |w| w.at("/extensions/export.csv"),
            body: none,
            allowed: READERS,
            success: 200,
        },
        Route {
            method: "GET",
            path: |w| w.at("/extensions/export.xlsx"),
            body: none,
            allowed: READERS,
            success: 200,
        },
        // Reports and cleanup plans (product.md §11): the owner's and admins'.
        Route {
            method: "GET",
            path: |w| w.at("/reports/usage"),
            body: none,
            allowed: MANAGERS,
            success: 200,
        },
        Route {
            method: "GET",
            path: |w| w.at("/reports/findings?format=csv"),
            body: none,
            allowed: MANAGERS,
            success: 200,
        },
        Route {
            method: "POST",
            path: |w| w.at("/reports/findings/plan"),
            body: |_| Some(json!({"kinds": ["extension_unassigned"]})),
            allowed: MANAGERS,
            success: 201,
        },
        // Every valid token learns who it is.
        Route {
            method: "GET",
            path: |_| "/api/v1/me".into(),
            body: none,
            allowed: &[Operator, Owner, Admin, Member, OtherOrg],
            success: 200,
        },
    ]
}

#[tokio::test]
async fn every_route_by_every_caller() {
    let routes = routes();
    let denied_world = World::new().await;
    let mut checked = 0;
    for route in &routes {
        let org_route = (route.path)(&denied_world).starts_with(&denied_world.o);
        for c in ALL {
            let allowed = route.allowed.contains(&c);
            let fresh;
            let w = if allowed {
                fresh = World::new().await;
                &fresh
            } else {
                &denied_world
            };
            let path = (route.path)(w);
            let a = w
                .api
                .call(route.method, &path, token(w, c).as_deref(), (route.body)(w))
                .await;
            let (status, code) = if allowed {
                (route.success, "")
            } else {
                match c {
                    NoToken | Revoked | Disabled => (401, "unauthenticated"),
                    OtherOrg if org_route => (404, "not_found"),
                    _ => (403, "forbidden"),
                }
            };
            assert_eq!(
                a.status.as_u16(),
                status,
                "{} {path} as {c:?}: {:#}",
                route.method,
                a.body
            );
            if !code.is_empty() {
                assert_eq!(a.code(), code, "{} {path} as {c:?}", route.method);
            }
            checked += 1;
        }
    }
    assert_eq!(checked, routes.len() * ALL.len());
}
