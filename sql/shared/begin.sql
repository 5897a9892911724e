-- Opens a transaction on a connection held by hand (one that also streams a COPY).
BEGIN
