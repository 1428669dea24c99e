"""Sources, mail decoding, subject parsing, trailers and series assembly."""

# What a git range source (`git:PATH@BASE..TIP`) begins with. It lives here so that telling
# a git range from a file (every load, and the baseline's lookup) needs no gitrange module.
GIT_PREFIX = "git:"
