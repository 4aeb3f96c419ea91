# Shared by scripts/bench-certs.sh and scripts/bench-agent.sh: the certificate-file fixture.
# make_cert_fixture WORK COUNT writes into WORK:
#   root/srv/certs/cert-N.pem   COUNT distinct certificates (own serial and validity each), the CA appended to
#                               every other file, as chain files do;
#   copies/srv/certs/cert-N.pem COUNT files that are copies of 40 certificates;
#   root/etc/os-release, copies/etc/os-release, bench.yaml (a profile reading /srv/certs/*.pem only).
make_cert_fixture() {
    local work=$1 count=$2
    # 40 real keys and requests (RSA 2048/3072, P-256/P-384) signed by one CA.
    mkdir -p "$work/src" "$work/root/srv/certs" "$work/copies/srv/certs" "$work/root/etc" "$work/copies/etc"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$work/src/ca.key" \
        -out "$work/src/ca.pem" -subj "/CN=Bench CA" -days 3650 2>/dev/null
    for i in $(seq 1 40); do
        case $((i % 4)) in
            0) key=(-newkey rsa:2048) ;;
            1) key=(-newkey rsa:3072) ;;
            2) key=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1) ;;
            3) key=(-newkey ec -pkeyopt ec_paramgen_curve:secp384r1) ;;
        esac
        openssl req -new "${key[@]}" -nodes -keyout "$work/src/$i.key" -out "$work/src/$i.csr" \
            -subj "/CN=srv$i.mairie.test/O=Commune" 2>/dev/null
        openssl x509 -req -in "$work/src/$i.csr" -CA "$work/src/ca.pem" -CAkey "$work/src/ca.key" \
            -set_serial "$i" -days $((i * 20)) -out "$work/src/$i.pem" 2>/dev/null
        if (( i % 2 == 0 )); then cat "$work/src/ca.pem" >> "$work/src/$i.pem"; fi
    done
    # Main fixture: $count DISTINCT certificates (own serial and validity each), the CA appended to every
    # other file, as chain files do. cyberctl parses a certificate met twice only once, so copies of the
    # same file would flatter it: they are measured apart ("copies": the 40 files above, each copied).
    export work
    seq 1 "$count" | xargs -P "$(nproc)" -I{} bash -c '
        n={}; i=$(( (n % 40) + 1 )); f="$work/root/srv/certs/cert-$n.pem"
        openssl x509 -req -in "$work/src/$i.csr" -CA "$work/src/ca.pem" -CAkey "$work/src/ca.key" \
            -set_serial $((1000 + n)) -days $(( (n % 400) + 5 )) -out "$f" 2>/dev/null
        if (( n % 2 == 0 )); then cat "$work/src/ca.pem" >> "$f"; fi
        cp "$work/src/$i.pem" "$work/copies/srv/certs/cert-$n.pem"'
    echo "ID=debian" > "$work/copies/etc/os-release"
    echo "ID=debian" > "$work/root/etc/os-release"
    printf 'name: bench\nchecks:\n  cert.files:\n    discover: false\n    paths: [/srv/certs/*.pem]\n' > "$work/bench.yaml"
}
