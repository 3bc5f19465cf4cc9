#!/usr/bin/env bash
# The main job on the embedded default: install archive-repo, then check every shipped example submission.
# Good submissions are reported valid; the ones under examples/submissions/defective/ are reported with
# every problem located, as an archivist would see them. Exit 0 when every verdict is the expected one.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/bootstrap.sh"
cd "$ROOT"
LANG_OPT=(--lang "${ARCHIVE_REPO_LANG:-vi}")
unexpected=0
echo "== Gói tin mẫu hợp lệ / valid example submissions =="
for submission in examples/submissions/*; do
    [ "$(basename "$submission")" = defective ] && continue
    if ! archive-repo validate "$submission" "${LANG_OPT[@]}"; then unexpected=$((unexpected + 1)); fi
    echo
done
echo "== Gói tin mẫu có lỗi (phải bị từ chối) / defective examples (must be rejected) =="
for submission in examples/submissions/defective/* ; do
    target="$submission"
    [ -d "$submission" ] && [ "$(ls "$submission" | wc -l)" = 1 ] && target="$submission/$(ls "$submission")"
    set +e; archive-repo validate "$target" "${LANG_OPT[@]}"; code=$?; set -e
    if [ "$code" != 1 ]; then unexpected=$((unexpected + 1)); fi
    echo
done
if [ "$unexpected" != 0 ]; then
    echo "$unexpected example(s) did not get the expected verdict" >&2
    exit 1
fi
echo "Tất cả gói tin mẫu có kết luận như mong đợi / every example got the expected verdict."
