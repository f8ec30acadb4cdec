//! End-to-end: the real `kubectl` against the real binary, over HTTPS with the generated kubeconfig.
//!
//! Every test runs twice: with `/usr/bin/kubectl` (the GKE dispatcher; it asks `/version`, sees minor
//! 34 and runs its built-in 1.32.4) and with `kubectl.1.33` directly. Each run has its own server and
//! its own `$HOME` (so its own discovery cache). Outputs are asserted exactly; only AGE cells and the
//! server-assigned metadata (uid, resourceVersion, creationTimestamp) are read back rather than known.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use common::kubectl::{Kubectl, Out, SKEW};
use common::Server;

/// The kubectl builds under test: (label, path).
const KUBECTLS: [(&str, &str); 2] = [
    ("dispatcher", "/usr/bin/kubectl"),
    ("1.33", "/usr/lib/google-cloud-sdk/bin/kubectl.1.33"),
];

/// How long to wait for one line of a running `get -w` or `wait`.
const LINE_WAIT: Duration = Duration::from_secs(30);

impl Kubectl {
    /// `kubectl create -f -` of a manifest; asserts its output.
    fn create(&self, manifest: &str, expected: &str) {
        let out = self.run_stdin(&["create", "-f", "-"], Some(manifest));
        assert_eq!(out.ok(), expected, "[{}] create", self.label);
    }

    /// Starts a long-running kubectl (`get -w`, `wait`) whose stdout and stderr are read line by line.
    fn spawn(&self, args: &[&str]) -> Running {
        let mut child = self
            .command(args)
            .stdin(Stdio::null())
            .spawn()
            .expect("spawn kubectl");
        Running {
            stdout: lines(child.stdout.take().expect("stdout")),
            stderr: lines(child.stderr.take().expect("stderr")),
            child,
        }
    }

    /// The value of a jsonpath on one object.
    fn jsonpath(&self, args: &[&str], path: &str) -> String {
        let arg = format!("jsonpath={path}");
        let mut all: Vec<&str> = vec!["get", "-o", &arg];
        all.extend_from_slice(args);
        self.run(&all).ok().to_string()
    }
}

/// A kubectl still running.
struct Running {
    child: Child,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
}

impl Running {
    /// The next stdout line; panics if none arrives within LINE_WAIT or the output ends.
    fn next_line(&self) -> String {
        match self.stdout.recv_timeout(LINE_WAIT) {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => panic!("no kubectl output line within {LINE_WAIT:?}"),
            Err(RecvTimeoutError::Disconnected) => panic!("kubectl output ended"),
        }
    }

    /// Reads stderr until a line contains all of `needles`.
    fn wait_stderr(&self, needles: &[&str]) {
        let deadline = Instant::now() + LINE_WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(line) if needles.iter().all(|n| line.contains(n)) => return,
                Ok(_) => {}
                Err(e) => panic!("no kubectl stderr line with {needles:?}: {e}"),
            }
        }
    }

    /// Waits for the exit within LINE_WAIT and returns (exit code, the remaining stdout lines).
    fn finish(mut self) -> (i32, Vec<String>) {
        let deadline = Instant::now() + LINE_WAIT;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("kubectl did not exit within {LINE_WAIT:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        (status.code().unwrap_or(-1), self.stdout.iter().collect())
    }

    /// Kills it (kubectl get -w never ends by itself) and returns any stdout lines not read yet.
    fn kill(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.stdout.iter().collect()
    }
}

fn lines(r: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// Splits kubectl's tabular output into cells: columns are at least three spaces apart, and cells hold
/// at most single spaces (`10.0.0.1:80 + 1 more...`).
fn cells(line: &str) -> Vec<String> {
    line.split("   ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect()
}

/// Whether a cell is a kubectl age: `0s`, `59s`, `2m3s`, `5m`, `3h`...
fn is_age(cell: &str) -> bool {
    let mut saw_unit = false;
    let mut digits = 0;
    for c in cell.chars() {
        if c.is_ascii_digit() {
            digits += 1;
        } else if "smhdy".contains(c) && digits > 0 {
            digits = 0;
            saw_unit = true;
        } else {
            return false;
        }
    }
    saw_unit && digits == 0
}

/// Parses a table, checks that every AGE cell is an age and replaces it with `*`.
fn table(out: &str) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = out.lines().map(cells).collect();
    let Some(header) = rows.first() else { return rows };
    if let Some(age) = header.iter().position(|c| c == "AGE") {
        for row in rows.iter_mut().skip(1) {
            assert!(row.len() > age && is_age(&row[age]), "no AGE cell in {row:?}");
            row[age] = "*".to_string();
        }
    }
    rows
}

fn rows(expected: &[&[&str]]) -> Vec<Vec<String>> {
    expected
        .iter()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

/// An Endpoints manifest: name, namespace (None = the kubeconfig's), labels, addresses, port.
fn manifest(name: &str, namespace: Option<&str>, labels: &[(&str, &str)], ips: &[&str], port: u16) -> String {
    let mut m = format!("apiVersion: v1\nkind: Endpoints\nmetadata:\n  name: {name}\n");
    if let Some(ns) = namespace {
        m.push_str(&format!("  namespace: {ns}\n"));
    }
    if !labels.is_empty() {
        m.push_str("  labels:\n");
        for (k, v) in labels {
            m.push_str(&format!("    {k}: {v}\n"));
        }
    }
    if !ips.is_empty() {
        m.push_str("subsets:\n- addresses:\n");
        for ip in ips {
            m.push_str(&format!("  - ip: {ip}\n"));
        }
        m.push_str(&format!(
            "  ports:\n  - name: http\n    port: {port}\n    protocol: TCP\n"
        ));
    }
    m
}

/// Runs `body` once per kubectl build, each with a fresh server.
fn each_kubectl(body: impl Fn(&Kubectl, &Server)) {
    for (label, bin) in KUBECTLS {
        assert!(std::path::Path::new(bin).exists(), "{bin} is not installed");
        let server = Server::start();
        let k = Kubectl::new(label, bin, &server);
        body(&k, &server);
    }
}

#[test]
fn version() {
    each_kubectl(|k, _| {
        let client = match k.label {
            "dispatcher" => "Client Version: v1.32.4-dispatcher\nKustomize Version: v5.5.0\n",
            _ => "Client Version: v1.33.1\nKustomize Version: v5.6.0\n",
        };
        let out = k.run(&["version"]);
        assert_eq!(
            out.ok(),
            format!("{client}Server Version: v1.34.0-epstore\n"),
            "[{}]",
            k.label
        );
        if k.label == "dispatcher" {
            assert_eq!(out.stderr, format!("{SKEW}\n"), "[{}] the skew warning", k.label);
        }

        let out = k.run(&["version", "-o", "json"]);
        let v: serde_json::Value = serde_json::from_str(out.ok()).expect("version JSON");
        let server = &v["serverVersion"];
        assert_eq!(server["major"], "1", "[{}] {v}", k.label);
        assert_eq!(server["minor"], "34", "[{}] {v}", k.label);
        assert_eq!(server["gitVersion"], "v1.34.0-epstore", "[{}] {v}", k.label);
        assert_eq!(server["platform"], "linux/amd64", "[{}] {v}", k.label);
    });
}

#[test]
fn api_resources_and_raw_discovery() {
    each_kubectl(|k, _| {
        assert_eq!(
            k.run(&["api-resources"]).ok(),
            "NAME        SHORTNAMES   APIVERSION   NAMESPACED   KIND\n\
             endpoints   ep           v1           true         Endpoints\n",
            "[{}]",
            k.label
        );
        assert_eq!(
            k.run(&["api-resources", "-o", "name"]).ok(),
            "endpoints\n",
            "[{}]",
            k.label
        );
        let raw: serde_json::Value =
            serde_json::from_str(k.run(&["get", "--raw", "/api/v1"]).ok()).expect("/api/v1 JSON");
        assert_eq!(raw["kind"], "APIResourceList");
        assert_eq!(raw["groupVersion"], "v1");
        let resources = raw["resources"].as_array().expect("resources");
        assert_eq!(resources.len(), 1, "{raw}");
        assert_eq!(resources[0]["name"], "endpoints");
        assert_eq!(resources[0]["shortNames"], serde_json::json!(["ep"]));
        assert_eq!(
            resources[0]["verbs"],
            serde_json::json!([
                "create",
                "delete",
                "deletecollection",
                "get",
                "list",
                "patch",
                "update",
                "watch"
            ])
        );
        // The short name resolves through discovery.
        assert_eq!(
            k.run(&["get", "ep"]).errors(),
            vec!["No resources found in default namespace."]
        );
    });
}

#[test]
fn explain() {
    each_kubectl(|k, _| {
        let out = k.run(&["explain", "endpoints"]);
        let text = out.ok();
        assert!(
            text.starts_with(
                "KIND:       Endpoints\nVERSION:    v1\n\nDESCRIPTION:\n    Endpoints is a collection of endpoints \
                 that implement the actual service."
            ),
            "[{}] {text}",
            k.label
        );
        for field in [
            "\n  apiVersion\t<string>\n",
            "\n  kind\t<string>\n",
            "\n  metadata\t<ObjectMeta>\n",
            "\n  subsets\t<[]EndpointSubset>\n",
        ] {
            assert!(text.contains(field), "[{}] no {field:?} in {text}", k.label);
        }

        let out = k.run(&["explain", "endpoints.subsets.ports"]);
        let text = out.ok();
        for field in [
            "FIELD: ports <[]EndpointPort>",
            "\n  port\t<integer> -required-\n    The port number of the endpoint.\n",
            "\n  protocol\t<string>\n  enum: SCTP, TCP, UDP\n",
            "\n  name\t<string>\n",
            "\n  appProtocol\t<string>\n",
        ] {
            assert!(text.contains(field), "[{}] no {field:?} in {text}", k.label);
        }

        assert_eq!(
            k.run(&["explain", "endpoints.subsets.ports.port"]).ok(),
            "KIND:       Endpoints\nVERSION:    v1\n\nFIELD: port <integer>\n\n\nDESCRIPTION:\n    \
             The port number of the endpoint.\n    \n\n",
            "[{}]",
            k.label
        );
        let out = k.run(&["explain", "endpoints.nope"]);
        assert_eq!(
            (out.code, out.errors()),
            (1, vec!["error: field \"nope\" does not exist"]),
            "[{}] {out:#?}",
            k.label
        );
    });
}

#[test]
fn create_and_duplicate_create() {
    each_kubectl(|k, _| {
        let foo = manifest("foo", None, &[("a", "b")], &["10.0.0.1", "10.0.0.2"], 80);
        k.create(&foo, "endpoints/foo created\n");
        k.run_stdin(&["create", "-f", "-"], Some(&foo)).fails_with(&[
            "Error from server (AlreadyExists): error when creating \"STDIN\": endpoints \"foo\" already exists",
        ]);
        // From a file, in another namespace, and with -o name.
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("ep.yaml");
        std::fs::write(&file, manifest("foo", Some("other"), &[], &["10.0.0.9"], 8080)).expect("write");
        let file = file.to_str().expect("utf-8 path");
        assert_eq!(
            k.run(&["create", "-f", file, "-o", "name"]).ok(),
            "endpoints/foo\n"
        );
        k.run(&["create", "-f", file]).fails_with(&[&format!(
            "Error from server (AlreadyExists): error when creating \"{file}\": endpoints \"foo\" already exists"
        )]);
        assert_eq!(
            k.jsonpath(
                &["ep", "foo", "-n", "other"],
                "{.subsets[0].addresses[0].ip}:{.subsets[0].ports[0].port}"
            ),
            "10.0.0.9:8080"
        );
        assert_eq!(k.jsonpath(&["ep", "foo"], "{.metadata.labels.a}"), "b");
    });
}

#[test]
fn field_validation_of_a_typo() {
    let typo = "apiVersion: v1\nkind: Endpoints\nmetadata:\n  name: typo\nsubsets:\n- addresses:\n  - ip: 10.0.0.9\n  \
                portz:\n  - port: 80\n";
    let strict =
        "Error from server (BadRequest): error when creating \"STDIN\": Endpoints in version \"v1\" cannot \
                  be handled as a Endpoints: strict decoding error: unknown field \"subsets[0].portz\"";
    // (flags, exit code, stdout, stderr lines)
    let cases: [(&[&str], i32, &str, &[&str]); 5] = [
        (&[], 1, "", &[strict]),
        (&["--validate=strict"], 1, "", &[strict]),
        (&["--validate=true"], 1, "", &[strict]),
        (
            &["--validate=warn"],
            0,
            "endpoints/typo created\n",
            &["Warning: unknown field \"subsets[0].portz\""],
        ),
        (&["--validate=ignore"], 0, "endpoints/typo created\n", &[]),
    ];
    each_kubectl(|k, _| {
        for (flags, code, stdout, stderr) in cases {
            let mut args = vec!["create", "-f", "-"];
            args.extend_from_slice(flags);
            let out = k.run_stdin(&args, Some(typo));
            assert_eq!(
                (out.code, out.stdout.as_str(), out.errors()),
                (code, stdout, stderr.to_vec()),
                "[{}] {flags:?}: {out:#?}",
                k.label
            );
            if code == 0 {
                // The unknown field was dropped; the rest was stored.
                assert_eq!(
                    k.jsonpath(&["ep", "typo"], "{.subsets}"),
                    r#"[{"addresses":[{"ip":"10.0.0.9"}]}]"#
                );
                assert_eq!(
                    k.run(&["delete", "ep", "typo"]).ok(),
                    "endpoints \"typo\" deleted\n"
                );
            } else {
                k.run(&["get", "ep", "typo"])
                    .fails_with(&["Error from server (NotFound): endpoints \"typo\" not found"]);
            }
        }
    });
}

#[test]
fn get_tables_and_output_formats() {
    each_kubectl(|k, _| {
        k.create(
            &manifest("foo", None, &[("a", "b")], &["10.0.0.1", "10.0.0.2"], 80),
            "endpoints/foo created\n",
        );
        k.create(
            &manifest(
                "big",
                Some("kt-b"),
                &[("app", "big"), ("tier", "web")],
                &["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"],
                8080,
            ),
            "endpoints/big created\n",
        );
        k.create(
            &manifest("empty", Some("kt-a"), &[], &[], 0),
            "endpoints/empty created\n",
        );

        // get: the server's Table, its columns and cells.
        assert_eq!(
            table(k.run(&["get", "endpoints"]).ok()),
            rows(&[
                &["NAME", "ENDPOINTS", "AGE"],
                &["foo", "10.0.0.1:80,10.0.0.2:80", "*"]
            ]),
            "[{}]",
            k.label
        );
        assert_eq!(
            table(k.run(&["get", "ep", "big", "-n", "kt-b"]).ok()),
            rows(&[
                &["NAME", "ENDPOINTS", "AGE"],
                &[
                    "big",
                    "10.0.0.1:8080,10.0.0.2:8080,10.0.0.3:8080 + 1 more...",
                    "*"
                ]
            ]),
            "[{}]",
            k.label
        );
        let out = k.run(&["get", "ep", "-n", "kt-a", "--no-headers"]);
        let no_headers = table(out.ok());
        assert_eq!(no_headers.len(), 1, "{no_headers:?}");
        assert_eq!(no_headers[0][..2], ["empty", "<none>"], "[{}]", k.label);
        assert!(is_age(&no_headers[0][2]), "{no_headers:?}");
        // -A --show-labels: NAMESPACE and LABELS come from the rows' PartialObjectMetadata.
        assert_eq!(
            table(k.run(&["get", "ep", "-A", "--show-labels"]).ok()),
            rows(&[
                &["NAMESPACE", "NAME", "ENDPOINTS", "AGE", "LABELS"],
                &["default", "foo", "10.0.0.1:80,10.0.0.2:80", "*", "a=b"],
                &["kt-a", "empty", "<none>", "*", "<none>"],
                &[
                    "kt-b",
                    "big",
                    "10.0.0.1:8080,10.0.0.2:8080,10.0.0.3:8080 + 1 more...",
                    "*",
                    "app=big,tier=web"
                ],
            ]),
            "[{}]",
            k.label
        );
        assert_eq!(
            table(k.run(&["get", "ep", "-A", "-L", "tier"]).ok()),
            rows(&[
                &["NAMESPACE", "NAME", "ENDPOINTS", "AGE", "TIER"],
                &["default", "foo", "10.0.0.1:80,10.0.0.2:80", "*"],
                &["kt-a", "empty", "<none>", "*"],
                &[
                    "kt-b",
                    "big",
                    "10.0.0.1:8080,10.0.0.2:8080,10.0.0.3:8080 + 1 more...",
                    "*",
                    "web"
                ],
            ]),
            "[{}]",
            k.label
        );
        k.run(&["get", "ep", "nope"])
            .fails_with(&["Error from server (NotFound): endpoints \"nope\" not found"]);
        assert_eq!(
            k.run(&["get", "ep", "-n", "none"]).errors(),
            vec!["No resources found in none namespace."]
        );

        // -o yaml, with the server-assigned metadata read back through jsonpath.
        let meta = k.jsonpath(
            &["ep", "foo"],
            "{.metadata.creationTimestamp} {.metadata.resourceVersion} {.metadata.uid}",
        );
        let [created, rv, uid]: [&str; 3] = meta.split(' ').collect::<Vec<_>>().try_into().expect("3 fields");
        assert!(rv.parse::<u64>().is_ok(), "resourceVersion {rv:?}");
        assert_eq!(
            k.run(&["get", "ep", "foo", "-o", "yaml"]).ok(),
            format!(
                "apiVersion: v1\nkind: Endpoints\nmetadata:\n  creationTimestamp: \"{created}\"\n  labels:\n    a: b\n  \
                 name: foo\n  namespace: default\n  resourceVersion: \"{rv}\"\n  uid: {uid}\nsubsets:\n- addresses:\n  \
                 - ip: 10.0.0.1\n  - ip: 10.0.0.2\n  ports:\n  - name: http\n    port: 80\n    protocol: TCP\n"
            ),
            "[{}]",
            k.label
        );
        let json: serde_json::Value =
            serde_json::from_str(k.run(&["get", "ep", "foo", "-o", "json"]).ok()).expect("-o json");
        assert_eq!(json["metadata"]["uid"], uid);
        assert_eq!(json["subsets"][0]["ports"][0]["port"], 80);

        // jsonpath over a list, and -o name.
        assert_eq!(
            k.run(&[
                "get",
                "ep",
                "-A",
                "-o",
                r#"jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}={.subsets[*].addresses[*].ip}{"\n"}{end}"#,
            ])
            .ok(),
            "default/foo=10.0.0.1 10.0.0.2\nkt-a/empty=\nkt-b/big=10.0.0.1 10.0.0.2 10.0.0.3 10.0.0.4\n",
            "[{}]",
            k.label
        );
        assert_eq!(
            k.run(&["get", "ep", "-A", "-o", "name"]).ok(),
            "endpoints/foo\nendpoints/empty\nendpoints/big\n"
        );
        assert_eq!(
            k.run(&[
                "get",
                "ep",
                "-A",
                "-o",
                "custom-columns=NS:.metadata.namespace,NAME:.metadata.name"
            ])
            .ok(),
            "NS        NAME\ndefault   foo\nkt-a      empty\nkt-b      big\n"
        );
    });
}

#[test]
fn label_and_field_selectors() {
    let objects: [(&str, &[(&str, &str)]); 4] = [
        ("a", &[("tier", "web"), ("env", "prod")]),
        ("b", &[("tier", "db"), ("env", "prod")]),
        ("c", &[("tier", "cache")]),
        ("d", &[]),
    ];
    // (selector flags, expected `-o name` output)
    let cases: [(&[&str], &str); 12] = [
        (&["-l", "tier=web"], "a"),
        (&["-l", "tier==db"], "b"),
        (&["-l", "tier!=web"], "b c d"),
        (&["-l", "tier in (web,db)"], "a b"),
        (&["-l", "tier notin (web,db)"], "c d"),
        (&["-l", "env"], "a b"),
        (&["-l", "!env"], "c d"),
        (&["-l", "env=prod,tier in (db,cache)"], "b"),
        (&["--field-selector", "metadata.name=c"], "c"),
        (&["--field-selector", "metadata.name!=c"], "a b d"),
        (&["--field-selector", "metadata.namespace=default"], "a b c d"),
        (&["-l", "env=prod", "--field-selector", "metadata.name!=a"], "b"),
    ];
    each_kubectl(|k, _| {
        for (name, labels) in objects {
            k.create(
                &manifest(name, None, labels, &["10.0.0.1"], 80),
                &format!("endpoints/{name} created\n"),
            );
        }
        for (flags, expected) in cases {
            let mut args = vec!["get", "ep", "-o", "name"];
            args.extend_from_slice(flags);
            let want: String = expected.split(' ').map(|n| format!("endpoints/{n}\n")).collect();
            assert_eq!(k.run(&args).ok(), want, "[{}] {flags:?}", k.label);
        }
        assert_eq!(
            k.run(&["get", "ep", "-l", "tier=nope"]).errors(),
            vec!["No resources found in default namespace."]
        );
        // The table with a selector.
        assert_eq!(
            table(k.run(&["get", "ep", "-l", "env=prod"]).ok()),
            rows(&[
                &["NAME", "ENDPOINTS", "AGE"],
                &["a", "10.0.0.1:80", "*"],
                &["b", "10.0.0.1:80", "*"]
            ])
        );
        k.run(&["get", "ep", "--field-selector", "subsets=x"]).fails_with(&[
            "Error from server (BadRequest): Unable to find \"/v1, Resource=endpoints\" that match label selector \"\", \
             field selector \"subsets=x\": \"subsets\" is not a known field selector: only \"metadata.name\", \
             \"metadata.namespace\"",
        ]);
    });
}

#[test]
fn chunked_list() {
    each_kubectl(|k, _| {
        let names = ["e1", "e2", "e3", "e4", "e5"];
        for name in names {
            k.create(
                &manifest(name, None, &[], &["10.0.0.1"], 80),
                &format!("endpoints/{name} created\n"),
            );
        }
        let out = k.run(&["get", "ep", "--chunk-size=2", "-v=6"]);
        assert_eq!(out.code, 0, "{out:#?}");
        let mut expected = vec![vec![
            "NAME".to_string(),
            "ENDPOINTS".to_string(),
            "AGE".to_string(),
        ]];
        expected.extend(
            names
                .iter()
                .map(|n| vec![n.to_string(), "10.0.0.1:80".to_string(), "*".to_string()]),
        );
        assert_eq!(
            table(&out.stdout),
            expected,
            "[{}] one header over all pages",
            k.label
        );
        // The requests kubectl logged at -v=6: three pages of 2, 2 and 1, the last two with `continue`.
        let lists: Vec<&str> = out
            .stderr
            .lines()
            .filter(|l| l.contains("/api/v1/namespaces/default/endpoints?") && l.contains("200 OK"))
            .collect();
        assert_eq!(lists.len(), 3, "[{}] {lists:#?}", k.label);
        assert!(lists.iter().all(|l| l.contains("limit=2")), "{lists:#?}");
        assert_eq!(
            lists.iter().filter(|l| l.contains("continue=")).count(),
            2,
            "{lists:#?}"
        );

        // -o name pages the same way.
        let out = k.run(&["get", "ep", "--chunk-size=1", "-o", "name"]);
        let want: String = names.iter().map(|n| format!("endpoints/{n}\n")).collect();
        assert_eq!(out.ok(), want);
    });
}

#[test]
fn get_watch_output_watch_events() {
    each_kubectl(|k, _| {
        k.create(
            &manifest("a", None, &[], &["10.0.0.1"], 80),
            "endpoints/a created\n",
        );
        let watch = k.spawn(&["get", "ep", "-w", "--output-watch-events"]);
        let mut seen = vec![watch.next_line(), watch.next_line()];

        k.create(
            &manifest("b", None, &[], &["10.0.0.2"], 81),
            "endpoints/b created\n",
        );
        let out = k.run_stdin(
            &["replace", "-f", "-"],
            Some(&manifest("a", None, &[], &["10.0.0.9"], 80)),
        );
        assert_eq!(out.ok(), "endpoints/a replaced\n");
        assert_eq!(k.run(&["delete", "ep", "b"]).ok(), "endpoints \"b\" deleted\n");
        for _ in 0..3 {
            seen.push(watch.next_line());
        }
        let rest = watch.kill();
        assert_eq!(
            rest,
            Vec::<String>::new(),
            "[{}] lines after the expected ones",
            k.label
        );
        let got = table(&seen.join("\n"));
        assert_eq!(
            got,
            rows(&[
                &["EVENT", "NAME", "ENDPOINTS", "AGE"],
                &["ADDED", "a", "10.0.0.1:80", "*"],
                &["ADDED", "b", "10.0.0.2:81", "*"],
                &["MODIFIED", "a", "10.0.0.9:80", "*"],
                &["DELETED", "b", "10.0.0.2:81", "*"],
            ]),
            "[{}] {seen:#?}",
            k.label
        );

        // Watching one object by name: its current state first, then its changes.
        let watch = k.spawn(&["get", "ep", "a", "-w", "-o", "name"]);
        assert_eq!(watch.next_line(), "endpoints/a");
        assert_eq!(k.run(&["delete", "ep", "a"]).ok(), "endpoints \"a\" deleted\n");
        assert_eq!(watch.next_line(), "endpoints/a");
        assert_eq!(watch.kill(), Vec::<String>::new());
    });
}

#[test]
fn replace() {
    each_kubectl(|k, _| {
        k.create(
            &manifest("foo", None, &[("a", "b")], &["10.0.0.1"], 80),
            "endpoints/foo created\n",
        );
        let before = k.jsonpath(&["ep", "foo"], "{.metadata.resourceVersion} {.metadata.uid}");
        let out = k.run_stdin(
            &["replace", "-f", "-"],
            Some(&manifest("foo", None, &[("a", "c")], &["10.0.0.2"], 90)),
        );
        assert_eq!(out.ok(), "endpoints/foo replaced\n", "[{}]", k.label);
        let after = k.jsonpath(&["ep", "foo"], "{.metadata.resourceVersion} {.metadata.uid}");
        let (rv_before, uid_before) = before.split_once(' ').expect("rv uid");
        let (rv_after, uid_after) = after.split_once(' ').expect("rv uid");
        assert_eq!(uid_after, uid_before, "replace keeps the uid");
        assert!(
            rv_after.parse::<u64>().expect("rv") > rv_before.parse::<u64>().expect("rv"),
            "{rv_after} after {rv_before}"
        );
        assert_eq!(
            table(k.run(&["get", "ep", "--show-labels"]).ok()),
            rows(&[
                &["NAME", "ENDPOINTS", "AGE", "LABELS"],
                &["foo", "10.0.0.2:90", "*", "a=c"]
            ])
        );

        // A stale resourceVersion in the manifest: 409.
        let stale = manifest("foo", None, &[], &["10.0.0.3"], 90).replace(
            "  name: foo\n",
            &format!("  name: foo\n  resourceVersion: \"{rv_before}\"\n"),
        );
        k.run_stdin(&["replace", "-f", "-"], Some(&stale)).fails_with(&[
            "Error from server (Conflict): error when replacing \"STDIN\": Operation cannot be fulfilled on endpoints \
             \"foo\": the object has been modified; please apply your changes to the latest version and try again",
        ]);

        // Endpoints allow create-on-update: replacing a missing object creates it.
        let out = k.run_stdin(
            &["replace", "-f", "-"],
            Some(&manifest("new", None, &[], &["10.0.0.4"], 80)),
        );
        assert_eq!(out.ok(), "endpoints/new replaced\n");
        assert_eq!(
            k.run(&["get", "ep", "-o", "name"]).ok(),
            "endpoints/foo\nendpoints/new\n"
        );
    });
}

#[test]
fn delete_and_delete_all() {
    each_kubectl(|k, _| {
        for name in ["c", "a", "b"] {
            k.create(
                &manifest(name, None, &[], &["10.0.0.1"], 80),
                &format!("endpoints/{name} created\n"),
            );
        }
        k.create(
            &manifest("keep", Some("other"), &[], &["10.0.0.1"], 80),
            "endpoints/keep created\n",
        );

        assert_eq!(
            k.run(&["delete", "ep", "a"]).ok(),
            "endpoints \"a\" deleted\n",
            "[{}]",
            k.label
        );
        k.run(&["get", "ep", "a"])
            .fails_with(&["Error from server (NotFound): endpoints \"a\" not found"]);
        k.run(&["delete", "ep", "a"])
            .fails_with(&["Error from server (NotFound): endpoints \"a\" not found"]);
        assert_eq!(k.run(&["delete", "ep", "a", "--ignore-not-found"]).ok(), "");

        assert_eq!(
            k.run(&["delete", "ep", "--all"]).ok(),
            "endpoints \"b\" deleted\nendpoints \"c\" deleted\n",
            "[{}]",
            k.label
        );
        assert_eq!(
            k.run(&["get", "ep"]).errors(),
            vec!["No resources found in default namespace."]
        );
        assert_eq!(k.run(&["delete", "ep", "--all"]).ok(), "No resources found\n");
        // Other namespaces are untouched.
        assert_eq!(k.run(&["get", "ep", "-A", "-o", "name"]).ok(), "endpoints/keep\n");
        // Delete by file.
        let out = k.run_stdin(
            &["delete", "-f", "-"],
            Some(&manifest("keep", Some("other"), &[], &["10.0.0.1"], 80)),
        );
        assert_eq!(out.ok(), "endpoints \"keep\" deleted\n");
        assert_eq!(k.run(&["get", "ep", "-A"]).errors(), vec!["No resources found"]);
    });
}

#[test]
fn wait_for_delete() {
    each_kubectl(|k, _| {
        k.create(
            &manifest("w", None, &[], &["10.0.0.1"], 80),
            "endpoints/w created\n",
        );
        k.create(
            &manifest("stays", None, &[], &["10.0.0.1"], 80),
            "endpoints/stays created\n",
        );

        let wait = k.spawn(&["wait", "--for=delete", "ep/w", "--timeout=60s", "-v=6"]);
        // Delete only once its watch is open, so the deletion arrives as a watch event.
        wait.wait_stderr(&["GET", "fieldSelector=metadata.name%3Dw", "watch=true"]);
        assert_eq!(k.run(&["delete", "ep", "w"]).ok(), "endpoints \"w\" deleted\n");
        let (code, stdout) = wait.finish();
        assert_eq!(
            (code, stdout),
            (0, vec!["endpoints/w condition met".to_string()]),
            "[{}]",
            k.label
        );

        // An object that is not deleted: a timeout.
        k.run(&["wait", "--for=delete", "ep/stays", "--timeout=1s"])
            .fails_with(&["error: timed out waiting for the condition on endpoints/stays"]);
    });
}

#[test]
fn unauthorized_with_a_wrong_token() {
    // With a cold discovery cache kubectl fails in discovery (client-go drops the Status there); with a
    // warm one the 401 Status of the request itself is printed. Both are kubectl's "must be logged in".
    let discovery_denied =
        "couldn't get current server API group list: the server has asked for the client to \
                            provide credentials";
    let cold = "error: You must be logged in to the server (the server has asked for the client to provide credentials)";
    let warm = "error: You must be logged in to the server (Unauthorized)";
    let assert_denied = |out: Out, last: &str, label: &str| {
        // api-resources prints its header before it fails.
        let stdout_ok = out.stdout.is_empty() || out.stdout.starts_with("NAME   SHORTNAMES");
        assert!(out.code == 1 && stdout_ok, "[{label}] {out:#?}");
        let errors = out.errors();
        let (last_line, before) = errors.split_last().expect("stderr");
        assert_eq!(*last_line, last, "[{label}] {out:#?}");
        assert!(
            before
                .iter()
                .all(|l| l.ends_with(&format!("{discovery_denied}\""))),
            "[{label}] {out:#?}"
        );
        if last == cold {
            assert!(!before.is_empty(), "[{label}] no discovery errors: {out:#?}");
        }
    };
    each_kubectl(|k, server| {
        // A kubeconfig whose token is wrong, with a fresh discovery cache.
        let config = std::fs::read_to_string(server.kubeconfig()).expect("kubeconfig");
        assert!(
            config.contains(&server.token),
            "the kubeconfig carries the admin token"
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let bad = dir.path().join("kubeconfig");
        std::fs::write(&bad, config.replace(&server.token, "not-the-token")).expect("write");
        let bad_k = Kubectl {
            label: k.label,
            bin: k.bin,
            kubeconfig: bad,
            home: tempfile::tempdir().expect("home"),
        };
        assert_denied(bad_k.run(&["get", "ep"]), cold, k.label);
        assert_denied(bad_k.run(&["api-resources"]), cold, k.label);

        // --token with a cold cache, then with a warm one.
        assert_denied(k.run(&["get", "ep", "--token=wrong"]), cold, k.label);
        assert_eq!(
            k.run(&["get", "ep"]).errors(),
            vec!["No resources found in default namespace."]
        );
        assert_denied(k.run(&["get", "ep", "--token=wrong"]), warm, k.label);
        assert_denied(k.run(&["delete", "ep", "x", "--token=wrong"]), warm, k.label);
    });
}
