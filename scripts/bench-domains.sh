#!/usr/bin/env bash
# Benchmark and cross-check of `cyberctl domain` (issue 22) against checkdmarc (PyPI) on the same local
# servers: N generated domains (default 200), each its own DNSSEC-signed zone served by NSD on loopback,
# validated by a local unbound (the zones' DS records as trust anchors), web sites on nginx (HTTPS with a
# test CA, http→https redirect, HSTS, security.txt). Null MX everywhere (no SMTP server is started), and
# SPF and DMARC varied over the domains: one SPF record with -all or ~all, two records, 11 DNS-querying
# terms through nested includes, DMARC p=reject, quarantine, none, absent.
#
# Measures: wall time of one `cyberctl domain` run over all domains (concurrency bounded, default 8) and per
# domain; wall time of checkdmarc (SPF + DMARC only, sequential) on the same domains; agreement of the SPF
# and DMARC verdicts (record valid or not, lookup count, DMARC policy) between the two.
#
# Usage: scripts/bench-domains.sh [N] [CONCURRENCY]
#        CYBERCTL=.build/debug/cyberctl scripts/bench-domains.sh   (default: a release build made here)
#        CHECKDMARC_PYTHON=/opt/checkdmarc-venv/bin/python (default; .ci/run installs it)
# Needs: nsd, unbound, ldnsutils, nginx, openssl, python3, checkdmarc. Prints Markdown on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-200}"
CONCURRENCY="${2:-8}"
PYTHON="${CHECKDMARC_PYTHON:-/opt/checkdmarc-venv/bin/python}"
REPO="$(pwd)"
WORK="$(mktemp -d /tmp/cyberctl-bench-domains.XXXXXX)"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
log() { echo "bench-domains: $*" >&2; }

if [ -z "${CYBERCTL:-}" ]; then
    log "building cyberctl (release)"
    swift build -c release --product cyberctl >&2
    CYBERCTL="$(swift build -c release --show-bin-path)/cyberctl"
fi
CYBERCTL="$(cd "$(dirname "$CYBERCTL")" && pwd)/$(basename "$CYBERCTL")"

free_ports() {
    python3 -c '
import socket, sys
held = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); held.append(s)
print(" ".join(str(s.getsockname()[1]) for s in held))' "$1"
}
wait_port() {
    for _ in $(seq 1 400); do
        if python3 -c "import socket; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null; then return 0; fi
        sleep 0.05
    done
    log "port $1 never opened"; return 1
}
read -r NSD_PORT UNBOUND_PORT HTTP_PORT HTTPS_PORT DEAD_PORT <<<"$(free_ports 5)"
cd "$WORK"

# Domain i: d001.bench.test …; its SPF/DMARC variant is i mod 8.
names=()
for i in $(seq 1 "$N"); do names+=("$(printf 'd%03d.bench.test' "$i")"); done

log "certificates (one test CA, one leaf for every name and www.name)"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -subj "/CN=Bench Domains Root" \
    -days 30 -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key -out leaf.csr -subj "/CN=bench.test" 2>/dev/null
{ printf 'subjectAltName='; for n in "${names[@]}"; do printf 'DNS:%s,DNS:www.%s,' "$n" "$n"; done | sed 's/,$//'; printf '\nbasicConstraints=CA:FALSE\n'; } > leaf.ext
openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out leaf.pem -days 30 -extfile leaf.ext 2>/dev/null
EXPIRES="$(date -u -d '+180 days' +%Y-%m-%dT%H:%M:%SZ)"

log "zones: $N, signed with ldns-signzone"
mkdir -p zones
: > anchors.ds
: > nsd-zones.conf
: > stubs.conf
started=$(date +%s.%N)
for i in $(seq 1 "$N"); do
    n="${names[$((i - 1))]}"
    case $((i % 8)) in
        0) spf='"v=spf1 -all"'; dmarc='"v=DMARC1; p=reject; rua=mailto:dmarc@'"$n"'"' ;;
        1) spf='"v=spf1 ip4:192.0.2.0/24 include:_spf.'"$n"' ~all"'; dmarc='"v=DMARC1; p=quarantine; rua=mailto:d@'"$n"'"' ;;
        2) spf='"v=spf1 -all"'; dmarc='"v=DMARC1; p=none; rua=mailto:d@'"$n"'"' ;;
        3) spf='"v=spf1 -all"'; dmarc='' ;;
        4) spf='"v=spf1 include:a.'"$n"' include:b.'"$n"' -all"'; dmarc='"v=DMARC1; p=reject"' ;;
        5) spf='"v=spf1 -all"
@ TXT "v=spf1 a -all"'; dmarc='"v=DMARC1; p=reject; rua=mailto:d@'"$n"'"' ;;
        6) spf='"v=spf1 a mx -all"'; dmarc='"v=DMARC1; p=reject; sp=none; rua=mailto:d@'"$n"'"' ;;
        7) spf=''; dmarc='"v=DMARC1; p=quarantine; rua=mailto:d@'"$n"'"' ;;
    esac
    {
        echo "\$ORIGIN $n."
        echo "\$TTL 300"
        echo "@ SOA ns1.$n. hostmaster.$n. 2024010101 3600 900 604800 300"
        echo "@ NS ns1"
        echo "ns1 A 127.0.0.1"
        echo "@ A 127.0.0.1"
        echo "www A 127.0.0.1"
        echo "@ MX 0 ."
        echo '@ CAA 0 issue "letsencrypt.org"'
        [ -n "$spf" ] && echo "@ TXT $spf"
        [ -n "$dmarc" ] && echo "_dmarc TXT $dmarc"
        echo '_spf TXT "v=spf1 ip4:198.51.100.0/24 -all"'
        echo "a TXT \"v=spf1 include:c.$n a mx -all\""
        echo 'b TXT "v=spf1 a mx ptr exists:x.'"$n"' -all"'
        echo 'c TXT "v=spf1 a mx -all"'
        for h in a b c x; do echo "$h A 192.0.2.1"; done
    } > "zones/$n.zone"
    ksk=$(cd zones && ldns-keygen -a ECDSAP256SHA256 -k "$n")
    zsk=$(cd zones && ldns-keygen -a ECDSAP256SHA256 "$n")
    (cd zones && ldns-signzone -n -e 20400101000000 "$n.zone" "$zsk" "$ksk")
    cat "zones/$ksk.ds" >> anchors.ds
    printf 'zone:\n  name: %s\n  zonefile: %s/zones/%s.zone.signed\n' "$n" "$WORK" "$n" >> nsd-zones.conf
    printf 'stub-zone:\n  name: "%s"\n  stub-addr: 127.0.0.1@%s\n' "$n" "$NSD_PORT" >> stubs.conf
done
# The parent bench.test, unsigned: the organisational domain of every name (DMARC falls back to it).
printf '$ORIGIN bench.test.\n$TTL 300\n@ SOA ns1.bench.test. hostmaster.bench.test. 2024010101 3600 900 604800 300\n@ NS ns1\nns1 A 127.0.0.1\n' > zones/bench.test.zone
printf 'zone:\n  name: bench.test\n  zonefile: %s/zones/bench.test.zone\n' "$WORK" >> nsd-zones.conf
printf 'stub-zone:\n  name: "bench.test"\n  stub-addr: 127.0.0.1@%s\n' "$NSD_PORT" >> stubs.conf
ZONES_S=$(python3 -c "print(round($(date +%s.%N) - $started, 1))")

log "nsd on $NSD_PORT, unbound on $UNBOUND_PORT"
cat > nsd.conf <<EOF
server:
  ip-address: 127.0.0.1@$NSD_PORT
  port: $NSD_PORT
  zonesdir: $WORK
  database: ""
  pidfile: $WORK/nsd.pid
  xfrdfile: $WORK/xfrd.state
  zonelistfile: $WORK/zone.list
  username: ""
  chroot: ""
  server-count: 1
  verbosity: 1
remote-control:
  control-enable: no
$(cat nsd-zones.conf)
EOF
nsd -d -c nsd.conf </dev/null >nsd.log 2>&1 &
PIDS+=($!)
wait_port "$NSD_PORT"
cat > unbound.conf <<EOF
server:
  interface: 127.0.0.1@$UNBOUND_PORT
  port: $UNBOUND_PORT
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "$WORK"
  pidfile: "$WORK/unbound.pid"
  use-syslog: no
  logfile: ""
  verbosity: 0
  num-threads: 1
  so-reuseport: no
  do-not-query-localhost: no
  access-control: 127.0.0.0/8 allow
  local-zone: "test." nodefault
  trust-anchor-file: "$WORK/anchors.ds"
  cache-max-ttl: 0
  cache-max-negative-ttl: 0
remote-control:
  control-enable: no
$(cat stubs.conf)
EOF
unbound -d -c unbound.conf </dev/null >unbound.log 2>&1 &
PIDS+=($!)
wait_port "$UNBOUND_PORT"

log "nginx on $HTTP_PORT (http) and $HTTPS_PORT (https)"
mkdir -p nginx/logs
cat > nginx/nginx.conf <<EOF
worker_processes 1;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log;
$( [ "$(id -u)" = 0 ] && echo 'user root;' )
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx/body;
    proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    scgi_temp_path $WORK/nginx/scgi;
    server {
        listen 127.0.0.1:$HTTP_PORT;
        return 301 https://\$host:$HTTPS_PORT\$request_uri;
    }
    server {
        listen 127.0.0.1:$HTTPS_PORT ssl;
        ssl_certificate $WORK/leaf.pem;
        ssl_certificate_key $WORK/leaf.key;
        add_header Strict-Transport-Security "max-age=31536000" always;
        location = /.well-known/security.txt { default_type text/plain; return 200 "Contact: mailto:securite@bench.test\nExpires: $EXPIRES\n"; }
        location / { return 200 "ok\n"; }
    }
}
EOF
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" </dev/null >nginx.log 2>&1 &
PIDS+=($!)
wait_port "$HTTPS_PORT"

# Warm-up (first queries load the trust anchors), not timed.
"$CYBERCTL" domain "${names[0]}" --resolver "127.0.0.1@$UNBOUND_PORT" --trust-anchor "$WORK/anchors.ds" --ca-file "$WORK/ca.pem" \
    --http-port "$HTTP_PORT" --https-port "$HTTPS_PORT" --smtp-port "$DEAD_PORT" --format json >/dev/null || true

log "cyberctl domain: $N domains, concurrency $CONCURRENCY"
started=$(date +%s.%N)
/usr/bin/time -f '%M' -o cyberctl.rss "$CYBERCTL" domain "${names[@]}" --resolver "127.0.0.1@$UNBOUND_PORT" --trust-anchor "$WORK/anchors.ds" \
    --ca-file "$WORK/ca.pem" --http-port "$HTTP_PORT" --https-port "$HTTPS_PORT" --smtp-port "$DEAD_PORT" --dns-port "$NSD_PORT" \
    --concurrency "$CONCURRENCY" --format json > cyberctl.json || true
CYBERCTL_S=$(python3 -c "print(round($(date +%s.%N) - $started, 2))")

log "checkdmarc (SPF and DMARC only): $N domains"
started=$(date +%s.%N)
"$PYTHON" "$REPO/scripts/checkdmarc-json.py" "127.0.0.1@$UNBOUND_PORT" "${names[@]}" > checkdmarc.jsonl
CHECKDMARC_S=$(python3 -c "print(round($(date +%s.%N) - $started, 2))")

python3 - "$N" "$CONCURRENCY" "$ZONES_S" "$CYBERCTL_S" "$CHECKDMARC_S" "$(tail -1 cyberctl.rss)" <<'EOF'
import collections, json, sys
n, concurrency, zones_s, ours_s, theirs_s, rss_kb = sys.argv[1:]
n = int(n)
ours = json.load(open("cyberctl.json"))["results"]
rule = {(r["code"], r["target"]): r for r in ours}
statuses = collections.Counter((r["code"], r["status"]) for r in ours)
agree = disagree = 0
notes = []
for line in open("checkdmarc.jsonl"):
    ref = json.loads(line)
    d = ref["domain"]
    spf, dmarc = rule.get(("mail.spf", d)), rule.get(("mail.dmarc", d))
    ok = True
    # checkdmarc "valid" (one usable record within the limits) ⇔ our mail.spf is not a fail.
    if ref["spf"]["valid"] != (spf is not None and spf["status"] != "fail"):
        ok = False; notes.append(f"{d} SPF valid: checkdmarc {ref['spf']['valid']} ({ref['spf']['error']}), cyberctl {spf and spf['status']}")
    if ref["spf"]["valid"] and ref["spf"]["lookups"] != (spf or {}).get("evidence", {}).get("lookups"):
        ok = False; notes.append(f"{d} SPF lookups: checkdmarc {ref['spf']['lookups']}, cyberctl {(spf or {}).get('evidence', {}).get('lookups')}")
    if ref["dmarc"]["p"] != (dmarc or {}).get("evidence", {}).get("policy"):
        ok = False; notes.append(f"{d} DMARC p: checkdmarc {ref['dmarc']['p']}, cyberctl {(dmarc or {}).get('evidence', {}).get('policy')}")
    agree += ok; disagree += not ok
print(f"| Domains | Concurrency | cyberctl domain (all rules), s | per domain, ms | peak RSS, MB | checkdmarc (SPF+DMARC, sequential), s | per domain, ms | zones generated and signed, s |")
print("|---|---|---|---|---|---|---|---|")
print(f"| {n} | {concurrency} | {float(ours_s):.2f} | {float(ours_s) * 1000 / n:.0f} | {int(rss_kb) / 1024:.1f} | {float(theirs_s):.2f} | {float(theirs_s) * 1000 / n:.0f} | {zones_s} |")
print()
print(f"SPF/DMARC verdicts agreeing with checkdmarc: **{agree} / {agree + disagree}** domains.")
for note in notes[:20]:
    print(f"- {note}")
print()
print("| Rule | pass | warn | fail | error | skip |")
print("|---|---|---|---|---|---|")
for code in sorted({c for c, _ in statuses}):
    print(f"| {code} | " + " | ".join(str(statuses[(code, s)]) for s in ["pass", "warn", "fail", "error", "skip"]) + " |")
EOF
