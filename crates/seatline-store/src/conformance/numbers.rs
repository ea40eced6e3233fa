//! The number inventory: round trips and pages.

use seatline_domain::rules;

use super::fixtures::*;

pub async fn numbers_round_trip(b: &impl Backend) {
    let store = b.store().await;
    let s = &*store;
    let (org, _) = create_org(s, "n", "owner@n.example").await;
    add_numbers(s, &org, &["+6531000003", "+14155550100", "+6531000001"]).await;
    let mut tx = read(s).await;
    let all = tx.numbers(&org, None, 10).await.expect("numbers");
    let listed: Vec<&str> = all.iter().map(|n| n.number.as_str()).collect();
    assert_eq!(listed, ["+14155550100", "+6531000001", "+6531000003"]);
    assert!(all.iter().all(|n| n.extension.is_none()));
    let page = tx
        .numbers(&org, Some("+14155550100"), 1)
        .await
        .expect("page");
    assert_eq!(page[0].number.as_str(), "+6531000001");
    assert_eq!(page.len(), 1);
    assert_eq!(tx.number(&org, &e164("+6531000009")).await.unwrap(), None);
    let row = tx.number(&org, &e164("+6531000001")).await.unwrap();
    drop(tx);

    let n = e164("+6531000001");
    let d = rules::remove_number(&n, row.as_ref()).expect("free number");
    commit(locked(s, &org).await, &org, d)
        .await
        .expect("remove");
    let mut tx = read(s).await;
    assert_eq!(tx.number(&org, &n).await.unwrap(), None);
    assert_eq!(tx.numbers(&org, None, 10).await.unwrap().len(), 2);
}
