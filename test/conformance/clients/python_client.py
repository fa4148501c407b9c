"""The conformance scenario through the official Python client (Debian's python3-kubernetes).

Usage: python3 python_client.py <kubeconfig> <context> <namespace>
Prints one line: RESULT <json>, the facts the Jest test compares across clients.
"""
import json
import sys

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

kubeconfig, context, ns = sys.argv[1:4]
config.load_kube_config(config_file=kubeconfig, context=context)
api_client = client.ApiClient()
core = client.CoreV1Api(api_client)
apps = client.AppsV1Api(api_client)
result = {"client": "python3-kubernetes " + client.__version__ if hasattr(client, "__version__") else "python3-kubernetes"}


def names(items):
    return sorted(i.metadata.name for i in items)


def cm(name, labels=None, data=None):
    return client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name=name, labels=labels or {}), data=data or {}
    )


def error_of(fn):
    try:
        fn()
    except ApiException as e:
        body = json.loads(e.body)
        return {
            "code": e.status,
            "reason": body.get("reason"),
            "kind": body.get("kind"),
            "causes": [c.get("field") for c in (body.get("details") or {}).get("causes", [])],
        }
    return {"code": 0}


def raw_patch(name, body, content_type, query):
    """Merge patch and apply are not selectable through this version's generated methods."""
    data = api_client.call_api(
        f"/api/v1/namespaces/{ns}/configmaps/{name}", "PATCH",
        query_params=query, header_params={"Content-Type": content_type, "Accept": "application/json"},
        body=body, response_type="object", auth_settings=[], _return_http_data_only=True,
    )
    return data


try:
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=ns)))

    # CRUD
    core.create_namespaced_config_map(ns, cm("c1", {"app": "a", "tier": "x"}, {"k": "v1"}))
    core.create_namespaced_config_map(ns, cm("c2", {"app": "b"}, {"k": "v2"}))
    core.create_namespaced_config_map(ns, cm("c3", {"app": "c", "tier": "y"}, {"k": "v3"}))
    got = core.read_namespaced_config_map("c1", ns)
    got.data["k"] = "v1-updated"
    updated = core.replace_namespaced_config_map("c1", ns, got)
    core.delete_namespaced_config_map("c3", ns)
    result["crud"] = {
        "got": core.read_namespaced_config_map("c2", ns).data,
        "updated": updated.data,
        "listed": names(core.list_namespaced_config_map(ns).items),
        "afterDelete": error_of(lambda: core.read_namespaced_config_map("c3", ns))["code"],
    }

    # Selectors
    def ls(**kw):
        return names(core.list_namespaced_config_map(ns, **kw).items)

    result["selectors"] = {
        "labelEquals": ls(label_selector="app=a"),
        "labelIn": ls(label_selector="app in (a,b)"),
        "labelNotIn": ls(label_selector="app notin (a)"),
        "labelExistsAndNot": ls(label_selector="app,!tier"),
        "fieldEquals": ls(field_selector="metadata.name=c2"),
        "fieldNotEquals": ls(field_selector="metadata.name!=c2"),
        "both": ls(label_selector="app in (a,b)", field_selector="metadata.name!=c1"),
    }

    # Patches
    merge = raw_patch("c1", {"data": {"m": "merged"}}, "application/merge-patch+json", [])
    jsonp = core.patch_namespaced_config_map(
        "c1", ns, [{"op": "replace", "path": "/data/k", "value": "json-patched"}]
    )
    apply_yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c1\ndata:\n  applied: \"yes\"\n"
    applied = raw_patch("c1", apply_yaml, "application/apply-patch+yaml",
                        [("fieldManager", "conformance"), ("force", "True")])
    deploy = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d1"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "d1"}},
                 "template": {"metadata": {"labels": {"app": "d1"}},
                              "spec": {"containers": [{"name": "a", "image": "x:1"}]}}},
    }
    apps.create_namespaced_deployment(ns, deploy)
    # A dict goes as a strategic merge patch: containers merge by name.
    smp = apps.patch_namespaced_deployment(
        "d1", ns, {"spec": {"template": {"spec": {"containers": [{"name": "b", "image": "y:1"}]}}}}
    )
    result["patches"] = {
        "merge": merge["data"],
        "json": jsonp.data,
        "apply": applied["data"],
        "applyManagers": sorted(
            f"{m['manager']}/{m['operation']}" for m in applied["metadata"]["managedFields"]
        ),
        "strategicContainers": [c.name for c in smp.spec.template.spec.containers],
    }

    # Watch, resumed from the resourceVersion of a list (the client sends watch=True)
    rv = core.list_namespaced_config_map(ns, label_selector="w=1").metadata.resource_version
    core.create_namespaced_config_map(ns, cm("w1", {"w": "1"}, {"n": "1"}))
    core.patch_namespaced_config_map("w1", ns, {"data": {"n": "2"}})
    core.delete_namespaced_config_map("w1", ns)
    events = []
    w = watch.Watch()
    for ev in w.stream(core.list_namespaced_config_map, ns, label_selector="w=1",
                       resource_version=rv, timeout_seconds=5, allow_watch_bookmarks=True):
        if ev["type"] == "BOOKMARK":
            continue
        events.append(f"{ev['type']} {ev['object'].metadata.name}")
        if len(events) == 3:
            w.stop()
    result["watch"] = {"events": events}

    # Errors
    result["errors"] = {
        "notFound": error_of(lambda: core.read_namespaced_config_map("missing", ns)),
        "alreadyExists": error_of(lambda: core.create_namespaced_config_map(ns, cm("c1"))),
        "conflict": error_of(lambda: core.replace_namespaced_config_map(
            "c2", ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="c2", resource_version="1")))),
        "invalid": error_of(lambda: core.create_namespaced_config_map(ns, cm("Not_Valid"))),
    }
except Exception as e:  # the test shows what broke
    result["error"] = f"{type(e).__name__}: {e}"

print("RESULT " + json.dumps(result, sort_keys=True))
