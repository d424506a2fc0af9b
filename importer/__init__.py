"""connect-task-importer: bulk-load Amazon Connect tasks from CSV and Excel files."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("connect-task-importer")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
