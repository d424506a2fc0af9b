#!/bin/sh
# Regenerate docs/task-template-workbook.png and docs/task-template-fields.png: the
# spreadsheet `task-importer template` makes from the sandbox's default task template, with
# three rows filled in, as LibreOffice renders its Tasks and Fields sheets.
#
#   PYTHON=$PWD/.venv/bin/python docs/make_template_screenshot.sh
#
# Needs what docs/make_screenshot.sh needs: the project installed in $PYTHON's environment,
# LibreOffice Calc (soffice) and poppler-utils (pdftoppm). Nothing is sent to AWS: the
# template comes from the built-in sandbox.
#
# The Tasks picture shows two of the header comments (Excel shows one when the pointer is
# over its header) in boxes below the rows.
set -eu

PYTHON=${PYTHON:-python3}
docs=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

"$PYTHON" -m importer template callbacks.xlsx --sandbox \
    --task-template-id 7e7e7e7e-0000-4000-8000-000000000001

"$PYTHON" - callbacks.xlsx <<'PY'
"""Fill in three rows as a person would in Excel."""
import datetime as dt
import sys

from openpyxl import load_workbook

path = sys.argv[1]
workbook = load_workbook(path)
sheet = workbook["Tasks"]
rows = [
    ("Call back Aisha Okafor", "Refund for order 00042", "+12065550100", "High", 1250.5,
     dt.datetime(2030, 1, 15, 9, 30), True, "https://orders.example.com/00042",
     "aisha@example.com", "Prefers mornings"),
    ("Call back Ben Schmidt", "Parcel reported missing", "+4930555010", "Normal", 89,
     dt.datetime(2030, 1, 16, 14, 0), False, "https://orders.example.com/00043", None, None),
    ("Call back Carla Rossi", "Address change", "+390655501", "Low", None, None, True, None,
     "carla@example.com", "Second attempt"),
]
for number, values in enumerate(rows, start=2):
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(number, column, value)
        # Excel gives a typed cell its column's format; openpyxl does not
        cell.number_format = sheet.column_dimensions[cell.column_letter].number_format
workbook.save(path)
PY

"$PYTHON" "$docs/print_copy.py" callbacks.xlsx print.xlsx Tasks \
    --show "Customer phone" 1 1 3 40 --show Priority 1 4 6 60

soffice --headless --convert-to pdf print.xlsx > /dev/null
# Pages 1 (Tasks) and 2 (Fields) at 200 dpi, cropped to their tables.
pdftoppm -png -r 200 -f 1 -l 1 -singlefile -x 140 -y 190 -W 1880 -H 190 print.pdf tasks
pdftoppm -png -r 200 -f 2 -l 2 -singlefile -x 140 -y 190 -W 1880 -H 330 print.pdf fields
cp tasks.png "$docs/task-template-workbook.png"
cp fields.png "$docs/task-template-fields.png"
echo "wrote $docs/task-template-workbook.png and $docs/task-template-fields.png"
