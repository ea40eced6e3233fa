//! Plan, apply and export through the use cases, on every store.

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, TestRunner};
use seatline_app::bulk::{read_sheet, BulkFile};
use seatline_app::{AppError, Ctx};
use seatline_domain::permissions::Actor;
use seatline_domain::plans::PlanStatus;
use seatline_domain::{ErrorCode, MemberId, Role, Status};

use crate::support::{number, observe, org, World, MEMBERS};

const FILE: &str = "Ext key,Number,User,Addon license,Addon license,Addon license\n\
1001,+6531230001,m1@example.com,license_number,device_ip_phone,license_center\n\
1002,,M2@Example.com,device_mobile_app,device_mobile_app,\n\
1003,,,,,\n";

fn rule(e: AppError) -> ErrorCode {
    e.code().unwrap_or_else(|| panic!("not a rule error: {e}"))
}

#[tokio::test]
async fn sample_file_plans_ready_and_applies() {
    for w in World::all().await {
        let o = org(&w.app, "sample").await;
        let sample = w.app.bulk_sample(&o.owner, &o.id).await.unwrap();
        assert!(
            sample.starts_with("Ext key,Number,User,Addon license,Addon license\r\n"),
            "{sample}"
        );
        let plan = w
            .app
            .bulk_plan(
                &o.owner,
                &o.id,
                BulkFile::bytes(sample.clone()),
                Default::default(),
            )
            .await
            .unwrap();
        assert_eq!(
            plan.status,
            PlanStatus::Ready,
            "{}: {sample}\n{plan:#?}",
            w.name
        );
        assert_eq!(plan.rows, 2);
        let applied = w
            .app
            .bulk_apply(&o.owner, &o.id, &plan.id, Default::default())
            .await
            .unwrap();
        assert_eq!(applied.status, PlanStatus::Applied);
        let exported = w.app.export_csv(&o.owner, &o.id).await.unwrap();
        assert_eq!(exported.lines().count(), 3, "{exported}");
    }
}

#[tokio::test]
async fn apply_creates_every_row_with_its_audit_entry() {
    for w in World::all().await {
        let o = org(&w.app, "apply").await;
        let (_, _, audit_before) = observe(&w.app, &o).await;
        let plan = w
            .app
            .bulk_plan(
                &o.owner,
                &o.id,
                BulkFile::bytes(FILE.as_bytes()),
                Default::default(),
            )
            .await
            .unwrap();
        assert_eq!(
            (plan.status, plan.rows),
            (PlanStatus::Ready, 3),
            "{plan:#?}"
        );
        assert_eq!(
            w.app
                .bulk_get_plan(&o.owner, &o.id, &plan.id)
                .await
                .unwrap(),
            plan
        );
        let applied = w
            .app
            .bulk_apply(&o.owner, &o.id, &plan.id, Default::default())
            .await
            .unwrap();
        assert_eq!(applied.status, PlanStatus::Applied);
        assert!(!applied.can_apply);

        let e = w.app.extension(&o.owner, &o.id, "1001").await.unwrap();
        assert_eq!(e.member.unwrap().email, "m1@example.com");
        let addons: Vec<&str> = e.addons.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            addons,
            ["device_ip_phone", "license_center", "license_number"]
        );
        assert_eq!(e.numbers, ["+6531230001"]);
        let e2 = w.app.extension(&o.owner, &o.id, "1002").await.unwrap();
        assert_eq!(e2.member.unwrap().email, "m2@example.com");
        assert_eq!(e2.addons.len(), 2);
        let e3 = w.app.extension(&o.owner, &o.id, "1003").await.unwrap();
        assert!(e3.member.is_none() && e3.addons.is_empty());

        let licenses = w.app.licenses(&o.owner, &o.id).await.unwrap();
        let ps = licenses
            .iter()
            .find(|l| l.code.as_str() == "phone_system")
            .unwrap();
        assert_eq!((ps.in_use, ps.assigned), (3, Some(2)));
        let mobile = licenses
            .iter()
            .find(|l| l.code.as_str() == "device_mobile_app")
            .unwrap();
        assert_eq!(mobile.in_use, 2);
        let (_, _, audit_after) = observe(&w.app, &o).await;
        assert_eq!(audit_after, audit_before + 3);
        let m1 = w
            .app
            .entitlements(&o.owner, &o.id, "m1@example.com")
            .await
            .unwrap();
        assert!(
            m1.contact_center.ready,
            "{}: m1 has a device and license_center",
            w.name
        );
    }
}

#[tokio::test]
async fn applying_twice_applies_once() {
    for w in World::all().await {
        let o = org(&w.app, "twice").await;
        let plan = w
            .app
            .bulk_plan(
                &o.owner,
                &o.id,
                BulkFile::bytes(FILE.as_bytes()),
                Default::default(),
            )
            .await
            .unwrap();
        let first = w
            .app
            .bulk_apply(&o.owner, &o.id, &plan.id, Default::default())
            .await
            .unwrap();
        let seen = observe(&w.app, &o).await;
        let second = w
            .app
            .bulk_apply(&o.owner, &o.id, &plan.id, Default::default())
            .await
            .unwrap();
        assert_eq!(first, second);
        assert_eq!(observe(&w.app, &o).await, seen, "{}", w.name);
        let stored = w
            .app
            .bulk_get_plan(&o.owner, &o.id, &plan.id)
            .await
            .unwrap();
        assert_eq!(stored.status, PlanStatus::Applied);
    }
}

#[tokio::test]
async fn invalid_plans_are_stored_and_refused() {
    for w in World::all().await {
        let o = org(&w.app, "invalid").await;
        let file = format!("{FILE}1003,+6599999999,nobody@example.com,fax,,\n");
        let plan = w
            .app
            .bulk_plan(
                &o.owner,
                &o.id,
                BulkFile::bytes(file.clone()),
                Default::default(),
            )
            .await
            .unwrap();
        assert_eq!(plan.status, PlanStatus::Invalid);
        let codes: Vec<(Option<usize>, ErrorCode)> =
            plan.errors.iter().map(|e| (e.row, e.code)).collect();
        assert_eq!(
            codes,
            [
                (Some(5), ErrorCode::BulkDuplicateExtKey),
                (Some(5), ErrorCode::NumberUnavailable),
                (Some(5), ErrorCode::UnknownMember),
                (Some(5), ErrorCode::UnknownCode),
                (Some(5), ErrorCode::NumberNeedsLicense),
            ]
        );
        let before = observe(&w.app, &o).await;
        let e = w
            .app
            .bulk_apply(&o.owner, &o.id, &plan.id, Default::default())
            .await
            .unwrap_err();
        assert_eq!(rule(e), ErrorCode::PlanInvalid);
        assert_eq!(observe(&w.app, &o).await, before);
        let e = w
            .app
            .bulk_apply(&o.owner, &o.id, "plan_missing", Default::default())
            .await
            .unwrap_err();
        assert_eq!(rule(e), ErrorCode::NotFound);
    }
}

#[tokio::test]
async fn a_plan_the_org_no_longer_allows_is_stale_and_changes_nothing() {
    for w in World::all().await {
        let o = org(&w.app, "stale").await;
        let plan = w
            .app
            .bulk_plan(
                &o.owner,
                &o.id,
                BulkFile::bytes(FILE.as_bytes()),
                Default::default(),
            )
            .await
            .unwrap();
        assert_eq!(plan.status, PlanStatus::Ready);
        // Meanwhile another admin provisions 1003 and gives m1 an extension.
        w.app.provision(&o.owner, &o.id, 2, "1003").await.unwrap();
        w.app
            .assign(&o.owner, &o.id, "1004", "m1@example.com", false)
            .await
            .unwrap();
        let before = observe(&w.app, &o).await;
        let e = w
            .app
            .bulk_apply(&o.owner, &o.id, &plan.id, Default::default())
            .await
            .unwrap_err();
        let AppError::Rule(e) = e else { panic!("{e}") };
        assert_eq!(e.code, ErrorCode::PlanStale);
        let listed: Vec<(u64, String)> = e.details["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["row"].as_u64().unwrap(),
                    x["code"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(
            listed,
            [
                (2, "member_has_extension".to_owned()),
                (4, "extension_exists".to_owned())
            ]
        );
        // The file's values, never internal member ids.
        assert_eq!(e.details["errors"][0]["value"], "m1@example.com");
        assert!(
            !e.details["errors"].to_string().contains("mem_"),
            "{}",
            e.details["errors"]
        );
        assert_eq!(observe(&w.app, &o).await, before, "{}", w.name);
        let stored = w
            .app
            .bulk_get_plan(&o.owner, &o.id, &plan.id)
            .await
            .unwrap();
        assert_eq!(stored.status, PlanStatus::Ready);
    }
}

#[tokio::test]
async fn a_failure_in_the_middle_of_apply_leaves_the_org_as_before() {
    for w in World::all().await {
        let o = org(&w.app, "atomic").await;
        let plan = w
            .app
            .bulk_plan(
                &o.owner,
                &o.id,
                BulkFile::bytes(FILE.as_bytes()),
                Default::default(),
            )
            .await
            .unwrap();
        let before = observe(&w.app, &o).await;
        w.fail_audit_of("extension:1003").await;
        let e = w
            .app
            .bulk_apply(&o.owner, &o.id, &plan.id, Default::default())
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Store(_)), "{}: {e}", w.name);
        assert_eq!(observe(&w.app, &o).await, before, "{}", w.name);
        let stored = w
            .app
            .bulk_get_plan(&o.owner, &o.id, &plan.id)
            .await
            .unwrap();
        assert_eq!(stored.status, PlanStatus::Ready);
        w.heal().await;
        let applied = w
            .app
            .bulk_apply(&o.owner, &o.id, &plan.id, Default::default())
            .await
            .unwrap();
        assert_eq!(applied.status, PlanStatus::Applied);
        assert_ne!(observe(&w.app, &o).await, before);
    }
}

#[tokio::test]
async fn export_reimports_unchanged_into_a_fresh_org() {
    for w in World::all().await {
        let a = org(&w.app, "exporter").await;
        let file = format!(
            "{FILE}1004,+6531230002,+plus@example.com,license_number,,\n1005,,-dash@example.com,team_chat,,\n"
        );
        let plan = w
            .app
            .bulk_plan(
                &a.owner,
                &a.id,
                BulkFile::bytes(file.clone()),
                Default::default(),
            )
            .await
            .unwrap();
        assert_eq!(plan.status, PlanStatus::Ready, "{plan:#?}");
        w.app
            .bulk_apply(&a.owner, &a.id, &plan.id, Default::default())
            .await
            .unwrap();
        // An extension with two numbers, made one operation at a time.
        w.app.provision(&a.owner, &a.id, 1, "2000").await.unwrap();
        let two = [
            "license_number".to_owned(),
            "license_number".to_owned(),
            "call_recording".to_owned(),
        ];
        w.app
            .set_addons(&a.owner, &a.id, "2000", &two)
            .await
            .unwrap();
        w.app
            .set_numbers(&a.owner, &a.id, "2000", &[number(7), number(5)])
            .await
            .unwrap();
        w.app
            .assign(&a.owner, &a.id, "2000", "m5@example.com", false)
            .await
            .unwrap();

        let export = w.app.export_csv(&a.owner, &a.id).await.unwrap();
        assert!(
            export.starts_with(
                "Ext key,Number,User,Addon license,Addon license,Addon license,Number\r\n"
            ),
            "{export}"
        );
        assert!(
            export.contains("\r\n1004,+6531230002,'+plus@example.com,license_number,,,\r\n"),
            "{export}"
        );
        assert!(export.contains("'-dash@example.com"), "{export}");
        assert!(export.contains("\r\n2000,+6531230005,m5@example.com,license_number,license_number,call_recording,+6531230007\r\n"), "{export}");

        let b = org(&w.app, "importer").await;
        let plan = w
            .app
            .bulk_plan(
                &b.owner,
                &b.id,
                BulkFile::bytes(export.clone()),
                Default::default(),
            )
            .await
            .unwrap();
        assert_eq!(plan.status, PlanStatus::Ready, "{plan:#?}");
        w.app
            .bulk_apply(&b.owner, &b.id, &plan.id, Default::default())
            .await
            .unwrap();
        assert_eq!(
            w.app.export_csv(&b.owner, &b.id).await.unwrap(),
            export,
            "{}",
            w.name
        );
    }
}

/// §4 lets a disabled member keep its extension and §5 promises the round trip: the row
/// naming the disabled member plans ready with a `member_disabled` warning, not an error.
#[tokio::test]
async fn export_with_a_disabled_holder_reimports_with_a_warning() {
    for w in World::all().await {
        let a = org(&w.app, "disabled-exporter").await;
        let plan = w
            .app
            .bulk_plan(
                &a.owner,
                &a.id,
                BulkFile::bytes(FILE.as_bytes()),
                Default::default(),
            )
            .await
            .unwrap();
        w.app
            .bulk_apply(&a.owner, &a.id, &plan.id, Default::default())
            .await
            .unwrap();
        let b = org(&w.app, "disabled-importer").await;
        for o in [&a, &b] {
            w.app
                .update_member(&o.owner, &o.id, "m1@example.com", None, Some("disabled"))
                .await
                .unwrap();
        }
        let export = w.app.export_csv(&a.owner, &a.id).await.unwrap();
        assert!(
            export.contains("1001,+6531230001,m1@example.com,"),
            "{export}"
        );

        let plan = w
            .app
            .bulk_plan(
                &b.owner,
                &b.id,
                BulkFile::bytes(export.clone().into_bytes()),
                Default::default(),
            )
            .await
            .unwrap();
        assert_eq!(plan.status, PlanStatus::Ready, "{}: {plan:#?}", w.name);
        let warned: Vec<_> = plan
            .warnings
            .iter()
            .map(|e| (e.row, e.column.as_str(), e.value.as_str(), e.code))
            .collect();
        assert_eq!(
            warned,
            [(Some(2), "User", "m1@example.com", ErrorCode::MemberDisabled)]
        );
        // Warnings are stored with the plan and survive apply's second look.
        let stored = w
            .app
            .bulk_get_plan(&b.owner, &b.id, &plan.id)
            .await
            .unwrap();
        assert_eq!(stored.warnings, plan.warnings);
        let applied = w
            .app
            .bulk_apply(&b.owner, &b.id, &plan.id, Default::default())
            .await
            .unwrap();
        assert_eq!(applied.status, PlanStatus::Applied);
        assert_eq!(applied.warnings, plan.warnings);
        assert_eq!(
            w.app.export_csv(&b.owner, &b.id).await.unwrap(),
            export,
            "{}",
            w.name
        );
    }
}

/// The XLSX export re-imports unchanged: numbers stay `+…` text, formula-looking values
/// come back as they were.
#[tokio::test]
async fn xlsx_export_reimports_unchanged() {
    for w in World::all().await {
        let a = org(&w.app, "xlsx-exporter").await;
        let file = format!("{FILE}1004,+6531230002,+plus@example.com,license_number,,\n");
        let plan = w
            .app
            .bulk_plan(
                &a.owner,
                &a.id,
                BulkFile::bytes(file.into_bytes()),
                Default::default(),
            )
            .await
            .unwrap();
        w.app
            .bulk_apply(&a.owner, &a.id, &plan.id, Default::default())
            .await
            .unwrap();
        let xlsx = w.app.export_xlsx(&a.owner, &a.id).await.unwrap();
        assert!(xlsx.starts_with(b"PK"), "an XLSX workbook");

        let b = org(&w.app, "xlsx-importer").await;
        let plan = w
            .app
            .bulk_plan(
                &b.owner,
                &b.id,
                BulkFile::bytes(xlsx.clone()),
                Default::default(),
            )
            .await
            .unwrap();
        assert_eq!(plan.status, PlanStatus::Ready, "{}: {plan:#?}", w.name);
        w.app
            .bulk_apply(&b.owner, &b.id, &plan.id, Default::default())
            .await
            .unwrap();
        assert_eq!(
            w.app.export_csv(&b.owner, &b.id).await.unwrap(),
            w.app.export_csv(&a.owner, &a.id).await.unwrap(),
            "{}",
            w.name
        );
    }
}

/// Planning and applying report rows done up to the total, step by step, in order.
#[tokio::test]
async fn plan_and_apply_report_progress() {
    use seatline_app::bulk::{ApplyOptions, PlanOptions, Step};
    use std::sync::Mutex;
    let w = World::sqlite().await;
    let o = org(&w.app, "progress").await;
    let rows: String = (0..3000).map(|i| format!("{},,,\n", 10_000 + i)).collect();
    let file = format!("Ext key,Number,User,Addon license\n{rows}");
    let seen = Mutex::new(Vec::new());
    let report = |step: Step, done: usize, total: usize| {
        seen.lock().unwrap().push((step, done, total));
    };
    let sheet = read_sheet(file.as_bytes()).unwrap();
    w.app
        .set_quantity(&Ctx::operator(), &o.id, "phone_system", 5000)
        .await
        .unwrap();
    let plan = w
        .app
        .bulk_plan(
            &o.owner,
            &o.id,
            BulkFile::Sheet(sheet),
            PlanOptions::default().reporting(&report),
        )
        .await
        .unwrap();
    assert_eq!(plan.status, PlanStatus::Ready, "{:?}", plan.errors);
    w.app
        .bulk_apply(
            &o.owner,
            &o.id,
            &plan.id,
            ApplyOptions::default().reporting(&report),
        )
        .await
        .unwrap();
    let seen = seen.into_inner().unwrap();
    for step in [Step::Plan, Step::Check, Step::Apply] {
        let of: Vec<_> = seen.iter().filter(|(s, _, _)| *s == step).collect();
        assert!(!of.is_empty(), "{step:?} reported nothing");
        assert!(of.iter().all(|(_, _, total)| *total == 3000), "{of:?}");
        assert!(of.windows(2).all(|p| p[0].1 <= p[1].1), "{of:?}");
        assert_eq!(of.last().unwrap().1, 3000, "{step:?} ends at the total");
    }
    let planning = seen.iter().filter(|(s, _, _)| *s == Step::Plan).count();
    assert!(planning >= 3, "rows reported as they go: {planning}");
    let order: Vec<Step> = seen.iter().map(|(s, _, _)| *s).collect();
    let first_check = order.iter().position(|s| *s == Step::Check).unwrap();
    assert!(order[..first_check].iter().all(|s| *s == Step::Plan));
}

#[tokio::test]
async fn only_owners_and_admins_of_the_org_run_bulk() {
    for w in World::all().await {
        let o = org(&w.app, "perm").await;
        let other = org(&w.app, "other").await;
        let m = w
            .app
            .member(&o.owner, &o.id, "m1@example.com")
            .await
            .unwrap();
        let member = Ctx {
            actor: Actor::Member {
                id: MemberId(m.id),
                role: Role::Member,
                status: Status::Active,
                scope: None,
            },
            org: Some(o.id.clone()),
            request_id: None,
        };
        let e = w
            .app
            .bulk_plan(
                &member,
                &o.id,
                BulkFile::bytes(FILE.as_bytes()),
                Default::default(),
            )
            .await
            .unwrap_err();
        assert_eq!(rule(e), ErrorCode::Forbidden);
        assert_eq!(
            rule(w.app.export_csv(&member, &o.id).await.unwrap_err()),
            ErrorCode::Forbidden
        );
        assert_eq!(
            rule(w.app.bulk_sample(&member, &o.id).await.unwrap_err()),
            ErrorCode::Forbidden
        );
        let plan = w
            .app
            .bulk_plan(
                &o.owner,
                &o.id,
                BulkFile::bytes(FILE.as_bytes()),
                Default::default(),
            )
            .await
            .unwrap();
        let e = w
            .app
            .bulk_apply(&other.owner, &o.id, &plan.id, Default::default())
            .await
            .unwrap_err();
        assert_eq!(rule(e), ErrorCode::NotFound);
        let e = w
            .app
            .bulk_get_plan(&other.owner, &other.id, &plan.id)
            .await
            .unwrap_err();
        assert_eq!(
            rule(e),
            ErrorCode::NotFound,
            "another org's plan is not found"
        );
    }
}

/// One generated row: key, numbers (indexes), member (index), add-on codes.
type GenRow = (u32, Vec<usize>, Option<usize>, Vec<&'static str>);

fn rows_strategy() -> impl Strategy<Value = Vec<GenRow>> {
    use proptest::prelude::*;
    let addons = prop::sample::subsequence(
        vec![
            "device_ip_phone",
            "device_mobile_app",
            "device_mobile_app",
            "license_center",
            "call_recording",
            "team_chat",
        ],
        0..4,
    );
    (
        prop::sample::subsequence((100u32..99_999).step_by(997).collect::<Vec<_>>(), 1..10),
        prop::collection::vec(
            (
                0usize..3,
                proptest::option::of(0usize..MEMBERS.len()),
                addons,
            ),
            10,
        ),
        Just(()).prop_perturb(|_, mut rng| {
            let mut order: Vec<usize> = (1..=20).collect();
            for i in (1..order.len()).rev() {
                order.swap(i, rng.random_range(0..=i));
            }
            order
        }),
    )
        .prop_map(|(keys, shapes, numbers)| {
            let mut next_number = numbers.into_iter();
            let mut used_members = std::collections::HashSet::new();
            keys.into_iter()
                .zip(shapes)
                .map(|(k, (n, m, a))| {
                    let nums: Vec<usize> = next_number.by_ref().take(n).collect();
                    let member = m.filter(|m| used_members.insert(*m));
                    (k, nums, member, a)
                })
                .collect()
        })
}

/// A row as (key, sorted numbers, user, sorted add-ons) whatever the column order.
fn normalised(text: &str) -> Vec<(String, Vec<String>, String, Vec<String>)> {
    let s = read_sheet(text.as_bytes()).unwrap();
    let col = |name: &str| -> Vec<usize> {
        s.header
            .iter()
            .enumerate()
            .filter(|(_, h)| h.trim().eq_ignore_ascii_case(name))
            .map(|(i, _)| i)
            .collect()
    };
    let (key, numbers, user, addons) = (
        col("Ext key")[0],
        col("Number"),
        col("User")[0],
        col("Addon license"),
    );
    let mut out: Vec<_> = s
        .rows
        .iter()
        .map(|r| {
            let get = |i: usize| {
                seatline_domain::bulk::cell(r.cells.get(i).map_or("", String::as_str)).to_owned()
            };
            let pick = |cols: &[usize]| {
                let mut v: Vec<String> = cols
                    .iter()
                    .map(|i| get(*i))
                    .filter(|c| !c.is_empty())
                    .collect();
                v.sort();
                v
            };
            (get(key), pick(&numbers), get(user), pick(&addons))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_generated_file_applied_then_exported_gives_back_its_rows() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let worlds = rt.block_on(World::all());
    let mut runner = TestRunner::new(Config::with_cases(8));
    let strategy = rows_strategy();
    for case in 0..8 {
        let rows = strategy.new_tree(&mut runner).unwrap().current();
        let mut text = String::from("Ext key,User,Addon license,Addon license,Addon license,Addon license,Addon license,Addon license,Addon license,Number,Number,Number\n");
        for (k, nums, m, addons) in &rows {
            let mut all: Vec<&str> = addons.clone();
            all.extend(std::iter::repeat_n("license_number", nums.len()));
            all.resize(7, "");
            let mut numbers: Vec<String> = nums.iter().map(|i| number(*i)).collect();
            numbers.resize(3, String::new());
            let user = m.map_or("", |i| MEMBERS[i]);
            text.push_str(&format!(
                "{k},{user},{},{}\n",
                all.join(","),
                numbers.join(",")
            ));
        }
        for w in &worlds {
            rt.block_on(async {
                let o = org(&w.app, &format!("gen{case}")).await;
                let plan = w
                    .app
                    .bulk_plan(
                        &o.owner,
                        &o.id,
                        BulkFile::bytes(text.clone()),
                        Default::default(),
                    )
                    .await
                    .unwrap();
                assert_eq!(plan.status, PlanStatus::Ready, "{text}\n{plan:#?}");
                w.app
                    .bulk_apply(&o.owner, &o.id, &plan.id, Default::default())
                    .await
                    .unwrap();
                let export = w.app.export_csv(&o.owner, &o.id).await.unwrap();
                assert_eq!(
                    normalised(&export),
                    normalised(&text),
                    "{}: {text}\n{export}",
                    w.name
                );
            });
        }
    }
}
