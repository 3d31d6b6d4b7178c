"""One list against another: admission vs registration, roster snapshots, graduates vs intake."""
