#!/usr/bin/env python3
"""End-to-end tests of epstore with the official Kubernetes Python client (`pip install kubernetes`).

Usage: client_test.py KUBECONFIG COMPACTING_KUBECONFIG

KUBECONFIG is the generated kubeconfig of a server with default flags; COMPACTING_KUBECONFIG is the one of
a server started with `--compaction-interval 1s` (used only by the expired-watch test). Every test uses
its own namespace, so the tests are independent of each other. Prints `N passed, M failed` last and exits
non-zero when any test failed.
"""

import json
import os
import sys
import threading
import time
import traceback

import kubernetes
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

# Every wait in this file is bounded by this many seconds.
WAIT = 30
# The kubeconfig of the default server (set by main).
KUBECONFIG = None


def new_api(kubeconfig):
    api_client = config.new_client_from_config(config_file=kubeconfig)
    return client.CoreV1Api(api_client)


def endpoints(name, ip="10.0.0.1", labels=None, port=80, resource_version=None):
    return client.V1Endpoints(
        api_version="v1",
        kind="Endpoints",
        metadata=client.V1ObjectMeta(name=name, labels=labels, resource_version=resource_version),
        subsets=[
            client.V1EndpointSubset(
                addresses=[client.V1EndpointAddress(ip=ip)],
                ports=[client.CoreV1EndpointPort(name="http", port=port, protocol="TCP")],
            )
        ],
    )


def status_body(exc):
    """The Status object carried by an ApiException."""
    assert exc.body, f"ApiException {exc.status} without a body"
    return json.loads(exc.body)


def expect_api_exception(status, reason, message, fn, *args, **kwargs):
    """Calls fn and asserts it raises ApiException with this HTTP status and Status reason/message."""
    try:
        fn(*args, **kwargs)
    except ApiException as exc:
        assert exc.status == status, f"status {exc.status} != {status}: {exc.body}"
        body = status_body(exc)
        assert body["kind"] == "Status", body
        assert body["status"] == "Failure", body
        assert body["code"] == status, body
        assert body["reason"] == reason, body
        if message is not None:
            assert body["message"] == message, body
        return body
    raise AssertionError(f"{fn.__name__} did not raise ApiException({status})")


def names(items):
    return [item.metadata.name for item in items]


def rv(obj):
    value = obj.metadata.resource_version
    assert isinstance(value, str) and value.isdigit(), f"resourceVersion {value!r} is not a decimal string"
    return int(value)


def delete_status_field(reply, field):
    """Delete replies are a dict (37.x: return type `object`) or a V1Status (32.x)."""
    if isinstance(reply, dict):
        return reply.get(field)
    return getattr(reply, field)


# ---------------------------------------------------------------------------------------------------------
# The tests. Each takes (api, compacting_api).


def test_crud(api, _):
    ns = "py-crud"
    created = api.create_namespaced_endpoints(ns, endpoints("web", ip="10.0.0.1", labels={"app": "web"}))
    assert created.metadata.name == "web"
    assert created.metadata.namespace == ns
    assert created.metadata.uid, "no uid"
    assert created.metadata.creation_timestamp is not None, "no creationTimestamp"
    assert created.metadata.labels == {"app": "web"}
    assert created.subsets[0].addresses[0].ip == "10.0.0.1"
    assert created.subsets[0].ports[0].port == 80
    assert created.subsets[0].ports[0].protocol == "TCP"
    rv_created = rv(created)

    read = api.read_namespaced_endpoints("web", ns)
    assert read.metadata.uid == created.metadata.uid
    assert rv(read) == rv_created
    assert read.subsets[0].addresses[0].ip == "10.0.0.1"

    # Replace with the current resourceVersion: a new, higher resourceVersion and the new content.
    replaced = api.replace_namespaced_endpoints(
        "web", ns, endpoints("web", ip="10.0.0.2", labels={"app": "web"}, resource_version=str(rv_created))
    )
    assert replaced.metadata.uid == created.metadata.uid
    assert rv(replaced) > rv_created, (rv(replaced), rv_created)
    assert replaced.subsets[0].addresses[0].ip == "10.0.0.2"
    assert api.read_namespaced_endpoints("web", ns).subsets[0].addresses[0].ip == "10.0.0.2"

    # Replace with the stale resourceVersion: 409 Conflict.
    expect_api_exception(
        409,
        "Conflict",
        'Operation cannot be fulfilled on endpoints "web": the object has been modified; '
        "please apply your changes to the latest version and try again",
        api.replace_namespaced_endpoints,
        "web",
        ns,
        endpoints("web", ip="10.0.0.3", resource_version=str(rv_created)),
    )

    reply = api.delete_namespaced_endpoints("web", ns)
    assert delete_status_field(reply, "status") == "Success", reply
    details = delete_status_field(reply, "details")
    details_name = details.get("name") if isinstance(details, dict) else details.name
    assert details_name == "web", reply
    expect_api_exception(
        404, "NotFound", 'endpoints "web" not found', api.read_namespaced_endpoints, "web", ns
    )


def test_errors(api, _):
    ns = "py-errors"
    cases = [
        # (what, status, reason, message, call)
        (
            "read missing",
            404,
            "NotFound",
            'endpoints "nope" not found',
            lambda: api.read_namespaced_endpoints("nope", ns),
        ),
        (
            "delete missing",
            404,
            "NotFound",
            'endpoints "nope" not found',
            lambda: api.delete_namespaced_endpoints("nope", ns),
        ),
        (
            "create duplicate",
            409,
            "AlreadyExists",
            'endpoints "dup" already exists',
            lambda: api.create_namespaced_endpoints(ns, endpoints("dup")),
        ),
    ]
    api.create_namespaced_endpoints(ns, endpoints("dup"))
    for what, status, reason, message, call in cases:
        try:
            body = expect_api_exception(status, reason, message, call)
        except AssertionError as exc:
            raise AssertionError(f"{what}: {exc}") from exc
        assert body["details"]["name"] in ("nope", "dup"), (what, body)
        assert body["details"]["kind"] == "endpoints", (what, body)


def test_unauthorized(api, _):
    configuration = client.Configuration()
    config.load_kube_config(config_file=KUBECONFIG, client_configuration=configuration)
    # 37.x keys the token as "BearerToken", 32.x as "authorization".
    keys = [key for key in ("BearerToken", "authorization") if key in configuration.api_key]
    assert len(keys) == 1 and configuration.api_key[keys[0]].startswith("Bearer "), configuration.api_key
    configuration.api_key[keys[0]] = "Bearer not-the-token"
    # The loader's hook would put the kubeconfig's token back before each request.
    configuration.refresh_api_key_hook = None
    bad = client.CoreV1Api(client.ApiClient(configuration))
    expect_api_exception(401, "Unauthorized", "Unauthorized", bad.list_namespaced_endpoints, "default")


def test_paginated_list(api, _):
    ns = "py-pages"
    all_names = [f"ep-{i}" for i in range(5)]
    for name in all_names:
        api.create_namespaced_endpoints(ns, endpoints(name))

    seen, pages, token, list_rvs = [], [], None, set()
    while True:
        kwargs = {"limit": 2}
        if token:
            kwargs["_continue"] = token
        page = api.list_namespaced_endpoints(ns, **kwargs)
        pages.append((names(page.items), page.metadata.remaining_item_count))
        list_rvs.add(page.metadata.resource_version)
        seen.extend(names(page.items))
        token = page.metadata._continue
        if not token:
            break
        assert len(pages) < 10, "pagination does not end"
    assert pages == [
        (["ep-0", "ep-1"], 3),
        (["ep-2", "ep-3"], 1),
        (["ep-4"], None),
    ], pages
    assert seen == all_names
    assert len(list_rvs) == 1, f"pages of one list have different resourceVersions: {list_rvs}"

    # A write between pages does not change the snapshot the continue token reads.
    first = api.list_namespaced_endpoints(ns, limit=3)
    api.create_namespaced_endpoints(ns, endpoints("ep-00"))
    rest = api.list_namespaced_endpoints(ns, limit=10, _continue=first.metadata._continue)
    assert names(first.items) + names(rest.items) == all_names
    assert rest.metadata.resource_version == first.metadata.resource_version


def test_selectors(api, _):
    ns = "py-selectors"
    objects = {
        "a": {"tier": "web", "env": "prod"},
        "b": {"tier": "db", "env": "prod"},
        "c": {"tier": "cache"},
        "d": None,
    }
    for name, labels in objects.items():
        api.create_namespaced_endpoints(ns, endpoints(name, labels=labels))
    cases = [
        # (label_selector, field_selector, expected names)
        ("tier=web", None, ["a"]),
        ("tier==db", None, ["b"]),
        ("tier!=web", None, ["b", "c", "d"]),
        ("tier in (web,db)", None, ["a", "b"]),
        ("tier notin (web,db)", None, ["c", "d"]),
        ("env", None, ["a", "b"]),
        ("!env", None, ["c", "d"]),
        ("env=prod,tier=db", None, ["b"]),
        ("tier=nope", None, []),
        (None, "metadata.name=c", ["c"]),
        (None, "metadata.name!=c", ["a", "b", "d"]),
        (None, f"metadata.namespace={ns}", ["a", "b", "c", "d"]),
        (None, "metadata.namespace=elsewhere", []),
        ("env=prod", "metadata.name!=a", ["b"]),
    ]
    for label_selector, field_selector, expected in cases:
        kwargs = {}
        if label_selector is not None:
            kwargs["label_selector"] = label_selector
        if field_selector is not None:
            kwargs["field_selector"] = field_selector
        got = names(api.list_namespaced_endpoints(ns, **kwargs).items)
        assert got == expected, f"{kwargs}: {got} != {expected}"

    expect_api_exception(
        400,
        "BadRequest",
        '"subsets" is not a known field selector: only "metadata.name", "metadata.namespace"',
        api.list_namespaced_endpoints,
        ns,
        field_selector="subsets=x",
    )


def test_list_all_namespaces(api, _):
    label = {"py-all": "yes"}
    for ns, name in [("py-all-1", "x"), ("py-all-2", "x"), ("py-all-2", "y")]:
        api.create_namespaced_endpoints(ns, endpoints(name, labels=label))
    listed = api.list_endpoints_for_all_namespaces(label_selector="py-all=yes")
    got = [(item.metadata.namespace, item.metadata.name) for item in listed.items]
    assert got == [("py-all-1", "x"), ("py-all-2", "x"), ("py-all-2", "y")], got
    assert rv(listed) >= max(rv(item) for item in listed.items)

    # Paging across namespaces.
    page = api.list_endpoints_for_all_namespaces(label_selector="py-all=yes", limit=2)
    assert [(i.metadata.namespace, i.metadata.name) for i in page.items] == got[:2]
    rest = api.list_endpoints_for_all_namespaces(
        label_selector="py-all=yes", limit=2, _continue=page.metadata._continue
    )
    assert [(i.metadata.namespace, i.metadata.name) for i in rest.items] == got[2:]
    assert not rest.metadata._continue

    # The field selector on the namespace.
    listed = api.list_endpoints_for_all_namespaces(field_selector="metadata.namespace=py-all-1")
    assert [(i.metadata.namespace, i.metadata.name) for i in listed.items] == [("py-all-1", "x")]


def test_watch(api, _):
    ns = "py-watch"
    api.create_namespaced_endpoints(ns, endpoints("before"))
    start = api.list_namespaced_endpoints(ns).metadata.resource_version

    def writer():
        time.sleep(0.3)
        created = api.create_namespaced_endpoints(ns, endpoints("w", ip="10.0.0.1"))
        api.replace_namespaced_endpoints(
            "w", ns, endpoints("w", ip="10.0.0.2", resource_version=created.metadata.resource_version)
        )
        api.delete_namespaced_endpoints("w", ns)

    thread = threading.Thread(target=writer)
    thread.start()
    events = []
    w = watch.Watch()
    try:
        for event in w.stream(
            api.list_namespaced_endpoints, ns, resource_version=start, timeout_seconds=WAIT
        ):
            events.append(event)
            if len(events) == 3:
                w.stop()
                break
    finally:
        thread.join(WAIT)
    got = [(e["type"], e["object"].metadata.name) for e in events]
    assert got == [("ADDED", "w"), ("MODIFIED", "w"), ("DELETED", "w")], got
    for event in events:
        assert isinstance(event["object"], client.V1Endpoints), type(event["object"])
        assert event["raw_object"]["kind"] == "Endpoints", event["raw_object"]
    assert events[0]["object"].subsets[0].addresses[0].ip == "10.0.0.1"
    assert events[1]["object"].subsets[0].addresses[0].ip == "10.0.0.2"
    rvs = [rv(e["object"]) for e in events]
    assert rvs[0] > int(start) and rvs == sorted(set(rvs)), f"resourceVersions not increasing: {start} {rvs}"
    assert w.resource_version == str(rvs[-1]), (w.resource_version, rvs)

    # Without a resourceVersion the watch starts with the current state as ADDED events.
    w = watch.Watch()
    initial = []
    for event in w.stream(api.list_namespaced_endpoints, ns, timeout_seconds=WAIT):
        initial.append((event["type"], event["object"].metadata.name))
        w.stop()
        break
    assert initial == [("ADDED", "before")], initial

    # A replay from the resourceVersion before the changes sees the same three events again.
    w = watch.Watch()
    replay = []
    for event in w.stream(api.list_namespaced_endpoints, ns, resource_version=start, timeout_seconds=WAIT):
        replay.append((event["type"], rv(event["object"])))
        if len(replay) == 3:
            w.stop()
            break
    assert replay == list(zip(["ADDED", "MODIFIED", "DELETED"], rvs)), replay


def test_watch_from_compacted_rv(_, compacting):
    ns = "py-expired"
    first = compacting.create_namespaced_endpoints(ns, endpoints("old"))
    old_rv = first.metadata.resource_version
    compacting.replace_namespaced_endpoints(
        "old", ns, endpoints("old", ip="10.0.0.2", resource_version=old_rv)
    )
    compacting.create_namespaced_endpoints(ns, endpoints("newer"))

    # Wait (bounded) until compaction passed old_rv: an exact list at it then answers 410.
    deadline = time.monotonic() + WAIT
    while True:
        try:
            compacting.list_namespaced_endpoints(ns, resource_version=old_rv, resource_version_match="Exact")
        except ApiException as exc:
            assert exc.status == 410, exc
            assert status_body(exc)["reason"] == "Expired", exc.body
            break
        assert time.monotonic() < deadline, f"compaction did not pass resourceVersion {old_rv} in {WAIT}s"
        time.sleep(0.2)

    w = watch.Watch()
    try:
        events = list(
            w.stream(
                compacting.list_namespaced_endpoints, ns, resource_version=old_rv, timeout_seconds=WAIT
            )
        )
    except ApiException as exc:
        assert exc.status == 410, f"status {exc.status}: {exc}"
        assert exc.reason.startswith("Expired: too old resource version: "), exc.reason
        return
    raise AssertionError(f"a watch from compacted resourceVersion {old_rv} did not raise: {events}")


def test_delete_collection(api, _):
    ns = "py-deletecollection"
    for name, kind in [("a", "del"), ("b", "keep"), ("c", "del"), ("d", "keep")]:
        api.create_namespaced_endpoints(ns, endpoints(name, labels={"kind": kind}))
    api.create_namespaced_endpoints("py-deletecollection-other", endpoints("a", labels={"kind": "del"}))

    # The reply is the list of the deleted objects (the typed client reads it into a V1Status).
    reply = api.delete_collection_namespaced_endpoints(ns, label_selector="kind=del")
    assert delete_status_field(reply, "kind") == "EndpointsList", reply
    assert names(api.list_namespaced_endpoints(ns).items) == ["b", "d"]

    api.delete_collection_namespaced_endpoints(ns, field_selector="metadata.name=b")
    assert names(api.list_namespaced_endpoints(ns).items) == ["d"]

    api.delete_collection_namespaced_endpoints(ns)
    assert names(api.list_namespaced_endpoints(ns).items) == []
    # Other namespaces are untouched.
    assert names(api.list_namespaced_endpoints("py-deletecollection-other").items) == ["a"]


TESTS = [
    test_crud,
    test_errors,
    test_unauthorized,
    test_paginated_list,
    test_selectors,
    test_list_all_namespaces,
    test_watch,
    test_watch_from_compacted_rv,
    test_delete_collection,
]


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    global KUBECONFIG
    KUBECONFIG = argv[1]
    api = new_api(argv[1])
    compacting = new_api(argv[2])
    print(f"kubernetes Python client {kubernetes.__version__}")
    only = set(filter(None, os.environ.get("EPSTORE_PY_ONLY", "").split(",")))
    passed = failed = 0
    for test in TESTS:
        if only and test.__name__ not in only:
            continue
        started = time.monotonic()
        try:
            test(api, compacting)
        except Exception:  # noqa: BLE001 - every failure is reported, then counted
            failed += 1
            print(f"FAIL {test.__name__} ({time.monotonic() - started:.1f}s)")
            traceback.print_exc(file=sys.stdout)
        else:
            passed += 1
            print(f"ok   {test.__name__} ({time.monotonic() - started:.1f}s)")
        sys.stdout.flush()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
