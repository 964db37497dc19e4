#!/usr/bin/env bash
# Back up yoyaku: the PostgreSQL database (pg_dump, custom format) and the private files
# (YOYAKU_DATA_DIR/private: proofs of employment, seals), as one timestamped archive with a
# SHA-256 checksum beside it:
#   $BACKUP_DIR/yoyaku-20260601T023000Z.tar  and  …tar.sha256
# The database is dumped first, then the files: every file the dump names is in the archive.
#
# Environment (the same file as the application's, deploy/yoyaku.env.example):
#   DATABASE_URL      postgres://user:password@host:port/name   (required)
#   YOYAKU_DATA_DIR   the data directory holding private/          (required)
#   BACKUP_DIR        where archives go (default: the current directory)
#   BACKUP_KEEP_DAYS  delete this script's archives older than this many days (default: keep)
# Needs bash, pg_dump (the server's major version or newer), tar and sha256sum.
# Restore: deploy/restore.sh ARCHIVE.
set -euo pipefail

: "${DATABASE_URL:?DATABASE_URL is not set}"
: "${YOYAKU_DATA_DIR:?YOYAKU_DATA_DIR is not set}"
out_dir=${BACKUP_DIR:-.}
name="yoyaku-$(date -u +%Y%m%dT%H%M%SZ)"

umask 077  # the archive holds personal data
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/$name"

pg_dump --format=custom --no-owner --no-privileges \
  --file "$work/$name/database.dump" "$DATABASE_URL"

if [ -d "$YOYAKU_DATA_DIR/private" ]; then
  tar -C "$YOYAKU_DATA_DIR" -cf "$work/$name/private.tar" private
else
  tar -cf "$work/$name/private.tar" --files-from /dev/null
fi
(cd "$work/$name" && sha256sum database.dump private.tar > SHA256SUMS)

mkdir -p "$out_dir"
# Written under a temporary name first: a half-written archive is never taken for a backup.
tar -C "$work" -cf "$out_dir/$name.tar.partial" "$name"
mv "$out_dir/$name.tar.partial" "$out_dir/$name.tar"
(cd "$out_dir" && sha256sum "$name.tar" > "$name.tar.sha256")

if [ -n "${BACKUP_KEEP_DAYS:-}" ]; then
  find "$out_dir" -maxdepth 1 -name 'yoyaku-*.tar*' -mtime "+$BACKUP_KEEP_DAYS" -delete
fi
echo "$out_dir/$name.tar"
