//! Label selectors: `labels.Parse` and `Selector.Matches` (`AM:pkg/labels/selector.go`), with the
//! exact error texts of read-path §5.1.
//!
//! Grammar: `req ("," req)*` where `req` is `[!]KEY`, `KEY (=|==|!=) VALUE`, `KEY (in|notin) (v,…)`
//! or `KEY (>|<) INT`. Keys are qualified names and values label values; errors raised inside a
//! requirement are prefixed `unable to parse requirement: ` and report keys at the field path
//! `<nil>` (the parser has no path). Requirements are sorted by key after parsing; set values are
//! sorted and deduplicated.
//!
//! The lexer works on bytes exactly as Go's does, including its treatment of a NUL byte as the end
//! of a token.

use std::collections::BTreeSet;
use std::fmt;

use crate::field_error::{aggregate, BadValue, FieldError};
use crate::selector::SelectorError;

/// A requirement's operator (`selection.Operator`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// `=`
    Equals,
    /// `==`
    DoubleEquals,
    /// `!=`
    NotEquals,
    /// `in`
    In,
    /// `notin`
    NotIn,
    /// a bare key
    Exists,
    /// `!key`
    DoesNotExist,
    /// `>` (`gt`)
    GreaterThan,
    /// `<` (`lt`)
    LessThan,
}

/// One requirement: a key, an operator and its (sorted, deduplicated) values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    key: String,
    operator: Operator,
    values: Vec<String>,
}

impl Requirement {
    /// The label key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The operator.
    pub fn operator(&self) -> Operator {
        self.operator
    }

    /// The values, sorted and deduplicated (empty for `Exists`/`DoesNotExist`).
    pub fn values(&self) -> &[String] {
        &self.values
    }

    fn has_value(&self, value: &str) -> bool {
        self.values.iter().any(|v| v == value)
    }

    /// Whether the labels reachable through `lookup` satisfy this requirement.
    pub fn matches_with<'a, F>(&self, lookup: F) -> bool
    where
        F: Fn(&str) -> Option<&'a str>,
    {
        match self.operator {
            Operator::In | Operator::Equals | Operator::DoubleEquals => {
                lookup(&self.key).is_some_and(|v| self.has_value(v))
            }
            Operator::NotIn | Operator::NotEquals => lookup(&self.key).is_none_or(|v| !self.has_value(v)),
            Operator::Exists => lookup(&self.key).is_some(),
            Operator::DoesNotExist => lookup(&self.key).is_none(),
            Operator::GreaterThan | Operator::LessThan => {
                let Some(label) = lookup(&self.key) else {
                    return false;
                };
                let Ok(label) = label.parse::<i64>() else {
                    return false;
                };
                let [value] = self.values.as_slice() else {
                    return false;
                };
                let Ok(value) = value.parse::<i64>() else {
                    return false;
                };
                if self.operator == Operator::GreaterThan {
                    label > value
                } else {
                    label < value
                }
            }
        }
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.operator == Operator::DoesNotExist {
            f.write_str("!")?;
        }
        f.write_str(&self.key)?;
        let op = match self.operator {
            Operator::Exists | Operator::DoesNotExist => return Ok(()),
            Operator::Equals => "=",
            Operator::DoubleEquals => "==",
            Operator::NotEquals => "!=",
            Operator::In => " in ",
            Operator::NotIn => " notin ",
            Operator::GreaterThan => ">",
            Operator::LessThan => "<",
        };
        f.write_str(op)?;
        let set = matches!(self.operator, Operator::In | Operator::NotIn);
        if set {
            f.write_str("(")?;
        }
        f.write_str(&self.values.join(","))?;
        if set {
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// A parsed label selector: the AND of its requirements, sorted by key. The empty selector matches
/// everything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selector {
    requirements: Vec<Requirement>,
}

impl Selector {
    /// The selector that matches every object.
    pub fn everything() -> Self {
        Self::default()
    }

    /// `labels.Parse(s)`: parses a selector or returns the apiserver's error text.
    pub fn parse(s: &str) -> Result<Self, SelectorError> {
        let mut parser = Parser::new(s);
        let mut requirements = parser.parse()?;
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(Self { requirements })
    }

    /// Whether the selector has no requirement (matches everything).
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// The requirements, sorted by key.
    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    /// Whether the labels reachable through `lookup` (key to value) satisfy every requirement.
    pub fn matches_with<'a, F>(&self, lookup: F) -> bool
    where
        F: Fn(&str) -> Option<&'a str>,
    {
        self.requirements.iter().all(|r| r.matches_with(&lookup))
    }

    /// Whether the labels `(key, value)` satisfy every requirement.
    pub fn matches(&self, labels: &[(String, String)]) -> bool {
        if self.is_empty() {
            return true;
        }
        self.matches_with(|key| labels.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()))
    }

    /// Whether the label pairs yielded by `labels` satisfy every requirement.
    pub fn matches_pairs<'a, I>(&self, labels: I) -> bool
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        if self.is_empty() {
            return true;
        }
        let pairs: Vec<(&'a str, &'a str)> = labels.into_iter().collect();
        self.matches_with(|key| pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v))
    }

    /// `RequiresExactMatch`: the single value the selector requires `key` to have (`=`, `==`, or
    /// `in` with one value), if any.
    pub fn requires_exact_match(&self, key: &str) -> Option<&str> {
        let r = self.requirements.iter().find(|r| r.key == key)?;
        match (r.operator, r.values.as_slice()) {
            (Operator::Equals | Operator::DoubleEquals | Operator::In, [v]) => Some(v),
            _ => None,
        }
    }
}

impl fmt::Display for Selector {
    /// The canonical form (`labels.Selector.String()`): requirements joined by `,`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Validation messages (`AM:pkg/util/validation/validation.go`): the same validators object metadata
// uses.

pub use crate::validation::{is_dns1123_subdomain, is_qualified_name, is_valid_label_value};

/// The field path the parser reports keys at: Go's nil `*field.Path` prints `<nil>`.
const NIL_PATH: &str = "<nil>";

fn validate_label_key(key: &str, path: &str) -> Option<FieldError> {
    let errs = is_qualified_name(key);
    if errs.is_empty() {
        return None;
    }
    Some(FieldError::invalid(
        path,
        BadValue::Str(key.to_string()),
        errs.join("; "),
    ))
}

fn validate_label_value(key: &str, value: &str, path: &str) -> Option<FieldError> {
    let errs = is_valid_label_value(value);
    if errs.is_empty() {
        return None;
    }
    Some(FieldError::invalid(
        format!("{path}[{key}]"),
        BadValue::Str(value.to_string()),
        errs.join("; "),
    ))
}

/// `NewRequirement` as the parser calls it: validates the values for `op` and each value as a
/// label value; the error is the aggregate of all problems.
fn new_requirement(key: String, op: Operator, values: Vec<String>) -> Result<Requirement, String> {
    let mut errs: Vec<FieldError> = Vec::new();
    if let Some(e) = validate_label_key(&key, "key") {
        errs.push(e);
    }
    match op {
        Operator::In | Operator::NotIn if values.is_empty() => errs.push(FieldError::invalid(
            "values",
            BadValue::Raw("[]".into()),
            "for 'in', 'notin' operators, values set can't be empty",
        )),
        Operator::GreaterThan | Operator::LessThan => {
            for (i, v) in values.iter().enumerate() {
                if v.parse::<i64>().is_err() {
                    errs.push(FieldError::invalid(
                        format!("values[{i}]"),
                        BadValue::Str(v.clone()),
                        "for 'Gt', 'Lt' operators, the value must be an integer",
                    ));
                }
            }
        }
        _ => {}
    }
    for (i, v) in values.iter().enumerate() {
        if let Some(e) = validate_label_value(&key, v, &format!("values[{i}]")) {
            errs.push(e);
        }
    }
    match aggregate(&errs) {
        Some(agg) => Err(agg),
        None => Ok(Requirement {
            key,
            operator: op,
            values,
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// Lexer and parser.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Error,
    EndOfString,
    ClosedPar,
    Comma,
    DoesNotExist,
    DoubleEquals,
    Equals,
    GreaterThan,
    Identifier,
    In,
    LessThan,
    NotEquals,
    NotIn,
    OpenPar,
}

fn string_to_token(s: &[u8]) -> Option<Token> {
    Some(match s {
        b")" => Token::ClosedPar,
        b"," => Token::Comma,
        b"!" => Token::DoesNotExist,
        b"==" => Token::DoubleEquals,
        b"=" => Token::Equals,
        b">" => Token::GreaterThan,
        b"in" => Token::In,
        b"<" => Token::LessThan,
        b"!=" => Token::NotEquals,
        b"notin" => Token::NotIn,
        b"(" => Token::OpenPar,
        _ => return None,
    })
}

fn is_whitespace(ch: u8) -> bool {
    matches!(ch, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_special_symbol(ch: u8) -> bool {
    matches!(ch, b'=' | b'!' | b'(' | b')' | b',' | b'>' | b'<')
}

struct Lexer<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Lexer<'_> {
    /// Go's `read`: the next byte (0 at the end, which does not advance).
    fn read(&mut self) -> u8 {
        match self.s.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                b
            }
            None => 0,
        }
    }

    fn unread(&mut self) {
        self.pos = self.pos.saturating_sub(1);
    }

    fn scan_id_or_keyword(&mut self) -> (Token, String) {
        let mut buffer = Vec::new();
        loop {
            let ch = self.read();
            if ch == 0 {
                break;
            }
            if is_special_symbol(ch) || is_whitespace(ch) {
                self.unread();
                break;
            }
            buffer.push(ch);
        }
        let lit = String::from_utf8_lossy(&buffer).into_owned();
        match string_to_token(&buffer) {
            Some(tok) => (tok, lit),
            None => (Token::Identifier, lit),
        }
    }

    fn scan_special_symbol(&mut self) -> (Token, String) {
        let mut last: Option<(Token, String)> = None;
        let mut buffer = Vec::new();
        loop {
            let ch = self.read();
            if ch == 0 {
                break;
            }
            if !is_special_symbol(ch) {
                self.unread();
                break;
            }
            buffer.push(ch);
            if let Some(tok) = string_to_token(&buffer) {
                last = Some((tok, String::from_utf8_lossy(&buffer).into_owned()));
            } else if last.is_some() {
                self.unread();
                break;
            }
        }
        match last {
            Some(item) => item,
            None => (
                Token::Error,
                format!(
                    "error expected: keyword found '{}'",
                    String::from_utf8_lossy(&buffer)
                ),
            ),
        }
    }

    fn lex(&mut self) -> (Token, String) {
        let mut ch = self.read();
        while is_whitespace(ch) {
            ch = self.read();
        }
        if ch == 0 {
            return (Token::EndOfString, String::new());
        }
        self.unread();
        if is_special_symbol(ch) {
            self.scan_special_symbol()
        } else {
            self.scan_id_or_keyword()
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    KeyAndOperator,
    Values,
}

struct Parser {
    items: Vec<(Token, String)>,
    position: usize,
}

impl Parser {
    fn new(s: &str) -> Self {
        let mut lexer = Lexer {
            s: s.as_bytes(),
            pos: 0,
        };
        let mut items = Vec::new();
        loop {
            let item = lexer.lex();
            let end = item.0 == Token::EndOfString;
            items.push(item);
            if end {
                break;
            }
        }
        Self { items, position: 0 }
    }

    fn item(&self, index: usize, context: Context) -> (Token, String) {
        let (tok, lit) = self
            .items
            .get(index)
            .cloned()
            .unwrap_or((Token::EndOfString, String::new()));
        let tok = match (context, tok) {
            (Context::Values, Token::In | Token::NotIn) => Token::Identifier,
            (_, t) => t,
        };
        (tok, lit)
    }

    fn lookahead(&self, context: Context) -> (Token, String) {
        self.item(self.position, context)
    }

    fn consume(&mut self, context: Context) -> (Token, String) {
        self.position += 1;
        self.item(self.position - 1, context)
    }

    fn parse(&mut self) -> Result<Vec<Requirement>, SelectorError> {
        let mut requirements = Vec::new();
        loop {
            let (tok, lit) = self.lookahead(Context::Values);
            match tok {
                Token::Identifier | Token::DoesNotExist => {
                    let r = self
                        .parse_requirement()
                        .map_err(|e| SelectorError::new(format!("unable to parse requirement: {e}")))?;
                    requirements.push(r);
                    let (t, l) = self.consume(Context::Values);
                    match t {
                        Token::EndOfString => return Ok(requirements),
                        Token::Comma => {
                            let (t2, l2) = self.lookahead(Context::Values);
                            if t2 != Token::Identifier && t2 != Token::DoesNotExist {
                                return Err(SelectorError::new(format!(
                                    "found '{l2}', expected: identifier after ','"
                                )));
                            }
                        }
                        _ => {
                            return Err(SelectorError::new(format!(
                                "found '{l}', expected: ',' or 'end of string'"
                            )))
                        }
                    }
                }
                Token::EndOfString => return Ok(requirements),
                _ => {
                    return Err(SelectorError::new(format!(
                        "found '{lit}', expected: !, identifier, or 'end of string'"
                    )))
                }
            }
        }
    }

    fn parse_requirement(&mut self) -> Result<Requirement, String> {
        let (key, operator) = self.parse_key_and_infer_operator()?;
        if let Some(op @ (Operator::Exists | Operator::DoesNotExist)) = operator {
            return new_requirement(key, op, Vec::new());
        }
        let op = self.parse_operator()?;
        let values = match op {
            Operator::In | Operator::NotIn => self.parse_values()?,
            _ => self.parse_exact_value()?,
        };
        new_requirement(key, op, values.into_iter().collect())
    }

    fn parse_key_and_infer_operator(&mut self) -> Result<(String, Option<Operator>), String> {
        let mut operator = None;
        let (mut tok, mut literal) = self.consume(Context::Values);
        if tok == Token::DoesNotExist {
            operator = Some(Operator::DoesNotExist);
            (tok, literal) = self.consume(Context::Values);
        }
        if tok != Token::Identifier {
            return Err(format!("found '{literal}', expected: identifier"));
        }
        if let Some(err) = validate_label_key(&literal, NIL_PATH) {
            return Err(err.to_string());
        }
        let (t, _) = self.lookahead(Context::Values);
        if (t == Token::EndOfString || t == Token::Comma) && operator != Some(Operator::DoesNotExist) {
            operator = Some(Operator::Exists);
        }
        Ok((literal, operator))
    }

    fn parse_operator(&mut self) -> Result<Operator, String> {
        let (tok, lit) = self.consume(Context::KeyAndOperator);
        Ok(match tok {
            Token::In => Operator::In,
            Token::Equals => Operator::Equals,
            Token::DoubleEquals => Operator::DoubleEquals,
            Token::GreaterThan => Operator::GreaterThan,
            Token::LessThan => Operator::LessThan,
            Token::NotIn => Operator::NotIn,
            Token::NotEquals => Operator::NotEquals,
            _ => return Err(format!("found '{lit}', expected: in, notin, =, ==, !=, gt, lt")),
        })
    }

    fn parse_values(&mut self) -> Result<BTreeSet<String>, String> {
        let (tok, lit) = self.consume(Context::Values);
        if tok != Token::OpenPar {
            return Err(format!("found '{lit}' expected: '('"));
        }
        let (tok, lit) = self.lookahead(Context::Values);
        match tok {
            Token::Identifier | Token::Comma => {
                let set = self.parse_identifiers_list()?;
                let (tok, _) = self.consume(Context::Values);
                if tok != Token::ClosedPar {
                    return Err(format!("found '{lit}', expected: ')'"));
                }
                Ok(set)
            }
            Token::ClosedPar => {
                self.consume(Context::Values);
                Ok(BTreeSet::from([String::new()]))
            }
            _ => Err(format!("found '{lit}', expected: ',', ')' or identifier")),
        }
    }

    fn parse_identifiers_list(&mut self) -> Result<BTreeSet<String>, String> {
        let mut set = BTreeSet::new();
        loop {
            let (tok, lit) = self.consume(Context::Values);
            match tok {
                Token::Identifier => {
                    set.insert(lit);
                    let (tok2, lit2) = self.lookahead(Context::Values);
                    match tok2 {
                        Token::Comma => continue,
                        Token::ClosedPar => return Ok(set),
                        _ => return Err(format!("found '{lit2}', expected: ',' or ')'")),
                    }
                }
                Token::Comma => {
                    if set.is_empty() {
                        set.insert(String::new());
                    }
                    let (tok2, _) = self.lookahead(Context::Values);
                    if tok2 == Token::ClosedPar {
                        set.insert(String::new());
                        return Ok(set);
                    }
                    if tok2 == Token::Comma {
                        set.insert(String::new());
                    }
                }
                _ => return Err(format!("found '{lit}', expected: ',', or identifier")),
            }
        }
    }

    fn parse_exact_value(&mut self) -> Result<BTreeSet<String>, String> {
        let (tok, _) = self.lookahead(Context::Values);
        if tok == Token::EndOfString || tok == Token::Comma {
            return Ok(BTreeSet::from([String::new()]));
        }
        let (tok, lit) = self.consume(Context::Values);
        if tok == Token::Identifier {
            return Ok(BTreeSet::from([lit]));
        }
        Err(format!("found '{lit}', expected: identifier"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME_RE: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
    const VALUE_RE: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

    fn err(s: &str) -> String {
        Selector::parse(s).unwrap_err().to_string()
    }

    #[test]
    fn spec_error_table() {
        let cases: Vec<(&str, String)> = vec![
            ("app in (a", "unable to parse requirement: found '', expected: ',' or ')'".into()),
            ("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt".into()),
            ("=x", "found '=', expected: !, identifier, or 'end of string'".into()),
            ("a,", "found '', expected: identifier after ','".into()),
            ("a=b c", "found 'c', expected: ',' or 'end of string'".into()),
            ("a in b", "unable to parse requirement: found 'b' expected: '('".into()),
            ("-bad", format!("unable to parse requirement: <nil>: Invalid value: \"-bad\": {NAME_RE}")),
            ("app=b$d", format!("unable to parse requirement: values[0][app]: Invalid value: \"b$d\": {VALUE_RE}")),
            ("a>x", "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer".into()),
        ];
        for (input, want) in cases {
            assert_eq!(err(input), want, "selector {input:?}");
        }
    }

    #[test]
    fn more_error_shapes() {
        let long_key = "k".repeat(64);
        let cases: Vec<(&str, String)> = vec![
            // conformance #76
            ("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt".into()),
            ("!", "unable to parse requirement: found '', expected: identifier".into()),
            ("!=x", "found '!=', expected: !, identifier, or 'end of string'".into()),
            ("a,,b", "found ',', expected: identifier after ','".into()),
            ("a in (b c)", "unable to parse requirement: found 'c', expected: ',' or ')'".into()),
            ("a in )", "unable to parse requirement: found ')' expected: '('".into()),
            ("a in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier".into()),
            ("a in (,=)", "unable to parse requirement: found '=', expected: ',', or identifier".into()),
            // `gt`/`lt` name the `>`/`<` operators in the message; they are not keywords.
            ("a gt 1", "unable to parse requirement: found 'gt', expected: in, notin, =, ==, !=, gt, lt".into()),
            ("a = =", "unable to parse requirement: found '=', expected: identifier".into()),
            ("a>x$", format!("unable to parse requirement: [values[0]: Invalid value: \"x$\": for 'Gt', 'Lt' operators, the value must be an integer, values[0][a]: Invalid value: \"x$\": {VALUE_RE}]")),
            ("a in (z$,b$)", format!("unable to parse requirement: [values[0][a]: Invalid value: \"b$\": {VALUE_RE}, values[1][a]: Invalid value: \"z$\": {VALUE_RE}]")),
            ("a/", format!("unable to parse requirement: <nil>: Invalid value: \"a/\": name part must be non-empty; {NAME_RE}")),
            ("/a", "unable to parse requirement: <nil>: Invalid value: \"/a\": prefix part must be non-empty".into()),
            ("Ex.com/a", "unable to parse requirement: <nil>: Invalid value: \"Ex.com/a\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')".into()),
            ("a/b/c", "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')".into()),
            (&long_key, format!("unable to parse requirement: <nil>: Invalid value: \"{}\": name part must be no more than 63 characters", "k".repeat(64))),
        ];
        for (input, want) in cases {
            assert_eq!(err(input), want, "selector {input:?}");
        }
        let long = format!("a={}", "v".repeat(64));
        assert_eq!(
            err(&long),
            format!("unable to parse requirement: values[0][a]: Invalid value: \"{}\": must be no more than 63 characters", "v".repeat(64))
        );
    }

    #[test]
    fn nul_byte_ends_tokens_like_go() {
        // At the start of a token, a NUL reads as the end of the string.
        assert_eq!(err("a, \u{0}b"), "found '', expected: identifier after ','");
        // Right after a symbol, the NUL is swallowed and lexing goes on.
        assert_eq!(Selector::parse("a,\u{0}b").unwrap().to_string(), "a,b");
        // Inside an identifier, a NUL ends it and the lexer continues after it.
        assert_eq!(
            err("a\u{0}b"),
            "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"
        );
    }

    #[test]
    fn parses_and_sorts() {
        let cases: &[(&str, &str)] = &[
            ("", ""),
            ("   ", ""),
            ("x in (foo,,baz),y,z notin ()", "x in (,baz,foo),y,z notin ()"),
            ("b=1,a!=2,!c", "a!=2,b=1,!c"),
            ("a==b", "a==b"),
            ("a=", "a="),
            ("a in (,x)", "a in (,x)"),
            ("a in (x,)", "a in (,x)"),
            ("a in (x,x)", "a in (x)"),
            ("a>1,b<2", "a>1,b<2"),
            ("  a\t=\nb  ", "a=b"),
            ("in in (in, notin)", "in in (in,notin)"),
            ("example.com/app=web", "example.com/app=web"),
        ];
        for (input, want) in cases {
            let s = Selector::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(s.to_string(), *want, "selector {input:?}");
        }
        assert!(Selector::parse("").unwrap().is_empty());
    }

    #[test]
    fn matching() {
        let labels = vec![
            ("app".to_string(), "web".to_string()),
            ("tier".to_string(), "5".to_string()),
            ("empty".to_string(), String::new()),
        ];
        let cases: &[(&str, bool)] = &[
            ("", true),
            ("app", true),
            ("!app", false),
            ("missing", false),
            ("!missing", true),
            ("app=web", true),
            ("app==web", true),
            ("app=db", false),
            ("app!=db", true),
            ("app!=web", false),
            ("missing!=x", true),
            ("app in (db,web)", true),
            ("app in (db)", false),
            ("missing in (x)", false),
            ("app notin (db)", true),
            ("app notin (web)", false),
            ("missing notin (x)", true),
            ("tier>4", true),
            ("tier>5", false),
            ("tier<6", true),
            ("app>1", false),
            ("missing<9", false),
            ("empty=", true),
            ("empty", true),
            ("app=web,tier>1", true),
            ("app=web,tier>9", false),
        ];
        for (sel, want) in cases {
            let s = Selector::parse(sel).unwrap();
            assert_eq!(s.matches(&labels), *want, "selector {sel:?}");
            let pairs = labels.iter().map(|(k, v)| (k.as_str(), v.as_str()));
            assert_eq!(s.matches_pairs(pairs), *want, "selector {sel:?} (pairs)");
        }
    }

    #[test]
    fn exact_match_introspection() {
        let s = Selector::parse("a=1,b in (x),c in (x,y),d!=1").unwrap();
        assert_eq!(s.requires_exact_match("a"), Some("1"));
        assert_eq!(s.requires_exact_match("b"), Some("x"));
        assert_eq!(s.requires_exact_match("c"), None);
        assert_eq!(s.requires_exact_match("d"), None);
        assert_eq!(s.requires_exact_match("z"), None);
        assert_eq!(s.requirements()[0].key(), "a");
        assert_eq!(s.requirements()[2].values(), ["x", "y"]);
        assert_eq!(s.requirements()[3].operator(), Operator::NotEquals);
    }

    #[test]
    fn validators() {
        assert!(is_qualified_name("example.com/My_Name-1").is_empty());
        assert!(is_valid_label_value("").is_empty());
        assert!(is_dns1123_subdomain("a.b-c").is_empty());
        assert_eq!(is_dns1123_subdomain("a..b").len(), 1);
        assert_eq!(is_dns1123_subdomain(&"a".repeat(254)).len(), 1);
    }
}
