"""Kubernetes knowledge the tool keeps in tables: add-on manifests, kubeadm's images, upgrade rules."""
