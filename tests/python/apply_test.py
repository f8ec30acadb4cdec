#!/usr/bin/env python3
"""Server-side apply end to end with the official Kubernetes Python client.

Usage: apply_test.py KUBECONFIG

The client sends `patch_namespaced_endpoints(..., _content_type="application/apply-patch+yaml")`
with a dict body as JSON (valid YAML). Every test uses its own namespace. Prints
`N passed, M failed` last and exits non-zero when any test failed.
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
APPLY = "application/apply-patch+yaml"


def manifest(name, ip):
    return {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": name},
        "subsets": [{"addresses": [{"ip": ip}], "ports": [{"port": 80, "protocol": "TCP"}]}],
    }


def apply(api, ns, body, manager, force=None):
    kwargs = {"field_manager": manager, "_content_type": APPLY, "_request_timeout": TIMEOUT}
    if force is not None:
        kwargs["force"] = force
    return api.patch_namespaced_endpoints(body["metadata"]["name"], ns, body, **kwargs)


def rv(obj):
    value = obj.metadata.resource_version
    assert isinstance(value, str) and value.isdigit(), f"resourceVersion {value!r}"
    return int(value)


def managers(obj):
    return [(e.manager, e.operation) for e in (obj.metadata.managed_fields or [])]


def ips(obj):
    return [a.ip for s in obj.subsets for a in s.addresses]


def test_apply_create_noop_conflict_force(api):
    ns = "py-apply"
    created = apply(api, ns, manifest("web", "10.0.0.1"), "py-a")
    assert ips(created) == ["10.0.0.1"], created
    assert managers(created) == [("py-a", "Apply")], created
    assert created.metadata.managed_fields[0].fields_v1 == {"f:subsets": {}}, created

    again = apply(api, ns, manifest("web", "10.0.0.1"), "py-a")
    assert rv(again) == rv(created), (again, created)
    assert again.metadata.managed_fields == created.metadata.managed_fields

    try:
        apply(api, ns, manifest("web", "10.0.0.2"), "py-b")
    except ApiException as exc:
        assert exc.status == 409, exc.body
        body = json.loads(exc.body)
        assert body == {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": 'Apply failed with 1 conflict: conflict with "py-a": .subsets',
            "reason": "Conflict",
            "details": {
                "causes": [
                    {"reason": "FieldManagerConflict", "message": 'conflict with "py-a"', "field": ".subsets"}
                ]
            },
            "code": 409,
        }, body
    else:
        raise AssertionError("the conflicting apply succeeded")
    got = api.read_namespaced_endpoints("web", ns, _request_timeout=TIMEOUT)
    assert rv(got) == rv(created)

    forced = apply(api, ns, manifest("web", "10.0.0.2"), "py-b", force=True)
    assert ips(forced) == ["10.0.0.2"], forced
    assert managers(forced) == [("py-b", "Apply")], forced
    assert rv(forced) > rv(created)


def test_apply_errors(api):
    ns = "py-apply-errors"
    try:
        api.patch_namespaced_endpoints(
            "web", ns, manifest("web", "10.0.0.1"), _content_type=APPLY, _request_timeout=TIMEOUT
        )
    except ApiException as exc:
        assert exc.status == 422, exc.body
        body = json.loads(exc.body)
        assert body["message"] == (
            'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch'
        ), body
    else:
        raise AssertionError("an apply without fieldManager succeeded")
    try:
        api.patch_namespaced_endpoints(
            "web", ns, manifest("other", "10.0.0.1"), field_manager="py-a", _content_type=APPLY,
            _request_timeout=TIMEOUT,
        )
    except ApiException as exc:
        assert exc.status == 400, exc.body
        body = json.loads(exc.body)
        assert body["message"] == "the name of the object (other) does not match the name on the URL (web)", body
    else:
        raise AssertionError("an apply with a mismatched name succeeded")
    try:
        api.read_namespaced_endpoints("web", ns, _request_timeout=TIMEOUT)
    except ApiException as exc:
        assert exc.status == 404, exc.body
    else:
        raise AssertionError("a failed apply created the object")


TESTS = [
    test_apply_create_noop_conflict_force,
    test_apply_errors,
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
