#!/usr/bin/env bash
# The web app's front-end files, from the npm packages (package-lock.json) into
# src/kinfold/web/static/vendor, where the app serves them: GOV.UK Frontend, MOJ Frontend,
# htmx and Vega (the dashboard's charts). Nothing is fetched when the app runs.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund --loglevel=error
vendor=src/kinfold/web/static/vendor
rm -rf "$vendor"
mkdir -p "$vendor/govuk" "$vendor/moj" "$vendor/assets" "$vendor/js"
cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.{css,js} "$vendor/govuk/"
cp node_modules/@ministryofjustice/frontend/moj/moj-frontend.min.{css,js} "$vendor/moj/"
# both stylesheets point at /assets/... for fonts and images: one folder for the two
cp -r node_modules/govuk-frontend/dist/govuk/assets/. "$vendor/assets/"
cp -r node_modules/@ministryofjustice/frontend/moj/assets/. "$vendor/assets/"
cp node_modules/htmx.org/dist/htmx.min.js "$vendor/js/"
cp node_modules/vega/build/vega.min.js node_modules/vega-lite/build/vega-lite.min.js \
   node_modules/vega-embed/build/vega-embed.min.js "$vendor/js/"
