#!/bin/sh
# Regenerates all generated assembly and stubs and fails if they differ from
# the committed files. Run from anywhere inside the repository.
set -eu
cd "$(dirname "$0")"
go generate ./...
git diff --exit-code -- ../asm
