//! Guides served by Seatline itself, for the admin of a hosted service who has no README:
//! how to connect Entra ID or Okta over SCIM. The page needs no sign-in (whoever sets up
//! the identity provider may have no Seatline account) and holds nothing secret; the base
//! URL is the one this server answers SCIM at, as the browser reached it.

use axum::http::HeaderMap;
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use maud::{html, Markup};

use crate::layout;
use crate::shell;
use crate::UiState;

/// The guides' routes (no sign-in).
pub(crate) fn routes() -> Router<UiState> {
    Router::new().route("/ui/docs/scim", get(scim))
}

/// The Seatline extension's schema URN; its attributes are named under it.
const EXT: &str = "urn:ietf:params:scim:schemas:extension:seatline:2.0:User";

/// The Seatline attributes an identity provider maps: name, SCIM type, what it sets.
const SEAT: &[(&str, &str, &str)] = &[
    ("extension", "String", "The extension key; a free key is provisioned from a Phone System seat."),
    ("phoneSystem", "Boolean", "True without a key provisions the next free key from 1000; false unassigns (the extension stays provisioned with its add-ons)."),
    ("contactCenter", "Boolean", "The Contact Center license."),
    ("deviceIpPhone", "Boolean", "The IP Phone add-on."),
    ("deviceWebRtc", "Boolean", "The Web Phone add-on."),
    ("deviceMobileApp", "Integer", "Copies of the Mobile add-on."),
    ("deviceDesktopApp", "Integer", "Copies of the Desktop add-on."),
    ("callRecording", "Boolean", "Call Recording."),
    ("dncChecking", "Boolean", "DNC checking."),
    ("teamChat", "Boolean", "Team Chat."),
    ("phoneNumber", "String", "An E.164 number from the organization's inventory; brings the Number add-on it needs."),
    ("contactCenterRole", "String", "Read-only: supervisor or agent."),
    ("contactCenterReady", "Boolean", "Read-only: whether the member is ready for the Contact Center."),
];

fn guide(base: &str) -> Markup {
    html! {
        (layout::title_bar("Connect Entra ID or Okta (SCIM 2.0)", Some("Let your identity provider create, update, disable and delete members, their seats and teams."), html! {
            a.btn href="/ui/scim" { "SCIM settings" }
        }))
        section.card #docs-start aria-labelledby="start-h" {
            h2 #start-h { "What you need" }
            dl.facts {
                dt { "Base URL (Entra ID: Tenant URL; Okta: SCIM connector base URL)" }
                dd { code.mono #docs-base-url { (base) } }
                dt { "Token" }
                dd { "A SCIM token: the organization's owner creates one under "
                    a href="/ui/scim" { "Settings → SCIM" } "; it is shown once. Send it as a Bearer token." }
            }
            p.hint { "Every write goes through the same rules and seat limits as the admin UI, in one transaction, "
                "and is audited as scim:{token id}. A refused write changes nothing." }
        }
        section.card #docs-entra aria-labelledby="entra-h" {
            h2 #entra-h { "Microsoft Entra ID" }
            ol {
                li { "Enterprise applications → New application → Create your own application (non-gallery)." }
                li { "Provisioning → Automatic: Tenant URL " code { (base) } ", Secret Token the SCIM token; Test Connection, Save." }
                li { "Mappings → Provision Microsoft Entra ID Users: keep "
                    code { "userPrincipalName → userName" } " (matching, precedence 1), "
                    code { "Switch([IsSoftDeleted], , \"False\", \"True\", \"True\", \"False\") → active" } ", "
                    code { "displayName → displayName" } ", " code { "givenName → name.givenName" } ", "
                    code { "surname → name.familyName" } ", " code { "objectId → externalId" }
                    ". Mappings Seatline does not keep may stay: they are accepted and ignored." }
                li { "Show advanced options → Edit attribute list: add each Seatline attribute you map, e.g. "
                    code { (EXT) ":contactCenter" } " (Boolean), then map a source to it: a directory extension "
                    "attribute, or a constant such as " code { "\"True\"" } " on an application scoped to your agents' group." }
                li { "Mappings → Provision Microsoft Entra ID Groups: enable it to keep Seatline's teams in step with the assigned groups." }
            }
        }
        section.card #docs-okta aria-labelledby="okta-h" {
            h2 #okta-h { "Okta" }
            ol {
                li { "Applications → Create App Integration (SWA or SAML), then General → Provisioning: SCIM." }
                li { "Provisioning → Integration: SCIM connector base URL " code { (base) } ", Unique identifier field "
                    code { "userName" } ", actions Push New Users, Push Profile Updates and Push Groups, "
                    "Authentication Mode HTTP Header with the SCIM token." }
                li { "Provisioning → To App: enable Create Users, Update User Attributes and Deactivate Users "
                    "(deactivating disables the member, who keeps its extension)." }
                li { "Profile Editor: add attributes with external namespace " code { (EXT) } " and external names "
                    code { "contactCenter" } ", " code { "deviceIpPhone" } ", " code { "extension" } ", … as in the table below. "
                    "A full-profile update without them leaves the member's seat as it is." }
            }
        }
        section.card #docs-mappings aria-labelledby="map-h" {
            h2 #map-h { "Attribute mappings" }
            div.table-wrap {
                table.data {
                    caption.sr-only { "How SCIM User attributes map to Seatline" }
                    thead { tr { th scope="col" { "SCIM attribute" } th scope="col" { "Type" } th scope="col" { "In Seatline" } } }
                    tbody {
                        tr { th scope="row" { code { "userName" } } td { "String" } td { "The member's email (also " code { "emails[type eq \"work\"].value" } "); matched ignoring case." } }
                        tr { th scope="row" { code { "displayName" } } td { "String" } td { "The member's name; or " code { "name.formatted" } ", or " code { "name.givenName" } " + " code { "name.familyName" } "." } }
                        tr { th scope="row" { code { "active" } } td { "Boolean" } td { "False disables the member, who keeps its extension and add-ons." } }
                        tr { th scope="row" { code { "externalId" } } td { "String" } td { "The identity provider's id, stored as given." } }
                        tr { th scope="row" { code { "id" } } td { "String" } td { "Read-only: the member id." } }
                        @for (name, kind, what) in SEAT {
                            tr { th scope="row" { code { (EXT) ":" (name) } } td { (kind) } td { (what) } }
                        }
                    }
                }
            }
            p.hint { "Deleting a user disables and deletes the member; its extension stays provisioned, unassigned. "
                "The owner cannot be disabled or deleted through SCIM, and roles are not changed through SCIM: members created "
                "this way get the member role." }
        }
        section.card #docs-groups aria-labelledby="groups-h" {
            h2 #groups-h { "Groups are teams" }
            p { "SCIM Groups at " code { (base) "/Groups" } " are the organization's teams: a pushed group creates a team, "
                "renaming the group renames it, members added or removed are added to or removed from it, and deleting "
                "the group deletes the team. A group member who is not a member of the organization is refused. "
                "Admins limited to some teams then reach the members the directory puts there." }
        }
    }
}

pub async fn scim(headers: HeaderMap) -> Html<String> {
    Html(
        shell::bare(
            "SCIM setup guide",
            guide(&seatline_app::scim_url::from_headers(&headers)),
        )
        .into_string(),
    )
}
