"""Packages in an env: the index client, the cache of unpacked wheels, linking, lock files,
resolution and sync. Nothing here is imported on the path of a plain ``burrow create``."""
