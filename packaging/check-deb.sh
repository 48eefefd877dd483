#!/usr/bin/env bash
# Builds the Debian package as README "Install on a Moodle server" says (one release build,
# the man pages and completions written by that binary, `cargo deb --no-build`), then checks
# it: `dpkg-deb --contents` lists the binary, the man pages, the completions, the units, the
# sysusers and tmpfiles files and the example configuration, which is a conffile; and
# `systemd-analyze verify` (when installed) accepts the packaged units with nothing to say.
# Run by .ci/run; needs cargo-deb (`cargo install cargo-deb --locked`).
set -euo pipefail
cd "$(dirname "$0")/.."

# DEB_PROFILE=dev (CI) packages the debug binary `cargo test` built, to check the packaging
# without a second, release, build of everything; a real package is the release build.
if [ "${DEB_PROFILE:-release}" = dev ]; then
  bin=target/debug/attestoodle-backup
  [ -x "$bin" ] || cargo build --locked
  profile=(--profile dev)
else
  cargo build --release --locked
  bin=target/release/attestoodle-backup
  profile=()
fi
"$bin" package-assets target/package-assets
rm -f target/debian/attestoodle-backup_*.deb
cargo deb --no-build --locked "${profile[@]}" 2> >(grep -v "dev profile is not supported\|cargo-deb is for making releases\|To enable debug symbols" >&2)
deb=$(ls target/debian/attestoodle-backup_*.deb)

contents=$(dpkg-deb --contents "$deb")
missing=0
for path in \
  usr/bin/attestoodle-backup \
  usr/share/man/man1/attestoodle-backup.1.gz \
  usr/share/man/man1/attestoodle-backup-serve.1.gz \
  usr/share/man/man1/attestoodle-backup-save.1.gz \
  usr/share/bash-completion/completions/attestoodle-backup \
  usr/share/zsh/vendor-completions/_attestoodle-backup \
  usr/share/fish/vendor_completions.d/attestoodle-backup.fish \
  etc/attestoodle-backup/config.toml \
  usr/share/doc/attestoodle-backup/examples/config.toml \
  usr/lib/systemd/system/attestoodle-backup.service \
  usr/lib/systemd/system/attestoodle-backup-save.service \
  usr/lib/systemd/system/attestoodle-backup-save.timer \
  usr/lib/sysusers.d/attestoodle-backup.conf \
  usr/lib/tmpfiles.d/attestoodle-backup.conf; do
  if ! grep -q " \./$path\$" <<<"$contents"; then
    echo "check-deb: $deb lacks /$path" >&2
    missing=1
  fi
done
if [ "$missing" -ne 0 ]; then
  echo "$contents" >&2
  exit 1
fi
if ! dpkg-deb --info "$deb" conffiles | grep -qx /etc/attestoodle-backup/config.toml; then
  echo "check-deb: /etc/attestoodle-backup/config.toml is not a conffile of $deb" >&2
  exit 1
fi
if ! dpkg-deb --info "$deb" postinst | grep -q systemd-sysusers; then
  echo "check-deb: the postinst of $deb does not create the user (systemd-sysusers)" >&2
  exit 1
fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
dpkg-deb -x "$deb" "$root"
"$root/usr/bin/attestoodle-backup" --version >/dev/null
"$root/usr/bin/attestoodle-backup" --config "$root/etc/attestoodle-backup/config.toml" --help >/dev/null
if command -v systemd-analyze >/dev/null 2>&1; then
  # The units name /usr/bin/attestoodle-backup, which systemd checks: point them at the
  # packaged binary.
  mkdir "$root/check"
  for unit in attestoodle-backup.service attestoodle-backup-save.service attestoodle-backup-save.timer; do
    sed "s#/usr/bin/attestoodle-backup#$root/usr/bin/attestoodle-backup#" \
      "$root/usr/lib/systemd/system/$unit" >"$root/check/$unit"
  done
  said=$(cd "$root/check" && systemd-analyze verify --man=no ./*.service ./*.timer 2>&1)
  if [ -n "$said" ]; then
    echo "check-deb: systemd-analyze verify: $said" >&2
    exit 1
  fi
else
  echo "check-deb: systemd-analyze is not installed: the units were not verified" >&2
fi
echo "check-deb: $deb holds what it should ($(du -h "$deb" | cut -f1))"
