#!/bin/sh
# Regenerate docs/results-workbook.png: a results workbook as LibreOffice renders it.
#
#   PYTHON=.venv/bin/python docs/make_screenshot.sh
#
# Needs the project installed in $PYTHON's environment (default python3), LibreOffice Calc
# (soffice) and poppler-utils (pdftoppm); on Debian: apt-get install libreoffice-calc
# poppler-utils. Nothing is sent to AWS: the run goes to the built-in sandbox.
#
# The picture is of a copy of the workbook made for printing: landscape, one page wide, the
# error_code, error_message, attempts and client_token columns hidden so the rest is
# legible, and three of the comments shown (in Excel they show when the mouse is over the
# cell), placed in the empty rows below the table.
set -eu

PYTHON=${PYTHON:-python3}
docs=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

cat > tasks.csv <<'EOF'
Name,Description,ContactFlowId,ScheduledTime,Attributes.customer_id,References.URL.Order page
Callback: Aisha Okafor,Customer asked for a call back,,,00042,https://orders.example.com/1
,Wants a refund for a damaged parcel,,,00043,https://orders.example.com/2
Refund: Ben Schmidt,Refund needs approval,,,00044,ftp://orders.example.com/3
Delivery: Carla Rossi,Parcel reported missing,,2099-01-06 09:00,00045,https://orders.example.com/4
Address change: Dmitri Ivanov,Update the delivery address,f10f10f1-0000-4000-8000-0000000dead0,,00046,https://orders.example.com/5
Complaint: Elif Yılmaz,Escalate if needed,,,00047,https://orders.example.com/6
EOF

# Exit 1 is expected: three rows are invalid and one fails (its contact flow does not exist).
"$PYTHON" -m importer run tasks.csv --sandbox --timezone UTC --no-progress \
    --contact-flow-id f10f10f1-0000-4000-8000-000000000001 \
    --results tasks.results.xlsx || [ $? -eq 1 ]

"$PYTHON" - tasks.results.xlsx print.xlsx <<'EOF'
"""Copy the workbook for printing; show three comments in boxes below the table."""
import os
import re
import sys
import zipfile

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

source, target = sys.argv[1:]
HIDDEN = ("error_code", "error_message", "attempts", "client_token")
# (column, row) of a comment to show -> (first column, last column, right offset px) of its box
SHOWN = {
    ("status", 6): (1, 2, 150),
    ("Name", 3): (7, 8, 60),
    ("ScheduledTime", 5): (10, 12, 60),
}

workbook = load_workbook(source)
sheet = workbook["Results"]
header = [cell.value for cell in sheet[1]]
for name in HIDDEN:
    sheet.column_dimensions[get_column_letter(header.index(name) + 1)].hidden = True
sheet.page_setup.orientation = "landscape"
sheet.page_setup.fitToWidth = 1
sheet.page_setup.fitToHeight = 1
sheet.sheet_properties.pageSetUpPr.fitToPage = True
boxes = {}
for row in sheet.iter_rows():
    for cell in row:
        if cell.comment:
            box = SHOWN.get((header[cell.column - 1], cell.row))
            if box:
                boxes[(cell.row - 1, cell.column - 1)] = box
workbook.save(target)
top, bottom = sheet.max_row + 1, sheet.max_row + 6


def show(match: re.Match, x: str) -> str:
    """A comment's VML shape, made visible in its box when it is one of those SHOWN."""
    shape = match.group(0)
    row = int(re.search(r"Row>(\d+)<", shape).group(1))
    column = int(re.search(r"Column>(\d+)<", shape).group(1))
    if (row, column) not in boxes:
        return shape
    first, last, right = boxes[(row, column)]
    anchor = f"{first}, 4, {top}, 4, {last}, {right}, {bottom}, 0"
    extra = f"<{x}:Visible/><{x}:Anchor>{anchor}</{x}:Anchor>"
    shape = shape.replace("visibility:hidden", "visibility:visible")
    return shape.replace(f"</{x}:ClientData>", f"{extra}</{x}:ClientData>")


patched = target + ".patched"
with zipfile.ZipFile(target) as old, zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as new:
    for item in old.infolist():
        data = old.read(item.filename)
        if item.filename.endswith(".vml"):
            text = data.decode()
            x = re.search(r'xmlns:(\w+)="urn:schemas-microsoft-com:office:excel"', text).group(1)
            text = re.sub(r"<(\w+):shape .*?</\1:shape>", lambda m: show(m, x), text, flags=re.S)
            data = text.encode()
        new.writestr(item, data)
os.replace(patched, target)
EOF

soffice --headless --convert-to pdf print.xlsx > /dev/null
# Page 1 at 150 dpi, cropped to the table and the comment boxes.
pdftoppm -png -r 150 -f 1 -l 1 -singlefile -x 95 -y 140 -W 1460 -H 205 print.pdf shot
cp shot.png "$docs/results-workbook.png"
echo "wrote $docs/results-workbook.png"
