#!/usr/bin/env bash
# make test-deploy: deploy/ exercised, not just kept. Builds deploy/Dockerfile's runtime image with
# podman and no registry (the Debian 12 base image is made here by mmdebstrap from Debian's
# mirror; the host's build/bin/digits-server and build/site stand in for the build stage), runs it
# the way deploy/k8s.yaml does (its own non-root user, read-only root filesystem, no capabilities,
# no new privileges) and checks /healthz, /readyz, a PNG prediction equal to the CLI's, a bad
# upload's 400, and a clean exit 0 on SIGTERM. Then validates deploy/k8s.yaml against the
# Kubernetes schema and the policy the container was run with (tests/deploy/validate-k8s.mjs).
#
#   tests/deploy/run.sh          (needs make build site, and scripts/install-deps.sh deploy)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=build/deploy
image=localhost/digits-server:test
name=digits-deploy-test
fail() { echo "test-deploy: FAILED: $*" >&2; exit 1; }
step() { echo "test-deploy: $*"; }

[ -x build/bin/digits-server ] && [ -x build/bin/digits ] || fail "build/bin/digits-server is missing: run make build"
[ -f build/site/index.html ] || fail "build/site is missing: run make site"
for tool in podman runc mmdebstrap node curl; do
  command -v "$tool" >/dev/null || fail "$tool is missing: run scripts/install-deps.sh deploy"
done

# podman as these machines allow it: no systemd (cgroupfs, events in a file); cgroups v1 and v2
# mounted side by side, which crun refuses ("cgroups in hybrid mode not supported") and runc
# takes; and no CAP_SYS_RESOURCE, so podman's default rlimits for root (nproc 4194304, nofile
# 1048576) cannot be set ("setrlimit RLIMIT_NPROC: Operation not permitted"): every container gets
# explicit ones within the host's.
pm() { podman --cgroup-manager=cgroupfs --events-backend=file --runtime runc "$@"; }
limits=(--ulimit "nofile=$(ulimit -Hn):$(ulimit -Hn)" --ulimit nproc=4096:4096)
mkdir -p "$out"

# The Dockerfile's bases, made locally: `FROM debian:12-slim` finds localhost/debian:12-slim with
# --pull=never. A minbase Debian 12 with bookworm-updates and -security (mmdebstrap adds them for
# a stable suite); with the host's sources when it has a deb822 file, so a local mirror is used.
if ! pm image exists localhost/debian:12-slim; then
  step "making the Debian 12 base image with mmdebstrap"
  mirror=()
  [ -f /etc/apt/sources.list.d/debian.sources ] && mirror=(/etc/apt/sources.list.d/debian.sources)
  mmdebstrap --variant=minbase --quiet --aptopt='Acquire::Retries "3"' bookworm "$out/debian-12-slim.tar" "${mirror[@]}"
  pm import --quiet "$out/debian-12-slim.tar" localhost/debian:12-slim >/dev/null
  rm -f "$out/debian-12-slim.tar"
fi

# The build stage's outputs, where its COPY --from=build lines look for them.
ctx=$out/prebuilt
rm -rf "$ctx"
mkdir -p "$ctx/src/build/bin" "$out/empty"
cp build/bin/digits-server "$ctx/src/build/bin/"
cp -r build/site "$ctx/src/build/site"
step "building $image from deploy/Dockerfile (runtime stage)"
pm build --quiet --format docker --pull=never --network host "${limits[@]}" --build-context "build=$ctx" \
  -f deploy/Dockerfile -t "$image" "$out/empty" >/dev/null || fail "podman build failed"

user=$(pm image inspect --format '{{.Config.User}}' "$image")
[[ $user =~ ^[1-9][0-9]*(:[0-9]+)?$ ]] || fail "the image's USER is '$user': Kubernetes' runAsNonRoot needs a numeric, non-zero user"
size=$(pm image inspect --format '{{.Size}}' "$image")
step "image: user $user, $((size / 1024 / 1024)) MiB"

# Run it as deploy/k8s.yaml does. Host networking: the check needs a port, not podman's NAT.
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
pm rm -f "$name" >/dev/null 2>&1 || true
cleanup() { pm rm -f "$name" >/dev/null 2>&1 || true; }
trap cleanup EXIT
pm run -d --name "$name" --network host "${limits[@]}" \
  --health-interval=disable --read-only --read-only-tmpfs=false --cap-drop ALL --security-opt no-new-privileges \
  -e DIGITS_HOST=127.0.0.1 -e DIGITS_PORT="$port" -e DIGITS_THREADS=2 -e DIGITS_ACCESS_LOG=stdout \
  "$image" >/dev/null 2>"$out/run.err" || { cat "$out/run.err" >&2; fail "podman run failed"; }
# (run.err also holds podman's complaint that it has no systemd to time health checks with: the
# check runs once by hand below.)
base=http://127.0.0.1:$port
for _ in $(seq 100); do
  curl -sf "$base/readyz" >/dev/null && break
  sleep 0.1
done
curl -sf "$base/readyz" >/dev/null || { pm logs "$name" >&2; fail "/readyz did not answer 200 within 10 s"; }
step "up: /readyz 200"
curl -sf "$base/healthz" >/dev/null || fail "/healthz did not answer 200"

png=tests/fixtures/seven-dark-on-light.png
answer=$(curl -sf -H 'Content-Type: image/png' --data-binary @"$png" "$base/api/v1/predict") || fail "POST $png failed"
digit() { node -e 'const a = JSON.parse(process.argv[1]); if (typeof a.digit !== "number") process.exit(1); console.log(a.digit)' "$1"; }
got=$(digit "$answer") || fail "the prediction has no digit: $answer"
want=$(digit "$(build/bin/digits predict "$png")")
[ "$got" = "$want" ] || fail "the container read $png as $got, the CLI as $want"
step "POST $png: $got, as the CLI reads it"
status=$(curl -s -o "$out/bad.json" -w '%{http_code}' -H 'Content-Type: image/png' --data-binary 'not a png' "$base/api/v1/predict")
[ "$status" = 400 ] && node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).error || process.exit(1)' "$out/bad.json" ||
  fail "a broken upload got $status $(cat "$out/bad.json"), not 400 with a JSON error"

# What the process runs as: the image's user, no capabilities, a root filesystem it cannot write.
status_of=$(pm exec "$name" cat /proc/1/status)
uid=$(awk '/^Uid:/ {print $2}' <<<"$status_of")
caps=$(awk '/^CapEff:/ {print $2}' <<<"$status_of")
[ "$uid" = "${user%%:*}" ] || fail "digits-server runs as uid $uid, not the image's $user"
[ "$caps" = 0000000000000000 ] || fail "digits-server has capabilities $caps"
if pm exec "$name" sh -c 'echo x > /probe' 2>/dev/null; then fail "the root filesystem is writable"; fi
step "runs as uid $uid, no capabilities, read-only root filesystem"
# The image's HEALTHCHECK (kept: the image is built in docker format), run once by hand.
pm healthcheck run "$name" >/dev/null || fail "the image's HEALTHCHECK fails"
step "HEALTHCHECK: healthy"

# SIGTERM, as a pod's stop sends it: requests in flight finish, then exit 0 (not a kill after the
# grace period: podman stop's own timeout would end in SIGKILL and exit 137).
pm kill --signal TERM "$name" >/dev/null
code=$(timeout 20 podman --cgroup-manager=cgroupfs --events-backend=file --runtime runc wait "$name") || fail "digits-server did not exit within 20 s of SIGTERM"
pm logs "$name" >"$out/container.log" 2>&1
[ "$code" = 0 ] || { cat "$out/container.log" >&2; fail "digits-server exited $code after SIGTERM"; }
grep -q 'digits-server: stopped' "$out/container.log" || fail "the log does not say the server stopped: $(tail -3 "$out/container.log")"
step "SIGTERM: drained and exited 0"

step "validating deploy/k8s.yaml"
node tests/deploy/validate-k8s.mjs deploy/k8s.yaml || fail "deploy/k8s.yaml is not valid"
# The validator must be able to say no: a manifest with a wrong type, and one whose container
# may write its root filesystem, are refused.
sed 's/periodSeconds: 5/periodSeconds: "5s"/' deploy/k8s.yaml >"$out/bad-type.yaml"
sed 's/readOnlyRootFilesystem: true/readOnlyRootFilesystem: false/' deploy/k8s.yaml >"$out/bad-policy.yaml"
for bad in "$out/bad-type.yaml" "$out/bad-policy.yaml"; do
  if node tests/deploy/validate-k8s.mjs "$bad" >/dev/null 2>&1; then fail "the validator accepted $bad"; fi
done
step "passed"
