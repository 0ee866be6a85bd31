"""A small kustomize renderer for deploy/kubernetes (no kubectl or kustomize binary is needed).

What it does, as kustomize does it: `resources` (files and directories, recursively), `components`,
`configMapGenerator` (files and literals; behavior create, replace or merge), `namespace`, `images`,
`patches` (strategic merge, including `$patch: delete`, and JSON 6902 with a target), and the generated
ConfigMap's name suffix: a hash of its content, with every reference in a pod spec rewritten to the suffixed
name. Strategic merge is the subset these manifests use: maps merge, `null` deletes, lists of named items merge
by name, other lists are replaced (as they are for NetworkPolicy and Ingress rules, which have no merge key).
"""
import copy
import hashlib
import json
import os

import yaml

GENERATED = "__generated_configmap__"  # internal mark, removed before anything leaves render()
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PriorityClass", "StorageClass"}


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def _docs(path):
    return [d for d in yaml.safe_load_all(_read(path)) if d]


def render(directory, components=()):
    """The objects `kubectl apply -k directory` would apply (extra `components` as if listed in it)."""
    docs = _build(directory, components)
    finalize(docs)
    return docs


def configmap_hash(configmap):
    """kustomize's name suffix (api/hasher): sha256 of {"data","kind","name"} as Go's encoding/json writes it (an
    empty data map is ""), the first 10 hex digits with 0, 1, 3, a, e replaced so no word is spelled."""
    body = {"kind": "ConfigMap", "name": configmap["metadata"]["name"], "data": configmap.get("data") or ""}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")  # as Go's encoding/json
    digest = hashlib.sha256(text.encode()).hexdigest()[:10]
    return digest.translate(str.maketrans("013ae", "ghkmt"))


def finalize(docs):
    """Suffix every generated ConfigMap's name with its hash and rewrite the pod specs' references to it."""
    renamed = {}
    for doc in docs:
        if doc.pop(GENERATED, False):
            name = doc["metadata"]["name"]
            renamed[name] = f"{name}-{configmap_hash(doc)}"
            doc["metadata"]["name"] = renamed[name]
    for doc in docs:
        rewrite_configmap_references(doc, renamed)


def rewrite_configmap_references(doc, renamed):
    pod = doc.get("spec", {}).get("template", {}).get("spec", {}) if isinstance(doc.get("spec"), dict) else {}
    for volume in pod.get("volumes", []):
        refs = [volume.get("configMap")] + [s.get("configMap") for s in volume.get("projected", {}).get("sources", [])]
        for ref in refs:
            if ref and ref.get("name") in renamed:
                ref["name"] = renamed[ref["name"]]
    for container in pod.get("containers", []) + pod.get("initContainers", []):
        refs = [e.get("configMapRef") for e in container.get("envFrom", [])]
        refs += [e.get("valueFrom", {}).get("configMapKeyRef") for e in container.get("env", [])]
        for ref in refs:
            if ref and ref.get("name") in renamed:
                ref["name"] = renamed[ref["name"]]


def _build(directory, components=()):
    kust = yaml.safe_load(_read(os.path.join(directory, "kustomization.yaml")))
    docs = []
    for entry in kust.get("resources", []):
        path = os.path.normpath(os.path.join(directory, entry))
        docs += _build(path) if os.path.isdir(path) else _docs(path)
    namespace = kust.get("namespace")
    for generator in kust.get("configMapGenerator", []):
        _generate(directory, generator, namespace, docs)
    for component in list(kust.get("components", [])) + list(components):
        _apply_component(os.path.normpath(os.path.join(directory, component)), docs)
    if namespace:
        for doc in docs:
            if doc["kind"] not in CLUSTER_SCOPED:
                doc.setdefault("metadata", {})["namespace"] = namespace
    docs[:] = _patch(directory, kust.get("patches", []), docs)
    for image in kust.get("images", []):
        _set_image(docs, image)
    return docs


def _apply_component(directory, docs):
    kust = yaml.safe_load(_read(os.path.join(directory, "kustomization.yaml")))
    if kust.get("kind") != "Component":
        raise ValueError(f"{directory} is not a kustomize Component")
    for entry in kust.get("resources", []):
        docs += _docs(os.path.join(directory, entry))
    docs[:] = _patch(directory, kust.get("patches", []), docs)


def _generate(directory, generator, namespace, docs):
    data = {}
    for entry in generator.get("files", []):
        key, _, source = entry.partition("=") if "=" in entry else (os.path.basename(entry), "", entry)
        data[key] = _read(os.path.join(directory, source))
    for literal in generator.get("literals", []):
        key, _, value = literal.partition("=")
        data[key] = value
    name, behavior = generator["name"], generator.get("behavior", "create")
    namespace = generator.get("namespace", namespace)
    existing = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == name]
    if behavior == "create":
        if existing:
            raise ValueError(f"configMapGenerator {name}: already exists (use behavior: replace or merge)")
        metadata = {"name": name, **({"namespace": namespace} if namespace else {})}
        docs.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": data, GENERATED: True})
    elif not existing:
        raise ValueError(f"configMapGenerator {name}: behavior {behavior} but no ConfigMap {name} to act on")
    elif behavior == "replace":
        existing[0]["data"] = data
    elif behavior == "merge":
        existing[0].setdefault("data", {}).update(data)
    else:
        raise ValueError(f"configMapGenerator {name}: unknown behavior {behavior}")


def _matches(doc, target):
    meta = doc.get("metadata", {})
    return all(target.get(k) in (None, v) for k, v in (
        ("kind", doc.get("kind")), ("name", meta.get("name")), ("namespace", meta.get("namespace"))))


def _patch(directory, patches, docs):
    for entry in patches:
        body = yaml.safe_load(_read(os.path.join(directory, entry["path"]))) if "path" in entry \
            else yaml.safe_load(entry["patch"])
        target = entry.get("target")
        if isinstance(body, list):  # JSON 6902: a list of operations on every object the target selects
            if not target:
                raise ValueError(f"JSON 6902 patch {entry} needs a target")
            hits = [d for d in docs if _matches(d, target)]
            for doc in hits:
                for operation in body:
                    json6902(doc, operation)
        else:  # strategic merge: the patch names its object (or a target narrows it)
            wanted = target or {"kind": body["kind"], "name": body["metadata"]["name"],
                                "namespace": body["metadata"].get("namespace")}
            hits = [d for d in docs if _matches(d, wanted)]
            if body.get("$patch") == "delete":
                docs = [d for d in docs if not any(d is h for h in hits)]
            else:
                for doc in hits:
                    merged = strategic_merge(doc, body)
                    doc.clear()
                    doc.update(merged)
        if not hits:
            raise ValueError(f"patch {entry} matches no object")
    return docs


def strategic_merge(base, patch):
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            if key == "$patch":
                continue
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = strategic_merge(merged[key], value) if key in merged else copy.deepcopy(value)
        return merged
    named = lambda items: items and all(isinstance(i, dict) and "name" in i for i in items)
    if isinstance(base, list) and isinstance(patch, list) and named(base) and named(patch):
        merged = [dict(i) for i in base]
        for item in patch:
            same = [i for i, b in enumerate(merged) if b["name"] == item["name"]]
            if item.get("$patch") == "delete":
                merged = [b for b in merged if b["name"] != item["name"]]
            elif same:
                merged[same[0]] = strategic_merge(merged[same[0]], item)
            else:
                merged.append(copy.deepcopy(item))
        return merged
    return copy.deepcopy(patch)


def json6902(doc, operation):
    parts = [p.replace("~1", "/").replace("~0", "~") for p in operation["path"].lstrip("/").split("/")]
    parent = doc
    for part in parts[:-1]:
        parent = parent[int(part)] if isinstance(parent, list) else parent[part]
    last, op = parts[-1], operation["op"]
    if isinstance(parent, list):
        index = len(parent) if last == "-" else int(last)
        if op == "add":
            parent.insert(index, copy.deepcopy(operation["value"]))
        elif op == "replace":
            parent[index] = copy.deepcopy(operation["value"])
        elif op == "remove":
            del parent[index]
        else:
            raise ValueError(f"unsupported JSON 6902 op {op}")
    elif op in ("add", "replace"):
        if op == "replace" and last not in parent:
            raise ValueError(f"JSON 6902 replace: {operation['path']} does not exist")
        parent[last] = copy.deepcopy(operation["value"])
    elif op == "remove":
        del parent[last]
    else:
        raise ValueError(f"unsupported JSON 6902 op {op}")


def _set_image(docs, image):
    for doc in docs:
        pod = doc.get("spec", {}).get("template", {}).get("spec", {}) if isinstance(doc.get("spec"), dict) else {}
        for container in pod.get("containers", []) + pod.get("initContainers", []):
            ref = container.get("image", "")
            name = ref.split("@")[0]
            if ":" in name.rsplit("/", 1)[-1]:
                name = name.rsplit(":", 1)[0]
            if name != image["name"]:
                continue
            new = image.get("newName", name)
            if image.get("digest"):
                container["image"] = f"{new}@{image['digest']}"
            else:
                tag = image.get("newTag") or (ref.rsplit(":", 1)[1] if ":" in ref.rsplit("/", 1)[-1] else None)
                container["image"] = f"{new}:{tag}" if tag else new
