//! Static bearer tokens: kube-apiserver's `--token-auth-file` and the generated admin token.
//!
//! The file format is kube-apiserver's (`staging/src/k8s.io/apiserver/pkg/authentication/token/tokenfile`):
//! a CSV file read with Go's `encoding/csv` defaults, one record per line,
//!
//! ```text
//! token,user,uid,"group1,group2,group3"
//! ```
//!
//! - at least 3 columns (token, user name, uid); a 4th column is the comma-separated group list;
//!   further columns are ignored;
//! - fields may be quoted (`"..."`, with `""` for a literal quote, and line breaks allowed inside);
//!   a `"` inside an unquoted field is an error, as in Go (`LazyQuotes` is off);
//! - empty lines are skipped; there is **no comment syntax** (upstream sets no `Comment` rune), so a
//!   line such as `# admins` is a one-column record and makes the file invalid;
//! - a record with an empty token is skipped (upstream logs a warning); a duplicate token replaces the
//!   earlier record (again with a warning).

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use super::UserInfo;

/// One record of a token file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// The bearer token.
    pub token: String,
    /// The user the token authenticates as.
    pub user: UserInfo,
    /// The 1-based line on which the record starts.
    pub line: usize,
}

/// What is wrong with a CSV record, in the words of Go's `encoding/csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvErrorKind {
    /// A `"` in a field that does not start with one.
    BareQuote,
    /// A quoted field that is not closed, or is followed by something other than `,` or a line end.
    Quote,
}

impl fmt::Display for CsvErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CsvErrorKind::BareQuote => f.write_str("bare \" in non-quoted field"),
            CsvErrorKind::Quote => f.write_str("extraneous or missing \" in quoted-field"),
        }
    }
}

/// A token file that cannot be used; the server refuses to start with it.
#[derive(Debug, thiserror::Error)]
pub enum TokenFileError {
    /// The file could not be read.
    #[error("cannot read token file '{path}': {source}")]
    Read {
        /// The token file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid UTF-8.
    #[error("token file '{path}' is not valid UTF-8")]
    NotUtf8 {
        /// The token file.
        path: PathBuf,
    },
    /// The file is not valid CSV.
    #[error("token file '{path}': parse error on line {line}, column {column}: {kind}")]
    Csv {
        /// The token file.
        path: PathBuf,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column (in characters) of the error.
        column: usize,
        /// What is wrong.
        kind: CsvErrorKind,
    },
    /// A record has fewer than 3 columns (upstream's message).
    #[error("token file '{path}' must have at least 3 columns (token, user name, user uid), found {found}")]
    TooFewColumns {
        /// The token file.
        path: PathBuf,
        /// 1-based line of the record.
        line: usize,
        /// How many columns the record has.
        found: usize,
    },
}

/// A set of static tokens and the users they authenticate as.
#[derive(Debug, Clone, Default)]
pub struct TokenTable {
    tokens: HashMap<String, UserInfo>,
}

impl TokenTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads and parses a `--token-auth-file`.
    pub fn from_file(path: &Path) -> Result<Self, TokenFileError> {
        let bytes = std::fs::read(path).map_err(|source| TokenFileError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let text = String::from_utf8(bytes).map_err(|_| TokenFileError::NotUtf8 {
            path: path.to_path_buf(),
        })?;
        let mut table = Self::new();
        for record in parse_token_csv(&text, path)? {
            table.insert(record.token, record.user);
        }
        Ok(table)
    }

    /// Adds (or replaces) a token.
    pub fn insert(&mut self, token: impl Into<String>, user: UserInfo) {
        self.tokens.insert(token.into(), user);
    }

    /// The user a token authenticates as, if any.
    pub fn lookup(&self, token: &str) -> Option<&UserInfo> {
        self.tokens.get(token)
    }

    /// How many tokens the table holds.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether the table holds no token.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }
}

/// Parses the text of a token file into its records, in file order, as kube-apiserver does.
///
/// `path` is only used in error messages. Records with an empty token are skipped with a warning;
/// duplicates are all returned (the later one wins when inserted into a [`TokenTable`]).
pub fn parse_token_csv(text: &str, path: &Path) -> Result<Vec<TokenRecord>, TokenFileError> {
    let mut out = Vec::new();
    for record in CsvReader::new(text) {
        let (line, fields) = record.map_err(|e| TokenFileError::Csv {
            path: path.to_path_buf(),
            line: e.line,
            column: e.column,
            kind: e.kind,
        })?;
        if fields.len() < 3 {
            return Err(TokenFileError::TooFewColumns {
                path: path.to_path_buf(),
                line,
                found: fields.len(),
            });
        }
        let mut fields = fields.into_iter();
        let token = fields.next().unwrap_or_default();
        let name = fields.next().unwrap_or_default();
        let uid = fields.next().unwrap_or_default();
        if token.is_empty() {
            tracing::warn!(path = %path.display(), line, "empty token in token file, record skipped");
            continue;
        }
        if out.iter().any(|r: &TokenRecord| r.token == token) {
            tracing::warn!(path = %path.display(), line, "duplicate token in token file, the later record wins");
        }
        // Go: strings.Split(record[3], ","), so an empty 4th column is the one group "".
        let groups = fields
            .next()
            .map(|g| g.split(',').map(str::to_string).collect())
            .unwrap_or_default();
        out.push(TokenRecord {
            token,
            user: UserInfo { name, uid, groups },
            line,
        });
    }
    Ok(out)
}

#[derive(Debug)]
struct CsvError {
    line: usize,
    column: usize,
    kind: CsvErrorKind,
}

/// A reader for Go `encoding/csv` with its defaults (`,` separator, no comments, strict quotes).
struct CsvReader<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: usize,
    column: usize,
}

impl<'a> CsvReader<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            chars: text.chars().peekable(),
            line: 1,
            column: 0,
        }
    }

    /// Next character with `\r\n` folded into `\n` (Go drops a `\r` before a newline).
    fn next_char(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        if c == '\r' && self.chars.peek() == Some(&'\n') {
            self.chars.next();
            return Some(self.advance('\n'));
        }
        Some(self.advance(c))
    }

    fn advance(&mut self, c: char) -> char {
        if c == '\n' {
            self.line += 1;
            self.column = 0;
        } else {
            self.column += 1;
        }
        c
    }

    fn peek(&mut self) -> Option<char> {
        match self.chars.peek() {
            Some('\r') => {
                let mut clone = self.chars.clone();
                clone.next();
                if clone.peek() == Some(&'\n') {
                    Some('\n')
                } else {
                    Some('\r')
                }
            }
            other => other.copied(),
        }
    }

    fn err(&self, kind: CsvErrorKind) -> CsvError {
        CsvError {
            line: self.line,
            column: self.column.max(1),
            kind,
        }
    }

    /// Reads one record; `None` at the end of the input.
    fn read_record(&mut self) -> Option<Result<(usize, Vec<String>), CsvError>> {
        // Skip empty lines.
        loop {
            match self.peek() {
                None => return None,
                Some('\n') => {
                    self.next_char();
                }
                Some(_) => break,
            }
        }
        let start_line = self.line;
        let mut fields = Vec::new();
        loop {
            let mut field = String::new();
            if self.peek() == Some('"') {
                self.next_char();
                loop {
                    match self.next_char() {
                        None => return Some(Err(self.err(CsvErrorKind::Quote))),
                        Some('"') => match self.peek() {
                            Some('"') => {
                                self.next_char();
                                field.push('"');
                            }
                            Some(',') | Some('\n') | None => break,
                            Some(_) => {
                                self.next_char();
                                return Some(Err(self.err(CsvErrorKind::Quote)));
                            }
                        },
                        Some(c) => field.push(c),
                    }
                }
            } else {
                loop {
                    match self.peek() {
                        None | Some(',') | Some('\n') => break,
                        Some('"') => {
                            self.next_char();
                            return Some(Err(self.err(CsvErrorKind::BareQuote)));
                        }
                        Some(_) => {
                            if let Some(c) = self.next_char() {
                                field.push(c);
                            }
                        }
                    }
                }
            }
            fields.push(field);
            match self.next_char() {
                Some(',') => continue,
                // A newline or the end of the input ends the record.
                _ => return Some(Ok((start_line, fields))),
            }
        }
    }
}

impl Iterator for CsvReader<'_> {
    type Item = Result<(usize, Vec<String>), CsvError>;

    fn next(&mut self) -> Option<Self::Item> {
        let item = self.read_record();
        if matches!(item, Some(Err(_))) {
            // Stop after the first error.
            self.chars = "".chars().peekable();
        }
        item
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<TokenRecord>, TokenFileError> {
        parse_token_csv(text, Path::new("/etc/tokens.csv"))
    }

    #[test]
    fn upstream_example() {
        let recs = parse("s3cr3t,alice,1001,\"dev,ops\"\nother,bob,1002\n").unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].token, "s3cr3t");
        assert_eq!(recs[0].user.name, "alice");
        assert_eq!(recs[0].user.uid, "1001");
        assert_eq!(recs[0].user.groups, vec!["dev", "ops"]);
        assert_eq!(recs[1].user.groups, Vec::<String>::new());
        assert_eq!(recs[1].line, 2);
    }

    #[test]
    fn blank_lines_crlf_and_extra_columns() {
        let recs = parse("\n\na,u,1,g1,ignored\r\n\r\nb,v,2\r\n").unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].user.groups, vec!["g1"]);
        assert_eq!(recs[1].token, "b");
        assert_eq!(recs[1].user.uid, "2");
        assert_eq!(recs[1].line, 5);
    }

    #[test]
    fn quoted_fields_with_escapes_and_newlines() {
        let recs = parse("\"to,ken\",\"a \"\"b\"\"\",\"u\nid\",\"\"\n").unwrap();
        assert_eq!(recs[0].token, "to,ken");
        assert_eq!(recs[0].user.name, "a \"b\"");
        assert_eq!(recs[0].user.uid, "u\nid");
        // Go's strings.Split("", ",") is [""].
        assert_eq!(recs[0].user.groups, vec![""]);
    }

    #[test]
    fn no_trailing_newline_and_empty_fields() {
        let recs = parse("t,,").unwrap();
        assert_eq!(recs[0].user.name, "");
        assert_eq!(recs[0].user.uid, "");
    }

    #[test]
    fn empty_token_is_skipped_duplicates_kept_in_order() {
        let recs = parse(",u,1\nt,first,1\nt,second,2\n").unwrap();
        assert_eq!(recs.len(), 2);
        let mut table = TokenTable::new();
        for r in recs {
            table.insert(r.token, r.user);
        }
        assert_eq!(table.lookup("t").map(|u| u.name.as_str()), Some("second"));
        assert!(table.lookup("").is_none());
    }

    #[test]
    fn too_few_columns_is_upstreams_error() {
        let err = parse("a,b,c\n# a comment\n").unwrap_err();
        assert!(matches!(
            err,
            TokenFileError::TooFewColumns {
                line: 2,
                found: 1,
                ..
            }
        ));
        assert_eq!(
            err.to_string(),
            "token file '/etc/tokens.csv' must have at least 3 columns (token, user name, user uid), found 1"
        );
    }

    #[test]
    fn quote_errors() {
        let err = parse("a\"b,c,d\n").unwrap_err();
        assert!(matches!(
            err,
            TokenFileError::Csv {
                line: 1,
                column: 2,
                kind: CsvErrorKind::BareQuote,
                ..
            }
        ));
        assert!(err.to_string().contains("bare \" in non-quoted field"));
        let err = parse("\"ab\"x,c,d\n").unwrap_err();
        assert!(matches!(
            err,
            TokenFileError::Csv {
                kind: CsvErrorKind::Quote,
                ..
            }
        ));
        let err = parse("ok,u,1\n\"unterminated,c,d\n").unwrap_err();
        assert!(matches!(
            err,
            TokenFileError::Csv {
                kind: CsvErrorKind::Quote,
                ..
            }
        ));
    }

    #[test]
    fn from_file_reports_the_path() {
        let err = TokenTable::from_file(Path::new("/nonexistent/epstore/tokens.csv")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/epstore/tokens.csv"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.csv");
        std::fs::write(&path, "tok,alice,42,\"a,b\"\n").unwrap();
        let table = TokenTable::from_file(&path).unwrap();
        assert_eq!(table.len(), 1);
        assert_eq!(table.lookup("tok").unwrap().groups, vec!["a", "b"]);
    }
}
