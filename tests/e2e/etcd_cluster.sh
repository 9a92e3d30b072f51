#!/bin/sh
# A real three-node etcd cluster for the pool tests: explicit etcd
# processes (not the package's service) on 127.0.0.1-3, free ports picked
# at random, data dirs under DIR.
#   etcd_cluster.sh start DIR   prints the pool URL (etcd://...,...,...)
#                               once all three answer; writes DIR/nN.pid
#   etcd_cluster.sh kill DIR N  kills node N (1-3) with SIGKILL
#   etcd_cluster.sh stop DIR    kills every node started in DIR
#   etcd_cluster.sh leader DIR  prints the number of the leader node
set -eu

cmd=${1:?usage: etcd_cluster.sh start|stop|kill|leader DIR [N]}
dir=${2:?usage: etcd_cluster.sh start|stop|kill|leader DIR [N]}

start() {
    mkdir -p "$dir"
    base=$(( 20000 + $(od -An -tu2 -N2 /dev/urandom) % 20000 ))
    cluster="" url=""
    for n in 1 2 3; do
        cluster="$cluster${cluster:+,}n$n=http://127.0.0.$n:$((base + 10 + n))"
        url="$url${url:+,}127.0.0.$n:$((base + n))"
    done
    for n in 1 2 3; do
        etcd --name "n$n" --data-dir "$dir/d$n" \
            --listen-client-urls "http://127.0.0.$n:$((base + n))" \
            --advertise-client-urls "http://127.0.0.$n:$((base + n))" \
            --listen-peer-urls "http://127.0.0.$n:$((base + 10 + n))" \
            --initial-advertise-peer-urls "http://127.0.0.$n:$((base + 10 + n))" \
            --initial-cluster "$cluster" --initial-cluster-state new \
            --initial-cluster-token "pstate-$base" \
            > "$dir/n$n.log" 2>&1 &
        echo $! > "$dir/n$n.pid"
    done
    echo "$url" > "$dir/endpoints"
    i=0
    until etcdctl --endpoints "$url" endpoint health >/dev/null 2>&1; do
        i=$((i + 1))
        if [ $i -gt 100 ]; then
            echo "etcd_cluster: not healthy after 20 s (logs in $dir)" >&2
            stop
            exit 1
        fi
        sleep 0.2
    done
    echo "etcd://$url"
}

stop() {
    for f in "$dir"/n?.pid; do
        [ -f "$f" ] || continue
        kill -9 "$(cat "$f")" 2>/dev/null || true
        rm -f "$f"
    done
}

case $cmd in
start) start ;;
stop) stop ;;
kill)
    n=${3:?node number}
    kill -9 "$(cat "$dir/n$n.pid")"
    rm -f "$dir/n$n.pid" ;;
leader)
    etcdctl --endpoints "$(cat "$dir/endpoints")" endpoint status \
        -w simple 2>/dev/null | awk -F', ' '$5 == "true" {print $1}' |
        sed 's/^127\.0\.0\.\([0-9]\).*/\1/' ;;
*) echo "etcd_cluster: unknown command $cmd" >&2; exit 2 ;;
esac
