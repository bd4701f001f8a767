#!/usr/bin/env bash
# Makes the CMP fixtures in test/fixtures/cmp/openssl/ with the `openssl cmp` CLI.
#
# A throwaway PKI (EC P-256: root CA, CMP server cert with id-kp-cmcRA, a pledge
# "IDevID", two LDevID certs) is made in a temp dir; `openssl cmp -port 0` runs as
# mock server(s) and `openssl cmp` clients talk to them over HTTP on loopback,
# saving every request (-reqout) and response (-rspout) as DER.
#
# File names: <scenario>.<step>.<bodytype>.der, e.g. ir.1.ir.der, ir.2.ip.der.
# The fixtures are data: regenerate only when a new message shape is needed
# (signatures and nonces change on every run).
#
# Usage: scripts/gen-cmp-fixtures.sh [outdir]
set -euo pipefail

root_dir="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root_dir/test/fixtures/cmp/openssl}"
work="$(mktemp -d)"
server_pids=()

cleanup() {
  for pid in "${server_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# Keep the system openssl.cnf out of the way: the same bytes on every machine.
cat > "$work/pki.cnf" <<'EOF'
[req]
distinguished_name = dn
[dn]
[v3_root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
[v3_ee]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[v3_ra]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
# id-kp-cmcRA (RFC 6402)
extendedKeyUsage = 1.3.6.1.5.5.7.3.28
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
export OPENSSL_CONF="$work/pki.cnf"
cd "$work"

echo "gen-cmp-fixtures: $(openssl version)"

genkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }
issue() { # name subject extensions
  openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
  openssl x509 -req -in "$1.csr" -CA root.crt -CAkey root.key -CAcreateserial -days 3650 \
    -extfile pki.cnf -extensions "$3" -out "$1.crt" 2>/dev/null
}

genkey root
openssl req -new -x509 -key root.key -subj "/CN=Test CMP Root CA" -days 7300 -extensions v3_root -out root.crt
genkey srv;    issue srv    "/CN=Test CMP RA" v3_ra
genkey client; issue client "/CN=pledge-0001/serialNumber=0001" v3_ee
genkey new;    issue new    "/CN=pledge-0001-ldevid" v3_ee
genkey new2;   issue new2   "/CN=pledge-0001-ldevid" v3_ee

secret="pass:brski-ae-test-secret"

# start_server <name> [extra mock-server options...]; sets $port
start_server() {
  local name="$1"; shift
  openssl cmp -config '' -port 0 \
    -srv_cert srv.crt -srv_key srv.key -srv_trusted root.crt -srv_secret "$secret" \
    -rsp_cert new.crt -rsp_extracerts root.crt "$@" > "srv-$name.log" 2>&1 &
  server_pids+=("$!")
  port=""
  for _ in $(seq 1 50); do
    port="$(sed -n 's/^ACCEPT .*:\([0-9][0-9]*\) PID=.*/\1/p' "srv-$name.log")"
    [ -n "$port" ] && break
    sleep 0.1
  done
  if [ -z "$port" ]; then
    echo "mock server '$name' did not start:" >&2
    cat "srv-$name.log" >&2
    exit 1
  fi
}

# client <scenario> <reqout files> <rspout files> [client options...]
client() {
  local scenario="$1" reqs="$2" rsps="$3"; shift 3
  if ! openssl cmp -config '' -batch -server "127.0.0.1:$port" -srvcert srv.crt \
      -reqout "$reqs" -rspout "$rsps" "$@" > "cli-$scenario.log" 2>&1; then
    echo "client for '$scenario' failed (expected only for error, ir-rejected, cr-reject):" >&2
    cat "cli-$scenario.log" >&2
    return 1
  fi
}

sig_auth=(-cert client.crt -key client.key -extracerts root.crt)

# 1. Plain server: signature protection, explicit confirmation, caPubs in ip.
start_server plain -rsp_capubs root.crt
client ir ir.1.ir.der,ir.3.certConf.der ir.2.ip.der,ir.4.pkiconf.der \
  -cmd ir -newkey new.key -subject "/CN=pledge-0001-ldevid" -days 365 \
  -sans "DNS:pledge-0001.example" "${sig_auth[@]}" -certout ir.crt
client cr cr.1.cr.der,cr.3.certConf.der cr.2.cp.der,cr.4.pkiconf.der \
  -cmd cr -newkey new.key -subject "/CN=pledge-0001-ldevid" "${sig_auth[@]}" -certout cr.crt
client p10cr p10cr.1.p10cr.der,p10cr.3.certConf.der p10cr.2.cp.der,p10cr.4.pkiconf.der \
  -cmd p10cr -csr new.csr "${sig_auth[@]}" -certout p10cr.crt
client rr rr.1.rr.der rr.2.rp.der \
  -cmd rr -oldcert new.crt -revreason 4 "${sig_auth[@]}"
# Negative certConf: the answer's certificate is not for the requested key (new2), so
# the client refuses it (statusInfo rejection in certConf) and fails.
client cr-reject cr-reject.1.cr.der,cr-reject.3.certConf.der cr-reject.2.cp.der,cr-reject.4.pkiconf.der \
  -cmd cr -newkey new2.key -subject "/CN=pledge-0001-ldevid" "${sig_auth[@]}" -certout cr-reject.crt || true
[ -s cr-reject.3.certConf.der ] || { echo "no negative certConf captured" >&2; exit 1; }
client genm-cacerts genm-cacerts.1.genm.der genm-cacerts.2.genp.der \
  -cmd genm -infotype caCerts "${sig_auth[@]}"
client genm-certreqtemplate genm-certreqtemplate.1.genm.der genm-certreqtemplate.2.genp.der \
  -cmd genm -infotype certReqTemplate "${sig_auth[@]}"

# 2. Key update: protected with the certificate being updated (the mock server checks the
#    oldCertID control against its -rsp_cert, so it answers with that same certificate).
start_server kur
client kur kur.1.kur.der,kur.3.certConf.der kur.2.kup.der,kur.4.pkiconf.der \
  -cmd kur -cert new.crt -key new.key -extracerts root.crt -newkey new.key -certout kur.crt

# 3. Implicit confirmation requested by the client and granted by the server.
start_server implicit -grant_implicitconf
client ir-implicit ir-implicit.1.ir.der ir-implicit.2.ip.der \
  -cmd ir -newkey new.key -subject "/CN=pledge-0001-ldevid" -implicit_confirm "${sig_auth[@]}" \
  -certout ir-implicit.crt

# 4. Delayed delivery: ip(waiting), then pollReq/pollRep until the certificate is ready.
start_server poll -poll_count 2 -check_after 1
client poll \
  poll.1.ir.der,poll.3.pollReq.der,poll.5.pollReq.der,poll.7.certConf.der \
  poll.2.ip.der,poll.4.pollRep.der,poll.6.ip.der,poll.8.pkiconf.der \
  -cmd ir -newkey new.key -subject "/CN=pledge-0001-ldevid" "${sig_auth[@]}" -certout poll.crt

# 5. Error message (openssl 3.0 -send_error ignores -pkistatus/-failurebits: it sends
#    rejection/badRequest with errorCode and errorDetails).
start_server error -send_error
client error error.1.ir.der error.2.error.der \
  -cmd ir -newkey new.key -subject "/CN=pledge-0001-ldevid" "${sig_auth[@]}" -certout error.crt || true
[ -s error.2.error.der ] || { echo "no error response captured" >&2; exit 1; }

# 6. Negative certificate response: ip with status rejection, failInfo badPOP (9) and
#    badCertTemplate (19), and a statusString; the client gives up (no certConf).
start_server rejected -pkistatus 2 -failurebits $(((1 << 9) | (1 << 19))) \
  -statusstring "test: request refused"
client ir-rejected ir-rejected.1.ir.der ir-rejected.2.ip.der \
  -cmd ir -newkey new.key -subject "/CN=pledge-0001-ldevid" "${sig_auth[@]}" -certout ir-rejected.crt || true
[ -s ir-rejected.2.ip.der ] || { echo "no rejecting ip captured" >&2; exit 1; }

# 7. MAC protection (PBM, RFC 4210 §5.1.3.1) with a shared secret, both directions.
start_server mac
client ir-mac ir-mac.1.ir.der,ir-mac.3.certConf.der ir-mac.2.ip.der,ir-mac.4.pkiconf.der \
  -cmd ir -newkey new.key -subject "/CN=pledge-0001-ldevid" -secret "$secret" -ref pledge-0001 \
  -mac hmacWithSHA256 -certout ir-mac.crt

mkdir -p "$out"
rm -f "$out"/*.der "$out"/*.pem
cp ./*.der "$out/"
for c in root srv client new new2; do cp "$c.crt" "$out/$c.pem"; done

{
  echo "# CMP fixtures made by openssl cmp"
  echo
  echo "Made by \`scripts/gen-cmp-fixtures.sh\` with $(openssl version) on $(date -u +%Y-%m-%d)."
  echo "Name: \`<scenario>.<step>.<body type>.der\`. Throwaway PKI, EC P-256, certificates in the"
  echo "\`.pem\` files (no private keys). MAC secret of the \`ir-mac\` scenario: \`${secret#pass:}\`,"
  echo "senderKID \`pledge-0001\`."
  echo
  echo "| scenario | what |"
  echo "|---|---|"
  echo "| ir | ir → ip (caPubs, extraCerts) → certConf → pkiconf, signature protection, SAN extension in the template |"
  echo "| cr | cr → cp → certConf → pkiconf |"
  echo "| cr-reject | cr → cp whose cert does not match the requested key → certConf with statusInfo rejection → pkiconf |"
  echo "| p10cr | p10cr (PKCS#10 CSR) → cp (certReqId -1) → certConf → pkiconf |"
  echo "| kur | kur (protected with the cert being updated, oldCertID control; the same key is re-certified because the 3.0 mock server always answers with its -rsp_cert) → kup → certConf → pkiconf |"
  echo "| rr | rr (CRL reason superseded(4) in crlEntryDetails) → rp |"
  echo "| genm-cacerts | genm id-it-caCerts → genp (the openssl 3.0 mock server echoes the request's ITAV) |"
  echo "| genm-certreqtemplate | genm id-it-certReqTemplate → genp (echoed ITAV, no template value) |"
  echo "| ir-implicit | ir with implicitConfirm → ip granting implicitConfirm (no certConf) |"
  echo "| poll | ir → ip(waiting) → pollReq → pollRep(checkAfter 1) → pollReq → ip → certConf → pkiconf |"
  echo "| error | ir → error (rejection, failInfo badRequest, statusString, errorCode, errorDetails) |"
  echo "| ir-rejected | ir → ip with status rejection, failInfo badPOP + badCertTemplate, statusString |"
  echo "| ir-mac | ir → ip → certConf → pkiconf, PBM (passwordBasedMac) protection: the client uses HMAC-SHA256, the 3.0 mock server answers with its default hmac-sha1 (1.3.6.1.5.5.8.1.2) |"
} > "$out/README.md"

ls -1 "$out"
