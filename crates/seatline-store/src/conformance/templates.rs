//! Team license templates (product.md §13): templates round-trip, grants keep their direct
//! and inherited parts apart (held = max), a whole team is granted and revoked in one commit,
//! and license states keep join order.

use std::collections::HashMap;

use seatline_domain::templates::{self as tpl, Pool, State, Template};
use seatline_domain::{Addons, Change, Code, ErrorCode, Member, MemberId, OrgId, Role, TeamId};
use serde_json::json;

use crate::{LicenseStateQuery, Store};

use super::fixtures::*;

fn team_id(s: &str) -> TeamId {
    TeamId(s.to_owned())
}

async fn make_team(store: &dyn Store, org: &OrgId, id: &str, members: &[&Member]) {
    let mut tx = locked(store, org).await;
    let existing = tx.teams(org).await.expect("teams");
    let mut d = seatline_domain::teams::create_team(&existing, team_id(id), id).expect("team");
    d.changes.push(Change::SetTeamMembers {
        team: team_id(id),
        members: members.iter().map(|m| m.id.clone()).collect(),
    });
    commit(tx, org, d).await.expect("commit team");
}

async fn set_template(store: &dyn Store, org: &OrgId, team: &str, t: Option<serde_json::Value>) {
    let template = t.map(|v| Template::parse(&v).expect("template"));
    let d = seatline_domain::Decision {
        changes: vec![Change::SetTemplate {
            team: team_id(team),
            template,
        }],
        audit: Vec::new(),
    };
    commit(locked(store, org).await, org, d)
        .await
        .expect("commit template");
}

/// Reconcile `ids` (in this order) as a use case does: one locked transaction.
async fn reconcile(store: &dyn Store, org: &OrgId, ids: &[MemberId]) -> Vec<tpl::Reconciled> {
    let mut tx = locked(store, org).await;
    let teams = tx.teams(org).await.expect("teams");
    let templates = tx.templates(org).await.expect("templates");
    let members = tx.members_by_id(org, ids).await.expect("members");
    let by_id: HashMap<MemberId, Member> = members.into_iter().map(|m| (m.id.clone(), m)).collect();
    let members: Vec<Member> = ids.iter().map(|i| by_id[i].clone()).collect();
    let holdings: HashMap<_, _> = tx
        .holdings(org, ids)
        .await
        .expect("holdings")
        .into_iter()
        .collect();
    let current: HashMap<_, _> = tx
        .license_states(
            org,
            &LicenseStateQuery {
                members: Some(ids.to_vec()),
                waiting: false,
            },
        )
        .await
        .expect("states")
        .into_iter()
        .map(|r| (r.member, (r.state, r.teams)))
        .collect();
    let mut pool = Pool::new(
        tx.seats(org).await.expect("seats"),
        tx.taken_keys(org).await.expect("keys"),
    );
    let wanted = tpl::wanted_by_member(&teams, &templates);
    let results = tpl::reconcile_all(&members, &wanted, &holdings, &mut pool);
    commit(tx, org, tpl::decision(&results, &current).decision)
        .await
        .expect("commit grants");
    results
}

/// A member's holding, checking on the way that `Tx::inherits` says what it holds.
async fn holding(store: &dyn Store, org: &OrgId, m: &Member) -> Option<tpl::Holding> {
    let mut tx = read(store).await;
    let h = tx
        .holdings(org, std::slice::from_ref(&m.id))
        .await
        .expect("holdings");
    let h = h.into_iter().next().map(|(_, h)| h);
    let inherited = h
        .as_ref()
        .is_some_and(|h| !h.inherited.extension.is_empty() || !h.inherited.addons.is_empty());
    assert_eq!(
        tx.inherits(org, &m.id).await.expect("inherits"),
        inherited,
        "inherits({}) against its holding {h:?}",
        m.id
    );
    h
}

fn codes(list: &[(Code, u32)]) -> Addons {
    let mut a = Addons::default();
    for (c, n) in list {
        a.add(*c, *n);
    }
    a
}

pub async fn templates_round_trip(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, _) = create_org(s, "tpl", "owner@tpl.test").await;
    let (other, _) = create_org(s, "tpl2", "owner@tpl2.test").await;
    make_team(s, &org, "t_a", &[]).await;
    make_team(s, &org, "t_b", &[]).await;
    make_team(s, &other, "t_a", &[]).await;
    let body = json!({"extension": {"from": "2000", "to": "2099"}, "addons": {"device_mobile_app": 2, "license_center": 1}});
    set_template(s, &org, "t_a", Some(body.clone())).await;
    set_template(
        s,
        &org,
        "t_b",
        Some(json!({"extension": true, "addons": {}})),
    )
    .await;
    let ts = read(s).await.templates(&org).await.unwrap();
    assert_eq!(ts.len(), 2);
    assert_eq!((ts[0].0.as_str(), ts[0].1.to_json()), ("t_a", body));
    assert!(
        read(s).await.templates(&other).await.unwrap().is_empty(),
        "one org's templates"
    );
    // Replaced, then removed; deleting a team takes its template along.
    set_template(
        s,
        &org,
        "t_a",
        Some(json!({"extension": true, "addons": {}})),
    )
    .await;
    set_template(s, &org, "t_b", None).await;
    let ts = read(s).await.templates(&org).await.unwrap();
    assert_eq!(ts.len(), 1);
    assert_eq!(ts[0].1.extension, Some(tpl::ExtensionRule::Next));
    let d = seatline_domain::Decision {
        changes: vec![Change::DeleteTeam(team_id("t_a"))],
        audit: Vec::new(),
    };
    commit(locked(s, &org).await, &org, d).await.unwrap();
    assert!(read(s).await.templates(&org).await.unwrap().is_empty());
}

pub async fn template_grants_keep_direct_and_inherited_apart(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, _) = create_org(s, "grant", "owner@grant.test").await;
    for (c, q) in [
        (Code::PhoneSystem, 10),
        (Code::DeviceMobileApp, 10),
        (Code::LicenseCenter, 10),
        (Code::TeamChat, 10),
    ] {
        set_quantity(s, &org, c, q).await;
    }
    let agent = add_member(s, &org, "m_agent", "agent@grant.test", Role::Member).await;
    let other = add_member(s, &org, "m_other", "other@grant.test", Role::Member).await;
    make_team(s, &org, "t_a", &[&agent, &other]).await;
    make_team(s, &org, "t_b", &[&agent]).await;
    set_template(s, &org, "t_a", Some(json!({"extension": {"from": "2000", "to": "2099"}, "addons": {"device_mobile_app": 2, "license_center": 1}}))).await;
    set_template(
        s,
        &org,
        "t_b",
        Some(json!({"extension": true, "addons": {"device_mobile_app": 1, "team_chat": 1}})),
    )
    .await;
    let ids = [agent.id.clone(), other.id.clone()];
    let r = reconcile(s, &org, &ids).await;
    assert!(r.iter().all(|r| r.outcome == tpl::Outcome::Grant), "{r:?}");
    let h = holding(s, &org, &agent)
        .await
        .expect("agent holds an extension");
    let ext = h.extension.clone().unwrap();
    assert_eq!(ext.key, key(2000));
    assert_eq!(ext.member.as_ref(), Some(&agent.id));
    assert_eq!(
        ext.addons,
        codes(&[
            (Code::DeviceMobileApp, 2),
            (Code::LicenseCenter, 1),
            (Code::TeamChat, 1)
        ])
    );
    assert!(h.direct.is_empty());
    assert_eq!(
        h.inherited.extension.keys().cloned().collect::<Vec<_>>(),
        [team_id("t_a"), team_id("t_b")]
    );
    assert_eq!(
        h.inherited.addons[&Code::DeviceMobileApp].len(),
        2,
        "both teams' copies kept apart"
    );
    assert_eq!(
        h.sources_json()["addons"]["device_mobile_app"],
        json!(["team:t_a", "team:t_b"])
    );
    assert_eq!(
        holding(s, &org, &other)
            .await
            .unwrap()
            .extension
            .unwrap()
            .key,
        key(2001)
    );
    // Copies are consumed once: 2 mobile (not 3) for the agent, 2 for the other member.
    let seat = seats(s, &org).await;
    assert_eq!(seat.get(Code::DeviceMobileApp).in_use, 4);
    assert_eq!(seat.get(Code::PhoneSystem).in_use, 2);
    // Reconciling again writes nothing.
    let again = reconcile(s, &org, &ids).await;
    assert!(again.iter().all(|r| r.changes.is_empty()), "{again:?}");
    // A direct copy beyond the inherited ones, through SetGrant as a direct write does.
    let direct = tpl::direct_after_write(
        &h,
        &codes(&[
            (Code::DeviceMobileApp, 3),
            (Code::LicenseCenter, 1),
            (Code::TeamChat, 1),
        ]),
    );
    assert_eq!(direct, codes(&[(Code::DeviceMobileApp, 3)]));
    let grant = tpl::Grant {
        member: agent.id.clone(),
        key: ext.key,
        held: tpl::held(&direct, &h.inherited),
        direct: direct.clone(),
        inherited: h.inherited.clone(),
    };
    let d = seatline_domain::Decision {
        changes: vec![Change::SetGrant(grant)],
        audit: Vec::new(),
    };
    commit(locked(s, &org).await, &org, d).await.unwrap();
    // The agent leaves t_a: the extension stays (t_b), license_center goes, the direct 3 mobile stay.
    let d = seatline_domain::Decision {
        changes: vec![Change::SetTeamMembers {
            team: team_id("t_a"),
            members: vec![other.id.clone()],
        }],
        audit: Vec::new(),
    };
    commit(locked(s, &org).await, &org, d).await.unwrap();
    reconcile(s, &org, std::slice::from_ref(&agent.id)).await;
    let h = holding(s, &org, &agent).await.unwrap();
    assert_eq!(
        h.extension.as_ref().unwrap().addons,
        codes(&[(Code::DeviceMobileApp, 3), (Code::TeamChat, 1)])
    );
    assert_eq!(h.direct, codes(&[(Code::DeviceMobileApp, 3)]));
    // Leaves t_b too: unassigned, and kept for its direct copies.
    let d = seatline_domain::Decision {
        changes: vec![Change::SetTeamMembers {
            team: team_id("t_b"),
            members: vec![],
        }],
        audit: Vec::new(),
    };
    commit(locked(s, &org).await, &org, d).await.unwrap();
    let r = reconcile(s, &org, std::slice::from_ref(&agent.id)).await;
    assert_eq!(r[0].outcome, tpl::Outcome::Revoke);
    assert!(holding(s, &org, &agent).await.is_none());
    let e = extension(s, &org, 2000)
        .await
        .expect("kept for its direct copies");
    assert_eq!(
        (e.member, e.addons),
        (None, codes(&[(Code::DeviceMobileApp, 3)]))
    );
    // The other member leaves t_a: nothing direct, so the extension is deprovisioned.
    let d = seatline_domain::Decision {
        changes: vec![Change::SetTeamMembers {
            team: team_id("t_a"),
            members: vec![],
        }],
        audit: Vec::new(),
    };
    commit(locked(s, &org).await, &org, d).await.unwrap();
    reconcile(s, &org, std::slice::from_ref(&other.id)).await;
    assert!(extension(s, &org, 2001).await.is_none());
    assert_eq!(seats(s, &org).await.get(Code::PhoneSystem).in_use, 1);
    let states = read(s)
        .await
        .license_states(&org, &LicenseStateQuery::default())
        .await
        .unwrap();
    assert!(
        states.is_empty(),
        "in no templated team, no state: {states:?}"
    );
}

pub async fn a_whole_team_is_granted_in_one_commit_and_waits_in_join_order(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, _) = create_org(s, "big", "owner@big.test").await;
    set_quantity(s, &org, Code::PhoneSystem, 250).await;
    set_quantity(s, &org, Code::LicenseCenter, 250).await;
    let mut members = Vec::new();
    {
        let mut d = seatline_domain::Decision::default();
        for i in 0..300 {
            let m = seatline_domain::rules::new_member(
                MemberId(format!("m{i:04}")),
                email(&format!("m{i:04}@big.test")),
                "M",
                Role::Member,
            )
            .unwrap();
            d.changes.push(Change::InsertMember(m.clone()));
            members.push(m);
        }
        commit(locked(s, &org).await, &org, d).await.unwrap();
    }
    let refs: Vec<&Member> = members.iter().collect();
    make_team(s, &org, "t_big", &refs).await;
    set_template(
        s,
        &org,
        "t_big",
        Some(json!({"extension": true, "addons": {"license_center": 1}})),
    )
    .await;
    let ids: Vec<MemberId> = members.iter().map(|m| m.id.clone()).collect();
    let r = reconcile(s, &org, &ids).await;
    assert_eq!(
        r.iter()
            .filter(|r| r.outcome == tpl::Outcome::Grant)
            .count(),
        250
    );
    let seat = seats(s, &org).await;
    assert_eq!(seat.get(Code::PhoneSystem).in_use, 250);
    assert_eq!(seat.get(Code::LicenseCenter).in_use, 250);
    // The waiting room: exactly the 50 that did not fit, in the order they were processed.
    let waiting = read(s)
        .await
        .license_states(
            &org,
            &LicenseStateQuery {
                members: None,
                waiting: true,
            },
        )
        .await
        .unwrap();
    let waiting_ids: Vec<&MemberId> = waiting.iter().map(|w| &w.member).collect();
    assert_eq!(waiting_ids, ids[250..].iter().collect::<Vec<_>>());
    assert!(waiting
        .iter()
        .all(|w| w.state == State::Waiting(ErrorCode::SeatsExhausted)
            && w.teams == [team_id("t_big")]));
    assert_eq!(
        s.orgs_with_waiting().await.unwrap(),
        std::slice::from_ref(&org)
    );
    let all = read(s)
        .await
        .license_states(&org, &LicenseStateQuery::default())
        .await
        .unwrap();
    assert_eq!(all.len(), 300);
    // Reconciling again keeps each waiting member's place and since.
    let before: Vec<(i64, String)> = waiting.iter().map(|w| (w.seq, w.since.clone())).collect();
    set_quantity(s, &org, Code::PhoneSystem, 260).await;
    set_quantity(s, &org, Code::LicenseCenter, 260).await;
    let r = reconcile(s, &org, &ids[250..]).await;
    assert_eq!(
        r.iter()
            .filter(|r| r.outcome == tpl::Outcome::Grant)
            .count(),
        10
    );
    let still = read(s)
        .await
        .license_states(
            &org,
            &LicenseStateQuery {
                members: None,
                waiting: true,
            },
        )
        .await
        .unwrap();
    assert_eq!(still.len(), 40);
    assert_eq!(
        still[0].member, ids[260],
        "the first ten in line were granted"
    );
    let kept: Vec<(i64, String)> = still.iter().map(|w| (w.seq, w.since.clone())).collect();
    assert_eq!(kept, before[10..], "places in line kept");
    // The whole team is revoked in one commit.
    let d = seatline_domain::Decision {
        changes: vec![Change::SetTemplate {
            team: team_id("t_big"),
            template: None,
        }],
        audit: Vec::new(),
    };
    commit(locked(s, &org).await, &org, d).await.unwrap();
    reconcile(s, &org, &ids).await;
    assert_eq!(seats(s, &org).await.get(Code::PhoneSystem).in_use, 0);
    assert!(s.orgs_with_waiting().await.unwrap().is_empty());
}
