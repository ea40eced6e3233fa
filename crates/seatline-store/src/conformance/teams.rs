//! Teams and team-scoped admins (product.md §12).

use seatline_domain::{Change, Code, Member, MemberId, OrgId, Role, TeamId};

use crate::{ExtensionQuery, Store, StoreError};

use super::fixtures::*;

fn team_id(s: &str) -> TeamId {
    TeamId(s.to_owned())
}

async fn teams_of(store: &dyn Store, org: &OrgId) -> Vec<seatline_domain::Team> {
    read(store).await.teams(org).await.expect("teams")
}

async fn create_team(store: &dyn Store, org: &OrgId, id: &str, name: &str) {
    let mut tx = locked(store, org).await;
    let existing = tx.teams(org).await.expect("teams");
    let d = seatline_domain::teams::create_team(&existing, team_id(id), name).expect("team");
    commit(tx, org, d).await.expect("commit team");
}

async fn set_team_members(store: &dyn Store, org: &OrgId, id: &str, members: &[&Member]) {
    let mut tx = locked(store, org).await;
    let teams = tx.teams(org).await.expect("teams");
    let team = teams.iter().find(|t| t.id.as_str() == id).expect("team");
    let ids: Vec<MemberId> = members.iter().map(|m| m.id.clone()).collect();
    let d = seatline_domain::teams::set_team_members(team, ids);
    commit(tx, org, d).await.expect("commit members");
}

async fn set_scope(store: &dyn Store, org: &OrgId, m: &Member, scope: Option<&[&str]>) {
    let mut tx = locked(store, org).await;
    let teams = tx.teams(org).await.expect("teams");
    let current = tx.admin_scope(org, &m.id).await.expect("scope");
    let d = seatline_domain::teams::set_scope(
        m,
        current.as_deref(),
        scope.map(|s| s.iter().map(|t| team_id(t)).collect()),
        &teams,
    )
    .expect("scope");
    commit(tx, org, d).await.expect("commit scope");
}

pub async fn teams_round_trip(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, _) = create_org(s, "teams", "owner@teams.test").await;
    let (other, _) = create_org(s, "teams2", "owner@teams2.test").await;
    let m1 = add_member(s, &org, "m1", "m1@teams.test", Role::Member).await;
    let m2 = add_member(s, &org, "m2", "m2@teams.test", Role::Member).await;
    assert!(teams_of(s, &org).await.is_empty());
    create_team(s, &org, "t_b", "beta").await;
    create_team(s, &org, "t_a", "Alpha").await;
    create_team(s, &other, "t_x", "Other org").await;
    // Ordered by name ignoring case, whatever the ids.
    let names: Vec<String> = teams_of(s, &org)
        .await
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, ["Alpha", "beta"]);
    set_team_members(s, &org, "t_a", &[&m2, &m1]).await;
    set_team_members(s, &org, "t_b", &[&m1]).await;
    let teams = teams_of(s, &org).await;
    assert_eq!(teams[0].members, [m1.id.clone(), m2.id.clone()]);
    // The database keeps each team's times, in the stored time format.
    for t in &teams {
        assert_eq!(t.created_at.len(), AT.len(), "{t:?}");
        assert!(t.updated_at >= t.created_at, "{t:?}");
    }
    assert_eq!(teams[1].members, std::slice::from_ref(&m1.id));
    assert_eq!(teams_of(s, &other).await.len(), 1, "one org's teams only");
    // Rename and disable.
    let d = seatline_domain::teams::update_team(&teams, &teams[1], Some("Gamma"), Some(false))
        .expect("update");
    commit(locked(s, &org).await, &org, d)
        .await
        .expect("update");
    let t = teams_of(s, &org).await;
    assert_eq!((t[1].name.as_str(), t[1].enabled), ("Gamma", false));
    assert_eq!(
        t[1].members,
        std::slice::from_ref(&m1.id),
        "an update keeps the members"
    );
    // The schema refuses a second team of the same name, in any ASCII case.
    let clash = seatline_domain::Team {
        id: team_id("t_c"),
        name: "ALPHA".into(),
        enabled: true,
        members: vec![],
        created_at: String::new(),
        updated_at: String::new(),
    };
    assert!(is_constraint(
        force(s, &org, vec![Change::InsertTeam(clash)]).await
    ));
    // A member of another organization cannot join.
    let stranger = force(
        s,
        &other,
        vec![Change::SetTeamMembers {
            team: team_id("t_x"),
            members: vec![m1.id.clone()],
        }],
    )
    .await;
    assert!(
        matches!(stranger, Err(StoreError::Constraint(_))),
        "{stranger:?}"
    );
    // Deleting a member drops its memberships; deleting a team keeps its members.
    disable_and_delete(s, &org, &m2).await;
    assert_eq!(
        teams_of(s, &org).await[0].members,
        std::slice::from_ref(&m1.id)
    );
    let t = teams_of(s, &org).await;
    let d = seatline_domain::teams::delete_team(&t[0]);
    commit(locked(s, &org).await, &org, d)
        .await
        .expect("delete team");
    let t = teams_of(s, &org).await;
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].id, team_id("t_b"));
    assert!(read(s)
        .await
        .member(&org, &m1.id)
        .await
        .expect("m1")
        .is_some());
    assert_eq!(audit_of(s, &org, "team.create").await.len(), 2);
}

pub async fn team_scopes(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, _) = create_org(s, "scopes", "owner@scopes.test").await;
    let admin = add_member(s, &org, "adm", "adm@scopes.test", Role::Admin).await;
    let a1 = add_member(s, &org, "a1", "a1@scopes.test", Role::Member).await;
    let a2 = add_member(s, &org, "a2", "a2@scopes.test", Role::Member).await;
    let b1 = add_member(s, &org, "b1", "b1@scopes.test", Role::Member).await;
    let c1 = add_member(s, &org, "c1", "c1@scopes.test", Role::Member).await;
    create_team(s, &org, "ta", "A").await;
    create_team(s, &org, "tb", "B").await;
    create_team(s, &org, "tc", "C").await;
    set_team_members(s, &org, "ta", &[&a1, &a2]).await;
    set_team_members(s, &org, "tb", &[&b1, &a1]).await;
    set_team_members(s, &org, "tc", &[&c1]).await;

    let scope = || {
        let (org, id) = (org.clone(), admin.id.clone());
        let store = store.clone();
        async move {
            read(&*store)
                .await
                .admin_scope(&org, &id)
                .await
                .expect("scope")
        }
    };
    assert_eq!(scope().await, None, "the whole organization by default");
    set_scope(s, &org, &admin, Some(&["tb", "ta"])).await;
    assert_eq!(scope().await, Some(vec![team_id("ta"), team_id("tb")]));

    let members_in = |teams: Vec<TeamId>, after: Option<&'static str>, limit: u32| {
        let org = org.clone();
        async move {
            read(s)
                .await
                .members_in_teams(&org, &teams, after, limit)
                .await
                .expect("members in teams")
                .into_iter()
                .map(|m| m.id.0)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        members_in(vec![team_id("ta"), team_id("tb")], None, 100).await,
        ["a1", "a2", "b1"],
        "each member once, by email"
    );
    assert_eq!(
        members_in(
            vec![team_id("ta"), team_id("tb")],
            Some("a1@scopes.test"),
            1
        )
        .await,
        ["a2"]
    );
    assert!(members_in(vec![], None, 100).await.is_empty());

    // Extensions in reach: unassigned, or held by a member of an enabled team of the scope.
    set_quantity(s, &org, Code::PhoneSystem, 10).await;
    provision(s, &org, 5, 1000).await.expect("provision");
    assign(s, &org, 1000, &a1).await.expect("assign");
    assign(s, &org, 1001, &b1).await.expect("assign");
    assign(s, &org, 1002, &c1).await.expect("assign");
    let exts = |teams: Option<Vec<TeamId>>| {
        let org = org.clone();
        async move {
            let q = ExtensionQuery {
                teams,
                limit: 100,
                ..ExtensionQuery::default()
            };
            keys(
                &read(s)
                    .await
                    .extensions(&org, &q)
                    .await
                    .expect("extensions"),
            )
        }
    };
    assert_eq!(exts(None).await, [1000, 1001, 1002, 1003, 1004]);
    assert_eq!(
        exts(Some(vec![team_id("ta"), team_id("tb")])).await,
        [1000, 1001, 1003, 1004]
    );
    assert_eq!(exts(Some(vec![team_id("ta")])).await, [1000, 1003, 1004]);
    assert_eq!(exts(Some(vec![])).await, [1003, 1004]);
    // A disabled team reaches no one.
    let t = teams_of(s, &org).await;
    let tb = t.iter().find(|t| t.id.as_str() == "tb").expect("tb");
    let d = seatline_domain::teams::update_team(&t, tb, None, Some(false)).expect("disable");
    commit(locked(s, &org).await, &org, d)
        .await
        .expect("disable");
    assert_eq!(
        exts(Some(vec![team_id("tb")])).await,
        [1003, 1004],
        "disabled team"
    );
    assert!(members_in(vec![team_id("tb")], None, 100).await.is_empty());

    // Deleting a team narrows a scope; it never widens it to the whole organization.
    let t = teams_of(s, &org).await;
    for id in ["ta", "tb"] {
        let team = t.iter().find(|t| t.id.as_str() == id).expect("team");
        let d = seatline_domain::teams::delete_team(team);
        commit(locked(s, &org).await, &org, d)
            .await
            .expect("delete");
    }
    assert_eq!(scope().await, Some(vec![]));
    set_scope(s, &org, &admin, None).await;
    assert_eq!(scope().await, None);
    assert_eq!(audit_of(s, &org, "member.scope").await.len(), 2);
}
