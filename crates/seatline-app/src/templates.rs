//! Team license templates (product.md §13): a team's template, what its members inherit,
//! their license states and the waiting room. Every change that moves a member into or out of
//! a team's grant ends in [`App::commit_reconciling`], so the grant or revoke commits in the
//! same transaction as its cause, with its own audit entries and events.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use seatline_domain::events::Draft;
use seatline_domain::permissions::{Action, Actor};
use seatline_domain::templates::{self as tpl, Pool, Reconciled, State, Template};
use seatline_domain::{AuditRecord, Decision, Member, MemberId, OrgId, Team, TeamId};
use seatline_store::{LicenseStateQuery, LicenseStateRow, Tx};
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use crate::{events, need, App, AppResult, Ctx, Locked};

mod plan;

use seatline_domain::events::{MEMBER_LICENSE_STATE_CHANGED, TEAM_TEMPLATE_CHANGED};

/// The actor of the background pass that fills the waiting room.
pub fn waiting_room_ctx(org: &OrgId) -> Ctx {
    Ctx {
        actor: Actor::System { id: "waiting_room" },
        org: Some(org.clone()),
        request_id: None,
    }
}

/// What [`App::compute`] read and decided.
pub(crate) struct Computed {
    pub results: Vec<Reconciled>,
    pub current: HashMap<MemberId, (State, Vec<TeamId>)>,
    pub members: Vec<Member>,
    pub holdings: HashMap<MemberId, tpl::Holding>,
    pub seats: seatline_domain::Seats,
    pub pool: Pool,
}

/// A template plan's change (product.md §13), stored with the plan: the team and the
/// template it sets (`null`: deleted).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct TemplatePlanRequest {
    pub team: String,
    pub template: Value,
}

/// A team's template as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TemplateView {
    pub team: String,
    /// `{"from": KEY, "to": KEY}`, `true` (the organization's lowest free key) or `null`.
    #[schema(value_type = Object)]
    pub extension: Value,
    /// Copies per add-on code each member's extension carries.
    #[schema(value_type = Object)]
    pub addons: Value,
}

impl TemplateView {
    fn new(team: &TeamId, t: &Template) -> Self {
        let v = t.to_json();
        TemplateView {
            team: team.to_string(),
            extension: v["extension"].clone(),
            addons: v["addons"].clone(),
        }
    }
}

/// A member's license state (product.md §13).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LicenseStateView {
    /// `ok`, `waiting` (seats) or `error` (`code` says why).
    pub state: String,
    /// Why the member waits or is in error; null when ok.
    pub code: Option<String>,
    /// When the state (or its code) last changed; RFC 3339, UTC.
    pub since: String,
    /// The templated teams the state is about.
    pub teams: Vec<String>,
}

impl From<&LicenseStateRow> for LicenseStateView {
    fn from(r: &LicenseStateRow) -> Self {
        LicenseStateView {
            state: r.state.as_str().to_owned(),
            code: r.state.code().map(|c| c.as_str().to_owned()),
            since: r.since.clone(),
            teams: r.teams.iter().map(|t| t.to_string()).collect(),
        }
    }
}

/// A member waiting or in error, as the waiting room and a template's status list it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LicenseStateEntry {
    pub member: String,
    #[serde(flatten)]
    pub license_state: LicenseStateView,
}

/// A template's status: its members' counts by state, and those waiting or in error.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TemplateStatus {
    pub team: String,
    pub ok: u64,
    pub waiting: u64,
    pub error: u64,
    /// The members waiting (in join order), then those in error.
    pub members: Vec<LicenseStateEntry>,
}

fn state_draft(member: &MemberId, state: Option<&(State, Vec<TeamId>)>) -> Draft {
    let data = match state {
        Some((s, teams)) => json!({
            "member": member,
            "state": s.as_str(),
            "code": s.code().map(|c| c.as_str()),
            "teams": teams,
        }),
        // Out of every templated team: nothing is asked of it any more.
        None => json!({"member": member, "state": null, "code": null, "teams": []}),
    };
    Draft {
        kind: MEMBER_LICENSE_STATE_CHANGED,
        subject: format!("member:{member}"),
        data: seatline_domain::events::Data::Json(data),
        extension: None,
        license: None,
    }
}

/// The decision and event of setting (`after`) or deleting a team's template.
pub(crate) fn template_change(
    t: &Team,
    before: Option<&Template>,
    after: Option<&Template>,
) -> (Decision, Draft) {
    let json_of = |t: Option<&Template>| t.map_or(Value::Null, Template::to_json);
    let d = Decision {
        changes: vec![seatline_domain::Change::SetTemplate {
            team: t.id.clone(),
            template: after.cloned(),
        }],
        audit: vec![AuditRecord {
            action: if after.is_some() {
                "team.template_set"
            } else {
                "team.template_delete"
            },
            target: format!("team:{}", t.id),
            before: json_of(before),
            after: json_of(after),
        }],
    };
    let changed = Draft {
        kind: TEAM_TEMPLATE_CHANGED,
        subject: format!("team:{}", t.id),
        data: seatline_domain::events::Data::Json(
            json!({"team": t.id, "template": json_of(after)}),
        ),
        extension: None,
        license: None,
    };
    (d, changed)
}

impl App {
    /// Record `d`, then reconcile `affected` (and the waiting room) against the state it
    /// leaves, then commit: one transaction.
    pub(crate) async fn commit_reconciling(
        &self,
        mut tx: Locked,
        ctx: &Ctx,
        org: &OrgId,
        d: Decision,
        affected: &[MemberId],
        then: Vec<Draft>,
    ) -> AppResult<Vec<Reconciled>> {
        let before = if self.write_events && !d.changes.is_empty() {
            Some(events::load_before(&mut tx, org, &d.changes, events::Seen::default()).await?)
        } else {
            None
        };
        let mut changed = !d.changes.is_empty() || !then.is_empty();
        self.record_from(&mut tx, ctx, org, d, before, then).await?;
        let (results, reconciled) = self.reconcile_in(&mut tx, ctx, org, affected).await?;
        changed |= reconciled;
        tx.commit().await?;
        // Nothing written, nothing to wake: a waiting-room pass that granted nobody must not
        // wake itself again.
        if changed {
            self.committed(org).await;
        }
        Ok(results)
    }

    /// Reconcile, in `tx`, the members waiting (in join order) and then `affected` (in the
    /// order given), and record the grants and revokes with their audit entries and events.
    /// When that frees seats and members still wait, the waiting room is served once more.
    pub(crate) async fn reconcile_in(
        &self,
        tx: &mut Box<dyn Tx>,
        ctx: &Ctx,
        org: &OrgId,
        affected: &[MemberId],
    ) -> AppResult<(Vec<Reconciled>, bool)> {
        let (mut results, mut wrote) = self.reconcile_once(tx, ctx, org, affected).await?;
        let freed = results.iter().any(|r| r.outcome == tpl::Outcome::Revoke);
        let waiting = results
            .iter()
            .any(|r| matches!(r.state, Some(State::Waiting(_))));
        if freed && waiting {
            let (more, wrote_more) = self.reconcile_once(tx, ctx, org, &[]).await?;
            results.extend(more);
            wrote |= wrote_more;
        }
        Ok((results, wrote))
    }

    async fn reconcile_once(
        &self,
        tx: &mut Box<dyn Tx>,
        ctx: &Ctx,
        org: &OrgId,
        affected: &[MemberId],
    ) -> AppResult<(Vec<Reconciled>, bool)> {
        let Some(Computed {
            results,
            current,
            members,
            holdings,
            seats,
            ..
        }) = Self::compute(tx, org, affected, None).await?
        else {
            return Ok((Vec::new(), false));
        };
        let applied = tpl::decision(&results, &current);
        if applied.decision.is_empty() {
            return Ok((results, false));
        }
        let drafts: Vec<Draft> = applied
            .state_changes
            .iter()
            .map(|(m, s)| state_draft(m, s.as_ref()))
            .collect();
        let before = if self.write_events {
            // What the rule read is what the events start from: no second read per member.
            let seen = events::Seen {
                extensions: holdings
                    .values()
                    .filter_map(|h| h.extension.clone())
                    .collect(),
                members: members.clone(),
                states: Some(seats),
            };
            Some(events::load_before(tx, org, &applied.decision.changes, seen).await?)
        } else {
            None
        };
        self.record_from(tx, ctx, org, applied.decision, before, drafts)
            .await?;
        Ok((results, true))
    }

    /// Reconcile, without writing, the members waiting (in join order) and then `affected`,
    /// with `replace` standing for one team's template (a plan's change); `None` when there
    /// is nobody to reconcile.
    pub(crate) async fn compute(
        tx: &mut Box<dyn Tx>,
        org: &OrgId,
        affected: &[MemberId],
        replace: Option<(&TeamId, Option<&Template>)>,
    ) -> AppResult<Option<Computed>> {
        let waiting = tx
            .license_states(
                org,
                &LicenseStateQuery {
                    members: None,
                    waiting: true,
                },
            )
            .await?;
        let mut seen = BTreeSet::new();
        let ids: Vec<MemberId> = waiting
            .iter()
            .map(|w| w.member.clone())
            .chain(affected.iter().cloned())
            .filter(|m| seen.insert(m.clone()))
            .collect();
        if ids.is_empty() {
            return Ok(None);
        }
        let teams = tx.teams(org).await?;
        let mut templates = tx.templates(org).await?;
        if let Some((team, t)) = replace {
            templates.retain(|(id, _)| id != team);
            templates.extend(t.map(|t| (team.clone(), t.clone())));
        }
        let by_id: HashMap<MemberId, Member> = tx
            .members_by_id(org, &ids)
            .await?
            .into_iter()
            .map(|m| (m.id.clone(), m))
            .collect();
        // A member deleted meanwhile has nothing left to reconcile.
        let members: Vec<Member> = ids.iter().filter_map(|i| by_id.get(i).cloned()).collect();
        let holdings: HashMap<MemberId, tpl::Holding> =
            tx.holdings(org, &ids).await?.into_iter().collect();
        let current: HashMap<MemberId, (State, Vec<TeamId>)> = tx
            .license_states(
                org,
                &LicenseStateQuery {
                    members: Some(ids.clone()),
                    waiting: false,
                },
            )
            .await?
            .into_iter()
            .map(|r| (r.member, (r.state, r.teams)))
            .collect();
        let seats = tx.seats(org).await?;
        let mut pool = Pool::new(seats.clone(), tx.taken_keys(org).await?);
        let wanted = tpl::wanted_by_member(&teams, &templates);
        let results = tpl::reconcile_all(&members, &wanted, &holdings, &mut pool);
        Ok(Some(Computed {
            results,
            current,
            members,
            holdings,
            seats,
            pool,
        }))
    }

    /// Before a member is deleted (API or SCIM): revoke what its teams granted, as if it left
    /// them all, so that no inherited copy outlives its member on the extension that stays.
    pub(crate) async fn release_inherited(
        &self,
        tx: &mut Box<dyn Tx>,
        ctx: &Ctx,
        org: &OrgId,
        member: &Member,
    ) -> AppResult<()> {
        let Some((_, h)) = tx
            .holdings(org, std::slice::from_ref(&member.id))
            .await?
            .into_iter()
            .next()
        else {
            return Ok(());
        };
        if h.inherited.is_empty() {
            return Ok(());
        }
        let seats = tx.seats(org).await?;
        let mut pool = Pool::new(seats.clone(), tx.taken_keys(org).await?);
        let r = tpl::reconcile(member, &tpl::Inherited::default(), &h, &mut pool);
        let d = Decision {
            changes: r.changes,
            audit: r.audit.into_iter().collect(),
        };
        let seen = events::Seen {
            extensions: h.extension.into_iter().collect(),
            members: vec![member.clone()],
            states: Some(seats),
        };
        self.record(tx, ctx, org, d, seen).await
    }

    /// Where `e`'s assignment and copies come from: its holder's holding, or (unassigned)
    /// all direct, since a revoke takes the inherited copies off an extension it unassigns.
    pub(crate) async fn sources(
        tx: &mut Box<dyn Tx>,
        org: &OrgId,
        e: &seatline_domain::Extension,
    ) -> AppResult<Value> {
        let held = match &e.member {
            Some(m) => tx
                .holdings(org, std::slice::from_ref(m))
                .await?
                .into_iter()
                .next()
                .map(|(_, h)| h),
            None => None,
        };
        let h = held.unwrap_or_else(|| tpl::Holding {
            extension: Some(e.clone()),
            direct: e.addons.clone(),
            inherited: tpl::Inherited::default(),
        });
        Ok(h.sources_json())
    }

    /// Check a direct write to `e` against what teams grant it (product.md §13): an
    /// unassign, reassign or deprovision (`addons: None`), or an add-ons write dropping an
    /// inherited copy, is refused with 409 `inherited_from_team`. An allowed add-ons write to
    /// an extension holding inherited copies keeps them apart: `d`'s `SetAddons` becomes a
    /// grant whose direct part is what the write adds beyond them.
    pub(crate) async fn guard_direct_write(
        tx: &mut Box<dyn Tx>,
        org: &OrgId,
        e: &seatline_domain::Extension,
        addons: Option<&seatline_domain::Addons>,
        d: Decision,
    ) -> AppResult<Decision> {
        let Some(holder) = &e.member else {
            return Ok(d);
        };
        // Nothing inherited (always, without templates): nothing to guard, one statement.
        if !tx.inherits(org, holder).await? {
            return Ok(d);
        }
        let Some((_, h)) = tx
            .holdings(org, std::slice::from_ref(holder))
            .await?
            .into_iter()
            .next()
        else {
            return Ok(d);
        };
        tpl::check_direct_write(&h, e.key, addons)?;
        if h.inherited.addons.is_empty() {
            return Ok(d);
        }
        let changes = d
            .changes
            .into_iter()
            .map(|c| match c {
                seatline_domain::Change::SetAddons { key, addons } if key == e.key => {
                    let direct = tpl::direct_after_write(&h, &addons);
                    seatline_domain::Change::SetGrant(tpl::Grant {
                        member: holder.clone(),
                        key,
                        held: tpl::held(&direct, &h.inherited),
                        direct,
                        inherited: h.inherited.clone(),
                    })
                }
                other => other,
            })
            .collect();
        Ok(Decision {
            changes,
            audit: d.audit,
        })
    }

    /// A team's template; a team-scoped admin reads those of its teams.
    pub async fn template(&self, ctx: &Ctx, org: &OrgId, team: &str) -> AppResult<TemplateView> {
        self.guard(ctx, org, Action::ReadTeams, None)?;
        let mut tx = self.read(org).await?;
        let t = Self::visible_team(&mut tx, ctx, org, team).await?;
        let templates = tx.templates(org).await?;
        let (id, body) = need(
            templates.iter().find(|(id, _)| *id == t.id),
            "template of team",
            team,
        )?;
        Ok(TemplateView::new(id, body))
    }

    async fn locked_template_team(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        team: &str,
    ) -> AppResult<(Locked, Team, Option<Template>)> {
        self.guard(ctx, org, Action::ManageTemplates, None)?;
        let mut tx = self.lock(org).await?;
        let teams = tx.teams(org).await?;
        let t = need(
            teams.into_iter().find(|t| t.id.as_str() == team),
            "team",
            team,
        )?;
        let current = tx
            .templates(org)
            .await?
            .into_iter()
            .find(|(id, _)| *id == t.id)
            .map(|(_, b)| b);
        Ok((tx, t, current))
    }

    /// Set a team's template (`body` as product.md §13 writes it) and grant or revoke what
    /// it changes for every member of the team, in one transaction.
    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn set_template(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        team: &str,
        body: &Value,
    ) -> AppResult<TemplateView> {
        let template = Template::parse(body)?;
        let (tx, t, current) = self.locked_template_team(ctx, org, team).await?;
        self.change_template(tx, ctx, org, &t, current, Some(template.clone()))
            .await?;
        Ok(TemplateView::new(&t.id, &template))
    }

    /// Delete a team's template: what it alone granted is revoked.
    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn delete_template(&self, ctx: &Ctx, org: &OrgId, team: &str) -> AppResult<()> {
        let (tx, t, current) = self.locked_template_team(ctx, org, team).await?;
        need(current.as_ref(), "template of team", team)?;
        self.change_template(tx, ctx, org, &t, current, None)
            .await?;
        Ok(())
    }

    async fn change_template(
        &self,
        tx: Locked,
        ctx: &Ctx,
        org: &OrgId,
        t: &Team,
        before: Option<Template>,
        after: Option<Template>,
    ) -> AppResult<Vec<Reconciled>> {
        if before == after {
            return Ok(Vec::new());
        }
        let (d, changed) = template_change(t, before.as_ref(), after.as_ref());
        self.commit_reconciling(tx, ctx, org, d, &t.members, vec![changed])
            .await
    }

    /// Members' license states (`None`: every member with one).
    pub(crate) async fn license_states_of(
        tx: &mut Box<dyn Tx>,
        org: &OrgId,
        members: Option<Vec<MemberId>>,
        waiting: bool,
    ) -> AppResult<Vec<LicenseStateRow>> {
        Ok(tx
            .license_states(org, &LicenseStateQuery { members, waiting })
            .await?)
    }

    /// A member's license state, if it is in a templated team.
    pub(crate) async fn license_state(
        tx: &mut Box<dyn Tx>,
        org: &OrgId,
        member: &MemberId,
    ) -> AppResult<Option<LicenseStateView>> {
        let rows = Self::license_states_of(tx, org, Some(vec![member.clone()]), false).await?;
        Ok(rows.first().map(LicenseStateView::from))
    }

    /// The waiting room: members waiting for seats, in join order (a team-scoped admin sees
    /// the members of its teams).
    pub async fn waiting_room(&self, ctx: &Ctx, org: &OrgId) -> AppResult<Vec<LicenseStateEntry>> {
        self.guard(ctx, org, Action::ReadMembers, None)?;
        let mut tx = self.read(org).await?;
        let scope = Self::scope(&mut tx, ctx, org).await?;
        let rows = Self::license_states_of(&mut tx, org, None, true).await?;
        Ok(rows
            .iter()
            .filter(|r| scope.contains_member(&r.member))
            .map(|r| LicenseStateEntry {
                member: r.member.to_string(),
                license_state: r.into(),
            })
            .collect())
    }

    /// A template's status: counts of its team's members by state, with those waiting or
    /// in error.
    pub async fn template_status(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        team: &str,
    ) -> AppResult<TemplateStatus> {
        self.guard(ctx, org, Action::ReadTeams, None)?;
        let mut tx = self.read(org).await?;
        let t = Self::visible_team(&mut tx, ctx, org, team).await?;
        let rows = Self::license_states_of(&mut tx, org, Some(t.members.clone()), false).await?;
        let count = |s: &str| rows.iter().filter(|r| r.state.as_str() == s).count() as u64;
        let mut members: Vec<LicenseStateEntry> = Vec::new();
        for kind in ["waiting", "error"] {
            members.extend(rows.iter().filter(|r| r.state.as_str() == kind).map(|r| {
                LicenseStateEntry {
                    member: r.member.to_string(),
                    license_state: r.into(),
                }
            }));
        }
        Ok(TemplateStatus {
            team: t.id.to_string(),
            ok: count("ok"),
            waiting: count("waiting"),
            error: count("error"),
            members,
        })
    }

    /// Try a member's grant again now (after fixing the cause of an error).
    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn reprocess_member(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        member: &str,
    ) -> AppResult<Option<LicenseStateView>> {
        self.guard(ctx, org, Action::Assign, None)?;
        let mut tx = self.lock(org).await?;
        let scope = Self::scope(&mut tx, ctx, org).await?;
        let m = need(
            Self::scoped_member(&mut tx, org, &scope, member).await?,
            "member",
            member,
        )?;
        self.commit_reconciling(
            tx,
            ctx,
            org,
            Decision::default(),
            std::slice::from_ref(&m.id),
            Vec::new(),
        )
        .await?;
        let mut tx = self.read(org).await?;
        Self::license_state(&mut tx, org, &m.id).await
    }

    /// Try the grants of every member of a team again now.
    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn reprocess_team(
        &self,
        ctx: &Ctx,
        org: &OrgId,
        team: &str,
    ) -> AppResult<TemplateStatus> {
        let (tx, t, _) = self.locked_template_team(ctx, org, team).await?;
        self.commit_reconciling(tx, ctx, org, Decision::default(), &t.members, Vec::new())
            .await?;
        self.template_status(ctx, org, team).await
    }

    /// Serve the organization's waiting room: under its lock, grant in join order every
    /// waiting member whose whole grant fits (actor `system`). What the background pass
    /// runs; how many members it granted.
    #[tracing::instrument(skip_all, fields(org = %org))]
    pub async fn fill_waiting_room(&self, org: &OrgId) -> AppResult<usize> {
        let ctx = waiting_room_ctx(org);
        let tx = self.lock(org).await?;
        let results = self
            .commit_reconciling(tx, &ctx, org, Decision::default(), &[], Vec::new())
            .await?;
        Ok(results
            .iter()
            .filter(|r| r.outcome == tpl::Outcome::Grant)
            .count())
    }
}

/// How often the waiting-room pass looks for organizations with waiting members when no
/// commit of this process (or, on PostgreSQL, of another) woke it: what bounds the delay
/// after a commit by a process that cannot push (the CLI on SQLite).
const FILL_POLL: Duration = Duration::from_millis(500);

/// The background pass of `seatline serve` (product.md §13): after every commit this
/// process sees (its own; on PostgreSQL every process's, through NOTIFY) and every
/// [`FILL_POLL`], serve the waiting room of each organization that has one. Safe with several
/// processes: each fill runs under the organization's lock and reads the waiting room there,
/// so a member is granted once.
pub async fn fill_waiting_rooms_periodically(app: App) {
    let mut wakes = app.feed.subscribe();
    let mut looked = tokio::time::Instant::now();
    // What each organization's seats and templates were when a fill granted nobody: a poll
    // finding them unchanged skips the fill, whose org lock is a write (on SQLite, a turn in
    // the one writer queue) — an organization whose members wait for seats nobody frees
    // would otherwise cost a write every FILL_POLL.
    let mut idle: HashMap<OrgId, String> = HashMap::new();
    loop {
        let woke = tokio::time::timeout(FILL_POLL, wakes.next())
            .await
            .ok()
            .flatten();
        // Every organization at least every FILL_POLL, however busy the wake-ups keep it.
        let woke = woke.filter(|_| looked.elapsed() < FILL_POLL);
        if woke.is_none() {
            looked = tokio::time::Instant::now();
        }
        let orgs = match app.store.orgs_with_waiting().await {
            Ok(orgs) => orgs,
            Err(e) => {
                tracing::warn!(error = %e, "reading the waiting rooms failed");
                continue;
            }
        };
        idle.retain(|o, _| orgs.contains(o));
        for org in orgs
            .iter()
            .filter(|o| woke.as_ref().is_none_or(|w| w == *o))
        {
            let seen = match fill_state(&app, org).await {
                Ok(seen) => seen,
                Err(e) => {
                    tracing::warn!(org = %org, error = %e, "reading the waiting room failed");
                    continue;
                }
            };
            if idle.get(org) == Some(&seen) {
                continue;
            }
            match app.fill_waiting_room(org).await {
                Ok(0) => {
                    idle.insert(org.clone(), seen);
                }
                Ok(n) => {
                    idle.remove(org);
                    tracing::info!(org = %org, granted = n, "waiting room served")
                }
                Err(e) => tracing::warn!(org = %org, error = %e, "serving the waiting room failed"),
            }
        }
    }
}

/// What decides whether a waiting member's grant fits, read without a write: each code's
/// seats and subscription state, and the templates (a range widened).
async fn fill_state(app: &App, org: &OrgId) -> AppResult<String> {
    let mut tx = app.store.begin().await?;
    let seats = tx.seats(org).await?;
    let templates = tx.templates(org).await?;
    Ok(format!("{:?} {:?}", seats, templates))
}
