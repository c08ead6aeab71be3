#!/usr/bin/env bash
# Lint the module: gofmt, go vet, staticcheck, and govulncheck against an
# offline copy of the Go vulnerability database (vuln.go.dev is not
# reachable from here; the database is built from the golang.org/x/vulndb
# module, which the module proxy serves).
#
# Tools and the database are cached outside the repository, under
# ${XDG_CACHE_HOME:-$HOME/.cache}/content-factory (FACTORY_CACHE overrides),
# keyed by Go release and version, and reused when present. Every check
# runs; the script fails if any of them does.
#
# Versions (override with the variables of the same name):
#   STATICCHECK_VERSION  v0.8.2 of honnef.co/go/tools, staticcheck 2026.2.2
#   GOVULNCHECK_VERSION  v1.9.0 of golang.org/x/vuln
#   VULNDB_VERSION       "latest" (the default) asks the module proxy for the
#                        newest golang.org/x/vulndb and falls back to the
#                        newest database in the cache when it cannot answer;
#                        or a pseudo-version such as
#                        v0.0.0-20261105234957-e22db6528018 to pin one
set -euo pipefail
cd "$(dirname "$0")/.."

export GOTOOLCHAIN="${GOTOOLCHAIN:-go1.26.11}"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"

STATICCHECK_VERSION="${STATICCHECK_VERSION:-v0.8.2}"
GOVULNCHECK_VERSION="${GOVULNCHECK_VERSION:-v1.9.0}"
VULNDB_VERSION="${VULNDB_VERSION:-latest}"
CACHE="${FACTORY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/content-factory}"

GOVERSION="$(go env GOVERSION)"
BIN="$CACHE/bin/$GOVERSION"

log() { printf 'lint: %s\n' "$*" >&2; }

# tool NAME PACKAGE VERSION prints the path of the tool, built once with
# this Go release into the cache.
tool() {
	local name=$1 pkg=$2 version=$3
	local dir="$BIN/$name@$version"
	if [[ ! -x "$dir/$name" ]]; then
		log "installing $pkg@$version into $dir"
		mkdir -p "$dir"
		GOBIN="$dir" go install "$pkg@$version"
	fi
	printf '%s\n' "$dir/$name"
}

# vulndb prints the directory of the offline vulnerability database,
# building it once per vulndb version from the module's data/osv.
vulndb() {
	local version=$VULNDB_VERSION
	if [[ $version == latest ]]; then
		if ! version="$(go list -m -f '{{.Version}}' golang.org/x/vulndb@latest 2>/dev/null)"; then
			version="$(find "$CACHE/vulndb" -mindepth 2 -maxdepth 3 -path '*/index/db.json' 2>/dev/null |
				sed 's|/index/db.json$||; s|.*/||' | sort | tail -n 1)"
			[[ -n $version ]] || { log "the module proxy cannot say which golang.org/x/vulndb is newest, and none is cached"; return 1; }
			log "the module proxy did not answer; using the cached database $version"
		fi
	fi
	local db="$CACHE/vulndb/$version"
	if [[ ! -f "$db/index/db.json" ]]; then
		log "building the vulnerability database from golang.org/x/vulndb@$version into $db"
		local indexdb src tmp
		indexdb="$(tool indexdb golang.org/x/vulndb/cmd/indexdb "$version")"
		go mod download golang.org/x/vulndb@"$version" >&2
		src="$(go env GOMODCACHE)/golang.org/x/vulndb@$version/data/osv"
		mkdir -p "$CACHE/vulndb"
		tmp="$(mktemp -d "$CACHE/vulndb/.build.XXXXXX")"
		if ! "$indexdb" -vulns "$src" -out "$tmp" >&2; then
			rm -rf "$tmp"
			return 1
		fi
		rm -rf "$db"
		mv "$tmp" "$db"
	fi
	printf '%s\n' "$db"
}

failed=()
run() {
	local name=$1
	shift
	log "$name"
	if ! "$@"; then
		failed+=("$name")
	fi
}

gofmt_check() {
	local files
	files="$(git ls-files --cached --others --exclude-standard '*.go' | xargs -r gofmt -l)"
	if [[ -n $files ]]; then
		printf '%s\n' "$files"
		echo "gofmt needed (make fmt)"
		return 1
	fi
}

staticcheck_run() {
	local sc
	sc="$(tool staticcheck honnef.co/go/tools/cmd/staticcheck "$STATICCHECK_VERSION")"
	"$sc" -version
	"$sc" ./...
}

govulncheck_run() {
	local gv db
	gv="$(tool govulncheck golang.org/x/vuln/cmd/govulncheck "$GOVULNCHECK_VERSION")"
	db="$(vulndb)"
	log "govulncheck $GOVULNCHECK_VERSION, $GOVERSION, database $(basename "$db")"
	"$gv" -db "file://$db" ./...
}

run gofmt gofmt_check
run "go vet" go vet ./...
run staticcheck staticcheck_run
run govulncheck govulncheck_run

if ((${#failed[@]})); then
	log "FAILED: ${failed[*]}"
	exit 1
fi
log "ok"
