//! OpenAPI schemas of a plan's parts, built from the domain's own values so the document
//! cannot drift from what the planner writes.

use seatline_domain::plans::{Outcome, PlanStatus};
use seatline_domain::{Code, ErrorCode};
use utoipa::openapi::schema::{ArrayBuilder, Object, ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;

fn wire(v: impl serde::Serialize) -> serde_json::Value {
    serde_json::to_value(v).expect("domain values serialize")
}

fn text(description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .build()
}

fn integer(description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(0))
        .description(Some(description))
        .build()
}

fn one_of<T: serde::Serialize>(values: impl IntoIterator<Item = T>, description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.into_iter().map(wire)))
        .description(Some(description))
        .build()
}

fn list(item: Object, description: &str) -> Schema {
    ArrayBuilder::new()
        .items(RefOr::T(Schema::Object(item)))
        .description(Some(description))
        .build()
        .into()
}

fn object(fields: Vec<(&str, Object, bool)>, description: &str) -> Object {
    let mut b = ObjectBuilder::new().description(Some(description));
    for (name, schema, required) in fields {
        b = b.property(name, schema);
        if required {
            b = b.required(name);
        }
    }
    b.build()
}

pub fn status() -> Object {
    let all = [PlanStatus::Invalid, PlanStatus::Ready, PlanStatus::Applied].map(|s| match s {
        PlanStatus::Invalid | PlanStatus::Ready | PlanStatus::Applied => s,
    });
    one_of(
        all,
        "invalid (see errors), ready (can be applied) or applied.",
    )
}

pub fn errors() -> Schema {
    problems(
        "One problem of the file.",
        "Every problem of the file at once.",
    )
}

pub fn warnings() -> Schema {
    problems(
        "One warning: the row stands, but something about it needs attention (member_disabled).",
        "Warnings, in the shape of errors; they never block applying the plan.",
    )
}

fn problems(one: &str, all: &str) -> Schema {
    let row = ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(1))
        .description(Some(
            "Spreadsheet row (header = 1); null for problems of the whole file, such as seats.",
        ))
        .build();
    let item = object(
        vec![
            ("row", row, true),
            (
                "column",
                text("The column's header, or its letter when it has none."),
                true,
            ),
            ("value", text("The offending value."), true),
            (
                "code",
                one_of(ErrorCode::ALL.iter().copied(), "A stable error code."),
                true,
            ),
            ("message", text("What is wrong and how to fix it."), true),
        ],
        one,
    );
    list(item, all)
}

pub fn seats() -> Schema {
    let item = object(
        vec![
            ("code", one_of(Code::ALL, "A catalog code."), true),
            ("needed", integer("Seats the file needs (a bulk file's plan)."), false),
            ("available", integer("Seats available now (a bulk file's plan)."), false),
            ("freed", integer("Seats the plan gives back (a cleanup plan)."), false),
        ],
        "Seats of one code: {code, needed, available} for a bulk file, {code, freed} for a cleanup plan, {code, needed, freed, available} for a template plan.",
    );
    list(
        item,
        "Seats needed and available per code the file uses, or freed per code by a cleanup plan.",
    )
}

pub fn items() -> Schema {
    let codes: Schema = list(
        one_of(Code::addons(), "An add-on code."),
        "Add-on codes (a cleanup row: the copies it removes).",
    );
    let numbers: Schema = list(
        text("An E.164 number."),
        "Numbers to attach (a cleanup row: to detach).",
    );
    let mut item = object(
        vec![
            ("row", integer("Spreadsheet row."), true),
            (
                "outcome",
                one_of(
                    [
                        Outcome::Create,
                        Outcome::Error,
                        Outcome::Unassign,
                        Outcome::RemoveAddons,
                        Outcome::DetachNumbers,
                        Outcome::Deprovision,
                        Outcome::Grant,
                        Outcome::Revoke,
                        Outcome::Wait,
                        Outcome::Unchanged,
                    ],
                    "A bulk file's row: create, or error when the row has problems. A cleanup plan's row (product.md §11): unassign, remove_addons, detach_numbers or deprovision. A template plan's row (product.md §13), one per member: grant, revoke, wait, unchanged or error.",
                ),
                true,
            ),
            (
                "key",
                text("The extension key, when it could be read."),
                false,
            ),
            (
                "member",
                text("The member id, when it could be found (a cleanup row: the extension's holder when planned)."),
                false,
            ),
            (
                "finding",
                one_of(
                    seatline_domain::FindingKind::ALL,
                    "A cleanup row: the finding kind it resolves.",
                ),
                false,
            ),
        ],
        "What one row does.",
    );
    item.properties.insert("addons".to_owned(), RefOr::T(codes));
    item.properties
        .insert("numbers".to_owned(), RefOr::T(numbers));
    let freed = object(
        vec![
            ("code", one_of(Code::ALL, "A catalog code."), true),
            ("freed", integer("Seats the row gives back."), true),
        ],
        "Seats of one code a cleanup row gives back.",
    );
    item.properties.insert(
        "freed".to_owned(),
        RefOr::T(list(freed, "A cleanup row: the seats it gives back.")),
    );
    list(item, "Each row's outcome, in file order.")
}
