//! `seatline webhook`: manage an organization's webhook endpoints and follow their
//! deliveries from a shell, as the owner (or `--as` another admin).

use std::process::ExitCode;

use clap::{Args, Subcommand};
use seatline_app::webhooks::{DeliveryView, NewWebhook, ReplayRequest, WebhookPatch, WebhookView};
use seatline_app::{App, AppResult};

use crate::context::{ctx, OrgArg};
use crate::output::{fail, print_json, table};

#[derive(Subcommand)]
pub enum WebhookCmd {
    /// Create an endpoint; prints its signing secret, shown this once.
    Create(CreateArgs),
    /// The organization's endpoints.
    List(OrgArg),
    /// Stop sending to an endpoint (deliveries wait until it is enabled again).
    Disable(WebhookArg),
    /// Send to an endpoint again, resuming where it stopped.
    Enable(WebhookArg),
    /// Delete an endpoint and its deliveries.
    Delete(WebhookArg),
    /// Send a webhook.test event to the endpoint.
    Test(WebhookArg),
    /// An endpoint's deliveries, newest first.
    Deliveries(DeliveriesArgs),
    /// Deliver the events with AFTER < seq <= UNTIL again, under their own ids.
    Replay(ReplayArgs),
    /// A new signing secret; the old one keeps signing beside it for 24 hours.
    RotateSecret(WebhookArg),
}

#[derive(Args)]
pub struct CreateArgs {
    #[command(flatten)]
    org: OrgArg,
    /// Where to POST events, e.g. https://pbx.example.com/hooks.
    url: String,
    /// Only these event types or prefixes (repeat, or comma-separate), e.g. extension.*.
    #[arg(long = "types", value_delimiter = ',')]
    types: Vec<String>,
    #[arg(long)]
    description: Option<String>,
    /// Allow a loopback, private or link-local target, as `serve --webhooks-allow-private`.
    #[arg(long, env = "SEATLINE_WEBHOOKS_ALLOW_PRIVATE")]
    webhooks_allow_private: bool,
}

#[derive(Args)]
pub struct WebhookArg {
    #[command(flatten)]
    org: OrgArg,
    /// Webhook id (whk_…).
    id: String,
}

#[derive(Args)]
pub struct DeliveriesArgs {
    #[command(flatten)]
    hook: WebhookArg,
    /// Only pending, delivering, succeeded or failed deliveries.
    #[arg(long)]
    status: Option<String>,
    #[arg(long, default_value_t = 50)]
    limit: u32,
}

#[derive(Args)]
pub struct ReplayArgs {
    #[command(flatten)]
    hook: WebhookArg,
    /// Replay events after this seq…
    #[arg(long)]
    after: i64,
    /// …up to and including this one.
    #[arg(long)]
    until: i64,
}

fn webhook_rows(items: &[WebhookView]) -> String {
    let rows = items
        .iter()
        .map(|w| {
            vec![
                w.id.clone(),
                w.url.clone(),
                if w.types.is_empty() {
                    "*".to_owned()
                } else {
                    w.types.join(", ")
                },
                match (&w.enabled, &w.disabled_reason) {
                    (true, _) => "enabled".to_owned(),
                    (false, Some(r)) => format!("disabled: {r}"),
                    (false, None) => "disabled".to_owned(),
                },
                w.failing_since.clone().unwrap_or_default(),
            ]
        })
        .collect();
    table(&["id", "url", "types", "state", "failing since"], rows)
}

fn delivery_rows(items: &[DeliveryView]) -> String {
    let rows = items
        .iter()
        .map(|d| {
            vec![
                d.id.to_string(),
                d.event_seq.to_string(),
                d.event_type.clone(),
                d.status.clone(),
                d.attempts.to_string(),
                d.last_status.map(|s| s.to_string()).unwrap_or_default(),
                d.last_error.clone().unwrap_or_default(),
                d.next_attempt_at.clone().unwrap_or_default(),
            ]
        })
        .collect();
    table(
        &[
            "id",
            "seq",
            "type",
            "status",
            "attempts",
            "last status",
            "last error",
            "next attempt",
        ],
        rows,
    )
}

pub async fn run(app: &App, cmd: WebhookCmd, json: bool) -> ExitCode {
    match exec(app, cmd, json).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e, json),
    }
}

async fn set_enabled(app: &App, a: &WebhookArg, enabled: bool) -> AppResult<WebhookView> {
    let (c, org) = ctx(app, &a.org, false).await?;
    let patch = WebhookPatch {
        enabled: Some(enabled),
        ..WebhookPatch::default()
    };
    app.update_webhook(&c, &org, &a.id, patch).await
}

async fn exec(app: &App, cmd: WebhookCmd, json: bool) -> AppResult<()> {
    match cmd {
        WebhookCmd::Create(a) => {
            let (c, org) = ctx(app, &a.org, false).await?;
            let app = app
                .clone()
                .with_webhook_settings(seatline_app::webhooks::Settings {
                    allow_private: a.webhooks_allow_private,
                    ..Default::default()
                });
            let input = NewWebhook {
                url: a.url,
                types: Some(a.types),
                description: a.description,
            };
            let w = app.create_webhook(&c, &org, input).await?;
            if json {
                print_json(&w);
            } else {
                println!("created webhook {} → {}", w.webhook.id, w.webhook.url);
                println!("signing secret (shown once): {}", w.secret);
            }
        }
        WebhookCmd::List(o) => {
            let (c, org) = ctx(app, &o, false).await?;
            let items = app.webhooks(&c, &org).await?;
            if json {
                print_json(&items);
            } else {
                println!("{}", webhook_rows(&items));
            }
        }
        WebhookCmd::Disable(a) => {
            let w = set_enabled(app, &a, false).await?;
            if json {
                print_json(&w)
            } else {
                println!("{}", webhook_rows(&[w]))
            }
        }
        WebhookCmd::Enable(a) => {
            let w = set_enabled(app, &a, true).await?;
            if json {
                print_json(&w)
            } else {
                println!("{}", webhook_rows(&[w]))
            }
        }
        WebhookCmd::Delete(a) => {
            let (c, org) = ctx(app, &a.org, false).await?;
            app.delete_webhook(&c, &org, &a.id).await?;
            if json {
                print_json(&serde_json::json!({"deleted": a.id}));
            } else {
                println!("deleted webhook {}", a.id);
            }
        }
        WebhookCmd::Test(a) => {
            let (c, org) = ctx(app, &a.org, false).await?;
            let q = app.test_webhook(&c, &org, &a.id).await?;
            if json {
                print_json(&q);
            } else {
                println!(
                    "queued a webhook.test event; `seatline webhook deliveries` shows how it went"
                );
            }
        }
        WebhookCmd::Deliveries(a) => {
            let (c, org) = ctx(app, &a.hook.org, false).await?;
            let page = app
                .webhook_deliveries(
                    &c,
                    &org,
                    &a.hook.id,
                    a.status.as_deref(),
                    None,
                    Some(a.limit),
                )
                .await?;
            if json {
                print_json(&page);
            } else {
                println!("{}", delivery_rows(&page.items));
            }
        }
        WebhookCmd::Replay(a) => {
            let (c, org) = ctx(app, &a.hook.org, false).await?;
            let r = ReplayRequest {
                after: a.after,
                until: a.until,
            };
            let q = app.replay_webhook(&c, &org, &a.hook.id, r).await?;
            if json {
                print_json(&q);
            } else {
                println!("queued {} deliveries", q.deliveries);
            }
        }
        WebhookCmd::RotateSecret(a) => {
            let (c, org) = ctx(app, &a.org, false).await?;
            let r = app.rotate_webhook_secret(&c, &org, &a.id).await?;
            if json {
                print_json(&r);
            } else {
                println!("new signing secret (shown once): {}", r.secret);
                println!(
                    "the previous secret keeps signing until {}",
                    r.previous_expires_at
                );
            }
        }
    }
    Ok(())
}
