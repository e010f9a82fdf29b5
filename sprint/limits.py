"""What one file in may cost: each limit refuses a file before the work it would cause.

A report of every commune for one day is about 0.6 MB, 19,926 rows and at most 8 columns; the
limits leave room for that many times over and bound what a hostile or broken file can take from
the one process every page shares (memory, and the time other sessions wait for it). Each refusal
is one sentence naming its limit (i18n.PROBLEMS), and a refused file is in the upload history like
any other rejection.
"""
MAX_FILE_BYTES = 5 * 1024 * 1024  # .streamlit/config.toml's maxUploadSize, for the inbox and the CLI too
MAX_COLUMNS = 64  # the header's columns; a longer row is refused by line before DuckDB reads it
MAX_HEADER_CHARS = 4_096  # a first line longer than this is no header (a lost line ending, a pasted blob)
MAX_ROWS = 200_000  # lines of a CSV, rows of a sheet
MAX_UNZIPPED_BYTES = 10 * 1024 * 1024  # an .xlsx's parts as unpacked: a national long day is 4 MB (the bomb: 296 MiB)
MAX_ZIP_PARTS = 1_000
MAX_NAME_CHARS = 120  # a file's name; it must also be free of line breaks and other control characters
MAX_SECONDS = 20  # reading and checking one file; the reader is stopped past this
MAX_WORKBOOK_SECONDS = 60  # parsing one workbook in sprint.worker (at nice 10 it waits for the server, not the reverse)
MAX_WORKER_MEMORY = 2 * 1024 ** 3  # the address space of the process that parses workbooks (sprint.worker; 450 MB of it at start)
