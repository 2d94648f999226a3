//! `akrida agent`: akrida's holder behind owl-akrida's agent.js protocol, so owl-akrida's locust files
//! (and `akrida run --agent-cmd`) can drive it as they drive `node dist/agent.js`.
//!
//! One JSON command per stdin line, one JSON response per stdout line; stdout carries nothing
//! else (logs go to stderr). Commands run one at a time, in the order they came (so a script
//! piped in works as typed commands do; owl-akrida waits for each answer anyway). Malformed lines and
//! unknown commands get an error line; a panic in a handler becomes an error line too; EOF on
//! stdin ends the agent (after the commands before it).
//!
//! Settings come from the environment, with owl-akrida's variable names ([`Settings`]); the caller
//! loads any `.env` file first.

mod identity;
mod protocol;
mod settings;
mod state;

use std::future::Future;
use std::io::{BufRead, Write};
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use serde_json::json;
use tokio::sync::mpsc;

pub use protocol::Command;
use protocol::{error_line, ok_line};
pub use settings::{AgentPickup, Settings};
use state::{Agent, Answer};

/// Bound on the goodbye to the mediator when shutting down.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(3);

/// Serves the protocol on this process's stdin and stdout until `shutdown`, EOF on stdin, or
/// stdout closing. The only error is an async runtime that cannot start; everything a command
/// gets wrong (including a bad setting) is answered on stdout as an error line instead.
pub fn serve_stdio() -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let lines = read_stdin_lines();
    runtime.block_on(serve(Settings::from_env(), lines));
    // The stdin thread may still sit in a read: do not wait for it.
    runtime.shutdown_background();
    Ok(())
}

/// Stdin lines, read on a thread of their own (a blocking read must not hold the runtime).
/// Invalid UTF-8 is replaced rather than ending the input. The channel closes at EOF.
fn read_stdin_lines() -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel(64);
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut input = stdin.lock();
        let mut buffer = Vec::new();
        loop {
            buffer.clear();
            match input.read_until(b'\n', &mut buffer) {
                Ok(0) => break,
                Ok(_) => {
                    let line = String::from_utf8_lossy(&buffer).trim().to_string();
                    if tx.blocking_send(line).is_err() {
                        break;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "stdin read failed; treating it as EOF");
                    break;
                }
            }
        }
    });
    rx
}

/// Writes one response line. False when stdout is gone (the controller left): then stop.
fn emit(line: &str) -> bool {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").and_then(|_| out.flush()).is_ok()
}

async fn serve(settings: Result<Settings, String>, mut lines: mpsc::Receiver<String>) {
    let settings_error = settings.as_ref().err().cloned();
    if let Some(e) = &settings_error {
        tracing::error!("configuration: {e}");
    }
    let mut agent = Agent::new(settings.unwrap_or_else(|_| {
        Settings::from_lookup(|_| None).expect("the default settings are valid")
    }));
    while let Some(line) = lines.recv().await {
        if line.is_empty() {
            continue;
        }
        let command = match protocol::parse(&line) {
            Ok(command) => command,
            Err(cause) => {
                tracing::warn!(%cause, "bad command line");
                if !emit(&error_line(&cause)) {
                    break;
                }
                continue;
            }
        };
        if command == Command::Shutdown {
            shutdown(&mut agent).await;
            return;
        }
        if let Some(e) = &settings_error {
            if !emit(&error_line(&format!("configuration: {e}"))) {
                break;
            }
            continue;
        }
        let name = command_name(&command);
        let outcome = CatchUnwind(Box::pin(dispatch(&mut agent, command))).await;
        let line = match outcome {
            Ok(Ok((result, extra))) => ok_line(result, extra),
            Ok(Err(cause)) => {
                tracing::info!(command = name, %cause, "command failed");
                error_line(&cause)
            }
            Err(panic) => {
                tracing::error!(command = name, %panic, "command panicked");
                error_line(&format!("{name}: internal error: {panic}"))
            }
        };
        if !emit(&line) {
            break;
        }
    }
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, agent.close()).await;
}

async fn shutdown(agent: &mut Agent) {
    // Answer first, as agent.js does: the controller waits for this line, not for the close.
    emit(&ok_line(json!("Shutting down agent"), None));
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, agent.close()).await;
}

async fn dispatch(agent: &mut Agent, command: Command) -> Result<Answer, String> {
    match command {
        Command::Start {
            with_mediation,
            port,
            agent_config,
        } => agent.start(with_mediation, port, agent_config).await,
        Command::PingMediator => agent.ping_mediator().await,
        Command::ReceiveInvitation {
            url,
            connection_did,
        } => agent.receive_invitation(&url, connection_did).await,
        Command::ReceiveCredential => agent.receive_credential().await,
        Command::ReceiveMessage => agent.receive_message().await,
        Command::PresentationExchange => agent.presentation_exchange().await,
        Command::DeleteOobRecord { id } => agent.delete_oob_record(&id).await,
        Command::Shutdown => Ok((json!("Shutting down agent"), None)),
    }
}

fn command_name(command: &Command) -> &'static str {
    match command {
        Command::Start { .. } => "start",
        Command::PingMediator => "ping_mediator",
        Command::ReceiveInvitation {
            connection_did: false,
            ..
        } => "receiveInvitation",
        Command::ReceiveInvitation { .. } => "receiveInvitationConnectionDid",
        Command::ReceiveCredential => "receiveCredential",
        Command::ReceiveMessage => "receiveMessage",
        Command::PresentationExchange => "presentationExchange",
        Command::DeleteOobRecord { .. } => "deleteOobRecordById",
        Command::Shutdown => "shutdown",
    }
}

/// A future whose panic becomes an `Err(message)` instead of ending the agent.
struct CatchUnwind<'a, T>(Pin<Box<dyn Future<Output = T> + 'a>>);

impl<T> Future for CatchUnwind<'_, T> {
    type Output = Result<T, String>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
            Err(panic) => Poll::Ready(Err(panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".into()))),
        }
    }
}
