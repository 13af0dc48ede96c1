"""Adapters that bind computed frames to the named tables and defined names of .xlsx templates."""
