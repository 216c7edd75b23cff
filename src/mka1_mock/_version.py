"""The version of mka1-mock: read by the package, the CLI, the admin API and the build."""

__version__ = "0.2.0"
