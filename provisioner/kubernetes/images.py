"""The images a cluster pulls, as `kubeadm config images list` names them, for sites that mirror images.

kubeadm's rules (cmd/kubeadm/app/images/images.go): the four component images at the Kubernetes
version, `pause` and CoreDNS at versions fixed per release (cmd/kubeadm/app/constants/constants.go:
PauseVersion, CoreDNSVersion), all under `imageRepository`. CoreDNS keeps its `coredns/` sub-path only
under the default registry. etcd's image is listed only for kubeadm's own (local) etcd; this tool runs
etcd itself, so kubeadm pulls none.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_IMAGE_REPOSITORY = "registry.k8s.io"
COMPONENTS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy")


@dataclass(frozen=True)
class ReleaseImages:
    pause: str
    coredns: str


# Per Kubernetes minor release, from kubeadm's constants at each release's tag.
RELEASE_IMAGES: dict[tuple[int, int], ReleaseImages] = {
    (1, 31): ReleaseImages(pause="3.10", coredns="v1.11.3"),
    (1, 32): ReleaseImages(pause="3.10", coredns="v1.11.3"),
    (1, 33): ReleaseImages(pause="3.10", coredns="v1.12.0"),
    (1, 34): ReleaseImages(pause="3.10.1", coredns="v1.12.1"),
    (1, 35): ReleaseImages(pause="3.10.1", coredns="v1.13.1"),
}


@dataclass(frozen=True)
class Image:
    source: str   # where upstream publishes it
    pulled: str   # what the cluster pulls: the mirror's name for it


def release_of(version: str) -> tuple[int, int]:
    major, minor, _ = (int(part) for part in version.split("."))
    return major, minor


def kubeadm_images(version: str, repository: str = DEFAULT_IMAGE_REPOSITORY) -> list[Image] | None:
    """kubeadm's images for `version` under `repository`, or None when the release is not in the table."""
    release = RELEASE_IMAGES.get(release_of(version))
    if release is None:
        return None
    coredns_path = "coredns/coredns" if repository == DEFAULT_IMAGE_REPOSITORY else "coredns"
    names = [(f"{name}:v{version}", f"{name}:v{version}") for name in COMPONENTS]
    names += [(f"coredns/coredns:{release.coredns}", f"{coredns_path}:{release.coredns}"),
              (f"pause:{release.pause}", f"pause:{release.pause}")]
    return [Image(f"{DEFAULT_IMAGE_REPOSITORY}/{source}", f"{repository}/{pulled}") for source, pulled in names]


def mirrored(image: str, repository: str) -> str:
    """An add-on image under the site's registry: its registry host replaced, its path kept."""
    if repository == DEFAULT_IMAGE_REPOSITORY:
        return image
    _, _, path = image.partition("/")
    return f"{repository}/{path}"
