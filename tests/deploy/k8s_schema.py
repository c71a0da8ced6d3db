"""Offline schema validation of Kubernetes objects.

No cluster is reachable here (kubectl's --dry-run=client and kubeconform both need a server or a schema
download), so the schema comes from Debian's python3-kubernetes: its model classes are generated from the
Kubernetes OpenAPI document (client 22.6 = Kubernetes 1.22) and carry, for every object, each field's JSON
name (attribute_map), its type (openapi_types) and whether it is required (the setter refuses None).
Every field of every object is checked: unknown fields (typos) are errors, so are wrong types and missing
required fields.

Kubernetes 1.22 predates autoscaling/v2 (GA in 1.23); its schema is autoscaling/v2beta2's, field for field,
so a v2 HorizontalPodAutoscaler is checked against V2beta2HorizontalPodAutoscaler.
"""
from __future__ import annotations

import functools
import inspect
from typing import Any, List

import kubernetes.client as k8s

MODELS = {
    ("v1", "Service"): "V1Service",
    ("v1", "Secret"): "V1Secret",
    ("v1", "ConfigMap"): "V1ConfigMap",
    ("v1", "PersistentVolumeClaim"): "V1PersistentVolumeClaim",
    ("v1", "Pod"): "V1Pod",
    ("apps/v1", "Deployment"): "V1Deployment",
    ("batch/v1", "Job"): "V1Job",
    ("policy/v1", "PodDisruptionBudget"): "V1PodDisruptionBudget",
    ("autoscaling/v2", "HorizontalPodAutoscaler"): "V2beta2HorizontalPodAutoscaler",
}


@functools.lru_cache(maxsize=None)
def _fields(model: str):
    cls = getattr(k8s, model)
    by_json = {json_name: (py_name, cls.openapi_types[py_name]) for py_name, json_name in cls.attribute_map.items()}
    required = set()
    for py_name, json_name in cls.attribute_map.items():
        setter = getattr(cls, py_name).fset
        if setter is not None and "must not be `None`" in inspect.getsource(setter):
            required.add(json_name)
    return by_json, required


def _check(value: Any, typ: str, path: str, errors: List[str]) -> None:
    if value is None:
        errors.append(f"{path}: null")
        return
    if typ == "str":
        if not isinstance(value, str):
            errors.append(f"{path}: expected a string, found {type(value).__name__} {value!r}")
    elif typ == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append(f"{path}: expected an integer, found {value!r}")
    elif typ == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            errors.append(f"{path}: expected a number, found {value!r}")
    elif typ == "bool":
        if not isinstance(value, bool):
            errors.append(f"{path}: expected true or false, found {value!r}")
    elif typ in ("datetime", "date"):
        if not isinstance(value, str):
            errors.append(f"{path}: expected a timestamp string, found {value!r}")
    elif typ == "object":
        # IntOrString (ports, maxUnavailable) and Quantity (cpu, memory): a string or a number
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            errors.append(f"{path}: expected a string or number, found {value!r}")
    elif typ.startswith("list[") and typ.endswith("]"):
        if not isinstance(value, list):
            errors.append(f"{path}: expected a list, found {value!r}")
            return
        for i, item in enumerate(value):
            _check(item, typ[5:-1], f"{path}[{i}]", errors)
    elif typ.startswith("dict(") and typ.endswith(")"):
        if not isinstance(value, dict):
            errors.append(f"{path}: expected a map, found {value!r}")
            return
        inner = typ[5:-1].split(",", 1)[1].strip()
        for key, item in value.items():
            if not isinstance(key, str):
                errors.append(f"{path}: key {key!r} is not a string")
            _check(item, inner, f"{path}.{key}", errors)
    else:
        _check_model(value, typ, path, errors)


def _check_model(value: Any, model: str, path: str, errors: List[str]) -> None:
    if not isinstance(value, dict):
        errors.append(f"{path}: expected an object ({model}), found {value!r}")
        return
    by_json, required = _fields(model)
    for key, item in value.items():
        if key not in by_json:
            errors.append(f"{path}.{key}: unknown field (not in {model})")
            continue
        _check(item, by_json[key][1], f"{path}.{key}", errors)
    for key in sorted(required - set(value)):
        errors.append(f"{path}.{key}: required field missing ({model})")


def validate(obj: dict) -> List[str]:
    """Every problem found in one object, as 'Kind/name.path: what'; an empty list when it is valid."""
    if not isinstance(obj, dict):
        return [f"not an object: {obj!r}"]
    key = (obj.get("apiVersion"), obj.get("kind"))
    name = f"{key[1]}/{(obj.get('metadata') or {}).get('name', '?')}"
    if key not in MODELS:
        return [f"{name}: no schema for apiVersion {key[0]!r} kind {key[1]!r}"]
    errors: List[str] = []
    _check_model(obj, MODELS[key], name, errors)
    return errors
