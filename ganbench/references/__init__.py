"""Published result tables shipped with ganbench, as data (``ganbench table RUN --reference NAME``)."""
