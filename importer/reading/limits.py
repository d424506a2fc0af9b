"""How much of an input file is read: caps that bound memory whatever the file holds.

No real sheet of tasks comes near them (Excel holds at most 32,767 characters in a cell,
Amazon Connect at most 4,096 in a Description); a file past one is damaged, not a task
list, or built to exhaust memory, and is refused with the place it goes wrong.
"""

MAX_CELL_CHARS = 1_000_000
"""Longest cell read, in CSV and in workbooks."""
MAX_LINE_CHARS = 16 * MAX_CELL_CHARS
"""Longest CSV line read: bounds memory on a file that is one endless line."""
MAX_SHEET_CELLS = 20_000_000
"""Most cells in a worksheet's used range counted from A1 (rows x columns): calamine holds
every cell of that rectangle, empty or not (about 60 bytes each once read). 100,000 rows of
200 columns fit; a stray value at XFD1048576 (17 billion cells) does not."""
MAX_SHEET_CHARS = 200_000_000
"""Most characters in one sheet's cells together, a shared text counted once per cell that
uses it (calamine copies it into each), plus the workbook's shared texts themselves."""
MAX_PART_BYTES = 32 * 1024 * 1024
"""Largest workbook part besides sheets and shared strings (workbook, styles,
relationships) read; real ones are a few kilobytes, styles at most a few megabytes."""
