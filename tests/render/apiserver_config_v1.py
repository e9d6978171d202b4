"""Strict schemas of the kube-apiserver configuration files render writes, from their reference
documentation (kubernetes.io/docs/reference/config-api/apiserver-config.v1 and apiserver-audit.v1).
The published OpenAPI schemas (kubernetes-validate) cover only objects the API serves, not these files.
Unknown keys are errors, as the API server's strict decoding reports them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Key(_Strict):
    name: str = Field(min_length=1)
    secret: str = Field(min_length=1)


class KeysProvider(_Strict):
    keys: list[Key] = Field(min_length=1)


class Provider(_Strict):
    aescbc: KeysProvider | None = None
    aesgcm: KeysProvider | None = None
    secretbox: KeysProvider | None = None
    identity: dict[str, object] | None = None
    kms: dict[str, object] | None = None


class ResourceConfiguration(_Strict):
    resources: list[str] = Field(min_length=1)
    providers: list[Provider] = Field(min_length=1)


class EncryptionConfiguration(_Strict):
    apiVersion: Literal["apiserver.config.k8s.io/v1"]
    kind: Literal["EncryptionConfiguration"]
    resources: list[ResourceConfiguration]


Level = Literal["None", "Metadata", "Request", "RequestResponse"]
Stage = Literal["RequestReceived", "ResponseStarted", "ResponseComplete", "Panic"]


class GroupResources(_Strict):
    group: str | None = None
    resources: list[str] | None = None
    resourceNames: list[str] | None = None


class PolicyRule(_Strict):
    level: Level
    users: list[str] | None = None
    userGroups: list[str] | None = None
    verbs: list[str] | None = None
    resources: list[GroupResources] | None = None
    namespaces: list[str] | None = None
    nonResourceURLs: list[str] | None = None
    omitStages: list[Stage] | None = None
    omitManagedFields: bool | None = None


class AuditPolicy(_Strict):
    apiVersion: Literal["audit.k8s.io/v1"]
    kind: Literal["Policy"]
    metadata: dict[str, object] | None = None
    rules: list[PolicyRule] = Field(min_length=1)
    omitStages: list[Stage] | None = None
    omitManagedFields: bool | None = None
