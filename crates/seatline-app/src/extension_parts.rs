//! An extension's add-ons and numbers set together, as the admin UI's Manage form saves
//! them: one locked transaction composing the two rules, so that a number and the Number
//! add-on it needs are saved together or not at all.

use seatline_domain::permissions::Action;
use seatline_domain::{rules, Addons, Code, Decision, Extension, OrgId, E164};

use crate::views::ExtensionView;
use crate::{need, path_key, App, AppResult, Ctx};

impl App {
    /// Replace an extension's add-ons and its numbers in one step. Each rule judges the
    /// step it owns in the order that lets a valid end state through: when the numbers fit
    /// the Number add-ons the extension holds now, numbers first (detaching before dropping
    /// their add-ons); otherwise add-ons first (adding the Number add-ons the new numbers
    /// need). Either refusal leaves both unchanged.
    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn set_addons_and_numbers(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        key: &str,
        codes: &[String],
        numbers: &[String],
    ) -> AppResult<ExtensionView> {
        self.guard(ctx, org, Action::SetAddons, None)?;
        self.guard(ctx, org, Action::SetNumbers, None)?;
        let key = path_key(key)?;
        let addons: Addons = codes
            .iter()
            .map(|c| c.parse::<Code>())
            .collect::<Result<_, _>>()?;
        let numbers: Vec<E164> = numbers
            .iter()
            .map(|n| n.parse())
            .collect::<Result<_, _>>()?;
        let mut tx = self.lock(org).await?;
        let scope = Self::scope(&mut tx, ctx, org).await?;
        let e = need(
            Self::scoped_extension(&mut tx, org, &scope, key).await?,
            "extension",
            key,
        )?;
        let seats = tx.seats(org).await?;
        let rows = Self::scoped_numbers(&mut tx, org, &scope, &numbers).await?;
        let mut sorted = numbers.clone();
        sorted.sort();
        let numbers_first = numbers.len() <= e.addons.count(Code::LicenseNumber) as usize;
        let (first, second) = if numbers_first {
            let first = rules::set_numbers(&e, numbers, &rows)?;
            let between = Extension {
                numbers: sorted.clone(),
                ..e.clone()
            };
            (first, rules::set_addons(&between, addons.clone(), &seats)?)
        } else {
            let first = rules::set_addons(&e, addons.clone(), &seats)?;
            let between = Extension {
                addons: addons.clone(),
                ..e.clone()
            };
            (first, rules::set_numbers(&between, numbers, &rows)?)
        };
        let d = Decision {
            changes: [first.changes, second.changes].concat(),
            audit: [first.audit, second.audit].concat(),
        };
        let d = Self::guard_direct_write(&mut tx, org, &e, Some(&addons), d).await?;
        let after = Extension {
            addons,
            numbers: sorted,
            ..e
        };
        let view = Self::extension_view(&mut tx, org, &after).await?;
        self.commit(tx, ctx, org, d).await?;
        Ok(view)
    }
}
