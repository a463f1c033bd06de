#!/usr/bin/env bash
# Checks that the OpenAPI document tells the truth: runs schemathesis against a `kepu` binary on a
# fresh SQLite database, signed in as the association's admin, with the checks
#   not_a_server_error, status_code_conformance, content_type_conformance,
#   response_schema_conformance
# and exits non-zero on any failure.
#
#   scripts/schemathesis.sh [path/to/kepu]
#
# Without an argument it uses $KEPU_BIN, else the debug build under $CARGO_TARGET_DIR (or
# ./target), building it first when missing. Other knobs (environment):
#   SCHEMATHESIS_EXAMPLES  test cases per operation (default 50)
#   SCHEMATHESIS_SEED      hypothesis seed, for a reproducible run (default 20261130)
#   SCHEMATHESIS_VENV      where schemathesis is installed (default $TARGET/schemathesis-venv)
#
# Operations that would end the fuzzer's own session, or the admin's ability to sign in, are
# left out (their behaviour is covered by the integration tests):
#   POST /api/v1/auth/logout                 ends the session of the token it is given
#   POST /api/v1/me/password                 changes the admin's password, ending other sessions
#   POST /api/v1/users/{id}/reset-password   with the admin's own id (the stateful phase can
#                                            find it in GET /users): a temporary password and a
#                                            required change, so every later call would be 403
# Deactivating oneself is refused (403), so /users/{id}/deactivate stays in.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO_ROOT="$(pwd)"
TARGET="${CARGO_TARGET_DIR:-${REPO_ROOT}/target}"

SCHEMATHESIS_VERSION=4.32.5
EXAMPLES="${SCHEMATHESIS_EXAMPLES:-50}"
SEED="${SCHEMATHESIS_SEED:-20261130}"
VENV="${SCHEMATHESIS_VENV:-${TARGET}/schemathesis-venv}"
ADMIN_PASSWORD="schemathesis-admin-2026"

log() {
    printf 'schemathesis.sh: %s\n' "$*"
}

# The binary.
KEPU="${1:-${KEPU_BIN:-${TARGET}/debug/kepu}}"
if [ ! -x "$KEPU" ]; then
    log "building ${KEPU}"
    cargo build --bin kepu
fi

# schemathesis, pinned, in its own virtual environment.
if [ ! -x "${VENV}/bin/st" ] || ! "${VENV}/bin/st" --version 2>/dev/null | grep -qF "$SCHEMATHESIS_VERSION"; then
    log "installing schemathesis ${SCHEMATHESIS_VERSION} into ${VENV}"
    python3 -m venv "$VENV"
    "${VENV}/bin/pip" install --quiet --disable-pip-version-check "schemathesis==${SCHEMATHESIS_VERSION}"
fi
log "$("${VENV}/bin/st" --version)"

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    local status=$?
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [ "$status" -ne 0 ] && [ -f "${WORK}/server.log" ]; then
        log "last lines of the server log:"
        tail -n 40 "${WORK}/server.log" >&2 || true
    fi
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
BASE="http://127.0.0.1:${PORT}"

log "starting ${KEPU} on ${BASE} with a fresh SQLite database"
(
    cd "$WORK"
    exec env KEPU_DATABASE_URL="sqlite://${WORK}/kepu.db?mode=rwc" \
        KEPU_LISTEN="127.0.0.1:${PORT}" \
        KEPU_ADMIN_PASSWORD="$ADMIN_PASSWORD" \
        KEPU_RATE_LIMIT=0 \
        KEPU_ENV=dev \
        RUST_LOG="${RUST_LOG:-error}" \
        "$KEPU" serve
) >"${WORK}/server.log" 2>&1 &
SERVER_PID=$!

ready=0
for _ in $(seq 1 100); do
    if curl -sf "${BASE}/readyz" >/dev/null 2>&1; then
        ready=1
        break
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        log "the server exited"
        exit 1
    fi
    sleep 0.2
done
if [ "$ready" != 1 ]; then
    log "the server did not become ready within 20 s"
    exit 1
fi

TOKEN="$(curl -sf -X POST "${BASE}/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"username\":\"admin\",\"password\":\"${ADMIN_PASSWORD}\"}" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')"

log "running: ${EXAMPLES} examples per operation, seed ${SEED}"
started=$SECONDS
# From the scratch directory: schemathesis keeps a cache (`.schemathesis/`) where it runs.
cd "$WORK"
"${VENV}/bin/st" run "${BASE}/api/v1/openapi.json" \
    --url "$BASE" \
    --header "Authorization: Bearer ${TOKEN}" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --exclude-path /api/v1/auth/logout \
    --exclude-path /api/v1/me/password \
    --exclude-path '/api/v1/users/{id}/reset-password' \
    --max-examples "$EXAMPLES" \
    --seed "$SEED" \
    --workers 1 \
    --warnings off
log "done in $((SECONDS - started)) s"
