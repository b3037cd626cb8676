"""The domain: plain async functions over an AsyncSession. Nothing here imports telegram; what a
service returns is rendered by its handler."""
