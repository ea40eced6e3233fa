//! OpenAPI schemas of the domain values that appear in the views. The domain crate stays free
//! of documentation concerns; the enumerations here are built from the domain's own values
//! (serialized the way the wire shows them), so the document cannot drift from the code.

use seatline_domain::{CcRole, Code, Kind, Missing, Reason, Role, Status, SubState};
use serde::Serialize;
use utoipa::openapi::schema::{ArrayBuilder, Object, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::RefOr;

fn wire(v: impl Serialize) -> serde_json::Value {
    serde_json::to_value(v).expect("domain values serialize")
}

fn one_of<T: Serialize>(values: impl IntoIterator<Item = T>, description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.into_iter().map(wire)))
        .description(Some(description))
        .build()
}

fn array_of(item: Object, description: &str) -> Schema {
    ArrayBuilder::new()
        .items(RefOr::T(Schema::Object(item)))
        .description(Some(description))
        .build()
        .into()
}

/// A catalog code.
pub fn code() -> Object {
    one_of(Code::ALL, "A catalog code (product.md §1).")
}

/// A list of catalog codes, one entry per copy.
pub fn codes() -> Schema {
    array_of(
        code(),
        "Catalog codes, one entry per copy, in catalog order.",
    )
}

pub fn kind() -> Object {
    // The match is exhaustive: a new kind fails to compile here until it is listed.
    let all = [Kind::Base, Kind::Addon].map(|k| match k {
        Kind::Base | Kind::Addon => k,
    });
    one_of(all, "base (phone_system) or addon.")
}

pub fn role() -> Object {
    let all = [Role::Owner, Role::Admin, Role::Member].map(|r| match r {
        Role::Owner | Role::Admin | Role::Member => r,
    });
    one_of(all, "The member's role in its organization.")
}

pub fn status() -> Object {
    let all = [Status::Active, Status::Disabled].map(|s| match s {
        Status::Active | Status::Disabled => s,
    });
    one_of(
        all,
        "A disabled member keeps its extension but loses all access.",
    )
}

/// The derived Contact Center view of a member (product.md §4).
pub fn contact_center() -> Object {
    let roles = [CcRole::Supervisor, CcRole::Agent].map(|r| match r {
        CcRole::Supervisor | CcRole::Agent => r,
    });
    let missing = [
        Missing::MemberDisabled,
        Missing::NoExtension,
        Missing::LicenseCenter,
        Missing::Device,
        Missing::SubscriptionSuspended,
        Missing::SubscriptionTerminated,
        Missing::PhoneSystemNotEffective,
    ]
    .map(|m| match m {
        Missing::MemberDisabled
        | Missing::NoExtension
        | Missing::LicenseCenter
        | Missing::Device
        | Missing::SubscriptionSuspended
        | Missing::SubscriptionTerminated
        | Missing::PhoneSystemNotEffective => m,
    });
    ObjectBuilder::new()
        .property(
            "role",
            one_of(
                roles,
                "supervisor for an owner or admin, agent for a member.",
            ),
        )
        .required("role")
        .property(
            "ready",
            ObjectBuilder::new().schema_type(Type::Boolean).build(),
        )
        .required("ready")
        .property(
            "missing",
            array_of(
                one_of(missing, "Something the member lacks to be ready."),
                "Empty when ready.",
            ),
        )
        .required("missing")
        .build()
}

/// A subscription's state (product.md §10).
pub fn sub_state() -> Object {
    one_of(
        SubState::ALL,
        "active; expired (grace: still effective, no new copies); suspended (not effective); terminated (never effective).",
    )
}

/// Per code on an extension: whether it gives service now, and why not (product.md §10).
pub fn effective() -> Schema {
    let reasons = [
        Reason::SubscriptionSuspended,
        Reason::SubscriptionTerminated,
        Reason::MemberDisabled,
        Reason::PhoneSystemNotEffective,
    ]
    .map(|r| match r {
        Reason::SubscriptionSuspended
        | Reason::SubscriptionTerminated
        | Reason::MemberDisabled
        | Reason::PhoneSystemNotEffective => r,
    });
    let item = ObjectBuilder::new()
        .property("code", code())
        .required("code")
        .property(
            "effective",
            ObjectBuilder::new().schema_type(Type::Boolean).build(),
        )
        .required("effective")
        .property(
            "reason",
            // null while the code is effective
            ObjectBuilder::new()
                .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
                .enum_values(Some(
                    reasons
                        .into_iter()
                        .map(wire)
                        .chain([serde_json::Value::Null]),
                ))
                .description(Some("Why the code is not effective; null when it is."))
                .build(),
        )
        .required("reason")
        .build();
    array_of(
        item,
        "The extension itself (phone_system) first, then each add-on code it holds.",
    )
}
