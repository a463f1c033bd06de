#!/usr/bin/env bash
# Checks that every relative Markdown link in README.md and docs/*.md points to a file in this
# repository and, where it names a heading (`file.md#heading`), to a heading that exists.
# Links to other sites (http, https, mailto) are not followed. Exits non-zero on any broken link.
#
#   scripts/check-doc-links.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens.
slugs() {
    grep -E '^#{1,6} ' "$1" | sed -E 's/^#+ +//' | tr '[:upper:]' '[:lower:]' \
        | sed -E 's/[][!"#$%&'\''()*+,./:;<=>?@\\^{|}~`]//g; s/ /-/g'
}

checked=0
broken=0
for file in README.md docs/*.md; do
    dir=$(dirname "$file")
    # Every `](target)` outside code spans, one per line.
    while IFS= read -r target; do
        case "$target" in
            http://* | https://* | mailto:*) continue ;;
        esac
        checked=$((checked + 1))
        path=${target%%#*}
        anchor=""
        [[ "$target" == *"#"* ]] && anchor=${target#*#}
        resolved=$file
        if [ -n "$path" ]; then
            resolved=$(realpath -m --relative-to=. "$dir/$path")
        fi
        if [[ "$resolved" == ../* ]] || [ ! -e "$resolved" ]; then
            echo "broken: $file -> $target (no file $resolved in the repository)"
            broken=$((broken + 1))
        elif [ -n "$anchor" ] && ! slugs "$resolved" | grep -qxF -- "$anchor"; then
            echo "broken: $file -> $target (no heading #$anchor in $resolved)"
            broken=$((broken + 1))
        fi
    done < <(sed -E 's/`[^`]*`//g' "$file" | grep -oE '\]\([^) ]+\)' | sed -E 's/^\]\((.*)\)$/\1/')
done

# No document may point outside the repository, linked or not.
if grep -rnE '\.\./(\.\./)*shared/' README.md docs/; then
    echo "broken: the lines above point outside the repository"
    broken=$((broken + 1))
fi

echo "doc links: $checked checked, $broken broken"
[ "$broken" -eq 0 ]
