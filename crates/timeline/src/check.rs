//! Whether a command can start at all, judged before any load: a typo in the program's name
//! should stop the run at once, not show up as "exit 127" half an hour into a soak.
//!
//! The rule: the command's first shell word, after any leading `NAME=value` assignments, must
//! be a shell builtin or keyword, a path (it contains `/`) to an executable file, or the name of
//! an executable file in a directory of `PATH`. A first word the shell would expand (`$CMD`,
//! `` `…` ``, `(`, `{`) is left to the shell. The rest of the command is the shell's to judge.

use std::path::Path;

/// The POSIX shell's builtins and reserved words: a command may start with any of them.
const SHELL_WORDS: &[&str] = &[
    "!", ".", ":", "[", "alias", "bg", "break", "case", "cd", "command", "continue", "echo",
    "eval", "exec", "exit", "export", "false", "fg", "for", "getopts", "hash", "if", "jobs",
    "kill", "printf", "pwd", "read", "readonly", "return", "set", "shift", "test", "times", "trap",
    "true", "type", "ulimit", "umask", "unalias", "unset", "until", "wait", "while",
];

/// Characters that end the first word for the shell although no space follows them.
const OPERATORS: &[char] = &[';', '&', '|', '<', '>'];

/// `Ok` when the command's first word resolves (see the module's rule), else why not, in one
/// sentence.
pub fn check_command(command: &str) -> Result<(), String> {
    let words = shlex::split(command)
        .ok_or_else(|| format!("--at '{command}' is not a shell command (unbalanced quotes)"))?;
    let Some(first) = words.iter().find(|w| !is_assignment(w)) else {
        return Err(format!("--at '{command}' has no program to run"));
    };
    let program = first.split(OPERATORS).next().unwrap_or_default();
    if program.is_empty()
        || program.starts_with(['$', '`', '(', '{'])
        || SHELL_WORDS.contains(&program)
    {
        return Ok(());
    }
    if program.contains('/') {
        return if is_executable(Path::new(program)) {
            Ok(())
        } else {
            Err(format!(
                "--at '{command}': {program} is not an executable file"
            ))
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    if std::env::split_paths(&path).any(|dir| is_executable(&dir.join(program))) {
        Ok(())
    } else {
        Err(format!(
            "--at '{command}': {program} is not a command on PATH"
        ))
    }
}

/// `NAME=value`: an assignment the shell makes for the command that follows.
fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_words_that_resolve() {
        for ok in [
            "sleep 60",
            "FOO=1 sh -c 'exit 3'",
            "/bin/sh -c true",
            "echo a; nonexistent-thing",
            "true&&false",
            "cd /tmp && ls",
            "$SHELL -c true",
        ] {
            assert_eq!(check_command(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn first_words_that_do_not() {
        for (bad, says) in [
            ("no-such-program-akrida arg", "not a command on PATH"),
            ("./no/such/file", "not an executable file"),
            ("/etc/passwd", "not an executable file"),
            ("echo 'unbalanced", "unbalanced quotes"),
            ("A=1 B=2", "no program"),
        ] {
            let err = check_command(bad).expect_err(bad);
            assert!(err.contains(says), "{bad}: {err}");
        }
    }
}
