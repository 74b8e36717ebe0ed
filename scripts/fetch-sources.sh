#!/usr/bin/env bash
# Fetch the third-party sources the build compiles itself: XNNPACK 2024 (with pthreadpool and
# fxdiv) for the native and WebAssembly builds, and lodepng for the PNG fast path.
#
# Downloads Debian source-package orig tarballs (trixie's xnnpack, pthreadpool and fxdiv;
# bookworm's lodepng) through a private apt configuration (the system's apt setup is not
# touched), verifies them against the sha256 values pinned below and unpacks them to
#   ${DIGITS_DEPS_DIR:-<repo>/.deps}/src/{xnnpack,pthreadpool,fxdiv,lodepng}
# (top-level folder stripped). Downloads are kept in ${DIGITS_DEPS_DIR}/dl.
#
# Idempotent: a package whose unpacked folder carries a stamp with the pinned
# checksum is skipped; if all are present nothing is downloaded at all.
#
# Usage: scripts/fetch-sources.sh        (env: DIGITS_DEPS_DIR to relocate)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEPS_DIR="${DIGITS_DEPS_DIR:-$REPO_ROOT/.deps}"
mkdir -p "$DEPS_DIR"
DEPS_DIR="$(cd "$DEPS_DIR" && pwd)"   # absolute: apt runs from inside dl/
DL_DIR="$DEPS_DIR/dl"
SRC_DIR="$DEPS_DIR/src"
APT_DIR="$DEPS_DIR/apt"

MIRROR="http://deb.debian.org/debian"
SUITE="trixie"
KEYRING="/usr/share/keyrings/debian-archive-keyring.gpg"
STAMP_NAME=".digits-fetch-stamp"

# name | source package version (without Debian revision) | orig tarball | sha256 [| suite]
# Values from `apt-cache showsrc NAME` against Debian trixie (main), or the suite named.
# lodepng is bookworm's, the very code of Debian 12's liblodepng0 (0.0~git20220618.b4ed2cd-3,
# whose Debian part carries no patches), compiled here at -O3: Debian's -O2 build leaves its row
# filters byte-at-a-time loops, a third of a PNG request's CPU (server/README.md).
PACKAGES=(
  "xnnpack|0.0~git20241108.4ea82e5|xnnpack_0.0~git20241108.4ea82e5.orig.tar.xz|90bde2caef0f880f627bab0dc805a86c4b8070cd98e3243db3046ab3f3be1a99"
  "pthreadpool|0.0~git20240616.560c60d|pthreadpool_0.0~git20240616.560c60d.orig.tar.xz|4cc3cbd933b28131d2a34edc54f76af9fb41bc490af5eae1a5bd3cd07ea90708"
  "fxdiv|0.0~git20200417.b408327|fxdiv_0.0~git20200417.b408327.orig.tar.xz|7953482badaf4cb34026c3487c257b8e4ab2df061c019bd6fabbbc12ad52c44b"
  "lodepng|0.0~git20220618.b4ed2cd|lodepng_0.0~git20220618.b4ed2cd.orig.tar.gz|05f77ea901f980025056b80baca482fef6cbdf9551af0dd40b65013feecbca95|bookworm"
)

log() { printf '[fetch-sources] %s\n' "$*"; }
die() { printf '[fetch-sources] ERROR: %s\n' "$*" >&2; exit 1; }

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

stamp_ok() { # dir sha
  [[ -f "$1/$STAMP_NAME" ]] && grep -qx "sha256=$2" "$1/$STAMP_NAME"
}

# lodepng parses what clients upload, and Debian's security fixes arrive as new revisions of its
# binary package, not in the orig tarball pinned above (which revision -3, with no patches of
# its own, builds unchanged). When Debian 12 has a newer liblodepng0 than that, stop and say so.
LODEPNG_DEBIAN_VERSION="0.0~git20220618.b4ed2cd-3"
lodepng_candidate="$(apt-cache policy liblodepng0 2>/dev/null | awk '/Candidate:/ {print $2}')"
if [[ -n "$lodepng_candidate" && "$lodepng_candidate" != "(none)" ]] &&
  dpkg --compare-versions "$lodepng_candidate" gt "$LODEPNG_DEBIAN_VERSION"; then
  die "Debian has lodepng $lodepng_candidate, newer than the pinned source ($LODEPNG_DEBIAN_VERSION): apply its debian/patches or pin the newer source above"
fi

# --- 1. anything to do? ------------------------------------------------------------
todo=()
for entry in "${PACKAGES[@]}"; do
  IFS='|' read -r name _ _ sha <<<"$entry"
  if stamp_ok "$SRC_DIR/$name" "$sha"; then
    log "$name: up to date ($SRC_DIR/$name)"
  else
    todo+=("$entry")
  fi
done
if [[ ${#todo[@]} -eq 0 ]]; then
  log "all sources present in $SRC_DIR"
  exit 0
fi

for tool in sha256sum tar xz; do
  command -v "$tool" >/dev/null || die "'$tool' is required but not installed"
done
mkdir -p "$DL_DIR" "$SRC_DIR"

# --- 2. download the tarballs that are missing or wrong ----------------------------
need_dl=()
for entry in "${todo[@]}"; do
  IFS='|' read -r name _ file sha <<<"$entry"
  if [[ -f "$DL_DIR/$file" && "$(sha256_of "$DL_DIR/$file")" == "$sha" ]]; then
    log "$name: using cached $DL_DIR/$file"
  else
    rm -f "$DL_DIR/$file"
    need_dl+=("$name")
  fi
done

if [[ ${#need_dl[@]} -gt 0 ]]; then
  command -v apt-get >/dev/null || die "apt-get is required to download Debian source packages"
  [[ -r "$KEYRING" ]] || die "keyring $KEYRING not found (install package debian-archive-keyring)"

  # Private apt configuration: own sources list, lists and cache dirs; the
  # system's /etc/apt/sources.list{,.d} and /var/lib/apt are left alone.
  mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial"
  cat >"$APT_DIR/sources.list" <<EOF
deb-src [signed-by=$KEYRING] $MIRROR $SUITE main
deb-src [signed-by=$KEYRING] $MIRROR bookworm main
EOF
  APT_OPTS=(
    -o "Dir::Etc::SourceList=$APT_DIR/sources.list"
    -o "Dir::Etc::SourceParts=/dev/null"
    -o "Dir::State::Lists=$APT_DIR/lists"
    -o "Dir::Cache=$APT_DIR/cache"
  )
  # As root, apt would hand downloads to the '_apt' user, which cannot write here.
  [[ "$(id -u)" -ne 0 ]] || APT_OPTS+=(-o "APT::Sandbox::User=root")

  log "updating private apt index ($SUITE and bookworm deb-src from $MIRROR)"
  apt-get "${APT_OPTS[@]}" -q update || die "apt-get update failed for $MIRROR $SUITE"

  for name in "${need_dl[@]}"; do
    suite=$SUITE
    for entry in "${PACKAGES[@]}"; do
      IFS='|' read -r n _ _ _ s <<<"$entry"
      [[ $n == "$name" && -n $s ]] && suite=$s
    done
    log "$name: downloading source package ($suite) into $DL_DIR"
    # Some .dsc / .debian.tar.xz files of these packages return 404 and apt then
    # exits non-zero although the orig tarball arrived; the checksum check below
    # decides whether the download is usable.
    if ! (cd "$DL_DIR" && apt-get "${APT_OPTS[@]}" -q source --download-only "$name/$suite"); then
      log "$name: apt-get reported errors (expected for missing .dsc/.debian.tar.xz); checking the orig tarball"
    fi
  done
fi

# --- 3. verify + unpack --------------------------------------------------------------
for entry in "${todo[@]}"; do
  IFS='|' read -r name version file sha _ <<<"$entry"
  tarball="$DL_DIR/$file"
  [[ -f "$tarball" ]] || die "$name: $file was not downloaded (is $name $version still in Debian $SUITE? see output above)"
  actual="$(sha256_of "$tarball")"
  if [[ "$actual" != "$sha" ]]; then
    mv -f "$tarball" "$tarball.bad"
    die "$name: checksum mismatch for $file
    expected $sha
    actual   $actual
  (moved aside to $tarball.bad; refusing to unpack)"
  fi
  log "$name: sha256 OK ($sha)"

  dest="$SRC_DIR/$name"
  tmp="$SRC_DIR/.$name.tmp"
  rm -rf "$tmp" && mkdir -p "$tmp"
  tar -xf "$tarball" -C "$tmp"
  # Strip the top folder when the tarball has exactly one (fxdiv, pthreadpool);
  # xnnpack's orig tarball has none.
  shopt -s dotglob nullglob
  entries=("$tmp"/*)
  shopt -u dotglob nullglob
  if [[ ${#entries[@]} -eq 1 && -d "${entries[0]}" ]]; then
    mv "${entries[0]}" "$tmp.inner"
    rmdir "$tmp"
    mv "$tmp.inner" "$tmp"
  fi
  printf 'package=%s\nversion=%s\nfile=%s\nsha256=%s\n' "$name" "$version" "$file" "$sha" >"$tmp/$STAMP_NAME"
  rm -rf "$dest"
  mv "$tmp" "$dest"
  log "$name: unpacked to $dest"
done

rm -rf "$APT_DIR"   # the private index (~20 MB) is only needed while downloading
log "done: sources in $SRC_DIR"
