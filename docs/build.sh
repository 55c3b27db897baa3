#!/usr/bin/env bash
# Build the documentation site into docs/_build/html: the Markdown pages
# with Sphinx (MyST), then the API reference from the package's epytext
# docstrings with pydoctor into docs/_build/html/reference. Any warning of
# either fails the build (non-zero exit). Needs the docs extra:
# pip install -e '.[docs]'.
set -u
cd "$(dirname "$0")"
python="${PYTHON:-python3}"
[ -x ../.venv/bin/python ] && [ -z "${PYTHON:-}" ] && python=../.venv/bin/python
rm -rf _build
status=0

"$python" -m sphinx -W --keep-going -n -q -b html . _build/html || status=1

# pydoctor's warnings that no docstring can fix, each matched exactly:
#  - __all__ computed from the lazy-export table (openocpp.transport,
#    openocpp.transfer), which pydoctor cannot evaluate;
#  - ICentralSystem and IChargePoint extend IService through a name
#    pydoctor does not see as an interface (Twisted's, not ours).
# Everything else (a bad docstring, an unresolved L{...}) fails the build:
# names outside openocpp are written C{...}, since there is no network for
# intersphinx here.
known='(Cannot parse value assigned to "__all__"|Class "openocpp\.(centralsystem|chargepoint)\.interfaces\.I(CentralSystem|ChargePoint)" is not an interface)$'
log=$(mktemp)
trap 'rm -f "$log"' EXIT
"$python" -m pydoctor --project-name openocpp --docformat epytext --quiet \
    --html-output _build/html/reference ../openocpp >"$log" 2>&1 || true
warnings=$(grep -vE "$known" "$log" | grep -cE ':[0-9]+: |^[^ ].*(error|warning|Error|Warning)')
if [ "$warnings" -gt 0 ]; then
  grep -vE "$known" "$log" >&2
  echo "pydoctor: $warnings warning(s)" >&2
  status=1
fi
[ -f _build/html/reference/index.html ] || { echo "pydoctor wrote no reference" >&2; status=1; }
exit "$status"
