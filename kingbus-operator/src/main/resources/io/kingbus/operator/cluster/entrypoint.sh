#!/bin/sh
# Starts a kingbus node in a KingbusCluster pod (written by kingbus-operator; edits are overwritten).
# Name and URLs come from the pod's stable DNS name under the headless Service. Only the members of the first
# bootstrap start with initial-cluster-state "new" (listing the whole bootstrap set), and only while the ConfigMap
# says the cluster has not formed yet. Every other start says "existing": a node restarting with data recovers its
# raft group from the data dir (initial-cluster is ignored then), and a fresh node waits until the operator adds it
# with POST /members.
set -eu
name="$POD_NAME"
domain="$PEERS_SERVICE.$POD_NAMESPACE.svc"
export KINGBUS_NAME="$name"
export KINGBUS_PEER_URL="http://$name.$domain:$PEER_PORT"
export KINGBUS_ADMIN_URL="http://$name.$domain:$ADMIN_PORT"
state=existing
cluster="$name=$KINGBUS_PEER_URL"
if [ "$CLUSTER_STATE" = new ]; then
  case ",$BOOTSTRAP_MEMBERS," in
    *",$name,"*)
      state=new
      cluster=""
      for m in $(echo "$BOOTSTRAP_MEMBERS" | tr ',' ' '); do
        cluster="${cluster:+$cluster,}$m=http://$m.$domain:$PEER_PORT"
      done
      ;;
  esac
fi
export KINGBUS_INITIAL_CLUSTER="$cluster"
export KINGBUS_INITIAL_CLUSTER_STATE="$state"
# The headless Service publishes not-ready addresses, but the record may take a moment to appear.
i=0
while ! getent hosts "$name.$domain" >/dev/null 2>&1 && [ "$i" -lt "${DNS_WAIT_SECONDS:-60}" ]; do
  i=$((i + 1))
  sleep 1
done
echo "kingbus entrypoint: $name initial-cluster-state=$state initial-cluster=$cluster"
exec "${KINGBUS_COMMAND:-kingbus}" node --config /etc/kingbus/kingbus.yaml
