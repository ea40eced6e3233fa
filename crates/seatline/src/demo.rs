//! `serve --demo`: seed a demo organization through the same use cases the API calls, so the
//! demo obeys every rule. A database that already holds the demo organization (its owner's
//! email owns an organization named "Seatline Demo") keeps it: the run prints a fresh owner
//! token and fresh sign-in passwords for it instead of seeding a second one.

use seatline_app::{new_id, App, AppResult, Ctx};
use seatline_domain::{Code, Email, OrgId, Role};

/// How to sign in to what was seeded.
pub struct Demo {
    pub org: OrgId,
    pub owner_email: String,
    pub owner_password: String,
    pub owner_token: String,
    /// An agent (role member) with the owner's password, to see the member's own view.
    pub agent_email: String,
}

const OWNER: &str = "owner@demo.seatline.test";
/// Agent 01 holds extension 1004 with Contact Center and a device: a ready agent.
const AGENT: &str = "agent01@demo.seatline.test";

/// Purchased quantity per code: every code of the catalog.
fn quantity(code: Code) -> i64 {
    match code {
        Code::PhoneSystem => 30,
        Code::DeviceIpPhone | Code::CallRecording => 10,
        Code::LicenseDncCheckingEnabled => 5,
        Code::LicenseCenter => 15,
        Code::DeviceMobileApp
        | Code::DeviceDesktopApp
        | Code::DeviceWebRtc
        | Code::LicenseNumber
        | Code::TeamChat => 20,
    }
}

const NAME: &str = "Seatline Demo";

/// The demo organization: the one already in the database, or a new one.
pub async fn open(app: &App) -> AppResult<Demo> {
    let op = Ctx::operator();
    let owner: Email = OWNER.parse()?;
    for found in app.store().credentials_by_email(&owner).await? {
        if found.member.role != Role::Owner || app.org(&op, &found.org).await?.name != NAME {
            continue;
        }
        let owner_token = app
            .issue_token(&op, &found.org, found.member.id.as_str())
            .await?;
        return signed_in(app, found.org, owner_token.token).await;
    }
    seed(app).await
}

/// Fresh sign-in passwords for the owner and the agent (setting one ends older sessions).
async fn signed_in(app: &App, org: OrgId, owner_token: String) -> AppResult<Demo> {
    let op = Ctx::operator();
    let owner_password = new_id("demo");
    app.set_password(&op, &org, OWNER, &owner_password).await?;
    app.set_password(&op, &org, AGENT, &owner_password).await?;
    Ok(Demo {
        org,
        owner_email: OWNER.to_owned(),
        owner_password,
        owner_token,
        agent_email: AGENT.to_owned(),
    })
}

async fn seed(app: &App) -> AppResult<Demo> {
    let op = Ctx::operator();
    let created = app.create_org(&op, NAME, OWNER, "Olivia Owner").await?;
    let org = OrgId(created.id.clone());
    for code in Code::ALL {
        app.set_quantity(&op, &org, code.as_str(), quantity(code))
            .await?;
    }
    for i in 1..=20 {
        app.add_number(&op, &org, &format!("+6560001{i:03}"))
            .await?;
    }
    let owner_token = app.issue_token(&op, &org, &created.owner.id).await?;
    let owner = app.authenticate(&owner_token.token).await?;

    let mut people = vec![created.owner.id.clone()];
    for i in 1..=2 {
        let m = app
            .create_member(
                &owner,
                &org,
                &format!("admin{i}@demo.seatline.test"),
                &format!("Admin {i}"),
                "admin",
            )
            .await?;
        people.push(m.id);
    }
    for i in 1..=20 {
        let m = app
            .create_member(
                &owner,
                &org,
                &format!("agent{i:02}@demo.seatline.test"),
                &format!("Agent {i:02}"),
                "member",
            )
            .await?;
        people.push(m.id);
    }

    // Twelve extensions: the owner, both admins and eight agents hold one, 1012 is free.
    app.provision(&owner, &org, 12, "1001").await?;
    for (i, member) in people.iter().take(11).enumerate() {
        let key = (1001 + i).to_string();
        app.assign(&owner, &org, &key, member, false).await?;
        // Agents get Contact Center and a device (ready); every other one also a number.
        let mut addons = vec!["team_chat"];
        if i >= 3 {
            addons.extend(["license_center", "device_web_rtc"]);
        }
        if i % 2 == 1 {
            addons.extend(["device_mobile_app", "license_number"]);
        }
        let addons: Vec<String> = addons.into_iter().map(str::to_owned).collect();
        app.set_addons(&owner, &org, &key, &addons).await?;
        if i % 2 == 1 {
            let number = format!("+6560001{:03}", i + 1);
            app.set_numbers(&owner, &org, &key, &[number]).await?;
        }
    }

    signed_in(app, org, owner_token.token).await
}
