//! What `/scim/v2` says about itself (RFC 7643 §5–§7): the service provider's configuration,
//! the User resource type, and the schemas of the User and of Seatline's extension. The
//! attribute tables here are the ones the resource and PATCH code read and write.

use serde_json::{json, Value};

/// The media type of every SCIM answer.
pub(crate) const SCIM_JSON: &str = "application/scim+json";

pub(crate) const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub(crate) const SEATLINE: &str = "urn:ietf:params:scim:schemas:extension:seatline:2.0:User";
pub(crate) const LIST: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub(crate) const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub(crate) const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub(crate) const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub(crate) const SEARCH: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
const SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
const RESOURCE_TYPE: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const CONFIG: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";

/// Largest page a list answers with; larger `count`s are cut to it.
pub(crate) const MAX_RESULTS: u32 = seatline_app::scim::MAX_SCIM_PAGE;

fn attr(name: &str, kind: &str, mutability: &str, description: &str) -> Value {
    json!({
        "name": name, "type": kind, "multiValued": false, "description": description,
        "required": false, "caseExact": false, "mutability": mutability,
        "returned": "default", "uniqueness": "none"
    })
}

fn user_schema() -> Value {
    let mut user_name = attr(
        "userName",
        "string",
        "readWrite",
        "The member's email: unique in the organization, compared case-insensitively.",
    );
    user_name["required"] = json!(true);
    user_name["uniqueness"] = json!("server");
    let mut name = attr(
        "name",
        "complex",
        "readWrite",
        "The member's name; Seatline keeps one name, shown as formatted and split at the first space.",
    );
    name["subAttributes"] = json!([
        attr("formatted", "string", "readWrite", "The full name."),
        attr(
            "givenName",
            "string",
            "readWrite",
            "The name up to the first space."
        ),
        attr(
            "familyName",
            "string",
            "readWrite",
            "The name after the first space."
        ),
    ]);
    let mut emails = attr(
        "emails",
        "complex",
        "readWrite",
        "One work email: the same as userName.",
    );
    emails["multiValued"] = json!(true);
    emails["subAttributes"] = json!([
        attr("value", "string", "readWrite", "The email."),
        attr("type", "string", "readWrite", "Always work."),
        attr("primary", "boolean", "readWrite", "Always true."),
    ]);
    let mut groups = attr(
        "groups",
        "complex",
        "readOnly",
        "Not kept by Seatline: always empty.",
    );
    groups["multiValued"] = json!(true);
    json!({
        "schemas": [SCHEMA],
        "id": USER,
        "name": "User",
        "description": "A member of the organization.",
        "attributes": [
            user_name,
            name,
            attr("displayName", "string", "readWrite", "The member's name."),
            emails,
            attr("active", "boolean", "readWrite", "false disables the member: it keeps its extension and add-ons but loses all access and entitlements."),
            groups,
        ],
        "meta": {"resourceType": "Schema", "location": format!("/scim/v2/Schemas/{USER}")}
    })
}

/// The single-valued attributes of Seatline's extension, as (name, SCIM type, mutability,
/// description). Entra ID maps only single-valued extension attributes.
pub(crate) const SEATLINE_ATTRIBUTES: &[(&str, &str, &str, &str)] = &[
    ("extension", "string", "readWrite", "The extension key (3 to 5 digits) the member holds; a free key is provisioned from a phone_system seat."),
    ("phoneSystem", "boolean", "readWrite", "Whether the member holds an extension; true without an extension key provisions the next free key, false unassigns it (it stays provisioned with its add-ons)."),
    ("deviceIpPhone", "boolean", "readWrite", "device_ip_phone on the member's extension."),
    ("deviceWebRtc", "boolean", "readWrite", "device_web_rtc on the member's extension."),
    ("contactCenter", "boolean", "readWrite", "license_center on the member's extension."),
    ("callRecording", "boolean", "readWrite", "call_recording on the member's extension."),
    ("dncChecking", "boolean", "readWrite", "license_dnc_checking_enabled on the member's extension."),
    ("teamChat", "boolean", "readWrite", "team_chat on the member's extension."),
    ("deviceMobileApp", "integer", "readWrite", "Copies of device_mobile_app on the member's extension."),
    ("deviceDesktopApp", "integer", "readWrite", "Copies of device_desktop_app on the member's extension."),
    ("phoneNumber", "string", "readWrite", "The extension's (first) number, E.164, from the organization's inventory; adds the license_number it needs."),
    ("contactCenterRole", "string", "readOnly", "supervisor (owner, admin) or agent (member)."),
    ("contactCenterReady", "boolean", "readOnly", "Active, with an extension holding an effective license_center and an effective device."),
    ("effective", "complex", "readOnly", "Per code on the extension (phone_system first): {code, effective, reason}; reason is subscription_suspended, subscription_terminated, member_disabled or phone_system_not_effective when the code gives no service now."),
];

fn seatline_schema() -> Value {
    let attributes: Vec<Value> = SEATLINE_ATTRIBUTES
        .iter()
        .map(|(name, kind, mutability, description)| {
            let mut a = attr(name, kind, mutability, description);
            if *name == "effective" {
                // One entry per code: the only multi-valued attribute, read-only, so an
                // identity provider never maps it.
                a["multiValued"] = json!(true);
                a["subAttributes"] = json!([
                    attr(
                        "code",
                        "string",
                        "readOnly",
                        "The catalog code (phone_system first)."
                    ),
                    attr(
                        "effective",
                        "boolean",
                        "readOnly",
                        "Whether the code gives service now."
                    ),
                    attr("reason", "string", "readOnly", "Why not, when it does not."),
                ]);
            }
            a
        })
        .collect();
    json!({
        "schemas": [SCHEMA],
        "id": SEATLINE,
        "name": "SeatlineUser",
        "description": "The member's extension, add-ons and number, drawn from the organization's purchased seats.",
        "attributes": attributes,
        "meta": {"resourceType": "Schema", "location": format!("/scim/v2/Schemas/{SEATLINE}")}
    })
}

/// Groups are teams (product.md §12).
fn group_schema() -> Value {
    let mut name = attr(
        "displayName",
        "string",
        "readWrite",
        "The team's name: 1 to 100 characters, unique in the organization ignoring case.",
    );
    name["required"] = json!(true);
    name["uniqueness"] = json!("server");
    let mut members = attr(
        "members",
        "complex",
        "readWrite",
        "The team's members (Users); a member may be in several teams.",
    );
    members["multiValued"] = json!(true);
    members["subAttributes"] = json!([
        attr("value", "string", "immutable", "The member's id."),
        attr("$ref", "reference", "immutable", "The member's User."),
        attr("type", "string", "immutable", "Always User."),
    ]);
    json!({
        "schemas": [SCHEMA],
        "id": GROUP,
        "name": "Group",
        "description": "A team of the organization; admins may be limited to teams.",
        "attributes": [name, members],
        "meta": {"resourceType": "Schema", "location": format!("/scim/v2/Schemas/{GROUP}")}
    })
}

pub(crate) fn schemas() -> Vec<Value> {
    vec![user_schema(), seatline_schema(), group_schema()]
}

pub(crate) fn resource_types() -> Vec<Value> {
    vec![
        json!({
            "schemas": [RESOURCE_TYPE],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "Members of the organization",
            "schema": USER,
            "schemaExtensions": [{"schema": SEATLINE, "required": false}],
            "meta": {"resourceType": "ResourceType", "location": "/scim/v2/ResourceTypes/User"}
        }),
        json!({
            "schemas": [RESOURCE_TYPE],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "Teams of the organization",
            "schema": GROUP,
            "meta": {"resourceType": "ResourceType", "location": "/scim/v2/ResourceTypes/Group"}
        }),
    ]
}

pub(crate) fn service_provider_config() -> Value {
    json!({
        "schemas": [CONFIG],
        "documentationUri": "/api/docs",
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "A SCIM token the organization's owner creates under SCIM settings.",
            "primary": true
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": "/scim/v2/ServiceProviderConfig"}
    })
}
