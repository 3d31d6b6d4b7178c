"""The lowest layer: errors, text normalisation, ID arithmetic, masking, progress, atomic files."""
