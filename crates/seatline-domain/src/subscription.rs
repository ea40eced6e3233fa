//! A subscription of one code and its values (state, unit price, currency): the entity the
//! model's changes carry and the lifecycle rules (lifecycle.rs) move, kept below both so that
//! neither imports the other.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::catalog::Code;
use crate::error::{Error, ErrorCode};

/// Where a subscription stands with billing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubState {
    #[default]
    Active,
    Expired,
    Suspended,
    Terminated,
}

impl SubState {
    pub const ALL: [SubState; 4] = [
        SubState::Active,
        SubState::Expired,
        SubState::Suspended,
        SubState::Terminated,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            SubState::Active => "active",
            SubState::Expired => "expired",
            SubState::Suspended => "suspended",
            SubState::Terminated => "terminated",
        }
    }
    /// Whether copies of the code give service: in grace (`expired`) they still do.
    pub fn is_effective(self) -> bool {
        matches!(self, SubState::Active | SubState::Expired)
    }
}

impl fmt::Display for SubState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SubState {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        SubState::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::InvalidState,
                    format!("state {s:?} is not one of active, expired, suspended, terminated"),
                )
                .detail("field", "state")
            })
    }
}

/// A unit price as a decimal string (up to 4 decimals), kept exactly as money should be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Price(String);

impl Price {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Price {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let t = s.trim();
        let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
        let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        let ok = (1..=9).contains(&whole.len())
            && digits(whole)
            && digits(frac)
            && frac.len() <= 4
            && !(t.contains('.') && frac.is_empty());
        if !ok {
            return Err(Error::new(
                ErrorCode::InvalidPrice,
                format!("unit_price {t:?} must be a decimal amount ≥ 0 with at most 4 decimals, e.g. \"12.50\""),
            )
            .detail("field", "unit_price"));
        }
        Ok(Price(t.to_owned()))
    }
}

/// An ISO 4217 currency code: three capital letters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Currency(String);

impl Currency {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Currency {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let t = s.trim().to_ascii_uppercase();
        if t.len() != 3 || !t.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(Error::new(
                ErrorCode::InvalidCurrency,
                format!("currency {s:?} must be a three-letter ISO 4217 code, e.g. EUR"),
            )
            .detail("field", "currency"));
        }
        Ok(Currency(t))
    }
}

/// One organization's subscription of one code.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    pub code: Code,
    pub quantity: u32,
    pub state: SubState,
    /// The last day of service of the current term; `None` = no end (renews until told).
    pub term_end: Option<NaiveDate>,
    /// When the current state began; `None` for a subscription never moved since it was bought.
    pub state_since: Option<DateTime<Utc>>,
    pub unit_price: Option<Price>,
    pub currency: Option<Currency>,
}

impl Subscription {
    /// What a code never set by the operator is: active, none purchased.
    pub fn none(code: Code) -> Self {
        Subscription {
            code,
            quantity: 0,
            state: SubState::Active,
            term_end: None,
            state_since: None,
            unit_price: None,
            currency: None,
        }
    }
}
