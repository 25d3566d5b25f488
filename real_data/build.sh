#!/usr/bin/env bash
# `make real-data`: build (once) the corpus of real Roman products described in real_data/build.py.
#
#   ROMAN_LAB_REAL_DATA  cache root (default ~/.cache/roman-lab/real-data)
#   REAL_DATA_SIZE       full (default: 4 exposures) or ci (3 exposures, the CI-sized corpus)
#   PYTHON               the Python 3.11-3.14 that makes the venv (default: pyenv's 3.12, python3.12, 3.11)
#
# Layout under the root: venv-romancal/ (romanisim + romancal, pinned by requirements-romancal.txt),
# references/ (constant reference files), corpus-<size>/ (the products, truth.json, timings.json).
# Idempotent: with corpus-<size>/STAMP matching the pins, the recipe and build.py, it returns at once;
# an interrupted build resumes (finished products are kept); a changed recipe or pin rebuilds.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=${ROMAN_LAB_REAL_DATA:-$HOME/.cache/roman-lab/real-data}
size=${REAL_DATA_SIZE:-full}
req=$here/requirements-romancal.txt
venv=$root/venv-romancal
corpus=$root/corpus-$size
t0=$SECONDS

find_python() {
	local p
	for p in ${PYTHON:-} $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python3 2>/dev/null | sort -V) python3.12 \
		$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.11*/bin/python3 2>/dev/null | sort -V) python3.11 python3; do
		"$p" -c 'import sys; sys.exit(not ((3, 11) <= sys.version_info[:2] < (3, 15)))' >/dev/null 2>&1 && { command -v "$p"; return; }
	done
}
PY=$(find_python)
[ -n "$PY" ] || { echo "real-data needs Python 3.11-3.14 for romancal 1.1 (set PYTHON=/path/to/python3.12)"; exit 1; }

case $size in full | ci) ;; *) echo "REAL_DATA_SIZE must be full or ci, not '$size'"; exit 1 ;; esac

# The recipe: the pinned simulator/pipeline versions and the corpus's recipe (build.py --print-recipe).
recipe="$(grep -E '^(romancal|romanisim|roman_datamodels|rad|galsim|stcal|stpipe)==' "$req" | tr '\n' ' ')
$("$PY" "$here/build.py" --print-recipe --size "$size")"
stamp="$recipe
build.py sha256 $(sha256sum "$here/build.py" | cut -d' ' -f1)"

if [ -f "$corpus/STAMP" ] && [ "$(cat "$corpus/STAMP")" = "$stamp" ]; then
	echo "real-data: $corpus is up to date"
	exit 0
fi

# The venv, from the pins (rebuilt when they change).
want_venv="$(sha256sum "$req" | cut -d' ' -f1) $("$PY" -c 'import sys; print(sys.version.split()[0])')"
if [ "$(cat "$venv/.requirements" 2>/dev/null)" != "$want_venv" ]; then
	echo "real-data: creating $venv (romancal + romanisim, pinned) with $PY"
	t=$SECONDS
	rm -rf "$venv"
	mkdir -p "$root"
	"$PY" -m venv "$venv"
	"$venv/bin/python" -m pip install --quiet --upgrade pip
	"$venv/bin/python" -m pip install --quiet -r "$req"
	echo "$want_venv" >"$venv/.requirements"
	echo "real-data: venv in $((SECONDS - t)) s"
fi

# A changed recipe or pin makes a new corpus; the same one resumes an interrupted build.
if [ -d "$corpus" ] && [ "$(cat "$corpus/RECIPE" 2>/dev/null)" != "$recipe" ]; then
	echo "real-data: the recipe changed: removing $corpus"
	rm -rf "$corpus"
fi
mkdir -p "$corpus"
echo "$recipe" >"$corpus/RECIPE"
rm -f "$corpus/STAMP"

STPIPE_DISABLE_CRDS_STEPPARS=True "$venv/bin/python" "$here/build.py" --root "$root" --size "$size"

echo "$stamp" >"$corpus/STAMP"
echo "real-data: $corpus built in $((SECONDS - t0)) s"
