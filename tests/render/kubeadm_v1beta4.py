"""A strict schema of the kubeadm v1beta4 fields the tool writes, taken from the kubeadm configuration
reference (kubernetes.io/docs/reference/config-api/kubeadm-config.v1beta4). Unknown keys are errors, as
kubeadm's strict decoding reports them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Arg(_Strict):
    name: str
    value: str


class APIEndpoint(_Strict):
    advertiseAddress: str
    bindPort: int = Field(ge=1, le=65535)


class NodeRegistrationOptions(_Strict):
    name: str | None = None
    criSocket: str | None = None
    taints: list[dict[str, str]] | None = None
    kubeletExtraArgs: list[Arg] | None = None
    ignorePreflightErrors: list[str] | None = None
    imagePullPolicy: Literal["Always", "IfNotPresent", "Never"] | None = None
    imagePullSerial: bool | None = None


class ExternalEtcd(_Strict):
    endpoints: list[str] = Field(min_length=1)
    caFile: str
    certFile: str
    keyFile: str


class Etcd(_Strict):
    external: ExternalEtcd | None = None
    local: dict[str, object] | None = None


class Networking(_Strict):
    serviceSubnet: str | None = None
    podSubnet: str | None = None
    dnsDomain: str | None = None


class HostPathMount(_Strict):
    name: str
    hostPath: str
    mountPath: str
    readOnly: bool | None = None
    pathType: Literal["", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice",
                      "BlockDevice"] | None = None


class ControlPlaneComponent(_Strict):
    extraArgs: list[Arg] | None = None
    extraVolumes: list[HostPathMount] | None = None
    extraEnvs: list[dict[str, str]] | None = None


class APIServer(ControlPlaneComponent):
    certSANs: list[str] | None = None


class ClusterConfiguration(_Strict):
    apiVersion: Literal["kubeadm.k8s.io/v1beta4"]
    kind: Literal["ClusterConfiguration"]
    etcd: Etcd | None = None
    networking: Networking | None = None
    kubernetesVersion: str | None = None
    controlPlaneEndpoint: str | None = None
    apiServer: APIServer | None = None
    controllerManager: ControlPlaneComponent | None = None
    scheduler: ControlPlaneComponent | None = None
    certificatesDir: str | None = None
    imageRepository: str | None = None
    featureGates: dict[str, bool] | None = None
    clusterName: str | None = None
    encryptionAlgorithm: Literal["RSA-2048", "RSA-3072", "RSA-4096", "ECDSA-P256", "ECDSA-P384"] | None = None


class InitConfiguration(_Strict):
    apiVersion: Literal["kubeadm.k8s.io/v1beta4"]
    kind: Literal["InitConfiguration"]
    bootstrapTokens: list[dict[str, object]] | None = None
    dryRun: bool | None = None
    nodeRegistration: NodeRegistrationOptions | None = None
    localAPIEndpoint: APIEndpoint | None = None
    certificateKey: str | None = None
    skipPhases: list[str] | None = None


class BootstrapTokenDiscovery(_Strict):
    token: str | None = None  # added at run time by apply
    apiServerEndpoint: str
    caCertHashes: list[str] | None = None
    unsafeSkipCAVerification: bool | None = None


class Discovery(_Strict):
    bootstrapToken: BootstrapTokenDiscovery | None = None
    file: dict[str, str] | None = None
    tlsBootstrapToken: str | None = None


class JoinControlPlane(_Strict):
    localAPIEndpoint: APIEndpoint | None = None
    certificateKey: str | None = None  # added at run time by apply


class JoinConfiguration(_Strict):
    apiVersion: Literal["kubeadm.k8s.io/v1beta4"]
    kind: Literal["JoinConfiguration"]
    dryRun: bool | None = None
    nodeRegistration: NodeRegistrationOptions | None = None
    caCertPath: str | None = None
    discovery: Discovery
    controlPlane: JoinControlPlane | None = None
    skipPhases: list[str] | None = None


SCHEMAS: dict[str, type[_Strict]] = {
    "InitConfiguration": InitConfiguration,
    "ClusterConfiguration": ClusterConfiguration,
    "JoinConfiguration": JoinConfiguration,
}
