//! A property of team license templates (product.md §13), on SQLite and PostgreSQL: random
//! sequences of team membership changes, template changes, team switches, quantity changes
//! and direct add-on writes, each followed by the waiting-room pass, keep
//! - every held copy count the larger of the direct count and the largest inherited one,
//! - every code's seats in use within what is purchased,
//! - every inherited copy that its team still grants in place (only its source removes it),
//!   and no inherited copy that no source grants,
//! - the waiting room exactly the members whose whole grant does not fit now.

use std::collections::HashMap;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use seatline_app::{App, TeamChange};
use seatline_domain::templates::{self as tpl, Holding, Inherited, Outcome, Pool, State};
use seatline_domain::{Code, MemberId, OrgId};
use seatline_store::LicenseStateQuery;
use serde_json::json;

use crate::events::dbs;
use crate::support::*;

#[derive(Debug, Clone)]
enum Op {
    Join {
        member: usize,
        team: usize,
    },
    Leave {
        member: usize,
        team: usize,
    },
    Template {
        team: usize,
        center: bool,
        mobile: u32,
    },
    DeleteTemplate {
        team: usize,
    },
    Toggle {
        team: usize,
        enabled: bool,
    },
    Quantity {
        code: usize,
        quantity: u32,
    },
    Direct {
        member: usize,
        mobile: u32,
    },
}

const MEMBERS: usize = 4;
const TEAMS: usize = 2;
const CODES: [&str; 3] = ["phone_system", "license_center", "device_mobile_app"];

fn op() -> impl Strategy<Value = Op> {
    let m = 0..MEMBERS;
    let t = 0..TEAMS;
    prop_oneof![
        3 => (m.clone(), t.clone()).prop_map(|(member, team)| Op::Join { member, team }),
        1 => (m.clone(), t.clone()).prop_map(|(member, team)| Op::Leave { member, team }),
        2 => (t.clone(), any::<bool>(), 0..4u32)
            .prop_map(|(team, center, mobile)| Op::Template { team, center, mobile }),
        1 => t.clone().prop_map(|team| Op::DeleteTemplate { team }),
        1 => (t.clone(), any::<bool>()).prop_map(|(team, enabled)| Op::Toggle { team, enabled }),
        2 => (0..3usize, 0..12u32).prop_map(|(code, quantity)| Op::Quantity { code, quantity }),
        1 => (m, 0..5u32).prop_map(|(member, mobile)| Op::Direct { member, mobile }),
    ]
}

struct World {
    org: OrgId,
    owner: seatline_app::Ctx,
    members: Vec<String>,
    teams: Vec<String>,
}

async fn run(app: &App, w: &World, op: &Op) {
    let (o, owner) = (&w.org, &w.owner);
    // Refusals (a quantity below what is in use, a write dropping an inherited copy) are
    // part of the property: they must leave everything as it was.
    let _ = match op {
        Op::Join { member, team } => app
            .change_team(
                owner,
                o,
                &w.teams[*team],
                TeamChange {
                    add: vec![w.members[*member].clone()],
                    ..Default::default()
                },
            )
            .await
            .map(|_| ()),
        Op::Leave { member, team } => app
            .change_team(
                owner,
                o,
                &w.teams[*team],
                TeamChange {
                    remove: vec![w.members[*member].clone()],
                    ..Default::default()
                },
            )
            .await
            .map(|_| ()),
        Op::Template {
            team,
            center,
            mobile,
        } => {
            let mut addons = serde_json::Map::new();
            if *center {
                addons.insert("license_center".into(), json!(1));
            }
            if *mobile > 0 {
                addons.insert("device_mobile_app".into(), json!(mobile));
            }
            app.set_template(
                owner,
                o,
                &w.teams[*team],
                &json!({"extension": true, "addons": addons}),
            )
            .await
            .map(|_| ())
        }
        Op::DeleteTemplate { team } => app.delete_template(owner, o, &w.teams[*team]).await,
        Op::Toggle { team, enabled } => app
            .update_team(owner, o, &w.teams[*team], None, Some(*enabled))
            .await
            .map(|_| ()),
        Op::Quantity { code, quantity } => app
            .set_quantity(&crate::support::op(), o, CODES[*code], i64::from(*quantity))
            .await
            .map(|_| ()),
        Op::Direct { member, mobile } => {
            let m = app
                .member(owner, o, &w.members[*member])
                .await
                .expect("member");
            match m.extension {
                None => Ok(()),
                Some(key) => {
                    let e = app.extension(owner, o, &key).await.expect("extension");
                    let mut codes: Vec<String> = e
                        .addons
                        .iter()
                        .filter(|c| **c != Code::DeviceMobileApp)
                        .map(|c| c.to_string())
                        .collect();
                    codes.extend((0..*mobile).map(|_| "device_mobile_app".to_owned()));
                    app.set_addons(owner, o, &key, &codes).await.map(|_| ())
                }
            }
        }
    };
    // The background pass, as `serve` runs it after every commit.
    app.fill_waiting_room(o).await.expect("fill");
}

/// Every member's (code, team) → count inherited, as stored.
type Copies = HashMap<(MemberId, Code, String), u32>;

async fn check(app: &App, w: &World, before: &Copies) -> Copies {
    let o = &w.org;
    let mut tx = app.store().begin().await.unwrap();
    let ids: Vec<MemberId> = w.members.iter().map(|m| MemberId(m.clone())).collect();
    let holdings: HashMap<MemberId, Holding> =
        tx.holdings(o, &ids).await.unwrap().into_iter().collect();
    let seats = tx.seats(o).await.unwrap();
    let teams = tx.teams(o).await.unwrap();
    let templates = tx.templates(o).await.unwrap();
    let members = tx.members_by_id(o, &ids).await.unwrap();
    let states: HashMap<MemberId, State> = tx
        .license_states(o, &LicenseStateQuery::default())
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.member, r.state))
        .collect();
    let wanted = tpl::wanted_by_member(&teams, &templates);
    let mut now = Copies::new();
    for (m, h) in &holdings {
        let ext = h.extension.as_ref().unwrap();
        for c in Code::addons() {
            let inherited = h
                .inherited
                .addons
                .get(&c)
                .and_then(|by| by.values().max().copied())
                .unwrap_or(0);
            assert_eq!(
                ext.addons.count(c),
                h.direct.count(c).max(inherited),
                "{m}: {c} held is not max(direct, inherited): {h:?}"
            );
        }
        let want = wanted.get(m).cloned().unwrap_or_default();
        for (c, by) in &h.inherited.addons {
            for (t, n) in by {
                // A member that waits keeps at most what its team grants (a grant that grew
                // waits whole); one whose state is ok holds exactly that.
                let granted = want
                    .addons
                    .get(c)
                    .and_then(|w| w.get(t))
                    .copied()
                    .unwrap_or(0);
                assert!(
                    *n <= granted,
                    "{m}: {c} from {t}: {n} held, {granted} granted by its source: {want:?}"
                );
                if states.get(m) == Some(&State::Ok) {
                    assert_eq!(
                        *n, granted,
                        "{m}: {c} from {t}: ok, but not what the team grants"
                    );
                }
                now.insert((m.clone(), *c, t.to_string()), *n);
            }
        }
    }
    for ((m, c, t), n) in before {
        let still = wanted
            .get(m)
            .and_then(|w| w.addons.get(c))
            .and_then(|by| by.get(&seatline_domain::TeamId(t.clone())));
        if still == Some(n) {
            assert_eq!(
                now.get(&(m.clone(), *c, t.clone())),
                Some(n),
                "{m}: {c} from {t} was removed while its team still grants it"
            );
        }
    }
    for (c, s) in &seats.by_code {
        assert!(
            s.in_use <= s.purchased,
            "{c}: {} in use of {} purchased",
            s.in_use,
            s.purchased
        );
    }
    // The waiting room: exactly those whose whole grant does not fit now.
    let none = Inherited::default();
    for m in &members {
        let h = holdings.get(&m.id).cloned().unwrap_or_default();
        let mut pool = Pool::new(seats.clone(), tx.taken_keys(o).await.unwrap());
        let r = tpl::reconcile(m, wanted.get(&m.id).unwrap_or(&none), &h, &mut pool);
        let waiting = matches!(states.get(&m.id), Some(State::Waiting(_)));
        assert_eq!(
            r.outcome == Outcome::Wait,
            waiting,
            "{}: stored {:?}, the rule now says {:?}",
            m.id,
            states.get(&m.id),
            r.outcome
        );
        if !waiting && r.outcome != Outcome::Error {
            assert_eq!(
                r.outcome,
                Outcome::Unchanged,
                "{}: a grant or revoke left undone: {r:?}",
                m.id
            );
        }
    }
    now
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_is_max_seats_hold_and_the_waiting_room_is_exact() {
    let mut runner = TestRunner::new(Config {
        cases: 24,
        ..Config::default()
    });
    let cases: Vec<Vec<Op>> = (0..24)
        .map(|_| {
            proptest::collection::vec(op(), 10..30)
                .new_tree(&mut runner)
                .unwrap()
                .current()
        })
        .collect();
    for db in dbs().await {
        let app = &db.app;
        for (i, ops) in cases.iter().enumerate() {
            let o = org(app, &format!("prop{i}-{}", db.name)).await;
            for code in CODES {
                app.set_quantity(&crate::support::op(), &o.id, code, 8)
                    .await
                    .unwrap();
            }
            let mut members = Vec::new();
            for m in 0..MEMBERS {
                let v = app
                    .create_member(
                        &o.owner,
                        &o.id,
                        &format!("p{m}@prop.example"),
                        "P",
                        "member",
                    )
                    .await
                    .unwrap();
                members.push(v.id);
            }
            let mut teams = Vec::new();
            for t in 0..TEAMS {
                teams.push(
                    app.create_team(&o.owner, &o.id, &format!("T{t}"), &[])
                        .await
                        .unwrap()
                        .id,
                );
            }
            let w = World {
                org: o.id.clone(),
                owner: o.owner.clone(),
                members,
                teams,
            };
            let mut copies = Copies::new();
            for op in ops {
                run(app, &w, op).await;
                copies = check(app, &w, &copies).await;
            }
        }
    }
}
