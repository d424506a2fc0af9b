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

"$PYTHON" "$docs/print_copy.py" tasks.results.xlsx print.xlsx Results \
    --hide error_code --hide error_message --hide attempts --hide client_token \
    --show status 6 1 2 150 --show Name 3 7 8 60 --show ScheduledTime 5 10 12 60

soffice --headless --convert-to pdf print.xlsx > /dev/null
# Page 1 at 150 dpi, cropped to the table and the comment boxes.
pdftoppm -png -r 150 -f 1 -l 1 -singlefile -x 95 -y 101 -W 1460 -H 205 print.pdf shot
cp shot.png "$docs/results-workbook.png"
echo "wrote $docs/results-workbook.png"
