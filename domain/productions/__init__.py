"""Productions: manifest validation, numbering plan, page imaging, load files, QC."""
