//! Team license templates (product.md §13) as stored: a team's template as its wire JSON, the
//! direct and inherited parts of what members hold, and members' license states.

use std::collections::HashMap;

use seatline_domain::templates::{Holding, State, Template};
use seatline_domain::{Addons, ErrorCode, MemberId, TeamId};
use serde_json::Value;

use crate::decode::{self, corrupt, KeyedParts};
use crate::Result;

/// A member's license state as stored; `seq` orders the waiting room (join order).
#[derive(Debug, Clone, PartialEq)]
pub struct LicenseStateRow {
    pub member: MemberId,
    pub state: State,
    pub teams: Vec<TeamId>,
    pub since: String,
    pub seq: i64,
}

/// Which license states to read.
#[derive(Debug, Clone, Default)]
pub struct LicenseStateQuery {
    /// Only these members; `None` for all.
    pub members: Option<Vec<MemberId>>,
    /// Only the waiting ones (the waiting room), in join order.
    pub waiting: bool,
}

/// A stored template body, validated as when it was written.
pub fn template(team: String, body: &str) -> Result<(TeamId, Template)> {
    let v: Value = serde_json::from_str(body).map_err(|_| corrupt("template", body))?;
    let t = Template::parse(&v).map_err(|_| corrupt("template", body))?;
    Ok((TeamId(team), t))
}

/// One stored license state: member, state, code, teams (JSON list), since, seq.
pub fn license_state(
    (member, state, code, teams, since, seq): (String, String, Option<String>, String, String, i64),
) -> Result<LicenseStateRow> {
    let code = code
        .map(|c| {
            serde_json::from_value::<ErrorCode>(Value::String(c.clone()))
                .map_err(|_| corrupt("license state code", c))
        })
        .transpose()?;
    let parsed = State::parse(&state, code).ok_or_else(|| corrupt("license state", &state))?;
    let teams: Vec<TeamId> =
        serde_json::from_str(&teams).map_err(|_| corrupt("license state teams", &teams))?;
    Ok(LicenseStateRow {
        member: MemberId(member),
        state: parsed,
        teams,
        since,
        seq,
    })
}

/// The stored parts of members' holdings, each read by one statement for all the members.
#[derive(Default)]
pub struct HoldingRows {
    /// (key, member) of the members' extensions.
    pub extensions: Vec<(i64, String)>,
    /// (key, code, held copies, direct copies).
    pub addons: Vec<(i64, String, i64, i64)>,
    /// (key, number), sorted by number.
    pub numbers: Vec<(i64, String)>,
    /// (key, code, team, copies) the teams grant.
    pub inherited: Vec<(i64, String, String, i64)>,
    /// (member, team) of inherited assignments.
    pub assignments: Vec<(String, String)>,
}

impl HoldingRows {
    /// Each member that holds an extension, with its direct and inherited parts.
    pub fn holdings(self) -> Result<Vec<(MemberId, Holding)>> {
        let mut parts = KeyedParts::default();
        let mut direct: HashMap<i64, Addons> = HashMap::new();
        for (k, c, copies, d) in &self.addons {
            parts.add_addon(*k, c, *copies)?;
            direct
                .entry(*k)
                .or_default()
                .add(decode::code(c)?, *d as u32);
        }
        for (k, n) in &self.numbers {
            parts.add_number(*k, n)?;
        }
        let mut inherited: HashMap<i64, seatline_domain::templates::Inherited> = HashMap::new();
        for (k, c, team, copies) in self.inherited {
            inherited
                .entry(k)
                .or_default()
                .addons
                .entry(decode::code(&c)?)
                .or_default()
                .insert(TeamId(team), copies as u32);
        }
        let mut assigned: HashMap<String, Vec<TeamId>> = HashMap::new();
        for (m, t) in self.assignments {
            assigned.entry(m).or_default().push(TeamId(t));
        }
        let mut out = Vec::with_capacity(self.extensions.len());
        for (k, member) in self.extensions {
            let mut inh = inherited.remove(&k).unwrap_or_default();
            // The rule a team asked with is not stored with the assignment; only its team is
            // read back, so every inherited assignment reads as "next free key" (it is not
            // used again: the extension exists).
            for t in assigned.remove(&member).unwrap_or_default() {
                inh.extension
                    .insert(t, seatline_domain::templates::ExtensionRule::Next);
            }
            let ext = parts.extension(k, Some(member.clone()))?;
            out.push((
                MemberId(member),
                Holding {
                    extension: Some(ext),
                    direct: direct.remove(&k).unwrap_or_default(),
                    inherited: inh,
                },
            ));
        }
        Ok(out)
    }
}
