//! The one-statement entitlement read (issue 15), with and without its token.

use seatline_domain::{Change, Code, Member, MemberId, OrgId, Role};

use crate::{
    EntitlementSources, IntegrationTokenRow, MemberRef, TokenEntitlements, TokenHolder, TokenRow,
};

use super::fixtures::*;

/// The entitlement read answers, by id and by email, exactly what the transaction's reads
/// answer (member, its extension with add-ons and sorted numbers, the subscriptions), and
/// nothing of another organization.
pub async fn entitlement_sources_in_one_read(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, owner) = create_org(s, "ent", "owner@ent.example").await;
    let (other, _) = create_org(s, "ent2", "owner@ent2.example").await;
    use Code::*;
    for (code, q) in [
        (PhoneSystem, 3),
        (LicenseCenter, 2),
        (LicenseNumber, 2),
        (DeviceIpPhone, 1),
        // Held by nobody: no member's entitlements depend on it.
        (TeamChat, 4),
    ] {
        set_quantity(s, &org, code, q).await;
    }
    set_quantity(s, &other, PhoneSystem, 5).await;
    let center = suspended(LicenseCenter, 2, None);
    add_numbers(s, &org, &["+6532000002", "+6532000001"]).await;
    let agent = add_member(s, &org, "mem_ent", "agent@ent.example", Role::Member).await;
    let idle = add_member(s, &org, "mem_idle", "idle@ent.example", Role::Member).await;
    provision(s, &org, 1, 2001).await.expect("provision");
    assign(s, &org, 2001, &agent).await.expect("assign");
    set_addons(
        s,
        &org,
        2001,
        &[LicenseCenter, LicenseNumber, LicenseNumber, DeviceIpPhone],
    )
    .await
    .expect("addons");
    set_numbers(s, &org, 2001, &["+6532000002", "+6532000001"])
        .await
        .expect("numbers");
    // Suspended after the copies were taken: the read carries the state that makes them
    // not effective.
    force(s, &org, vec![Change::SetSubscription(center)])
        .await
        .expect("set subscription");

    // What the transaction's reads say, member by member: the subscriptions of the codes
    // the member's extension holds, none without one.
    for m in [agent.clone(), idle.clone(), owner.clone()] {
        let mut tx = read(s).await;
        let extension = tx.extension_of(&org, &m.id).await.expect("extension");
        let mut subscriptions = tx.subscriptions(&org).await.expect("subscriptions");
        subscriptions.retain(|sub| {
            extension.as_ref().is_some_and(|e| {
                sub.code == PhoneSystem || e.addons.iter().any(|(c, _)| c == sub.code)
            })
        });
        let want = EntitlementSources {
            extension,
            subscriptions,
            member: m.clone(),
        };
        drop(tx);
        let by_id = s
            .entitlement_sources(&org, &MemberRef::Id(m.id.clone()))
            .await
            .expect("by id");
        assert_eq!(by_id.as_ref(), Some(&want), "by id: {}", m.id.as_str());
        let by_email = s
            .entitlement_sources(&org, &MemberRef::Email(m.email.clone()))
            .await
            .expect("by email");
        assert_eq!(by_email, Some(want), "by email: {}", m.email.as_str());
    }
    let got = s
        .entitlement_sources(&org, &MemberRef::Id(agent.id.clone()))
        .await
        .expect("agent")
        .expect("agent exists");
    let ext = got.extension.expect("agent holds 2001");
    assert_eq!(ext.key, key(2001));
    assert_eq!(ext.numbers, [e164("+6532000001"), e164("+6532000002")]);
    assert_eq!(
        ext.addons,
        addons(&[LicenseCenter, LicenseNumber, LicenseNumber, DeviceIpPhone])
    );
    // Five subscriptions, four of them the extension's codes.
    let codes: Vec<Code> = got.subscriptions.iter().map(|sub| sub.code).collect();
    assert_eq!(
        codes.len(),
        4,
        "the extension's subscriptions only: {codes:?}"
    );
    assert!(!codes.contains(&TeamChat), "{codes:?}");
    // Unknown members are not there, nor members asked for in another organization.
    let unknown = [
        (&org, MemberRef::Id(MemberId("mem_nobody".into()))),
        (&org, MemberRef::Email(email("nobody@ent.example"))),
        (&other, MemberRef::Id(agent.id.clone())),
        (&other, MemberRef::Email(agent.email.clone())),
    ];
    for (o, r) in unknown {
        let got = s.entitlement_sources(o, &r).await.expect("read");
        assert_eq!(got, None, "{r:?} in {}", o.as_str());
    }
}

/// The PBX's read with its authentication: the same answer as the token's lookup followed
/// by [`Store::entitlement_sources`], however the backend reads them.
pub async fn token_entitlements_read_together(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, owner) = create_org(s, "tk", "owner@tk.example").await;
    let (other, stranger) = create_org(s, "tk2", "owner@tk2.example").await;
    set_quantity(s, &org, Code::PhoneSystem, 2).await;
    let agent = add_member(s, &org, "mem_tk", "agent@tk.example", Role::Member).await;
    provision(s, &org, 1, 3001).await.expect("provision");
    assign(s, &org, 3001, &agent).await.expect("assign");
    let token = |id: &str, org: &OrgId, m: &Member, revoked| TokenRow {
        id: id.to_owned(),
        org: org.clone(),
        member: m.id.clone(),
        hash: format!("hash_{id}"),
        created_at: AT.to_owned(),
        revoked,
    };
    let integration = |id: &str, org: &OrgId, revoked| IntegrationTokenRow {
        id: id.to_owned(),
        org: org.clone(),
        name: format!("PBX {id}"),
        hash: format!("hash_{id}"),
        created_at: AT.to_owned(),
        revoked,
    };
    let mut tx = read(s).await;
    tx.insert_token(&token("tok_own", &org, &owner, false))
        .await
        .expect("token");
    tx.insert_token(&token("tok_off", &org, &agent, true))
        .await
        .expect("token");
    tx.insert_token(&token("tok_far", &other, &stranger, false))
        .await
        .expect("token");
    tx.insert_integration_token(&integration("int_pbx", &org, false))
        .await
        .expect("integration token");
    tx.insert_integration_token(&integration("int_old", &org, true))
        .await
        .expect("integration token");
    tx.commit().await.expect("commit");

    let asked = [
        MemberRef::Id(agent.id.clone()),
        MemberRef::Email(agent.email.clone()),
        MemberRef::Id(owner.id.clone()),
        MemberRef::Id(MemberId("mem_nobody".into())),
        MemberRef::Email(email("nobody@tk.example")),
    ];
    let hashes = [
        ("hash_tok_own", false),
        ("hash_tok_off", false),
        ("hash_tok_far", false),
        ("hash_int_pbx", true),
        ("hash_int_old", true),
        ("hash_nope", false),
        ("hash_nope", true),
        // A hash looked up in the other kind's table is unknown.
        ("hash_int_pbx", false),
        ("hash_tok_own", true),
    ];
    let mut seen_sources = 0;
    for (hash, is_integration) in hashes {
        let holder = if is_integration {
            s.integration_token(hash)
                .await
                .expect("integration token")
                .map(TokenHolder::Integration)
        } else {
            s.token_holder(hash)
                .await
                .expect("token")
                .map(|(row, m)| TokenHolder::Member(row, m))
        };
        for (o, r) in [&org, &other]
            .into_iter()
            .flat_map(|o| asked.iter().map(move |r| (o, r)))
        {
            let sources = match &holder {
                Some(h) if h.org() == o => s.entitlement_sources(o, r).await.expect("sources"),
                _ => None,
            };
            seen_sources += usize::from(sources.is_some());
            let want = TokenEntitlements {
                holder: holder.clone(),
                sources,
            };
            let got = s
                .token_entitlements(hash, is_integration, o, r)
                .await
                .expect("read");
            assert_eq!(
                got,
                want,
                "{hash} (integration: {is_integration}) asking {r:?} in {}",
                o.as_str()
            );
        }
    }
    // The member's sources came back for its organization's four tokens, by id and email,
    // and the owner's: the comparison above is not of empty reads only.
    assert_eq!(seen_sources, 4 * 3);
}
