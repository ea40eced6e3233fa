//! Who is looking at a page: the extractors every handler starts with. `Viewer` is any
//! signed-in member, `Admin` an owner or admin; `Post` also reads a form and refuses it
//! unless it carries the session's CSRF token.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use seatline_app::views::MemberView;
use seatline_app::Ctx;
use seatline_domain::{OrgId, Role};

use crate::error::UiError;
use crate::session::{self, Flash, Session};
use crate::UiState;

/// A signed-in member, read afresh from the store on every request.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub ctx: Ctx,
    pub org: OrgId,
    pub org_name: String,
    pub me: MemberView,
    pub csrf: String,
    /// The session this request came with, to re-issue after the member's own password change.
    pub session: Session,
    /// The message a redirect left for this page, if any.
    pub flash: Option<Flash>,
}

impl Viewer {
    pub fn role(&self) -> Role {
        self.me.role
    }
    pub fn is_admin(&self) -> bool {
        matches!(self.role(), Role::Owner | Role::Admin)
    }
    pub fn is_owner(&self) -> bool {
        self.role() == Role::Owner
    }
    /// An admin limited to teams (product.md §12).
    pub fn is_scoped(&self) -> bool {
        matches!(
            &self.ctx.actor,
            seatline_domain::permissions::Actor::Member { scope: Some(_), .. }
        )
    }
    /// The owner and whole-organization admins manage teams.
    pub fn manages_teams(&self) -> bool {
        self.is_admin() && !self.is_scoped()
    }
}

impl FromRequestParts<UiState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &UiState) -> Result<Self, Response> {
        let to_sign_in = || Redirect::to("/ui/sign-in").into_response();
        let Some(sess) = s.keys.session(&parts.headers) else {
            return Err(to_sign_in());
        };
        // A member disabled or deleted since signing in, or whose sessions were ended since
        // (sign-out, password change), is sent back to sign in.
        let Ok(ctx) = s.app.session(&sess.org, &sess.member, sess.epoch).await else {
            let mut res = to_sign_in();
            s.keys.end_session(res.headers_mut());
            return Err(res);
        };
        let load = async {
            let me = s.app.member(&ctx, &sess.org, sess.member.as_str()).await?;
            let mut tx = s.app.store().begin().await?;
            let org_name = tx.org(&sess.org).await?.map(|o| o.name).unwrap_or_default();
            Ok::<_, seatline_app::AppError>((me, org_name))
        };
        let (me, org_name) = load.await.map_err(|e| UiError::from(e).into_response())?;
        Ok(Viewer {
            ctx,
            org: sess.org.clone(),
            org_name,
            me,
            csrf: sess.csrf.clone(),
            session: sess,
            flash: s.keys.flash(&parts.headers),
        })
    }
}

/// An owner or admin; a member is shown a page saying the page is not for its role.
#[derive(Debug, Clone)]
pub struct Admin(pub Viewer);

impl FromRequestParts<UiState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &UiState) -> Result<Self, Response> {
        let v = Viewer::from_request_parts(parts, s).await?;
        if v.is_admin() {
            Ok(Admin(v))
        } else {
            Err(UiError::Forbidden.into_response())
        }
    }
}

impl AsRef<Viewer> for Viewer {
    fn as_ref(&self) -> &Viewer {
        self
    }
}

impl AsRef<Viewer> for Admin {
    fn as_ref(&self) -> &Viewer {
        &self.0
    }
}

/// The fields of a submitted form, in order; a name may repeat.
#[derive(Debug, Clone, Default)]
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The first value of a field, trimmed; empty when absent.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    }
    /// Every non-empty value of a field.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_owned())
            .collect()
    }
}

/// A form posted by a signed-in user `U` carrying its session's CSRF token.
pub struct Post<U> {
    pub user: U,
    pub fields: Fields,
}

impl<U> FromRequest<UiState> for Post<U>
where
    U: FromRequestParts<UiState, Rejection = Response> + AsRef<Viewer> + Send,
{
    type Rejection = Response;

    async fn from_request(req: Request, s: &UiState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let user = U::from_request_parts(&mut parts, s).await?;
        let req = Request::from_parts(parts, body);
        let Form(fields) = Form::<Vec<(String, String)>>::from_request(req, s)
            .await
            .map_err(IntoResponse::into_response)?;
        let fields = Fields(fields);
        if !session::same(fields.get("csrf"), &user.as_ref().csrf) {
            return Err(UiError::Csrf.into_response());
        }
        Ok(Post { user, fields })
    }
}

/// Redirect after a successful form, leaving a message for the next page.
pub fn done(s: &UiState, to: &str, message: impl Into<String>) -> Response {
    let mut res = Redirect::to(to).into_response();
    s.keys.set_flash(res.headers_mut(), &Flash::new(message));
    res
}
