#!/usr/bin/env python3
"""PATCH end to end with the official Kubernetes Python client (`pip install kubernetes`).

Usage: patch_test.py KUBECONFIG

The client sends a dict body as a strategic merge patch and a list body as a JSON Patch
(`rest.py`); 37.x also takes `_content_type="application/merge-patch+json"`. Every test uses its own
namespace. Prints `N passed, M failed` last and exits non-zero when any test failed.
"""

import json
import sys
import time
import traceback

import kubernetes
from kubernetes import client, config
from kubernetes.client.rest import ApiException

# Every request is bounded by this many seconds.
TIMEOUT = 30
GENERIC_422 = "the server rejected our request due to an error in our request"


def endpoints(name, ip="10.0.0.1", finalizers=None):
    return client.V1Endpoints(
        api_version="v1",
        kind="Endpoints",
        metadata=client.V1ObjectMeta(name=name, finalizers=finalizers),
        subsets=[
            client.V1EndpointSubset(
                addresses=[client.V1EndpointAddress(ip=ip)],
                ports=[client.CoreV1EndpointPort(name="http", port=80, protocol="TCP")],
            )
        ],
    )


def rv(obj):
    value = obj.metadata.resource_version
    assert isinstance(value, str) and value.isdigit(), f"resourceVersion {value!r}"
    return int(value)


def expect_api_exception(status, reason, message, fn, *args, **kwargs):
    """Calls fn and asserts ApiException with this HTTP status and Status reason/message."""
    try:
        fn(*args, **kwargs)
    except ApiException as exc:
        assert exc.status == status, f"status {exc.status} != {status}: {exc.body}"
        body = json.loads(exc.body)
        assert (body["kind"], body["status"], body["code"]) == ("Status", "Failure", status), body
        assert body["reason"] == reason, body
        assert body["message"] == message, body
        return body
    raise AssertionError(f"{fn.__name__} did not raise ApiException({status})")


def ips(obj):
    return [a.ip for s in obj.subsets for a in s.addresses]


def test_strategic_patch(api):
    ns = "py-strategic"
    created = api.create_namespaced_endpoints(ns, endpoints("web", finalizers=["example.com/a"]), _request_timeout=TIMEOUT)
    # A dict body is a strategic merge patch: labels merge, finalizers merge as a set.
    patched = api.patch_namespaced_endpoints(
        "web", ns, {"metadata": {"labels": {"a": "b"}, "finalizers": ["example.com/b"]}}, _request_timeout=TIMEOUT
    )
    assert patched.metadata.labels == {"a": "b"}, patched.metadata.labels
    assert patched.metadata.finalizers == ["example.com/b", "example.com/a"], patched.metadata.finalizers
    assert rv(patched) > rv(created)
    # subsets are atomic: replaced, protocol defaulted.
    patched = api.patch_namespaced_endpoints(
        "web", ns, {"subsets": [{"addresses": [{"ip": "10.0.0.7"}], "ports": [{"port": 81}]}]}, _request_timeout=TIMEOUT
    )
    assert ips(patched) == ["10.0.0.7"], ips(patched)
    assert patched.subsets[0].ports[0].protocol == "TCP"
    # $deleteFromPrimitiveList removes finalizers.
    patched = api.patch_namespaced_endpoints(
        "web",
        ns,
        {"metadata": {"$deleteFromPrimitiveList/finalizers": ["example.com/a", "example.com/b"]}},
        _request_timeout=TIMEOUT,
    )
    assert not patched.metadata.finalizers, patched.metadata.finalizers
    # The same patch again changes nothing: the resourceVersion stays.
    again = api.patch_namespaced_endpoints("web", ns, {"metadata": {"labels": {"a": "b"}}}, _request_timeout=TIMEOUT)
    assert rv(again) == rv(patched), (rv(again), rv(patched))
    got = api.read_namespaced_endpoints("web", ns, _request_timeout=TIMEOUT)
    assert rv(got) == rv(patched)


def test_json_patch(api):
    ns = "py-json"
    created = api.create_namespaced_endpoints(ns, endpoints("web"), _request_timeout=TIMEOUT)
    # A list body is a JSON Patch.
    patched = api.patch_namespaced_endpoints(
        "web",
        ns,
        [
            {"op": "add", "path": "/metadata/labels", "value": {"x": "y"}},
            {"op": "replace", "path": "/subsets/0/addresses/0/ip", "value": "10.0.0.9"},
        ],
        _request_timeout=TIMEOUT,
    )
    assert patched.metadata.labels == {"x": "y"}
    assert ips(patched) == ["10.0.0.9"]
    assert rv(patched) > rv(created)
    # A failed test operation: the generic 422.
    body = expect_api_exception(
        422,
        "Invalid",
        GENERIC_422,
        api.patch_namespaced_endpoints,
        "web",
        ns,
        [{"op": "test", "path": "/metadata/name", "value": "zzz"}],
        _request_timeout=TIMEOUT,
    )
    assert body["details"] == {}, body
    # Removing a missing member fails the same way; nothing was written.
    expect_api_exception(
        422,
        "Invalid",
        GENERIC_422,
        api.patch_namespaced_endpoints,
        "web",
        ns,
        [{"op": "remove", "path": "/metadata/annotations"}],
        _request_timeout=TIMEOUT,
    )
    got = api.read_namespaced_endpoints("web", ns, _request_timeout=TIMEOUT)
    assert rv(got) == rv(patched)


def test_patch_errors(api):
    ns = "py-errors"
    api.create_namespaced_endpoints(ns, endpoints("web"), _request_timeout=TIMEOUT)
    expect_api_exception(
        404,
        "NotFound",
        'endpoints "nope" not found',
        api.patch_namespaced_endpoints,
        "nope",
        ns,
        {"metadata": {"labels": {"a": "b"}}},
        _request_timeout=TIMEOUT,
    )
    expect_api_exception(
        400,
        "BadRequest",
        "the name of the object (other) does not match the name on the URL (web)",
        api.patch_namespaced_endpoints,
        "web",
        ns,
        {"metadata": {"name": "other"}},
        _request_timeout=TIMEOUT,
    )
    expect_api_exception(
        409,
        "Conflict",
        'Operation cannot be fulfilled on endpoints "web": the object has been modified; please apply your '
        "changes to the latest version and try again",
        api.patch_namespaced_endpoints,
        "web",
        ns,
        {"metadata": {"resourceVersion": "1", "labels": {"a": "b"}}},
        _request_timeout=TIMEOUT,
    )


def test_merge_patch_and_dry_run(api):
    ns = "py-merge"
    created = api.create_namespaced_endpoints(ns, endpoints("web"), _request_timeout=TIMEOUT)
    patched = api.patch_namespaced_endpoints(
        "web",
        ns,
        {"metadata": {"labels": {"a": "1", "b": "2"}}},
        _content_type="application/merge-patch+json",
        _request_timeout=TIMEOUT,
    )
    assert patched.metadata.labels == {"a": "1", "b": "2"}
    patched = api.patch_namespaced_endpoints(
        "web",
        ns,
        {"metadata": {"labels": {"b": None}}},
        _content_type="application/merge-patch+json",
        _request_timeout=TIMEOUT,
    )
    assert patched.metadata.labels == {"a": "1"}, patched.metadata.labels
    dry = api.patch_namespaced_endpoints(
        "web", ns, {"metadata": {"labels": {"d": "r"}}}, dry_run="All", _request_timeout=TIMEOUT
    )
    assert dry.metadata.labels == {"a": "1", "d": "r"}
    got = api.read_namespaced_endpoints("web", ns, _request_timeout=TIMEOUT)
    assert got.metadata.labels == {"a": "1"}
    assert rv(got) == rv(patched) > rv(created)


TESTS = [
    test_strategic_patch,
    test_json_patch,
    test_patch_errors,
    test_merge_patch_and_dry_run,
]


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    api = client.CoreV1Api(config.new_client_from_config(config_file=argv[1]))
    print(f"kubernetes Python client {kubernetes.__version__}")
    passed = failed = 0
    for test in TESTS:
        started = time.monotonic()
        try:
            test(api)
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
