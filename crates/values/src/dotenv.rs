//! A small `.env` parser: `KEY=value` lines, `#` comments, optional `export `, single or double
//! quotes. Malformed lines are an error naming the file and line, not silently skipped: a typo in
//! a load-test configuration should stop the run before it starts.

#[derive(Debug, PartialEq, Eq)]
pub enum DotenvError {
    Unreadable {
        path: String,
        reason: String,
    },
    Malformed {
        path: String,
        line: usize,
        text: String,
    },
    Unterminated {
        path: String,
        line: usize,
    },
}

impl std::fmt::Display for DotenvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unreadable { path, reason } => write!(f, "cannot read {path}: {reason}"),
            Self::Malformed { path, line, text } => {
                write!(f, "{path}:{line}: expected KEY=value, found {text:?}")
            }
            Self::Unterminated { path, line } => write!(f, "{path}:{line}: unterminated quote"),
        }
    }
}

impl std::error::Error for DotenvError {}

/// Parses `.env` text into (key, value) pairs, in file order.
pub fn parse(text: &str, path: &str) -> Result<Vec<(String, String)>, DotenvError> {
    let mut pairs = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line_number = index + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let malformed = || DotenvError::Malformed {
            path: path.to_string(),
            line: line_number,
            text: raw.to_string(),
        };
        let (key, value) = line.split_once('=').ok_or_else(malformed)?;
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(malformed());
        }
        let value = unquote(value.trim()).ok_or(DotenvError::Unterminated {
            path: path.to_string(),
            line: line_number,
        })?;
        pairs.push((key.to_string(), value));
    }
    Ok(pairs)
}

/// `'…'` is literal; `"…"` allows `\n` and `\"`; unquoted values end at ` #` (a comment).
fn unquote(value: &str) -> Option<String> {
    if let Some(rest) = value.strip_prefix('\'') {
        let end = rest.find('\'')?;
        return Some(rest[..end].to_string());
    }
    if let Some(rest) = value.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => return Some(out),
                '\\' => match chars.next()? {
                    'n' => out.push('\n'),
                    other => out.push(other),
                },
                other => out.push(other),
            }
        }
        return None;
    }
    let without_comment = value.split(" #").next().unwrap_or(value);
    Some(without_comment.trim_end().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_people_write() {
        let text = "# comment\n\nMEDIATION_URL=http://127.0.0.1:1?oob=abc=\nexport A=1\nB = 'x # y'\nC=\"q\\\"n\\n\"\nD=plain # note\nE=\n";
        let pairs = parse(text, ".env").unwrap();
        assert_eq!(
            pairs,
            vec![
                ("MEDIATION_URL".into(), "http://127.0.0.1:1?oob=abc=".into()),
                ("A".into(), "1".into()),
                ("B".into(), "x # y".into()),
                ("C".into(), "q\"n\n".into()),
                ("D".into(), "plain".into()),
                ("E".into(), "".into()),
            ]
        );
    }

    #[test]
    fn malformed_lines_name_file_and_line() {
        assert_eq!(
            parse("A=1\nnot a pair\n", "x.env").unwrap_err(),
            DotenvError::Malformed {
                path: "x.env".into(),
                line: 2,
                text: "not a pair".into()
            }
        );
        assert_eq!(
            parse("A=\"open\n", "x.env").unwrap_err(),
            DotenvError::Unterminated {
                path: "x.env".into(),
                line: 1
            }
        );
        assert!(parse("BAD KEY=1", "x.env").is_err());
    }
}
