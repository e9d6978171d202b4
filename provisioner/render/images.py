"""images.txt: every image the cluster pulls, with where upstream publishes it, for sites that mirror."""

from __future__ import annotations

from provisioner.cluster.model import Kubernetes
from provisioner.kubernetes.images import RELEASE_IMAGES, Image, kubeadm_images, mirrored
from provisioner.render.cni import add_on


def images_txt(kubernetes: Kubernetes) -> str:
    lines = [f"# Images Kubernetes {kubernetes.version} pulls (kubeadm's list, then the pod network add-on's).",
             "# Copy each SOURCE to PULLED on the site's registry (kubernetes.image_repository).",
             "# SOURCE PULLED"]
    images = kubeadm_images(kubernetes.version, kubernetes.image_repository)
    if images is None:
        known = ", ".join(f"{major}.{minor}" for major, minor in RELEASE_IMAGES)
        lines.append(f"# kubeadm's images for {kubernetes.version} are not in this tool's table ({known}): "
                     f"run `kubeadm config images list --kubernetes-version v{kubernetes.version}`")
        images = []
    addon = add_on(kubernetes)
    if addon is not None and kubernetes.cni_manifest is not None and kubernetes.cni_manifest.sha256 is not None:
        lines.append(f"# {addon.name}: another manifest than the pinned {addon.version}; add the images it names")
    elif addon is not None:
        images += [Image(image, mirrored(image, kubernetes.image_repository)) for image in addon.images]
    lines += [f"{image.source} {image.pulled}" for image in images]
    return "\n".join(lines) + "\n"
