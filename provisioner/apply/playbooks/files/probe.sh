# Facts the preflight checks read, one key=value per line. Plain sh: python3 may be missing.
if [ -r /etc/os-release ]; then . /etc/os-release; fi
echo "os_id=${ID:-}"
echo "os_like=${ID_LIKE:-}"
echo "os_version=${VERSION_ID:-}"
echo "os_name=${PRETTY_NAME:-unknown}"
echo "python3=$(command -v python3 || true)"
if [ -d /run/systemd/system ]; then echo "systemd=yes"; else echo "systemd=no"; fi
echo "time=$(date +%s.%N)"
if command -v ss >/dev/null 2>&1; then
  echo "ss=yes"
  ss -Htlnp | while read -r line; do echo "listen=$line"; done
else
  echo "ss=no"
fi
for unit in etcd haproxy; do
  echo "main_pid_$unit=$(systemctl show --property MainPID --value "$unit.service" 2>/dev/null || true)"
done
echo "marker_etcd=$(head -n 1 /etc/systemd/system/etcd.service 2>/dev/null || true)"
echo "marker_haproxy=$(head -n 1 /etc/haproxy/haproxy.cfg 2>/dev/null || true)"
