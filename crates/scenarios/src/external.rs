//! External agents: each user drives its own subprocess through owl-akrida's agent.js protocol (one
//! JSON command per stdin line, one JSON response per stdout line) instead of a native holder,
//! so real Credo/AFJ clients (`node dist/agent.js`) and native holders run in one tool.
//!
//! owl-akrida's recovery rules (`locustClient.py`), kept as they are:
//! - `ensure_is_running`: before each task, a subprocess that exited, or whose pipes closed, is
//!   started again (`startup`: spawn + `start`);
//! - every failed read (error response, timeout, EOF) counts an error; after more than
//!   `errors_before_restart` of them the subprocess is shut down, and the next task restarts it;
//! - a response must come within `read_timeout`; stdout lines that are not JSON objects are
//!   logged and skipped;
//! - shutdown: `{"cmd":"shutdown"}`, then the process has `shutdown_timeout` to exit before it
//!   is killed.
//!
//! One difference: a restart passes back the `agentConfig` the agent returned (owl-akrida's
//! `reinstantiate`), so an agent that can restore its identity (akrida's own can) does not open
//! a new mediator connection on each restart. If a restart with it fails, the next one starts a
//! new identity.
//!
//! Subprocesses are always reaped: `shutdown` waits for the exit (or kills and then waits), and
//! a process dropped without shutdown (a user dropped by the engine) is killed and waited for on
//! a task of its own.

use std::sync::Arc;
use std::time::Duration;

use agent_protocol::Command;
use engine::{BoxFuture, Scenario, User, UserContext};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout};
use tokio::time::Instant;

use crate::DIDCOMM;

/// A response line longer than this is refused (and the agent shut down): a broken agent that
/// prints without newlines must not eat the generator's memory.
const MAX_LINE: usize = 16 << 20;

/// How to run and supervise one external agent.
#[derive(Debug, Clone)]
pub struct ExternalAgentConfig {
    /// The program and its arguments (see [`split_command`]).
    pub program: String,
    pub args: Vec<String>,
    /// Environment variables set for the agent (on top of akrida's own environment).
    pub env: Vec<(String, String)>,
    /// `withMediation` of `start`.
    pub with_mediation: bool,
    /// `port` of `start` is this plus the user's index (owl-akrida's `START_PORT`); None sends null.
    pub start_port: Option<u16>,
    /// `ERRORS_BEFORE_RESTART` (owl-akrida: 10).
    pub errors_before_restart: u32,
    /// `READ_TIMEOUT_SECONDS` (owl-akrida: 120).
    pub read_timeout: Duration,
    /// `SHUTDOWN_TIMEOUT_SECONDS` (owl-akrida: 10).
    pub shutdown_timeout: Duration,
}

impl ExternalAgentConfig {
    /// owl-akrida's defaults for `command` (a command line, split as a shell would, without
    /// expansions).
    pub fn new(command: &str) -> Result<Self, String> {
        let mut words = split_command(command)?;
        if words.is_empty() {
            return Err("the agent command is empty".into());
        }
        let program = words.remove(0);
        Ok(Self {
            program,
            args: words,
            env: Vec::new(),
            with_mediation: true,
            start_port: None,
            errors_before_restart: 10,
            read_timeout: Duration::from_secs(120),
            shutdown_timeout: Duration::from_secs(10),
        })
    }
}

/// Splits a command line into words as a POSIX shell would (quotes, backslashes, `#` comments;
/// no variables, no globs), with the `shlex` crate.
pub fn split_command(text: &str) -> Result<Vec<String>, String> {
    shlex::split(text).ok_or_else(|| {
        format!("the agent command has an unclosed quote or a trailing backslash: {text}")
    })
}

/// A running subprocess and its pipes.
struct Process {
    child: Option<Child>,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    /// Bytes of a line not yet complete (kept across a read timeout).
    partial: Vec<u8>,
    /// A pipe broke or reached EOF: the process cannot take commands any more.
    pipes_closed: bool,
}

impl Process {
    fn spawn(config: &ExternalAgentConfig) -> Result<Self, String> {
        let mut child = tokio::process::Command::new(&config.program)
            .args(&config.args)
            .envs(config.env.iter().map(|(k, v)| (k, v)))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start agent {:?}: {e}", config.program))?;
        let stdin = child.stdin.take();
        let stdout = child
            .stdout
            .take()
            .ok_or("agent stdout is not piped (spawn invariant)")?;
        Ok(Self {
            child: Some(child),
            stdin,
            stdout: BufReader::new(stdout),
            partial: Vec::new(),
            pipes_closed: false,
        })
    }

    fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(Child::id)
    }

    /// owl-akrida's `is_running`: not exited, and both pipes open.
    fn is_running(&mut self) -> bool {
        let exited = match self.child.as_mut().map(Child::try_wait) {
            Some(Ok(None)) => false,
            Some(Ok(Some(status))) => {
                tracing::info!(pid = ?self.pid(), %status, "agent exited");
                true
            }
            Some(Err(_)) | None => true,
        };
        !exited && !self.pipes_closed && self.stdin.is_some()
    }

    async fn write_line(&mut self, line: &str) -> Result<(), String> {
        let stdin = self.stdin.as_mut().ok_or("agent stdin is closed")?;
        let written = async {
            stdin.write_all(line.as_bytes()).await?;
            stdin.write_all(b"\n").await?;
            stdin.flush().await
        }
        .await;
        written.map_err(|e| {
            self.pipes_closed = true;
            format!("cannot write to agent: {e}")
        })
    }

    /// The next line, without its newline, read until `deadline`.
    async fn read_line(&mut self, deadline: Instant) -> Result<String, String> {
        loop {
            if let Some(end) = self.partial.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.partial.drain(..=end).collect();
                return Ok(String::from_utf8_lossy(&line).trim().to_string());
            }
            if self.partial.len() > MAX_LINE {
                self.pipes_closed = true;
                return Err(format!(
                    "agent printed more than {} MiB without a newline",
                    MAX_LINE >> 20
                ));
            }
            let chunk = tokio::time::timeout_at(deadline, self.stdout.fill_buf()).await;
            let chunk = match chunk {
                Err(_) => return Err("Read Timeout".into()),
                Ok(Err(e)) => {
                    self.pipes_closed = true;
                    return Err(format!("cannot read from agent: {e}"));
                }
                Ok(Ok([])) => {
                    self.pipes_closed = true;
                    return Err("EOF reached or empty line received.".into());
                }
                Ok(Ok(chunk)) => chunk.to_vec(),
            };
            self.stdout.consume(chunk.len());
            self.partial.extend_from_slice(&chunk);
        }
    }

    /// owl-akrida's `readjsonline`: the next JSON object line; other lines are logged and skipped.
    /// A response whose `error` is not 0 is an error carrying the line.
    async fn read_response(&mut self, timeout: Duration) -> Result<Value, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let line = self.read_line(deadline).await?;
            match serde_json::from_str::<Value>(&line) {
                Ok(value @ Value::Object(_)) => {
                    if value.get("error") != Some(&json!(0)) {
                        let cause = match &value["result"] {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        return Err(format!(
                            "Error encountered within load testing agent: {cause}"
                        ));
                    }
                    return Ok(value);
                }
                _ => {
                    if !line.is_empty() {
                        tracing::warn!(pid = ?self.pid(), line = %truncate(&line, 200), "agent printed a line that is not a JSON object; skipped");
                    }
                }
            }
        }
    }

    /// `shutdown`, then up to `timeout` for the process to exit (reading what it still prints),
    /// then a kill. Always waits for the process, so it leaves no zombie.
    async fn shutdown(mut self, timeout: Duration) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if !self.pipes_closed {
            if let Some(stdin) = self.stdin.as_mut() {
                let _ = tokio::time::timeout(timeout, async {
                    let line = format!("{}\n", Command::Shutdown.to_line());
                    stdin.write_all(line.as_bytes()).await?;
                    stdin.flush().await
                })
                .await;
            }
        }
        // Close stdin: an agent that ignores `shutdown` still sees EOF.
        drop(self.stdin.take());
        let stdout = &mut self.stdout;
        let drain = async {
            let mut sink = Vec::new();
            loop {
                sink.clear();
                match stdout.read_until(b'\n', &mut sink).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        };
        let exited =
            tokio::time::timeout(timeout, async { tokio::join!(drain, child.wait()).1 }).await;
        match exited {
            Ok(Ok(status)) => tracing::debug!(%status, "agent exited after shutdown"),
            _ => {
                tracing::info!(pid = ?child.id(), "agent did not exit within the shutdown timeout; killing it");
                let _ = child.kill().await; // kill() also waits: reaped
            }
        }
    }
}

impl Drop for Process {
    /// Dropped without `shutdown` (the user was dropped): kill, and reap on a task of its own.
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.start_kill();
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move {
                    let _ = child.wait().await;
                });
            }
        }
    }
}

fn truncate(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

/// One external agent, supervised by owl-akrida's rules (see the module docs).
pub struct ExternalAgent {
    config: Arc<ExternalAgentConfig>,
    index: u64,
    process: Option<Process>,
    errors: u32,
    /// The `result` of the last successful `start`: passed back on a restart.
    agent_config: Option<Value>,
    /// The last restart with `agent_config` failed: the next starts a new identity.
    forget_config: bool,
    restarts: u64,
}

impl ExternalAgent {
    pub fn new(config: Arc<ExternalAgentConfig>, index: u64) -> Self {
        Self {
            config,
            index,
            process: None,
            errors: 0,
            agent_config: None,
            forget_config: false,
            restarts: 0,
        }
    }

    /// The subprocess's id, while one runs.
    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().and_then(Process::pid)
    }

    /// The `result` of the last successful `start`.
    pub fn agent_config(&self) -> Option<&Value> {
        self.agent_config.as_ref()
    }

    /// How many times the subprocess was started after the first time.
    pub fn restarts(&self) -> u64 {
        self.restarts
    }

    /// Errors counted since the last start.
    pub fn errors(&self) -> u32 {
        self.errors
    }

    /// owl-akrida's `startup`: a new subprocess and its `start`. On failure the subprocess is shut
    /// down and the cause returned.
    pub async fn startup(&mut self) -> Result<(), String> {
        if let Some(old) = self.process.take() {
            old.shutdown(self.config.shutdown_timeout).await;
            self.restarts += 1;
        }
        self.errors = 0;
        let mut process = Process::spawn(&self.config)?;
        let reuse = if self.forget_config {
            None
        } else {
            self.agent_config.clone()
        };
        let port = self
            .config
            .start_port
            .map(|p| ((u64::from(p) + self.index) % 65_536) as u16);
        let start = Command::Start {
            with_mediation: Some(self.config.with_mediation),
            port,
            agent_config: reuse.clone(),
        };
        let outcome = async {
            process.write_line(&start.to_line()).await?;
            let response = process.read_response(self.config.read_timeout).await?;
            if !process.is_running() {
                return Err("unable to start: the agent exited after start".to_string());
            }
            Ok(response)
        }
        .await;
        match outcome {
            Ok(mut response) => {
                self.agent_config = Some(response["result"].take());
                self.forget_config = false;
                self.process = Some(process);
                Ok(())
            }
            Err(cause) => {
                self.forget_config = reuse.is_some();
                process.shutdown(self.config.shutdown_timeout).await;
                Err(cause)
            }
        }
    }

    /// owl-akrida's `ensure_is_running`: starts the subprocess again when it is not running.
    /// `Ok(true)` when it had to.
    pub async fn ensure_is_running(&mut self) -> Result<bool, String> {
        if self.process.as_mut().is_some_and(Process::is_running) {
            return Ok(false);
        }
        if self.process.is_some() || self.agent_config.is_some() {
            tracing::info!(user = self.index, "agent not running; restarting it");
        }
        self.startup().await.map(|()| true)
    }

    /// owl-akrida's `run_command` + `readjsonline`: sends `command`, returns the response object.
    pub async fn command(&mut self, command: &Command) -> Result<Value, String> {
        let Some(process) = self.process.as_mut() else {
            return Err("agent is not running".into());
        };
        if let Err(cause) = process.write_line(&command.to_line()).await {
            // As owl-akrida: a command that cannot be written ends the subprocess.
            self.shutdown().await;
            return Err(cause);
        }
        match process.read_response(self.config.read_timeout).await {
            Ok(response) => Ok(response),
            Err(cause) => {
                self.errors += 1;
                if self.errors > self.config.errors_before_restart {
                    tracing::info!(
                        user = self.index,
                        errors = self.errors,
                        "too many errors; shutting the agent down (restarted before the next task)"
                    );
                    self.shutdown().await;
                }
                Err(cause)
            }
        }
    }

    /// owl-akrida's `shutdown`: asks, waits `shutdown_timeout`, kills; always reaps.
    pub async fn shutdown(&mut self) {
        if let Some(process) = self.process.take() {
            process.shutdown(self.config.shutdown_timeout).await;
        }
    }
}

/// A scenario whose users are external agents: `start` is the `startup` sample, and each task
/// sends one command (its response timed under the task's name).
pub struct ExternalScenario {
    name: String,
    tasks: Vec<ExternalTask>,
    config: Arc<ExternalAgentConfig>,
}

#[derive(Debug, Clone)]
pub struct ExternalTask {
    /// The sample name (owl-akrida's, e.g. `ping_mediator`).
    pub name: &'static str,
    pub weight: u32,
    /// The command sent, e.g. [`Command::PingMediator`] (`{"cmd":"ping_mediator"}`).
    pub command: Command,
}

impl ExternalScenario {
    pub fn new(name: &str, tasks: Vec<ExternalTask>, config: ExternalAgentConfig) -> Self {
        Self {
            name: name.to_string(),
            tasks,
            config: Arc::new(config),
        }
    }

    /// `mediator-ping` through external agents: `start` with mediation, then `ping_mediator`.
    pub fn mediator_ping(config: ExternalAgentConfig) -> Self {
        Self::new(
            "mediator-ping",
            vec![ExternalTask {
                name: "ping_mediator",
                weight: 1,
                command: Command::PingMediator,
            }],
            config,
        )
    }
}

impl Scenario for ExternalScenario {
    fn name(&self) -> &str {
        &self.name
    }

    fn tasks(&self) -> Vec<(&'static str, u32)> {
        self.tasks.iter().map(|t| (t.name, t.weight)).collect()
    }

    fn new_user(&self, index: u64) -> Box<dyn User> {
        Box::new(ExternalUser {
            agent: ExternalAgent::new(self.config.clone(), index),
            tasks: self.tasks.clone(),
        })
    }
}

struct ExternalUser {
    agent: ExternalAgent,
    tasks: Vec<ExternalTask>,
}

impl User for ExternalUser {
    fn on_start<'a>(&'a mut self, ctx: &'a UserContext) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move { ctx.timed(DIDCOMM, "startup", self.agent.startup()).await })
    }

    fn run_task<'a>(&'a mut self, task: &'static str, ctx: &'a UserContext) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let Some(command) = self
                .tasks
                .iter()
                .find(|t| t.name == task)
                .map(|t| t.command.clone())
            else {
                return;
            };
            if !self.agent.process.as_mut().is_some_and(Process::is_running) {
                ctx.count("agent_restarts", 1);
                let restarted = ctx
                    .timed(DIDCOMM, "startup", self.agent.ensure_is_running())
                    .await;
                if restarted.is_err() {
                    return;
                }
            }
            let _ = ctx.timed(DIDCOMM, task, self.agent.command(&command)).await;
        })
    }

    fn on_stop<'a>(&'a mut self, _ctx: &'a UserContext) -> BoxFuture<'a, ()> {
        Box::pin(async move { self.agent.shutdown().await })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_command_lines() {
        assert_eq!(
            split_command("node --max-old-space-size=128 dist/agent.js").unwrap(),
            vec!["node", "--max-old-space-size=128", "dist/agent.js"]
        );
        assert_eq!(
            split_command(r#"  "/path with space/akrida" agent 'a b' c\ d "" "#).unwrap(),
            vec!["/path with space/akrida", "agent", "a b", "c d", ""]
        );
        assert_eq!(
            split_command(r#"sh -c "echo \"quoted\" \$HOME""#).unwrap(),
            vec!["sh", "-c", r#"echo "quoted" $HOME"#]
        );
        assert!(split_command("node 'open").is_err());
        assert!(split_command("node agent.js \\").is_err());
        assert!(split_command("").unwrap().is_empty());
        assert!(ExternalAgentConfig::new("   ").is_err());
    }
}
