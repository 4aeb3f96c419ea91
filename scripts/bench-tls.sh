#!/usr/bin/env bash
# Benchmark of `cyberctl tls` against sslscan and testssl.sh (Debian packages) on the same loopback
# servers, in one run: wall time per endpoint (medians, ratios), agreement of accepted protocol and
# suite lists with sslscan, 200 endpoints at once, peak memory.
#
# Usage: scripts/bench-tls.sh [RUNS]   (RUNS: timed runs per tool and endpoint, default 5; testssl.sh once)
#        PARTS="timing many" scripts/bench-tls.sh   (only some parts; default: timing many;
#        "agreement" alone compares the lists with sslscan without timing anything)
# Needs: openssl, gnutls-serv, nginx, sslscan, testssl, python3, /usr/bin/time; builds cyberctl in release.
# Prints a Markdown report on stdout; progress on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-5}"
PARTS="${PARTS:-timing many}"
WORK="$(mktemp -d /tmp/cyberctl-bench-tls.XXXXXX)"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
log() { echo "bench-tls: $*" >&2; }

log "building cyberctl (release)"
swift build -c release --product cyberctl >&2
CYBERCTL="$(swift build -c release --show-bin-path)/cyberctl"

# N distinct free ports: all bound at once (so none repeats), then released.
free_ports() {
    python3 -c '
import socket, sys
held = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); held.append(s)
print("\n".join(str(s.getsockname()[1]) for s in held))' "$1"
}
free_port() { free_ports 1; }
wait_port() {
    for _ in $(seq 1 200); do
        if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null; then return 0; fi
        sleep 0.05
    done
    log "port $1 never opened"; return 1
}

log "certificates"
cd "$WORK"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -subj "/CN=Bench Root" -days 30 \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' > leaf.ext
openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out leaf.pem -days 30 -extfile leaf.ext 2>/dev/null

declare -A PORT NAME
start() {  # start KEY DESCRIPTION COMMAND...
    local key="$1" description="$2"; shift 2
    "$@" </dev/null >"$WORK/$key.log" 2>&1 &
    PIDS+=($!)
    NAME[$key]="$description"
}

PORT[modern]=$(free_port)
start modern "openssl s_server, defaults (TLS 1.2 + 1.3)" \
    openssl s_server -accept 127.0.0.1:${PORT[modern]} -cert leaf.pem -key leaf.key -www -quiet
PORT[legacy]=$(free_port)
start legacy "openssl s_server, TLS 1.0-1.3, every suite (@SECLEVEL=0)" \
    openssl s_server -accept 127.0.0.1:${PORT[legacy]} -cert leaf.pem -key leaf.key -www -quiet -min_protocol TLSv1 \
    -cipher 'ALL:COMPLEMENTOFALL:@SECLEVEL=0'
PORT[gnutls]=$(free_port)
start gnutls "gnutls-serv, TLS 1.2 with 3DES and RC4" \
    gnutls-serv --port "${PORT[gnutls]}" --x509certfile leaf.pem --x509keyfile leaf.key \
    --priority 'NORMAL:-VERS-ALL:+VERS-TLS1.2:+3DES-CBC:+ARCFOUR-128:+RSA'
PORT[nginx]=$(free_port)
mkdir -p nginx/logs
cat > nginx/nginx.conf <<EOF
worker_processes 1;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log;
user root;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx/body;
    proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    scgi_temp_path $WORK/nginx/scgi;
    server {
        listen 127.0.0.1:${PORT[nginx]} ssl;
        ssl_certificate $WORK/leaf.pem;
        ssl_certificate_key $WORK/leaf.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        add_header Strict-Transport-Security "max-age=63072000" always;
        location / { return 200 "ok\n"; }
    }
}
EOF
start nginx "nginx 1.22, TLS 1.2 + 1.3, HSTS" nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf"
KEYS=(modern legacy gnutls nginx)
for key in "${KEYS[@]}"; do wait_port "${PORT[$key]}"; done

# Wall time of a command, seconds.
timed() { local start end; start=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; end=$(date +%s.%N); echo "$end - $start" | bc -l; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

ratio() { echo "scale=1; $1 / $2" | bc -l; }
echo "Run: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) (machine shared with other builds); cyberctl release build;"
echo "$(sslscan --version 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g' | tr -s ' \t\n' ' ' | cut -c1-60); testssl.sh $(testssl --version 2>/dev/null | grep -o '3\.[0-9.]*' | head -1); median of $RUNS runs (testssl.sh: 1 run, default checks)."
echo

if [[ " $PARTS " == *" timing "* || " $PARTS " == *" agreement "* ]]; then
echo "| endpoint | cyberctl (s) | sslscan (s) | testssl.sh (s) | testssl.sh / cyberctl | sslscan / cyberctl | lists equal to sslscan's |"
echo "|---|---|---|---|---|---|---|"
for key in "${KEYS[@]}"; do
    target="127.0.0.1:${PORT[$key]}"
    t_cy=1; t_ss=0; t_ts=0
    if [[ " $PARTS " == *" timing "* ]]; then
    log "timing $key ($target)"
    t_cy=$(for _ in $(seq "$RUNS"); do timed "$CYBERCTL" tls "$target" --ca-file ca.pem --format json; done | median)
    t_ss=$(for _ in $(seq "$RUNS"); do timed sslscan --no-colour "$target"; done | median)
    t_ts=$(timed testssl --quiet --warnings off --color 0 --openssl-timeout 5 "$target")
    fi
    log "agreement $key"
    "$CYBERCTL" tls "$target" --ca-file ca.pem --format json --no-hsts > "$key.cyberctl.json" || true
    sslscan --no-colour --xml="$key.sslscan.xml" "$target" >/dev/null 2>&1 || true
    agree=$(python3 - "$key.cyberctl.json" "$key.sslscan.xml" /etc/testssl/cipher-mapping.txt <<'EOF'
import json, sys, xml.etree.ElementTree as ET
cy = json.load(open(sys.argv[1]))
root = ET.parse(sys.argv[2]).getroot()
names = {}
for line in open(sys.argv[3]):
    fields = line.split()
    # Skip SSLv2 rows (3-byte codes): their names would shadow the TLS ones (NULL-MD5).
    if len(fields) > 3 and fields[1] == "-" and fields[0].count(",") == 1:
        names[fields[2]] = fields[3]
        names[fields[3]] = fields[3]
def iana(name): return names.get(name, name)
versions = {"SSLv3": "SSLv3", "TLSv1.0": "TLSv1", "TLSv1.1": "TLSv1.1", "TLSv1.2": "TLSv1.2", "TLSv1.3": "TLSv1.3"}
ss_protocols = {("SSLv%s" if p.get("type") == "ssl" else "TLSv%s") % p.get("version") for p in root.iter("protocol") if p.get("enabled") == "1"}
ss_protocols = {versions.get(v, v) for v in ss_protocols if v != "SSLv2"}
ss_suites = {(versions.get(c.get("sslversion"), c.get("sslversion")), iana(c.get("cipher"))) for c in root.iter("cipher")}
legacy = next(r for r in cy["results"] if r["code"] in ("tls.legacy-protocols", "tls.connection"))
cy_protocols = set(legacy["evidence"].get("accepted", []))
weak = next(r for r in cy["results"] if r["code"] == "tls.weak-ciphers")
cy_suites = {(v, s["iana"]) for v, suites in weak["evidence"].get("accepted", {}).items() for s in suites}
only_cy, only_ss = sorted(cy_suites - ss_suites), sorted(ss_suites - cy_suites)
same = cy_protocols == ss_protocols and not only_cy and not only_ss
detail = f"protocols {'=' if cy_protocols == ss_protocols else '≠'} ({', '.join(sorted(cy_protocols))}); suites {len(cy_suites)} vs {len(ss_suites)}"
if only_cy: detail += "; only cyberctl: " + ", ".join(f"{v} {s}" for v, s in only_cy[:6])
if only_ss: detail += "; only sslscan: " + ", ".join(f"{v} {s}" for v, s in only_ss[:6])
print(("yes" if same else "no") + " — " + detail)
EOF
)
    if [[ " $PARTS " == *" timing "* ]]; then
        printf '| %s | %.2f | %.2f | %.1f | %s× | %s× | %s |\n' "${NAME[$key]}" "$t_cy" "$t_ss" "$t_ts" \
            "$(ratio "$t_ts" "$t_cy")" "$(ratio "$t_ss" "$t_cy")" "$agree"
    else
        printf '| %s | — | — | — | — | — | %s |\n' "${NAME[$key]}" "$agree"
    fi
done
echo
fi

if [[ " $PARTS " == *" many "* ]]; then
log "200 endpoints"
MANY=200
mkdir -p many/logs
{
    echo "worker_processes 2; daemon off; pid $WORK/many/nginx.pid; error_log $WORK/many/logs/error.log; user root;"
    echo "worker_rlimit_nofile 8192; events { worker_connections 4096; }"
    echo "http { access_log off; client_body_temp_path $WORK/many/body; proxy_temp_path $WORK/many/proxy;"
    echo "fastcgi_temp_path $WORK/many/fastcgi; uwsgi_temp_path $WORK/many/uwsgi; scgi_temp_path $WORK/many/scgi;"
    echo "server { ssl_certificate $WORK/leaf.pem; ssl_certificate_key $WORK/leaf.key; ssl_protocols TLSv1.2 TLSv1.3;"
    free_ports "$MANY" > many/ports
    sed 's/.*/listen 127.0.0.1:& ssl;/' many/ports
    echo "location / { return 200 \"ok\\n\"; } } }"
} > many/nginx.conf
start many "nginx, $MANY ports" nginx -p "$WORK/many" -c "$WORK/many/nginx.conf"
wait_port "$(tail -1 many/ports)" || { tail -5 many/logs/error.log >&2; exit 1; }
mapfile -t TARGETS < <(sed 's/^/127.0.0.1:/' many/ports)
MANY_OUT=$( { /usr/bin/time -f "%e %M %U %S" "$CYBERCTL" tls "${TARGETS[@]}" --ca-file ca.pem --format json --no-hsts > many.json; } 2>&1 | tail -1 || true)
MANY_WALL=$(echo "$MANY_OUT" | awk '{print $1}')
MANY_RSS=$(echo "$MANY_OUT" | awk '{printf "%.1f", $2/1024}')
MANY_CPU=$(echo "$MANY_OUT" | awk '{printf "%.1f", $3 + $4}')
MANY_ERRORS=$(python3 -c "import json; r=json.load(open('many.json'))['results']; print(sum(1 for x in r if x['status']=='error' and x['code']=='tls.connection'))")
ONE_OUT=$( { /usr/bin/time -f "%e %M" "$CYBERCTL" tls "127.0.0.1:${PORT[legacy]}" --ca-file ca.pem --format json > /dev/null; } 2>&1 | tail -1 || true)
ONE_RSS=$(echo "$ONE_OUT" | awk '{printf "%.1f", $2/1024}')

echo "$MANY loopback endpoints (one nginx, $MANY ports) in one \`cyberctl tls\` run: ${MANY_WALL} s wall (cyberctl CPU ${MANY_CPU} s, load average $(cut -d' ' -f1 /proc/loadavg)), peak RSS ${MANY_RSS} MB, ${MANY_ERRORS} endpoints in error."
echo "One endpoint (the every-suite s_server): peak RSS ${ONE_RSS} MB."
fi
