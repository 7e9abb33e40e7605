"""Running a benchmark: plan the cells, execute each in isolation, write the table."""
