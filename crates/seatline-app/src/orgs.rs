//! Organizations and their subscriptions (purchased quantities).

use seatline_domain::lifecycle::SubscriptionUpdate;
use seatline_domain::permissions::{authorize, Action};
use seatline_domain::{rules, Email, MemberId, OrgId, Role};

use crate::views::*;
use crate::{need, new_id, now, App, AppResult, Ctx};

impl App {
    #[tracing::instrument(skip_all)]
    pub async fn create_org(
        &self,
        ctx: &Ctx,
        name: &str,
        owner_email: &str,
        owner_name: &str,
    ) -> AppResult<CreatedOrg> {
        authorize(&ctx.actor, Action::CreateOrg, None)?;
        let email: Email = owner_email.parse()?;
        let owner_name = if owner_name.trim().is_empty() {
            email.as_str().to_owned()
        } else {
            owner_name.to_owned()
        };
        let org = rules::new_org(OrgId(new_id("org")), name, now())?;
        let owner = rules::new_member(MemberId(new_id("mem")), email, &owner_name, Role::Owner)?;
        let id = org.id.clone();
        let mut d = rules::create_org(org.clone(), owner.clone());
        // The owner has no password yet: its first sign-in link comes with the organization.
        let link = crate::sign_in_links::NewLink::new(owner.clone());
        d.audit.push(link.audit());
        let mut tx = self.store.begin_write().await?;
        self.record(&mut tx, ctx, &id, d, crate::events::Seen::default())
            .await?;
        link.store(&mut tx, &id).await?;
        crate::idempotency::mark_applied(&mut *tx).await?;
        tx.commit().await?;
        self.committed(&id).await;
        Ok(CreatedOrg {
            id: org.id.to_string(),
            name: org.name,
            created_at: org.created_at,
            owner: MemberView::new(&owner, None, &Default::default()),
            owner_sign_in_link: None,
            owner_link: link.link,
        })
    }

    pub async fn org(&self, ctx: &Ctx, org: &OrgId) -> AppResult<OrgView> {
        self.guard(ctx, org, Action::ReadOrg, None)?;
        let mut tx = self.store.begin().await?;
        let o = need(tx.org(org).await?, "organization", org)?;
        Ok(OrgView {
            id: o.id.to_string(),
            name: o.name,
            created_at: o.created_at,
        })
    }

    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn set_quantity(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        code: &str,
        quantity: i64,
    ) -> AppResult<LicenseView> {
        let req = SubscriptionUpdate {
            quantity: Some(quantity),
            ..Default::default()
        };
        self.set_subscription(ctx, org, code, req).await
    }

    pub async fn licenses(&self, ctx: &Ctx, org: &OrgId) -> AppResult<Vec<LicenseView>> {
        self.guard(ctx, org, Action::ReadOrg, None)?;
        let mut tx = self.read(org).await?;
        let seats = tx.seats(org).await?;
        Ok(LicenseView::all(&seats, &tx.subscriptions(org).await?))
    }
}
