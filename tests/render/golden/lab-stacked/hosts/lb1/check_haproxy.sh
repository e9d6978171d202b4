#!/bin/sh
# Rendered by provisioner for cluster lab-stacked: keepalived lowers this host's priority
# when the local haproxy no longer accepts connections on the API endpoint port.
exec /usr/bin/timeout 2 /bin/bash -c 'exec 3<>/dev/tcp/127.0.0.1/6443'
