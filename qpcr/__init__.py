"""qpcr: relative quantification of real-time PCR data."""

__version__ = "0.1.0"
