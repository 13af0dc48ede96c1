"""The built-in sample company: reps and orders (and, where present, opportunities) from a seed."""
from xlsales.sample.company import KEY_PRODUCT, PRODUCTS, REGIONS, SampleCompany, sample_company

__all__ = ["KEY_PRODUCT", "PRODUCTS", "REGIONS", "SampleCompany", "sample_company"]
