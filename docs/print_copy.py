"""Copy a workbook for printing, for the pictures in docs/ (make_screenshot.sh,
make_template_screenshot.sh): every visible sheet landscape and fitted to one page, some
columns of SHEET hidden, some of its comments shown in boxes below its table (Excel and
LibreOffice show a comment when the pointer is over its cell; a printout shows none).

    python docs/print_copy.py SOURCE TARGET SHEET [--hide COLUMN]...
        [--show COLUMN ROW FIRST LAST RIGHT]...

--show: the comment of the cell in column COLUMN (a header), Excel row ROW, in a box from
column FIRST to column LAST (0-based), RIGHT pixels into LAST, in the 5 rows below the table.
"""

import argparse
import os
import re
import zipfile

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

parser = argparse.ArgumentParser()
parser.add_argument("source")
parser.add_argument("target")
parser.add_argument("sheet")
parser.add_argument("--hide", action="append", default=[])
parser.add_argument("--show", nargs=5, action="append", default=[])
args = parser.parse_args()

workbook = load_workbook(args.source)
for each in workbook.worksheets:
    if each.sheet_state == "visible":
        each.page_setup.orientation = "landscape"
        each.page_setup.fitToWidth = 1
        each.page_setup.fitToHeight = 1
        each.sheet_properties.pageSetUpPr.fitToPage = True
sheet = workbook[args.sheet]
header = [cell.value for cell in sheet[1]]
for name in args.hide:
    sheet.column_dimensions[get_column_letter(header.index(name) + 1)].hidden = True
shown = {(column, int(row)): tuple(map(int, box)) for column, row, *box in args.show}
boxes = {}
for row in sheet.iter_rows():
    for cell in row:
        if cell.comment:
            box = shown.get((header[cell.column - 1], cell.row))
            if box:
                boxes[(cell.row - 1, cell.column - 1)] = box
workbook.save(args.target)
top, bottom = sheet.max_row + 1, sheet.max_row + 6


def show(match: re.Match, x: str) -> str:
    """A comment's VML shape, made visible in its box when it is one of those shown."""
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


patched = args.target + ".patched"
with (
    zipfile.ZipFile(args.target) as old,
    zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as new,
):
    for item in old.infolist():
        data = old.read(item.filename)
        if item.filename.endswith(".vml"):
            text = data.decode()
            x = re.search(r'xmlns:(\w+)="urn:schemas-microsoft-com:office:excel"', text).group(1)
            text = re.sub(
                r"<(\w+):shape .*?</\1:shape>", lambda m, x=x: show(m, x), text, flags=re.S
            )
            data = text.encode()
        new.writestr(item, data)
os.replace(patched, args.target)
