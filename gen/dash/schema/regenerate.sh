#!/usr/bin/env bash
# Regenerate dashboard.schema.json and VERSION from Grafana's own dashboard model.
#
# Why: no Grafana server runs at build time, so dashboards are validated offline against
# a JSON Schema derived from the TypeScript types that Grafana publishes on npm as
# @grafana/schema (dist/types/raw/dashboard/x/types.gen.d.ts, itself generated from
# Grafana's CUE dashboard kind). The schema is committed; this script is only run to move
# to another Grafana version.
#
# Usage:   gen/dash/schema/regenerate.sh          (needs node >= 20 and npm, and the registry)
#
# What it does, in a temporary folder that is removed afterwards:
#   1. `npm ci` from toolchain/package.json + toolchain/package-lock.json: @grafana/schema
#      and ts-json-schema-generator at exact versions, every transitive package (TypeScript
#      included) pinned by version and integrity hash. To change the Grafana version, edit
#      toolchain/package.json and refresh the lock with
#        npm install --package-lock-only --omit-lockfile-registry-resolved
#      in toolchain/, then run this script and review the schema diff.
#   2. ts-json-schema-generator --type Dashboard --no-type-check on types.gen.d.ts: a
#      draft-07 schema whose root is {"$ref": "#/definitions/Dashboard"}. Objects are closed
#      (the generator's default additionalProperties=false, matching CUE's closed
#      definitions), so unknown and legacy keys are reported.
#   3. No post-processing of the content: the generator's output is used as it is. It is only
#      re-serialised (2-space indent, the generator's key order, trailing newline) so the
#      file's bytes do not depend on the generator's own formatting.
#   4. Reads the dashboard schemaVersion this Grafana writes from the package itself:
#      defaultDashboard.schemaVersion in dist/esm/raw/dashboard/x/types.gen.mjs (the CUE
#      kind's default, which Grafana keeps equal to the frontend migrator's latest version).
#   5. Writes dashboard.schema.json and VERSION next to this script.
#
# Running it twice gives byte-identical files.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
types_rel="dist/types/raw/dashboard/x/types.gen.d.ts"
defaults_rel="dist/esm/raw/dashboard/x/types.gen.mjs"

die() { echo "regenerate.sh: $*" >&2; exit 1; }

command -v node >/dev/null || die "node not found (need node >= 20)"
command -v npm >/dev/null || die "npm not found"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] || die "node $(node --version) is too old: the pinned toolchain needs node >= 20"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/toolchain/package.json" "$here/toolchain/package-lock.json" "$work/"
cd "$work"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null

version_of() { node -p "require('./node_modules/$1/package.json').version"; }
grafana_version="$(version_of @grafana/schema)"
generator_version="$(version_of ts-json-schema-generator)"
pkg="node_modules/@grafana/schema"
[ -f "$pkg/$types_rel" ] || die "@grafana/schema $grafana_version has no $types_rel"
[ -f "$pkg/$defaults_rel" ] || die "@grafana/schema $grafana_version has no $defaults_rel"

npx --no-install ts-json-schema-generator \
    --path "$pkg/$types_rel" --type Dashboard --no-type-check --out raw.schema.json

schema_version="$(node --input-type=module -e "
import { defaultDashboard } from '$work/$pkg/$defaults_rel';
const v = defaultDashboard.schemaVersion;
if (!Number.isInteger(v)) { console.error('defaultDashboard.schemaVersion is not an integer: ' + v); process.exit(1); }
console.log(v);
")"

node -e "
const fs = require('fs');
const schema = JSON.parse(fs.readFileSync('raw.schema.json', 'utf8'));
if (schema['\$ref'] !== '#/definitions/Dashboard' || !schema.definitions || !schema.definitions.Dashboard)
  { console.error('unexpected generator output: no Dashboard root'); process.exit(1); }
fs.writeFileSync('dashboard.schema.json', JSON.stringify(schema, null, 2) + '\n');
"

cat > VERSION <<EOF
# Written by regenerate.sh; do not edit. Read by gen/dash/schema/__init__.py.
# grafana_schema: the npm @grafana/schema version the schema comes from (released with the
#   Grafana version of the same number).
# schema_version: the dashboard schemaVersion that Grafana version writes, read from
#   defaultDashboard.schemaVersion in @grafana/schema/$defaults_rel.
grafana_schema=$grafana_version
ts_json_schema_generator=$generator_version
schema_version=$schema_version
EOF

mv dashboard.schema.json "$here/dashboard.schema.json"
mv VERSION "$here/VERSION"
echo "regenerate.sh: @grafana/schema $grafana_version, ts-json-schema-generator $generator_version, schemaVersion $schema_version" >&2
