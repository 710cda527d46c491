"""Models of this part of data quality; imported by kehu.dataquality.models."""
