"""Where rendered files and certificates live on the hosts: one place shared by render, apply and verify."""

from __future__ import annotations

# The interpreter Ansible, ping and verify use on every host (Debian and Ubuntu ship it here).
PYTHON_INTERPRETER = "/usr/bin/python3"

ETCD_CONFIG = "/etc/etcd/etcd.conf.yml"
ETCD_UNIT = "/etc/systemd/system/etcd.service"
ETCD_PKI = "/etc/etcd/pki"
ETCD_CA = f"{ETCD_PKI}/ca.crt"
ETCD_SERVER_CERT = f"{ETCD_PKI}/server.crt"
ETCD_SERVER_KEY = f"{ETCD_PKI}/server.key"
ETCD_PEER_CERT = f"{ETCD_PKI}/peer.crt"
ETCD_PEER_KEY = f"{ETCD_PKI}/peer.key"
# What only a member needs: removed from a host whose member left (its client certificates stay).
ETCD_MEMBER_CERTIFICATES = (ETCD_SERVER_CERT, ETCD_SERVER_KEY, ETCD_PEER_CERT, ETCD_PEER_KEY)
# Client certificate the member's own health checks (apply, verify) use against the local member.
ETCD_HEALTHCHECK_CERT = f"{ETCD_PKI}/healthcheck-client.crt"
ETCD_HEALTHCHECK_KEY = f"{ETCD_PKI}/healthcheck-client.key"
ETCD_PACKAGE_BINARY = "/usr/bin/etcd"
ETCD_RELEASE_DIR = "/usr/local/bin"
# Where `etcd snapshot` saves a snapshot on the member before streaming it to the tool's machine.
ETCD_SNAPSHOT_STAGING = "/var/lib/provisioner/snapshot-staging"
# Scheduled backups (etcd.backup): a script run by a oneshot service that a timer starts.
ETCD_BACKUP_SCRIPT = "/usr/local/sbin/etcd-backup"
ETCD_BACKUP_SERVICE = "/etc/systemd/system/etcd-backup.service"
ETCD_BACKUP_TIMER = "/etc/systemd/system/etcd-backup.timer"

# kubeadm's own default locations, so `kubeadm init` finds the material without extra flags.
KUBERNETES_PKI = "/etc/kubernetes/pki"
KUBE_ETCD_CA = f"{KUBERNETES_PKI}/etcd/ca.crt"
APISERVER_ETCD_CLIENT_CERT = f"{KUBERNETES_PKI}/apiserver-etcd-client.crt"
APISERVER_ETCD_CLIENT_KEY = f"{KUBERNETES_PKI}/apiserver-etcd-client.key"
KUBEADM_CONFIG = "/etc/kubernetes/provisioner/kubeadm.yaml"

HAPROXY_CONFIG = "/etc/haproxy/haproxy.cfg"
KEEPALIVED_CONFIG = "/etc/keepalived/keepalived.conf"
KEEPALIVED_CHECK_SCRIPT = "/etc/keepalived/check_haproxy.sh"
# The VRRP authentication block keepalived.conf includes: the only keepalived file holding a secret.
KEEPALIVED_AUTH = "/etc/keepalived/provisioner-auth.conf"
# Written by `kubeadm init`; the Kubernetes checks and joins use it.
KUBE_ADMIN_KUBECONFIG = "/etc/kubernetes/admin.conf"
# haproxy's runtime API, which verify reads for the live backend list.
HAPROXY_STATS_SOCKET = "/run/haproxy/admin.sock"
HAPROXY_BACKEND = "kube-apiserver"
# The pod network add-on: the rendered kustomization and patch; apply downloads the manifest beside them.
KUBE_CNI_DIR = "/etc/kubernetes/provisioner/cni"
# Mounted into the kube-apiserver static Pod (kubeadm extraVolumes), one folder each.
ENCRYPTION_CONFIG_DIR = "/etc/kubernetes/encryption"
ENCRYPTION_CONFIG = f"{ENCRYPTION_CONFIG_DIR}/config.yaml"
AUDIT_POLICY_DIR = "/etc/kubernetes/audit"
AUDIT_POLICY = f"{AUDIT_POLICY_DIR}/policy.yaml"
AUDIT_LOG_DIR = "/var/log/kubernetes/audit"
# Written by apply once kubeadm init or join has succeeded on the host: it is then a cluster member.
KUBE_MEMBER_MARKER = "/etc/kubernetes/provisioner/member"

# Read by the facts gathered before every apply, written by apply's membership steps.
# The record of what this tool built, kept on every etcd member (the build folder holds the other copy).
RECORD = "/var/lib/provisioner/record.yml"
# A joining member's first start: etcd's configuration with the live member list and
# initial-cluster-state existing, and the systemd drop-in pointing etcd at it until it is promoted.
ETCD_JOIN_CONFIG = "/etc/etcd/etcd.join.conf.yml"
ETCD_JOIN_DROPIN = "/etc/systemd/system/etcd.service.d/provisioner-join.conf"
# The control-plane static Pods kubeadm writes, by the name of the Pod and of its manifest file.
KUBE_MANIFESTS_DIR = "/etc/kubernetes/manifests"
CONTROL_PLANE_PODS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
# Where a manifest is parked while its Pod is stopped (a restore, a restart with new files): outside
# the manifests folder, since the kubelet runs every file in it. Whichever of apply's restart and
# restore runs next puts back a manifest a stopped run left here.
KUBE_PARKED_DIR = "/etc/kubernetes/provisioner"
KUBE_APISERVER_MANIFEST = f"{KUBE_MANIFESTS_DIR}/kube-apiserver.yaml"
KUBE_APISERVER_PARKED = f"{KUBE_PARKED_DIR}/kube-apiserver.yaml.parked"
# Where restore parked kube-apiserver's manifest before the restart shared its place: a restore stopped
# then leaves it there, and the next restore or apply takes it over.
KUBE_APISERVER_PARKED_FORMERLY = f"{KUBE_PARKED_DIR}/kube-apiserver.yaml.stopped-for-restore"
# kubeadm's own leaf certificates on a control-plane host, issued from the Kubernetes CA the tree
# places, and the kubeconfig files embedding the client certificates it issued: what
# `kubeadm certs renew all` renews (super-admin.conf is only on the host that ran kubeadm init).
KUBEADM_KUBECONFIGS = (KUBE_ADMIN_KUBECONFIG, "/etc/kubernetes/super-admin.conf",
                       "/etc/kubernetes/controller-manager.conf", "/etc/kubernetes/scheduler.conf")
KUBEADM_LEAVES = (f"{KUBERNETES_PKI}/apiserver.crt", f"{KUBERNETES_PKI}/apiserver-kubelet-client.crt",
                  f"{KUBERNETES_PKI}/front-proxy-client.crt", *KUBEADM_KUBECONFIGS)
KUBELET_KUBECONFIG = "/etc/kubernetes/kubelet.conf"
KUBERNETES_CA = "/etc/kubernetes/pki/ca.crt"
