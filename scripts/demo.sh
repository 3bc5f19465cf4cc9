#!/usr/bin/env bash
# The main job on the embedded default (SQLite catalog + local folder stores, no server): install
# archive-repo, make a repository, and ingest every shipped example submission. The good ones become AIPs
# (two copies, one per storage folder) with a handover record each; the ones under
# examples/submissions/defective/ are rejected with their located findings in the rejected area.
# Exit 0 when every example got the expected outcome. Running it again is safe: already-held submissions
# are recognised by their content and not stored twice.
#
#   ARCHIVE_REPO_HOME   where the repository is made (default: ./demo-repository)
#   ARCHIVE_REPO_LANG   vi (default) or en
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/bootstrap.sh"
cd "$ROOT"
REPO="${ARCHIVE_REPO_HOME:-$ROOT/demo-repository}"
LANG_OPT=(--lang "${ARCHIVE_REPO_LANG:-vi}")

archive-repo init -R "$REPO" --archive-code LTLSHG \
    --archive-name "Trung tâm Lưu trữ lịch sử tỉnh Hà Giang" --store store-1 --store store-2 "${LANG_OPT[@]}"
# The examples are signed by a demo PKI: trust its root (demo only; a real archive puts the National Root
# CA, the Government CA … here).
for kind in anchors intermediates crls; do
    cp examples/trust/"$kind"/* "$REPO/trust/$kind/"
done
echo
set +e
# No ClamAV signature database ships with archive-repo (the archive supplies one in $REPO/clamav/):
# the demo opts out explicitly, and PREMIS and the handover records say "not performed".
archive-repo ingest -R "$REPO" examples/submissions --no-virus-scan "${LANG_OPT[@]}"
code=$?
set -e
echo
archive-repo aip list -R "$REPO" "${LANG_OPT[@]}" || true
echo
archive-repo doctor -R "$REPO" "${LANG_OPT[@]}"
echo
# Read every stored copy back and check it against the catalog (TT05 ch. V), as the daily timer would.
archive-repo fixity audit -R "$REPO" --all --no-progress "${LANG_OPT[@]}"

echo
# Access (TT05 ch. VI): a researcher asks for a certified copy of a public document; the archive signs it
# with its certificate (here a DEMO one from tools/demo_pki.py, chained to the demo root the repository
# trusts) and the copy's signature is verified like any other.
export ARCHIVE_REPO_SIGNING_PASSPHRASE="${ARCHIVE_REPO_SIGNING_PASSPHRASE:-demo}"
if [ ! -f "$REPO/keys/archive.p12" ]; then
    python tools/demo_pki.py --archive-p12 "$REPO/keys/archive.p12" \
        --archive-name "Trung tâm Lưu trữ lịch sử tỉnh Hà Giang" >/dev/null
fi
if ! grep -q '^\[access\]' "$REPO/archive-repo.toml"; then
    printf '\n[access]\nsigning_pkcs12 = "keys/archive.p12"\napprovers = ["%s"]\n' "$(id -un)" \
        >>"$REPO/archive-repo.toml"
fi
request_json="$(archive-repo access request -R "$REPO" LTLSHG.H49.64.33.2024.31.0000001 --kind certified \
    --name "Trần Thị Bình" --id-number 001203004567 --purpose 01 --fee 01 \
    --topic "Công tác bồi dưỡng nghiệp vụ lưu trữ" --format json)"
request_code="$(python -c 'import json, sys; print(json.loads(sys.argv[1])["code"])' "$request_json")"
archive-repo access issue -R "$REPO" "$request_code" "${LANG_OPT[@]}"
access_code=0
archive-repo verify-signatures -R "$REPO" "$REPO/access/$request_code" "${LANG_OPT[@]}" || access_code=$?

# Expected: 4 dossiers held, the 7 defective / plain / tampered examples rejected (exit 1 means "some were rejected").
python - "$REPO" "$code" "$access_code" <<'PY'
import sys
from pathlib import Path

from sqlalchemy import select

from archive_repo.catalog.models import IngestRun, Package
from archive_repo.config import load_settings
from archive_repo.ingest.catalog_access import sessions

settings = load_settings(Path(sys.argv[1]))
with sessions(settings.catalog_url)() as session:
    run = session.scalars(select(IngestRun).order_by(IngestRun.id.desc())).first()
    held = len(session.scalars(select(Package).where(Package.status == "active")).all())
ok = sys.argv[2] == "1" and held == 4 and run.rejected_count == 7 and run.failed_count == 0 and sys.argv[3] == "0"
print(f"demo: {held} AIP(s) held, {run.accepted_count} accepted / {run.rejected_count} rejected in the last run")
sys.exit(0 if ok else 1)
PY
echo "Tất cả gói tin mẫu có kết quả như mong đợi / every example got the expected outcome."
