"""Sources, mail decoding, subject parsing, trailers and series assembly."""
