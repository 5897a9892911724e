-- The server's version string (PGlite says so in it).
SELECT version()
