"""Reading and writing files: DBF, spreadsheets, converted Parquet folders, load reports."""
