#!/usr/bin/env bash
# Install salesmetrics the way a user does and run it away from the checkout: build a wheel,
# install it into a fresh virtual environment, and from an empty folder list the presets and
# recognise each preset's fixture with no mapping. Catches anything that only works in an
# editable install (presets read from the repository, files left out of the wheel).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-python3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$python" -m pip wheel --quiet --no-deps --wheel-dir "$work/dist" "$repo"
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet "$work"/dist/salesmetrics-*.whl 2>&1 | { grep -v "^WARNING: Location" || true; }
bin="$work/venv/bin/salesmetrics"

mkdir "$work/elsewhere"
cd "$work/elsewhere"
"$bin" --version
listed="$("$bin" mappings list --format json)"
for fixture in "$repo"/tests/fixtures/presets/*.csv "$repo"/tests/fixtures/presets/*.xlsx \
    "$repo"/tests/fixtures/crm/*history.csv; do  # the stage history presets' fixtures
    name="$(basename "${fixture%.*}")"
    grep -q "\"name\": \"$name\"" <<<"$listed" || { echo "preset $name is not listed" >&2; exit 1; }
    "$bin" validate "$fixture" --max-reject-rate 1 --format json >/dev/null 2>"$work/said" || {
        cat "$work/said" >&2; echo "$fixture: not loaded by the installed wheel" >&2; exit 1; }
    grep -q "recognised as $name " "$work/said" || {
        cat "$work/said" >&2; echo "$fixture: not recognised as $name" >&2; exit 1; }
done
# exports in the formats the CRMs really write: wide, without ids, custom stages, line items
for pair in hubspot_contacts_all_properties:hubspot_contacts \
    hubspot_deals_all_properties:hubspot_deals hubspot_deals_view_no_create_date:hubspot_deals \
    salesforce_opportunities_no_ids:salesforce_opportunities \
    salesforce_opportunity_products:salesforce_opportunity_products \
    salesforce_opportunity_products_fr:salesforce_opportunity_products \
    zoho_deals_custom_stages:zoho_deals pipedrive_deals_custom_pipeline:pipedrive_deals; do
    fixture="$repo/tests/fixtures/crm/${pair%%:*}.csv"
    "$bin" validate "$fixture" --format json >/dev/null 2>"$work/said" || {
        cat "$work/said" >&2; echo "$fixture: not loaded by the installed wheel" >&2; exit 1; }
    grep -q "recognised as ${pair#*:} " "$work/said" || {
        cat "$work/said" >&2; echo "$fixture: not recognised as ${pair#*:}" >&2; exit 1; }
done
# a Zoho deals export and its stage history: the funnel KPIs from the joined dates
"$bin" report "$repo/tests/fixtures/crm/zoho_history_deals.csv" \
    "$repo/tests/fixtures/crm/zoho_stage_history.csv" --period 2025-Q1 --as-of 2025-04-01 \
    --kpi stage_conversion --format json >"$work/history.json" 2>/dev/null
grep -q '"id": "stage_conversion"' "$work/history.json"
"$bin" report "$repo/tests/fixtures/presets/hubspot_deals.csv" --period all --as-of 2026-11-01 \
    --kpi win_rate --max-reject-rate 1 --format json >"$work/report.json"
grep -q '"id": "win_rate"' "$work/report.json"
echo "wheel check: installed from a wheel, presets listed, every preset and CRM-format fixture recognised"
