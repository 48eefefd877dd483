#!/bin/sh
# Checks the signature of an attestoodle-backup file (format version 2) with python3 and openssl
# only, without attestoodle-backup. See docs/verify-with-openssl.md in its source; the same
# script is printed by `attestoodle-backup verify --openssl-recipe`.
#
# Usage: sh verify-with-openssl.sh BACKUP.json [TRUSTED-PUBLIC-KEY.pem]
#
# Exit 0 when the signature is valid (and, with a second argument, made by that public key);
# 1 when it is not; 2 on a usage error.
set -eu

if [ "$#" -lt 1 ] || [ "$#" -gt 2 ]; then
    echo "usage: sh $0 BACKUP.json [TRUSTED-PUBLIC-KEY.pem]" >&2
    exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. Python: read the file strictly, check the signature object and the public key, and write
#    the signed bytes (msg.bin), the raw signature (sig.bin) and the public key as DER (pub.der).
python3 - "$1" "$work" <<'PYTHON'
import base64, hashlib, json, re, sys

path, work = sys.argv[1], sys.argv[2]

def fail(message):
    print("verify-with-openssl: %s: %s" % (path, message), file=sys.stderr)
    sys.exit(1)

def no_duplicates(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            fail("the key %r appears twice in an object" % key)
        obj[key] = value
    return obj

def no_float(text):
    fail("the number %s is not an integer; a backup holds integers only" % text)

def check_values(value):
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int):
        if abs(value) > 2**53 - 1:
            fail("the integer %d is beyond 2^53-1" % value)
    elif isinstance(value, str):
        if "\0" in value:
            fail("a string holds U+0000")
        if re.search("[\ud800-\udfff]", value):
            fail("a string holds a lone surrogate")
    elif isinstance(value, list):
        for item in value:
            check_values(item)
    else:
        for key, item in value.items():
            check_values(key)
            check_values(item)

try:
    with open(path, "rb") as f:
        text = f.read().decode("utf-8-sig")  # a byte order mark is not signed
    doc = json.loads(text, object_pairs_hook=no_duplicates, parse_float=no_float,
                     parse_constant=no_float)
except (OSError, UnicodeDecodeError, ValueError) as e:
    fail("cannot read the file as JSON: %s" % e)
check_values(doc)
if not isinstance(doc, dict) or doc.get("format") != "attestoodle-training-backup":
    fail("not an attestoodle-training-backup file")
if doc.get("version") != 2:
    fail("format version %r: this recipe checks version 2" % doc.get("version"))
sig = doc.get("signature")
if not isinstance(sig, dict):
    fail("the file is not signed")
if sorted(sig) != ["algorithm", "key_id", "public_key", "value"]:
    fail("the signature object must hold exactly algorithm, key_id, public_key and value")
if sig["algorithm"] != "Ed25519":
    fail("the signature algorithm is %r, expected 'Ed25519'" % sig["algorithm"])

def b64url(name, size):
    text = sig[name]
    if not isinstance(text, str) or not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        fail("signature.%s is not unpadded base64url" % name)
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if len(raw) != size or base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != text:
        fail("signature.%s is not %d bytes in canonical unpadded base64url" % (name, size))
    return raw

public_key = b64url("public_key", 32)
signature = b64url("value", 64)

# Plain OpenSSL accepts forgeries made with a small-order public key (for example the neutral
# point 0100..00), so refuse the eight small-order points, and non-canonical encodings, here.
P = 2**255 - 19
y = int.from_bytes(public_key, "little") & (2**255 - 1)
Y8 = 0x5fc536d880238b13933c6d305acdfd5f098eff289f4c345b027b2c28f95e826  # y of the order-8 points
if y >= P:
    fail("the public key is not canonically encoded")
if y in (0, 1, P - 1, Y8, P - Y8):
    fail("the public key is a small-order point: it 'verifies' forged signatures and proves nothing")

key_id = hashlib.sha256(public_key).hexdigest()[:16]
if sig["key_id"] != key_id:
    fail("signature.key_id is %r but the public key's key id is %r" % (sig["key_id"], key_id))

# The signed bytes: JCS (RFC 8785) of the document without signature.value. For this format
# (integers only, ASCII keys) JCS is exactly Python's sorted, compact, non-ASCII-escaping dump.
del sig["value"]
message = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
with open(work + "/msg.bin", "wb") as f:
    f.write(message.encode("utf-8"))
with open(work + "/sig.bin", "wb") as f:
    f.write(signature)
with open(work + "/pub.der", "wb") as f:
    # SubjectPublicKeyInfo of an Ed25519 key (RFC 8410): a fixed prefix, then the raw key.
    f.write(bytes.fromhex("302a300506032b6570032100") + public_key)
with open(work + "/key_id", "w") as f:
    f.write(key_id)
PYTHON

key_id=$(cat "$work/key_id")

# 2. OpenSSL: check the Ed25519 signature over the signed bytes.
if ! openssl pkeyutl -verify -pubin -keyform DER -inkey "$work/pub.der" -rawin \
        -in "$work/msg.bin" -sigfile "$work/sig.bin" >/dev/null 2>"$work/openssl.err"; then
    echo "verify-with-openssl: $1: the signature does NOT match the content (key id $key_id)" >&2
    exit 1
fi

# 3. Optionally, authenticity: the embedded key must be the one you trust.
if [ "$#" -eq 2 ]; then
    if ! openssl pkey -pubin -in "$2" -outform DER -out "$work/trusted.der" 2>"$work/openssl.err"; then
        echo "verify-with-openssl: $2: not a public key in PEM form" >&2
        exit 1
    fi
    if ! cmp -s "$work/trusted.der" "$work/pub.der"; then
        echo "verify-with-openssl: $1: valid signature, but by key id $key_id, not the trusted key $2" >&2
        exit 1
    fi
    echo "$1: signature valid, made by the trusted key $2 (key id $key_id)"
else
    echo "$1: signature valid (integrity only), key id $key_id"
fi
