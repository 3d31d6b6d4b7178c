"""Where the relational core runs: DuckDB or Spark, and SQL both engines read alike."""
