#!/usr/bin/env bash
# The second JupyterLab of the browser tests (the `home` Playwright project, tests/home.spec.ts),
# started the way most users start it: `cd ~/project && jupyter lab`, with the data in a folder
# and under names users give them, served under a JupyterHub-style base URL.
#
# Recreates $ROMAN_LAB_UI_HOME_RUN (default ui-tests/.home-run/, git-ignored):
#   home/                      the server's $HOME (fresh: no ~/.jupyter, no ~/.cache)
#   home/project/Données Roman/  the small demo field, the mosaic renamed 'field #1 mosaic%20v2_i2d.asdf',
#                              read-only (chmod a-w), so nothing may be written beside the data
#   project.manifest           `find` listing of home/project before the server starts
#   server.log                 the server's log (stderr)
# then runs, in home/project, `jupyter lab --config jupyter_server_home_config.py` (no root_dir:
# it is the working directory) with ROMAN_LAB_CACHE and XDG_CACHE_HOME unset, so the stores go
# to the user's default cache, ~/.cache/roman-lab/.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
run="${ROMAN_LAB_UI_HOME_RUN:-$here/.home-run}"
demo="$here/.demo/demo"
jupyter="${JUPYTER:-$here/../.venv/bin/jupyter}"
mosaic_name='field #1 mosaic%20v2_i2d.asdf'
data_dir='Données Roman'

[ -f "$demo/demo.json" ] || { echo "home_server.sh: no demo in $demo (make ui-tests/.demo/demo/demo.json)" >&2; exit 1; }
mosaic="$("$(dirname "$jupyter")/python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["mosaic"]["file"])' "$demo/demo.json")"
[ -n "$mosaic" ] && [ -f "$demo/$mosaic" ] || { echo "home_server.sh: no mosaic named in $demo/demo.json" >&2; exit 1; }

if [ -e "$run" ]; then
  chmod -R u+w "$run"
  rm -rf "$run"
fi
home="$run/home"
project="$home/project"
mkdir -p "$project/$data_dir"
cp -p "$demo"/* "$project/$data_dir/"
mv "$project/$data_dir/$mosaic" "$project/$data_dir/$mosaic_name"
chmod a-w "$project/$data_dir"/* "$project/$data_dir"
(cd "$project" && find . -printf '%p\t%y %s %T@\n' | LC_ALL=C sort) > "$run/project.manifest"

cd "$project"
export HOME="$home"
unset ROMAN_LAB_CACHE XDG_CACHE_HOME JUPYTER_CONFIG_DIR JUPYTER_DATA_DIR JUPYTER_RUNTIME_DIR JUPYTERLAB_GALATA_ROOT_DIR
exec "$jupyter" lab --config "$here/jupyter_server_home_config.py" 2> >(tee "$run/server.log" >&2)
