#!/bin/sh
# Runs in the minio/mc container: creates the avatar bucket and makes it publicly readable, so the
# avatar URLs Theater returns (http://MINIO_HOST:MINIO_PORT/MINIO_STORAGE/key) open in a browser.
set -eu
: "${MINIO_ROOT_USER:?}" "${MINIO_ROOT_PASSWORD:?}"
bucket="${MINIO_STORAGE:-theater-storage}"
host="${MINIO_HOST:-minio}"
port="${MINIO_PORT:-9000}"

until mc alias set theater "http://${host}:${port}" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null 2>&1; do
  echo "waiting for MinIO at ${host}:${port}..."
  sleep 1
done
mc mb --ignore-existing "theater/${bucket}"
mc anonymous set download "theater/${bucket}"
echo "bucket ${bucket} is ready and publicly readable"
