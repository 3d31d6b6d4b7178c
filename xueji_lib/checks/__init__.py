"""Checks of one list: validation against a layout's rules, photos against a roster."""
