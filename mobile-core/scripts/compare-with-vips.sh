#!/usr/bin/env bash
# Runs the photo benchmark (ours vs vipsthumbnail on the generated 12 MP fixture), then checks that
# both produced the same pictures: equal sizes and a small mean absolute pixel difference, so a
# speed win cannot hide a wrong orientation, crop or size (it is too coarse to judge sharpness).
#
# Usage: mobile-core/scripts/compare-with-vips.sh   (needs libvips-tools: apt-get install -y libvips-tools)
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
if ! command -v vips >/dev/null; then
    echo "vips not found: apt-get install -y libvips-tools" >&2
    exit 1
fi

cargo bench --manifest-path "$root/Cargo.toml" -p closeloop-mobile-core --bench photo

dir="${CARGO_TARGET_DIR:-$root/target}/tmp/photo-bench"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
status=0
for edge in 1600 320; do
    ours="$dir/ours-$edge.jpg"
    theirs="$dir/vips-$edge.jpg"
    size_ours="$(vipsheader -f width "$ours")x$(vipsheader -f height "$ours")"
    size_theirs="$(vipsheader -f width "$theirs")x$(vipsheader -f height "$theirs")"
    vips subtract "$ours" "$theirs" "$tmp/diff.v"
    vips abs "$tmp/diff.v" "$tmp/abs.v"
    mean="$(vips avg "$tmp/abs.v")"
    echo "$edge px: ours $size_ours, vips $size_theirs, mean abs difference $mean (of 255)"
    # Re-encoding alone differs by 1-3 levels; a flipped or shifted picture differs by tens.
    if [[ "$size_ours" != "$size_theirs" ]] || awk -v m="$mean" 'BEGIN { exit !(m > 6) }'; then
        echo "  MISMATCH" >&2
        status=1
    fi
done
exit "$status"
